//! Data-subject requests (Art. 12-22): intake, identity check by one-time code, identity
//! documents, deadlines and extensions, rejection, listing, and the outbox of letters to the
//! subject.
//!
//! A request never reveals whether someone is a customer: an unknown identity gets a request id
//! and the same answer as a known one, but the code (and every other letter) goes only to an
//! identity the vault knows, or to an e-mail address a connected database holds
//! (`NewRequest::held_elsewhere`, which the application sets after asking those databases). The identity a request was made with is stored as a blind index and
//! a ciphertext under the request's own data key; codes only as hashes. A request about a
//! tenant's subject (processor mode) is queued for that tenant and never fulfilled on Skydd's own
//! authority. Every change is a compare-and-set on the request's state that appends an event
//! with actor and time in the same transaction; closing a request destroys its code and its
//! identity documents (bytes and keys).

use jiff::Timestamp;
use jiff::tz::TimeZone;
use skydd_crypto::{DataKey, WrappedKey, random_bytes};
use skydd_register::model::{Choice as _, VerificationMethod};
use skydd_register::zone::stockholm;
use skydd_requests::{
    CopyAllowance, Deadline, HolidayCalendar, RecipientAction, RequestAction, RequestState,
    RequestType, VerificationCode, VerificationPolicy, copy_allowance,
};
use skydd_storage::{
    NewRequestRows, OutboxMessageRow, RequestChange, RequestDocumentRow, RequestEventRow,
    RequestFilter, RequestRow, VerificationCodeRow,
};
use skydd_subject::TenantId;

use crate::letters::Mail;
use crate::states::{
    NoticeState, OutboxState, StateFilter, stored_action, stored_notice_state, stored_outbox_state,
    stored_state, stored_type, with_state,
};
use crate::subject::parse_identity;
use crate::{Actor, Vault, VaultError};

/// How a request arrived.
pub const CHANNELS: [&str; 5] = ["web", "email", "letter", "phone", "api"];

/// The largest identity document accepted, in bytes.
pub const MAX_DOCUMENT_BYTES: usize = 10 * 1024 * 1024;

/// Media types accepted for identity documents.
pub const DOCUMENT_MEDIA_TYPES: [&str; 3] = ["application/pdf", "image/jpeg", "image/png"];

/// The media type of an identity document read from its first bytes, never from what a
/// browser declared: `application/pdf` (`%PDF-`), `image/jpeg` (`FF D8 FF`) or `image/png`
/// (the eight-byte PNG signature); `None` for anything else. The one place Skydd decides what
/// a document is.
pub fn document_media_type(bytes: &[u8]) -> Option<&'static str> {
    const PNG: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("image/jpeg")
    } else if bytes.starts_with(&PNG) {
        Some("image/png")
    } else {
        None
    }
}

/// A request as submitted.
#[derive(Debug, Clone)]
pub struct NewRequest {
    /// What the subject asks for; a client's word is read with
    /// [`parse_request_type`](crate::parse_request_type).
    pub request_type: RequestType,
    /// The identity kind the subject gave (`email`, `phone`, `personnummer`, `customer_number`).
    pub identity_kind: String,
    /// Its value (never logged or echoed).
    pub identity_value: String,
    /// How it arrived (`web`, `email`, `letter`, `phone`, `api`).
    pub channel: String,
    /// The tenant whose user the subject is (processor mode), if given.
    pub tenant: Option<String>,
    /// When it arrived, for requests registered after the fact (admins only); default now.
    pub received_at: Option<Timestamp>,
    /// The purpose concerned (objection, withdrawal of consent), if any.
    pub purpose: Option<String>,
    /// Set by the application, never from a client's body: a connected database holds this
    /// e-mail identity, so the code goes to the address given even when the vault has no
    /// subject for it (a customer known only to the company's own systems can still ask).
    pub held_elsewhere: bool,
    /// Filed by someone else on the person's behalf, such as their organisation's administrator
    /// (P002-41: "it is the data subject ... that exercises these individual rights"): the
    /// person confirms it themselves with the code sent to them, whatever methods the register
    /// names, and staff cannot confirm it for them.
    pub on_behalf: bool,
}

/// What the submitter is told: the same shape whether or not the identity is known.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RequestReceipt {
    /// The request id: 32 lowercase hex digits.
    pub id: String,
    /// The state it reached: the same for a known and an unknown identity.
    pub state: RequestState,
    /// The end of the due day (Art. 12(3)).
    pub due_at: Timestamp,
    /// The due date before rolling to a working day.
    pub unrolled_due: String,
}

/// One event of a request's history.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RequestEventView {
    /// When the change was stored (the `now` of the call).
    pub at: Timestamp,
    /// The token id or role that made the change (`subject` for the requester).
    pub actor: String,
    /// What happened, as a word (`received`, `verified`, `started`, `completed`, ...).
    pub action: String,
    /// The state before; none for the event that registered the request.
    pub from_state: Option<RequestState>,
    /// The state after (the same as before for a letter sent on the way).
    pub to_state: RequestState,
    /// More (never a personal value).
    pub detail: Option<String>,
}

/// A request as the DPO sees it: no identity values.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RequestView {
    /// The request id: 32 lowercase hex digits.
    pub id: String,
    /// What the subject asked for.
    pub request_type: RequestType,
    /// Where the request stands in the workflow.
    pub state: RequestState,
    /// How it arrived (`web`, `email`, `letter`, `phone`, `api`).
    pub channel: String,
    /// The tenant whose user the subject is (processor mode).
    pub tenant: Option<String>,
    /// The subject, once known.
    pub subject_id: Option<String>,
    /// The kind of identity the request was made with.
    pub identity_kind: String,
    /// When it arrived; the deadline counts from here.
    pub received_at: Timestamp,
    /// The end of the due day in the controller's time zone, after any extension.
    pub due_at: Timestamp,
    /// The due date before rolling to a working day.
    pub unrolled_due: String,
    /// Whether the deadline was extended.
    pub extended: bool,
    /// How many months the deadline was extended by (0, 1 or 2).
    pub extended_months: u32,
    /// Queued for the tenant (the controller) to decide.
    pub routed_to_controller: bool,
    /// Why an admin must decide on a fee or refusal (Art. 12(5)).
    pub needs_decision: Option<String>,
    /// Reasons given for an extension or rejection.
    pub reasons: Option<String>,
    /// What fulfilment did (deleted records, data kept under a legal hold, ...).
    pub outcome: Option<serde_json::Value>,
    /// When it was completed or rejected; none while open.
    pub closed_at: Option<Timestamp>,
    /// Past due and still open at the time asked.
    pub overdue: bool,
    /// The history, oldest first (only when one request is shown).
    pub events: Vec<RequestEventView>,
    /// Recipients told of a rectification, erasure or restriction (Art. 19), with what they were
    /// told (only when one request is shown).
    pub recipient_notifications: Vec<RecipientNoticeView>,
    /// Who works the request (a staff account id or a token id); `None` while nobody does.
    pub assignee: Option<String>,
}

