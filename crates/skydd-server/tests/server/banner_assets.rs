//! `/banner.js` and `/banner.css` (issue 18): what a company's website loads from Skydd, with
//! the headers that let another origin use them and keep them cached.

use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};

use super::{Backend, spawn_app};

#[tokio::test]
async fn the_banner_files_are_served_for_other_origins_and_revalidated() {
    // Static files: no storage is involved, one backend says it all.
    let app = spawn_app(&Backend::Sqlite).await;
    for (path, media_type, start) in [
        ("/banner.js", "text/javascript; charset=utf-8", "// Skydd"),
        ("/banner.css", "text/css; charset=utf-8", "/* Skydd"),
    ] {
        let response = app.get(path, None).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let h = response.headers().clone();
        assert_eq!(h[CONTENT_TYPE], media_type, "{path}");
        assert_eq!(h[CACHE_CONTROL], "public, max-age=3600", "{path}");
        assert_eq!(h["cross-origin-resource-policy"], "cross-origin", "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        // Only the routes a website calls with data carry CORS; a script tag needs none.
        assert!(!h.contains_key("access-control-allow-origin"), "{path}");
        let etag = h[ETAG].to_str().unwrap().to_owned();
        assert!(etag.starts_with('"') && etag.len() == 18, "{path}: {etag}");
        assert!(response.text().await.unwrap().starts_with(start), "{path}");

        let cached = app
            .client
            .get(app.url(path))
            .header(IF_NONE_MATCH, format!("\"0000000000000000\", {etag}"))
            .send()
            .await
            .unwrap();
        assert_eq!(cached.status(), StatusCode::NOT_MODIFIED, "{path}");
        assert_eq!(cached.headers()[ETAG], etag.as_str(), "{path}");
        assert_eq!(cached.headers()[CACHE_CONTROL], "public, max-age=3600");
        let stale = app
            .client
            .get(app.url(path))
            .header(IF_NONE_MATCH, "\"0000000000000000\"")
            .send()
            .await
            .unwrap();
        assert_eq!(stale.status(), StatusCode::OK, "{path}");
    }
    app.stop().await;
}

/// What banner.js calls from a website's page, the config and the log, answers the allowed
/// origin (a preflight too, for a `fetch` fallback that sends JSON); the files themselves and the
/// staff's listing of choices carry no CORS header.
#[tokio::test]
async fn the_banner_routes_answer_the_allowed_website_origin_only() {
    use reqwest::Method;
    use skydd_app::site::{Origin, PublicSite};

    const WEBSITE: &str = "https://www.example.com";
    let site = PublicSite {
        allowed_origins: vec![Origin::parse(WEBSITE).unwrap()],
        ..PublicSite::default()
    };
    let app = super::spawn_app_edge(&Backend::Sqlite, |app, _| app.with_site(site), |s| s).await;
    let from = |method: Method, path: &str, origin: &str| {
        app.client
            .request(method, app.url(path))
            .header("origin", origin)
    };
    let config = from(Method::GET, "/v1/banner/config?lang=sv", WEBSITE)
        .send()
        .await
        .unwrap();
    assert_eq!(config.status(), StatusCode::OK);
    assert_eq!(config.headers()["access-control-allow-origin"], WEBSITE);
    let preflight = from(Method::OPTIONS, "/v1/banner/consents", WEBSITE)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), StatusCode::NO_CONTENT);
    assert_eq!(preflight.headers()["access-control-allow-origin"], WEBSITE);
    let other = from(Method::GET, "/v1/banner/config", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert!(!other.headers().contains_key("access-control-allow-origin"));

    for path in [
        "/banner.js",
        "/banner.css",
        "/v1/banner/consents?browser=abcdefghijklmnopqrstuv",
    ] {
        let response = from(Method::GET, path, WEBSITE)
            .bearer_auth(&app.admin_token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(
            !response
                .headers()
                .contains_key("access-control-allow-origin"),
            "{path}"
        );
    }
    app.stop().await;
}
