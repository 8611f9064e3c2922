-- Personal data breaches (Art. 33, 34) and disclosures to authorities. Both are documentation a
-- controller must be able to show, so both are append-only.

-- The entries of each incident (the report, notifications, communications, closing), numbered
-- from 0 per incident: two writers racing to add the same position conflict instead of both
-- landing. `body` is the entry as JSON.
CREATE TABLE incident_entries (
    incident_id text NOT NULL,
    position    bigint NOT NULL CHECK (position >= 0),
    at          timestamptz NOT NULL,
    actor       text NOT NULL,
    kind        text NOT NULL,
    body        text NOT NULL,
    PRIMARY KEY (incident_id, position)
);

-- Disclosures to authorities, each on a decision (a court decision, an order).
CREATE TABLE disclosures (
    id                 text PRIMARY KEY,
    at                 timestamptz NOT NULL,
    actor              text NOT NULL,
    recipient          text NOT NULL,
    purpose            text NOT NULL,
    legal_basis        text NOT NULL,
    decision_kind      text NOT NULL,
    decision_reference text NOT NULL CHECK (length(trim(decision_reference)) > 0),
    decided_by         text NOT NULL,
    decided_on         text NOT NULL,
    document_sha256    text
);

CREATE INDEX disclosures_by_time ON disclosures (at, id);

CREATE TABLE disclosure_subjects (
    disclosure_id text NOT NULL REFERENCES disclosures (id),
    position      bigint NOT NULL,
    subject_id    text NOT NULL,
    PRIMARY KEY (disclosure_id, position)
);

CREATE INDEX disclosure_subjects_by_subject ON disclosure_subjects (subject_id);

CREATE TABLE disclosure_categories (
    disclosure_id text NOT NULL REFERENCES disclosures (id),
    position      bigint NOT NULL,
    category      text NOT NULL,
    PRIMARY KEY (disclosure_id, position)
);

CREATE TRIGGER incident_entries_append_only BEFORE UPDATE ON incident_entries
    FOR EACH ROW EXECUTE FUNCTION skydd_refuse_update();
CREATE TRIGGER disclosures_append_only BEFORE UPDATE ON disclosures
    FOR EACH ROW EXECUTE FUNCTION skydd_refuse_update();
CREATE TRIGGER disclosure_subjects_append_only BEFORE UPDATE ON disclosure_subjects
    FOR EACH ROW EXECUTE FUNCTION skydd_refuse_update();
CREATE TRIGGER disclosure_categories_append_only BEFORE UPDATE ON disclosure_categories
    FOR EACH ROW EXECUTE FUNCTION skydd_refuse_update();
