//! The state every request handler shares: the application's services ([`App`]).
//!
//! Handlers take a [`Vault`](skydd_vault::Vault) with [`App::vault`] at the start of a request
//! and keep it for the request, so that a keyring reloaded after `skydd key rotate` (see
//! [`crate::key_reload`]) is used from the next request on.

use std::ops::Deref;

use skydd_app::App;

/// What handlers share: the app's services, reached through `Deref` (`state.vault()`,
/// `state.clock`, `state.register`). Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    app: App,
}

impl AppState {
    /// Serve `app`'s services over HTTP.
    pub fn new(app: App) -> AppState {
        AppState { app }
    }

    /// The services behind this state.
    pub fn app(&self) -> &App {
        &self.app
    }
}

impl From<App> for AppState {
    fn from(app: App) -> AppState {
        AppState::new(app)
    }
}

impl Deref for AppState {
    type Target = App;

    fn deref(&self) -> &App {
        &self.app
    }
}
