-- Skydd schema 2 (PostgreSQL): subjects with their wrapped data keys, identities and records
-- (the vault), and the append-only ledgers: consent, objections, marketing preferences,
-- feature switches and the audit trail.
--
-- No personal value is stored in plaintext: identities and records hold only ciphertext
-- (encrypted by the vault with the subject's data key) and 32-byte keyed blind indexes. Ids,
-- kinds, purposes, categories and event names are opaque identifiers or register vocabulary.
--
-- Ledger `seq`s are identity columns (never given out twice); the ledgers refuse UPDATE
-- (triggers below). Same tables, columns and indexes as the SQLite schema.
--
-- Never edit this file once released: add a new numbered file instead.

-- A data subject. `tenant` is the customer on whose behalf Skydd processes the subject's data
-- (processor mode), NULL for the controller's own subjects.
CREATE TABLE subjects (
    id            text PRIMARY KEY,
    tenant        text,
    created_at    timestamptz NOT NULL,
    restricted_at timestamptz
);

-- One data key per subject, wrapped by the master key version `key_version` (a u32, hence
-- bigint). Rotation finds the keys of older versions through `subject_keys_by_version`.
CREATE TABLE subject_keys (
    subject_id  text PRIMARY KEY REFERENCES subjects (id) ON DELETE CASCADE,
    key_version bigint NOT NULL CHECK (key_version BETWEEN 0 AND 4294967295),
    wrapped_key bytea NOT NULL
);

CREATE INDEX subject_keys_by_version ON subject_keys (key_version, subject_id);

-- Identities: a blind index to find the subject by, the encrypted value to read it back.
-- `tenant` repeats `subjects.tenant` so that a blind index can be unique per tenant and kind;
-- the controller's own subjects (NULL tenant) count as one more tenant, hence two partial
-- indexes.
CREATE TABLE identities (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subject_id  text NOT NULL REFERENCES subjects (id) ON DELETE CASCADE,
    tenant      text,
    kind        text NOT NULL,
    blind_index bytea NOT NULL CHECK (octet_length(blind_index) = 32),
    ciphertext  bytea NOT NULL
);

CREATE UNIQUE INDEX identities_unique_in_tenant ON identities (tenant, kind, blind_index)
    WHERE tenant IS NOT NULL;
CREATE UNIQUE INDEX identities_unique_own ON identities (kind, blind_index)
    WHERE tenant IS NULL;
CREATE INDEX identities_by_subject ON identities (subject_id);

-- Records: one category's field values, encrypted as one ciphertext.
CREATE TABLE records (
    id           text PRIMARY KEY,
    subject_id   text NOT NULL REFERENCES subjects (id) ON DELETE CASCADE,
    category     text NOT NULL,
    purpose      text NOT NULL,
    source       text NOT NULL,
    collected_at timestamptz NOT NULL,
    ciphertext   bytea NOT NULL
);

CREATE INDEX records_by_subject ON records (subject_id, collected_at, id);

-- The events retention periods count from ("contract_end"), one per record and event;
-- `record_anchors_by_event` serves sweeps such as "contract_end before a date".
CREATE TABLE record_anchors (
    record_id text NOT NULL REFERENCES records (id) ON DELETE CASCADE,
    event     text NOT NULL,
    at        timestamptz NOT NULL,
    PRIMARY KEY (record_id, event)
);

CREATE INDEX record_anchors_by_event ON record_anchors (event, at);

-- Consent given or withdrawn, for a subject, an organisation or a project. `context_ciphertext`
-- is the IP address and user agent, encrypted by the vault.
CREATE TABLE consent_events (
    seq                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    scope_kind         text NOT NULL,
    scope_id           text NOT NULL,
    purpose            text NOT NULL,
    granted            boolean NOT NULL,
    method             text NOT NULL,
    notice_version     text NOT NULL,
    at                 timestamptz NOT NULL,
    text_hash          text,
    context_ciphertext bytea
);

CREATE INDEX consent_events_by_scope ON consent_events (scope_kind, scope_id, seq);

-- Objections (Art. 21) made or lifted; a NULL purpose objects to everything objectionable.
CREATE TABLE objection_events (
    seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subject_id text NOT NULL,
    purpose    text,
    objected   boolean NOT NULL,
    source     text NOT NULL,
    at         timestamptz NOT NULL
);

CREATE INDEX objection_events_by_subject ON objection_events (subject_id, seq);

-- Marketing preferences: channels and interest areas opted into or out of.
CREATE TABLE preference_events (
    seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subject_id text NOT NULL,
    kind       text NOT NULL,
    name       text NOT NULL,
    opted_in   boolean NOT NULL,
    at         timestamptz NOT NULL
);

CREATE INDEX preference_events_by_subject ON preference_events (subject_id, seq);

-- Opt-in features switched on or off per organisation, or per project (`project` not NULL).
CREATE TABLE feature_switch_events (
    seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    feature      text NOT NULL,
    organisation text NOT NULL,
    project      text,
    enabled      boolean NOT NULL,
    actor        text NOT NULL,
    at           timestamptz NOT NULL
);

CREATE INDEX feature_switch_events_by_organisation ON feature_switch_events (organisation, seq);

-- The audit trail: who did what with whose data, for which purpose; never the values.
CREATE TABLE audit_events (
    seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         timestamptz NOT NULL,
    actor      text NOT NULL,
    ip         text,
    action     text NOT NULL,
    purpose    text,
    subject_id text,
    outcome    text NOT NULL,
    detail     text
);

CREATE INDEX audit_events_by_subject ON audit_events (subject_id, seq);

-- The data categories an audit event concerns, in the order given.
CREATE TABLE audit_event_categories (
    event_seq bigint NOT NULL REFERENCES audit_events (seq) ON DELETE CASCADE,
    position  integer NOT NULL,
    category  text NOT NULL,
    PRIMARY KEY (event_seq, position)
);

-- The ledgers are append-only.
CREATE FUNCTION skydd_refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$;

CREATE TRIGGER consent_events_append_only BEFORE UPDATE ON consent_events
    FOR EACH ROW EXECUTE FUNCTION skydd_refuse_update();
CREATE TRIGGER objection_events_append_only BEFORE UPDATE ON objection_events
    FOR EACH ROW EXECUTE FUNCTION skydd_refuse_update();
CREATE TRIGGER preference_events_append_only BEFORE UPDATE ON preference_events
    FOR EACH ROW EXECUTE FUNCTION skydd_refuse_update();
CREATE TRIGGER feature_switch_events_append_only BEFORE UPDATE ON feature_switch_events
    FOR EACH ROW EXECUTE FUNCTION skydd_refuse_update();
CREATE TRIGGER audit_events_append_only BEFORE UPDATE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION skydd_refuse_update();
CREATE TRIGGER audit_event_categories_append_only BEFORE UPDATE ON audit_event_categories
    FOR EACH ROW EXECUTE FUNCTION skydd_refuse_update();
