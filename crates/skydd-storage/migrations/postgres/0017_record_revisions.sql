-- Skydd schema 17 (PostgreSQL): the values a rectification replaced (issue 20, Art. 16).
--
-- A rectification overwrote a record's ciphertext and kept nothing of what it replaced. Now the
-- replaced values stay in the subject's history: one row per corrected record and correction,
-- the previous values of the fields it changed, sealed under the subject's data key like the
-- record itself (so erasing or shredding the subject makes them unreadable), and deleted with
-- the record (ON DELETE CASCADE) by erasure and retention sweeps. The subject sees them in the
-- access package. Nothing here is readable without the subject's key.
--
-- Written to be applied again over itself (IF NOT EXISTS), as the upgrade tests replay the
-- migrations after an older one.
--
-- Never edit this file once released: add a new numbered file instead.

CREATE TABLE IF NOT EXISTS record_revisions (
    seq         bigserial PRIMARY KEY,
    record_id   text NOT NULL REFERENCES records (id) ON DELETE CASCADE,
    request_id  text,
    replaced_at timestamptz NOT NULL,
    fields      text NOT NULL,
    ciphertext  bytea NOT NULL
);

CREATE INDEX IF NOT EXISTS record_revisions_by_record ON record_revisions (record_id, seq);
