//! The HTTP side of master key rotation: when a request fails because a data key is wrapped
//! with a master key version this server has not loaded (`skydd key rotate` ran while it was
//! serving), reload the key file ([`skydd_app::App::reload_keys`]) and run the request once more.
//!
//! That is safe because the vault unwraps a subject's data key before it writes anything for the
//! request: a request that failed this way changed nothing. A server whose key file lacks the
//! version (another host, the file not copied yet) keeps failing those requests, with an error
//! in its log saying so.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http_body::{Body as _, Frame, SizeHint};

use crate::state::AppState;

/// Set on a response whose request failed because a data key is wrapped with a master key
/// version this server has not loaded.
#[derive(Debug, Clone, Copy)]
pub(crate) struct UnknownKeyVersion(pub(crate) u32);

/// Middleware for `/v1`: when a request fails because a data key is wrapped with a master key
/// version this server has not loaded, reload the key file and run the request once more.
///
/// The body is not read here: the handler reads it (under its own limit, after its own checks,
/// so a refused request is never read), and the chunks it read are kept (shared, not copied)
/// to send again. A request whose body was not read to its end is not run again.
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
    let recorded = Arc::new(Mutex::new(Recorded {
        chunks: Vec::new(),
        complete: body.is_end_stream(),
    }));
    let recording = Recording {
        inner: body,
        recorded: recorded.clone(),
    };
    let again_parts = copy(&parts);
    let response = next
        .clone()
        .run(Request::from_parts(parts, Body::new(recording)))
        .await;
    let Some(&UnknownKeyVersion(version)) = response.extensions().get::<UnknownKeyVersion>() else {
        return response;
    };
    // The recording is complete: every chunk was read before the vault was called.
    let body = {
        let recorded = recorded.lock().unwrap_or_else(|e| e.into_inner());
        if !recorded.complete {
            return response;
        }
        Body::from(recorded.chunks.concat())
    };
    match state.reload_keys(seen).await {
        Ok(true) => next.run(Request::from_parts(again_parts, body)).await,
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

/// The chunks of a request body read so far, and whether that was all of it.
struct Recorded {
    chunks: Vec<Bytes>,
    complete: bool,
}

/// A request body that keeps what is read of it in [`Recorded`].
struct Recording {
    inner: Body,
    recorded: Arc<Mutex<Recorded>>,
}

impl http_body::Body for Recording {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(frame) = &polled {
            let ended = self.inner.is_end_stream();
            let mut recorded = self.recorded.lock().unwrap_or_else(|e| e.into_inner());
            match frame {
                Some(Ok(frame)) => {
                    if let Some(data) = frame.data_ref() {
                        recorded.chunks.push(data.clone());
                    }
                    recorded.complete |= ended;
                }
                None => recorded.complete = true,
                Some(Err(_)) => {}
            }
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The head of a request like the one `parts` came from, for a second run.
fn copy(parts: &axum::http::request::Parts) -> axum::http::request::Parts {
    let mut request = Request::new(());
    *request.method_mut() = parts.method.clone();
    *request.uri_mut() = parts.uri.clone();
    *request.version_mut() = parts.version;
    *request.headers_mut() = parts.headers.clone();
    *request.extensions_mut() = parts.extensions.clone();
    request.into_parts().0
}
