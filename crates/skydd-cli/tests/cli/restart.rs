//! Restarting an instance: it serves the register it served last, refuses another controller's
//! register or an older version without `--replace-register`, and a bad `--bind` is found
//! before anything is created.

use super::*;

/// The digest `GET /v1/register` answers.
fn served_digest(server: &Server, token: &str) -> String {
    let (status, body) = send("GET", &server.url("/v1/register"), token, None);
    assert_eq!(status, 200, "{body}");
    body["digest"].as_str().unwrap().to_owned()
}

fn digest_of(source: &str) -> String {
    skydd_register::check(source).register.unwrap().digest()
}

/// How many messages of each kind the outbox holds, as `skydd outbox list` prints them.
fn outbox(data: &Path) -> String {
    let output = run(skydd().args(["outbox", "list", "--data-dir"]).arg(data));
    assert!(output.status.success(), "{}", text(&output.stderr));
    text(&output.stdout)
}

#[test]
fn a_restart_without_register_serves_the_register_served_last() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_arg = data.to_str().unwrap();
    let register = write(dir.path(), "register.yaml", VALID_REGISTER);
    let server = Server::start(
        &[
            "--data-dir",
            data_arg,
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
        Some(serde_json::json!({"identities": {"email": "restart.canary@example.se"}})),
    );
    assert_eq!(status, 201);
    let subject = created["id"].as_str().unwrap();
    let (status, record) = send(
        "POST",
        &server.url(&format!("/v1/subjects/{subject}/records")),
        &token,
        Some(serde_json::json!({
            "category": "contact_basic",
            "fields": {"name": "Restart Canary", "email": "restart.canary@example.se"},
            "source": "data_subject",
            "purpose": "customer_service",
        })),
    );
    assert_eq!(status, 201, "{record}");
    assert!(server.terminate().status.success());
    let before = outbox(&data);

    // Restarted without --register: the same register, from its file.
    let server = Server::start(&["--data-dir", data_arg], &[]);
    assert_eq!(served_digest(&server, &token), digest_of(VALID_REGISTER));
    let stopped = server.terminate();
    assert!(stopped.status.success(), "{}", stopped.stderr);
    assert!(
        !stopped.stderr.contains("the register changed"),
        "{}",
        stopped.stderr
    );
    assert!(
        !stopped.stderr.contains("BUNDLED EXAMPLE"),
        "{}",
        stopped.stderr
    );
    assert_eq!(outbox(&data), before, "no letter is queued by a restart");

    // The file changed meanwhile: the version served last is served from the database, and
    // the change waits for an explicit --register.
    std::fs::write(
        &register,
        VALID_REGISTER.replace("keep: 24 months", "keep: 36 months"),
    )
    .unwrap();
    let server = Server::start(&["--data-dir", data_arg], &[]);
    assert_eq!(served_digest(&server, &token), digest_of(VALID_REGISTER));
    let stopped = server.terminate();
    assert!(
        stopped.stderr.contains("missing or has changed since"),
        "{}",
        stopped.stderr
    );
    assert!(!stopped.stderr.contains("the register changed"));

    // The commands that manage the instance run with the same register.
    let output = run(skydd().args(["retention", "plan", "--data-dir"]).arg(&data));
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains("contact_basic"),
        "the instance's own retention rule: {}",
        text(&output.stdout)
    );
    assert_eq!(outbox(&data), before);
}

