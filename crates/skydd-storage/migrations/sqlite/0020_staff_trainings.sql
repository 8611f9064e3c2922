-- Skydd schema 20 (SQLite): privacy training of the people who may be given access to personal
-- data (issue 20, P000-63: "employees have respect for and knowledge of integrity").
--
-- One row per training completed, appended and never changed: the person by the keyed blind
-- index of their sign-in address (as `staff_accounts.email_blind_index`, so a training can be
-- recorded before the account exists, and no address is stored in clear), the day, the course,
-- who recorded it and when. Granting a role that reads personal data to someone with no row here
-- is warned about and audited with that fact.
--
-- Written to be applied again over itself (IF NOT EXISTS), as the upgrade tests replay the
-- migrations after an older one.
--
-- Never edit this file once released: add a new numbered file instead.

CREATE TABLE IF NOT EXISTS staff_trainings (
    seq               INTEGER PRIMARY KEY AUTOINCREMENT,
    email_blind_index BLOB NOT NULL,
    completed_on      TEXT NOT NULL,
    course            TEXT NOT NULL,
    recorded_by       TEXT NOT NULL,
    recorded_at       TEXT NOT NULL
) STRICT;

CREATE INDEX IF NOT EXISTS staff_trainings_by_person ON staff_trainings (email_blind_index, seq);
