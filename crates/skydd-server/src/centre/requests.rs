//! Requests from the privacy centre: the form of each request type (a correction pre-filled
//! with the value to correct, a confirmation box where the request is destructive), the
//! receipt page with the statutory due date, each request's status and letters, and the upload
//! of an identity document when the register asks for one.
//!
//! A request started here is verified by the session: no second code. The upload is
//! `multipart/form-data` up to [`skydd_vault::MAX_DOCUMENT_BYTES`] (its route's body limit lets
//! that through); its type is read from its content by the service.

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::Response;
use axum::routing::post;
use serde::Deserialize;
use skydd_app::centre::{CentreError, CentreRequestForm, Overview, ProposedCorrection};
use skydd_register::Register;
use skydd_register::model::Language;
use skydd_requests::RequestType;

use super::Refusal;
use super::frame::CentreFrame;
use super::multipart;
use super::personal::{RequestRow, explain, letter_key, type_key};
use super::visit::{Signed, SignedForm};
use crate::console::csrf;
use crate::console::frame::Flash;
use crate::console::i18n;
use crate::console::render::{ConsoleError, redirect_with, render};
use crate::limit::{Limited, route};
use crate::state::AppState;

/// The largest upload body: the largest document and room for the form's other parts.
const MAX_UPLOAD_BODY: usize = skydd_vault::MAX_DOCUMENT_BYTES + 64 * 1024;

/// The upload route, with a body limit that lets a 10 MiB document through.
pub(crate) fn upload_route() -> Router<AppState> {
    Router::new()
        .route("/privacy-centre/me/requests/{id}/document", post(upload))
        .layer(DefaultBodyLimit::max(MAX_UPLOAD_BODY))
}

/// Whether `request_type` cannot be undone once done: its form asks to confirm.
fn destructive(request_type: RequestType) -> bool {
    matches!(
        request_type,
        RequestType::Erasure | RequestType::Restriction
    )
}

/// The catalog key of what a request type's form explains.
fn explain_key(request_type: RequestType) -> &'static str {
    match request_type {
        RequestType::Access => "centre.ask.access",
        RequestType::Portability => "centre.ask.portability",
        RequestType::Rectification => "centre.ask.rectification",
        RequestType::Erasure => "centre.ask.erasure",
        RequestType::Restriction => "centre.ask.restriction",
        RequestType::Objection => "centre.ask.objection",
        RequestType::WithdrawConsent => "centre.ask.withdraw_consent",
        RequestType::MarketingOptOut => "centre.ask.marketing_opt_out",
        RequestType::SafeguardCopy => "centre.ask.safeguard_copy",
        RequestType::Complaint => "centre.ask.complaint",
    }
}

/// A choice of a select: its value, its label, and whether it is chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Choice {
    pub(crate) value: String,
    pub(crate) label: String,
    pub(crate) selected: bool,
}

/// The form of one request type.
#[derive(Template)]
#[template(path = "centre/ask.html")]
pub(crate) struct AskPage {
    pub(crate) frame: CentreFrame,
    /// The type's word (the form's hidden `type`).
    pub(crate) request_type: &'static str,
    /// The catalog key of what the request does.
    pub(crate) explain: &'static str,
    /// The form asks to confirm.
    pub(crate) destructive: bool,
    /// The purposes to choose from (objection, withdrawal); empty: no purpose field.
    pub(crate) purposes: Vec<Choice>,
    /// The values to correct (`category.field`, "Contact details: email (a@example.com)");
    /// empty: no correction fields.
    pub(crate) targets: Vec<Choice>,
    /// For a correction: the type asks for the new value.
    pub(crate) correcting: bool,
    /// For erasure: what the law makes the company keep.
    pub(crate) kept: Vec<String>,
    /// What is wrong with the form last sent.
    pub(crate) problem: Option<String>,
}

/// The query of a correction form opened from a value: which one.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Target {
    category: Option<String>,
    field: Option<String>,
    purpose: Option<String>,
}

#[cfg(test)]
impl Target {
    /// The form opened from the value `field` of `category`.
    pub(crate) fn of(category: &str, field: &str) -> Target {
        Target {
            category: Some(category.to_owned()),
            field: Some(field.to_owned()),
            purpose: None,
        }
    }
}

