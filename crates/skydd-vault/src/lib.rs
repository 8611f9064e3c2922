//! Skydd's vault: where personal data lives and the only way to it.
//!
//! The vault ties the layers together: identities are normalised (`skydd-subject`), indexed with
//! keyed blind indexes and encrypted with the subject's data key (`skydd-crypto`); records are
//! checked against the register and encrypted; every use is decided (`skydd-decide`) from the
//! consent ledger (`skydd-consent`) and the subject's state; every call that reads or changes
//! personal data writes an audit event through [`audit::Audit`]. Storage (`skydd-storage`) sees
//! only ciphertext, blind indexes and ids.
//!
//! The vault never reads the clock: every operation takes `now`.

mod agreement;
mod announce;
mod attribute;
pub mod audit;
pub mod audit_trail;
mod centre;
mod consent;
mod cookie;
mod crypto;
mod disclosure;
mod error;
mod fact_cache;
mod facts;
mod fulfil;
mod import;
mod incident;
mod letters;
mod mention;
mod outbox;
mod package;
mod preference;
mod record;
mod request;
pub mod retention;
mod security_review;
mod states;
mod stored_zip;
mod subject;
mod systems;

use std::sync::{Arc, Mutex};

use skydd_crypto::Keyring;
use skydd_decide::{Interner, Policy};
use skydd_register::Register;
use skydd_storage::Storage;

pub use agreement::{AgreementView, MAX_AGREEMENT_VERSION_CHARS};
pub use announce::Reach;
pub use attribute::AttributeView;
pub use audit::{Audit, AuditEvent, GroupCommitAudit, StorageAudit};
pub use centre::{
    CENTRE_VERIFIED_DETAIL, MAX_MESSAGE_CHARS, PersonData, PersonRequest, ProposedValue,
    RequestAsked, VerifiedRequest,
};
pub use consent::{
    ConsentInput, ConsentProof, ConsentView, ConsentsView, FeatureInput, Question, SignalOutcome,
};
pub use cookie::{
    BROWSER_INDEX_KIND, BrowserChoices, COOKIE_CHOICE_YEARS, COOKIE_RETENTION_ACTION,
    CookieChoiceInput, CookieChoiceView, WEBSITE_ACTOR,
};
pub use disclosure::{
    DECISION_KINDS, DisclosedRecord, DisclosedSubject, Disclosure, DisclosureInput, DisclosureOrder,
};
pub use error::VaultError;
pub use fact_cache::{DEFAULT_CACHED_SUBJECTS, FactCache, FactCacheStats};
pub use fulfil::{
    ConnectedCorrection, Correction, FulfilInput, KeptRecords, Transmission, Transmitted,
};
pub use import::{
    ChunkFuture, CsvSplit, DEFAULT_IMPORT_BATCH, ImportError, ImportFormat, ImportInput, ImportJob,
    ImportProgress, ImportSummary, LineError, MAX_LINE_BYTES, MAX_REPORTED_ERRORS, ReadInput,
    file_import_id, is_import_key, split_csv_record,
};
pub use incident::incidents_from_entries;
pub use mention::PackageMention;
pub use outbox::{OutboxEntry, OutboxQuery};
pub use package::{
    AccessPackage, PackageAttribute, PackageCategory, PackageConnectedValue, PackageDisclosure,
    PackagePurpose, PackageRecipient, PackageRecord, PackageRectification, PackageSource,
    PackageSystem,
};
pub use preference::PreferenceView;
pub use record::{NewRecord, RecordView, RecordsRead, Withheld};
pub use request::{
    AssigneeFilter, CHANNELS, DOCUMENT_MEDIA_TYPES, LetterView, MAX_DELIVERY_ATTEMPTS,
    MAX_DOCUMENT_BYTES, NewRequest, OutboxView, RecipientNoticeView, RequestEventView,
    RequestQuery, RequestReceipt, RequestView, document_media_type, is_assignee_id,
};
pub use retention::{DEFAULT_SWEEP_BATCH, SweepProgress, SweepSummary};
pub use security_review::{
    MAX_REVIEW_SUMMARY_CHARS, NewSecurityReview, SecurityReviewView, SecurityReviews,
};
/// What a visitor did in the banner, as [`CookieChoiceInput::action`] takes it.
pub use skydd_consent::BannerAction;
pub use states::{NoticeState, OutboxState, StateFilter, parse_request_type};
pub use subject::{NewSubject, SubjectView};
pub use systems::{
    SystemAction, SystemOutcome, SystemOutcomeView, SystemState, receipt_without_keys,
};

