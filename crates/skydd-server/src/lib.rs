//! Skydd's HTTP server: the JSON API, its OpenAPI document, problem+json errors and bearer-token
//! authentication, over the services of [`skydd_app::App`].
//!
//! Only this crate knows HTTP, and it knows nothing else: opening an instance, tokens, keys, the
//! register's versions and every background job live in `skydd-app`. Handlers are thin: they
//! take an authenticated [`Caller`], call the vault (subjects, records, consents, decisions),
//! the register or storage, and render JSON.
//! Every error a handler can meet is an [`ApiError`], and [`ApiError`] is the one place that
//! turns errors into responses: the client sees an RFC 9457 problem document, never an internal
//! message or personal data.
//!
//! Outside `/v1`, the one-click unsubscribe link (`/unsubscribe`) serves small HTML pages
//! without a token: the link's signature is the authority. The privacy notice (`/privacy`) and
//! its version history (`/privacy/versions`, from the versions recorded in
//! [`skydd_app::history`]) are public too: they are written from the register and hold no
//! personal data.
//!
//! ```no_run
//! # async fn run(state: skydd_server::AppState) -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! skydd_server::serve(listener, state, async {
//!     let _ = tokio::signal::ctrl_c().await;
//! })
//! .await
//! # }
//! ```
//!
//! [`Caller`]: auth::Caller

mod access_log;
pub mod api;
pub mod auth;
mod banner_assets;
mod centre;
mod console;
mod cors;
pub mod extract;
pub mod forwarded;
pub mod key_reload;
pub mod limit;
pub mod listen;
pub mod metrics;
mod page;
pub mod problem;
pub mod state;

use std::future::Future;
use std::io;

use axum::Router;
use axum::middleware;
use axum::routing::{get, post, put};
use tokio::net::TcpListener;

pub use problem::ApiError;
pub use state::AppState;

