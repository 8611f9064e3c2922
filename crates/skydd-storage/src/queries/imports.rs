//! [`ImportStore`] for the including backend's `Store`: bulk imports (issue 19). A batch is one
//! write transaction: the import's progress is moved first (so a second run of the same import
//! waits for, then fails on, the first one's lock instead of writing the same lines), then the
//! batch's subjects, ledger events, records and audit events, with the statements the single
//! writes use.

use super::super::{Store, dialect};
use super::storage::{
    append_chained, consent_insert, insert_record_in, insert_subject, objection_insert,
    preference_insert,
};
use super::{get, get_at};
use crate::{
    ImportBatch, ImportProgressRow, ImportStore, StorageError, StorageFuture, error, rows,
};
use dialect::{Conn, Db, DbRow, at};

fn progress_from_row(row: &DbRow) -> Result<ImportProgressRow, StorageError> {
    const T: &str = "imports";
    let count = |column: &str| -> Result<u64, StorageError> {
        let value: i64 = get(row, column, T)?;
        u64::try_from(value)
            .map_err(|_| StorageError::Database(format!("{T}.{column} is negative")))
    };
    Ok(ImportProgressRow {
        id: get(row, "id", T)?,
        lines_done: count("lines_done")?,
        imported: count("imported")?,
        skipped: count("skipped")?,
        started_at: get_at(row, "started_at", T)?,
        updated_at: get_at(row, "updated_at", T)?,
    })
}

/// A count as the database stores it.
fn to_db(count: u64) -> Result<i64, StorageError> {
    i64::try_from(count).map_err(|_| StorageError::Invalid("an import count out of range".into()))
}

/// Move the import's progress from `lines_before` to `lines_after` (creating its row on the
/// first batch); a [`StorageError::Conflict`] when another run moved it first.
async fn advance(conn: &mut Conn, batch: &ImportBatch) -> Result<(), StorageError> {
    const OPERATION: &str = "record an import's progress";
    sqlx::query::<Db>(
        "INSERT INTO imports (id, lines_done, imported, skipped, started_at, updated_at)
         VALUES ($1, 0, 0, 0, $2, $2) ON CONFLICT (id) DO NOTHING",
    )
    .bind(&batch.import_id)
    .bind(at(batch.at))
    .execute(&mut *conn)
    .await
    .map_err(error::query(OPERATION))?;
    let moved = sqlx::query::<Db>(
        "UPDATE imports SET lines_done = $1, imported = imported + $2, skipped = skipped + $3,
             updated_at = $4
         WHERE id = $5 AND lines_done = $6",
    )
    .bind(to_db(batch.lines_after)?)
    .bind(to_db(batch.rows())?)
    .bind(to_db(batch.skipped)?)
    .bind(at(batch.at))
    .bind(&batch.import_id)
    .bind(to_db(batch.lines_before)?)
    .execute(&mut *conn)
    .await
    .map_err(error::query(OPERATION))?;
    if moved.rows_affected() != 1 {
        return Err(StorageError::Conflict(format!(
            "import {} is no longer at line {}: another run of it has written since",
            batch.import_id, batch.lines_before
        )));
    }
    Ok(())
}

/// Everything of `batch` but the progress, in `conn`'s transaction.
async fn write_rows(conn: &mut Conn, batch: ImportBatch) -> Result<(), StorageError> {
    for new in &batch.subjects {
        insert_subject(&mut *conn, &new.subject, &new.key, &new.identities).await?;
    }
    for event in &batch.consents {
        consent_insert(event)
            .fetch_one(&mut *conn)
            .await
            .map_err(error::query("import a consent event"))?;
    }
    for event in &batch.objections {
        objection_insert(event)
            .fetch_one(&mut *conn)
            .await
            .map_err(error::query("import an objection"))?;
    }
    for event in &batch.preferences {
        preference_insert(event)
            .fetch_one(&mut *conn)
            .await
            .map_err(error::query("import a preference"))?;
    }
    for record in &batch.records {
        insert_record_in(&mut *conn, record).await?;
    }
    append_chained(&mut *conn, batch.audit).await?;
    Ok(())
}

impl ImportStore for Store {
    fn import_progress<'a>(&'a self, id: &'a str) -> StorageFuture<'a, Option<ImportProgressRow>> {
        Box::pin(async move {
            let row = sqlx::query::<Db>(
                "SELECT id, lines_done, imported, skipped, started_at, updated_at
                 FROM imports WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(error::query("read an import's progress"))?;
            row.as_ref().map(progress_from_row).transpose()
        })
    }

    fn write_import_batch(&self, batch: ImportBatch) -> StorageFuture<'_, ImportProgressRow> {
        Box::pin(async move {
            const OPERATION: &str = "write a batch of an import";
            if batch.lines_after < batch.lines_before {
                return Err(StorageError::Invalid(
                    "an import batch that goes backwards".into(),
                ));
            }
            for new in &batch.subjects {
                rows::check_new_subject(&new.subject, &new.key, &new.identities)?;
            }
            for record in &batch.records {
                rows::check_new_record(record)?;
            }
            let id = batch.import_id.clone();
            let mut tx = dialect::begin_write(&self.pool)
                .await
                .map_err(error::query(OPERATION))?;
            advance(&mut tx, &batch).await?;
            write_rows(&mut tx, batch).await?;
            let row = sqlx::query::<Db>(
                "SELECT id, lines_done, imported, skipped, started_at, updated_at
                 FROM imports WHERE id = $1",
            )
            .bind(&id)
            .fetch_one(&mut *tx)
            .await
            .map_err(error::query(OPERATION))?;
            let progress = progress_from_row(&row)?;
            tx.commit().await.map_err(error::query(OPERATION))?;
            Ok(progress)
        })
    }
}
