//! The PostgreSQL backend, shared by any number of Skydd servers.
//!
//! Steps that must not interleave between servers (applying migrations, creating the schema,
//! storing the first token) run in a transaction that first takes a transaction-scoped advisory
//! lock (`pg_advisory_xact_lock`), released by the commit. The lock keys are fixed numbers, so
//! Skydd installations in different schemas of one database share them: they wait for each other
//! briefly at those steps and are otherwise independent.

use std::str::FromStr;

use jiff::Timestamp;
use skydd_crypto::{Role, TokenHash, TokenId};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::{Connection, PgConnection, Row};

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

/// Advisory lock held while creating the schema and applying migrations ("skydd_mg" in ASCII).
const MIGRATION_LOCK: i64 = 0x736b_7964_645f_6d67;

/// Advisory lock held while storing the first token ("skydd_ft" in ASCII).
const FIRST_TOKEN_LOCK: i64 = 0x736b_7964_645f_6674;

/// The key of the master key check in `skydd_meta`.
const MASTER_KEY_CHECK: &str = "master_key_check";

/// Skydd's storage in a PostgreSQL database.
pub(crate) struct PostgresStorage {
    pool: PgPool,
}

impl PostgresStorage {
    /// Connect to `url`, optionally keeping every table in `schema` (created if needed), and
    /// migrate the database.
    pub(crate) async fn open(
        url: &str,
        schema: Option<&str>,
    ) -> Result<PostgresStorage, StorageError> {
        let options =
            PgConnectOptions::from_str(url).map_err(error::connect("invalid PostgreSQL URL"))?;
        let target = format!(
            "PostgreSQL database {} at {}:{}",
            options.get_database().unwrap_or(options.get_username()),
            options.get_host(),
            options.get_port()
        );
        let options = match schema {
            Some(schema) => {
                check_schema_name(schema)?;
                options.options([("search_path", schema)])
            }
            None => options,
        };
        // One plain connection first: it fails at once with the real cause (the pool would retry
        // for its whole acquire timeout and then report only "timed out"), and runs migrations.
        let mut conn = PgConnection::connect_with(&options)
            .await
            .map_err(error::connect(&target))?;
        let prepared = async {
            if let Some(schema) = schema {
                create_schema(&mut conn, schema).await?;
            }
            migrate(&mut conn).await
        }
        .await;
        // Closing only says goodbye to the server; a failure there changes nothing.
        let _ = conn.close().await;
        prepared?;
        let pool = PgPoolOptions::new().connect_lazy_with(options);
        Ok(PostgresStorage { pool })
    }
}

/// Create `schema` unless it exists. Checking first avoids needing the CREATE privilege on the
/// database when the schema was made by an administrator.
async fn create_schema(conn: &mut PgConnection, schema: &str) -> Result<(), StorageError> {
    let mut tx = conn
        .begin()
        .await
        .map_err(error::query("create the schema"))?;
    lock(&mut tx, MIGRATION_LOCK).await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)")
            .bind(schema)
            .fetch_one(&mut *tx)
            .await
            .map_err(error::query("look for the schema"))?;
    if !exists {
        // The name was checked to be a plain identifier, so quoting it is enough.
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA \"{schema}\"")))
            .execute(&mut *tx)
            .await
            .map_err(error::query("create the schema"))?;
        tracing::info!(schema, "created PostgreSQL schema");
    }
    tx.commit().await.map_err(error::query("create the schema"))
}

/// Apply pending migrations, one transaction each, under the migration lock.
async fn migrate(conn: &mut PgConnection) -> Result<(), StorageError> {
    loop {
        let mut tx = conn
            .begin()
            .await
            .map_err(error::query("begin a migration"))?;
        lock(&mut tx, MIGRATION_LOCK).await?;
        // Looking first (rather than CREATE TABLE IF NOT EXISTS) keeps PostgreSQL from
        // logging a notice on every start.
        let exists: bool = sqlx::query_scalar("SELECT to_regclass('skydd_migrations') IS NOT NULL")
            .fetch_one(&mut *tx)
            .await
            .map_err(error::query("look for skydd_migrations"))?;
        if !exists {
            sqlx::raw_sql(
                "CREATE TABLE skydd_migrations (
                    version    bigint PRIMARY KEY,
                    name       text NOT NULL,
                    checksum   text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )",
            )
            .execute(&mut *tx)
            .await
            .map_err(error::query("create skydd_migrations"))?;
        }
        let applied = read_applied(&mut tx).await?;
        let Some(next) = migration::next_pending(migration::POSTGRES, &applied)? else {
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
        sqlx::query("INSERT INTO skydd_migrations (version, name, checksum) VALUES ($1, $2, $3)")
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
            "applied PostgreSQL migration"
        );
    }
}

