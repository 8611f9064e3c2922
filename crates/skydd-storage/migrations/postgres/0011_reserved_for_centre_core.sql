-- Skydd schema 11 (PostgreSQL): RESERVED for the privacy centre (issue 18, branch centre-core).
--
-- A placeholder that changes nothing, so that the banner's migration 0012 can be applied on a
-- branch that does not have centre-core's 0011 yet (migrations are numbered without gaps).
-- When the branches meet, this file and its entry in `src/migration.rs` are replaced by
-- centre-core's 0011; no released database ever applies it.
SELECT 1;
