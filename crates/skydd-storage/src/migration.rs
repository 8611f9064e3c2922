//! The embedded migrations and the rules deciding which one to apply next.
//!
//! Each backend has its own numbered SQL files (`migrations/sqlite`, `migrations/postgres`),
//! compiled into the binary. The table `skydd_migrations(version, name, checksum, applied_at)`
//! records what was applied; the checksum is the SHA-256 of the file. The backends run the loop
//! (lock, read the table, [`next_pending`], apply it, record it, commit) with their own locking;
//! this module holds what they share.

use sha2::{Digest, Sha256};

use crate::StorageError;

/// One embedded migration.
#[derive(Debug)]
pub(crate) struct Migration {
    /// Its number; migrations are applied in this order, starting at 1, without gaps.
    pub(crate) version: i64,
    /// Its name, from the file name (`0001_initial.sql` is `initial`).
    pub(crate) name: &'static str,
    /// The SQL, possibly several statements.
    pub(crate) sql: &'static str,
}

impl Migration {
    /// SHA-256 of the SQL, hex encoded: what `skydd_migrations.checksum` must hold.
    pub(crate) fn checksum(&self) -> String {
        Sha256::digest(self.sql.as_bytes())
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }
}

/// The SQLite migrations, oldest first.
pub(crate) const SQLITE: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial",
        sql: include_str!("../migrations/sqlite/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "vault_and_ledgers",
        sql: include_str!("../migrations/sqlite/0002_vault_and_ledgers.sql"),
    },
    Migration {
        version: 3,
        name: "incidents_and_disclosures",
        sql: include_str!("../migrations/sqlite/0003_incidents_and_disclosures.sql"),
    },
    Migration {
        version: 4,
        name: "requests",
        sql: include_str!("../migrations/sqlite/0004_requests.sql"),
    },
    Migration {
        version: 5,
        name: "audit_chain_and_retention",
        sql: include_str!("../migrations/sqlite/0005_audit_chain_and_retention.sql"),
    },
    Migration {
        version: 6,
        name: "register_versions_kept",
        sql: include_str!("../migrations/sqlite/0006_register_versions_kept.sql"),
    },
    Migration {
        version: 7,
        name: "recipient_notice_delivery",
        sql: include_str!("../migrations/sqlite/0007_recipient_notice_delivery.sql"),
    },
    Migration {
        version: 8,
        name: "request_systems",
        sql: include_str!("../migrations/sqlite/0008_request_systems.sql"),
    },
    Migration {
        version: 9,
        name: "token_scopes_and_assignment",
        sql: include_str!("../migrations/sqlite/0009_token_scopes_and_assignment.sql"),
    },
    Migration {
        version: 10,
        name: "staff_accounts",
        sql: include_str!("../migrations/sqlite/0010_staff_accounts.sql"),
    },
    Migration {
        version: 11,
        name: "privacy_centre",
        sql: include_str!("../migrations/sqlite/0011_privacy_centre.sql"),
    },
    Migration {
        version: 12,
        name: "cookie_choices",
        sql: include_str!("../migrations/sqlite/0012_cookie_choices.sql"),
    },
    Migration {
        version: 13,
        name: "fact_changes",
        sql: include_str!("../migrations/sqlite/0013_fact_changes.sql"),
    },
    Migration {
        version: 14,
        name: "imports",
        sql: include_str!("../migrations/sqlite/0014_imports.sql"),
    },
    Migration {
        version: 15,
        name: "audit_subject_index",
        sql: include_str!("../migrations/sqlite/0015_audit_subject_index.sql"),
    },
    Migration {
        version: 16,
        name: "disclosures_to_any_recipient",
        sql: include_str!("../migrations/sqlite/0016_disclosures_to_any_recipient.sql"),
    },
    Migration {
        version: 17,
        name: "record_revisions",
        sql: include_str!("../migrations/sqlite/0017_record_revisions.sql"),
    },
    Migration {
        version: 18,
        name: "record_mentions",
        sql: include_str!("../migrations/sqlite/0018_record_mentions.sql"),
    },
    Migration {
        version: 19,
        name: "security_reviews",
        sql: include_str!("../migrations/sqlite/0019_security_reviews.sql"),
    },
    Migration {
        version: 20,
        name: "staff_trainings",
        sql: include_str!("../migrations/sqlite/0020_staff_trainings.sql"),
    },
    Migration {
        version: 21,
        name: "subject_attributes",
        sql: include_str!("../migrations/sqlite/0021_subject_attributes.sql"),
    },
    Migration {
        version: 22,
        name: "tenant_agreements",
        sql: include_str!("../migrations/sqlite/0022_tenant_agreements.sql"),
    },
    Migration {
        version: 23,
        name: "record_lineage",
        sql: include_str!("../migrations/sqlite/0023_record_lineage.sql"),
    },
    Migration {
        version: 24,
        name: "audit_subject_spans",
        sql: include_str!("../migrations/sqlite/0024_audit_subject_spans.sql"),
    },
    Migration {
        version: 25,
        name: "audit_categories_without_foreign_key",
        sql: include_str!("../migrations/sqlite/0025_audit_categories_without_foreign_key.sql"),
    },
];

