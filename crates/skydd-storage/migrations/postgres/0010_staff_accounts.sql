-- Skydd schema 10 (PostgreSQL): staff accounts of the console (issue 17), their recovery codes
-- and their sessions.
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
    id                 text PRIMARY KEY NOT NULL CHECK (length(id) = 32),
    email_blind_index  bytea NOT NULL UNIQUE CHECK (length(email_blind_index) = 32),
    email_ciphertext   bytea NOT NULL,
    role               text NOT NULL CHECK (role IN ('admin', 'dpo', 'support', 'auditor')),
    state              text NOT NULL CHECK (state IN ('active', 'disabled')),
    password_hash      text,
    totp_ciphertext    bytea,
    totp_last_step     bigint CHECK (totp_last_step >= 0),
    failed_attempts    integer NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
    last_failure_at    timestamptz,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    last_sign_in_at    timestamptz
);

-- Ten per enrolment; replaced as a whole by the next enrolment, each usable once.
CREATE TABLE staff_recovery_codes (
    account_id  text NOT NULL REFERENCES staff_accounts (id),
    code_hash   bytea NOT NULL CHECK (length(code_hash) = 32),
    created_at  timestamptz NOT NULL,
    used_at     timestamptz,
    PRIMARY KEY (account_id, code_hash)
);

-- A console session: found by the hash of its secret (the cookie), named by its public id in
-- the audit trail (`account:<id>/session:<public id>`). Pending stages wait for the second
-- factor or the enrolment, whose TOTP secret waits sealed in `pending_totp_ciphertext`.
CREATE TABLE staff_sessions (
    public_id                text PRIMARY KEY NOT NULL,
    secret_hash              bytea NOT NULL UNIQUE CHECK (length(secret_hash) = 32),
    account_id               text NOT NULL REFERENCES staff_accounts (id),
    stage                    text NOT NULL CHECK (stage IN ('second_factor', 'enrolment', 'full')),
    created_at               timestamptz NOT NULL,
    last_seen_at             timestamptz NOT NULL,
    ip_ciphertext            bytea,
    pending_totp_ciphertext  bytea,
    ended_at                 timestamptz
);

CREATE INDEX staff_sessions_by_account ON staff_sessions (account_id, created_at);
