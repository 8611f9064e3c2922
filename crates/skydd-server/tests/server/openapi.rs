//! The OpenAPI document is true (issue 15): every reference resolves, and every status the
//! server answers an operation with is one the document lists for it. Schemathesis
//! (`.ci/schemathesis`) checks the same against a real `skydd serve` in CI; these tests keep the
//! rules that do not need a fuzzer in the test suite.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use skydd_staff::permission::{Scope, StaffRole};

use super::{Backend, TestApp, spawn_app};

/// Every `$ref` in `value`, with where it was found.
fn references(value: &Value, at: &str, found: &mut Vec<(String, String)>) {
    match value {
        Value::Object(members) => {
            for (key, member) in members {
                if key == "$ref"
                    && let Some(target) = member.as_str()
                {
                    found.push((at.to_owned(), target.to_owned()));
                }
                references(member, &format!("{at}/{key}"), found);
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                references(item, &format!("{at}/{index}"), found);
            }
        }
        _ => {}
    }
}

/// The value a JSON pointer such as `#/components/schemas/Problem` names, if any.
fn resolve<'a>(document: &'a Value, target: &str) -> Option<&'a Value> {
    let pointer = target.strip_prefix('#')?;
    document.pointer(pointer)
}

/// One documented operation: its method, path template and the operation object.
struct Operation<'a> {
    method: Method,
    template: String,
    operation: &'a Value,
}

impl Operation<'_> {
    /// The statuses the document lists for this operation.
    fn documented(&self) -> BTreeSet<String> {
        self.operation["responses"]
            .as_object()
            .map(|responses| responses.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Whether the operation needs the bearer token.
    fn secured(&self) -> bool {
        self.operation["security"]
            .as_array()
            .is_some_and(|security| security.iter().any(|s| s.get("bearer").is_some()))
    }

    /// Whether the operation takes a JSON body.
    fn takes_json(&self) -> bool {
        self.operation["requestBody"]["content"]["application/json"].is_object()
    }

    /// Whether the operation has a parameter `in` this place (`path`, `query`).
    fn has_parameter_in(&self, place: &str) -> bool {
        self.operation["parameters"]
            .as_array()
            .is_some_and(|parameters| parameters.iter().any(|p| p["in"] == place))
    }

    fn name(&self) -> String {
        format!("{} {}", self.method, self.template)
    }
}

/// Every operation of the document.
fn operations(document: &Value) -> Vec<Operation<'_>> {
    let mut found = Vec::new();
    for (template, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let Ok(method) = method.to_uppercase().parse::<Method>() else {
                continue;
            };
            found.push(Operation {
                method,
                template: template.clone(),
                operation,
            });
        }
    }
    found
}

/// The document a server serves.
async fn document(app: &TestApp) -> Value {
    app.get_ok("/openapi.json").await
}

#[tokio::test]
async fn no_reference_in_the_openapi_document_dangles() {
    let app = spawn_app(&Backend::Sqlite).await;
    let document = document(&app).await;
    let mut found = Vec::new();
    references(&document, "#", &mut found);
    assert!(!found.is_empty(), "the document has references to check");
    let dangling: Vec<String> = found
        .iter()
        .filter(|(_, target)| resolve(&document, target).is_none())
        .map(|(at, target)| format!("{at} -> {target}"))
        .collect();
    assert!(
        dangling.is_empty(),
        "dangling references:\n{}",
        dangling.join("\n")
    );
    app.stop().await;
}

