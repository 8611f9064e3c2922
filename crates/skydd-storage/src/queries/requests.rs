//! [`RequestStore`] for the including backend's `Store`: data-subject requests, their events,
//! codes, documents, outbox and recipient notices. Every statement is the same on both backends.

use jiff::Timestamp;

use super::super::{Store, dialect};
use super::{get, get_at, get_optional_at, subject_from_row};
use crate::requests::{check_change, check_new_request};
use crate::{
    MentionRow, NewRequestRows, OutboxMessageRow, RecipientNotificationRow, RecordRevisionRow,
    RecordRewrite, RecordRow, RequestChange, RequestDocumentRow, RequestEventRow, RequestFilter,
    RequestRow, RequestStore, RequestSystemRow, StorageError, StorageFuture, SubjectRow,
    VerificationCodeRow, error, rows,
};
use dialect::{Conn, Db, DbRow, at};

/// The columns of `requests` that [`request_from_row`] reads.
macro_rules! request_columns {
    () => {
        "id, request_type, state, channel, tenant, subject_id, identity_kind,
         identity_blind_index, key_version, wrapped_key, identity_ciphertext, details_ciphertext,
         received_at, due_at, unrolled_due, extended_months, routed_to_controller,
         needs_decision, reasons, outcome, updated_at, closed_at, assignee"
    };
}

/// The columns of `outbox_messages` that [`outbox_from_row`] reads.
macro_rules! outbox_columns {
    () => {
        "id, request_id, kind, key_version, wrapped_key, address_ciphertext, body_ciphertext,
         state, attempts, next_attempt_at, created_at, sent_at, last_error"
    };
}

/// A stored count (attempts, months) read back; `column` names it in the error.
fn count_from_db(value: i64, column: &str) -> Result<u32, StorageError> {
    u32::try_from(value)
        .map_err(|_| StorageError::Database(format!("{column} is not a count Skydd wrote")))
}

fn request_from_row(row: &DbRow) -> Result<RequestRow, StorageError> {
    const T: &str = "requests";
    Ok(RequestRow {
        id: get(row, "id", T)?,
        request_type: get(row, "request_type", T)?,
        state: get(row, "state", T)?,
        channel: get(row, "channel", T)?,
        tenant: get(row, "tenant", T)?,
        subject_id: get(row, "subject_id", T)?,
        identity_kind: get(row, "identity_kind", T)?,
        identity_blind_index: get(row, "identity_blind_index", T)?,
        key_version: rows::version_from_db(get(row, "key_version", T)?)?,
        wrapped_key: get(row, "wrapped_key", T)?,
        identity_ciphertext: get(row, "identity_ciphertext", T)?,
        details_ciphertext: get(row, "details_ciphertext", T)?,
        received_at: get_at(row, "received_at", T)?,
        due_at: get_at(row, "due_at", T)?,
        unrolled_due: get(row, "unrolled_due", T)?,
        extended_months: count_from_db(
            i64::from(get::<i32>(row, "extended_months", T)?),
            "requests.extended_months",
        )?,
        routed_to_controller: get(row, "routed_to_controller", T)?,
        needs_decision: get(row, "needs_decision", T)?,
        reasons: get(row, "reasons", T)?,
        outcome: get(row, "outcome", T)?,
        updated_at: get_at(row, "updated_at", T)?,
        closed_at: get_optional_at(row, "closed_at", T)?,
        assignee: get(row, "assignee", T)?,
    })
}

fn event_from_row(row: &DbRow) -> Result<RequestEventRow, StorageError> {
    const T: &str = "request_events";
    Ok(RequestEventRow {
        seq: get(row, "seq", T)?,
        request_id: get(row, "request_id", T)?,
        at: get_at(row, "at", T)?,
        actor: get(row, "actor", T)?,
        action: get(row, "action", T)?,
        from_state: get(row, "from_state", T)?,
        to_state: get(row, "to_state", T)?,
        detail: get(row, "detail", T)?,
    })
}

fn code_from_row(row: &DbRow) -> Result<VerificationCodeRow, StorageError> {
    const T: &str = "verification_codes";
    Ok(VerificationCodeRow {
        request_id: get(row, "request_id", T)?,
        code_hash: get(row, "code_hash", T)?,
        attempts: count_from_db(
            i64::from(get::<i32>(row, "attempts", T)?),
            "verification_codes.attempts",
        )?,
        issued_at: get_at(row, "issued_at", T)?,
    })
}

