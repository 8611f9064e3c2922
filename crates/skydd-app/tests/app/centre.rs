//! The privacy centre's service (issue 18) through `App::centre`, on SQLite and on PostgreSQL
//! (`SKYDD_TEST_DATABASE_URL`; required in CI), at chosen times: the same answer for known and
//! unknown people and a message only for the known, single-use codes, five wrong codes, expiry
//! at exactly fifteen minutes, a link in another browser, idle and absolute session timeouts,
//! the overview with the vault's and a connected system's data, withdrawal changing
//! `Vault::decide`, requests verified by the sign-in, documents checked by content, and no
//! identity value in the audit trail or in plaintext in the database.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use skydd_app::centre::{
    CODE_ATTEMPTS, Centre, CentreError, CentreRequestForm, Claimed, Client, DownloadFormat, Intent,
    Opened, ProposedCorrection, SignInStarted,
};
use skydd_app::datasets::Datasets;
use skydd_app::{App, FixedClock, LoadedRegister};
use skydd_crypto::Keyring;
use skydd_decide::Decision;
use skydd_register::model::Language;
use skydd_requests::{RequestState, RequestType};
use skydd_storage::{AuditFilter, Location, Storage};
use skydd_vault::{Actor, ConsentInput, NewRecord, NewSubject, OutboxState, VaultError};

/// A register with one purpose per thing the centre shows: a contract, a consent, direct
/// marketing on legitimate interest; a document is the only identity check it names.
const REGISTER: &str = "\
skydd: 1
published: 2026-01-05
languages: [en, sv]
controller:
  name: Exempel AB
  address: {city: Stockholm, country: SE}
  contact: {email: privacy@example.se}
authority:
  name: Integritetsskyddsmyndigheten (IMY)
  country: SE
subjects:
  - {id: customer, name: Customers}
sources:
  - {id: data_subject, kind: data_subject, name: You}
data:
  - id: contact
    name: {en: Contact details, sv: Kontaktuppgifter}
    provided_by_subject: true
    fields: [name, {id: email, format: email}, {id: phone, format: phone}]
purposes:
  - id: delivery
    name: {en: Deliver the service, sv: Leverera tjänsten}
    role: controller
    subjects: [customer]
    sources: [data_subject]
    legal_basis: {contact: contract}
  - id: newsletter
    name: {en: Newsletter, sv: Nyhetsbrev}
    role: controller
    subjects: [customer]
    sources: [data_subject]
    legal_basis: {contact: consent}
    consent: {wording: {en: I want the newsletter., sv: Jag vill ha nyhetsbrevet.}}
  - id: marketing
    name: {en: Marketing of our products, sv: Marknadsföring}
    role: controller
    subjects: [customer]
    sources: [data_subject]
    legal_basis: {contact: legitimate_interest}
    legitimate_interest: {balancing: Customers expect offers; objection is absolute.}
    direct_marketing: true
    channels: [email]
retention:
  - {id: contact, category: contact, after: contract_end, keep: 24 months}
security:
  - {id: enc, kind: technical, description: Encryption at rest}
rights:
  contact: {email: privacy@example.se}
  response_time: 1 month
  extension: 2 months
  copies: {free: 1, per: 12 months, further: fee}
  identity_verification: [id_document]
";

/// Values that must never be stored in plaintext or reach the audit trail.
const EMAIL: &str = "birgitta.holm@example.se";
const PHONE: &str = "+46701239876";
const NAME: &str = "Birgitta Holm-Wikström";
const CORRECTION: &str = "Birgitta Holm-Lindgren";
const MESSAGE: &str = "Please fix my surname, I married in May";
const USER_AGENT: &str = "Mozilla/5.0 (CentreTestBrowser/1.2)";
const IP: &str = "203.0.113.51";

/// The connected shop: one customer row for the address only it knows.
const SHOP_SQL: &str = "CREATE TABLE customer (id INTEGER PRIMARY KEY, email TEXT, name TEXT);
    INSERT INTO customer VALUES (1, 'shop.only@example.se', 'Sven Shopsson'),
      (2, 'birgitta.holm@example.se', 'Birgitta in the shop');";

/// One fresh database (a SQLite file, or a PostgreSQL schema dropped afterwards) and an app.
struct Fixture {
    /// The ids of sign-in messages in the order the test noticed them being queued.
    seen: std::sync::Mutex<Vec<String>>,
    /// Those messages: id, address, text.
    queued: std::sync::Mutex<Vec<(String, String, String)>>,
    dir: tempfile::TempDir,
    storage: Arc<dyn Storage>,
    app: App,
    postgres: Option<(String, String)>,
}

