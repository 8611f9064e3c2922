//! `skydd backup` and `skydd restore`: a populated instance backed up while it serves, restored
//! into a fresh data directory with its master key and read back; a wrong key, a live target
//! and a non-empty backup directory refused.

use super::*;

fn backup(data: &Path, to: &Path, extra: &[&str]) -> Output {
    run(skydd()
        .arg("backup")
        .arg(to)
        .arg("--data-dir")
        .arg(data)
        .args(extra))
}

fn restore(from: &Path, data: &Path) -> Output {
    run(skydd().arg("restore").arg(from).arg("--data-dir").arg(data))
}

/// A new data directory holding a copy of the key file `key` (mode 0600), as an operator
/// prepares one.
fn with_key(dir: &Path, name: &str, key: &Path) -> PathBuf {
    let data = dir.join(name);
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o700)).unwrap();
    std::fs::copy(key, data.join("master.key")).unwrap();
    std::fs::set_permissions(
        data.join("master.key"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    data
}

#[test]
fn a_backup_taken_while_serving_restores_with_its_key_and_only_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let register = write(dir.path(), "register.yaml", VALID_REGISTER);
    let server = Server::start(
        &[
            "--data-dir",
            data.to_str().unwrap(),
            "--register",
            register.to_str().unwrap(),
        ],
        &[],
    );
    let token = server.admin_token();
    let (status, created) = send(
        "POST",
        &server.url("/v1/subjects"),
        &token,
        Some(serde_json::json!({"identities": {"email": "backup.canary@example.se"}})),
    );
    assert_eq!(status, 201, "{created}");
    let subject = created["id"].as_str().unwrap().to_owned();
    let (status, record) = send(
        "POST",
        &server.url(&format!("/v1/subjects/{subject}/records")),
        &token,
        Some(serde_json::json!({
            "category": "contact_basic",
            "fields": {"name": "Backup Canary", "email": "backup.canary@example.se"},
            "source": "data_subject",
            "purpose": "customer_service",
        })),
    );
    assert_eq!(status, 201, "{record}");

    // Taken while the server runs.
    let saved = dir.path().join("backup");
    let output = backup(&data, &saved, &[]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains("keep"),
        "{}",
        text(&output.stdout)
    );
    assert!(saved.join("skydd.db").is_file());
    assert_eq!(mode(&saved), 0o700);
    assert_eq!(mode(&saved.join("skydd.db")), 0o600);
    assert!(
        !saved.join("master.key").exists(),
        "the key is never in a backup"
    );
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(saved.join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["format"], "skydd-backup-1", "{manifest}");
    let key_text = std::fs::read_to_string(data.join("master.key")).unwrap();
    let key_secret = key_text.trim().rsplit(':').next().unwrap();
    assert!(!manifest.to_string().contains(key_secret));
    // A write after the backup is not in it.
    let (status, _) = send(
        "POST",
        &server.url("/v1/subjects"),
        &token,
        Some(serde_json::json!({"identities": {"email": "after.canary@example.se"}})),
    );
    assert_eq!(status, 201);
    assert!(server.terminate().status.success());

    // Never over an existing backup.
    let again = backup(&data, &saved, &[]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        text(&again.stderr).contains("already exists and is not empty"),
        "{}",
        text(&again.stderr)
    );

    // Restore needs the key in the target first.
    let bare = dir.path().join("bare");
    let output = restore(&saved, &bare);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("has no master key"),
        "{}",
        text(&output.stderr)
    );

    // Another instance's key: refused before anything is written.
    let other = dir.path().join("other");
    assert!(
        Server::start(&["--data-dir", other.to_str().unwrap()], &[])
            .terminate()
            .status
            .success()
    );
    let wrong = with_key(dir.path(), "wrong", &other.join("master.key"));
    let output = restore(&saved, &wrong);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("is not the one this backup was made with"),
        "{}",
        text(&output.stderr)
    );
    assert!(!wrong.join("skydd.db").exists());

    // Never over a live instance.
    let output = restore(&saved, &data);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("already holds a database"),
        "{}",
        text(&output.stderr)
    );

    // The right key: restored, served, and the data reads back.
    let fresh = with_key(dir.path(), "fresh", &data.join("master.key"));
    let output = restore(&saved, &fresh);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(mode(&fresh.join("skydd.db")), 0o600);
    let server = Server::start(&["--data-dir", fresh.to_str().unwrap()], &[]);
    let (status, found) = send(
        "GET",
        &server.url("/v1/subjects?email=backup.canary@example.se"),
        &token,
        None,
    );
    assert_eq!(
        (status, found["id"].as_str()),
        (200, Some(subject.as_str())),
        "{found}"
    );
    let (status, records) = send(
        "GET",
        &server.url(&format!(
            "/v1/subjects/{subject}/records?purpose=customer_service"
        )),
        &token,
        None,
    );
    assert_eq!(status, 200, "{records}");
    assert!(records.to_string().contains("Backup Canary"), "{records}");
    let (status, _) = send(
        "GET",
        &server.url("/v1/subjects?email=after.canary@example.se"),
        &token,
        None,
    );
    assert_eq!(status, 404, "the backup is of one moment");
    let stopped = server.terminate();
    assert!(stopped.status.success(), "{}", stopped.stderr);
    assert!(
        !stopped.stderr.contains("the register changed"),
        "{}",
        stopped.stderr
    );
}

#[test]
fn an_unfinished_or_damaged_backup_is_not_restored() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert!(
        Server::start(&["--data-dir", data.to_str().unwrap()], &[])
            .terminate()
            .status
            .success()
    );
    let saved = dir.path().join("backup");
    assert!(backup(&data, &saved, &[]).status.success());

    let mut database = std::fs::read(saved.join("skydd.db")).unwrap();
    let last = database.len() - 1;
    database[last] ^= 1;
    std::fs::write(saved.join("skydd.db"), database).unwrap();
    let fresh = with_key(dir.path(), "fresh", &data.join("master.key"));
    let output = restore(&saved, &fresh);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("damaged"),
        "{}",
        text(&output.stderr)
    );
    let left: Vec<_> = std::fs::read_dir(&fresh)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["master.key"], "nothing is left behind");

    std::fs::remove_file(saved.join("manifest.json")).unwrap();
    let output = restore(&saved, &fresh);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("is not a complete Skydd backup"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn a_postgresql_instance_is_pointed_to_pg_dump() {
    let dir = tempfile::tempdir().unwrap();
    let output = backup(
        &dir.path().join("data"),
        &dir.path().join("backup"),
        &["--database-url", "postgres://nobody@127.0.0.1:1/none"],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("pg_dump"),
        "{}",
        text(&output.stderr)
    );
    assert!(!dir.path().join("backup").exists());
}
