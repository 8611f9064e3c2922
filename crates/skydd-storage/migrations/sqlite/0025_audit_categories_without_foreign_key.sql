-- Skydd schema 25 (SQLite): nothing to change.
--
-- PostgreSQL's file of this migration drops the foreign key from the audit events' categories
-- to their events, whose check bound how many decisions it could record a second (issue 19).
-- SQLite keeps its key: dropping one there means rebuilding the table, and its appends are not
-- bound by it. The migration is numbered on both backends, so that a version means one schema
-- history everywhere.
--
-- Never edit this file once released: add a new numbered file instead.

SELECT 1;
