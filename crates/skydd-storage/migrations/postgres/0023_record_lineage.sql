-- Skydd schema 23 (PostgreSQL): the lineage of a record combined from several sources (issue
-- 20, P000-45: "collect personal information about you from a source with information
-- obtained from another source ... a more complete picture of you").
--
-- `combined_from` holds the register source ids the record was combined from besides its
-- `source`, separated by spaces; empty for a record from one source (every record written
-- before this schema). Register ids only, never a personal value.
--
-- Written to be applied again over itself (IF NOT EXISTS), as the upgrade tests replay the
-- migrations after an older one.
--
-- Never edit this file once released: add a new numbered file instead.

ALTER TABLE records ADD COLUMN IF NOT EXISTS combined_from text NOT NULL DEFAULT '';
