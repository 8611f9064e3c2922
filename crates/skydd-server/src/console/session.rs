//! The console's session cookie and the signed-in staff member every console handler takes.
//!
//! The cookie `__Host-skydd-session` holds the session secret (`HttpOnly`, `Secure`,
//! `SameSite=Strict`, `Path=/`, no `Domain`: only this origin, never script, never a cross-site
//! request). [`ConsoleUser`] looks the secret up through the app (the session must be fully
//! signed in, within its idle and absolute timeouts, on an enabled account); without one, the
//! browser is sent to the sign-in page and comes back afterwards.

use axum::extract::FromRequestParts;
use axum::http::Method;
use axum::http::request::Parts;
use jiff::Timestamp;
use skydd_register::model::Language;
use skydd_staff::permission::{Grants, Permission, StaffRole};
use skydd_vault::Actor;

use super::frame::{self, Flash, Frame, FrameUser, Section};
use super::i18n;
use super::render::{ConsoleError, FLASH_COOKIE};
use crate::auth::PeerIp;
use crate::state::AppState;

/// The session cookie's name. The `__Host-` prefix makes browsers refuse it unless it is
/// `Secure`, has `Path=/` and no `Domain`.
pub(crate) const SESSION_COOKIE: &str = "__Host-skydd-session";

/// The `Set-Cookie` value that stores `secret` as the session cookie (a browser-session
/// cookie: the server ends the session at its idle and absolute timeouts).
pub(crate) fn session_cookie(secret: &str) -> String {
    format!("{SESSION_COOKIE}={secret}; Path=/; Secure; HttpOnly; SameSite=Strict")
}

/// A signed-in staff member, as a console handler sees them. Taking one as an argument makes
/// a handler require a full session; [`ConsoleUser::require`] then checks a permission.
#[derive(Debug, Clone)]
pub(crate) struct ConsoleUser {
    /// The account's id (public; in the audit trail).
    pub(crate) account_id: String,
    /// The session's public id (in the audit trail; never the secret).
    pub(crate) session_id: String,
    /// How the header names the account (its e-mail address, shown to the account itself).
    pub(crate) name: String,
    /// The account's role.
    pub(crate) role: StaffRole,
    /// What the role may do.
    pub(crate) grants: Grants,
    /// The session's CSRF token, for the forms of the page.
    pub(crate) csrf: String,
    /// The language of the page.
    pub(crate) language: Language,
    /// The peer's IP address (for the audit trail).
    pub(crate) ip: Option<String>,
    /// The message of the last action, shown once.
    pub(crate) flash: Option<Flash>,
    /// The time of this request, read once from the app's clock.
    pub(crate) now: Timestamp,
}

impl ConsoleUser {
    /// Succeed when the role has `permission`; otherwise a 403 page.
    pub(crate) fn require(&self, permission: Permission) -> Result<(), ConsoleError> {
        if self.grants.allows(permission) {
            Ok(())
        } else {
            Err(ConsoleError::Forbidden)
        }
    }

    /// Whether the role has `permission` (to show or hide a part of a page).
    pub(crate) fn may(&self, permission: Permission) -> bool {
        self.grants.allows(permission)
    }

    /// The staff member as the audit trail records them:
    /// `account:<account-id>/session:<session-public-id>` and the peer's IP.
    pub(crate) fn actor(&self) -> Actor {
        Actor {
            id: format!("account:{}/session:{}", self.account_id, self.session_id),
            ip: self.ip.clone(),
            tenant: None,
        }
    }

    /// The frame of a page of `section` titled by the catalog key `title_key`.
    pub(crate) fn frame(&self, section: Section, title_key: &str) -> Frame {
        Frame {
            language: self.language,
            title: i18n::text(title_key, self.language).to_owned(),
            user: Some(FrameUser {
                name: self.name.clone(),
                role: self.role,
            }),
            nav: frame::navigation(&self.grants, section, self.language),
            flash: self.flash,
            csrf: self.csrf.clone(),
        }
    }
}

/// What the app knows of a fully signed-in session.
#[derive(Debug, Clone)]
pub(crate) struct FullSession {
    /// The account's id.
    pub(crate) account_id: String,
    /// The session's public id.
    pub(crate) session_id: String,
    /// How to name the account.
    pub(crate) name: String,
    /// The account's role.
    pub(crate) role: StaffRole,
    /// The session's CSRF token.
    pub(crate) csrf: String,
}

