-- Every recorded register version stays as it was recorded: the public version history and the
-- archived notices are written from these rows (P000-68, P001-04).
CREATE TRIGGER register_versions_append_only BEFORE UPDATE ON register_versions
BEGIN
    SELECT RAISE(ABORT, 'register_versions is append-only');
END;

CREATE TRIGGER register_versions_kept BEFORE DELETE ON register_versions
BEGIN
    SELECT RAISE(ABORT, 'register_versions is append-only');
END;
