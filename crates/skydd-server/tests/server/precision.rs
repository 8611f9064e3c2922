//! What was written is what is read (issue 14): a time the API answers with after a write is the
//! time read back, on both backends, though the clock and the client give nanoseconds.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{backends, json_body, spawn_app_at};

/// An instant with nanoseconds; storage keeps microseconds.
const NANOS: &str = "2026-03-01T09:00:00.123456789Z";

#[tokio::test]
async fn a_consent_answers_the_time_it_is_read_back_with() {
    for backend in backends() {
        let app = spawn_app_at(&backend, NANOS.parse().unwrap()).await;
        let subject = app.create_subject(json!({"email": "p@example.se"})).await;
        let consent = json!({"subject": subject, "purpose": "newsletter", "granted": true,
                             "method": "web_form", "notice_version": "2026-01"});
        let recorded = app
            .post_ok("/v1/consents", consent, StatusCode::CREATED)
            .await;
        let consents = app
            .get_ok(&format!("/v1/subjects/{subject}/consents"))
            .await;
        assert_eq!(
            recorded["at"], consents["history"][0]["at"],
            "{}: {recorded} {consents}",
            app.backend
        );
        assert_eq!(
            recorded["at"], "2026-03-01T09:00:00.123456Z",
            "{}",
            app.backend
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn an_incident_answers_the_times_it_is_read_back_with() {
    for backend in backends() {
        let app = spawn_app_at(&backend, NANOS.parse().unwrap()).await;
        let report = json!({
            "became_aware_at": "2026-02-28T11:00:00.987654321Z",
            "nature": "A misdirected e-mail",
            "data_categories": ["contact"],
            "subject_categories": ["customer"],
            "approx_subjects": 3,
            "consequences": "Unwanted contact",
            "measures": "Deleted",
            "risk": "risk",
        });
        let response = app.send(Method::POST, "/v1/incidents", Some(&report)).await;
        let created = json_body(response, StatusCode::CREATED, app.backend).await;
        let id = created["id"].as_str().unwrap();
        let read = app.get_ok(&format!("/v1/incidents/{id}")).await;
        for field in ["became_aware_at", "due_at"] {
            assert_eq!(created[field], read[field], "{}: {field}", app.backend);
        }
        assert_eq!(
            created["entries"][0]["at"], read["entries"][0]["at"],
            "{}",
            app.backend
        );
        assert_eq!(
            created["entries"][0]["at"], "2026-03-01T09:00:00.123456Z",
            "{}",
            app.backend
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn a_disclosure_answers_the_time_it_is_read_back_with() {
    // The client gives the time of a disclosure (P000-51); it is kept and answered in whole
    // microseconds, like every time Skydd stores.
    for backend in backends() {
        let app = spawn_app_at(&backend, NANOS.parse().unwrap()).await;
        let subject = app.create_subject(json!({"email": "p@example.se"})).await;
        let mut body = super::incidents::disclosure(&subject, super::incidents::court_decision());
        body["disclosed_at"] = json!("2026-03-01T08:00:00.987654321Z");
        let recorded = app
            .post_ok("/v1/disclosures", body, StatusCode::CREATED)
            .await;
        let listed = app.get_ok("/v1/disclosures").await;
        assert_eq!(
            recorded["disclosed_at"], listed["disclosures"][0]["disclosed_at"],
            "{}: {recorded} {listed}",
            app.backend
        );
        assert_eq!(
            recorded["disclosed_at"], "2026-03-01T08:00:00.987654Z",
            "{}",
            app.backend
        );
        app.stop().await;
    }
}
