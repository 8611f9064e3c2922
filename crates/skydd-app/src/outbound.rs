//! Skydd's outbound HTTP client: single sign-on talks to the OpenID provider with it (GET, form
//! POST), and a portability request is transmitted to another controller with it (a file POST,
//! Art. 20(2)). HTTP/1.1, TLS by rustls (ring, the webpki roots), plain HTTP only to a loopback
//! address.
//!
//! Deliberately small: no redirects (discovery and the token endpoint answer directly), no
//! proxy, no cookies, a time limit on the whole exchange and a size limit on the answer. An
//! answer is only ever parsed or its status read, never shown to anybody.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use url::Url;

/// The longest a request may take, from connecting to the last byte.
const TIMEOUT: Duration = Duration::from_secs(30);
/// The largest answer read from the provider (discovery documents are a few kB).
const MAX_BODY: usize = 256 * 1024;

/// What went wrong talking to the other side. Says which step failed, never the other side's
/// text.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The URL has no host, or a scheme other than `https` (or `http` to a loopback address).
    #[error("cannot call {0}: only https:// URLs (or http:// to a loopback address) are allowed")]
    Url(String),
    /// No TCP connection could be made.
    #[error("cannot connect to {host}: {source}")]
    Connect {
        /// The host and port.
        host: String,
        /// Why.
        source: std::io::Error,
    },
    /// The TLS handshake failed (an untrusted or mismatching certificate, among others).
    #[error("the TLS handshake with {host} failed: {source}")]
    Tls {
        /// The host.
        host: String,
        /// Why.
        source: std::io::Error,
    },
    /// The HTTP exchange failed.
    #[error("the HTTP exchange with {host} failed: {source}")]
    Http {
        /// The host.
        host: String,
        /// Why.
        source: hyper::Error,
    },
    /// The answer was larger than this client reads.
    #[error("the answer from {0} is larger than {MAX_BODY} bytes")]
    TooLarge(String),
    /// The exchange took longer than the time limit.
    #[error("{0} did not answer within {secs} seconds", secs = TIMEOUT.as_secs())]
    Timeout(String),
}

/// A provider's answer: its status and body.
#[derive(Debug)]
pub(crate) struct Answer {
    /// The HTTP status.
    pub(crate) status: StatusCode,
    /// The body, at most [`MAX_BODY`] bytes.
    pub(crate) body: Bytes,
}

/// `GET url` with `Accept: application/json`.
pub(crate) async fn get(url: &Url) -> Result<Answer, ClientError> {
    send(Method::GET, url, None, Vec::new()).await
}

/// `POST url` with `body` of `content_type`, and the extra `headers`.
pub(crate) async fn post_bytes(
    url: &Url,
    content_type: &'static str,
    body: Bytes,
    headers: Vec<(header::HeaderName, HeaderValue)>,
) -> Result<Answer, ClientError> {
    send(Method::POST, url, Some((content_type, body)), headers).await
}

/// `POST url` with `form` as `application/x-www-form-urlencoded`, and the extra `headers`
/// (the client's `Authorization` for `client_secret_basic`).
pub(crate) async fn post_form(
    url: &Url,
    form: &[(&str, &str)],
    headers: Vec<(header::HeaderName, HeaderValue)>,
) -> Result<Answer, ClientError> {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let body = ("application/x-www-form-urlencoded", Bytes::from(body));
    send(Method::POST, url, Some(body), headers).await
}

/// Whether `url` may be called: `https`, or `http` to a loopback address (tests, a provider on
/// the same host).
pub(crate) fn allowed(url: &Url) -> bool {
    match url.scheme() {
        "https" => url.host().is_some(),
        "http" => is_loopback(url),
        _ => false,
    }
}

/// Whether `url`'s host is a loopback address or `localhost`.
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

