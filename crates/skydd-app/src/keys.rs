//! Master key rotation: a new version in the key file, every subject key re-wrapped with it, and
//! running servers that pick the new version up.
//!
//! `skydd key rotate` calls [`App::add_key_version`] and then [`App::rewrap_all`]; both work
//! while servers run on the same data. Re-wrapping is resumable: each call re-wraps keys older
//! than the current version, so after a crash a second run continues where the first stopped.
//!
//! A server loads the key file when it starts. When a request meets a data key wrapped with a
//! version the server has not loaded, the server's HTTP layer calls [`App::reload_keys`] (which
//! reloads the key file if the app was given its path, [`App::with_key_file`]) and runs the
//! request once more. That is safe because the vault unwraps a subject's data key before it
//! writes anything for the request: a request that failed this way changed nothing.
//!
//! Until a server has reloaded, it wraps the keys of new subjects with the version it has;
//! `skydd key rotate --rewrap-only` re-wraps such stragglers at any time.

use std::path::Path;
use std::sync::{Arc, PoisonError, RwLock};

use skydd_crypto::{Keyring, MasterKeyError};
use skydd_storage::Storage;
use skydd_vault::{Audit, Enforced, FactCache, Vault, VaultError};

use crate::services::App;

/// The vault, rebuilt with a new keyring when the key file gains a version.
pub(crate) struct Keys {
    current: RwLock<Current>,
    enforced: Arc<Enforced>,
    audit: Arc<dyn Audit>,
    /// The decision facts every vault built here keeps in memory: one cache, kept across key
    /// reloads (issue 19).
    facts: Arc<FactCache>,
    /// Held while the key file is reloaded, so that requests failing at once reload it once.
    reloading: tokio::sync::Mutex<()>,
}

/// A vault and the keyring it was built with.
#[derive(Clone)]
pub(crate) struct Current {
    pub(crate) keyring: Arc<Keyring>,
    pub(crate) vault: Vault,
}

impl Keys {
    /// The one place a vault is built: over `storage`, encrypting with `keyring`, enforcing
    /// `enforced`, auditing to `audit` and keeping its decision facts in `facts`.
    pub(crate) fn new(
        storage: Arc<dyn Storage>,
        keyring: Arc<Keyring>,
        enforced: Arc<Enforced>,
        audit: Arc<dyn Audit>,
        facts: Arc<FactCache>,
    ) -> Keys {
        let vault = Vault::new(storage, keyring.clone(), enforced.clone(), audit.clone())
            .with_fact_cache(facts.clone());
        Keys {
            current: RwLock::new(Current { keyring, vault }),
            enforced,
            audit,
            facts,
            reloading: tokio::sync::Mutex::new(()),
        }
    }

    /// The vault and keyring in use now.
    pub(crate) fn current(&self) -> Current {
        // A panic while the lock was held cannot leave a half-written pair: the value is
        // replaced in one assignment. So a poisoned lock is still good to read.
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The policy the vault enforces.
    pub(crate) fn enforced(&self) -> &Arc<Enforced> {
        &self.enforced
    }

    /// The decision facts kept in memory.
    pub(crate) fn facts(&self) -> &Arc<FactCache> {
        &self.facts
    }

    /// Where the vault's audit events go.
    pub(crate) fn audit(&self) -> &Arc<dyn Audit> {
        &self.audit
    }

    /// Use `keyring` from now on: a vault like the current one, encrypting with it.
    fn replace(&self, storage: Arc<dyn Storage>, keyring: Arc<Keyring>) {
        let vault = Vault::new(
            storage,
            keyring.clone(),
            self.enforced.clone(),
            self.audit.clone(),
        )
        .with_fact_cache(self.facts.clone());
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Current { keyring, vault };
    }
}

/// Why the key file could not be reloaded or rotated.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    /// The key file could not be read or written.
    #[error(transparent)]
    MasterKey(#[from] MasterKeyError),
    /// The key file holds another master key than the one the database is bound to.
    #[error("the key file {path} now holds a different master key; keeping the loaded one")]
    DifferentKey {
        /// The key file's path, as shown in the message.
        path: String,
    },
    /// The app was built without a key file ([`App::with_key_file`]), so it has none to
    /// rotate.
    #[error("no master key file is known to rotate")]
    NoKeyFile,
    /// The task reading the key file did not finish.
    #[error("reading the key file was interrupted")]
    Interrupted,
}

impl App {
    /// Load the key file again, if this app was given one and the file has a newer current
    /// version than `seen`, and use it from now on. Returns whether the vault in use now has a
    /// newer version than `seen` (loaded by this call or by a concurrent one).
    pub async fn reload_keys(&self, seen: u32) -> Result<bool, ReloadError> {
        let Some(path) = self.key_file() else {
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
        self.keys.replace(self.storage.clone(), Arc::new(loaded));
        tracing::info!(version, "loaded a new master key version from the key file");
        Ok(true)
    }

    /// Add a new master key version to the key file and make it the current one, here and
    /// (after their next reload) in servers on the same data. Older versions stay, so every
    /// data key still unwraps. Returns the new version.
    pub async fn add_key_version(&self) -> Result<u32, ReloadError> {
        let Some(path) = self.key_file() else {
            return Err(ReloadError::NoKeyFile);
        };
        let _reloading = self.keys.reloading.lock().await;
        crate::instance::remove_key_leftovers(path)?;
        let rotated = Keyring::rotate(path)?;
        let version = rotated.current_version();
        self.keys.replace(self.storage.clone(), Arc::new(rotated));
        Ok(version)
    }

    /// Re-wrap, `batch` at a time, every subject key wrapped with an older master key version
    /// than the current one, calling `progress` with the running total after each batch that
    /// re-wrapped some. Returns the total. No data is decrypted or rewritten, only keys.
    pub async fn rewrap_all(
        &self,
        batch: usize,
        mut progress: impl FnMut(usize),
    ) -> Result<usize, VaultError> {
        let vault = self.vault();
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
}

/// Read the key file off the async workers (it is small, but it is file I/O).
async fn load(path: Arc<Path>) -> Result<Keyring, ReloadError> {
    match tokio::task::spawn_blocking(move || Keyring::load(&path)).await {
        Ok(loaded) => Ok(loaded?),
        Err(_) => Err(ReloadError::Interrupted),
    }
}
