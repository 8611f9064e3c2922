//! The HTTP side of master key rotation: when a request fails because a data key is wrapped
//! with a master key version this server has not loaded (`skydd key rotate` ran while it was
//! serving), reload the key file ([`skydd_app::App::reload_keys`]) and run the request once more.
//!
//! That is safe because the vault unwraps a subject's data key before it writes anything for the
//! request: a request that failed this way changed nothing. A server whose key file lacks the
//! version (another host, the file not copied yet) keeps failing those requests, with an error
//! in its log saying so.

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::problem::ApiError;
use crate::state::AppState;

/// Set on a response whose request failed because a data key is wrapped with a master key
/// version this server has not loaded.
#[derive(Debug, Clone, Copy)]
pub(crate) struct UnknownKeyVersion(pub(crate) u32);

/// The largest request body [`reload_and_retry`] keeps for a second run: axum's default body
/// limit, which the JSON extractor applies anyway.
const BODY_LIMIT: usize = 2 * 1024 * 1024;

/// Middleware for `/v1`: when a request fails because a data key is wrapped with a master key
/// version this server has not loaded, reload the key file and run the request once more.
pub(crate) async fn reload_and_retry(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if state.key_file().is_none() {
        return next.run(request).await;
    }
    let seen = state.key_version();
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, BODY_LIMIT).await else {
        return ApiError::InvalidBody("The request body could not be read.".to_owned())
            .into_response();
    };
    let again = copy(&parts, bytes.clone());
    let response = next
        .clone()
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let Some(&UnknownKeyVersion(version)) = response.extensions().get::<UnknownKeyVersion>() else {
        return response;
    };
    match state.reload_keys(seen).await {
        Ok(true) => next.run(again).await,
        Ok(false) => {
            tracing::error!(
                version,
                "a data key is wrapped with master key version {version}, which this server's key \
                 file does not have; copy the rotated key file to this server"
            );
            response
        }
        Err(error) => {
            tracing::error!(error = %error, "cannot reload the master key file");
            response
        }
    }
}

/// A request like the one `parts` came from, with `body`.
fn copy(parts: &axum::http::request::Parts, body: Bytes) -> Request {
    let mut request = Request::new(Body::from(body));
    *request.method_mut() = parts.method.clone();
    *request.uri_mut() = parts.uri.clone();
    *request.version_mut() = parts.version;
    *request.headers_mut() = parts.headers.clone();
    *request.extensions_mut() = parts.extensions.clone();
    request
}
