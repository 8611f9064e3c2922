//! Register features of issue 20 over HTTP, on both backends. `/v1/subjects/{id}/attributes`: a
//! fact of the person that a legal basis waits for (support rests on the contract while the
//! subject has a support agreement, on legitimate interest otherwise), set with its dates, read
//! back, ended, removed, refused with what to fix, audited with its dates and named in the
//! notice. `/privacy?audience=`: a notice per audience, each linking the others.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{TEST_REGISTER, TestApp, backends, json_body, problem, spawn_app_on_register};

/// The test register with an attribute and a purpose whose bases wait for it.
fn register() -> String {
    TEST_REGISTER
        .replacen(
            "recipients:\n",
            "  - id: support
    name: Support
    role: controller
    subjects: [customer]
    sources: [data_subject]
    legal_basis:
      contact:
        - {basis: contract, when: {attribute: support_agreement}}
        - legitimate_interest
      work_items:
        - {basis: contract, when: {attribute: support_agreement}}
    legitimate_interest: {balancing: Only what the question needs.}
recipients:\n",
            1,
        )
        .replacen(
            "features:\n",
            "attributes:
  - id: support_agreement
    name: {en: you have a support agreement with us, sv: du har ett supportavtal med oss}
features:\n",
            1,
        )
}

async fn put(app: &TestApp, subject: &str, attribute: &str, body: Value) -> reqwest::Response {
    app.send(
        Method::PUT,
        &format!("/v1/subjects/{subject}/attributes/{attribute}"),
        Some(&body),
    )
    .await
}

async fn basis(app: &TestApp, subject: &str, category: &str) -> Value {
    let answer = app
        .decide(&format!(
            "subject={subject}&purpose=support&category={category}"
        ))
        .await;
    if answer["allowed"] == true {
        answer["legal_basis"].clone()
    } else {
        answer["code"].clone()
    }
}

