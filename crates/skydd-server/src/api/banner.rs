//! The consent banner's server side (issue 18): `GET /v1/banner/config` (what `banner.js` shows,
//! from the register's `cookies` section, in English or Swedish), `POST /v1/banner/consents` (a
//! visitor's choice into the consent ledger, as `navigator.sendBeacon` sends it) and
//! `GET /v1/banner/consents?browser=` (a browser's choices, for callers with `consents_read`).
//!
//! The two routes a company's website calls from the browser are public and sit in the
//! router's `website` group (CORS for the allowed origins is added to that group); the listing
//! needs a token or a staff session like every other `/v1` route. The banner's own words (its
//! buttons and notes, in English and Swedish) are written once, here ([`BannerTexts`]); the
//! categories, services and their texts come from the register, and cookie lifetimes are worded
//! by `skydd_notice::wording::cookie_lifetime`, as the notice's cookie section words them.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, USER_AGENT};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use skydd_consent::{BannerAction, is_browser_id, is_revision};
use skydd_register::Register;
use skydd_register::model::{Choice as _, Cookies, Language};
use skydd_vault::{Actor, BrowserChoices, CookieChoiceInput, CookieChoiceView, WEBSITE_ACTOR};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Authorized, PeerIp, need};
use crate::extract::{ApiQuery, BeaconJson, RegisterId};
use crate::limit::{Limited, route};
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

/// Where a visitor's choice is sent (`log_url` in the configuration).
pub const LOG_PATH: &str = "/v1/banner/consents";

/// The largest choice the log reads, in bytes; a larger body is a 413.
pub const MAX_CHOICE_BYTES: usize = 8 * 1024;

/// The pattern of a browser id, for the OpenAPI document (`skydd_consent::is_browser_id`
/// checks it).
pub const BROWSER_ID_PATTERN: &str = "^[A-Za-z0-9_-]{22,64}$";

/// How long a browser may keep the configuration (`Cache-Control`): five minutes, so a changed
/// register reaches every visitor within five minutes.
pub const CONFIG_CACHE_CONTROL: &str = "public, max-age=300";

/// The banner's own words in one language: every button, heading and note `banner.js` shows
/// that does not come from the register.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BannerTexts {
    /// The banner's heading.
    pub title: &'static str,
    /// The sentence under the heading.
    pub description: &'static str,
    /// The button that gives every category.
    pub accept_all: &'static str,
    /// The button that refuses every category that needs consent (as prominent as
    /// `accept_all`).
    pub reject_all: &'static str,
    /// The button that opens the choice per category.
    pub customise: &'static str,
    /// The button that saves the choice per category.
    pub save: &'static str,
    /// The mark of a required category's switch.
    pub always_on: &'static str,
    /// The button that closes the settings.
    pub close: &'static str,
    /// The link that reopens the settings.
    pub settings_link: &'static str,
    /// The button on a blocked iframe's placeholder that allows its one service.
    pub load_this: &'static str,
    /// The placeholder's sentence for content blocked until its cookies are allowed.
    pub blocked: &'static str,
    /// The note shown to a browser that sends a privacy signal the register honours.
    pub gpc_notice: &'static str,
    /// The question asked when a choice gives a category the browser's signal refuses.
    pub gpc_conflict: &'static str,
    /// The button that withdraws every consent in one click.
    pub withdraw: &'static str,
    /// The label of the browser's pseudonymous id (what to quote when asking about a choice).
    pub your_id: &'static str,
    /// The heading of a category's services.
    pub services: &'static str,
    /// The heading of a service's cookies.
    pub cookies: &'static str,
    /// The label of a service's provider.
    pub provider: &'static str,
    /// The label of a cookie's lifetime.
    pub lifetime: &'static str,
    /// The link to the privacy notice.
    pub privacy_notice: &'static str,
    /// The link to the privacy centre.
    pub privacy_centre: &'static str,
}

