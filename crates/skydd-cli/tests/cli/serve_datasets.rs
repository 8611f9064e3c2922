//! `skydd serve --dataset` (issue 16, part 2): datasets given as files, a directory or in
//! skydd.toml are checked at start against the register served; any error refuses the start
//! with compiler-style diagnostics and exit code 2, never showing a connection string.

use super::*;

/// The example dataset for ethyca/fides' shop, adapted to a SQLite file.
fn sqlite_dataset(name: &str) -> String {
    std::fs::read_to_string(examples().join("../datasets/fides-example.yaml"))
        .unwrap()
        .replace("name: fides_example", &format!("name: {name}"))
        .replace("kind: postgres", "kind: sqlite")
        .replace("    schema: public\n", "")
        .replace("tls:\n", "")
        .replace(
            "  # The example database runs on the same host; a remote one would use `verify-full`.\n  mode: disable\n",
            "",
        )
}

/// A dataset with a category the register lacks and a connection string written in.
const BROKEN: &str = "\
skydd_dataset: 1
name: shop
kind: postgres
connection: postgres://shop:hunter2@db.internal/shop
collections:
  - name: customer
    primary_key: id
    fields:
      - {name: id, erase: keep}
      - {name: email, identity: email, category: customer_identiti, erase: keyed_hash}
";

#[test]
fn a_broken_dataset_refuses_to_start_with_exit_2_and_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let good = write(dir.path(), "good.yaml", &sqlite_dataset("shop"));
    let broken = write(dir.path(), "broken.yaml", BROKEN);
    let output = run(skydd()
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .arg("--dataset")
        .arg(&good)
        .arg("--dataset")
        .arg(&broken));
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    let shown = broken.display().to_string();
    for at in ["4:13", "10:50"] {
        assert!(
            stderr.contains(&format!("{shown}:{at}: error:")),
            "no error at {at}:\n{stderr}"
        );
    }
    assert!(
        stderr.contains("did you mean `customer_identity`?"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
    assert!(!stderr.contains("db.internal"), "{stderr}");
    assert!(!stderr.contains("listening on"), "{stderr}");
}

#[test]
fn dataset_names_are_unique_across_files_and_a_directory_is_read_sorted() {
    let dir = tempfile::tempdir().unwrap();
    let datasets = dir.path().join("datasets");
    std::fs::create_dir(&datasets).unwrap();
    write(&datasets, "a.yaml", &sqlite_dataset("shop"));
    let second = write(&datasets, "b.yaml", &sqlite_dataset("shop"));
    write(&datasets, "notes.txt", "not a dataset");
    let output = run(skydd()
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path().join("data"))
        .arg("--dataset")
        .arg(&datasets));
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    let line = 1 + sqlite_dataset("shop")
        .lines()
        .position(|l| l.starts_with("name:"))
        .unwrap();
    assert!(
        stderr.contains(&format!(
            "{}:{line}:1: error: the dataset name `shop` is already used by {}",
            second.display(),
            datasets.join("a.yaml").display()
        )),
        "{stderr}"
    );

    // An empty directory is a mistake too.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let output = run(skydd()
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path().join("data"))
        .arg("--dataset")
        .arg(&empty));
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("holds no *.yaml file"));
}

#[test]
fn datasets_in_skydd_toml_are_loaded_and_checked_by_config_check() {
    let dir = tempfile::tempdir().unwrap();
    let datasets = dir.path().join("datasets");
    std::fs::create_dir(&datasets).unwrap();
    write(&datasets, "shop.yaml", &sqlite_dataset("shop"));
    let billing = write(dir.path(), "billing.yaml", &sqlite_dataset("billing"));
    let config = write(
        dir.path(),
        "skydd.toml",
        &format!(
            "data_dir = \"{}\"\ndatasets = [\"{}\", \"{}\"]\n",
            dir.path().join("data").display(),
            datasets.display(),
            billing.display()
        ),
    );
    let output = run(skydd().args(["config", "check"]).arg(&config));
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains(&format!(
            "datasets = [\"{}\", \"{}\"]  # file",
            datasets.display(),
            billing.display()
        )),
        "{stdout}"
    );

    let server = Server::start(&["--config", config.to_str().unwrap()], &[]);
    let token = server.admin_token();
    let (status, body) = send("GET", &server.url("/v1/datasets"), &token, None);
    assert_eq!(status, 200, "{body}");
    let names: Vec<&str> = body["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["shop", "billing"], "in the order given");
    let stopped = server.terminate();
    assert!(stopped.status.success(), "{}", stopped.stderr);
    for name in ["shop", "billing"] {
        assert!(
            stopped.stderr.contains(&format!("dataset={name}")),
            "{}",
            stopped.stderr
        );
    }

    // A broken dataset in the file fails the check, with its diagnostics.
    let broken = write(dir.path(), "broken.yaml", BROKEN);
    let config = write(
        dir.path(),
        "broken.toml",
        &format!("datasets = [\"{}\"]\n", broken.display()),
    );
    let output = run(skydd().args(["config", "check"]).arg(&config));
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(&format!("{}:10:50: error:", broken.display())),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");

    // Not a list of strings.
    let config = write(dir.path(), "wrong.toml", "datasets = [1]\n");
    let output = run(skydd().args(["config", "check"]).arg(&config));
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("must be a list of strings"));
}

#[test]
fn register_export_names_the_systems_of_the_datasets_given() {
    let dir = tempfile::tempdir().unwrap();
    let shop = write(dir.path(), "shop.yaml", &sqlite_dataset("shop"));
    let output = run(skydd()
        .args(["register", "export", "--format", "json"])
        .arg(examples().join("glesys.yaml"))
        .arg("--dataset")
        .arg(&shop));
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let record: Value = serde_json::from_slice(&output.stdout).unwrap();
    let invoicing = record["activities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == "invoicing")
        .unwrap();
    assert!(
        invoicing["systems"].as_array().unwrap().iter().any(|s| s
            .as_str()
            .unwrap()
            .starts_with("Invoices and payments: shop (")),
        "{invoicing}"
    );
    let broken = write(dir.path(), "broken.yaml", BROKEN);
    let output = run(skydd()
        .args(["register", "export"])
        .arg(examples().join("glesys.yaml"))
        .arg("--dataset")
        .arg(&broken));
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains(&format!("{}:10:50: error:", broken.display())));
}
