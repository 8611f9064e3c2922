//! Integration tests of the vault on SQLite and PostgreSQL: identities, encrypted records read by
//! purpose, the consent ledger, objections, features, retention, tenant isolation, audit events,
//! and no personal value in plaintext anywhere in the database.

// Helpers of a test binary may panic: a panic is a failing test with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::io::Write as _;
use std::sync::{Arc, Once};

use jiff::Timestamp;
use skydd_crypto::Keyring;
use skydd_decide::{Decision, DenyCode};
use skydd_storage::{Location, Storage};
use skydd_vault::GroupCommitAudit;
use skydd_vault::{
    Actor, ConsentInput, Enforced, FeatureInput, NewRecord, NewSubject, ProposedValue,
    StorageAudit, Vault, VaultError, VerifiedRequest,
};

#[path = "vault/workflow.rs"]
mod workflow;

/// Decisions from memory (issue 19).
#[path = "vault/fact_cache.rs"]
mod fact_cache;

/// The banner's cookie choices (issue 18).
#[path = "vault/cookie.rs"]
mod cookie;

/// Ledger rows and their audit events in one transaction, group-committed (issue 19).
#[path = "vault/ledger.rs"]
mod ledger;

/// Many decisions at once, and the audit writer they share (issue 19).
#[path = "vault/decisions.rs"]
mod decisions;

/// Bulk imports (issue 19).
#[path = "vault/import.rs"]
mod import;
/// Promises of the seed policies, named by ID (issue 20).
#[path = "vault/promises.rs"]
mod promises;

const REGISTER: &str = include_str!("fixtures/vault.yaml");

/// Values that must never be stored in plaintext.
const EMAIL: &str = "anna.andersson@example.se";
const PHONE: &str = "+46701234567";
const NAME: &str = "Anna Andersson-Lindqvist";
const IP: &str = "203.0.113.77";
const USER_AGENT: &str = "Mozilla/5.0 (SkyddTestBrowser/7.7)";
/// A correction and a message a person sends from the privacy centre.
const CORRECTED_NAME: &str = "Anna Lindqvist-Borg";
const MESSAGE: &str = "I changed my name when I married";

enum Backend {
    Sqlite,
    Postgres(String),
}

fn backends() -> Vec<Backend> {
    let mut backends = vec![Backend::Sqlite];
    match std::env::var("SKYDD_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => backends.push(Backend::Postgres(url)),
        _ if std::env::var_os("CI").is_some() => {
            panic!(
                "SKYDD_TEST_DATABASE_URL is required in CI: the vault suite must run on PostgreSQL"
            )
        }
        _ => {
            static SAID: Once = Once::new();
            SAID.call_once(|| {
                let _ = std::io::stderr().write_all(
                    b"skipped: PostgreSQL vault suite (set SKYDD_TEST_DATABASE_URL to run it)\n",
                );
            });
        }
    }
    backends
}

struct Harness {
    vault: Vault,
    storage: Arc<dyn Storage>,
    dir: tempfile::TempDir,
    postgres: Option<(String, String)>,
    name: &'static str,
}

impl Harness {
    async fn new(backend: &Backend) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let (storage, postgres, name) = match backend {
            Backend::Sqlite => {
                let storage = skydd_storage::open(&Location::Sqlite(dir.path().join("skydd.db")))
                    .await
                    .unwrap();
                (storage, None, "sqlite")
            }
            Backend::Postgres(url) => {
                let schema = format!(
                    "skydd_vault_test_{}",
                    data_encoding::HEXLOWER.encode(&skydd_crypto::random_bytes::<8>().unwrap())
                );
                let storage = skydd_storage::open_postgres_in_schema(url, &schema)
                    .await
                    .unwrap();
                (storage, Some((url.clone(), schema)), "postgres")
            }
        };
        let (keyring, _) = Keyring::load_or_create(&dir.path().join("master.key")).unwrap();
        let register = skydd_register::check(REGISTER)
            .register
            .expect("the test register is valid");
        let vault = Vault::new(
            storage.clone(),
            Arc::new(keyring),
            Arc::new(Enforced::new(register)),
            Arc::new(StorageAudit::new(storage.clone())),
        );
        Harness {
            vault,
            storage,
            dir,
            postgres,
            name,
        }
    }

    async fn finish(self) {
        self.storage.close().await.unwrap();
        if let Some((url, schema)) = &self.postgres {
            skydd_storage::drop_postgres_schema(url, schema)
                .await
                .unwrap();
        }
    }
}

/// Run `scenario` on every backend.
async fn on_each_backend(scenario: impl AsyncFn(&Harness)) {
    for backend in backends() {
        let harness = Harness::new(&backend).await;
        scenario(&harness).await;
        harness.finish().await;
    }
}

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn dpo() -> Actor {
    Actor {
        id: "token-dpo".into(),
        ip: Some("198.51.100.1".into()),
        tenant: None,
        sees_confidential: true,
    }
}

