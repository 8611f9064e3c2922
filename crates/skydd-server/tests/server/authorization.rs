//! The authorisation matrix (issue 17): every route × every role and scope, the expected
//! answer written once, by hand, in [`ROUTES`]; run on SQLite and PostgreSQL.
//!
//! A caller is a token made for a role or a scope (every word of `Scope::ALL`) or no token at
//! all. Denied means 403 (401 without a token); allowed means anything but 401 and 403. The
//! table is written from what each route returns, not computed from `skydd-staff`'s tables,
//! so a change to either that moves a route across the line fails here. A second test holds
//! the table to the router (every path of the OpenAPI document, plus the routes outside it);
//! a third makes sure no route the auditor may call answers with a decrypted personal value.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use skydd_staff::permission::{Scope, StaffRole};

use super::connected::verify_with_code;
use super::{TestApp, contact_record, on_each_backend};

/// Who may call a route: everyone (no token needed), or the token words listed.
#[derive(Debug, Clone, Copy)]
enum Allowed {
    /// No token needed; any token that is sent must be valid.
    Public,
    /// Tokens with one of these scopes (words of `Scope::as_str`), separated by spaces.
    Tokens(&'static str),
}

/// One route: method, path template, who may call it.
type Row = (&'static str, &'static str, Allowed);

use Allowed::{Public, Tokens};

/// Route permission `register_read`.
const REGISTER: Allowed = Tokens("admin staff-admin dpo support auditor register:read");
/// `audit_read`.
const AUDIT: Allowed = Tokens("admin staff-admin dpo auditor audit:read");
/// `metrics_read`.
const METRICS: Allowed = Tokens("admin staff-admin dpo auditor metrics");
/// `subjects_create`, `subjects_read`.
const SUBJECTS_CREATE: Allowed = Tokens("admin dpo subjects:write");
const SUBJECTS_READ: Allowed = Tokens("admin dpo subjects:read");
/// `records_write`, `records_read`.
const RECORDS_WRITE: Allowed = Tokens("admin dpo records:write");
const RECORDS_READ: Allowed = Tokens("admin dpo records:read");
/// `consents_write`, `consents_read`.
const CONSENTS_WRITE: Allowed = Tokens("admin dpo consents:write");
const CONSENTS_READ: Allowed = Tokens("admin dpo consents:read");
/// `import` (issue 19).
const IMPORT: Allowed = Tokens("admin dpo import");
/// `decide`.
const DECIDE: Allowed = Tokens("admin dpo decide");
/// `agreements` (P001-25): the privacy officer's, no scope of its own.
const AGREEMENTS: Allowed = Tokens("admin dpo");
/// `features_write`, `features_read`.
const FEATURES: Allowed = Tokens("admin dpo features:write");
/// `incidents_write`, `incidents_read`.
const INCIDENTS_WRITE: Allowed = Tokens("admin dpo incidents:write");
const INCIDENTS_READ: Allowed = Tokens("admin dpo auditor incidents:read incidents:write");
/// `disclosures_write`, `disclosures_read`.
const DISCLOSURES_WRITE: Allowed = Tokens("admin dpo disclosures:write");
const DISCLOSURES_READ: Allowed = Tokens("admin dpo auditor disclosures:write");
/// `requests_read`: metadata.
const REQUESTS_READ: Allowed = Tokens("admin dpo support auditor requests:read requests:write");
/// `requests_handle`.
const REQUESTS_HANDLE: Allowed = Tokens("admin dpo support requests:write");
/// `requests_data`. `support` holds it only for requests assigned to it; the request the
/// matrix calls with is assigned to nobody, so support is refused here (and allowed once
/// assigned: `support_reads_a_requests_data_only_when_it_is_assigned`).
const REQUESTS_DATA: Allowed = Tokens("admin dpo requests:write");

/// Every route of the router.
const ROUTES: &[Row] = &[
    // Outside `/v1`: health, the document, the public pages.
    ("GET", "/healthz", Public),
    ("GET", "/readyz", Public),
    ("GET", "/openapi.json", Public),
    ("GET", "/metrics", METRICS),
    ("GET", "/privacy", Public),
    ("GET", "/privacy/versions", Public),
    ("GET", "/privacy/versions/{version}", Public),
    ("GET", "/unsubscribe", Public),
    ("POST", "/unsubscribe", Public),
    // The consent banner's files, for a company's website (issue 18).
    ("GET", "/banner.js", Public),
    ("GET", "/banner.css", Public),
    // The register.
    ("GET", "/v1/register", REGISTER),
    ("GET", "/v1/register/record", REGISTER),
    ("GET", "/v1/datasets", REGISTER),
    ("GET", "/v1/datasets/{name}", REGISTER),
    // Subjects and their data.
    ("POST", "/v1/subjects", SUBJECTS_CREATE),
    ("GET", "/v1/subjects", SUBJECTS_READ),
    ("GET", "/v1/subjects/{id}", SUBJECTS_READ),
    ("GET", "/v1/subjects/{id}/attributes", SUBJECTS_READ),
    (
        "PUT",
        "/v1/subjects/{id}/attributes/{attribute}",
        RECORDS_WRITE,
    ),
    (
        "DELETE",
        "/v1/subjects/{id}/attributes/{attribute}",
        RECORDS_WRITE,
    ),
    ("POST", "/v1/tenants/{tenant}/agreements", AGREEMENTS),
    ("GET", "/v1/tenants/{tenant}/agreements", AGREEMENTS),
    ("POST", "/v1/subjects/{id}/records", RECORDS_WRITE),
    ("GET", "/v1/subjects/{id}/records", RECORDS_READ),
    (
        "PUT",
        "/v1/subjects/{id}/records/{record}/anchors/{event}",
        RECORDS_WRITE,
    ),
    ("GET", "/v1/subjects/{id}/consents", CONSENTS_READ),
    (
        "PUT",
        "/v1/subjects/{id}/preferences/{kind}/{name}",
        CONSENTS_WRITE,
    ),
    ("GET", "/v1/subjects/{id}/unsubscribe-link", CONSENTS_WRITE),
    ("POST", "/v1/subjects/{id}/objections", CONSENTS_WRITE),
    ("POST", "/v1/consents", CONSENTS_WRITE),
    ("POST", "/v1/signals", CONSENTS_WRITE),
    ("POST", "/v1/imports", IMPORT),
    ("GET", "/v1/decisions", DECIDE),
    ("POST", "/v1/decisions", DECIDE),
    ("GET", "/v1/audit", AUDIT),
    // Features.
    (
        "PUT",
        "/v1/organisations/{org}/features/{feature}",
        FEATURES,
    ),
    (
        "GET",
        "/v1/organisations/{org}/features/{feature}",
        FEATURES,
    ),
    (
        "PUT",
        "/v1/organisations/{org}/projects/{project}/features/{feature}",
        FEATURES,
    ),
    (
        "GET",
        "/v1/organisations/{org}/projects/{project}/features/{feature}",
        FEATURES,
    ),
    // Incidents and disclosures.
    ("POST", "/v1/incidents", INCIDENTS_WRITE),
    ("GET", "/v1/incidents", INCIDENTS_READ),
    ("GET", "/v1/incidents/{id}", INCIDENTS_READ),
    ("POST", "/v1/incidents/{id}/notifications", INCIDENTS_WRITE),
    (
        "POST",
        "/v1/incidents/{id}/no-notification",
        INCIDENTS_WRITE,
    ),
    ("POST", "/v1/incidents/{id}/assessments", INCIDENTS_WRITE),
    ("POST", "/v1/incidents/{id}/communications", INCIDENTS_WRITE),
    (
        "POST",
        "/v1/incidents/{id}/communication-exemption",
        INCIDENTS_WRITE,
    ),
    ("POST", "/v1/incidents/{id}/close", INCIDENTS_WRITE),
    ("POST", "/v1/disclosures", DISCLOSURES_WRITE),
    ("GET", "/v1/disclosures", DISCLOSURES_READ),
    // Security reviews (P003-42).
    ("POST", "/v1/security/reviews", INCIDENTS_WRITE),
    ("GET", "/v1/security/reviews", REGISTER),
    // Data-subject requests: intake, the code and documents are the subject's.
    ("POST", "/v1/requests", Public),
    ("POST", "/v1/requests/{id}/verify", Public),
    ("POST", "/v1/requests/{id}/documents", Public),
    ("GET", "/v1/requests", REQUESTS_READ),
    ("GET", "/v1/requests/{id}", REQUESTS_READ),
    ("GET", "/v1/requests/{id}/package", REQUESTS_DATA),
    ("GET", "/v1/requests/{id}/erasure-plan", REQUESTS_DATA),
    ("POST", "/v1/requests/{id}/assign", REQUESTS_HANDLE),
    ("POST", "/v1/requests/{id}/extend", REQUESTS_HANDLE),
    ("POST", "/v1/requests/{id}/identity", REQUESTS_HANDLE),
    ("POST", "/v1/requests/{id}/fulfil", REQUESTS_HANDLE),
    ("POST", "/v1/requests/{id}/reject", REQUESTS_HANDLE),
    // The consent banner: a company's website calls the configuration and the log.
    ("GET", "/v1/banner/config", Public),
    ("POST", "/v1/banner/consents", Public),
    ("GET", "/v1/banner/consents", CONSENTS_READ),
];

// --- Console pages -------------------------------------------------------------------------
// The console is called through staff sessions, not tokens: `CONSOLE_PAGES` below, its own test.
const CONSOLE: &[Row] = &[];

/// The routes that are not in the OpenAPI document, with why.
const OUTSIDE_THE_DOCUMENT: &[(&str, &str)] = &[
    // The document itself.
    ("GET", "/openapi.json"),
];

/// A caller of the matrix: a token made for one scope, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Nobody,
    Token(Scope),
}

