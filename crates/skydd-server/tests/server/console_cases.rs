//! The console's incident and subject pages over HTTP (issue 17): an incident documented from
//! report to close with CSRF, the 72-hour clock at chosen times, subjects found by e-mail and
//! personnummer without the value ever reaching a URL or the log, records read under a chosen
//! purpose and audited, snapshots in English and Swedish.

use reqwest::StatusCode;
use serde_json::{Value, json};
use skydd_staff::permission::StaffRole;

use super::console::{Browser, Page};
use super::{Backend, TestApp, backends, captured_log, on_each_backend, spawn_app_at};

/// A browser signed in (enrolled) as a new account of `role`.
async fn signed_in(app: &TestApp, role: StaffRole) -> Browser<'_> {
    let mut browser = Browser::new(app);
    browser
        .signed_in_as(&format!("{}@example.se", role.as_str()), role)
        .await;
    browser
}

const NATURE: &str = "A misdirected e-mail sent the customer list to another customer";

/// The report form filled in, with the page's CSRF token.
fn report_form<'a>(
    csrf: &'a str,
    became_aware_at: &'a str,
    risk: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("_csrf", csrf),
        ("became_aware_at", became_aware_at),
        ("nature", NATURE),
        ("data_categories", "contact"),
        ("data_categories", "work_items"),
        ("subject_categories", "customer"),
        ("approx_subjects", "340"),
        ("consequences", "Unwanted contact from a competitor"),
        ("measures", "The recipient confirmed deletion"),
        ("risk", risk),
    ]
}

/// A page's `<main>` (the frame around it is the shell's, snapshotted there) with what changes
/// from run to run replaced: ids (32 hex digits, and the first 8 of them as page titles show
/// them), the CSRF token, the staff actor.
fn stable(page: &Page, csrf: &str, known: &[&str]) -> String {
    let start = page.body.find("<main").expect("a page has a <main>");
    let end = page.body.find("</main>").expect("a page has a </main>") + "</main>".len();
    let body = page.body[start..end].replace(csrf, "[csrf]");
    let mut ids: Vec<String> = known.iter().map(|id| (*id).to_owned()).collect();
    let mut run = String::new();
    for c in body.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_hexdigit() && !c.is_ascii_uppercase() {
            run.push(c);
        } else {
            if run.len() == 32 {
                ids.push(std::mem::take(&mut run));
            }
            run.clear();
        }
    }
    let mut out = body;
    for id in &ids {
        out = out.replace(id.as_str(), "[id]").replace(&id[..8], "[id8]");
    }
    replace_spans(&out, "account:", "</td>", "[staff]")
}

/// `text` with every span from `start` up to (not including) `end` replaced by `with`.
fn replace_spans(text: &str, start: &str, end: &str, with: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(start) {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        let stop = after.find(end).unwrap_or(after.len());
        out.push_str(with);
        rest = &after[stop..];
    }
    out.push_str(rest);
    out
}

/// The audit entries the admin token sees, oldest first.
async fn audit(app: &TestApp) -> Vec<Value> {
    let page = app.get_ok("/v1/audit?limit=1000").await;
    page["entries"].as_array().unwrap().clone()
}