async fn send(
    method: Method,
    url: &Url,
    body: Option<(&'static str, Bytes)>,
    headers: Vec<(header::HeaderName, HeaderValue)>,
) -> Result<Answer, ClientError> {
    let host = url
        .host_str()
        .map(|h| h.trim_start_matches('[').trim_end_matches(']').to_owned());
    let (Some(host), Some(port), true) = (host, url.port_or_known_default(), allowed(url)) else {
        return Err(ClientError::Url(origin(url)));
    };
    match tokio::time::timeout(TIMEOUT, exchange(method, url, &host, port, body, headers)).await {
        Ok(answer) => answer,
        Err(_) => Err(ClientError::Timeout(origin(url))),
    }
}

async fn exchange(
    method: Method,
    url: &Url,
    host: &str,
    port: u16,
    body: Option<(&'static str, Bytes)>,
    headers: Vec<(header::HeaderName, HeaderValue)>,
) -> Result<Answer, ClientError> {
    let shown = origin(url);
    let tcp = tokio::net::TcpStream::connect((host, port))
        .await
        .map_err(|source| ClientError::Connect {
            host: shown.clone(),
            source,
        })?;
    let request =
        request(method, url, body, headers).map_err(|_| ClientError::Url(shown.clone()))?;
    if url.scheme() == "https" {
        let name = rustls::pki_types::ServerName::try_from(host.to_owned())
            .map_err(|_| ClientError::Url(shown.clone()))?;
        let config = tls_config().map_err(|error| ClientError::Tls {
            host: shown.clone(),
            source: std::io::Error::other(error),
        })?;
        let tls = tokio_rustls::TlsConnector::from(config)
            .connect(name, tcp)
            .await
            .map_err(|source| ClientError::Tls {
                host: shown.clone(),
                source,
            })?;
        round_trip(TokioIo::new(tls), request, &shown).await
    } else {
        round_trip(TokioIo::new(tcp), request, &shown).await
    }
}

fn request(
    method: Method,
    url: &Url,
    body: Option<(&'static str, Bytes)>,
    headers: Vec<(header::HeaderName, HeaderValue)>,
) -> Result<Request<Full<Bytes>>, hyper::http::Error> {
    let mut target = url.path().to_owned();
    if let Some(query) = url.query() {
        target.push('?');
        target.push_str(query);
    }
    let authority = match url.port() {
        Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_owned(),
    };
    let mut builder = Request::builder()
        .method(method)
        .uri(target)
        .header(header::HOST, authority)
        .header(header::ACCEPT, "application/json")
        .header(header::USER_AGENT, "skydd");
    if let Some((content_type, _)) = &body {
        builder = builder.header(header::CONTENT_TYPE, *content_type);
    }
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    builder.body(Full::new(body.map(|(_, bytes)| bytes).unwrap_or_default()))
}

async fn round_trip<I>(
    io: I,
    request: Request<Full<Bytes>>,
    shown: &str,
) -> Result<Answer, ClientError>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let http = |source| ClientError::Http {
        host: shown.to_owned(),
        source,
    };
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(http)?;
    // The connection is driven until the answer is read; it is used for this request only.
    let driver = tokio::spawn(connection);
    let response = sender.send_request(request).await.map_err(http)?;
    let status = response.status();
    let body = Limited::new(response.into_body(), MAX_BODY)
        .collect()
        .await
        .map_err(|_| ClientError::TooLarge(shown.to_owned()))?
        .to_bytes();
    driver.abort();
    Ok(Answer { status, body })
}

/// The TLS settings: the webpki roots, the ring provider, TLS 1.2 and 1.3. Built once.
fn tls_config() -> Result<Arc<rustls::ClientConfig>, rustls::Error> {
    static CONFIG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    if let Some(config) = CONFIG.get() {
        return Ok(config.clone());
    }
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(CONFIG.get_or_init(|| Arc::new(config)).clone())
}

/// `scheme://host[:port]` of `url`: what errors name (never a path or query, which may carry
/// a code).
pub(crate) fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}
