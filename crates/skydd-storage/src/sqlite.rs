//! The SQLite backend: one file, WAL mode, shared safely with other processes.
//!
//! Several processes may use the file at once (a running server and a `skydd token` command).
//! WAL lets readers run beside the one writer; a writer that finds the database locked waits up
//! to [`BUSY_TIMEOUT`]. Every transaction that reads before it writes starts with
//! `BEGIN IMMEDIATE`, taking the write lock first: a deferred transaction could not upgrade its
//! read to a write if another process wrote meanwhile, and would fail instead of waiting.

use std::path::Path;
use std::time::Duration;

use jiff::Timestamp;
use skydd_crypto::{Role, TokenHash, TokenId};
use sqlx::sqlite::{
    SqliteConnectOptions, SqlitePool, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{Row, SqliteConnection};

mod bulk_reads;
mod requests;

use crate::audit_chain;
use crate::migration::{self, Applied};
use crate::{
    AnonymisedRecordRow, AuditChainHead, AuditCheckpointRow, AuditFilter, ChainLinks,
    ChainedAuditEvent, RecordDeletion, RecordDeletionOutcome, SweepLock,
};
use crate::{
    ApiTokenRecord, AuditEventRow, Backend, ConsentEventRow, DisclosureRow, FeatureSwitchRow,
    IdentityRow, IncidentEntryRow, KeyBinding, ObjectionEventRow, PreferenceEventRow, RecordRow,
    RecordSummary, RegisterVersionRecord, Storage, StorageError, StorageFuture, SubjectKeyRow,
    SubjectRow, error, rows, timestamp,
};

/// How long a writer waits for another connection or process to finish writing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The key of the master key check in `skydd_meta`.
const MASTER_KEY_CHECK: &str = "master_key_check";

/// Skydd's storage in a SQLite file.
pub(crate) struct SqliteStorage {
    pool: SqlitePool,
    /// The database file, beside which the sweep lock file lives.
    path: std::path::PathBuf,
}

impl SqliteStorage {
    /// Open (creating the file if missing) the database at `path` and migrate it.
    pub(crate) async fn open(path: &Path) -> Result<SqliteStorage, StorageError> {
        let target = format!("SQLite database {}", path.display());
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty())
            && !dir.is_dir()
        {
            return Err(StorageError::Connect(format!(
                "{target}: the directory {} does not exist",
                dir.display()
            )));
        }
        create_private_file(path)
            .map_err(|e| StorageError::Connect(format!("{target}: cannot create the file: {e}")))?;
        // WAL mode is switched on by `use_wal` below, not by a pragma on every connection.
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            // In WAL mode NORMAL loses no committed transaction on a crash of the process,
            // only possibly the last ones on a power loss, and never corrupts the database.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true)
            // Deleted content (an erased record, a destroyed identity document, a replaced
            // ciphertext) is overwritten with zeros, not left in free pages of the file.
            .pragma("secure_delete", "ON");
        let pool = SqlitePoolOptions::new()
            .connect_with(options)
            .await
            .map_err(error::connect(&target))?;
        let storage = SqliteStorage {
            pool,
            path: path.to_owned(),
        };
        let prepared = async {
            storage.use_wal(&target).await?;
            storage.migrate().await
        };
        if let Err(e) = prepared.await {
            storage.pool.close().await;
            return Err(e);
        }
        Ok(storage)
    }

    /// Put the database in WAL mode (a lasting property of the file, so only the first start
    /// changes anything).
    ///
    /// Switching needs an exclusive lock that SQLite's busy timeout does not wait for: when
    /// several processes create the database at once, all but one may see "database is locked".
    /// They retry here for about [`BUSY_TIMEOUT`].
    async fn use_wal(&self, target: &str) -> Result<(), StorageError> {
        const PAUSE: Duration = Duration::from_millis(25);
        let mut waited = Duration::ZERO;
        loop {
            let switched = sqlx::query_scalar::<_, String>("PRAGMA journal_mode = WAL")
                .fetch_one(&self.pool)
                .await;
            match switched {
                Ok(mode) if mode.eq_ignore_ascii_case("wal") => return Ok(()),
                Ok(mode) => {
                    return Err(StorageError::Connect(format!(
                        "{target}: SQLite cannot use WAL mode for this file (it stays in {mode} \
                         mode); put the data directory on a local file system"
                    )));
                }
                Err(e) if is_busy(&e) && waited < BUSY_TIMEOUT => {
                    tokio::time::sleep(PAUSE).await;
                    waited += PAUSE;
                }
                Err(e) => return Err(error::connect(target)(e)),
            }
        }
    }

    /// Apply pending migrations, one transaction each, holding the write lock while deciding.
    async fn migrate(&self) -> Result<(), StorageError> {
        loop {
            let mut tx = self
                .pool
                .begin_with("BEGIN IMMEDIATE")
                .await
                .map_err(error::query("lock the database for migration"))?;
            sqlx::raw_sql(
                "CREATE TABLE IF NOT EXISTS skydd_migrations (
                    version    INTEGER PRIMARY KEY NOT NULL,
                    name       TEXT NOT NULL,
                    checksum   TEXT NOT NULL,
                    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
                ) STRICT",
            )
            .execute(&mut *tx)
            .await
            .map_err(error::query("create skydd_migrations"))?;
            let applied = read_applied(&mut tx).await?;
            let Some(next) = migration::next_pending(migration::SQLITE, &applied)? else {
                tx.commit()
                    .await
                    .map_err(error::query("commit skydd_migrations"))?;
                return Ok(());
            };
            sqlx::raw_sql(next.sql)
                .execute(&mut *tx)
                .await
                .map_err(error::query(&format!(
                    "apply migration {} ({})",
                    next.version, next.name
                )))?;
            sqlx::query("INSERT INTO skydd_migrations (version, name, checksum) VALUES (?, ?, ?)")
                .bind(next.version)
                .bind(next.name)
                .bind(next.checksum())
                .execute(&mut *tx)
                .await
                .map_err(error::query("record a migration"))?;
            tx.commit()
                .await
                .map_err(error::query("commit a migration"))?;
            tracing::info!(
                version = next.version,
                name = next.name,
                "applied SQLite migration"
            );
        }
    }
}

/// Create the database file, empty, readable and writable by its owner only, unless it exists.
///
/// SQLite would create it with mode 0644 (less the umask); personal data, even encrypted, is
/// not for other users of the machine. SQLite gives its `-wal` and `-shm` files the database
/// file's mode. An empty file is a valid empty database. An existing file is left as it is.
fn create_private_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        // Already there (possibly created a moment ago by another process opening it too).
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Whether `error` is SQLITE_BUSY ("database is locked"), with any extended code.
fn is_busy(error: &sqlx::Error) -> bool {
    const SQLITE_BUSY: i32 = 5;
    matches!(error, sqlx::Error::Database(db)
        if db.code().and_then(|code| code.parse::<i32>().ok()).is_some_and(|code| code & 0xff == SQLITE_BUSY))
}

async fn read_applied(conn: &mut SqliteConnection) -> Result<Vec<Applied>, StorageError> {
    let rows = sqlx::query("SELECT version, checksum FROM skydd_migrations ORDER BY version")
        .fetch_all(conn)
        .await
        .map_err(error::query("read skydd_migrations"))?;
    rows.iter()
        .map(|row| {
            Ok(Applied {
                version: row
                    .try_get("version")
                    .map_err(error::query("read skydd_migrations"))?,
                checksum: row
                    .try_get("checksum")
                    .map_err(error::query("read skydd_migrations"))?,
            })
        })
        .collect()
}

/// The columns of `api_tokens` that [`token_from_row`] reads, for `concat!`.
macro_rules! token_columns {
    () => {
        "id, hash, role, label, created_at, revoked_at"
    };
}

