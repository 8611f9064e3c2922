-- Skydd schema 14 (PostgreSQL): the progress of bulk imports (issue 19).
--
-- An import (`POST /v1/imports`, `skydd import`) is named by the SHA-256 of its file or by a
-- key its client gives (`<tenant>/<key>` for a tenant's). Each batch of rows it writes moves
-- `lines_done` on, in the batch's own transaction, so a run that stops (a crash, Ctrl-C, a lost
-- connection) is continued by the next run of the same import after the last committed line,
-- and no line is written twice. The row holds counts only, never a personal value.
--
-- Never edit this file once released: add a new numbered file instead.

CREATE TABLE imports (
    id         text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 200),
    lines_done bigint NOT NULL CHECK (lines_done >= 0),
    imported   bigint NOT NULL CHECK (imported >= 0),
    skipped    bigint NOT NULL CHECK (skipped >= 0),
    started_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
