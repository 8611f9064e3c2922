//! The HTTP endpoints, one module per resource, and the fallbacks for unknown routes and methods.

pub mod agreements;
pub mod attributes;
pub mod audit;
pub mod banner;
pub mod consents;
pub mod datasets;
pub mod decisions;
pub mod disclosures;
pub mod features;
pub mod health;
pub mod imports;
pub mod incidents;
pub mod metrics;
pub mod notice;
pub mod openapi;
pub mod preferences;
pub mod records;
pub mod register;
pub mod requests;
pub mod security;
pub mod signals;
pub mod subjects;
pub mod unsubscribe;
pub mod versions;

use crate::problem::ApiError;

/// Fallback for paths no route matches: a 404 problem.
pub(crate) async fn not_found() -> ApiError {
    ApiError::NotFound
}

/// Fallback for a known path with a method it does not support: a 405 problem (axum adds the
/// `Allow` header).
pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