fn token_from_row(row: &SqliteRow) -> Result<ApiTokenRecord, StorageError> {
    let text = |column: &str| -> Result<String, StorageError> {
        row.try_get(column).map_err(error::query("read api_tokens"))
    };
    let id = TokenId(text("id")?);
    let role = text("role")?;
    let role: Role = role.parse().map_err(|_| {
        StorageError::Database(format!("API token {id} has an unknown role {role:?}"))
    })?;
    let revoked_at: Option<String> = row
        .try_get("revoked_at")
        .map_err(error::query("read api_tokens"))?;
    Ok(ApiTokenRecord {
        hash: TokenHash(text("hash")?),
        role,
        label: text("label")?,
        created_at: timestamp::from_sqlite(&text("created_at")?, "api_tokens.created_at")?,
        revoked_at: revoked_at
            .map(|text| timestamp::from_sqlite(&text, "api_tokens.revoked_at"))
            .transpose()?,
        id,
    })
}

fn register_version_from_row(row: &SqliteRow) -> Result<RegisterVersionRecord, StorageError> {
    let get = |column: &str| -> Result<String, StorageError> {
        row.try_get(column)
            .map_err(error::query("read register_versions"))
    };
    Ok(RegisterVersionRecord {
        digest: get("digest")?,
        published: get("published")?,
        first_loaded_at: timestamp::from_sqlite(
            &get("first_loaded_at")?,
            "register_versions.first_loaded_at",
        )?,
        content: get("content")?,
    })
}

fn duplicate_token(token: &ApiTokenRecord) -> impl FnOnce(sqlx::Error) -> StorageError + '_ {
    move |e| {
        if error::is_unique_violation(&e) {
            StorageError::Conflict(format!(
                "an API token with id {} or the same hash",
                token.id
            ))
        } else {
            error::query("insert API token")(e)
        }
    }
}

/// What [`error::insert`] says when a record's subject does not exist.
const NO_SUCH_SUBJECT: &str = "its subject does not exist";

/// The conflict message for an identity blind index already in use: the kind, never the value.
fn identity_conflict(kind: &str) -> String {
    format!("an identity of kind {kind} is already used in this tenant")
}

/// Read `column` of a row of `table`.
fn get<'r, T>(row: &'r SqliteRow, column: &str, table: &str) -> Result<T, StorageError>
where
    T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
{
    row.try_get(column)
        .map_err(|e| error::query(&format!("read {table}.{column}"))(e))
}

/// Read the timestamp in `column` of a row of `table`.
fn get_at(row: &SqliteRow, column: &str, table: &str) -> Result<Timestamp, StorageError> {
    let text: String = get(row, column, table)?;
    timestamp::from_sqlite(&text, &format!("{table}.{column}"))
}

/// Read the timestamp, if any, in `column` of a row of `table`.
fn get_optional_at(
    row: &SqliteRow,
    column: &str,
    table: &str,
) -> Result<Option<Timestamp>, StorageError> {
    let text: Option<String> = get(row, column, table)?;
    text.map(|text| timestamp::from_sqlite(&text, &format!("{table}.{column}")))
        .transpose()
}

fn subject_from_row(row: &SqliteRow) -> Result<SubjectRow, StorageError> {
    const T: &str = "subjects";
    Ok(SubjectRow {
        id: get(row, "id", T)?,
        tenant: get(row, "tenant", T)?,
        created_at: get_at(row, "created_at", T)?,
        restricted_at: get_optional_at(row, "restricted_at", T)?,
    })
}

fn subject_key_from_row(row: &SqliteRow) -> Result<SubjectKeyRow, StorageError> {
    const T: &str = "subject_keys";
    Ok(SubjectKeyRow {
        subject_id: get(row, "subject_id", T)?,
        key_version: rows::version_from_db(get(row, "key_version", T)?)?,
        wrapped_key: get(row, "wrapped_key", T)?,
    })
}

/// A row of the records-with-anchors query: the record without anchors, and one anchor if any.
fn record_from_row(
    row: &SqliteRow,
) -> Result<(RecordRow, Option<(String, Timestamp)>), StorageError> {
    const T: &str = "records";
    let record = RecordRow {
        id: get(row, "id", T)?,
        subject_id: get(row, "subject_id", T)?,
        category: get(row, "category", T)?,
        purpose: get(row, "purpose", T)?,
        source: get(row, "source", T)?,
        collected_at: get_at(row, "collected_at", T)?,
        anchors: Vec::new(),
        ciphertext: get(row, "ciphertext", T)?,
    };
    let event: Option<String> = get(row, "event", "record_anchors")?;
    let at = get_optional_at(row, "at", "record_anchors")?;
    Ok((record, event.zip(at)))
}

/// A row of the audit-events-with-categories query: the event without categories, and one
/// category if any.
fn audit_event_from_row(row: &SqliteRow) -> Result<(AuditEventRow, Option<String>), StorageError> {
    const T: &str = "audit_events";
    let event = AuditEventRow {
        seq: get(row, "seq", T)?,
        at: get_at(row, "at", T)?,
        actor: get(row, "actor", T)?,
        ip: get(row, "ip", T)?,
        action: get(row, "action", T)?,
        purpose: get(row, "purpose", T)?,
        subject_id: get(row, "subject_id", T)?,
        categories: Vec::new(),
        outcome: get(row, "outcome", T)?,
        detail: get(row, "detail", T)?,
    };
    let category = get(row, "category", "audit_event_categories")?;
    Ok((event, category))
}

