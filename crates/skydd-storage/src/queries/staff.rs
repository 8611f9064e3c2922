//! [`StaffStore`] for the including backend's `Store`: staff accounts, recovery codes and
//! console sessions. Every statement is the same on both backends.

use jiff::Timestamp;

use super::super::{Store, dialect};
use super::{get, get_at, get_optional_at};
use crate::{
    StaffAccountRow, StaffFactor, StaffSessionRow, StaffSignIn, StaffStore, StaffTrainingRow,
    StorageError, StorageFuture, error,
};
use dialect::{Conn, Db, DbRow, at};

/// The columns of `staff_accounts` (as `a`) that [`account_from_row`] reads.
macro_rules! account_columns {
    () => {
        "a.id, a.email_blind_index, a.email_ciphertext, a.role, a.state, a.password_hash,
         a.totp_ciphertext, a.totp_last_step, a.failed_attempts, a.last_failure_at, a.created_at,
         a.updated_at, a.last_sign_in_at,
         (SELECT count(*) FROM staff_recovery_codes r
           WHERE r.account_id = a.id AND r.used_at IS NULL) AS recovery_codes_left"
    };
}

/// The columns of `staff_sessions` that [`session_from_row`] reads.
macro_rules! session_columns {
    () => {
        "public_id, secret_hash, account_id, stage, created_at, last_seen_at, ip_ciphertext,
         pending_totp_ciphertext, ended_at"
    };
}

/// A stored non-negative number read back; `column` names it in the error.
fn unsigned<T: TryFrom<i64>>(value: i64, column: &str) -> Result<T, StorageError> {
    T::try_from(value)
        .map_err(|_| StorageError::Database(format!("{column} is not a number Skydd wrote")))
}

/// A step bound to a statement (steps are far below `i64::MAX` until the year 10^11).
fn step_to_db(step: u64) -> i64 {
    i64::try_from(step).unwrap_or(i64::MAX)
}

fn account_from_row(row: &DbRow) -> Result<StaffAccountRow, StorageError> {
    const T: &str = "staff_accounts";
    let last_step: Option<i64> = get(row, "totp_last_step", T)?;
    Ok(StaffAccountRow {
        id: get(row, "id", T)?,
        email_blind_index: get(row, "email_blind_index", T)?,
        email_ciphertext: get(row, "email_ciphertext", T)?,
        role: get(row, "role", T)?,
        state: get(row, "state", T)?,
        password_hash: get(row, "password_hash", T)?,
        totp_ciphertext: get(row, "totp_ciphertext", T)?,
        totp_last_step: last_step
            .map(|step| unsigned(step, "staff_accounts.totp_last_step"))
            .transpose()?,
        failed_attempts: unsigned(
            i64::from(get::<i32>(row, "failed_attempts", T)?),
            "staff_accounts.failed_attempts",
        )?,
        last_failure_at: get_optional_at(row, "last_failure_at", T)?,
        created_at: get_at(row, "created_at", T)?,
        updated_at: get_at(row, "updated_at", T)?,
        last_sign_in_at: get_optional_at(row, "last_sign_in_at", T)?,
        recovery_codes_left: unsigned(
            get::<i64>(row, "recovery_codes_left", T)?,
            "staff_recovery_codes count",
        )?,
    })
}

fn session_from_row(row: &DbRow) -> Result<StaffSessionRow, StorageError> {
    const T: &str = "staff_sessions";
    Ok(StaffSessionRow {
        public_id: get(row, "public_id", T)?,
        secret_hash: get(row, "secret_hash", T)?,
        account_id: get(row, "account_id", T)?,
        stage: get(row, "stage", T)?,
        created_at: get_at(row, "created_at", T)?,
        last_seen_at: get_at(row, "last_seen_at", T)?,
        ip_ciphertext: get(row, "ip_ciphertext", T)?,
        pending_totp_ciphertext: get(row, "pending_totp_ciphertext", T)?,
        ended_at: get_optional_at(row, "ended_at", T)?,
    })
}