impl Fixture {
    async fn sqlite() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let storage = skydd_storage::open(&Location::Sqlite(dir.path().join("skydd.db")))
            .await
            .unwrap();
        Fixture::with(dir, storage, None)
    }

    async fn postgres() -> Option<Fixture> {
        let Ok(url) = std::env::var("SKYDD_TEST_DATABASE_URL") else {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI needs SKYDD_TEST_DATABASE_URL for the centre tests on PostgreSQL"
            );
            eprintln!(
                "note: SKYDD_TEST_DATABASE_URL is not set; centre tests on PostgreSQL skipped"
            );
            return None;
        };
        let schema = format!(
            "centre_{}",
            data_encoding::HEXLOWER.encode(&skydd_crypto::random_bytes::<8>().unwrap())
        );
        let storage = skydd_storage::open_postgres_in_schema(&url, &schema)
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        Some(Fixture::with(dir, storage, Some((url, schema))))
    }

    fn with(
        dir: tempfile::TempDir,
        storage: Arc<dyn Storage>,
        postgres: Option<(String, String)>,
    ) -> Fixture {
        let (keyring, _) = Keyring::load_or_create(&dir.path().join("master.key")).unwrap();
        let checked = skydd_register::check(REGISTER);
        let register = checked
            .register
            .unwrap_or_else(|| panic!("{:#?}", checked.diagnostics));
        let app = App::new(
            storage.clone(),
            Arc::new(keyring),
            LoadedRegister::new(register, "centre.yaml"),
            Arc::new(FixedClock(at("2026-03-02T09:00:00Z"))),
        );
        Fixture {
            seen: std::sync::Mutex::default(),
            queued: std::sync::Mutex::default(),
            dir,
            storage,
            app,
            postgres,
        }
    }

    /// The app reaching the connected shop (a SQLite file with [`SHOP_SQL`]).
    async fn with_shop(&mut self) {
        let database = self.dir.path().join("shop.db");
        {
            use sqlx::Connection as _;
            let options = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(&database)
                .create_if_missing(true);
            let mut conn = sqlx::SqliteConnection::connect_with(&options)
                .await
                .unwrap();
            sqlx::raw_sql(SHOP_SQL).execute(&mut conn).await.unwrap();
            conn.close().await.unwrap();
        }
        let url_file = self.dir.path().join("shop.url");
        std::fs::write(&url_file, format!("sqlite://{}", database.display())).unwrap();
        std::fs::set_permissions(&url_file, std::fs::Permissions::from_mode(0o600)).unwrap();
        let dataset = self.dir.path().join("shop.yaml");
        std::fs::write(
            &dataset,
            format!(
                "skydd_dataset: 1
name: shop
description: The web shop
kind: sqlite
connection: {{file: {}}}
collections:
  - name: customer
    primary_key: id
    fields:
      - name: id
      - {{name: email, identity: email, category: contact, erase: keyed_hash}}
      - {{name: name, category: contact, erase: null}}
",
                url_file.display()
            ),
        )
        .unwrap();
        let (datasets, _): (Datasets, String) =
            skydd_app::datasets::load(&[dataset], &self.app.register.register).unwrap();
        self.app = self.app.clone().with_datasets(datasets);
    }

    fn centre(&self) -> Centre {
        self.app.centre()
    }

    async fn clean_up(self) {
        self.storage.close().await.unwrap();
        if let Some((url, schema)) = &self.postgres {
            skydd_storage::drop_postgres_schema(url, schema)
                .await
                .unwrap();
        }
    }
}

/// Each scenario as a test on SQLite and one on PostgreSQL.
macro_rules! centre_scenarios {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let mut fixture = super::Fixture::sqlite().await;
                    super::$name(&mut fixture).await;
                    fixture.clean_up().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    let Some(mut fixture) = super::Fixture::postgres().await else { return };
                    super::$name(&mut fixture).await;
                    fixture.clean_up().await;
                }
            )*
        }
    };
}

centre_scenarios!(
    known_and_unknown_get_the_same_answer_and_only_the_known_a_message,
    bad_input_is_refused_naming_the_field_never_the_value,
    a_code_is_single_use_and_opens_a_session,
    five_wrong_codes_end_the_challenge,
    a_challenge_expires_at_exactly_fifteen_minutes,
    a_link_in_another_browser_is_refused_and_still_works_in_the_right_one,
    sessions_end_idle_absolute_and_by_signing_out,
    the_overview_has_the_vaults_and_a_connected_systems_data,
    a_person_only_a_connected_system_knows_signs_in,
    withdrawing_a_consent_changes_the_decision,
    objections_and_preferences_go_through_the_vault,
    a_centre_request_is_verified_by_the_sign_in,
    documents_are_checked_by_content_and_only_for_own_requests,
    downloads_are_the_package_and_the_portability_file,
    stale_sign_ins_and_sessions_are_swept,
    no_identity_value_is_audited_or_stored_in_plaintext,
);

fn at(time: &str) -> Timestamp {
    time.parse().unwrap()
}

/// The first moment of the scenarios: 10:00 Stockholm time.
fn t0() -> Timestamp {
    at("2026-03-02T09:00:00Z")
}

fn mins(n: i64) -> SignedDuration {
    SignedDuration::from_mins(n)
}

fn client() -> Client {
    Client {
        ip: Some(IP.into()),
        user_agent: Some(USER_AGENT.into()),
        language: Language::En,
        base: "http://127.0.0.1:8080".into(),
    }
}

fn email(address: &str) -> Claimed {
    Claimed {
        email: Some(address.into()),
        phone: None,
    }
}

/// Birgitta: a vault subject with an e-mail address and a phone number, and a contact record.
async fn birgitta(f: &Fixture) -> String {
    let vault = f.app.vault();
    let actor = Actor::new("test");
    let subject = vault
        .create_subject(
            &actor,
            NewSubject {
                identities: vec![
                    ("email".into(), EMAIL.into()),
                    ("phone".into(), PHONE.into()),
                ],
                tenant: None,
            },
            t0(),
        )
        .await
        .unwrap()
        .to_string();
    vault
        .add_record(
            &actor,
            &subject,
            NewRecord {
                category: "contact".into(),
                purpose: "delivery".into(),
                source: "data_subject".into(),
                fields: serde_json::json!({"name": NAME, "email": EMAIL})
                    .as_object()
                    .unwrap()
                    .clone(),
                collected_at: None,
                anchors: Default::default(),
                combined_from: Vec::new(),
            },
            t0(),
        )
        .await
        .unwrap();
    subject
}

/// The sign-in messages queued, in the order they were queued: (address, text).
async fn messages(f: &Fixture) -> Vec<(String, String)> {
    notice_messages(f).await;
    let seen = f.seen.lock().unwrap().clone();
    seen.iter()
        .filter_map(|id| {
            let all = f.queued.lock().unwrap();
            all.iter()
                .find(|(m, _, _)| m == id)
                .map(|(_, to, text)| (to.clone(), text.clone()))
        })
        .collect()
}

/// Note the sign-in messages queued since the last look, in the order they were noticed.
async fn notice_messages(f: &Fixture) {
    let queued = f
        .app
        .vault()
        .outbox(&Actor::new("test"), Some(OutboxState::Queued), t0())
        .await
        .unwrap();
    let mut seen = f.seen.lock().unwrap();
    let mut all = f.queued.lock().unwrap();
    for message in queued.into_iter().filter(|m| m.kind == "centre_sign_in") {
        if !seen.contains(&message.id) {
            seen.push(message.id.clone());
            all.push((message.id, message.to, message.text));
        }
    }
}

