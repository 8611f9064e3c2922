//! `/v1/security/reviews` (issue 20, P003-42: "We are regularly evaluating our security
//! measures"): reviews recorded with their dates, checked against the register's cycle, an
//! overdue cycle shown by the API and `/metrics`, every review audited without its summary.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use skydd_staff::permission::{Scope, StaffRole};

use super::{TestApp, backends, problem, spawn_app, spawn_app_on_register};

const WORKITEMS: &str = include_str!("../../../../examples/registers/workitems.yaml");

/// A server on `backend` serving the work-items register (`security_review: every 12 months`)
/// on 1 March 2026.
async fn workitems(backend: &super::Backend) -> TestApp {
    spawn_app_on_register(backend, WORKITEMS).await
}

/// The line of `/metrics` that starts with `series`, if any.
async fn metric(app: &TestApp, series: &str) -> Option<String> {
    let response = app.get("/metrics", Some(&app.admin_token)).await;
    let text = response.text().await.unwrap();
    text.lines()
        .find(|line| line.starts_with(series))
        .map(str::to_owned)
}

#[tokio::test]
async fn reviews_are_recorded_with_dates_and_a_cycle_without_one_is_overdue() {
    for backend in backends() {
        let app = workitems(&backend).await;
        // P003-42: none in the 12-month interval → overdue, in the API and in /metrics.
        let before = app.get_ok("/v1/security/reviews").await;
        assert_eq!(
            before,
            json!({"every": "12 months", "last": null, "due": null, "overdue": true,
                   "reviews": []}),
            "{}",
            app.backend
        );
        assert_eq!(
            metric(&app, "skydd_security_review_overdue ")
                .await
                .as_deref(),
            Some("skydd_security_review_overdue 1")
        );

        // Refused with what to fix: a day not yet come, an empty summary, an unknown field.
        for (body, says) in [
            (
                json!({"reviewed_on": "2026-03-02", "summary": "Quarterly review."}),
                "after today",
            ),
            (
                json!({"reviewed_on": "2026-02-15", "summary": "  "}),
                "empty",
            ),
            (
                json!({"reviewed_on": "2017-01-01", "summary": "Too early."}),
                "before 25 May 2018",
            ),
        ] {
            let refused = app
                .send(Method::POST, "/v1/security/reviews", Some(&body))
                .await;
            let problem = problem(refused, StatusCode::UNPROCESSABLE_ENTITY, app.backend).await;
            assert!(
                problem["detail"].as_str().unwrap().contains(says),
                "{problem}"
            );
        }
        let unknown = app
            .send(
                Method::POST,
                "/v1/security/reviews",
                Some(&json!({"reviewed_on": "2026-02-15", "summary": "x", "by": "me"})),
            )
            .await;
        // Not the JSON the operation takes: 400, as for every body.
        problem(unknown, StatusCode::BAD_REQUEST, app.backend).await;

        let summary =
            "Access rights, backups and encryption keys reviewed; two stale accounts removed.";
        let recorded = app
            .post_ok(
                "/v1/security/reviews",
                json!({"reviewed_on": "2026-02-15", "summary": summary}),
                StatusCode::CREATED,
            )
            .await;
        assert_eq!(recorded["reviewed_on"], "2026-02-15");
        assert_eq!(recorded["summary"], summary);
        let after = app.get_ok("/v1/security/reviews").await;
        assert_eq!(after["last"], "2026-02-15", "{after}");
        assert_eq!(after["due"], "2027-02-15", "{after}");
        assert_eq!(after["overdue"], false, "{after}");
        assert_eq!(after["reviews"].as_array().unwrap().len(), 1);
        assert_eq!(
            metric(&app, "skydd_security_review_overdue ")
                .await
                .as_deref(),
            Some("skydd_security_review_overdue 0")
        );

        // Audited with its date, never its words.
        let audit = app.get_ok("/v1/audit?limit=1000").await;
        let events: Vec<&Value> = audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "security.review")
            .collect();
        assert_eq!(events.len(), 1, "{audit}");
        assert_eq!(events[0]["detail"], "reviewed_on:2026-02-15", "{audit}");
        assert!(!audit.to_string().contains("stale accounts"), "{audit}");

        // Reading is for those who read the register; recording for those who handle
        // incidents.
        let support = app.issue(Scope::Role(StaffRole::Support)).await;
        let read = app
            .get("/v1/security/reviews", Some(support.secret()))
            .await;
        assert_eq!(read.status(), StatusCode::OK);
        let write = app
            .client
            .post(app.url("/v1/security/reviews"))
            .bearer_auth(support.secret())
            .json(&json!({"reviewed_on": "2026-02-16", "summary": "x"}))
            .send()
            .await
            .unwrap();
        assert_eq!(write.status(), StatusCode::FORBIDDEN);
        app.stop().await;
    }
}

#[tokio::test]
async fn a_register_without_a_cycle_reports_none_and_no_gauge() {
    for backend in backends() {
        let app = spawn_app(&backend).await;
        let reviews: Value = app.get_ok("/v1/security/reviews").await;
        assert_eq!(
            reviews,
            json!({"every": null, "last": null, "due": null, "overdue": null, "reviews": []})
        );
        assert_eq!(metric(&app, "skydd_security_review_overdue").await, None);
        app.stop().await;
    }
}

#[tokio::test]
async fn a_dpo_records_a_review_from_the_dashboard_without_javascript() {
    use super::console::Browser;
    for backend in backends() {
        let app = workitems(&backend).await;
        let mut browser = Browser::new(&app);
        browser.signed_in_as("dpo@example.se", StaffRole::Dpo).await;
        let dashboard = browser.get("/console/dashboard").await;
        assert!(
            dashboard
                .body
                .contains("Overdue: no review within the cycle"),
            "{}",
            dashboard.body
        );
        let csrf = dashboard.hidden("_csrf");
        // A day not yet come is refused with what the form needs; nothing is recorded.
        let refused = browser
            .post(
                "/console/security/reviews",
                &[
                    ("_csrf", &csrf),
                    ("reviewed_on", "2026-03-05"),
                    ("summary", "Too soon."),
                ],
            )
            .await;
        assert_eq!(refused.status, StatusCode::SEE_OTHER);
        let page = browser.get("/console/dashboard").await;
        assert!(
            page.body.contains("The review was not recorded"),
            "{}",
            page.body
        );
        let recorded = browser
            .post(
                "/console/security/reviews",
                &[
                    ("_csrf", &csrf),
                    ("reviewed_on", "2026-02-20"),
                    ("summary", "Backups restored in a test; keys rotated."),
                ],
            )
            .await;
        assert_eq!(recorded.status, StatusCode::SEE_OTHER);
        assert_eq!(recorded.location(), "/console/dashboard");
        let page = browser.get("/console/dashboard").await;
        assert!(
            page.body.contains("The review is recorded."),
            "{}",
            page.body
        );
        assert!(
            page.body
                .contains("Latest review: 20 February 2026. The next is due by 20 February 2027."),
            "{}",
            page.body
        );
        assert!(
            !page.body.contains("no review within the cycle"),
            "{}",
            page.body
        );
        let reviews = app.get_ok("/v1/security/reviews").await;
        assert_eq!(reviews["reviews"].as_array().unwrap().len(), 1, "{reviews}");
        app.stop().await;
    }
}