fn document_from_row(row: &DbRow) -> Result<RequestDocumentRow, StorageError> {
    const T: &str = "request_documents";
    Ok(RequestDocumentRow {
        id: get(row, "id", T)?,
        request_id: get(row, "request_id", T)?,
        media_type: get(row, "media_type", T)?,
        key_version: rows::version_from_db(get(row, "key_version", T)?)?,
        wrapped_key: get(row, "wrapped_key", T)?,
        ciphertext: get(row, "ciphertext", T)?,
        uploaded_at: get_at(row, "uploaded_at", T)?,
    })
}

fn outbox_from_row(row: &DbRow) -> Result<OutboxMessageRow, StorageError> {
    const T: &str = "outbox_messages";
    Ok(OutboxMessageRow {
        id: get(row, "id", T)?,
        request_id: get(row, "request_id", T)?,
        kind: get(row, "kind", T)?,
        key_version: rows::version_from_db(get(row, "key_version", T)?)?,
        wrapped_key: get(row, "wrapped_key", T)?,
        address_ciphertext: get(row, "address_ciphertext", T)?,
        body_ciphertext: get(row, "body_ciphertext", T)?,
        state: get(row, "state", T)?,
        attempts: count_from_db(
            i64::from(get::<i32>(row, "attempts", T)?),
            "outbox_messages.attempts",
        )?,
        next_attempt_at: get_at(row, "next_attempt_at", T)?,
        created_at: get_at(row, "created_at", T)?,
        sent_at: get_optional_at(row, "sent_at", T)?,
        last_error: get(row, "last_error", T)?,
    })
}

fn notification_from_row(row: &DbRow) -> Result<RecipientNotificationRow, StorageError> {
    const T: &str = "recipient_notifications";
    Ok(RecipientNotificationRow {
        id: get(row, "id", T)?,
        request_id: get(row, "request_id", T)?,
        recipient: get(row, "recipient", T)?,
        action: get(row, "action", T)?,
        categories: get(row, "categories", T)?,
        subject_reference: get(row, "subject_reference", T)?,
        letter_subject: get(row, "letter_subject", T)?,
        letter_text: get(row, "letter_text", T)?,
        state: get(row, "state", T)?,
        created_at: get_at(row, "created_at", T)?,
        outbox_message_id: get(row, "outbox_message_id", T)?,
    })
}

fn system_from_row(row: &DbRow) -> Result<RequestSystemRow, StorageError> {
    const T: &str = "request_systems";
    Ok(RequestSystemRow {
        request_id: get(row, "request_id", T)?,
        system: get(row, "system", T)?,
        action: get(row, "action", T)?,
        state: get(row, "state", T)?,
        reason: get(row, "reason", T)?,
        receipt_ciphertext: get(row, "receipt_ciphertext", T)?,
        updated_at: get_at(row, "updated_at", T)?,
    })
}

fn small(value: u32) -> i32 {
    // Counts stored here (attempts, months) are small; saturate rather than wrap.
    i32::try_from(value).unwrap_or(i32::MAX)
}