impl Who {
    fn word(self) -> &'static str {
        match self {
            Who::Nobody => "no token",
            Who::Token(scope) => scope.as_str(),
        }
    }
}

fn allowed(route: Allowed, who: Who) -> bool {
    match (route, who) {
        (Public, _) => true,
        (Tokens(_), Who::Nobody) => false,
        (Tokens(words), Who::Token(scope)) => words.split(' ').any(|w| w == scope.as_str()),
    }
}

/// What the matrix calls with: ids of things that exist, and the personal values they hold.
struct Fixture {
    subject: String,
    record: String,
    incident: String,
    request: String,
    /// Values a decrypted read would show.
    personal: Vec<&'static str>,
}

const EMAIL: &str = "matrix.annika@example.se";
const NAME: &str = "Annika Matrixdottir";
const PHONE: &str = "+46701119922";

async fn fixture(app: &TestApp) -> Fixture {
    let subject = app
        .create_subject(json!({"email": EMAIL, "phone": PHONE}))
        .await;
    let mut record = contact_record("delivery");
    record["fields"]["name"] = json!(NAME);
    let record = app.create_record(&subject, record).await;
    let incident = app
        .post_ok(
            "/v1/incidents",
            json!({
                "became_aware_at": "2026-03-01T08:00:00Z",
                "nature": "A laptop was lost",
                "data_categories": ["contact"],
                "subject_categories": ["customer"],
                "approx_subjects": 3,
                "consequences": "None known",
                "measures": "Disk encryption",
                "risk": "risk",
            }),
            StatusCode::CREATED,
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // An access request by the subject, verified: its package holds every personal value.
    let receipt = app
        .client
        .post(app.url("/v1/requests"))
        .json(&json!({"type": "access", "identity": {"email": EMAIL}}))
        .send()
        .await
        .unwrap();
    assert_eq!(receipt.status(), StatusCode::ACCEPTED);
    let request = receipt.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    verify_with_code(app, &request).await;
    let package = app.get_ok(&format!("/v1/requests/{request}/package")).await;
    assert!(package.to_string().contains(NAME), "the admin reads it");
    Fixture {
        subject,
        record,
        incident,
        request,
        personal: vec![EMAIL, NAME, PHONE, "46701119922", "matrix.annika"],
    }
}

/// The path the matrix calls for `template`, with ids of things that exist and a query the
/// route reads.
fn concrete(template: &str, f: &Fixture) -> String {
    let path = template
        .replace(
            "{id}/records/{record}",
            &format!("{}/records/{}", f.subject, f.record),
        )
        .replace("{event}", "contract_end")
        .replace("{kind}/{name}", "channel/email")
        .replace("{org}", "acme")
        .replace("{project}", "p1")
        .replace("{feature}", "ai_features")
        .replace("{name}", "no_such_system")
        .replace("{version}", "000000000000");
    let path = if path.starts_with("/v1/incidents/") {
        path.replace("{id}", &f.incident)
    } else if path.starts_with("/v1/requests/") {
        path.replace("{id}", &f.request)
    } else {
        path.replace("{id}", &f.subject)
    };
    let query = match template {
        "/v1/subjects" => format!("?email={EMAIL}"),
        "/v1/subjects/{id}/records" => "?purpose=delivery".into(),
        "/v1/subjects/{id}/unsubscribe-link" => "?channel=email".into(),
        "/v1/decisions" => format!("?subject={}&purpose=delivery&category=contact", f.subject),
        "/v1/audit" => "?limit=50".into(),
        "/v1/banner/consents" => "?browser=TWF0cml4QnJvd3Nlcl9pZC0wMDE".into(),
        _ => String::new(),
    };
    format!("{path}{query}")
}

/// Every caller: a token for each scope (the roles among them), and no token.
fn callers() -> Vec<Who> {
    let mut callers: Vec<Who> = Scope::ALL.into_iter().map(Who::Token).collect();
    callers.push(Who::Nobody);
    callers
}

async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    token: Option<&str>,
) -> (StatusCode, String) {
    let method = Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = app.client.request(method.clone(), app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    // A write gets an empty JSON object: allowed callers get past the permission check (to a
    // 400 or 422 about the body, or a 409), denied ones are refused before the body is read.
    if method != Method::GET {
        request = request.json(&json!({}));
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.text().await.unwrap())
}

#[tokio::test]
async fn every_route_answers_every_role_and_scope_as_the_table_says() {
    on_each_backend(async |app| {
        let f = fixture(app).await;
        let mut tokens = Vec::new();
        for who in callers() {
            let token = match who {
                Who::Nobody => None,
                Who::Token(scope) => Some(app.issue(scope).await.secret().to_owned()),
            };
            tokens.push((who, token));
        }
        let mut wrong = Vec::new();
        for &(method, template, route) in ROUTES.iter().chain(CONSOLE) {
            let path = concrete(template, &f);
            for (who, token) in &tokens {
                let (status, body) = call(app, method, &path, token.as_deref()).await;
                let expected_allowed = allowed(route, *who);
                let refused = status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN;
                let fine = if expected_allowed {
                    !refused
                } else if *who == Who::Nobody {
                    status == StatusCode::UNAUTHORIZED
                } else {
                    status == StatusCode::FORBIDDEN
                };
                if !fine {
                    let body: String = body.chars().take(300).collect();
                    wrong.push(format!(
                        "{method} {template} as {}: {status} (expected {}) {body}",
                        who.word(),
                        if expected_allowed {
                            "allowed"
                        } else {
                            "denied"
                        }
                    ));
                }
            }
        }
        assert!(wrong.is_empty(), "{}:\n{}", app.backend, wrong.join("\n"));
    })
    .await;
}

#[tokio::test]
async fn the_table_covers_every_route_of_the_router() {
    on_each_backend(async |app| {
        let document = app.get_ok("/openapi.json").await;
        let mut routed: Vec<(String, String)> = OUTSIDE_THE_DOCUMENT
            .iter()
            .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
            .collect();
        for (path, item) in document["paths"].as_object().unwrap() {
            for method in ["get", "put", "post", "delete", "patch"] {
                if item.get(method).is_some() {
                    routed.push((method.to_uppercase(), path.clone()));
                }
            }
        }
        routed.sort();
        let mut listed: Vec<(String, String)> = ROUTES
            .iter()
            .chain(CONSOLE)
            .map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned()))
            .collect();
        listed.sort();
        let missing: Vec<_> = routed.iter().filter(|r| !listed.contains(r)).collect();
        let extra: Vec<_> = listed.iter().filter(|r| !routed.contains(r)).collect();
        assert!(missing.is_empty(), "routes without a row: {missing:?}");
        assert!(extra.is_empty(), "rows without a route: {extra:?}");
        let mut deduplicated = listed.clone();
        deduplicated.dedup();
        assert_eq!(deduplicated, listed, "a route has two rows");
    })
    .await;
}

