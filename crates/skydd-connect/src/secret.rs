//! The connection string of a connected database: read from where the dataset says, kept out
//! of every message, log and `Debug` output.

use std::fmt;
use std::path::Path;

use skydd_dataset::{Connection, DatabaseKind};
use zeroize::Zeroize;

use crate::ConnectError;

/// A database URL with its credentials. `Debug` and `Display` never show it; only the
/// connector reads it, through `DatabaseUrl::expose` (crate-private). Wiped from memory when
/// dropped.
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// Wrap a URL read from somewhere the caller trusts (a command-line environment variable).
    pub fn new(url: String) -> DatabaseUrl {
        DatabaseUrl(url)
    }

    /// The URL itself, for the driver only: never format it into a message.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// Remove the URL, and the password in it, from `message` (a driver's error may quote
    /// either). Used on every error text built from a driver error.
    pub(crate) fn scrub(&self, message: &str) -> String {
        let mut out = message.replace(self.0.as_str(), "(connection string not shown)");
        if let Some(password) = self.password().filter(|p| p.len() >= 3) {
            out = out.replace(password, "(password not shown)");
        }
        out
    }

    /// The kind of database the URL's scheme names (`postgres`/`postgresql`, `mysql`/`mariadb`,
    /// `sqlite`), if it names one.
    pub fn kind(&self) -> Option<DatabaseKind> {
        let scheme = self.0.split_once(':')?.0.to_ascii_lowercase();
        match scheme.as_str() {
            "postgres" | "postgresql" => Some(DatabaseKind::Postgres),
            "mysql" | "mariadb" => Some(DatabaseKind::Mysql),
            "sqlite" => Some(DatabaseKind::Sqlite),
            _ => None,
        }
    }

    /// The database's name (the URL's last path segment, a SQLite file's stem) as a dataset
    /// `name`: lower snake case. Not secret; `None` when the URL names none.
    pub fn database_name(&self) -> Option<String> {
        let rest = self.0.split_once(':')?.1;
        let rest = rest.split(['?', '#']).next()?;
        // After `//` comes the host (with the credentials): the path starts at the next `/`.
        let path = match rest.strip_prefix("//") {
            Some(authority_and_path) => &authority_and_path[authority_and_path.find('/')?..],
            None => rest,
        };
        let last = path.rsplit('/').next()?;
        let stem = last.split('.').next()?;
        let mut name: String = stem
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect();
        if name.is_empty() {
            return None;
        }
        if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
            name.insert_str(0, "db_");
        }
        // A dataset id has at most 64 characters (all ASCII here).
        name.truncate(64);
        Some(name)
    }

    /// The password part of `scheme://user:password@host`, if any (as written, percent-encoded).
    fn password(&self) -> Option<&str> {
        let rest = self.0.split_once("://")?.1;
        let userinfo = rest.split_once('@')?.0;
        let password = userinfo.split_once(':')?.1;
        (!password.is_empty()).then_some(password)
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DatabaseUrl(not shown)")
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(connection string not shown)")
    }
}