/// End every open session of `account_id` but `keep` in `conn`; returns how many.
async fn end_sessions(
    conn: &mut Conn,
    account_id: &str,
    keep: Option<&str>,
    now: Timestamp,
) -> Result<u64, StorageError> {
    let ended = sqlx::query::<Db>(
        "UPDATE staff_sessions SET ended_at = $2
         WHERE account_id = $1 AND ended_at IS NULL AND ($3 IS NULL OR public_id <> $3)",
    )
    .bind(account_id)
    .bind(at(now))
    .bind(keep)
    .execute(conn)
    .await
    .map_err(error::query("end a staff account's sessions"))?;
    Ok(ended.rows_affected())
}

/// The compare-and-set of `factor` for `account_id` in `conn`; false when it does not hold.
async fn apply_factor(
    conn: &mut Conn,
    account_id: &str,
    factor: &StaffFactor,
    now: Timestamp,
) -> Result<bool, StorageError> {
    const OPERATION: &str = "complete a staff sign-in";
    let changed = match factor {
        StaffFactor::Totp { step } => sqlx::query::<Db>(
            "UPDATE staff_accounts SET totp_last_step = $2
             WHERE id = $1 AND totp_ciphertext IS NOT NULL
               AND (totp_last_step IS NULL OR totp_last_step < $2)",
        )
        .bind(account_id)
        .bind(step_to_db(*step))
        .execute(&mut *conn)
        .await
        .map_err(error::query(OPERATION))?,
        StaffFactor::RecoveryCode { hash } => sqlx::query::<Db>(
            "UPDATE staff_recovery_codes SET used_at = $3
             WHERE account_id = $1 AND code_hash = $2 AND used_at IS NULL",
        )
        .bind(account_id)
        .bind(hash)
        .bind(at(now))
        .execute(&mut *conn)
        .await
        .map_err(error::query(OPERATION))?,
        StaffFactor::Enrolment {
            totp_ciphertext,
            step,
            recovery_code_hashes,
        } => {
            let enrolled = sqlx::query::<Db>(
                "UPDATE staff_accounts SET totp_ciphertext = $2, totp_last_step = $3
                 WHERE id = $1 AND totp_ciphertext IS NULL",
            )
            .bind(account_id)
            .bind(totp_ciphertext)
            .bind(step_to_db(*step))
            .execute(&mut *conn)
            .await
            .map_err(error::query(OPERATION))?;
            if enrolled.rows_affected() != 1 {
                return Ok(false);
            }
            sqlx::query::<Db>("DELETE FROM staff_recovery_codes WHERE account_id = $1")
                .bind(account_id)
                .execute(&mut *conn)
                .await
                .map_err(error::query(OPERATION))?;
            for hash in recovery_code_hashes {
                sqlx::query::<Db>(
                    "INSERT INTO staff_recovery_codes (account_id, code_hash, created_at)
                     VALUES ($1, $2, $3)",
                )
                .bind(account_id)
                .bind(hash)
                .bind(at(now))
                .execute(&mut *conn)
                .await
                .map_err(error::query("store a recovery code"))?;
            }
            enrolled
        }
    };
    Ok(changed.rows_affected() == 1)
}