/// Drop `schema` and everything in it: a whole Skydd installation kept with
/// [`crate::open_postgres_in_schema`], or a test's schema.
pub(crate) async fn drop_schema(url: &str, schema: &str) -> Result<(), StorageError> {
    check_schema_name(schema)?;
    let options =
        PgConnectOptions::from_str(url).map_err(error::connect("invalid PostgreSQL URL"))?;
    let mut conn = PgConnection::connect_with(&options)
        .await
        .map_err(error::connect("PostgreSQL database"))?;
    // The name was checked to be a plain identifier, so quoting it is enough.
    let dropped = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"
    )))
    .execute(&mut conn)
    .await
    .map_err(error::query("drop the schema"));
    // Closing only says goodbye to the server; a failure there changes nothing.
    let _ = conn.close().await;
    dropped.map(|_| ())
}

/// Append `events` to the audit chain inside `conn`'s transaction: lock the head row
/// (`FOR UPDATE`, so one writer chains at a time across every server), give each event the next
/// seq and its hash, insert it with its categories in one statement, move the head.
async fn append_chained(
    conn: &mut PgConnection,
    events: Vec<AuditEventRow>,
) -> Result<Vec<i64>, StorageError> {
    const OPERATION: &str = "append audit events";
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let head = read_chain_head(&mut *conn, true).await?;
    let mut seq = head.seq;
    let mut prev = head.hash;
    let mut seqs = Vec::with_capacity(events.len());
    for mut event in events {
        seq += 1;
        event.seq = seq;
        event.at = timestamp::truncate(event.at);
        prev = audit_chain::entry_hash(&prev, &event);
        sqlx::query(
            "WITH event AS (
                INSERT INTO audit_events
                    (seq, at, actor, ip, action, purpose, subject_id, outcome, detail, hash)
                OVERRIDING SYSTEM VALUE
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                RETURNING seq
             )
             INSERT INTO audit_event_categories (event_seq, position, category)
             SELECT event.seq, (c.ordinality - 1)::integer, c.category
             FROM event, unnest($11::text[]) WITH ORDINALITY AS c (category, ordinality)",
        )
        .bind(seq)
        .bind(timestamp::to_postgres(event.at))
        .bind(&event.actor)
        .bind(&event.ip)
        .bind(&event.action)
        .bind(&event.purpose)
        .bind(&event.subject_id)
        .bind(&event.outcome)
        .bind(&event.detail)
        .bind(&prev[..])
        .bind(&event.categories[..])
        .execute(&mut *conn)
        .await
        .map_err(error::query(OPERATION))?;
        seqs.push(seq);
    }
    sqlx::query("UPDATE audit_chain_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(seq)
        .bind(&prev[..])
        .execute(&mut *conn)
        .await
        .map_err(error::query(OPERATION))?;
    Ok(seqs)
}

/// The audit chain's head row, locked until the transaction ends when `for_update`.
async fn read_chain_head(
    conn: &mut PgConnection,
    for_update: bool,
) -> Result<AuditChainHead, StorageError> {
    let sql = if for_update {
        "SELECT first_seq, seq, hash FROM audit_chain_head WHERE id = 1 FOR UPDATE"
    } else {
        "SELECT first_seq, seq, hash FROM audit_chain_head WHERE id = 1"
    };
    let row = sqlx::query(sql)
        .fetch_one(&mut *conn)
        .await
        .map_err(error::query("read the audit chain head"))?;
    chain_head_from_row(&row)
}

