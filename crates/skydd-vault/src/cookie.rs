//! The consent banner's choices (issue 18): a visitor's choice checked against the register's
//! `cookies` section and appended to the ledger's cookie table, and a browser's choices read
//! back for the privacy team.
//!
//! A choice belongs to a pseudonymous browser, not to a subject. The browser's id is stored only
//! as a keyed blind index (kind [`BROWSER_INDEX_KIND`]); the visitor's IP address and user agent
//! are sealed together under the keyring's banner data key, bound to that index. Neither the id
//! nor the address reaches the audit trail: the event `cookie.choice` names the revision, the
//! action and the categories, and its actor (`website`) has no address.

use std::collections::BTreeMap;

use jiff::{Timestamp, ToSpan as _};
use skydd_consent::{BannerAction, BrowserId, ConsentMethod, CookieChoice, CookieChoiceError};
use skydd_register::model::{Choice as _, Language};
use skydd_register::zone::stockholm;
use skydd_storage::{AuditEventRow, CookieChoiceRow};

use crate::{Actor, Vault, VaultError};

/// The blind-index kind of a browser id, apart from every identity kind of a subject.
pub const BROWSER_INDEX_KIND: &str = "banner_browser";

/// How long a choice is kept: three years from the day it was made (in Stockholm), then the
/// retention sweep deletes it ([`Vault::sweep_cookie_choices`]).
///
/// A choice is consent proof (Art. 7(1)) only while a website relies on it: the banner asks
/// again when its revision changes and when the website's `skydd_consent` cookie expires (six
/// months, as banner.js sets it and the bundled register declares it). Two years more cover a dispute about a choice that
/// was relied on to its last day. Keeping the sealed address and user agent for ever would
/// outlast every purpose, so the whole row goes.
pub const COOKIE_CHOICE_YEARS: i16 = 3;

/// The audit action proving one batch of cookie choices deleted by retention.
pub const COOKIE_RETENTION_ACTION: &str = "retention.cookie_choices";

/// The actor id of the visitor of a company's website in the audit trail: a choice comes from
/// an anonymous browser, recorded without its address.
pub const WEBSITE_ACTOR: &str = "website";

/// A choice as the banner sends it, with the visitor's address and user agent (sealed when
/// stored). `Debug` hides the browser id, the address and the user agent.
#[derive(Clone)]
pub struct CookieChoiceInput {
    /// The browser's pseudonymous id (22 to 64 characters of `A-Z a-z 0-9 _ -`).
    pub browser: String,
    /// The banner revision the choice was made under.
    pub revision: String,
    /// The register version the banner showed.
    pub notice_version: String,
    /// The banner's language.
    pub language: Language,
    /// What the visitor did.
    pub action: BannerAction,
    /// Category ids given.
    pub given: Vec<String>,
    /// Category ids refused.
    pub refused: Vec<String>,
    /// Single services allowed or refused ("load this"), by service id.
    pub services: BTreeMap<String, bool>,
    /// The browser sent Global Privacy Control.
    pub gpc: bool,
    /// The browser sent Do Not Track.
    pub dnt: bool,
    /// The visitor's IP address.
    pub ip: Option<String>,
    /// The visitor's user agent.
    pub user_agent: Option<String>,
}

impl std::fmt::Debug for CookieChoiceInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CookieChoiceInput")
            .field("browser", &"<redacted>")
            .field("revision", &self.revision)
            .field("action", &self.action)
            .field("given", &self.given)
            .field("refused", &self.refused)
            .field("services", &self.services)
            .field("gpc", &self.gpc)
            .field("dnt", &self.dnt)
            .field("ip", &self.ip.as_ref().map(|_| "<redacted>"))
            .field(
                "user_agent",
                &self.user_agent.as_ref().map(|_| "<redacted>"),
            )
            .finish_non_exhaustive()
    }
}

