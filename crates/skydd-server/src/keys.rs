//! Master key rotation: a new version in the key file, every subject key re-wrapped with it, and
//! running servers that pick the new version up.
//!
//! `skydd key rotate` calls [`add_version`] and then [`rewrap_all`]; both work while servers run
//! on the same data. Re-wrapping is resumable: each call re-wraps keys older than the current
//! version, so after a crash a second run continues where the first stopped.
//!
//! A server loads the key file when it starts. When a request meets a data key wrapped with a
//! version the server has not loaded, the `/v1` middleware reloads the key file (if the server
//! was given its path, [`AppState::with_key_file`]) and runs the request once more. That is
//! safe because the vault unwraps a subject's data key before it writes anything for the
//! request: a request that failed this way changed nothing. A server whose key file lacks the
//! version (another host, the file not copied yet) keeps failing those requests, with an error
//! in its log saying so.
//!
//! Until a server has reloaded, it wraps the keys of new subjects with the version it has;
//! `skydd key rotate --rewrap-only` re-wraps such stragglers at any time.

use std::path::Path;
use std::sync::{Arc, PoisonError};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use skydd_crypto::{Keyring, MasterKeyError};
use skydd_vault::{Vault, VaultError};

use crate::instance::DataSettings;
use crate::problem::ApiError;
use crate::state::{AppState, Current};

/// Add a new master key version to the instance's key file and make it the current one. Older
/// versions stay, so every data key still unwraps. Returns the keyring as now on disk.
pub fn add_version(settings: &DataSettings) -> Result<Keyring, MasterKeyError> {
    Keyring::rotate(&settings.master_key_path())
}

/// Re-wrap, `batch` at a time, every subject key wrapped with an older master key version than
/// `vault`'s current one, calling `progress` with the running total after each batch that
/// re-wrapped some. Returns the total. No data is decrypted or rewritten, only keys.
pub async fn rewrap_all(
    vault: &Vault,
    batch: usize,
    mut progress: impl FnMut(usize),
) -> Result<usize, VaultError> {
    let batch = batch.max(1);
    let mut total = 0;
    loop {
        let rewrapped = vault.rewrap_subject_keys(batch).await?;
        if rewrapped == 0 {
            return Ok(total);
        }
        total += rewrapped;
        progress(total);
    }
}

/// Why the key file could not be reloaded.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    /// The key file could not be read.
    #[error(transparent)]
    MasterKey(#[from] MasterKeyError),
    /// The key file holds another master key than the one the database is bound to.
    #[error("the key file {path} now holds a different master key; keeping the loaded one")]
    DifferentKey {
        /// The key file.
        path: String,
    },
    /// The task reading the key file did not finish.
    #[error("reading the key file was interrupted")]
    Interrupted,
}

/// Set on a response whose request failed because a data key is wrapped with a master key
/// version this server has not loaded.
#[derive(Debug, Clone, Copy)]
pub(crate) struct UnknownKeyVersion(pub(crate) u32);

/// The largest request body [`reload_and_retry`] keeps for a second run: axum's default body
/// limit, which the JSON extractor applies anyway.
const BODY_LIMIT: usize = 2 * 1024 * 1024;

impl AppState {
    /// Load the key file again, if this state was given one and the file has a newer current
    /// version than `seen`, and use it from now on. Returns whether the vault in use now has a
    /// newer version than `seen` (loaded by this call or by a concurrent one).
    pub async fn reload_keys(&self, seen: u32) -> Result<bool, ReloadError> {
        let Some(path) = &self.key_file else {
            return Ok(false);
        };
        let _reloading = self.keys.reloading.lock().await;
        let current = self.keys.current();
        if current.keyring.current_version() > seen {
            return Ok(true);
        }
        let loaded = load(path.clone()).await?;
        if loaded.check_value() != current.keyring.check_value() {
            return Err(ReloadError::DifferentKey {
                path: path.display().to_string(),
            });
        }
        if loaded.current_version() <= seen {
            return Ok(false);
        }
        let version = loaded.current_version();
        let keyring = Arc::new(loaded);
        let vault = Vault::new(
            self.storage.clone(),
            keyring.clone(),
            self.keys.enforced.clone(),
            self.keys.audit.clone(),
        );
        *self
            .keys
            .current
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Current { keyring, vault };
        tracing::info!(version, "loaded a new master key version from the key file");
        Ok(true)
    }
}

/// Read the key file off the async workers (it is small, but it is file I/O).
async fn load(path: Arc<Path>) -> Result<Keyring, ReloadError> {
    match tokio::task::spawn_blocking(move || Keyring::load(&path)).await {
        Ok(loaded) => Ok(loaded?),
        Err(_) => Err(ReloadError::Interrupted),
    }
}

/// Middleware for `/v1`: when a request fails because a data key is wrapped with a master key
/// version this server has not loaded, reload the key file and run the request once more.
pub(crate) async fn reload_and_retry(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if state.key_file.is_none() {
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
