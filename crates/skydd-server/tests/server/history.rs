//! Register versions read back and compared (P000-69, P001-05), and the public version history
//! of the notice with its archived versions (P000-68, P001-04).

use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use serde_json::Value;
use skydd_app::LoadedRegister;
use skydd_app::history::{self, StoredVersionError, VersionChange};
use skydd_register::model::Language;
use skydd_storage::RegisterVersionRecord;

use super::{TEST_REGISTER, json_body, on_each_backend, problem};

fn at(time: &str) -> jiff::Timestamp {
    time.parse().unwrap()
}

/// The test register with `edits` applied (each `from` must occur in it).
fn edited(edits: &[(&str, &str)]) -> LoadedRegister {
    let mut source = TEST_REGISTER.to_owned();
    for (from, to) in edits {
        assert!(
            source.contains(from),
            "`{from}` is not in the test register"
        );
        source = source.replace(from, to);
    }
    let checked = skydd_register::check(&source);
    let register = checked
        .register
        .unwrap_or_else(|| panic!("edited register is invalid: {:#?}", checked.diagnostics));
    LoadedRegister::new(register, "edited test register")
}

/// The version after the test register: a new recipient for marketing, new consent wording for
/// the newsletter, and a reworded security measure (not significant).
fn next_version() -> LoadedRegister {
    edited(&[
        ("published: 2026-01-05", "published: 2026-04-01"),
        (
            "retention:\n",
            "  - id: crm\n    name: CRM provider\n    kind: processor\n    country: SE\n    purposes: [marketing]\n    agreement: DPA 2026-02\nretention:\n",
        ),
        (
            "I want the newsletter.",
            "I want the newsletter and offers from partners.",
        ),
        (
            "Personal data is encrypted at rest.",
            "Personal data is encrypted at rest with AES-256-GCM.",
        ),
    ])
}

/// The version before the test register: no disclosures to authorities yet, contact details
/// kept 12 months instead of 24.
fn earlier_version() -> LoadedRegister {
    edited(&[
        ("published: 2026-01-05", "published: 2025-06-01"),
        (
            "  - id: disclosure_to_authorities\n    name: Disclosure to authorities on a court decision or similar decision\n    role: controller\n    subjects: [customer]\n    sources: [data_subject]\n    legal_basis: {contact: legal_obligation}\n    law: Rättegångsbalken 27 kap.\n    recipients: [police]\n",
            "",
        ),
        (
            "  - id: police\n    name: The Swedish Police Authority\n    kind: authority\n    country: SE\n    purposes: [disclosure_to_authorities]\n",
            "",
        ),
        ("keep: 24 months", "keep: 12 months"),
    ])
}

fn damaged_row(digest_char: char, content: &str, first_loaded_at: &str) -> RegisterVersionRecord {
    RegisterVersionRecord {
        digest: std::iter::repeat_n(digest_char, 64).collect(),
        published: "2026-05-01".into(),
        first_loaded_at: at(first_loaded_at),
        content: content.into(),
    }
}

