//! The state every request handler shares: storage, the loaded register, the vault and the clock.

use std::sync::Arc;

use skydd_crypto::Keyring;
use skydd_storage::Storage;
use skydd_vault::{Enforced, StorageAudit, Vault};

use crate::clock::Clock;
use crate::register::LoadedRegister;

/// What handlers share. Cheap to clone: every field is an `Arc` (the vault is one too).
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub storage: Arc<dyn Storage>,
    /// The register this server enforces.
    pub register: Arc<LoadedRegister>,
    /// Subjects, records, consents and decisions: the only way to personal data.
    pub vault: Vault,
    /// The source of `now` for everything the server does.
    pub clock: Arc<dyn Clock>,
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
        let vault = Vault::new(
            storage.clone(),
            keyring,
            Arc::new(Enforced::new(register.register.clone())),
            Arc::new(StorageAudit::new(storage.clone())),
        );
        Self {
            storage,
            register: Arc::new(register),
            vault,
            clock,
        }
    }
}