/// The code and the link token in a sign-in message's text.
fn code_and_token(text: &str) -> (String, String) {
    let code = text
        .lines()
        .find(|l| l.len() == 8 && l.bytes().all(|b| b.is_ascii_digit()))
        .unwrap()
        .to_owned();
    let link = text.lines().find(|l| l.starts_with("http")).unwrap();
    let token = link.rsplit('/').next().unwrap().to_owned();
    assert!(
        link.starts_with("http://127.0.0.1:8080/privacy-centre/link/"),
        "{link}"
    );
    (code, token)
}

/// Start a sign-in for `claimed` at `now` and read the code and token its message carries.
async fn start(f: &Fixture, claimed: Claimed, now: Timestamp) -> (SignInStarted, String, String) {
    let started = f
        .centre()
        .start_sign_in(&client(), claimed, Intent::Overview, now)
        .await
        .unwrap();
    let (_, text) = messages(f).await.pop().unwrap();
    let (code, token) = code_and_token(&text);
    (started, code, token)
}

/// Birgitta signed in at `now`.
async fn signed_in(f: &Fixture, now: Timestamp) -> Opened {
    let (started, code, _) = start(f, email(EMAIL), now).await;
    f.centre()
        .verify_code(
            &client(),
            &started.challenge,
            &started.browser_secret,
            &code,
            now,
        )
        .await
        .unwrap()
}

async fn known_and_unknown_get_the_same_answer_and_only_the_known_a_message(f: &mut Fixture) {
    let subject = birgitta(f).await;
    let centre = f.centre();
    let known = centre
        .start_sign_in(&client(), email(EMAIL), Intent::Overview, t0())
        .await
        .unwrap();
    let unknown = centre
        .start_sign_in(
            &client(),
            email("nobody@example.se"),
            Intent::Overview,
            t0(),
        )
        .await
        .unwrap();
    // Two identities of two different people reach nobody.
    let other = f
        .app
        .vault()
        .create_subject(
            &Actor::new("test"),
            NewSubject {
                identities: vec![("phone".into(), "+46705550000".into())],
                tenant: None,
            },
            t0(),
        )
        .await
        .unwrap();
    let _ = other;
    let mixed = centre
        .start_sign_in(
            &client(),
            Claimed {
                email: Some(EMAIL.into()),
                phone: Some("+46705550000".into()),
            },
            Intent::Request(RequestType::Erasure),
            t0(),
        )
        .await
        .unwrap();
    for answer in [&known, &unknown, &mixed] {
        assert_eq!(answer.challenge.len(), 32);
        assert_eq!(answer.browser_secret.len(), 43);
        assert_eq!(answer.expires_at, t0() + mins(15));
    }
    let shown = format!("{known:?}");
    assert!(!shown.contains(&known.browser_secret), "{shown}");

    let queued = messages(f).await;
    assert_eq!(queued.len(), 1, "only the known person gets a message");
    assert_eq!(queued[0].0, EMAIL);
    // Each challenge was written alike; only the known one names its subject.
    let storage = &f.storage;
    for (answer, subject_id) in [
        (&known, Some(subject.clone())),
        (&unknown, None),
        (&mixed, None),
    ] {
        let row = storage
            .centre_sign_in(&answer.challenge)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.subject_id, subject_id);
        assert_eq!(row.attempts_left, CODE_ATTEMPTS);
        assert!(row.identities_ciphertext.len() > 16);
    }
    // The phone alone reaches her too; the message still goes to her e-mail address.
    centre
        .start_sign_in(
            &client(),
            Claimed {
                email: None,
                phone: Some("070-123 98 76".into()),
            },
            Intent::Overview,
            t0(),
        )
        .await
        .unwrap();
    let queued = messages(f).await;
    assert_eq!(queued.len(), 2);
    assert_eq!(queued[1].0, EMAIL);
    // An unknown person's challenge can never be verified, whatever is tried.
    for code in ["00000000", "12345678"] {
        let refused = centre
            .verify_code(
                &client(),
                &unknown.challenge,
                &unknown.browser_secret,
                code,
                t0(),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(refused, CentreError::WrongCode { .. }),
            "{refused:?}"
        );
    }
}

async fn bad_input_is_refused_naming_the_field_never_the_value(f: &mut Fixture) {
    let centre = f.centre();
    let nothing = centre
        .start_sign_in(
            &client(),
            Claimed {
                email: Some("  ".into()),
                phone: None,
            },
            Intent::Overview,
            t0(),
        )
        .await
        .unwrap_err();
    assert!(matches!(nothing, CentreError::Invalid { .. }));
    assert!(
        nothing
            .to_string()
            .contains("no e-mail address or phone number")
    );
    for (claimed, field) in [
        (email("birgitta.holm(at)example.se"), "e-mail"),
        (
            Claimed {
                email: None,
                phone: Some("+46 70 BIRGITTA".into()),
            },
            "phone",
        ),
    ] {
        let error = centre
            .start_sign_in(&client(), claimed, Intent::Overview, t0())
            .await
            .unwrap_err();
        let CentreError::Invalid { what, help } = &error else {
            panic!("{error:?}");
        };
        assert!(what.contains(field), "{what}");
        let shown = format!("{what} {help} {error:?}");
        assert!(
            !shown.contains("holm") && !shown.contains("BIRGITTA"),
            "{shown}"
        );
    }
    assert!(f.storage.outbox_messages(None).await.unwrap().is_empty());
}