/// A notification owed to a recipient (Art. 19).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RecipientNoticeView {
    /// The register's recipient id.
    pub recipient: String,
    /// What the recipient is told happened to the data.
    pub action: RecipientAction,
    /// The categories concerned.
    pub categories: Vec<String>,
    /// Whether it waits for the DPO, is queued, or was sent or given up.
    pub state: NoticeState,
}

/// Which requests to list.
#[derive(Debug, Clone, Default)]
pub struct RequestQuery {
    /// Only open requests, or only those in one state; none for every state.
    pub state: Option<StateFilter>,
    /// Due before this instant.
    pub due_before: Option<Timestamp>,
    /// Only open requests past due.
    pub overdue: bool,
    /// Only this tenant's.
    pub tenant: Option<String>,
    /// Only those assigned to someone, or to nobody.
    pub assignee: Option<AssigneeFilter>,
}

/// Which assignee a listing keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssigneeFilter {
    /// Requests assigned to nobody.
    Nobody,
    /// Requests assigned to this id (a staff account id or a token id).
    Is(String),
}

/// The longest assignee id accepted: ids are short (a token id is 16 hex digits).
const MAX_ASSIGNEE_CHARS: usize = 128;

/// Whether `id` can name an assignee: 1 to 128 ASCII letters, digits, `-`, `_` and `:`. An
/// e-mail address (it has an `@`) or another personal value is refused, so none is ever
/// stored in its place.
pub fn is_assignee_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ASSIGNEE_CHARS
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':'))
}

/// A message in the outbox, decrypted for the operator.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OutboxView {
    /// The message id: 32 lowercase hex digits.
    pub id: String,
    /// The request the letter is about, if any (notice changes and incidents have none).
    pub request_id: Option<String>,
    /// Which letter (`verification_code`, `completed`, `recipient_notice`, ...).
    pub kind: String,
    /// Where the letter stands: serialised as `queued`, `sent` or `failed`.
    pub state: OutboxState,
    /// Delivery attempts made so far.
    pub attempts: u32,
    /// When the mailer tries it next (if still queued).
    pub next_attempt_at: Timestamp,
    /// When it was queued.
    pub created_at: Timestamp,
    /// When the mail server took it; none until then.
    pub sent_at: Option<Timestamp>,
    /// The mailer's last error, which never holds an address or body.
    pub last_error: Option<String>,
    /// The address (personal data: shown to the operator only).
    pub to: String,
    /// The letter's subject line, decrypted.
    pub subject: String,
    /// The letter's plain-text body, decrypted (personal data: shown to the operator only).
    pub text: String,
}

/// A letter about a request as the request page lists it: what and when, never the address or
/// the body (those stay sealed; [`Vault::outbox`] opens them for a reader allowed to).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LetterView {
    /// The message id: 32 lowercase hex digits.
    pub id: String,
    /// Which letter (`verification_code`, `extension`, `completed`, `recipient_notice` ...).
    pub kind: String,
    /// Queued, sent or failed.
    pub state: OutboxState,
    /// Delivery attempts made so far.
    pub attempts: u32,
    /// When it was queued.
    pub created_at: Timestamp,
    /// When the mail server took it; none until then.
    pub sent_at: Option<Timestamp>,
}

/// The most delivery attempts before a message is given up (and stays listed as `failed`).
pub const MAX_DELIVERY_ATTEMPTS: u32 = 8;

/// Associated data of a request's identity ciphertext.
pub(crate) fn request_identity_aad(request: &str, kind: &str) -> Vec<u8> {
    format!("skydd/request-identity/v1\0{request}\0{kind}").into_bytes()
}

/// Associated data of a request's details ciphertext.
pub(crate) fn request_details_aad(request: &str) -> Vec<u8> {
    format!("skydd/request-details/v1\0{request}").into_bytes()
}

/// Associated data of an identity document.
fn document_aad(request: &str, document: &str) -> Vec<u8> {
    format!("skydd/request-document/v1\0{request}\0{document}").into_bytes()
}

/// Associated data of an outbox message's address and body.
fn outbox_aad(message: &str, part: &str) -> Vec<u8> {
    format!("skydd/outbox/v1\0{message}\0{part}").into_bytes()
}

/// A new random id: 32 lowercase hex digits.
pub(crate) fn new_id() -> Result<String, VaultError> {
    Ok(random_bytes::<16>()?
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Request ids are 32 lowercase hex digits; anything else is no request.
fn is_request_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A new request, checked: what `submit_request` decided before it looks anything up.
pub(crate) struct Intake {
    pub(crate) request_type: RequestType,
    pub(crate) deadline: Deadline,
    pub(crate) blind_index: Vec<u8>,
    pub(crate) channel: String,
    pub(crate) received_at: Timestamp,
    pub(crate) details: RequestDetails,
    pub(crate) tenant: Option<TenantId>,
    pub(crate) identity: skydd_subject::Identity,
    pub(crate) held_elsewhere: bool,
}

/// What a new request sends: the code (stored as a hash), the letters, and a word for the
/// event saying whether the code went out.
#[derive(Default)]
pub(crate) struct IntakeLetters {
    pub(crate) code: Option<VerificationCodeRow>,
    pub(crate) outbox: Vec<OutboxMessageRow>,
    pub(crate) detail: Option<String>,
}

/// Details kept encrypted with a request. `Debug` shows which are given, never a value.
#[derive(Clone, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct RequestDetails {
    /// The register purpose id an objection or consent withdrawal concerns, as given at intake.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) purpose: Option<String>,
    /// A correction the person proposes (privacy centre, Art. 16), for staff to check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) correction: Option<crate::centre::ProposedValue>,
    /// What the person wrote with the request (privacy centre), in their words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) message: Option<String>,
    /// Filed on the person's behalf by someone else: only the person's code verifies it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) on_behalf: bool,
}

impl std::fmt::Debug for RequestDetails {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestDetails")
            .field("purpose", &self.purpose)
            .field("correction", &self.correction)
            .field("message", &self.message.as_ref().map(|_| "<given>"))
            .field("on_behalf", &self.on_behalf)
            .finish()
    }
}

impl Vault {
    /// The controller's time zone (dates shown to people, deadlines).
    pub(crate) fn request_zone(&self) -> TimeZone {
        stockholm()
    }

    /// The public holidays of the controller's country: Sweden's built in, otherwise the dates
    /// the register lists.
    pub(crate) fn holiday_calendar(&self) -> HolidayCalendar {
        HolidayCalendar::for_register(self.register())
    }

