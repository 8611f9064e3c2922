//! The public surface facing the internet (issue 18, section 3): abuse limits per client
//! address and per identity on every public route, the client address behind a trusted
//! reverse proxy, CORS for website origins on intake only, header and body read timeouts, 413
//! for bodies over a route's limit, and a 9.5 MiB identity document end to end.

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use reqwest::header::{CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use skydd_app::site::{Origin, PublicSite};
use skydd_server::forwarded::TrustedProxies;
use skydd_server::listen::Timeouts;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{TestApp, backends, captured_log, json_body, on_each_backend, problem, spawn_app_edge};

/// `POST /v1/requests` for an access request about `email`, without a token.
async fn intake(client: &reqwest::Client, app: &TestApp, email: &str) -> reqwest::Response {
    client
        .post(app.url("/v1/requests"))
        .json(&json!({"type": "access", "identity": {"email": email}}))
        .send()
        .await
        .unwrap()
}

/// Messages in the outbox, whoever they are for.
async fn queued(app: &TestApp) -> usize {
    app.storage.outbox_messages(None).await.unwrap().len()
}

/// A client whose connections come from `127.0.0.<n>` (Linux routes all of 127/8 to the
/// loopback interface, so each is another client address to the server).
fn client_from(n: u8) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, n)))
        .build()
        .unwrap()
}

/// Check a 429 problem: `Retry-After` in whole seconds, the problem type, and no trace of
/// `secret` (the identity asked about) in the body.
async fn too_many(response: reqwest::Response, backend: &str, secret: &str) {
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1, "{backend}: {retry_after}");
    let body = problem(response, StatusCode::TOO_MANY_REQUESTS, backend).await;
    assert_eq!(
        body["type"], "https://skydd.dev/problems/too-many-requests",
        "{backend}"
    );
    assert!(!body.to_string().contains(secret), "{backend}: {body}");
}

/// The acceptance of issue 18: a loop of 200 intake requests for one e-mail address used to
/// queue about 400 messages to that person; now it queues a handful and the rest are 429s with
/// `Retry-After`, whether the loop runs from one address or from 200.
#[tokio::test]
async fn a_loop_of_intakes_for_one_identity_queues_a_handful_of_messages() {
    on_each_backend(async |app| {
        let backend = app.backend;
        app.create_subject(json!({"email": "loop@example.se"}))
            .await;
        // From one address: written in several ways, the address is one identity.
        let before = queued(app).await;
        let mut accepted = 0;
        for n in 0..200 {
            let email = ["loop@example.se", " LOOP@Example.se", "Loop@example.SE"][n % 3];
            let response = intake(&app.client, app, email).await;
            match response.status() {
                StatusCode::ACCEPTED => accepted += 1,
                StatusCode::TOO_MANY_REQUESTS => too_many(response, backend, "loop@").await,
                other => panic!("{backend}: {other}"),
            }
        }
        let sent = queued(app).await - before;
        assert!(accepted <= 3, "{backend}: {accepted} accepted");
        assert!((1..=6).contains(&sent), "{backend}: {sent} messages queued");

        // From 200 addresses, for another known person: the identity's budget stops it.
        app.create_subject(json!({"email": "many@example.se"}))
            .await;
        let before = queued(app).await;
        let mut accepted = 0;
        for n in 2..202 {
            let client = client_from(u8::try_from(n).unwrap_or(255));
            let response = intake(&client, app, "many@example.se").await;
            match response.status() {
                StatusCode::ACCEPTED => accepted += 1,
                StatusCode::TOO_MANY_REQUESTS => too_many(response, backend, "many@").await,
                other => panic!("{backend}: {other}"),
            }
        }
        let sent = queued(app).await - before;
        assert!(accepted <= 3, "{backend}: {accepted} accepted");
        assert!((1..=6).contains(&sent), "{backend}: {sent} messages queued");
        let log = captured_log();
        assert!(!log.contains("loop@example.se"), "{backend}");
        assert!(!log.contains("many@example.se"), "{backend}");
    })
    .await;
}

