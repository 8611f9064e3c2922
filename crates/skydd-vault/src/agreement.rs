//! Data processing agreements signed with customers (issue 20, P001-25): recorded per tenant
//! with their version and signing time, listed, and read into a tenant's subjects' decision
//! facts, so that a processor activity with `requires_agreement` waits for one.

use jiff::Timestamp;
use skydd_storage::TenantAgreementRow;

use crate::subject::parse_tenant;
use crate::{Actor, Vault, VaultError};

/// The longest agreement version or reference taken, in characters.
pub const MAX_AGREEMENT_VERSION_CHARS: usize = 200;

/// A recorded agreement.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AgreementView {
    /// The tenant it was signed with.
    pub tenant: String,
    /// Its version or reference.
    pub version: String,
    /// When it was signed.
    pub signed_at: Timestamp,
    /// The staff account or token that recorded it.
    pub recorded_by: String,
    /// When it was recorded.
    pub recorded_at: Timestamp,
}

impl From<TenantAgreementRow> for AgreementView {
    fn from(row: TenantAgreementRow) -> Self {
        AgreementView {
            tenant: row.tenant,
            version: row.version,
            signed_at: row.signed_at,
            recorded_by: row.recorded_by,
            recorded_at: row.recorded_at,
        }
    }
}

impl Vault {
    /// Record that `tenant` signed the data processing agreement `version` at `signed_at`
    /// (not after `now`), audited as `tenant.agreement` with the tenant and version. From then
    /// on the processor activities that require it process the tenant's subjects; every server
    /// forgets their decision facts (here at once, elsewhere through the change log). Refused:
    /// an invalid tenant id, another tenant than the caller's, an empty or over-long version or
    /// one with control characters, a signing time in the future.
    pub async fn record_agreement(
        &self,
        actor: &Actor,
        tenant: &str,
        version: &str,
        signed_at: Timestamp,
        now: Timestamp,
    ) -> Result<AgreementView, VaultError> {
        let tenant = self.agreement_tenant(actor, tenant)?;
        let version = version.trim();
        if version.is_empty()
            || version.chars().count() > MAX_AGREEMENT_VERSION_CHARS
            || version.chars().any(char::is_control)
        {
            return Err(VaultError::invalid(
                format!(
                    "`version` must be 1 to {MAX_AGREEMENT_VERSION_CHARS} characters of plain text"
                ),
                "give the agreement's version or your reference for it (\"DPA 2024-03\")",
            ));
        }
        if signed_at > now {
            return Err(VaultError::invalid(
                "`signed_at` is in the future",
                "record an agreement once it is signed, with the time it was signed",
            ));
        }
        let row = TenantAgreementRow {
            seq: 0,
            tenant: tenant.clone(),
            version: version.to_owned(),
            signed_at: skydd_storage::truncate_timestamp(signed_at),
            recorded_by: actor.id.clone(),
            recorded_at: now,
        };
        self.storage.insert_tenant_agreement(row.clone()).await?;
        // Every subject of the tenant may decide differently now; agreements are rare.
        self.facts.clear();
        self.audit_with_detail(
            actor,
            now,
            "tenant.agreement",
            None,
            None,
            Vec::new(),
            "recorded",
            // A tenant id and the company's reference: neither is personal data.
            Some(format!("tenant:{tenant} version:{version}")),
        )
        .await?;
        Ok(row.into())
    }

    /// The agreements recorded for `tenant`, in the order recorded.
    pub async fn agreements(
        &self,
        actor: &Actor,
        tenant: &str,
    ) -> Result<Vec<AgreementView>, VaultError> {
        let tenant = self.agreement_tenant(actor, tenant)?;
        Ok(self
            .storage
            .tenant_agreements(&tenant)
            .await?
            .into_iter()
            .map(AgreementView::from)
            .collect())
    }

    /// Whether a tenant's subjects' facts need the tenant's agreements: some processor activity
    /// of the register requires one.
    pub(crate) fn agreements_matter(&self) -> bool {
        self.register()
            .purposes
            .iter()
            .any(|p| p.requires_agreement)
    }

    /// `tenant` checked: a valid id, and the caller's own when the caller acts for a tenant.
    fn agreement_tenant(&self, actor: &Actor, tenant: &str) -> Result<String, VaultError> {
        let Some(tenant) = parse_tenant(Some(tenant))? else {
            return Err(VaultError::invalid(
                "`tenant` is missing",
                "name the tenant",
            ));
        };
        let tenant = tenant.as_str().to_owned();
        match &actor.tenant {
            Some(own) if *own != tenant => Err(VaultError::invalid(
                "`tenant` is not the tenant this caller acts for",
                "record and read only your own agreements",
            )),
            _ => Ok(tenant),
        }
    }
}
