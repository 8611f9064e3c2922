//! The privacy centre's service: a person proves who they are with a code or a magic link sent
//! to an identity they own, gets a short session without a password, and from it sees the data
//! held about them, downloads it, withdraws consents, sets marketing preferences and starts
//! requests that the session has already verified.
//!
//! The types below are what the pages (`skydd-server::centre`) build on (issue 18). The
//! methods of [`Centre`] live beside their steps: the sign-in and sessions in
//! `centre/sign_in.rs`, what a signed-in person sees and does in `centre/person.rs`; the vault's
//! side is `skydd_vault`'s `centre` module.
//!
//! Rules every implementation keeps:
//! - The answer to a sign-in is the same whether or not the identities are known (as intake),
//!   and takes the same work: an unknown person gets a challenge that can never be verified.
//! - A code and a magic link are single use, expire after 15 minutes, and work only with the
//!   browser secret of the browser that asked (`SignInStarted::browser_secret`, kept in an
//!   HttpOnly cookie). Five wrong codes end the challenge.
//! - Only hashes of codes, link tokens, browser secrets and session secrets are stored; the
//!   identities a session was opened with are sealed (they are needed to read connected
//!   databases), never stored in plaintext.
//! - A session lasts 15 minutes idle and one hour at most; signing out ends it.
//! - Every step is audited with the actor `centre:<session public id>` (or `centre:sign-in`
//!   before a session exists) and the client address; no identity value reaches the audit
//!   trail, a log line or an error.

use jiff::Timestamp;
use skydd_register::model::Language;
use skydd_requests::{RequestState, RequestType};
use skydd_vault::{AccessPackage, VaultError};

use crate::App;

mod person;
mod sign_in;

/// How long a code or magic link may be used.
pub const CHALLENGE_LIFETIME: jiff::SignedDuration = jiff::SignedDuration::from_mins(15);
/// How long a centre session lasts without use.
pub const SESSION_IDLE: jiff::SignedDuration = jiff::SignedDuration::from_mins(15);
/// How long a centre session lasts at most.
pub const SESSION_ABSOLUTE: jiff::SignedDuration = jiff::SignedDuration::from_hours(1);
/// Wrong codes a challenge takes before it ends.
pub const CODE_ATTEMPTS: u32 = 5;

/// The privacy centre of an instance ([`App::centre`]).
#[derive(Clone)]
pub struct Centre {
    app: App,
}

impl App {
    /// The privacy centre's service over this app's vault, datasets and public site.
    pub fn centre(&self) -> Centre {
        Centre { app: self.clone() }
    }
}

/// The identities a person signs in with: any mix of those the register allows (e-mail and
/// phone). `Debug` shows which are given, never the values.
#[derive(Clone, Default)]
pub struct Claimed {
    /// An e-mail address, as typed.
    pub email: Option<String>,
    /// A phone number, as typed (normalised to E.164 by `skydd-subject`).
    pub phone: Option<String>,
}

impl std::fmt::Debug for Claimed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Claimed")
            .field("email", &self.email.as_ref().map(|_| "<given>"))
            .field("phone", &self.phone.as_ref().map(|_| "<given>"))
            .finish()
    }
}

/// What the person came to do: the landing page's choice, carried through the sign-in so the
/// personal page opens on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    /// See and manage their data.
    Overview,
    /// Start a request of this type (after sign-in, the form for it opens).
    Request(RequestType),
}

/// Who is calling, for the audit trail: the client's address as the server saw it.
#[derive(Debug, Clone)]
pub struct Client {
    /// The peer address (`PeerIp`); `None` when the server has none.
    pub ip: Option<String>,
    /// The browser's `User-Agent`, kept only sealed with consent events.
    pub user_agent: Option<String>,
    /// The language of the pages: messages go out in it.
    pub language: Language,
    /// Scheme and host the request reached the server with (`http://127.0.0.1:8080`), for
    /// links when no public URL is set.
    pub base: String,
}

/// A sign-in that waits for its code or link.
#[derive(Clone)]
pub struct SignInStarted {
    /// The challenge's public id (32 hex digits): the code form names it.
    pub challenge: String,
    /// The secret binding the challenge to this browser: set it as an HttpOnly cookie; the
    /// code and the link are refused without it. `Debug` hides it.
    pub browser_secret: String,
    /// When the code and link stop working.
    pub expires_at: Timestamp,
}

impl std::fmt::Debug for SignInStarted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInStarted")
            .field("challenge", &self.challenge)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// A session just opened by a code or a link.
#[derive(Clone)]
pub struct Opened {
    /// The session secret: the cookie's value, never stored. `Debug` hides it.
    pub secret: String,
    /// The person it is for.
    pub person: Person,
}

impl std::fmt::Debug for Opened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opened")
            .field("person", &self.person)
            .finish_non_exhaustive()
    }
}

/// A signed-in person as the pages see them: masked identities only.
#[derive(Debug, Clone)]
pub struct Person {
    /// The session's public id (32 hex digits), for the audit trail and sign-out.
    pub session_id: String,
    /// The vault subject, when the identities reach one.
    pub subject: Option<String>,
    /// The identities verified, masked for display (`("email", "b…@example.com")`).
    pub masked: Vec<(String, String)>,
    /// The form token of this session (derived from its secret, as the console's).
    pub csrf: String,
    /// When the session ends at the latest.
    pub expires_at: Timestamp,
    /// What the person came to do.
    pub intent: Intent,
}

