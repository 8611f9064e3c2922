-- Skydd schema 11 (PostgreSQL): the privacy centre's sign-ins and sessions (issue 18), and
-- requests found by the identity they were made with.
--
-- No personal value or secret is stored in plaintext. A sign-in keeps keyed hashes (HMAC under
-- the centre key derived from the master key) of its code, its magic link's token and the
-- secret of the browser that asked: a database reader cannot try the 10^8 codes without the key.
-- The identities a sign-in or session is for are one ciphertext under the same key; a sign-in
-- for identities nobody knows holds an empty list, so it can never open a session. A session
-- keeps the keyed hash of its secret (the cookie). Expired and ended rows are deleted by the
-- retention sweep.
--
-- Never edit this file once released: add a new numbered file instead.

CREATE TABLE centre_sign_ins (
    public_id              text PRIMARY KEY NOT NULL CHECK (length(public_id) = 32),
    code_hash              bytea NOT NULL CHECK (length(code_hash) = 32),
    link_hash              bytea NOT NULL UNIQUE CHECK (length(link_hash) = 32),
    browser_hash           bytea NOT NULL CHECK (length(browser_hash) = 32),
    subject_id             text,
    identities_ciphertext  bytea NOT NULL,
    intent                 text NOT NULL,
    expires_at             timestamptz NOT NULL,
    attempts_left          integer NOT NULL CHECK (attempts_left >= 0),
    ended_at               timestamptz,
    created_at             timestamptz NOT NULL
);

CREATE INDEX centre_sign_ins_by_expiry ON centre_sign_ins (expires_at);

-- A privacy centre session: found by the keyed hash of its secret, named by its public id in
-- the audit trail (`centre:<public id>`). No foreign key to `subjects`: an erasure may remove
-- the subject while a session is open, and the session then reads nothing of it.
CREATE TABLE centre_sessions (
    public_id              text PRIMARY KEY NOT NULL CHECK (length(public_id) = 32),
    secret_hash            bytea NOT NULL UNIQUE CHECK (length(secret_hash) = 32),
    subject_id             text,
    identities_ciphertext  bytea NOT NULL,
    intent                 text NOT NULL,
    created_at             timestamptz NOT NULL,
    last_seen_at           timestamptz NOT NULL,
    ended_at               timestamptz
);

CREATE INDEX centre_sessions_by_start ON centre_sessions (created_at);

-- The requests of a person the vault holds no subject for are found by the blind index of the
-- identity they were made with.
CREATE INDEX requests_by_identity ON requests (identity_blind_index, received_at);
