//! A minimal dashboard, the console's home until the `pages-requests` dashboard replaces it
//! (then delete this module, `templates/console/home.html` and its line in `console/mod.rs`).

use askama::Template;
use axum::Router;
use axum::response::Response;
use axum::routing::get;

use super::frame::{Frame, Section};
use super::render::{ConsoleError, render};
use super::session::ConsoleUser;
use crate::state::AppState;

/// The home page's template.
#[derive(Template)]
#[template(path = "console/home.html")]
struct HomePage {
    frame: Frame,
}

/// `GET /console/dashboard`: a welcome and the navigation. Every signed-in user may see it.
async fn dashboard(user: ConsoleUser) -> Result<Response, ConsoleError> {
    let frame = user.frame(Section::Dashboard, "home.title");
    render(user.language, &HomePage { frame })
}

/// The home page's route.
pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/console/dashboard", get(dashboard))
}
