-- Skydd schema 22 (SQLite): data processing agreements signed with customers (tenants) (issue
-- 20, P001-25: "we have prepared a Data Processing Agreement ... if you think you may need to
-- sign one").
--
-- One row per agreement recorded, appended and never changed: the tenant, the agreement's
-- version (the company's own reference), when it was signed, who recorded it and when. A
-- processor activity with `requires_agreement` processes a tenant's subjects only once a row
-- for the tenant exists. Each insert adds a change-log row (schema 13) for every subject of the
-- tenant, so every server forgets their decision facts within the documented bound.
--
-- Written to be applied again over itself (IF NOT EXISTS), as the upgrade tests replay the
-- migrations after an older one.
--
-- Never edit this file once released: add a new numbered file instead.

CREATE TABLE IF NOT EXISTS tenant_agreements (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant      TEXT NOT NULL,
    version     TEXT NOT NULL,
    signed_at   TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
) STRICT;

CREATE INDEX IF NOT EXISTS tenant_agreements_by_tenant ON tenant_agreements (tenant, seq);

CREATE TRIGGER IF NOT EXISTS fact_changes_on_tenant_agreement AFTER INSERT ON tenant_agreements
BEGIN
    INSERT INTO fact_changes (kind, key)
        SELECT 'subject', id FROM subjects WHERE tenant = NEW.tenant;
END;
