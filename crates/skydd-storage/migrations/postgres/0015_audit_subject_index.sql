-- Skydd schema 15 (PostgreSQL): the audit trail's index by subject, under the names SQLite's
-- deferred index has (issue 19).
--
-- On SQLite the index by subject is a table filled behind the commits (see the SQLite file of
-- this migration). PostgreSQL keeps its index on `audit_events (subject_id, seq)` in the
-- commit: its buffer manager absorbs the random index pages, and a table filled in rounds
-- measured no faster here while its rounds, a heap and an index written again, added 5 ms to
-- the p99 of decisions. So `audit_subject_entries` is a view over the events, and a round only
-- moves `audit_subject_mark` to the chain's head. Searches by subject run the same statement
-- on both backends: the entries up to the mark, and the events above it (at most a round's).
--
-- Never edit this file once released: add a new numbered file instead.

CREATE VIEW audit_subject_entries AS
SELECT subject_id, seq FROM audit_events WHERE subject_id IS NOT NULL;

CREATE TABLE audit_subject_mark (
    id  integer PRIMARY KEY CHECK (id = 1),
    seq bigint NOT NULL CHECK (seq >= 0)
);

INSERT INTO audit_subject_mark (id, seq) SELECT 1, COALESCE(MAX(seq), 0) FROM audit_events;