#[tokio::test]
async fn an_incident_is_documented_from_report_to_close_in_the_console() {
    on_each_backend(async |app| {
        let backend = app.backend;
        let mut dpo = signed_in(app, StaffRole::Dpo).await;
        let form = dpo.get("/console/incidents/new").await;
        assert_eq!(form.status, StatusCode::OK, "{backend}");
        assert!(form.body.contains("Contact details") && form.body.contains("Customers"));
        let csrf = form.hidden("_csrf");

        // A form without the token, or with another, changes nothing.
        let mut forged = report_form("", "2026-02-28T10:00", "risk");
        forged.remove(0);
        assert_eq!(
            dpo.post("/console/incidents", &forged).await.status,
            StatusCode::FORBIDDEN
        );
        let wrong = report_form("not-the-token", "2026-02-28T10:00", "risk");
        assert_eq!(
            dpo.post("/console/incidents", &wrong).await.status,
            StatusCode::FORBIDDEN
        );
        // A report without its time is refused by the form, one in the future by the model.
        let refused = dpo
            .post("/console/incidents", &report_form(&csrf, "", "risk"))
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{backend}"
        );
        assert!(
            refused
                .body
                .contains("Give when you became aware of the breach.")
        );
        assert!(refused.body.contains(NATURE), "what was typed is kept");
        let future = dpo
            .post(
                "/console/incidents",
                &report_form(&csrf, "2026-03-05T10:00", "risk"),
            )
            .await;
        assert_eq!(future.status, StatusCode::UNPROCESSABLE_ENTITY, "{backend}");
        assert!(future.body.contains("became_aware_at"), "{}", future.body);
        assert_eq!(app.get_ok("/v1/incidents").await["incidents"], json!([]));

        // Aware on 28 February at 10:00 Swedish time (09:00 UTC); the server's clock stands at
        // 1 March 09:00 UTC: two days left.
        let created = dpo
            .post(
                "/console/incidents",
                &report_form(&csrf, "2026-02-28T10:00", "risk"),
            )
            .await;
        assert_eq!(
            created.status,
            StatusCode::SEE_OTHER,
            "{backend}: {}",
            created.body
        );
        let path = created.location().to_owned();
        let id = path.trim_start_matches("/console/incidents/").to_owned();
        let page = dpo.get(&path).await;
        assert_eq!(page.status, StatusCode::OK);
        for text in [
            "The breach is documented; the 72-hour clock runs.",
            "2 d left",
            "Notify the supervisory authority (Art. 33(1)) by 2026-03-03 10:00.",
            "Contact details, Work items",
        ] {
            assert!(
                page.body.contains(text),
                "{backend}: {text} in {}",
                page.body
            );
        }
        let api = app.get_ok(&format!("/v1/incidents/{id}")).await;
        assert_eq!(api["became_aware_at"], "2026-02-28T09:00:00Z");
        assert_eq!(api["report"]["approx_subjects"], 340);

        let step = |name: &str| format!("{path}/{name}");
        // A refused move is shown with the model's message, and nothing is recorded.
        let early = dpo
            .post(
                &step("notifications"),
                &[("_csrf", &csrf), ("phase", "supplementary")],
            )
            .await;
        assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            early
                .body
                .contains("a `supplementary` phase follows an `initial` notification"),
            "{}",
            early.body
        );
        let notified = dpo
            .post(
                &step("notifications"),
                &[
                    ("_csrf", &csrf),
                    ("phase", "initial"),
                    ("notified_at", "2026-03-01 09:30"),
                    ("authority_reference", "IMY-2026-0042"),
                    ("summary", "First report through the e-service"),
                ],
            )
            .await;
        assert_eq!(notified.status, StatusCode::SEE_OTHER, "{}", notified.body);
        let assessed = dpo
            .post(
                &step("assessments"),
                &[
                    ("_csrf", &csrf),
                    ("risk", "high"),
                    ("reason", "Bank details were in the list"),
                ],
            )
            .await;
        assert_eq!(assessed.status, StatusCode::SEE_OTHER);
        let page = dpo.get(&path).await;
        for text in [
            "First notified 2026-03-01 09:30.",
            "Reference: IMY-2026-0042.",
            "Authority notified in time",
            "Tell the subjects in plain language (Art. 34(1))",
        ] {
            assert!(page.body.contains(text), "{text} in {}", page.body);
        }
        let close = dpo
            .post(&step("close"), &[("_csrf", &csrf), ("summary", "Done")])
            .await;
        assert_eq!(close.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            close.body.contains("the incident cannot be closed yet"),
            "{}",
            close.body
        );
        let unknown = dpo
            .post(
                &step("communications"),
                &[
                    ("_csrf", &csrf),
                    (
                        "message",
                        "Your contact details were sent to another customer.",
                    ),
                    ("subjects", "00000000000000000000000000000000"),
                ],
            )
            .await;
        assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            unknown
                .body
                .contains("One of the subject ids is not known.")
        );
        let exempt = dpo
            .post(
                &step("communication-exemption"),
                &[
                    ("_csrf", &csrf),
                    ("ground", "risk_contained"),
                    (
                        "explanation",
                        "The recipient deleted the list before opening it",
                    ),
                ],
            )
            .await;
        assert_eq!(exempt.status, StatusCode::SEE_OTHER, "{}", exempt.body);
        let closed = dpo
            .post(
                &step("close"),
                &[
                    ("_csrf", &csrf),
                    ("summary", "Mail merge needs a second pair of eyes"),
                ],
            )
            .await;
        assert_eq!(closed.status, StatusCode::SEE_OTHER, "{}", closed.body);
        let page = dpo.get(&path).await;
        assert!(page.body.contains("The incident is closed."));
        assert!(
            !page.body.contains("action=\"/console/incidents/"),
            "no forms on a closed incident"
        );
        if backend == "sqlite" {
            insta::assert_snapshot!("console_incident_closed_en", stable(&page, &csrf, &[&id]));
            let sv = dpo.get(&format!("{path}?lang=sv")).await;
            insta::assert_snapshot!("console_incident_closed_sv", stable(&sv, &csrf, &[&id]));
        }
        let list = dpo.get("/console/incidents?lang=en").await;
        assert!(list.body.contains("No open incidents."), "{}", list.body);

        // Every step is audited as the staff member's, with the session.
        let entries = audit(app).await;
        let actions: Vec<(&str, &str)> = entries
            .iter()
            .filter(|e| e["action"].as_str().unwrap().starts_with("incident."))
            .map(|e| (e["action"].as_str().unwrap(), e["actor"].as_str().unwrap()))
            .collect();
        assert_eq!(actions.len(), 5, "{actions:?}");
        assert!(
            actions
                .iter()
                .all(|(_, actor)| actor.starts_with("account:") && actor.contains("/session:")),
            "{actions:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn the_72_hour_clock_is_shown_before_at_and_after_its_end_across_a_dst_change() {
    // Aware on Friday 27 March 2026 at 17:30 Swedish time (CET); the clocks go forward on the
    // Sunday, so the 72 hours end on Monday 30 March at 18:30 summer time, 16:30 UTC.
    let cases = [
        (
            "2026-03-29T01:00:00Z",
            "1 d 15 h 30 min left",
            "1 d 15 h 30 min kvar",
            "before",
        ),
        ("2026-03-30T16:30:00Z", "Due now", "Ska anmälas nu", "at"),
        (
            "2026-03-30T17:00:00Z",
            "Overdue by 30 min",
            "Försenad med 30 min",
            "after",
        ),
    ];
    for backend in backends() {
        for (now, en, sv, name) in cases {
            let app = spawn_app_at(&backend, now.parse().unwrap()).await;
            app.post_ok(
                "/v1/incidents",
                json!({
                    "became_aware_at": "2026-03-27T16:30:00Z",
                    "nature": NATURE,
                    "data_categories": ["contact"],
                    "subject_categories": ["customer"],
                    "consequences": "Unwanted contact",
                    "measures": "Deletion confirmed",
                    "risk": "risk",
                }),
                StatusCode::CREATED,
            )
            .await;
            let mut dpo = signed_in(&app, StaffRole::Dpo).await;
            let english = dpo.get("/console/incidents?lang=en").await;
            let swedish = dpo.get("/console/incidents?lang=sv").await;
            for (page, clock) in [(&english, en), (&swedish, sv)] {
                assert!(page.body.contains(clock), "{now}: {clock} in {}", page.body);
                assert!(
                    page.body.contains("2026-03-30 18:30"),
                    "{now}: the due time in Swedish time"
                );
                assert!(
                    page.body.contains("2026-03-27 17:30"),
                    "{now}: awareness in Swedish time"
                );
            }
            assert_eq!(
                english.body.contains("tag problem"),
                name == "after",
                "{now}"
            );
            if matches!(backend, Backend::Sqlite) && name == "after" {
                let csrf = english.hidden("_csrf");
                insta::assert_snapshot!(
                    "console_incidents_overdue_en",
                    stable(&english, &csrf, &[])
                );
                insta::assert_snapshot!(
                    "console_incidents_overdue_sv",
                    stable(&swedish, &csrf, &[])
                );
            }
            app.stop().await;
        }
    }
}

