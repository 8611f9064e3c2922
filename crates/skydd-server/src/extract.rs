//! Request extractors whose rejections are problems: a bad body or query string becomes a 400
//! that says where the input is wrong, never what it contained (it may be personal data).
//!
//! Handlers take [`ApiJson<T>`], [`ApiQuery<T>`] and [`ApiPath<T>`] instead of axum's `Json`,
//! `Query` and `Path`.

use std::error::Error as StdError;

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::problem::ApiError;

/// A JSON request body; rejections become [`ApiError::InvalidBody`] or
/// [`ApiError::UnsupportedMediaType`].
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(ApiError::from(rejection)),
        }
    }
}

/// A JSON body sent as `application/json` or as `text/plain` (how `navigator.sendBeacon` sends
/// a string, so that a browser needs no CORS preflight); otherwise as [`ApiJson`].
#[derive(Debug, Clone, Copy, Default)]
pub struct BeaconJson<T>(pub T);

impl<T, S> FromRequest<S> for BeaconJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(mut request: Request, state: &S) -> Result<Self, Self::Rejection> {
        use axum::http::HeaderValue;
        use axum::http::header::CONTENT_TYPE;
        let plain_text = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .is_some_and(|media| media.trim().eq_ignore_ascii_case("text/plain"));
        if plain_text {
            request
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        let ApiJson(value) = ApiJson::<T>::from_request(request, state).await?;
        Ok(BeaconJson(value))
    }
}

/// A query string; rejections become [`ApiError::InvalidQuery`].
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => Err(ApiError::from(rejection)),
        }
    }
}

/// Read a whole number that JSON may spell with a zero fraction (`2.0`): JSON Schema counts
/// `2.0` as an integer, so a member the document calls an `integer` takes it too. Use as
/// `#[serde(deserialize_with = "crate::extract::whole_number")]`.
pub fn whole_number<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<u64>,
{
    use serde::Deserialize as _;
    let number = serde_json::Number::deserialize(deserializer)?;
    number
        .as_u64()
        .or_else(|| {
            // 2^64 as a float: the first value past u64::MAX. The cast is exact below it.
            number
                .as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < 18_446_744_073_709_551_616.0)
                .map(|f| f as u64)
        })
        .and_then(|whole| T::try_from(whole).ok())
        .ok_or_else(|| serde::de::Error::custom("not a whole number in range"))
}

/// [`whole_number`] for an optional member: `null` or absent is `None`. Use with
/// `#[serde(default, deserialize_with = "crate::extract::optional_whole_number")]`.
pub fn optional_whole_number<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<u64>,
{
    use serde::Deserialize as _;
    match Option::<serde_json::Number>::deserialize(deserializer)? {
        None => Ok(None),
        Some(number) => whole_number::<_, T>(serde_json::Value::Number(number))
            .map(Some)
            .map_err(serde::de::Error::custom),
    }
}

/// The message an [`ApiTime`] out of range fails with; the extractors answer it with a 422.
const TIME_OUT_OF_RANGE: &str = "a time outside the years Skydd can hold";

/// An instant a client sends, in RFC 3339. One that is well-formed but outside the years Skydd
/// can hold (after 9999-12-30 in UTC) is refused as a value out of range, a 422 naming the
/// member: the document's `date-time` allows it, so it is no malformed request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiTime(pub jiff::Timestamp);

impl<'de> serde::Deserialize<'de> for ApiTime {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        match text.parse::<jiff::Timestamp>() {
            Ok(at) => Ok(ApiTime(at)),
            // A date and time of day that are fine on their own: only the instant is too late.
            Err(_)
                if text
                    .get(..19)
                    .is_some_and(|start| start.parse::<jiff::civil::DateTime>().is_ok()) =>
            {
                Err(serde::de::Error::custom(TIME_OUT_OF_RANGE))
            }
            Err(_) => Err(serde::de::Error::custom("not an RFC 3339 instant")),
        }
    }
}

/// The problem of a time out of range at `path`, when `message` says so.
fn time_out_of_range(path: &serde_path_to_error::Path, message: &str) -> Option<ApiError> {
    message.starts_with(TIME_OUT_OF_RANGE).then(|| {
        let at = render_path(path, 0).unwrap_or_else(|| "a time".to_owned());
        ApiError::invalid(
            format!("`{at}` is a time outside the years Skydd can hold"),
            "give an instant before 9999-12-30",
        )
    })
}