/// The steps of [`StaffStore::complete_staff_sign_in`] in `conn`; false when one does not hold.
async fn sign_in_steps(conn: &mut Conn, sign_in: &StaffSignIn) -> Result<bool, StorageError> {
    const OPERATION: &str = "complete a staff sign-in";
    if !apply_factor(conn, &sign_in.account_id, &sign_in.factor, sign_in.now).await? {
        return Ok(false);
    }
    let account = sqlx::query::<Db>(
        "UPDATE staff_accounts SET failed_attempts = 0, last_failure_at = NULL,
             last_sign_in_at = $2, updated_at = $2
         WHERE id = $1 AND state = 'active'",
    )
    .bind(&sign_in.account_id)
    .bind(at(sign_in.now))
    .execute(&mut *conn)
    .await
    .map_err(error::query(OPERATION))?;
    if account.rows_affected() != 1 {
        return Ok(false);
    }
    let session = sqlx::query::<Db>(
        "UPDATE staff_sessions SET stage = 'full', secret_hash = $4, last_seen_at = $5,
             pending_totp_ciphertext = NULL
         WHERE public_id = $1 AND account_id = $2 AND stage = $3 AND ended_at IS NULL",
    )
    .bind(&sign_in.session_public_id)
    .bind(&sign_in.account_id)
    .bind(&sign_in.from_stage)
    .bind(&sign_in.new_secret_hash)
    .bind(at(sign_in.now))
    .execute(&mut *conn)
    .await
    .map_err(error::query(OPERATION))?;
    Ok(session.rows_affected() == 1)
}

