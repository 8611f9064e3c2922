-- Skydd schema 3 (PostgreSQL): data-subject requests (Art. 12-22) with their append-only history,
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
    id                   text PRIMARY KEY,
    request_type         text NOT NULL,
    state                text NOT NULL,
    channel              text NOT NULL,
    tenant               text,
    subject_id           text,
    identity_kind        text NOT NULL,
    identity_blind_index bytea NOT NULL CHECK (octet_length(identity_blind_index) = 32),
    key_version          bigint NOT NULL CHECK (key_version BETWEEN 0 AND 4294967295),
    wrapped_key          bytea NOT NULL,
    identity_ciphertext  bytea NOT NULL,
    details_ciphertext   bytea,
    received_at          timestamptz NOT NULL,
    due_at               timestamptz NOT NULL,
    unrolled_due         text NOT NULL,
    extended_months      integer NOT NULL CHECK (extended_months BETWEEN 0 AND 2),
    routed_to_controller boolean NOT NULL,
    needs_decision       text,
    reasons              text,
    outcome              text,
    updated_at           timestamptz NOT NULL,
    closed_at            timestamptz
);

CREATE INDEX requests_by_due ON requests (due_at, id);
CREATE INDEX requests_by_subject ON requests (subject_id, received_at);
CREATE INDEX requests_by_tenant ON requests (tenant, due_at);

-- Every change of a request: who, when, from which state to which, and what (never a value).
CREATE TABLE request_events (
    seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id text NOT NULL REFERENCES requests (id),
    at         timestamptz NOT NULL,
    actor      text NOT NULL,
    action     text NOT NULL,
    from_state text,
    to_state   text NOT NULL,
    detail     text
);

CREATE INDEX request_events_by_request ON request_events (request_id, seq);

-- The one-time code of a request: its SHA-256 only, how often it was tried, when it was issued.
CREATE TABLE verification_codes (
    request_id text PRIMARY KEY REFERENCES requests (id) ON DELETE CASCADE,
    code_hash  bytea NOT NULL CHECK (octet_length(code_hash) = 32),
    attempts   integer NOT NULL CHECK (attempts >= 0),
    issued_at  timestamptz NOT NULL
);

-- Identity documents (a passport scan), each encrypted with its own key stored beside it:
-- deleting the row when the request closes destroys both.
CREATE TABLE request_documents (
    id          text PRIMARY KEY,
    request_id  text NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    media_type  text NOT NULL,
    key_version bigint NOT NULL CHECK (key_version BETWEEN 0 AND 4294967295),
    wrapped_key bytea NOT NULL,
    ciphertext  bytea NOT NULL,
    uploaded_at timestamptz NOT NULL
);

CREATE INDEX request_documents_by_request ON request_documents (request_id);

-- Messages to data subjects, kept until sent (and after, as proof). `kind` says which letter
-- it is; the address and the body are encrypted with the message's own key.
CREATE TABLE outbox_messages (
    id                 text PRIMARY KEY,
    request_id         text REFERENCES requests (id),
    kind               text NOT NULL,
    key_version        bigint NOT NULL CHECK (key_version BETWEEN 0 AND 4294967295),
    wrapped_key        bytea NOT NULL,
    address_ciphertext bytea NOT NULL,
    body_ciphertext    bytea NOT NULL,
    state              text NOT NULL CHECK (state IN ('queued', 'sent', 'failed')),
    attempts           integer NOT NULL CHECK (attempts >= 0),
    next_attempt_at    timestamptz NOT NULL,
    created_at         timestamptz NOT NULL,
    sent_at            timestamptz,
    last_error         text
);

CREATE INDEX outbox_messages_by_state ON outbox_messages (state, next_attempt_at);

-- Notifications owed to recipients of data that was rectified, erased or restricted (Art. 19),
-- naming the subject only by a pseudonymous reference.
CREATE TABLE recipient_notifications (
    id                text PRIMARY KEY,
    request_id        text NOT NULL REFERENCES requests (id),
    recipient         text NOT NULL,
    action            text NOT NULL,
    categories        text NOT NULL,
    subject_reference text NOT NULL,
    letter_subject    text NOT NULL,
    letter_text       text NOT NULL,
    state             text NOT NULL CHECK (state IN ('queued', 'sent')),
    created_at        timestamptz NOT NULL
);

CREATE INDEX recipient_notifications_by_request ON recipient_notifications (request_id, id);

CREATE TRIGGER request_events_append_only BEFORE UPDATE ON request_events
    FOR EACH ROW EXECUTE FUNCTION skydd_refuse_update();