#[tokio::test]
async fn no_route_the_auditor_may_call_answers_with_a_decrypted_personal_value() {
    on_each_backend(async |app| {
        let f = fixture(app).await;
        // The request assigned to the auditor's token changes nothing: it holds no permission
        // to read request data at all.
        for scope in [
            Scope::Role(StaffRole::Auditor),
            Scope::Role(StaffRole::Admin),
        ] {
            let token = app.issue(scope).await;
            let mut called = 0;
            for &(method, template, route) in ROUTES {
                if !allowed(route, Who::Token(scope)) {
                    continue;
                }
                let path = concrete(template, &f);
                let (status, body) = call(app, method, &path, Some(token.secret())).await;
                called += 1;
                for value in &f.personal {
                    assert!(
                        !body.contains(value),
                        "{}: {method} {path} as {scope} ({status}) shows a personal value: {body}",
                        app.backend
                    );
                }
            }
            assert!(called > 10, "{scope} called only {called} routes");
        }
    })
    .await;
}

#[tokio::test]
async fn support_reads_a_requests_data_only_when_it_is_assigned() {
    on_each_backend(async |app| {
        let f = fixture(app).await;
        let support = app.issue(Scope::Role(StaffRole::Support)).await;
        let other = app.issue(Scope::Role(StaffRole::Support)).await;
        let package = format!("/v1/requests/{}/package", f.request);
        let assign = format!("/v1/requests/{}/assign", f.request);

        let (status, body) = call(app, "GET", &package, Some(support.secret())).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert!(body.contains("not-assigned"), "{body}");
        assert!(!body.contains(EMAIL), "{body}");

        // Support assigns the request to itself (a request event and an audit entry).
        let response = app
            .send_as(
                support.secret(),
                Method::POST,
                &assign,
                Some(&json!({"assignee": support.id.0})),
            )
            .await;
        let view = super::json_body(response, StatusCode::OK, app.backend).await;
        assert_eq!(view["assignee"], support.id.0.as_str());
        let last = view["events"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["action"], "assigned", "{view}");
        assert_eq!(last["actor"], support.id.0.as_str(), "{view}");

        let (status, body) = call(app, "GET", &package, Some(support.secret())).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.contains(NAME), "{body}");
        let (status, _) = call(app, "GET", &package, Some(other.secret())).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "another support member");

        // The queue by assignee.
        let mine = app
            .get_ok(&format!("/v1/requests?assignee={}", support.id.0))
            .await;
        assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");
        let nobody = app.get_ok("/v1/requests?assignee=none").await;
        assert!(nobody.as_array().unwrap().is_empty(), "{nobody}");
        let bad = app
            .get("/v1/requests?assignee=a@example.se", Some(&app.admin_token))
            .await;
        let body = super::problem(bad, StatusCode::BAD_REQUEST, app.backend).await;
        assert!(!body.to_string().contains("a@example.se"), "{body}");

        // Unassigned again: refused again. An e-mail address is never an assignee.
        let response = app
            .send_as(
                support.secret(),
                Method::POST,
                &assign,
                Some(&json!({"assignee": null})),
            )
            .await;
        let view = super::json_body(response, StatusCode::OK, app.backend).await;
        assert_eq!(view["assignee"], Value::Null);
        let (status, _) = call(app, "GET", &package, Some(support.secret())).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let response = app
            .send(Method::POST, &assign, Some(&json!({"assignee": EMAIL})))
            .await;
        let body = super::problem(response, StatusCode::UNPROCESSABLE_ENTITY, app.backend).await;
        assert!(!body.to_string().contains(EMAIL), "{body}");

        // Assignments are in the audit trail with the actor.
        let audit = app.get_ok("/v1/audit?limit=100").await;
        let assigns: Vec<&Value> = audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "request.assign")
            .collect();
        assert_eq!(assigns.len(), 2, "{audit}");
        assert_eq!(assigns[0]["actor"], support.id.0.as_str());
    })
    .await;
}