    /// The first deadline of a request: the register's promised response time or the month of
    /// Art. 12(3), whichever ends first.
    pub(crate) fn response_deadline(&self, received_at: Timestamp) -> Deadline {
        skydd_requests::response_deadline(
            self.register(),
            received_at,
            &self.request_zone(),
            &self.holiday_calendar(),
        )
    }

    /// Register a request. The identity is looked up by blind index; a code goes to a known
    /// subject's e-mail address (or to the e-mail identity itself when `held_elsewhere`), never
    /// to an unknown identity, and the answer is the same.
    pub async fn submit_request(
        &self,
        actor: &Actor,
        new: NewRequest,
        now: Timestamp,
    ) -> Result<RequestReceipt, VaultError> {
        let intake = self.check_intake(actor, new, now)?;
        let kind = intake.identity.kind().as_str();
        let tenant = intake.tenant.as_ref().map(TenantId::as_str);
        let subject = self
            .storage
            .find_subject_by_identity(tenant, kind, &intake.blind_index)
            .await?
            .map(|s| s.id);
        let id = new_id()?;
        // The state a known subject's request reaches is also given to an unknown identity,
        // so the answer does not tell whether someone is a customer.
        let state = RequestState::on_intake(intake.request_type, intake.tenant.is_some());
        let needs_decision = match &subject {
            Some(subject) => self.copies_decision(subject, &intake).await?,
            None => None,
        };
        let address = match &subject {
            Some(subject) if intake.tenant.is_none() => self.subject_email(subject).await?,
            None if intake.held_elsewhere
                && intake.tenant.is_none()
                && intake.identity.kind() == skydd_subject::IdentityKind::Email =>
            {
                Some(intake.identity.expose().to_owned())
            }
            _ => None,
        };
        let letters = self.intake_letters(&id, &intake, state, &subject, address, now)?;
        let mut row = self.new_request_row(&id, &intake, state, subject.clone(), now)?;
        row.needs_decision = needs_decision;
        let event = RequestEventRow {
            seq: 0,
            request_id: id.clone(),
            at: now,
            actor: actor.id.clone(),
            action: if row.routed_to_controller {
                RequestAction::RoutedToController
            } else {
                RequestAction::Received
            }
            .as_str()
            .to_string(),
            from_state: None,
            to_state: state.as_str().to_string(),
            detail: letters.detail,
        };
        self.storage
            .insert_request(NewRequestRows {
                request: row,
                event,
                later_events: Vec::new(),
                code: letters.code,
                outbox: letters.outbox,
            })
            .await?;
        self.audit(
            actor,
            now,
            "request.receive",
            None,
            subject.as_deref(),
            Vec::new(),
            intake.request_type.as_str(),
        )
        .await?;
        Ok(RequestReceipt {
            id,
            state,
            due_at: intake.deadline.due_at,
            unrolled_due: intake.deadline.unrolled.to_string(),
        })
    }

    /// Check a new request against the register and the formats, before anything is looked up
    /// or written; count its deadline and the identity's blind index.
    fn check_intake(
        &self,
        actor: &Actor,
        new: NewRequest,
        now: Timestamp,
    ) -> Result<Intake, VaultError> {
        if !CHANNELS.contains(&new.channel.as_str()) {
            return Err(VaultError::invalid(
                "`channel` is not a known channel",
                format!("use one of: {}", CHANNELS.join(", ")),
            ));
        }
        let received_at = new.received_at.unwrap_or(now);
        if received_at > now {
            return Err(VaultError::invalid(
                "`received_at` is in the future",
                "give the time the request arrived, or leave it out",
            ));
        }
        if received_at < skydd_register::GDPR_APPLIES {
            return Err(VaultError::invalid(
                format!(
                    "`received_at` is before the GDPR applies ({})",
                    skydd_register::GDPR_APPLIES
                ),
                "give the time the request arrived (check the year), or leave it out",
            ));
        }
        if let Some(purpose) = &new.purpose
            && self
                .register()
                .purpose(&skydd_register::model::PurposeId(purpose.clone()))
                .is_none()
        {
            return Err(VaultError::invalid(
                "`purpose` is not a purpose of the register",
                "use a purpose id from the register (GET /v1/register)",
            ));
        }
        let tenant = new
            .tenant
            .as_deref()
            .or(actor.tenant.as_deref())
            .map(|t| {
                TenantId::parse(t).map_err(|e| {
                    VaultError::invalid(
                        format!("invalid tenant: {e}"),
                        "tenant ids are lower case letters, digits, - and _",
                    )
                })
            })
            .transpose()?;
        let identity = parse_identity(&new.identity_kind, &new.identity_value, now)?;
        let blind_index = self
            .keyring
            .blind_index_key()
            .blind_index(identity.kind().as_str(), identity.expose())
            .to_vec();
        Ok(Intake {
            request_type: new.request_type,
            deadline: self.response_deadline(received_at),
            blind_index,
            channel: new.channel,
            received_at,
            details: RequestDetails {
                purpose: new.purpose,
                on_behalf: new.on_behalf,
                ..RequestDetails::default()
            },
            tenant,
            identity,
            held_elsewhere: new.held_elsewhere,
        })
    }

    /// Why a copy for a known subject needs an admin's decision (Art. 12(5)): the register's
    /// free copies of this type are used up. None for other types.
    pub(crate) async fn copies_decision(
        &self,
        subject: &str,
        intake: &Intake,
    ) -> Result<Option<String>, VaultError> {
        if !intake.request_type.discloses_data() {
            return Ok(None);
        }
        let mut earlier = Vec::new();
        for row in self.storage.requests_of_subject(subject).await? {
            if stored_type(&row.request_type)? == intake.request_type
                && stored_state(&row.state)? == RequestState::Completed
            {
                earlier.push(row.received_at);
            }
        }
        Ok(
            match copy_allowance(&self.register().rights.copies, &earlier, intake.received_at) {
                CopyAllowance::NeedsDecision { reason, .. } => Some(reason),
                _ => None,
            },
        )
    }

