//! Marketing preferences: `PUT /v1/subjects/{id}/preferences/{kind}/{name}` opts a subject in or
//! out of a channel (`email`, `sms` ...) or an interest area, and
//! `GET /v1/subjects/{id}/unsubscribe-link?channel=C` gives the signed link a mailer puts in a
//! marketing message. The link itself is served by [`crate::api::unsubscribe`], without login.
//!
//! Opting out of a channel stops direct marketing on it (`channel_opted_out` in decisions);
//! administrative messages (about the account, orders, invoices) are a purpose of their own and
//! are not affected.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::unsubscribe::UNSUBSCRIBE_PATH;
use crate::auth::{Authorized, need};
use crate::extract::{ApiJson, ApiPath, ApiQuery, RegisterId};
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

/// The body of `PUT /v1/subjects/{id}/preferences/{kind}/{name}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferenceRequest {
    /// `true` opts in, `false` opts out.
    pub opted_in: bool,
}

/// A preference as recorded.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreferenceResponse {
    /// `channel` or `interest`.
    #[schema(example = "channel")]
    pub kind: String,
    /// The channel (`email`, `sms`, `phone`, `post`, `push`, `in_app`) or interest area.
    #[schema(example = "email")]
    pub name: String,
    /// `true` when opted in, `false` when opted out.
    pub opted_in: bool,
}

/// The kinds of preference, the `{kind}` of a preference's path (for the OpenAPI document; the
/// handler reads the word).
#[derive(ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PreferenceKind {
    /// A marketing channel (`email`, `sms` ...).
    Channel,
    /// An interest area.
    Interest,
}

/// The query of `GET /v1/subjects/{id}/unsubscribe-link`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UnsubscribeLinkQuery {
    /// The channel the message goes out on: `email`, `sms`, `phone`, `post`, `push`, `in_app`.
    #[param(value_type = String, pattern = "^[a-z][a-z0-9_]{0,63}$", example = "email")]
    pub channel: RegisterId,
}

/// A signed unsubscribe link. It holds the subject's id and the channel, no personal data, and
/// does not expire.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "token": "3f2a9c0e5b7d4e1f8a6b2c9d0e1f2a3b.email.6d1c...",
    "path": "/unsubscribe?token=3f2a9c0e5b7d4e1f8a6b2c9d0e1f2a3b.email.6d1c..."
}))]
pub struct UnsubscribeLinkResponse {
    /// The signed token.
    pub token: String,
    /// The link's path on this server: put `https://HOST` in front of it.
    pub path: String,
}

/// Whether `name` can name a preference: lower snake case (`a`-`z`, `0`-`9`, `_`), at most 64
/// characters. Checked here so that a value sent in the wrong place is refused without being
/// repeated.
fn is_preference_word(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Opt a subject in or out of a marketing channel or an interest area.
#[utoipa::path(
    put,
    path = "/v1/subjects/{id}/preferences/{kind}/{name}",
    tag = "preferences",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "The subject's id."),
        ("kind" = inline(PreferenceKind), Path, description = "`channel` or `interest`."),
        ("name" = String, Path, pattern = "^[a-z][a-z0-9_]{0,63}$", description = "A channel (`email`, `sms`, `phone`, `post`, \
            `push`, `in_app`) or an interest area (lower snake case, e.g. `product_news`)."),
    ),
    request_body = PreferenceRequest,
    responses(
        (status = 200, description = "The preference was recorded.", body = PreferenceResponse),
        (status = 422, description = "An unknown kind or channel, an interest area that is not \
            lower snake case.", body = Problem,
            content_type = "application/problem+json"),
        (status = 401, description = "No valid API token.", body = Problem,
            content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not write.", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "No such subject.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn set_preference(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<need::ConsentsWrite>,
    ApiPath((subject, kind, name)): ApiPath<(String, String, String)>,
    ApiJson(body): ApiJson<PreferenceRequest>,
) -> Result<Json<PreferenceResponse>, ApiError> {
    let now = state.clock.now();
    if kind != "channel" && kind != "interest" {
        return Err(ApiError::invalid(
            "the preference kind in the path is neither `channel` nor `interest`",
            "use `/preferences/channel/NAME` or `/preferences/interest/NAME`",
        ));
    }
    if !is_preference_word(&name) {
        return Err(ApiError::invalid(
            format!("the {kind} in the path is not a lower snake case name"),
            "name a channel (email, sms, phone, post, push, in_app) or an interest area such as \
             `product_news`",
        ));
    }
    state
        .vault()
        .set_preference(&caller.actor, &subject, &kind, &name, body.opted_in, now)
        .await?;
    Ok(Json(PreferenceResponse {
        kind,
        name,
        opted_in: body.opted_in,
    }))
}

/// The signed one-click unsubscribe link for a subject and channel, for a mailer to put in a
/// marketing message: as a link in the text, and for e-mail in the headers
/// `List-Unsubscribe: <https://HOST/unsubscribe?token=...>` and
/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058). Following it needs no login.
#[utoipa::path(
    get,
    path = "/v1/subjects/{id}/unsubscribe-link",
    tag = "preferences",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "The subject's id."),
        UnsubscribeLinkQuery,
    ),
    responses(
        (status = 200, description = "The token and the link's path.",
            body = UnsubscribeLinkResponse),
        (status = 422, description = "A missing or unknown channel.", body = Problem,
            content_type = "application/problem+json"),
        (status = 401, description = "No valid API token.", body = Problem,
            content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not make links that change \
            preferences.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such subject.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn unsubscribe_link(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<need::ConsentsWrite>,
    ApiPath(subject): ApiPath<String>,
    ApiQuery(query): ApiQuery<UnsubscribeLinkQuery>,
) -> Result<Json<UnsubscribeLinkResponse>, ApiError> {
    // Whoever has the link can change the subject's preferences: it is a write.
    let token = state
        .vault()
        .unsubscribe_token(&caller.actor, &subject, query.channel.as_str())
        .await?;
    let path = format!("{UNSUBSCRIBE_PATH}?token={}", query_encode(&token));
    Ok(Json(UnsubscribeLinkResponse { token, path }))
}

/// `value` percent-encoded for a query string: everything but the unreserved characters of
/// RFC 3986. (Tokens consist of unreserved characters; this keeps the link right if that ever
/// changes.)
fn query_encode(value: &str) -> String {
    let mut encoded = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(query_encode("abc.email.0f"), "abc.email.0f");
        assert_eq!(query_encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
    }

    #[test]
    fn preference_words_are_lower_snake_case() {
        for word in ["email", "in_app", "product_news", "2026_offers"] {
            assert!(is_preference_word(word), "{word}");
        }
        for word in ["", "Email", "a@example.se", "e-mail", &"a".repeat(65)] {
            assert!(!is_preference_word(word), "{word}");
        }
    }
}
