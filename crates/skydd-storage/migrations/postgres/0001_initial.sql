-- Skydd schema 1 (PostgreSQL): the master key check, API tokens and loaded register versions.
--
-- Timestamps are `timestamptz` (microsecond precision, like everything Skydd stores).
--
-- Never edit this file once released: the migration runner refuses a database whose applied
-- migration has a different checksum. Add a new numbered file instead.

-- Facts about the installation itself, such as the master key check value.
CREATE TABLE skydd_meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);

-- API tokens, stored only as the SHA-256 of the token string. The role is checked by Skydd
-- (not by a CHECK constraint), as in the SQLite schema.
CREATE TABLE api_tokens (
    id         text PRIMARY KEY,
    hash       text NOT NULL UNIQUE,
    role       text NOT NULL,
    label      text NOT NULL,
    created_at timestamptz NOT NULL,
    revoked_at timestamptz
);

-- Every version of the register a server loaded, by the digest of its canonical content.
CREATE TABLE register_versions (
    digest          text PRIMARY KEY,
    published       text NOT NULL,
    first_loaded_at timestamptz NOT NULL,
    content         text NOT NULL
);
