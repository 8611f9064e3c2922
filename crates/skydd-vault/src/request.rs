//! Data-subject requests (Art. 12-22): intake, identity check by one-time code, identity
//! documents, deadlines and extensions, rejection, listing, and the outbox of letters to the
//! subject.
//!
//! A request never reveals whether someone is a customer: an unknown identity gets a request id
//! and the same answer as a known one, but the code (and every other letter) goes only to an
//! identity the vault knows. The identity a request was made with is stored as a blind index and
//! a ciphertext under the request's own data key; codes only as hashes. A request about a
//! tenant's subject (processor mode) is queued for that tenant and never fulfilled on Skydd's own
//! authority. Every change is a compare-and-set on the request's state that appends an event
//! with actor and time in the same transaction; closing a request destroys its code and its
//! identity documents (bytes and keys).

use jiff::Timestamp;
use jiff::tz::TimeZone;
use skydd_crypto::{DataKey, WrappedKey, random_bytes};
use skydd_register::zone::stockholm;
use skydd_requests::{
    CopyAllowance, Deadline, HolidayCalendar, RequestState, RequestType, VerificationCode,
    VerificationPolicy, copy_allowance,
};
use skydd_storage::{
    NewRequestRows, OutboxMessageRow, RequestChange, RequestDocumentRow, RequestEventRow,
    RequestFilter, RequestRow, VerificationCodeRow,
};
use skydd_subject::TenantId;

use crate::letters::Mail;
use crate::subject::parse_identity;
use crate::{Actor, Vault, VaultError};

/// How a request arrived.
pub const CHANNELS: [&str; 5] = ["web", "email", "letter", "phone", "api"];

/// The largest identity document accepted, in bytes.
pub const MAX_DOCUMENT_BYTES: usize = 10 * 1024 * 1024;

/// Media types accepted for identity documents.
pub const DOCUMENT_MEDIA_TYPES: [&str; 3] = ["application/pdf", "image/jpeg", "image/png"];

/// A request as submitted.
#[derive(Debug, Clone, Default)]
pub struct NewRequest {
    /// The type (`access`, `erasure`, ...).
    pub request_type: String,
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
}

/// What the submitter is told: the same shape whether or not the identity is known.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RequestReceipt {
    /// The request id.
    pub id: String,
    /// Its state.
    pub state: String,
    /// The end of the due day (Art. 12(3)).
    pub due_at: Timestamp,
    /// The due date before rolling to a working day.
    pub unrolled_due: String,
}

/// One event of a request's history.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RequestEventView {
    /// When.
    pub at: Timestamp,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// State before.
    pub from_state: Option<String>,
    /// State after.
    pub to_state: String,
    /// More (never a personal value).
    pub detail: Option<String>,
}

/// A request as the DPO sees it: no identity values.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RequestView {
    /// Id.
    pub id: String,
    /// Type.
    pub request_type: String,
    /// State.
    pub state: String,
    /// Channel.
    pub channel: String,
    /// Tenant (processor mode).
    pub tenant: Option<String>,
    /// The subject, once known.
    pub subject_id: Option<String>,
    /// The kind of identity the request was made with.
    pub identity_kind: String,
    /// Received.
    pub received_at: Timestamp,
    /// Due (end of the due day).
    pub due_at: Timestamp,
    /// Due date before rolling to a working day.
    pub unrolled_due: String,
    /// Whether the deadline was extended.
    pub extended: bool,
    /// Months of extension.
    pub extended_months: u32,
    /// Queued for the tenant (the controller) to decide.
    pub routed_to_controller: bool,
    /// Why an admin must decide on a fee or refusal (Art. 12(5)).
    pub needs_decision: Option<String>,
    /// Reasons given for an extension or rejection.
    pub reasons: Option<String>,
    /// What fulfilment did.
    pub outcome: Option<serde_json::Value>,
    /// Closed at.
    pub closed_at: Option<Timestamp>,
    /// Past due and still open at the time asked.
    pub overdue: bool,
    /// The history, oldest first (only when one request is shown).
    pub events: Vec<RequestEventView>,
    /// Recipients told of a rectification, erasure or restriction (Art. 19), with what they were
    /// told (only when one request is shown).
    pub recipient_notifications: Vec<RecipientNoticeView>,
}

/// A notification owed to a recipient (Art. 19).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RecipientNoticeView {
    /// The register's recipient id.
    pub recipient: String,
    /// `rectified`, `erased` or `restricted`.
    pub action: String,
    /// The categories concerned.
    pub categories: Vec<String>,
    /// `manual` (the register gives the recipient no `notify` address: send it by hand),
    /// `queued` (in the outbox), then `sent` or `failed` (the outbox gave up: send it by hand).
    pub state: String,
}