/// Per client address, intake takes ten at once, whatever identities are asked about; a caller
/// with an API token (a company's own system, a member of staff) is not limited.
#[tokio::test]
async fn intake_is_limited_per_address_and_not_for_tokens() {
    on_each_backend(async |app| {
        let backend = app.backend;
        let client = client_from(7);
        for n in 0..10 {
            let response = intake(&client, app, &format!("p{n}@example.se")).await;
            assert_eq!(response.status(), StatusCode::ACCEPTED, "{backend}");
        }
        let refused = intake(&client, app, "p10@example.se").await;
        assert_eq!(refused.headers()["retry-after"], "60", "{backend}");
        let body: Value = refused.json().await.unwrap();
        insta::assert_json_snapshot!("too_many_requests", body);
        // Another address is another budget.
        let response = intake(&client_from(8), app, "p11@example.se").await;
        assert_eq!(response.status(), StatusCode::ACCEPTED, "{backend}");
        // A token is not limited per address or per identity.
        for _ in 0..15 {
            let response = app
                .send(
                    Method::POST,
                    "/v1/requests",
                    Some(&json!({"type": "access", "identity": {"email": "p0@example.se"}})),
                )
                .await;
            assert_eq!(response.status(), StatusCode::ACCEPTED, "{backend}");
        }
    })
    .await;
}