/// Who is calling, for decisions and the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The actor's id: an API token id, an account id, `cli`, `system`.
    pub id: String,
    /// The caller's IP address, when known.
    pub ip: Option<String>,
    /// The tenant the caller acts for; `None` for the controller's own staff, who may reach every
    /// tenant. A call scoped to a tenant never reads or changes another tenant's subjects.
    pub tenant: Option<String>,
    /// Whether the caller may see confidential requests (complaints, P000-72): staff and API
    /// tokens only with the `complaints` permission; the CLI, the system's jobs and the person
    /// in the privacy centre (their own) do. Others are told such a request does not exist.
    pub sees_confidential: bool,
}

impl Actor {
    /// This actor, seeing confidential requests only if `allowed` (the caller's permission).
    pub fn seeing_confidential(self, allowed: bool) -> Actor {
        Actor {
            sees_confidential: allowed,
            ..self
        }
    }
}

impl Actor {
    /// An actor without an IP address or tenant (tests, the CLI).
    pub fn new(id: impl Into<String>) -> Actor {
        Actor {
            id: id.into(),
            ip: None,
            tenant: None,
            sees_confidential: true,
        }
    }

    /// A staff member in a console session: the id `account:<account id>/session:<session
    /// public id>` (issue 17), so the audit trail says who acted and in which sign-in. The one
    /// way to build a staff actor; neither id is personal data. It sees no confidential request
    /// until [`Actor::seeing_confidential`] says the role may.
    pub fn staff(account_id: &str, session_public_id: &str, ip: Option<String>) -> Actor {
        Actor {
            id: format!("account:{account_id}/session:{session_public_id}"),
            ip,
            tenant: None,
            sees_confidential: false,
        }
    }
}

impl Actor {
    /// A person in a privacy centre session (issue 18): the id `centre:<session public id>`,
    /// so the audit trail says which sign-in acted, never who the person is. The one way to
    /// build a centre actor.
    pub fn centre(session_public_id: &str, ip: Option<String>) -> Actor {
        Actor {
            id: format!("centre:{session_public_id}"),
            ip,
            tenant: None,
            sees_confidential: true,
        }
    }
}

/// The register a vault enforces, with its compiled decision policy and version.
#[derive(Debug)]
pub struct Enforced {
    /// The validated register.
    pub register: Register,
    /// The register compiled for fast decisions.
    pub policy: Policy,
    /// The register's digest: the notice version consents are given under.
    pub version: String,
}

impl Enforced {
    /// Compile `register` for enforcement.
    pub fn new(register: Register) -> Enforced {
        let policy = Policy::compile(&register);
        let version = register.digest();
        Enforced {
            register,
            policy,
            version,
        }
    }
}

/// The vault service. Cheap to clone; shared by every request.
#[derive(Clone)]
pub struct Vault {
    storage: Arc<dyn Storage>,
    keyring: Arc<Keyring>,
    enforced: Arc<Enforced>,
    audit: Arc<dyn Audit>,
    interner: Arc<Mutex<Interner>>,
    /// The decision facts kept in memory, shared by every clone (issue 19).
    facts: Arc<FactCache>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("version", &self.enforced.version)
            .finish_non_exhaustive()
    }
}

impl Vault {
    /// A vault over `storage`, encrypting with `keyring`, enforcing `enforced`, auditing to
    /// `audit`.
    pub fn new(
        storage: Arc<dyn Storage>,
        keyring: Arc<Keyring>,
        enforced: Arc<Enforced>,
        audit: Arc<dyn Audit>,
    ) -> Vault {
        Vault {
            storage,
            keyring,
            enforced,
            audit,
            interner: Arc::new(Mutex::new(Interner::new())),
            facts: Arc::new(FactCache::default()),
        }
    }

    /// This vault keeping its decision facts in `facts` (shared with the vaults built before
    /// and after it, so that a key reload keeps what was learnt) instead of a cache of its own.
    pub fn with_fact_cache(mut self, facts: Arc<FactCache>) -> Vault {
        self.facts = facts;
        self
    }

    /// The decision facts this vault keeps in memory: for the follower of the change log,
    /// which forgets what other servers changed, and for `/metrics`.
    pub fn fact_cache(&self) -> &Arc<FactCache> {
        &self.facts
    }

    /// The register this vault enforces.
    pub fn register(&self) -> &Register {
        &self.enforced.register
    }

    /// The version (digest) of the enforced register.
    pub fn register_version(&self) -> &str {
        &self.enforced.version
    }
}

impl Vault {
    /// Called after a write that changed `subject`'s decision facts (consents, objections,
    /// preferences, restriction, erasure) has committed, before the call returns: this server's
    /// memory of them must not answer the next decision (issue 19). The storage's change log
    /// (migration 13) tells the other servers.
    pub(crate) fn facts_changed(&self, subject: &str) {
        self.facts.forget_subject(subject);
    }

    /// Called after a write that changed `organisation`'s decision facts (a feature switch, an
    /// organisation or project consent) has committed, before the call returns.
    pub(crate) fn organisation_facts_changed(&self, organisation: &str) {
        self.facts.forget_organisation(organisation);
    }
}
