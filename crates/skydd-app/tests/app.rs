//! The application layer from the outside, on a fresh SQLite instance per test: opening an
//! instance and building its services, recording the register, key rotation with re-wrapping,
//! token changes through the audit sink, checkpoints with their witness, sweeps, and the jobs
//! started and stopped together; which register an instance serves (`app/served.rs`); single
//! sign-on's protocol against a fake OpenID provider (`app/oidc.rs`); the privacy centre's
//! service on both backends (`app/centre.rs`); two servers on one database answering decisions
//! from memory and agreeing within the bound (`app/decisions_from_memory.rs`).

// Helpers outside `#[test]` functions are test code too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use skydd_app::history::VersionChange;
use skydd_app::instance::{self, Create, DataSettings};
use skydd_app::{App, FixedClock, JobSettings, Jobs, LoadedRegister, tokens};
use skydd_staff::permission::{Scope, StaffRole};
use skydd_storage::AuditFilter;
use skydd_vault::{Actor, NewSubject};

/// The bundled example register.
const REGISTER: &str = include_str!("../../../examples/registers/glesys.yaml");

fn register() -> LoadedRegister {
    let checked = skydd_register::check(REGISTER);
    LoadedRegister::new(checked.register.unwrap(), "glesys.yaml")
}

fn at(time: &str) -> jiff::Timestamp {
    time.parse().unwrap()
}

async fn open(data: &tempfile::TempDir, create: Create) -> App {
    let settings = DataSettings {
        data_dir: data.path().join("data"),
        database_url: None,
        busy_timeout: skydd_storage::DEFAULT_BUSY_TIMEOUT,
        durability: skydd_storage::Durability::default(),
    };
    App::open(
        &settings,
        create,
        register(),
        Arc::new(FixedClock(at("2026-03-01T09:00:00Z"))),
    )
    .await
    .unwrap()
}