/// Verification, document upload, the unsubscribe pages, single sign-on and the privacy notice
/// are limited per address too; a refused upload is refused before its body is read, and the
/// HTML routes answer with a page, not a problem document.
#[tokio::test]
async fn every_public_route_is_limited_per_address() {
    on_each_backend(async |app| {
        let backend = app.backend;
        let id = "0123456789abcdef0123456789abcdef";
        // Verification: twenty at once.
        let client = client_from(20);
        let verify = async || {
            client
                .post(app.url(&format!("/v1/requests/{id}/verify")))
                .json(&json!({"code": "12345678"}))
                .send()
                .await
                .unwrap()
        };
        for _ in 0..20 {
            assert_eq!(verify().await.status(), StatusCode::NOT_FOUND, "{backend}");
        }
        too_many(verify().await, backend, "12345678").await;

        // Documents: ten at once.
        for _ in 0..10 {
            let response = app
                .client
                .post(app.url(&format!("/v1/requests/{id}/documents")))
                .header(CONTENT_TYPE, "application/pdf")
                .body(b"%PDF-1.7".to_vec())
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{backend}");
        }
        // The eleventh is refused before its body is read: announced with `Expect:
        // 100-continue`, it gets the 429 at once and never the go-ahead to send 12 MiB.
        let address = app.address.trim_start_matches("http://").to_owned();
        let mut stream = TcpStream::connect(&address).await.unwrap();
        let head = format!(
            "POST /v1/requests/{id}/documents HTTP/1.1\r\nHost: skydd\r\n\
             Content-Type: application/pdf\r\nContent-Length: {}\r\n\
             Expect: 100-continue\r\nConnection: close\r\n\r\n",
            12 << 20
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let (answer, _) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
        assert!(answer.starts_with("HTTP/1.1 429"), "{backend}: {answer}");
        assert!(!answer.contains("100 Continue"), "{backend}: {answer}");
        assert!(
            answer.to_ascii_lowercase().contains("retry-after: "),
            "{backend}"
        );

        // The unsubscribe pages: thirty at once, then a page saying so, in Swedish when asked.
        let client = client_from(22);
        for _ in 0..30 {
            let page = client
                .get(app.url("/unsubscribe?token=x"))
                .send()
                .await
                .unwrap();
            assert_eq!(page.status(), StatusCode::UNPROCESSABLE_ENTITY, "{backend}");
        }
        let page = client
            .post(app.url("/unsubscribe"))
            .header("accept-language", "sv")
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body("token=x")
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::TOO_MANY_REQUESTS, "{backend}");
        assert!(page.headers().contains_key("retry-after"), "{backend}");
        assert_eq!(
            page.headers()[CONTENT_TYPE],
            "text/html; charset=utf-8",
            "{backend}"
        );
        assert!(
            page.headers()[CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .contains("default-src 'none'"),
            "{backend}"
        );
        let body = page.text().await.unwrap();
        assert!(body.contains("För många försök"), "{backend}: {body}");
        insta::assert_snapshot!("too_many_page_sv", body);

        // Single sign-on (here not configured: 404 pages until the limit).
        let client = client_from(23);
        let sso = async || {
            client
                .get(app.url("/console/sign-in/sso"))
                .send()
                .await
                .unwrap()
        };
        for _ in 0..20 {
            assert_eq!(sso().await.status(), StatusCode::NOT_FOUND, "{backend}");
        }
        let page = sso().await;
        assert_eq!(page.status(), StatusCode::TOO_MANY_REQUESTS, "{backend}");
        assert!(page.headers().contains_key("retry-after"), "{backend}");
        assert!(
            page.headers()[CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .contains("script-src 'self'"),
            "{backend}: the console's page"
        );
        assert!(
            page.text().await.unwrap().contains("Too many attempts"),
            "{backend}"
        );

        // The privacy notice and its history, written from the register on each call: sixty
        // at once from one address, the two sharing one budget.
        let client = client_from(24);
        for n in 0..60 {
            let path = if n % 2 == 0 {
                "/privacy"
            } else {
                "/privacy/versions"
            };
            let page = client.get(app.url(path)).send().await.unwrap();
            assert_eq!(page.status(), StatusCode::OK, "{backend}: {path}");
        }
        let refused = client.get(app.url("/privacy")).send().await.unwrap();
        too_many(refused, backend, "privacy").await;
    })
    .await;
}

/// The addresses of the intake audit entries (`request.receive`).
async fn intake_addresses(app: &TestApp) -> Vec<Option<String>> {
    let page = app.get_ok("/v1/audit?limit=1000").await;
    page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["action"] == "request.receive")
        .map(|entry| entry["ip"].as_str().map(str::to_owned))
        .collect()
}

/// Behind a trusted proxy, the client is the address it names in `X-Forwarded-For`: the limits
/// count per client, and the audit trail records the client. From an untrusted peer the header
/// is ignored.
#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_client_is_the_client() {
    for backend in backends() {
        let trusted = TrustedProxies::new(vec!["127.0.0.1".parse().unwrap()]);
        let app = spawn_app_edge(
            &backend,
            |app, _| app,
            |state| state.with_trusted_proxies(trusted),
        )
        .await;
        let name = app.backend;
        let through_proxy = async |client: &str, email: &str| {
            app.client
                .post(app.url("/v1/requests"))
                // The client forged the first entry; the proxy appended the real one.
                .header("x-forwarded-for", format!("10.9.9.9, {client}"))
                .json(&json!({"type": "access", "identity": {"email": email}}))
                .send()
                .await
                .unwrap()
        };
        // Twelve clients behind the one proxy: none is limited.
        for n in 1..=12 {
            let response =
                through_proxy(&format!("198.51.100.{n}"), &format!("c{n}@example.se")).await;
            assert_eq!(response.status(), StatusCode::ACCEPTED, "{name}");
        }
        // One client behind it: limited as itself.
        for n in 0..10 {
            let response = through_proxy("203.0.113.9", &format!("d{n}@example.se")).await;
            assert_eq!(response.status(), StatusCode::ACCEPTED, "{name}");
        }
        too_many(
            through_proxy("203.0.113.9", "d10@example.se").await,
            name,
            "d10@",
        )
        .await;
        let addresses = intake_addresses(&app).await;
        assert_eq!(addresses.len(), 22, "{name}");
        assert!(
            addresses.contains(&Some("198.51.100.1".to_owned())),
            "{name}: {addresses:?}"
        );
        assert!(
            addresses.contains(&Some("203.0.113.9".to_owned())),
            "{name}"
        );
        assert!(
            !addresses.contains(&Some("10.9.9.9".to_owned())),
            "{name}: a forged entry is never believed"
        );
        app.stop().await;
    }

    // Without --trusted-proxy the header is the client's own word, and ignored.
    on_each_backend(async |app| {
        let backend = app.backend;
        for n in 0..10 {
            let response = app
                .client
                .post(app.url("/v1/requests"))
                .header("x-forwarded-for", format!("198.51.100.{n}"))
                .json(&json!({"type": "access", "identity": {"email": format!("u{n}@example.se")}}))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::ACCEPTED, "{backend}");
        }
        let response = app
            .client
            .post(app.url("/v1/requests"))
            .header("x-forwarded-for", "198.51.100.99")
            .json(&json!({"type": "access", "identity": {"email": "u10@example.se"}}))
            .send()
            .await
            .unwrap();
        too_many(response, backend, "u10@").await;
        let addresses = intake_addresses(app).await;
        assert!(
            addresses
                .iter()
                .all(|ip| ip.as_deref() == Some("127.0.0.1")),
            "{backend}: {addresses:?}"
        );
    })
    .await;
}

