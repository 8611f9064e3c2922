-- Skydd schema 10 (SQLite): staff accounts of the console (issue 17), their recovery codes and
-- their sessions.
--
-- No personal value or secret is stored in plaintext. The sign-in e-mail address is a keyed
-- blind index (kind `staff_email`) and a ciphertext under the staff data key (derived from the
-- master key); the TOTP secret and a session's IP address are ciphertexts under the same key.
-- Passwords are argon2id PHC strings, recovery codes and session secrets labelled SHA-256
-- hashes. `totp_last_step` is the 30-second step of the last TOTP code accepted: a code of that
-- step or an earlier one is refused (replay). Lock-out is computed from `failed_attempts` and
-- `last_failure_at`.
--
-- Never edit this file once released: add a new numbered file instead.

CREATE TABLE staff_accounts (
    id                 TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 32),
    email_blind_index  BLOB NOT NULL UNIQUE CHECK (length(email_blind_index) = 32),
    email_ciphertext   BLOB NOT NULL,
    role               TEXT NOT NULL CHECK (role IN ('admin', 'dpo', 'support', 'auditor')),
    state              TEXT NOT NULL CHECK (state IN ('active', 'disabled')),
    password_hash      TEXT,
    totp_ciphertext    BLOB,
    totp_last_step     INTEGER CHECK (totp_last_step >= 0),
    failed_attempts    INTEGER NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
    last_failure_at    TEXT,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    last_sign_in_at    TEXT
) STRICT;

-- Ten per enrolment; replaced as a whole by the next enrolment, each usable once.
CREATE TABLE staff_recovery_codes (
    account_id  TEXT NOT NULL REFERENCES staff_accounts (id),
    code_hash   BLOB NOT NULL CHECK (length(code_hash) = 32),
    created_at  TEXT NOT NULL,
    used_at     TEXT,
    PRIMARY KEY (account_id, code_hash)
) STRICT;

-- A console session: found by the hash of its secret (the cookie), named by its public id in
-- the audit trail (`account:<id>/session:<public id>`). Pending stages wait for the second
-- factor or the enrolment, whose TOTP secret waits sealed in `pending_totp_ciphertext`.
CREATE TABLE staff_sessions (
    public_id                TEXT PRIMARY KEY NOT NULL,
    secret_hash              BLOB NOT NULL UNIQUE CHECK (length(secret_hash) = 32),
    account_id               TEXT NOT NULL REFERENCES staff_accounts (id),
    stage                    TEXT NOT NULL CHECK (stage IN ('second_factor', 'enrolment', 'full')),
    created_at               TEXT NOT NULL,
    last_seen_at             TEXT NOT NULL,
    ip_ciphertext            BLOB,
    pending_totp_ciphertext  BLOB,
    ended_at                 TEXT
) STRICT;

CREATE INDEX staff_sessions_by_account ON staff_sessions (account_id, created_at);