/// The PostgreSQL migrations, oldest first. Same versions and names as [`SQLITE`].
pub(crate) const POSTGRES: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial",
        sql: include_str!("../migrations/postgres/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "vault_and_ledgers",
        sql: include_str!("../migrations/postgres/0002_vault_and_ledgers.sql"),
    },
    Migration {
        version: 3,
        name: "incidents_and_disclosures",
        sql: include_str!("../migrations/postgres/0003_incidents_and_disclosures.sql"),
    },
    Migration {
        version: 4,
        name: "requests",
        sql: include_str!("../migrations/postgres/0004_requests.sql"),
    },
    Migration {
        version: 5,
        name: "audit_chain_and_retention",
        sql: include_str!("../migrations/postgres/0005_audit_chain_and_retention.sql"),
    },
    Migration {
        version: 6,
        name: "register_versions_kept",
        sql: include_str!("../migrations/postgres/0006_register_versions_kept.sql"),
    },
    Migration {
        version: 7,
        name: "recipient_notice_delivery",
        sql: include_str!("../migrations/postgres/0007_recipient_notice_delivery.sql"),
    },
    Migration {
        version: 8,
        name: "request_systems",
        sql: include_str!("../migrations/postgres/0008_request_systems.sql"),
    },
    Migration {
        version: 9,
        name: "token_scopes_and_assignment",
        sql: include_str!("../migrations/postgres/0009_token_scopes_and_assignment.sql"),
    },
    Migration {
        version: 10,
        name: "staff_accounts",
        sql: include_str!("../migrations/postgres/0010_staff_accounts.sql"),
    },
    Migration {
        version: 11,
        name: "privacy_centre",
        sql: include_str!("../migrations/postgres/0011_privacy_centre.sql"),
    },
    Migration {
        version: 12,
        name: "cookie_choices",
        sql: include_str!("../migrations/postgres/0012_cookie_choices.sql"),
    },
    Migration {
        version: 13,
        name: "fact_changes",
        sql: include_str!("../migrations/postgres/0013_fact_changes.sql"),
    },
    Migration {
        version: 14,
        name: "imports",
        sql: include_str!("../migrations/postgres/0014_imports.sql"),
    },
    Migration {
        version: 15,
        name: "audit_subject_index",
        sql: include_str!("../migrations/postgres/0015_audit_subject_index.sql"),
    },
    Migration {
        version: 16,
        name: "disclosures_to_any_recipient",
        sql: include_str!("../migrations/postgres/0016_disclosures_to_any_recipient.sql"),
    },
    Migration {
        version: 17,
        name: "record_revisions",
        sql: include_str!("../migrations/postgres/0017_record_revisions.sql"),
    },
    Migration {
        version: 18,
        name: "record_mentions",
        sql: include_str!("../migrations/postgres/0018_record_mentions.sql"),
    },
    Migration {
        version: 19,
        name: "security_reviews",
        sql: include_str!("../migrations/postgres/0019_security_reviews.sql"),
    },
    Migration {
        version: 20,
        name: "staff_trainings",
        sql: include_str!("../migrations/postgres/0020_staff_trainings.sql"),
    },
    Migration {
        version: 21,
        name: "subject_attributes",
        sql: include_str!("../migrations/postgres/0021_subject_attributes.sql"),
    },
    Migration {
        version: 22,
        name: "tenant_agreements",
        sql: include_str!("../migrations/postgres/0022_tenant_agreements.sql"),
    },
    Migration {
        version: 23,
        name: "record_lineage",
        sql: include_str!("../migrations/postgres/0023_record_lineage.sql"),
    },
    Migration {
        version: 24,
        name: "audit_subject_spans",
        sql: include_str!("../migrations/postgres/0024_audit_subject_spans.sql"),
    },
    Migration {
        version: 25,
        name: "audit_categories_without_foreign_key",
        sql: include_str!("../migrations/postgres/0025_audit_categories_without_foreign_key.sql"),
    },
];

/// The newest version either backend migrates to.
pub(crate) const LATEST_VERSION: i64 = SQLITE.len() as i64;

