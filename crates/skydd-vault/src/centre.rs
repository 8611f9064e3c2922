//! What the privacy centre (issue 18, `skydd_app::centre`) needs of the vault: the sign-in
//! message sealed for the outbox, a person's data read in one audited step (the access
//! package by the same code path as a request's, consents, objections, preferences, their
//! requests with letters), the downloads, requests made already verified by the centre's
//! sign-in with the person's proposed correction and message sealed in them, and documents
//! uploaded only to the person's own open requests.
//!
//! A person is a vault subject (or none, when only a connected database knows them) and the
//! identities they proved they control; the vault never sees the centre's session itself.

use jiff::Timestamp;
use skydd_register::model::{CategoryId, Language, PurposeId};
use skydd_requests::{RequestAction, RequestState, RequestType, document_needed};
use skydd_storage::{NewRequestRows, OutboxMessageRow, RequestEventRow, RequestRow};
use skydd_subject::{Identity, IdentityKind};

use crate::letters::Mail;
use crate::request::{Intake, RequestDetails, new_id, request_view};
use crate::states::stored_state;
use crate::{
    AccessPackage, Actor, ConsentView, LetterView, PackageSystem, PreferenceView, RequestReceipt,
    RequestView, Vault, VaultError,
};

/// The detail of the `verified` event of a request the privacy centre made: the person's
/// sign-in (a code or link sent to their address) was the identity check.
pub const CENTRE_VERIFIED_DETAIL: &str = "privacy centre sign-in";

/// The most characters of a person's message kept with a request.
pub const MAX_MESSAGE_CHARS: usize = 4000;

/// A value a person proposes for a field (Art. 16): staff check it before it is applied.
/// `Debug` hides the value.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ProposedValue {
    /// The register data category.
    pub category: String,
    /// The field of that category.
    pub field: String,
    /// What it should be.
    pub value: String,
}

impl std::fmt::Debug for ProposedValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProposedValue")
            .field("category", &self.category)
            .field("field", &self.field)
            .finish_non_exhaustive()
    }
}

/// A request made by a person whose identity the privacy centre's sign-in checked.
#[derive(Debug, Clone)]
pub struct VerifiedRequest {
    /// What is asked.
    pub request_type: RequestType,
    /// The identity the request is made with (the person's e-mail address when they proved
    /// one, else their phone number); `Debug` hides its value.
    pub identity: Identity,
    /// The vault subject the identity reaches, if any.
    pub subject: Option<String>,
    /// The purpose concerned (objection, withdrawal, restriction), if any.
    pub purpose: Option<String>,
    /// For rectification: the value the person proposes.
    pub correction: Option<ProposedValue>,
    /// What the person wants the team to know.
    pub message: Option<String>,
}

/// What a person asked with a request, opened for staff. `Debug` hides the values.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct RequestAsked {
    /// The purpose concerned, if any.
    pub purpose: Option<String>,
    /// The correction proposed, if any.
    pub correction: Option<ProposedValue>,
    /// The person's message, if any.
    pub message: Option<String>,
}

impl std::fmt::Debug for RequestAsked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestAsked")
            .field("purpose", &self.purpose)
            .field("correction", &self.correction)
            .field("message", &self.message.as_ref().map(|_| "<given>"))
            .finish()
    }
}

/// One of a person's requests as the privacy centre shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonRequest {
    /// The request (metadata only: no identity value).
    pub view: RequestView,
    /// Its letters, oldest first, unopened.
    pub letters: Vec<LetterView>,
    /// The register asks for an identity document and none is uploaded yet (open requests
    /// only; see [`skydd_requests::document_needed`]).
    pub needs_document: bool,
}

/// Everything the vault holds about a person, read in one audited step.
#[derive(Debug, Clone)]
pub struct PersonData {
    /// The access package (Art. 15) with the connected systems' values.
    pub package: AccessPackage,
    /// The latest consent event per purpose.
    pub consents: Vec<ConsentView>,
    /// Objections in force: purpose (`*` for all direct marketing) and source.
    pub objections: Vec<(String, String)>,
    /// Marketing channels and interests as they stand.
    pub preferences: Vec<PreferenceView>,
    /// Their requests, newest first.
    pub requests: Vec<PersonRequest>,
}

