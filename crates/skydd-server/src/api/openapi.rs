//! `GET /openapi.json`: the OpenAPI document, generated from the handlers' annotations.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::api::{health, register};
use crate::problem::Problem;

/// The API description. Every `/v1` operation requires the `bearer` security scheme.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Skydd API",
        description = "Privacy operations: the register of processing, and (later) subjects, consent, \
                       requests and audit. Errors are RFC 9457 problem documents."
    ),
    paths(health::healthz, register::get_register),
    components(schemas(Problem, health::Health, register::RegisterResponse)),
    modifiers(&BearerScheme),
    tags(
        (name = "health", description = "Liveness and readiness."),
        (name = "register", description = "The register of processing (GDPR Art. 30)."),
    )
)]
pub struct ApiDoc;

/// Adds the `bearer` security scheme: `Authorization: Bearer TOKEN` with a token from
/// `skydd token create`.
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API token from `skydd token create`."))
                    .build(),
            ),
        );
    }
}

/// Serve the OpenAPI document.
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
