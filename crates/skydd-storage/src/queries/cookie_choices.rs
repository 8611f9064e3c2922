//! [`CookieChoiceStore`] for the including backend's `Store`: the banner's choices (issue 18).
//! Every statement is the same on both backends; the lists are JSON text, so no backend needs
//! an array type.

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::super::{Store, dialect};
use super::storage::append_chained;
use super::{get, get_at};
use crate::{
    ChoicesDeletedAudit, CookieChoiceRow, CookieChoiceStore, StorageError, StorageFuture, error,
};
use dialect::{Db, DbRow, at};

/// The columns [`choice_from_row`] reads.
macro_rules! choice_columns {
    () => {
        "seq, browser_index, at, method, action, given, refused, services, gpc, dnt, revision,
         notice_version, language, context_ciphertext"
    };
}

/// Why a choice could not be written as JSON (it holds only strings and booleans: never).
fn not_stored(_: serde_json::Error) -> StorageError {
    StorageError::Invalid("a cookie choice that cannot be stored".into())
}

/// Why a stored list or map could not be read back; `column` names it (never the text).
fn not_read(column: &str) -> impl FnOnce(serde_json::Error) -> StorageError + '_ {
    move |_| StorageError::Database(format!("cookie_choices.{column} is not what Skydd wrote"))
}

fn choice_from_row(row: &DbRow) -> Result<CookieChoiceRow, StorageError> {
    const T: &str = "cookie_choices";
    let given: String = get(row, "given", T)?;
    let refused: String = get(row, "refused", T)?;
    let services: String = get(row, "services", T)?;
    Ok(CookieChoiceRow {
        seq: get(row, "seq", T)?,
        browser_index: get(row, "browser_index", T)?,
        at: get_at(row, "at", T)?,
        method: get(row, "method", T)?,
        action: get(row, "action", T)?,
        given: serde_json::from_str(&given).map_err(not_read("given"))?,
        refused: serde_json::from_str(&refused).map_err(not_read("refused"))?,
        services: serde_json::from_str::<BTreeMap<String, bool>>(&services)
            .map_err(not_read("services"))?,
        gpc: get(row, "gpc", T)?,
        dnt: get(row, "dnt", T)?,
        revision: get(row, "revision", T)?,
        notice_version: get(row, "notice_version", T)?,
        language: get(row, "language", T)?,
        context_ciphertext: get(row, "context_ciphertext", T)?,
    })
}

impl CookieChoiceStore for Store {
    fn append_cookie_choice(&self, choice: CookieChoiceRow) -> StorageFuture<'_, i64> {
        Box::pin(async move {
            let given = serde_json::to_string(&choice.given).map_err(not_stored)?;
            let refused = serde_json::to_string(&choice.refused).map_err(not_stored)?;
            let services = serde_json::to_string(&choice.services).map_err(not_stored)?;
            sqlx::query_scalar::<Db, i64>(
                "INSERT INTO cookie_choices (browser_index, at, method, action, given, refused,
                    services, gpc, dnt, revision, notice_version, language, context_ciphertext)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING seq",
            )
            .bind(&choice.browser_index)
            .bind(at(choice.at))
            .bind(&choice.method)
            .bind(&choice.action)
            .bind(given)
            .bind(refused)
            .bind(services)
            .bind(choice.gpc)
            .bind(choice.dnt)
            .bind(&choice.revision)
            .bind(&choice.notice_version)
            .bind(&choice.language)
            .bind(&choice.context_ciphertext)
            .fetch_one(&self.pool)
            .await
            .map_err(error::query("append a cookie choice"))
        })
    }

    fn cookie_choices_of<'a>(
        &'a self,
        browser_index: &'a [u8],
    ) -> StorageFuture<'a, Vec<CookieChoiceRow>> {
        Box::pin(async move {
            let rows = sqlx::query::<Db>(concat!(
                "SELECT ",
                choice_columns!(),
                " FROM cookie_choices WHERE browser_index = $1 ORDER BY seq DESC"
            ))
            .bind(browser_index)
            .fetch_all(&self.pool)
            .await
            .map_err(error::query("read a browser's cookie choices"))?;
            rows.iter().map(choice_from_row).collect()
        })
    }

    fn delete_cookie_choices_before(
        &self,
        before: Timestamp,
        limit: usize,
        audit: ChoicesDeletedAudit,
    ) -> StorageFuture<'_, u64> {
        Box::pin(async move {
            const OPERATION: &str = "delete old cookie choices";
            let mut tx = dialect::begin_write(&self.pool)
                .await
                .map_err(error::query(OPERATION))?;
            let deleted = sqlx::query::<Db>(
                "DELETE FROM cookie_choices WHERE seq IN
                    (SELECT seq FROM cookie_choices WHERE at < $1 ORDER BY seq LIMIT $2)",
            )
            .bind(at(before))
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .execute(&mut *tx)
            .await
            .map_err(error::query(OPERATION))?
            .rows_affected();
            if deleted > 0 {
                append_chained(&mut tx, vec![audit(deleted)]).await?;
            }
            tx.commit().await.map_err(error::query(OPERATION))?;
            Ok(deleted)
        })
    }
}
