-- Skydd schema 3 (SQLite): data-subject requests (Art. 12-22) with their append-only history,
-- one-time verification codes, identity documents, the outbox of messages to subjects, and the
-- notifications owed to recipients (Art. 19).
--
-- No personal value is stored in plaintext. The identity a request was made with is a keyed
-- blind index and a ciphertext under the request's own data key (wrapped by the master key),
-- as identities are; details given with the request (a purpose objected to, corrections) are
-- encrypted the same way. Codes are stored as hashes only. An identity document is encrypted
-- with a key of its own, kept in the document's row, so deleting the row destroys the bytes
-- and the key together. Outbox addresses and bodies are encrypted with the message's own key.
--
-- Never edit this file once released: add a new numbered file instead.

-- A request. `subject_id` is set once the identity matches a subject (never for an unknown
-- identity); it has no foreign key so that the request outlives an erased subject.
-- `routed_to_controller` marks a request about a tenant's subject: the tenant (the controller)
-- decides it, Skydd only queues it. `unrolled_due` is the plain date one month (plus extensions)
-- after receipt, before rolling to a working day.
CREATE TABLE requests (
    id                   TEXT PRIMARY KEY NOT NULL,
    request_type         TEXT NOT NULL,
    state                TEXT NOT NULL,
    channel              TEXT NOT NULL,
    tenant               TEXT,
    subject_id           TEXT,
    identity_kind        TEXT NOT NULL,
    identity_blind_index BLOB NOT NULL CHECK (length(identity_blind_index) = 32),
    key_version          INTEGER NOT NULL CHECK (key_version BETWEEN 0 AND 4294967295),
    wrapped_key          BLOB NOT NULL,
    identity_ciphertext  BLOB NOT NULL,
    details_ciphertext   BLOB,
    received_at          TEXT NOT NULL,
    due_at               TEXT NOT NULL,
    unrolled_due         TEXT NOT NULL,
    extended_months      INTEGER NOT NULL CHECK (extended_months BETWEEN 0 AND 2),
    routed_to_controller INTEGER NOT NULL CHECK (routed_to_controller IN (0, 1)),
    needs_decision       TEXT,
    reasons              TEXT,
    outcome              TEXT,
    updated_at           TEXT NOT NULL,
    closed_at            TEXT
) STRICT;

CREATE INDEX requests_by_due ON requests (due_at, id);
CREATE INDEX requests_by_subject ON requests (subject_id, received_at);
CREATE INDEX requests_by_tenant ON requests (tenant, due_at);

-- Every change of a request: who, when, from which state to which, and what (never a value).
CREATE TABLE request_events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id TEXT NOT NULL REFERENCES requests (id),
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    from_state TEXT,
    to_state   TEXT NOT NULL,
    detail     TEXT
) STRICT;

CREATE INDEX request_events_by_request ON request_events (request_id, seq);

-- The one-time code of a request: its SHA-256 only, how often it was tried, when it was issued.
CREATE TABLE verification_codes (
    request_id TEXT PRIMARY KEY NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    code_hash  BLOB NOT NULL CHECK (length(code_hash) = 32),
    attempts   INTEGER NOT NULL CHECK (attempts >= 0),
    issued_at  TEXT NOT NULL
) STRICT;

-- Identity documents (a passport scan), each encrypted with its own key stored beside it:
-- deleting the row when the request closes destroys both.
CREATE TABLE request_documents (
    id          TEXT PRIMARY KEY NOT NULL,
    request_id  TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    media_type  TEXT NOT NULL,
    key_version INTEGER NOT NULL CHECK (key_version BETWEEN 0 AND 4294967295),
    wrapped_key BLOB NOT NULL,
    ciphertext  BLOB NOT NULL,
    uploaded_at TEXT NOT NULL
) STRICT;

CREATE INDEX request_documents_by_request ON request_documents (request_id);

-- Messages to data subjects, kept until sent (and after, as proof). `kind` says which letter
-- it is; the address and the body are encrypted with the message's own key.
CREATE TABLE outbox_messages (
    id                 TEXT PRIMARY KEY NOT NULL,
    request_id         TEXT REFERENCES requests (id),
    kind               TEXT NOT NULL,
    key_version        INTEGER NOT NULL CHECK (key_version BETWEEN 0 AND 4294967295),
    wrapped_key        BLOB NOT NULL,
    address_ciphertext BLOB NOT NULL,
    body_ciphertext    BLOB NOT NULL,
    state              TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'failed')),
    attempts           INTEGER NOT NULL CHECK (attempts >= 0),
    next_attempt_at    TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    sent_at            TEXT,
    last_error         TEXT
) STRICT;

CREATE INDEX outbox_messages_by_state ON outbox_messages (state, next_attempt_at);

-- Notifications owed to recipients of data that was rectified, erased or restricted (Art. 19),
-- naming the subject only by a pseudonymous reference.
CREATE TABLE recipient_notifications (
    id                TEXT PRIMARY KEY NOT NULL,
    request_id        TEXT NOT NULL REFERENCES requests (id),
    recipient         TEXT NOT NULL,
    action            TEXT NOT NULL,
    categories        TEXT NOT NULL,
    subject_reference TEXT NOT NULL,
    letter_subject    TEXT NOT NULL,
    letter_text       TEXT NOT NULL,
    state             TEXT NOT NULL CHECK (state IN ('queued', 'sent')),
    created_at        TEXT NOT NULL
) STRICT;

CREATE INDEX recipient_notifications_by_request ON recipient_notifications (request_id, id);

CREATE TRIGGER request_events_append_only BEFORE UPDATE ON request_events
BEGIN
    SELECT RAISE(ABORT, 'request_events is append-only');
END;