/// The chain head in a row with its columns `first_seq`, `seq` and `hash`.
fn chain_head_from_row(row: &PgRow) -> Result<AuditChainHead, StorageError> {
    const T: &str = "audit_chain_head";
    let hash: Vec<u8> = get(row, "hash", T)?;
    Ok(AuditChainHead {
        first_seq: get(row, "first_seq", T)?,
        seq: get(row, "seq", T)?,
        hash: rows::hash_from_db(&hash)?,
    })
}

fn checkpoint_from_row(row: &PgRow) -> Result<AuditCheckpointRow, StorageError> {
    const T: &str = "audit_checkpoints";
    Ok(AuditCheckpointRow {
        seq: get(row, "seq", T)?,
        hash: get(row, "hash", T)?,
        at: get_at(row, "at", T)?,
        public_key: get(row, "public_key", T)?,
        signature: get(row, "signature", T)?,
    })
}

/// Refuse a schema name that would need quoting: `[a-z_][a-z0-9_]*`, at most 63 bytes.
fn check_schema_name(schema: &str) -> Result<(), StorageError> {
    let mut bytes = schema.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || b == b'_');
    let rest_ok = bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if first_ok && rest_ok && schema.len() <= 63 {
        Ok(())
    } else {
        Err(StorageError::Connect(format!(
            "invalid PostgreSQL schema name {schema:?}: use lowercase letters, digits and _, \
             not starting with a digit, at most 63 characters"
        )))
    }
}

/// Take the transaction-scoped advisory lock `key`; the commit or rollback releases it.
async fn lock(conn: &mut PgConnection, key: i64) -> Result<(), StorageError> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(key)
        .execute(conn)
        .await
        .map_err(error::query("take an advisory lock"))?;
    Ok(())
}