/// The pattern of a [`RegisterId`], for the OpenAPI document ([`is_register_id`] checks it).
pub const REGISTER_ID_PATTERN: &str = "^[a-z][a-z0-9_]{0,63}$";

/// The message a [`RegisterId`] fails with; [`describe`] recognises it.
const NOT_A_REGISTER_ID: &str = "not a register id";

/// Whether `name` has the syntax of a register id: `^[a-z][a-z0-9_]{0,63}$`.
pub fn is_register_id(name: &str) -> bool {
    let mut bytes = name.bytes();
    name.len() <= 64
        && bytes.next().is_some_and(|b| b.is_ascii_lowercase())
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// A name the register defines (a purpose, data category, field, source, event, feature ...) or
/// one of the fixed words of the API (a consent method, a channel): lower snake case, at most 64
/// characters. Checking the syntax at the edge means that whatever is later named in a problem
/// ("unknown purpose `x`") is an id, never a value sent in the wrong place.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, utoipa::ToSchema,
)]
#[serde(transparent)]
#[schema(value_type = String, pattern = "^[a-z][a-z0-9_]{0,63}$", example = "delivery")]
pub struct RegisterId(pub String);

impl RegisterId {
    /// The id as text; one read from a request was checked against the pattern.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> serde::Deserialize<'de> for RegisterId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        if is_register_id(&name) {
            Ok(RegisterId(name))
        } else {
            Err(serde::de::Error::custom(NOT_A_REGISTER_ID))
        }
    }
}

/// Path parameters; a path whose parameters cannot be read (not UTF-8) names no resource, so
/// rejections become [`ApiError::NotFound`].
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(ApiPath(value)),
            Err(_) => Err(ApiError::NotFound),
        }
    }
}

/// Why a request body could not be read whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyError {
    /// Larger than the route reads: 413.
    TooLarge,
    /// Not all there within the body-read timeout: 408.
    TimedOut,
    /// The connection failed while reading: 400.
    Unreadable,
}

impl BodyError {
    /// What went wrong reading a body, from the error (or rejection) it failed with.
    pub(crate) fn of(error: &(dyn StdError + 'static)) -> BodyError {
        if find_in_chain::<crate::listen::BodyTimedOut>(error).is_some() {
            BodyError::TimedOut
        } else if find_in_chain::<http_body_util::LengthLimitError>(error).is_some() {
            BodyError::TooLarge
        } else {
            BodyError::Unreadable
        }
    }
}

impl From<BodyError> for ApiError {
    fn from(error: BodyError) -> ApiError {
        match error {
            BodyError::TooLarge => ApiError::PayloadTooLarge,
            BodyError::TimedOut => ApiError::BodyTimeout,
            BodyError::Unreadable => {
                ApiError::InvalidBody("The request body could not be read.".to_owned())
            }
        }
    }
}

/// Read `body` whole, at most `limit` bytes: the one way a handler or middleware reads a body
/// itself, so a body too large is a 413 and one too slow a 408 everywhere.
pub(crate) async fn read_body(
    body: axum::body::Body,
    limit: usize,
) -> Result<axum::body::Bytes, BodyError> {
    axum::body::to_bytes(body, limit)
        .await
        .map_err(|error| BodyError::of(&error))
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            return ApiError::PayloadTooLarge;
        }
        if let JsonRejection::BytesRejection(bytes) = &rejection {
            return BodyError::of(bytes).into();
        }
        match &rejection {
            JsonRejection::MissingJsonContentType(_) => ApiError::UnsupportedMediaType,
            JsonRejection::JsonSyntaxError(_) => {
                let at = find_in_chain::<serde_path_to_error::Error<serde_json::Error>>(&rejection)
                    .map(serde_path_to_error::Error::inner)
                    .or_else(|| find_in_chain::<serde_json::Error>(&rejection))
                    .map(|error| format!(" (line {}, column {})", error.line(), error.column()))
                    .unwrap_or_default();
                ApiError::InvalidBody(format!("The request body is not valid JSON{at}."))
            }
            JsonRejection::JsonDataError(_) => {
                if let Some(problem) =
                    find_in_chain::<serde_path_to_error::Error<serde_json::Error>>(&rejection)
                        .and_then(|e| time_out_of_range(e.path(), &e.inner().to_string()))
                {
                    return problem;
                }
                let detail = match find_in_chain::<serde_path_to_error::Error<serde_json::Error>>(
                    &rejection,
                ) {
                    Some(error) => format!(
                        "The request body does not match this endpoint: {} (line {}, column {}).",
                        describe(error.path(), &error.inner().to_string()),
                        error.inner().line(),
                        error.inner().column()
                    ),
                    None => "The request body does not match this endpoint.".to_owned(),
                };
                ApiError::InvalidBody(detail)
            }
            _ => ApiError::InvalidBody("The request body could not be read.".to_owned()),
        }
    }
}