async fn a_code_is_single_use_and_opens_a_session(f: &mut Fixture) {
    let subject = birgitta(f).await;
    let (started, code, token) = start(f, email(EMAIL), t0()).await;
    let centre = f.centre();
    let later = t0() + mins(3);
    let malformed = centre
        .verify_code(
            &client(),
            &started.challenge,
            &started.browser_secret,
            "12ab",
            later,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(malformed, CentreError::Invalid { .. }),
        "{malformed:?}"
    );
    let spaced = format!("{} {}", &code[..4], &code[4..]);
    let opened = centre
        .verify_code(
            &client(),
            &started.challenge,
            &started.browser_secret,
            &spaced,
            later,
        )
        .await
        .unwrap();
    assert_eq!(opened.person.subject.as_deref(), Some(subject.as_str()));
    assert_eq!(
        opened.person.masked,
        [("email".to_owned(), "b…@example.se".to_owned())]
    );
    assert_eq!(opened.person.intent, Intent::Overview);
    assert_eq!(
        opened.person.expires_at,
        later + SignedDuration::from_hours(1)
    );
    assert_eq!(opened.person.csrf.len(), 64);
    assert!(!format!("{opened:?}").contains(&opened.secret));

    let again = centre
        .verify_code(
            &client(),
            &started.challenge,
            &started.browser_secret,
            &code,
            later,
        )
        .await
        .unwrap_err();
    assert!(matches!(again, CentreError::Expired), "{again:?}");
    let link = centre
        .verify_link(&client(), &token, &started.browser_secret, later)
        .await
        .unwrap_err();
    assert!(
        matches!(link, CentreError::Expired),
        "the link is used up with the code"
    );

    let person = centre.session(&opened.secret, later).await.unwrap();
    assert_eq!(person.session_id, opened.person.session_id);
    assert_eq!(person.csrf, opened.person.csrf);
    assert!(matches!(
        centre.session("not-a-secret", later).await,
        Err(CentreError::NoSession)
    ));
    // The intent is carried through.
    let (started, code, _) = {
        let started = centre
            .start_sign_in(
                &client(),
                email(EMAIL),
                Intent::Request(RequestType::Erasure),
                later,
            )
            .await
            .unwrap();
        let (_, text) = messages(f).await.pop().unwrap();
        let (code, token) = code_and_token(&text);
        (started, code, token)
    };
    let opened = centre
        .verify_code(
            &client(),
            &started.challenge,
            &started.browser_secret,
            &code,
            later,
        )
        .await
        .unwrap();
    assert_eq!(opened.person.intent, Intent::Request(RequestType::Erasure));
}

async fn five_wrong_codes_end_the_challenge(f: &mut Fixture) {
    birgitta(f).await;
    let (started, code, token) = start(f, email(EMAIL), t0()).await;
    let centre = f.centre();
    let wrong = if code == "11111111" {
        "22222222"
    } else {
        "11111111"
    };
    for left in (1..CODE_ATTEMPTS).rev() {
        let error = centre
            .verify_code(
                &client(),
                &started.challenge,
                &started.browser_secret,
                wrong,
                t0(),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(error, CentreError::WrongCode { attempts_left } if attempts_left == left),
            "{error:?}"
        );
    }
    let last = centre
        .verify_code(
            &client(),
            &started.challenge,
            &started.browser_secret,
            wrong,
            t0(),
        )
        .await
        .unwrap_err();
    assert!(matches!(last, CentreError::Expired), "{last:?}");
    for error in [
        centre
            .verify_code(
                &client(),
                &started.challenge,
                &started.browser_secret,
                &code,
                t0(),
            )
            .await
            .unwrap_err(),
        centre
            .verify_link(&client(), &token, &started.browser_secret, t0())
            .await
            .unwrap_err(),
    ] {
        assert!(matches!(error, CentreError::Expired), "{error:?}");
    }
}

async fn a_challenge_expires_at_exactly_fifteen_minutes(f: &mut Fixture) {
    birgitta(f).await;
    let centre = f.centre();
    let (first, code, _) = start(f, email(EMAIL), t0()).await;
    let just_before = t0() + mins(15) - SignedDuration::from_micros(1);
    centre
        .verify_code(
            &client(),
            &first.challenge,
            &first.browser_secret,
            &code,
            just_before,
        )
        .await
        .unwrap();
    let (second, code, token) = start(f, email(EMAIL), t0()).await;
    let expiry = t0() + mins(15);
    for error in [
        centre
            .verify_code(
                &client(),
                &second.challenge,
                &second.browser_secret,
                &code,
                expiry,
            )
            .await
            .unwrap_err(),
        centre
            .verify_link(&client(), &token, &second.browser_secret, expiry)
            .await
            .unwrap_err(),
    ] {
        assert!(matches!(error, CentreError::Expired), "{error:?}");
    }
}

async fn a_link_in_another_browser_is_refused_and_still_works_in_the_right_one(f: &mut Fixture) {
    birgitta(f).await;
    let (started, code, token) = start(f, email(EMAIL), t0()).await;
    let centre = f.centre();
    let elsewhere = skydd_crypto::centre::token().unwrap();
    let refused = centre
        .verify_link(&client(), &token, &elsewhere, t0() + mins(1))
        .await
        .unwrap_err();
    assert!(matches!(refused, CentreError::OtherBrowser), "{refused:?}");
    // Nor does the code work from another browser, and it counts no attempt there.
    let refused = centre
        .verify_code(
            &client(),
            &started.challenge,
            &elsewhere,
            &code,
            t0() + mins(1),
        )
        .await
        .unwrap_err();
    assert!(matches!(refused, CentreError::OtherBrowser), "{refused:?}");
    let row = f
        .storage
        .centre_sign_in(&started.challenge)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((row.attempts_left, row.ended_at), (CODE_ATTEMPTS, None));
    let opened = centre
        .verify_link(&client(), &token, &started.browser_secret, t0() + mins(2))
        .await
        .unwrap();
    assert!(opened.person.subject.is_some());
    let unknown = centre
        .verify_link(&client(), "no-such-token", &started.browser_secret, t0())
        .await
        .unwrap_err();
    assert!(matches!(unknown, CentreError::Expired));
}

