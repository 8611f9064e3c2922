//! `POST /v1/decisions` (issue 19): many questions in one call, answered in order, each as
//! `GET /v1/decisions` answers it, with an error in place of a question that cannot be answered,
//! every answer audited, nothing of a question echoed.

use reqwest::header::CONTENT_TYPE;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use skydd_staff::permission::Scope;

use super::{TestApp, json_body, on_each_backend, problem};

/// POST `questions` with the admin token; the answers after checking the status is 200.
async fn ask(app: &TestApp, questions: Value) -> Vec<Value> {
    let body = app
        .post_ok(
            "/v1/decisions",
            json!({"questions": questions}),
            StatusCode::OK,
        )
        .await;
    body["answers"].as_array().unwrap().clone()
}

/// The decisions audited about `subject`.
async fn audited_decisions(app: &TestApp, subject: &str) -> usize {
    app.storage
        .audit_events_for_subject(subject)
        .await
        .unwrap()
        .iter()
        .filter(|event| event.action == "decision")
        .count()
}

/// The value of `skydd_decisions_total{code="<code>"}` in a scrape.
async fn decisions_counted(app: &TestApp, code: &str) -> u64 {
    let response = app.get("/metrics", Some(&app.admin_token)).await;
    let text = response.text().await.unwrap();
    let series = format!("skydd_decisions_total{{code=\"{code}\"}} ");
    text.lines()
        .find_map(|line| line.strip_prefix(&series))
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn a_batch_is_answered_in_order_with_errors_in_place() {
    on_each_backend(async |app| {
        let anna = app
            .create_subject(json!({"email": "anna@example.se"}))
            .await;
        let bo = app.create_subject(json!({"email": "bo@example.se"})).await;
        app.post_ok(
            "/v1/consents",
            json!({"subject": bo, "purpose": "newsletter", "granted": true, "method": "api"}),
            StatusCode::CREATED,
        )
        .await;
        let nobody = "0123456789abcdef0123456789abcdef";
        let questions = json!([
            {"subject": anna, "purpose": "delivery", "category": "contact"},
            {"subject": anna, "purpose": "newsletter", "category": "contact"},
            {"subject": nobody, "purpose": "delivery", "category": "contact"},
            {"subject": bo, "purpose": "newsletter", "category": "contact"},
            {"subject": anna, "purpose": "no_such_purpose", "category": "contact"},
            {"subject": anna, "purpose": "delivery", "category": "no_such_category"},
            {"subject": anna, "purpose": "marketing", "category": "contact", "channel": "fax"},
            {"subject": anna, "purpose": "ai_processing", "category": "work_items",
             "project": "p1"},
            {"subject": anna, "purpose": "ai_processing", "category": "work_items",
             "organisation": "acme"},
            {"subject": anna, "purpose": "marketing", "category": "contact", "channel": "email"},
            {"subject": anna, "purpose": "delivery", "category": "work_items"},
        ]);
        let allowed_before = decisions_counted(app, "allowed").await;
        let answers = ask(app, questions.clone()).await;
        assert_eq!(answers.len(), 11, "{}", app.backend);

        // Each decided answer is what GET /v1/decisions says to the same question.
        let decided = [0, 1, 3, 8, 9, 10];
        for index in decided {
            let question = &questions[index];
            let mut query = format!(
                "subject={}&purpose={}&category={}",
                question["subject"].as_str().unwrap(),
                question["purpose"].as_str().unwrap(),
                question["category"].as_str().unwrap(),
            );
            for optional in ["channel", "organisation", "project"] {
                if let Some(value) = question[optional].as_str() {
                    query.push_str(&format!("&{optional}={value}"));
                }
            }
            let alone = app.decide(&query).await;
            assert_eq!(answers[index], alone, "{}: question {index}", app.backend);
        }
        let codes: Vec<&str> = decided
            .iter()
            .map(|&index| answers[index]["code"].as_str().unwrap())
            .collect();
        assert_eq!(
            codes,
            [
                "allowed",
                "consent_missing",
                "allowed",
                "feature_disabled",
                "allowed",
                "allowed"
            ],
            "{}",
            app.backend
        );

        let error = |index: usize| answers[index]["error"].clone();
        assert_eq!(
            error(2)["type"],
            "https://skydd.dev/problems/unknown-subject",
            "{}",
            app.backend
        );
        for index in [4, 5, 6, 7] {
            let error = error(index);
            assert_eq!(
                error["type"], "https://skydd.dev/problems/invalid-request",
                "{}: {index}: {error}",
                app.backend
            );
            assert!(
                error["detail"].is_string() && error["help"].is_string(),
                "{error}"
            );
            assert!(
                answers[index].get("allowed").is_none(),
                "{}",
                answers[index]
            );
        }
        assert!(error(4)["detail"].as_str().unwrap().contains("purpose"));
        assert!(error(5)["detail"].as_str().unwrap().contains("category"));
        assert!(error(6)["detail"].as_str().unwrap().contains("channel"));
        assert!(
            error(7)["detail"]
                .as_str()
                .unwrap()
                .contains("organisation")
        );

        // Every answered question was audited once by the batch (and once more by the GET
        // above), the unanswerable ones not at all.
        assert_eq!(
            audited_decisions(app, &anna).await,
            2 * 5,
            "{}",
            app.backend
        );
        assert_eq!(audited_decisions(app, &bo).await, 2, "{}", app.backend);
        // The metric counts each decision of the batch, and of the GETs.
        assert_eq!(
            decisions_counted(app, "allowed").await,
            allowed_before + 2 * 4,
            "{}",
            app.backend
        );
    })
    .await;
}

#[tokio::test]
async fn a_batch_echoes_nothing_of_its_questions() {
    on_each_backend(async |app| {
        let anna = app
            .create_subject(json!({"email": "anna@example.se"}))
            .await;
        let secrets = ["anna@example.se", "Åsa Öberg 19121212-1212", "+46701234567"];
        let questions = json!([
            {"subject": secrets[0], "purpose": "delivery", "category": "contact"},
            {"subject": anna, "purpose": "delivery", "category": "contact",
             "project": secrets[1]},
            {"subject": anna, "purpose": "nosuch", "category": "contact",
             "organisation": secrets[2]},
            {"subject": anna, "purpose": "delivery", "category": "nosuch",
             "organisation": secrets[1], "project": secrets[2]},
        ]);
        let answers = ask(app, questions).await;
        let text = serde_json::to_string(&answers).unwrap();
        for secret in secrets.iter().chain(["nosuch"].iter()) {
            assert!(
                !text.contains(secret),
                "{}: {secret} in {text}",
                app.backend
            );
        }
        assert!(
            answers.iter().all(|answer| answer["error"].is_object()),
            "{text}"
        );
        assert_eq!(audited_decisions(app, &anna).await, 0, "{}", app.backend);
    })
    .await;
}

#[tokio::test]
async fn a_batch_of_1000_is_answered_and_1001_refused() {
    on_each_backend(async |app| {
        let anna = app
            .create_subject(json!({"email": "anna@example.se"}))
            .await;
        let question = json!({"subject": anna, "purpose": "delivery", "category": "contact"});
        let answers = ask(app, Value::Array(vec![question.clone(); 1000])).await;
        assert_eq!(answers.len(), 1000, "{}", app.backend);
        assert!(answers.iter().all(|answer| answer["allowed"] == true));
        assert_eq!(audited_decisions(app, &anna).await, 1000, "{}", app.backend);

        let response = app
            .send(
                Method::POST,
                "/v1/decisions",
                Some(&json!({"questions": vec![question.clone(); 1001]})),
            )
            .await;
        let body = problem(response, StatusCode::BAD_REQUEST, app.backend).await;
        assert!(body["detail"].as_str().unwrap().contains("1000"), "{body}");
        assert_eq!(audited_decisions(app, &anna).await, 1000, "{}", app.backend);

        assert!(ask(app, json!([])).await.is_empty());
    })
    .await;
}

#[tokio::test]
async fn a_malformed_batch_is_refused_whole() {
    on_each_backend(async |app| {
        let anna = app.create_subject(json!({"email": "anna@example.se"})).await;
        for body in [
            json!({"questions": {"subject": anna}}),
            json!({"questions": [{"subject": anna, "purpose": "delivery"}]}),
            json!({"questions": [{"subject": anna, "purpose": "Not An Id", "category": "contact"}]}),
            json!({"questions": [], "extra": 1}),
            json!([]),
        ] {
            let response = app.send(Method::POST, "/v1/decisions", Some(&body)).await;
            problem(response, StatusCode::BAD_REQUEST, app.backend).await;
        }
        let response = app
            .client
            .post(app.url("/v1/decisions"))
            .bearer_auth(&app.admin_token)
            .header(CONTENT_TYPE, "text/plain")
            .body("{\"questions\": []}")
            .send()
            .await
            .unwrap();
        problem(response, StatusCode::UNSUPPORTED_MEDIA_TYPE, app.backend).await;
        assert_eq!(audited_decisions(app, &anna).await, 0, "{}", app.backend);
    })
    .await;
}

#[tokio::test]
async fn a_batch_needs_the_permission_to_decide() {
    on_each_backend(async |app| {
        let body = json!({"questions": []});
        let response = app
            .client
            .post(app.url("/v1/decisions"))
            .json(&body)
            .send()
            .await
            .unwrap();
        problem(response, StatusCode::UNAUTHORIZED, app.backend).await;
        let metrics = app.issue(Scope::Metrics).await;
        let response = app
            .send_as(metrics.secret(), Method::POST, "/v1/decisions", Some(&body))
            .await;
        problem(response, StatusCode::FORBIDDEN, app.backend).await;
        let decide = app.issue(Scope::Decide).await;
        let response = app
            .send_as(decide.secret(), Method::POST, "/v1/decisions", Some(&body))
            .await;
        assert_eq!(
            json_body(response, StatusCode::OK, app.backend).await,
            json!({"answers": []})
        );
    })
    .await;
}

/// P002-38: "Access to data is only provided to those who need it for their tasks." With
/// PartnerSec's `roles`, billing asking for chat logs is denied and customer service allowed,
/// by `GET` and by `POST`; both decisions are audited with the role; a role the register does
/// not have is refused.
#[tokio::test]
async fn a_role_is_given_only_the_purposes_it_works_for() {
    let partnersec = include_str!("../../../../examples/registers/partnersec.yaml");
    for backend in super::backends() {
        let app = super::spawn_app_on_register(&backend, partnersec).await;
        let subject = app
            .create_subject(json!({"email": "chat@example.se"}))
            .await;
        let path = |role: &str| {
            format!(
                "/v1/decisions?subject={subject}&purpose=customer_service_training&category=chat_log&role={role}"
            )
        };
        let billing = app.get_ok(&path("billing")).await;
        assert_eq!(billing["allowed"], false, "{billing}");
        assert_eq!(billing["code"], "role_not_for_purpose", "{billing}");
        let service = app.get_ok(&path("customer_service")).await;
        assert_eq!(service["allowed"], true, "{service}");
        let answers = ask(
            &app,
            json!([
                {"subject": subject, "purpose": "customer_service_training",
                 "category": "chat_log", "role": "billing"},
                {"subject": subject, "purpose": "customer_service_training",
                 "category": "chat_log", "role": "intern"},
            ]),
        )
        .await;
        assert_eq!(answers[0]["code"], "role_not_for_purpose", "{answers:?}");
        assert_eq!(
            answers[1]["error"]["detail"], "The role is not in the register.",
            "{answers:?}"
        );
        let unknown = app.get(&path("intern"), Some(&app.admin_token)).await;
        let body = problem(unknown, StatusCode::UNPROCESSABLE_ENTITY, app.backend).await;
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .contains("unknown role `intern`"),
            "{body}"
        );

        // Both decisions logged, each with its role and outcome.
        let events: Vec<(String, Option<String>)> = app
            .storage
            .audit_events_for_subject(&subject)
            .await
            .unwrap()
            .into_iter()
            .filter(|event| event.action == "decision")
            .map(|event| (event.outcome, event.detail))
            .collect();
        assert_eq!(
            events,
            [
                (
                    "denied:role_not_for_purpose".to_owned(),
                    Some("role:billing".to_owned())
                ),
                (
                    "allowed".to_owned(),
                    Some("role:customer_service".to_owned())
                ),
                (
                    "denied:role_not_for_purpose".to_owned(),
                    Some("role:billing".to_owned())
                ),
            ],
            "{}",
            app.backend
        );
        app.stop().await;
    }
}

