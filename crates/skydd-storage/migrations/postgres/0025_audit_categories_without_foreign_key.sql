-- Skydd schema 25 (PostgreSQL): the audit events' categories no longer checked against their
-- events by a foreign key (issue 19).
--
-- Every ledger append inserts an event's categories in the statement that inserts the event,
-- joined on the rows it inserted, and audit events are never deleted (the trail is append-only:
-- no statement of Skydd deletes from it, and its rows refuse updates). The key's check, one
-- look-up into the events' primary key per category row, cost about a tenth of the decisions
-- PostgreSQL could record a second (BENCHMARKS.md, issue 19). The categories stay covered by
-- each event's hash, so `skydd audit verify` still finds a category changed, added or removed.
--
-- SQLite keeps its key: dropping one there means rebuilding the table, and SQLite's appends are
-- not bound by it. Its file of this migration changes nothing.
--
-- Never edit this file once released: add a new numbered file instead.

ALTER TABLE audit_event_categories
    DROP CONSTRAINT IF EXISTS audit_event_categories_event_seq_fkey;
