//! The privacy centre's sign-in and sessions: who the claimed identities reach, the challenge
//! (code, magic link, browser secret) written alike for known and unknown people, its checks,
//! and the session it opens.

use jiff::Timestamp;
use skydd_crypto::{CentreKey, SessionSecret, centre as secrets};
use skydd_storage::{CentreCutoffs, CentreSessionRow, CentreSignInRow};
use skydd_subject::{Identity, IdentityKind, ParseContext};
use skydd_vault::{Actor, AuditEvent, VaultError};
use zeroize::Zeroizing;

use super::{
    CHALLENGE_LIFETIME, CODE_ATTEMPTS, Centre, CentreError, Claimed, Client, Intent, Opened,
    Person, SESSION_ABSOLUTE, SESSION_IDLE, SignInStarted,
};

/// The actor of sign-in events before a session exists.
const SIGN_IN_ACTOR: &str = "centre:sign-in";

/// A session's last request is written at most this often.
const TOUCH_INTERVAL: jiff::SignedDuration = jiff::SignedDuration::from_mins(1);

/// Which secret a keyed hash is of (the kinds separate them).
const CODE: &str = "code";
const LINK: &str = "link";
const BROWSER: &str = "browser";
const SESSION: &str = "session";

/// Whom the claimed identities reach.
struct Reach {
    /// The vault subject, when every identity the vault knows points at it.
    subject: Option<String>,
    /// The identities the message proves: those of the subject the vault matched, or the
    /// e-mail address a connected database holds; empty for a person nobody knows.
    proven: Vec<Identity>,
    /// Where the code goes; `None` for a person nobody knows (or one without an address).
    address: Option<String>,
}

/// A session row that lives at `now`, with its identities opened.
pub(super) struct LiveSession {
    pub(super) row: CentreSessionRow,
    pub(super) identities: Vec<Identity>,
}

impl Centre {
    fn key(&self) -> std::sync::Arc<skydd_crypto::Keyring> {
        self.app.keyring()
    }

    /// Start a sign-in: if the identities reach a person (the vault, or a connected database
    /// for an e-mail address), queue a message with a code and a magic link to their e-mail
    /// address; the answer is the same either way.
    pub async fn start_sign_in(
        &self,
        client: &Client,
        claimed: Claimed,
        intent: Intent,
        now: Timestamp,
    ) -> Result<SignInStarted, CentreError> {
        let identities = normalise(&claimed, now)?;
        let reach = self.reach(&identities).await?;
        let keyring = self.key();
        let key = keyring.centre_key();
        let public_id = new_public_id()?;
        let code = secrets::code().map_err(VaultError::from)?;
        let token = secrets::token().map_err(VaultError::from)?;
        let browser = secrets::token().map_err(VaultError::from)?;
        let expires_at = now.checked_add(CHALLENGE_LIFETIME).unwrap_or(now);
        let link = self.app.site().link(
            &client.base,
            &format!("/privacy-centre/link/{}", token.as_str()),
        );
        // The message is written for everyone, so a known and an unknown person cost the
        // same; only a known person's is queued.
        let message = self.app.vault().sign_in_message(
            reach.address.as_deref().unwrap_or("nobody@invalid.example"),
            &code,
            &link,
            expires_at,
            client.language,
            now,
        )?;
        let row = CentreSignInRow {
            code_hash: key.hash(CODE, &code).to_vec(),
            link_hash: key.hash(LINK, &token).to_vec(),
            browser_hash: key.hash(BROWSER, &browser).to_vec(),
            subject_id: reach.subject.clone(),
            identities_ciphertext: seal(key, &reach.proven, &aad("sign-in", &public_id))?,
            intent: intent_word(intent),
            expires_at,
            attempts_left: CODE_ATTEMPTS,
            ended_at: None,
            created_at: now,
            public_id: public_id.clone(),
        };
        let queued = reach.address.is_some().then_some(message);
        self.app.storage.insert_centre_sign_in(row, queued).await?;
        let detail = format!("challenge {public_id}");
        self.record(
            SIGN_IN_ACTOR,
            client,
            "centre.sign_in.start",
            "started",
            None,
            detail,
            now,
        )
        .await?;
        Ok(SignInStarted {
            challenge: public_id,
            browser_secret: browser.to_string(),
            expires_at,
        })
    }