impl BannerTexts {
    /// The banner's words in `language`: every language Skydd writes has all of them.
    pub fn of(language: Language) -> BannerTexts {
        match language {
            Language::En => BannerTexts {
                title: "Cookies on this website",
                description: "We use cookies that the website needs in order to work. With your consent we also use the cookies described below. You can change your choice at any time.",
                accept_all: "Accept all",
                reject_all: "Reject all",
                customise: "Choose cookies",
                save: "Save my choices",
                always_on: "Always on",
                close: "Close",
                settings_link: "Cookie settings",
                load_this: "Load this content",
                blocked: "This content is blocked because it sets cookies you have not accepted.",
                gpc_notice: "Your browser asks not to be tracked, so every category that needs your consent starts switched off.",
                gpc_conflict: "Your browser asks not to be tracked. Do you still want to allow the categories you chose?",
                withdraw: "Withdraw my consent",
                your_id: "Your browser's reference in our consent log",
                services: "Services",
                cookies: "Cookies",
                provider: "Provider",
                lifetime: "Lifetime",
                privacy_notice: "Privacy notice",
                privacy_centre: "Privacy centre",
            },
            Language::Sv => BannerTexts {
                title: "Kakor på den här webbplatsen",
                description: "Vi använder kakor som webbplatsen behöver för att fungera. Med ditt samtycke använder vi också de kakor som beskrivs nedan. Du kan ändra ditt val när som helst.",
                accept_all: "Godkänn alla",
                reject_all: "Avböj alla",
                customise: "Välj kakor",
                save: "Spara mina val",
                always_on: "Alltid aktiva",
                close: "Stäng",
                settings_link: "Inställningar för kakor",
                load_this: "Läs in det här innehållet",
                blocked: "Det här innehållet är blockerat eftersom det sätter kakor som du inte har godkänt.",
                gpc_notice: "Din webbläsare ber om att inte bli spårad, så alla kategorier som kräver ditt samtycke är avstängda från början.",
                gpc_conflict: "Din webbläsare ber om att inte bli spårad. Vill du ändå tillåta de kategorier som du har valt?",
                withdraw: "Återkalla mitt samtycke",
                your_id: "Din webbläsares referens i vår samtyckeslogg",
                services: "Tjänster",
                cookies: "Kakor",
                provider: "Leverantör",
                lifetime: "Livslängd",
                privacy_notice: "Integritetspolicy",
                privacy_centre: "Integritetscenter",
            },
        }
    }
}

/// The query string of `GET /v1/banner/config`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ConfigQuery {
    /// `en` or `sv`; without it (or when the register does not publish it), the register's
    /// first language.
    #[param(schema_with = crate::page::language_schema)]
    pub lang: Option<Language>,
}

/// One cookie a service sets.
#[derive(Debug, Serialize, ToSchema)]
pub struct BannerCookie {
    /// The name the browser stores it under.
    #[schema(example = "_ga")]
    pub name: String,
    /// How long it lives, in words in the configuration's language.
    #[schema(example = "2 years")]
    pub lifetime: String,
}

/// A service that sets cookies, fires pixels or uses local storage.
#[derive(Debug, Serialize, ToSchema)]
pub struct BannerService {
    /// The register's id of the service (`data-service` on a blocked element).
    #[schema(example = "google_analytics")]
    pub id: String,
    /// Its name.
    pub name: String,
    /// The company behind it.
    pub provider: String,
    /// `cookie`, `pixel` or `local_storage`.
    #[schema(schema_with = tracker_kind_schema)]
    pub kind: String,
    /// What it is used for.
    pub purpose: String,
    /// Where a visitor can opt out at the provider.
    pub opt_out_url: Option<String>,
    /// The cookies it sets.
    pub cookies: Vec<BannerCookie>,
}

/// A banner category with its services.
#[derive(Debug, Serialize, ToSchema)]
pub struct BannerCategory {
    /// The register's id of the category (`data-category` on a blocked element).
    #[schema(example = "analytics")]
    pub id: String,
    /// Its name.
    pub name: String,
    /// A longer explanation, when the register gives one.
    pub description: Option<String>,
    /// Strictly necessary: always on, cannot be refused.
    pub required: bool,
    /// The Google Consent Mode v2 signals granted when the category is given (maybe none).
    #[schema(schema_with = consent_mode_schema)]
    pub consent_mode: Vec<String>,
    /// The services in this category.
    pub services: Vec<BannerService>,
}

/// What the banner shows and how it behaves, in one language: the body of
/// `GET /v1/banner/config`.
#[derive(Debug, Serialize, ToSchema)]
pub struct BannerConfig {
    /// 16 hex digits of the register's cookies section (categories, services, GPC and DNT
    /// rules): a choice made under another revision is asked again.
    #[schema(example = "3f2a9c0d1e2b4a5f")]
    pub revision: String,
    /// The register version (its digest) the choice is given under.
    pub notice_version: String,
    /// The language of every text here.
    #[schema(schema_with = crate::page::language_schema)]
    pub language: String,
    /// The languages the register publishes, first the default.
    #[schema(schema_with = languages_schema)]
    pub languages: Vec<String>,
    /// The controller's name.
    pub controller: String,
    /// The privacy notice in this language, relative to Skydd's origin.
    #[schema(example = "/privacy?lang=en")]
    pub privacy_url: String,
    /// The privacy centre in this language, relative to Skydd's origin.
    #[schema(example = "/privacy-centre?lang=en")]
    pub centre_url: String,
    /// Where the choice is sent (`POST`), relative to Skydd's origin.
    #[schema(example = "/v1/banner/consents")]
    pub log_url: String,
    /// Global Privacy Control: `honour` (a browser sending it starts with every category that
    /// needs consent refused, and a choice against it is asked for explicitly) or `ignore`.
    #[schema(schema_with = signal_rule_schema)]
    pub gpc: String,
    /// Do Not Track, the same way.
    #[schema(schema_with = signal_rule_schema)]
    pub dnt: String,
    /// The banner's own words in this language.
    pub texts: BannerTexts,
    /// The categories in the register's order, each with its services.
    pub categories: Vec<BannerCategory>,
}

