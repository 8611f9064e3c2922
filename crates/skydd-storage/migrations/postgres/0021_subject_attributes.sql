-- Skydd schema 21 (PostgreSQL): attributes of subjects that a legal basis can depend on (issue
-- 20): "support rests on the contract while you have a support agreement with us".
--
-- One row per subject and attribute (an id the register declares under `attributes`): from when
-- it holds, until when (exclusive; NULL while it goes on), and when it was last recorded. Setting
-- it again replaces the dates; the audit trail keeps every change. Rows go with their subject.
-- Every change adds a row to the change log (schema 13) and notifies its listeners, so that every
-- server forgets the subject's decision facts within the documented bound.
--
-- Written to be applied again over itself (IF NOT EXISTS, OR REPLACE), as the upgrade tests
-- replay the migrations after an older one.
--
-- Never edit this file once released: add a new numbered file instead.

CREATE TABLE IF NOT EXISTS subject_attributes (
    subject_id  text NOT NULL REFERENCES subjects (id) ON DELETE CASCADE,
    attribute   text NOT NULL,
    since       timestamptz NOT NULL,
    until       timestamptz,
    recorded_at timestamptz NOT NULL,
    PRIMARY KEY (subject_id, attribute)
);

CREATE OR REPLACE FUNCTION skydd_note_attribute_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO fact_changes (kind, key)
        VALUES ('subject', CASE TG_OP WHEN 'DELETE' THEN OLD.subject_id ELSE NEW.subject_id END);
    PERFORM pg_notify('skydd_fact_changes', TG_TABLE_SCHEMA);
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS fact_changes_on_attribute ON subject_attributes;
CREATE TRIGGER fact_changes_on_attribute AFTER INSERT OR UPDATE OR DELETE ON subject_attributes
    FOR EACH ROW EXECUTE FUNCTION skydd_note_attribute_change();
