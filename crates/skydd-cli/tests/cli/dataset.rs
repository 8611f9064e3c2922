//! `skydd dataset check` (issue 16, part 1): the example datasets pass against their register,
//! a broken one is reported like a compiler without repeating a secret, JSON on stdout, exit
//! codes 0/1/2, and `--connect` refuses to pretend.

use super::*;

fn datasets() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/datasets")
}

/// A dataset with three mistakes: a connection string in the file, a category the register does
/// not have (a typo), and a masked primary key.
const BROKEN_DATASET: &str = "\
skydd_dataset: 1
name: shop
kind: postgres
connection: postgres://shop:hunter2@db.internal/shop
collections:
  - name: customer
    primary_key: id
    fields:
      - {name: id, erase: random}
      - {name: email, identity: email, category: customer_identiti, erase: keyed_hash}
";

#[test]
fn dataset_check_accepts_the_example_datasets() {
    for name in ["fides-example.yaml", "shop.yaml"] {
        let path = datasets().join(name);
        let output = run(skydd()
            .args(["dataset", "check"])
            .arg(&path)
            .arg("--register")
            .arg(examples().join("glesys.yaml")));
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{name}:\n{stderr}");
        let summary = stderr.lines().last().unwrap();
        assert!(
            summary.starts_with(&format!("{}: valid", path.display())),
            "{name}: {summary}"
        );
        assert!(
            summary.contains("glesys.yaml"),
            "names the register: {summary}"
        );
        assert!(output.stdout.is_empty(), "text output goes to stderr");
    }
}

#[test]
fn dataset_check_reports_every_error_like_a_compiler_and_never_the_secret() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "shop.yaml", BROKEN_DATASET);
    // Without `--register`: the bundled register, as `serve` uses.
    let output = run(skydd().args(["dataset", "check"]).arg(&path));
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    let shown = path.display().to_string();
    for (at, code_words) in [
        ("4:13", "written into the dataset file"),
        ("9:27", "primary key"),
        ("10:50", "`customer_identiti`"),
    ] {
        let line = stderr
            .lines()
            .find(|l| l.starts_with(&format!("{shown}:{at}: error:")))
            .unwrap_or_else(|| panic!("no error at {at}:\n{stderr}"));
        assert!(line.contains(code_words), "{line}");
    }
    assert!(
        stderr.contains("did you mean `customer_identity`?"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
    assert!(!stderr.contains("db.internal"), "{stderr}");
    assert!(
        stderr
            .lines()
            .last()
            .unwrap()
            .starts_with(&format!("{shown}: 3 errors")),
        "{stderr}"
    );
}

#[test]
fn dataset_check_json_is_one_document_on_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "shop.yaml", BROKEN_DATASET);
    let output = run(skydd()
        .args(["dataset", "check", "--format", "json"])
        .arg(&path));
    assert_eq!(output.status.code(), Some(1));
    let stdout = text(&output.stdout);
    assert!(!stdout.contains("hunter2"), "{stdout}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["valid"], false);
    assert_eq!(report["errors"], 3, "{report}");
    let codes: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["secret-in-file", "masked-key", "unknown-reference"]);
    assert_eq!(report["register"]["digest"].as_str().unwrap().len(), 64);

    let valid = datasets().join("shop.yaml");
    let output = run(skydd()
        .args(["dataset", "check", "--format", "json"])
        .arg(&valid));
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["valid"], true);
}

#[test]
fn dataset_check_exit_2_when_it_cannot_check() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.yaml");
    let output = run(skydd().args(["dataset", "check"]).arg(&missing));
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).starts_with(&format!("skydd: cannot read {}: ", missing.display())),
        "{}",
        text(&output.stderr)
    );
    // An invalid register: nothing is checked against it.
    let register = write(dir.path(), "register.yaml", BROKEN_REGISTER);
    let output = run(skydd()
        .args(["dataset", "check"])
        .arg(datasets().join("shop.yaml"))
        .arg("--register")
        .arg(&register));
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("the register is not valid"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn dataset_check_connect_is_not_there_yet_and_says_so() {
    let output = run(skydd()
        .args(["dataset", "check", "--connect"])
        .arg(datasets().join("shop.yaml")));
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("not available yet"), "{stderr}");
    assert!(stderr.contains("nothing was checked"), "{stderr}");
}