/// The origin of a company website in the tests.
const WEBSITE: &str = "https://www.example.com";

/// A request from a browser page on `origin`.
fn from_origin(app: &TestApp, method: Method, path: &str, origin: &str) -> reqwest::RequestBuilder {
    app.client
        .request(method, app.url(path))
        .header("origin", origin)
}

/// The CORS headers of a response, by name.
fn cors_headers(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .keys()
        .map(|name| name.as_str().to_owned())
        .filter(|name| name.starts_with("access-control-"))
        .collect()
}

/// Intake and its verification answer the allowed website origins (preflight and request),
/// never with credentials; no other origin and no other route gets a CORS header.
#[tokio::test]
async fn cors_opens_intake_to_the_allowed_origins_only() {
    for backend in backends() {
        let site = PublicSite {
            allowed_origins: vec![Origin::parse(WEBSITE).unwrap()],
            ..PublicSite::default()
        };
        let app = spawn_app_edge(&backend, |app, _| app.with_site(site), |state| state).await;
        let name = app.backend;
        let id = "0123456789abcdef0123456789abcdef";
        for path in [
            "/v1/requests".to_owned(),
            format!("/v1/requests/{id}/verify"),
        ] {
            let preflight = from_origin(&app, Method::OPTIONS, &path, WEBSITE)
                .header("access-control-request-method", "POST")
                .header("access-control-request-headers", "content-type")
                .send()
                .await
                .unwrap();
            assert_eq!(preflight.status(), StatusCode::NO_CONTENT, "{name} {path}");
            let h = preflight.headers();
            assert_eq!(h["access-control-allow-origin"], WEBSITE, "{name}");
            assert!(
                h["access-control-allow-methods"]
                    .to_str()
                    .unwrap()
                    .contains("POST"),
                "{name}"
            );
            assert_eq!(h["access-control-allow-headers"], "Content-Type", "{name}");
            assert_eq!(h["access-control-max-age"], "3600", "{name}");
            assert!(h["vary"].to_str().unwrap().contains("Origin"), "{name}");
            assert!(
                !h.contains_key("access-control-allow-credentials"),
                "{name}"
            );

            // From another origin: no CORS, the route refuses OPTIONS as any other method.
            let refused = from_origin(&app, Method::OPTIONS, &path, "https://evil.example")
                .header("access-control-request-method", "POST")
                .send()
                .await
                .unwrap();
            assert_eq!(refused.status(), StatusCode::METHOD_NOT_ALLOWED, "{name}");
            assert!(cors_headers(&refused).is_empty(), "{name}");
        }

        // The request itself: the origin allowed, `Retry-After` readable, `Vary: Origin`.
        let response = from_origin(&app, Method::POST, "/v1/requests", WEBSITE)
            .json(&json!({"type": "access", "identity": {"email": "web@example.se"}}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::ACCEPTED, "{name}");
        let h = response.headers();
        assert_eq!(h["access-control-allow-origin"], WEBSITE, "{name}");
        assert_eq!(h["access-control-expose-headers"], "Retry-After", "{name}");
        assert!(h["vary"].to_str().unwrap().contains("Origin"), "{name}");
        assert!(
            !h.contains_key("access-control-allow-credentials"),
            "{name}"
        );
        // Not listed: served (a browser then withholds the answer from the page), no CORS.
        let response = from_origin(&app, Method::POST, "/v1/requests", "https://evil.example")
            .json(&json!({"type": "access", "identity": {"email": "web@example.se"}}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::ACCEPTED, "{name}");
        assert!(cors_headers(&response).is_empty(), "{name}");
        assert!(
            response.headers()["vary"]
                .to_str()
                .unwrap()
                .contains("Origin"),
            "{name}: a cache must not mix origins"
        );
        // `null` (a sandboxed frame, a file) is no origin to allow.
        let response = from_origin(&app, Method::POST, "/v1/requests", "null")
            .json(&json!({"type": "access", "identity": {"email": "web@example.se"}}))
            .send()
            .await
            .unwrap();
        assert!(cors_headers(&response).is_empty(), "{name}");

        // Every other route, even for the allowed origin: no CORS header at all.
        for (method, path) in [
            (Method::GET, "/v1/requests".to_owned()),
            (Method::GET, "/v1/register".to_owned()),
            (Method::POST, format!("/v1/requests/{id}/fulfil")),
            (Method::POST, format!("/v1/requests/{id}/documents")),
            (Method::GET, "/privacy".to_owned()),
            (Method::GET, "/healthz".to_owned()),
            (Method::GET, "/unsubscribe?token=x".to_owned()),
            (Method::GET, "/console/sign-in".to_owned()),
            (Method::GET, "/no/such/route".to_owned()),
        ] {
            let response = from_origin(&app, method.clone(), &path, WEBSITE)
                .bearer_auth(&app.admin_token)
                .send()
                .await
                .unwrap();
            assert!(
                cors_headers(&response).is_empty(),
                "{name}: {method} {path}: {:?}",
                cors_headers(&response)
            );
            if path == "/v1/requests" {
                // The path is intake's too: its preflight is answered (for POST), and the GET
                // itself carries no CORS header, so a browser still withholds the list.
                continue;
            }
            let preflight = from_origin(&app, Method::OPTIONS, &path, WEBSITE)
                .header("access-control-request-method", method.as_str())
                .send()
                .await
                .unwrap();
            assert!(
                cors_headers(&preflight).is_empty(),
                "{name}: OPTIONS {path}"
            );
        }
        // A preflight for a method no website uses is refused like any other method.
        let preflight = from_origin(&app, Method::OPTIONS, "/v1/requests", WEBSITE)
            .header("access-control-request-method", "DELETE")
            .send()
            .await
            .unwrap();
        assert_eq!(preflight.status(), StatusCode::METHOD_NOT_ALLOWED, "{name}");
        assert!(cors_headers(&preflight).is_empty(), "{name}");
        // A method intake does not take is still the 405 problem, with `Allow`.
        let response = app.send(Method::PUT, "/v1/requests", None).await;
        let allow = response.headers()["allow"].to_str().unwrap().to_owned();
        assert!(
            allow.contains("GET") && allow.contains("POST"),
            "{name}: {allow}"
        );
        problem(response, StatusCode::METHOD_NOT_ALLOWED, name).await;
        app.stop().await;
    }
}

/// Read from `stream` until it is closed (or fails); what arrived, and how long it took.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (String, Duration) {
    let started = Instant::now();
    let mut received = Vec::new();
    let mut buffer = [0_u8; 4096];
    loop {
        match tokio::time::timeout(limit, stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => received.extend_from_slice(&buffer[..n]),
            Err(_) => panic!("the server kept the connection open for {limit:?}"),
        }
    }
    (
        String::from_utf8_lossy(&received).into_owned(),
        started.elapsed(),
    )
}

/// POST to `path` on `address` a body that trickles (one byte every 100 ms of a promised 1000);
/// what the server answered before it closed the connection, and how long that took.
async fn trickle(address: &str, path: &str, content_type: &str) -> (String, Duration) {
    let mut stream = TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: {content_type}\r\n\
         Content-Length: 1000\r\n\r\nx"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let trickle = tokio::spawn(async move {
        for _ in 0..100 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if writer.write_all(b"x").await.is_err() {
                break;
            }
        }
    });
    let started = Instant::now();
    let mut received = Vec::new();
    let mut buffer = [0_u8; 4096];
    loop {
        match tokio::time::timeout(Duration::from_secs(5), reader.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => received.extend_from_slice(&buffer[..n]),
            Err(_) => panic!("{path}: the trickling body was never cut off"),
        }
    }
    trickle.abort();
    (
        String::from_utf8_lossy(&received).into_owned(),
        started.elapsed(),
    )
}

