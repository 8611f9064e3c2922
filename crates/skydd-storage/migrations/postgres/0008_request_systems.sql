-- Per request, per connected database (a dataset's system) and action, what was done there
-- (issue 16): 'pending' before a step ran, 'done', 'failed' or 'skipped' with the reason. The
-- receipt (JSON; for an erasure the primary keys of the rows erased) is sealed with the
-- request's data key, so no key of a row is stored in plaintext. A request is never complete
-- while one of its systems is pending, failed or skipped.
CREATE TABLE request_systems (
    request_id          text NOT NULL REFERENCES requests (id),
    system              text NOT NULL,
    action              text NOT NULL
        CHECK (action IN ('access', 'erasure', 'rectification', 'restriction', 'objection')),
    state               text NOT NULL CHECK (state IN ('pending', 'done', 'failed', 'skipped')),
    reason              text,
    receipt_ciphertext  bytea NOT NULL,
    updated_at          timestamptz NOT NULL,
    PRIMARY KEY (request_id, system, action),
    CHECK ((state IN ('failed', 'skipped')) = (reason IS NOT NULL))
);