async fn sessions_end_idle_absolute_and_by_signing_out(f: &mut Fixture) {
    birgitta(f).await;
    let centre = f.centre();
    let opened = signed_in(f, t0()).await;
    let secret = &opened.secret;
    let seen = async |f: &Fixture| {
        f.storage
            .centre_session_by_id(&opened.person.session_id)
            .await
            .unwrap()
            .unwrap()
            .last_seen_at
    };
    // Within a minute nothing is written; after it, the request is.
    centre
        .session(secret, t0() + SignedDuration::from_secs(59))
        .await
        .unwrap();
    assert_eq!(seen(f).await, t0());
    for minute in [14, 28, 42, 56] {
        centre.session(secret, t0() + mins(minute)).await.unwrap();
        assert_eq!(seen(f).await, t0() + mins(minute));
    }
    // Used every 14 minutes, it still ends an hour after it began.
    let absolute = centre.session(secret, t0() + mins(60)).await.unwrap_err();
    assert!(matches!(absolute, CentreError::NoSession), "{absolute:?}");
    assert!(
        matches!(
            centre.session(secret, t0() + mins(57)).await,
            Err(CentreError::NoSession)
        ),
        "ended for good"
    );

    let idle = signed_in(f, t0()).await;
    centre.session(&idle.secret, t0() + mins(14)).await.unwrap();
    assert!(
        matches!(
            centre.session(&idle.secret, t0() + mins(29)).await,
            Err(CentreError::NoSession)
        ),
        "fifteen minutes without a request"
    );

    let out = signed_in(f, t0()).await;
    centre
        .sign_out(&client(), &out.person, t0() + mins(1))
        .await
        .unwrap();
    assert!(matches!(
        centre.session(&out.secret, t0() + mins(2)).await,
        Err(CentreError::NoSession)
    ));
    // Whatever the pages still hold, an ended session does nothing.
    assert!(matches!(
        centre
            .overview(&client(), &out.person, t0() + mins(2))
            .await,
        Err(CentreError::NoSession)
    ));
    centre
        .sign_out(&client(), &out.person, t0() + mins(3))
        .await
        .unwrap();
}

async fn the_overview_has_the_vaults_and_a_connected_systems_data(f: &mut Fixture) {
    f.with_shop().await;
    let subject = birgitta(f).await;
    let opened = signed_in(f, t0()).await;
    let before = audit(f).await.len();
    let overview = f
        .centre()
        .overview(&client(), &opened.person, t0() + mins(1))
        .await
        .unwrap();
    let package = &overview.package;
    assert!(package.data_found);
    assert_eq!(package.records.len(), 1);
    assert_eq!(package.records[0].fields["name"], NAME);
    assert_eq!(package.systems.len(), 1);
    let shop = &package.systems[0];
    assert_eq!((shop.system.as_str(), &shop.failed), ("shop", &None));
    let names: Vec<_> = shop.values.iter().filter(|v| v.field == "name").collect();
    assert_eq!(names.len(), 1, "{:?}", shop.values);
    assert_eq!(names[0].value.as_deref(), Some("Birgitta in the shop"));
    assert!(package.purposes.iter().any(|p| p.id == "delivery"));
    assert!(overview.portable, "contact details given on contract");
    // Marketing by e-mail is offered; she has not chosen yet.
    assert_eq!(overview.preferences.len(), 1);
    assert_eq!(
        (
            overview.preferences[0].name.as_str(),
            overview.preferences[0].opted_in
        ),
        ("email", None)
    );
    assert_eq!(overview.preferences[0].label, "e-mail");
    let objectable: Vec<&str> = overview
        .objectable
        .iter()
        .map(|o| o.purpose.as_str())
        .collect();
    assert_eq!(objectable, ["marketing"]);
    assert!(overview.objectable[0].direct_marketing && !overview.objectable[0].objected);
    assert!(overview.consents.is_empty() && overview.requests.is_empty());

    // One audit event for the read, naming the session and the subject, no value.
    let entries = audit(f).await;
    let read: Vec<_> = entries[before..]
        .iter()
        .filter(|e| e.actor.starts_with("centre:"))
        .collect();
    assert_eq!(read.len(), 1, "{read:?}");
    assert_eq!(read[0].action, "centre.read");
    assert_eq!(
        read[0].actor,
        format!("centre:{}", opened.person.session_id)
    );
    assert_eq!(read[0].subject_id.as_deref(), Some(subject.as_str()));
    assert_eq!(read[0].ip.as_deref(), Some(IP));

    // In Swedish, the register's names are Swedish.
    let swedish = Client {
        language: Language::Sv,
        ..client()
    };
    let overview = f
        .centre()
        .overview(&swedish, &opened.person, t0() + mins(2))
        .await
        .unwrap();
    assert_eq!(overview.objectable[0].name, "Marknadsföring");
    assert_eq!(overview.preferences[0].label, "e-post");
}

async fn a_person_only_a_connected_system_knows_signs_in(f: &mut Fixture) {
    f.with_shop().await;
    let (started, code, _) = start(f, email("Shop.Only@example.se"), t0()).await;
    assert_eq!(messages(f).await[0].0, "shop.only@example.se");
    let opened = f
        .centre()
        .verify_code(
            &client(),
            &started.challenge,
            &started.browser_secret,
            &code,
            t0(),
        )
        .await
        .unwrap();
    assert_eq!(opened.person.subject, None);
    let overview = f
        .centre()
        .overview(&client(), &opened.person, t0())
        .await
        .unwrap();
    assert!(overview.package.data_found && overview.package.records.is_empty());
    let values = &overview.package.systems[0].values;
    assert!(
        values
            .iter()
            .any(|v| v.value.as_deref() == Some("Sven Shopsson"))
    );
    // No ledger here to withdraw from: refused with a way forward.
    let refused = f
        .centre()
        .withdraw_consent(&client(), &opened.person, "newsletter", t0())
        .await
        .unwrap_err();
    assert!(
        matches!(refused, CentreError::Invalid { .. }),
        "{refused:?}"
    );
    // A request is made with the address and found again by it.
    let receipt = f
        .centre()
        .submit_request(&client(), &opened.person, form(RequestType::Access), t0())
        .await
        .unwrap();
    let overview = f
        .centre()
        .overview(&client(), &opened.person, t0() + mins(1))
        .await
        .unwrap();
    assert_eq!(overview.requests.len(), 1);
    assert_eq!(overview.requests[0].id, receipt.id);
    let kinds: Vec<&str> = overview.requests[0]
        .letters
        .iter()
        .map(|l| l.kind.as_str())
        .collect();
    assert_eq!(kinds, ["received"]);
}

