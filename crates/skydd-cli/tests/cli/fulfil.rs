//! Erasure in a connected database from the command line (issue 16, part 3): `skydd requests
//! erasure-plan` and `fulfil --dataset` act as the server does, `skydd erasures replay`
//! re-applies recorded erasures to a database restored from a backup, and `skydd serve` killed
//! with SIGKILL during an erasure leaves the connected database untouched or fully erased for
//! the subject, never half, and the rerun completes with a verifying audit trail.

use std::str::FromStr as _;

use serde_json::json;
use sqlx::{ConnectOptions as _, Connection as _};

use super::*;

const FIDES_SQLITE: &str = include_str!("../../../skydd-connect/tests/connect/sqlite.sql");
const SUBJECT: &str = "customer-1@example.com";

/// The example shop in `dir/shop.db` (with `reports` extra usage-report rows of the subject,
/// so that an erasure takes a moment), its URL in an owner-only file, and the dataset file:
/// the dataset's path.
fn shop(dir: &Path, reports: u32) -> PathBuf {
    let database = dir.join("shop.db");
    let url = format!("sqlite://{}", database.display());
    block_on(async {
        let mut conn = sqlx::sqlite::SqliteConnectOptions::from_str(&url)
            .unwrap()
            .create_if_missing(true)
            .connect()
            .await
            .unwrap();
        sqlx::raw_sql(FIDES_SQLITE)
            .execute(&mut conn)
            .await
            .unwrap();
        let extra = format!(
            "WITH RECURSIVE n(i) AS (SELECT 1000 UNION ALL SELECT i + 1 FROM n WHERE i < {}) \
             INSERT INTO report SELECT i, ?, 'John Customer', 2021, 1, i FROM n",
            999 + reports
        );
        if reports > 0 {
            sqlx::query(sqlx::AssertSqlSafe(extra))
                .bind(SUBJECT)
                .execute(&mut conn)
                .await
                .unwrap();
        }
        conn.close().await.unwrap();
    });
    let url_file = write(dir, "shop.url", &url);
    std::fs::set_permissions(&url_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let dataset = std::fs::read_to_string(examples().join("../datasets/fides-example.yaml"))
        .unwrap()
        .replace("kind: postgres", "kind: sqlite")
        .replace("    schema: public\n", "")
        .replace("tls:\n", "")
        .replace(
            "  # The example database runs on the same host; a remote one would use `verify-full`.\n  mode: disable\n",
            "",
        )
        .replace(
            "  env: FIDES_EXAMPLE_DATABASE_URL",
            &format!("  file: {}", url_file.display()),
        );
    write(dir, "shop.yaml", &dataset)
}

/// How many rows of the shop's `table` hold the subject's e-mail address in `email`.
fn subject_rows(dir: &Path, table: &str) -> i64 {
    let url = format!("sqlite://{}", dir.join("shop.db").display());
    block_on(async {
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE email = ?");
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(SUBJECT)
            .fetch_one(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
        n
    })
}

/// A verified erasure request of the subject on `server`: the request's id (the code read
/// from the outbox with `skydd outbox list`).
fn verified_erasure(server: &Server, token: &str, data: &Path, database: &[String]) -> String {
    let (status, _) = send(
        "POST",
        &server.url("/v1/subjects"),
        token,
        Some(json!({"identities": {"email": SUBJECT}})),
    );
    assert!(status == 201 || status == 409, "{status}");
    let (status, receipt) = send(
        "POST",
        &server.url("/v1/requests"),
        token,
        Some(json!({"type": "erasure", "identity": {"email": SUBJECT}})),
    );
    assert_eq!(status, 202, "{receipt}");
    let id = receipt["id"].as_str().unwrap().to_owned();
    let output = skydd_on(data, database, &["outbox", "list", "--state", "queued"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let outbox = text(&output.stdout);
    let letter = outbox
        .split("== ")
        .filter(|message| message.contains("verification_code"))
        .last()
        .unwrap();
    let body = &letter[letter.find("Subject:").unwrap()..];
    let code = body
        .split(|c: char| !c.is_ascii_digit())
        .find(|word| word.len() == 8)
        .unwrap()
        .to_owned();
    let (status, verified) = send(
        "POST",
        &server.url(&format!("/v1/requests/{id}/verify")),
        token,
        Some(json!({"code": code})),
    );
    assert_eq!(status, 200, "{verified}");
    id
}

/// POST an empty fulfil body to `url`: the status, or 0 when the dying server never answered.
fn try_fulfil(url: &str, token: &str) -> (u16, Value) {
    block_on(async {
        let response = reqwest::Client::new()
            .post(url)
            .bearer_auth(token)
            .json(&json!({}))
            .send()
            .await;
        match response {
            Ok(response) => {
                let status = response.status().as_u16();
                (status, response.json().await.unwrap_or(Value::Null))
            }
            Err(_) => (0, Value::Null),
        }
    })
}

#[test]
fn the_cli_plans_fulfils_and_replays_an_erasure_in_a_connected_database() {
    for database in Database::all() {
        let backend = database.name();
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let dataset = shop(dir.path(), 0);
        let db_args = database.args();
        let mut serve_args = vec![data.to_str().unwrap().to_owned()];
        serve_args.insert(0, "--data-dir".into());
        serve_args.extend(db_args.iter().cloned());
        let serve_args: Vec<&str> = serve_args.iter().map(String::as_str).collect();
        let server = Server::start(&serve_args, &[]);
        let token = server.admin_token();
        let id = verified_erasure(&server, &token, &data, &db_args);
        let stopped = server.terminate();
        assert!(stopped.status.success(), "{}", stopped.stderr);
        let backup = dir.path().join("shop.backup.db");
        std::fs::copy(dir.path().join("shop.db"), &backup).unwrap();
        let with_dataset = |args: &[&str]| {
            let mut all = args.to_vec();
            all.extend(["--dataset", dataset.to_str().unwrap()]);
            skydd_on(&data, &db_args, &all)
        };

        let output = with_dataset(&["requests", "erasure-plan", &id]);
        assert!(output.status.success(), "{}", text(&output.stderr));
        let plan: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(plan[0]["system"], "fides_example", "{plan}");
        assert_eq!(plan[0]["plan"]["collections"][0]["collection"], "customer");
        assert!(!text(&output.stdout).contains(SUBJECT));
        assert_eq!(
            subject_rows(dir.path(), "customer"),
            1,
            "a plan writes nothing"
        );

        let output = with_dataset(&["requests", "fulfil", &id]);
        assert!(
            output.status.success(),
            "{backend}: {}",
            text(&output.stderr)
        );
        let shown: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(shown["state"], "completed", "{shown}");
        assert_eq!(subject_rows(dir.path(), "customer"), 0);
        assert_eq!(subject_rows(dir.path(), "visit"), 0);

        // The shop restored from the backup taken before: the subject is back until replayed.
        std::fs::copy(&backup, dir.path().join("shop.db")).unwrap();
        assert_eq!(subject_rows(dir.path(), "customer"), 1);
        let replay = ["erasures", "replay", "--database", "fides_example"];
        let output = with_dataset(&[&replay[..], &["--since", "2020-01-01", "--dry-run"]].concat());
        assert!(output.status.success(), "{}", text(&output.stderr));
        let printed = text(&output.stdout);
        assert!(
            printed.contains("would replay 1 erasure(s) in fides_example"),
            "{printed}"
        );
        assert!(
            printed.lines().any(|l| l.starts_with("customer ")),
            "{printed}"
        );
        assert_eq!(
            subject_rows(dir.path(), "customer"),
            1,
            "a dry run writes nothing"
        );
        // A date after the erasure replays nothing.
        let output = with_dataset(&[&replay[..], &["--since", "2999-01-01"]].concat());
        assert!(text(&output.stdout).contains("replayed 0 erasure(s)"));
        assert_eq!(subject_rows(dir.path(), "customer"), 1);

        let output = with_dataset(&[&replay[..], &["--since", "2020-01-01"]].concat());
        assert!(output.status.success(), "{}", text(&output.stderr));
        let printed = text(&output.stdout);
        assert!(printed.contains("replayed 1 erasure(s)"), "{printed}");
        assert!(!printed.contains(SUBJECT), "{printed}");
        assert_eq!(subject_rows(dir.path(), "customer"), 0);
        assert_eq!(subject_rows(dir.path(), "visit"), 0);
        // Again: nothing left to write, every row counted as unchanged or missing.
        let output = with_dataset(&[&replay[..], &["--since", "2020-01-01"]].concat());
        let printed = text(&output.stdout);
        for line in printed.lines().skip(2) {
            let counts: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(&counts[1..3], ["0", "0"], "{printed}");
        }
        let verified = skydd_on(&data, &db_args, &["audit", "verify"]);
        assert_eq!(
            verified.status.code(),
            Some(0),
            "{}",
            text(&verified.stderr)
        );
        let exported = skydd_on(&data, &db_args, &["audit", "export"]);
        let trail = text(&exported.stdout);
        assert!(trail.contains("erasures.replay"), "{backend}");
        assert!(!trail.contains(SUBJECT), "{backend}");

        let output = with_dataset(&[
            "erasures",
            "replay",
            "--database",
            "nope",
            "--since",
            "2020-01-01",
        ]);
        assert_eq!(output.status.code(), Some(1));
        assert!(text(&output.stderr).contains("no dataset is named `nope`"));
        database.drop_schema();
    }
}

#[test]
fn serve_killed_during_an_erasure_leaves_the_connected_database_whole_and_the_rerun_completes() {
    const REPORTS: u32 = 20_000;
    for database in Database::all() {
        let backend = database.name();
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let dataset = shop(dir.path(), REPORTS);
        let db_args = database.args();
        let mut serve_args = vec![
            "--data-dir".to_owned(),
            data.to_str().unwrap().to_owned(),
            "--dataset".to_owned(),
            dataset.to_str().unwrap().to_owned(),
            // No retention sweep of the server's own: it deletes the example's old visits at
            // start, racing the count of the subject's rows taken before the kills.
            "--retention-interval".to_owned(),
            "0".to_owned(),
        ];
        serve_args.extend(db_args.iter().cloned());
        let serve_args: Vec<&str> = serve_args.iter().map(String::as_str).collect();
        let mut server = Server::start(&serve_args, &[]);
        let token = server.admin_token();
        let id = verified_erasure(&server, &token, &data, &db_args);
        let backup = dir.path().join("shop.backup.db");
        std::fs::copy(dir.path().join("shop.db"), &backup).unwrap();
        let untouched = (
            subject_rows(dir.path(), "customer"),
            subject_rows(dir.path(), "report"),
            subject_rows(dir.path(), "visit"),
        );
        assert!(untouched.1 >= i64::from(REPORTS), "{untouched:?}");
        let mut cut_short = 0;
        let mut during = 0;
        for delay in [150_u64, 400, 50] {
            let url = server.url(&format!("/v1/requests/{id}/fulfil"));
            let (to_server, token_) = (url.clone(), token.clone());
            let fulfilling = thread::spawn(move || try_fulfil(&to_server, &token_));
            thread::sleep(Duration::from_millis(delay));
            let killed = server.kill();
            let answered = fulfilling.join().unwrap();
            assert!(
                !killed.stderr.contains(SUBJECT) && !killed.stdout.contains(SUBJECT),
                "{backend}: personal data in the log"
            );
            // Never half: the subject's rows are all there or all erased, in every table.
            let customer = subject_rows(dir.path(), "customer");
            let reports = subject_rows(dir.path(), "report");
            let visits = subject_rows(dir.path(), "visit");
            let whole = (customer, reports, visits) == untouched
                || (customer, reports, visits) == (0, 0, 0);
            assert!(
                whole,
                "{backend} after {delay} ms: customer {customer}, report {reports}, visit {visits}"
            );
            if answered.0 != 200 {
                cut_short += 1;
            }
            server = Server::start(&serve_args, &[]);
            let (_, request) = send(
                "GET",
                &server.url(&format!("/v1/requests/{id}")),
                &token,
                None,
            );
            let state = request["systems"][0]["outcomes"][0]["state"].clone();
            eprintln!("{backend} after {delay} ms: the erasure step is {state}");
            if state == "pending" {
                during += 1;
            }
            if answered.0 == 200 {
                break;
            }
        }
        eprintln!(
            "{backend}: {cut_short} fulfilment(s) cut short by SIGKILL, {during} during the erasure step"
        );
        assert!(
            during >= 1,
            "{backend}: no kill landed during the erasure step"
        );
        let (status, body) = send(
            "POST",
            &server.url(&format!("/v1/requests/{id}/fulfil")),
            &token,
            Some(json!({})),
        );
        // Completed now, or already by an earlier run the kill did not cut short.
        let (_, request) = send(
            "GET",
            &server.url(&format!("/v1/requests/{id}")),
            &token,
            None,
        );
        assert!(status == 200 || status == 409, "{backend}: {body}");
        assert_eq!(request["state"], "completed", "{backend}: {request}");
        assert_eq!(request["systems"][0]["outcomes"][0]["state"], "done");
        assert_eq!(subject_rows(dir.path(), "customer"), 0);
        assert_eq!(subject_rows(dir.path(), "report"), 0);
        let stopped = server.terminate();
        assert!(stopped.status.success(), "{}", stopped.stderr);
        assert!(!stopped.stderr.contains(SUBJECT), "{backend}");
        // The receipt kept every key across the kills: a replay onto the backup taken before
        // erases the subject again.
        std::fs::copy(&backup, dir.path().join("shop.db")).unwrap();
        let replayed = skydd_on(
            &data,
            &db_args,
            &[
                "erasures",
                "replay",
                "--database",
                "fides_example",
                "--since",
                "2020-01-01",
                "--dataset",
                dataset.to_str().unwrap(),
            ],
        );
        assert!(replayed.status.success(), "{}", text(&replayed.stderr));
        assert_eq!(subject_rows(dir.path(), "customer"), 0, "{backend}");
        assert_eq!(subject_rows(dir.path(), "report"), 0, "{backend}");
        let verified = skydd_on(&data, &db_args, &["audit", "verify"]);
        assert_eq!(
            verified.status.code(),
            Some(0),
            "{backend}: {}{}",
            text(&verified.stdout),
            text(&verified.stderr)
        );
        database.drop_schema();
    }
}
