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
