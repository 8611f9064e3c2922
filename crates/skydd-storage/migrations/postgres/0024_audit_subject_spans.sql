-- Skydd schema 24 (PostgreSQL): the span of the audit trail's index by subject that SQLite
-- writes in chunks (issue 19; see the SQLite file of this migration).
--
-- PostgreSQL keeps its index by subject in the commit (migration 15), so no span is ever open
-- here: the row stays empty. It exists because searches by subject run the same statement on
-- both backends, and that statement reads a subject's mark through it.
--
-- Never edit this file once released: add a new numbered file instead.

CREATE TABLE IF NOT EXISTS audit_subject_span (
    id           integer PRIMARY KEY CHECK (id = 1),
    end_seq      bigint,
    next_subject text,
    CHECK ((end_seq IS NULL) = (next_subject IS NULL))
);

INSERT INTO audit_subject_span (id, end_seq, next_subject) VALUES (1, NULL, NULL)
ON CONFLICT DO NOTHING;
