//! The state every request handler shares: the application's services ([`App`]).
//!
//! Handlers take a [`Vault`](skydd_vault::Vault) with [`App::vault`] at the start of a request
//! and keep it for the request, so that a keyring reloaded after `skydd key rotate` (see
//! [`crate::key_reload`]) is used from the next request on.

use std::ops::Deref;
use std::sync::Arc;

use skydd_app::App;

use crate::metrics::Metrics;

/// What handlers share: the app's services, reached through `Deref` (`state.vault()`,
/// `state.clock`, `state.register`), and the server's metrics. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    app: App,
    metrics: Arc<Metrics>,
    metrics_public: bool,
}

impl AppState {
    /// Serve `app`'s services over HTTP, with `/metrics` behind a token.
    pub fn new(app: App) -> AppState {
        AppState {
            app,
            metrics: Arc::new(Metrics::default()),
            metrics_public: false,
        }
    }

    /// The same state with `/metrics` readable without a token when `public` (`skydd serve
    /// --metrics-public`, for a scraper on a private network).
    pub fn with_public_metrics(mut self, public: bool) -> AppState {
        self.metrics_public = public;
        self
    }

    /// What this server counted (requests, decisions), shared by every request.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Whether `/metrics` is served without a token.
    pub fn metrics_public(&self) -> bool {
        self.metrics_public
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
