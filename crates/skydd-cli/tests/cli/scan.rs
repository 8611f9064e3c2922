//! `skydd scan` (issue 21) with the real binary: findings as JSON lines without values unless
//! `--show-values`, CSV columns and JSON members, names only when given, a summary on stderr,
//! and a file that cannot be read (exit 2) named by line without its content.

use std::io::Write as _;
use std::process::Stdio;

use super::{skydd, text, write};

const TICKETS: &str = "id,customer,body\n\
    1,C-100,\"Hej! Jag heter Anna Andersson, pnr 19121212-1212.\nRing 070-123 45 67.\"\n\
    2,C-200,Order 5566778899 skickad 2024-05-01; faktura 2024-0012.\n\
    3,C-300,Mejla anna.andersson@example.se eller IBAN SE45 5000 0000 0583 9825 7466.\n";

#[test]
fn a_csv_column_is_scanned_and_values_are_printed_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "tickets.csv", TICKETS);
    let output = skydd()
        .args(["scan", "--field", "body", "--reference-date", "2026-12-07"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert_eq!(
        stdout,
        concat!(
            r#"{"line":2,"field":"body","kind":"personnummer","start":35,"end":48,"confidence":"high"}"#,
            "\n",
            r#"{"line":2,"field":"body","kind":"phone","start":55,"end":68,"confidence":"high"}"#,
            "\n",
            r#"{"line":5,"field":"body","kind":"email","start":6,"end":31,"confidence":"high"}"#,
            "\n",
            r#"{"line":5,"field":"body","kind":"iban","start":43,"end":72,"confidence":"high"}"#,
            "\n",
        )
    );
    // Without --show-values, no value reaches stdout or stderr.
    for value in ["1212", "070-123", "anna.andersson", "SE45", "Anna"] {
        assert!(!stdout.contains(value), "{value} in {stdout}");
        assert!(!text(&output.stderr).contains(value), "{value} on stderr");
    }
    assert!(
        text(&output.stderr).contains("4 findings in 3 records"),
        "{}",
        text(&output.stderr)
    );

    // From standard input, with the person's name and the values shown.
    let mut child = skydd()
        .args(["scan", "-", "--format", "csv", "--show-values"])
        .args(["--name", "Anna Andersson", "--reference-date", "2026-12-07"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(TICKETS.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains(
            r#""kind":"name","start":15,"end":29,"confidence":"medium","value":"Anna Andersson""#
        ),
        "{stdout}"
    );
    assert!(stdout.contains(r#""value":"19121212-1212""#), "{stdout}");
    assert!(!stdout.contains("5566778899"), "an order number: {stdout}");
}

#[test]
fn an_unreadable_line_is_named_without_its_content() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "chats.jsonl",
        "{\"text\": \"ring 070-123 45 67\"}\n{\"text\": 19121212-1212}\n",
    );
    let output = skydd().arg("scan").arg(&file).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("chats.jsonl:2: error: the line is not valid JSON"),
        "{stderr}"
    );
    assert!(!stderr.contains("1212"), "{stderr}");
    // What was read before the bad line is printed.
    assert!(text(&output.stdout).contains(r#""kind":"phone""#));
}
