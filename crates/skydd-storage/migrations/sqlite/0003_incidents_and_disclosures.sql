-- Personal data breaches (Art. 33, 34) and disclosures to authorities. Both are documentation a
-- controller must be able to show, so both are append-only.

-- The entries of each incident (the report, notifications, communications, closing), numbered
-- from 0 per incident: two writers racing to add the same position conflict instead of both
-- landing. `body` is the entry as JSON.
CREATE TABLE incident_entries (
    incident_id TEXT NOT NULL,
    position    INTEGER NOT NULL CHECK (position >= 0),
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    kind        TEXT NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (incident_id, position)
) STRICT;

-- Disclosures to authorities, each on a decision (a court decision, an order).
CREATE TABLE disclosures (
    id                 TEXT PRIMARY KEY,
    at                 TEXT NOT NULL,
    actor              TEXT NOT NULL,
    recipient          TEXT NOT NULL,
    purpose            TEXT NOT NULL,
    legal_basis        TEXT NOT NULL,
    decision_kind      TEXT NOT NULL,
    decision_reference TEXT NOT NULL CHECK (length(trim(decision_reference)) > 0),
    decided_by         TEXT NOT NULL,
    decided_on         TEXT NOT NULL,
    document_sha256    TEXT
) STRICT;

CREATE INDEX disclosures_by_time ON disclosures (at, id);

CREATE TABLE disclosure_subjects (
    disclosure_id TEXT NOT NULL REFERENCES disclosures (id),
    position      INTEGER NOT NULL,
    subject_id    TEXT NOT NULL,
    PRIMARY KEY (disclosure_id, position)
) STRICT;

CREATE INDEX disclosure_subjects_by_subject ON disclosure_subjects (subject_id);

CREATE TABLE disclosure_categories (
    disclosure_id TEXT NOT NULL REFERENCES disclosures (id),
    position      INTEGER NOT NULL,
    category      TEXT NOT NULL,
    PRIMARY KEY (disclosure_id, position)
) STRICT;

CREATE TRIGGER incident_entries_append_only BEFORE UPDATE ON incident_entries
BEGIN
    SELECT RAISE(ABORT, 'incident_entries is append-only');
END;

CREATE TRIGGER disclosures_append_only BEFORE UPDATE ON disclosures
BEGIN
    SELECT RAISE(ABORT, 'disclosures is append-only');
END;

CREATE TRIGGER disclosure_subjects_append_only BEFORE UPDATE ON disclosure_subjects
BEGIN
    SELECT RAISE(ABORT, 'disclosure_subjects is append-only');
END;

CREATE TRIGGER disclosure_categories_append_only BEFORE UPDATE ON disclosure_categories
BEGIN
    SELECT RAISE(ABORT, 'disclosure_categories is append-only');
END;