#[tokio::test]
async fn a_newly_loaded_register_is_compared_with_the_previous_version() {
    on_each_backend(async |app| {
        let storage = &*app.storage;
        let backend = app.backend;
        // The server's own register was recorded at start: loading it again changes nothing.
        let again = app.register.record_version(storage, app.now).await.unwrap();
        assert!(matches!(again, VersionChange::Unchanged), "{backend}: {again:?}");
        assert!(!again.newly_recorded());

        let next = next_version();
        let change = next
            .record_version(storage, at("2026-04-01T06:00:00Z"))
            .await
            .unwrap();
        let VersionChange::Changed {
            newly_recorded,
            previous_digest,
            diff,
        } = &change
        else {
            panic!("{backend}: {change:?}")
        };
        assert!(newly_recorded, "{backend}");
        assert_eq!(previous_digest, &app.register.digest, "{backend}");
        assert_eq!(diff.old_digest, app.register.digest);
        assert_eq!(diff.new_digest, next.digest);
        assert_eq!(
            change.significant_ids(),
            ["purposes/newsletter", "recipients/crm"],
            "{backend}: {diff:#?}"
        );
        assert_eq!(
            diff.consent_renewal_needed()
                .map(|p| p.as_str())
                .collect::<Vec<_>>(),
            ["newsletter"]
        );
        // The reworded measure is a change, not a significant one.
        assert!(
            diff.changes
                .iter()
                .any(|c| c.section == "security" && !c.is_significant()),
            "{diff:#?}"
        );
        assert!(!diff.published_unchanged());

        // Loaded once more (a second server, a restart): nothing new.
        let again = next
            .record_version(storage, at("2026-04-02T06:00:00Z"))
            .await
            .unwrap();
        assert!(matches!(again, VersionChange::Unchanged), "{backend}: {again:?}");

        // The old register loaded again (a rollback): compared with the latest version.
        let back = app
            .register
            .record_version(storage, at("2026-04-03T06:00:00Z"))
            .await
            .unwrap();
        let VersionChange::Changed {
            newly_recorded,
            previous_digest,
            diff,
        } = &back
        else {
            panic!("{backend}: {back:?}")
        };
        assert!(!newly_recorded);
        assert_eq!(previous_digest, &next.digest);
        assert_eq!(diff.new_digest, app.register.digest);
        assert!(
            diff.changes
                .iter()
                .any(|c| c.section == "recipients" && c.id.as_deref() == Some("crm")),
            "{diff:#?}"
        );

        // A previous version whose stored row was damaged: what changed is unknown, no panic.
        storage
            .record_register_version(damaged_row('f', "{\"format\": 1", "2026-05-01T06:00:00Z"))
            .await
            .unwrap();
        let third = edited(&[("published: 2026-01-05", "published: 2026-06-01")]);
        let change = third
            .record_version(storage, at("2026-06-01T06:00:00Z"))
            .await
            .unwrap();
        let VersionChange::PreviousUnreadable {
            newly_recorded,
            error,
        } = &change
        else {
            panic!("{backend}: {change:?}")
        };
        assert!(newly_recorded);
        assert!(
            matches!(error, StoredVersionError::Unreadable { digest, .. } if digest.starts_with("ffff")),
            "{error:?}"
        );
        assert!(change.diff().is_none());

        // The history has all four, newest first; the damaged one and the diffs across it are
        // missing, every other version is rebuilt exactly.
        let versions = history::load(storage).await.unwrap();
        let digests: Vec<&str> = versions.iter().map(|v| v.version.digest.as_str()).collect();
        assert_eq!(
            digests,
            [
                third.digest.as_str(),
                &"f".repeat(64),
                &next.digest,
                &app.register.digest
            ],
            "{backend}"
        );
        assert_eq!(versions[0].version.register.as_ref().ok(), Some(&third.register));
        assert!(versions[0].diff.is_none());
        assert!(versions[1].version.register.is_err());
        assert!(versions[1].diff.is_none());
        assert_eq!(versions[2].version.register.as_ref().ok(), Some(&next.register));
        assert_eq!(versions[2].diff.as_ref().map(|d| &d.new_digest), Some(&next.digest));
        assert_eq!(versions[2].replaced_at, Some(at("2026-05-01T06:00:00Z")));
        assert!(versions[3].first && versions[3].diff.is_none());
        assert_eq!(versions[3].version.notice_version(), &app.register.digest[..12]);

        // The pages still work: the damaged version is listed as unreadable, and asking for
        // it is a generic 500 that names nothing stored.
        let response = app.get("/privacy/versions", None).await;
        assert_eq!(response.status(), StatusCode::OK, "{backend}");
        let page = response.text().await.unwrap();
        assert!(page.contains("This version cannot be shown"), "{page}");
        let body = problem(
            app.get("/privacy/versions/ffffffffffff", None).await,
            StatusCode::INTERNAL_SERVER_ERROR,
            backend,
        )
        .await;
        assert!(!body.to_string().contains("format"), "{body}");
    })
    .await;
}

#[tokio::test]
async fn a_row_whose_content_is_another_register_is_refused() {
    on_each_backend(async |app| {
        // Intact JSON under a digest that is not its own: a damaged row, not a register.
        let content = earlier_version().register.to_json().to_string();
        let row = damaged_row('a', &content, "2026-03-02T06:00:00Z");
        let version = history::StoredVersion::rebuild(row.clone());
        assert!(
            matches!(&version.register, Err(StoredVersionError::WrongDigest { actual, .. })
                if actual == &earlier_version().digest),
            "{:?}",
            version.register
        );
        app.storage.record_register_version(row).await.unwrap();
        let change = next_version()
            .record_version(&*app.storage, at("2026-03-03T06:00:00Z"))
            .await
            .unwrap();
        assert!(
            matches!(change, VersionChange::PreviousUnreadable { .. }),
            "{}: {change:?}",
            app.backend
        );
    })
    .await;
}

#[tokio::test]
async fn the_first_version_recorded_has_nothing_to_compare_with() {
    let data = tempfile::tempdir().unwrap();
    let storage = skydd_storage::open(&skydd_storage::Location::Sqlite(
        data.path().join("skydd.db"),
    ))
    .await
    .unwrap();
    let first = next_version();
    let change = first
        .record_version(&*storage, at("2026-01-01T00:00:00Z"))
        .await
        .unwrap();
    assert!(matches!(change, VersionChange::First), "{change:?}");
    assert!(change.newly_recorded());
    let versions = history::load(&*storage).await.unwrap();
    assert_eq!(versions.len(), 1);
    assert!(versions[0].first && versions[0].replaced_at.is_none());
    storage.close().await.unwrap();
}