/// A request body read whole as bytes (an identity document), refused as a problem: 413 when
/// it is larger than the route reads, 400 when it cannot be read.
#[derive(Debug)]
pub struct ApiBytes(pub axum::body::Bytes);

impl<S> FromRequest<S> for ApiBytes
where
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::body::Bytes::from_request(request, state).await {
            Ok(bytes) => Ok(ApiBytes(bytes)),
            Err(rejection) if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::PayloadTooLarge)
            }
            Err(rejection) => Err(BodyError::of(&rejection).into()),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        if let Some(problem) =
            find_in_chain::<serde_path_to_error::Error<serde::de::value::Error>>(&rejection)
                .and_then(|e| time_out_of_range(e.path(), &e.inner().to_string()))
        {
            return problem;
        }
        let detail = match find_in_chain::<serde_path_to_error::Error<serde::de::value::Error>>(
            &rejection,
        ) {
            Some(error) => format!(
                "The query string does not match this endpoint: {}.",
                describe(error.path(), &error.inner().to_string())
            ),
            None => "The query string does not match this endpoint.".to_owned(),
        };
        ApiError::InvalidQuery(detail)
    }
}

/// Say where input went wrong without repeating it: serde's messages can quote the offending
/// value, and a path can hold a map key the client chose, either of which may be personal data.
/// So only names taken from the endpoint's own type (a missing member, the members an object
/// takes) and path segments that look like ids are passed on.
fn describe(path: &serde_path_to_error::Path, message: &str) -> String {
    // serde_json appends the position; the callers report it on their own.
    let message = message
        .rsplit_once(" at line ")
        .map_or(message, |(message, _)| message);
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split_once('`'))
        .map(|(field, _)| field);
    if let Some(field) = missing {
        return match render_path(path, 0) {
            None => format!("`{field}` is missing"),
            Some(path) => format!("`{path}.{field}` is missing"),
        };
    }
    if message == NOT_A_REGISTER_ID {
        return match render_path(path, 0) {
            None => "a name is not a register id (lower snake case: a-z, 0-9, _)".to_owned(),
            Some(path) => {
                format!("`{path}` is not a register id (lower snake case: a-z, 0-9, _)")
            }
        };
    }
    if message.starts_with("unknown field `") {
        // "unknown field `x`, expected one of `a`, `b`": the part after "expected" comes from
        // the endpoint's type. The unknown name is the client's, and the path's last segment.
        let expected = message
            .split_once(", expected ")
            .map(|(_, expected)| format!("; expected {expected}"))
            .unwrap_or_default();
        return match render_path(path, 1) {
            None => format!("a member is not one this endpoint takes{expected}"),
            Some(path) => format!("`{path}` has a member this endpoint does not take{expected}"),
        };
    }
    match render_path(path, 0) {
        None => "the value has the wrong type or is not allowed".to_owned(),
        Some(path) => format!("the value at `{path}` has the wrong type or is not allowed"),
    }
}

/// `path` without its last `drop` segments, as `a.b[0].c`; `None` for the top level. Segments
/// that do not look like ids (map keys the client chose) are shown as `*`.
fn render_path(path: &serde_path_to_error::Path, drop: usize) -> Option<String> {
    use serde_path_to_error::Segment;
    let segments: Vec<&Segment> = path.iter().collect();
    let keep = segments.len().saturating_sub(drop);
    let mut rendered = String::new();
    for segment in &segments[..keep] {
        match segment {
            Segment::Seq { index } => rendered.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !rendered.is_empty() {
                    rendered.push('.');
                }
                rendered.push_str(if is_register_id(key) { key } else { "*" });
            }
            Segment::Unknown => {
                if !rendered.is_empty() {
                    rendered.push('.');
                }
                rendered.push('?');
            }
        }
    }
    (!rendered.is_empty()).then_some(rendered)
}

/// The first error of type `E` in `error`'s source chain (including `error` itself).
fn find_in_chain<'a, E: StdError + 'static>(error: &'a (dyn StdError + 'static)) -> Option<&'a E> {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(found) = error.downcast_ref::<E>() {
            return Some(found);
        }
        current = error.source();
    }
    None
}

