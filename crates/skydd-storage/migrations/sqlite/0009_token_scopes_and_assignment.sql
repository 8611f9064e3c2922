-- PLACEHOLDER on branch `staff` only: migration 0009 belongs to helper `authz` (issue 17), whose
-- file replaces this one when the branches meet. It keeps the numbering without gaps until then.
SELECT 1;