    /// Whom `identities` reach: the vault subject they all point at (identities it does not
    /// know are dropped, they are not proven), or the e-mail address a connected database
    /// holds; nobody when they point at two subjects.
    async fn reach(&self, identities: &[Identity]) -> Result<Reach, CentreError> {
        let keyring = self.key();
        let mut subject: Option<String> = None;
        let mut proven = Vec::new();
        for identity in identities {
            let kind = identity.kind().as_str();
            let index = keyring
                .blind_index_key()
                .blind_index(kind, identity.expose());
            let Some(found) = self
                .app
                .storage
                .find_subject_by_identity(None, kind, &index)
                .await?
            else {
                continue;
            };
            if subject.as_ref().is_some_and(|s| *s != found.id) {
                return Ok(Reach::nobody());
            }
            subject = Some(found.id);
            proven.push(identity.clone());
        }
        if let Some(subject) = subject {
            let address = self.app.vault().person_email(&subject).await?;
            return Ok(Reach {
                subject: Some(subject),
                proven,
                address,
            });
        }
        let email = identities.iter().find(|i| i.kind() == IdentityKind::Email);
        if let Some(email) = email
            && !self.app.datasets().is_empty()
            && self.app.connected_holds(email).await
        {
            return Ok(Reach {
                subject: None,
                proven: vec![email.clone()],
                address: Some(email.expose().to_owned()),
            });
        }
        Ok(Reach::nobody())
    }

    /// Verify a sign-in by the code typed in the browser that asked.
    pub async fn verify_code(
        &self,
        client: &Client,
        challenge: &str,
        browser_secret: &str,
        code: &str,
        now: Timestamp,
    ) -> Result<Opened, CentreError> {
        let row = self
            .app
            .storage
            .centre_sign_in(challenge)
            .await?
            .ok_or(CentreError::Expired)?;
        self.check_live(client, &row, browser_secret, now).await?;
        let Some(code) = secrets::normalise_code(code) else {
            return Err(CentreError::Invalid {
                what: format!("a code is {} digits", secrets::CODE_DIGITS),
                help: "type the code from the message, digits only".into(),
            });
        };
        let keyring = self.key();
        let key = keyring.centre_key();
        let identities = open_sealed(
            key,
            &row.identities_ciphertext,
            &aad("sign-in", &row.public_id),
            now,
        )?;
        if identities.is_empty() || !key.matches(CODE, &code, &row.code_hash) {
            return Err(self.wrong_code(client, &row, now).await?);
        }
        self.open_session(client, &row, identities, "code", now)
            .await
    }

    /// Verify a sign-in by the magic link's token, opened in the browser that asked.
    pub async fn verify_link(
        &self,
        client: &Client,
        token: &str,
        browser_secret: &str,
        now: Timestamp,
    ) -> Result<Opened, CentreError> {
        let keyring = self.key();
        let key = keyring.centre_key();
        let row = self
            .app
            .storage
            .centre_sign_in_by_link(&key.hash(LINK, token.trim()))
            .await?
            .ok_or(CentreError::Expired)?;
        self.check_live(client, &row, browser_secret, now).await?;
        let identities = open_sealed(
            key,
            &row.identities_ciphertext,
            &aad("sign-in", &row.public_id),
            now,
        )?;
        if identities.is_empty() {
            return Err(CentreError::Expired);
        }
        self.open_session(client, &row, identities, "link", now)
            .await
    }