impl Drop for DatabaseUrl {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// Read the URL a dataset's `connection` points at: the environment variable, or the file,
/// which must be a regular file readable and writable by its owner alone (mode `0600` or
/// `0400`). Leading and trailing white space (the file's final newline) is removed.
pub fn read_url(connection: &Connection) -> Result<DatabaseUrl, ConnectError> {
    let url = match connection {
        Connection::Env(name) => match std::env::var(name) {
            Ok(value) => value,
            Err(std::env::VarError::NotPresent) => {
                return Err(ConnectError::Source(format!(
                    "the environment variable `{name}` (the dataset's `connection.env`) is not set; set it to the database URL, such as postgres://USER:PASSWORD@HOST/DATABASE"
                )));
            }
            Err(std::env::VarError::NotUnicode(_)) => {
                return Err(ConnectError::Source(format!(
                    "the environment variable `{name}` is not valid UTF-8; it must hold the database URL"
                )));
            }
        },
        Connection::File(path) => read_file(Path::new(path))?,
    };
    let url = DatabaseUrl(url.trim().to_owned());
    if url.0.is_empty() {
        let place = match connection {
            Connection::Env(name) => format!("the environment variable `{name}`"),
            Connection::File(path) => format!("the file {path}"),
        };
        return Err(ConnectError::Source(format!(
            "{place} is empty; it must hold the database URL"
        )));
    }
    Ok(url)
}

fn read_file(path: &Path) -> Result<String, ConnectError> {
    let shown = path.display();
    let metadata = std::fs::metadata(path).map_err(|error| {
        ConnectError::Source(format!(
            "cannot read the connection file {shown} (the dataset's `connection.file`): {error}"
        ))
    })?;
    if !metadata.is_file() {
        return Err(ConnectError::Source(format!(
            "the connection file {shown} is not a regular file; it must be a file holding the database URL"
        )));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = metadata.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(ConnectError::Source(format!(
                "the connection file {shown} can be read by others (mode {mode:04o}); it holds a password: `chmod 600 {shown}`"
            )));
        }
    }
    std::fs::read_to_string(path).map_err(|error| {
        ConnectError::Source(format!("cannot read the connection file {shown}: {error}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_hide_the_url() {
        let url = DatabaseUrl::new("postgres://app:hunter22@db.internal/shop".into());
        for shown in [
            format!("{url:?}"),
            format!("{url}"),
            format!("{:?}", Some(&url)),
        ] {
            assert!(!shown.contains("hunter22"), "{shown}");
            assert!(!shown.contains("db.internal"), "{shown}");
        }
    }

    #[test]
    fn the_kind_and_name_come_from_the_url() {
        let url = DatabaseUrl::new("postgresql://app:pw@db/Shop-2026?sslmode=require".into());
        assert_eq!(url.kind(), Some(DatabaseKind::Postgres));
        assert_eq!(url.database_name().as_deref(), Some("shop_2026"));
        let url = DatabaseUrl::new("sqlite:///var/lib/app/1orders.db".into());
        assert_eq!(url.kind(), Some(DatabaseKind::Sqlite));
        assert_eq!(url.database_name().as_deref(), Some("db_1orders"));
        let url = DatabaseUrl::new("mysql://root@127.0.0.1:3306".into());
        assert_eq!(url.kind(), Some(DatabaseKind::Mysql));
        assert_eq!(url.database_name(), None);
        assert_eq!(DatabaseUrl::new("oracle://x".into()).kind(), None);
    }

    proptest::proptest! {
        /// Whatever the credentials, neither formatting nor a scrubbed driver message shows
        /// the password, and the database name drawn from the URL is a valid dataset id.
        #[test]
        fn the_password_never_shows(
            user in "[a-z][a-z0-9_]{0,12}",
            password in "[A-Za-z0-9!$&*+,;=~-]{3,24}",
            database in "[A-Za-z0-9_.-]{0,80}",
        ) {
            // A password that is part of the fixed words around it ("ass" in "password", "ail"
            // in "failed") would be found there whether or not it leaked.
            let fixed = format!(
                "postgres:// {user} db.internal:5432 failed: password= (password not shown) \
                 (connection string not shown) DatabaseUrl(not shown)"
            );
            proptest::prop_assume!(!fixed.contains(password.as_str()));
            let raw = format!("postgres://{user}:{password}@db.internal:5432/{database}");
            let url = DatabaseUrl::new(raw.clone());
            let shown = format!("{url:?} {url} {}", url.scrub(&format!("failed: {raw}; password={password}")));
            proptest::prop_assert!(!shown.contains(&password), "{}", shown);
            if let Some(name) = url.database_name() {
                proptest::prop_assert!(name.starts_with(|c: char| c.is_ascii_lowercase()));
                proptest::prop_assert!(name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'));
                proptest::prop_assert!(name.len() <= 64);
            }
        }
    }

    #[test]
    fn scrub_removes_the_url_and_the_password() {
        let url = DatabaseUrl::new("postgres://app:hunter22@db.internal/shop".into());
        let scrubbed = url.scrub(
            "error with postgres://app:hunter22@db.internal/shop and again: password hunter22",
        );
        assert!(!scrubbed.contains("hunter22"), "{scrubbed}");
        assert!(
            scrubbed.contains("(connection string not shown)"),
            "{scrubbed}"
        );
    }
}
