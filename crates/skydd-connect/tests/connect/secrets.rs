//! The connection string never shows: not in `Debug`, not in errors; a connection file
//! readable by others is refused.

use std::os::unix::fs::PermissionsExt as _;

use skydd_connect::{ConnectError, Database, DatabaseUrl, read_url};
use skydd_dataset::{Connection, DatabaseKind};

const PASSWORD: &str = "s3cret-Pa55word";

#[test]
fn an_unset_variable_is_named_with_what_to_do() {
    let error = read_url(&Connection::Env("SKYDD_CONNECT_TEST_NEVER_SET".into())).unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("`SKYDD_CONNECT_TEST_NEVER_SET`"),
        "{message}"
    );
    assert!(message.contains("is not set"), "{message}");
}

#[test]
fn a_connection_file_readable_by_others_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("url");
    std::fs::write(
        &path,
        format!("postgres://app:{PASSWORD}@db.internal/shop\n"),
    )
    .unwrap();
    let connection = Connection::File(path.display().to_string());

    for mode in [0o644, 0o640, 0o604] {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        let message = read_url(&connection).unwrap_err().to_string();
        assert!(message.contains("can be read by others"), "{message}");
        assert!(message.contains("chmod 600"), "{message}");
        assert!(!message.contains(PASSWORD), "{message}");
    }

    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let url = read_url(&connection).unwrap();
    let shown = format!("{url:?} {url}");
    assert!(
        !shown.contains(PASSWORD) && !shown.contains("db.internal"),
        "{shown}"
    );

    let message = read_url(&Connection::File(dir.path().display().to_string()))
        .unwrap_err()
        .to_string();
    assert!(message.contains("not a regular file"), "{message}");
}

#[tokio::test]
async fn connection_errors_never_show_the_url_or_the_password() {
    // Nothing listens on port 1: every driver fails, and says why without the secret.
    for (kind, url) in [
        (
            DatabaseKind::Postgres,
            format!("postgres://app:{PASSWORD}@127.0.0.1:1/shop"),
        ),
        (
            DatabaseKind::Mysql,
            format!("mysql://app:{PASSWORD}@127.0.0.1:1/shop"),
        ),
        (
            DatabaseKind::Sqlite,
            format!("sqlite:///nonexistent/{PASSWORD}/shop.db"),
        ),
        // A malformed URL: the parser's message must not quote it either.
        (
            DatabaseKind::Postgres,
            format!("postgres://app:{PASSWORD}@127.0.0.1:notaport/shop"),
        ),
    ] {
        let error = Database::connect(kind, &DatabaseUrl::new(url), None)
            .await
            .unwrap_err();
        assert!(matches!(error, ConnectError::Connect { .. }), "{error:?}");
        for shown in [error.to_string(), format!("{error:?}")] {
            assert!(!shown.contains(PASSWORD), "{kind:?}: {shown}");
        }
    }
}

#[tokio::test]
async fn the_tls_mode_of_the_dataset_is_applied() {
    use skydd_dataset::{Tls, TlsMode};
    // The test servers listen on 127.0.0.1 without a certificate any public CA signed for that
    // address: `verify-full` cannot succeed, so a connection that did would have ignored it.
    let mut servers = Vec::new();
    if let Some(url) = crate::server("SKYDD_TEST_DATABASE_URL", "PostgreSQL") {
        servers.push((DatabaseKind::Postgres, url));
    }
    if let Some(url) = crate::server("SKYDD_TEST_MYSQL_URL", "MariaDB") {
        servers.push((DatabaseKind::Mysql, url));
    }
    for (kind, url) in servers {
        let url = DatabaseUrl::new(url);
        let strict = Tls {
            mode: TlsMode::VerifyFull,
            ca_file: None,
        };
        let error = Database::connect(kind, &url, Some(&strict))
            .await
            .unwrap_err();
        assert!(
            matches!(error, ConnectError::Connect { .. }),
            "{kind:?}: {error:?}"
        );
        let missing_ca = Tls {
            mode: TlsMode::VerifyCa,
            ca_file: Some("/nonexistent/skydd-test-ca.pem".into()),
        };
        assert!(
            Database::connect(kind, &url, Some(&missing_ca))
                .await
                .is_err(),
            "{kind:?}"
        );
        let plain = Tls {
            mode: TlsMode::Disable,
            ca_file: None,
        };
        let db = Database::connect(kind, &url, Some(&plain)).await.unwrap();
        db.close().await;
    }
}
