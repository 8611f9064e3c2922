//! Who is calling and what they may do: bearer tokens for `/v1` and `/metrics`, staff sessions
//! for the console, and the one permission check every route makes.
//!
//! The presented token is hashed and looked up by its hash; the token itself is never stored,
//! compared or logged. An authenticated [`Principal`] (a token with its scopes, or a staff
//! member's console session with a role) is put in the request's extensions. Handlers take an
//! [`Authorized`] for the one [`Permission`] their route requires (checked before the body is
//! read, so a caller without it gets 403 whatever it sent), or a [`Caller`] and call
//! [`Caller::require`]. The permissions of each role and scope are written once, in
//! [`skydd_staff::permission`].

use std::marker::PhantomData;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use skydd_crypto::TokenId;
use skydd_staff::permission::{Grants, Permission, Scope, StaffRole};
use skydd_vault::Actor;

use crate::forwarded::ClientAddress;
use crate::problem::ApiError;
use crate::state::AppState;

/// Who a [`Principal`] is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holder {
    /// An API token, by its public id (safe to log and audit).
    Token(TokenId),
    /// A staff member signed in to the console.
    Staff {
        /// The staff account's id.
        account_id: String,
        /// The public id of the console session (never the session's secret).
        session_public_id: String,
        /// The account's role.
        role: StaffRole,
    },
}

/// Who made an authenticated request, and what they may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The token or the staff session.
    pub holder: Holder,
    /// The permissions held: the union of a token's scopes, or a staff role's.
    pub grants: Grants,
}

impl Principal {
    /// A token with `scopes` (its grants are their union, [`Grants::of_scopes`]).
    pub fn token(id: TokenId, scopes: &[Scope]) -> Principal {
        Principal {
            holder: Holder::Token(id),
            grants: Grants::of_scopes(scopes),
        }
    }

    /// A staff member in a console session: account `account_id`, session `session_public_id`
    /// (its public id, never its secret), with the grants of `role`.
    pub fn staff(
        account_id: impl Into<String>,
        session_public_id: impl Into<String>,
        role: StaffRole,
    ) -> Principal {
        Principal {
            holder: Holder::Staff {
                account_id: account_id.into(),
                session_public_id: session_public_id.into(),
                role,
            },
            grants: role.grants(),
        }
    }

    /// Succeed when the principal holds `permission`, otherwise [`ApiError::NotPermitted`]
    /// (403, naming the permission).
    pub fn require(&self, permission: Permission) -> Result<(), ApiError> {
        if self.grants.allows(permission) {
            Ok(())
        } else {
            Err(ApiError::NotPermitted(permission))
        }
    }

    /// The id this principal acts as in the audit trail and request events: the token id, or
    /// `account:<account-id>/session:<session-public-id>` for a staff session.
    pub fn actor_id(&self) -> String {
        match &self.holder {
            Holder::Token(id) => id.0.clone(),
            Holder::Staff {
                account_id,
                session_public_id,
                ..
            } => staff_actor_id(account_id, session_public_id),
        }
    }

    /// The id a request is assigned to when it is assigned to this principal: the account id
    /// of a staff member (any of their sessions), the token id of a token.
    pub fn assignee_id(&self) -> &str {
        match &self.holder {
            Holder::Token(id) => &id.0,
            Holder::Staff { account_id, .. } => account_id,
        }
    }

    /// Succeed when the principal may read the personal data of a request assigned to
    /// `assignee` ([`Permission::RequestsData`], and with [`Grants::assigned_only`] only when
    /// the request is assigned to it); otherwise 403.
    pub fn require_request_data(&self, assignee: Option<&str>) -> Result<(), ApiError> {
        self.require(Permission::RequestsData)?;
        if self.grants.assigned_only && assignee != Some(self.assignee_id()) {
            return Err(ApiError::NotAssigned);
        }
        Ok(())
    }
}

/// The actor id of a staff member's console session, as the contract of issue 17 spells it.
// TODO(issue 17): switch to `skydd_vault::Actor::staff` when the `staff` helper's branch lands.
fn staff_actor_id(account_id: &str, session_public_id: &str) -> String {
    format!("account:{account_id}/session:{session_public_id}")
}

