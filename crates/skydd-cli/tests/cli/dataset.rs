//! `skydd dataset check` (issue 16, part 1): the example datasets pass against their register,
//! a broken one is reported like a compiler without repeating a secret, JSON on stdout, exit
//! codes 0/1/2; `--connect` against a live (SQLite) database, and `introspect` drafting a dataset
//! that passes the check (the three-database suite is skydd-connect's). `dataset import-fides`:
//! Fides' example datasets become a draft `dataset check` accepts, problems are reported like a
//! compiler, and an existing output is never overwritten by accident.

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
    let mut names: Vec<String> = std::fs::read_dir(datasets())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".yaml") && name != "fides-map.yaml")
        .collect();
    names.sort();
    assert_eq!(names, ["fides-example.yaml", "shop.yaml", "tour-shop.yaml"]);
    for name in names {
        let path = datasets().join(&name);
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

/// A shop database on SQLite: an identity without an index, a column erased with `null` that
/// is NOT NULL.
fn shop_database(dir: &Path) -> String {
    let path = dir.join("shop.db");
    let url = format!("sqlite://{}", path.display());
    block_on(async {
        use sqlx::{ConnectOptions as _, Connection as _};
        let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .connect()
            .await
            .unwrap();
        sqlx::raw_sql(
            "CREATE TABLE customer (id INTEGER PRIMARY KEY, email TEXT NOT NULL, phone TEXT);
             CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INT NOT NULL REFERENCES customer (id), total INT);
             CREATE INDEX orders_customer ON orders (customer_id);",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        conn.close().await.unwrap();
    });
    url
}

const LIVE_DATASET: &str = "skydd_dataset: 1
name: shop
kind: sqlite
connection: {env: SKYDD_TEST_SHOP_URL}
collections:
  - name: customer
    primary_key: id
    fields:
      - name: id
      - name: email
        category: support_ticket
        identity: email
        erase: null
      - {name: phone, category: support_ticket, erase: null}
  - name: orders
    primary_key: id
    fields:
      - name: id
      - name: customer_id
        references:
          - {field: customer.id, direction: from}
";

#[test]
fn dataset_check_connect_compares_with_the_live_database() {
    let dir = tempfile::tempdir().unwrap();
    let url = shop_database(dir.path());
    let dataset = write(dir.path(), "shop.yaml", LIVE_DATASET);
    let shown = dataset.display().to_string();
    // Without --connect the file alone is valid.
    let output = run(skydd().args(["dataset", "check"]).arg(&dataset));
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));

    let output = run(skydd()
        .args(["dataset", "check", "--connect"])
        .arg(&dataset)
        .env("SKYDD_TEST_SHOP_URL", &url));
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{shown}:13:16: error: `customer.email` is NOT NULL"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "{shown}:10:15: warning: `main.customer.email` is an identity"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("help: CREATE INDEX customer_email_idx ON main.customer (email);"),
        "{stderr}"
    );
    // `orders.customer_id` has its index: no warning about it.
    assert!(!stderr.contains("orders.customer_id"), "{stderr}");

    // The variable unset: exit 2, saying which variable.
    let output = run(skydd()
        .args(["dataset", "check", "--connect"])
        .arg(&dataset)
        .env_remove("SKYDD_TEST_SHOP_URL"));
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("`SKYDD_TEST_SHOP_URL`"), "{stderr}");
    assert!(
        stderr.contains("was not checked against the database"),
        "{stderr}"
    );
}