/// Append `events` to the audit chain inside `conn`'s transaction, which holds the write lock
/// (`BEGIN IMMEDIATE`): read the head, give each event the next seq and its hash, move the head.
async fn append_chained(
    conn: &mut SqliteConnection,
    events: Vec<AuditEventRow>,
) -> Result<Vec<i64>, StorageError> {
    const OPERATION: &str = "append audit events";
    let head = read_chain_head(&mut *conn).await?;
    let mut seq = head.seq;
    let mut prev = head.hash;
    let mut seqs = Vec::with_capacity(events.len());
    for mut event in events {
        seq += 1;
        event.seq = seq;
        event.at = timestamp::truncate(event.at);
        prev = audit_chain::entry_hash(&prev, &event);
        sqlx::query(
            "INSERT INTO audit_events
                (seq, at, actor, ip, action, purpose, subject_id, outcome, detail, hash)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(seq)
        .bind(timestamp::to_sqlite(event.at))
        .bind(&event.actor)
        .bind(&event.ip)
        .bind(&event.action)
        .bind(&event.purpose)
        .bind(&event.subject_id)
        .bind(&event.outcome)
        .bind(&event.detail)
        .bind(&prev[..])
        .execute(&mut *conn)
        .await
        .map_err(error::query(OPERATION))?;
        for (position, category) in (0_i64..).zip(&event.categories) {
            sqlx::query(
                "INSERT INTO audit_event_categories (event_seq, position, category)
                 VALUES (?, ?, ?)",
            )
            .bind(seq)
            .bind(position)
            .bind(category)
            .execute(&mut *conn)
            .await
            .map_err(error::query(OPERATION))?;
        }
        seqs.push(seq);
    }
    if !seqs.is_empty() {
        sqlx::query("UPDATE audit_chain_head SET seq = ?, hash = ? WHERE id = 1")
            .bind(seq)
            .bind(&prev[..])
            .execute(&mut *conn)
            .await
            .map_err(error::query(OPERATION))?;
    }
    Ok(seqs)
}

/// The audit chain's head row.
async fn read_chain_head(conn: &mut SqliteConnection) -> Result<AuditChainHead, StorageError> {
    let row = sqlx::query("SELECT first_seq, seq, hash FROM audit_chain_head WHERE id = 1")
        .fetch_one(&mut *conn)
        .await
        .map_err(error::query("read the audit chain head"))?;
    chain_head_from_row(&row)
}

/// The chain head in a row with its columns `first_seq`, `seq` and `hash`.
fn chain_head_from_row(row: &SqliteRow) -> Result<AuditChainHead, StorageError> {
    const T: &str = "audit_chain_head";
    let hash: Vec<u8> = get(row, "hash", T)?;
    Ok(AuditChainHead {
        first_seq: get(row, "first_seq", T)?,
        seq: get(row, "seq", T)?,
        hash: rows::hash_from_db(&hash)?,
    })
}

/// A row of the audit query with hashes: the event without categories, its hash, and one
/// category if any.
fn chained_event_from_row(
    row: &SqliteRow,
) -> Result<(ChainedAuditEvent, Option<String>), StorageError> {
    let (event, category) = audit_event_from_row(row)?;
    let hash = get(row, "hash", "audit_events")?;
    Ok((ChainedAuditEvent { event, hash }, category))
}

fn checkpoint_from_row(row: &SqliteRow) -> Result<AuditCheckpointRow, StorageError> {
    const T: &str = "audit_checkpoints";
    Ok(AuditCheckpointRow {
        seq: get(row, "seq", T)?,
        hash: get(row, "hash", T)?,
        at: get_at(row, "at", T)?,
        public_key: get(row, "public_key", T)?,
        signature: get(row, "signature", T)?,
    })
}

impl Storage for SqliteStorage {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    fn schema_version(&self) -> StorageFuture<'_, i64> {
        Box::pin(async move {
            sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM skydd_migrations")
                .fetch_one(&self.pool)
                .await
                .map_err(error::query("read the schema version"))
        })
    }

    fn bind_master_key<'a>(&'a self, check: &'a str) -> StorageFuture<'a, KeyBinding> {
        Box::pin(async move {
            let inserted = sqlx::query(
                "INSERT INTO skydd_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
            )
            .bind(MASTER_KEY_CHECK)
            .bind(check)
            .execute(&self.pool)
            .await
            .map_err(error::query("store the master key check"))?;
            if inserted.rows_affected() == 1 {
                return Ok(KeyBinding::NewlyBound);
            }
            let stored: String = sqlx::query_scalar("SELECT value FROM skydd_meta WHERE key = ?")
                .bind(MASTER_KEY_CHECK)
                .fetch_one(&self.pool)
                .await
                .map_err(error::query("read the master key check"))?;
            Ok(if stored == check {
                KeyBinding::Matches
            } else {
                KeyBinding::Mismatch
            })
        })
    }

    fn insert_token(&self, token: ApiTokenRecord) -> StorageFuture<'_, ()> {
        Box::pin(async move {
            sqlx::query(
                "INSERT INTO api_tokens (id, hash, role, label, created_at, revoked_at)
                 VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(&token.id.0)
            .bind(&token.hash.0)
            .bind(token.role.as_str())
            .bind(&token.label)
            .bind(timestamp::to_sqlite(token.created_at))
            .bind(token.revoked_at.map(timestamp::to_sqlite))
            .execute(&self.pool)
            .await
            .map_err(duplicate_token(&token))?;
            Ok(())
        })
    }

    fn insert_first_token(&self, token: ApiTokenRecord) -> StorageFuture<'_, bool> {
        Box::pin(async move {
            // The write lock makes "no token yet" and the insert one step for every process.
            let mut tx = self
                .pool
                .begin_with("BEGIN IMMEDIATE")
                .await
                .map_err(error::query("lock the database for the first token"))?;
            let inserted = sqlx::query(
                "INSERT INTO api_tokens (id, hash, role, label, created_at, revoked_at)
                 SELECT ?, ?, ?, ?, ?, ?
                 WHERE NOT EXISTS (SELECT 1 FROM api_tokens)",
            )
            .bind(&token.id.0)
            .bind(&token.hash.0)
            .bind(token.role.as_str())
            .bind(&token.label)
            .bind(timestamp::to_sqlite(token.created_at))
            .bind(token.revoked_at.map(timestamp::to_sqlite))
            .execute(&mut *tx)
            .await
            .map_err(duplicate_token(&token))?;
            tx.commit()
                .await
                .map_err(error::query("commit the first token"))?;
            Ok(inserted.rows_affected() == 1)
        })
    }

    fn find_active_token<'a>(
        &'a self,
        hash: &'a TokenHash,
    ) -> StorageFuture<'a, Option<ApiTokenRecord>> {
        Box::pin(async move {
            let row = sqlx::query(concat!(
                "SELECT ",
                token_columns!(),
                " FROM api_tokens WHERE hash = ? AND revoked_at IS NULL"
            ))
            .bind(&hash.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(error::query("find an API token"))?;
            row.as_ref().map(token_from_row).transpose()
        })
    }

    fn list_tokens(&self) -> StorageFuture<'_, Vec<ApiTokenRecord>> {
        Box::pin(async move {
            let rows = sqlx::query(concat!(
                "SELECT ",
                token_columns!(),
                " FROM api_tokens ORDER BY created_at, id"
            ))
            .fetch_all(&self.pool)
            .await
            .map_err(error::query("list API tokens"))?;
            rows.iter().map(token_from_row).collect()
        })
    }

    fn revoke_token<'a>(&'a self, id: &'a TokenId, at: Timestamp) -> StorageFuture<'a, bool> {
        Box::pin(async move {
            let revoked = sqlx::query(
                "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
            )
            .bind(timestamp::to_sqlite(at))
            .bind(&id.0)
            .execute(&self.pool)
            .await
            .map_err(error::query("revoke an API token"))?;
            Ok(revoked.rows_affected() == 1)
        })
    }

    fn record_register_version(&self, version: RegisterVersionRecord) -> StorageFuture<'_, bool> {
        Box::pin(async move {
            let inserted = sqlx::query(
                "INSERT INTO register_versions (digest, published, first_loaded_at, content)
                 VALUES (?, ?, ?, ?)
                 ON CONFLICT (digest) DO NOTHING",
            )
            .bind(&version.digest)
            .bind(&version.published)
            .bind(timestamp::to_sqlite(version.first_loaded_at))
            .bind(&version.content)
            .execute(&self.pool)
            .await
            .map_err(error::query("record a register version"))?;
            Ok(inserted.rows_affected() == 1)
        })
    }

    fn list_register_versions(&self) -> StorageFuture<'_, Vec<RegisterVersionRecord>> {
        Box::pin(async move {
            let rows = sqlx::query(
                "SELECT digest, published, first_loaded_at, content FROM register_versions
                 ORDER BY first_loaded_at, digest",
            )
            .fetch_all(&self.pool)
            .await
            .map_err(error::query("list register versions"))?;
            rows.iter().map(register_version_from_row).collect()
        })
    }

    fn create_subject(
        &self,
        subject: SubjectRow,
        key: SubjectKeyRow,
        identities: Vec<IdentityRow>,
    ) -> StorageFuture<'_, ()> {
        Box::pin(async move {
            rows::check_new_subject(&subject, &key, &identities)?;
            const OPERATION: &str = "create a subject";
            let mut tx = self
                .pool
                .begin_with("BEGIN IMMEDIATE")
                .await
                .map_err(error::query("lock the database to create a subject"))?;
            sqlx::query(
                "INSERT INTO subjects (id, tenant, created_at, restricted_at) VALUES (?, ?, ?, ?)",
            )
            .bind(&subject.id)
            .bind(&subject.tenant)
            .bind(timestamp::to_sqlite(subject.created_at))
            .bind(subject.restricted_at.map(timestamp::to_sqlite))
            .execute(&mut *tx)
            .await
            .map_err(error::insert(
                OPERATION,
                format!("a subject with id {} already exists", subject.id),
                None,
            ))?;
            sqlx::query(
                "INSERT INTO subject_keys (subject_id, key_version, wrapped_key) VALUES (?, ?, ?)",
            )
            .bind(&subject.id)
            .bind(rows::version_to_db(key.key_version))
            .bind(&key.wrapped_key)
            .execute(&mut *tx)
            .await
            .map_err(error::query(OPERATION))?;
            for identity in &identities {
                sqlx::query(
                    "INSERT INTO identities (subject_id, tenant, kind, blind_index, ciphertext)
                     VALUES (?, ?, ?, ?, ?)",
                )
                .bind(&subject.id)
                .bind(&subject.tenant)
                .bind(&identity.kind)
                .bind(&identity.blind_index)
                .bind(&identity.ciphertext)
                .execute(&mut *tx)
                .await
                .map_err(error::insert(
                    OPERATION,
                    identity_conflict(&identity.kind),
                    None,
                ))?;
            }
            tx.commit().await.map_err(error::query(OPERATION))
        })
    }

    fn find_subject_by_identity<'a>(
        &'a self,
        tenant: Option<&'a str>,
        kind: &'a str,
        blind_index: &'a [u8],
    ) -> StorageFuture<'a, Option<SubjectRow>> {
        Box::pin(async move {
            rows::check_blind_index(blind_index)?;
            // Two statements, so that each uses its partial unique index; the tenant is checked
            // on both tables.
            let row = match tenant {
                None => {
                    sqlx::query(
                        "SELECT s.id, s.tenant, s.created_at, s.restricted_at
                         FROM identities i JOIN subjects s ON s.id = i.subject_id
                         WHERE i.tenant IS NULL AND s.tenant IS NULL
                           AND i.kind = ? AND i.blind_index = ?",
                    )
                    .bind(kind)
                    .bind(blind_index)
                    .fetch_optional(&self.pool)
                    .await
                }
                Some(tenant) => {
                    sqlx::query(
                        "SELECT s.id, s.tenant, s.created_at, s.restricted_at
                         FROM identities i JOIN subjects s ON s.id = i.subject_id
                         WHERE i.tenant = ?1 AND s.tenant = ?1
                           AND i.kind = ?2 AND i.blind_index = ?3",
                    )
                    .bind(tenant)
                    .bind(kind)
                    .bind(blind_index)
                    .fetch_optional(&self.pool)
                    .await
                }
            }
            .map_err(error::query("find a subject by identity"))?;
            row.as_ref().map(subject_from_row).transpose()
        })
    }

    fn get_subject<'a>(&'a self, id: &'a str) -> StorageFuture<'a, Option<SubjectRow>> {
        Box::pin(async move {
            let row = sqlx::query(
                "SELECT id, tenant, created_at, restricted_at FROM subjects WHERE id = ?",
            )
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(error::query("read a subject"))?;
            row.as_ref().map(subject_from_row).transpose()
        })
    }

    fn identities_of_subject<'a>(
        &'a self,
        subject_id: &'a str,
    ) -> StorageFuture<'a, Vec<IdentityRow>> {
        Box::pin(async move {
            let rows = sqlx::query(
                "SELECT subject_id, kind, blind_index, ciphertext FROM identities
                 WHERE subject_id = ? ORDER BY id",
            )
            .bind(subject_id)
            .fetch_all(&self.pool)
            .await
            .map_err(error::query("read identities"))?;
            rows.iter()
                .map(|row| {
                    Ok(IdentityRow {
                        subject_id: get(row, "subject_id", "identities")?,
                        kind: get(row, "kind", "identities")?,
                        blind_index: get(row, "blind_index", "identities")?,
                        ciphertext: get(row, "ciphertext", "identities")?,
                    })
                })
                .collect()
        })
    }

    fn subject_key<'a>(&'a self, subject_id: &'a str) -> StorageFuture<'a, Option<SubjectKeyRow>> {
        Box::pin(async move {
            let row = sqlx::query(
                "SELECT subject_id, key_version, wrapped_key FROM subject_keys WHERE subject_id = ?",
            )
            .bind(subject_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(error::query("read a subject key"))?;
            row.as_ref().map(subject_key_from_row).transpose()
        })
    }

    fn set_restricted<'a>(
        &'a self,
        subject_id: &'a str,
        restricted_at: Option<Timestamp>,
    ) -> StorageFuture<'a, bool> {
        Box::pin(async move {
            let updated = sqlx::query("UPDATE subjects SET restricted_at = ? WHERE id = ?")
                .bind(restricted_at.map(timestamp::to_sqlite))
                .bind(subject_id)
                .execute(&self.pool)
                .await
                .map_err(error::query("restrict a subject"))?;
            Ok(updated.rows_affected() == 1)
        })
    }

    fn subject_keys_older_than(
        &self,
        version: u32,
        limit: usize,
    ) -> StorageFuture<'_, Vec<SubjectKeyRow>> {
        Box::pin(async move {
            let rows = sqlx::query(
                "SELECT subject_id, key_version, wrapped_key FROM subject_keys
                 WHERE key_version < ? ORDER BY key_version, subject_id LIMIT ?",
            )
            .bind(rows::version_to_db(version))
            .bind(rows::limit_to_db(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(error::query("list subject keys to re-wrap"))?;
            rows.iter().map(subject_key_from_row).collect()
        })
    }

    fn update_subject_key<'a>(
        &'a self,
        subject_id: &'a str,
        expected_version: u32,
        key: SubjectKeyRow,
    ) -> StorageFuture<'a, bool> {
        Box::pin(async move {
            rows::check_key_update(subject_id, &key)?;
            let updated = sqlx::query(
                "UPDATE subject_keys SET key_version = ?, wrapped_key = ?
                 WHERE subject_id = ? AND key_version = ?",
            )
            .bind(rows::version_to_db(key.key_version))
            .bind(&key.wrapped_key)
            .bind(subject_id)
            .bind(rows::version_to_db(expected_version))
            .execute(&self.pool)
            .await
            .map_err(error::query("update a subject key"))?;
            Ok(updated.rows_affected() == 1)
        })
    }

    fn insert_record(&self, record: RecordRow) -> StorageFuture<'_, ()> {
        Box::pin(async move {
            rows::check_new_record(&record)?;
            const OPERATION: &str = "insert a record";
            let mut tx = self
                .pool
                .begin_with("BEGIN IMMEDIATE")
                .await
                .map_err(error::query("lock the database to insert a record"))?;
            sqlx::query(
                "INSERT INTO records
                    (id, subject_id, category, purpose, source, collected_at, ciphertext)
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(&record.id)
            .bind(&record.subject_id)
            .bind(&record.category)
            .bind(&record.purpose)
            .bind(&record.source)
            .bind(timestamp::to_sqlite(record.collected_at))
            .bind(&record.ciphertext)
            .execute(&mut *tx)
            .await
            .map_err(error::insert(
                OPERATION,
                format!("a record with id {} already exists", record.id),
                Some(NO_SUCH_SUBJECT),
            ))?;
            for (event, at) in &record.anchors {
                sqlx::query("INSERT INTO record_anchors (record_id, event, at) VALUES (?, ?, ?)")
                    .bind(&record.id)
                    .bind(event)
                    .bind(timestamp::to_sqlite(*at))
                    .execute(&mut *tx)
                    .await
                    .map_err(error::query(OPERATION))?;
            }
            tx.commit().await.map_err(error::query(OPERATION))
        })
    }

    fn records_of_subject<'a>(&'a self, subject_id: &'a str) -> StorageFuture<'a, Vec<RecordRow>> {
        Box::pin(async move {
            let rows = sqlx::query(
                "SELECT r.id, r.subject_id, r.category, r.purpose, r.source, r.collected_at,
                        r.ciphertext, a.event, a.at
                 FROM records r LEFT JOIN record_anchors a ON a.record_id = r.id
                 WHERE r.subject_id = ?
                 ORDER BY r.collected_at, r.id, a.event",
            )
            .bind(subject_id)
            .fetch_all(&self.pool)
            .await
            .map_err(error::query("read records"))?;
            let rows = rows
                .iter()
                .map(record_from_row)
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows::fold_records(rows))
        })
    }

    fn set_record_anchor<'a>(
        &'a self,
        record_id: &'a str,
        event: &'a str,
        at: Timestamp,
    ) -> StorageFuture<'a, bool> {
        Box::pin(async move {
            let set = sqlx::query(
                "INSERT INTO record_anchors (record_id, event, at)
                 SELECT id, ?, ? FROM records WHERE id = ?
                 ON CONFLICT (record_id, event) DO UPDATE SET at = excluded.at",
            )
            .bind(event)
            .bind(timestamp::to_sqlite(at))
            .bind(record_id)
            .execute(&self.pool)
            .await
            .map_err(error::query("set a record anchor"))?;
            Ok(set.rows_affected() == 1)
        })
    }

    fn append_consent_event(&self, event: ConsentEventRow) -> StorageFuture<'_, i64> {
        Box::pin(async move {
            sqlx::query_scalar(
                "INSERT INTO consent_events (scope_kind, scope_id, purpose, granted, method,
                    notice_version, at, text_hash, context_ciphertext)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq",
            )
            .bind(&event.scope_kind)
            .bind(&event.scope_id)
            .bind(&event.purpose)
            .bind(event.granted)
            .bind(&event.method)
            .bind(&event.notice_version)
            .bind(timestamp::to_sqlite(event.at))
            .bind(&event.text_hash)
            .bind(&event.context_ciphertext)
            .fetch_one(&self.pool)
            .await
            .map_err(error::query("append a consent event"))
        })
    }

    fn consent_events_for_scope<'a>(
        &'a self,
        scope_kind: &'a str,
        scope_id: &'a str,
    ) -> StorageFuture<'a, Vec<ConsentEventRow>> {
        Box::pin(async move {
            let rows = sqlx::query(
                "SELECT seq, scope_kind, scope_id, purpose, granted, method, notice_version, at,
                        text_hash, context_ciphertext
                 FROM consent_events WHERE scope_kind = ? AND scope_id = ? ORDER BY seq",
            )
            .bind(scope_kind)
            .bind(scope_id)
            .fetch_all(&self.pool)
            .await
            .map_err(error::query("read consent events"))?;
            rows.iter()
                .map(|row| {
                    const T: &str = "consent_events";
                    Ok(ConsentEventRow {
                        seq: get(row, "seq", T)?,
                        scope_kind: get(row, "scope_kind", T)?,
                        scope_id: get(row, "scope_id", T)?,
                        purpose: get(row, "purpose", T)?,
                        granted: get(row, "granted", T)?,
                        method: get(row, "method", T)?,
                        notice_version: get(row, "notice_version", T)?,
                        at: get_at(row, "at", T)?,
                        text_hash: get(row, "text_hash", T)?,
                        context_ciphertext: get(row, "context_ciphertext", T)?,
                    })
                })
                .collect()
        })
    }

    fn append_objection(&self, event: ObjectionEventRow) -> StorageFuture<'_, i64> {
        Box::pin(async move {
            sqlx::query_scalar(
                "INSERT INTO objection_events (subject_id, purpose, objected, source, at)
                 VALUES (?, ?, ?, ?, ?) RETURNING seq",
            )
            .bind(&event.subject_id)
            .bind(&event.purpose)
            .bind(event.objected)
            .bind(&event.source)
            .bind(timestamp::to_sqlite(event.at))
            .fetch_one(&self.pool)
            .await
            .map_err(error::query("append an objection"))
        })
    }

    fn objections_of_subject<'a>(
        &'a self,
        subject_id: &'a str,
    ) -> StorageFuture<'a, Vec<ObjectionEventRow>> {
        Box::pin(async move {
            let rows = sqlx::query(
                "SELECT seq, subject_id, purpose, objected, source, at
                 FROM objection_events WHERE subject_id = ? ORDER BY seq",
            )
            .bind(subject_id)
            .fetch_all(&self.pool)
            .await
            .map_err(error::query("read objections"))?;
            rows.iter()
                .map(|row| {
                    const T: &str = "objection_events";
                    Ok(ObjectionEventRow {
                        seq: get(row, "seq", T)?,
                        subject_id: get(row, "subject_id", T)?,
                        purpose: get(row, "purpose", T)?,
                        objected: get(row, "objected", T)?,
                        source: get(row, "source", T)?,
                        at: get_at(row, "at", T)?,
                    })
                })
                .collect()
        })
    }

    fn append_preference(&self, event: PreferenceEventRow) -> StorageFuture<'_, i64> {
        Box::pin(async move {
            sqlx::query_scalar(
                "INSERT INTO preference_events (subject_id, kind, name, opted_in, at)
                 VALUES (?, ?, ?, ?, ?) RETURNING seq",
            )
            .bind(&event.subject_id)
            .bind(&event.kind)
            .bind(&event.name)
            .bind(event.opted_in)
            .bind(timestamp::to_sqlite(event.at))
            .fetch_one(&self.pool)
            .await
            .map_err(error::query("append a preference"))
        })
    }

    fn preferences_of_subject<'a>(
        &'a self,
        subject_id: &'a str,
    ) -> StorageFuture<'a, Vec<PreferenceEventRow>> {
        Box::pin(async move {
            let rows = sqlx::query(
                "SELECT seq, subject_id, kind, name, opted_in, at
                 FROM preference_events WHERE subject_id = ? ORDER BY seq",
            )
            .bind(subject_id)
            .fetch_all(&self.pool)
            .await
            .map_err(error::query("read preferences"))?;
            rows.iter()
                .map(|row| {
                    const T: &str = "preference_events";
                    Ok(PreferenceEventRow {
                        seq: get(row, "seq", T)?,
                        subject_id: get(row, "subject_id", T)?,
                        kind: get(row, "kind", T)?,
                        name: get(row, "name", T)?,
                        opted_in: get(row, "opted_in", T)?,
                        at: get_at(row, "at", T)?,
                    })
                })
                .collect()
        })
    }

    fn append_feature_switch(&self, event: FeatureSwitchRow) -> StorageFuture<'_, i64> {
        Box::pin(async move {
            sqlx::query_scalar(
                "INSERT INTO feature_switch_events
                    (feature, organisation, project, enabled, actor, at)
                 VALUES (?, ?, ?, ?, ?, ?) RETURNING seq",
            )
            .bind(&event.feature)
            .bind(&event.organisation)
            .bind(&event.project)
            .bind(event.enabled)
            .bind(&event.actor)
            .bind(timestamp::to_sqlite(event.at))
            .fetch_one(&self.pool)
            .await
            .map_err(error::query("append a feature switch"))
        })
    }

    fn feature_switches<'a>(
        &'a self,
        organisation: &'a str,
    ) -> StorageFuture<'a, Vec<FeatureSwitchRow>> {
        Box::pin(async move {
            let rows = sqlx::query(
                "SELECT seq, feature, organisation, project, enabled, actor, at
                 FROM feature_switch_events WHERE organisation = ? ORDER BY seq",
            )
            .bind(organisation)
            .fetch_all(&self.pool)
            .await
            .map_err(error::query("read feature switches"))?;
            rows.iter()
                .map(|row| {
                    const T: &str = "feature_switch_events";
                    Ok(FeatureSwitchRow {
                        seq: get(row, "seq", T)?,
                        feature: get(row, "feature", T)?,
                        organisation: get(row, "organisation", T)?,
                        project: get(row, "project", T)?,
                        enabled: get(row, "enabled", T)?,
                        actor: get(row, "actor", T)?,
                        at: get_at(row, "at", T)?,
                    })
                })
                .collect()
        })
    }

    fn append_audit_event(&self, event: AuditEventRow) -> StorageFuture<'_, i64> {
        Box::pin(async move {
            let seqs = self.append_audit_events(vec![event]).await?;
            seqs.first()
                .copied()
                .ok_or_else(|| StorageError::Database("no audit event was appended".into()))
        })
    }

    fn append_audit_events(&self, events: Vec<AuditEventRow>) -> StorageFuture<'_, Vec<i64>> {
        Box::pin(async move {
            const OPERATION: &str = "append audit events";
            let mut tx = self
                .pool
                .begin_with("BEGIN IMMEDIATE")
                .await
                .map_err(error::query("lock the database to append audit events"))?;
            let seqs = append_chained(&mut tx, events).await?;
            tx.commit().await.map_err(error::query(OPERATION))?;
            Ok(seqs)
        })
    }

    fn audit_events_for_subject<'a>(
        &'a self,
        subject_id: &'a str,
    ) -> StorageFuture<'a, Vec<AuditEventRow>> {
        Box::pin(async move {
            let rows = sqlx::query(
                "SELECT e.seq, e.at, e.actor, e.ip, e.action, e.purpose, e.subject_id, e.outcome,
                        e.detail, c.category
                 FROM audit_events e
                 LEFT JOIN audit_event_categories c ON c.event_seq = e.seq
                 WHERE e.subject_id = ?
                 ORDER BY e.seq, c.position",
            )
            .bind(subject_id)
            .fetch_all(&self.pool)
            .await
            .map_err(error::query("read audit events"))?;
            let rows = rows
                .iter()
                .map(audit_event_from_row)
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows::fold_audit_events(rows))
        })
    }

    fn append_incident_entry(&self, entry: IncidentEntryRow) -> StorageFuture<'_, ()> {
        Box::pin(async move {
            sqlx::query(
                "INSERT INTO incident_entries (incident_id, position, at, actor, kind, body)
                 VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(&entry.incident_id)
            .bind(entry.position)
            .bind(timestamp::to_sqlite(entry.at))
            .bind(&entry.actor)
            .bind(&entry.kind)
            .bind(&entry.body)
            .execute(&self.pool)
            .await
            .map_err(error::insert(
                "append an incident entry",
                format!(
                    "incident {} already has an entry at position {}",
                    entry.incident_id, entry.position
                ),
                None,
            ))?;
            Ok(())
        })
    }

    fn incident_entries<'a>(
        &'a self,
        incident_id: &'a str,
    ) -> StorageFuture<'a, Vec<IncidentEntryRow>> {
        Box::pin(async move {
            let rows = sqlx::query(
                "SELECT incident_id, position, at, actor, kind, body FROM incident_entries
                 WHERE incident_id = ? ORDER BY position",
            )
            .bind(incident_id)
            .fetch_all(&self.pool)
            .await
            .map_err(error::query("read an incident"))?;
            rows.iter().map(incident_entry_from_row).collect()
        })
    }

    fn all_incident_entries(&self) -> StorageFuture<'_, Vec<IncidentEntryRow>> {
        Box::pin(async move {
            let rows = sqlx::query(
                "SELECT incident_id, position, at, actor, kind, body FROM incident_entries
                 ORDER BY incident_id, position",
            )
            .fetch_all(&self.pool)
            .await
            .map_err(error::query("read incidents"))?;
            rows.iter().map(incident_entry_from_row).collect()
        })
    }

    fn insert_disclosure(&self, disclosure: DisclosureRow) -> StorageFuture<'_, ()> {
        Box::pin(async move {
            rows::check_new_disclosure(&disclosure)?;
            const OPERATION: &str = "insert a disclosure";
            let mut tx = self
                .pool
                .begin_with("BEGIN IMMEDIATE")
                .await
                .map_err(error::query(OPERATION))?;
            sqlx::query(
                "INSERT INTO disclosures (id, at, actor, recipient, purpose, legal_basis,
                    decision_kind, decision_reference, decided_by, decided_on, document_sha256)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(&disclosure.id)
            .bind(timestamp::to_sqlite(disclosure.at))
            .bind(&disclosure.actor)
            .bind(&disclosure.recipient)
            .bind(&disclosure.purpose)
            .bind(&disclosure.legal_basis)
            .bind(&disclosure.decision_kind)
            .bind(&disclosure.decision_reference)
            .bind(&disclosure.decided_by)
            .bind(&disclosure.decided_on)
            .bind(&disclosure.document_sha256)
            .execute(&mut *tx)
            .await
            .map_err(error::insert(
                OPERATION,
                format!("a disclosure with id {} already exists", disclosure.id),
                None,
            ))?;
            for (position, subject) in disclosure.subjects.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO disclosure_subjects (disclosure_id, position, subject_id)
                     VALUES (?, ?, ?)",
                )
                .bind(&disclosure.id)
                .bind(position as i64)
                .bind(subject)
                .execute(&mut *tx)
                .await
                .map_err(error::query(OPERATION))?;
            }
            for (position, category) in disclosure.categories.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO disclosure_categories (disclosure_id, position, category)
                     VALUES (?, ?, ?)",
                )
                .bind(&disclosure.id)
                .bind(position as i64)
                .bind(category)
                .execute(&mut *tx)
                .await
                .map_err(error::query(OPERATION))?;
            }
            tx.commit().await.map_err(error::query(OPERATION))
        })
    }

    fn list_disclosures(&self) -> StorageFuture<'_, Vec<DisclosureRow>> {
        Box::pin(async move { self.disclosures_including(None).await })
    }

    fn disclosures_of_subject<'a>(
        &'a self,
        subject_id: &'a str,
    ) -> StorageFuture<'a, Vec<DisclosureRow>> {
        Box::pin(async move { self.disclosures_including(Some(subject_id)).await })
    }

    fn audit_chain_head(&self) -> StorageFuture<'_, AuditChainHead> {
        Box::pin(async move {
            let mut conn = self
                .pool
                .acquire()
                .await
                .map_err(error::query("read the audit chain head"))?;
            read_chain_head(&mut conn).await
        })
    }

    fn audit_entries<'a>(
        &'a self,
        filter: &'a AuditFilter,
        after_seq: i64,
        limit: usize,
    ) -> StorageFuture<'a, Vec<ChainedAuditEvent>> {
        Box::pin(async move {
            let rows = sqlx::query(
                "WITH page AS (
                    SELECT * FROM audit_events
                    WHERE seq > ?
                      AND (?2 IS NULL OR subject_id = ?2)
                      AND (?3 IS NULL OR at >= ?3)
                      AND (?4 IS NULL OR at < ?4)
                    ORDER BY seq LIMIT ?5
                 )
                 SELECT e.seq, e.at, e.actor, e.ip, e.action, e.purpose, e.subject_id, e.outcome,
                        e.detail, e.hash, c.category
                 FROM page e
                 LEFT JOIN audit_event_categories c ON c.event_seq = e.seq
                 ORDER BY e.seq, c.position",
            )
            .bind(after_seq)
            .bind(&filter.subject_id)
            .bind(filter.from.map(timestamp::to_sqlite))
            .bind(filter.to.map(timestamp::to_sqlite))
            .bind(rows::limit_to_db(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(error::query("read audit events"))?;
            let rows = rows
                .iter()
                .map(chained_event_from_row)
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows::fold_chained_events(rows))
        })
    }

    fn audit_chain_links(&self, after_seq: i64, up_to_seq: i64) -> StorageFuture<'_, ChainLinks> {
        Box::pin(async move {
            let path = self.path.clone();
            tokio::task::spawn_blocking(move || {
                bulk_reads::chain_links(&path, BUSY_TIMEOUT, after_seq, up_to_seq)
            })
            .await
            .map_err(|_| StorageError::Database("a read of the audit chain failed".into()))?
        })
    }

    fn audit_chain_tip(&self) -> StorageFuture<'_, (AuditChainHead, i64)> {
        Box::pin(async move {
            let row = sqlx::query(rows::AUDIT_CHAIN_TIP)
                .fetch_one(&self.pool)
                .await
                .map_err(error::query("read the audit chain's tip"))?;
            Ok((
                chain_head_from_row(&row)?,
                get(&row, "last", "audit_events")?,
            ))
        })
    }

    fn insert_audit_checkpoint(&self, checkpoint: AuditCheckpointRow) -> StorageFuture<'_, bool> {
        Box::pin(async move {
            let inserted = sqlx::query(
                "INSERT INTO audit_checkpoints (seq, hash, at, public_key, signature)
                 VALUES (?, ?, ?, ?, ?) ON CONFLICT (seq) DO NOTHING",
            )
            .bind(checkpoint.seq)
            .bind(&checkpoint.hash)
            .bind(timestamp::to_sqlite(checkpoint.at))
            .bind(&checkpoint.public_key)
            .bind(&checkpoint.signature)
            .execute(&self.pool)
            .await
            .map_err(error::query("store an audit checkpoint"))?;
            Ok(inserted.rows_affected() == 1)
        })
    }

    fn audit_checkpoints(&self) -> StorageFuture<'_, Vec<AuditCheckpointRow>> {
        Box::pin(async move {
            let rows = sqlx::query(
                "SELECT seq, hash, at, public_key, signature FROM audit_checkpoints ORDER BY seq",
            )
            .fetch_all(&self.pool)
            .await
            .map_err(error::query("read audit checkpoints"))?;
            rows.iter().map(checkpoint_from_row).collect()
        })
    }

    fn records_page<'a>(
        &'a self,
        after_id: Option<&'a str>,
        limit: usize,
    ) -> StorageFuture<'a, Vec<RecordSummary>> {
        Box::pin(async move {
            bulk_reads::record_summaries(&self.pool, after_id.unwrap_or(""), limit).await
        })
    }

    fn record_ciphertexts<'a>(
        &'a self,
        ids: &'a [String],
    ) -> StorageFuture<'a, Vec<(String, Vec<u8>)>> {
        Box::pin(async move {
            let ids = serde_json::to_string(ids)
                .map_err(|_| StorageError::Invalid("record ids that cannot be listed".into()))?;
            let rows: Vec<(String, Vec<u8>)> = sqlx::query_as(
                "SELECT id, ciphertext FROM records
                 WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id",
            )
            .bind(ids)
            .fetch_all(&self.pool)
            .await
            .map_err(error::query("read records' ciphertexts"))?;
            Ok(rows)
        })
    }

    fn count_records(&self) -> StorageFuture<'_, u64> {
        Box::pin(async move {
            let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM records")
                .fetch_one(&self.pool)
                .await
                .map_err(error::query("count records"))?;
            Ok(u64::try_from(count).unwrap_or(0))
        })
    }

    fn delete_records(&self, deletion: RecordDeletion) -> StorageFuture<'_, RecordDeletionOutcome> {
        Box::pin(async move {
            const OPERATION: &str = "delete records";
            let mut tx = self
                .pool
                .begin_with("BEGIN IMMEDIATE")
                .await
                .map_err(error::query("lock the database to delete records"))?;
            let mut outcome = RecordDeletionOutcome::default();
            // One statement per batch: the ids go in as a JSON array (json_each).
            let ids: Vec<&String> = deletion
                .delete
                .iter()
                .chain(deletion.anonymise.iter().map(|a| &a.record_id))
                .collect();
            let ids = serde_json::to_string(&ids)
                .map_err(|_| StorageError::Invalid("record ids that cannot be listed".into()))?;
            // What is still there to delete (the write lock is held from here to the commit):
            // counted, its subjects listed, and which of the records to anonymise are among it.
            // One row, not one per record.
            let anonymise_ids: Vec<&String> =
                deletion.anonymise.iter().map(|a| &a.record_id).collect();
            let anonymise_ids = serde_json::to_string(&anonymise_ids)
                .map_err(|_| StorageError::Invalid("record ids that cannot be listed".into()))?;
            let (present, touched, live_anonymised): (i64, String, String) = sqlx::query_as(
                "SELECT count(*), json_group_array(DISTINCT subject_id),
                        json_group_array(id) FILTER (WHERE id IN (SELECT value FROM json_each(?2)))
                 FROM records WHERE id IN (SELECT value FROM json_each(?1))",
            )
            .bind(&ids)
            .bind(&anonymise_ids)
            .fetch_one(&mut *tx)
            .await
            .map_err(error::query(OPERATION))?;
            let deleted =
                sqlx::query("DELETE FROM records WHERE id IN (SELECT value FROM json_each(?))")
                    .bind(&ids)
                    .execute(&mut *tx)
                    .await
                    .map_err(error::query(OPERATION))?;
            outcome.records = deleted.rows_affected();
            if i64::try_from(outcome.records).ok() != Some(present) {
                return Err(StorageError::Database(
                    "records changed while the database was locked for deleting them".into(),
                ));
            }
            let live_anonymised: std::collections::HashSet<String> =
                serde_json::from_str(&live_anonymised)
                    .map_err(|_| StorageError::Database("record ids did not read back".into()))?;
            for remains in &deletion.anonymise {
                if !live_anonymised.contains(&remains.record_id) {
                    continue;
                }
                sqlx::query(
                    "INSERT INTO anonymised_records
                        (category, purpose, collected_month, fields, anonymised_at)
                     VALUES (?, ?, ?, ?, ?)",
                )
                .bind(&remains.category)
                .bind(&remains.purpose)
                .bind(&remains.collected_month)
                .bind(&remains.fields)
                .bind(timestamp::to_sqlite(remains.anonymised_at))
                .execute(&mut *tx)
                .await
                .map_err(error::query(OPERATION))?;
            }
            let mut shredded: Vec<String> = sqlx::query_scalar(
                "DELETE FROM subjects WHERE id IN (SELECT value FROM json_each(?))
                   AND NOT EXISTS (SELECT 1 FROM records r WHERE r.subject_id = subjects.id)
                 RETURNING id",
            )
            .bind(&touched)
            .fetch_all(&mut *tx)
            .await
            .map_err(error::query(OPERATION))?;
            shredded.sort();
            outcome.shredded = shredded;
            let mut audit = deletion.audit;
            if let Some(shred_audit) = deletion.shred_audit
                && !outcome.shredded.is_empty()
            {
                audit.push(shred_audit(&outcome.shredded));
            }
            append_chained(&mut tx, audit).await?;
            tx.commit().await.map_err(error::query(OPERATION))?;
            Ok(outcome)
        })
    }

    fn shred_subject<'a>(&'a self, subject_id: &'a str) -> StorageFuture<'a, bool> {
        Box::pin(async move {
            // Keys, identities, records and anchors go with the subject (ON DELETE CASCADE).
            let deleted = sqlx::query("DELETE FROM subjects WHERE id = ?")
                .bind(subject_id)
                .execute(&self.pool)
                .await
                .map_err(error::query("shred a subject"))?;
            Ok(deleted.rows_affected() == 1)
        })
    }

    fn anonymised_records(&self) -> StorageFuture<'_, Vec<AnonymisedRecordRow>> {
        Box::pin(async move {
            let rows = sqlx::query(
                "SELECT category, purpose, collected_month, fields, anonymised_at
                 FROM anonymised_records ORDER BY id",
            )
            .fetch_all(&self.pool)
            .await
            .map_err(error::query("read anonymised records"))?;
            const T: &str = "anonymised_records";
            rows.iter()
                .map(|row| {
                    Ok(AnonymisedRecordRow {
                        record_id: String::new(),
                        category: get(row, "category", T)?,
                        purpose: get(row, "purpose", T)?,
                        collected_month: get(row, "collected_month", T)?,
                        fields: get(row, "fields", T)?,
                        anonymised_at: get_at(row, "anonymised_at", T)?,
                    })
                })
                .collect()
        })
    }

    fn try_sweep_lock(&self) -> StorageFuture<'_, Option<SweepLock>> {
        Box::pin(async move {
            // An exclusive lock on `<database>.sweep-lock`, held while the file stays open: one
            // sweeper per database file across processes; the system releases it when the
            // process dies.
            let mut name = self.path.clone().into_os_string();
            name.push(".sweep-lock");
            let cannot = |error: std::io::Error| {
                StorageError::Database(format!("cannot take the sweep lock: {error}"))
            };
            let file = {
                use std::os::unix::fs::OpenOptionsExt as _;
                std::fs::OpenOptions::new()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .mode(0o600)
                    .open(&name)
                    .map_err(cannot)?
            };
            match file.try_lock() {
                Ok(()) => Ok(Some(SweepLock::holding(Box::new(file)))),
                Err(std::fs::TryLockError::WouldBlock) => Ok(None),
                Err(std::fs::TryLockError::Error(error)) => Err(cannot(error)),
            }
        })
    }

    fn release_sweep_lock(&self, lock: SweepLock) -> StorageFuture<'_, ()> {
        drop(lock);
        Box::pin(async move { Ok(()) })
    }

    fn close(&self) -> StorageFuture<'_, ()> {
        Box::pin(async move {
            self.pool.close().await;
            Ok(())
        })
    }
}

