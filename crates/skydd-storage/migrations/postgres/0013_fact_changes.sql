-- Skydd schema 13 (PostgreSQL): the change log of decision facts (issue 19).
--
-- Servers keep the facts a decision needs (a subject's consents, objections, preferences,
-- restriction and tenant; an organisation's consents and feature switches; API tokens) in
-- memory. Every write that changes one of them adds a row here, by trigger, in the same
-- transaction, and notifies the channel `skydd_fact_changes` with the schema's name as payload
-- (delivered at commit; several in one transaction are delivered once). A server LISTENs to
-- wake at once and reads the rows after the last one it saw, which also covers a lost
-- notification or a reconnect. Sequence numbers are taken at insert, not at commit, so a
-- reader must allow for a gap that fills later. Rows hold ids only, never a personal value,
-- and are pruned by sequence number.
--
-- Never edit this file once released: add a new numbered file instead.

CREATE TABLE fact_changes (
    seq  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('subject', 'organisation', 'token')),
    key  text NOT NULL
);

CREATE FUNCTION skydd_note_fact_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    change_kind text;
    change_key  text;
BEGIN
    IF TG_TABLE_NAME = 'consent_events' THEN
        -- Subject scope changes the subject; organisation or project (`org/project`) scope
        -- changes the organisation.
        change_kind := CASE NEW.scope_kind WHEN 'subject' THEN 'subject' ELSE 'organisation' END;
        change_key := CASE NEW.scope_kind
            WHEN 'project' THEN split_part(NEW.scope_id, '/', 1)
            ELSE NEW.scope_id
        END;
    ELSIF TG_TABLE_NAME IN ('objection_events', 'preference_events') THEN
        change_kind := 'subject';
        change_key := NEW.subject_id;
    ELSIF TG_TABLE_NAME = 'feature_switch_events' THEN
        change_kind := 'organisation';
        change_key := NEW.organisation;
    ELSIF TG_TABLE_NAME = 'subjects' THEN
        change_kind := 'subject';
        change_key := CASE TG_OP WHEN 'DELETE' THEN OLD.id ELSE NEW.id END;
    ELSIF TG_TABLE_NAME = 'api_tokens' THEN
        change_kind := 'token';
        change_key := CASE TG_OP WHEN 'DELETE' THEN OLD.id ELSE NEW.id END;
    ELSE
        RAISE EXCEPTION 'skydd_note_fact_change on an unexpected table %', TG_TABLE_NAME;
    END IF;
    INSERT INTO fact_changes (kind, key) VALUES (change_kind, change_key);
    PERFORM pg_notify('skydd_fact_changes', TG_TABLE_SCHEMA);
    RETURN NULL;
END
$$;

CREATE TRIGGER fact_changes_on_consent AFTER INSERT ON consent_events
    FOR EACH ROW EXECUTE FUNCTION skydd_note_fact_change();
CREATE TRIGGER fact_changes_on_objection AFTER INSERT ON objection_events
    FOR EACH ROW EXECUTE FUNCTION skydd_note_fact_change();
CREATE TRIGGER fact_changes_on_preference AFTER INSERT ON preference_events
    FOR EACH ROW EXECUTE FUNCTION skydd_note_fact_change();
CREATE TRIGGER fact_changes_on_feature_switch AFTER INSERT ON feature_switch_events
    FOR EACH ROW EXECUTE FUNCTION skydd_note_fact_change();
-- A restriction set or lifted, a tenant changed, a subject erased or shredded.
CREATE TRIGGER fact_changes_on_subject_update AFTER UPDATE OF restricted_at, tenant ON subjects
    FOR EACH ROW EXECUTE FUNCTION skydd_note_fact_change();
CREATE TRIGGER fact_changes_on_subject_delete AFTER DELETE ON subjects
    FOR EACH ROW EXECUTE FUNCTION skydd_note_fact_change();
-- A token revoked, expiring or given other scopes (not its last use, written once a minute).
CREATE TRIGGER fact_changes_on_token_update AFTER UPDATE OF revoked_at, expires_at, scopes
    ON api_tokens FOR EACH ROW EXECUTE FUNCTION skydd_note_fact_change();
CREATE TRIGGER fact_changes_on_token_delete AFTER DELETE ON api_tokens
    FOR EACH ROW EXECUTE FUNCTION skydd_note_fact_change();