#[test]
fn dataset_check_connect_never_shows_the_connection_string() {
    let dir = tempfile::tempdir().unwrap();
    let dataset = write(
        dir.path(),
        "remote.yaml",
        &LIVE_DATASET.replace("kind: sqlite", "kind: postgres\ntls: {mode: disable}"),
    );
    // Nothing listens on port 1.
    let output = run(skydd()
        .args(["dataset", "check", "--connect"])
        .arg(&dataset)
        .env(
            "SKYDD_TEST_SHOP_URL",
            "postgres://shop:hunter2-secret@127.0.0.1:1/shop",
        ));
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("cannot connect to the postgres database"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2-secret"), "{stderr}");
    assert!(text(&output.stdout).is_empty());
}

#[test]
fn dataset_introspect_drafts_a_dataset_that_passes_the_check() {
    let dir = tempfile::tempdir().unwrap();
    let url = shop_database(dir.path());
    let out = dir.path().join("draft.yaml");
    let output = run(skydd()
        .args([
            "dataset",
            "introspect",
            "--url-env",
            "SKYDD_TEST_SHOP_URL",
            "-o",
        ])
        .arg(&out)
        .env("SKYDD_TEST_SHOP_URL", &url));
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("drafted 2 tables"), "{stderr}");
    assert!(!stderr.contains(&url), "{stderr}");
    let draft = std::fs::read_to_string(&out).unwrap();
    assert!(draft.contains("name: shop\nkind: sqlite\n"), "{draft}");
    assert!(draft.contains("env: SKYDD_TEST_SHOP_URL"), "{draft}");
    assert!(draft.contains("identity: email # guess"), "{draft}");
    assert!(
        draft.contains("{field: customer.id, direction: from}"),
        "{draft}"
    );
    assert!(!draft.contains(&url), "{draft}");

    // The draft passes the file check and the live check as it stands.
    let output = run(skydd()
        .args(["dataset", "check", "--connect"])
        .arg(&out)
        .env("SKYDD_TEST_SHOP_URL", &url));
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}\n{draft}",
        text(&output.stderr)
    );

    // An existing file is not overwritten.
    let output = run(skydd()
        .args([
            "dataset",
            "introspect",
            "--url-env",
            "SKYDD_TEST_SHOP_URL",
            "-o",
        ])
        .arg(&out)
        .env("SKYDD_TEST_SHOP_URL", &url));
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("is not overwritten"));
}

/// The Fides datasets of ethyca/fides' example database (copied into skydd-dataset's fixtures).
fn fides_datasets() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../skydd-dataset/tests/fixtures/fides");
    [
        "data_dataset_postgres_example_test_dataset.yml",
        "data_dataset_postgres_example_test_extended_dataset.yml",
        "data_dataset_postgres_example_custom_request_field_dataset.yml",
    ]
    .iter()
    .map(|name| dir.join(name))
    .collect()
}

fn import_fides(map: &Path) -> Command {
    let mut command = skydd();
    command
        .args(["dataset", "import-fides"])
        .args(fides_datasets())
        .arg("--map")
        .arg(map)
        .arg("--register")
        .arg(examples().join("glesys.yaml"));
    command
}

#[test]
fn import_fides_drafts_a_dataset_that_dataset_check_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("fides.yaml");
    let map = datasets().join("fides-map.yaml");
    let output = run(import_fides(&map).arg("-o").arg(&out));
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        output.stdout.is_empty(),
        "the draft went to {}",
        out.display()
    );
    // Guesses are warnings in compiler style, at their line in the Fides file.
    let main = fides_datasets()[0].display().to_string();
    assert!(
        stderr.contains(&format!(
            "{main}:116:15: warning: Fides declares no primary key for `order_item`"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("  help: "), "{stderr}");
    let summary = stderr.lines().last().unwrap();
    assert!(summary.starts_with("import-fides: valid, "), "{summary}");
    assert!(
        summary.contains(&format!("draft in {}", out.display())),
        "{summary}"
    );

    let checked = run(skydd()
        .args(["dataset", "check"])
        .arg(&out)
        .arg("--register")
        .arg(examples().join("glesys.yaml")));
    assert_eq!(checked.status.code(), Some(0), "{}", text(&checked.stderr));

    // Without `-o`, the draft is on stdout.
    let output = run(&mut import_fides(&map));
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(text(&output.stdout), std::fs::read_to_string(&out).unwrap());

    // An existing output is kept unless `--force`.
    std::fs::write(&out, "mine").unwrap();
    let output = run(import_fides(&map).arg("-o").arg(&out));
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("--force"),
        "{}",
        text(&output.stderr)
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "mine");
    let output = run(import_fides(&map).arg("-o").arg(&out).arg("--force"));
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(
        std::fs::read_to_string(&out)
            .unwrap()
            .starts_with("# Drafted by")
    );
}