    /// The code and letters a new request sends. A request waiting for a code gets one even for
    /// an unknown identity (or one without an e-mail address), but nobody is told it.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn intake_letters(
        &self,
        id: &str,
        intake: &Intake,
        state: RequestState,
        subject: &Option<String>,
        address: Option<String>,
        now: Timestamp,
    ) -> Result<IntakeLetters, VaultError> {
        let mut letters = IntakeLetters::default();
        let methods = &self.register().rights.identity_verification;
        if state == RequestState::Verifying
            && !skydd_requests::code_accepted(methods)
            && !intake.details.on_behalf
        {
            // P003-35: the register takes no code; staff confirm the identity
            // (`confirm_identity`) by a method it names, such as a signed written request.
            letters.detail = Some(format!(
                "no code: identity to be confirmed by {}",
                method_words(methods)
            ));
        } else if state == RequestState::Verifying {
            let (code_text, hash) = VerificationCode::generate(&random_bytes::<8>()?);
            letters.code = Some(VerificationCodeRow {
                request_id: id.to_string(),
                code_hash: hash.to_vec(),
                attempts: 0,
                issued_at: now,
            });
            if let Some(address) = &address {
                let expires_at = now
                    .checked_add(VerificationPolicy::default().ttl)
                    .unwrap_or(now);
                let letter =
                    self.letters()
                        .verification_code(&code_text, intake.request_type, expires_at);
                let mail = Mail::new("verification_code", letter);
                letters
                    .outbox
                    .push(self.seal_message(Some(id), address, &mail, now)?);
                letters.detail = Some("code sent".to_string());
            } else if subject.is_some() {
                letters.detail = Some("no e-mail address known: verify by other means".to_string());
            }
        }
        if let Some(address) = &address {
            let letter = self.letters().received(
                id,
                intake.request_type,
                intake.received_at,
                &intake.deadline,
            );
            let mail = Mail::new("received", letter);
            letters
                .outbox
                .push(self.seal_message(Some(id), address, &mail, now)?);
        }
        Ok(letters)
    }

    /// The stored row of a new request in its first `state`, its identity and details sealed
    /// under a data key of its own. The copy decision is filled in by the caller.
    pub(crate) fn new_request_row(
        &self,
        id: &str,
        intake: &Intake,
        state: RequestState,
        subject: Option<String>,
        now: Timestamp,
    ) -> Result<RequestRow, VaultError> {
        let kind = intake.identity.kind().as_str();
        let key = DataKey::generate()?;
        let wrapped = self.keyring.wrap(&key)?;
        let identity_ciphertext = key.seal(
            intake.identity.expose().as_bytes(),
            &request_identity_aad(id, kind),
        )?;
        let details_json =
            serde_json::to_vec(&intake.details).map_err(|e| VaultError::Corrupt(e.to_string()))?;
        let details_ciphertext = key.seal(&details_json, &request_details_aad(id))?;
        Ok(RequestRow {
            id: id.to_string(),
            request_type: intake.request_type.as_str().to_string(),
            state: state.as_str().to_string(),
            channel: intake.channel.clone(),
            tenant: intake.tenant.as_ref().map(|t| t.as_str().to_string()),
            subject_id: subject,
            identity_kind: kind.to_string(),
            identity_blind_index: intake.blind_index.clone(),
            key_version: wrapped.version,
            wrapped_key: wrapped.bytes,
            identity_ciphertext,
            details_ciphertext: Some(details_ciphertext),
            received_at: intake.received_at,
            due_at: intake.deadline.due_at,
            unrolled_due: intake.deadline.unrolled.to_string(),
            extended_months: 0,
            routed_to_controller: intake.tenant.is_some(),
            needs_decision: None,
            reasons: None,
            outcome: None,
            updated_at: now,
            closed_at: None,
            assignee: None,
        })
    }

    /// The first e-mail identity of a subject, decrypted.
    pub(crate) async fn subject_email(&self, subject: &str) -> Result<Option<String>, VaultError> {
        let identities = self.storage.identities_of_subject(subject).await?;
        let Some(email) = identities.into_iter().find(|i| i.kind == "email") else {
            return Ok(None);
        };
        let key = self.data_key(subject).await?;
        let plain = key.open(
            &email.ciphertext,
            &crate::crypto::identity_aad(subject, "email"),
        )?;
        String::from_utf8(plain.to_vec())
            .map(Some)
            .map_err(|_| VaultError::Corrupt("an identity is not text".into()))
    }

    /// The stored request `id`, or [`VaultError::UnknownRequest`]. A caller scoped to a tenant
    /// sees only that tenant's requests.
    pub(crate) async fn request_row(
        &self,
        actor: &Actor,
        id: &str,
    ) -> Result<RequestRow, VaultError> {
        if !is_request_id(id) {
            return Err(VaultError::UnknownRequest);
        }
        let row = self
            .storage
            .get_request(id)
            .await?
            .ok_or(VaultError::UnknownRequest)?;
        match &actor.tenant {
            Some(own) if row.tenant.as_deref() != Some(own.as_str()) => {
                Err(VaultError::UnknownRequest)
            }
            _ if !actor.sees_confidential && is_confidential(&row) => {
                // A complaint is the privacy officer's (P000-72): to anyone else it does not exist.
                Err(VaultError::UnknownRequest)
            }
            _ => Ok(row),
        }
    }

    /// The request's details, decrypted.
    pub(crate) fn request_details(&self, row: &RequestRow) -> Result<RequestDetails, VaultError> {
        let Some(sealed) = &row.details_ciphertext else {
            return Ok(RequestDetails::default());
        };
        let key = self.keyring.unwrap(&WrappedKey {
            version: row.key_version,
            bytes: row.wrapped_key.clone(),
        })?;
        let plain = key.open(sealed, &request_details_aad(&row.id))?;
        serde_json::from_slice(&plain).map_err(|_| VaultError::Corrupt("request details".into()))
    }

    /// Check a one-time code. A wrong code counts an attempt; after the last attempt, or once
    /// expired, the request cannot be verified by code any more.
    pub async fn verify_request(
        &self,
        actor: &Actor,
        id: &str,
        code: &str,
        now: Timestamp,
    ) -> Result<RequestReceipt, VaultError> {
        let row = self.request_row(actor, id).await?;
        let methods = &self.register().rights.identity_verification;
        if !skydd_requests::code_accepted(methods) && !self.request_details(&row)?.on_behalf {
            return Err(VaultError::RequestState {
                what: format!(
                    "request {id} is verified by {}, not by a code",
                    method_words(methods)
                ),
                help: "staff confirm the identity once they have it \
                       (POST /v1/requests/{id}/identity with the method)"
                    .into(),
            });
        }
        // The move is checked before the code, so a request in any other state counts no
        // attempt and writes nothing.
        let verified = stored_state(&row.state)?
            .transition(RequestState::Verified)
            .map_err(|e| VaultError::RequestState {
                what: format!("request {id} is {}, not waiting for a code", e.from),
                help: "only a request in state verifying takes a code".into(),
            })?;
        self.check_code(actor, &row, code, now).await?;
        let subject = row.subject_id.clone();
        let next = with_state(&row, verified, now);
        self.change(
            row,
            next,
            actor,
            now,
            RequestAction::Verified,
            None,
            ChangeExtras::default(),
        )
        .await?;
        self.audit(
            actor,
            now,
            "request.verify",
            None,
            subject.as_deref(),
            Vec::new(),
            "verified",
        )
        .await?;
        self.receipt(actor, id).await
    }

    /// The receipt of request `id` as it stands now (read again after a change).
    async fn receipt(&self, actor: &Actor, id: &str) -> Result<RequestReceipt, VaultError> {
        let row = self.request_row(actor, id).await?;
        Ok(RequestReceipt {
            state: stored_state(&row.state)?,
            id: row.id,
            due_at: row.due_at,
            unrolled_due: row.unrolled_due,
        })
    }

    /// Staff confirm a requester's identity by `method` (its word: `signed_request` ...), one
    /// the register's
    /// `rights.identity_verification` names other than a code: a signed written request
    /// (`signed_request`, P003-35), an identity document they saw (`id_document`), the
    /// customer's confirmation, the person signed in to their account. Moves a request waiting
    /// in `verifying` to `verified`; the request's history and the audit trail
    /// (`request.verify`, `verified`) name the method. Refused: a method the register does not
    /// name or that is no method at all, a code method (a code is checked with
    /// [`Vault::verify_request`]), a request in another state.
    pub async fn confirm_identity(
        &self,
        actor: &Actor,
        id: &str,
        method: &str,
        now: Timestamp,
    ) -> Result<RequestReceipt, VaultError> {
        let methods = &self.register().rights.identity_verification;
        let method = VerificationMethod::ALL
            .iter()
            .find(|(word, _)| *word == method)
            .map(|(_, method)| *method)
            .ok_or_else(|| {
                VaultError::invalid(
                    "`method` is not an identity verification method",
                    format!(
                        "use a method of `rights.identity_verification`: {}",
                        method_words(methods)
                    ),
                )
            })?;
        if matches!(
            method,
            VerificationMethod::EmailCode | VerificationMethod::SmsCode
        ) {
            return Err(VaultError::invalid(
                format!("`{}` is proved with the code, not confirmed", method.word()),
                "the requester sends the code (POST /v1/requests/{id}/verify)",
            ));
        }
        if !methods.contains(&method) {
            return Err(VaultError::invalid(
                format!(
                    "the register does not verify identity by `{}`",
                    method.word()
                ),
                format!(
                    "use a method of `rights.identity_verification`: {}",
                    method_words(methods)
                ),
            ));
        }
        let row = self.request_row(actor, id).await?;
        if self.request_details(&row)?.on_behalf {
            return Err(VaultError::RequestState {
                what: format!(
                    "request {id} was filed on the person's behalf: the person confirms it themselves"
                ),
                help: "the person sends the code they were given (POST /v1/requests/{id}/verify)"
                    .into(),
            });
        }
        let verified = stored_state(&row.state)?
            .transition(RequestState::Verified)
            .map_err(|e| VaultError::RequestState {
                what: format!("request {id} is {}, not waiting for its identity", e.from),
                help: "only a request in state verifying has its identity confirmed".into(),
            })?;
        let subject = row.subject_id.clone();
        let next = with_state(&row, verified, now);
        let detail = format!("method:{}", method.word());
        self.change(
            row,
            next,
            actor,
            now,
            RequestAction::Verified,
            Some(detail.clone()),
            ChangeExtras::default(),
        )
        .await?;
        self.audit_with_detail(
            actor,
            now,
            "request.verify",
            None,
            subject.as_deref(),
            Vec::new(),
            "verified",
            Some(detail),
        )
        .await?;
        self.receipt(actor, id).await
    }

    /// Check `code` against the request's stored hash. A refusal is audited, and a wrong code
    /// counts an attempt; nothing else is written.
    async fn check_code(
        &self,
        actor: &Actor,
        row: &RequestRow,
        code: &str,
        now: Timestamp,
    ) -> Result<(), VaultError> {
        let stored = self
            .storage
            .verification_code(&row.id)
            .await?
            .ok_or_else(|| VaultError::Corrupt("a verifying request has no code".into()))?;
        let hash: [u8; 32] = stored
            .code_hash
            .as_slice()
            .try_into()
            .map_err(|_| VaultError::Corrupt("a code hash".into()))?;
        let checked = VerificationCode::check(
            code,
            &hash,
            stored.attempts,
            stored.issued_at,
            now,
            VerificationPolicy::default(),
        );
        let Err(error) = checked else {
            return Ok(());
        };
        if error.counts_as_attempt() {
            self.storage.count_code_attempt(&row.id).await?;
        }
        self.audit(
            actor,
            now,
            "request.verify",
            None,
            row.subject_id.as_deref(),
            Vec::new(),
            "refused",
        )
        .await?;
        Err(VaultError::Verification(error))
    }

    /// Store an identity document for an open request, encrypted with a key of its own; it is
    /// destroyed, bytes and key, when the request closes. Its type is read from its content
    /// ([`document_media_type`]); a `declared` type (the `Content-Type` sent) that disagrees is
    /// refused, naming both.
    pub async fn upload_document(
        &self,
        actor: &Actor,
        id: &str,
        declared: &str,
        bytes: &[u8],
        now: Timestamp,
    ) -> Result<String, VaultError> {
        if !DOCUMENT_MEDIA_TYPES.contains(&declared) {
            return Err(VaultError::invalid(
                "unsupported document type",
                format!("send one of: {}", DOCUMENT_MEDIA_TYPES.join(", ")),
            ));
        }
        if let Some(found) = document_media_type(bytes)
            && found != declared
        {
            return Err(VaultError::invalid(
                format!("the document was sent as {declared} but its content is {found}"),
                format!("send it with the type {found}, or send the file you meant"),
            ));
        }
        self.store_document(actor, id, bytes, now).await
    }

    /// Store an identity document whose type only its content says (the privacy centre's
    /// upload): as [`Vault::upload_document`] without a declared type.
    pub async fn upload_document_by_content(
        &self,
        actor: &Actor,
        id: &str,
        bytes: &[u8],
        now: Timestamp,
    ) -> Result<String, VaultError> {
        self.store_document(actor, id, bytes, now).await
    }

    /// Check the request, the size and the content's type, then seal and store the document.
    async fn store_document(
        &self,
        actor: &Actor,
        id: &str,
        bytes: &[u8],
        now: Timestamp,
    ) -> Result<String, VaultError> {
        let row = self.request_row(actor, id).await?;
        if stored_state(&row.state)?.is_closed() {
            return Err(VaultError::RequestState {
                what: format!("request {id} is {}", row.state),
                help: "documents can be added only to an open request".into(),
            });
        }
        if bytes.is_empty() || bytes.len() > MAX_DOCUMENT_BYTES {
            return Err(VaultError::invalid(
                "the document is empty or larger than 10 MiB",
                "send a scan of at most 10 MiB",
            ));
        }
        let Some(media_type) = document_media_type(bytes) else {
            return Err(VaultError::invalid(
                "the document is not a PDF, JPEG or PNG file",
                "send a scan or photo as PDF, JPEG or PNG",
            ));
        };
        let document = new_id()?;
        let key = DataKey::generate()?;
        let wrapped = self.keyring.wrap(&key)?;
        let ciphertext = key.seal(bytes, &document_aad(id, &document))?;
        self.storage
            .insert_request_document(RequestDocumentRow {
                id: document.clone(),
                request_id: id.to_string(),
                media_type: media_type.to_string(),
                key_version: wrapped.version,
                wrapped_key: wrapped.bytes,
                ciphertext,
                uploaded_at: now,
            })
            .await?;
        self.audit(
            actor,
            now,
            "request.document",
            None,
            row.subject_id.as_deref(),
            Vec::new(),
            "stored",
        )
        .await?;
        Ok(document)
    }

    /// The identity documents of a request, decrypted (media type and bytes), for the DPO.
    pub async fn request_documents(
        &self,
        actor: &Actor,
        id: &str,
        now: Timestamp,
    ) -> Result<Vec<(String, Vec<u8>)>, VaultError> {
        let row = self.request_row(actor, id).await?;
        let mut out = Vec::new();
        for document in self.storage.request_documents(id).await? {
            let key = self.keyring.unwrap(&WrappedKey {
                version: document.key_version,
                bytes: document.wrapped_key,
            })?;
            let plain = key.open(&document.ciphertext, &document_aad(id, &document.id))?;
            out.push((document.media_type, plain.to_vec()));
        }
        self.audit(
            actor,
            now,
            "request.document.read",
            None,
            row.subject_id.as_deref(),
            Vec::new(),
            "done",
        )
        .await?;
        Ok(out)
    }

    /// Extend the deadline by `months` (1 or 2 in total), before the first month ends; the
    /// subject is told the new date and the reasons (Art. 12(3)).
    pub async fn extend_request(
        &self,
        actor: &Actor,
        id: &str,
        months: u32,
        reason: &str,
        now: Timestamp,
    ) -> Result<RequestView, VaultError> {
        let row = self.request_row(actor, id).await?;
        if stored_state(&row.state)?.is_closed() {
            return Err(VaultError::RequestState {
                what: format!("request {id} is {}", row.state),
                help: "only an open request can be extended".into(),
            });
        }
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(VaultError::invalid(
                "`reason` is empty",
                "say why the request needs more time (complexity, number of requests)",
            ));
        }
        let deadline = skydd_requests::extend(
            row.received_at,
            row.extended_months,
            months,
            now,
            &self.request_zone(),
            &self.holiday_calendar(),
        )
        .map_err(|e| {
            VaultError::invalid(
                e.to_string(),
                "extend within the first month, by at most two months in total",
            )
        })?;
        let mut next = row.clone();
        next.extended_months += months;
        next.due_at = deadline.due_at;
        next.unrolled_due = deadline.unrolled.to_string();
        next.reasons = Some(reason.to_string());
        next.updated_at = now;
        let mut extras = ChangeExtras::default();
        if let Some(address) = self.request_address(&row).await? {
            let mail = Mail::new(
                "extension",
                self.letters().extension(
                    id,
                    stored_type(&row.request_type)?,
                    row.received_at,
                    &deadline,
                    reason,
                ),
            );
            extras
                .outbox
                .push(self.seal_message(Some(id), &address, &mail, now)?);
        }
        self.change(
            row,
            next,
            actor,
            now,
            RequestAction::Extended,
            Some(format!("{months} month(s)")),
            extras,
        )
        .await?;
        self.request(actor, id, now).await
    }

    /// Reject a request with reasons; the subject is told them and the right to complain to
    /// the supervisory authority and to a court (Art. 12(4)).
    pub async fn reject_request(
        &self,
        actor: &Actor,
        id: &str,
        reasons: &str,
        now: Timestamp,
    ) -> Result<RequestView, VaultError> {
        let row = self.request_row(actor, id).await?;
        let reasons = reasons.trim();
        if reasons.is_empty() {
            return Err(VaultError::invalid(
                "`reasons` is empty",
                "a rejection must state its reasons (Art. 12(4))",
            ));
        }
        let rejected = stored_state(&row.state)?
            .transition(RequestState::Rejected)
            .map_err(|e| VaultError::RequestState {
                what: format!("request {id}: {e}"),
                help: "a closed request cannot be rejected".into(),
            })?;
        let mut next = with_state(&row, rejected, now);
        next.reasons = Some(reasons.to_string());
        next.closed_at = Some(now);
        let mut extras = ChangeExtras {
            destroy_evidence: true,
            ..ChangeExtras::default()
        };
        if let Some(address) = self.request_address(&row).await? {
            let mail = Mail::new(
                "rejection",
                self.letters()
                    .rejection(id, stored_type(&row.request_type)?, reasons),
            );
            extras
                .outbox
                .push(self.seal_message(Some(id), &address, &mail, now)?);
        }
        self.change(row, next, actor, now, RequestAction::Rejected, None, extras)
            .await?;
        self.request(actor, id, now).await
    }

    /// Assign the open request `id` to `assignee` (a staff account id or a token id; `None`:
    /// to nobody), as a request event (`assigned` with the assignee in its detail, or
    /// `unassigned`) and an audit event (`request.assign`). The state does not change. A
    /// closed request cannot be assigned; an id that is not [`is_assignee_id`] is refused
    /// without being repeated.
    pub async fn assign_request(
        &self,
        actor: &Actor,
        id: &str,
        assignee: Option<&str>,
        now: Timestamp,
    ) -> Result<RequestView, VaultError> {
        if assignee.is_some_and(|a| !is_assignee_id(a)) {
            return Err(VaultError::invalid(
                "`assignee` is not an account or token id",
                "give the id of a staff account or an API token (letters, digits, `-`, `_`, \
                 `:`; at most 128), or null to unassign",
            ));
        }
        let row = self.request_row(actor, id).await?;
        let state = stored_state(&row.state)?;
        if state.is_closed() {
            return Err(VaultError::RequestState {
                what: format!("request {id} is {state} and cannot be assigned"),
                help: "only an open request is assigned".into(),
            });
        }
        let (action, detail) = match assignee {
            Some(who) => (RequestAction::Assigned, Some(format!("to {who}"))),
            None => (RequestAction::Unassigned, None),
        };
        let assigned = self
            .storage
            .assign_request(
                assignee.map(str::to_string),
                RequestEventRow {
                    seq: 0,
                    request_id: id.to_string(),
                    at: now,
                    actor: actor.id.clone(),
                    action: action.as_str().to_string(),
                    from_state: Some(row.state.clone()),
                    to_state: row.state.clone(),
                    detail: detail.clone(),
                },
            )
            .await?;
        if !assigned {
            return Err(VaultError::RequestState {
                what: format!("request {id} was changed by someone else meanwhile"),
                help: "read it again and retry".into(),
            });
        }
        self.audit_with_detail(
            actor,
            now,
            "request.assign",
            None,
            row.subject_id.as_deref(),
            Vec::new(),
            "done",
            Some(format!(
                "request {id} {}",
                detail.as_deref().unwrap_or("to nobody")
            )),
        )
        .await?;
        self.request(actor, id, now).await
    }

    /// One request with its history.
    pub async fn request(
        &self,
        actor: &Actor,
        id: &str,
        now: Timestamp,
    ) -> Result<RequestView, VaultError> {
        let row = self.request_row(actor, id).await?;
        let events = self.storage.request_events(id).await?;
        let notices = self.storage.recipient_notifications(id).await?;
        let mut view = request_view(row, now)?;
        view.recipient_notifications = notices
            .into_iter()
            .map(|n| {
                Ok(RecipientNoticeView {
                    action: stored_action(&n.action)?,
                    state: stored_notice_state(&n.state)?,
                    recipient: n.recipient,
                    categories: n.categories.split(',').map(str::to_string).collect(),
                })
            })
            .collect::<Result<_, VaultError>>()?;
        view.events = events
            .into_iter()
            .map(|e| {
                Ok(RequestEventView {
                    from_state: e.from_state.as_deref().map(stored_state).transpose()?,
                    to_state: stored_state(&e.to_state)?,
                    at: e.at,
                    actor: e.actor,
                    action: e.action,
                    detail: e.detail,
                })
            })
            .collect::<Result<_, VaultError>>()?;
        Ok(view)
    }

    /// Requests matching `query`, by due time.
    pub async fn list_requests(
        &self,
        actor: &Actor,
        query: RequestQuery,
        now: Timestamp,
    ) -> Result<Vec<RequestView>, VaultError> {
        let mut filter = RequestFilter {
            tenant: actor.tenant.clone().or(query.tenant),
            due_before: query.due_before,
            ..RequestFilter::default()
        };
        match query.state {
            None => {}
            Some(StateFilter::Open) => filter.open_only = true,
            Some(StateFilter::Is(state)) => filter.state = Some(state.as_str().to_string()),
        }
        match query.assignee {
            None => {}
            Some(AssigneeFilter::Nobody) => filter.unassigned = true,
            Some(AssigneeFilter::Is(id)) => filter.assignee = Some(id),
        }
        if query.overdue {
            filter.open_only = true;
            filter.due_before = Some(filter.due_before.map_or(now, |d| d.min(now)));
        }
        self.storage
            .list_requests(filter)
            .await?
            .into_iter()
            .filter(|row| actor.sees_confidential || !is_confidential(row))
            .map(|row| request_view(row, now))
            .collect()
    }

    /// Open requests due before `until` (for the server's daily warning): ids and due times.
    pub async fn requests_due_before(
        &self,
        until: Timestamp,
    ) -> Result<Vec<(String, Timestamp)>, VaultError> {
        let rows = self
            .storage
            .list_requests(RequestFilter {
                open_only: true,
                due_before: Some(until),
                ..RequestFilter::default()
            })
            .await?;
        Ok(rows.into_iter().map(|r| (r.id, r.due_at)).collect())
    }

    /// Where letters about a request go: the subject's e-mail address, if the subject is known
    /// and the request is not the tenant's to answer.
    pub(crate) async fn request_address(
        &self,
        row: &RequestRow,
    ) -> Result<Option<String>, VaultError> {
        match (&row.subject_id, row.routed_to_controller) {
            (Some(subject), false) => match self.storage.get_subject(subject).await? {
                Some(_) => self.subject_email(subject).await,
                None => Ok(None),
            },
            // A request about a customer only a connected database holds (`held_elsewhere`) was
            // verified with a code sent to the e-mail address it was made with: its letters go
            // there. An unknown identity never gets a code, so never reaches this state.
            (None, false)
                if row.identity_kind == "email"
                    && stored_state(&row.state).is_ok_and(|s| s.identity_checked()) =>
            {
                let key = self.keyring.unwrap(&WrappedKey {
                    version: row.key_version,
                    bytes: row.wrapped_key.clone(),
                })?;
                let plain = key.open(
                    &row.identity_ciphertext,
                    &request_identity_aad(&row.id, &row.identity_kind),
                )?;
                let address = String::from_utf8(plain.to_vec())
                    .map_err(|_| VaultError::Corrupt("a request's identity is not text".into()))?;
                Ok(Some(address))
            }
            _ => Ok(None),
        }
    }

    /// Store a change of a request with its event, compare-and-set on its state.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn change(
        &self,
        before: RequestRow,
        after: RequestRow,
        actor: &Actor,
        now: Timestamp,
        action: RequestAction,
        detail: Option<String>,
        extras: ChangeExtras,
    ) -> Result<(), VaultError> {
        let id = before.id.clone();
        let changed = self
            .storage
            .change_request(RequestChange {
                event: RequestEventRow {
                    seq: 0,
                    request_id: id.clone(),
                    at: now,
                    actor: actor.id.clone(),
                    action: action.as_str().to_string(),
                    from_state: Some(before.state.clone()),
                    to_state: after.state.clone(),
                    detail,
                },
                request: after,
                expected_state: before.state,
                outbox: extras.outbox,
                notifications: extras.notifications,
                new_code: None,
                destroy_evidence: extras.destroy_evidence,
            })
            .await?;
        if changed {
            Ok(())
        } else {
            Err(VaultError::RequestState {
                what: format!("request {id} was changed by someone else meanwhile"),
                help: "read it again and retry".into(),
            })
        }
    }

    /// Encrypt a letter for the outbox under a key of its own.
    pub(crate) fn seal_message(
        &self,
        request: Option<&str>,
        address: &str,
        mail: &Mail,
        now: Timestamp,
    ) -> Result<OutboxMessageRow, VaultError> {
        self.seal_message_as(new_id()?, request, address, mail, now)
    }

    /// [`Vault::seal_message`] with a chosen id (one derived from what the message announces, so
    /// that queueing it again is recognised and skipped).
    pub(crate) fn seal_message_as(
        &self,
        id: String,
        request: Option<&str>,
        address: &str,
        mail: &Mail,
        now: Timestamp,
    ) -> Result<OutboxMessageRow, VaultError> {
        let key = DataKey::generate()?;
        let wrapped = self.keyring.wrap(&key)?;
        let body = serde_json::to_vec(&serde_json::json!({
            "subject": mail.subject,
            "text": mail.text,
        }))
        .map_err(|e| VaultError::Corrupt(e.to_string()))?;
        Ok(OutboxMessageRow {
            address_ciphertext: key.seal(address.as_bytes(), &outbox_aad(&id, "address"))?,
            body_ciphertext: key.seal(&body, &outbox_aad(&id, "body"))?,
            id,
            request_id: request.map(str::to_string),
            kind: mail.kind.to_string(),
            key_version: wrapped.version,
            wrapped_key: wrapped.bytes,
            state: OutboxState::Queued.as_str().to_string(),
            attempts: 0,
            next_attempt_at: now,
            created_at: now,
            sent_at: None,
            last_error: None,
        })
    }

    pub(crate) fn open_message(&self, row: OutboxMessageRow) -> Result<OutboxView, VaultError> {
        let key = self.keyring.unwrap(&WrappedKey {
            version: row.key_version,
            bytes: row.wrapped_key.clone(),
        })?;
        let to = key.open(&row.address_ciphertext, &outbox_aad(&row.id, "address"))?;
        let body = key.open(&row.body_ciphertext, &outbox_aad(&row.id, "body"))?;
        let body: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|_| VaultError::Corrupt("an outbox message".into()))?;
        let text_of = |name: &str| body[name].as_str().unwrap_or_default().to_string();
        Ok(OutboxView {
            to: String::from_utf8(to.to_vec())
                .map_err(|_| VaultError::Corrupt("an outbox address".into()))?,
            subject: text_of("subject"),
            text: text_of("text"),
            id: row.id,
            request_id: row.request_id,
            kind: row.kind,
            state: stored_outbox_state(&row.state)?,
            attempts: row.attempts,
            next_attempt_at: row.next_attempt_at,
            created_at: row.created_at,
            sent_at: row.sent_at,
            last_error: row.last_error,
        })
    }

    /// The outbox (messages in `state`, or all), decrypted for the operator. Audited. An
    /// operator's word is parsed at the edge with [`OutboxState::parse`].
    pub async fn outbox(
        &self,
        actor: &Actor,
        state: Option<OutboxState>,
        now: Timestamp,
    ) -> Result<Vec<OutboxView>, VaultError> {
        let rows = self
            .storage
            .outbox_messages(state.map(OutboxState::as_str))
            .await?;
        let views = rows
            .into_iter()
            .map(|row| self.open_message(row))
            .collect::<Result<Vec<_>, _>>()?;
        self.audit(actor, now, "outbox.read", None, None, Vec::new(), "done")
            .await?;
        Ok(views)
    }

    /// The letters about request `id`, oldest first, without opening them: kind, state and
    /// times only, so listing them reads no personal data (the request's tenant is checked as
    /// for every read of the request).
    pub async fn request_letters(
        &self,
        actor: &Actor,
        id: &str,
    ) -> Result<Vec<LetterView>, VaultError> {
        let row = self.request_row(actor, id).await?;
        self.letter_views(&row.id).await
    }

    /// The letters about request `id` (already checked), oldest first, unopened.
    pub(crate) async fn letter_views(&self, id: &str) -> Result<Vec<LetterView>, VaultError> {
        self.storage
            .request_messages(id)
            .await?
            .into_iter()
            .map(|m| {
                Ok(LetterView {
                    state: stored_outbox_state(&m.state)?,
                    id: m.id,
                    kind: m.kind,
                    attempts: m.attempts,
                    created_at: m.created_at,
                    sent_at: m.sent_at,
                })
            })
            .collect()
    }

    /// Up to `limit` messages due for delivery at `now`, decrypted for the mailer.
    pub async fn outbox_due(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<OutboxView>, VaultError> {
        self.storage
            .outbox_due(now, limit)
            .await?
            .into_iter()
            .map(|row| self.open_message(row))
            .collect()
    }

    /// Record the outcome of a delivery attempt: sent, or retried later with back-off (two
    /// minutes, doubling, at most a day), given up after [`MAX_DELIVERY_ATTEMPTS`] or at once
    /// when the error is `permanent`. `error` is the mailer's message, which never holds an
    /// address or body. A message given up stays listed as `failed`: never silently dropped.
    pub async fn record_delivery(
        &self,
        message: &OutboxView,
        error: Option<&str>,
        permanent: bool,
        now: Timestamp,
    ) -> Result<(), VaultError> {
        let stored = self
            .storage
            .outbox_messages(Some(OutboxState::Queued.as_str()))
            .await?
            .into_iter()
            .find(|m| m.id == message.id);
        let Some(mut row) = stored else {
            return Ok(());
        };
        row.attempts += 1;
        match error {
            None => {
                row.state = OutboxState::Sent.as_str().to_string();
                row.sent_at = Some(now);
                row.last_error = None;
            }
            Some(error) => {
                row.last_error = Some(error.to_string());
                if permanent || row.attempts >= MAX_DELIVERY_ATTEMPTS {
                    row.state = OutboxState::Failed.as_str().to_string();
                } else {
                    let minutes = (1i64 << row.attempts.min(11)).min(24 * 60);
                    row.next_attempt_at = now
                        .checked_add(jiff::SignedDuration::from_mins(minutes))
                        .unwrap_or(now);
                }
            }
        }
        self.storage.record_outbox_attempt(row).await?;
        Ok(())
    }
}

