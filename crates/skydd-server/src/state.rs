//! The state every request handler shares: storage, the loaded register, the vault and the clock.
//!
//! The vault is held behind a lock so that a running server can load a master key version that
//! `skydd key rotate` added after it started (see [`crate::keys`]): handlers take a
//! [`Vault`] with [`AppState::vault`] at the start of a request and keep it for the request.

use std::path::Path;
use std::sync::{Arc, PoisonError, RwLock};

use skydd_crypto::Keyring;
use skydd_storage::Storage;
use skydd_vault::{Audit, Enforced, StorageAudit, Vault};

use crate::clock::Clock;
use crate::register::LoadedRegister;

/// What handlers share. Cheap to clone: every field is an `Arc`.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub storage: Arc<dyn Storage>,
    /// The register this server enforces.
    pub register: Arc<LoadedRegister>,
    /// The source of `now` for everything the server does.
    pub clock: Arc<dyn Clock>,
    /// The vault and the keyring it encrypts with.
    pub(crate) keys: Arc<Keys>,
    /// The master key file to reload when a data key names a version this server has not
    /// loaded; `None`: never reload.
    pub(crate) key_file: Option<Arc<Path>>,
}

/// The vault, rebuilt with a new keyring when the key file gains a version.
pub(crate) struct Keys {
    pub(crate) current: RwLock<Current>,
    pub(crate) enforced: Arc<Enforced>,
    pub(crate) audit: Arc<dyn Audit>,
    /// Held while the key file is reloaded, so that requests failing at once reload it once.
    pub(crate) reloading: tokio::sync::Mutex<()>,
}

/// A vault and the keyring it was built with.
#[derive(Clone)]
pub(crate) struct Current {
    pub(crate) keyring: Arc<Keyring>,
    pub(crate) vault: Vault,
}

impl Keys {
    fn new(
        storage: Arc<dyn Storage>,
        keyring: Arc<Keyring>,
        enforced: Arc<Enforced>,
        audit: Arc<dyn Audit>,
    ) -> Keys {
        let vault = Vault::new(storage, keyring.clone(), enforced.clone(), audit.clone());
        Keys {
            current: RwLock::new(Current { keyring, vault }),
            enforced,
            audit,
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
}

impl AppState {
    /// Bundle the parts of a running server. The vault enforces `register`, encrypts with
    /// `keyring` and audits into `storage`.
    pub fn new(
        storage: Arc<dyn Storage>,
        keyring: Arc<Keyring>,
        register: LoadedRegister,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let enforced = Arc::new(Enforced::new(register.register.clone()));
        let audit: Arc<dyn Audit> = Arc::new(StorageAudit::new(storage.clone()));
        let keys = Keys::new(storage.clone(), keyring, enforced, audit);
        Self {
            storage,
            register: Arc::new(register),
            clock,
            keys: Arc::new(keys),
            key_file: None,
        }
    }

    /// Reload the master key file at `path` when a request meets a data key wrapped with a
    /// version this server has not loaded (`skydd key rotate` ran while it was serving), and
    /// run that request again. Without this, such requests fail until the server is restarted.
    pub fn with_key_file(mut self, path: &Path) -> Self {
        self.key_file = Some(Arc::from(path));
        self
    }

    /// The same state with the vault auditing to `audit` (`skydd serve` uses group commit;
    /// benchmarks can measure without auditing).
    pub fn with_audit(mut self, audit: Arc<dyn Audit>) -> Self {
        let Current { keyring, .. } = self.keys.current();
        let enforced = self.keys.enforced.clone();
        self.keys = Arc::new(Keys::new(self.storage.clone(), keyring, enforced, audit));
        self
    }

    /// Subjects, records, consents and decisions: the only way to personal data. Take it once
    /// per request.
    pub fn vault(&self) -> Vault {
        self.keys
            .current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .vault
            .clone()
    }

    /// The master key version new data keys are wrapped with by this server.
    pub fn key_version(&self) -> u32 {
        self.keys.current().keyring.current_version()
    }
}