    /// Refuse a sign-in that ended or expired, and one presented by another browser (which
    /// does not use it up).
    async fn check_live(
        &self,
        client: &Client,
        row: &CentreSignInRow,
        browser_secret: &str,
        now: Timestamp,
    ) -> Result<(), CentreError> {
        if row.ended_at.is_some() || now >= row.expires_at || row.attempts_left == 0 {
            return Err(CentreError::Expired);
        }
        let keyring = self.key();
        if !keyring
            .centre_key()
            .matches(BROWSER, browser_secret.trim(), &row.browser_hash)
        {
            let detail = format!("challenge {} reason other_browser", row.public_id);
            self.record(
                SIGN_IN_ACTOR,
                client,
                "centre.sign_in.verify",
                "refused",
                None,
                detail,
                now,
            )
            .await?;
            return Err(CentreError::OtherBrowser);
        }
        Ok(())
    }

    /// A wrong code: counted (the last one ends the challenge), audited, and the error.
    async fn wrong_code(
        &self,
        client: &Client,
        row: &CentreSignInRow,
        now: Timestamp,
    ) -> Result<CentreError, CentreError> {
        let left = self
            .app
            .storage
            .count_centre_code_attempt(&row.public_id, now)
            .await?;
        let detail = format!("challenge {} reason wrong_code", row.public_id);
        self.record(
            SIGN_IN_ACTOR,
            client,
            "centre.sign_in.verify",
            "refused",
            None,
            detail,
            now,
        )
        .await?;
        Ok(match left {
            Some(attempts_left) if attempts_left > 0 => CentreError::WrongCode { attempts_left },
            _ => CentreError::Expired,
        })
    }

    /// End the challenge and open its session in one transaction; audited.
    async fn open_session(
        &self,
        client: &Client,
        sign_in: &CentreSignInRow,
        identities: Vec<Identity>,
        by: &str,
        now: Timestamp,
    ) -> Result<Opened, CentreError> {
        let keyring = self.key();
        let key = keyring.centre_key();
        let secret = SessionSecret::generate().map_err(VaultError::from)?;
        let encoded = secret.encoded();
        let public_id = new_public_id()?;
        let row = CentreSessionRow {
            secret_hash: key.hash(SESSION, &encoded).to_vec(),
            subject_id: sign_in.subject_id.clone(),
            identities_ciphertext: seal(key, &identities, &aad("session", &public_id))?,
            intent: sign_in.intent.clone(),
            created_at: now,
            last_seen_at: now,
            ended_at: None,
            public_id: public_id.clone(),
        };
        if !self
            .app
            .storage
            .open_centre_session(&sign_in.public_id, row.clone(), now)
            .await?
        {
            return Err(CentreError::Expired);
        }
        let detail = format!("challenge {} by {by}", sign_in.public_id);
        let actor = format!("centre:{public_id}");
        let subject = row.subject_id.as_deref();
        self.record(
            &actor,
            client,
            "centre.sign_in",
            "done",
            subject,
            detail,
            now,
        )
        .await?;
        let person = person(&row, &identities, &secret)?;
        Ok(Opened {
            secret: encoded.to_string(),
            person,
        })
    }

    /// The person of a session secret (the cookie), if the session is alive; extends its idle
    /// time.
    pub async fn session(&self, secret: &str, now: Timestamp) -> Result<Person, CentreError> {
        let secret = SessionSecret::parse(secret).ok_or(CentreError::NoSession)?;
        let keyring = self.key();
        let hash = keyring.centre_key().hash(SESSION, &secret.encoded());
        let row = self
            .app
            .storage
            .centre_session(&hash)
            .await?
            .ok_or(CentreError::NoSession)?;
        let live = self.live(row, now).await?;
        if now.duration_since(live.row.last_seen_at) >= TOUCH_INTERVAL {
            self.app
                .storage
                .touch_centre_session(&live.row.public_id, now)
                .await?;
        }
        person(&live.row, &live.identities, &secret)
    }

