//! [`CentreStore`] for the including backend's `Store`: the privacy centre's sign-ins and
//! sessions (issue 18). Every statement is the same on both backends.

use jiff::Timestamp;

use super::super::{Store, dialect};
use super::requests::insert_outbox;
use super::{get, get_at, get_optional_at};
use crate::{
    CentreCutoffs, CentreSessionRow, CentreSignInRow, CentreStore, OutboxMessageRow, StorageError,
    StorageFuture, error,
};
use dialect::{Db, DbRow, at};

/// The columns of `centre_sign_ins` that [`sign_in_from_row`] reads.
macro_rules! sign_in_columns {
    () => {
        "public_id, code_hash, link_hash, browser_hash, subject_id, identities_ciphertext, intent,
         expires_at, attempts_left, ended_at, created_at"
    };
}

/// The columns of `centre_sessions` that [`session_from_row`] reads.
macro_rules! session_columns {
    () => {
        "public_id, secret_hash, subject_id, identities_ciphertext, intent, created_at,
         last_seen_at, ended_at"
    };
}

/// An attempts count read back; a negative one is not one Skydd wrote.
fn attempts(value: i32) -> Result<u32, StorageError> {
    u32::try_from(value).map_err(|_| {
        StorageError::Database("centre_sign_ins.attempts_left is not a count Skydd wrote".into())
    })
}

fn sign_in_from_row(row: &DbRow) -> Result<CentreSignInRow, StorageError> {
    const T: &str = "centre_sign_ins";
    Ok(CentreSignInRow {
        public_id: get(row, "public_id", T)?,
        code_hash: get(row, "code_hash", T)?,
        link_hash: get(row, "link_hash", T)?,
        browser_hash: get(row, "browser_hash", T)?,
        subject_id: get(row, "subject_id", T)?,
        identities_ciphertext: get(row, "identities_ciphertext", T)?,
        intent: get(row, "intent", T)?,
        expires_at: get_at(row, "expires_at", T)?,
        attempts_left: attempts(get(row, "attempts_left", T)?)?,
        ended_at: get_optional_at(row, "ended_at", T)?,
        created_at: get_at(row, "created_at", T)?,
    })
}

fn session_from_row(row: &DbRow) -> Result<CentreSessionRow, StorageError> {
    const T: &str = "centre_sessions";
    Ok(CentreSessionRow {
        public_id: get(row, "public_id", T)?,
        secret_hash: get(row, "secret_hash", T)?,
        subject_id: get(row, "subject_id", T)?,
        identities_ciphertext: get(row, "identities_ciphertext", T)?,
        intent: get(row, "intent", T)?,
        created_at: get_at(row, "created_at", T)?,
        last_seen_at: get_at(row, "last_seen_at", T)?,
        ended_at: get_optional_at(row, "ended_at", T)?,
    })
}

/// Refuse hashes that are not 32 bytes before the database does (its CHECK names no column
/// the same way on both backends).
fn check_hashes(hashes: &[&[u8]], operation: &str) -> Result<(), StorageError> {
    if hashes.iter().all(|hash| hash.len() == 32) {
        Ok(())
    } else {
        Err(StorageError::Invalid(format!(
            "{operation}: a keyed hash is not 32 bytes"
        )))
    }
}