#[tokio::test]
async fn the_version_history_is_public_and_lists_every_version_newest_first() {
    on_each_backend(async |app| {
        let backend = app.backend;
        let earlier = earlier_version();
        earlier
            .record(&*app.storage, at("2025-06-01T08:30:00Z"))
            .await
            .unwrap();
        let current = &app.register;

        // The current notice links to the history (P001-04).
        let notice = app.get("/privacy", None).await.text().await.unwrap();
        assert!(
            notice.contains("<a href=\"/privacy/versions?lang=en\">Version history</a>"),
            "{notice}"
        );

        let response = app.get("/privacy/versions", None).await;
        assert_eq!(response.status(), StatusCode::OK, "{backend}");
        assert_eq!(response.headers()[CONTENT_TYPE], "text/html; charset=utf-8");
        assert_eq!(response.headers()["content-language"], "en");
        assert!(
            response.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("default-src 'none'")
        );
        let page = response.text().await.unwrap();
        assert!(!page.contains("<script"), "readable without JavaScript");
        let newest = page.find(&current.digest[..12]).unwrap();
        let oldest = page.find(&earlier.digest[..12]).unwrap();
        assert!(newest < oldest, "newest first");
        insta::assert_snapshot!("version_history", page);

        let page = app
            .get("/privacy/versions?lang=sv", None)
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains("<html lang=\"sv\">"));
        assert!(
            page.contains("<li><strong>Ny mottagare</strong>: The Swedish Police Authority</li>"),
            "{page}"
        );
        insta::assert_snapshot!("version_history_sv", page);

        let response = app.get("/privacy/versions?format=json", None).await;
        assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
        let json = json_body(response, StatusCode::OK, backend).await;
        assert_eq!(json["current"], current.digest.as_str());
        assert_eq!(json["versions"][0]["digest"], current.digest.as_str());
        assert_eq!(json["versions"][0]["current"], true);
        assert_eq!(json["versions"][0]["took_effect"], "2026-03-01T09:00:00Z");
        assert_eq!(json["versions"][1]["replaced_at"], "2026-03-01T09:00:00Z");
        assert_eq!(json["versions"][1]["changes"], Value::Null);
        let reasons: Vec<&str> = json["versions"][0]["changes"]["significant"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["reason"].as_str().unwrap())
            .collect();
        assert_eq!(
            reasons,
            ["new_purpose", "longer_retention", "new_recipient"],
            "{json}"
        );
        insta::assert_json_snapshot!("version_history_json", json);

        // The archived version, as it was: its own notice, marked archived, with its dates.
        let path = format!("/privacy/versions/{}", &earlier.digest[..12]);
        let response = app.get(&path, None).await;
        assert_eq!(response.status(), StatusCode::OK, "{backend}");
        assert_eq!(
            response.headers()["skydd-register-digest"],
            earlier.digest.as_str()
        );
        let archived = response.text().await.unwrap();
        assert!(archived.contains("This is an archived version of the notice"));
        assert!(archived.contains("In effect from 1 June 2025 until 1 March 2026."));
        assert!(archived.contains("12 months"), "the old retention");
        assert!(
            !archived.contains("Swedish Police Authority"),
            "not the new content"
        );
        let notice = app.get("/privacy", None).await.text().await.unwrap();
        assert!(notice.contains("Swedish Police Authority"));
        assert!(!archived.contains("<script"));
        let markdown = app
            .get(&format!("{path}?lang=sv&format=md"), None)
            .await
            .text()
            .await
            .unwrap();
        assert!(markdown.contains("Detta är en arkiverad version av integritetspolicyn"));
        // Below the line saying it is archived, it is the notice of that version.
        let notice = skydd_notice::render_markdown(&earlier.register, Language::Sv);
        let from_title = &notice[notice.find("\n").unwrap()..];
        assert!(markdown.ends_with(from_title.split_at(from_title.len() / 2).1));
        insta::assert_snapshot!("archived_notice_sv_md", markdown);

        // The full digest names it too; the current version is marked current.
        let full = app
            .get(&format!("/privacy/versions/{}", earlier.digest), None)
            .await;
        assert_eq!(full.status(), StatusCode::OK);
        let page = app
            .get(
                &format!("/privacy/versions/{}", &current.digest[..12]),
                None,
            )
            .await
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("This is the current version of the notice."),
            "{page}"
        );
        assert!(page.contains("In effect since 1 March 2026."), "{page}");

        for unknown in [
            "/privacy/versions/000000000000",
            "/privacy/versions/ABCDEF012345",
            "/privacy/versions/not-a-version",
        ] {
            let body = problem(app.get(unknown, None).await, StatusCode::NOT_FOUND, backend).await;
            assert_eq!(
                body["type"], "https://skydd.dev/problems/unknown-notice-version",
                "{unknown}: {body}"
            );
        }
        for bad in [
            "/privacy/versions?lang=de",
            "/privacy/versions?format=md",
            &format!("{path}?format=json"),
        ] {
            let body = problem(app.get(bad, None).await, StatusCode::BAD_REQUEST, backend).await;
            assert_eq!(
                body["type"], "https://skydd.dev/problems/invalid-query",
                "{bad}"
            );
        }
    })
    .await;
}