#[tokio::test]
async fn an_expired_token_is_refused_with_a_problem_that_says_so() {
    on_each_backend(async |app| {
        let expired = skydd_storage::ApiTokenRecord {
            id: skydd_crypto::TokenId("00000000000e0001".into()),
            hash: skydd_crypto::TokenHash::of("skydd_00000000000e0001_expired"),
            scopes: vec!["admin".into()],
            label: "expired".into(),
            created_at: "2026-01-01T00:00:00Z".parse().unwrap(),
            revoked_at: None,
            expires_at: Some(app.now),
            last_used_at: None,
        };
        app.storage.insert_token(expired).await.unwrap();
        let response = app
            .get("/v1/register", Some("skydd_00000000000e0001_expired"))
            .await;
        let body = super::problem(response, StatusCode::UNAUTHORIZED, app.backend).await;
        assert_eq!(body["type"], "https://skydd.dev/problems/expired-token");
        let response = app
            .get("/v1/register", Some("skydd_00000000000e0001_other"))
            .await;
        let body = super::problem(response, StatusCode::UNAUTHORIZED, app.backend).await;
        assert_eq!(body["type"], "https://skydd.dev/problems/unauthorized");
    })
    .await;
}

#[tokio::test]
async fn a_refusal_names_the_permission_the_route_requires() {
    on_each_backend(async |app| {
        let decide = app.issue(Scope::Decide).await;
        let response = app.get("/v1/register", Some(decide.secret())).await;
        let body = super::problem(response, StatusCode::FORBIDDEN, app.backend).await;
        assert_eq!(body["type"], "https://skydd.dev/problems/forbidden");
        assert!(
            body["detail"].as_str().unwrap().contains("`register_read`"),
            "{body}"
        );
        // Several scopes: the union.
        let both = app.issue_with(&[Scope::Decide, Scope::RegisterRead]).await;
        assert_eq!(
            app.get("/v1/register", Some(both.secret())).await.status(),
            StatusCode::OK
        );
    })
    .await;
}

