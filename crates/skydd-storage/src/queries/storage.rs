//! [`Storage`] for the including backend's `Store`: every operation whose statements are the
//! same on both backends, and a call into the backend module (`super::super::…`) for the rest.

use jiff::Timestamp;
use skydd_crypto::{TokenHash, TokenId};

use super::super::{Store, dialect};
use super::{
    anonymised_record_from_row, audit_event_from_row, checkpoint_from_row, consent_event_from_row,
    disclosure_from_row, feature_switch_from_row, get, identity_from_row, incident_entry_from_row,
    objection_from_row, preference_from_row, read_chain_head, record_from_row,
    register_version_from_row, subject_from_row, subject_key_from_row, token_columns,
    token_from_row,
};
use crate::LedgerUnit;
use crate::{
    AnonymisedRecordRow, ApiTokenRecord, AuditChainHead, AuditCheckpointRow, AuditEventRow,
    AuditFilter, Backend, ChainLinks, ChainedAuditEvent, ConsentEventRow, DisclosureRow,
    FactChangeBounds, FactChangeListener, FactChangeRow, FeatureSwitchRow, IdentityRow,
    IncidentEntryRow, KeyBinding, ObjectionEventRow, OperationsCounts, PoolStatus,
    PreferenceEventRow, RecordDeletion, RecordDeletionOutcome, RecordRow, RecordSummary,
    RegisterVersionRecord, SecurityReviewRow, Storage, StorageError, StorageFuture,
    SubjectAttributeRow, SubjectKeyRow, SubjectRow, SweepLock, TenantAgreementRow, error, rows,
};
use dialect::{Conn, at};

/// The key of the master key check in `skydd_meta`.
const MASTER_KEY_CHECK: &str = "master_key_check";
/// The `skydd_meta` key under which [`crate::Storage::probe_write`] stores the time of its last
/// probe.
const WRITE_PROBE: &str = "write_probe_at";
/// The `skydd_meta` key under which [`crate::Storage::prune_fact_changes`] remembers the seq it
/// pruned the change log through.
/// The seq the change log was pruned through, as `skydd_meta` remembers it (0: never).
async fn fact_changes_pruned(conn: &mut Conn) -> Result<i64, StorageError> {
    let stored: Option<String> = sqlx::query_scalar(super::META_SELECT)
        .bind(super::FACT_CHANGES_PRUNED)
        .fetch_optional(&mut *conn)
        .await
        .map_err(error::query("read how far the change log was pruned"))?;
    super::fact_changes_pruned_from(stored.as_deref())
}

/// [`crate::Storage::prune_fact_changes`] through the pool: transactions of at most
/// [`super::FACT_CHANGES_PRUNED_AT_ONCE`] seqs, each reading and moving how far the log was
/// pruned, so servers pruning one database at once take turns on that row. PostgreSQL's way;
/// SQLite prunes on its ledger writer's connection instead.
#[allow(
    dead_code,
    reason = "compiled for both backends; only PostgreSQL prunes through the pool"
)]
pub(in super::super) async fn prune_fact_changes_through_pool(
    store: &Store,
    up_to_seq: i64,
) -> Result<u64, StorageError> {
    const OPERATION: &str = "prune the change log";
    let mut deleted = 0;
    loop {
        let mut tx = dialect::begin_write(&store.pool)
            .await
            .map_err(error::query(OPERATION))?;
        let pruned = fact_changes_pruned(&mut tx).await?;
        let Some(through) = super::prune_chunk_end(pruned, up_to_seq) else {
            return Ok(deleted);
        };
        let chunk = sqlx::query(super::FACT_CHANGES_PRUNE)
            .bind(through)
            .execute(&mut *tx)
            .await
            .map_err(error::query(OPERATION))?;
        put_meta(&mut tx, super::FACT_CHANGES_PRUNED, &through.to_string())
            .await
            .map_err(error::query(OPERATION))?;
        tx.commit().await.map_err(error::query(OPERATION))?;
        deleted += chunk.rows_affected();
    }
}

/// Map an error from storing `token`: a unique violation names its id (never its hash).
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

/// Store `value` under `key` in `skydd_meta`, replacing what was there, in `conn`.
async fn put_meta(conn: &mut Conn, key: &str, value: &str) -> Result<(), sqlx::Error> {
    sqlx::query(super::META_PUT)
        .bind(key)
        .bind(value)
        .execute(conn)
        .await
        .map(drop)
}

/// The conflict message for an identity blind index already in use: the kind, never the value.
fn identity_conflict(kind: &str) -> String {
    format!("an identity of kind {kind} is already used in this tenant")
}

