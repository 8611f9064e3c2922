//! `/v1/subjects`: data subjects, created with their identities and found by any one of them.
//!
//! Identity values go into the vault (normalised, blind-indexed, encrypted) and never come back
//! out: a subject is shown with the kinds of identity it has, not their values.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use skydd_vault::{NewSubject, SubjectView};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Authorized, need};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

/// A subject's identities, at most one per kind. Values are normalised before they are
/// indexed: e-mail addresses lower-cased, phone numbers to E.164, personnummer to 12 digits.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Identities {
    /// An e-mail address.
    #[schema(min_length = 1, example = "a@example.se")]
    pub email: Option<String>,
    /// A phone number (E.164, or national in Sweden).
    #[schema(min_length = 1, example = "+46701234567")]
    pub phone: Option<String>,
    /// A Swedish personnummer or samordningsnummer.
    #[schema(min_length = 1)]
    pub personnummer: Option<String>,
    /// The company's own customer number.
    #[schema(min_length = 1)]
    pub customer_number: Option<String>,
    /// The subject's id in another system.
    #[schema(min_length = 1)]
    pub external_id: Option<String>,
}

impl Identities {
    /// The identities given, as (kind, value) pairs.
    fn into_pairs(self) -> Vec<(String, String)> {
        [
            ("email", self.email),
            ("phone", self.phone),
            ("personnummer", self.personnummer),
            ("customer_number", self.customer_number),
            ("external_id", self.external_id),
        ]
        .into_iter()
        .filter_map(|(kind, value)| value.map(|value| (kind.to_owned(), value)))
        .collect()
    }
}

/// The body of `POST /v1/subjects`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSubjectRequest {
    /// At least one identity.
    pub identities: Identities,
    /// The customer on whose behalf the subject's data is processed (processor mode); `null`
    /// for the controller's own subjects.
    #[serde(default)]
    #[schema(example = json!(null))]
    pub tenant: Option<String>,
}

/// The id of something just created.
#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    /// Its id: 32 lowercase hex digits.
    #[schema(example = "3f2a9c0e5b7d4e1f8a6b2c9d0e1f2a3b")]
    pub id: String,
}

/// A subject: ids and kinds only, never an identity's value.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubjectResponse {
    /// The subject's id: 32 lowercase hex digits, random, revealing nothing about them.
    #[schema(example = "3f2a9c0e5b7d4e1f8a6b2c9d0e1f2a3b")]
    pub id: String,
    /// The tenant, when processed on a customer's behalf.
    pub tenant: Option<String>,
    /// When the subject was created.
    #[schema(value_type = String, format = DateTime, example = "2026-03-01T09:00:00Z")]
    pub created_at: jiff::Timestamp,
    /// Whether processing is restricted (Art. 18): only storage is allowed.
    pub restricted: bool,
    /// The kinds of identity the subject has.
    #[schema(example = json!(["email", "phone"]))]
    pub identity_kinds: Vec<String>,
}

impl From<SubjectView> for SubjectResponse {
    fn from(view: SubjectView) -> Self {
        SubjectResponse {
            id: view.id,
            tenant: view.tenant,
            created_at: view.created_at,
            restricted: view.restricted,
            identity_kinds: view.identity_kinds,
        }
    }
}

/// The query of `GET /v1/subjects`: exactly one identity, and optionally the tenant.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FindSubjectQuery {
    /// Find by e-mail address (matched in normal form: `A@Example.SE` finds `a@example.se`).
    #[param(min_length = 1)]
    pub email: Option<String>,
    /// Find by phone number.
    #[param(min_length = 1)]
    pub phone: Option<String>,
    /// Find by personnummer or samordningsnummer.
    #[param(min_length = 1)]
    pub personnummer: Option<String>,
    /// Find by customer number.
    #[param(min_length = 1)]
    pub customer_number: Option<String>,
    /// Find by external id.
    #[param(min_length = 1)]
    pub external_id: Option<String>,
    /// The tenant to look in (default: the controller's own subjects).
    #[param(min_length = 1)]
    pub tenant: Option<String>,
}

/// `201 Created` with a `Location` and the new id.
pub(crate) fn created(location: String, id: String) -> Response {
    (
        StatusCode::CREATED,
        [(LOCATION, location)],
        Json(Created { id }),
    )
        .into_response()
}

/// Create a subject with its identities.
#[utoipa::path(
    post,
    path = "/v1/subjects",
    tag = "subjects",
    security(("bearer" = [])),
    request_body = CreateSubjectRequest,
    responses(
        (status = 201, description = "The subject was created; `Location` is its URL.", body = Created),
        (status = 422, description = "No identity, or one that is not valid.",
            body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid API token.", body = Problem,
            content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not create subjects.", body = Problem,
            content_type = "application/problem+json"),
        (status = 409, description = "Another subject already has one of these identities; the \
            problem names the kind.", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_subject(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<need::SubjectsCreate>,
    ApiJson(body): ApiJson<CreateSubjectRequest>,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let new = NewSubject {
        identities: body.identities.into_pairs(),
        tenant: body.tenant,
    };
    let id = state
        .vault()
        .create_subject(&caller.actor, new, now)
        .await?
        .to_string();
    Ok(created(format!("/v1/subjects/{id}"), id))
}

/// Find the subject with an identity, without decrypting anything (through the blind index).
#[utoipa::path(
    get,
    path = "/v1/subjects",
    tag = "subjects",
    security(("bearer" = [])),
    params(FindSubjectQuery),
    responses(
        (status = 200, description = "The subject with this identity.", body = SubjectResponse),
        (status = 422, description = "Not exactly one identity parameter, or one that is not \
            valid.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid API token.", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "No subject has this identity.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn find_subject(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<need::SubjectsRead>,
    ApiQuery(query): ApiQuery<FindSubjectQuery>,
) -> Result<Json<SubjectResponse>, ApiError> {
    let now = state.clock.now();
    let tenant = query.tenant.clone();
    let mut identities = Identities {
        email: query.email,
        phone: query.phone,
        personnummer: query.personnummer,
        customer_number: query.customer_number,
        external_id: query.external_id,
    }
    .into_pairs();
    let (kind, value) = match (identities.pop(), identities.is_empty()) {
        (Some(identity), true) => identity,
        _ => {
            return Err(ApiError::invalid(
                "not exactly one identity parameter",
                "give exactly one of `email`, `phone`, `personnummer`, `customer_number` or \
                 `external_id`",
            ));
        }
    };
    let view = state
        .vault()
        .find_subject(&caller.actor, tenant.as_deref(), &kind, &value, now)
        .await?
        .ok_or(skydd_vault::VaultError::UnknownSubject)?;
    Ok(Json(view.into()))
}

/// A subject by id.
#[utoipa::path(
    get,
    path = "/v1/subjects/{id}",
    tag = "subjects",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The subject's id.")),
    responses(
        (status = 200, description = "The subject.", body = SubjectResponse),
        (status = 401, description = "No valid API token.", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "No such subject.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn get_subject(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<need::SubjectsRead>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<SubjectResponse>, ApiError> {
    let view = state.vault().subject(&caller.actor, &id).await?;
    Ok(Json(view.into()))
}
