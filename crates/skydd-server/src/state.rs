//! The state every request handler shares: the application's services ([`App`]).
//!
//! Handlers take a [`Vault`](skydd_vault::Vault) with [`App::vault`] at the start of a request
//! and keep it for the request, so that a keyring reloaded after `skydd key rotate` (see
//! [`crate::key_reload`]) is used from the next request on.

use std::ops::Deref;
use std::sync::Arc;
use std::time::Instant;

use skydd_app::App;
use skydd_app::operations::Operations;

use crate::forwarded::TrustedProxies;
use crate::limit::{PublicLimits, SignInLimits};
use crate::listen::Timeouts;
use crate::metrics::Metrics;

/// What handlers share: the app's services, reached through `Deref` (`state.vault()`,
/// `state.clock`, `state.register`), and the server's metrics. Cheap to clone: one reference
/// count, as every request clones it several times (each middleware and handler takes its own
/// copy; cloning the services field by field cost about a tenth of a decision's CPU, issue 19).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// The state behind [`AppState`]'s reference count.
#[derive(Clone)]
struct Shared {
    app: App,
    metrics: Arc<Metrics>,
    metrics_public: bool,
    /// The abuse limits of the console's sign-in forms, per address and per account.
    sign_in_limits: Arc<SignInLimits>,
    public_limits: Arc<PublicLimits>,
    /// The reverse proxies whose `X-Forwarded-For` names the client.
    trusted_proxies: Arc<TrustedProxies>,
    /// How long a client may take to send a request's head and body.
    timeouts: Timeouts,
    /// The last read of the instance's state for `/metrics` and when it finished; held while
    /// a scrape reads, so concurrent scrapes share one read ([`AppState::scrape_operations`]).
    last_scrape: Arc<tokio::sync::Mutex<Option<LastScrape>>>,
}

/// When a scrape's read of the instance's state finished, and what it read (`None`: the
/// database could not be read).
type LastScrape = (Instant, Option<Operations>);

impl AppState {
    /// Serve `app`'s services over HTTP, with `/metrics` behind a token.
    pub fn new(app: App) -> AppState {
        AppState(Arc::new(Shared {
            app,
            metrics: Arc::new(Metrics::default()),
            metrics_public: false,
            sign_in_limits: Arc::default(),
            public_limits: Arc::default(),
            trusted_proxies: Arc::default(),
            timeouts: Timeouts::default(),
            last_scrape: Arc::default(),
        }))
    }

    /// The state to change while building it (a copy if it was already shared).
    fn building(&mut self) -> &mut Shared {
        Arc::make_mut(&mut self.0)
    }

    /// The same state with `/metrics` readable without a token when `public` (`skydd serve
    /// --metrics-public`, for a scraper on a private network).
    pub fn with_public_metrics(mut self, public: bool) -> AppState {
        self.building().metrics_public = public;
        self
    }

    /// The same state with `limits` on the public routes instead of the defaults (`skydd
    /// serve --rate-limit-scale`).
    pub fn with_public_limits(mut self, limits: PublicLimits) -> AppState {
        self.building().public_limits = Arc::new(limits);
        self
    }

    /// The same state believing `X-Forwarded-For` from `proxies` (`skydd serve
    /// --trusted-proxy`).
    pub fn with_trusted_proxies(mut self, proxies: TrustedProxies) -> AppState {
        self.building().trusted_proxies = Arc::new(proxies);
        self
    }

    /// The same state with `timeouts` for reading requests (`skydd serve --header-timeout`,
    /// `--body-timeout`); [`crate::serve`] applies them.
    pub fn with_timeouts(mut self, timeouts: Timeouts) -> AppState {
        self.building().timeouts = timeouts;
        self
    }

    /// The reverse proxies whose `X-Forwarded-For` names the client.
    pub fn trusted_proxies(&self) -> &TrustedProxies {
        &self.0.trusted_proxies
    }

    /// How long a client may take to send a request's head and body.
    pub fn timeouts(&self) -> Timeouts {
        self.0.timeouts
    }

    /// What this server counted (requests, decisions), shared by every request.
    pub fn metrics(&self) -> &Metrics {
        &self.0.metrics
    }

    /// Whether `/metrics` is served without a token.
    pub fn metrics_public(&self) -> bool {
        self.0.metrics_public
    }

    /// The instance's state for a scrape of `/metrics` (`None` when the database could not be
    /// read; the failure is logged). Scrapes read one at a time, and a scrape that waited for
    /// another one's read takes its result: a flood of concurrent scrapes (an open `/metrics`
    /// under a loop of calls) costs the database one read at a time, while a scrape that comes
    /// after the last read finished always reads afresh.
    pub async fn scrape_operations(&self) -> Option<Operations> {
        let asked = Instant::now();
        let mut last = self.0.last_scrape.lock().await;
        if let Some((finished, operations)) = &*last
            && *finished >= asked
        {
            return operations.clone();
        }
        let operations = match self.0.app.operations(self.0.app.clock.now()).await {
            Ok(operations) => Some(operations),
            Err(error) => {
                crate::problem::ApiError::from(error).log();
                None
            }
        };
        *last = Some((Instant::now(), operations.clone()));
        operations
    }

    /// The abuse limits of the console's sign-in forms, shared by every request.
    pub fn sign_in_limits(&self) -> &SignInLimits {
        &self.0.sign_in_limits
    }

    /// The abuse limits of the public routes (intake, verification, the privacy centre, the
    /// banner log, unsubscribe, single sign-on), shared by every handler.
    pub fn public_limits(&self) -> &PublicLimits {
        &self.0.public_limits
    }

    /// The services behind this state.
    pub fn app(&self) -> &App {
        &self.0.app
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
        &self.0.app
    }
}
