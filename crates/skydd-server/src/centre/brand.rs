//! The company's look on the privacy centre: its colour in the centre's style sheet
//! (`/privacy-centre/style.css`: the console's style sheet, the centre's own rules, and the
//! accent colour, since the CSP allows no inline style) and its logo
//! (`/privacy-centre/logo`, with a CSP of its own so an SVG can run nothing).
//!
//! Both URLs carry a version (a hash of what they serve), so they are cached for a year and a
//! new colour or logo is fetched at once.

use axum::extract::State;
use axum::http::HeaderValue;
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use skydd_app::site::Colour;

use crate::console::assets::{self, version_of};
use crate::console::render::ConsoleError;
use crate::state::AppState;

/// The centre's own rules, after the console's.
const CENTRE_CSS: &str = include_str!("../../templates/centre/assets/centre.css");

/// The accent when the company sets none: the console's.
const DEFAULT_BRAND: (u8, u8, u8) = (0x12, 0x35, 0x5b);

/// The policy of the logo: an SVG may style itself, and nothing else (no script, no fetch,
/// sandboxed if opened on its own).
const LOGO_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

/// How long a versioned file may be kept.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// The style sheet for `colour`: the console's, the centre's, and the accent's variables.
fn stylesheet_body(colour: Option<&Colour>) -> String {
    let brand = colour
        .and_then(|c| rgb(c.as_str()))
        .unwrap_or(DEFAULT_BRAND);
    let hex = |(r, g, b): (u8, u8, u8)| format!("#{r:02x}{g:02x}{b:02x}");
    let on_brand = if contrast(brand, (255, 255, 255)) >= 4.5 {
        "#ffffff"
    } else {
        "#000000"
    };
    // The accent as text or a border on white only where it is readable there (4.5:1).
    let brand_text = if contrast(brand, (255, 255, 255)) >= 4.5 {
        brand
    } else {
        DEFAULT_BRAND
    };
    format!(
        "{}\n{CENTRE_CSS}\n/* The company's colour (`skydd serve --brand-colour`). */\n\
         :root {{ --brand: {}; --on-brand: {on_brand}; --brand-text: {}; }}\n",
        assets::STYLESHEET.body(),
        hex(brand),
        hex(brand_text),
    )
}

/// The versioned URL of the style sheet for `colour`.
pub(crate) fn stylesheet_url(colour: Option<&Colour>) -> String {
    format!(
        "/privacy-centre/style.css?v={:016x}",
        version_of(stylesheet_body(colour).as_bytes())
    )
}

/// The versioned URL of the logo `bytes`.
pub(crate) fn logo_url(bytes: &[u8]) -> String {
    format!("/privacy-centre/logo?v={:016x}", version_of(bytes))
}

/// `GET /privacy-centre/style.css`.
pub(crate) async fn stylesheet(State(state): State<AppState>) -> Response {
    let body = stylesheet_body(state.site().brand.colour.as_ref());
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    h.insert(CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
    response
}

/// `GET /privacy-centre/logo`: the company's logo with its own media type and CSP; 404 when
/// none is set.
pub(crate) async fn logo(State(state): State<AppState>) -> Response {
    let Some(logo) = state.site().brand.logo.as_ref() else {
        return ConsoleError::NotFound.into_response();
    };
    let mut response = logo.bytes.clone().into_response();
    let h = response.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(logo.media_type));
    h.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(LOGO_CSP));
    h.insert(CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
    response
}

/// `#rrggbb` as its channels.
fn rgb(hex: &str) -> Option<(u8, u8, u8)> {
    let digits = hex.strip_prefix('#')?;
    let channel = |i: usize| u8::from_str_radix(digits.get(i..i + 2)?, 16).ok();
    Some((channel(0)?, channel(2)?, channel(4)?))
}

/// The relative luminance of a colour (WCAG 2.2).
fn luminance((r, g, b): (u8, u8, u8)) -> f64 {
    let linear = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.040_45 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
}

/// The contrast ratio of two colours (WCAG 2.2), from 1 to 21.
fn contrast(a: (u8, u8, u8), b: (u8, u8, u8)) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contrast_is_the_wcag_ratio() {
        assert!((contrast((0, 0, 0), (255, 255, 255)) - 21.0).abs() < 1e-9);
        assert!((contrast((255, 255, 255), (255, 255, 255)) - 1.0).abs() < 1e-9);
        // The console's header colour: 12.4:1 with white, as console.css says.
        assert!((contrast(DEFAULT_BRAND, (255, 255, 255)) - 12.4).abs() < 0.1);
    }

    #[test]
    fn text_on_the_accent_is_readable_whatever_the_colour() {
        let dark = stylesheet_body(Some(&Colour::parse("#1d4ed8").unwrap()));
        assert!(dark.contains("--brand: #1d4ed8; --on-brand: #ffffff; --brand-text: #1d4ed8;"));
        // A light yellow: black text on it, and the default accent for text on white.
        let light = stylesheet_body(Some(&Colour::parse("#ffe066").unwrap()));
        assert!(light.contains("--brand: #ffe066; --on-brand: #000000; --brand-text: #12355b;"));
        let none = stylesheet_body(None);
        assert!(none.contains("--brand: #12355b; --on-brand: #ffffff;"));
        assert!(none.starts_with(assets::STYLESHEET.body()));
    }

    #[test]
    fn the_url_changes_with_the_colour() {
        let blue = Colour::parse("#1d4ed8").unwrap();
        assert_ne!(stylesheet_url(None), stylesheet_url(Some(&blue)));
        assert!(stylesheet_url(None).starts_with("/privacy-centre/style.css?v="));
    }
}
