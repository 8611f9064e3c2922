//! How a console page becomes a response: templates escaped by the workspace's one escape, the
//! console's headers, redirects with a flash message, and every refusal or failure as a page.
//!
//! Handlers return `Result<Response, ConsoleError>`. A [`ConsoleError`] becomes a response
//! that carries only its status and what to say; the console's middleware
//! ([`super::frame_responses`]) writes the error page in the request's language.

use std::fmt;

use askama::Template;
use axum::http::header::{LOCATION, RETRY_AFTER, SET_COOKIE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use skydd_notice::document::escape_html;
use skydd_register::model::Language;

use super::frame::{Flash, Frame};
use crate::page;
use crate::problem::ApiError;

/// The escaper of the console's templates (`askama.toml`): the workspace's one HTML escape.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Escape;

impl askama::filters::Escaper for Escape {
    fn write_escaped_str<W: fmt::Write>(&self, mut dest: W, string: &str) -> fmt::Result {
        dest.write_str(&escape_html(string))
    }
}

/// The cookie that carries the flash message of the last action to the next page.
pub(crate) const FLASH_COOKIE: &str = "__Host-skydd-flash";

/// `template` as a console page in `language`: HTML with the console's headers (CSP, no
/// caching, ...).
pub(crate) fn render(
    language: Language,
    template: &impl Template,
) -> Result<Response, ConsoleError> {
    let body = template.render().map_err(|error| {
        tracing::error!(%error, "a console template could not be rendered");
        ConsoleError::Internal
    })?;
    let mut response = body.into_response();
    page::console_page_headers(response.headers_mut(), language);
    Ok(response)
}

/// A 303 to `location` (a path of this server), the answer to a form that worked.
pub(crate) fn redirect(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(LOCATION, value);
    }
    response
}

/// [`redirect`] with `flash` shown once on the page it leads to.
pub(crate) fn redirect_with(location: &str, flash: Flash) -> Response {
    let mut response = redirect(location);
    let cookie = format!(
        "{FLASH_COOKIE}={}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=60",
        flash.cookie_value()
    );
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(SET_COOKIE, value);
    }
    response
}

/// The `Set-Cookie` value that removes cookie `name`.
pub(crate) fn expired_cookie(name: &str) -> String {
    format!("{name}=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0")
}

/// Why a console request was not served. Each is a page saying what happened and what to do,
/// without repeating what was sent.
#[derive(Debug)]
pub(crate) enum ConsoleError {
    /// Nobody is signed in: 303 to the sign-in page, which comes back to `next` (a local path).
    SignIn {
        /// The page to return to after signing in.
        next: String,
    },
    /// No such page or object: 404.
    NotFound,
    /// The role may not do this: 403.
    Forbidden,
    /// The form's CSRF token is missing or wrong, or it came from another site: 403, nothing
    /// changed.
    Csrf,
    /// The form could not be read: 400.
    BadForm,
    /// Too many attempts from this address or at this account: 429 with `Retry-After`.
    TooMany {
        /// Seconds until the next attempt is taken.
        retry_after: u64,
    },
    /// The form is larger than any console form: 413, nothing read.
    TooLarge,
    /// A failure nobody can fix by trying again differently (logged): 500.
    Internal,
    /// An error of the app, the vault or storage, shown as the API would say it.
    Api(ApiError),
}

/// A console route over its public limit ([`crate::limit::Limited`]) answers with the 429 page.
impl crate::limit::Refusal for ConsoleError {
    fn too_many(
        crate::limit::RetryAfter(retry_after): crate::limit::RetryAfter,
        _parts: &axum::http::request::Parts,
        _state: &crate::state::AppState,
    ) -> ConsoleError {
        ConsoleError::TooMany { retry_after }
    }
}

impl From<ApiError> for ConsoleError {
    fn from(error: ApiError) -> ConsoleError {
        ConsoleError::Api(error)
    }
}

impl From<skydd_vault::VaultError> for ConsoleError {
    fn from(error: skydd_vault::VaultError) -> ConsoleError {
        ConsoleError::Api(error.into())
    }
}

/// The staff service's refusals as pages; its failures logged (their messages name no
/// address, password or code) as a 500.
impl From<skydd_app::staff::StaffError> for ConsoleError {
    fn from(error: skydd_app::staff::StaffError) -> ConsoleError {
        use skydd_app::staff::StaffError as E;
        match error {
            E::Storage(error) => ConsoleError::Api(error.into()),
            E::NoSuchAccount => ConsoleError::NotFound,
            E::Email(_) | E::Password(_) | E::Duplicate | E::AlreadyEnrolled => {
                ConsoleError::Api(ApiError::invalid(error.to_string(), String::new()))
            }
            E::SignInExpired | E::CodeRefused { .. } => ConsoleError::SignIn {
                next: "/console/dashboard".to_owned(),
            },
            other => {
                tracing::error!(error = %other, "a staff operation failed");
                ConsoleError::Internal
            }
        }
    }
}