fn incident_entry_from_row(row: &SqliteRow) -> Result<IncidentEntryRow, StorageError> {
    const T: &str = "incident_entries";
    Ok(IncidentEntryRow {
        incident_id: get(row, "incident_id", T)?,
        position: get(row, "position", T)?,
        at: get_at(row, "at", T)?,
        actor: get(row, "actor", T)?,
        kind: get(row, "kind", T)?,
        body: get(row, "body", T)?,
    })
}

impl SqliteStorage {
    /// Every disclosure, or with `subject` only those that included that subject, with their
    /// subjects and categories, oldest first.
    async fn disclosures_including(
        &self,
        subject: Option<&str>,
    ) -> Result<Vec<DisclosureRow>, StorageError> {
        const T: &str = "disclosures";
        const OPERATION: &str = "read disclosures";
        let heads = sqlx::query(
            "SELECT id, at, actor, recipient, purpose, legal_basis, decision_kind,
                    decision_reference, decided_by, decided_on, document_sha256
             FROM disclosures
             WHERE (?1 IS NULL OR id IN (SELECT disclosure_id FROM disclosure_subjects WHERE subject_id = ?1))
             ORDER BY at, id",
        )
        .bind(subject)
        .fetch_all(&self.pool)
        .await
        .map_err(error::query(OPERATION))?;
        let heads = heads
            .iter()
            .map(|row| {
                Ok(DisclosureRow {
                    id: get(row, "id", T)?,
                    at: get_at(row, "at", T)?,
                    actor: get(row, "actor", T)?,
                    recipient: get(row, "recipient", T)?,
                    purpose: get(row, "purpose", T)?,
                    legal_basis: get(row, "legal_basis", T)?,
                    decision_kind: get(row, "decision_kind", T)?,
                    decision_reference: get(row, "decision_reference", T)?,
                    decided_by: get(row, "decided_by", T)?,
                    decided_on: get(row, "decided_on", T)?,
                    document_sha256: get(row, "document_sha256", T)?,
                    subjects: Vec::new(),
                    categories: Vec::new(),
                })
            })
            .collect::<Result<Vec<_>, StorageError>>()?;
        let subjects = sqlx::query(
            "SELECT disclosure_id, subject_id AS value FROM disclosure_subjects
             WHERE (?1 IS NULL OR disclosure_id IN (SELECT disclosure_id FROM disclosure_subjects WHERE subject_id = ?1))
             ORDER BY disclosure_id, position",
        )
        .bind(subject)
        .fetch_all(&self.pool)
        .await
        .map_err(error::query(OPERATION))?;
        let categories = sqlx::query(
            "SELECT disclosure_id, category AS value FROM disclosure_categories
             WHERE (?1 IS NULL OR disclosure_id IN (SELECT disclosure_id FROM disclosure_subjects WHERE subject_id = ?1))
             ORDER BY disclosure_id, position",
        )
        .bind(subject)
        .fetch_all(&self.pool)
        .await
        .map_err(error::query(OPERATION))?;
        let pairs = |rows: Vec<_>| -> Result<Vec<(String, String)>, StorageError> {
            rows.iter()
                .map(|row| Ok((get(row, "disclosure_id", T)?, get(row, "value", T)?)))
                .collect()
        };
        let subjects = pairs(subjects)?;
        let categories = pairs(categories)?;
        Ok(rows::fold_disclosures(heads, subjects, categories))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// Several processes creating the database at once all open it. Switching to WAL mode is
    /// where this used to fail ("database is locked") about once in a hundred opens, hence the
    /// many rounds.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_first_opens_all_succeed() {
        for _ in 0..40 {
            let dir = Arc::new(tempfile::tempdir().unwrap());
            let opening: Vec<_> = (0..6)
                .map(|_| {
                    let dir = Arc::clone(&dir);
                    tokio::spawn(
                        async move { SqliteStorage::open(&dir.path().join("skydd.db")).await },
                    )
                })
                .collect();
            for task in opening {
                let storage = task.await.unwrap().unwrap();
                let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
                    .fetch_one(&storage.pool)
                    .await
                    .unwrap();
                assert_eq!(mode, "wal");
                storage.pool.close().await;
            }
        }
    }