#[test]
fn import_fides_reports_unmapped_categories_and_writes_a_partial_draft_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let full = std::fs::read_to_string(datasets().join("fides-map.yaml")).unwrap();
    let broken = full.replace("user.sensor: product_usage\n", "");
    assert_ne!(broken, full);
    let map = write(dir.path(), "map.yaml", &broken);
    let out = dir.path().join("draft.yaml");
    let output = run(import_fides(&map).arg("-o").arg(&out));
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    let main = fides_datasets()[0].display().to_string();
    // `login.time` is the one `user.sensor` of the Fides datasets.
    let line = stderr
        .lines()
        .find(|l| l.starts_with(&format!("{main}:92:31: error: ")))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(line.contains("`user.sensor`"), "{line}");
    assert!(stderr.contains("no draft written"), "{stderr}");
    assert!(!out.exists(), "no draft without --partial");
    assert!(output.stdout.is_empty());

    let output = run(import_fides(&map).arg("-o").arg(&out).arg("--partial"));
    assert_eq!(output.status.code(), Some(1));
    let draft = std::fs::read_to_string(&out).unwrap();
    assert!(
        draft.contains("# not converted: `user.sensor` is not in the map"),
        "{draft}"
    );

    // A file that cannot be read: exit 2, nothing else done.
    let output = run(skydd()
        .args(["dataset", "import-fides"])
        .arg(dir.path().join("nope.yml"))
        .arg("--map")
        .arg(&map));
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("cannot read"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn import_fides_takes_primary_keys_from_the_live_database_when_asked() {
    const FIDES_SQLITE: &str = include_str!("../../../skydd-connect/tests/connect/sqlite.sql");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fides.db");
    block_on(async {
        use sqlx::{ConnectOptions as _, Connection as _};
        let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .connect()
            .await
            .unwrap();
        sqlx::raw_sql(FIDES_SQLITE)
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
    });
    let map = datasets().join("fides-map.yaml");
    let out = dir.path().join("fides.yaml");
    let output = run(import_fides(&map)
        .args(["--kind", "sqlite", "--keys-from-env", "FIDES_DB_URL"])
        .env("FIDES_DB_URL", format!("sqlite://{}", path.display()))
        .arg("-o")
        .arg(&out));
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        !stderr.contains("Fides declares no primary key for `order_item`"),
        "the database's key is no guess:\n{stderr}"
    );
    let draft = std::fs::read_to_string(&out).unwrap();
    let order_item = &draft[draft.find("name: order_item").unwrap()..];
    let key_line = order_item
        .lines()
        .find(|line| line.trim_start().starts_with("primary_key:"))
        .unwrap();
    assert!(
        key_line.contains("order_id") && key_line.contains("item_no"),
        "{key_line}"
    );
    assert!(!stderr.contains("sqlite://"), "the URL is never shown");

    // A variable that is not set is an error saying which, and nothing is written.
    let missing = dir.path().join("missing.yaml");
    let output = run(import_fides(&map)
        .args([
            "--kind",
            "sqlite",
            "--keys-from-env",
            "NO_SUCH_VARIABLE_SET",
        ])
        .env_remove("NO_SUCH_VARIABLE_SET")
        .arg("-o")
        .arg(&missing));
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("NO_SUCH_VARIABLE_SET"));
    assert!(!missing.exists());
}
