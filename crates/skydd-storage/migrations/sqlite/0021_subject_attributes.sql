-- Skydd schema 21 (SQLite): attributes of subjects that a legal basis can depend on (issue 20):
-- "support rests on the contract while you have a support agreement with us".
--
-- One row per subject and attribute (an id the register declares under `attributes`): from when
-- it holds, until when (exclusive; NULL while it goes on), and when it was last recorded. Setting
-- it again replaces the dates; the audit trail keeps every change. Rows go with their subject.
-- Every change adds a row to the change log (schema 13), so that every server forgets the
-- subject's decision facts within the documented bound.
--
-- Written to be applied again over itself (IF NOT EXISTS), as the upgrade tests replay the
-- migrations after an older one.
--
-- Never edit this file once released: add a new numbered file instead.

CREATE TABLE IF NOT EXISTS subject_attributes (
    subject_id  TEXT NOT NULL REFERENCES subjects (id) ON DELETE CASCADE,
    attribute   TEXT NOT NULL,
    since       TEXT NOT NULL,
    until       TEXT,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (subject_id, attribute)
) STRICT;

CREATE TRIGGER IF NOT EXISTS fact_changes_on_attribute_insert AFTER INSERT ON subject_attributes
BEGIN
    INSERT INTO fact_changes (kind, key) VALUES ('subject', NEW.subject_id);
END;

CREATE TRIGGER IF NOT EXISTS fact_changes_on_attribute_update AFTER UPDATE ON subject_attributes
BEGIN
    INSERT INTO fact_changes (kind, key) VALUES ('subject', NEW.subject_id);
END;

CREATE TRIGGER IF NOT EXISTS fact_changes_on_attribute_delete AFTER DELETE ON subject_attributes
BEGIN
    INSERT INTO fact_changes (kind, key) VALUES ('subject', OLD.subject_id);
END;