impl StaffStore for Store {
    fn insert_staff_account(&self, account: StaffAccountRow) -> StorageFuture<'_, ()> {
        Box::pin(async move {
            crate::rows::check_blind_index(&account.email_blind_index)?;
            sqlx::query::<Db>(
                "INSERT INTO staff_accounts (id, email_blind_index, email_ciphertext, role, state,
                     password_hash, totp_ciphertext, totp_last_step, failed_attempts,
                     last_failure_at, created_at, updated_at, last_sign_in_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            )
            .bind(&account.id)
            .bind(&account.email_blind_index)
            .bind(&account.email_ciphertext)
            .bind(&account.role)
            .bind(&account.state)
            .bind(&account.password_hash)
            .bind(&account.totp_ciphertext)
            .bind(account.totp_last_step.map(step_to_db))
            .bind(i32::try_from(account.failed_attempts).unwrap_or(i32::MAX))
            .bind(account.last_failure_at.map(at))
            .bind(at(account.created_at))
            .bind(at(account.updated_at))
            .bind(account.last_sign_in_at.map(at))
            .execute(&self.pool)
            .await
            .map_err(error::insert(
                "insert a staff account",
                "an account with this e-mail address (or id) exists".into(),
                None,
            ))?;
            Ok(())
        })
    }

    fn staff_account<'a>(&'a self, id: &'a str) -> StorageFuture<'a, Option<StaffAccountRow>> {
        Box::pin(async move {
            sqlx::query::<Db>(concat!(
                "SELECT ",
                account_columns!(),
                " FROM staff_accounts a WHERE a.id = $1"
            ))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(error::query("read a staff account"))?
            .as_ref()
            .map(account_from_row)
            .transpose()
        })
    }

    fn staff_account_by_email<'a>(
        &'a self,
        blind_index: &'a [u8],
    ) -> StorageFuture<'a, Option<StaffAccountRow>> {
        Box::pin(async move {
            sqlx::query::<Db>(concat!(
                "SELECT ",
                account_columns!(),
                " FROM staff_accounts a WHERE a.email_blind_index = $1"
            ))
            .bind(blind_index)
            .fetch_optional(&self.pool)
            .await
            .map_err(error::query("find a staff account by e-mail"))?
            .as_ref()
            .map(account_from_row)
            .transpose()
        })
    }

    fn insert_staff_training(&self, training: StaffTrainingRow) -> StorageFuture<'_, ()> {
        Box::pin(async move {
            const OPERATION: &str = "record a staff training";
            let mut tx = dialect::begin_write(&self.pool)
                .await
                .map_err(error::query(OPERATION))?;
            sqlx::query::<Db>(
                "INSERT INTO staff_trainings
                     (email_blind_index, completed_on, course, recorded_by, recorded_at)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&training.email_blind_index)
            .bind(&training.completed_on)
            .bind(&training.course)
            .bind(&training.recorded_by)
            .bind(at(training.recorded_at))
            .execute(&mut *tx)
            .await
            .map_err(error::query(OPERATION))?;
            tx.commit().await.map_err(error::query(OPERATION))?;
            Ok(())
        })
    }

    fn staff_trainings<'a>(
        &'a self,
        email_blind_index: &'a [u8],
    ) -> StorageFuture<'a, Vec<StaffTrainingRow>> {
        Box::pin(async move {
            const TABLE: &str = "staff_trainings";
            sqlx::query::<Db>(
                "SELECT email_blind_index, completed_on, course, recorded_by, recorded_at
                 FROM staff_trainings WHERE email_blind_index = $1 ORDER BY seq",
            )
            .bind(email_blind_index)
            .fetch_all(&self.pool)
            .await
            .map_err(error::query("read a person's staff trainings"))?
            .iter()
            .map(|row| {
                Ok(StaffTrainingRow {
                    email_blind_index: get(row, "email_blind_index", TABLE)?,
                    completed_on: get(row, "completed_on", TABLE)?,
                    course: get(row, "course", TABLE)?,
                    recorded_by: get(row, "recorded_by", TABLE)?,
                    recorded_at: get_at(row, "recorded_at", TABLE)?,
                })
            })
            .collect()
        })
    }

    fn staff_accounts(&self) -> StorageFuture<'_, Vec<StaffAccountRow>> {
        Box::pin(async move {
            sqlx::query::<Db>(concat!(
                "SELECT ",
                account_columns!(),
                " FROM staff_accounts a ORDER BY a.created_at, a.id"
            ))
            .fetch_all(&self.pool)
            .await
            .map_err(error::query("list staff accounts"))?
            .iter()
            .map(account_from_row)
            .collect()
        })
    }

    fn set_staff_account_state<'a>(
        &'a self,
        id: &'a str,
        state: &'a str,
        now: Timestamp,
    ) -> StorageFuture<'a, bool> {
        Box::pin(async move {
            const OPERATION: &str = "set a staff account's state";
            let mut tx = dialect::begin_write(&self.pool)
                .await
                .map_err(error::query(OPERATION))?;
            let changed = sqlx::query::<Db>(
                "UPDATE staff_accounts SET state = $2, updated_at = $3 WHERE id = $1",
            )
            .bind(id)
            .bind(state)
            .bind(at(now))
            .execute(&mut *tx)
            .await
            .map_err(error::query(OPERATION))?;
            if changed.rows_affected() != 1 {
                return Ok(false);
            }
            if state != "active" {
                end_sessions(&mut tx, id, None, now).await?;
            }
            tx.commit().await.map_err(error::query(OPERATION))?;
            Ok(true)
        })
    }

    fn set_staff_role<'a>(
        &'a self,
        id: &'a str,
        role: &'a str,
        now: Timestamp,
    ) -> StorageFuture<'a, bool> {
        Box::pin(async move {
            const OPERATION: &str = "set a staff account's role";
            let mut tx = dialect::begin_write(&self.pool)
                .await
                .map_err(error::query(OPERATION))?;
            let changed = sqlx::query::<Db>(
                "UPDATE staff_accounts SET role = $2, updated_at = $3 WHERE id = $1",
            )
            .bind(id)
            .bind(role)
            .bind(at(now))
            .execute(&mut *tx)
            .await
            .map_err(error::query(OPERATION))?;
            tx.commit().await.map_err(error::query(OPERATION))?;
            Ok(changed.rows_affected() == 1)
        })
    }

    fn set_staff_password<'a>(
        &'a self,
        id: &'a str,
        password_hash: &'a str,
        keep_session: Option<&'a str>,
        now: Timestamp,
    ) -> StorageFuture<'a, bool> {
        Box::pin(async move {
            const OPERATION: &str = "set a staff account's password";
            let mut tx = dialect::begin_write(&self.pool)
                .await
                .map_err(error::query(OPERATION))?;
            let changed = sqlx::query::<Db>(
                "UPDATE staff_accounts SET password_hash = $2, updated_at = $3 WHERE id = $1",
            )
            .bind(id)
            .bind(password_hash)
            .bind(at(now))
            .execute(&mut *tx)
            .await
            .map_err(error::query(OPERATION))?;
            if changed.rows_affected() != 1 {
                return Ok(false);
            }
            end_sessions(&mut tx, id, keep_session, now).await?;
            tx.commit().await.map_err(error::query(OPERATION))?;
            Ok(true)
        })
    }

    fn reset_staff_totp<'a>(&'a self, id: &'a str, now: Timestamp) -> StorageFuture<'a, bool> {
        Box::pin(async move {
            const OPERATION: &str = "reset a staff account's TOTP";
            let mut tx = dialect::begin_write(&self.pool)
                .await
                .map_err(error::query(OPERATION))?;
            let changed = sqlx::query::<Db>(
                "UPDATE staff_accounts SET totp_ciphertext = NULL, totp_last_step = NULL,
                     updated_at = $2
                 WHERE id = $1",
            )
            .bind(id)
            .bind(at(now))
            .execute(&mut *tx)
            .await
            .map_err(error::query(OPERATION))?;
            if changed.rows_affected() != 1 {
                return Ok(false);
            }
            sqlx::query::<Db>("DELETE FROM staff_recovery_codes WHERE account_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(error::query(OPERATION))?;
            end_sessions(&mut tx, id, None, now).await?;
            tx.commit().await.map_err(error::query(OPERATION))?;
            Ok(true)
        })
    }

    fn record_staff_failure<'a>(&'a self, id: &'a str, now: Timestamp) -> StorageFuture<'a, u32> {
        Box::pin(async move {
            let row = sqlx::query::<Db>(
                "UPDATE staff_accounts SET failed_attempts = failed_attempts + 1,
                     last_failure_at = $2
                 WHERE id = $1 RETURNING failed_attempts",
            )
            .bind(id)
            .bind(at(now))
            .fetch_optional(&self.pool)
            .await
            .map_err(error::query("count a failed staff sign-in"))?;
            match row {
                None => Ok(0),
                Some(row) => unsigned(
                    i64::from(get::<i32>(&row, "failed_attempts", "staff_accounts")?),
                    "staff_accounts.failed_attempts",
                ),
            }
        })
    }

    fn insert_staff_session(&self, session: StaffSessionRow) -> StorageFuture<'_, ()> {
        Box::pin(async move {
            sqlx::query::<Db>(concat!(
                "INSERT INTO staff_sessions (",
                session_columns!(),
                ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
            ))
            .bind(&session.public_id)
            .bind(&session.secret_hash)
            .bind(&session.account_id)
            .bind(&session.stage)
            .bind(at(session.created_at))
            .bind(at(session.last_seen_at))
            .bind(&session.ip_ciphertext)
            .bind(&session.pending_totp_ciphertext)
            .bind(session.ended_at.map(at))
            .execute(&self.pool)
            .await
            .map_err(error::insert(
                "insert a staff session",
                format!("session {} exists", session.public_id),
                Some("its account does not exist"),
            ))?;
            Ok(())
        })
    }

    fn staff_session<'a>(
        &'a self,
        secret_hash: &'a [u8],
    ) -> StorageFuture<'a, Option<StaffSessionRow>> {
        Box::pin(async move {
            sqlx::query::<Db>(concat!(
                "SELECT ",
                session_columns!(),
                " FROM staff_sessions WHERE secret_hash = $1"
            ))
            .bind(secret_hash)
            .fetch_optional(&self.pool)
            .await
            .map_err(error::query("read a staff session"))?
            .as_ref()
            .map(session_from_row)
            .transpose()
        })
    }

    fn touch_staff_session<'a>(
        &'a self,
        public_id: &'a str,
        now: Timestamp,
    ) -> StorageFuture<'a, ()> {
        Box::pin(async move {
            sqlx::query::<Db>(
                "UPDATE staff_sessions SET last_seen_at = $2
                 WHERE public_id = $1 AND ended_at IS NULL AND last_seen_at < $2",
            )
            .bind(public_id)
            .bind(at(now))
            .execute(&self.pool)
            .await
            .map_err(error::query("record a staff session's last request"))?;
            Ok(())
        })
    }

    fn end_staff_session<'a>(
        &'a self,
        public_id: &'a str,
        now: Timestamp,
    ) -> StorageFuture<'a, bool> {
        Box::pin(async move {
            let ended = sqlx::query::<Db>(
                "UPDATE staff_sessions SET ended_at = $2 WHERE public_id = $1 AND ended_at IS NULL",
            )
            .bind(public_id)
            .bind(at(now))
            .execute(&self.pool)
            .await
            .map_err(error::query("end a staff session"))?;
            Ok(ended.rows_affected() == 1)
        })
    }

    fn end_staff_sessions<'a>(
        &'a self,
        account_id: &'a str,
        now: Timestamp,
    ) -> StorageFuture<'a, u64> {
        Box::pin(async move {
            let mut conn = self
                .pool
                .acquire()
                .await
                .map_err(error::query("end a staff account's sessions"))?;
            end_sessions(&mut conn, account_id, None, now).await
        })
    }

    fn staff_sessions_of<'a>(
        &'a self,
        account_id: &'a str,
    ) -> StorageFuture<'a, Vec<StaffSessionRow>> {
        Box::pin(async move {
            sqlx::query::<Db>(concat!(
                "SELECT ",
                session_columns!(),
                " FROM staff_sessions WHERE account_id = $1 AND ended_at IS NULL
                  ORDER BY created_at DESC, public_id"
            ))
            .bind(account_id)
            .fetch_all(&self.pool)
            .await
            .map_err(error::query("list a staff account's sessions"))?
            .iter()
            .map(session_from_row)
            .collect()
        })
    }

    fn set_staff_pending_totp<'a>(
        &'a self,
        public_id: &'a str,
        ciphertext: Vec<u8>,
    ) -> StorageFuture<'a, bool> {
        Box::pin(async move {
            let changed = sqlx::query::<Db>(
                "UPDATE staff_sessions SET pending_totp_ciphertext = $2
                 WHERE public_id = $1 AND stage = 'enrolment' AND ended_at IS NULL",
            )
            .bind(public_id)
            .bind(ciphertext)
            .execute(&self.pool)
            .await
            .map_err(error::query("keep a TOTP secret being enrolled"))?;
            Ok(changed.rows_affected() == 1)
        })
    }

    fn staff_recovery_codes<'a>(&'a self, account_id: &'a str) -> StorageFuture<'a, Vec<Vec<u8>>> {
        Box::pin(async move {
            sqlx::query::<Db>(
                "SELECT code_hash FROM staff_recovery_codes
                 WHERE account_id = $1 AND used_at IS NULL ORDER BY code_hash",
            )
            .bind(account_id)
            .fetch_all(&self.pool)
            .await
            .map_err(error::query("read recovery codes"))?
            .iter()
            .map(|row| get(row, "code_hash", "staff_recovery_codes"))
            .collect()
        })
    }

    fn complete_staff_sign_in(&self, sign_in: StaffSignIn) -> StorageFuture<'_, bool> {
        Box::pin(async move {
            const OPERATION: &str = "complete a staff sign-in";
            let mut tx = dialect::begin_write(&self.pool)
                .await
                .map_err(error::query(OPERATION))?;
            if !sign_in_steps(&mut tx, &sign_in).await? {
                tx.rollback().await.map_err(error::query(OPERATION))?;
                return Ok(false);
            }
            tx.commit().await.map_err(error::query(OPERATION))?;
            Ok(true)
        })
    }
}