async fn withdrawing_a_consent_changes_the_decision(f: &mut Fixture) {
    let subject = birgitta(f).await;
    let vault = f.app.vault();
    let dpo = Actor::new("test");
    vault
        .record_consent(
            &dpo,
            ConsentInput {
                subject: subject.clone(),
                purpose: "newsletter".into(),
                granted: true,
                method: "banner".into(),
                notice_version: None,
                ip: None,
                user_agent: None,
                gpc: false,
                dnt: false,
            },
            t0(),
        )
        .await
        .unwrap();
    let decide = async |now| {
        vault
            .decide(&dpo, &subject, "newsletter", "contact", None, None, now)
            .await
            .unwrap()
    };
    assert!(matches!(decide(t0()).await, Decision::Allow { .. }));
    let opened = signed_in(f, t0()).await;
    let centre = f.centre();
    let overview = centre
        .overview(&client(), &opened.person, t0())
        .await
        .unwrap();
    assert_eq!(overview.consents.len(), 1);
    assert!(overview.consents[0].granted);
    assert_eq!(overview.consents[0].wording, "I want the newsletter.");
    assert_eq!(overview.consents[0].name, "Newsletter");

    let then = t0() + mins(2);
    centre
        .withdraw_consent(&client(), &opened.person, "newsletter", then)
        .await
        .unwrap();
    assert!(matches!(decide(then).await, Decision::Deny { .. }));
    let overview = centre
        .overview(&client(), &opened.person, then)
        .await
        .unwrap();
    let consent = &overview.consents[0];
    assert!(!consent.granted);
    assert_eq!((consent.method.as_str(), consent.at), ("web_form", then));
    assert_eq!(consent.notice_version, vault.register_version());
    // The browser's address and user agent are kept with the event, sealed.
    let proof = vault.consent_proof(&dpo, &subject, then).await.unwrap();
    assert_eq!(proof[1].ip.as_deref(), Some(IP));
    assert_eq!(proof[1].user_agent.as_deref(), Some(USER_AGENT));
    let events = f.storage.audit_events_for_subject(&subject).await.unwrap();
    let withdrawn = events
        .iter()
        .find(|e| e.action == "consent.record" && e.outcome == "withdrawn");
    assert_eq!(
        withdrawn.unwrap().actor,
        format!("centre:{}", opened.person.session_id)
    );
    // A purpose the register lacks (or anything else a form sends) is refused without
    // repeating it; so is a consent withdrawn from a purpose that rests on none.
    let unknown = centre
        .withdraw_consent(&client(), &opened.person, "anna@example.se", then)
        .await
        .unwrap_err();
    assert!(
        matches!(unknown, CentreError::Invalid { .. }),
        "{unknown:?}"
    );
    assert!(!format!("{unknown} {unknown:?}").contains("anna@"));
    let no_consent = centre
        .withdraw_consent(&client(), &opened.person, "delivery", then)
        .await
        .unwrap_err();
    assert!(matches!(
        no_consent,
        CentreError::Vault(VaultError::Invalid { .. })
    ));
}

async fn objections_and_preferences_go_through_the_vault(f: &mut Fixture) {
    let subject = birgitta(f).await;
    let opened = signed_in(f, t0()).await;
    let centre = f.centre();
    let refused = centre
        .object(&client(), &opened.person, "delivery", t0())
        .await
        .unwrap_err();
    assert!(
        matches!(refused, CentreError::Invalid { .. }),
        "contract: no objection here"
    );
    centre
        .object(&client(), &opened.person, "marketing", t0())
        .await
        .unwrap();
    centre
        .set_preference(&client(), &opened.person, "channel", "email", false, t0())
        .await
        .unwrap();
    centre
        .set_preference(
            &client(),
            &opened.person,
            "interest",
            "product_news",
            true,
            t0(),
        )
        .await
        .unwrap();
    for (kind, name) in [
        ("channel", "pigeon"),
        ("interest", "Anna Holm"),
        ("mood", "x"),
    ] {
        let refused = centre
            .set_preference(&client(), &opened.person, kind, name, true, t0())
            .await
            .unwrap_err();
        assert!(
            matches!(refused, CentreError::Invalid { .. }),
            "{refused:?}"
        );
        assert!(!refused.to_string().contains(name));
    }
    let overview = centre
        .overview(&client(), &opened.person, t0())
        .await
        .unwrap();
    assert!(overview.objectable[0].objected);
    let seen: Vec<(&str, &str, Option<bool>)> = overview
        .preferences
        .iter()
        .map(|p| (p.kind.as_str(), p.name.as_str(), p.opted_in))
        .collect();
    assert_eq!(
        seen,
        [
            ("channel", "email", Some(false)),
            ("interest", "product_news", Some(true))
        ]
    );
    let decision = f
        .app
        .vault()
        .decide(
            &Actor::new("test"),
            &subject,
            "marketing",
            "contact",
            None,
            None,
            t0(),
        )
        .await
        .unwrap();
    assert!(matches!(decision, Decision::Deny { .. }));
}

fn form(request_type: RequestType) -> CentreRequestForm {
    CentreRequestForm {
        request_type,
        purpose: None,
        correction: None,
        message: None,
    }
}

