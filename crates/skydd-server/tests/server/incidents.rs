//! Incidents (Art. 33, 34) and disclosures to authorities (P000-50, P000-51) and other
//! recipients (issue 20) over HTTP.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use skydd_staff::permission::{Scope, StaffRole};

use super::{TestApp, json_body, on_each_backend, problem};

/// The server's clock stands at 2026-03-01T09:00:00Z: a breach found 70 hours earlier has two
/// hours left.
fn report(became_aware_at: &str, risk: &str) -> Value {
    json!({
        "became_aware_at": became_aware_at,
        "nature": "A misdirected e-mail sent the customer list to another customer",
        "data_categories": ["contact"],
        "subject_categories": ["customer"],
        "approx_subjects": 340,
        "consequences": "Unwanted contact from a competitor",
        "measures": "The recipient confirmed deletion; mail merge now needs a second pair of eyes",
        "risk": risk,
    })
}

async fn post(app: &TestApp, path: &str, body: Value) -> reqwest::Response {
    app.send(Method::POST, path, Some(&body)).await
}

#[tokio::test]
async fn an_incident_runs_from_report_to_close_with_the_72_hour_clock() {
    on_each_backend(async |app| {
        let created = app
            .post_ok("/v1/incidents", report("2026-02-26T11:00:00Z", "risk"), StatusCode::CREATED)
            .await;
        let id = created["id"].as_str().unwrap().to_owned();
        assert_eq!(created["due_at"], "2026-03-01T11:00:00Z", "{created}");
        assert_eq!(created["time_left_seconds"], 7200);
        assert_eq!(created["overdue"], false);
        assert_eq!(created["notification"]["status"], "due");
        assert_eq!(created["communication"]["status"], "not_required");
        assert_eq!(created["outstanding"].as_array().unwrap().len(), 1);
        insta::assert_json_snapshot!("incident_reported", created, {".id" => "[id]", ".entries[].actor" => "[token]"});

        // Open incidents show the time left; closed ones are not listed as open.
        let open = app.get_ok("/v1/incidents?open=true").await;
        assert_eq!(open["incidents"][0]["id"], id.as_str());
        let closing_too_early = post(app, &format!("/v1/incidents/{id}/close"), json!({"summary": "done"})).await;
        let body = problem(closing_too_early, StatusCode::UNPROCESSABLE_ENTITY, app.backend).await;
        assert!(body["detail"].as_str().unwrap().contains("notify the supervisory authority"), "{body}");

        let notified = app
            .post_ok(
                &format!("/v1/incidents/{id}/notifications"),
                json!({"phase": "initial", "notified_at": "2026-03-01T08:30:00Z", "summary": "First report via IMY's e-service"}),
                StatusCode::OK,
            )
            .await;
        assert_eq!(notified["notification"]["status"], "notified");
        assert_eq!(notified["notification"]["late"], false);
        assert_eq!(notified["time_left_seconds"], Value::Null);
        let no_reference = post(
            app,
            &format!("/v1/incidents/{id}/notifications"),
            json!({"phase": "final", "notified_at": "2026-03-01T08:45:00Z"}),
        )
        .await;
        let body = problem(no_reference, StatusCode::UNPROCESSABLE_ENTITY, app.backend).await;
        assert!(body["detail"].as_str().unwrap().contains("authority_reference"), "{body}");
        app.post_ok(
            &format!("/v1/incidents/{id}/notifications"),
            json!({"phase": "final", "notified_at": "2026-03-01T08:45:00Z", "authority_reference": "IMY-2026-0420"}),
            StatusCode::OK,
        )
        .await;
        let closed = app
            .post_ok(&format!("/v1/incidents/{id}/close"), json!({"summary": "Reported and contained"}), StatusCode::OK)
            .await;
        assert_eq!(closed["state"], "closed");
        assert_eq!(closed["entries"].as_array().unwrap().len(), 4);
        let again = post(app, &format!("/v1/incidents/{id}/assessments"), json!({"risk": "high", "reason": "x"})).await;
        problem(again, StatusCode::UNPROCESSABLE_ENTITY, app.backend).await;
        let open = app.get_ok("/v1/incidents?open=true").await;
        assert_eq!(open["incidents"], json!([]));
        let all = app.get_ok("/v1/incidents").await;
        assert_eq!(all["incidents"].as_array().unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_late_notification_needs_reasons_and_an_unrisky_one_needs_the_reason_it_is_not_notified()
{
    on_each_backend(async |app| {
        let late = app
            .post_ok("/v1/incidents", report("2026-02-20T09:00:00Z", "risk"), StatusCode::CREATED)
            .await;
        assert_eq!(late["overdue"], true);
        assert_eq!(late["time_left_seconds"], -6 * 24 * 3600);
        let id = late["id"].as_str().unwrap();
        let without = post(app, &format!("/v1/incidents/{id}/notifications"), json!({"phase": "initial"})).await;
        let body = problem(without, StatusCode::UNPROCESSABLE_ENTITY, app.backend).await;
        insta::assert_json_snapshot!("incident_late_without_reasons", body);
        let with = app
            .post_ok(
                &format!("/v1/incidents/{id}/notifications"),
                json!({"phase": "initial", "late_reason": "The breach was found in a weekend backlog"}),
                StatusCode::OK,
            )
            .await;
        assert_eq!(with["notification"]["late"], true);

        let minor = app
            .post_ok("/v1/incidents", report("2026-03-01T08:00:00Z", "none"), StatusCode::CREATED)
            .await;
        let id = minor["id"].as_str().unwrap();
        let blank = post(app, &format!("/v1/incidents/{id}/no-notification"), json!({"reason": " "})).await;
        problem(blank, StatusCode::UNPROCESSABLE_ENTITY, app.backend).await;
        let documented = app
            .post_ok(
                &format!("/v1/incidents/{id}/no-notification"),
                json!({"reason": "The list held only our own staff's work addresses"}),
                StatusCode::OK,
            )
            .await;
        assert_eq!(documented["notification"]["status"], "not_required");
        assert_eq!(documented["outstanding"], json!([]));

        let risky = app
            .post_ok("/v1/incidents", report("2026-03-01T08:00:00Z", "risk"), StatusCode::CREATED)
            .await;
        let id = risky["id"].as_str().unwrap();
        let skipped = post(app, &format!("/v1/incidents/{id}/no-notification"), json!({"reason": "rather not"})).await;
        problem(skipped, StatusCode::UNPROCESSABLE_ENTITY, app.backend).await;
    })
    .await;
}

#[tokio::test]
async fn high_risk_needs_a_communication_or_an_article_34_3_ground() {
    on_each_backend(async |app| {
        let high = app
            .post_ok("/v1/incidents", report("2026-03-01T08:00:00Z", "high"), StatusCode::CREATED)
            .await;
        assert_eq!(high["communication"]["status"], "due");
        let id = high["id"].as_str().unwrap();
        app.post_ok(&format!("/v1/incidents/{id}/notifications"), json!({"phase": "initial"}), StatusCode::OK)
            .await;
        let close = post(app, &format!("/v1/incidents/{id}/close"), json!({"summary": "done"})).await;
        let body = problem(close, StatusCode::UNPROCESSABLE_ENTITY, app.backend).await;
        assert!(body["detail"].as_str().unwrap().contains("Art. 34(3)"), "{body}");
        let unknown = post(
            app,
            &format!("/v1/incidents/{id}/communication-exemption"),
            json!({"ground": "too_busy", "explanation": "x"}),
        )
        .await;
        let body = problem(unknown, StatusCode::UNPROCESSABLE_ENTITY, app.backend).await;
        assert!(body["detail"].as_str().unwrap().contains("unintelligible, risk_contained, public_communication"), "{body}");
        let exempt = app
            .post_ok(
                &format!("/v1/incidents/{id}/communication-exemption"),
                json!({"ground": "unintelligible", "explanation": "The list was sent as an AES-encrypted archive; the password was not"}),
                StatusCode::OK,
            )
            .await;
        assert_eq!(exempt["communication"]["status"], "exempt");
        app.post_ok(&format!("/v1/incidents/{id}/close"), json!({"summary": "Done"}), StatusCode::OK)
            .await;
    })
    .await;
}

#[tokio::test]
async fn incidents_are_refused_without_the_article_33_3_elements_and_only_admins_write() {
    on_each_backend(async |app| {
        let mut no_categories = report("2026-03-01T08:00:00Z", "risk");
        no_categories["data_categories"] = json!([]);
        let response = post(app, "/v1/incidents", no_categories).await;
        problem(response, StatusCode::UNPROCESSABLE_ENTITY, app.backend).await;
        let mut unknown = report("2026-03-01T08:00:00Z", "risk");
        unknown["data_categories"] = json!(["passwords"]);
        let response = post(app, "/v1/incidents", unknown).await;
        let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY, app.backend).await;
        assert!(
            body["detail"].as_str().unwrap().contains("`passwords`"),
            "{body}"
        );
        let future = post(app, "/v1/incidents", report("2026-03-02T08:00:00Z", "risk")).await;
        problem(future, StatusCode::UNPROCESSABLE_ENTITY, app.backend).await;
        let bad_risk = post(
            app,
            "/v1/incidents",
            report("2026-03-01T08:00:00Z", "severe"),
        )
        .await;
        problem(bad_risk, StatusCode::UNPROCESSABLE_ENTITY, app.backend).await;
        let missing = app.get("/v1/incidents/0123", Some(&app.admin_token)).await;
        problem(missing, StatusCode::NOT_FOUND, app.backend).await;
        assert_eq!(app.get_ok("/v1/incidents").await["incidents"], json!([]));

        let auditor = app.issue(Scope::Role(StaffRole::Auditor)).await;
        let response = app
            .send_as(
                auditor.secret(),
                Method::POST,
                "/v1/incidents",
                Some(&report("2026-03-01T08:00:00Z", "risk")),
            )
            .await;
        problem(response, StatusCode::FORBIDDEN, app.backend).await;
        let listed = app.get("/v1/incidents", Some(auditor.secret())).await;
        json_body(listed, StatusCode::OK, app.backend).await;
    })
    .await;
}

pub(super) fn disclosure(subject: &str, decision: Value) -> Value {
    json!({
        "authority": "police",
        "legal_basis": "Rättegångsbalken 27 kap. 1 §",
        "decision": decision,
        "subjects": [subject],
        "categories": ["contact"],
        "disclosed_at": "2026-03-01T08:00:00Z",
    })
}

pub(super) fn court_decision() -> Value {
    json!({
        "kind": "court_decision",
        "reference": "B 1234-26",
        "decided_by": "Stockholms tingsrätt",
        "decided_on": "2026-02-27",
        "document_sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    })
}

#[tokio::test]
async fn data_goes_to_the_police_only_on_a_court_decision_or_similar_decision() {
    // P000-50: "SYSPEACE only issues the information if there is a court decision or similar
    // decision to do so." P000-51: the audit trail holds the authority, the decision and the
    // categories released, with the time. P002-34: a disclosure "as specified in the decision":
    // the categories the authority may receive are allowed (`contact`), one more is denied
    // (`work_items`: recipient_not_for_category), none without a decision.
    on_each_backend(async |app| {
        let subject = app.create_subject(json!({"email": "anna@example.se"})).await;
        for decision in [
            Value::Null,
            json!({"kind": "court_decision", "decided_by": "Stockholms tingsrätt", "decided_on": "2026-02-27"}),
            json!({"kind": "court_decision", "reference": "  ", "decided_by": "Stockholms tingsrätt", "decided_on": "2026-02-27"}),
        ] {
            let mut body = disclosure(&subject, decision);
            if body["decision"].is_null() {
                body.as_object_mut().unwrap().remove("decision");
            }
            let refused = post(app, "/v1/disclosures", body).await;
            let body = problem(refused, StatusCode::UNPROCESSABLE_ENTITY, app.backend).await;
            assert!(body["detail"].as_str().unwrap().contains("decision"), "{body}");
        }
        let no_law = {
            let mut body = disclosure(&subject, court_decision());
            body.as_object_mut().unwrap().remove("legal_basis");
            post(app, "/v1/disclosures", body).await
        };
        let body = problem(no_law, StatusCode::UNPROCESSABLE_ENTITY, app.backend).await;
        assert!(body["detail"].as_str().unwrap().contains("legal_basis"), "{body}");
        let not_a_recipient = {
            let mut body = disclosure(&subject, court_decision());
            body["authority"] = json!("tax_agency");
            post(app, "/v1/disclosures", body).await
        };
        let body = problem(not_a_recipient, StatusCode::UNPROCESSABLE_ENTITY, app.backend).await;
        assert!(body["detail"].as_str().unwrap().contains("not a recipient of the register"), "{body}");
        let wrong_category = {
            let mut body = disclosure(&subject, court_decision());
            body["categories"] = json!(["work_items"]);
            post(app, "/v1/disclosures", body).await
        };
        let body = problem(wrong_category, StatusCode::FORBIDDEN, app.backend).await;
        assert_eq!(body["code"], "recipient_not_for_category", "{body}");
        let unknown_subject = post(app, "/v1/disclosures", disclosure("0123456789abcdef0123456789abcdef", court_decision())).await;
        problem(unknown_subject, StatusCode::NOT_FOUND, app.backend).await;
        assert_eq!(app.get_ok("/v1/disclosures").await["disclosures"], json!([]));
        assert!(app.storage.audit_events_for_subject(&subject).await.unwrap().iter().all(|e| e.action != "disclosure"));

        let recorded = app
            .post_ok("/v1/disclosures", disclosure(&subject, court_decision()), StatusCode::CREATED)
            .await;
        insta::assert_json_snapshot!("disclosure_recorded", recorded, {".id" => "[id]", ".subjects[0]" => "[subject]", ".recorded_by" => "[token]"});
        let listed = app.get_ok(&format!("/v1/disclosures?subject={subject}")).await;
        assert_eq!(listed["disclosures"][0]["id"], recorded["id"]);
        let audit = app.storage.audit_events_for_subject(&subject).await.unwrap();
        let event = audit.iter().find(|e| e.action == "disclosure").expect("audited");
        assert_eq!(event.categories, ["contact"]);
        assert_eq!(event.purpose.as_deref(), Some("disclosure_to_authorities"));
        let detail = event.detail.as_deref().unwrap();
        for part in ["to police", "court_decision B 1234-26", "Stockholms tingsrätt", "9f86d081"] {
            assert!(detail.contains(part), "{part} in {detail}");
        }
        assert!(!detail.contains("anna@example.se"));
    })
    .await;
}

#[tokio::test]
async fn data_goes_to_any_recipient_only_for_a_purpose_and_categories_the_register_gives_it() {
    // Issue 20: a group company, a credit agency, payment providers, a buyer of the business
    // receive data only for the purposes the register gives them (a credit agency for credit
    // checks: allowed; for marketing: denied), each disclosure is logged per subject, and the
    // access package lists the disclosures made (Art. 15(1)(c)).
    on_each_backend(async |app| {
        let subject = app.create_subject(json!({"email": "olle@example.se"})).await;
        let to_mailer = |purpose: Option<&str>, categories: Value| {
            let mut body = json!({
                "recipient": "mailer",
                "subjects": [subject],
                "categories": categories,
                "disclosed_at": "2026-03-01T08:00:00Z",
            });
            if let Some(purpose) = purpose {
                body["purpose"] = json!(purpose);
            }
            body
        };
        let for_marketing = post(app, "/v1/disclosures", to_mailer(Some("marketing"), json!(["contact"]))).await;
        let body = problem(for_marketing, StatusCode::FORBIDDEN, app.backend).await;
        assert_eq!(body["code"], "recipient_not_for_purpose", "{body}");
        assert!(body["detail"].as_str().unwrap().contains("delivery"), "it names what it may: {body}");
        let unknown_purpose = post(app, "/v1/disclosures", to_mailer(Some("astrology"), json!(["contact"]))).await;
        problem(unknown_purpose, StatusCode::UNPROCESSABLE_ENTITY, app.backend).await;
        let unknown_category = post(app, "/v1/disclosures", to_mailer(None, json!(["shoe_size"]))).await;
        problem(unknown_category, StatusCode::UNPROCESSABLE_ENTITY, app.backend).await;
        let police_without_decision = post(
            app,
            "/v1/disclosures",
            json!({"recipient": "police", "legal_basis": "RB 27:1", "subjects": [subject], "categories": ["contact"]}),
        )
        .await;
        let body = problem(police_without_decision, StatusCode::UNPROCESSABLE_ENTITY, app.backend).await;
        assert!(body["detail"].as_str().unwrap().contains("decision"), "{body}");
        assert!(app.get_ok("/v1/disclosures").await["disclosures"].as_array().unwrap().is_empty());

        let recorded = app
            .post_ok("/v1/disclosures", to_mailer(None, json!(["contact"])), StatusCode::CREATED)
            .await;
        insta::assert_json_snapshot!("disclosure_to_a_processor_recorded", recorded, {".id" => "[id]", ".subjects[0]" => "[subject]", ".recorded_by" => "[token]"});
        assert_eq!(recorded["legal_basis"], "contract", "the basis the decision found");
        assert_eq!(recorded["decision_kind"], Value::Null);
        let audit = app.storage.audit_events_for_subject(&subject).await.unwrap();
        let event = audit.iter().find(|e| e.action == "disclosure").expect("audited");
        assert_eq!(event.purpose.as_deref(), Some("delivery"));
        assert!(event.detail.as_deref().unwrap().contains("to mailer on contract"), "{event:?}");

        // A restricted subject's data goes nowhere (Art. 18): the decision denies it.
        let restriction = super::connected::verified_request(app, "restriction", "rut@example.se").await;
        app.post_ok(&format!("/v1/requests/{restriction}/fulfil"), json!({}), StatusCode::OK).await;
        let restricted = app.get_ok(&format!("/v1/requests/{restriction}")).await["subject_id"].clone();
        let mut body = to_mailer(None, json!(["contact"]));
        body["subjects"] = json!([restricted]);
        let refused = post(app, "/v1/disclosures", body).await;
        let body = problem(refused, StatusCode::FORBIDDEN, app.backend).await;
        assert_eq!(body["code"], "restricted", "{body}");

        // The subject's access package lists the disclosure.
        let receipt = app
            .client
            .post(app.url("/v1/requests"))
            .json(&json!({"type": "access", "identity": {"email": "olle@example.se"}}))
            .send()
            .await
            .unwrap();
        assert_eq!(receipt.status(), StatusCode::ACCEPTED);
        let request = receipt.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
        super::connected::verify_with_code(app, &request).await;
        let package = app.get_ok(&format!("/v1/requests/{request}/package")).await;
        assert_eq!(
            package["disclosures"],
            json!([{
                "disclosed_at": "2026-03-01T08:00:00Z",
                "recipient": "mailer",
                "name": "Mail delivery service",
                "kind": "processor",
                "purpose": "delivery",
                "categories": ["contact"],
                "decision": null,
            }])
        );
    })
    .await;
}

#[tokio::test]
async fn a_high_risk_breach_is_told_to_the_subjects_through_the_outbox() {
    on_each_backend(async |app| {
        let reached = app
            .create_subject(json!({"email": "karin@example.se"}))
            .await;
        let no_mail = app.create_subject(json!({"phone": "+46701234567"})).await;
        let high = app
            .post_ok(
                "/v1/incidents",
                report("2026-03-01T08:00:00Z", "high"),
                StatusCode::CREATED,
            )
            .await;
        let id = high["id"].as_str().unwrap();
        let path = format!("/v1/incidents/{id}/communications");
        let blank = post(app, &path, json!({"message": " ", "subjects": [reached]})).await;
        problem(blank, StatusCode::UNPROCESSABLE_ENTITY, app.backend).await;
        let nobody = post(
            app,
            &path,
            json!({"message": "We lost your data", "subjects": []}),
        )
        .await;
        problem(nobody, StatusCode::UNPROCESSABLE_ENTITY, app.backend).await;
        let unreachable = post(
            app,
            &path,
            json!({"message": "We lost your data", "subjects": [no_mail]}),
        )
        .await;
        let body = problem(unreachable, StatusCode::UNPROCESSABLE_ENTITY, app.backend).await;
        assert!(
            body["detail"].as_str().unwrap().contains("e-mail address"),
            "{body}"
        );
        assert!(
            app.storage.outbox_messages(None).await.unwrap().is_empty(),
            "nothing queued"
        );

        let message = "On 1 March our customer list was sent by mistake to another customer.";
        let sent = app
            .post_ok(
                &path,
                json!({"message": message, "subjects": [reached, no_mail]}),
                StatusCode::OK,
            )
            .await;
        assert_eq!(sent["queued"], 1);
        assert_eq!(sent["without_address"], 1);
        assert_eq!(sent["incident"]["communication"]["status"], "informed");
        assert_eq!(sent["incident"]["communication"]["subjects"], 1);
        let queued = app.storage.outbox_messages(Some("queued")).await.unwrap();
        assert_eq!(queued.len(), 1);
        assert_eq!(queued[0].kind, "incident_communication");
        // The letter is stored encrypted: neither the address nor the text is in the row.
        for needle in [&b"karin@example.se"[..], message.as_bytes()] {
            for bytes in [&queued[0].address_ciphertext, &queued[0].body_ciphertext] {
                assert!(!bytes.windows(needle.len()).any(|w| w == needle));
            }
        }
        let audit = app
            .storage
            .audit_events_for_subject(&reached)
            .await
            .unwrap();
        assert!(
            audit.iter().any(|e| e.action == "incident.inform"),
            "{audit:?}"
        );
        // Informed: the Art. 34(3) route is closed, and the incident can close once notified.
        let exempt = post(
            app,
            &format!("/v1/incidents/{id}/communication-exemption"),
            json!({"ground": "unintelligible", "explanation": "x"}),
        )
        .await;
        problem(exempt, StatusCode::UNPROCESSABLE_ENTITY, app.backend).await;
    })
    .await;
}

#[tokio::test]
async fn an_authority_the_register_lets_have_data_by_law_needs_no_court_decision() {
    // P003-17: "If we are required by law or you have agreed to it, we will disclose necessary
    // personal data to authorities". With `requires_decision: false` the law is enough; it is
    // still required, and P000-50's court decision stays the default for every other authority.
    let register = super::TEST_REGISTER.replacen(
        "    purposes: [disclosure_to_authorities]\n",
        "    purposes: [disclosure_to_authorities]\n    requires_decision: false\n",
        1,
    );
    for backend in super::backends() {
        let app = super::spawn_app_serving(
            &backend,
            "2026-03-01T09:00:00Z".parse().unwrap(),
            &skydd_storage::OpenOptions::default(),
            tempfile::tempdir().unwrap(),
            &register,
            skydd_app::datasets::Datasets::default(),
        )
        .await;
        let subject = app.create_subject(json!({"email": "lag@example.se"})).await;
        let mut body = disclosure(&subject, Value::Null);
        body.as_object_mut().unwrap().remove("decision");
        let no_law = {
            let mut body = body.clone();
            body.as_object_mut().unwrap().remove("legal_basis");
            post(&app, "/v1/disclosures", body).await
        };
        problem(no_law, StatusCode::UNPROCESSABLE_ENTITY, app.backend).await;
        let recorded = app
            .post_ok("/v1/disclosures", body, StatusCode::CREATED)
            .await;
        assert_eq!(recorded["decision_kind"], Value::Null, "{recorded}");
        assert_eq!(recorded["legal_basis"], "Rättegångsbalken 27 kap. 1 §");
        assert_eq!(recorded["recipient_kind"], "authority");
        let audit = app
            .storage
            .audit_events_for_subject(&subject)
            .await
            .unwrap();
        let event = audit
            .iter()
            .find(|e| e.action == "disclosure")
            .expect("audited");
        assert!(
            event
                .detail
                .as_deref()
                .unwrap()
                .contains("to police on Rättegångsbalken"),
            "{event:?}"
        );
        app.stop().await;
    }
}

/// P003-18: "we will disclose **necessary** personal data". A disclosure that names `fields`
/// hands out only those fields, of the disclosed categories only (a work item the subject also
/// has is left out), when `export` asks for the data; the fields are in the audit trail; a field
/// of another category is refused with nothing recorded.
#[tokio::test]
async fn a_disclosure_hands_out_only_the_fields_it_names() {
    for backend in super::backends() {
        let app = super::spawn_app(&backend).await;
        let subject = app.create_subject(json!({"email": "min@example.se"})).await;
        app.create_record(
            &subject,
            json!({"category": "contact", "source": "data_subject", "purpose": "delivery",
                   "fields": {"name": "Mina Min", "email": "min@example.se", "phone": "+46701234567"}}),
        )
        .await;
        app.create_record(
            &subject,
            json!({"category": "work_items", "source": "data_subject", "purpose": "delivery",
                   "fields": {"title": "Secret plan", "body": "Not for the police"}}),
        )
        .await;
        let mut body = disclosure(&subject, court_decision());
        body["fields"] = json!(["name"]);
        body["export"] = json!(true);

        let mut wrong = body.clone();
        wrong["fields"] = json!(["name", "title"]);
        let refused = problem(
            post(&app, "/v1/disclosures", wrong).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            app.backend,
        )
        .await;
        assert!(refused.to_string().contains("`title`"), "{refused}");
        assert!(
            app.get_ok("/v1/disclosures").await["disclosures"]
                .as_array()
                .unwrap()
                .is_empty()
        );

        let recorded = app
            .post_ok("/v1/disclosures", body, StatusCode::CREATED)
            .await;
        let export = &recorded["export"];
        assert_eq!(export[0]["subject"], subject.as_str(), "{recorded}");
        let records = export[0]["records"].as_array().unwrap();
        assert_eq!(records.len(), 1, "{recorded}");
        assert_eq!(records[0]["category"], "contact");
        assert_eq!(records[0]["fields"], json!({"name": "Mina Min"}));
        let text = recorded.to_string();
        assert!(
            !text.contains("+46701234567") && !text.contains("Secret plan"),
            "{text}"
        );
        // Without `export`, no data comes back.
        let again = app
            .post_ok(
                "/v1/disclosures",
                disclosure(&subject, court_decision()),
                StatusCode::CREATED,
            )
            .await;
        assert!(again.get("export").is_none(), "{again}");
        let audit = app
            .storage
            .audit_events_for_subject(&subject)
            .await
            .unwrap();
        assert!(
            audit.iter().any(|e| e.action == "disclosure"
                && e.detail
                    .as_deref()
                    .is_some_and(|d| d.ends_with(" fields:name"))),
            "{audit:?}"
        );
        app.stop().await;
    }
}
