-- Every recorded register version stays as it was recorded: the public version history and the
-- archived notices are written from these rows (P000-68, P001-04).
CREATE TRIGGER register_versions_append_only BEFORE UPDATE OR DELETE ON register_versions
    FOR EACH ROW EXECUTE FUNCTION skydd_refuse_update();