impl AskPage {
    /// The form of `request_type` for the person of `overview`, `target` chosen.
    pub(crate) fn of(
        frame: CentreFrame,
        request_type: RequestType,
        overview: &Overview,
        register: &Register,
        target: &Target,
    ) -> AskPage {
        let language = frame.language;
        let chosen = target
            .category
            .as_deref()
            .zip(target.field.as_deref())
            .map(|(c, f)| format!("{c}.{f}"));
        let purposes = match request_type {
            RequestType::Objection => overview
                .objectable
                .iter()
                .filter(|o| !o.objected)
                .map(|o| (o.purpose.clone(), o.name.clone()))
                .collect(),
            RequestType::WithdrawConsent => overview
                .consents
                .iter()
                .filter(|c| c.granted)
                .map(|c| (c.purpose.clone(), c.name.clone()))
                .collect(),
            _ => Vec::new(),
        }
        .into_iter()
        .map(|(value, label)| Choice {
            selected: target.purpose.as_deref() == Some(value.as_str()),
            value,
            label,
        })
        .collect();
        let targets = if request_type == RequestType::Rectification {
            correction_targets(overview, register, language, chosen.as_deref())
        } else {
            Vec::new()
        };
        let kept = if request_type == RequestType::Erasure {
            register
                .legal_holds
                .iter()
                .map(|h| format!("{}: {}", h.name.get(language), h.law.get(language)))
                .collect()
        } else {
            Vec::new()
        };
        AskPage {
            frame,
            request_type: request_type.as_str(),
            explain: explain_key(request_type),
            destructive: destructive(request_type),
            purposes,
            correcting: request_type == RequestType::Rectification,
            targets,
            kept,
            problem: None,
        }
    }
}

/// Every value the person may ask to correct, labelled with its category and current value,
/// `chosen` (`category.field`) selected; each field once.
fn correction_targets(
    overview: &Overview,
    register: &Register,
    language: Language,
    chosen: Option<&str>,
) -> Vec<Choice> {
    let explained = explain(&overview.package, register, language);
    let mut targets: Vec<Choice> = Vec::new();
    for category in &explained.categories {
        let values = category
            .records
            .iter()
            .flat_map(|r| {
                r.fields
                    .iter()
                    .map(|f| (f.id.clone(), f.field.clone(), f.value.clone()))
            })
            .chain(
                category
                    .connected
                    .iter()
                    .map(|c| (c.field.clone(), c.field.clone(), c.value.clone())),
            );
        for (id, field, value) in values {
            let key = format!("{}.{id}", category.id);
            if targets.iter().any(|t| t.value == key) {
                continue;
            }
            targets.push(Choice {
                selected: chosen == Some(key.as_str()),
                label: format!("{}: {field} ({value})", category.name),
                value: key,
            });
        }
    }
    targets
}

/// The request type a path names, or the 404 page.
fn request_type(word: &str) -> Result<RequestType, Refusal> {
    word.parse()
        .map_err(|_| Refusal::Page(ConsoleError::NotFound))
}

/// `GET /privacy-centre/me/ask/{type}`: the form of one request type.
pub(crate) async fn ask(
    State(state): State<AppState>,
    signed: Signed,
    Path(word): Path<String>,
    Query(target): Query<Target>,
) -> Result<Response, Refusal> {
    let request_type = request_type(&word)?;
    let overview = state
        .centre()
        .overview(&signed.visit.client, &signed.person, signed.visit.now)
        .await?;
    let frame = signed.frame(&state, type_key(request_type));
    let page = AskPage::of(
        frame,
        request_type,
        &overview,
        &state.register.register,
        &target,
    );
    Ok(render(signed.visit.language, &page)?)
}

/// The request form as sent.
#[derive(Debug, Deserialize)]
pub(crate) struct SubmitForm {
    #[serde(rename = "type")]
    request_type: String,
    #[serde(default)]
    purpose: String,
    /// `category.field` of the value to correct.
    #[serde(default)]
    target: String,
    /// What the value should be.
    #[serde(default)]
    value: String,
    #[serde(default)]
    message: String,
    /// `yes` when the confirmation box is ticked.
    #[serde(default)]
    confirm: String,
}

