-- Skydd schema 19 (PostgreSQL): the dated evaluations of the security measures (issue 20,
-- P003-42: "We are regularly evaluating our security measures").
--
-- One row per review, appended and never changed: the day it was held, who recorded it and when,
-- and what it found in words. The register's `security_review.every` says how often one is due;
-- the console, the API and `/metrics` say when the last cycle has none. No personal data about
-- subjects; `recorded_by` is a staff account or token id.
--
-- Written to be applied again over itself (IF NOT EXISTS), as the upgrade tests replay the
-- migrations after an older one.
--
-- Never edit this file once released: add a new numbered file instead.

CREATE TABLE IF NOT EXISTS security_reviews (
    seq         bigserial PRIMARY KEY,
    reviewed_on text NOT NULL,
    recorded_at timestamptz NOT NULL,
    recorded_by text NOT NULL,
    summary     text NOT NULL
);