/// Handlers take the principal [`require_token`] authenticated (or the console's session
/// layer put in). A route without either has no principal, and its requests are refused as
/// unauthenticated rather than served.
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
/// made of [`Principal::actor_id`] and the client's IP address (for the audit trail).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Who authenticated.
    pub principal: Principal,
    /// The actor id, the client's address, and no tenant (tokens carry none yet).
    pub actor: Actor,
}

impl Caller {
    /// The caller of `principal` from `ip`: its actor is [`Principal::actor_id`] at `ip`.
    pub fn new(principal: Principal, ip: Option<String>) -> Caller {
        let actor = Actor {
            id: principal.actor_id(),
            ip,
            tenant: None,
            sees_confidential: principal
                .grants
                .permissions
                .contains(Permission::Complaints),
        };
        Caller { principal, actor }
    }

    /// Succeed when the caller holds `permission`, otherwise 403
    /// ([`ApiError::NotPermitted`]). Every route and console page requires exactly one.
    pub fn require(&self, permission: Permission) -> Result<(), ApiError> {
        self.principal.require(permission)
    }

    /// [`Principal::require_request_data`]: may the caller read the personal data of a
    /// request assigned to `assignee`.
    pub fn require_request_data(&self, assignee: Option<&str>) -> Result<(), ApiError> {
        self.principal.require_request_data(assignee)
    }

    /// The caller's IP address, when the server knows the peer.
    pub fn ip(&self) -> Option<&str> {
        self.actor.ip.as_deref()
    }
}

/// Like [`Principal`], plus the client's address as [`PeerIp`] gives it (the peer, or the
/// client a trusted proxy names); without a peer address the actor has no IP address.
impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let principal = Principal::from_request_parts(parts, state).await?;
        let PeerIp(ip) = PeerIp::of(parts);
        Ok(Caller::new(principal, ip))
    }
}

/// The one permission a route requires, as a type: [`Authorized`]`<need::RecordsWrite>`.
pub trait Need {
    /// The permission required.
    const PERMISSION: Permission;
}

/// A [`Caller`] that holds the permission `N` names: 401 without a principal, 403 without the
/// permission, both before the body is read.
#[derive(Debug)]
pub struct Authorized<N: Need>(pub Caller, pub PhantomData<N>);

impl<S: Send + Sync, N: Need> FromRequestParts<S> for Authorized<N> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_request_parts(parts, state).await?;
        caller.require(N::PERMISSION)?;
        Ok(Authorized(caller, PhantomData))
    }
}

/// One type per [`Permission`], for [`Authorized`].
pub mod need {
    use super::{Need, Permission};

    macro_rules! needs {
        ($($name:ident),* $(,)?) => {$(
            #[doc = concat!("Requires [`Permission::", stringify!($name), "`].")]
            #[derive(Debug)]
            pub struct $name;

            impl Need for $name {
                const PERMISSION: Permission = Permission::$name;
            }
        )*};
    }

    needs!(
        RegisterRead,
        AuditRead,
        AuditCheckpoint,
        RequestsRead,
        RequestsIntake,
        RequestsHandle,
        RequestsData,
        IncidentsRead,
        IncidentsWrite,
        SubjectsCreate,
        SubjectsRead,
        RecordsRead,
        RecordsWrite,
        ConsentsRead,
        ConsentsWrite,
        Decide,
        FeaturesRead,
        FeaturesWrite,
        DisclosuresRead,
        DisclosuresWrite,
        OutboxRead,
        OutboxBodies,
        AccountsManage,
        TokensManage,
        SettingsManage,
        MetricsRead,
        Import,
        Complaints,
        Agreements,
    );
}

/// The client's IP address: the peer's, from axum's `ConnectInfo` when the server was started
/// with it (as [`crate::serve`] is), or, when the peer is a trusted proxy (`--trusted-proxy`),
/// the client it names in `X-Forwarded-For` ([`crate::forwarded`]); `None` without a peer
/// address. The one place the audit trail, the consent proof and the abuse limits take the
/// client's address from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerIp(pub Option<String>);

impl PeerIp {
    fn of(parts: &Parts) -> PeerIp {
        PeerIp(client_address(parts).map(|address| address.to_string()))
    }
}