/// What the service is asked, or the catalog key of what is missing from the form.
fn request_form(
    request_type: RequestType,
    form: &SubmitForm,
) -> Result<CentreRequestForm, &'static str> {
    let given = |value: &str| Some(value.trim().to_owned()).filter(|v| !v.is_empty());
    if destructive(request_type) && form.confirm != "yes" {
        return Err("centre.ask.confirm_missing");
    }
    let purpose = given(&form.purpose);
    if matches!(
        request_type,
        RequestType::Objection | RequestType::WithdrawConsent
    ) && purpose.is_none()
    {
        return Err("centre.ask.purpose_missing");
    }
    let correction = if request_type == RequestType::Rectification {
        let (category, field) = form
            .target
            .split_once('.')
            .ok_or("centre.ask.target_missing")?;
        let value = given(&form.value).ok_or("centre.ask.value_missing")?;
        Some(ProposedCorrection {
            category: category.to_owned(),
            field: field.to_owned(),
            value,
        })
    } else {
        None
    };
    Ok(CentreRequestForm {
        request_type,
        purpose,
        correction,
        message: given(&form.message),
    })
}

/// `POST /privacy-centre/me/requests`: start a request; its receipt page follows.
pub(crate) async fn submit(
    State(state): State<AppState>,
    _: Limited<route::Intake, Refusal>,
    SignedForm(signed, form): SignedForm<SubmitForm>,
) -> Result<Response, Refusal> {
    let request_type = request_type(&form.request_type)?;
    let centre = state.centre();
    let (client, person, now) = (&signed.visit.client, &signed.person, signed.visit.now);
    let refused = match request_form(request_type, &form) {
        Ok(asked) => match centre.submit_request(client, person, asked, now).await {
            Ok(receipt) => {
                return Ok(redirect_with(
                    &format!("/privacy-centre/me/requests/{}", receipt.id),
                    Flash::done("centre.flash.received"),
                ));
            }
            Err(CentreError::Invalid { what, help }) => format!("{what}; {help}"),
            Err(error) => return Err(error.into()),
        },
        Err(key) => i18n::text(key, signed.visit.language).to_owned(),
    };
    // The form again, with what to fix.
    let overview = centre.overview(client, person, now).await?;
    let target = Target {
        category: form.target.split_once('.').map(|(c, _)| c.to_owned()),
        field: form.target.split_once('.').map(|(_, f)| f.to_owned()),
        purpose: Some(form.purpose.clone()),
    };
    let page = AskPage {
        problem: Some(refused),
        ..AskPage::of(
            signed.frame(&state, type_key(request_type)),
            request_type,
            &overview,
            &state.register.register,
            &target,
        )
    };
    let mut response = render(signed.visit.language, &page)?;
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}

/// One letter as the request page lists it.
#[derive(Debug, Clone)]
pub(crate) struct LetterView {
    /// Its kind in words.
    pub(crate) kind: String,
    /// When it was queued.
    pub(crate) at: jiff::Timestamp,
    /// Its state's catalog key.
    pub(crate) state: &'static str,
}

/// One request's page: the receipt after it was made, and its status since.
#[derive(Template)]
#[template(path = "centre/request.html")]
pub(crate) struct RequestPage {
    pub(crate) frame: CentreFrame,
    pub(crate) row: RequestRow,
    pub(crate) letters: Vec<LetterView>,
}

impl RequestPage {
    /// The page of `row` in `frame`'s language.
    pub(crate) fn of(frame: CentreFrame, row: RequestRow) -> RequestPage {
        let language = frame.language;
        let letters = row
            .request
            .letters
            .iter()
            .map(|l| LetterView {
                kind: letter_key(&l.kind).map_or_else(
                    || l.kind.replace('_', " "),
                    |key| i18n::text(key, language).to_owned(),
                ),
                at: l.at,
                state: match l.state.as_str() {
                    "sent" => "centre.letter.sent",
                    "failed" => "centre.letter.failed",
                    _ => "centre.letter.queued",
                },
            })
            .collect();
        RequestPage {
            frame,
            row,
            letters,
        }
    }
}