/// Anna, with an e-mail address and a personnummer, and one contact record.
async fn anna(app: &TestApp) -> String {
    let id = app
        .create_subject(
            json!({"email": "Anna.Andersson@Example.SE", "personnummer": "19811218-9876"}),
        )
        .await;
    app.create_record(
        &id,
        json!({
            "category": "contact",
            "fields": {"name": "Anna Andersson", "email": "anna.andersson@example.se"},
            "source": "data_subject",
            "purpose": "delivery",
        }),
    )
    .await;
    id
}

#[tokio::test]
async fn subjects_are_found_by_email_and_personnummer_and_the_value_stays_out_of_urls_and_logs() {
    on_each_backend(async |app| {
        let backend = app.backend;
        let id = anna(app).await;
        let mut dpo = signed_in(app, StaffRole::Dpo).await;
        let form = dpo.get("/console/subjects").await;
        assert_eq!(form.status, StatusCode::OK);
        let csrf = form.hidden("_csrf");
        let values = [
            ("email", " ANNA.andersson@example.se "),
            ("personnummer", "811218-9876"),
            ("personnummer", "198112189876"),
        ];
        for (kind, value) in values {
            let found = dpo
                .post(
                    "/console/subjects",
                    &[("_csrf", &csrf), ("kind", kind), ("value", value)],
                )
                .await;
            assert_eq!(
                found.status,
                StatusCode::SEE_OTHER,
                "{backend} {kind}: {}",
                found.body
            );
            assert_eq!(found.location(), format!("/console/subjects/{id}"));
        }
        let missing = dpo
            .post(
                "/console/subjects",
                &[
                    ("_csrf", &csrf),
                    ("kind", "email"),
                    ("value", "berit@example.se"),
                ],
            )
            .await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        assert!(missing.body.contains("No subject has this identity."));
        assert!(
            !missing.body.contains("berit"),
            "the value is not written back"
        );
        let invalid = dpo
            .post(
                "/console/subjects",
                &[
                    ("_csrf", &csrf),
                    ("kind", "personnummer"),
                    ("value", "811218-9999"),
                ],
            )
            .await;
        assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(!invalid.body.contains("811218-"), "{}", invalid.body);
        let no_token = dpo
            .post(
                "/console/subjects",
                &[("kind", "email"), ("value", "anna.andersson@example.se")],
            )
            .await;
        assert_eq!(no_token.status, StatusCode::FORBIDDEN);

        let page = dpo.get(&format!("/console/subjects/{id}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body.contains("anna.andersson@example.se"),
            "{}",
            page.body
        );
        assert!(page.body.contains("198112189876"));

        // Nothing of the identities in the log (the access log records route templates). The
        // personnummer is looked for in its written forms: its bare six digits also turn up by
        // chance inside the random hex ids other tests log (CI found `811218` in one).
        let log = captured_log();
        for value in [
            "anna.andersson",
            "Anna.Andersson",
            "811218-",
            "19811218",
            "198112189876",
            "berit",
        ] {
            assert!(!log.contains(value), "{backend}: {value} is in the log");
        }
        let looked_up: Vec<Value> = audit(app)
            .await
            .into_iter()
            .filter(|e| e["action"] == "subject.lookup")
            .collect();
        // Three found, one not found; the invalid personnummer is refused before any look-up.
        assert_eq!(looked_up.len(), 4, "every look-up is audited");
        let outcomes: Vec<&str> = looked_up
            .iter()
            .map(|e| e["outcome"].as_str().unwrap())
            .collect();
        assert_eq!(outcomes, ["found", "found", "found", "not_found"]);
        assert!(
            looked_up
                .iter()
                .all(|e| e["actor"].as_str().unwrap().starts_with("account:"))
        );
    })
    .await;
}

#[tokio::test]
async fn records_are_read_under_the_purpose_chosen_and_audited_as_the_api_reads_them() {
    on_each_backend(async |app| {
        let backend = app.backend;
        let id = anna(app).await;
        // The proof keeps the address and user agent the consent came from.
        let consent = app
            .client
            .post(app.url("/v1/consents"))
            .bearer_auth(&app.admin_token)
            .header("user-agent", "SkyddTestBrowser/7.7")
            .json(&json!({"subject": id, "purpose": "newsletter", "granted": true, "method": "web_form"}))
            .send()
            .await
            .unwrap();
        assert_eq!(consent.status(), StatusCode::CREATED);
        app.post_ok(
            &format!("/v1/subjects/{id}/objections"),
            json!({"purpose": "marketing", "objected": true}),
            StatusCode::CREATED,
        )
        .await;
        let mut dpo = signed_in(app, StaffRole::Dpo).await;
        let page = dpo.get(&format!("/console/subjects/{id}")).await;
        let csrf = page.hidden("_csrf");
        assert!(page.body.contains("<th scope=\"row\">Marketing of our products</th>"), "{}", page.body);
        assert!(page.body.contains("127.0.0.1") && page.body.contains("SkyddTestBrowser/7.7"));
        assert!(!page.body.contains("Anna Andersson"), "no record is decrypted without a purpose");

        let read = dpo
            .post(&format!("/console/subjects/{id}/records"), &[("_csrf", &csrf), ("purpose", "delivery")])
            .await;
        assert_eq!(read.status, StatusCode::OK, "{backend}: {}", read.body);
        assert!(read.body.contains("Anna Andersson"));
        assert!(read.body.contains("Read for: Deliver the service"));
        let withheld = dpo
            .post(&format!("/console/subjects/{id}/records"), &[("_csrf", &csrf), ("purpose", "marketing")])
            .await;
        assert_eq!(withheld.status, StatusCode::OK);
        assert!(!withheld.body.contains("Anna Andersson"), "{}", withheld.body);
        assert!(withheld.body.contains("<td><code>objection</code></td>"), "{}", withheld.body);
        let unknown = dpo
            .post(&format!("/console/subjects/{id}/records"), &[("_csrf", &csrf), ("purpose", "gossip")])
            .await;
        assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
        if backend == "sqlite" {
            let read = stable(&read, &csrf, &[&id]);
            insta::assert_snapshot!("console_subject_records_en", read);
            let sv = dpo.get(&format!("/console/subjects/{id}?lang=sv")).await;
            insta::assert_snapshot!("console_subject_sv", stable(&sv, &csrf, &[&id]));
        }

        let reads: Vec<Value> = audit(app)
            .await
            .into_iter()
            .filter(|e| e["action"] == "records.read" && e["actor"].as_str().unwrap().starts_with("account:"))
            .collect();
        let purposes: Vec<&str> = reads.iter().map(|e| e["purpose"].as_str().unwrap()).collect();
        assert_eq!(purposes, ["delivery", "marketing"], "{backend}");
        assert!(reads.iter().all(|e| e["subject_id"] == id.as_str()));
    })
    .await;
}

/// Who may use these pages, by role: the auditor reads incidents and nothing else here; the
/// administrator and support see neither incidents nor subjects (the dpo's way through every
/// page is the tests above).
#[tokio::test]
async fn roles_other_than_the_dpo_are_refused_what_they_may_not_do() {
    on_each_backend(async |app| {
        let id = anna(app).await;
        let incident = app
            .post_ok(
                "/v1/incidents",
                json!({
                    "became_aware_at": "2026-02-28T09:00:00Z",
                    "nature": NATURE,
                    "data_categories": ["contact"],
                    "subject_categories": ["customer"],
                    "consequences": "Unwanted contact",
                    "measures": "Deletion confirmed",
                    "risk": "risk",
                }),
                StatusCode::CREATED,
            )
            .await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        for role in [StaffRole::Auditor, StaffRole::Admin, StaffRole::Support] {
            let reads_incidents = role == StaffRole::Auditor;
            let mut browser = signed_in(app, role).await;
            let csrf = browser.get("/console/dashboard").await.hidden("_csrf");
            for path in [
                "/console/incidents".to_owned(),
                format!("/console/incidents/{incident}"),
            ] {
                let page = browser.get(&path).await;
                let expected = if reads_incidents {
                    StatusCode::OK
                } else {
                    StatusCode::FORBIDDEN
                };
                assert_eq!(page.status, expected, "{role} {path}");
                assert!(
                    !page.body.contains("/console/incidents/new"),
                    "{role}: no report link"
                );
                assert!(
                    !page.body.contains("name=\"phase\""),
                    "{role}: no step forms"
                );
            }
            let refused = [
                browser.get("/console/incidents/new").await,
                browser
                    .post(
                        "/console/incidents",
                        &report_form(&csrf, "2026-02-28T10:00", "risk"),
                    )
                    .await,
                browser
                    .post(
                        &format!("/console/incidents/{incident}/close"),
                        &[("_csrf", &csrf), ("summary", "Done")],
                    )
                    .await,
                browser.get("/console/subjects").await,
                browser.get(&format!("/console/subjects/{id}")).await,
                browser
                    .post(
                        "/console/subjects",
                        &[
                            ("_csrf", &csrf),
                            ("kind", "email"),
                            ("value", "anna.andersson@example.se"),
                        ],
                    )
                    .await,
                browser
                    .post(
                        &format!("/console/subjects/{id}/records"),
                        &[("_csrf", &csrf), ("purpose", "delivery")],
                    )
                    .await,
            ];
            for page in refused {
                assert_eq!(page.status, StatusCode::FORBIDDEN, "{role}: {}", page.body);
                assert!(!page.body.contains("Anna") && !page.body.contains("anna.andersson"));
            }
        }
        // Nothing was recorded by the refused forms.
        let api = app.get_ok(&format!("/v1/incidents/{incident}")).await;
        assert_eq!(api["state"], "open");
        assert_eq!(
            app.get_ok("/v1/incidents").await["incidents"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
    })
    .await;
}
