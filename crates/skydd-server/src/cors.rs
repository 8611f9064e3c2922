//! CORS for the routes a company's website calls from a visitor's browser (request intake and
//! its verification; the banner's config and log), and for no other route.
//!
//! Only the origins in the settings (`skydd serve --allowed-origin`, [`PublicSite`]) get CORS
//! headers: the origin itself in `Access-Control-Allow-Origin` (never `*`), never
//! `Access-Control-Allow-Credentials` (no cookie or token goes along), `Retry-After` exposed so
//! the page can say when to try again after a 429. A preflight (`OPTIONS` with
//! `Access-Control-Request-Method` `GET` or `POST`) from an allowed origin is answered here with the methods,
//! `Content-Type` as the one header, and how long to cache the answer; from any other origin it
//! is refused as the route refuses any other method. Every response of these routes carries
//! `Vary: Origin`, so a cache never gives one origin's answer to another.
//!
//! A group of routes is opened to websites by one call: `cors::website(router, &state)`.
//!
//! [`PublicSite`]: skydd_app::site::PublicSite

use axum::Router;
use axum::extract::{Request, State};
use axum::http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE, ACCESS_CONTROL_REQUEST_METHOD, ORIGIN,
    VARY,
};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

/// The methods websites use on these routes.
const METHODS: &str = "GET, POST";
/// The one request header a website's call needs beyond the CORS-safelisted ones.
const HEADERS: &str = "Content-Type";
/// How long a browser may keep a preflight's answer, in seconds.
const MAX_AGE: &str = "3600";

/// `router`'s routes opened to the allowed website origins. The router's own refusal of a
/// method it does not serve ([`crate::api::method_not_allowed`]) is set here, so a preflight
/// reaches the CORS check whatever the routes' methods.
pub(crate) fn website(router: Router<AppState>, state: &AppState) -> Router<AppState> {
    router
        .method_not_allowed_fallback(crate::api::method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), cors))
}

/// The middleware of [`website`].
async fn cors(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let websites_method = request.method() == Method::GET || request.method() == Method::POST;
    let allowed = request
        .headers()
        .get(ORIGIN)
        .filter(|origin| {
            origin
                .to_str()
                .is_ok_and(|origin| state.site().allows_origin(origin))
        })
        .cloned();
    let preflight = request.method() == Method::OPTIONS
        && request
            .headers()
            .get(ACCESS_CONTROL_REQUEST_METHOD)
            .is_some_and(|method| method == "GET" || method == "POST");
    if let (Some(origin), true) = (&allowed, preflight) {
        let mut response = StatusCode::NO_CONTENT.into_response();
        let h = response.headers_mut();
        h.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        h.insert(
            ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(METHODS),
        );
        h.insert(
            ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static(HEADERS),
        );
        h.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static(MAX_AGE));
        h.insert(
            VARY,
            HeaderValue::from_static(
                "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
            ),
        );
        return response;
    }
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.append(VARY, HeaderValue::from_static("Origin"));
    if let Some(origin) = allowed.filter(|_| websites_method) {
        h.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        h.insert(
            ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("Retry-After"),
        );
    }
    response
}
