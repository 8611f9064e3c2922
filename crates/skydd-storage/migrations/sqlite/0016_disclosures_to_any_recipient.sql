-- Skydd schema 16 (SQLite): disclosures to any recipient of the register, not only to
-- authorities (issue 20). A disclosure to an authority still rests on a decision (a court
-- decision or an order, P000-50); one to a group company, a credit agency or a buyer of the
-- business rests on the register and the decisions made for it, and has no decision. So the
-- decision's columns may now be empty, all together: a decision is whole or absent.
--
-- SQLite cannot change a column's constraints, so the three tables are built again under new
-- names, filled, the old ones dropped (children first, so no foreign key is left dangling), and
-- the new ones renamed; renaming carries the children's references along. The append-only
-- triggers and indexes went with the old tables and are made again.
--
-- Never edit this file once released: add a new numbered file instead.

CREATE TABLE disclosures_any (
    id                 TEXT PRIMARY KEY,
    at                 TEXT NOT NULL,
    actor              TEXT NOT NULL,
    recipient          TEXT NOT NULL,
    purpose            TEXT NOT NULL,
    legal_basis        TEXT NOT NULL,
    decision_kind      TEXT,
    decision_reference TEXT CHECK (length(trim(decision_reference)) > 0),
    decided_by         TEXT,
    decided_on         TEXT,
    document_sha256    TEXT,
    CHECK ((decision_kind IS NULL) = (decision_reference IS NULL)
       AND (decision_kind IS NULL) = (decided_by IS NULL)
       AND (decision_kind IS NULL) = (decided_on IS NULL)
       AND (decision_kind IS NOT NULL OR document_sha256 IS NULL))
) STRICT;

INSERT INTO disclosures_any (id, at, actor, recipient, purpose, legal_basis, decision_kind,
    decision_reference, decided_by, decided_on, document_sha256)
SELECT id, at, actor, recipient, purpose, legal_basis, decision_kind, decision_reference,
    decided_by, decided_on, document_sha256
FROM disclosures;

CREATE TABLE disclosure_subjects_any (
    disclosure_id TEXT NOT NULL REFERENCES disclosures_any (id),
    position      INTEGER NOT NULL,
    subject_id    TEXT NOT NULL,
    PRIMARY KEY (disclosure_id, position)
) STRICT;

INSERT INTO disclosure_subjects_any (disclosure_id, position, subject_id)
SELECT disclosure_id, position, subject_id FROM disclosure_subjects;

CREATE TABLE disclosure_categories_any (
    disclosure_id TEXT NOT NULL REFERENCES disclosures_any (id),
    position      INTEGER NOT NULL,
    category      TEXT NOT NULL,
    PRIMARY KEY (disclosure_id, position)
) STRICT;

INSERT INTO disclosure_categories_any (disclosure_id, position, category)
SELECT disclosure_id, position, category FROM disclosure_categories;

DROP TABLE disclosure_subjects;
DROP TABLE disclosure_categories;
DROP TABLE disclosures;

ALTER TABLE disclosures_any RENAME TO disclosures;
ALTER TABLE disclosure_subjects_any RENAME TO disclosure_subjects;
ALTER TABLE disclosure_categories_any RENAME TO disclosure_categories;

CREATE INDEX disclosures_by_time ON disclosures (at, id);

CREATE INDEX disclosure_subjects_by_subject ON disclosure_subjects (subject_id);

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