impl Vault {
    /// The privacy centre's sign-in message to `address`, sealed for the outbox (kind
    /// `centre_sign_in`, no request): the code and the magic link, in `language`. The caller
    /// stores it with the sign-in in one transaction.
    pub fn sign_in_message(
        &self,
        address: &str,
        code: &str,
        link: &str,
        expires_at: Timestamp,
        language: Language,
        now: Timestamp,
    ) -> Result<OutboxMessageRow, VaultError> {
        let letter = skydd_requests::Letters::new(self.register(), language)
            .centre_sign_in(code, link, expires_at);
        self.seal_message(None, address, &Mail::new("centre_sign_in", letter), now)
    }

    /// The e-mail address messages to `subject` go to, decrypted for the caller to seal into
    /// a message at once (the privacy centre's sign-in); nothing is shown, so nothing is
    /// audited. `None` when the subject has none (or does not exist).
    pub async fn person_email(&self, subject: &str) -> Result<Option<String>, VaultError> {
        if self.storage.get_subject(subject).await?.is_none() {
            return Ok(None);
        }
        self.subject_email(subject).await
    }

    /// A person's data: the access package of `subject` (none: only connected `systems` know
    /// them) in `language`, their consents, objections and preferences, and their requests
    /// (by subject, and by the blind index of each of `identities`). Audited once
    /// (`centre.read`, the categories found, no value).
    pub async fn person_data(
        &self,
        actor: &Actor,
        subject: Option<&str>,
        identities: &[Identity],
        language: Language,
        now: Timestamp,
        systems: Vec<PackageSystem>,
    ) -> Result<PersonData, VaultError> {
        let (package, categories) = self
            .build_package(&actor.id, subject, language, now, systems)
            .await?;
        let subject = package.subject_id.clone();
        let (consents, objections, preferences) = match &subject {
            Some(subject) => {
                let consents = self.consents_of(subject).await?;
                let preferences = self.preferences_of(subject).await?;
                (consents.current, consents.objections, preferences)
            }
            None => (Vec::new(), Vec::new(), Vec::new()),
        };
        let requests = self
            .person_requests(subject.as_deref(), identities, now)
            .await?;
        self.audit(
            actor,
            now,
            "centre.read",
            None,
            subject.as_deref(),
            categories,
            "done",
        )
        .await?;
        Ok(PersonData {
            package,
            consents,
            objections,
            preferences,
            requests,
        })
    }

    /// The access package of a person (as [`Vault::person_data`]'s) to download; audited
    /// (`centre.download`, outcome `package`).
    pub async fn person_package(
        &self,
        actor: &Actor,
        subject: Option<&str>,
        language: Language,
        now: Timestamp,
        systems: Vec<PackageSystem>,
    ) -> Result<AccessPackage, VaultError> {
        let (package, categories) = self
            .build_package(&actor.id, subject, language, now, systems)
            .await?;
        let subject = package.subject_id.as_deref();
        self.audit(
            actor,
            now,
            "centre.download",
            None,
            subject,
            categories,
            "package",
        )
        .await?;
        Ok(package)
    }

    /// The portability file (Art. 20) of a person, as [`Vault::portability_zip_with`] makes
    /// it for a request; audited (`centre.download`, outcome `portability`).
    pub async fn person_portability_zip(
        &self,
        actor: &Actor,
        subject: Option<&str>,
        language: Language,
        now: Timestamp,
        systems: Vec<PackageSystem>,
    ) -> Result<Vec<u8>, VaultError> {
        let (package, categories) = self
            .build_package(&actor.id, subject, language, now, systems)
            .await?;
        let zip = self.portable_zip(&package)?;
        let subject = package.subject_id.as_deref();
        self.audit(
            actor,
            now,
            "centre.download",
            None,
            subject,
            categories,
            "portability",
        )
        .await?;
        Ok(zip)
    }

    /// The identities to read connected databases with for a person: those they proved
    /// (`proven`) and, when they are a vault subject, every identity of the subject, sorted,
    /// each once; as a request's package reads them ([`Vault::package_identities`]). Not
    /// audited itself: only for the read of [`Vault::person_data`] or a download, which are.
    pub async fn person_identities(
        &self,
        subject: Option<&str>,
        proven: &[Identity],
        now: Timestamp,
    ) -> Result<Vec<Identity>, VaultError> {
        let mut identities = proven.to_vec();
        if let Some(subject) = subject
            && self.storage.get_subject(subject).await?.is_some()
        {
            identities.extend(self.subject_identity_list(subject, now).await?);
        }
        identities.sort_by(|a, b| (a.kind(), a.expose()).cmp(&(b.kind(), b.expose())));
        identities.dedup_by(|a, b| a.kind() == b.kind() && a.expose() == b.expose());
        Ok(identities)
    }

