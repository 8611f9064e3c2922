-- Skydd schema 24 (SQLite): the audit trail's index by subject filled a span at a time, in
-- chunks of whole subjects (issue 19).
--
-- Until now a round indexed a few thousand events sorted by subject in one transaction: with
-- decisions audited at line rate every round wrote a page of the index for nearly every
-- subject it held (a few entries each), about 130 MB of WAL and 0.4 s of the ledger writer's
-- lock for each 131,072 events, and each round held up the group commits waiting behind it
-- (a p99 of 50 ms for decisions under wrk). Now the index reads a whole span of events, up to
-- 131,072, sorts their entries by subject on the side, and writes them in chunks of whole
-- subjects, each its own short transaction: a subject's entries of the span land on its pages
-- once (20 MB of WAL and 0.1 s for the same span, no transaction over 5 ms).
--
-- While a span is being written, `end_seq` is where it ends and `next_subject` the first
-- subject (in byte order) whose entries are not written yet: a subject ordered before it has
-- its entries up to `end_seq`, every other up to `audit_subject_mark.seq`. That is the mark a
-- search by one subject uses. Both are NULL between spans; a span's last chunk moves the mark
-- to `end_seq` and clears them in its transaction. A span survives a restart: the next round
-- goes on at `next_subject`.
--
-- Never edit this file once released: add a new numbered file instead.

CREATE TABLE IF NOT EXISTS audit_subject_span (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    end_seq      INTEGER,
    next_subject TEXT,
    CHECK ((end_seq IS NULL) = (next_subject IS NULL))
) STRICT;

INSERT INTO audit_subject_span (id, end_seq, next_subject) VALUES (1, NULL, NULL)
ON CONFLICT DO NOTHING;