impl CentreStore for Store {
    fn insert_centre_sign_in(
        &self,
        sign_in: CentreSignInRow,
        message: Option<OutboxMessageRow>,
    ) -> StorageFuture<'_, ()> {
        Box::pin(async move {
            const OPERATION: &str = "insert a privacy centre sign-in";
            check_hashes(
                &[
                    &sign_in.code_hash,
                    &sign_in.link_hash,
                    &sign_in.browser_hash,
                ],
                OPERATION,
            )?;
            let mut tx = dialect::begin_write(&self.pool)
                .await
                .map_err(error::query(OPERATION))?;
            sqlx::query::<Db>(concat!(
                "INSERT INTO centre_sign_ins (",
                sign_in_columns!(),
                ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
            ))
            .bind(&sign_in.public_id)
            .bind(&sign_in.code_hash)
            .bind(&sign_in.link_hash)
            .bind(&sign_in.browser_hash)
            .bind(&sign_in.subject_id)
            .bind(&sign_in.identities_ciphertext)
            .bind(&sign_in.intent)
            .bind(at(sign_in.expires_at))
            .bind(i32::try_from(sign_in.attempts_left).unwrap_or(i32::MAX))
            .bind(sign_in.ended_at.map(at))
            .bind(at(sign_in.created_at))
            .execute(&mut *tx)
            .await
            .map_err(error::insert(
                OPERATION,
                format!("sign-in {} (or its link) exists", sign_in.public_id),
                None,
            ))?;
            if let Some(message) = &message {
                insert_outbox(&mut tx, message).await?;
            }
            tx.commit().await.map_err(error::query(OPERATION))
        })
    }

    fn centre_sign_in<'a>(
        &'a self,
        public_id: &'a str,
    ) -> StorageFuture<'a, Option<CentreSignInRow>> {
        Box::pin(async move {
            sqlx::query::<Db>(concat!(
                "SELECT ",
                sign_in_columns!(),
                " FROM centre_sign_ins WHERE public_id = $1"
            ))
            .bind(public_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(error::query("read a privacy centre sign-in"))?
            .as_ref()
            .map(sign_in_from_row)
            .transpose()
        })
    }

    fn centre_sign_in_by_link<'a>(
        &'a self,
        link_hash: &'a [u8],
    ) -> StorageFuture<'a, Option<CentreSignInRow>> {
        Box::pin(async move {
            sqlx::query::<Db>(concat!(
                "SELECT ",
                sign_in_columns!(),
                " FROM centre_sign_ins WHERE link_hash = $1"
            ))
            .bind(link_hash)
            .fetch_optional(&self.pool)
            .await
            .map_err(error::query("find a privacy centre sign-in by its link"))?
            .as_ref()
            .map(sign_in_from_row)
            .transpose()
        })
    }

    fn count_centre_code_attempt<'a>(
        &'a self,
        public_id: &'a str,
        now: Timestamp,
    ) -> StorageFuture<'a, Option<u32>> {
        Box::pin(async move {
            // The right-hand sides read the row as it was: the last attempt ends the sign-in.
            let row = sqlx::query::<Db>(
                "UPDATE centre_sign_ins SET attempts_left = attempts_left - 1,
                     ended_at = CASE WHEN attempts_left <= 1 THEN $2 ELSE ended_at END
                 WHERE public_id = $1 AND ended_at IS NULL AND attempts_left > 0
                 RETURNING attempts_left",
            )
            .bind(public_id)
            .bind(at(now))
            .fetch_optional(&self.pool)
            .await
            .map_err(error::query("count a wrong privacy centre code"))?;
            row.map(|row| attempts(get(&row, "attempts_left", "centre_sign_ins")?))
                .transpose()
        })
    }

    fn open_centre_session<'a>(
        &'a self,
        sign_in: &'a str,
        session: CentreSessionRow,
        now: Timestamp,
    ) -> StorageFuture<'a, bool> {
        Box::pin(async move {
            const OPERATION: &str = "open a privacy centre session";
            check_hashes(&[&session.secret_hash], OPERATION)?;
            let mut tx = dialect::begin_write(&self.pool)
                .await
                .map_err(error::query(OPERATION))?;
            let ended = sqlx::query::<Db>(
                "UPDATE centre_sign_ins SET ended_at = $2
                 WHERE public_id = $1 AND ended_at IS NULL AND expires_at > $2
                   AND attempts_left > 0",
            )
            .bind(sign_in)
            .bind(at(now))
            .execute(&mut *tx)
            .await
            .map_err(error::query(OPERATION))?;
            if ended.rows_affected() != 1 {
                tx.rollback().await.map_err(error::query(OPERATION))?;
                return Ok(false);
            }
            sqlx::query::<Db>(concat!(
                "INSERT INTO centre_sessions (",
                session_columns!(),
                ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
            ))
            .bind(&session.public_id)
            .bind(&session.secret_hash)
            .bind(&session.subject_id)
            .bind(&session.identities_ciphertext)
            .bind(&session.intent)
            .bind(at(session.created_at))
            .bind(at(session.last_seen_at))
            .bind(session.ended_at.map(at))
            .execute(&mut *tx)
            .await
            .map_err(error::insert(
                OPERATION,
                format!("session {} exists", session.public_id),
                None,
            ))?;
            tx.commit().await.map_err(error::query(OPERATION))?;
            Ok(true)
        })
    }

    fn centre_session<'a>(
        &'a self,
        secret_hash: &'a [u8],
    ) -> StorageFuture<'a, Option<CentreSessionRow>> {
        Box::pin(async move {
            sqlx::query::<Db>(concat!(
                "SELECT ",
                session_columns!(),
                " FROM centre_sessions WHERE secret_hash = $1"
            ))
            .bind(secret_hash)
            .fetch_optional(&self.pool)
            .await
            .map_err(error::query("read a privacy centre session"))?
            .as_ref()
            .map(session_from_row)
            .transpose()
        })
    }

    fn centre_session_by_id<'a>(
        &'a self,
        public_id: &'a str,
    ) -> StorageFuture<'a, Option<CentreSessionRow>> {
        Box::pin(async move {
            sqlx::query::<Db>(concat!(
                "SELECT ",
                session_columns!(),
                " FROM centre_sessions WHERE public_id = $1"
            ))
            .bind(public_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(error::query("read a privacy centre session by its id"))?
            .as_ref()
            .map(session_from_row)
            .transpose()
        })
    }

    fn touch_centre_session<'a>(
        &'a self,
        public_id: &'a str,
        now: Timestamp,
    ) -> StorageFuture<'a, ()> {
        Box::pin(async move {
            sqlx::query::<Db>(
                "UPDATE centre_sessions SET last_seen_at = $2
                 WHERE public_id = $1 AND ended_at IS NULL AND last_seen_at < $2",
            )
            .bind(public_id)
            .bind(at(now))
            .execute(&self.pool)
            .await
            .map_err(error::query(
                "record a privacy centre session's last request",
            ))?;
            Ok(())
        })
    }

    fn end_centre_session<'a>(
        &'a self,
        public_id: &'a str,
        now: Timestamp,
    ) -> StorageFuture<'a, bool> {
        Box::pin(async move {
            let ended = sqlx::query::<Db>(
                "UPDATE centre_sessions SET ended_at = $2
                 WHERE public_id = $1 AND ended_at IS NULL",
            )
            .bind(public_id)
            .bind(at(now))
            .execute(&self.pool)
            .await
            .map_err(error::query("end a privacy centre session"))?;
            Ok(ended.rows_affected() == 1)
        })
    }

    fn delete_stale_centre_rows(&self, cutoffs: CentreCutoffs) -> StorageFuture<'_, u64> {
        Box::pin(async move {
            const OPERATION: &str = "delete stale privacy centre sign-ins and sessions";
            let mut tx = dialect::begin_write(&self.pool)
                .await
                .map_err(error::query(OPERATION))?;
            let sign_ins = sqlx::query::<Db>(
                "DELETE FROM centre_sign_ins WHERE ended_at IS NOT NULL OR expires_at <= $1",
            )
            .bind(at(cutoffs.sign_ins_expired_by))
            .execute(&mut *tx)
            .await
            .map_err(error::query(OPERATION))?;
            let sessions = sqlx::query::<Db>(
                "DELETE FROM centre_sessions
                 WHERE ended_at IS NOT NULL OR last_seen_at <= $1 OR created_at <= $2",
            )
            .bind(at(cutoffs.sessions_idle_since))
            .bind(at(cutoffs.sessions_begun_by))
            .execute(&mut *tx)
            .await
            .map_err(error::query(OPERATION))?;
            tx.commit().await.map_err(error::query(OPERATION))?;
            Ok(sign_ins.rows_affected() + sessions.rows_affected())
        })
    }
}
