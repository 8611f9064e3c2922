-- Skydd schema 16 (PostgreSQL): disclosures to any recipient of the register, not only to
-- authorities (issue 20). A disclosure to an authority still rests on a decision (a court
-- decision or an order, P000-50); one to a group company, a credit agency or a buyer of the
-- business rests on the register and the decisions made for it, and has no decision. So the
-- decision's columns may now be empty, all together: a decision is whole or absent.
--
-- Never edit this file once released: add a new numbered file instead.

ALTER TABLE disclosures
    ALTER COLUMN decision_kind DROP NOT NULL,
    ALTER COLUMN decision_reference DROP NOT NULL,
    ALTER COLUMN decided_by DROP NOT NULL,
    ALTER COLUMN decided_on DROP NOT NULL,
    ADD CONSTRAINT disclosures_decision_whole_or_absent CHECK (
        (decision_kind IS NULL) = (decision_reference IS NULL)
        AND (decision_kind IS NULL) = (decided_by IS NULL)
        AND (decision_kind IS NULL) = (decided_on IS NULL)
        AND (decision_kind IS NOT NULL OR document_sha256 IS NULL)
    );
