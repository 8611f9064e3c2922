//! `skydd serve` killed with SIGKILL while clients write, again and again: after each restart
//! every write the server acknowledged is there, nothing is half written, and at the end the
//! audit chain verifies (issue 14, part 5).

use std::collections::HashSet;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::json;

use super::*;

/// What one client had acknowledged: the e-mail it created a subject with, the subject's id,
/// and whether the record it then wrote was acknowledged too.
struct Acknowledged {
    email: String,
    id: String,
    record: bool,
}

/// `send`, but a request the dying server never answered is `None`, not a panic.
fn try_send(
    runtime: &tokio::runtime::Runtime,
    client: &reqwest::Client,
    url: &str,
    token: &str,
    body: Value,
) -> Option<(u16, Value)> {
    runtime.block_on(async {
        let response = client
            .post(url)
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .ok()?;
        let status = response.status().as_u16();
        Some((status, response.json().await.unwrap_or(Value::Null)))
    })
}

/// One client writing until `stop`: a subject, then a record for it, over and over. Returns
/// what the server acknowledged.
fn write_until(
    base: String,
    token: String,
    label: String,
    stop: Arc<AtomicBool>,
) -> Vec<Acknowledged> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = reqwest::Client::new();
    let mut acknowledged = Vec::new();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let email = format!("crash.{label}.{n}@example.se");
        let created = try_send(
            &runtime,
            &client,
            &format!("{base}/v1/subjects"),
            &token,
            json!({"identities": {"email": email}}),
        );
        let Some((201, subject)) = created else {
            continue;
        };
        let id = subject["id"].as_str().unwrap().to_owned();
        let record = try_send(
            &runtime,
            &client,
            &format!("{base}/v1/subjects/{id}/records"),
            &token,
            json!({
                "category": "customer_identity",
                "fields": {"name": format!("Crash Canary {n}")},
                "source": "data_subject",
                "purpose": "service_delivery"
            }),
        );
        acknowledged.push(Acknowledged {
            email,
            id,
            record: matches!(record, Some((201, _))),
        });
    }
    acknowledged
}

#[test]
fn serve_killed_during_writes_loses_no_acknowledged_write() {
    for database in Database::all() {
        let backend = database.name();
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let database_args = database.args();
        let mut serve_args = vec!["--data-dir", data.to_str().unwrap()];
        serve_args.extend(database_args.iter().map(String::as_str));
        let mut server = Server::start(&serve_args, &[]);
        let token = server.admin_token();
        let random = RandomState::new();
        let mut acknowledged: Vec<Acknowledged> = Vec::new();
        for round in 0..5_u64 {
            let stop = Arc::new(AtomicBool::new(false));
            let writers: Vec<_> = (0..2)
                .map(|client| {
                    let (base, token, stop) = (server.url(""), token.clone(), stop.clone());
                    let label = format!("r{round}c{client}");
                    thread::spawn(move || write_until(base, token, label, stop))
                })
                .collect();
            thread::sleep(Duration::from_millis(300 + random.hash_one(round) % 700));
            let killed = server.kill();
            assert!(
                !killed.status.success(),
                "{backend}: SIGKILL ends the server"
            );
            stop.store(true, Ordering::Relaxed);
            for writer in writers {
                acknowledged.extend(writer.join().unwrap());
            }
            assert!(
                !killed.stderr.contains("crash.") && !killed.stdout.contains("crash."),
                "{backend}: personal data in the log"
            );

            server = Server::start(&serve_args, &[]);
            for written in &acknowledged {
                let (status, found) = send(
                    "GET",
                    &server.url(&format!("/v1/subjects?email={}", written.email)),
                    &token,
                    None,
                );
                assert_eq!(
                    (status, found["id"].as_str()),
                    (200, Some(written.id.as_str())),
                    "{backend} round {round}: an acknowledged subject was lost"
                );
                let (status, records) = send(
                    "GET",
                    &server.url(&format!(
                        "/v1/subjects/{}/records?purpose=service_delivery",
                        written.id
                    )),
                    &token,
                    None,
                );
                assert_eq!(status, 200, "{backend}: {records}");
                let count = records["records"].as_array().map_or(0, Vec::len);
                // A record is there when it was acknowledged; one whose answer the kill cut
                // off may be there too, but never twice or in part (it reads back whole).
                assert!(
                    count <= 1 && (count == 1 || !written.record),
                    "{backend} round {round}: {records}"
                );
                if count == 1 {
                    assert!(
                        records["records"][0]["fields"]["name"]
                            .as_str()
                            .is_some_and(|name| name.starts_with("Crash Canary ")),
                        "{backend}: {records}"
                    );
                }
            }
        }
        let stopped = server.terminate();
        assert!(stopped.status.success(), "{backend}: {}", stopped.stderr);
        let verified = skydd_on(&data, &database_args, &["audit", "verify"]);
        assert_eq!(
            verified.status.code(),
            Some(0),
            "{backend}: {}{}",
            text(&verified.stdout),
            text(&verified.stderr)
        );
        let records = acknowledged.iter().filter(|written| written.record).count();
        eprintln!(
            "{backend}: 5 kills, {} acknowledged subjects and {records} records, none lost",
            acknowledged.len()
        );
        assert!(
            acknowledged.len() >= 20,
            "{backend}: too few writes to prove anything"
        );
        database.drop_schema();
    }
}