    /// The requests of a person, newest first: the subject's, and those made with any of
    /// `identities` (for a person the vault holds no subject for). A tenant's requests are
    /// the tenant's to show, so they are left out.
    async fn person_requests(
        &self,
        subject: Option<&str>,
        identities: &[Identity],
        now: Timestamp,
    ) -> Result<Vec<PersonRequest>, VaultError> {
        let wants_document = document_needed(&self.register().rights.identity_verification);
        let mut requests = Vec::new();
        for row in self.person_request_rows(subject, identities).await? {
            let open = !stored_state(&row.state)?.is_closed();
            let needs_document =
                wants_document && open && self.storage.count_request_documents(&row.id).await? == 0;
            let letters = self.letter_views(&row.id).await?;
            requests.push(PersonRequest {
                view: request_view(row, now)?,
                letters,
                needs_document,
            });
        }
        Ok(requests)
    }

    /// The stored requests of a person, each once, newest first, no tenant's.
    async fn person_request_rows(
        &self,
        subject: Option<&str>,
        identities: &[Identity],
    ) -> Result<Vec<RequestRow>, VaultError> {
        let mut rows = match subject {
            Some(subject) => self.storage.requests_of_subject(subject).await?,
            None => Vec::new(),
        };
        for identity in identities {
            let index = self
                .keyring
                .blind_index_key()
                .blind_index(identity.kind().as_str(), identity.expose());
            for row in self.storage.requests_with_identity(&index).await? {
                let theirs = row.subject_id.is_none() || row.subject_id.as_deref() == subject;
                if theirs && !rows.iter().any(|r| r.id == row.id) {
                    rows.push(row);
                }
            }
        }
        rows.retain(|row| row.tenant.is_none());
        rows.sort_by(|a, b| (b.received_at, &b.id).cmp(&(a.received_at, &a.id)));
        Ok(rows)
    }

    /// Store an identity document for the person's own open request `id` (its type read from
    /// its content); another's request is [`VaultError::UnknownRequest`], as if it did not
    /// exist.
    pub async fn upload_person_document(
        &self,
        actor: &Actor,
        subject: Option<&str>,
        identities: &[Identity],
        id: &str,
        bytes: &[u8],
        now: Timestamp,
    ) -> Result<String, VaultError> {
        let theirs = self.person_request_rows(subject, identities).await?;
        if !theirs.iter().any(|row| row.id == id) {
            return Err(VaultError::UnknownRequest);
        }
        self.upload_document_by_content(actor, id, bytes, now).await
    }

    /// Register a request whose requester the privacy centre's sign-in verified: in one
    /// transaction the request, its `received` event and (for a type that needs an identity
    /// check) a `verified` event with [`CENTRE_VERIFIED_DETAIL`], both by `actor`, and the
    /// letter saying it was received. The correction and message are sealed with the
    /// request's details.
    pub async fn submit_verified_request(
        &self,
        actor: &Actor,
        new: VerifiedRequest,
        now: Timestamp,
    ) -> Result<RequestReceipt, VaultError> {
        let intake = self.check_verified(new.clone(), now)?;
        let subject = match &new.subject {
            Some(s) => self.storage.get_subject(s).await?.map(|row| row.id),
            None => None,
        };
        let first = RequestState::on_intake(intake.request_type, false);
        let state = match first {
            RequestState::Verifying => {
                first
                    .transition(RequestState::Verified)
                    .map_err(|e| VaultError::RequestState {
                        what: e.to_string(),
                        help: "report this: a new request is always verifiable".into(),
                    })?
            }
            other => other,
        };
        let id = new_id()?;
        let needs_decision = match &subject {
            Some(subject) => self.copies_decision(subject, &intake).await?,
            None => None,
        };
        let address = match &subject {
            Some(subject) => self.subject_email(subject).await?,
            None => None,
        }
        .or_else(|| {
            (new.identity.kind() == IdentityKind::Email).then(|| new.identity.expose().to_owned())
        });
        let letters = self.intake_letters(&id, &intake, state, &subject, address, now)?;
        let mut row = self.new_request_row(&id, &intake, state, subject.clone(), now)?;
        row.needs_decision = needs_decision;
        let (event, later_events) = centre_events(actor, &id, first, state, now);
        self.storage
            .insert_request(NewRequestRows {
                request: row,
                event,
                later_events,
                code: None,
                outbox: letters.outbox,
            })
            .await?;
        for (action, outcome) in [
            ("request.receive", intake.request_type.as_str()),
            ("request.verify", "verified"),
        ] {
            self.audit(
                actor,
                now,
                action,
                None,
                subject.as_deref(),
                Vec::new(),
                outcome,
            )
            .await?;
        }
        Ok(RequestReceipt {
            id,
            state,
            due_at: intake.deadline.due_at,
            unrolled_due: intake.deadline.unrolled.to_string(),
        })
    }

