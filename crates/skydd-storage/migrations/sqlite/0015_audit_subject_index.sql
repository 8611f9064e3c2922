-- Skydd schema 15 (SQLite): the audit trail's index by subject, filled behind the commits
-- (issue 19).
--
-- An index on `audit_events (subject_id, seq)` put one random page of the index into every
-- group commit for every subject in it: with decisions audited at line rate, most of what a
-- commit wrote. The index is now a table of its own that a background round fills, a few
-- thousand events at a time sorted by subject, so each page of it is written once a round
-- rather than once an event. `audit_subject_mark.seq` says how far it is complete: every event
-- up to that seq that names a subject has its entry, and no entry lies above it (a round
-- inserts its entries and moves the mark in one transaction). A search by subject reads the
-- entries up to the mark and scans the events above it (the short tail no round has reached
-- yet), in one statement, so it is exact at any moment.
--
-- The entries are derived from `audit_events`, which the chain protects; they hold no value
-- beyond a subject id and a seq.
--
-- Never edit this file once released: add a new numbered file instead.

CREATE TABLE audit_subject_entries (
    subject_id TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    PRIMARY KEY (subject_id, seq)
) STRICT, WITHOUT ROWID;

CREATE TABLE audit_subject_mark (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL CHECK (seq >= 0)
) STRICT;

INSERT INTO audit_subject_entries (subject_id, seq)
SELECT subject_id, seq FROM audit_events WHERE subject_id IS NOT NULL ORDER BY subject_id, seq;

INSERT INTO audit_subject_mark (id, seq) SELECT 1, COALESCE(MAX(seq), 0) FROM audit_events;

DROP INDEX audit_events_by_subject;