/// The consent purposes of the Syspeace register the consent writers below take turns with.
const CONSENT_PURPOSES: [&str; 3] = ["user_forum", "account_registration", "publish_comments"];

/// One client giving and withdrawing consents for `subject` until `stop`, every fifth with a
/// `Sec-GPC: 1` signal (an objection in the same unit). Each write carries a notice version of
/// its own, `<label>-<n>`; returns those of the writes the server acknowledged with a 2xx.
fn consent_until(
    base: String,
    token: String,
    subject: String,
    label: String,
    stop: Arc<AtomicBool>,
) -> Vec<String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = reqwest::Client::new();
    let mut acknowledged = Vec::new();
    let mut n = 0_usize;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let version = format!("{label}-{n}");
        let body = json!({
            "subject": subject,
            "purpose": CONSENT_PURPOSES[n % CONSENT_PURPOSES.len()],
            "granted": n % 2 == 1,
            "method": "api",
            "notice_version": version,
        });
        let mut request = client
            .post(format!("{base}/v1/consents"))
            .bearer_auth(&token)
            .json(&body);
        if n.is_multiple_of(5) {
            request = request.header("Sec-GPC", "1");
        }
        let status = runtime.block_on(async { request.send().await.ok().map(|r| r.status()) });
        if status.is_some_and(|status| status.is_success()) {
            acknowledged.push(version);
        }
    }
    acknowledged
}

#[test]
fn serve_killed_during_consent_writes_loses_no_acknowledged_consent() {
    const CLIENTS: usize = 8;
    for database in Database::all() {
        let backend = database.name();
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let register = examples().join("syspeace.yaml");
        let database_args = database.args();
        let mut serve_args = vec![
            "--data-dir",
            data.to_str().unwrap(),
            "--register",
            register.to_str().unwrap(),
        ];
        serve_args.extend(database_args.iter().map(String::as_str));
        let server = Server::start(&serve_args, &[]);
        let token = server.admin_token();
        let subjects: Vec<String> = (0..CLIENTS)
            .map(|client| {
                let (status, created) = send(
                    "POST",
                    &server.url("/v1/subjects"),
                    &token,
                    Some(json!({"identities": {"email": format!("consent.{client}@example.se")}})),
                );
                assert_eq!(status, 201, "{backend}: {created}");
                created["id"].as_str().unwrap().to_owned()
            })
            .collect();

        let stop = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> = subjects
            .iter()
            .enumerate()
            .map(|(client, subject)| {
                let (base, token, stop) = (server.url(""), token.clone(), stop.clone());
                let (subject, label) = (subject.clone(), format!("kill-{client}"));
                thread::spawn(move || consent_until(base, token, subject, label, stop))
            })
            .collect();
        let random = RandomState::new().hash_one(backend);
        thread::sleep(Duration::from_millis(1_500 + random % 1_000));
        let killed = server.kill();
        assert!(
            !killed.status.success(),
            "{backend}: SIGKILL ends the server"
        );
        stop.store(true, Ordering::Relaxed);
        let acknowledged: Vec<Vec<String>> = writers
            .into_iter()
            .map(|writer| writer.join().unwrap())
            .collect();

        let server = Server::start(&serve_args, &[]);
        for (subject, versions) in subjects.iter().zip(&acknowledged) {
            let (status, consents) = send(
                "GET",
                &server.url(&format!("/v1/subjects/{subject}/consents")),
                &token,
                None,
            );
            assert_eq!(status, 200, "{backend}: {consents}");
            let stored: HashSet<&str> = consents["history"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|event| event["notice_version"].as_str())
                .collect();
            for version in versions {
                assert!(
                    stored.contains(version.as_str()),
                    "{backend}: the acknowledged consent {version} was lost"
                );
            }
        }
        let stopped = server.terminate();
        assert!(stopped.status.success(), "{backend}: {}", stopped.stderr);
        let verified = skydd_on(&data, &database_args, &["audit", "verify"]);
        assert_eq!(
            verified.status.code(),
            Some(0),
            "{backend}: {}{}",
            text(&verified.stdout),
            text(&verified.stderr)
        );
        let total: usize = acknowledged.iter().map(Vec::len).sum();
        eprintln!(
            "{backend}: killed after {total} acknowledged consents from {CLIENTS} clients, none lost"
        );
        assert!(
            total >= 100,
            "{backend}: too few writes ({total}) to prove anything"
        );
        database.drop_schema();
    }
}