/// `GET /privacy-centre/me/requests/{id}`: one of the person's requests.
pub(crate) async fn request_page(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
) -> Result<Response, Refusal> {
    let overview = state
        .centre()
        .overview(&signed.visit.client, &signed.person, signed.visit.now)
        .await?;
    let request = overview
        .requests
        .into_iter()
        .find(|r| r.id == id)
        .ok_or(Refusal::Page(ConsoleError::NotFound))?;
    let frame = signed.frame(&state, "centre.request.title");
    let page = RequestPage::of(frame, RequestRow::from(request));
    Ok(render(signed.visit.language, &page)?)
}

/// `POST /privacy-centre/me/requests/{id}/document`: an identity document for a request, as
/// `multipart/form-data` with the form token in `_csrf` and the file in `document`.
pub(crate) async fn upload(
    State(state): State<AppState>,
    Path(id): Path<String>,
    _: Limited<route::Documents, Refusal>,
    request: Request,
) -> Result<Response, Refusal> {
    let (mut parts, body) = request.into_parts();
    csrf::same_origin(&parts.headers)?;
    let signed =
        <Signed as FromRequestParts<AppState>>::from_request_parts(&mut parts, &state).await?;
    let boundary = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(multipart::boundary)
        .ok_or(ConsoleError::BadForm)?;
    let body = axum::body::to_bytes(body, MAX_UPLOAD_BODY)
        .await
        .map_err(|_| too_large())?;
    let fields = multipart::parse(&body, &boundary).map_err(|_| ConsoleError::BadForm)?;
    let token = fields
        .iter()
        .find(|f| f.name == "_csrf")
        .map(|f| String::from_utf8_lossy(f.data).into_owned())
        .unwrap_or_default();
    csrf::check_presented(&signed.person.csrf, &token)?;
    let back = format!("/privacy-centre/me/requests/{id}");
    let Some(document) = fields
        .iter()
        .find(|f| f.name == "document" && !f.data.is_empty())
    else {
        return Ok(redirect_with(&back, Flash::problem("centre.flash.no_file")));
    };
    if document.data.len() > skydd_vault::MAX_DOCUMENT_BYTES {
        return Err(too_large());
    }
    state
        .centre()
        .upload_document(
            &signed.visit.client,
            &signed.person,
            &id,
            document.data,
            signed.visit.now,
        )
        .await?;
    Ok(redirect_with(&back, Flash::done("centre.flash.uploaded")))
}

/// A body beyond the upload's limit: the 413 page.
fn too_large() -> Refusal {
    Refusal::TooLarge
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(request_type: &str) -> SubmitForm {
        SubmitForm {
            request_type: request_type.to_owned(),
            purpose: String::new(),
            target: String::new(),
            value: String::new(),
            message: String::new(),
            confirm: String::new(),
        }
    }

    #[test]
    fn destructive_requests_need_the_box_ticked() {
        let erase = form("erasure");
        assert_eq!(
            request_form(RequestType::Erasure, &erase).unwrap_err(),
            "centre.ask.confirm_missing"
        );
        let confirmed = SubmitForm {
            confirm: "yes".into(),
            message: "  please  ".into(),
            ..form("erasure")
        };
        let asked = request_form(RequestType::Erasure, &confirmed).unwrap();
        assert_eq!(asked.message.as_deref(), Some("please"));
        assert!(request_form(RequestType::Access, &form("access")).is_ok());
    }

    #[test]
    fn a_correction_names_the_value_and_what_it_should_be() {
        let mut correction = form("rectification");
        assert_eq!(
            request_form(RequestType::Rectification, &correction).unwrap_err(),
            "centre.ask.target_missing"
        );
        correction.target = "contact.email".into();
        assert_eq!(
            request_form(RequestType::Rectification, &correction).unwrap_err(),
            "centre.ask.value_missing"
        );
        correction.value = "new@example.se".into();
        let asked = request_form(RequestType::Rectification, &correction).unwrap();
        let proposed = asked.correction.unwrap();
        assert_eq!(
            (proposed.category.as_str(), proposed.field.as_str()),
            ("contact", "email")
        );
        assert!(
            request_form(RequestType::Objection, &form("objection")).is_err(),
            "an objection names its purpose"
        );
    }
}