async fn anna(h: &Harness, now: Timestamp) -> String {
    let new = NewSubject {
        identities: vec![
            ("email".into(), "Anna.Andersson@Example.SE".into()),
            ("phone".into(), "070-123 45 67".into()),
        ],
        tenant: None,
    };
    h.vault
        .create_subject(&dpo(), new, now)
        .await
        .unwrap()
        .to_string()
}

fn contact_record(purpose: &str) -> NewRecord {
    let mut fields = serde_json::Map::new();
    fields.insert("name".into(), NAME.into());
    fields.insert("email".into(), EMAIL.into());
    fields.insert("phone".into(), PHONE.into());
    NewRecord {
        category: "contact".into(),
        fields,
        source: "data_subject".into(),
        purpose: purpose.into(),
        collected_at: None,
        anchors: BTreeMap::new(),
        combined_from: Vec::new(),
    }
}

fn consent(subject: &str, purpose: &str, granted: bool) -> ConsentInput {
    ConsentInput {
        subject: subject.into(),
        purpose: purpose.into(),
        granted,
        method: "web_form".into(),
        notice_version: None,
        ip: Some(IP.into()),
        user_agent: Some(USER_AGENT.into()),
        gpc: false,
        dnt: false,
    }
}

fn denied(result: Result<Decision, VaultError>) -> DenyCode {
    match result.unwrap() {
        Decision::Deny { code, .. } => code,
        allowed => panic!("expected a denial, got {allowed:?}"),
    }
}

#[tokio::test]
async fn subjects_are_found_by_any_identity_in_normal_form() {
    on_each_backend(async |h| {
        let now = at("2026-03-01T10:00:00Z");
        let id = anna(h, now).await;
        for (kind, raw) in [
            ("email", EMAIL),
            ("email", " ANNA.andersson@example.se "),
            ("phone", PHONE),
            ("phone", "+46 70-123 45 67"),
        ] {
            let found = h
                .vault
                .find_subject(&dpo(), None, kind, raw, now)
                .await
                .unwrap();
            assert_eq!(found.map(|s| s.id), Some(id.clone()), "{}: {kind}", h.name);
        }
        let missing = h
            .vault
            .find_subject(&dpo(), None, "email", "someone@example.se", now)
            .await
            .unwrap();
        assert_eq!(missing, None);
        let view = h.vault.subject(&dpo(), &id).await.unwrap();
        assert_eq!(view.identity_kinds, ["email", "phone"]);
    })
    .await;
}

#[tokio::test]
async fn an_identity_belongs_to_one_subject_per_tenant() {
    on_each_backend(async |h| {
        let now = at("2026-03-01T10:00:00Z");
        anna(h, now).await;
        let again = NewSubject {
            identities: vec![("email".into(), EMAIL.into())],
            tenant: None,
        };
        match h.vault.create_subject(&dpo(), again.clone(), now).await {
            Err(VaultError::IdentityTaken { kind }) => assert_eq!(kind, "email"),
            other => panic!("{}: expected IdentityTaken, got {other:?}", h.name),
        }
        // The same address at a customer (processor mode) is another subject.
        let at_customer = NewSubject {
            tenant: Some("acme".into()),
            ..again
        };
        let customer_user = h
            .vault
            .create_subject(&dpo(), at_customer, now)
            .await
            .unwrap()
            .to_string();
        let acme = Actor {
            tenant: Some("acme".into()),
            ..dpo()
        };
        let beta = Actor {
            tenant: Some("beta".into()),
            ..dpo()
        };
        let found = h
            .vault
            .find_subject(&acme, None, "email", EMAIL, now)
            .await
            .unwrap();
        assert_eq!(found.map(|s| s.id), Some(customer_user.clone()));
        assert_eq!(
            h.vault
                .find_subject(&beta, None, "email", EMAIL, now)
                .await
                .unwrap(),
            None
        );
        assert!(matches!(
            h.vault.subject(&beta, &customer_user).await,
            Err(VaultError::UnknownSubject)
        ));
    })
    .await;
}

#[tokio::test]
async fn records_are_read_by_purpose_and_consent_is_one_call_each_way() {
    // P000-39 / P002-06: no consent -> deny; after consent -> allow; after withdrawal -> deny.
    on_each_backend(async |h| {
        let now = at("2026-03-01T10:00:00Z");
        let subject = anna(h, now).await;
        h.vault
            .add_record(&dpo(), &subject, contact_record("delivery"), now)
            .await
            .unwrap();

        let read = h
            .vault
            .read_records(&dpo(), &subject, "delivery", now)
            .await
            .unwrap();
        assert_eq!(read.records.len(), 1, "{}", h.name);
        assert_eq!(read.records[0].fields["email"], EMAIL);

        let read = h
            .vault
            .read_records(&dpo(), &subject, "newsletter", now)
            .await
            .unwrap();
        assert!(read.records.is_empty());
        assert_eq!(read.withheld[0].code, "consent_missing");

        h.vault
            .record_consent(&dpo(), consent(&subject, "newsletter", true), now)
            .await
            .unwrap();
        let later = at("2026-03-02T10:00:00Z");
        assert_eq!(
            h.vault
                .read_records(&dpo(), &subject, "newsletter", later)
                .await
                .unwrap()
                .records
                .len(),
            1
        );

        h.vault
            .record_consent(&dpo(), consent(&subject, "newsletter", false), later)
            .await
            .unwrap();
        let read = h
            .vault
            .read_records(&dpo(), &subject, "newsletter", later)
            .await
            .unwrap();
        assert_eq!(read.withheld[0].code, "consent_withdrawn");

        let consents = h.vault.consents(&dpo(), &subject, later).await.unwrap();
        assert_eq!(
            consents.history.len(),
            2,
            "withdrawal keeps the history (Art. 7(1))"
        );
        assert!(!consents.current[0].granted);
        assert_eq!(
            consents.current[0].notice_version,
            h.vault.register_version()
        );
        assert!(consents.current[0].text_hash.is_some());
    })
    .await;
}

