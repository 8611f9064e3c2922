//! Bearer-token authentication for `/v1`: who is calling, and what their role lets them do.
//!
//! The presented token is hashed and looked up by its hash; the token itself is never stored,
//! compared or logged. The authenticated [`Principal`] is put in the request's extensions, and
//! handlers take it as an argument.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use skydd_crypto::{Role, TokenHash, TokenId};
use skydd_vault::Actor;

use crate::problem::ApiError;
use crate::state::AppState;

/// Who made an authenticated request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The id of the token used (public; safe to log and audit).
    pub token_id: TokenId,
    /// What the token may do.
    pub role: Role,
}

impl Principal {
    /// Succeed when this principal has one of the `allowed` roles, otherwise
    /// [`ApiError::Forbidden`].
    pub fn require_role(&self, allowed: &[Role]) -> Result<(), ApiError> {
        if allowed.contains(&self.role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }
}

/// Handlers take the principal [`require_token`] authenticated. A route without that middleware
/// has no principal, and its requests are refused as unauthenticated rather than served.
impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .ok_or(ApiError::MissingToken)
    }
}

/// The caller of an authenticated request as the vault sees it: the principal, and an [`Actor`]
/// made of the token id and the peer's IP address (for the audit trail).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Who authenticated.
    pub principal: Principal,
    /// The token id, the peer address, and no tenant (tokens carry none yet).
    pub actor: Actor,
}

impl Caller {
    /// Succeed when the caller has one of the `allowed` roles, otherwise
    /// [`ApiError::Forbidden`].
    pub fn require_role(&self, allowed: &[Role]) -> Result<(), ApiError> {
        self.principal.require_role(allowed)
    }

    /// The caller's IP address, when the server knows the peer.
    pub fn ip(&self) -> Option<&str> {
        self.actor.ip.as_deref()
    }
}

/// Like [`Principal`], plus the peer address from axum's `ConnectInfo` when the server was
/// started with it (as [`crate::serve`] is); without it the actor has no IP address.
impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let principal = Principal::from_request_parts(parts, state).await?;
        let PeerIp(ip) = PeerIp::of(parts);
        let actor = Actor {
            id: principal.token_id.0.clone(),
            ip,
            tenant: None,
        };
        Ok(Caller { principal, actor })
    }
}

/// The peer's IP address, from axum's `ConnectInfo` when the server was started with it (as
/// [`crate::serve`] is); `None` otherwise. For the audit trail and consent proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerIp(pub Option<String>);

impl PeerIp {
    fn of(parts: &Parts) -> PeerIp {
        PeerIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(peer)| peer.ip().to_string()),
        )
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PeerIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(PeerIp::of(parts))
    }
}

/// Middleware: authenticate the request by its bearer token or answer 401.
pub async fn require_token(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let principal = authenticate(&state, request.headers()).await?;
    request.extensions_mut().insert(principal);
    Ok(next.run(request).await)
}

/// The principal of `request`'s bearer token: 401 ([`ApiError::MissingToken`] or
/// [`ApiError::InvalidToken`]) without a header or with a token that is unknown or revoked.
pub(crate) async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Principal, ApiError> {
    let hash = TokenHash::of(bearer_token(headers)?);
    let record = state
        .storage
        .find_active_token(&hash)
        .await?
        .ok_or(ApiError::InvalidToken)?;
    Ok(Principal {
        token_id: record.id,
        role: record.role,
    })
}

/// The token of an `Authorization: Bearer TOKEN` header (the scheme is case-insensitive).
fn bearer_token(headers: &HeaderMap) -> Result<&str, ApiError> {
    let header = headers.get(AUTHORIZATION).ok_or(ApiError::MissingToken)?;
    let value = header.to_str().map_err(|_| ApiError::InvalidToken)?;
    let (scheme, token) = value.split_once(' ').ok_or(ApiError::InvalidToken)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiError::InvalidToken);
    }
    let token = token.trim();
    if token.is_empty() {
        return Err(ApiError::InvalidToken);
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(authorization: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(value) = authorization {
            headers.insert(AUTHORIZATION, value.parse().unwrap());
        }
        headers
    }

    #[test]
    fn takes_the_token_of_a_bearer_header() {
        assert_eq!(bearer_token(&headers(Some("Bearer abc"))).unwrap(), "abc");
        assert_eq!(bearer_token(&headers(Some("bearer  abc "))).unwrap(), "abc");
    }

    #[test]
    fn no_header_is_a_missing_token() {
        assert!(matches!(
            bearer_token(&headers(None)),
            Err(ApiError::MissingToken)
        ));
    }

    #[test]
    fn other_schemes_and_empty_tokens_are_invalid() {
        for value in ["Basic dXNlcjpwYXNz", "Bearer", "Bearer   ", "abc"] {
            assert!(
                matches!(
                    bearer_token(&headers(Some(value))),
                    Err(ApiError::InvalidToken)
                ),
                "{value}"
            );
        }
    }

    #[test]
    fn roles_are_checked() {
        let auditor = Principal {
            token_id: TokenId("t1".into()),
            role: Role::Auditor,
        };
        assert!(auditor.require_role(&[Role::Admin, Role::Auditor]).is_ok());
        assert!(matches!(
            auditor.require_role(&[Role::Admin]),
            Err(ApiError::Forbidden)
        ));
    }
}