impl From<skydd_storage::StorageError> for ConsoleError {
    fn from(error: skydd_storage::StorageError) -> ConsoleError {
        ConsoleError::Api(error.into())
    }
}

/// What an error page says, put into the response's extensions for
/// [`super::frame_responses`], which writes the page in the request's language.
#[derive(Debug, Clone)]
pub(crate) struct ErrorPage {
    /// The catalog key of the title.
    pub(crate) title: &'static str,
    /// What to do: a catalog key, filled with `value` when it has a `{}`.
    pub(crate) help: Option<&'static str>,
    /// The value for the help's `{}`.
    pub(crate) value: String,
    /// The API's own detail (English), for refusals of the rules (409, 422): what is wrong and
    /// how to fix it, never a personal value.
    pub(crate) detail: Option<String>,
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        let page = |title, help| ErrorPage {
            title,
            help,
            value: String::new(),
            detail: None,
        };
        let (status, error_page) = match self {
            ConsoleError::SignIn { next } => {
                let location = format!("/console/sign-in?next={}", encode_component(&next));
                return redirect(&location);
            }
            ConsoleError::NotFound => (
                StatusCode::NOT_FOUND,
                page("error.404", Some("error.404.help")),
            ),
            ConsoleError::Forbidden => (
                StatusCode::FORBIDDEN,
                page("error.403", Some("error.403.help")),
            ),
            ConsoleError::Csrf => (
                StatusCode::FORBIDDEN,
                page("error.csrf", Some("error.csrf.help")),
            ),
            ConsoleError::BadForm => (
                StatusCode::BAD_REQUEST,
                page("error.400", Some("error.400.help")),
            ),
            ConsoleError::TooMany { retry_after } => {
                let mut response = (
                    StatusCode::TOO_MANY_REQUESTS,
                    ErrorPage {
                        value: retry_after.to_string(),
                        ..page("error.429", Some("error.429.help"))
                    },
                )
                    .into_response();
                response
                    .headers_mut()
                    .insert(RETRY_AFTER, HeaderValue::from(retry_after));
                return response;
            }
            ConsoleError::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                page("error.413", Some("error.413.help")),
            ),
            ConsoleError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                page("error.500", Some("error.500.help")),
            ),
            ConsoleError::Api(error) => {
                error.log();
                let problem = error.problem();
                let status = StatusCode::from_u16(problem.status)
                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                let error_page = match status {
                    StatusCode::NOT_FOUND => page("error.404", Some("error.404.help")),
                    StatusCode::FORBIDDEN => page("error.403", Some("error.403.help")),
                    StatusCode::CONFLICT => ErrorPage {
                        detail: Some(problem.detail),
                        ..page("error.409", None)
                    },
                    StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST => ErrorPage {
                        detail: Some(problem.detail),
                        ..page("error.422", None)
                    },
                    StatusCode::SERVICE_UNAVAILABLE => page("error.503", Some("error.503.help")),
                    StatusCode::PAYLOAD_TOO_LARGE => page("error.413", Some("error.413.help")),
                    StatusCode::REQUEST_TIMEOUT => page("error.408", Some("error.408.help")),
                    _ => page("error.500", Some("error.500.help")),
                };
                let mut response = (status, error_page).into_response();
                if status == StatusCode::SERVICE_UNAVAILABLE {
                    response
                        .headers_mut()
                        .insert(RETRY_AFTER, HeaderValue::from_static("1"));
                }
                return response;
            }
        };
        (status, error_page).into_response()
    }
}

impl IntoResponse for ErrorPage {
    fn into_response(self) -> Response {
        let mut response = ().into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// The error page's template.
#[derive(Template)]
#[template(path = "console/error.html")]
struct ErrorTemplate<'a> {
    frame: Frame,
    page: &'a ErrorPage,
}

/// The body of an error page in `language` (headers are set by the caller).
pub(crate) fn error_page(page: &ErrorPage, language: Language) -> Result<Response, ConsoleError> {
    let frame = Frame::anonymous(language, page.title, String::new());
    render(language, &ErrorTemplate { frame, page })
}

/// `value` percent-encoded for a query string (everything but unreserved characters).
pub(crate) fn encode_component(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Template)]
    #[template(source = "<p title=\"{{ value }}\">{{ value }}</p>", ext = "html")]
    struct Probe<'a> {
        value: &'a str,
    }

    #[test]
    fn templates_escape_through_the_workspace_escape() {
        let html = Probe {
            value: "<script>alert('x')</script>&\"",
        }
        .render()
        .unwrap();
        // `&#39;` is skydd_notice's spelling (askama's own escaper writes `&#x27;`).
        let escaped = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;";
        assert_eq!(html, format!("<p title=\"{escaped}\">{escaped}</p>"));
    }

    #[test]
    fn components_are_percent_encoded() {
        assert_eq!(
            encode_component("/console/requests?state=open&x=å"),
            "/console/requests%3Fstate%3Dopen%26x%3D%C3%A5"
        );
    }
}
