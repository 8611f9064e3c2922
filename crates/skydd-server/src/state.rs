//! The state every request handler shares: storage, the loaded register and the clock.

use std::sync::Arc;

use skydd_storage::Storage;

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
}

impl AppState {
    /// Bundle the parts of a running server.
    pub fn new(storage: Arc<dyn Storage>, register: LoadedRegister, clock: Arc<dyn Clock>) -> Self {
        Self {
            storage,
            register: Arc::new(register),
            clock,
        }
    }
}
