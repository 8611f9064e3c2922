//! Request extractors whose rejections are problems: a bad body or query string becomes a 400
//! that says where the input is wrong, never what it contained (it may be personal data).
//!
//! Handlers take [`ApiJson<T>`] and [`ApiQuery<T>`] instead of axum's `Json` and `Query`.

use std::error::Error as StdError;

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
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

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
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
                let detail = match find_in_chain::<serde_path_to_error::Error<serde_json::Error>>(
                    &rejection,
                ) {
                    Some(error) => format!(
                        "The request body does not match this endpoint: {} (line {}, column {}).",
                        describe(&error.path().to_string(), &error.inner().to_string()),
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

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        let detail = match find_in_chain::<serde_path_to_error::Error<serde::de::value::Error>>(
            &rejection,
        ) {
            Some(error) => format!(
                "The query string does not match this endpoint: {}.",
                describe(&error.path().to_string(), &error.inner().to_string())
            ),
            None => "The query string does not match this endpoint.".to_owned(),
        };
        ApiError::InvalidQuery(detail)
    }
}

/// Say where input went wrong without repeating it: serde's messages can quote the offending
/// value, which may be personal data, so only a missing field's name (taken from the endpoint's
/// own type) is passed on.
fn describe(path: &str, message: &str) -> String {
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split_once('`'))
        .map(|(field, _)| field);
    match (missing, path) {
        (Some(field), ".") => format!("`{field}` is missing"),
        (Some(field), path) => format!("`{path}.{field}` is missing"),
        (None, path) => format!("the value at `{path}` has the wrong type or is not allowed"),
    }
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
}