    /// The database file, and the WAL files SQLite creates beside it, are private to their
    /// owner, whatever the umask allows.
    #[cfg(unix)]
    #[tokio::test]
    async fn the_database_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("skydd.db");
        let storage = SqliteStorage::open(&path).await.unwrap();
        // Write something, so that the -wal and -shm files exist.
        storage.bind_master_key(&"a".repeat(64)).await.unwrap();
        let mode = |path: &Path| {
            let mode = std::fs::metadata(path).unwrap().permissions().mode();
            format!("{:o}", mode & 0o777)
        };
        assert_eq!(mode(&path), "600", "skydd.db");
        for suffix in ["-wal", "-shm"] {
            let file = dir.path().join(format!("skydd.db{suffix}"));
            assert!(file.exists(), "{suffix}");
            assert_eq!(mode(&file), "600", "{suffix}");
        }
        storage.pool.close().await;

        // Opening it again changes nothing, and the data is still there.
        let storage = SqliteStorage::open(&path).await.unwrap();
        assert_eq!(mode(&path), "600");
        assert_eq!(
            storage.bind_master_key(&"a".repeat(64)).await.unwrap(),
            KeyBinding::Matches
        );
        storage.pool.close().await;
    }

    #[tokio::test]
    async fn a_missing_directory_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("skydd.db");
        let error = SqliteStorage::open(&path).await.err().unwrap();
        let message = error.to_string();
        assert!(
            message.starts_with("cannot open the database: SQLite database "),
            "{message}"
        );
        assert!(message.ends_with("missing does not exist"), "{message}");
    }
}
