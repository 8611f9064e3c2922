//! The consent banner's script and style sheet, compiled into the binary and served at
//! `/banner.js` and `/banner.css` for a company's own website to load (issue 18).
//!
//! Unlike the console's assets, their URLs carry no version (a website writes them once into
//! its pages), so they are cached for an hour and revalidated by `ETag`. They are loaded from
//! another origin, so `Cross-Origin-Resource-Policy: cross-origin` lets a website that sends
//! `Cross-Origin-Embedder-Policy` use them; `nosniff` keeps their types as declared.

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, X_CONTENT_TYPE_OPTIONS};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::console::assets::{not_modified, version_of};

/// The banner's script: reads the config, blocks what waits for consent, asks, logs.
const SCRIPT: &str = include_str!("../assets/banner/banner.js");

/// The banner's style sheet (banner.js sets no inline style).
const STYLESHEET: &str = include_str!("../assets/banner/banner.css");

/// The path of the script on this server, as a website's `<script src>` names it.
pub(crate) const SCRIPT_PATH: &str = "/banner.js";

/// The path of the style sheet on this server.
pub(crate) const STYLESHEET_PATH: &str = "/banner.css";

/// `GET /banner.js`.
#[utoipa::path(
    get,
    path = "/banner.js",
    tag = "banner",
    params(("If-None-Match" = Option<String>, Header, description = "The `ETag` of a copy held.")),
    responses(
        (status = 200, description = "The consent banner's script, for a company's website to \
            load with `<script src defer>`; cached an hour, `ETag`.",
            content_type = "text/javascript", body = String),
        (status = 304, description = "The copy named by `If-None-Match` is current."),
    )
)]
pub(crate) async fn script(headers: HeaderMap) -> Response {
    asset(&headers, SCRIPT, "text/javascript; charset=utf-8")
}

/// `GET /banner.css`.
#[utoipa::path(
    get,
    path = "/banner.css",
    tag = "banner",
    params(("If-None-Match" = Option<String>, Header, description = "The `ETag` of a copy held.")),
    responses(
        (status = 200, description = "The consent banner's style sheet; cached an hour, `ETag`.",
            content_type = "text/css", body = String),
        (status = 304, description = "The copy named by `If-None-Match` is current."),
    )
)]
pub(crate) async fn stylesheet(headers: HeaderMap) -> Response {
    asset(&headers, STYLESHEET, "text/css; charset=utf-8")
}

/// `body` as `content_type`, or 304 when the browser holds this version.
fn asset(headers: &HeaderMap, body: &'static str, content_type: &'static str) -> Response {
    let etag = format!("\"{:016x}\"", version_of(body.as_bytes()));
    let mut response = if not_modified(headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        body.into_response()
    };
    let h = response.headers_mut();
    for (name, value) in [
        (CONTENT_TYPE, content_type),
        (CACHE_CONTROL, "public, max-age=3600"),
        (X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (
            HeaderName::from_static("cross-origin-resource-policy"),
            "cross-origin",
        ),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        h.insert(ETAG, etag);
    }
    response
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;
    use std::process::{Command, Stdio};

    use super::*;

    /// The most the script may weigh gzipped (issue 18: orestbida/cookieconsent is 10.1 kB).
    const SCRIPT_BUDGET: usize = 10 * 1000;

    /// The most the style sheet may weigh gzipped.
    const STYLESHEET_BUDGET: usize = 5 * 1000;

    /// The size of `text` compressed by `gzip` at its default level (6, what web servers use).
    fn gzipped(text: &str) -> Option<usize> {
        let mut child = Command::new("gzip")
            .arg("-c")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .ok()?;
        child.stdin.take()?.write_all(text.as_bytes()).ok()?;
        let output = child.wait_with_output().ok()?;
        output.status.success().then_some(output.stdout.len())
    }

    #[test]
    fn the_banner_stays_within_its_size_budget() {
        let (Some(js), Some(css)) = (gzipped(SCRIPT), gzipped(STYLESHEET)) else {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must check the banner's size, but `gzip` did not run"
            );
            println!("note: the banner's size is not checked: no `gzip`");
            return;
        };
        println!(
            "banner.js: {} bytes, {js} gzipped (budget {SCRIPT_BUDGET}); \
             banner.css: {} bytes, {css} gzipped (budget {STYLESHEET_BUDGET})",
            SCRIPT.len(),
            STYLESHEET.len()
        );
        assert!(
            js <= SCRIPT_BUDGET && css <= STYLESHEET_BUDGET,
            "over budget: banner.js {js} bytes gzipped (at most {SCRIPT_BUDGET}), \
             banner.css {css} bytes gzipped (at most {STYLESHEET_BUDGET})"
        );
    }

    #[test]
    fn the_files_are_self_contained() {
        // No other origin, no inline style set by the script, no HTML parsing of texts.
        for forbidden in [
            "http://",
            "https://privacy",
            ".innerHTML",
            "style.",
            "eval(",
        ] {
            assert!(
                !SCRIPT
                    .lines()
                    .filter(|l| !l.trim_start().starts_with("//"))
                    .any(|l| l.contains(forbidden)),
                "banner.js contains `{forbidden}` outside a comment"
            );
        }
        assert!(!STYLESHEET.contains("@import") && !STYLESHEET.contains("url("));
    }
}