async fn read_applied(conn: &mut PgConnection) -> Result<Vec<Applied>, StorageError> {
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

fn token_from_row(row: &PgRow) -> Result<ApiTokenRecord, StorageError> {
    let text = |column: &str| -> Result<String, StorageError> {
        row.try_get(column).map_err(error::query("read api_tokens"))
    };
    let id = TokenId(text("id")?);
    let role = text("role")?;
    let role: Role = role.parse().map_err(|_| {
        StorageError::Database(format!("API token {id} has an unknown role {role:?}"))
    })?;
    let created_at: jiff_sqlx::Timestamp = row
        .try_get("created_at")
        .map_err(error::query("read api_tokens"))?;
    let revoked_at: Option<jiff_sqlx::Timestamp> = row
        .try_get("revoked_at")
        .map_err(error::query("read api_tokens"))?;
    Ok(ApiTokenRecord {
        hash: TokenHash(text("hash")?),
        role,
        label: text("label")?,
        created_at: created_at.to_jiff(),
        revoked_at: revoked_at.map(|at| at.to_jiff()),
        id,
    })
}

fn register_version_from_row(row: &PgRow) -> Result<RegisterVersionRecord, StorageError> {
    let text = |column: &str| -> Result<String, StorageError> {
        row.try_get(column)
            .map_err(error::query("read register_versions"))
    };
    let first_loaded_at: jiff_sqlx::Timestamp = row
        .try_get("first_loaded_at")
        .map_err(error::query("read register_versions"))?;
    Ok(RegisterVersionRecord {
        digest: text("digest")?,
        published: text("published")?,
        first_loaded_at: first_loaded_at.to_jiff(),
        content: text("content")?,
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
fn get<'r, T>(row: &'r PgRow, column: &str, table: &str) -> Result<T, StorageError>
where
    T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    row.try_get(column)
        .map_err(|e| error::query(&format!("read {table}.{column}"))(e))
}

/// Read the timestamp in `column` of a row of `table`.
fn get_at(row: &PgRow, column: &str, table: &str) -> Result<Timestamp, StorageError> {
    let at: jiff_sqlx::Timestamp = get(row, column, table)?;
    Ok(at.to_jiff())
}

/// Read the timestamp, if any, in `column` of a row of `table`.
fn get_optional_at(
    row: &PgRow,
    column: &str,
    table: &str,
) -> Result<Option<Timestamp>, StorageError> {
    let at: Option<jiff_sqlx::Timestamp> = get(row, column, table)?;
    Ok(at.map(|at| at.to_jiff()))
}

fn subject_from_row(row: &PgRow) -> Result<SubjectRow, StorageError> {
    const T: &str = "subjects";
    Ok(SubjectRow {
        id: get(row, "id", T)?,
        tenant: get(row, "tenant", T)?,
        created_at: get_at(row, "created_at", T)?,
        restricted_at: get_optional_at(row, "restricted_at", T)?,
    })
}

fn subject_key_from_row(row: &PgRow) -> Result<SubjectKeyRow, StorageError> {
    const T: &str = "subject_keys";
    Ok(SubjectKeyRow {
        subject_id: get(row, "subject_id", T)?,
        key_version: rows::version_from_db(get(row, "key_version", T)?)?,
        wrapped_key: get(row, "wrapped_key", T)?,
    })
}

/// A row of the records-with-anchors query: the record without anchors, and one anchor if any.
fn record_from_row(row: &PgRow) -> Result<(RecordRow, Option<(String, Timestamp)>), StorageError> {
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
fn audit_event_from_row(row: &PgRow) -> Result<(AuditEventRow, Option<String>), StorageError> {
    let category = get(row, "category", "audit_event_categories")?;
    Ok((audit_event_columns(row, Vec::new())?, category))
}

/// The columns of `audit_events` in a row, with `categories` given.
fn audit_event_columns(
    row: &PgRow,
    categories: Vec<String>,
) -> Result<AuditEventRow, StorageError> {
    const T: &str = "audit_events";
    Ok(AuditEventRow {
        seq: get(row, "seq", T)?,
        at: get_at(row, "at", T)?,
        actor: get(row, "actor", T)?,
        ip: get(row, "ip", T)?,
        action: get(row, "action", T)?,
        purpose: get(row, "purpose", T)?,
        subject_id: get(row, "subject_id", T)?,
        categories,
        outcome: get(row, "outcome", T)?,
        detail: get(row, "detail", T)?,
    })
}

impl Storage for PostgresStorage {
    fn backend(&self) -> Backend {
        Backend::Postgres
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
                "INSERT INTO skydd_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
            )
            .bind(MASTER_KEY_CHECK)
            .bind(check)
            .execute(&self.pool)
            .await
            .map_err(error::query("store the master key check"))?;
            if inserted.rows_affected() == 1 {
                return Ok(KeyBinding::NewlyBound);
            }
            let stored: String = sqlx::query_scalar("SELECT value FROM skydd_meta WHERE key = $1")
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
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&token.id.0)
            .bind(&token.hash.0)
            .bind(token.role.as_str())
            .bind(&token.label)
            .bind(timestamp::to_postgres(token.created_at))
            .bind(token.revoked_at.map(timestamp::to_postgres))
            .execute(&self.pool)
            .await
            .map_err(duplicate_token(&token))?;
            Ok(())
        })
    }

    fn insert_first_token(&self, token: ApiTokenRecord) -> StorageFuture<'_, bool> {
        Box::pin(async move {
            // Under the lock, the statement's snapshot (taken after the lock was granted, in
            // READ COMMITTED) sees any token committed by the previous holder.
            let mut tx = self
                .pool
                .begin()
                .await
                .map_err(error::query("begin the first token"))?;
            lock(&mut tx, FIRST_TOKEN_LOCK).await?;
            let inserted = sqlx::query(
                "INSERT INTO api_tokens (id, hash, role, label, created_at, revoked_at)
                 SELECT $1, $2, $3, $4, $5, $6
                 WHERE NOT EXISTS (SELECT 1 FROM api_tokens)",
            )
            .bind(&token.id.0)
            .bind(&token.hash.0)
            .bind(token.role.as_str())
            .bind(&token.label)
            .bind(timestamp::to_postgres(token.created_at))
            .bind(token.revoked_at.map(timestamp::to_postgres))
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
                " FROM api_tokens WHERE hash = $1 AND revoked_at IS NULL"
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
                "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
            )
            .bind(timestamp::to_postgres(at))
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
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (digest) DO NOTHING",
            )
            .bind(&version.digest)
            .bind(&version.published)
            .bind(timestamp::to_postgres(version.first_loaded_at))
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
                .begin()
                .await
                .map_err(error::query("begin creating a subject"))?;
            sqlx::query(
                "INSERT INTO subjects (id, tenant, created_at, restricted_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(&subject.id)
            .bind(&subject.tenant)
            .bind(timestamp::to_postgres(subject.created_at))
            .bind(subject.restricted_at.map(timestamp::to_postgres))
            .execute(&mut *tx)
            .await
            .map_err(error::insert(
                OPERATION,
                format!("a subject with id {} already exists", subject.id),
                None,
            ))?;
            sqlx::query(
                "INSERT INTO subject_keys (subject_id, key_version, wrapped_key) VALUES ($1, $2, $3)",
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
                     VALUES ($1, $2, $3, $4, $5)",
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
                           AND i.kind = $1 AND i.blind_index = $2",
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
                         WHERE i.tenant = $1 AND s.tenant = $1
                           AND i.kind = $2 AND i.blind_index = $3",
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
                "SELECT id, tenant, created_at, restricted_at FROM subjects WHERE id = $1",
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
                 WHERE subject_id = $1 ORDER BY id",
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
                "SELECT subject_id, key_version, wrapped_key FROM subject_keys WHERE subject_id = $1",
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
            let updated = sqlx::query("UPDATE subjects SET restricted_at = $1 WHERE id = $2")
                .bind(restricted_at.map(timestamp::to_postgres))
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
                 WHERE key_version < $1 ORDER BY key_version, subject_id LIMIT $2",
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
                "UPDATE subject_keys SET key_version = $1, wrapped_key = $2
                 WHERE subject_id = $3 AND key_version = $4",
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
            // One statement (so atomic without a transaction and one round trip): the record,
            // and its anchors from two parallel arrays.
            let (events, ats): (Vec<&str>, Vec<jiff_sqlx::Timestamp>) = record
                .anchors
                .iter()
                .map(|(event, at)| (event.as_str(), timestamp::to_postgres(*at)))
                .unzip();
            sqlx::query(
                "WITH record AS (
                    INSERT INTO records
                        (id, subject_id, category, purpose, source, collected_at, ciphertext)
                    VALUES ($1, $2, $3, $4, $5, $6, $7)
                    RETURNING id
                 )
                 INSERT INTO record_anchors (record_id, event, at)
                 SELECT record.id, anchor.event, anchor.at
                 FROM record, unnest($8::text[], $9::timestamptz[]) AS anchor (event, at)",
            )
            .bind(&record.id)
            .bind(&record.subject_id)
            .bind(&record.category)
            .bind(&record.purpose)
            .bind(&record.source)
            .bind(timestamp::to_postgres(record.collected_at))
            .bind(&record.ciphertext)
            .bind(events)
            .bind(ats)
            .execute(&self.pool)
            .await
            .map_err(error::insert(
                "insert a record",
                format!("a record with id {} already exists", record.id),
                Some(NO_SUCH_SUBJECT),
            ))?;
            Ok(())
        })
    }

    fn records_of_subject<'a>(&'a self, subject_id: &'a str) -> StorageFuture<'a, Vec<RecordRow>> {
        Box::pin(async move {
            let rows = sqlx::query(
                "SELECT r.id, r.subject_id, r.category, r.purpose, r.source, r.collected_at,
                        r.ciphertext, a.event, a.at
                 FROM records r LEFT JOIN record_anchors a ON a.record_id = r.id
                 WHERE r.subject_id = $1
                 ORDER BY r.collected_at, r.id COLLATE \"C\", a.event COLLATE \"C\"",
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
                 SELECT id, $1, $2 FROM records WHERE id = $3
                 ON CONFLICT (record_id, event) DO UPDATE SET at = excluded.at",
            )
            .bind(event)
            .bind(timestamp::to_postgres(at))
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
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING seq",
            )
            .bind(&event.scope_kind)
            .bind(&event.scope_id)
            .bind(&event.purpose)
            .bind(event.granted)
            .bind(&event.method)
            .bind(&event.notice_version)
            .bind(timestamp::to_postgres(event.at))
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
                 FROM consent_events WHERE scope_kind = $1 AND scope_id = $2 ORDER BY seq",
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
                 VALUES ($1, $2, $3, $4, $5) RETURNING seq",
            )
            .bind(&event.subject_id)
            .bind(&event.purpose)
            .bind(event.objected)
            .bind(&event.source)
            .bind(timestamp::to_postgres(event.at))
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
                 FROM objection_events WHERE subject_id = $1 ORDER BY seq",
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
                 VALUES ($1, $2, $3, $4, $5) RETURNING seq",
            )
            .bind(&event.subject_id)
            .bind(&event.kind)
            .bind(&event.name)
            .bind(event.opted_in)
            .bind(timestamp::to_postgres(event.at))
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
                 FROM preference_events WHERE subject_id = $1 ORDER BY seq",
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
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING seq",
            )
            .bind(&event.feature)
            .bind(&event.organisation)
            .bind(&event.project)
            .bind(event.enabled)
            .bind(&event.actor)
            .bind(timestamp::to_postgres(event.at))
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
                 FROM feature_switch_events WHERE organisation = $1 ORDER BY seq",
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
            let mut tx = self.pool.begin().await.map_err(error::query(OPERATION))?;
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
                 WHERE e.subject_id = $1
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
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&entry.incident_id)
            .bind(entry.position)
            .bind(timestamp::to_postgres(entry.at))
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
                 WHERE incident_id = $1 ORDER BY position",
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
            let mut tx = self.pool.begin().await.map_err(error::query(OPERATION))?;
            sqlx::query(
                "INSERT INTO disclosures (id, at, actor, recipient, purpose, legal_basis,
                    decision_kind, decision_reference, decided_by, decided_on, document_sha256)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(&disclosure.id)
            .bind(timestamp::to_postgres(disclosure.at))
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
                     VALUES ($1, $2, $3)",
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
                     VALUES ($1, $2, $3)",
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
            read_chain_head(&mut conn, false).await
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
                    WHERE seq > $1
                      AND ($2::text IS NULL OR subject_id = $2)
                      AND ($3::timestamptz IS NULL OR at >= $3)
                      AND ($4::timestamptz IS NULL OR at < $4)
                    ORDER BY seq LIMIT $5
                 )
                 SELECT e.seq, e.at, e.actor, e.ip, e.action, e.purpose, e.subject_id, e.outcome,
                        e.detail, e.hash, c.category
                 FROM page e
                 LEFT JOIN audit_event_categories c ON c.event_seq = e.seq
                 ORDER BY e.seq, c.position",
            )
            .bind(after_seq)
            .bind(&filter.subject_id)
            .bind(filter.from.map(timestamp::to_postgres))
            .bind(filter.to.map(timestamp::to_postgres))
            .bind(rows::limit_to_db(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(error::query("read audit events"))?;
            let rows = rows
                .iter()
                .map(|row| {
                    let (event, category) = audit_event_from_row(row)?;
                    let hash = get(row, "hash", "audit_events")?;
                    Ok((ChainedAuditEvent { event, hash }, category))
                })
                .collect::<Result<Vec<_>, StorageError>>()?;
            Ok(rows::fold_chained_events(rows))
        })
    }

    fn audit_chain_links(&self, after_seq: i64, up_to_seq: i64) -> StorageFuture<'_, ChainLinks> {
        Box::pin(async move {
            // One statement: one snapshot, one round trip, one row per entry.
            let rows = sqlx::query(
                "SELECT e.seq, e.at, e.actor, e.ip, e.action, e.purpose, e.subject_id, e.outcome,
                        e.detail, e.hash,
                        COALESCE((SELECT array_agg(c.category ORDER BY c.position)
                                  FROM audit_event_categories c WHERE c.event_seq = e.seq),
                                 '{}') AS categories
                 FROM audit_events e WHERE e.seq > $1 AND e.seq <= $2 ORDER BY e.seq",
            )
            .bind(after_seq)
            .bind(up_to_seq)
            .fetch_all(&self.pool)
            .await
            .map_err(error::query("read a stretch of the audit chain"))?;
            let mut links = ChainLinks::with_capacity(rows.len());
            for row in &rows {
                let entry = {
                    const T: &str = "audit_events";
                    let categories = get(row, "categories", "audit_event_categories")?;
                    let event = audit_event_columns(row, categories)?;
                    let hash = get(row, "hash", T)?;
                    ChainedAuditEvent { event, hash }
                };
                links.push_event(&entry);
            }
            Ok(links)
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
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (seq) DO NOTHING",
            )
            .bind(checkpoint.seq)
            .bind(&checkpoint.hash)
            .bind(timestamp::to_postgres(checkpoint.at))
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
            let rows = sqlx::query(
                "WITH page AS (
                    SELECT id, subject_id, category, purpose, source, collected_at FROM records
                    WHERE id > $1 ORDER BY id LIMIT $2
                 )
                 SELECT r.id, r.subject_id, r.category, r.purpose, r.source, r.collected_at,
                        a.event, a.at
                 FROM page r LEFT JOIN record_anchors a ON a.record_id = r.id
                 ORDER BY r.id, a.event",
            )
            .bind(after_id.unwrap_or(""))
            .bind(rows::limit_to_db(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(error::query("read a page of records"))?;
            const T: &str = "records";
            let mut records: Vec<RecordSummary> = Vec::new();
            for row in &rows {
                let id: String = get(row, "id", T)?;
                if records.last().is_none_or(|last| last.id != id) {
                    records.push(RecordSummary {
                        id,
                        subject_id: get(row, "subject_id", T)?,
                        category: get(row, "category", T)?,
                        purpose: get(row, "purpose", T)?,
                        source: get(row, "source", T)?,
                        collected_at: get_at(row, "collected_at", T)?,
                        anchors: Vec::new(),
                    });
                }
                let event: Option<String> = get(row, "event", "record_anchors")?;
                let at = get_optional_at(row, "at", "record_anchors")?;
                if let (Some(anchor), Some(last)) = (event.zip(at), records.last_mut()) {
                    last.anchors.push(anchor);
                }
            }
            Ok(records)
        })
    }

    fn record_ciphertexts<'a>(
        &'a self,
        ids: &'a [String],
    ) -> StorageFuture<'a, Vec<(String, Vec<u8>)>> {
        Box::pin(async move {
            let rows: Vec<(String, Vec<u8>)> =
                sqlx::query_as("SELECT id, ciphertext FROM records WHERE id = ANY($1) ORDER BY id")
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
            let mut tx = self.pool.begin().await.map_err(error::query(OPERATION))?;
            let mut ids: Vec<&str> = deletion.delete.iter().map(String::as_str).collect();
            ids.extend(deletion.anonymise.iter().map(|a| a.record_id.as_str()));
            let deleted = sqlx::query(
                "DELETE FROM records WHERE id = ANY($1::text[]) RETURNING id, subject_id",
            )
            .bind(&ids[..])
            .fetch_all(&mut *tx)
            .await
            .map_err(error::query(OPERATION))?;
            let mut outcome = RecordDeletionOutcome {
                records: u64::try_from(deleted.len()).unwrap_or(u64::MAX),
                shredded: Vec::new(),
            };
            let mut gone = std::collections::HashSet::new();
            let mut touched = std::collections::BTreeSet::new();
            for row in &deleted {
                gone.insert(get::<String>(row, "id", "records")?);
                touched.insert(get::<String>(row, "subject_id", "records")?);
            }
            for remains in &deletion.anonymise {
                if !gone.contains(&remains.record_id) {
                    continue;
                }
                sqlx::query(
                    "INSERT INTO anonymised_records
                        (category, purpose, collected_month, fields, anonymised_at)
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&remains.category)
                .bind(&remains.purpose)
                .bind(&remains.collected_month)
                .bind(&remains.fields)
                .bind(timestamp::to_postgres(remains.anonymised_at))
                .execute(&mut *tx)
                .await
                .map_err(error::query(OPERATION))?;
            }
            let touched: Vec<String> = touched.into_iter().collect();
            let shredded: Vec<String> = sqlx::query_scalar(
                "DELETE FROM subjects s WHERE s.id = ANY($1::text[])
                   AND NOT EXISTS (SELECT 1 FROM records r WHERE r.subject_id = s.id)
                 RETURNING s.id",
            )
            .bind(&touched[..])
            .fetch_all(&mut *tx)
            .await
            .map_err(error::query(OPERATION))?;
            outcome.shredded = shredded;
            outcome.shredded.sort();
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
            let deleted = sqlx::query("DELETE FROM subjects WHERE id = $1")
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
            const OPERATION: &str = "take the sweep lock";
            let mut conn = self
                .pool
                .acquire()
                .await
                .map_err(error::query(OPERATION))?
                .detach();
            // A session lock, keyed by the schema so installations in different schemas sweep
            // independently. It is held by this connection, taken out of the pool: dropping the
            // lock closes the connection, and the server releases the lock (also when the
            // process dies).
            let locked: bool = sqlx::query_scalar(
                "SELECT pg_try_advisory_lock(hashtext('skydd retention sweep'),
                                             hashtext(current_schema()))",
            )
            .fetch_one(&mut conn)
            .await
            .map_err(error::query(OPERATION))?;
            Ok(locked.then(|| SweepLock::holding(Box::new(conn))))
        })
    }

    fn release_sweep_lock(&self, lock: SweepLock) -> StorageFuture<'_, ()> {
        Box::pin(async move {
            if let Ok(conn) = lock.held.downcast::<PgConnection>() {
                let mut conn = *conn;
                sqlx::query(
                    "SELECT pg_advisory_unlock(hashtext('skydd retention sweep'),
                                               hashtext(current_schema()))",
                )
                .execute(&mut conn)
                .await
                .map_err(error::query("release the sweep lock"))?;
                let _ = conn.close().await;
            }
            Ok(())
        })
    }

    fn close(&self) -> StorageFuture<'_, ()> {
        Box::pin(async move {
            self.pool.close().await;
            Ok(())
        })
    }
}