#[tokio::test]
async fn a_basis_waits_for_an_attribute_of_the_subject_set_through_the_api() {
    let register = register();
    for backend in backends() {
        let app = spawn_app_on_register(&backend, &register).await;
        let subject = app.create_subject(json!({"email": "sup@example.se"})).await;
        // Without the attribute: legitimate interest, or nothing where contract is the only one.
        assert_eq!(
            basis(&app, &subject, "contact").await,
            "legitimate_interest"
        );
        assert_eq!(
            basis(&app, &subject, "work_items").await,
            "basis_condition_unmet"
        );

        // Set (the server's clock is 2026-03-01T09:00Z): contract from then on.
        let set = json_body(
            put(
                &app,
                &subject,
                "support_agreement",
                json!({"since": "2026-02-01T00:00:00Z"}),
            )
            .await,
            StatusCode::OK,
            app.backend,
        )
        .await;
        assert_eq!(set["holds"], true, "{set}");
        assert_eq!(set["until"], Value::Null);
        assert_eq!(basis(&app, &subject, "contact").await, "contract");
        assert_eq!(basis(&app, &subject, "work_items").await, "contract");
        let listed = app
            .get_ok(&format!("/v1/subjects/{subject}/attributes"))
            .await;
        assert_eq!(listed["attributes"][0]["attribute"], "support_agreement");
        assert_eq!(listed["attributes"][0]["since"], "2026-02-01T00:00:00Z");

        // Ended yesterday (set again with its end): legitimate interest again, at once.
        let ended = json_body(
            put(
                &app,
                &subject,
                "support_agreement",
                json!({"since": "2026-02-01T00:00:00Z", "until": "2026-02-28T00:00:00Z"}),
            )
            .await,
            StatusCode::OK,
            app.backend,
        )
        .await;
        assert_eq!(ended["holds"], false, "{ended}");
        assert_eq!(
            basis(&app, &subject, "contact").await,
            "legitimate_interest"
        );
        assert_eq!(
            basis(&app, &subject, "work_items").await,
            "basis_condition_unmet"
        );
        // Starting next month: not yet.
        put(
            &app,
            &subject,
            "support_agreement",
            json!({"since": "2026-04-01T00:00:00Z"}),
        )
        .await;
        assert_eq!(
            basis(&app, &subject, "work_items").await,
            "basis_condition_unmet"
        );

        // Refused, with what to fix.
        for (attribute, body, status, says) in [
            (
                "gold_customer",
                json!({"since": "2026-02-01T00:00:00Z"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "`support_agreement`",
            ),
            (
                "support_agreement",
                json!({"since": "2026-02-01T00:00:00Z", "until": "2026-02-01T00:00:00Z"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                "`until` is not after `since`",
            ),
            (
                "support_agreement",
                json!({"since": "yesterday"}),
                StatusCode::BAD_REQUEST,
                "since",
            ),
        ] {
            let body = problem(
                put(&app, &subject, attribute, body).await,
                status,
                app.backend,
            )
            .await;
            let text = body.to_string();
            assert!(text.contains(says), "{attribute}: {body}");
        }
        let unknown = put(
            &app,
            "0123456789abcdef0123456789abcdef",
            "support_agreement",
            json!({"since": "2026-02-01T00:00:00Z"}),
        )
        .await;
        problem(unknown, StatusCode::NOT_FOUND, app.backend).await;

        // Removed (set by mistake): nothing left, nothing holds.
        let removed = app
            .send(
                Method::DELETE,
                &format!("/v1/subjects/{subject}/attributes/support_agreement"),
                None,
            )
            .await;
        assert_eq!(removed.status(), StatusCode::NO_CONTENT, "{}", app.backend);
        let listed = app
            .get_ok(&format!("/v1/subjects/{subject}/attributes"))
            .await;
        assert_eq!(listed, json!({"attributes": []}));

        // Audited with the attribute and its dates, never a personal value.
        let audit = app
            .get_ok(&format!("/v1/audit?subject={subject}&limit=50"))
            .await;
        let entries: Vec<&Value> = audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "subject.attribute")
            .collect();
        assert_eq!(entries.len(), 4, "{}: {audit}", app.backend);
        assert!(
            entries.iter().any(|e| e["detail"]
                == "attribute:support_agreement since:2026-02-01T00:00:00Z until:2026-02-28T00:00:00Z"),
            "{entries:?}"
        );
        assert!(entries.iter().any(|e| e["outcome"] == "removed"));
        assert!(!audit.to_string().contains("sup@example.se"));

        // The notice says the condition in words, in each language.
        let notice = app
            .get("/privacy?lang=en", None)
            .await
            .text()
            .await
            .unwrap();
        assert!(
            notice.contains("when you have a support agreement with us; otherwise"),
            "{notice}"
        );
        let notice = app
            .get("/privacy?lang=sv", None)
            .await
            .text()
            .await
            .unwrap();
        assert!(notice.contains("när du har ett supportavtal med oss; annars"));
        app.stop().await;
    }
}

/// Regional notices (issue 20): `/privacy?audience=` serves each audience's notice, linking the
/// others; without it, the first audience's; an audience the register does not declare is a
/// 422 that names the declared ones; each has its own ETag.
#[tokio::test]
async fn each_audience_is_served_its_own_notice() {
    let register = TEST_REGISTER
        .replacen(
            "subjects:\n",
            "audiences:\n  - id: europe\n    name: {en: people in Europe}\n  - id: elsewhere\n    name: {en: people elsewhere}\nsubjects:\n",
            1,
        )
        .replacen(
            "    direct_marketing: true\n",
            "    direct_marketing: true\n    audiences: [elsewhere]\n",
            1,
        );
    for backend in backends() {
        let app = spawn_app_on_register(&backend, &register).await;
        let page = async |query: &str| {
            let response = app.get(&format!("/privacy?lang=en{query}"), None).await;
            assert_eq!(response.status(), StatusCode::OK, "{query}");
            let etag = response.headers()["etag"].to_str().unwrap().to_owned();
            (response.text().await.unwrap(), etag)
        };
        let (default, default_tag) = page("").await;
        let (europe, europe_tag) = page("&audience=europe").await;
        let (elsewhere, elsewhere_tag) = page("&audience=elsewhere").await;
        assert_eq!(default, europe);
        assert_eq!(default_tag, europe_tag);
        assert_ne!(europe_tag, elsewhere_tag);
        assert!(europe.contains("This notice is for people in Europe."));
        assert!(
            europe.contains("href=\"/privacy?audience=elsewhere&amp;lang=en\""),
            "{europe}"
        );
        assert!(elsewhere.contains("href=\"/privacy?audience=europe&amp;lang=en\""));
        assert!(!europe.contains("Marketing of our products"));
        assert!(elsewhere.contains("Marketing of our products"));

        let response = app.get("/privacy?audience=mars", None).await;
        let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY, app.backend).await;
        assert!(body.to_string().contains("`europe`, `elsewhere`"), "{body}");
        app.stop().await;
    }
}

/// P001-25: "we have prepared a Data Processing Agreement ... if you think you may need to sign
/// one". With GleSYS's register (`hosting_for_customers` requires an agreement), a tenant's end
/// user is denied `processor_mode` until the tenant's agreement is recorded, then allowed; the
/// agreement is listed and audited; a signing time in the future is refused.
#[tokio::test]
async fn a_customers_data_waits_for_its_signed_processing_agreement() {
    let glesys = include_str!("../../../../examples/registers/glesys.yaml");
    for backend in backends() {
        let app = spawn_app_on_register(&backend, glesys).await;
        let response = app
            .send(
                Method::POST,
                "/v1/subjects",
                Some(&json!({"identities": {"email": "end.user@acme.example"}, "tenant": "acme"})),
            )
            .await;
        let subject = json_body(response, StatusCode::CREATED, app.backend).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let decide = async || {
            app.decide(&format!(
                "subject={subject}&purpose=hosting_for_customers&category=hosted_customer_data"
            ))
            .await
        };
        let before = decide().await;
        assert_eq!(before["code"], "processor_mode", "{before}");
        let listed = app.get_ok("/v1/tenants/acme/agreements").await;
        assert_eq!(listed, json!({"signed": false, "agreements": []}));

        let future = app
            .send(
                Method::POST,
                "/v1/tenants/acme/agreements",
                Some(&json!({"version": "DPA 2026-02", "signed_at": "2026-04-01T00:00:00Z"})),
            )
            .await;
        problem(future, StatusCode::UNPROCESSABLE_ENTITY, app.backend).await;
        let recorded = app
            .post_ok(
                "/v1/tenants/acme/agreements",
                json!({"version": "DPA 2026-02", "signed_at": "2026-02-15T10:00:00Z"}),
                StatusCode::CREATED,
            )
            .await;
        assert_eq!(recorded["tenant"], "acme", "{recorded}");
        // The decision facts cached before are forgotten at once.
        let after = decide().await;
        assert_eq!(after["allowed"], true, "{after}");
        let listed = app.get_ok("/v1/tenants/acme/agreements").await;
        assert_eq!(listed["signed"], true, "{listed}");
        assert_eq!(listed["agreements"][0]["version"], "DPA 2026-02");
        let audit = app.get_ok("/v1/audit?limit=100").await.to_string();
        assert!(audit.contains("tenant:acme version:DPA 2026-02"), "{audit}");
        app.stop().await;
    }
}

/// P000-45: "SYSPEACE can collect personal information about you from a source with information
/// obtained from another source. This gives us a more complete picture of you." A record
/// combined from several sources (`combined_from`) is written for the interest profiles, whose
/// register entry `combines_sources`, and its lineage (sources, time, purpose) is in the
/// subject's access package; the same for sales is denied with `sources_not_combined`, and a
/// source the purpose does not list is refused.
#[tokio::test]
async fn a_record_combined_from_several_sources_keeps_its_lineage() {
    let syspeace = include_str!("../../../../examples/registers/syspeace.yaml");
    for backend in backends() {
        let app = spawn_app_on_register(&backend, syspeace).await;
        let subject = app
            .create_subject(json!({"email": "lead@example.se"}))
            .await;
        let record = |purpose: &str, combined: Value| {
            json!({"category": "contact_basic", "purpose": purpose, "source": "linkedin",
                   "combined_from": combined,
                   "fields": {"name": "Lea Lead", "email": "lead@example.se"}})
        };
        let path = format!("/v1/subjects/{subject}/records");
        let denied = app
            .send(
                Method::POST,
                &path,
                Some(&record("sales", json!(["public_sources"]))),
            )
            .await;
        let body = problem(denied, StatusCode::FORBIDDEN, app.backend).await;
        assert!(body.to_string().contains("sources_not_combined"), "{body}");
        let unknown = app
            .send(
                Method::POST,
                &path,
                Some(&record("interest_profiles", json!(["colleague"]))),
            )
            .await;
        problem(unknown, StatusCode::UNPROCESSABLE_ENTITY, app.backend).await;
        app.create_record(
            &subject,
            record("interest_profiles", json!(["public_sources", "facebook"])),
        )
        .await;

        // The access package shows the lineage.
        let submitted = app
            .post_ok(
                "/v1/requests",
                json!({"type": "access", "identity": {"email": "lead@example.se"}}),
                StatusCode::ACCEPTED,
            )
            .await;
        let id = submitted["id"].as_str().unwrap().to_owned();
        let code = app.verification_code(&id).await;
        app.post_ok(
            &format!("/v1/requests/{id}/verify"),
            json!({"code": code}),
            StatusCode::OK,
        )
        .await;
        let package = app.get_ok(&format!("/v1/requests/{id}/package")).await;
        let records = package["records"].as_array().unwrap();
        let combined = records
            .iter()
            .find(|r| r["purpose"] == "interest_profiles")
            .unwrap_or_else(|| panic!("{package}"));
        assert_eq!(combined["source"], "linkedin");
        assert_eq!(
            combined["combined_from"],
            json!(["public_sources", "facebook"])
        );
        assert!(combined["collected_at"].is_string());
        app.stop().await;
    }
}