/// The statuses the server's shared machinery answers with, whatever the handler does: the
/// JSON extractor (400, 413, 415), the token check (401), the role check (403), path and query
/// extractors (404, 400).
#[tokio::test]
async fn every_operation_documents_the_statuses_its_extractors_and_checks_give() {
    let app = spawn_app(&Backend::Sqlite).await;
    let document = document(&app).await;
    let mut missing = Vec::new();
    for operation in operations(&document) {
        // A path parameter is a `{name}` of the path; anything else is a query parameter
        // declared in the wrong place (`open`, `subject` were).
        for parameter in operation.operation["parameters"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let name = parameter["name"].as_str().unwrap_or_default();
            if parameter["in"] == "path" && !operation.template.contains(&format!("{{{name}}}")) {
                missing.push(format!(
                    "{}: `{name}` is declared in the path, which has no `{{{name}}}`",
                    operation.name()
                ));
            }
        }
        let documented = operation.documented();
        let mut expect = |status: &str, why: &str| {
            if !documented.contains(status) {
                missing.push(format!("{}: {status} ({why})", operation.name()));
            }
        };
        if operation.takes_json() {
            expect("400", "a body that is not the JSON it takes");
            expect("415", "a body not sent as application/json");
            expect("413", "a body larger than the operation reads");
            expect(
                "408",
                "a body that does not arrive within the body-read timeout",
            );
        }
        if operation.secured() {
            expect("401", "no valid token");
            expect(
                "403",
                "a role that may not do this: an auditor's token on a write, a metrics token",
            );
        }
        // The unsubscribe pages read their query themselves: a bad link is their 422 page.
        if operation.has_parameter_in("query") && operation.template != "/unsubscribe" {
            expect("400", "a query string it cannot read");
        }
        if operation.template.starts_with("/v1/") && operation.has_parameter_in("path") {
            expect("404", "a path naming nothing");
        }
    }
    assert!(
        missing.is_empty(),
        "the document is not true:\n{}",
        missing.join("\n")
    );
    app.stop().await;
}

/// The public routes limited per client address (issue 18) document their 429 with
/// `Retry-After`, and no other operation claims one.
#[tokio::test]
async fn the_limited_public_routes_document_429_with_retry_after() {
    const LIMITED: [&str; 9] = [
        "GET /privacy",
        "GET /privacy/versions",
        "GET /privacy/versions/{version}",
        "POST /v1/banner/consents",
        "POST /v1/requests",
        "POST /v1/requests/{id}/verify",
        "POST /v1/requests/{id}/documents",
        "GET /unsubscribe",
        "POST /unsubscribe",
    ];
    let app = spawn_app(&Backend::Sqlite).await;
    let document = document(&app).await;
    for operation in operations(&document) {
        let name = operation.name();
        let limited = LIMITED.contains(&name.as_str());
        assert_eq!(
            operation.documented().contains("429"),
            limited,
            "{name}: 429 documented only where a limit applies"
        );
        if limited {
            let response = &operation.operation["responses"]["429"];
            assert!(
                response["headers"]["Retry-After"].is_object(),
                "{name}: {response}"
            );
        }
    }
    app.stop().await;
}

