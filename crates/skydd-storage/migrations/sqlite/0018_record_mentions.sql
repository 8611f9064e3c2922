-- Skydd schema 18 (SQLite): who a record's free text mentions (issue 21).
--
-- A support ticket filed under one customer may name another person by e-mail address, phone
-- number or personnummer. When a record is written, its free-text fields are scanned and each
-- identity found is kept here as the blind index its kind has in `identities` (a keyed hash of
-- the normal form), never as text: an access request finds the tickets that mention the person,
-- and an erasure finds what to redact, without a plaintext index of what people wrote. Rows go
-- with their record (ON DELETE CASCADE) and are replaced when the record's values are.
--
-- Written to be applied again over itself (IF NOT EXISTS), as the upgrade tests replay the
-- migrations after an older one.
--
-- Never edit this file once released: add a new numbered file instead.

CREATE TABLE IF NOT EXISTS record_mentions (
    record_id   TEXT NOT NULL REFERENCES records (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    blind_index BLOB NOT NULL,
    PRIMARY KEY (record_id, kind, blind_index)
) STRICT, WITHOUT ROWID;

CREATE INDEX IF NOT EXISTS record_mentions_by_identity ON record_mentions (kind, blind_index);