#[tokio::test]
async fn collection_is_decided_too() {
    on_each_backend(async |h| {
        let now = at("2026-03-01T10:00:00Z");
        let subject = anna(h, now).await;
        match h
            .vault
            .add_record(&dpo(), &subject, contact_record("newsletter"), now)
            .await
        {
            Err(VaultError::Denied { code, .. }) => assert_eq!(code, DenyCode::ConsentMissing),
            other => panic!("expected a denial, got {other:?}"),
        }
        let mut wrong_field = contact_record("delivery");
        wrong_field.fields.insert("shoe_size".into(), 42.into());
        let error = h
            .vault
            .add_record(&dpo(), &subject, wrong_field, now)
            .await
            .unwrap_err();
        assert!(
            error
                .to_string()
                .contains("`shoe_size` is not a field of `contact`"),
            "{error}"
        );
        let mut not_processed = contact_record("delivery");
        not_processed.category = "payment".into();
        not_processed.fields =
            serde_json::Map::from_iter([("card_token".to_string(), "4111 1111 1111 1111".into())]);
        // P000-25: a card number is refused where a payment token belongs.
        let error = h
            .vault
            .add_record(&dpo(), &subject, not_processed, now)
            .await
            .unwrap_err();
        assert!(
            error.to_string().contains("looks like a card number"),
            "{error}"
        );
    })
    .await;
}

#[tokio::test]
async fn expired_records_are_withheld() {
    // Contact data is kept 24 months after the contract ends (P002-20 pattern); a contract ending
    // on 31 January 2024 keeps it through 31 January 2026.
    on_each_backend(async |h| {
        let created = at("2023-06-01T10:00:00Z");
        let subject = anna(h, created).await;
        let mut record = contact_record("delivery");
        record
            .anchors
            .insert("contract_end".into(), at("2024-01-31T12:00:00Z"));
        h.vault
            .add_record(&dpo(), &subject, record, created)
            .await
            .unwrap();
        let last_day = h
            .vault
            .read_records(&dpo(), &subject, "delivery", at("2026-01-31T23:00:00Z"))
            .await
            .unwrap();
        assert_eq!(last_day.records.len(), 1, "{}", h.name);
        let after = h
            .vault
            .read_records(&dpo(), &subject, "delivery", at("2026-02-01T00:30:00Z"))
            .await
            .unwrap();
        assert_eq!(after.withheld[0].code, "retention_expired");
    })
    .await;
}

#[tokio::test]
async fn gpc_is_an_objection_to_marketing() {
    // Art. 21(5): Sec-GPC on a consent call objects to marketing; direct marketing stops (P000-38).
    on_each_backend(async |h| {
        let now = at("2026-03-01T10:00:00Z");
        let subject = anna(h, now).await;
        let allowed = h
            .vault
            .decide(
                &dpo(),
                &subject,
                "marketing",
                "contact",
                Some("email"),
                None,
                now,
            )
            .await
            .unwrap();
        assert!(allowed.is_allowed(), "{allowed:?}");
        let mut with_gpc = consent(&subject, "newsletter", true);
        with_gpc.gpc = true;
        h.vault.record_consent(&dpo(), with_gpc, now).await.unwrap();
        let code = denied(
            h.vault
                .decide(
                    &dpo(),
                    &subject,
                    "marketing",
                    "contact",
                    Some("email"),
                    None,
                    now,
                )
                .await,
        );
        assert_eq!(code, DenyCode::Objection);
        // Contract processing goes on.
        assert!(
            h.vault
                .decide(&dpo(), &subject, "delivery", "contact", None, None, now)
                .await
                .unwrap()
                .is_allowed()
        );
    })
    .await;
}