/// What else a request change stores in its transaction.
#[derive(Debug, Default)]
pub(crate) struct ChangeExtras {
    /// Letters to queue.
    pub(crate) outbox: Vec<OutboxMessageRow>,
    /// Art. 19 notifications to queue.
    pub(crate) notifications: Vec<skydd_storage::RecipientNotificationRow>,
    /// Destroy the code and identity documents.
    pub(crate) destroy_evidence: bool,
}

pub(crate) fn request_view(row: RequestRow, now: Timestamp) -> Result<RequestView, VaultError> {
    let outcome = row
        .outcome
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|_| VaultError::Corrupt("a request outcome".into()))?;
    Ok(RequestView {
        overdue: row.closed_at.is_none() && row.due_at < now,
        extended: row.extended_months > 0,
        request_type: stored_type(&row.request_type)?,
        state: stored_state(&row.state)?,
        id: row.id,
        channel: row.channel,
        tenant: row.tenant,
        subject_id: row.subject_id,
        identity_kind: row.identity_kind,
        received_at: row.received_at,
        due_at: row.due_at,
        unrolled_due: row.unrolled_due,
        extended_months: row.extended_months,
        routed_to_controller: row.routed_to_controller,
        needs_decision: row.needs_decision,
        reasons: row.reasons,
        outcome,
        closed_at: row.closed_at,
        events: Vec::new(),
        recipient_notifications: Vec::new(),
        assignee: row.assignee,
    })
}

/// The register's identity methods as their words, comma-separated (`signed_request,
/// id_document`), for messages.
fn method_words(methods: &[VerificationMethod]) -> String {
    methods
        .iter()
        .map(|m| m.word())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether `row` is a request only those who see confidential requests may see (a complaint).
/// A type this version does not know is not confidential (its own checks refuse it).
fn is_confidential(row: &RequestRow) -> bool {
    row.request_type
        .parse::<RequestType>()
        .is_ok_and(RequestType::is_confidential)
}