impl BannerConfig {
    /// The configuration of `register` (whose version is `notice_version`) in `language`.
    pub fn of(register: &Register, notice_version: &str, language: Language) -> BannerConfig {
        let cookies = &register.cookies;
        let tag = language.word();
        BannerConfig {
            revision: cookies.revision(),
            notice_version: notice_version.to_owned(),
            language: tag.to_owned(),
            languages: register
                .languages
                .iter()
                .map(|l| l.word().to_owned())
                .collect(),
            controller: register.controller.name.clone(),
            privacy_url: format!("{}?lang={tag}", crate::api::notice::PRIVACY_PATH),
            centre_url: format!("/privacy-centre?lang={tag}"),
            log_url: LOG_PATH.to_owned(),
            gpc: cookies.gpc.word().to_owned(),
            dnt: cookies.dnt.word().to_owned(),
            texts: BannerTexts::of(language),
            categories: categories(cookies, language),
        }
    }
}

fn categories(cookies: &Cookies, language: Language) -> Vec<BannerCategory> {
    use skydd_notice::wording::cookie_lifetime;
    cookies
        .categories
        .iter()
        .map(|category| BannerCategory {
            id: category.id.to_string(),
            name: category.name.get(language).to_owned(),
            description: category
                .description
                .as_ref()
                .map(|d| d.get(language).to_owned()),
            required: category.required,
            consent_mode: category
                .consent_mode
                .iter()
                .map(|s| s.word().to_owned())
                .collect(),
            services: cookies
                .services
                .iter()
                .filter(|service| service.category == category.id)
                .map(|service| BannerService {
                    id: service.id.to_string(),
                    name: service.name.get(language).to_owned(),
                    provider: service.provider.clone(),
                    kind: service.kind.word().to_owned(),
                    purpose: service.purpose.get(language).to_owned(),
                    opt_out_url: service.opt_out_url.clone(),
                    cookies: service
                        .cookies
                        .iter()
                        .map(|cookie| BannerCookie {
                            name: cookie.name.clone(),
                            lifetime: cookie_lifetime(language, cookie.lifetime),
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect()
}

/// The banner's configuration: categories and services from the register, the banner's own
/// words, the GPC and DNT rules, and the revision a choice is made under. Public; browsers may
/// keep it five minutes.
#[utoipa::path(
    get,
    path = "/v1/banner/config",
    tag = "banner",
    params(ConfigQuery),
    responses(
        (status = 200, description = "The configuration in the language asked for (or the \
            register's first). `Cache-Control: max-age=300`.", body = BannerConfig),
        (status = 400, description = "An unknown language.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn config(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ConfigQuery>,
) -> Response {
    let loaded = &state.register;
    let register = &loaded.register;
    let language = query
        .lang
        .filter(|asked| register.languages.contains(asked))
        .or_else(|| register.languages.first().copied())
        .unwrap_or(Language::En);
    let mut response = Json(BannerConfig::of(register, &loaded.digest, language)).into_response();
    response.headers_mut().insert(
        CACHE_CONTROL,
        HeaderValue::from_static(CONFIG_CACHE_CONTROL),
    );
    response
}

fn tracker_kind_schema() -> utoipa::openapi::schema::Object {
    use skydd_register::model::TrackerKind;
    crate::api::openapi::words_schema(TrackerKind::ALL.iter().map(|(w, _)| *w))
}

fn signal_rule_schema() -> utoipa::openapi::schema::Object {
    use skydd_register::model::SignalRule;
    crate::api::openapi::words_schema(SignalRule::ALL.iter().map(|(w, _)| *w))
}

fn consent_mode_schema() -> utoipa::openapi::schema::Array {
    use skydd_register::model::ConsentModeSignal;
    utoipa::openapi::schema::Array::new(crate::api::openapi::words_schema(
        ConsentModeSignal::ALL.iter().map(|(w, _)| *w),
    ))
}

fn languages_schema() -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::Array::new(crate::page::language_schema())
}

/// The body of `POST /v1/banner/consents`: one choice, as `banner.js` sends it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChoiceBody {
    /// The browser's pseudonymous id: 22 to 64 characters of `A-Z a-z 0-9 _ -`, made by
    /// banner.js and kept in the website's `skydd_consent` cookie. Stored only as a keyed blind
    /// index.
    #[schema(pattern = "^[A-Za-z0-9_-]{22,64}$", example = "k3J9xQ2mV8pL0aZ7wR4tYu")]
    pub browser: String,
    /// The configuration's `revision` the choice was made under; another than the one in force
    /// is refused (422): reload the configuration and ask again.
    #[schema(pattern = "^[0-9a-f]{16}$", example = "3f2a9c0d1e2b4a5f")]
    pub revision: String,
    /// The configuration's `notice_version`.
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub notice_version: String,
    /// The configuration's `language`.
    #[schema(schema_with = crate::page::language_schema)]
    pub language: Language,
    /// What the visitor did.
    #[schema(schema_with = action_schema)]
    pub action: String,
    /// The categories given (required ones always).
    pub given: Vec<RegisterId>,
    /// The categories refused; with `given`, every category of the configuration once.
    pub refused: Vec<RegisterId>,
    /// Single services allowed (`true`) or refused (`false`) apart from their category ("load
    /// this"), by service id.
    #[serde(default)]
    #[schema(example = json!({"youtube": true}))]
    pub services: BTreeMap<String, bool>,
    /// `navigator.globalPrivacyControl` was true (a `Sec-GPC: 1` header counts too).
    #[serde(default)]
    pub gpc: bool,
    /// `navigator.doNotTrack` was `1` (a `DNT: 1` header counts too).
    #[serde(default)]
    pub dnt: bool,
}

fn action_schema() -> utoipa::openapi::schema::Object {
    crate::api::openapi::words_schema(BannerAction::ALL.iter().map(|(_, w)| *w))
}

/// The member of a choice whose shape the document gives, when it does not have it: a 400
/// naming the member (never its value).
fn shape_of(body: &ChoiceBody) -> Result<BannerAction, ApiError> {
    let wrong = |member: &str, shape: &str| {
        ApiError::InvalidBody(format!(
            "The request body does not match this endpoint: `{member}` is not {shape}."
        ))
    };
    if !is_browser_id(&body.browser) {
        return Err(wrong(
            "browser",
            "a browser id (22 to 64 characters of A-Z, a-z, 0-9, `_` and `-`, as banner.js makes it)",
        ));
    }
    if !is_revision(&body.revision) {
        return Err(wrong("revision", "16 lowercase hex digits"));
    }
    let digest = body.notice_version.len() == 64
        && body
            .notice_version
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if !digest {
        return Err(wrong("notice_version", "64 lowercase hex digits"));
    }
    body.action.parse().map_err(|_| {
        wrong(
            "action",
            "one of accept_all, reject_all, custom, withdraw, service",
        )
    })
}

/// Log a visitor's choice in the consent ledger's cookie table. Public: `banner.js` sends it
/// with `navigator.sendBeacon` as `text/plain;charset=UTF-8` (no CORS preflight); an
/// `application/json` body is read the same way. At most 8 KiB. The browser id is stored only as
/// a keyed blind index, the IP address and user agent sealed; the time is the server's.
/// Limited per client address (a caller with an API token is not), before the body is read.
#[utoipa::path(
    post,
    path = "/v1/banner/consents",
    tag = "banner",
    request_body(content = ChoiceBody, description = "One choice. Also read when sent as \
        `text/plain;charset=UTF-8` (as `navigator.sendBeacon` sends a string)."),
    params(
        ("Sec-GPC" = Option<String>, Header, description = "`1`: Global Privacy Control; \
            recorded with the choice as `gpc`."),
        ("DNT" = Option<String>, Header, description = "`1`: Do Not Track; recorded as `dnt`."),
    ),
    responses(
        (status = 204, description = "The choice was logged."),
        (status = 400, description = "The body is not a choice: not JSON, a member missing or \
            of the wrong shape (the browser id, the revision, an id); the detail names the \
            member.", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than 8 KiB.", body = Problem,
            content_type = "application/problem+json"),
        (status = 422, description = "The choice does not fit the banner in force: another \
            revision (reload the configuration), an unknown category or service, a category \
            missing or twice, a required category refused.", body = Problem,
            content_type = "application/problem+json"),
        (status = 429, description = "Without a token: this address has sent too many \
            choices, refused before the body is read; `Retry-After` says when to try again.",
            body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds until the next request is taken."))),
    )
)]
pub async fn log_choice(
    State(state): State<AppState>,
    _: Limited<route::BannerLog>,
    PeerIp(ip): PeerIp,
    headers: HeaderMap,
    BeaconJson(body): BeaconJson<ChoiceBody>,
) -> Result<StatusCode, ApiError> {
    let now = state.clock.now();
    let action = shape_of(&body)?;
    let input = CookieChoiceInput {
        browser: body.browser,
        revision: body.revision,
        notice_version: body.notice_version,
        language: body.language,
        action,
        given: body.given.into_iter().map(|id| id.0).collect(),
        refused: body.refused.into_iter().map(|id| id.0).collect(),
        services: body.services,
        gpc: body.gpc || crate::extract::privacy_signal(&headers, "sec-gpc"),
        dnt: body.dnt || crate::extract::privacy_signal(&headers, "dnt"),
        ip,
        user_agent: headers
            .get(USER_AGENT)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned),
    };
    state
        .vault()
        .record_cookie_choice(&Actor::new(WEBSITE_ACTOR), input, now)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The query string of `GET /v1/banner/consents`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ChoicesQuery {
    /// The browser's id, as the visitor reads it in the banner's settings.
    #[param(pattern = "^[A-Za-z0-9_-]{22,64}$")]
    pub browser: String,
}

/// One logged choice.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChoiceResponse {
    /// When it was logged (the server's clock): an RFC 3339 instant in UTC.
    #[schema(value_type = String, format = DateTime)]
    pub at: jiff::Timestamp,
    /// What the visitor did.
    #[schema(schema_with = action_schema)]
    pub action: String,
    /// The categories given.
    pub given: Vec<String>,
    /// The categories refused.
    pub refused: Vec<String>,
    /// Single services allowed or refused, by service id.
    pub services: BTreeMap<String, bool>,
    /// The browser sent Global Privacy Control.
    pub gpc: bool,
    /// The browser sent Do Not Track.
    pub dnt: bool,
    /// The banner revision it was made under.
    pub revision: String,
    /// The register version it was made under.
    pub notice_version: String,
    /// The banner's language.
    #[schema(schema_with = crate::page::language_schema)]
    pub language: String,
    /// Always `banner`.
    #[schema(example = "banner")]
    pub method: String,
}

impl From<CookieChoiceView> for ChoiceResponse {
    fn from(view: CookieChoiceView) -> Self {
        ChoiceResponse {
            at: view.at,
            action: view.action,
            given: view.given,
            refused: view.refused,
            services: view.services,
            gpc: view.gpc,
            dnt: view.dnt,
            revision: view.revision,
            notice_version: view.notice_version,
            language: view.language,
            method: view.method,
        }
    }
}

/// A browser's choices.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChoicesResponse {
    /// Whether any choice of this browser is logged.
    pub browser_known: bool,
    /// Its choices, newest first.
    pub choices: Vec<ChoiceResponse>,
}

impl From<BrowserChoices> for ChoicesResponse {
    fn from(choices: BrowserChoices) -> Self {
        ChoicesResponse {
            browser_known: choices.browser_known,
            choices: choices.choices.into_iter().map(Into::into).collect(),
        }
    }
}

/// The choices one browser made in the banner, newest first (the proof of what a visitor
/// agreed to, Art. 7(1)). Without the address or user agent; reading is audited.
#[utoipa::path(
    get,
    path = "/v1/banner/consents",
    tag = "banner",
    security(("bearer" = [])),
    params(ChoicesQuery),
    responses(
        (status = 200, description = "The browser's choices; an id nothing was logged under \
            answers `browser_known: false`.", body = ChoicesResponse),
    )
)]
pub async fn list_choices(
    State(state): State<AppState>,
    Authorized(caller, _): Authorized<need::ConsentsRead>,
    ApiQuery(query): ApiQuery<ChoicesQuery>,
) -> Result<Json<ChoicesResponse>, ApiError> {
    if !is_browser_id(&query.browser) {
        return Err(ApiError::InvalidQuery(
            "The query string does not match this endpoint: `browser` is not a browser id (22 \
             to 64 characters of A-Z, a-z, 0-9, `_` and `-`)."
                .to_owned(),
        ));
    }
    let now = state.clock.now();
    let choices = state
        .vault()
        .cookie_choices(&caller.actor, &query.browser, now)
        .await?;
    Ok(Json(choices.into()))
}