#[tokio::test]
async fn features_are_off_until_an_organisation_opts_in() {
    // P003-20, P003-23, P003-31, P003-32.
    on_each_backend(async |h| {
        let now = at("2026-03-01T10:00:00Z");
        let subject = anna(h, now).await;
        let ask = async |scope: (&str, Option<&str>)| {
            h.vault
                .decide(
                    &dpo(),
                    &subject,
                    "ai_processing",
                    "work_items",
                    None,
                    Some(scope),
                    now,
                )
                .await
        };
        assert_eq!(denied(ask(("acme", None)).await), DenyCode::FeatureDisabled);
        let switch = |project: Option<&str>, enabled| FeatureInput {
            feature: "ai_features".into(),
            organisation: "acme".into(),
            project: project.map(str::to_string),
            enabled,
        };
        h.vault
            .switch_feature(&dpo(), switch(None, true), now)
            .await
            .unwrap();
        assert!(ask(("acme", None)).await.unwrap().is_allowed());
        h.vault
            .switch_feature(&dpo(), switch(Some("secret"), false), now)
            .await
            .unwrap();
        assert_eq!(
            denied(ask(("acme", Some("secret"))).await),
            DenyCode::FeatureDisabled
        );
        assert!(ask(("acme", Some("open"))).await.unwrap().is_allowed());
        assert_eq!(
            denied(ask(("other_org", None)).await),
            DenyCode::FeatureDisabled
        );
        assert!(
            h.vault
                .feature_enabled("acme", Some("open"), "ai_features")
                .await
                .unwrap()
        );
    })
    .await;
}