/// The `INSERT` of an API token, with its values from `$1`..`$8`; `SELECT` instead of
/// `VALUES` lets [`Storage::insert_first_token`] add its condition.
macro_rules! token_insert {
    () => {
        "INSERT INTO api_tokens
             (id, hash, scopes, label, created_at, revoked_at, expires_at, last_used_at)
         SELECT $1, $2, $3, $4, $5, $6, $7, $8"
    };
}

/// Append `events` to the audit chain inside `conn`'s write transaction: read the head (locked
/// until the transaction ends, so one writer chains at a time), give each event the next seq
/// and its hash, store them all with their categories in bulk (the backend's
/// `insert_chained_events`), and move the head.
pub(super) async fn append_chained(
    conn: &mut Conn,
    events: Vec<AuditEventRow>,
) -> Result<Vec<i64>, StorageError> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let head = read_chain_head(&mut *conn, true).await?;
    let chained = super::chain_after(head.seq, head.hash, events);
    let Some((last, hash)) = chained.last() else {
        return Ok(Vec::new());
    };
    let (seq, hash) = (last.seq, *hash);
    super::super::insert_chained_events(&mut *conn, &chained)
        .await
        .map_err(error::query("append audit events"))?;
    sqlx::query(super::CHAIN_HEAD_MOVE)
        .bind(seq)
        .bind(&hash[..])
        .execute(&mut *conn)
        .await
        .map_err(error::query("append audit events"))?;
    Ok(chained.iter().map(|(event, _)| event.seq).collect())
}

/// Store a new subject, its wrapped key and its identities (checked by
/// `rows::check_new_subject`) in `conn`'s write transaction; an identity already used in the
/// tenant is a [`StorageError::Conflict`] naming its kind.
pub(super) async fn insert_subject(
    conn: &mut Conn,
    subject: &SubjectRow,
    key: &SubjectKeyRow,
    identities: &[IdentityRow],
) -> Result<(), StorageError> {
    const OPERATION: &str = "create a subject";
    sqlx::query(
        "INSERT INTO subjects (id, tenant, created_at, restricted_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(&subject.id)
    .bind(&subject.tenant)
    .bind(at(subject.created_at))
    .bind(subject.restricted_at.map(at))
    .execute(&mut *conn)
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
    .execute(&mut *conn)
    .await
    .map_err(error::query(OPERATION))?;
    for identity in identities {
        sqlx::query(
            "INSERT INTO identities (subject_id, tenant, kind, blind_index, ciphertext)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&subject.id)
        .bind(&subject.tenant)
        .bind(&identity.kind)
        .bind(&identity.blind_index)
        .bind(&identity.ciphertext)
        .execute(&mut *conn)
        .await
        .map_err(error::insert(
            OPERATION,
            identity_conflict(&identity.kind),
            None,
        ))?;
    }
    Ok(())
}

/// The `INSERT` of a consent event, returning its seq: [`Storage::append_consent_event`] runs
/// it on the pool, an import batch in its transaction.
pub(super) fn consent_insert<'q>(
    event: &'q ConsentEventRow,
) -> sqlx::query::QueryScalar<'q, dialect::Db, i64, <dialect::Db as sqlx::Database>::Arguments> {
    sqlx::query_scalar(super::CONSENT_INSERT)
        .bind(&event.scope_kind)
        .bind(&event.scope_id)
        .bind(&event.purpose)
        .bind(event.granted)
        .bind(&event.method)
        .bind(&event.notice_version)
        .bind(at(event.at))
        .bind(&event.text_hash)
        .bind(&event.context_ciphertext)
}

/// The `INSERT` of an objection event, returning its seq (on the pool or in an import batch).
pub(super) fn objection_insert<'q>(
    event: &'q ObjectionEventRow,
) -> sqlx::query::QueryScalar<'q, dialect::Db, i64, <dialect::Db as sqlx::Database>::Arguments> {
    sqlx::query_scalar(super::OBJECTION_INSERT)
        .bind(&event.subject_id)
        .bind(&event.purpose)
        .bind(event.objected)
        .bind(&event.source)
        .bind(at(event.at))
}

/// The `INSERT` of a preference event, returning its seq (on the pool or in an import batch).
pub(super) fn preference_insert<'q>(
    event: &'q PreferenceEventRow,
) -> sqlx::query::QueryScalar<'q, dialect::Db, i64, <dialect::Db as sqlx::Database>::Arguments> {
    sqlx::query_scalar(super::PREFERENCE_INSERT)
        .bind(&event.subject_id)
        .bind(&event.kind)
        .bind(&event.name)
        .bind(event.opted_in)
        .bind(at(event.at))
}