/// The complete application: every route, the authentication on `/v1`, the 404 and 405
/// problem responses and the access log.
pub fn router(state: AppState) -> Router {
    use api::{
        agreements, attributes, consents, decisions, disclosures, features, incidents, preferences,
        records, signals, subjects, unsubscribe,
    };
    let v1 = Router::new()
        .route("/v1/register", get(api::register::get_register))
        .route("/v1/register/record", get(api::notice::get_record))
        .route("/v1/datasets", get(api::datasets::list_datasets))
        .route("/v1/datasets/{name}", get(api::datasets::get_dataset))
        .route(
            "/v1/subjects",
            post(subjects::create_subject).get(subjects::find_subject),
        )
        .route("/v1/subjects/{id}", get(subjects::get_subject))
        .route(
            "/v1/subjects/{id}/attributes",
            get(attributes::get_attributes),
        )
        .route(
            "/v1/tenants/{tenant}/agreements",
            post(agreements::record_agreement).get(agreements::list_agreements),
        )
        .route(
            "/v1/subjects/{id}/attributes/{attribute}",
            put(attributes::set_attribute).delete(attributes::remove_attribute),
        )
        .route(
            "/v1/subjects/{id}/records",
            post(records::create_record).get(records::read_records),
        )
        .route(
            "/v1/subjects/{id}/records/{record}/anchors/{event}",
            put(records::set_anchor),
        )
        .route("/v1/subjects/{id}/consents", get(consents::get_consents))
        .route(
            "/v1/subjects/{id}/preferences/{kind}/{name}",
            put(preferences::set_preference),
        )
        .route(
            "/v1/subjects/{id}/unsubscribe-link",
            get(preferences::unsubscribe_link),
        )
        .route(
            "/v1/subjects/{id}/objections",
            post(consents::record_objection),
        )
        .route("/v1/consents", post(consents::record_consent))
        .route("/v1/signals", post(signals::record_signals))
        .route(
            "/v1/decisions",
            get(decisions::decide).post(decisions::decide_many),
        )
        .route("/v1/audit", get(api::audit::list_audit))
        .route(
            "/v1/organisations/{org}/features/{feature}",
            put(features::switch_organisation_feature).get(features::get_organisation_feature),
        )
        .route(
            "/v1/organisations/{org}/projects/{project}/features/{feature}",
            put(features::switch_project_feature).get(features::get_project_feature),
        )
        .route(
            "/v1/security/reviews",
            post(api::security::record_review).get(api::security::list_reviews),
        )
        .route(
            "/v1/incidents",
            post(incidents::report_incident).get(incidents::list_incidents),
        )
        .route("/v1/incidents/{id}", get(incidents::get_incident))
        .route(
            "/v1/incidents/{id}/notifications",
            post(incidents::notify_authority),
        )
        .route(
            "/v1/incidents/{id}/no-notification",
            post(incidents::no_notification),
        )
        .route("/v1/incidents/{id}/assessments", post(incidents::reassess))
        .route(
            "/v1/incidents/{id}/communications",
            post(incidents::inform_subjects),
        )
        .route(
            "/v1/incidents/{id}/communication-exemption",
            post(incidents::communication_exemption),
        )
        .route("/v1/incidents/{id}/close", post(incidents::close_incident))
        .route(
            "/v1/disclosures",
            post(disclosures::disclose).get(disclosures::list_disclosures),
        )
        // A browser's banner choices; the public POST of the same path is in `website`.
        .route(api::banner::LOG_PATH, get(api::banner::list_choices))
        // Layers run outside in: authentication first, then the key reload.
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            key_reload::reload_and_retry,
        ))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_token,
        ));

    // Bulk imports (issue 19): the body is streamed into the vault, so it is not kept for the
    // key reload's second run (a failed import is continued by the client with the same key),
    // and it has its own limit (`api::imports::MAX_IMPORT_BYTES`) instead of axum's default.
    let imports = Router::new()
        .route("/v1/imports", post(api::imports::import))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_token,
        ));

    // Data-subject requests: intake, verification and documents are public, the rest needs a
    // token. Every route takes a token when one is sent, and the key reload.
    let requests = {
        use api::requests as r;
        let shared = |routes: Router<AppState>| {
            routes
                .route_layer(middleware::from_fn_with_state(
                    state.clone(),
                    key_reload::reload_and_retry,
                ))
                .route_layer(middleware::from_fn_with_state(
                    state.clone(),
                    auth::optional_token,
                ))
        };
        let staff = Router::new()
            .route("/v1/requests", get(r::list_requests))
            .route("/v1/requests/{id}", get(r::get_request))
            .route(
                "/v1/requests/{id}/documents",
                // Identity documents are up to 10 MiB.
                post(r::upload_document).layer(axum::extract::DefaultBodyLimit::max(
                    skydd_vault::MAX_DOCUMENT_BYTES + 64 * 1024,
                )),
            )
            .route("/v1/requests/{id}/extend", post(r::extend_request))
            .route("/v1/requests/{id}/identity", post(r::confirm_identity))
            .route("/v1/requests/{id}/fulfil", post(r::fulfil_request))
            .route("/v1/requests/{id}/reject", post(r::reject_request))
            .route("/v1/requests/{id}/assign", post(r::assign_request))
            .route("/v1/requests/{id}/package", get(r::get_package))
            .route("/v1/requests/{id}/erasure-plan", get(r::erasure_plan));
        // Intake and its verification: a company's website calls them from the browser.
        let website = Router::new()
            .route("/v1/requests", post(r::submit_request))
            .route("/v1/requests/{id}/verify", post(r::verify_request));
        shared(staff).merge(cors::website(shared(website), &state))
    };

    // The routes a company's website calls from the browser (issue 18): public, no token;
    // CORS for the allowed origins on this group (and on intake), nowhere else.
    let website = cors::website(
        Router::new()
            .route("/v1/banner/config", get(api::banner::config))
            .route(
                api::banner::LOG_PATH,
                post(api::banner::log_choice).layer(axum::extract::DefaultBodyLimit::max(
                    api::banner::MAX_CHOICE_BYTES,
                )),
            ),
        &state,
    );

    Router::new()
        .route("/healthz", get(api::health::healthz))
        .route("/readyz", get(api::health::readyz))
        .route("/openapi.json", get(api::openapi::openapi_json))
        // A token with the permission `metrics_read`, unless `--metrics-public`.
        .route("/metrics", get(api::metrics::metrics))
        // Public: the signed token is the authority.
        .route(
            api::unsubscribe::UNSUBSCRIBE_PATH,
            get(unsubscribe::show).post(unsubscribe::unsubscribe),
        )
        // Public: the privacy notice written from the register.
        .route(api::notice::PRIVACY_PATH, get(api::notice::privacy))
        // Public: every version of the notice, and each archived version (P000-68, P001-04).
        .route("/privacy/versions", get(api::versions::versions))
        .route("/privacy/versions/{version}", get(api::versions::version))
        // Public: the consent banner a company's website loads (issue 18).
        .route(banner_assets::SCRIPT_PATH, get(banner_assets::script))
        .route(
            banner_assets::STYLESHEET_PATH,
            get(banner_assets::stylesheet),
        )
        .merge(v1)
        .merge(imports)
        .merge(requests)
        .merge(website)
        // The privacy team's console (issue 17): pages behind a staff session.
        .merge(console::router())
        // The privacy centre (issue 18): data subjects' pages, behind a code or a magic link.
        .merge(centre::router(state.clone()))
        .fallback(api::not_found)
        // Must come after every route: it is set on the routes registered so far.
        .method_not_allowed_fallback(api::method_not_allowed)
        // The client's address, once, for every route (behind a trusted proxy, the one it names).
        .layer(middleware::from_fn_with_state(
            state.clone(),
            forwarded::resolve_client,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            access_log::log_request,
        ))
        .with_state(state)
}

/// Serve the application on `listener` until `shutdown` completes, then finish the requests in
/// flight and return. Handlers see the peer's address (for the audit trail and consent proof);
/// a client slower than the state's [`listen::Timeouts`] is cut off.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let address = listener.local_addr()?;
    tracing::info!("listening on {address}");
    let timeouts = state.timeouts();
    listen::serve(listener, router(state), timeouts, shutdown).await?;
    tracing::info!("server stopped");
    Ok(())
}