/// One stored choice as the privacy team reads it: no address, no user agent.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CookieChoiceView {
    /// When the server received it.
    pub at: Timestamp,
    /// What the visitor did (`accept_all`, `reject_all`, `custom`, `withdraw`, `service`).
    pub action: String,
    /// Category ids given.
    pub given: Vec<String>,
    /// Category ids refused.
    pub refused: Vec<String>,
    /// Single services allowed or refused, by service id.
    pub services: BTreeMap<String, bool>,
    /// The browser sent Global Privacy Control.
    pub gpc: bool,
    /// The browser sent Do Not Track.
    pub dnt: bool,
    /// The banner revision it was made under.
    pub revision: String,
    /// The register version it was made under.
    pub notice_version: String,
    /// The banner's language.
    pub language: String,
    /// Always `banner`.
    pub method: String,
}

/// A browser's choices, newest first.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BrowserChoices {
    /// Whether any choice of this browser is stored.
    pub browser_known: bool,
    /// Its choices, newest first.
    pub choices: Vec<CookieChoiceView>,
}

/// A banner refusal as the vault's error: what and how to fix it, never the browser id.
fn refused(error: CookieChoiceError) -> VaultError {
    VaultError::invalid(error.to_string(), error.help())
}

/// The associated data of a choice's sealed context: bound to the browser's blind index, so a
/// ciphertext moved to another browser's row does not open.
fn context_aad(browser_index: &[u8]) -> Vec<u8> {
    let mut aad = b"skydd/cookie-choice-context/v1\0".to_vec();
    aad.extend_from_slice(browser_index);
    aad
}

fn view(row: CookieChoiceRow) -> CookieChoiceView {
    CookieChoiceView {
        at: row.at,
        action: row.action,
        given: row.given,
        refused: row.refused,
        services: row.services,
        gpc: row.gpc,
        dnt: row.dnt,
        revision: row.revision,
        notice_version: row.notice_version,
        language: row.language,
        method: row.method,
    }
}

impl Vault {
    /// Record a visitor's choice in the banner: checked against the register's `cookies`
    /// section ([`CookieChoice::check`]: the revision in force, every category once, required
    /// ones given, known services), appended with the browser's blind index and the sealed
    /// address and user agent, and audited as `cookie.choice` without either. The time is
    /// `now`, the server's.
    pub async fn record_cookie_choice(
        &self,
        actor: &Actor,
        input: CookieChoiceInput,
        now: Timestamp,
    ) -> Result<CookieChoiceView, VaultError> {
        let browser = BrowserId::parse(&input.browser).map_err(refused)?;
        let choice = CookieChoice {
            revision: input.revision,
            notice_version: input.notice_version,
            language: input.language,
            action: input.action,
            given: input.given,
            refused: input.refused,
            services: input.services,
            gpc: input.gpc,
            dnt: input.dnt,
            at: now,
        };
        choice.check(&self.register().cookies).map_err(refused)?;
        let browser_index = self.browser_index(&browser);
        let context = self.seal_context(&browser_index, &input.ip, &input.user_agent)?;
        let row = CookieChoiceRow {
            seq: 0,
            browser_index,
            at: now,
            method: ConsentMethod::Banner.as_str().to_owned(),
            action: choice.action.as_str().to_owned(),
            given: choice.given,
            refused: choice.refused,
            services: choice.services,
            gpc: choice.gpc,
            dnt: choice.dnt,
            revision: choice.revision,
            notice_version: choice.notice_version,
            language: choice.language.word().to_owned(),
            context_ciphertext: context,
        };
        self.storage.append_cookie_choice(row.clone()).await?;
        let detail = audit_detail(&row);
        let anonymous = Actor {
            id: actor.id.clone(),
            ip: None,
            tenant: None,
            sees_confidential: false,
        };
        self.audit_with_detail(
            &anonymous,
            now,
            "cookie.choice",
            None,
            None,
            Vec::new(),
            &row.action,
            Some(detail),
        )
        .await?;
        Ok(view(row))
    }

