-- Schema 3: the audit trail becomes a hash chain with signed checkpoints; anonymised records
-- kept by retention.
--
-- Each audit event stores `hash` = SHA-256 of its canonical encoding, which includes the hash of
-- the event before it (see `audit_chain.rs`). `audit_chain_head` (one row) holds the seq and hash
-- of the newest event; appends read and move it inside their transaction, so the chain is
-- computed by one writer at a time. Events from before this migration are not chained:
-- `first_seq` is where the chain starts.
--
-- Never edit this file once released: add a new numbered file instead.

ALTER TABLE audit_events ADD COLUMN hash BLOB CHECK (hash IS NULL OR length(hash) = 32);

CREATE TABLE audit_chain_head (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    first_seq INTEGER NOT NULL,
    seq       INTEGER NOT NULL,
    hash      BLOB NOT NULL CHECK (length(hash) = 32)
) STRICT;

INSERT INTO audit_chain_head (id, first_seq, seq, hash)
SELECT 1, COALESCE(MAX(seq), 0) + 1, COALESCE(MAX(seq), 0), zeroblob(32) FROM audit_events;

-- Signed checkpoints: "the chain had `seq` entries ending in `hash` at `at`", signed with the
-- checkpoint key (Ed25519) whose public half is `public_key`.
CREATE TABLE audit_checkpoints (
    seq        INTEGER PRIMARY KEY NOT NULL,
    hash       BLOB NOT NULL CHECK (length(hash) = 32),
    at         TEXT NOT NULL,
    public_key BLOB NOT NULL CHECK (length(public_key) = 32),
    signature  BLOB NOT NULL CHECK (length(signature) = 64)
) STRICT;

CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE ON audit_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'audit_checkpoints is append-only');
END;

-- What retention's `anonymise` keeps of a record: its category, purpose, the month it was
-- collected and the fields the register marks `statistical` (JSON object), without subject or
-- record id. Not personal data, so not encrypted.
CREATE TABLE anonymised_records (
    id              INTEGER PRIMARY KEY,
    category        TEXT NOT NULL,
    purpose         TEXT NOT NULL,
    collected_month TEXT NOT NULL,
    fields          TEXT NOT NULL,
    anonymised_at   TEXT NOT NULL
) STRICT;

CREATE INDEX anonymised_records_by_category ON anonymised_records (category, collected_month);