/// P002-30: a sub-processor may use data "for no other purpose than providing the agreed-upon
/// products and services". Asked with `recipient=`, by `GET` and by `POST`, PartnerSec's
/// subcontractor is allowed the service and denied marketing; the decisions are audited with
/// the recipient; a recipient the register does not have is refused.
#[tokio::test]
async fn a_recipient_is_given_only_the_purposes_the_register_gives_it() {
    let partnersec = include_str!("../../../../examples/registers/partnersec.yaml");
    for backend in super::backends() {
        let app = super::spawn_app_on_register(&backend, partnersec).await;
        let subject = app.create_subject(json!({"email": "sub@example.se"})).await;
        let path = |purpose: &str, recipient: &str| {
            format!(
                "/v1/decisions?subject={subject}&purpose={purpose}&category=user_data&recipient={recipient}"
            )
        };
        let service = app
            .get_ok(&path("service_provision", "subcontractors_eu"))
            .await;
        assert_eq!(service["allowed"], true, "{service}");
        let marketing = app.get_ok(&path("marketing", "subcontractors_eu")).await;
        assert_eq!(
            marketing["code"], "recipient_not_for_purpose",
            "{marketing}"
        );
        let answers = ask(
            &app,
            json!([
                {"subject": subject, "purpose": "marketing", "category": "user_data",
                 "recipient": "subcontractors_third_country"},
                {"subject": subject, "purpose": "marketing", "category": "user_data",
                 "recipient": "stranger"},
            ]),
        )
        .await;
        assert_eq!(
            answers[0]["code"], "recipient_not_for_purpose",
            "{answers:?}"
        );
        assert_eq!(
            answers[1]["error"]["detail"], "The recipient is not in the register.",
            "{answers:?}"
        );
        let unknown = app
            .get(&path("marketing", "stranger"), Some(&app.admin_token))
            .await;
        let body = problem(unknown, StatusCode::UNPROCESSABLE_ENTITY, app.backend).await;
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .contains("unknown recipient `stranger`"),
            "{body}"
        );
        let details: Vec<Option<String>> = app
            .storage
            .audit_events_for_subject(&subject)
            .await
            .unwrap()
            .into_iter()
            .filter(|event| event.action == "decision")
            .map(|event| event.detail)
            .collect();
        assert_eq!(
            details,
            [
                Some("recipient:subcontractors_eu".to_owned()),
                Some("recipient:subcontractors_eu".to_owned()),
                Some("recipient:subcontractors_third_country".to_owned()),
            ]
        );
        app.stop().await;
    }
}