/// Which requests to list.
#[derive(Debug, Clone, Default)]
pub struct RequestQuery {
    /// A state, or `open` for every state not closed.
    pub state: Option<String>,
    /// Due before this instant.
    pub due_before: Option<Timestamp>,
    /// Only open requests past due.
    pub overdue: bool,
    /// Only this tenant's.
    pub tenant: Option<String>,
}

/// A message in the outbox, decrypted for the operator.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OutboxView {
    /// Id.
    pub id: String,
    /// The request, if any.
    pub request_id: Option<String>,
    /// Which letter.
    pub kind: String,
    /// `queued`, `sent` or `failed`.
    pub state: String,
    /// Delivery attempts.
    pub attempts: u32,
    /// Next attempt.
    pub next_attempt_at: Timestamp,
    /// Queued at.
    pub created_at: Timestamp,
    /// Sent at.
    pub sent_at: Option<Timestamp>,
    /// Last error.
    pub last_error: Option<String>,
    /// The address (personal data: shown to the operator only).
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Text.
    pub text: String,
}

/// The most delivery attempts before a message is given up (and stays listed as `failed`).
pub const MAX_DELIVERY_ATTEMPTS: u32 = 8;

/// Associated data of a request's identity ciphertext.
fn request_identity_aad(request: &str, kind: &str) -> Vec<u8> {
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

/// Details kept encrypted with a request.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct RequestDetails {
    /// The purpose concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) purpose: Option<String>,
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
    /// subject's e-mail address, never to an unknown identity, and the answer is the same.
    pub async fn submit_request(
        &self,
        actor: &Actor,
        new: NewRequest,
        now: Timestamp,
    ) -> Result<RequestReceipt, VaultError> {
        let request_type: RequestType =
            new.request_type
                .parse()
                .map_err(|e: skydd_requests::UnknownRequestType| {
                    VaultError::invalid(
                        format!("`type`: {e}"),
                        "send one of the request types listed",
                    )
                })?;
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
        let details = RequestDetails {
            purpose: new.purpose.clone(),
        };
        if let Some(purpose) = &details.purpose
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
        let kind = identity.kind().as_str();
        let blind_index = self
            .keyring
            .blind_index_key()
            .blind_index(kind, identity.expose());
        let subject = self
            .storage
            .find_subject_by_identity(tenant.as_ref().map(TenantId::as_str), kind, &blind_index)
            .await?;

        let id = new_id()?;
        let key = DataKey::generate()?;
        let wrapped = self.keyring.wrap(&key)?;
        let identity_ciphertext = key.seal(
            identity.expose().as_bytes(),
            &request_identity_aad(&id, kind),
        )?;
        let details_json =
            serde_json::to_vec(&details).map_err(|e| VaultError::Corrupt(e.to_string()))?;
        let details_ciphertext = key.seal(&details_json, &request_details_aad(&id))?;
        let deadline = self.response_deadline(received_at);
        let routed = tenant.is_some();

        let mut needs_decision = None;
        if let (Some(subject), RequestType::Access | RequestType::Portability) =
            (&subject, request_type)
        {
            let earlier: Vec<Timestamp> = self
                .storage
                .requests_of_subject(&subject.id)
                .await?
                .into_iter()
                .filter(|r| {
                    r.request_type == request_type.as_str()
                        && r.state == RequestState::Completed.as_str()
                })
                .map(|r| r.received_at)
                .collect();
            if let CopyAllowance::NeedsDecision { reason, .. } =
                copy_allowance(&self.register().rights.copies, &earlier, received_at)
            {
                needs_decision = Some(reason);
            }
        }

        // The state a known subject's request reaches is also given to an unknown identity,
        // so the answer does not tell whether someone is a customer.
        let state = if routed {
            RequestState::Received
        } else if request_type.needs_verification() {
            RequestState::Verifying
        } else {
            RequestState::Verified
        };
        let mut code = None;
        let mut outbox = Vec::new();
        let mut detail = None;
        let address = match &subject {
            Some(subject) if !routed => self.subject_email(&subject.id).await?,
            _ => None,
        };
        if state == RequestState::Verifying {
            // An unknown identity (or one without an e-mail address) gets a code nobody knows.
            let (code_text, hash) = VerificationCode::generate(&random_bytes::<8>()?);
            code = Some(VerificationCodeRow {
                request_id: id.clone(),
                code_hash: hash.to_vec(),
                attempts: 0,
                issued_at: now,
            });
            if let Some(address) = &address {
                let expires_at = now
                    .checked_add(VerificationPolicy::default().ttl)
                    .unwrap_or(now);
                let mail = Mail::new(
                    "verification_code",
                    self.letters()
                        .verification_code(&code_text, request_type, expires_at),
                );
                outbox.push(self.seal_message(Some(&id), address, &mail, now)?);
                detail = Some("code sent".to_string());
            } else if subject.is_some() {
                detail = Some("no e-mail address known: verify by other means".to_string());
            }
        }
        if let Some(address) = &address {
            let mail = Mail::new(
                "received",
                self.letters()
                    .received(&id, request_type, received_at, &deadline),
            );
            outbox.push(self.seal_message(Some(&id), address, &mail, now)?);
        }
        let row = RequestRow {
            id: id.clone(),
            request_type: request_type.as_str().to_string(),
            state: state.as_str().to_string(),
            channel: new.channel.clone(),
            tenant: tenant.as_ref().map(|t| t.as_str().to_string()),
            subject_id: subject.as_ref().map(|s| s.id.clone()),
            identity_kind: kind.to_string(),
            identity_blind_index: blind_index.to_vec(),
            key_version: wrapped.version,
            wrapped_key: wrapped.bytes,
            identity_ciphertext,
            details_ciphertext: Some(details_ciphertext),
            received_at,
            due_at: deadline.due_at,
            unrolled_due: deadline.unrolled.to_string(),
            extended_months: 0,
            routed_to_controller: routed,
            needs_decision,
            reasons: None,
            outcome: None,
            updated_at: now,
            closed_at: None,
        };
        let event = RequestEventRow {
            seq: 0,
            request_id: id.clone(),
            at: now,
            actor: actor.id.clone(),
            action: if routed {
                "routed_to_controller".to_string()
            } else {
                "received".to_string()
            },
            from_state: None,
            to_state: state.as_str().to_string(),
            detail,
        };
        self.storage
            .insert_request(NewRequestRows {
                request: row,
                event,
                code,
                outbox,
            })
            .await?;
        self.audit(
            actor,
            now,
            "request.receive",
            None,
            subject.as_ref().map(|s| s.id.as_str()),
            Vec::new(),
            request_type.as_str(),
        )
        .await?;
        Ok(RequestReceipt {
            id,
            state: state.as_str().to_string(),
            due_at: deadline.due_at,
            unrolled_due: deadline.unrolled.to_string(),
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
        let state = parse_state(&row.state)?;
        if state != RequestState::Verifying {
            return Err(VaultError::RequestState {
                what: format!("request {id} is {}, not waiting for a code", row.state),
                help: "only a request in state verifying takes a code".into(),
            });
        }
        let stored = self
            .storage
            .verification_code(id)
            .await?
            .ok_or_else(|| VaultError::Corrupt("a verifying request has no code".into()))?;
        let hash: [u8; 32] = stored
            .code_hash
            .as_slice()
            .try_into()
            .map_err(|_| VaultError::Corrupt("a code hash".into()))?;
        match VerificationCode::check(
            code,
            &hash,
            stored.attempts,
            stored.issued_at,
            now,
            VerificationPolicy::default(),
        ) {
            Ok(()) => {}
            Err(error) => {
                if error.counts_as_attempt() {
                    self.storage.count_code_attempt(id).await?;
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
                return Err(VaultError::Verification(error));
            }
        }
        let subject = row.subject_id.clone();
        let mut next = row.clone();
        next.state = RequestState::Verified.as_str().to_string();
        next.updated_at = now;
        self.change(
            row,
            next,
            actor,
            now,
            "verified",
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
        let row = self.request_row(actor, id).await?;
        Ok(RequestReceipt {
            id: row.id,
            state: row.state,
            due_at: row.due_at,
            unrolled_due: row.unrolled_due,
        })
    }

    /// Store an identity document for an open request, encrypted with a key of its own; it is
    /// destroyed, bytes and key, when the request closes.
    pub async fn upload_document(
        &self,
        actor: &Actor,
        id: &str,
        media_type: &str,
        bytes: &[u8],
        now: Timestamp,
    ) -> Result<String, VaultError> {
        let row = self.request_row(actor, id).await?;
        if parse_state(&row.state)?.is_closed() {
            return Err(VaultError::RequestState {
                what: format!("request {id} is {}", row.state),
                help: "documents can be added only to an open request".into(),
            });
        }
        if !DOCUMENT_MEDIA_TYPES.contains(&media_type) {
            return Err(VaultError::invalid(
                "unsupported document type",
                format!("send one of: {}", DOCUMENT_MEDIA_TYPES.join(", ")),
            ));
        }
        if bytes.is_empty() || bytes.len() > MAX_DOCUMENT_BYTES {
            return Err(VaultError::invalid(
                "the document is empty or larger than 10 MiB",
                "send a scan of at most 10 MiB",
            ));
        }
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
        if parse_state(&row.state)?.is_closed() {
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
                    parse_type(&row.request_type)?,
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
            "extended",
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
        let state = parse_state(&row.state)?;
        state
            .transition(RequestState::Rejected)
            .map_err(|e| VaultError::RequestState {
                what: format!("request {id}: {e}"),
                help: "a closed request cannot be rejected".into(),
            })?;
        let mut next = row.clone();
        next.state = RequestState::Rejected.as_str().to_string();
        next.reasons = Some(reasons.to_string());
        next.closed_at = Some(now);
        next.updated_at = now;
        let mut extras = ChangeExtras {
            destroy_evidence: true,
            ..ChangeExtras::default()
        };
        if let Some(address) = self.request_address(&row).await? {
            let mail = Mail::new(
                "rejection",
                self.letters()
                    .rejection(id, parse_type(&row.request_type)?, reasons),
            );
            extras
                .outbox
                .push(self.seal_message(Some(id), &address, &mail, now)?);
        }
        self.change(row, next, actor, now, "rejected", None, extras)
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
            .map(|n| RecipientNoticeView {
                recipient: n.recipient,
                action: n.action,
                categories: n.categories.split(',').map(str::to_string).collect(),
                state: n.state,
            })
            .collect();
        view.events = events
            .into_iter()
            .map(|e| RequestEventView {
                at: e.at,
                actor: e.actor,
                action: e.action,
                from_state: e.from_state,
                to_state: e.to_state,
                detail: e.detail,
            })
            .collect();
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
        match query.state.as_deref() {
            None => {}
            Some("open") => filter.open_only = true,
            Some(state) => {
                filter.state = Some(parse_state(state)?.as_str().to_string());
            }
        }
        if query.overdue {
            filter.open_only = true;
            filter.due_before = Some(filter.due_before.map_or(now, |d| d.min(now)));
        }
        self.storage
            .list_requests(filter)
            .await?
            .into_iter()
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
        action: &str,
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
                    action: action.to_string(),
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
            state: "queued".into(),
            attempts: 0,
            next_attempt_at: now,
            created_at: now,
            sent_at: None,
            last_error: None,
        })
    }

    fn open_message(&self, row: OutboxMessageRow) -> Result<OutboxView, VaultError> {
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
            state: row.state,
            attempts: row.attempts,
            next_attempt_at: row.next_attempt_at,
            created_at: row.created_at,
            sent_at: row.sent_at,
            last_error: row.last_error,
        })
    }

    /// The outbox (messages in `state`, or all), decrypted for the operator. Audited.
    pub async fn outbox(
        &self,
        actor: &Actor,
        state: Option<&str>,
        now: Timestamp,
    ) -> Result<Vec<OutboxView>, VaultError> {
        if let Some(state) = state
            && !["queued", "sent", "failed"].contains(&state)
        {
            return Err(VaultError::invalid(
                "unknown outbox state",
                "use queued, sent or failed",
            ));
        }
        let rows = self.storage.outbox_messages(state).await?;
        let views = rows
            .into_iter()
            .map(|row| self.open_message(row))
            .collect::<Result<Vec<_>, _>>()?;
        self.audit(actor, now, "outbox.read", None, None, Vec::new(), "done")
            .await?;
        Ok(views)
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
            .outbox_messages(Some("queued"))
            .await?
            .into_iter()
            .find(|m| m.id == message.id);
        let Some(mut row) = stored else {
            return Ok(());
        };
        row.attempts += 1;
        match error {
            None => {
                row.state = "sent".into();
                row.sent_at = Some(now);
                row.last_error = None;
            }
            Some(error) => {
                row.last_error = Some(error.to_string());
                if permanent || row.attempts >= MAX_DELIVERY_ATTEMPTS {
                    row.state = "failed".into();
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

/// A stored request type read back.
pub(crate) fn parse_type(request_type: &str) -> Result<RequestType, VaultError> {
    request_type
        .parse()
        .map_err(|_| VaultError::Corrupt("a request type".into()))
}

/// A stored state read back.
pub(crate) fn parse_state(state: &str) -> Result<RequestState, VaultError> {
    state
        .parse()
        .map_err(|e: skydd_requests::UnknownRequestState| {
            VaultError::invalid(
                format!("state: {e}"),
                "use one of the states listed, or open",
            )
        })
}

fn request_view(row: RequestRow, now: Timestamp) -> Result<RequestView, VaultError> {
    let outcome = row
        .outcome
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|_| VaultError::Corrupt("a request outcome".into()))?;
    Ok(RequestView {
        overdue: row.closed_at.is_none() && row.due_at < now,
        extended: row.extended_months > 0,
        id: row.id,
        request_type: row.request_type,
        state: row.state,
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
    })
}
