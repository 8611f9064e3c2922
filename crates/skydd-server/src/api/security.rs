//! `/v1/security/reviews`: the dated evaluations of the security measures (P003-42: "We are
//! regularly evaluating our security measures") and whether the register's cycle
//! (`security_review.every`) has one.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use skydd_vault::{NewSecurityReview, SecurityReviewView};
use utoipa::ToSchema;

use crate::auth::{Authorized, need};
use crate::extract::ApiJson;
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

/// A review to record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecurityReviewRequest {
    /// The day the security measures were evaluated (`YYYY-MM-DD`, not after today).
    #[schema(value_type = String, format = Date)]
    pub reviewed_on: Date,
    /// What the review found and decided, in words (at most 4,000 characters).
    #[schema(max_length = 4000)]
    pub summary: String,
}

/// A recorded review.
#[derive(Debug, Serialize, ToSchema)]
pub struct SecurityReviewResponse {
    /// The day it was held.
    #[schema(value_type = String, format = Date)]
    pub reviewed_on: Date,
    /// When it was recorded.
    #[schema(value_type = String, format = DateTime)]
    pub recorded_at: jiff::Timestamp,
    /// The staff account or token that recorded it.
    pub recorded_by: String,
    /// What it found.
    pub summary: String,
}

impl From<SecurityReviewView> for SecurityReviewResponse {
    fn from(view: SecurityReviewView) -> Self {
        SecurityReviewResponse {
            reviewed_on: view.reviewed_on,
            recorded_at: view.recorded_at,
            recorded_by: view.recorded_by,
            summary: view.summary,
        }
    }
}

/// The reviews and where the cycle stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct SecurityReviewsResponse {
    /// The register's cycle (`12 months`); `null` when it sets none.
    pub every: Option<String>,
    /// The latest review's day; `null` when none is recorded.
    #[schema(value_type = Option<String>, format = Date)]
    pub last: Option<Date>,
    /// The last day the next review is due; `null` when none is recorded or no cycle is set.
    #[schema(value_type = Option<String>, format = Date)]
    pub due: Option<Date>,
    /// Whether no review falls within the cycle (none recorded, or past `due`); `null` when
    /// the register sets no cycle.
    pub overdue: Option<bool>,
    /// Every review, in the order recorded.
    pub reviews: Vec<SecurityReviewResponse>,
}

/// Record a review of the security measures, audited as `security.review` with its date.
#[utoipa::path(
    post,
    path = "/v1/security/reviews",
    tag = "security",
    security(("bearer" = [])),
    request_body = SecurityReviewRequest,
    responses(
        (status = 201, description = "The review is recorded and audited.",
            body = SecurityReviewResponse),
        (status = 422, description = "A day after today or before 25 May 2018, an empty or too \
            long summary, or one with control characters.", body = Problem,
            content_type = "application/problem+json"),
        (status = 401, description = "No valid API token.", body = Problem,
            content_type = "application/problem+json"),
        (status = 403, description = "The caller does not hold `incidents_write`.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn record_review(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<need::IncidentsWrite>,
    ApiJson(body): ApiJson<SecurityReviewRequest>,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let view = state
        .vault()
        .record_security_review(
            &caller.actor,
            NewSecurityReview {
                reviewed_on: body.reviewed_on,
                summary: body.summary,
            },
            now,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(SecurityReviewResponse::from(view)),
    )
        .into_response())
}

/// The reviews of the security measures recorded, and whether the register's cycle has one.
#[utoipa::path(
    get,
    path = "/v1/security/reviews",
    tag = "security",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The cycle, where it stands today, and every review.",
            body = SecurityReviewsResponse),
        (status = 401, description = "No valid API token.", body = Problem,
            content_type = "application/problem+json"),
        (status = 403, description = "The caller does not hold `register_read`.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn list_reviews(
    State(state): State<AppState>,
    Authorized(_caller, _): Authorized<need::RegisterRead>,
) -> Result<Json<SecurityReviewsResponse>, ApiError> {
    let now = state.clock.now();
    let reviews = state.vault().security_reviews(now).await?;
    Ok(Json(SecurityReviewsResponse {
        every: reviews.every.map(|every| every.to_string()),
        last: reviews.status.and_then(|s| s.last),
        due: reviews.status.and_then(|s| s.due),
        overdue: reviews.status.map(|s| s.overdue),
        reviews: reviews
            .reviews
            .into_iter()
            .map(SecurityReviewResponse::from)
            .collect(),
    }))
}
