//! `skydd import` (issue 19) with the real binary on SQLite and PostgreSQL: a JSON lines file
//! imported (exit 0), a CSV file with refused rows reported as `FILE:LINE: error:` diagnostics
//! that quote no value (exit 1), the same file run again continuing instead of repeating, and a
//! file that cannot be read (exit 2). The output is compared with snapshots.

use std::path::Path;
use std::process::Output;

use super::{Database, VALID_REGISTER, block_on, open_in_process, skydd, text, write};

const EMAIL: &str = "import.cli.sara@example.se";

/// The test register with a purpose resting on consent.
fn register() -> String {
    VALID_REGISTER.replace(
        "purposes:\n",
        "purposes:\n  - id: newsletter\n    name: Newsletter\n    role: controller\n    \
         subjects: [customer]\n    sources: [data_subject]\n    legal_basis: {contact_basic: \
         consent}\n    consent: {wording: I want the newsletter.}\n",
    )
}

/// `skydd import ARGS --data-dir DATA [--database-url ...]`, run in `dir` (so the file is
/// named as given), logging only errors.
fn import(dir: &Path, data: &Path, database: &[String], args: &[&str]) -> Output {
    skydd()
        .current_dir(dir)
        .env("SKYDD_LOG", "error")
        .arg("import")
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .args(database)
        .output()
        .unwrap()
}

fn code(output: &Output) -> Option<i32> {
    output.status.code()
}

#[test]
fn skydd_import_reports_rows_by_line_exits_by_outcome_and_continues() {
    for database in Database::all() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let args = database.args();
        block_on(async {
            let app = open_in_process(&data, &args, &register()).await;
            app.close().await.unwrap();
        });
        scenario(dir.path(), &data, &args, database.name());
        database.drop_schema();
    }
}

fn scenario(dir: &Path, data: &Path, args: &[String], name: &str) {
    write(
        dir,
        "crm.jsonl",
        &format!(
            "{{\"type\":\"consent\",\"identity_kind\":\"email\",\"identity\":\"{EMAIL}\",\"purpose\":\"newsletter\",\"granted\":true,\"at\":\"2021-03-04T10:15:00Z\"}}\n\
             {{\"type\":\"record\",\"identity_kind\":\"email\",\"identity\":\"{EMAIL}\",\"category\":\"contact_basic\",\"purpose\":\"newsletter\",\"source\":\"data_subject\",\"fields\":{{\"email\":\"{EMAIL}\"}}}}\n"
        ),
    );
    let output = import(dir, data, args, &["crm.jsonl"]);
    assert_eq!(code(&output), Some(0), "{name}: {}", text(&output.stderr));
    insta::assert_snapshot!("import_jsonl_stdout", text(&output.stdout));
    assert_eq!(text(&output.stderr), "", "{name}");

    // Run again: nothing more is written, the earlier run is reported.
    let output = import(dir, data, args, &["crm.jsonl"]);
    assert_eq!(code(&output), Some(0), "{name}");
    insta::assert_snapshot!("import_jsonl_again_stdout", text(&output.stdout));

    write(
        dir,
        "export.txt",
        &format!(
            "type;identity_kind;identity;purpose;granted;at\n\
             consent;email;{EMAIL};newsletter;no;2024-02-03T04:05:06Z\n\
             consent;email;{EMAIL};{EMAIL};yes;2024-02-03T04:05:06Z\n\
             consent;email;not-an-address;newsletter;yes;2024-02-03T04:05:06Z\n\
             consent;email;{EMAIL};newsletter;maybe;2017-02-03T04:05:06Z\n"
        ),
    );
    let output = import(dir, data, args, &["export.txt"]);
    assert_eq!(
        code(&output),
        Some(2),
        "{name}: the extension names no format"
    );
    let output = import(dir, data, args, &["export.txt", "--format", "csv"]);
    assert_eq!(code(&output), Some(1), "{name}: {}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(
        !stderr.contains("sara") && !stderr.contains("not-an-address"),
        "{stderr}"
    );
    insta::assert_snapshot!("import_csv_refused_stderr", stderr);
    insta::assert_snapshot!("import_csv_refused_stdout", text(&output.stdout));

    let output = import(dir, data, args, &["missing.csv"]);
    assert_eq!(code(&output), Some(2), "{name}");
    assert!(text(&output.stderr).starts_with("missing.csv: error: cannot read the file"));
}