async fn insert_event(conn: &mut Conn, event: &RequestEventRow) -> Result<(), StorageError> {
    sqlx::query::<Db>(
        "INSERT INTO request_events (request_id, at, actor, action, from_state, to_state, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&event.request_id)
    .bind(at(event.at))
    .bind(&event.actor)
    .bind(&event.action)
    .bind(&event.from_state)
    .bind(&event.to_state)
    .bind(&event.detail)
    .execute(conn)
    .await
    .map_err(error::query("append a request event"))?;
    Ok(())
}

async fn put_code(conn: &mut Conn, code: &VerificationCodeRow) -> Result<(), StorageError> {
    sqlx::query::<Db>(
        "INSERT INTO verification_codes (request_id, code_hash, attempts, issued_at)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (request_id) DO UPDATE SET code_hash = excluded.code_hash,
             attempts = excluded.attempts, issued_at = excluded.issued_at",
    )
    .bind(&code.request_id)
    .bind(&code.code_hash)
    .bind(small(code.attempts))
    .bind(at(code.issued_at))
    .execute(conn)
    .await
    .map_err(error::query("store a verification code"))?;
    Ok(())
}

/// The `INSERT` of an outbox message, its columns bound by [`put_outbox`].
macro_rules! outbox_insert {
    () => {
        concat!(
            "INSERT INTO outbox_messages (",
            outbox_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        )
    };
}

/// Run `sql` (made by `outbox_insert!`) for `message` in `conn`; returns the rows inserted.
async fn put_outbox(
    conn: &mut Conn,
    sql: &'static str,
    message: &OutboxMessageRow,
) -> Result<u64, sqlx::Error> {
    let inserted = sqlx::query::<Db>(sql)
        .bind(&message.id)
        .bind(&message.request_id)
        .bind(&message.kind)
        .bind(rows::version_to_db(message.key_version))
        .bind(&message.wrapped_key)
        .bind(&message.address_ciphertext)
        .bind(&message.body_ciphertext)
        .bind(&message.state)
        .bind(small(message.attempts))
        .bind(at(message.next_attempt_at))
        .bind(at(message.created_at))
        .bind(message.sent_at.map(at))
        .bind(&message.last_error)
        .execute(conn)
        .await?;
    Ok(inserted.rows_affected())
}

/// Queue `message` in `conn`; an id already queued is a conflict.
pub(super) async fn insert_outbox(
    conn: &mut Conn,
    message: &OutboxMessageRow,
) -> Result<(), StorageError> {
    put_outbox(conn, outbox_insert!(), message)
        .await
        .map_err(error::insert(
            "queue a message",
            format!("message {} exists", message.id),
            Some("its request does not exist"),
        ))?;
    Ok(())
}

async fn insert_notification(
    conn: &mut Conn,
    notification: &RecipientNotificationRow,
) -> Result<(), StorageError> {
    sqlx::query::<Db>(
        "INSERT INTO recipient_notifications (id, request_id, recipient, action, categories,
             subject_reference, letter_subject, letter_text, state, created_at, outbox_message_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&notification.id)
    .bind(&notification.request_id)
    .bind(&notification.recipient)
    .bind(&notification.action)
    .bind(&notification.categories)
    .bind(&notification.subject_reference)
    .bind(&notification.letter_subject)
    .bind(&notification.letter_text)
    .bind(&notification.state)
    .bind(at(notification.created_at))
    .bind(&notification.outbox_message_id)
    .execute(conn)
    .await
    .map_err(error::query("queue a recipient notification"))?;
    Ok(())
}

impl RequestStore for Store {
    fn insert_request(&self, rows: NewRequestRows) -> StorageFuture<'_, ()> {
        Box::pin(async move {
            check_new_request(&rows)?;
            const OPERATION: &str = "insert a request";
            let r = &rows.request;
            let mut tx = dialect::begin_write(&self.pool)
                .await
                .map_err(error::query(OPERATION))?;
            sqlx::query::<Db>(concat!(
                "INSERT INTO requests (",
                request_columns!(),
                ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
                   $16, $17, $18, $19, $20, $21, $22, $23)"
            ))
            .bind(&r.id)
            .bind(&r.request_type)
            .bind(&r.state)
            .bind(&r.channel)
            .bind(&r.tenant)
            .bind(&r.subject_id)
            .bind(&r.identity_kind)
            .bind(&r.identity_blind_index)
            .bind(rows::version_to_db(r.key_version))
            .bind(&r.wrapped_key)
            .bind(&r.identity_ciphertext)
            .bind(&r.details_ciphertext)
            .bind(at(r.received_at))
            .bind(at(r.due_at))
            .bind(&r.unrolled_due)
            .bind(small(r.extended_months))
            .bind(r.routed_to_controller)
            .bind(&r.needs_decision)
            .bind(&r.reasons)
            .bind(&r.outcome)
            .bind(at(r.updated_at))
            .bind(r.closed_at.map(at))
            .bind(&r.assignee)
            .execute(&mut *tx)
            .await
            .map_err(error::insert(
                OPERATION,
                format!("request {} exists", r.id),
                None,
            ))?;
            insert_event(&mut tx, &rows.event).await?;
            for event in &rows.later_events {
                insert_event(&mut tx, event).await?;
            }
            if let Some(code) = &rows.code {
                put_code(&mut tx, code).await?;
            }
            for message in &rows.outbox {
                insert_outbox(&mut tx, message).await?;
            }
            tx.commit().await.map_err(error::query(OPERATION))
        })
    }

    fn get_request<'a>(&'a self, id: &'a str) -> StorageFuture<'a, Option<RequestRow>> {
        Box::pin(async move {
            let row = sqlx::query::<Db>(concat!(
                "SELECT ",
                request_columns!(),
                " FROM requests WHERE id = $1"
            ))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(error::query("read a request"))?;
            row.as_ref().map(request_from_row).transpose()
        })
    }

    fn list_requests(&self, filter: RequestFilter) -> StorageFuture<'_, Vec<RequestRow>> {
        Box::pin(async move {
            let rows = sqlx::query::<Db>(concat!(
                "SELECT ",
                request_columns!(),
                " FROM requests
                 WHERE ($1 IS NULL OR state = $1)
                   AND (NOT $2 OR closed_at IS NULL)
                   AND ($3 IS NULL OR due_at < $3)
                   AND ($4 IS NULL OR tenant = $4)
                   AND ($5 IS NULL OR assignee = $5)
                   AND (NOT $6 OR assignee IS NULL)
                 ORDER BY due_at, id"
            ))
            .bind(&filter.state)
            .bind(filter.open_only)
            .bind(filter.due_before.map(at))
            .bind(&filter.tenant)
            .bind(&filter.assignee)
            .bind(filter.unassigned)
            .fetch_all(&self.pool)
            .await
            .map_err(error::query("list requests"))?;
            rows.iter().map(request_from_row).collect()
        })
    }

    fn requests_of_subject<'a>(
        &'a self,
        subject_id: &'a str,
    ) -> StorageFuture<'a, Vec<RequestRow>> {
        Box::pin(async move {
            let rows = sqlx::query::<Db>(concat!(
                "SELECT ",
                request_columns!(),
                " FROM requests WHERE subject_id = $1 ORDER BY received_at, id"
            ))
            .bind(subject_id)
            .fetch_all(&self.pool)
            .await
            .map_err(error::query("list the requests of a subject"))?;
            rows.iter().map(request_from_row).collect()
        })
    }

    fn requests_with_identity<'a>(
        &'a self,
        blind_index: &'a [u8],
    ) -> StorageFuture<'a, Vec<RequestRow>> {
        Box::pin(async move {
            rows::check_blind_index(blind_index)?;
            let rows = sqlx::query::<Db>(concat!(
                "SELECT ",
                request_columns!(),
                " FROM requests WHERE identity_blind_index = $1 ORDER BY received_at, id"
            ))
            .bind(blind_index)
            .fetch_all(&self.pool)
            .await
            .map_err(error::query("list the requests made with an identity"))?;
            rows.iter().map(request_from_row).collect()
        })
    }

    fn change_request(&self, change: RequestChange) -> StorageFuture<'_, bool> {
        Box::pin(async move {
            check_change(&change)?;
            const OPERATION: &str = "change a request";
            let r = &change.request;
            let mut tx = dialect::begin_write(&self.pool)
                .await
                .map_err(error::query(OPERATION))?;
            let updated = sqlx::query::<Db>(
                "UPDATE requests SET state = $1, tenant = $2, subject_id = $3,
                     details_ciphertext = $4, due_at = $5, unrolled_due = $6,
                     extended_months = $7, routed_to_controller = $8, needs_decision = $9,
                     reasons = $10, outcome = $11, updated_at = $12, closed_at = $13
                 WHERE id = $14 AND state = $15",
            )
            .bind(&r.state)
            .bind(&r.tenant)
            .bind(&r.subject_id)
            .bind(&r.details_ciphertext)
            .bind(at(r.due_at))
            .bind(&r.unrolled_due)
            .bind(small(r.extended_months))
            .bind(r.routed_to_controller)
            .bind(&r.needs_decision)
            .bind(&r.reasons)
            .bind(&r.outcome)
            .bind(at(r.updated_at))
            .bind(r.closed_at.map(at))
            .bind(&r.id)
            .bind(&change.expected_state)
            .execute(&mut *tx)
            .await
            .map_err(error::query(OPERATION))?;
            if updated.rows_affected() != 1 {
                return Ok(false);
            }
            insert_event(&mut tx, &change.event).await?;
            for message in &change.outbox {
                insert_outbox(&mut tx, message).await?;
            }
            for notification in &change.notifications {
                insert_notification(&mut tx, notification).await?;
            }
            if let Some(code) = &change.new_code {
                put_code(&mut tx, code).await?;
            }
            if change.destroy_evidence {
                for statement in [
                    "DELETE FROM verification_codes WHERE request_id = $1",
                    "DELETE FROM request_documents WHERE request_id = $1",
                ] {
                    sqlx::query::<Db>(statement)
                        .bind(&r.id)
                        .execute(&mut *tx)
                        .await
                        .map_err(error::query("destroy a request's evidence"))?;
                }
            }
            tx.commit().await.map_err(error::query(OPERATION))?;
            Ok(true)
        })
    }

    fn assign_request(
        &self,
        assignee: Option<String>,
        event: RequestEventRow,
    ) -> StorageFuture<'_, bool> {
        Box::pin(async move {
            const OPERATION: &str = "assign a request";
            let mut tx = dialect::begin_write(&self.pool)
                .await
                .map_err(error::query(OPERATION))?;
            let updated = sqlx::query::<Db>(
                "UPDATE requests SET assignee = $1
                 WHERE id = $2 AND state = $3 AND closed_at IS NULL",
            )
            .bind(&assignee)
            .bind(&event.request_id)
            .bind(&event.to_state)
            .execute(&mut *tx)
            .await
            .map_err(error::query(OPERATION))?;
            if updated.rows_affected() != 1 {
                return Ok(false);
            }
            insert_event(&mut tx, &event).await?;
            tx.commit().await.map_err(error::query(OPERATION))?;
            Ok(true)
        })
    }

    fn request_events<'a>(&'a self, id: &'a str) -> StorageFuture<'a, Vec<RequestEventRow>> {
        Box::pin(async move {
            let rows = sqlx::query::<Db>(
                "SELECT seq, request_id, at, actor, action, from_state, to_state, detail
                 FROM request_events WHERE request_id = $1 ORDER BY seq",
            )
            .bind(id)
            .fetch_all(&self.pool)
            .await
            .map_err(error::query("read request events"))?;
            rows.iter().map(event_from_row).collect()
        })
    }

    fn verification_code<'a>(
        &'a self,
        request_id: &'a str,
    ) -> StorageFuture<'a, Option<VerificationCodeRow>> {
        Box::pin(async move {
            let row = sqlx::query::<Db>(
                "SELECT request_id, code_hash, attempts, issued_at FROM verification_codes
                 WHERE request_id = $1",
            )
            .bind(request_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(error::query("read a verification code"))?;
            row.as_ref().map(code_from_row).transpose()
        })
    }

    fn count_code_attempt<'a>(&'a self, request_id: &'a str) -> StorageFuture<'a, u32> {
        Box::pin(async move {
            let attempts: Option<i32> = sqlx::query_scalar::<Db, i32>(
                "UPDATE verification_codes SET attempts = attempts + 1 WHERE request_id = $1
                 RETURNING attempts",
            )
            .bind(request_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(error::query("count a verification attempt"))?;
            count_from_db(
                i64::from(attempts.unwrap_or(0)),
                "verification_codes.attempts",
            )
        })
    }

    fn insert_request_document(&self, document: RequestDocumentRow) -> StorageFuture<'_, ()> {
        Box::pin(async move {
            sqlx::query::<Db>(
                "INSERT INTO request_documents (id, request_id, media_type, key_version,
                     wrapped_key, ciphertext, uploaded_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&document.id)
            .bind(&document.request_id)
            .bind(&document.media_type)
            .bind(rows::version_to_db(document.key_version))
            .bind(&document.wrapped_key)
            .bind(&document.ciphertext)
            .bind(at(document.uploaded_at))
            .execute(&self.pool)
            .await
            .map_err(error::insert(
                "store an identity document",
                format!("document {} exists", document.id),
                Some("its request does not exist"),
            ))?;
            Ok(())
        })
    }

    fn request_documents<'a>(
        &'a self,
        request_id: &'a str,
    ) -> StorageFuture<'a, Vec<RequestDocumentRow>> {
        Box::pin(async move {
            let rows = sqlx::query::<Db>(
                "SELECT id, request_id, media_type, key_version, wrapped_key, ciphertext,
                     uploaded_at
                 FROM request_documents WHERE request_id = $1 ORDER BY uploaded_at, id",
            )
            .bind(request_id)
            .fetch_all(&self.pool)
            .await
            .map_err(error::query("read identity documents"))?;
            rows.iter().map(document_from_row).collect()
        })
    }

    fn count_request_documents<'a>(&'a self, request_id: &'a str) -> StorageFuture<'a, u64> {
        Box::pin(async move {
            let count: i64 = sqlx::query_scalar::<Db, i64>(
                "SELECT count(*) FROM request_documents WHERE request_id = $1",
            )
            .bind(request_id)
            .fetch_one(&self.pool)
            .await
            .map_err(error::query("count identity documents"))?;
            Ok(u64::try_from(count).unwrap_or(0))
        })
    }

    fn outbox_messages<'a>(
        &'a self,
        state: Option<&'a str>,
    ) -> StorageFuture<'a, Vec<OutboxMessageRow>> {
        Box::pin(async move {
            let rows = sqlx::query::<Db>(concat!(
                "SELECT ",
                outbox_columns!(),
                " FROM outbox_messages WHERE ($1 IS NULL OR state = $1)
                 ORDER BY created_at, id"
            ))
            .bind(state)
            .fetch_all(&self.pool)
            .await
            .map_err(error::query("list the outbox"))?;
            rows.iter().map(outbox_from_row).collect()
        })
    }

    fn request_messages<'a>(
        &'a self,
        request_id: &'a str,
    ) -> StorageFuture<'a, Vec<OutboxMessageRow>> {
        Box::pin(async move {
            let rows = sqlx::query::<Db>(concat!(
                "SELECT ",
                outbox_columns!(),
                " FROM outbox_messages WHERE request_id = $1 ORDER BY created_at, kind, id"
            ))
            .bind(request_id)
            .fetch_all(&self.pool)
            .await
            .map_err(error::query("list a request's messages"))?;
            rows.iter().map(outbox_from_row).collect()
        })
    }

    fn outbox_message<'a>(&'a self, id: &'a str) -> StorageFuture<'a, Option<OutboxMessageRow>> {
        Box::pin(async move {
            let row = sqlx::query::<Db>(concat!(
                "SELECT ",
                outbox_columns!(),
                " FROM outbox_messages WHERE id = $1"
            ))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(error::query("read an outbox message"))?;
            row.as_ref().map(outbox_from_row).transpose()
        })
    }

    fn queue_messages(&self, messages: Vec<OutboxMessageRow>) -> StorageFuture<'_, u64> {
        Box::pin(async move {
            const OPERATION: &str = "queue messages";
            let mut tx = dialect::begin_write(&self.pool)
                .await
                .map_err(error::query(OPERATION))?;
            let mut queued = 0;
            for message in &messages {
                let sql = concat!(outbox_insert!(), " ON CONFLICT (id) DO NOTHING");
                queued += put_outbox(&mut tx, sql, message)
                    .await
                    .map_err(error::query(OPERATION))?;
            }
            tx.commit().await.map_err(error::query(OPERATION))?;
            Ok(queued)
        })
    }

    fn queued_message_ids(&self, ids: Vec<String>) -> StorageFuture<'_, Vec<String>> {
        Box::pin(async move {
            // One statement whatever the number of ids.
            let rows = sqlx::query::<Db>(concat!(
                "SELECT id FROM outbox_messages WHERE id ",
                dialect::id_in!("$1")
            ))
            .bind(dialect::id_list(&ids)?)
            .fetch_all(&self.pool)
            .await
            .map_err(error::query("read queued messages"))?;
            rows.iter()
                .map(|row| get(row, "id", "outbox_messages"))
                .collect()
        })
    }

    fn subjects_page<'a>(
        &'a self,
        after_id: Option<&'a str>,
        limit: usize,
    ) -> StorageFuture<'a, Vec<SubjectRow>> {
        Box::pin(async move {
            let rows = sqlx::query::<Db>(
                "SELECT id, tenant, created_at, restricted_at FROM subjects
                 WHERE $1 IS NULL OR id > $1
                 ORDER BY id LIMIT $2",
            )
            .bind(after_id)
            .bind(rows::limit_to_db(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(error::query("read subjects"))?;
            rows.iter().map(subject_from_row).collect()
        })
    }

    fn outbox_due(&self, now: Timestamp, limit: usize) -> StorageFuture<'_, Vec<OutboxMessageRow>> {
        Box::pin(async move {
            let rows = sqlx::query::<Db>(concat!(
                "SELECT ",
                outbox_columns!(),
                " FROM outbox_messages WHERE state = 'queued' AND next_attempt_at <= $1
                 ORDER BY next_attempt_at, id LIMIT $2"
            ))
            .bind(at(now))
            .bind(rows::limit_to_db(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(error::query("read due messages"))?;
            rows.iter().map(outbox_from_row).collect()
        })
    }

    fn record_outbox_attempt(&self, message: OutboxMessageRow) -> StorageFuture<'_, bool> {
        Box::pin(async move {
            const OPERATION: &str = "record a delivery attempt";
            let mut tx = self.pool.begin().await.map_err(error::query(OPERATION))?;
            let updated = sqlx::query::<Db>(
                "UPDATE outbox_messages SET state = $1, attempts = $2, next_attempt_at = $3,
                     sent_at = $4, last_error = $5
                 WHERE id = $6 AND state = 'queued'",
            )
            .bind(&message.state)
            .bind(small(message.attempts))
            .bind(at(message.next_attempt_at))
            .bind(message.sent_at.map(at))
            .bind(&message.last_error)
            .bind(&message.id)
            .execute(&mut *tx)
            .await
            .map_err(error::query(OPERATION))?;
            if updated.rows_affected() != 1 {
                return Ok(false);
            }
            // A notice to a recipient (Art. 19) follows the message that delivers it.
            if matches!(message.state.as_str(), "sent" | "failed") {
                sqlx::query::<Db>(
                    "UPDATE recipient_notifications SET state = $1
                     WHERE outbox_message_id = $2 AND state = 'queued'",
                )
                .bind(&message.state)
                .bind(&message.id)
                .execute(&mut *tx)
                .await
                .map_err(error::query(OPERATION))?;
            }
            tx.commit().await.map_err(error::query(OPERATION))?;
            Ok(true)
        })
    }

    fn recipient_notifications<'a>(
        &'a self,
        request_id: &'a str,
    ) -> StorageFuture<'a, Vec<RecipientNotificationRow>> {
        Box::pin(async move {
            let rows = sqlx::query::<Db>(
                "SELECT id, request_id, recipient, action, categories, subject_reference,
                     letter_subject, letter_text, state, created_at, outbox_message_id
                 FROM recipient_notifications WHERE request_id = $1 ORDER BY recipient, id",
            )
            .bind(request_id)
            .fetch_all(&self.pool)
            .await
            .map_err(error::query("read recipient notifications"))?;
            rows.iter().map(notification_from_row).collect()
        })
    }

    fn put_request_system(&self, row: RequestSystemRow) -> StorageFuture<'_, ()> {
        Box::pin(async move {
            sqlx::query::<Db>(
                "INSERT INTO request_systems (request_id, system, action, state, reason,
                     receipt_ciphertext, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (request_id, system, action) DO UPDATE SET state = excluded.state,
                     reason = excluded.reason, receipt_ciphertext = excluded.receipt_ciphertext,
                     updated_at = excluded.updated_at",
            )
            .bind(&row.request_id)
            .bind(&row.system)
            .bind(&row.action)
            .bind(&row.state)
            .bind(&row.reason)
            .bind(&row.receipt_ciphertext)
            .bind(at(row.updated_at))
            .execute(&self.pool)
            .await
            .map_err(error::query(
                "write a request's outcome in a connected system",
            ))?;
            Ok(())
        })
    }

    fn request_systems<'a>(
        &'a self,
        request_id: &'a str,
    ) -> StorageFuture<'a, Vec<RequestSystemRow>> {
        Box::pin(async move {
            let rows = sqlx::query::<Db>(
                "SELECT request_id, system, action, state, reason, receipt_ciphertext, updated_at
                 FROM request_systems WHERE request_id = $1 ORDER BY system, action",
            )
            .bind(request_id)
            .fetch_all(&self.pool)
            .await
            .map_err(error::query(
                "read a request's outcomes in connected systems",
            ))?;
            rows.iter().map(system_from_row).collect()
        })
    }

    fn rewrite_record(&self, rewrite: RecordRewrite) -> StorageFuture<'_, bool> {
        Box::pin(async move {
            const OPERATION: &str = "rewrite a record";
            for mention in &rewrite.mentions {
                rows::check_blind_index(&mention.blind_index)?;
            }
            let mut tx = dialect::begin_write(&self.pool)
                .await
                .map_err(error::query(OPERATION))?;
            let updated = sqlx::query::<Db>("UPDATE records SET ciphertext = $1 WHERE id = $2")
                .bind(&rewrite.ciphertext)
                .bind(&rewrite.record_id)
                .execute(&mut *tx)
                .await
                .map_err(error::query(OPERATION))?;
            if updated.rows_affected() != 1 {
                return Ok(false);
            }
            if let Some(revision) = &rewrite.revision {
                sqlx::query::<Db>(
                    "INSERT INTO record_revisions
                         (record_id, request_id, replaced_at, fields, ciphertext)
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&rewrite.record_id)
                .bind(&revision.request_id)
                .bind(at(revision.replaced_at))
                .bind(revision.fields.join(","))
                .bind(&revision.ciphertext)
                .execute(&mut *tx)
                .await
                .map_err(error::query(OPERATION))?;
            }
            for revision in &rewrite.revisions {
                sqlx::query::<Db>(
                    "UPDATE record_revisions SET ciphertext = $1 WHERE seq = $2 AND record_id = $3",
                )
                .bind(&revision.ciphertext)
                .bind(revision.seq)
                .bind(&rewrite.record_id)
                .execute(&mut *tx)
                .await
                .map_err(error::query(OPERATION))?;
            }
            sqlx::query::<Db>("DELETE FROM record_mentions WHERE record_id = $1")
                .bind(&rewrite.record_id)
                .execute(&mut *tx)
                .await
                .map_err(error::query(OPERATION))?;
            super::insert_mentions(&mut tx, &rewrite.record_id, &rewrite.mentions)
                .await
                .map_err(error::query(OPERATION))?;
            tx.commit().await.map_err(error::query(OPERATION))?;
            Ok(true)
        })
    }

    fn records_mentioning<'a>(
        &'a self,
        mentions: &'a [MentionRow],
    ) -> StorageFuture<'a, Vec<RecordRow>> {
        Box::pin(async move {
            let mut found: Vec<RecordRow> = Vec::new();
            // One indexed look-up per identity: a person has a handful.
            for mention in mentions {
                let rows = sqlx::query::<Db>(concat!(
                    "SELECT r.id, r.subject_id, r.category, r.purpose, r.source, r.collected_at,
                            r.ciphertext, r.combined_from, a.event, a.at
                     FROM records r LEFT JOIN record_anchors a ON a.record_id = r.id
                     WHERE r.id IN (SELECT m.record_id FROM record_mentions m
                                    WHERE m.kind = $1 AND m.blind_index = $2)
                     ORDER BY r.collected_at, r.id",
                    dialect::bytewise!(),
                    ", a.event",
                    dialect::bytewise!()
                ))
                .bind(&mention.kind)
                .bind(&mention.blind_index)
                .fetch_all(&self.pool)
                .await
                .map_err(error::query("read the records that mention a person"))?;
                let records = rows::fold_records(
                    rows.iter()
                        .map(super::record_from_row)
                        .collect::<Result<Vec<_>, _>>()?,
                );
                for record in records {
                    if !found.iter().any(|r| r.id == record.id) {
                        found.push(record);
                    }
                }
            }
            found.sort_by(|a, b| (a.collected_at, &a.id).cmp(&(b.collected_at, &b.id)));
            Ok(found)
        })
    }

    fn record_revisions<'a>(
        &'a self,
        subject_id: &'a str,
    ) -> StorageFuture<'a, Vec<RecordRevisionRow>> {
        Box::pin(async move {
            let rows = sqlx::query::<Db>(
                "SELECT v.seq, v.record_id, v.request_id, v.replaced_at, v.fields, v.ciphertext
                 FROM record_revisions v JOIN records r ON r.id = v.record_id
                 WHERE r.subject_id = $1 ORDER BY v.seq",
            )
            .bind(subject_id)
            .fetch_all(&self.pool)
            .await
            .map_err(error::query("read a subject's record revisions"))?;
            rows.iter()
                .map(|row| {
                    const TABLE: &str = "record_revisions";
                    let fields: String = get(row, "fields", TABLE)?;
                    Ok(RecordRevisionRow {
                        seq: get(row, "seq", TABLE)?,
                        record_id: get(row, "record_id", TABLE)?,
                        request_id: get(row, "request_id", TABLE)?,
                        replaced_at: get_at(row, "replaced_at", TABLE)?,
                        fields: fields
                            .split(',')
                            .filter(|f| !f.is_empty())
                            .map(str::to_owned)
                            .collect(),
                        ciphertext: get(row, "ciphertext", TABLE)?,
                    })
                })
                .collect()
        })
    }
}