/// Whether a browser privacy signal header is set (`Sec-GPC: 1`, `DNT: 1`; `name` in lower
/// case).
pub(crate) fn privacy_signal(headers: &axum::http::HeaderMap, name: &str) -> bool {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.trim() == "1")
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::header::CONTENT_TYPE;
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Person {
        name: String,
        age: u32,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Strict {
        counts: std::collections::BTreeMap<String, u32>,
        inner: Option<Inner>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        size: u32,
    }

    async fn strict_body(body: &'static str) -> String {
        let request = Request::builder()
            .method("POST")
            .uri("/")
            .header(CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .unwrap();
        let error = ApiJson::<Strict>::from_request(request, &())
            .await
            .unwrap_err();
        error.problem().detail
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Page {
        limit: u32,
    }

    async fn json_body(content_type: Option<&str>, body: &'static str) -> Result<Person, ApiError> {
        let mut request = Request::builder().method("POST").uri("/");
        if let Some(content_type) = content_type {
            request = request.header(CONTENT_TYPE, content_type);
        }
        let request = request.body(Body::from(body)).unwrap();
        ApiJson::<Person>::from_request(request, &())
            .await
            .map(|ApiJson(person)| person)
    }

    async fn query(uri: &str) -> Result<Page, ApiError> {
        let request = Request::builder().uri(uri).body(Body::empty()).unwrap();
        let (mut parts, _) = request.into_parts();
        ApiQuery::<Page>::from_request_parts(&mut parts, &())
            .await
            .map(|ApiQuery(page)| page)
    }

    fn status_and_detail(error: ApiError) -> (u16, String) {
        let problem = error.problem();
        (problem.status, problem.detail)
    }

    #[tokio::test]
    async fn a_valid_body_is_accepted() {
        let person = json_body(Some("application/json"), r#"{"name": "x", "age": 3}"#)
            .await
            .unwrap();
        assert_eq!(person.age, 3);
    }

    #[tokio::test]
    async fn a_wrong_type_names_the_field_but_not_the_value() {
        let error = json_body(
            Some("application/json"),
            r#"{"name": "x", "age": "alice@example.com"}"#,
        )
        .await
        .unwrap_err();
        let (status, detail) = status_and_detail(error);
        assert_eq!(status, 400);
        assert!(detail.contains("`age`"), "{detail}");
        assert!(detail.contains("line 1"), "{detail}");
        assert!(!detail.contains("alice"), "{detail}");
    }

    #[tokio::test]
    async fn broken_json_says_where() {
        let error = json_body(Some("application/json"), "{\"name\": \n  oops")
            .await
            .unwrap_err();
        let (status, detail) = status_and_detail(error);
        assert_eq!(status, 400);
        assert!(
            detail.contains("not valid JSON (line 2, column 3)"),
            "{detail}"
        );
    }

    #[tokio::test]
    async fn a_body_that_is_not_json_is_unsupported() {
        let error = json_body(Some("text/plain"), "{}").await.unwrap_err();
        assert_eq!(status_and_detail(error).0, 415);
        let error = json_body(None, "{}").await.unwrap_err();
        assert_eq!(status_and_detail(error).0, 415);
    }

    #[tokio::test]
    async fn a_missing_field_is_named() {
        let error = json_body(Some("application/json"), r#"{"name": "x"}"#)
            .await
            .unwrap_err();
        let (_, detail) = status_and_detail(error);
        assert!(detail.contains("`age` is missing"), "{detail}");
        let (_, detail) = status_and_detail(query("/?other=1").await.unwrap_err());
        assert!(detail.contains("`limit` is missing"), "{detail}");
    }

    #[tokio::test]
    async fn a_bad_query_names_the_parameter_but_not_the_value() {
        assert_eq!(query("/?limit=5").await.unwrap().limit, 5);
        let (status, detail) = status_and_detail(query("/?limit=secret-value").await.unwrap_err());
        assert_eq!(status, 400);
        assert!(detail.contains("`limit`"), "{detail}");
        assert!(!detail.contains("secret-value"), "{detail}");
    }

    #[tokio::test]
    async fn unknown_members_are_not_repeated_but_the_expected_ones_are_listed() {
        let detail =
            strict_body(r#"{"counts": {}, "inner": {"size": 1, "bob@example.se": 2}}"#).await;
        assert!(
            detail.contains("`inner` has a member this endpoint does not take; expected `size`"),
            "{detail}"
        );
        assert!(!detail.contains("bob"), "{detail}");
        assert_eq!(detail.matches("line 1").count(), 1, "{detail}");

        let detail = strict_body(r#"{"counts": {}, "bob@example.se": 1}"#).await;
        assert!(
            detail.contains("a member is not one this endpoint takes"),
            "{detail}"
        );
        assert!(detail.contains("expected `counts` or `inner`"), "{detail}");
        assert!(!detail.contains("bob"), "{detail}");
    }

    #[tokio::test]
    async fn map_keys_that_are_not_names_are_not_repeated() {
        let detail = strict_body(r#"{"counts": {"bob@example.se": "x", "ok": 1}}"#).await;
        assert!(detail.contains("the value at `counts.*`"), "{detail}");
        assert!(!detail.contains("bob"), "{detail}");
        let detail = strict_body(r#"{"counts": {"shoe_size": "x"}}"#).await;
        assert!(
            detail.contains("the value at `counts.shoe_size`"),
            "{detail}"
        );
    }

    #[test]
    fn whole_numbers_may_have_a_zero_fraction() {
        #[derive(Debug, Deserialize)]
        struct Months {
            #[serde(deserialize_with = "whole_number")]
            months: u32,
            #[serde(default, deserialize_with = "optional_whole_number")]
            count: Option<u64>,
        }
        let read = |json: &str| serde_json::from_str::<Months>(json).map(|m| (m.months, m.count));
        assert_eq!(read(r#"{"months": 2}"#).unwrap(), (2, None));
        assert_eq!(
            read(r#"{"months": 2.0, "count": 5.0}"#).unwrap(),
            (2, Some(5))
        );
        assert_eq!(read(r#"{"months": 1, "count": null}"#).unwrap(), (1, None));
        assert_eq!(
            read(r#"{"months": 1, "count": 18446744073709551615}"#).unwrap(),
            (1, Some(u64::MAX))
        );
        for bad in [
            r#"{"months": 1.5}"#,
            r#"{"months": -1}"#,
            r#"{"months": 4294967296}"#,
            r#"{"months": "2"}"#,
            r#"{"months": 1, "count": 1e300}"#,
        ] {
            assert!(read(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn a_time_past_the_years_skydd_holds_is_out_of_range_not_malformed() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Report {
            became_aware_at: ApiTime,
        }
        let send = |body: &'static str| async move {
            let request = Request::builder()
                .method("POST")
                .uri("/")
                .header(CONTENT_TYPE, "application/json")
                .body(Body::from(body))
                .unwrap();
            ApiJson::<Report>::from_request(request, &()).await
        };
        let ApiJson(report) = send(r#"{"became_aware_at": "2026-03-01T09:00:00.5Z"}"#)
            .await
            .unwrap();
        assert_eq!(
            report.became_aware_at.0,
            "2026-03-01T09:00:00.5Z".parse::<jiff::Timestamp>().unwrap()
        );
        let late = send(r#"{"became_aware_at": "9999-12-31T23:59:59Z"}"#)
            .await
            .unwrap_err()
            .problem();
        assert_eq!(late.status, 422);
        assert!(late.detail.contains("`became_aware_at`"), "{late:?}");
        let garbled = send(r#"{"became_aware_at": "yesterday"}"#)
            .await
            .unwrap_err()
            .problem();
        assert_eq!(garbled.status, 400);
    }

    #[test]
    fn register_ids_are_lower_snake_case() {
        for id in ["delivery", "ai_features", "a", "x2", &"a".repeat(64)] {
            assert!(is_register_id(id), "{id}");
        }
        for name in [
            "",
            "Delivery",
            "2x",
            "_x",
            "a-b",
            "a@example.se",
            "+4670",
            &"a".repeat(65),
        ] {
            assert!(!is_register_id(name), "{name}");
        }
    }

    #[tokio::test]
    async fn a_value_where_a_register_id_belongs_is_not_repeated() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Named {
            purpose: RegisterId,
        }
        let request = Request::builder()
            .method("POST")
            .uri("/")
            .header(CONTENT_TYPE, "application/json")
            .body(Body::from(r#"{"purpose": "bob@example.se"}"#))
            .unwrap();
        let error = ApiJson::<Named>::from_request(request, &())
            .await
            .unwrap_err();
        let detail = error.problem().detail;
        assert!(
            detail.contains("`purpose` is not a register id"),
            "{detail}"
        );
        assert!(!detail.contains("bob"), "{detail}");
    }
}