    /// The session of `person`, if it still lives at `now` (not signed out, not timed out),
    /// with its identities: every action reads it again, so an ended session does nothing.
    pub(super) async fn live_session(
        &self,
        person: &Person,
        now: Timestamp,
    ) -> Result<LiveSession, CentreError> {
        let row = self
            .app
            .storage
            .centre_session_by_id(&person.session_id)
            .await?
            .ok_or(CentreError::NoSession)?;
        self.live(row, now).await
    }

    /// `row` if it lives at `now`; a timed-out session is ended here.
    async fn live(
        &self,
        row: CentreSessionRow,
        now: Timestamp,
    ) -> Result<LiveSession, CentreError> {
        if row.ended_at.is_some() {
            return Err(CentreError::NoSession);
        }
        let idle = now.duration_since(row.last_seen_at) >= SESSION_IDLE;
        let old = now.duration_since(row.created_at) >= SESSION_ABSOLUTE;
        if idle || old {
            self.app
                .storage
                .end_centre_session(&row.public_id, now)
                .await?;
            return Err(CentreError::NoSession);
        }
        let keyring = self.key();
        let identities = open_sealed(
            keyring.centre_key(),
            &row.identities_ciphertext,
            &aad("session", &row.public_id),
            now,
        )?;
        Ok(LiveSession { row, identities })
    }

    /// End the session.
    pub async fn sign_out(
        &self,
        client: &Client,
        person: &Person,
        now: Timestamp,
    ) -> Result<(), CentreError> {
        if self
            .app
            .storage
            .end_centre_session(&person.session_id, now)
            .await?
        {
            let actor = format!("centre:{}", person.session_id);
            let subject = person.subject.as_deref();
            let detail = "signed out".to_owned();
            self.record(
                &actor,
                client,
                "centre.sign_out",
                "done",
                subject,
                detail,
                now,
            )
            .await?;
        }
        Ok(())
    }

    /// Delete the sign-ins that expired or ended and the sessions that ended or timed out at
    /// `now`; returns how many rows. The retention sweep runs it.
    pub async fn sweep_expired(&self, now: Timestamp) -> Result<u64, CentreError> {
        let cutoffs = CentreCutoffs {
            sign_ins_expired_by: now,
            sessions_idle_since: now.checked_sub(SESSION_IDLE).unwrap_or(now),
            sessions_begun_by: now.checked_sub(SESSION_ABSOLUTE).unwrap_or(now),
        };
        Ok(self.app.storage.delete_stale_centre_rows(cutoffs).await?)
    }

    /// Record a centre event through the audit sink: ids and words only, never an identity.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn record(
        &self,
        actor: &str,
        client: &Client,
        action: &'static str,
        outcome: &str,
        subject: Option<&str>,
        detail: String,
        now: Timestamp,
    ) -> Result<(), CentreError> {
        self.app
            .audit()
            .record(AuditEvent {
                at: now,
                actor: actor.to_owned(),
                ip: client.ip.clone(),
                action,
                purpose: None,
                subject_id: subject.map(str::to_owned),
                categories: Vec::new(),
                outcome: outcome.to_owned(),
                detail: Some(detail),
            })
            .await
            .map_err(CentreError::Storage)
    }
}

impl Reach {
    fn nobody() -> Reach {
        Reach {
            subject: None,
            proven: Vec::new(),
            address: None,
        }
    }
}

/// The actor of what the session of `person` does, from `client`'s address.
pub(super) fn actor(person: &Person, client: &Client) -> Actor {
    Actor::centre(&person.session_id, client.ip.clone())
}

/// The person a session row is, as the pages see them.
fn person(
    row: &CentreSessionRow,
    identities: &[Identity],
    secret: &SessionSecret,
) -> Result<Person, CentreError> {
    Ok(Person {
        session_id: row.public_id.clone(),
        subject: row.subject_id.clone(),
        masked: identities
            .iter()
            .map(|i| (i.kind().as_str().to_owned(), i.masked()))
            .collect(),
        csrf: secret.csrf_token(),
        expires_at: row
            .created_at
            .checked_add(SESSION_ABSOLUTE)
            .unwrap_or(row.created_at),
        intent: parse_intent(&row.intent)?,
    })
}