async fn a_centre_request_is_verified_by_the_sign_in(f: &mut Fixture) {
    let subject = birgitta(f).await;
    let opened = signed_in(f, t0()).await;
    let centre = f.centre();
    let mut rectify = form(RequestType::Rectification);
    rectify.correction = Some(ProposedCorrection {
        category: "contact".into(),
        field: "name".into(),
        value: CORRECTION.into(),
    });
    rectify.message = Some(MESSAGE.into());
    let receipt = centre
        .submit_request(&client(), &opened.person, rectify, t0())
        .await
        .unwrap();
    assert_eq!(receipt.state, RequestState::Verified);
    let view = f
        .app
        .vault()
        .request(&Actor::new("dpo"), &receipt.id, t0())
        .await
        .unwrap();
    assert_eq!(view.subject_id.as_deref(), Some(subject.as_str()));
    let actor = format!("centre:{}", opened.person.session_id);
    let events: Vec<(&str, &str, Option<&str>)> = view
        .events
        .iter()
        .map(|e| (e.action.as_str(), e.actor.as_str(), e.detail.as_deref()))
        .collect();
    assert_eq!(
        events,
        [
            ("received", actor.as_str(), None),
            ("verified", actor.as_str(), Some("privacy centre sign-in")),
        ]
    );
    // Staff read what the person asked, audited.
    let asked = f
        .app
        .vault()
        .request_asked(&Actor::new("dpo"), &receipt.id, t0())
        .await
        .unwrap();
    let correction = asked.correction.as_ref().unwrap();
    assert_eq!(
        (correction.field.as_str(), correction.value.as_str()),
        ("name", CORRECTION)
    );
    assert_eq!(asked.message.as_deref(), Some(MESSAGE));
    assert!(!format!("{asked:?}").contains(CORRECTION));
    // The letter saying it was received goes to her address; no code is sent.
    let letters = f
        .app
        .vault()
        .request_letters(&Actor::new("dpo"), &receipt.id)
        .await
        .unwrap();
    let kinds: Vec<&str> = letters.iter().map(|l| l.kind.as_str()).collect();
    assert_eq!(kinds, ["received"]);

    // A withdrawal needs no check: one event, verified by the sign-in.
    let mut withdraw = form(RequestType::WithdrawConsent);
    withdraw.purpose = Some("newsletter".into());
    let receipt = centre
        .submit_request(&client(), &opened.person, withdraw, t0() + mins(1))
        .await
        .unwrap();
    let view = f
        .app
        .vault()
        .request(&Actor::new("dpo"), &receipt.id, t0())
        .await
        .unwrap();
    assert_eq!(view.events.len(), 1);
    assert_eq!(
        view.events[0].detail.as_deref(),
        Some("privacy centre sign-in")
    );

    // The overview lists both, newest first, with the due date.
    let overview = centre
        .overview(&client(), &opened.person, t0() + mins(2))
        .await
        .unwrap();
    assert_eq!(overview.requests.len(), 2);
    assert_eq!(overview.requests[0].id, receipt.id);
    assert_eq!(
        overview.requests[1].request_type,
        RequestType::Rectification
    );
    assert!(overview.requests[1].due_at > t0() + SignedDuration::from_hours(24 * 27));
    assert!(
        overview.requests.iter().all(|r| r.needs_document),
        "the register asks for one"
    );

    for (bad, what) in [
        (
            CentreRequestForm {
                correction: Some(ProposedCorrection {
                    category: "contact".into(),
                    field: "shoe_size".into(),
                    value: "44".into(),
                }),
                ..form(RequestType::Rectification)
            },
            "field",
        ),
        (
            CentreRequestForm {
                correction: Some(ProposedCorrection {
                    category: "contact".into(),
                    field: "name".into(),
                    value: "X".into(),
                }),
                ..form(RequestType::Erasure)
            },
            "rectification",
        ),
        (
            CentreRequestForm {
                message: Some("x".repeat(4001)),
                ..form(RequestType::Erasure)
            },
            "message",
        ),
    ] {
        let error = centre
            .submit_request(&client(), &opened.person, bad, t0())
            .await
            .unwrap_err();
        assert!(error.to_string().contains(what), "{error}");
    }
}

async fn documents_are_checked_by_content_and_only_for_own_requests(f: &mut Fixture) {
    birgitta(f).await;
    let opened = signed_in(f, t0()).await;
    let centre = f.centre();
    let receipt = centre
        .submit_request(&client(), &opened.person, form(RequestType::Access), t0())
        .await
        .unwrap();
    let png = [b"\x89PNG\r\n\x1a\n".as_slice(), &[0u8; 64]].concat();
    let html = b"<html>not a scan</html>".to_vec();
    let refused = centre
        .upload_document(&client(), &opened.person, &receipt.id, &html, t0())
        .await
        .unwrap_err();
    assert!(
        matches!(refused, CentreError::Vault(VaultError::Invalid { .. })),
        "{refused:?}"
    );
    centre
        .upload_document(&client(), &opened.person, &receipt.id, &png, t0())
        .await
        .unwrap();
    let documents = f
        .app
        .vault()
        .request_documents(&Actor::new("dpo"), &receipt.id, t0())
        .await
        .unwrap();
    assert_eq!(documents, [("image/png".to_owned(), png.clone())]);
    let overview = centre
        .overview(&client(), &opened.person, t0())
        .await
        .unwrap();
    assert!(!overview.requests[0].needs_document, "one is there now");

    // Someone else's request is not hers to add to; it reads as no request.
    let stranger = f
        .app
        .submit_request(
            &Actor::new("intake"),
            skydd_vault::NewRequest {
                request_type: RequestType::Access,
                identity_kind: "email".into(),
                identity_value: "someone.else@example.se".into(),
                channel: "web".into(),
                tenant: None,
                received_at: None,
                purpose: None,
                held_elsewhere: false,
                on_behalf: false,
            },
            t0(),
        )
        .await
        .unwrap();
    let refused = centre
        .upload_document(&client(), &opened.person, &stranger.id, &png, t0())
        .await
        .unwrap_err();
    assert!(
        matches!(refused, CentreError::Vault(VaultError::UnknownRequest)),
        "{refused:?}"
    );
    // The API's upload refuses a declared type the content contradicts, naming both.
    let error = f
        .app
        .vault()
        .upload_document(
            &Actor::new("intake"),
            &stranger.id,
            "application/pdf",
            &png,
            t0(),
        )
        .await
        .unwrap_err();
    let shown = error.to_string();
    assert!(
        shown.contains("application/pdf") && shown.contains("image/png"),
        "{shown}"
    );
}