/// A client that sends its request head slowly is disconnected after the header timeout; one
/// whose body trickles gets a 408 after the body timeout, and the connection is closed.
/// Requests that keep to the timeouts are served, and the server still stops gracefully.
#[tokio::test]
async fn slow_heads_and_trickling_bodies_are_cut_off() {
    for backend in backends() {
        let timeouts = Timeouts {
            header: Duration::from_millis(500),
            body: Duration::from_secs(1),
        };
        let app = spawn_app_edge(
            &backend,
            |app, _| app,
            |state| state.with_timeouts(timeouts),
        )
        .await;
        let name = app.backend;
        let address = app.address.trim_start_matches("http://").to_owned();

        // Slowloris: half a request head, then nothing.
        let mut stream = TcpStream::connect(&address).await.unwrap();
        stream
            .write_all(b"POST /v1/requests HTTP/1.1\r\nHost: skydd\r\nX-Slow: ")
            .await
            .unwrap();
        let (_, took) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
        assert!(
            took >= Duration::from_millis(400) && took < Duration::from_secs(3),
            "{name}: closed after {took:?}"
        );
        // A connection that sends nothing at all is closed too.
        let mut idle = TcpStream::connect(&address).await.unwrap();
        let (_, took) = read_until_closed(&mut idle, Duration::from_secs(5)).await;
        assert!(took < Duration::from_secs(3), "{name}: idle for {took:?}");

        // A body that trickles, to the API, the unsubscribe form and a console form: a 408
        // in each one's form, the connection closed.
        for (path, content_type, says) in [
            ("/v1/requests", "application/json", "body-timeout"),
            (
                "/unsubscribe",
                "application/x-www-form-urlencoded",
                "did not arrive in time",
            ),
            (
                "/console/sign-in",
                "application/x-www-form-urlencoded",
                "Too slow",
            ),
        ] {
            let (answer, took) = trickle(&address, path, content_type).await;
            assert!(
                answer.starts_with("HTTP/1.1 408"),
                "{name} {path}: after {took:?}: {answer}"
            );
            assert!(answer.contains(says), "{name} {path}: {answer}");
            assert!(took < Duration::from_secs(3), "{name} {path}: {took:?}");
            if path == "/v1/requests" {
                let (_, body) = answer.split_once("\r\n\r\n").unwrap();
                let body: Value = serde_json::from_str(body).unwrap();
                insta::assert_json_snapshot!("body_timeout", body);
            }
        }

        // Requests within the timeouts are served.
        let response = app.get("/healthz", None).await;
        assert_eq!(response.status(), StatusCode::OK, "{name}");
        app.stop().await;
    }
}

