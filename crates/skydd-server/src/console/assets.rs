//! The console's style sheet and script, compiled into the binary and served from the same
//! origin under `/console/assets/` (the console's CSP allows nothing else).
//!
//! Their URLs carry a version (a hash of the content, `?v=...`), so they are cached for a
//! year and a new build is fetched at once; the `ETag` is the same hash.

use axum::extract::Path;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::render::ConsoleError;

/// One file served under `/console/assets/`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Asset {
    /// Its name in the URL.
    pub(crate) name: &'static str,
    /// Its media type.
    content_type: &'static str,
    /// Its bytes.
    body: &'static str,
}

/// The style sheet of every console page.
pub(crate) const STYLESHEET: Asset = Asset {
    name: "console.css",
    content_type: "text/css; charset=utf-8",
    body: include_str!("../../templates/console/assets/console.css"),
};

/// The script of every console page: progressive enhancement only, every page works without it.
pub(crate) const SCRIPT: Asset = Asset {
    name: "console.js",
    content_type: "text/javascript; charset=utf-8",
    body: include_str!("../../templates/console/assets/console.js"),
};

const ASSETS: [Asset; 2] = [STYLESHEET, SCRIPT];

/// FNV-1a (64 bits) of `bytes`: a version that changes with the content, computed at compile
/// time (and by the privacy centre for its style sheet and logo). Not a security measure. The
/// banner's files (`banner_assets`) are versioned by it too.
pub(crate) const fn version_of(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    hash
}

impl Asset {
    /// Its content (the privacy centre's style sheet starts with the console's).
    pub(crate) fn body(self) -> &'static str {
        self.body
    }

    /// The version of the content, as 16 hex digits.
    fn version(self) -> String {
        format!("{:016x}", version_of(self.body.as_bytes()))
    }
}

/// The versioned URL of `asset`.
pub(crate) fn url(asset: Asset) -> String {
    format!("/console/assets/{}?v={}", asset.name, asset.version())
}

/// `GET /console/assets/{name}`: the file, cached for a year (its URL changes with it), or 304
/// when the browser has this version.
pub(crate) async fn serve(Path(name): Path<String>, headers: HeaderMap) -> Response {
    let Some(asset) = ASSETS.into_iter().find(|asset| asset.name == name) else {
        return ConsoleError::NotFound.into_response();
    };
    let etag = format!("\"{}\"", asset.version());
    let mut response = if not_modified(&headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        asset.body.into_response()
    };
    let h = response.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    h.insert(
        CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        h.insert(ETAG, etag);
    }
    response
}

/// Whether the request's `If-None-Match` names `etag` (quoted), so a 304 answers it.
pub(crate) fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get(IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.split(',').any(|tag| tag.trim() == etag))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_follow_the_content() {
        assert_ne!(version_of(b"a"), version_of(b"b"));
        assert_eq!(STYLESHEET.version().len(), 16);
        assert!(url(STYLESHEET).starts_with("/console/assets/console.css?v="));
    }
}