    /// Check a verified request against the register before anything is looked up: the
    /// purpose, the correction's category and field, the message's length.
    fn check_verified(&self, new: VerifiedRequest, now: Timestamp) -> Result<Intake, VaultError> {
        let register = self.register();
        if let Some(purpose) = &new.purpose
            && register.purpose(&PurposeId(purpose.clone())).is_none()
        {
            return Err(VaultError::invalid(
                "`purpose` is not a purpose of the register",
                "choose one of the purposes listed on the page",
            ));
        }
        if let Some(correction) = &new.correction {
            let category = register
                .data
                .iter()
                .find(|c| c.id == CategoryId(correction.category.clone()))
                .ok_or_else(|| {
                    VaultError::invalid(
                        "`category` of the correction is not a data category of the register",
                        "choose the data to correct from the list on the page",
                    )
                })?;
            if !category
                .fields
                .iter()
                .any(|f| f.id.as_str() == correction.field)
            {
                return Err(VaultError::invalid(
                    "`field` of the correction is not a field of that category",
                    "choose the field to correct from the list on the page",
                ));
            }
        }
        let message = new
            .message
            .map(|m| m.trim().to_owned())
            .filter(|m| !m.is_empty());
        if message
            .as_ref()
            .is_some_and(|m| m.chars().count() > MAX_MESSAGE_CHARS)
        {
            return Err(VaultError::invalid(
                format!("`message` is longer than {MAX_MESSAGE_CHARS} characters"),
                "shorten the message",
            ));
        }
        let blind_index = self
            .keyring
            .blind_index_key()
            .blind_index(new.identity.kind().as_str(), new.identity.expose())
            .to_vec();
        Ok(Intake {
            request_type: new.request_type,
            deadline: self.response_deadline(now),
            blind_index,
            channel: "web".into(),
            received_at: now,
            details: RequestDetails {
                purpose: new.purpose,
                correction: new.correction,
                message,
                on_behalf: false,
            },
            tenant: None,
            identity: new.identity,
            held_elsewhere: false,
        })
    }

    /// What the person asked with request `id` (the purpose, a proposed correction, their
    /// message), opened for staff allowed to read a request's data. Opening a correction or a
    /// message is audited (`request.details`, no value); a purpose alone is a register id and
    /// is not.
    pub async fn request_asked(
        &self,
        actor: &Actor,
        id: &str,
        now: Timestamp,
    ) -> Result<RequestAsked, VaultError> {
        let row = self.request_row(actor, id).await?;
        let details = self.request_details(&row)?;
        if details.correction.is_some() || details.message.is_some() {
            self.audit(
                actor,
                now,
                "request.details",
                None,
                row.subject_id.as_deref(),
                Vec::new(),
                "done",
            )
            .await?;
        }
        Ok(RequestAsked {
            purpose: details.purpose,
            correction: details.correction,
            message: details.message,
        })
    }
}

/// The events of a request the centre registers: `received` (into `first`), then `verified`
/// by the sign-in when `first` waited for an identity check; a type that needs none says on
/// its `received` event that the sign-in verified it.
fn centre_events(
    actor: &Actor,
    id: &str,
    first: RequestState,
    state: RequestState,
    now: Timestamp,
) -> (RequestEventRow, Vec<RequestEventRow>) {
    let event = |action: RequestAction, from: Option<RequestState>, to: RequestState, detail| {
        RequestEventRow {
            seq: 0,
            request_id: id.to_owned(),
            at: now,
            actor: actor.id.clone(),
            action: action.as_str().to_owned(),
            from_state: from.map(|s| s.as_str().to_owned()),
            to_state: to.as_str().to_owned(),
            detail,
        }
    };
    let verified = Some(CENTRE_VERIFIED_DETAIL.to_owned());
    if first == state {
        (
            event(RequestAction::Received, None, state, verified),
            Vec::new(),
        )
    } else {
        (
            event(RequestAction::Received, None, first, None),
            vec![event(RequestAction::Verified, Some(first), state, verified)],
        )
    }
}