/// The claimed identities normalised: at least one, each valid. Errors name the field, never
/// the value.
fn normalise(claimed: &Claimed, now: Timestamp) -> Result<Vec<Identity>, CentreError> {
    let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
    let context = ParseContext::sweden(today);
    let mut identities = Vec::new();
    for (kind, value, help) in [
        (
            IdentityKind::Email,
            given(claimed.email.as_deref()),
            "check the e-mail address (name@example.com) and send it again",
        ),
        (
            IdentityKind::Phone,
            given(claimed.phone.as_deref()),
            "check the phone number (+46 70 123 45 67) and send it again",
        ),
    ] {
        if let Some(value) = value {
            let identity =
                Identity::parse(kind, value, context).map_err(|e| CentreError::Invalid {
                    what: e.to_string(),
                    help: help.into(),
                })?;
            identities.push(identity);
        }
    }
    if identities.is_empty() {
        return Err(CentreError::Invalid {
            what: "no e-mail address or phone number was given".into(),
            help: "give the e-mail address or the phone number you are known by".into(),
        });
    }
    Ok(identities)
}

/// A value typed into a form, unless it is blank.
fn given(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// A new public id: 32 lowercase hex digits.
fn new_public_id() -> Result<String, CentreError> {
    let bytes = skydd_crypto::random_bytes::<16>().map_err(VaultError::from)?;
    Ok(data_encoding::HEXLOWER.encode(&bytes))
}

/// The associated data of sealed identities: whose (`sign-in` or `session`) and its id.
fn aad(owner: &str, public_id: &str) -> Vec<u8> {
    format!("skydd centre v1:identities:{owner}:{public_id}").into_bytes()
}

/// Seal `identities` as JSON pairs of kind and value.
fn seal(key: &CentreKey, identities: &[Identity], aad: &[u8]) -> Result<Vec<u8>, CentreError> {
    let pairs: Vec<(&str, &str)> = identities
        .iter()
        .map(|i| (i.kind().as_str(), i.expose()))
        .collect();
    let json =
        Zeroizing::new(serde_json::to_vec(&pairs).map_err(|e| VaultError::Corrupt(e.to_string()))?);
    Ok(key.seal(&json, aad).map_err(VaultError::from)?)
}

/// Open identities [`seal`] sealed.
fn open_sealed(
    key: &CentreKey,
    sealed: &[u8],
    aad: &[u8],
    now: Timestamp,
) -> Result<Vec<Identity>, CentreError> {
    let plain = key.open(sealed, aad).map_err(VaultError::from)?;
    let corrupt = || VaultError::Corrupt("a privacy centre sign-in's identities".into());
    let pairs: Vec<(String, String)> = serde_json::from_slice(&plain).map_err(|_| corrupt())?;
    let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
    pairs
        .iter()
        .map(|(kind, value)| {
            let kind: IdentityKind = kind.parse().map_err(|_| corrupt())?;
            Identity::parse(kind, value, ParseContext::sweden(today))
                .map_err(|_| CentreError::from(corrupt()))
        })
        .collect()
}

/// The stored word of an intent: `overview` or `request:<type>`.
fn intent_word(intent: Intent) -> String {
    match intent {
        Intent::Overview => "overview".to_owned(),
        Intent::Request(request_type) => format!("request:{}", request_type.as_str()),
    }
}

/// The intent of a stored word.
fn parse_intent(word: &str) -> Result<Intent, CentreError> {
    match word.strip_prefix("request:") {
        None if word == "overview" => Ok(Intent::Overview),
        Some(request_type) => request_type
            .parse()
            .map(Intent::Request)
            .map_err(|_| VaultError::Corrupt("a privacy centre session's intent".into()).into()),
        None => Err(VaultError::Corrupt("a privacy centre session's intent".into()).into()),
    }
}