/// A concrete path for `template`: every parameter filled with a value of the right shape
/// that names nothing stored.
fn fill(template: &str) -> String {
    template
        .split('/')
        .map(|segment| match segment {
            "{id}" | "{record}" => "0123456789abcdef0123456789abcdef",
            "{event}" => "contract_end",
            "{kind}" => "channel",
            "{name}" => "email",
            "{org}" => "acme",
            "{project}" => "p1",
            "{feature}" => "ai_features",
            "{version}" => "0123456789ab",
            other => other,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Probes every documented operation the way a client that gets it wrong would (no token, a
/// token that is not valid, an auditor's token, an empty JSON object, a body that is not
/// JSON, a body larger than any route reads) and checks that each answer's status is one the document lists for it.
#[tokio::test]
async fn every_status_the_server_answers_a_probe_with_is_documented() {
    let app = spawn_app(&Backend::Sqlite).await;
    let auditor = app.issue(Scope::Role(StaffRole::Auditor)).await;
    let metrics = app.issue(Scope::Metrics).await;
    let document = document(&app).await;
    let mut undocumented = Vec::new();
    for operation in operations(&document) {
        let documented = operation.documented();
        let url = app.url(&fill(&operation.template));
        let request = || app.client.request(operation.method.clone(), &url);
        let mut probes: Vec<(&str, reqwest::RequestBuilder)> = vec![
            ("no token", request()),
            (
                "an invalid token",
                request().bearer_auth("skydd_not_a_token"),
            ),
            ("an admin token", request().bearer_auth(&app.admin_token)),
            ("an auditor token", request().bearer_auth(auditor.secret())),
            ("a metrics token", request().bearer_auth(metrics.secret())),
        ];
        if operation.takes_json() {
            for (who, token) in [
                ("admin", app.admin_token.as_str()),
                ("auditor", auditor.secret()),
            ] {
                probes.push((
                    "`{}` as JSON",
                    request().bearer_auth(token).json(&json!({})),
                ));
                probes.push((
                    if who == "admin" {
                        "text/plain as admin"
                    } else {
                        "text/plain as auditor"
                    },
                    request()
                        .bearer_auth(token)
                        .header("content-type", "text/plain")
                        .body("{}"),
                ));
            }
        }
        if operation.takes_json() {
            // Larger than any route reads (identity documents: 10 MiB and a little).
            probes.push((
                "an 11 MiB body",
                request()
                    .bearer_auth(&app.admin_token)
                    .header("content-type", "application/json")
                    .body(vec![b' '; 11 * 1024 * 1024]),
            ));
        }
        for (probe, request) in probes {
            let status = request.send().await.unwrap().status();
            if !documented.contains(status.as_str()) {
                undocumented.push(format!("{}: {status} to {probe}", operation.name()));
            }
        }
    }
    assert!(
        undocumented.is_empty(),
        "statuses the document does not list:\n{}",
        undocumented.join("\n")
    );
    app.stop().await;
}

/// The problem of a 422 answer to a value outside sense.
async fn refused(response: reqwest::Response, value: &str) -> Value {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{value}: {body}");
    assert_eq!(
        body["type"], "https://skydd.dev/problems/invalid-request",
        "{body}"
    );
    body
}

/// Values outside sense are refused with a problem naming the field: a breach that became known
/// in year 1, before the GDPR applied or after now; a request received in year 1 or in the
/// future (the server's clock stands at 2026-03-01T09:00:00Z).
#[tokio::test]
async fn values_outside_sense_are_refused_naming_the_field() {
    let app = spawn_app(&Backend::Sqlite).await;
    let incident = |became_aware_at: &str| {
        json!({
            "became_aware_at": became_aware_at,
            "nature": "A misdirected e-mail",
            "data_categories": ["contact"],
            "subject_categories": ["customer"],
            "consequences": "Unwanted contact",
            "measures": "Deleted",
            "risk": "risk",
        })
    };
    for at in [
        "0001-01-01T00:00:00Z",
        "2017-12-31T12:00:00Z",
        "2026-03-01T09:00:01Z",
        "2999-12-31T23:59:59Z",
        // A date-time the document allows but no timestamp holds.
        "9999-12-31T23:59:59Z",
    ] {
        let response = app
            .send(Method::POST, "/v1/incidents", Some(&incident(at)))
            .await;
        let body = refused(response, at).await;
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .contains("`became_aware_at`"),
            "{at}: {body}"
        );
    }
    // A count no breach has: 2^64 - 1 people.
    let mut huge = incident("2026-02-28T09:00:00Z");
    huge["approx_subjects"] = json!(u64::MAX);
    let response = app.send(Method::POST, "/v1/incidents", Some(&huge)).await;
    let body = refused(response, "u64::MAX").await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("`approx_subjects`"),
        "{body}"
    );
    let request = |received_at: &str| {
        json!({
            "type": "access",
            "channel": "letter",
            "identity": {"email": "anna@example.se"},
            "received_at": received_at,
        })
    };
    for at in [
        "0001-01-01T00:00:00Z",
        "2018-05-24T21:59:59Z",
        "2026-03-02T00:00:00Z",
    ] {
        let response = app
            .send(Method::POST, "/v1/requests", Some(&request(at)))
            .await;
        let body = refused(response, at).await;
        assert!(
            body["detail"].as_str().unwrap().contains("`received_at`"),
            "{at}: {body}"
        );
    }
    // The first instant the GDPR applies is accepted.
    let response = app
        .send(
            Method::POST,
            "/v1/requests",
            Some(&request("2018-05-24T22:00:00Z")),
        )
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    app.stop().await;
}