async fn add_subject(app: &App, email: &str) -> String {
    app.vault()
        .create_subject(
            &Actor::new("test"),
            NewSubject {
                identities: vec![("email".into(), email.into())],
                tenant: None,
            },
            app.clock.now(),
        )
        .await
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn an_instance_is_created_once_and_opened_afterwards() {
    let data = tempfile::tempdir().unwrap();
    let settings = DataSettings {
        data_dir: data.path().join("data"),
        database_url: None,
        busy_timeout: skydd_storage::DEFAULT_BUSY_TIMEOUT,
        durability: skydd_storage::Durability::default(),
    };
    let error = App::open(
        &settings,
        Create::Never,
        register(),
        Arc::new(FixedClock(at("2026-03-01T09:00:00Z"))),
    )
    .await
    .err()
    .unwrap();
    assert!(matches!(error, instance::InstanceError::NotFound { .. }));

    let app = open(&data, Create::IfMissing).await;
    assert!(matches!(
        app.record_register_version().await.unwrap(),
        VersionChange::First
    ));
    assert_eq!(app.key_file().unwrap().as_ref(), settings.master_key_path());
    app.close().await.unwrap();

    let app = open(&data, Create::Never).await;
    assert!(matches!(
        app.record_register_version().await.unwrap(),
        VersionChange::Unchanged
    ));
    app.close().await.unwrap();
}

#[tokio::test]
async fn a_rotation_rewraps_every_subject_key_and_is_resumable() {
    let data = tempfile::tempdir().unwrap();
    let app = open(&data, Create::IfMissing).await;
    let first = add_subject(&app, "first@example.se").await;
    add_subject(&app, "second@example.se").await;
    assert_eq!(app.key_version(), 1);

    assert_eq!(app.add_key_version().await.unwrap(), 2);
    assert_eq!(app.key_version(), 2);
    let mut reported = Vec::new();
    let total = app
        .rewrap_all(1, |total| reported.push(total))
        .await
        .unwrap();
    assert_eq!(total, 2);
    assert_eq!(reported, [1, 2]);
    assert_eq!(app.rewrap_all(10, |_| {}).await.unwrap(), 0);
    let key = app.storage.subject_key(&first).await.unwrap().unwrap();
    assert_eq!(key.key_version, 2);

    // Another app on the same data still has version 2 only until it reloads.
    let other = open(&data, Create::Never).await;
    assert_eq!(other.add_key_version().await.unwrap(), 3);
    assert_eq!(app.key_version(), 2);
    assert!(app.reload_keys(2).await.unwrap());
    assert_eq!(app.key_version(), 3);
    assert!(!app.reload_keys(3).await.unwrap());
    other.close().await.unwrap();
    app.close().await.unwrap();
}

/// The key file's content in the temporary files a `kill -9` during a rotation leaves: this
/// release's fixed name and an earlier release's per-process one.
fn strand_temp_key_files(data: &tempfile::TempDir) {
    use std::os::unix::fs::PermissionsExt;
    let dir = data.path().join("data");
    let content = std::fs::read(dir.join("master.key")).unwrap();
    for name in [".master.key.tmp", ".master.key.999.0011aabb22cc33dd.tmp"] {
        std::fs::write(dir.join(name), &content).unwrap();
        std::fs::set_permissions(dir.join(name), std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

fn files_in(data: &tempfile::TempDir) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(data.path().join("data"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("master.key"))
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn opening_and_rotating_remove_temporary_key_files_a_crash_left() {
    let data = tempfile::tempdir().unwrap();
    let app = open(&data, Create::IfMissing).await;
    add_subject(&app, "first@example.se").await;
    app.close().await.unwrap();

    strand_temp_key_files(&data);
    let app = open(&data, Create::Never).await;
    assert_eq!(files_in(&data), ["master.key"], "the open removed them");

    strand_temp_key_files(&data);
    assert_eq!(app.add_key_version().await.unwrap(), 2);
    assert_eq!(files_in(&data), ["master.key"], "the rotation removed them");
    assert_eq!(app.rewrap_all(10, |_| {}).await.unwrap(), 1);
    app.close().await.unwrap();
}

#[tokio::test]
async fn token_changes_are_recorded_through_the_audit_sink() {
    let data = tempfile::tempdir().unwrap();
    open(&data, Create::IfMissing).await.close().await.unwrap();
    let settings = DataSettings {
        data_dir: data.path().join("data"),
        database_url: None,
        busy_timeout: skydd_storage::DEFAULT_BUSY_TIMEOUT,
        durability: skydd_storage::Durability::default(),
    };
    let opened = instance::open(&settings, Create::Never).await.unwrap();
    let actor = Actor {
        id: "cli:dpo".into(),
        ip: Some("192.0.2.7".into()),
        tenant: None,
        sees_confidential: true,
    };
    let now = at("2026-03-01T10:00:00Z");
    let audit = opened.audit();
    let new = tokens::NewToken {
        scopes: vec![Scope::Role(StaffRole::Auditor), Scope::Decide],
        expires_at: Some(at("2026-06-01T10:00:00Z")),
        label: "Anna's laptop".into(),
    };
    let token = tokens::create(&*opened.storage, &*audit, &actor, &new, now)
        .await
        .unwrap();
    assert!(
        tokens::revoke(
            &*opened.storage,
            &tokens::TokenCache::default(),
            &*audit,
            &actor,
            &token.id,
            now
        )
        .await
        .unwrap()
    );
    assert!(
        !tokens::revoke(
            &*opened.storage,
            &tokens::TokenCache::default(),
            &*audit,
            &actor,
            &token.id,
            now
        )
        .await
        .unwrap()
    );
    let entries = opened
        .storage
        .audit_entries(&AuditFilter::default(), 0, 10)
        .await
        .unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.event.action.as_str()).collect();
    assert_eq!(actions, ["token.create", "token.revoke"]);
    assert_eq!(
        entries[0].event.detail.as_deref().unwrap(),
        format!(
            "token {} scopes auditor,decide expires 2026-06-01T10:00:00Z",
            token.id
        )
    );
    for entry in &entries {
        assert_eq!(entry.event.actor, "cli:dpo");
        assert_eq!(entry.event.ip.as_deref(), Some("192.0.2.7"));
        assert!(!entry.event.detail.as_deref().unwrap().contains("Anna"));
    }
    opened.storage.close().await.unwrap();
}

#[tokio::test]
async fn tokens_expire_at_their_time_and_record_their_last_use_once_a_minute() {
    let data = tempfile::tempdir().unwrap();
    let app = open(&data, Create::IfMissing).await;
    let storage = &*app.storage;
    let issued = at("2026-03-01T10:00:00Z");
    let expires = at("2026-03-31T10:00:00Z");
    let new = tokens::NewToken {
        scopes: vec![Scope::Decide, Scope::RecordsWrite, Scope::Decide],
        expires_at: Some(expires),
        label: "shop".into(),
    };
    let token = tokens::issue(storage, &new, issued).await.unwrap();
    let last_used = async || storage.list_tokens().await.unwrap()[0].last_used_at;
    let cache = tokens::TokenCache::default();

    let accepted = tokens::authenticate(storage, &cache, token.secret(), issued)
        .await
        .unwrap();
    assert_eq!(accepted.id, token.id);
    assert_eq!(
        accepted.scopes,
        [Scope::Decide, Scope::RecordsWrite],
        "no duplicates"
    );
    assert_eq!(last_used().await, Some(issued));

    // Within a minute nothing is written; a minute later it is.
    let soon = issued + jiff::SignedDuration::from_secs(59);
    tokens::authenticate(storage, &cache, token.secret(), soon)
        .await
        .unwrap();
    assert_eq!(last_used().await, Some(issued));
    let later = issued + tokens::LAST_USED_INTERVAL;
    tokens::authenticate(storage, &cache, token.secret(), later)
        .await
        .unwrap();
    assert_eq!(last_used().await, Some(later));

    // Accepted until the instant before its expiry, refused from it on.
    let just_before = expires - jiff::SignedDuration::from_micros(1);
    assert!(
        tokens::authenticate(storage, &cache, token.secret(), just_before)
            .await
            .is_ok()
    );
    assert!(matches!(
        tokens::authenticate(storage, &cache, token.secret(), expires).await,
        Err(tokens::AuthError::Expired(at)) if at == expires
    ));
    assert!(matches!(
        tokens::authenticate(storage, &cache, "skydd_0000000000000000_nope", issued).await,
        Err(tokens::AuthError::Unknown)
    ));

    // Nothing to issue without a scope, or already expired.
    let none = tokens::NewToken {
        scopes: Vec::new(),
        ..new.clone()
    };
    assert!(matches!(
        tokens::issue(storage, &none, issued).await,
        Err(tokens::IssueError::NoScope)
    ));
    let past = tokens::NewToken {
        expires_at: Some(issued),
        ..new
    };
    assert!(matches!(
        tokens::issue(storage, &past, issued).await,
        Err(tokens::IssueError::ExpiresInThePast)
    ));
    app.close().await.unwrap();
}

#[tokio::test]
async fn a_sweep_is_followed_by_a_checkpoint_with_its_witness() {
    let data = tempfile::tempdir().unwrap();
    let app = open(&data, Create::IfMissing).await;
    let witness = data.path().join("data").join("audit-checkpoint.json");
    assert_eq!(app.witness_file(), Some(witness.as_path()));
    // An empty trail has nothing to checkpoint.
    assert!(app.checkpoint(app.clock.now()).await.unwrap().is_none());
    assert!(!witness.exists());

    add_subject(&app, "sweep@example.se").await;
    // The banner's choices (issue 18): one made more than three years before the sweep goes,
    // one made exactly three years before stays.
    for made in ["2023-02-28T23:00:00Z", "2023-03-01T09:00:00Z"] {
        let register = app.vault().register().clone();
        let choice = skydd_vault::CookieChoiceInput {
            browser: "U3dlZXBCcm93c2VyX2lkXzAwMDE".into(),
            revision: register.cookies.revision(),
            notice_version: app.vault().register_version().to_owned(),
            language: skydd_register::model::Language::En,
            action: skydd_vault::BannerAction::RejectAll,
            given: vec!["necessary".into()],
            refused: vec!["analytics".into(), "marketing".into()],
            services: Default::default(),
            gpc: false,
            dnt: false,
            ip: Some("192.0.2.44".into()),
            user_agent: None,
        };
        app.vault()
            .record_cookie_choice(&Actor::new(skydd_vault::WEBSITE_ACTOR), choice, at(made))
            .await
            .unwrap();
    }
    let summary = app
        .sweep(
            &Actor::new("system:retention"),
            app.clock.now(),
            100,
            &mut |_| {},
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(summary.vault.deleted, 0);
    assert_eq!(
        summary.cookie_choices, 1,
        "the choice older than three years"
    );
    assert!(summary.connected.is_empty());
    let saved = skydd_vault::audit_trail::load_witness(&witness)
        .unwrap()
        .unwrap();
    let head = app.storage.audit_chain_head().await.unwrap();
    assert_eq!(saved.seq, head.seq);

    // Monitoring sees the sweep and the valid checkpoint it left (issue 15).
    let now = app.clock.now();
    let operations = app.operations(now).await.unwrap();
    assert_eq!(operations.sweeps.done, 1);
    assert_eq!(operations.sweeps.last, Some((now, true)));
    let checkpoint = operations.audit.checkpoint.unwrap();
    assert_eq!((checkpoint.seq, checkpoint.valid), (head.seq, true));
    assert_eq!(operations.audit.head_seq, head.seq);
    assert!(operations.pool.size >= 1 && operations.pool.max >= operations.pool.size);
    app.close().await.unwrap();
}

/// A checkpoint signed by another key (forged, or copied from another installation) is reported
/// as not valid, without verifying the chain (issue 15).
#[tokio::test]
async fn monitoring_reports_a_checkpoint_this_installation_did_not_sign() {
    let data = tempfile::tempdir().unwrap();
    let app = open(&data, Create::IfMissing).await;
    add_subject(&app, "forged@example.se").await;
    let other = tempfile::tempdir().unwrap();
    let (stranger, _) = skydd_crypto::Keyring::load_or_create(&other.path().join("k")).unwrap();
    skydd_vault::audit_trail::write_checkpoint(
        &*app.storage,
        stranger.checkpoint_signer(),
        app.clock.now(),
    )
    .await
    .unwrap()
    .unwrap();
    let operations = app.operations(app.clock.now()).await.unwrap();
    assert!(!operations.audit.checkpoint.unwrap().valid);
    assert_eq!(operations.sweeps.last, None);
    app.close().await.unwrap();
}

#[tokio::test]
async fn the_jobs_start_together_and_stop_together() {
    let data = tempfile::tempdir().unwrap();
    let app = open(&data, Create::IfMissing).await;
    app.record_register_version().await.unwrap();
    let settings = JobSettings {
        delivery_interval: Duration::from_millis(10),
        warning_interval: Duration::from_millis(10),
        retention_interval: Duration::from_millis(10),
        readiness_interval: Duration::from_millis(10),
        ..JobSettings::default()
    };
    let jobs = Jobs::spawn(&app, None, &settings);
    // The first sweep runs at start and checkpoints the (empty) trail.
    tokio::time::sleep(Duration::from_millis(100)).await;
    jobs.stop().await;
    app.close().await.unwrap();
}

/// The jobs keep the audit trail's index by subject complete (issue 19): a backlog larger than
/// a round (a trail upgraded to schema 15, a large import by `skydd`) is indexed round after
/// round, and what servers append later within the next rounds.
#[tokio::test]
async fn the_jobs_index_the_audit_trail_by_subject() {
    let data = tempfile::tempdir().unwrap();
    let app = open(&data, Create::IfMissing).await;
    let event = |n: usize| skydd_storage::AuditEventRow {
        seq: 0,
        at: at("2026-03-01T09:00:00Z"),
        actor: "test".into(),
        ip: None,
        action: "records.read".into(),
        purpose: None,
        subject_id: Some(format!("s-{}", n % 7)),
        categories: vec![],
        outcome: "ok".into(),
        detail: None,
    };
    let backlog = skydd_app::jobs::AUDIT_INDEX_ROUND * 2 + 5;
    app.storage
        .append_audit_events((0..backlog).map(event).collect())
        .await
        .unwrap();
    let indexed = skydd_app::jobs::index_audit_subjects(&app).await.unwrap();
    let head = app.storage.audit_chain_head().await.unwrap().seq;
    assert_eq!(indexed, u64::try_from(backlog).unwrap());
    assert_eq!(app.storage.audit_subject_index_mark().await.unwrap(), head);

    let settings = JobSettings {
        retention_interval: Duration::ZERO,
        audit_index_interval: Duration::from_millis(10),
        ..JobSettings::default()
    };
    let jobs = Jobs::spawn(&app, None, &settings);
    let before = head;
    add_subject(&app, "later@example.se").await;
    let head = app.storage.audit_chain_head().await.unwrap().seq;
    assert!(head > before, "creating a subject is audited");
    let mut waited = Duration::ZERO;
    while app.storage.audit_subject_index_mark().await.unwrap() < head {
        assert!(
            waited < Duration::from_secs(10),
            "the jobs never indexed seq {head}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
        waited += Duration::from_millis(10);
    }
    jobs.stop().await;
    app.close().await.unwrap();
}

#[tokio::test]
async fn only_the_first_start_issues_an_admin_token() {
    let data = tempfile::tempdir().unwrap();
    let app = open(&data, Create::IfMissing).await;
    let token = app.prepare_to_serve().await.unwrap().unwrap();
    let stored = app.storage.list_tokens().await.unwrap();
    assert_eq!(stored[0].id, token.id);
    assert_eq!(stored[0].scopes, ["admin"], "every permission, as before");
    assert_eq!(stored[0].expires_at, None);
    assert!(app.prepare_to_serve().await.unwrap().is_none());
    let versions = app.storage.list_register_versions().await.unwrap();
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0].digest, app.register.digest);
    app.close().await.unwrap();
}

#[tokio::test]
async fn a_ready_answer_is_kept_a_second_so_a_loop_of_probes_does_not_write_each_time() {
    // /readyz is public: a loop of 1,000 probes must not become 1,000 writes. A "ready" is
    // answered again for a second without touching the database; "not ready" never is.
    let data = tempfile::tempdir().unwrap();
    let app = open(&data, Create::IfMissing).await;
    assert_eq!(app.readiness().await, Ok(()));
    app.storage.close().await.unwrap();
    for _ in 0..1000 {
        assert_eq!(
            app.readiness().await,
            Ok(()),
            "answered without the database"
        );
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(app.readiness().await, Err("database_unreachable"));
    assert_eq!(app.readiness().await, Err("database_unreachable"));
}

/// Staff accounts, sign-in and console sessions (issue 17), on both backends.
#[path = "app/staff.rs"]
mod staff;

/// The privacy centre's service (issue 18).
#[path = "app/centre.rs"]
mod centre;

/// Decisions from memory: two servers on one database agree within the bound (issue 19).
#[path = "app/decisions_from_memory.rs"]
mod decisions_from_memory;

#[path = "app/served.rs"]
mod served;

/// Connected databases: datasets loaded and read (issue 16).
#[path = "app/datasets.rs"]
mod datasets;

/// Retention sweeps reaching connected databases (issue 16).
#[path = "app/sweep_connected.rs"]
mod sweep_connected;

/// Single sign-on with OpenID Connect against a fake provider (issue 17).
#[path = "app/oidc.rs"]
mod oidc;
/// The fake OpenID provider.
#[path = "app/oidc_provider.rs"]
mod oidc_provider;