async fn downloads_are_the_package_and_the_portability_file(f: &mut Fixture) {
    birgitta(f).await;
    let opened = signed_in(f, t0()).await;
    let centre = f.centre();
    let json = centre
        .download(&client(), &opened.person, DownloadFormat::Json, t0())
        .await
        .unwrap();
    assert_eq!(
        (json.media_type, json.filename.as_str()),
        ("application/json", "personal-data.json")
    );
    let package: serde_json::Value = serde_json::from_slice(&json.bytes).unwrap();
    assert_eq!(package["records"][0]["fields"]["name"], NAME);
    let html = centre
        .download(&client(), &opened.person, DownloadFormat::Html, t0())
        .await
        .unwrap();
    assert!(html.media_type.starts_with("text/html"));
    assert!(
        String::from_utf8(html.bytes)
            .unwrap()
            .contains("Birgitta Holm-Wikstr")
    );
    let zip = centre
        .download(&client(), &opened.person, DownloadFormat::PortableZip, t0())
        .await
        .unwrap();
    assert_eq!(zip.media_type, "application/zip");
    assert!(zip.bytes.starts_with(b"PK\x03\x04"));
    let downloads = audit(f)
        .await
        .into_iter()
        .filter(|e| e.action == "centre.download")
        .map(|e| e.outcome)
        .collect::<Vec<_>>();
    assert_eq!(downloads, ["package", "package", "portability"]);
}

async fn stale_sign_ins_and_sessions_are_swept(f: &mut Fixture) {
    birgitta(f).await;
    let centre = f.centre();
    let opened = signed_in(f, t0()).await;
    let (waiting, _, _) = start(f, email(EMAIL), t0()).await;
    assert_eq!(
        centre.sweep_expired(t0() + mins(5)).await.unwrap(),
        1,
        "the used sign-in"
    );
    assert!(
        f.storage
            .centre_sign_in(&waiting.challenge)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(centre.sweep_expired(t0() + mins(15)).await.unwrap(), 2);
    assert!(
        f.storage
            .centre_session_by_id(&opened.person.session_id)
            .await
            .unwrap()
            .is_none()
    );
}

async fn no_identity_value_is_audited_or_stored_in_plaintext(f: &mut Fixture) {
    f.with_shop().await;
    birgitta(f).await;
    let opened = signed_in(f, t0()).await;
    let centre = f.centre();
    let mut rectify = form(RequestType::Rectification);
    rectify.correction = Some(ProposedCorrection {
        category: "contact".into(),
        field: "name".into(),
        value: CORRECTION.into(),
    });
    rectify.message = Some(MESSAGE.into());
    centre
        .submit_request(&client(), &opened.person, rectify, t0())
        .await
        .unwrap();
    centre
        .overview(&client(), &opened.person, t0())
        .await
        .unwrap();
    centre
        .start_sign_in(
            &client(),
            email("nobody.known@example.se"),
            Intent::Overview,
            t0(),
        )
        .await
        .unwrap();
    let (_, code, token) = start(f, email(EMAIL), t0()).await;

    let trail = format!("{:?}", audit(f).await);
    for value in [
        EMAIL,
        "nobody.known",
        PHONE,
        NAME,
        CORRECTION,
        MESSAGE,
        USER_AGENT,
        &code,
        &token,
    ] {
        assert!(!trail.contains(value), "the audit trail holds `{value}`");
    }
    let contents = database_contents(f).await;
    assert!(contents.len() > 1000);
    let lowered = String::from_utf8_lossy(&contents).to_lowercase();
    for value in [
        EMAIL,
        "nobody.known",
        PHONE,
        "701239876",
        NAME,
        CORRECTION,
        MESSAGE,
        USER_AGENT,
        &code,
        &token,
        &opened.secret,
    ] {
        assert!(
            !lowered.contains(&value.to_lowercase()),
            "`{value}` is stored in plaintext"
        );
    }
    assert!(
        lowered.contains(&opened.person.session_id),
        "the scan reads the centre's tables"
    );
}

/// Every audit entry, oldest first.
async fn audit(f: &Fixture) -> Vec<skydd_storage::AuditEventRow> {
    f.storage
        .audit_entries(&AuditFilter::default(), 0, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event)
        .collect()
}

/// Every byte the database holds, as text: the SQLite files, or every row of every table of
/// the PostgreSQL schema.
async fn database_contents(f: &Fixture) -> Vec<u8> {
    match &f.postgres {
        None => {
            let mut bytes = Vec::new();
            for suffix in ["", "-wal"] {
                let path: &Path = &f.dir.path().join(format!("skydd.db{suffix}"));
                if let Ok(content) = std::fs::read(path) {
                    bytes.extend(content);
                }
            }
            bytes
        }
        Some((url, schema)) => {
            use sqlx::{Connection as _, Row as _};
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = $1",
            )
            .bind(schema)
            .fetch_all(&mut conn)
            .await
            .unwrap();
            assert!(tables.iter().any(|t| t == "centre_sessions"), "{tables:?}");
            let mut bytes = Vec::new();
            for table in tables {
                let sql =
                    format!("SELECT row_to_json(t)::text AS row FROM \"{schema}\".\"{table}\" t");
                for row in sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                    .fetch_all(&mut conn)
                    .await
                    .unwrap()
                {
                    bytes.extend(row.get::<String, _>("row").into_bytes());
                }
            }
            conn.close().await.unwrap();
            bytes
        }
    }
}
