//! The datasets an instance serves (issue 16): files and directories read in order, checked
//! against the register, names unique, the systems of the Art. 30 record and what restrictions
//! cover; an unreadable database is a package's reason, never a value or a URL.

use std::path::{Path, PathBuf};

use skydd_app::datasets::{DatasetError, load};

const GLESYS: &str = include_str!("../../../../examples/registers/glesys.yaml");
const FIDES: &str = include_str!("../../../../examples/datasets/fides-example.yaml");

fn glesys() -> skydd_register::Register {
    skydd_register::check(GLESYS).register.unwrap()
}

fn write(dir: &Path, name: &str, dataset_name: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(
        &path,
        FIDES.replace("name: fides_example", &format!("name: {dataset_name}")),
    )
    .unwrap();
    path
}

#[test]
fn files_and_directories_load_in_order_and_name_their_systems() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("more");
    std::fs::create_dir(&sub).unwrap();
    write(&sub, "b.yaml", "support");
    write(&sub, "a.yaml", "billing");
    let shop = write(dir.path(), "shop.yaml", "shop");
    let (datasets, warnings) = load(&[shop, sub], &glesys()).unwrap();
    let names: Vec<&str> = datasets
        .all()
        .iter()
        .map(|d| d.dataset.name.as_str())
        .collect();
    assert_eq!(names, ["shop", "billing", "support"]);
    assert!(!warnings.contains("error"), "{warnings}");
    let systems = datasets.systems();
    assert_eq!(systems[0].name, "shop");
    assert!(systems[0].categories.contains(&"payment_card".to_owned()));
    let (system, covered) = &datasets.coverage()[0];
    assert_eq!(system, "shop");
    assert!(covered.contains(&(
        "customer".to_owned(),
        "email".to_owned(),
        "customer_identity".to_owned()
    )));
    let only = datasets.coverage_of(Some(&["support_ticket".to_owned()]));
    assert!(only[0].1.iter().all(|(_, _, c)| c == "support_ticket"));
}

#[test]
fn every_file_is_checked_and_a_name_used_twice_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let first = write(dir.path(), "a.yaml", "shop");
    let second = write(dir.path(), "b.yaml", "shop");
    let broken = dir.path().join("c.yaml");
    std::fs::write(&broken, "skydd_dataset: 1\nname: x\n").unwrap();
    match load(&[first, second.clone(), broken.clone()], &glesys()) {
        Err(DatasetError::Invalid { errors, report }) => {
            assert_eq!(errors, 2, "{report}");
            assert!(
                report.contains(&format!("{}:", second.display())),
                "{report}"
            );
            assert!(report.contains("already used by"), "{report}");
            assert!(
                report.contains(&format!("{}:", broken.display())),
                "{report}"
            );
        }
        other => panic!("{other:?}"),
    }
    let missing = dir.path().join("missing.yaml");
    assert!(matches!(
        load(&[missing], &glesys()),
        Err(DatasetError::Read { .. })
    ));
}

#[tokio::test]
async fn an_unreadable_database_is_a_reason_without_url_or_value() {
    let dir = tempfile::tempdir().unwrap();
    let url_file = dir.path().join("shop.url");
    std::fs::write(&url_file, "postgres://reader:s3cret-pass@127.0.0.1:1/shop").unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&url_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let source = FIDES.replace(
        "  env: FIDES_EXAMPLE_DATABASE_URL",
        &format!("  file: {}", url_file.display()),
    );
    let dataset = skydd_dataset::check(&source, Some(&glesys()))
        .dataset
        .unwrap();
    let identity = skydd_subject::Identity::parse(
        skydd_subject::IdentityKind::Email,
        "customer-1@example.com",
        skydd_subject::ParseContext::sweden(jiff::civil::date(2026, 12, 6)),
    )
    .unwrap();
    let system =
        skydd_app::connected::read_system(&dataset, &[identity], jiff::civil::date(2026, 12, 6))
            .await;
    let reason = system.failed.expect("nothing listens on port 1");
    assert!(system.values.is_empty());
    for secret in ["s3cret-pass", "postgres://", "customer-1"] {
        assert!(!reason.contains(secret), "{reason}");
    }
}
