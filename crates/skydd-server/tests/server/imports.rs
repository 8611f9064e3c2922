//! `POST /v1/imports` (issue 19), on both backends: a JSON lines body and a CSV body imported
//! through the token's permission, refused rows reported by line without their values, the
//! same key continuing (not repeating) an import, and the refusals of a body without a key or
//! of another format.

use reqwest::StatusCode;
use serde_json::{Value, json};
use skydd_staff::permission::Scope;

use super::{TestApp, on_each_backend};

const EMAIL: &str = "import.karin@example.se";

fn jsonl() -> String {
    [
        json!({"type": "consent", "identity_kind": "email", "identity": EMAIL,
            "purpose": "newsletter", "granted": true, "at": "2021-03-04T10:15:00Z"}),
        json!({"type": "consent", "identity_kind": "email", "identity": EMAIL,
            "purpose": EMAIL, "granted": true, "at": "2021-03-04T10:15:00Z"}),
        json!({"type": "record", "identity_kind": "email", "identity": EMAIL,
            "category": "contact", "purpose": "newsletter", "source": "data_subject",
            "fields": {"email": EMAIL}}),
    ]
    .iter()
    .map(|row| format!("{row}\n"))
    .collect()
}

async fn import(
    app: &TestApp,
    token: &str,
    query: &str,
    media_type: &str,
    body: String,
) -> (StatusCode, Value) {
    let response = app
        .client
        .post(app.url(&format!("/v1/imports{query}")))
        .bearer_auth(token)
        .header("content-type", media_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn an_import_token_imports_jsonl_and_the_same_key_continues_it() {
    on_each_backend(async |app| {
        let token = app.issue(Scope::Import).await;
        let (status, summary) = import(
            app,
            token.secret(),
            "?key=crm-1",
            "application/x-ndjson",
            jsonl(),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{}: {summary}", app.backend);
        assert_eq!(summary["imported"], 2, "{summary}");
        assert_eq!(summary["skipped"], 1);
        assert_eq!(summary["errors"][0]["line"], 2);
        assert!(!summary.to_string().contains("karin"), "{summary}");

        // The subject exists, with the consent at its original time and the record.
        let found = app.get_ok(&format!("/v1/subjects?email={EMAIL}")).await;
        let subject = found["id"].as_str().unwrap().to_owned();
        let consents = app
            .get_ok(&format!("/v1/subjects/{subject}/consents"))
            .await;
        assert_eq!(
            consents["history"][0]["at"], "2021-03-04T10:15:00Z",
            "{consents}"
        );

        // The same key again, by header: nothing is written twice.
        let response = app
            .client
            .post(app.url("/v1/imports"))
            .bearer_auth(token.secret())
            .header("content-type", "application/x-ndjson")
            .header("idempotency-key", "crm-1")
            .body(jsonl())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let again: Value = response.json().await.unwrap();
        assert_eq!(
            (
                &again["imported"],
                &again["already_done"],
                &again["imported_before"]
            ),
            (&json!(0), &json!(3), &json!(2)),
            "{again}"
        );
        let consents = app
            .get_ok(&format!("/v1/subjects/{subject}/consents"))
            .await;
        assert_eq!(consents["history"].as_array().unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_csv_body_is_imported_and_a_body_without_key_or_format_refused() {
    on_each_backend(async |app| {
        let csv = format!(
            "type,identity_kind,identity,channel,opted_in,at\n\
             preference,email,{EMAIL},email,no,2022-01-02T00:00:00Z\n"
        );
        let (status, summary) = import(
            app,
            &app.admin_token,
            "?key=prefs",
            "text/csv; charset=utf-8",
            csv.clone(),
        )
        .await;
        assert_eq!(
            (status, &summary["imported"]),
            (StatusCode::OK, &json!(1)),
            "{summary}"
        );

        let (status, problem) = import(app, &app.admin_token, "", "text/csv", csv.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert!(problem.to_string().contains("Idempotency-Key"), "{problem}");
        let (status, problem) = import(
            app,
            &app.admin_token,
            "?key=x",
            "application/json",
            csv.clone(),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
        let (status, problem) = import(app, &app.admin_token, "?key=a%20b", "text/csv", csv).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
        let (status, problem) = import(
            app,
            &app.admin_token,
            "?key=bad-header",
            "text/csv",
            "type,,identity\n".into(),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        // A key in the header is checked even beside a good one in the query (Schemathesis
        // found it ignored), and two keys must agree.
        for (header, expected) in [
            ("not a key", StatusCode::BAD_REQUEST),
            ("other", StatusCode::UNPROCESSABLE_ENTITY),
            ("same", StatusCode::OK),
        ] {
            let response = app
                .client
                .post(app.url("/v1/imports?key=same"))
                .bearer_auth(&app.admin_token)
                .header("content-type", "text/csv")
                .header("idempotency-key", header)
                .body("type,identity_kind,identity\n")
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), expected, "{header}");
            let body = response.text().await.unwrap();
            assert!(!body.contains("not a key"), "{body}");
        }
        // A JSON object sent as CSV (Schemathesis did) names no `type` column.
        let (status, problem) = import(
            app,
            &app.admin_token,
            "?key=json-as-csv",
            "text/csv",
            "{}".into(),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    })
    .await;
}