/// The full session whose secret the request's cookie carries, if any.
async fn full_session(
    _state: &AppState,
    parts: &Parts,
    _now: Timestamp,
) -> Result<Option<FullSession>, ConsoleError> {
    let Some(_secret) = i18n::cookie(&parts.headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    // The staff API (`skydd_app::staff`) lands in the `staff` branch; until it is merged no
    // session is known, and every console page sends the browser to the sign-in page.
    Ok(None)
}

/// Where to come back to after signing in: the page asked for (path and query) for a GET,
/// the dashboard otherwise (a form's target is not a page).
fn return_path(parts: &Parts) -> String {
    if parts.method == Method::GET {
        parts.uri.path_and_query().map_or_else(
            || "/console/dashboard".to_owned(),
            |pq| pq.as_str().to_owned(),
        )
    } else {
        "/console/dashboard".to_owned()
    }
}

impl FromRequestParts<AppState> for ConsoleUser {
    type Rejection = ConsoleError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(user) = parts.extensions.get::<ConsoleUser>() {
            return Ok(user.clone());
        }
        let now = state.clock.now();
        let Some(session) = full_session(state, parts, now).await? else {
            return Err(ConsoleError::SignIn {
                next: return_path(parts),
            });
        };
        let PeerIp(ip) = PeerIp::from_request_parts(parts, state)
            .await
            .unwrap_or(PeerIp(None));
        let flash = i18n::cookie(&parts.headers, FLASH_COOKIE)
            .and_then(|value| Flash::from_cookie_value(&value));
        let user = ConsoleUser {
            account_id: session.account_id,
            session_id: session.session_id,
            name: session.name,
            role: session.role,
            grants: session.role.grants(),
            csrf: session.csrf,
            language: i18n::language_of(parts),
            ip,
            flash,
            now,
        };
        parts.extensions.insert(user.clone());
        Ok(user)
    }
}

/// A path of this server to go to after signing in: `next` when it is a local console path
/// (`/console...`, no scheme, no `//` or `/\` that a browser reads as another host), the
/// dashboard otherwise. Keeps the sign-in page from being an open redirect.
pub(crate) fn local_next(next: Option<&str>) -> String {
    const HOME: &str = "/console/dashboard";
    let Some(next) = next else {
        return HOME.to_owned();
    };
    let safe =
        (next == "/console" || next.starts_with("/console/") || next.starts_with("/console?"))
            && !next.contains("//")
            && !next.contains('\\')
            && !next.chars().any(char::is_control)
            && !next.starts_with("/console/sign-");
    if safe {
        next.to_owned()
    } else {
        HOME.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_a_local_console_path_or_the_dashboard() {
        for (next, expected) in [
            (
                Some("/console/requests?state=open"),
                "/console/requests?state=open",
            ),
            (Some("/console"), "/console"),
            (None, "/console/dashboard"),
            (Some("https://evil.example/"), "/console/dashboard"),
            (Some("//evil.example/console/"), "/console/dashboard"),
            (Some("/console//evil.example"), "/console/dashboard"),
            (Some("/\\evil.example"), "/console/dashboard"),
            (Some("/console/\\evil"), "/console/dashboard"),
            (Some("/consoleevil"), "/console/dashboard"),
            (Some("/v1/audit"), "/console/dashboard"),
            (Some("/console/a\nb"), "/console/dashboard"),
            (Some("/console/sign-in?next=x"), "/console/dashboard"),
            (Some(""), "/console/dashboard"),
        ] {
            assert_eq!(local_next(next), expected, "{next:?}");
        }
    }

    #[test]
    fn the_session_cookie_is_host_only_secure_and_strict() {
        let cookie = session_cookie("s3cr3t");
        for attribute in [
            "__Host-",
            "; Path=/",
            "; Secure",
            "; HttpOnly",
            "; SameSite=Strict",
        ] {
            assert!(cookie.contains(attribute), "{attribute} in {cookie}");
        }
        assert!(!cookie.contains("Domain"));
    }
}