#[test]
fn another_controllers_register_or_an_older_version_needs_replace_register() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_arg = data.to_str().unwrap();
    let first = write(dir.path(), "first.yaml", VALID_REGISTER);
    let second = write(
        dir.path(),
        "second.yaml",
        &VALID_REGISTER
            .replace("published: 2026-01-05", "published: 2026-02-01")
            .replace("keep: 24 months", "keep: 36 months"),
    );
    // Another company (no organisation number; another name).
    let other = examples().join("syspeace.yaml");
    let serve = |register: &Path, extra: &[&str]| {
        let mut command = skydd();
        command
            .args([
                "serve",
                "--bind",
                "127.0.0.1:0",
                "--data-dir",
                data_arg,
                "--register",
            ])
            .arg(register)
            .args(extra);
        command
    };

    let server = Server::start(
        &[
            "--data-dir",
            data_arg,
            "--register",
            first.to_str().unwrap(),
        ],
        &[],
    );
    let token = server.admin_token();
    assert!(server.terminate().status.success());

    // The flag alone names nothing to serve.
    let output = run(skydd()
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--replace-register",
            "--data-dir",
        ])
        .arg(&data));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("--replace-register needs --register PATH"),
        "{}",
        text(&output.stderr)
    );

    // Another controller: refused, nothing recorded.
    let output = run(&mut serve(&other, &[]));
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("this instance serves Exempel AB"),
        "{stderr}"
    );
    assert!(stderr.contains("--replace-register"), "{stderr}");

    // A new version of the same controller's register: the normal update.
    let server = Server::start(
        &[
            "--data-dir",
            data_arg,
            "--register",
            second.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(
        served_digest(&server, &token),
        digest_of(&std::fs::read_to_string(&second).unwrap())
    );
    assert!(server.terminate().status.success());

    // The first version again: a rollback, refused without the flag.
    let output = run(&mut serve(&first, &[]));
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("an older version"), "{stderr}");

    // With the flag it is served, and a restart keeps it.
    let server = Server::start(
        &[
            "--data-dir",
            data_arg,
            "--register",
            first.to_str().unwrap(),
            "--replace-register",
        ],
        &[],
    );
    assert_eq!(served_digest(&server, &token), digest_of(VALID_REGISTER));
    assert!(server.terminate().status.success());
    let server = Server::start(&["--data-dir", data_arg], &[]);
    assert_eq!(served_digest(&server, &token), digest_of(VALID_REGISTER));
    assert!(server.terminate().status.success());

    let server = Server::start(
        &[
            "--data-dir",
            data_arg,
            "--register",
            other.to_str().unwrap(),
            "--replace-register",
        ],
        &[],
    );
    assert_eq!(
        served_digest(&server, &token),
        digest_of(&std::fs::read_to_string(&other).unwrap())
    );
    assert!(server.terminate().status.success());
}

#[test]
fn a_new_instance_without_register_says_loudly_it_serves_the_bundled_example() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let stopped = Server::start(&["--data-dir", data.to_str().unwrap()], &[]).terminate();
    assert!(stopped.status.success(), "{}", stopped.stderr);
    assert!(
        stopped.stderr.contains("BUNDLED EXAMPLE REGISTER"),
        "{}",
        stopped.stderr
    );
}

#[test]
fn the_commands_refuse_an_instance_that_never_served_a_register() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    block_on(async {
        use skydd_app::instance::{Create, DataSettings, open};
        let settings = DataSettings {
            data_dir: data.clone(),
            database_url: None,
            busy_timeout: skydd_storage::DEFAULT_BUSY_TIMEOUT,
            durability: skydd_storage::Durability::default(),
        };
        open(&settings, Create::IfMissing)
            .await
            .unwrap()
            .storage
            .close()
            .await
            .unwrap();
    });
    let output = run(skydd().args(["retention", "plan", "--data-dir"]).arg(&data));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("has never served a register"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn a_bad_bind_address_is_refused_before_anything_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    for bind in ["not-an-address", "127.0.0.1:99999"] {
        let output = run(skydd()
            .args(["serve", "--bind", bind, "--data-dir"])
            .arg(&data));
        assert_eq!(output.status.code(), Some(1), "{bind}");
        let stderr = text(&output.stderr);
        assert!(
            stderr.contains(&format!("cannot listen on {bind}")),
            "{stderr}"
        );
        assert!(
            output.stdout.is_empty(),
            "no token is printed: {}",
            text(&output.stdout)
        );
        assert!(!data.exists(), "nothing is created for {bind}");
    }

    // A port already taken: the same.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let output = run(skydd()
        .args(["serve", "--bind", &address, "--data-dir"])
        .arg(&data));
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    assert!(!data.exists());
}
