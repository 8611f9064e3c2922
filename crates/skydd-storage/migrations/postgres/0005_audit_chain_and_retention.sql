-- Schema 3: the audit trail becomes a hash chain with signed checkpoints; anonymised records
-- kept by retention. See the SQLite file of the same number for the design.
--
-- Never edit this file once released: add a new numbered file instead.

ALTER TABLE audit_events ADD COLUMN hash bytea CHECK (hash IS NULL OR length(hash) = 32);

CREATE TABLE audit_chain_head (
    id        integer PRIMARY KEY CHECK (id = 1),
    first_seq bigint NOT NULL,
    seq       bigint NOT NULL,
    hash      bytea NOT NULL CHECK (length(hash) = 32)
);

INSERT INTO audit_chain_head (id, first_seq, seq, hash)
SELECT 1, COALESCE(MAX(seq), 0) + 1, COALESCE(MAX(seq), 0), decode(repeat('00', 32), 'hex')
FROM audit_events;

CREATE TABLE audit_checkpoints (
    seq        bigint PRIMARY KEY,
    hash       bytea NOT NULL CHECK (length(hash) = 32),
    at         timestamptz NOT NULL,
    public_key bytea NOT NULL CHECK (length(public_key) = 32),
    signature  bytea NOT NULL CHECK (length(signature) = 64)
);

CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION skydd_refuse_update();

CREATE TABLE anonymised_records (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    category        text NOT NULL,
    purpose         text NOT NULL,
    collected_month text NOT NULL,
    fields          text NOT NULL,
    anonymised_at   timestamptz NOT NULL
);

CREATE INDEX anonymised_records_by_category ON anonymised_records (category, collected_month);