/// The client's address as [`PeerIp`] gives it, unformatted (for the abuse limits).
pub(crate) fn client_address(parts: &Parts) -> Option<IpAddr> {
    match parts.extensions.get::<ClientAddress>() {
        Some(ClientAddress(address)) => Some(*address),
        None => parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| peer.ip()),
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PeerIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(PeerIp::of(parts))
    }
}

/// Middleware: authenticate the request by its bearer token or answer 401. A principal already
/// in the request (a console session) is kept.
pub async fn require_token(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    if request.extensions().get::<Principal>().is_none() {
        let principal = authenticate(&state, request.headers()).await?;
        request.extensions_mut().insert(principal);
    }
    Ok(next.run(request).await)
}

/// Middleware for routes that are public but take a token too (request intake): authenticate
/// a bearer token when one is sent; let requests without one through. A token that is sent but
/// not valid is refused.
pub async fn optional_token(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    if request.headers().contains_key(AUTHORIZATION)
        && request.extensions().get::<Principal>().is_none()
    {
        let principal = authenticate(&state, request.headers()).await?;
        request.extensions_mut().insert(principal);
    }
    Ok(next.run(request).await)
}

/// The principal of `request`'s bearer token: 401 ([`ApiError::MissingToken`],
/// [`ApiError::InvalidToken`] or [`ApiError::ExpiredToken`]) without a header or with a token
/// that is unknown, revoked or expired.
pub(crate) async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Principal, ApiError> {
    use skydd_app::tokens::{self, AuthError};
    let presented = bearer_token(headers)?;
    let now = state.clock.now();
    match tokens::authenticate(&*state.storage, state.token_cache(), presented, now).await {
        Ok(token) => Ok(Principal::token(token.id, &token.scopes)),
        Err(AuthError::Unknown) => Err(ApiError::InvalidToken),
        Err(AuthError::Expired(_)) => Err(ApiError::ExpiredToken),
        Err(AuthError::UnknownScope(id)) => {
            tracing::warn!(token_id = %id, "refused a token with a scope this skydd does not know");
            Err(ApiError::InvalidToken)
        }
        Err(AuthError::Storage(error)) => Err(ApiError::Storage(error)),
    }
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
    fn permissions_are_checked() {
        let auditor = Principal::token(TokenId("t1".into()), &[Scope::Role(StaffRole::Auditor)]);
        assert!(auditor.require(Permission::AuditRead).is_ok());
        assert!(matches!(
            auditor.require(Permission::RecordsRead),
            Err(ApiError::NotPermitted(Permission::RecordsRead))
        ));
        let admin = Principal::token(TokenId("t2".into()), &[Scope::Admin]);
        for permission in Permission::ALL {
            assert!(admin.require(permission).is_ok(), "{permission:?}");
        }
    }

    #[test]
    fn a_staff_session_acts_as_its_account_and_session() {
        let dpo = Principal::staff("a1", "s1", StaffRole::Dpo);
        assert_eq!(dpo.actor_id(), "account:a1/session:s1");
        assert_eq!(dpo.assignee_id(), "a1");
        let caller = Caller::new(dpo, Some("192.0.2.1".into()));
        assert_eq!(caller.actor.id, "account:a1/session:s1");
        assert_eq!(caller.ip(), Some("192.0.2.1"));
        let token = Principal::token(TokenId("t1".into()), &[Scope::Decide]);
        assert_eq!(token.actor_id(), "t1");
        assert_eq!(token.assignee_id(), "t1");
    }

    #[test]
    fn support_reads_request_data_only_when_assigned_and_the_dpo_always() {
        let support = Principal::staff("a1", "s1", StaffRole::Support);
        assert!(support.require_request_data(Some("a1")).is_ok());
        assert!(matches!(
            support.require_request_data(Some("a2")),
            Err(ApiError::NotAssigned)
        ));
        assert!(matches!(
            support.require_request_data(None),
            Err(ApiError::NotAssigned)
        ));
        let dpo = Principal::staff("a2", "s2", StaffRole::Dpo);
        assert!(dpo.require_request_data(None).is_ok());
        let auditor = Principal::staff("a3", "s3", StaffRole::Auditor);
        assert!(matches!(
            auditor.require_request_data(Some("a3")),
            Err(ApiError::NotPermitted(Permission::RequestsData))
        ));
    }
}