// --- The console, through staff sessions -----------------------------------------------------

/// Who may use a console route: anyone (no session needed), or the staff roles listed.
#[derive(Debug, Clone, Copy)]
enum Staff {
    /// No session needed (sign-in, assets, single sign-on).
    Anyone,
    /// Signed in with one of these roles (words of `StaffRole::as_str`), separated by spaces.
    Roles(&'static str),
}

const EVERY_ROLE: Staff = Staff::Roles("admin dpo support auditor");

/// Every console route and who may use it, written by hand from what each page shows and does.
/// The sign-out routes are called last (they end the session).
const CONSOLE_PAGES: &[(&str, &str, Staff)] = &[
    ("GET", "/console", Staff::Anyone),
    ("GET", "/console/assets/{name}", Staff::Anyone),
    ("GET", "/console/sign-in", Staff::Anyone),
    ("POST", "/console/sign-in", Staff::Anyone),
    ("GET", "/console/sign-in/code", Staff::Anyone),
    ("POST", "/console/sign-in/code", Staff::Anyone),
    ("GET", "/console/enrol", Staff::Anyone),
    ("POST", "/console/enrol", Staff::Anyone),
    ("GET", "/console/sign-in/sso", Staff::Anyone),
    ("GET", "/console/sso/callback", Staff::Anyone),
    ("GET", "/console/dashboard", EVERY_ROLE),
    ("GET", "/console/account", EVERY_ROLE),
    ("POST", "/console/account/password", EVERY_ROLE),
    ("GET", "/console/accounts", Staff::Roles("admin")),
    ("GET", "/console/accounts/new", Staff::Roles("admin")),
    ("POST", "/console/accounts/new", Staff::Roles("admin")),
    (
        "POST",
        "/console/accounts/{id}/disable",
        Staff::Roles("admin"),
    ),
    (
        "POST",
        "/console/accounts/{id}/enable",
        Staff::Roles("admin"),
    ),
    (
        "POST",
        "/console/accounts/{id}/reset-totp",
        Staff::Roles("admin"),
    ),
    (
        "POST",
        "/console/accounts/{id}/training",
        Staff::Roles("admin"),
    ),
    ("GET", "/console/register", EVERY_ROLE),
    ("GET", "/console/register/diff", EVERY_ROLE),
    ("GET", "/console/register/record", EVERY_ROLE),
    ("GET", "/console/audit", Staff::Roles("admin dpo auditor")),
    (
        "GET",
        "/console/audit/chain",
        Staff::Roles("admin dpo auditor"),
    ),
    (
        "POST",
        "/console/audit/chain/verify",
        Staff::Roles("admin dpo auditor"),
    ),
    (
        "POST",
        "/console/audit/chain/checkpoint",
        Staff::Roles("admin dpo"),
    ),
    ("GET", "/console/outbox", Staff::Roles("dpo auditor")),
    ("POST", "/console/outbox/{id}", Staff::Roles("dpo")),
    ("GET", "/console/incidents", Staff::Roles("dpo auditor")),
    (
        "GET",
        "/console/incidents/{id}",
        Staff::Roles("dpo auditor"),
    ),
    ("GET", "/console/incidents/new", Staff::Roles("dpo")),
    ("POST", "/console/incidents", Staff::Roles("dpo")),
    ("POST", "/console/security/reviews", Staff::Roles("dpo")),
    (
        "POST",
        "/console/incidents/{id}/{step}",
        Staff::Roles("dpo"),
    ),
    (
        "GET",
        "/console/requests",
        Staff::Roles("dpo support auditor"),
    ),
    (
        "GET",
        "/console/requests/{id}",
        Staff::Roles("dpo support auditor"),
    ),
    ("GET", "/console/requests/new", Staff::Roles("dpo support")),
    ("POST", "/console/requests/new", Staff::Roles("dpo support")),
    // The request's data: support only when assigned (this one is not; the assignment is
    // `support_reads_a_requests_data_only_when_it_is_assigned`'s and the console suite's).
    ("GET", "/console/requests/{id}/data", Staff::Roles("dpo")),
    (
        "GET",
        "/console/requests/{id}/erasure-plan",
        Staff::Roles("dpo"),
    ),
    (
        "POST",
        "/console/requests/{id}/assign",
        Staff::Roles("dpo support"),
    ),
    (
        "POST",
        "/console/requests/{id}/extend",
        Staff::Roles("dpo support"),
    ),
    (
        "POST",
        "/console/requests/{id}/identity",
        Staff::Roles("dpo support"),
    ),
    (
        "POST",
        "/console/requests/{id}/reject",
        Staff::Roles("dpo support"),
    ),
    (
        "POST",
        "/console/requests/{id}/fulfil",
        Staff::Roles("dpo support"),
    ),
    ("GET", "/console/subjects", Staff::Roles("dpo")),
    ("POST", "/console/subjects", Staff::Roles("dpo")),
    ("GET", "/console/subjects/{id}", Staff::Roles("dpo")),
    (
        "POST",
        "/console/subjects/{id}/records",
        Staff::Roles("dpo"),
    ),
    // Signing out needs no permission: without a session it leads to the sign-in page.
    ("POST", "/console/sign-out", Staff::Anyone),
    ("POST", "/console/sign-out-everywhere", Staff::Anyone),
];

/// The console path the matrix calls for `template`.
fn console_path(template: &str, f: &Fixture, account: &str) -> String {
    let path = template
        .replace("{name}", "no-such-asset.css")
        .replace("{step}", "no-such-step");
    if path.starts_with("/console/accounts/") {
        path.replace("{id}", account)
    } else if path.starts_with("/console/incidents/") {
        path.replace("{id}", &f.incident)
    } else if path.starts_with("/console/requests/") {
        path.replace("{id}", &f.request)
    } else if path.starts_with("/console/outbox/") {
        path.replace("{id}", "no-such-message")
    } else {
        path.replace("{id}", &f.subject)
    }
}

/// Whether a console answer is the 403 page of a missing permission (not the one of an
/// expired form).
fn not_permitted(page: &super::console::Page) -> bool {
    page.status == StatusCode::FORBIDDEN && page.body.contains("<title>Not allowed")
}

/// Whether a console answer sends the caller to sign in.
fn to_sign_in(page: &super::console::Page) -> bool {
    page.status == StatusCode::SEE_OTHER
        && page
            .headers
            .get("location")
            .is_some_and(|l| l.to_str().unwrap().starts_with("/console/sign-in"))
}

#[tokio::test]
async fn every_console_route_answers_every_role_as_the_table_says() {
    use super::console::{Browser, create_account};
    on_each_backend(async |app| {
        let f = fixture(app).await;
        // The account the administrator's row acts on: not one of the callers.
        create_account(app, "matrix.target@example.se", StaffRole::Support).await;
        let target = app
            .app
            .staff()
            .list_accounts()
            .await
            .unwrap()
            .into_iter()
            .find(|a| a.role == StaffRole::Support)
            .unwrap()
            .id
            .to_string();
        let mut wrong = Vec::new();
        let mut callers: Vec<(&str, Browser<'_>)> = Vec::new();
        for role in StaffRole::ALL {
            let mut browser = Browser::new(app);
            browser
                .signed_in_as(&format!("matrix.{role}@example.se"), role)
                .await;
            callers.push((role.as_str(), browser));
        }
        callers.push(("nobody", Browser::new(app)));
        for (who, browser) in &mut callers {
            let csrf = if *who == "nobody" {
                String::new()
            } else {
                browser.csrf().await
            };
            for &(method, template, staff) in CONSOLE_PAGES {
                let path = console_path(template, &f, &target);
                let page = if method == "GET" {
                    browser.get(&path).await
                } else {
                    browser.post(&path, &[("_csrf", &csrf)]).await
                };
                // Anyone: never the permission page. A role row: the roles listed get past the
                // permission (any answer but that page and the way to sign in), other roles get
                // the 403 page, and nobody is sent to sign in.
                let (expected, fine) = match staff {
                    Staff::Anyone => (true, !not_permitted(&page)),
                    Staff::Roles(words) => {
                        let expected = words.split(' ').any(|w| w == *who);
                        let fine = if expected {
                            !not_permitted(&page) && !to_sign_in(&page)
                        } else if *who == "nobody" {
                            to_sign_in(&page)
                        } else {
                            not_permitted(&page)
                        };
                        (expected, fine)
                    }
                };
                if !fine {
                    let body: String = page.body.chars().take(200).collect();
                    wrong.push(format!(
                        "{method} {template} as {who}: {} (expected {}) {body}",
                        page.status,
                        if expected { "allowed" } else { "refused" }
                    ));
                }
                if !matches!(staff, Staff::Anyone) && *who != "nobody" {
                    assert!(
                        !page.body.contains(EMAIL) || expected,
                        "{method} {template} as {who} shows the subject's e-mail"
                    );
                }
            }
        }
        assert!(wrong.is_empty(), "{}:\n{}", app.backend, wrong.join("\n"));
    })
    .await;
}

#[tokio::test]
async fn the_console_table_covers_every_console_route() {
    // The routes as the console's modules declare them: every `"/console...` string literal
    // that a `.route(` call takes, read from the source.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/console");
    let mut declared = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let source = std::fs::read_to_string(&path).unwrap();
        for part in source.split(".route(").skip(1) {
            let Some(start) = part.find('"') else {
                continue;
            };
            let rest = &part[start + 1..];
            let route = &rest[..rest.find('"').unwrap()];
            if route.starts_with("/console") && route != "/console/{*rest}" {
                declared.push(route.to_owned());
            }
        }
    }
    declared.sort();
    declared.dedup();
    let mut listed: Vec<String> = CONSOLE_PAGES
        .iter()
        .map(|(_, p, _)| (*p).to_owned())
        .collect();
    listed.sort();
    listed.dedup();
    let missing: Vec<_> = declared.iter().filter(|r| !listed.contains(r)).collect();
    let extra: Vec<_> = listed.iter().filter(|r| !declared.contains(r)).collect();
    assert!(
        missing.is_empty(),
        "console routes without a row: {missing:?}"
    );
    assert!(extra.is_empty(), "rows without a console route: {extra:?}");
}