/// One consent as the person sees it: the purpose, the wording they agreed to, when and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CentreConsent {
    /// The register purpose id (the withdraw form names it).
    pub purpose: String,
    /// The purpose's name in the page's language.
    pub name: String,
    /// The consent wording the register gives, in the page's language.
    pub wording: String,
    /// Given (true) or withdrawn/refused (false).
    pub granted: bool,
    /// When.
    pub at: Timestamp,
    /// How (`web_form`, `banner`, `unsubscribe_link` ...).
    pub method: String,
    /// The notice version shown then.
    pub notice_version: String,
}

/// A marketing channel or interest area with where the person stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CentrePreference {
    /// `channel` or `interest`.
    pub kind: String,
    /// The id (`email`, `sms`, `product_news`).
    pub name: String,
    /// Shown name in the page's language.
    pub label: String,
    /// Opted in, out, or never asked.
    pub opted_in: Option<bool>,
    /// When last changed.
    pub at: Option<Timestamp>,
}

/// A purpose the person may object to (legitimate interest or direct marketing, Art. 21).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Objectable {
    /// The register purpose id.
    pub purpose: String,
    /// Its name in the page's language.
    pub name: String,
    /// Direct marketing: an objection always wins (Art. 21(3)).
    pub direct_marketing: bool,
    /// Already objected to.
    pub objected: bool,
}

/// One letter of a request, as the person sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CentreLetter {
    /// The kind (`acknowledgement`, `completion`, `extension`, `rejection` ...).
    pub kind: String,
    /// When it was queued.
    pub at: Timestamp,
    /// `queued`, `sent` or `failed`.
    pub state: String,
}

/// One of the person's requests with its statutory due date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CentreRequest {
    /// The request id.
    pub id: String,
    /// What was asked.
    pub request_type: RequestType,
    /// Where it stands.
    pub state: RequestState,
    /// When it arrived.
    pub received_at: Timestamp,
    /// The end of the due day (Art. 12(3)), extended if it was.
    pub due_at: Timestamp,
    /// Extended (with the reason sent in a letter).
    pub extended: bool,
    /// The register asks for an identity document and none is uploaded yet.
    pub needs_document: bool,
    /// The letters sent about it.
    pub letters: Vec<CentreLetter>,
}

/// Everything the personal page shows.
#[derive(Debug, Clone)]
pub struct Overview {
    /// The data held (vault and connected systems) with the Art. 15 information per
    /// category: purposes and bases, recipients, retention in plain words, sources.
    pub package: AccessPackage,
    /// Consents, the latest per purpose.
    pub consents: Vec<CentreConsent>,
    /// Marketing channels and interests the register offers, with the person's choices.
    pub preferences: Vec<CentrePreference>,
    /// Purposes the person may object to.
    pub objectable: Vec<Objectable>,
    /// Their requests, newest first.
    pub requests: Vec<CentreRequest>,
    /// Some data falls under Art. 20 (provided by the person, on consent or contract): the
    /// machine-readable download is offered.
    pub portable: bool,
}

/// A request started from the centre.
#[derive(Debug, Clone)]
pub struct CentreRequestForm {
    /// What is asked.
    pub request_type: RequestType,
    /// The purpose concerned (objection, withdrawal, restriction), if any.
    pub purpose: Option<String>,
    /// For rectification: the value to correct and what it should be.
    pub correction: Option<ProposedCorrection>,
    /// What the person wants the team to know, in their words (sealed with the request).
    pub message: Option<String>,
}

/// A correction the person proposes (Art. 16); staff check it before it is applied.
#[derive(Clone)]
pub struct ProposedCorrection {
    /// The register data category.
    pub category: String,
    /// The field.
    pub field: String,
    /// The value it should have. `Debug` hides it.
    pub value: String,
}

impl std::fmt::Debug for ProposedCorrection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProposedCorrection")
            .field("category", &self.category)
            .field("field", &self.field)
            .finish_non_exhaustive()
    }
}

/// What the person downloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DownloadFormat {
    /// The access package as JSON.
    Json,
    /// The access package as a readable HTML page.
    Html,
    /// The portable data (Art. 20) as JSON and CSV in a zip.
    PortableZip,
}

/// A file to send.
#[derive(Debug, Clone)]
pub struct DownloadFile {
    /// `Content-Disposition` file name.
    pub filename: String,
    /// `Content-Type`.
    pub media_type: &'static str,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// Why the centre refused. Messages name no identity value.
#[derive(Debug, thiserror::Error)]
pub enum CentreError {
    /// The code or link is wrong (attempts left).
    #[error("the code is not right")]
    WrongCode {
        /// Attempts before the challenge ends.
        attempts_left: u32,
    },
    /// The challenge expired, was used, or ran out of attempts: start again.
    #[error("the code or link is no longer valid")]
    Expired,
    /// The link was opened in another browser than the one that asked.
    #[error("the link was opened in another browser")]
    OtherBrowser,
    /// No session, or it ended.
    #[error("the session has ended")]
    NoSession,
    /// The input does not fit (no identity, a malformed address, an unknown purpose).
    #[error("{what}")]
    Invalid {
        /// What is wrong.
        what: String,
        /// How to fix it.
        help: String,
    },
    /// The vault refused or failed.
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] skydd_storage::StorageError),
}
