//! The console from a browser's point of view: a client that keeps cookies and does not follow
//! redirects, so each step of a sign-in and each refusal is seen.

// `Page::hidden` and `Browser::post` serve the sign-in tests (next) and the page helpers' modules.
#![allow(dead_code)]

use std::collections::BTreeMap;

use reqwest::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION, SET_COOKIE};
use reqwest::{Method, StatusCode};

use super::{TestApp, on_each_backend};

/// The console's Content-Security-Policy, as every console response must carry it.
const CONSOLE_CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; \
     img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// A browser: a cookie jar, no redirects followed, every response's headers checked.
pub(crate) struct Browser<'a> {
    app: &'a TestApp,
    client: reqwest::Client,
    /// Cookies by name (attributes are checked where they are set, not kept).
    pub(crate) cookies: BTreeMap<String, String>,
    /// Every `Set-Cookie` header received, for checks of attributes.
    pub(crate) set_cookies: Vec<String>,
}

/// A response read whole.
#[derive(Debug)]
pub(crate) struct Page {
    pub(crate) status: StatusCode,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) body: String,
}

impl Page {
    /// Where a redirect leads.
    pub(crate) fn location(&self) -> &str {
        self.headers[LOCATION].to_str().unwrap()
    }

    /// The value of the hidden field `name` in the page's first form that has one.
    pub(crate) fn hidden(&self, name: &str) -> String {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self
            .body
            .find(&marker)
            .unwrap_or_else(|| panic!("no field {name} in {}", self.body))
            + marker.len();
        let end = start + self.body[start..].find('"').unwrap();
        self.body[start..end].to_owned()
    }
}

impl<'a> Browser<'a> {
    pub(crate) fn new(app: &'a TestApp) -> Browser<'a> {
        Browser {
            app,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: BTreeMap::new(),
            set_cookies: Vec::new(),
        }
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> Page {
        let cookie = self
            .cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ");
        let request = if cookie.is_empty() {
            request
        } else {
            request.header(reqwest::header::COOKIE, cookie)
        };
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        for value in headers.get_all(SET_COOKIE) {
            let value = value.to_str().unwrap().to_owned();
            let pair = value.split(';').next().unwrap();
            let (name, content) = pair.split_once('=').unwrap();
            if value.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), content.to_owned());
            }
            self.set_cookies.push(value);
        }
        let body = response.text().await.unwrap();
        let page = Page {
            status,
            headers,
            body,
        };
        assert_console_headers(&page, self.app.backend);
        page
    }

    /// GET `path`.
    pub(crate) async fn get(&mut self, path: &str) -> Page {
        let request = self.client.get(self.app.url(path));
        self.send(request).await
    }

    /// POST the form `fields` to `path`, as a same-origin form.
    pub(crate) async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let request = self
            .client
            .request(Method::POST, self.app.url(path))
            .header("sec-fetch-site", "same-origin")
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(serde_urlencoded_pairs(fields));
        self.send(request).await
    }
}

/// `fields` as `application/x-www-form-urlencoded`.
fn serde_urlencoded_pairs(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(name, value)| format!("{}={}", encode(name), encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Every console response, page, redirect, error or asset, carries the console's CSP and is
/// never framed; pages are never stored.
fn assert_console_headers(page: &Page, backend: &str) {
    assert_eq!(
        page.headers[CONTENT_SECURITY_POLICY], CONSOLE_CSP,
        "{backend}"
    );
    assert_eq!(page.headers["x-frame-options"], "DENY", "{backend}");
    assert_eq!(
        page.headers["x-content-type-options"], "nosniff",
        "{backend}"
    );
    let html = page
        .headers
        .get(CONTENT_TYPE)
        .is_some_and(|t| t.to_str().unwrap().starts_with("text/html"));
    if html || page.headers.contains_key(LOCATION) {
        assert_eq!(page.headers[CACHE_CONTROL], "no-store", "{backend}");
    }
}

#[tokio::test]
async fn anonymous_visitors_are_sent_to_sign_in_and_back() {
    on_each_backend(async |app| {
        let mut browser = Browser::new(app);
        let root = browser.get("/console").await;
        assert_eq!(root.status, StatusCode::SEE_OTHER, "{}", app.backend);
        assert_eq!(root.location(), "/console/dashboard");

        let page = browser.get("/console/dashboard").await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", app.backend);
        assert_eq!(page.location(), "/console/sign-in?next=/console/dashboard");

        let page = browser.get("/console/dashboard?lang=sv&x=1").await;
        assert_eq!(
            page.location(),
            "/console/sign-in?next=/console/dashboard%3Flang%3Dsv%26x%3D1"
        );
    })
    .await;
}

#[tokio::test]
async fn assets_are_served_from_the_same_origin_with_long_caching() {
    on_each_backend(async |app| {
        let mut browser = Browser::new(app);
        let css = browser.get("/console/assets/console.css").await;
        assert_eq!(css.status, StatusCode::OK);
        assert_eq!(css.headers[CONTENT_TYPE], "text/css; charset=utf-8");
        assert_eq!(
            css.headers[CACHE_CONTROL],
            "public, max-age=31536000, immutable"
        );
        assert!(css.body.contains(":focus-visible"));
        let etag = css.headers["etag"].to_str().unwrap().to_owned();

        let request = browser
            .client
            .get(app.url("/console/assets/console.css"))
            .header("if-none-match", &etag);
        let again = browser.send(request).await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED);

        let js = browser.get("/console/assets/console.js").await;
        assert_eq!(js.headers[CONTENT_TYPE], "text/javascript; charset=utf-8");

        let missing = browser.get("/console/assets/nothing.css").await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        assert!(
            missing.body.contains("<h1>Page not found</h1>"),
            "{}",
            missing.body
        );
        let missing = browser.get("/console/assets/nothing.css?lang=sv").await;
        assert!(
            missing.body.contains("<h1>Sidan finns inte</h1>"),
            "{}",
            missing.body
        );
        assert!(missing.body.contains("<html lang=\"sv\">"));
        assert!(
            browser
                .set_cookies
                .iter()
                .any(|c| c.starts_with("skydd-lang=sv;")),
            "the language chosen is remembered"
        );
    })
    .await;
}