/// Store `record` and its anchors (checked by `rows::check_new_record`) in `conn`'s write
/// transaction, one statement each: the plain form both backends understand, for batches.
pub(super) async fn insert_record_in(
    conn: &mut Conn,
    record: &RecordRow,
) -> Result<(), StorageError> {
    super::bind_record(super::record_insert!(), record)
        .execute(&mut *conn)
        .await
        .map_err(error::insert(
            "insert a record",
            format!("a record with id {} already exists", record.id),
            Some("its subject does not exist"),
        ))?;
    for (event, when) in &record.anchors {
        sqlx::query("INSERT INTO record_anchors (record_id, event, at) VALUES ($1, $2, $3)")
            .bind(&record.id)
            .bind(event)
            .bind(at(*when))
            .execute(&mut *conn)
            .await
            .map_err(error::query("insert a record's anchor"))?;
    }
    insert_mentions(conn, &record.id, &record.mentions)
        .await
        .map_err(error::query("insert a record's mentions"))
}

/// Store the identities `record_id`'s free text mentions, each once (issue 21).
pub(in super::super) async fn insert_mentions(
    conn: &mut Conn,
    record_id: &str,
    mentions: &[crate::MentionRow],
) -> Result<(), sqlx::Error> {
    for mention in mentions {
        sqlx::query(
            "INSERT INTO record_mentions (record_id, kind, blind_index) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING",
        )
        .bind(record_id)
        .bind(&mention.kind)
        .bind(&mention.blind_index)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Store `token` with the statement `sql` (made by `token_insert!`), in `conn`.
async fn put_token(
    conn: &mut Conn,
    sql: &'static str,
    token: &ApiTokenRecord,
) -> Result<u64, StorageError> {
    let inserted = sqlx::query(sql)
        .bind(&token.id.0)
        .bind(&token.hash.0)
        .bind(token.scopes.join(" "))
        .bind(&token.label)
        .bind(at(token.created_at))
        .bind(token.revoked_at.map(at))
        .bind(token.expires_at.map(at))
        .bind(token.last_used_at.map(at))
        .execute(conn)
        .await
        .map_err(duplicate_token(token))?;
    Ok(inserted.rows_affected())
}

impl Store {
    /// Every disclosure, or with `subject` only those that included that subject, with their
    /// subjects and categories, oldest first.
    async fn disclosures_including(
        &self,
        subject: Option<&str>,
    ) -> Result<Vec<DisclosureRow>, StorageError> {
        // `$1 IS NULL` (every disclosure) or `id` among the disclosures of subject `$1`.
        macro_rules! including {
            ($id:literal) => {
                concat!(
                    "($1 IS NULL OR ",
                    $id,
                    " IN (SELECT disclosure_id FROM disclosure_subjects WHERE subject_id = $1))"
                )
            };
        }
        const T: &str = "disclosures";
        const OPERATION: &str = "read disclosures";
        let heads = sqlx::query(concat!(
            "SELECT id, at, actor, recipient, purpose, legal_basis, decision_kind,
                    decision_reference, decided_by, decided_on, document_sha256
             FROM disclosures WHERE ",
            including!("id"),
            " ORDER BY at, id"
        ))
        .bind(subject)
        .fetch_all(&self.pool)
        .await
        .map_err(error::query(OPERATION))?;
        let heads = heads
            .iter()
            .map(disclosure_from_row)
            .collect::<Result<Vec<_>, StorageError>>()?;
        let subjects = sqlx::query(concat!(
            "SELECT disclosure_id, subject_id AS value FROM disclosure_subjects WHERE ",
            including!("disclosure_id"),
            " ORDER BY disclosure_id, position"
        ))
        .bind(subject)
        .fetch_all(&self.pool)
        .await
        .map_err(error::query(OPERATION))?;
        let categories = sqlx::query(concat!(
            "SELECT disclosure_id, category AS value FROM disclosure_categories WHERE ",
            including!("disclosure_id"),
            " ORDER BY disclosure_id, position"
        ))
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

impl Storage for Store {
    fn backend(&self) -> Backend {
        super::super::BACKEND
    }

    // -- Schema, master key, API tokens, register versions ----------------------------------------

    fn schema_version(&self) -> StorageFuture<'_, i64> {
        Box::pin(async move {
            sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM skydd_migrations")
                .fetch_one(&self.pool)
                .await
                .map_err(error::query("read the schema version"))
        })
    }

    fn probe_write(&self, at: Timestamp) -> StorageFuture<'_, ()> {
        Box::pin(async move {
            const OPERATION: &str = "probe a write";
            let mut tx = dialect::begin_write(&self.pool)
                .await
                .map_err(error::query(OPERATION))?;
            put_meta(&mut tx, WRITE_PROBE, &at.to_string())
                .await
                .map_err(error::query(OPERATION))?;
            tx.commit().await.map_err(error::query(OPERATION))?;
            super::super::files_take_writes(self)
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
            let mut conn = self
                .pool
                .acquire()
                .await
                .map_err(error::query("insert API token"))?;
            put_token(&mut conn, token_insert!(), &token).await?;
            Ok(())
        })
    }

    fn insert_first_token(&self, token: ApiTokenRecord) -> StorageFuture<'_, bool> {
        Box::pin(async move {
            // The backend makes "no token yet" and the insert one step for every process and
            // server (see `begin_first_token` in each backend).
            let mut tx = super::super::begin_first_token(&self.pool).await?;
            let sql = concat!(
                token_insert!(),
                " WHERE NOT EXISTS (SELECT 1 FROM api_tokens)"
            );
            let inserted = put_token(&mut tx, sql, &token).await?;
            tx.commit()
                .await
                .map_err(error::query("commit the first token"))?;
            Ok(inserted == 1)
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

    fn touch_token<'a>(
        &'a self,
        id: &'a TokenId,
        at: Timestamp,
        not_after: Timestamp,
    ) -> StorageFuture<'a, bool> {
        Box::pin(async move {
            let touched = sqlx::query(
                "UPDATE api_tokens SET last_used_at = $1
                 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at <= $3)",
            )
            .bind(dialect::at(at))
            .bind(&id.0)
            .bind(dialect::at(not_after))
            .execute(&self.pool)
            .await
            .map_err(error::query("record the use of an API token"))?;
            Ok(touched.rows_affected() == 1)
        })
    }

    fn revoke_token<'a>(&'a self, id: &'a TokenId, at: Timestamp) -> StorageFuture<'a, bool> {
        Box::pin(async move {
            let revoked = sqlx::query(
                "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
            )
            .bind(dialect::at(at))
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
            .bind(at(version.first_loaded_at))
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

    // -- Subjects, identities, keys (the vault) ---------------------------------------------------

    fn create_subject(
        &self,
        subject: SubjectRow,
        key: SubjectKeyRow,
        identities: Vec<IdentityRow>,
    ) -> StorageFuture<'_, ()> {
        Box::pin(async move {
            rows::check_new_subject(&subject, &key, &identities)?;
            let mut tx = dialect::begin_write(&self.pool)
                .await
                .map_err(error::query("begin creating a subject"))?;
            insert_subject(&mut tx, &subject, &key, &identities).await?;
            tx.commit().await.map_err(error::query("create a subject"))
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
        Box::pin(super::super::get_subject(self, id))
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
            rows.iter().map(identity_from_row).collect()
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

    fn subject_with_key<'a>(
        &'a self,
        id: &'a str,
    ) -> StorageFuture<'a, Option<(SubjectRow, Option<SubjectKeyRow>)>> {
        Box::pin(super::super::subject_with_key(self, id))
    }

    fn set_restricted<'a>(
        &'a self,
        subject_id: &'a str,
        restricted_at: Option<Timestamp>,
    ) -> StorageFuture<'a, bool> {
        Box::pin(async move {
            let updated = sqlx::query("UPDATE subjects SET restricted_at = $1 WHERE id = $2")
                .bind(restricted_at.map(at))
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

    // -- Records ----------------------------------------------------------------------------------

    fn insert_record(&self, record: RecordRow) -> StorageFuture<'_, ()> {
        Box::pin(async move {
            rows::check_new_record(&record)?;
            // Each backend stores the anchors its own way; both fail only on the record's
            // row (the anchors' events were checked to be distinct, their record is new).
            super::super::insert_record(self, &record)
                .await
                .map_err(error::insert(
                    "insert a record",
                    format!("a record with id {} already exists", record.id),
                    Some("its subject does not exist"),
                ))
        })
    }

    fn records_of_subject<'a>(&'a self, subject_id: &'a str) -> StorageFuture<'a, Vec<RecordRow>> {
        Box::pin(async move {
            let rows = sqlx::query(concat!(
                "SELECT r.id, r.subject_id, r.category, r.purpose, r.source, r.collected_at,
                        r.ciphertext, r.combined_from, a.event, a.at
                 FROM records r LEFT JOIN record_anchors a ON a.record_id = r.id
                 WHERE r.subject_id = $1
                 ORDER BY r.collected_at, r.id",
                dialect::bytewise!(),
                ", a.event",
                dialect::bytewise!()
            ))
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
            .bind(dialect::at(at))
            .bind(record_id)
            .execute(&self.pool)
            .await
            .map_err(error::query("set a record anchor"))?;
            Ok(set.rows_affected() == 1)
        })
    }

    // -- Consent ledger, objections, preferences, feature switches --------------------------------

    fn append_consent_event(&self, event: ConsentEventRow) -> StorageFuture<'_, i64> {
        Box::pin(async move {
            consent_insert(&event)
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
            rows.iter().map(consent_event_from_row).collect()
        })
    }

    fn append_objection(&self, event: ObjectionEventRow) -> StorageFuture<'_, i64> {
        Box::pin(async move {
            objection_insert(&event)
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
            rows.iter().map(objection_from_row).collect()
        })
    }

    fn append_preference(&self, event: PreferenceEventRow) -> StorageFuture<'_, i64> {
        Box::pin(async move {
            preference_insert(&event)
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
            rows.iter().map(preference_from_row).collect()
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
            .bind(at(event.at))
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
            rows.iter().map(feature_switch_from_row).collect()
        })
    }

    // -- The change log of decision facts ---------------------------------------------------------

    fn fact_changes_after(
        &self,
        after_seq: i64,
        limit: usize,
    ) -> StorageFuture<'_, Vec<FactChangeRow>> {
        Box::pin(async move {
            const T: &str = "fact_changes";
            let rows = sqlx::query(
                "SELECT seq, kind, key FROM fact_changes WHERE seq > $1 ORDER BY seq LIMIT $2",
            )
            .bind(after_seq)
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await
            .map_err(error::query("read the change log"))?;
            rows.iter()
                .map(|row| {
                    Ok(FactChangeRow {
                        seq: get(row, "seq", T)?,
                        kind: get(row, "kind", T)?,
                        key: get(row, "key", T)?,
                    })
                })
                .collect()
        })
    }

    fn fact_changes_bounds(&self) -> StorageFuture<'_, FactChangeBounds> {
        Box::pin(async move {
            const OPERATION: &str = "read the change log's bounds";
            let mut conn = self.pool.acquire().await.map_err(error::query(OPERATION))?;
            let newest: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM fact_changes")
                .fetch_one(&mut *conn)
                .await
                .map_err(error::query(OPERATION))?;
            let pruned_through = fact_changes_pruned(&mut conn).await?;
            Ok(FactChangeBounds {
                pruned_through,
                newest: newest.max(pruned_through),
            })
        })
    }

    fn prune_fact_changes(&self, up_to_seq: i64) -> StorageFuture<'_, u64> {
        Box::pin(super::super::prune_fact_changes(self, up_to_seq))
    }

    fn listen_fact_changes(&self) -> StorageFuture<'_, Option<FactChangeListener>> {
        Box::pin(super::super::listen_fact_changes(self))
    }

    // -- Audit ------------------------------------------------------------------------------------

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
            let mut tx = dialect::begin_write(&self.pool)
                .await
                .map_err(error::query("begin appending audit events"))?;
            let seqs = append_chained(&mut tx, events).await?;
            tx.commit().await.map_err(error::query(OPERATION))?;
            Ok(seqs)
        })
    }

    fn blocking_ledger(&self) -> Option<crate::BlockingLedger> {
        super::super::blocking_ledger(self)
    }

    fn append_ledger(&self, units: Vec<LedgerUnit>) -> StorageFuture<'_, ()> {
        Box::pin(async move {
            if units.is_empty() {
                return Ok(());
            }
            super::super::append_ledger(self, units).await
        })
    }

    fn audit_events_for_subject<'a>(
        &'a self,
        subject_id: &'a str,
    ) -> StorageFuture<'a, Vec<AuditEventRow>> {
        Box::pin(async move {
            // The index's entries up to the subject's mark and a scan of the events above it
            // (the tail no round has reached yet), in one snapshot; the two never overlap
            // (migrations 15 and 24).
            let rows = sqlx::query(concat!(
                "WITH ",
                super::subject_mark_of!("$1"),
                ",
                 subject_seqs AS (
                     SELECT x.seq FROM audit_subject_entries x
                     WHERE x.subject_id = $1 AND x.seq <= (SELECT seq FROM mark)
                     UNION ALL
                     SELECT t.seq FROM audit_events t
                     WHERE t.seq > (SELECT seq FROM mark) AND t.subject_id = $1
                 )
                 SELECT e.seq, e.at, e.actor, e.ip, e.action, e.purpose, e.subject_id, e.outcome,
                        e.detail, c.category
                 FROM subject_seqs s
                 JOIN audit_events e ON e.seq = s.seq
                 LEFT JOIN audit_event_categories c ON c.event_seq = e.seq
                 ORDER BY e.seq, c.position",
            ))
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

    // -- Incidents and disclosures ----------------------------------------------------------------

    fn append_incident_entry(&self, entry: IncidentEntryRow) -> StorageFuture<'_, ()> {
        Box::pin(async move {
            sqlx::query(
                "INSERT INTO incident_entries (incident_id, position, at, actor, kind, body)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&entry.incident_id)
            .bind(entry.position)
            .bind(at(entry.at))
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
            let mut tx = dialect::begin_write(&self.pool)
                .await
                .map_err(error::query(OPERATION))?;
            sqlx::query(
                "INSERT INTO disclosures (id, at, actor, recipient, purpose, legal_basis,
                    decision_kind, decision_reference, decided_by, decided_on, document_sha256)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(&disclosure.id)
            .bind(at(disclosure.at))
            .bind(&disclosure.actor)
            .bind(&disclosure.recipient)
            .bind(&disclosure.purpose)
            .bind(&disclosure.legal_basis)
            .bind(disclosure.decision.as_ref().map(|d| &d.kind))
            .bind(disclosure.decision.as_ref().map(|d| &d.reference))
            .bind(disclosure.decision.as_ref().map(|d| &d.decided_by))
            .bind(disclosure.decision.as_ref().map(|d| &d.decided_on))
            .bind(
                disclosure
                    .decision
                    .as_ref()
                    .and_then(|d| d.document_sha256.as_ref()),
            )
            .execute(&mut *tx)
            .await
            .map_err(error::insert(
                OPERATION,
                format!("a disclosure with id {} already exists", disclosure.id),
                None,
            ))?;
            for (sql, values) in [
                (
                    "INSERT INTO disclosure_subjects (disclosure_id, position, subject_id)
                     VALUES ($1, $2, $3)",
                    &disclosure.subjects,
                ),
                (
                    "INSERT INTO disclosure_categories (disclosure_id, position, category)
                     VALUES ($1, $2, $3)",
                    &disclosure.categories,
                ),
            ] {
                for (position, value) in (0_i64..).zip(values) {
                    sqlx::query(sql)
                        .bind(&disclosure.id)
                        .bind(position)
                        .bind(value)
                        .execute(&mut *tx)
                        .await
                        .map_err(error::query(OPERATION))?;
                }
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

    // -- Security reviews -------------------------------------------------------------------------

    fn insert_security_review(&self, review: SecurityReviewRow) -> StorageFuture<'_, i64> {
        Box::pin(async move {
            const OPERATION: &str = "record a security review";
            let mut tx = dialect::begin_write(&self.pool)
                .await
                .map_err(error::query(OPERATION))?;
            let seq: i64 = sqlx::query_scalar(
                "INSERT INTO security_reviews (reviewed_on, recorded_at, recorded_by, summary)
                 VALUES ($1, $2, $3, $4) RETURNING seq",
            )
            .bind(&review.reviewed_on)
            .bind(at(review.recorded_at))
            .bind(&review.recorded_by)
            .bind(&review.summary)
            .fetch_one(&mut *tx)
            .await
            .map_err(error::query(OPERATION))?;
            tx.commit().await.map_err(error::query(OPERATION))?;
            Ok(seq)
        })
    }

    fn security_reviews(&self) -> StorageFuture<'_, Vec<SecurityReviewRow>> {
        Box::pin(async move {
            const TABLE: &str = "security_reviews";
            let rows = sqlx::query(
                "SELECT seq, reviewed_on, recorded_at, recorded_by, summary
                 FROM security_reviews ORDER BY seq",
            )
            .fetch_all(&self.pool)
            .await
            .map_err(error::query("read the security reviews"))?;
            rows.iter()
                .map(|row| {
                    Ok(SecurityReviewRow {
                        seq: get(row, "seq", TABLE)?,
                        reviewed_on: get(row, "reviewed_on", TABLE)?,
                        recorded_at: super::get_at(row, "recorded_at", TABLE)?,
                        recorded_by: get(row, "recorded_by", TABLE)?,
                        summary: get(row, "summary", TABLE)?,
                    })
                })
                .collect()
        })
    }

    // -- Subject attributes -----------------------------------------------------------------------

    fn set_subject_attribute(&self, row: SubjectAttributeRow) -> StorageFuture<'_, bool> {
        Box::pin(async move {
            // One statement: written only when the subject exists, replacing earlier dates.
            let written = sqlx::query(
                "INSERT INTO subject_attributes (subject_id, attribute, since, until, recorded_at)
                 SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM subjects WHERE id = $1)
                 ON CONFLICT (subject_id, attribute) DO UPDATE SET
                     since = excluded.since, until = excluded.until,
                     recorded_at = excluded.recorded_at",
            )
            .bind(&row.subject_id)
            .bind(&row.attribute)
            .bind(at(row.since))
            .bind(row.until.map(at))
            .bind(at(row.recorded_at))
            .execute(&self.pool)
            .await
            .map_err(error::query("set a subject's attribute"))?;
            Ok(written.rows_affected() == 1)
        })
    }

    fn remove_subject_attribute<'a>(
        &'a self,
        subject_id: &'a str,
        attribute: &'a str,
    ) -> StorageFuture<'a, bool> {
        Box::pin(async move {
            let removed = sqlx::query(
                "DELETE FROM subject_attributes WHERE subject_id = $1 AND attribute = $2",
            )
            .bind(subject_id)
            .bind(attribute)
            .execute(&self.pool)
            .await
            .map_err(error::query("remove a subject's attribute"))?;
            Ok(removed.rows_affected() == 1)
        })
    }

    fn subject_attributes<'a>(
        &'a self,
        subject_id: &'a str,
    ) -> StorageFuture<'a, Vec<SubjectAttributeRow>> {
        Box::pin(async move {
            const TABLE: &str = "subject_attributes";
            let rows = sqlx::query(
                "SELECT subject_id, attribute, since, until, recorded_at
                 FROM subject_attributes WHERE subject_id = $1 ORDER BY attribute",
            )
            .bind(subject_id)
            .fetch_all(&self.pool)
            .await
            .map_err(error::query("read a subject's attributes"))?;
            rows.iter()
                .map(|row| {
                    Ok(SubjectAttributeRow {
                        subject_id: get(row, "subject_id", TABLE)?,
                        attribute: get(row, "attribute", TABLE)?,
                        since: super::get_at(row, "since", TABLE)?,
                        until: super::get_optional_at(row, "until", TABLE)?,
                        recorded_at: super::get_at(row, "recorded_at", TABLE)?,
                    })
                })
                .collect()
        })
    }

    // -- Tenant agreements --------------------------------------------------------------------------

    fn insert_tenant_agreement(&self, row: TenantAgreementRow) -> StorageFuture<'_, i64> {
        Box::pin(async move {
            sqlx::query_scalar(
                "INSERT INTO tenant_agreements (tenant, version, signed_at, recorded_by, recorded_at)
                 VALUES ($1, $2, $3, $4, $5) RETURNING seq",
            )
            .bind(&row.tenant)
            .bind(&row.version)
            .bind(at(row.signed_at))
            .bind(&row.recorded_by)
            .bind(at(row.recorded_at))
            .fetch_one(&self.pool)
            .await
            .map_err(error::query("record a tenant's processing agreement"))
        })
    }

    fn tenant_agreements<'a>(
        &'a self,
        tenant: &'a str,
    ) -> StorageFuture<'a, Vec<TenantAgreementRow>> {
        Box::pin(async move {
            const TABLE: &str = "tenant_agreements";
            let rows = sqlx::query(
                "SELECT seq, tenant, version, signed_at, recorded_by, recorded_at
                 FROM tenant_agreements WHERE tenant = $1 ORDER BY seq",
            )
            .bind(tenant)
            .fetch_all(&self.pool)
            .await
            .map_err(error::query("read a tenant's processing agreements"))?;
            rows.iter()
                .map(|row| {
                    Ok(TenantAgreementRow {
                        seq: get(row, "seq", TABLE)?,
                        tenant: get(row, "tenant", TABLE)?,
                        version: get(row, "version", TABLE)?,
                        signed_at: super::get_at(row, "signed_at", TABLE)?,
                        recorded_by: get(row, "recorded_by", TABLE)?,
                        recorded_at: super::get_at(row, "recorded_at", TABLE)?,
                    })
                })
                .collect()
        })
    }

    // -- Audit chain ------------------------------------------------------------------------------

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
            let sql = if filter.subject_id.is_some() {
                super::AUDIT_ENTRIES_OF_SUBJECT
            } else {
                super::AUDIT_ENTRIES
            };
            let rows = sqlx::query(sql)
                .bind(after_seq)
                .bind(&filter.subject_id)
                .bind(filter.from.map(at))
                .bind(filter.to.map(at))
                .bind(rows::limit_to_db(limit))
                .bind(&filter.actor)
                .bind(&filter.action)
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
        Box::pin(super::super::audit_chain_links(self, after_seq, up_to_seq))
    }

    fn audit_chain_tip(&self) -> StorageFuture<'_, (AuditChainHead, i64)> {
        Box::pin(async move {
            // One statement: the head and the highest seq in one snapshot.
            let row = sqlx::query(
                "SELECT first_seq, seq, hash,
                        (SELECT COALESCE(MAX(seq), 0) FROM audit_events) AS last
                 FROM audit_chain_head WHERE id = 1",
            )
            .fetch_one(&self.pool)
            .await
            .map_err(error::query("read the audit chain's tip"))?;
            Ok((
                super::chain_head_from_row(&row)?,
                get(&row, "last", "audit_events")?,
            ))
        })
    }

    fn index_audit_subjects(&self, limit: usize) -> StorageFuture<'_, u64> {
        Box::pin(super::super::index_audit_subjects(self, limit))
    }

    fn audit_subject_index_mark(&self) -> StorageFuture<'_, i64> {
        Box::pin(async move {
            let row = sqlx::query(super::subject_mark_select!())
                .fetch_one(&self.pool)
                .await
                .map_err(error::query("read the audit subject index's mark"))?;
            get(&row, "seq", "audit_subject_mark")
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
            .bind(at(checkpoint.at))
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

    // -- Deletion (retention, erasure) ------------------------------------------------------------

    fn records_page<'a>(
        &'a self,
        after_id: Option<&'a str>,
        limit: usize,
    ) -> StorageFuture<'a, Vec<RecordSummary>> {
        Box::pin(super::super::records_page(self, after_id, limit))
    }

    fn record_ciphertexts<'a>(
        &'a self,
        ids: &'a [String],
    ) -> StorageFuture<'a, Vec<(String, Vec<u8>)>> {
        Box::pin(async move {
            let rows: Vec<(String, Vec<u8>)> = sqlx::query_as(concat!(
                "SELECT id, ciphertext FROM records WHERE id ",
                dialect::id_in!("$1"),
                " ORDER BY id"
            ))
            .bind(dialect::id_list(ids)?)
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
            let mut tx = dialect::begin_write(&self.pool)
                .await
                .map_err(error::query("begin deleting records"))?;
            // Each backend deletes the records its fastest way and says what was still there.
            let deleted =
                super::super::delete_listed_records(&mut tx, &deletion.delete, &deletion.anonymise)
                    .await?;
            for remains in &deletion.anonymise {
                if !deleted.anonymisable.contains(&remains.record_id) {
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
                .bind(at(remains.anonymised_at))
                .execute(&mut *tx)
                .await
                .map_err(error::query(OPERATION))?;
            }
            let mut shredded: Vec<String> = sqlx::query_scalar(concat!(
                "DELETE FROM subjects WHERE id ",
                dialect::id_in!("$1"),
                " AND NOT EXISTS (SELECT 1 FROM records r WHERE r.subject_id = subjects.id)
                 RETURNING id"
            ))
            .bind(dialect::id_list(&deleted.subjects)?)
            .fetch_all(&mut *tx)
            .await
            .map_err(error::query(OPERATION))?;
            shredded.sort();
            let mut audit = deletion.audit;
            if let Some(shred_audit) = deletion.shred_audit
                && !shredded.is_empty()
            {
                audit.push(shred_audit(&shredded));
            }
            append_chained(&mut tx, audit).await?;
            tx.commit().await.map_err(error::query(OPERATION))?;
            Ok(RecordDeletionOutcome {
                records: deleted.records,
                shredded,
            })
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
            rows.iter().map(anonymised_record_from_row).collect()
        })
    }

    fn try_sweep_lock(&self) -> StorageFuture<'_, Option<SweepLock>> {
        Box::pin(super::super::try_sweep_lock(self))
    }

    fn release_sweep_lock(&self, lock: SweepLock) -> StorageFuture<'_, ()> {
        Box::pin(super::super::release_sweep_lock(lock))
    }

    fn operations_counts(&self, now: Timestamp) -> StorageFuture<'_, OperationsCounts> {
        Box::pin(async move {
            let row = sqlx::query(
                "SELECT
                   (SELECT COUNT(*) FROM requests WHERE closed_at IS NULL) AS open_requests,
                   (SELECT COUNT(*) FROM requests WHERE closed_at IS NULL AND due_at < $1)
                     AS overdue_requests,
                   (SELECT COUNT(*) FROM outbox_messages WHERE state = 'queued') AS queued,
                   (SELECT COUNT(*) FROM outbox_messages WHERE state = 'failed') AS failed",
            )
            .bind(at(now))
            .fetch_one(&self.pool)
            .await
            .map_err(error::query("count open requests and the outbox"))?;
            let count = |column: &str, table: &str| -> Result<u64, StorageError> {
                // A COUNT is never negative.
                Ok(u64::try_from(get::<i64>(&row, column, table)?).unwrap_or(0))
            };
            Ok(OperationsCounts {
                open_requests: count("open_requests", "requests")?,
                overdue_requests: count("overdue_requests", "requests")?,
                outbox_queued: count("queued", "outbox_messages")?,
                outbox_failed: count("failed", "outbox_messages")?,
            })
        })
    }

    fn latest_audit_checkpoint(&self) -> StorageFuture<'_, Option<AuditCheckpointRow>> {
        Box::pin(async move {
            let row = sqlx::query(
                "SELECT seq, hash, at, public_key, signature FROM audit_checkpoints
                 ORDER BY seq DESC LIMIT 1",
            )
            .fetch_optional(&self.pool)
            .await
            .map_err(error::query("read the newest audit checkpoint"))?;
            row.as_ref().map(checkpoint_from_row).transpose()
        })
    }

    fn pool_status(&self) -> PoolStatus {
        PoolStatus {
            size: self.pool.size(),
            // Never more than `size`, which is a `u32`.
            idle: u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX),
            max: self.pool.options().get_max_connections(),
        }
    }

    fn backup_into<'a>(&'a self, target: &'a std::path::Path) -> StorageFuture<'a, ()> {
        Box::pin(super::super::backup_into(self, target))
    }

    fn close(&self) -> StorageFuture<'_, ()> {
        Box::pin(async move {
            self.pool.close().await;
            super::super::close_own_connections(self).await;
            Ok(())
        })
    }
}
