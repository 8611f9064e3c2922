-- Skydd schema 1 (SQLite): the master key check, API tokens and loaded register versions.
--
-- Timestamps are TEXT in one fixed-width RFC 3339 form, `2025-01-31T09:30:00.000000Z`
-- (UTC, always six fractional digits), so that comparing and sorting the text compares and
-- sorts the instants. Tables are STRICT: a value of the wrong type is refused, not converted.
--
-- Never edit this file once released: the migration runner refuses a database whose applied
-- migration has a different checksum. Add a new numbered file instead.

-- Facts about the installation itself, such as the master key check value.
CREATE TABLE skydd_meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) STRICT;

-- API tokens, stored only as the SHA-256 of the token string. The role is checked by Skydd
-- (not by a CHECK constraint) so that a new role needs no table rebuild.
CREATE TABLE api_tokens (
    id         TEXT PRIMARY KEY NOT NULL,
    hash       TEXT NOT NULL UNIQUE,
    role       TEXT NOT NULL,
    label      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
) STRICT;

-- Every version of the register a server loaded, by the digest of its canonical content.
CREATE TABLE register_versions (
    digest          TEXT PRIMARY KEY NOT NULL,
    published       TEXT NOT NULL,
    first_loaded_at TEXT NOT NULL,
    content         TEXT NOT NULL
) STRICT;
