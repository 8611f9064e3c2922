-- Skydd schema 13 (SQLite): the change log of decision facts (issue 19).
--
-- Servers keep the facts a decision needs (a subject's consents, objections, preferences,
-- restriction and tenant; an organisation's consents and feature switches; API tokens) in
-- memory. Every write that changes one of them adds a row here, by trigger, in the same
-- transaction, whoever writes: a server, a `skydd` command on the same file, a bulk import. A
-- server reads the rows after the last one it saw and forgets what they name, so a change made
-- elsewhere reaches its memory within the documented bound. Rows hold ids only (a subject id,
-- an organisation id, a token id), never a personal value, and are pruned by sequence number.
--
-- Never edit this file once released: add a new numbered file instead.

CREATE TABLE fact_changes (
    seq  INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('subject', 'organisation', 'token')),
    key  TEXT NOT NULL
) STRICT;

-- A consent at subject scope changes that subject; at organisation or project scope (stored as
-- `org/project`) it changes the organisation.
CREATE TRIGGER fact_changes_on_consent AFTER INSERT ON consent_events
BEGIN
    INSERT INTO fact_changes (kind, key) VALUES (
        CASE NEW.scope_kind WHEN 'subject' THEN 'subject' ELSE 'organisation' END,
        CASE NEW.scope_kind
            WHEN 'project' THEN substr(NEW.scope_id, 1, instr(NEW.scope_id, '/') - 1)
            ELSE NEW.scope_id
        END);
END;

CREATE TRIGGER fact_changes_on_objection AFTER INSERT ON objection_events
BEGIN
    INSERT INTO fact_changes (kind, key) VALUES ('subject', NEW.subject_id);
END;

CREATE TRIGGER fact_changes_on_preference AFTER INSERT ON preference_events
BEGIN
    INSERT INTO fact_changes (kind, key) VALUES ('subject', NEW.subject_id);
END;

CREATE TRIGGER fact_changes_on_feature_switch AFTER INSERT ON feature_switch_events
BEGIN
    INSERT INTO fact_changes (kind, key) VALUES ('organisation', NEW.organisation);
END;

-- A restriction set or lifted, a tenant changed, a subject erased or shredded.
CREATE TRIGGER fact_changes_on_subject_update AFTER UPDATE OF restricted_at, tenant ON subjects
BEGIN
    INSERT INTO fact_changes (kind, key) VALUES ('subject', NEW.id);
END;

CREATE TRIGGER fact_changes_on_subject_delete AFTER DELETE ON subjects
BEGIN
    INSERT INTO fact_changes (kind, key) VALUES ('subject', OLD.id);
END;

-- A token revoked, expiring or given other scopes (not its last use, written once a minute).
CREATE TRIGGER fact_changes_on_token_update AFTER UPDATE OF revoked_at, expires_at, scopes
    ON api_tokens
BEGIN
    INSERT INTO fact_changes (kind, key) VALUES ('token', NEW.id);
END;

CREATE TRIGGER fact_changes_on_token_delete AFTER DELETE ON api_tokens
BEGIN
    INSERT INTO fact_changes (kind, key) VALUES ('token', OLD.id);
END;