    /// The choices of the browser with id `browser`, newest first, for the privacy team (who
    /// asks is the caller's `actor`); audited as `cookie.read` without the id. An id no choice
    /// was stored under answers `browser_known: false`.
    pub async fn cookie_choices(
        &self,
        actor: &Actor,
        browser: &str,
        now: Timestamp,
    ) -> Result<BrowserChoices, VaultError> {
        let browser = BrowserId::parse(browser).map_err(refused)?;
        let rows = self
            .storage
            .cookie_choices_of(&self.browser_index(&browser))
            .await?;
        let outcome = if rows.is_empty() { "unknown" } else { "found" };
        self.audit(actor, now, "cookie.read", None, None, Vec::new(), outcome)
            .await?;
        Ok(BrowserChoices {
            browser_known: !rows.is_empty(),
            choices: rows.into_iter().map(view).collect(),
        })
    }

    /// Delete the choices older than [`COOKIE_CHOICE_YEARS`] at `now`, `batch` per
    /// transaction, each batch with its proof ([`COOKIE_RETENTION_ACTION`], the number deleted
    /// and the cut-off) in the same transaction. Returns how many were deleted. The retention
    /// sweep runs it under the sweep lock.
    pub async fn sweep_cookie_choices(
        &self,
        actor: &Actor,
        now: Timestamp,
        batch: usize,
    ) -> Result<u64, VaultError> {
        let before = now
            .to_zoned(stockholm())
            .checked_sub(i64::from(COOKIE_CHOICE_YEARS).years())
            .map_err(|_| {
                VaultError::invalid(
                    "a time too early to count back from",
                    "sweep at a later time",
                )
            })?
            .timestamp();
        let mut total = 0;
        loop {
            let (actor_id, ip) = (actor.id.clone(), actor.ip.clone());
            let proof = Box::new(move |deleted: u64| AuditEventRow {
                seq: 0,
                at: now,
                actor: actor_id,
                ip,
                action: COOKIE_RETENTION_ACTION.to_owned(),
                purpose: None,
                subject_id: None,
                categories: Vec::new(),
                outcome: "deleted".to_owned(),
                detail: Some(format!("{deleted} cookie choices made before {before}")),
            });
            let deleted = self
                .storage
                .delete_cookie_choices_before(before, batch.max(1), proof)
                .await?;
            total += deleted;
            if deleted < batch.max(1) as u64 {
                return Ok(total);
            }
        }
    }

    /// The visitor's address and user agent sealed under the banner data key, bound to the
    /// browser's blind index; `None` when neither is known.
    fn seal_context(
        &self,
        browser_index: &[u8],
        ip: &Option<String>,
        user_agent: &Option<String>,
    ) -> Result<Option<Vec<u8>>, VaultError> {
        if ip.is_none() && user_agent.is_none() {
            return Ok(None);
        }
        let plaintext = serde_json::json!({"ip": ip, "user_agent": user_agent}).to_string();
        Ok(Some(
            self.keyring
                .banner_data_key()
                .seal(plaintext.as_bytes(), &context_aad(browser_index))?,
        ))
    }

    fn browser_index(&self, browser: &BrowserId) -> Vec<u8> {
        self.keyring
            .blind_index_key()
            .blind_index(BROWSER_INDEX_KIND, browser.as_str())
            .to_vec()
    }
}

/// Register ids as one word list for the audit detail (`-` for none).
fn words(ids: &[String]) -> String {
    if ids.is_empty() {
        "-".to_owned()
    } else {
        ids.join(" ")
    }
}

/// The audit detail of a stored choice: revision, categories, services and signals, all register
/// ids and fixed words; never the browser or the address.
fn audit_detail(row: &CookieChoiceRow) -> String {
    let services: Vec<String> = row
        .services
        .iter()
        .map(|(service, load)| format!("{service}={}", if *load { "load" } else { "block" }))
        .collect();
    let signals: Vec<&str> = [(row.gpc, "gpc"), (row.dnt, "dnt")]
        .into_iter()
        .filter_map(|(sent, name)| sent.then_some(name))
        .collect();
    format!(
        "revision {}; given: {}; refused: {}; services: {}; signals: {}",
        row.revision,
        words(&row.given),
        words(&row.refused),
        words(&services),
        words(&signals.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>()),
    )
}