fn incident_entry_from_row(row: &PgRow) -> Result<IncidentEntryRow, StorageError> {
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

impl PostgresStorage {
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
             WHERE ($1::text IS NULL OR id IN (SELECT disclosure_id FROM disclosure_subjects WHERE subject_id = $1::text))
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
             WHERE ($1::text IS NULL OR disclosure_id IN (SELECT disclosure_id FROM disclosure_subjects WHERE subject_id = $1::text))
             ORDER BY disclosure_id, position",
        )
        .bind(subject)
        .fetch_all(&self.pool)
        .await
        .map_err(error::query(OPERATION))?;
        let categories = sqlx::query(
            "SELECT disclosure_id, category AS value FROM disclosure_categories
             WHERE ($1::text IS NULL OR disclosure_id IN (SELECT disclosure_id FROM disclosure_subjects WHERE subject_id = $1::text))
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

    /// Nothing listens on port 1 of the loopback address: the error comes at once, says where,
    /// and does not show the password.
    #[tokio::test]
    async fn connection_errors_name_the_server_but_not_the_password() {
        let url = "postgres://skydd:hunter2@127.0.0.1:1/prod";
        let error = PostgresStorage::open(url, None).await.err().unwrap();
        let message = error.to_string();
        assert!(matches!(error, StorageError::Connect(_)), "{error:?}");
        assert!(
            message
                .starts_with("cannot open the database: PostgreSQL database prod at 127.0.0.1:1: "),
            "{message}"
        );
        assert!(!message.contains("hunter2"), "{message}");

        let error = PostgresStorage::open("postgres://u:hunter2@h/db?sslmode=bogus", None).await;
        let message = error.err().unwrap().to_string();
        assert!(message.contains("invalid PostgreSQL URL"), "{message}");
        assert!(!message.contains("hunter2"), "{message}");
    }

    #[test]
    fn schema_names_must_be_plain_identifiers() {
        for good in ["skydd", "_x", "skydd_test_0123abcd", &"a".repeat(63)] {
            assert!(check_schema_name(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "1abc",
            "Skydd",
            "a-b",
            "a b",
            "a\"b",
            "å",
            &"a".repeat(64),
        ] {
            assert!(check_schema_name(bad).is_err(), "{bad}");
        }
    }
}
