//! `skydd user` (issue 17): staff accounts managed with the real binary on SQLite and
//! PostgreSQL: passwords from stdin or generated and shown once, refusals that say how to fix
//! them without repeating the address, accounts named by id or e-mail, and every change audited
//! with the CLI actor. A generated password is checked by signing in with it in-process.

use std::io::Write as _;
use std::path::Path;
use std::process::{Output, Stdio};
use std::sync::Arc;

use skydd_app::instance::{Create, DataSettings};
use skydd_app::staff::SignInStep;
use skydd_storage::AuditFilter;

use super::{Database, block_on, skydd, text};

const EMAIL: &str = "dpo@example.se";

fn settings(data: &Path, database: &[String]) -> DataSettings {
    DataSettings {
        data_dir: data.to_owned(),
        database_url: database.get(1).cloned(),
        busy_timeout: skydd_storage::DEFAULT_BUSY_TIMEOUT,
        durability: skydd_storage::Durability::default(),
    }
}

/// `skydd user ARGS --data-dir DATA [--database-url ...]` with `stdin` piped in.
fn user(data: &Path, database: &[String], args: &[&str], stdin: Option<&str>) -> Output {
    let mut command = skydd();
    command
        .arg("user")
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .args(database);
    let Some(input) = stdin else {
        return command.output().unwrap();
    };
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn staff_accounts_are_managed_from_the_command_line() {
    for database in Database::all() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let args = database.args();
        scenario(&data, &args);
        database.drop_schema();
        eprintln!("{}: ok", database.name());
    }
}

fn scenario(data: &Path, database: &[String]) {
    // No instance yet: refused, saying where.
    let output = user(data, database, &["list"], None);
    assert!(!output.status.success());
    block_on(async {
        let instance = skydd_app::instance::open(&settings(data, database), Create::IfMissing)
            .await
            .unwrap();
        instance.storage.close().await.unwrap();
    });

    // With a password on stdin: only the id on stdout.
    let output = user(
        data,
        database,
        &[
            "create",
            "--email",
            "DPO@Example.se",
            "--role",
            "dpo",
            "--password-stdin",
        ],
        Some("correct horse battery staple\n"),
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    let dpo_id = lines[0].to_owned();
    assert_eq!(dpo_id.len(), 32);
    let stderr = text(&output.stderr);
    assert!(stderr.contains("enrols a TOTP second factor"));
    // P000-63: a role that reads personal data granted to someone with no privacy training
    // recorded is warned about (and audited so, below).
    assert!(
        stderr.contains(
            "warning: the dpo role reads personal data and no privacy training is recorded"
        ),
        "{stderr}"
    );

    // A training recorded before the account exists, by address: no warning then.
    let output = user(
        data,
        database,
        &[
            "training",
            "Support@example.se",
            "--completed",
            "2026-01-15",
            "--course",
            "GDPR basics 2026",
        ],
        None,
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let output = user(
        data,
        database,
        &[
            "training",
            "support@example.se",
            "--completed",
            "2999-01-01",
            "--course",
            "x",
        ],
        None,
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("after today"),
        "{}",
        text(&output.stderr)
    );

    // Without one: a generated password on the second line, shown once.
    let output = user(
        data,
        database,
        &[
            "create",
            "--email",
            "support@example.se",
            "--role",
            "support",
        ],
        None,
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    let (support_id, generated) = (lines[0].to_owned(), lines[1].to_owned());
    assert_eq!(generated.len(), 27);
    assert!(
        !text(&output.stderr).contains("warning"),
        "{}",
        text(&output.stderr)
    );

    // Refusals say how to fix them and never repeat the address or the password.
    let output = user(
        data,
        database,
        &[
            "create",
            "--email",
            "dpo@example.se",
            "--role",
            "admin",
            "--password-stdin",
        ],
        Some("another long passphrase\n"),
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("exists already"), "{stderr}");
    assert!(!stderr.contains("dpo@example.se"), "{stderr}");
    let output = user(
        data,
        database,
        &[
            "create",
            "--email",
            "new@example.se",
            "--role",
            "admin",
            "--password-stdin",
        ],
        Some("tooshort\n"),
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("at least 12 characters"), "{stderr}");
    assert!(!stderr.contains("tooshort"), "{stderr}");
    let output = user(
        data,
        database,
        &["create", "--email", "secret-person", "--role", "admin"],
        None,
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(!text(&output.stderr).contains("secret-person"));
    let output = user(data, database, &["disable", "ghost@example.se"], None);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("skydd user list"), "{stderr}");
    assert!(!stderr.contains("ghost"), "{stderr}");

    // Named by e-mail or id.
    let output = user(data, database, &["disable", "Support@example.se"], None);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let output = user(data, database, &["list"], None);
    assert!(output.status.success());
    let listed = text(&output.stdout);
    let support_line = listed
        .lines()
        .find(|line| line.starts_with(&support_id))
        .unwrap();
    assert!(support_line.contains("support@example.se"), "{listed}");
    assert!(support_line.contains("disabled"), "{listed}");
    assert!(support_line.contains(" no "), "{listed}");
    assert!(support_line.contains("2026-01-15"), "{listed}");
    let dpo_line = listed.lines().find(|l| l.starts_with(&dpo_id)).unwrap();
    assert!(dpo_line.contains(" none "), "{listed}");
    let output = user(data, database, &["enable", &support_id], None);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let output = user(data, database, &["reset-totp", &dpo_id], None);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let output = user(
        data,
        database,
        &["set-password", EMAIL, "--password-stdin"],
        Some("a brand new passphrase\n"),
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).is_empty());

    // The generated and the new password sign in; every change is audited with the CLI actor.
    block_on(async {
        let instance = skydd_app::instance::open(&settings(data, database), Create::Never)
            .await
            .unwrap();
        let staff = instance.staff();
        let now = skydd_app::Clock::now(&skydd_app::SystemClock);
        for (email, password) in [
            ("support@example.se", generated.as_str()),
            (EMAIL, "a brand new passphrase"),
        ] {
            let step = staff
                .sign_in_password(email, password, None, now)
                .await
                .unwrap();
            assert!(matches!(step, SignInStep::Enrol { .. }), "{step:?}");
        }
        let entries = instance
            .storage
            .audit_entries(&AuditFilter::default(), 0, 100)
            .await
            .unwrap();
        let by_cli: Vec<&str> = entries
            .iter()
            .filter(|e| e.event.actor.starts_with("cli:"))
            .map(|e| e.event.action.as_str())
            .collect();
        assert_eq!(
            by_cli,
            [
                "staff.account.create",
                "staff.training",
                "staff.account.create",
                "staff.account.disable",
                "staff.account.enable",
                "staff.totp.reset",
                "staff.password.set",
            ]
        );
        for entry in &entries {
            let text = format!("{:?}", entry.event);
            assert!(!text.contains("example.se"), "{text}");
        }
        let creations: Vec<&str> = entries
            .iter()
            .filter(|e| e.event.action == "staff.account.create")
            .filter_map(|e| e.event.detail.as_deref())
            .collect();
        assert!(
            creations[0].ends_with("role dpo without privacy training recorded"),
            "{creations:?}"
        );
        assert!(creations[1].ends_with("role support"), "{creations:?}");
        drop(staff);
        let storage = Arc::clone(&instance.storage);
        storage.close().await.unwrap();
    });
}