/// A row of `skydd_migrations`.
#[derive(Debug)]
pub(crate) struct Applied {
    /// The number of the applied migration ([`Migration::version`]).
    pub(crate) version: i64,
    /// Its checksum when it was applied.
    pub(crate) checksum: String,
}

/// The next migration to apply to a database whose `skydd_migrations` rows are `applied`, or
/// `None` when it is up to date. Refuses a database migrated by a newer Skydd, one whose applied
/// migrations differ from the embedded ones, and one with a gap in its history.
pub(crate) fn next_pending<'m>(
    known: &'m [Migration],
    applied: &[Applied],
) -> Result<Option<&'m Migration>, StorageError> {
    let latest = known.last().map_or(0, |m| m.version);
    if let Some(newest) = applied.iter().map(|a| a.version).max()
        && newest > latest
    {
        return Err(StorageError::Schema(format!(
            "database schema version {newest} is newer than this skydd ({latest}); upgrade skydd"
        )));
    }
    for row in applied {
        let Some(migration) = known.iter().find(|m| m.version == row.version) else {
            return Err(StorageError::Schema(format!(
                "the database records migration {} which this skydd does not have",
                row.version
            )));
        };
        if row.checksum != migration.checksum() {
            return Err(StorageError::Schema(format!(
                "migration {} ({}) was changed after it was applied",
                migration.version, migration.name
            )));
        }
    }
    let pending = known
        .iter()
        .find(|m| !applied.iter().any(|a| a.version == m.version));
    if let Some(migration) = pending
        && applied.iter().any(|a| a.version > migration.version)
    {
        return Err(StorageError::Schema(format!(
            "migration {} ({}) was never applied although later ones were",
            migration.version, migration.name
        )));
    }
    Ok(pending)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: &[Migration] = &[
        Migration {
            version: 1,
            name: "initial",
            sql: "CREATE TABLE a (x INTEGER);",
        },
        Migration {
            version: 2,
            name: "second",
            sql: "CREATE TABLE b (x INTEGER);",
        },
    ];

    fn applied(versions: &[i64]) -> Vec<Applied> {
        versions
            .iter()
            .map(|&v| Applied {
                version: v,
                checksum: KNOWN[(v - 1) as usize].checksum(),
            })
            .collect()
    }

    fn schema_error(result: Result<Option<&Migration>, StorageError>) -> String {
        match result {
            Err(StorageError::Schema(message)) => message,
            other => panic!("expected a schema error, got {other:?}"),
        }
    }

    #[test]
    fn applies_in_order_then_stops() {
        assert_eq!(next_pending(KNOWN, &[]).unwrap().unwrap().version, 1);
        assert_eq!(
            next_pending(KNOWN, &applied(&[1]))
                .unwrap()
                .unwrap()
                .version,
            2
        );
        assert!(next_pending(KNOWN, &applied(&[1, 2])).unwrap().is_none());
    }

    #[test]
    fn refuses_a_newer_database() {
        let mut rows = applied(&[1, 2]);
        rows.push(Applied {
            version: 7,
            checksum: "x".into(),
        });
        assert_eq!(
            schema_error(next_pending(KNOWN, &rows)),
            "database schema version 7 is newer than this skydd (2); upgrade skydd"
        );
    }

    #[test]
    fn refuses_a_changed_migration() {
        let mut rows = applied(&[1, 2]);
        rows[0].checksum = "0".repeat(64);
        assert_eq!(
            schema_error(next_pending(KNOWN, &rows)),
            "migration 1 (initial) was changed after it was applied"
        );
    }

    #[test]
    fn refuses_a_gap() {
        let message = schema_error(next_pending(KNOWN, &applied(&[2])));
        assert_eq!(
            message,
            "migration 1 (initial) was never applied although later ones were"
        );
        let rows = [Applied {
            version: 0,
            checksum: String::new(),
        }];
        let message = schema_error(next_pending(KNOWN, &rows));
        assert_eq!(
            message,
            "the database records migration 0 which this skydd does not have"
        );
    }

    #[test]
    fn both_backends_have_the_same_migrations() {
        assert_eq!(SQLITE.len(), POSTGRES.len());
        for (index, (sqlite, postgres)) in SQLITE.iter().zip(POSTGRES).enumerate() {
            assert_eq!(
                sqlite.version,
                index as i64 + 1,
                "versions start at 1 without gaps"
            );
            assert_eq!(sqlite.version, postgres.version);
            assert_eq!(sqlite.name, postgres.name);
        }
        assert_eq!(LATEST_VERSION, POSTGRES.len() as i64);
    }
}