/// A body larger than its route reads is refused with 413: a problem document on the API, a
/// page on the unsubscribe form and the console's forms.
#[tokio::test]
async fn bodies_over_the_limit_are_413_on_every_route_that_reads_one() {
    on_each_backend(async |app| {
        let backend = app.backend;
        let big_json = format!(r#"{{"type": "access", "pad": "{}"}}"#, "x".repeat(3 << 20));
        for (path, token) in [
            ("/v1/requests", None),
            ("/v1/subjects", Some(&app.admin_token)),
        ] {
            let mut request = app
                .client
                .post(app.url(path))
                .header(CONTENT_TYPE, "application/json")
                .body(big_json.clone());
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            let body = problem(
                request.send().await.unwrap(),
                StatusCode::PAYLOAD_TOO_LARGE,
                backend,
            )
            .await;
            assert_eq!(
                body["type"], "https://skydd.dev/problems/payload-too-large",
                "{backend} {path}"
            );
        }
        // An identity document over 10 MiB.
        let receipt = json_body(
            intake(&app.client, app, "big@example.se").await,
            StatusCode::ACCEPTED,
            backend,
        )
        .await;
        let id = receipt["id"].as_str().unwrap();
        let response = app
            .client
            .post(app.url(&format!("/v1/requests/{id}/documents")))
            .header(CONTENT_TYPE, "application/pdf")
            .body(vec![b'%'; 11 << 20])
            .send()
            .await
            .unwrap();
        problem(response, StatusCode::PAYLOAD_TOO_LARGE, backend).await;

        // The unsubscribe form: a page.
        let page = app
            .client
            .post(app.url("/unsubscribe"))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(format!("token={}", "a".repeat(3 << 20)))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::PAYLOAD_TOO_LARGE, "{backend}");
        assert_eq!(page.headers()[CONTENT_TYPE], "text/html; charset=utf-8");
        insta::assert_snapshot!("too_large_page", page.text().await.unwrap());

        // A console form: the console's page.
        let page = app
            .client
            .post(app.url("/console/sign-in"))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(format!(
                "email=a%40example.se&password={}",
                "p".repeat(100 << 10)
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::PAYLOAD_TOO_LARGE, "{backend}");
        assert!(
            page.headers()[CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .contains("script-src 'self'"),
            "{backend}"
        );
        assert!(
            page.text().await.unwrap().contains("Too large"),
            "{backend}"
        );
    })
    .await;
}

/// The README promises identity documents of up to 10 MiB: a 9.5 MiB PDF goes through the
/// public upload of a server with a key file (as `skydd serve` runs) and is stored whole
/// (P001-31: "you may be required to submit your scanned passport").
#[tokio::test]
async fn a_document_of_nine_and_a_half_mib_is_stored_whole() {
    on_each_backend(async |app| {
        let backend = app.backend;
        app.create_subject(json!({"email": "scan@example.se"}))
            .await;
        let receipt = json_body(
            intake(&app.client, app, "scan@example.se").await,
            StatusCode::ACCEPTED,
            backend,
        )
        .await;
        let id = receipt["id"].as_str().unwrap();
        let mut scan = b"%PDF-1.7\n".to_vec();
        scan.resize(19 << 19, b'x');
        assert_eq!(scan.len(), 9_961_472);
        let response = app
            .client
            .post(app.url(&format!("/v1/requests/{id}/documents")))
            .header(CONTENT_TYPE, "application/pdf")
            .body(scan.clone())
            .send()
            .await
            .unwrap();
        let stored: Value = json_body(response, StatusCode::CREATED, backend).await;
        assert!(stored["id"].is_string(), "{backend}");
        let documents = app
            .app
            .vault()
            .request_documents(&skydd_vault::Actor::new("dpo"), id, app.now)
            .await
            .unwrap();
        assert_eq!(documents.len(), 1, "{backend}");
        assert_eq!(documents[0].0, "application/pdf");
        assert!(documents[0].1 == scan, "{backend}: the bytes differ");
    })
    .await;
}
