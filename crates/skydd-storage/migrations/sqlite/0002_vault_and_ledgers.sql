-- Skydd schema 2 (SQLite): subjects with their wrapped data keys, identities and records (the
-- vault), and the append-only ledgers: consent, objections, marketing preferences, feature
-- switches and the audit trail.
--
-- No personal value is stored in plaintext: identities and records hold only ciphertext
-- (encrypted by the vault with the subject's data key) and 32-byte keyed blind indexes. Ids,
-- kinds, purposes, categories and event names are opaque identifiers or register vocabulary.
--
-- Timestamps are TEXT in the fixed-width form of schema 1. Flags are INTEGER 0 or 1. Ledger
-- `seq`s are AUTOINCREMENT, so a seq is never given out twice, even after a delete; the ledgers
-- refuse UPDATE (triggers below).
--
-- Never edit this file once released: add a new numbered file instead.

-- A data subject. `tenant` is the customer on whose behalf Skydd processes the subject's data
-- (processor mode), NULL for the controller's own subjects.
CREATE TABLE subjects (
    id            TEXT PRIMARY KEY NOT NULL,
    tenant        TEXT,
    created_at    TEXT NOT NULL,
    restricted_at TEXT
) STRICT;

-- One data key per subject, wrapped by the master key version `key_version`. Rotation finds
-- the keys of older versions through `subject_keys_by_version`.
CREATE TABLE subject_keys (
    subject_id  TEXT PRIMARY KEY NOT NULL REFERENCES subjects (id) ON DELETE CASCADE,
    key_version INTEGER NOT NULL CHECK (key_version BETWEEN 0 AND 4294967295),
    wrapped_key BLOB NOT NULL
) STRICT;

CREATE INDEX subject_keys_by_version ON subject_keys (key_version, subject_id);

-- Identities: a blind index to find the subject by, the encrypted value to read it back.
-- `tenant` repeats `subjects.tenant` so that a blind index can be unique per tenant and kind;
-- the controller's own subjects (NULL tenant) count as one more tenant, hence two partial
-- indexes.
CREATE TABLE identities (
    id          INTEGER PRIMARY KEY,
    subject_id  TEXT NOT NULL REFERENCES subjects (id) ON DELETE CASCADE,
    tenant      TEXT,
    kind        TEXT NOT NULL,
    blind_index BLOB NOT NULL CHECK (length(blind_index) = 32),
    ciphertext  BLOB NOT NULL
) STRICT;

CREATE UNIQUE INDEX identities_unique_in_tenant ON identities (tenant, kind, blind_index)
    WHERE tenant IS NOT NULL;
CREATE UNIQUE INDEX identities_unique_own ON identities (kind, blind_index)
    WHERE tenant IS NULL;
CREATE INDEX identities_by_subject ON identities (subject_id);

-- Records: one category's field values, encrypted as one ciphertext.
CREATE TABLE records (
    id           TEXT PRIMARY KEY NOT NULL,
    subject_id   TEXT NOT NULL REFERENCES subjects (id) ON DELETE CASCADE,
    category     TEXT NOT NULL,
    purpose      TEXT NOT NULL,
    source       TEXT NOT NULL,
    collected_at TEXT NOT NULL,
    ciphertext   BLOB NOT NULL
) STRICT;

CREATE INDEX records_by_subject ON records (subject_id, collected_at, id);

-- The events retention periods count from ("contract_end"), one per record and event;
-- `record_anchors_by_event` serves sweeps such as "contract_end before a date".
CREATE TABLE record_anchors (
    record_id TEXT NOT NULL REFERENCES records (id) ON DELETE CASCADE,
    event     TEXT NOT NULL,
    at        TEXT NOT NULL,
    PRIMARY KEY (record_id, event)
) STRICT;

CREATE INDEX record_anchors_by_event ON record_anchors (event, at);

-- Consent given or withdrawn, for a subject, an organisation or a project. `context_ciphertext`
-- is the IP address and user agent, encrypted by the vault.
CREATE TABLE consent_events (
    seq                INTEGER PRIMARY KEY AUTOINCREMENT,
    scope_kind         TEXT NOT NULL,
    scope_id           TEXT NOT NULL,
    purpose            TEXT NOT NULL,
    granted            INTEGER NOT NULL CHECK (granted IN (0, 1)),
    method             TEXT NOT NULL,
    notice_version     TEXT NOT NULL,
    at                 TEXT NOT NULL,
    text_hash          TEXT,
    context_ciphertext BLOB
) STRICT;

CREATE INDEX consent_events_by_scope ON consent_events (scope_kind, scope_id, seq);

-- Objections (Art. 21) made or lifted; a NULL purpose objects to everything objectionable.
CREATE TABLE objection_events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    subject_id TEXT NOT NULL,
    purpose    TEXT,
    objected   INTEGER NOT NULL CHECK (objected IN (0, 1)),
    source     TEXT NOT NULL,
    at         TEXT NOT NULL
) STRICT;

CREATE INDEX objection_events_by_subject ON objection_events (subject_id, seq);

-- Marketing preferences: channels and interest areas opted into or out of.
CREATE TABLE preference_events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    subject_id TEXT NOT NULL,
    kind       TEXT NOT NULL,
    name       TEXT NOT NULL,
    opted_in   INTEGER NOT NULL CHECK (opted_in IN (0, 1)),
    at         TEXT NOT NULL
) STRICT;

CREATE INDEX preference_events_by_subject ON preference_events (subject_id, seq);

-- Opt-in features switched on or off per organisation, or per project (`project` not NULL).
CREATE TABLE feature_switch_events (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    feature      TEXT NOT NULL,
    organisation TEXT NOT NULL,
    project      TEXT,
    enabled      INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    actor        TEXT NOT NULL,
    at           TEXT NOT NULL
) STRICT;

CREATE INDEX feature_switch_events_by_organisation ON feature_switch_events (organisation, seq);

-- The audit trail: who did what with whose data, for which purpose; never the values.
CREATE TABLE audit_events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    ip         TEXT,
    action     TEXT NOT NULL,
    purpose    TEXT,
    subject_id TEXT,
    outcome    TEXT NOT NULL,
    detail     TEXT
) STRICT;

CREATE INDEX audit_events_by_subject ON audit_events (subject_id, seq);

-- The data categories an audit event concerns, in the order given.
CREATE TABLE audit_event_categories (
    event_seq INTEGER NOT NULL REFERENCES audit_events (seq) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    category  TEXT NOT NULL,
    PRIMARY KEY (event_seq, position)
) STRICT;

-- The ledgers are append-only.
CREATE TRIGGER consent_events_append_only BEFORE UPDATE ON consent_events
BEGIN
    SELECT RAISE(ABORT, 'consent_events is append-only');
END;

CREATE TRIGGER objection_events_append_only BEFORE UPDATE ON objection_events
BEGIN
    SELECT RAISE(ABORT, 'objection_events is append-only');
END;

CREATE TRIGGER preference_events_append_only BEFORE UPDATE ON preference_events
BEGIN
    SELECT RAISE(ABORT, 'preference_events is append-only');
END;

CREATE TRIGGER feature_switch_events_append_only BEFORE UPDATE ON feature_switch_events
BEGIN
    SELECT RAISE(ABORT, 'feature_switch_events is append-only');
END;

CREATE TRIGGER audit_events_append_only BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;

CREATE TRIGGER audit_event_categories_append_only BEFORE UPDATE ON audit_event_categories
BEGIN
    SELECT RAISE(ABORT, 'audit_event_categories is append-only');
END;