#[tokio::test]
async fn every_call_is_audited_without_values() {
    on_each_backend(async |h| {
        let now = at("2026-03-01T10:00:00Z");
        let subject = anna(h, now).await;
        h.vault
            .add_record(&dpo(), &subject, contact_record("delivery"), now)
            .await
            .unwrap();
        h.vault
            .read_records(&dpo(), &subject, "delivery", now)
            .await
            .unwrap();
        h.vault
            .record_consent(&dpo(), consent(&subject, "newsletter", true), now)
            .await
            .unwrap();
        h.vault
            .decide(&dpo(), &subject, "newsletter", "contact", None, None, now)
            .await
            .unwrap();
        let events = h.storage.audit_events_for_subject(&subject).await.unwrap();
        let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(
            actions,
            [
                "subject.create",
                "record.create",
                "records.read",
                "consent.record",
                "decision"
            ]
        );
        assert!(
            events
                .iter()
                .all(|e| e.actor == "token-dpo" && e.ip.as_deref() == Some("198.51.100.1"))
        );
        assert_eq!(events[2].categories, ["contact"]);
        assert_eq!(events[2].purpose.as_deref(), Some("delivery"));
        let text = format!("{events:?}");
        for value in [EMAIL, PHONE, NAME, IP, USER_AGENT] {
            assert!(
                !text.contains(value),
                "the audit trail holds a personal value"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn the_console_reads_identities_consent_proof_and_preferences_each_audited() {
    on_each_backend(async |h| {
        let now = at("2026-03-01T10:00:00Z");
        let later = at("2026-03-02T08:00:00Z");
        let subject = anna(h, now).await;
        let identities = h
            .vault
            .subject_identities(&dpo(), &subject, now)
            .await
            .unwrap();
        let pairs: Vec<(&str, &str)> = identities
            .iter()
            .map(|i| (i.kind().as_str(), i.expose()))
            .collect();
        assert_eq!(pairs, [("email", EMAIL), ("phone", PHONE)], "{}", h.name);

        h.vault
            .record_consent(&dpo(), consent(&subject, "newsletter", true), now)
            .await
            .unwrap();
        let mut withdrawn = consent(&subject, "newsletter", false);
        withdrawn.ip = None;
        withdrawn.user_agent = None;
        h.vault
            .record_consent(&dpo(), withdrawn, later)
            .await
            .unwrap();
        let proof = h
            .vault
            .consent_proof(&dpo(), &subject, later)
            .await
            .unwrap();
        assert_eq!(proof.len(), 2);
        assert!(proof[0].event.granted && !proof[1].event.granted);
        assert_eq!(proof[0].ip.as_deref(), Some(IP));
        assert_eq!(proof[0].user_agent.as_deref(), Some(USER_AGENT));
        assert_eq!(
            (proof[1].ip.as_deref(), proof[1].user_agent.as_deref()),
            (None, None)
        );
        assert!(proof[0].event.text_hash.is_some());
        let shown = format!("{proof:?}");
        assert!(
            !shown.contains(IP) && !shown.contains(USER_AGENT),
            "{shown}"
        );

        for (name, opted_in, when) in [("email", true, now), ("email", false, later)] {
            h.vault
                .set_preference(&dpo(), &subject, "channel", name, opted_in, when)
                .await
                .unwrap();
        }
        h.vault
            .set_preference(&dpo(), &subject, "interest", "product_news", true, now)
            .await
            .unwrap();
        let preferences = h.vault.preferences(&dpo(), &subject, later).await.unwrap();
        let seen: Vec<(&str, &str, bool)> = preferences
            .iter()
            .map(|p| (p.kind.as_str(), p.name.as_str(), p.opted_in))
            .collect();
        assert_eq!(
            seen,
            [
                ("channel", "email", false),
                ("interest", "product_news", true)
            ]
        );
        assert_eq!(preferences[0].at, later);

        let events = h.storage.audit_events_for_subject(&subject).await.unwrap();
        let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
        for action in ["subject.identities", "consent.proof", "preference.read"] {
            assert!(
                actions.contains(&action),
                "{action} not audited: {actions:?}"
            );
        }
        let text = format!("{events:?}");
        for value in [EMAIL, PHONE, IP, USER_AGENT] {
            assert!(
                !text.contains(value),
                "the audit trail holds a personal value"
            );
        }
        let stranger = Actor {
            id: "tenant-token".into(),
            sees_confidential: true,
            ip: None,
            tenant: Some("other".into()),
        };
        assert!(matches!(
            h.vault.subject_identities(&stranger, &subject, now).await,
            Err(VaultError::UnknownSubject)
        ));
    })
    .await;
}

#[tokio::test]
async fn errors_never_carry_personal_values() {
    on_each_backend(async |h| {
        let now = at("2026-03-01T10:00:00Z");
        for (kind, raw) in [
            ("email", "anna.andersson(at)example.se"),
            ("phone", "+46 70 ANNA"),
            ("personnummer", "19990231-1234"),
        ] {
            let error = h
                .vault
                .find_subject(&dpo(), None, kind, raw, now)
                .await
                .unwrap_err();
            let shown = format!("{error} {error:?}");
            assert!(!shown.contains(raw) && !shown.contains("ANNA"), "{shown}");
        }
    })
    .await;
}

/// Every byte the database holds, as text: the SQLite files, or every row of every table of the
/// PostgreSQL schema.
async fn database_contents(h: &Harness) -> Vec<u8> {
    match &h.postgres {
        None => {
            let mut bytes = Vec::new();
            for suffix in ["", "-wal"] {
                let path = h.dir.path().join(format!("skydd.db{suffix}"));
                if let Ok(content) = std::fs::read(&path) {
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
            assert!(tables.len() >= 10, "{tables:?}");
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

#[tokio::test]
async fn no_personal_value_is_stored_in_plaintext() {
    on_each_backend(async |h| {
        let now = at("2026-03-01T10:00:00Z");
        let subject = anna(h, now).await;
        h.vault
            .add_record(&dpo(), &subject, contact_record("delivery"), now)
            .await
            .unwrap();
        h.vault
            .record_consent(&dpo(), consent(&subject, "newsletter", true), now)
            .await
            .unwrap();
        // A request the privacy centre made, with the person's proposed correction and
        // message (issue 18): sealed with the request's details, readable by staff.
        let identity = skydd_subject::Identity::parse(
            skydd_subject::IdentityKind::Email,
            EMAIL,
            skydd_subject::ParseContext::sweden(jiff::civil::date(2026, 3, 1)),
        )
        .unwrap();
        let receipt = h
            .vault
            .submit_verified_request(
                &Actor::centre("0f".repeat(16).as_str(), None),
                VerifiedRequest {
                    request_type: skydd_requests::RequestType::Rectification,
                    identity,
                    subject: Some(subject.clone()),
                    purpose: None,
                    correction: Some(ProposedValue {
                        category: "contact".into(),
                        field: "name".into(),
                        value: CORRECTED_NAME.into(),
                    }),
                    message: Some(MESSAGE.into()),
                },
                now,
            )
            .await
            .unwrap();
        let asked = h
            .vault
            .request_asked(&dpo(), &receipt.id, now)
            .await
            .unwrap();
        assert_eq!(asked.correction.unwrap().value, CORRECTED_NAME);
        assert_eq!(asked.message.as_deref(), Some(MESSAGE));
        // The values are there, encrypted: they read back.
        let read = h
            .vault
            .read_records(&dpo(), &subject, "delivery", now)
            .await
            .unwrap();
        assert_eq!(read.records[0].fields["name"], NAME);

        let contents = database_contents(h).await;
        assert!(contents.len() > 1000, "{}: the database was read", h.name);
        let lowered = String::from_utf8_lossy(&contents).to_lowercase();
        for value in [
            EMAIL,
            PHONE,
            NAME,
            IP,
            USER_AGENT,
            "701234567",
            "andersson",
            CORRECTED_NAME,
            MESSAGE,
        ] {
            assert!(
                !lowered.contains(&value.to_lowercase()),
                "{}: `{value}` is stored in plaintext",
                h.name
            );
        }
        // The test would see plaintext if it were there: the subject id is stored in clear.
        assert!(
            lowered.contains(&subject),
            "{}: the scan reads the data",
            h.name
        );
    })
    .await;
}

#[tokio::test]
async fn key_rotation_rewraps_keys_and_data_still_reads() {
    on_each_backend(async |h| {
        let now = at("2026-03-01T10:00:00Z");
        let subject = anna(h, now).await;
        h.vault
            .add_record(&dpo(), &subject, contact_record("delivery"), now)
            .await
            .unwrap();
        let key_file = h.dir.path().join("master.key");
        let rotated = Keyring::rotate(&key_file).unwrap();
        assert_eq!(rotated.current_version(), 2);
        let register = skydd_register::check(REGISTER).register.unwrap();
        let vault = Vault::new(
            h.storage.clone(),
            Arc::new(rotated),
            Arc::new(Enforced::new(register)),
            Arc::new(StorageAudit::new(h.storage.clone())),
        );
        assert_eq!(
            vault.rewrap_subject_keys(100).await.unwrap(),
            1,
            "{}",
            h.name
        );
        assert_eq!(
            vault.rewrap_subject_keys(100).await.unwrap(),
            0,
            "nothing left: resumable and idempotent"
        );
        assert_eq!(
            h.storage
                .subject_key(&subject)
                .await
                .unwrap()
                .unwrap()
                .key_version,
            2
        );
        let read = vault
            .read_records(&dpo(), &subject, "delivery", now)
            .await
            .unwrap();
        assert_eq!(read.records[0].fields["email"], EMAIL);
        // Found by identity after rotation: blind indexes stay valid.
        let found = vault
            .find_subject(&dpo(), None, "email", EMAIL, now)
            .await
            .unwrap();
        assert_eq!(found.map(|s| s.id), Some(subject));
    })
    .await;
}

#[tokio::test]
async fn the_unsubscribe_link_opts_out_without_a_login() {
    // P001-14: "You can always opt out of receiving such emails, by clicking 'unsubscribe'".
    // P000-53: administrative messages stay allowed (here: the contract purpose).
    on_each_backend(async |h| {
        let now = at("2026-03-01T10:00:00Z");
        let subject = anna(h, now).await;
        let token = h
            .vault
            .unsubscribe_token(&dpo(), &subject, "email")
            .await
            .unwrap();
        assert!(!token.contains('@'));
        // Change the tag's last digit (to another digit, whatever it was).
        let last = if token.ends_with('0') { '1' } else { '0' };
        let forged = format!("{}{last}", &token[..token.len() - 1]);
        assert!(matches!(
            h.vault.unsubscribe(&forged, None, now).await,
            Err(VaultError::Invalid { .. })
        ));
        let other_channel = token.replacen(".email.", ".sms.", 1);
        assert!(
            h.vault
                .unsubscribe(&other_channel, None, now)
                .await
                .is_err(),
            "the tag covers the channel"
        );
        assert!(
            h.vault
                .decide(
                    &dpo(),
                    &subject,
                    "marketing",
                    "contact",
                    Some("email"),
                    None,
                    now
                )
                .await
                .unwrap()
                .is_allowed()
        );

        h.vault
            .unsubscribe(&token, Some(IP.into()), now)
            .await
            .unwrap();
        let code = denied(
            h.vault
                .decide(
                    &dpo(),
                    &subject,
                    "marketing",
                    "contact",
                    Some("email"),
                    None,
                    now,
                )
                .await,
        );
        assert_eq!(code, DenyCode::ChannelOptedOut, "{}", h.name);
        assert!(
            h.vault
                .decide(&dpo(), &subject, "delivery", "contact", None, None, now)
                .await
                .unwrap()
                .is_allowed()
        );

        // Opting in again is one call too.
        h.vault
            .set_preference(&dpo(), &subject, "channel", "email", true, now)
            .await
            .unwrap();
        assert!(
            h.vault
                .decide(
                    &dpo(),
                    &subject,
                    "marketing",
                    "contact",
                    Some("email"),
                    None,
                    now
                )
                .await
                .unwrap()
                .is_allowed()
        );
        assert!(
            h.vault
                .set_preference(&dpo(), &subject, "colour", "blue", true, now)
                .await
                .is_err()
        );
    })
    .await;
}

#[tokio::test]
async fn group_commit_records_every_event_of_concurrent_calls() {
    on_each_backend(async |h| {
        let now = at("2026-03-01T10:00:00Z");
        let subject = anna(h, now).await;
        let register = skydd_register::check(REGISTER).register.unwrap();
        let (keyring, _) = Keyring::load_or_create(&h.dir.path().join("master.key")).unwrap();
        let vault = Vault::new(
            h.storage.clone(),
            Arc::new(keyring),
            Arc::new(Enforced::new(register)),
            Arc::new(GroupCommitAudit::spawn(h.storage.clone(), 16)),
        );
        let calls: Vec<_> = (0..40)
            .map(|_| {
                let (vault, subject) = (vault.clone(), subject.clone());
                tokio::spawn(async move {
                    vault
                        .decide(&dpo(), &subject, "delivery", "contact", None, None, now)
                        .await
                        .unwrap()
                        .is_allowed()
                })
            })
            .collect();
        for call in calls {
            assert!(call.await.unwrap());
        }
        let events = h.storage.audit_events_for_subject(&subject).await.unwrap();
        let decisions = events.iter().filter(|e| e.action == "decision").count();
        assert_eq!(
            decisions, 40,
            "{}: every decision is recorded before it is answered",
            h.name
        );
    })
    .await;
}

#[tokio::test]
async fn personnummer_only_for_swedish_customers() {
    // P001-09: "Organizational Number / Personal Number (Swedish customers only)".
    let register = skydd_register::check(include_str!("../../../examples/registers/glesys.yaml"))
        .register
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let storage = skydd_storage::open(&Location::Sqlite(dir.path().join("skydd.db")))
        .await
        .unwrap();
    let (keyring, _) = Keyring::load_or_create(&dir.path().join("master.key")).unwrap();
    let vault = Vault::new(
        storage.clone(),
        Arc::new(keyring),
        Arc::new(Enforced::new(register)),
        Arc::new(StorageAudit::new(storage)),
    );
    let now = at("2026-03-01T10:00:00Z");
    let new = NewSubject {
        identities: vec![("email".into(), EMAIL.into())],
        tenant: None,
    };
    let subject = vault
        .create_subject(&dpo(), new, now)
        .await
        .unwrap()
        .to_string();
    let purpose = vault
        .register()
        .purposes
        .iter()
        .find(|p| {
            p.data_categories()
                .any(|c| c.as_str() == "customer_identity")
        })
        .unwrap();
    let record = |country: Option<&str>, personnummer: &str| NewRecord {
        category: "customer_identity".into(),
        fields: serde_json::Map::from_iter(
            [
                ("name".to_string(), serde_json::Value::from(NAME)),
                ("personnummer".to_string(), personnummer.into()),
            ]
            .into_iter()
            .chain(country.map(|c| ("country".to_string(), c.into()))),
        ),
        source: purpose.sources[0].0.clone(),
        purpose: purpose.id.0.clone(),
        collected_at: None,
        anchors: BTreeMap::new(),
        combined_from: Vec::new(),
    };
    let valid = "19811218-9876";
    for country in [None, Some("NO")] {
        let error = vault
            .add_record(&dpo(), &subject, record(country, valid), now)
            .await
            .unwrap_err();
        assert!(
            error.to_string().contains("kept only for subjects in SE"),
            "{error}"
        );
    }
    let error = vault
        .add_record(&dpo(), &subject, record(Some("SE"), "19811218-9877"), now)
        .await
        .unwrap_err();
    assert!(
        !error.to_string().contains("9877"),
        "the error does not quote the value: {error}"
    );
    vault
        .add_record(&dpo(), &subject, record(Some("SE"), valid), now)
        .await
        .unwrap();
}

/// P002-20 pattern and anonymisation, P000-64 ("When we no longer need the personal data ...,
/// we delete them"): on the day after contact data expires the sweep deletes it and logs it; the website visit past 13 months keeps only its statistical page (its e-mail, though
/// marked statistical, identifies someone and goes); Anna, left without records, is
/// crypto-shredded; Bo's record, whose contract still runs, stays. The proof is in the audit
/// trail, which still verifies, and no value is left in the database.
#[tokio::test]
async fn retention_sweeps_delete_anonymise_shred_and_prove_it() {
    on_each_backend(async |h| {
        let created = at("2024-01-15T10:00:00Z");
        let anna = anna(h, created).await;
        let mut contact = contact_record("delivery");
        contact
            .anchors
            .insert("contract_end".into(), at("2024-01-31T12:00:00Z"));
        h.vault
            .add_record(&dpo(), &anna, contact, created)
            .await
            .unwrap();
        let mut visit_fields = serde_json::Map::new();
        visit_fields.insert("email".into(), EMAIL.into());
        visit_fields.insert("page".into(), "/pricing".into());
        visit_fields.insert("visited_at".into(), "2024-01-15".into());
        let visit = NewRecord {
            category: "visit".into(),
            fields: visit_fields,
            source: "data_subject".into(),
            purpose: "delivery".into(),
            collected_at: None,
            anchors: BTreeMap::new(),
            combined_from: Vec::new(),
        };
        h.vault
            .add_record(&dpo(), &anna, visit, created)
            .await
            .unwrap();
        let bo = h
            .vault
            .create_subject(
                &dpo(),
                NewSubject {
                    identities: vec![("email".into(), "bo@example.se".into())],
                    tenant: None,
                },
                created,
            )
            .await
            .unwrap()
            .to_string();
        h.vault
            .add_record(&dpo(), &bo, contact_record("delivery"), created)
            .await
            .unwrap();

        let plan = h
            .vault
            .retention_plan(at("2026-02-01T00:30:00Z"))
            .await
            .unwrap();
        assert_eq!(
            (
                plan.total(skydd_retention::LineState::Delete),
                plan.total(skydd_retention::LineState::Anonymise),
                plan.total(skydd_retention::LineState::Pending),
            ),
            (1, 1, 1),
            "{}: {}",
            h.name,
            plan.table()
        );

        let system = Actor::new("system:retention");
        let mut reports = Vec::new();
        let before = h
            .vault
            .retention_sweep(&system, at("2026-01-31T23:00:00Z"), 1, &mut |p| {
                reports.push(p)
            })
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (before.deleted, before.anonymised),
            (0, 1),
            "{}: the visit is older",
            h.name
        );
        assert_eq!(reports.last().unwrap().scanned, 3);
        let sweep = h
            .vault
            .retention_sweep(&system, at("2026-02-01T00:30:00Z"), 1, &mut |_| {})
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (sweep.deleted, sweep.anonymised, sweep.shredded),
            (1, 0, 1),
            "{}",
            h.name
        );
        assert!(h.storage.get_subject(&anna).await.unwrap().is_none());
        assert!(h.storage.subject_key(&anna).await.unwrap().is_none());
        assert_eq!(h.storage.records_of_subject(&bo).await.unwrap().len(), 1);
        let remains = h.storage.anonymised_records().await.unwrap();
        assert_eq!(remains.len(), 1);
        assert_eq!(remains[0].fields, r#"{"page":"/pricing"}"#);
        assert_eq!(remains[0].collected_month, "2024-01");

        let trail = h
            .storage
            .audit_entries(&skydd_storage::AuditFilter::default(), 0, 100)
            .await
            .unwrap();
        let proof: Vec<(&str, String)> = trail
            .iter()
            .filter(|e| e.event.action.starts_with("retention."))
            .map(|e| (e.event.action.as_str(), e.event.detail.clone().unwrap()))
            .collect();
        assert_eq!(proof.len(), 3, "{proof:?}");
        assert_eq!(proof[0].0, "retention.anonymise");
        assert_eq!(
            proof[1],
            (
                "retention.delete",
                format!(
                    r#"{{"rule":"contact","action":"delete","count":1,"subjects":["{anna}"]}}"#
                )
            )
        );
        assert_eq!(proof[2].0, "retention.shred");
        assert!(proof[2].1.contains(&anna));

        let signer = Keyring::load(&h.dir.path().join("master.key")).unwrap();
        skydd_vault::audit_trail::write_checkpoint(
            h.storage.as_ref(),
            signer.checkpoint_signer(),
            at("2026-02-01T01:00:00Z"),
        )
        .await
        .unwrap()
        .unwrap();
        let report = skydd_vault::audit_trail::verify(
            h.storage.clone(),
            signer.checkpoint_signer(),
            Vec::new(),
        )
        .await
        .unwrap();
        assert_eq!(report.breach, None, "{}: {report:?}", h.name);
        assert_eq!(report.checkpoints, 1);

        let again = h
            .vault
            .retention_sweep(&system, at("2026-02-01T00:30:00Z"), 1000, &mut |_| {})
            .await
            .unwrap()
            .unwrap();
        assert_eq!((again.deleted, again.anonymised, again.batches), (0, 0, 0));

        let lowered = String::from_utf8_lossy(&database_contents(h).await).to_lowercase();
        for value in [EMAIL, NAME] {
            assert!(
                !lowered.contains(&value.to_lowercase()),
                "{}: `{value}` in plaintext",
                h.name
            );
        }
        assert!(
            lowered.contains("/pricing"),
            "{}: the scan reads the remains",
            h.name
        );
    })
    .await;
}

/// P000-69, P001-05: a significant change of the notice is announced to every subject of the
/// controller who was there before it took effect, once, even when the announcement runs again
/// (a restart, or a rerun after a crash); later subjects and a tenant's users are not written to.
#[tokio::test]
async fn a_notice_change_is_announced_once_to_each_earlier_subject() {
    on_each_backend(async |h| {
        let before = at("2026-02-01T09:00:00Z");
        let effective = at("2026-03-01T00:00:00Z");
        let anna = anna(h, before).await;
        let phone_only = NewSubject {
            identities: vec![("phone".into(), "070-765 43 21".into())],
            tenant: None,
        };
        h.vault
            .create_subject(&dpo(), phone_only, before)
            .await
            .unwrap();
        let tenants_user = NewSubject {
            identities: vec![("email".into(), "user@customer.example".into())],
            tenant: Some("customer-1".into()),
        };
        h.vault
            .create_subject(&dpo(), tenants_user, before)
            .await
            .unwrap();
        let later = NewSubject {
            identities: vec![("email".into(), "bo@example.se".into())],
            tenant: None,
        };
        h.vault
            .create_subject(&dpo(), later, at("2026-03-02T09:00:00Z"))
            .await
            .unwrap();

        let lines = vec!["new purpose: Newsletter".to_string()];
        let now = at("2026-03-02T10:00:00Z");
        let first = h
            .vault
            .announce_notice_change("digest-2", effective, &lines, None, now)
            .await
            .unwrap();
        assert_eq!(first.queued, 1, "{first:?}");
        assert_eq!(first.without_address, 1, "{first:?}");
        let again = h
            .vault
            .announce_notice_change("digest-2", effective, &lines, None, now)
            .await
            .unwrap();
        assert_eq!((again.queued, again.already_queued), (0, 1), "{again:?}");
        let outbox = h.vault.outbox(&dpo(), None, now).await.unwrap();
        let notices: Vec<_> = outbox
            .iter()
            .filter(|m| m.kind == "notice_of_change")
            .collect();
        assert_eq!(notices.len(), 1);
        assert_eq!(notices[0].to, "anna.andersson@example.se");
        assert!(
            notices[0].text.contains("new purpose: Newsletter"),
            "{}",
            notices[0].text
        );
        assert!(
            notices[0].text.contains("2026-03-01"),
            "{}",
            notices[0].text
        );
        // A later version is announced again.
        let next = h
            .vault
            .announce_notice_change("digest-3", at("2026-03-03T00:00:00Z"), &lines, None, now)
            .await
            .unwrap();
        assert_eq!(next.queued, 2, "anna and bo: {next:?}");
        let _ = anna;
    })
    .await;
}
