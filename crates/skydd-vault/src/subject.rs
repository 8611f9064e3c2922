//! Data subjects: created with their identities (encrypted, blind-indexed), found by any
//! identity without decrypting anything, isolated per tenant.

use jiff::Timestamp;
use skydd_crypto::{DataKey, random_bytes};
use skydd_storage::{IdentityRow, NewSubjectRows, StorageError, SubjectKeyRow, SubjectRow};
use skydd_subject::{Identity, IdentityKind, ParseContext, SubjectId, TenantId};

use crate::audit::AuditEvent;
use crate::crypto::identity_aad;
use crate::{Actor, Vault, VaultError};

/// A subject to create: identities as given (they are normalised here) and an optional tenant.
#[derive(Debug, Clone, Default)]
pub struct NewSubject {
    /// Identity kind name (`email`, `phone`, `personnummer`, `customer_number`, `external_id`)
    /// and raw value.
    pub identities: Vec<(String, String)>,
    /// The customer on whose behalf the subject's data is processed (processor mode).
    pub tenant: Option<String>,
}

/// What the vault tells about a subject without a purpose: ids and kinds, no values.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SubjectView {
    /// The subject's id: 32 lowercase hex digits, random.
    pub id: String,
    /// The tenant, if processed on a customer's behalf.
    pub tenant: Option<String>,
    /// When the subject was created.
    pub created_at: Timestamp,
    /// Whether processing is restricted (Art. 18).
    pub restricted: bool,
    /// The kinds of identity known (never their values).
    pub identity_kinds: Vec<String>,
}

pub(crate) fn parse_identity(
    kind: &str,
    raw: &str,
    now: Timestamp,
) -> Result<Identity, VaultError> {
    let kind: IdentityKind = kind
        .parse()
        .map_err(|e: skydd_subject::ParseIdentityKindError| {
            VaultError::invalid(
                e.to_string(),
                "use email, phone, personnummer, customer_number or external_id",
            )
        })?;
    let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
    Identity::parse(kind, raw, ParseContext::sweden(today))
        .map_err(|e| VaultError::invalid(e.to_string(), "correct the identity and send it again"))
}

pub(crate) fn parse_tenant(tenant: Option<&str>) -> Result<Option<TenantId>, VaultError> {
    tenant
        .map(|t| {
            TenantId::parse(t).map_err(|e| {
                VaultError::invalid(
                    format!("invalid tenant: {e}"),
                    "tenant ids are lower case letters, digits, - and _",
                )
            })
        })
        .transpose()
}

/// A new subject's identities in normal form: at least one, at most one of each kind.
fn parse_identities(
    given: &[(String, String)],
    now: Timestamp,
) -> Result<Vec<Identity>, VaultError> {
    if given.is_empty() {
        return Err(VaultError::invalid(
            "a subject needs at least one identity",
            "give an e-mail address, phone number, personnummer, customer number or external id",
        ));
    }
    let mut identities: Vec<Identity> = Vec::with_capacity(given.len());
    for (kind, raw) in given {
        let identity = parse_identity(kind, raw, now)?;
        if identities.iter().any(|i| i.kind() == identity.kind()) {
            return Err(VaultError::invalid(
                format!("two identities of kind {}", identity.kind().as_str()),
                "give one identity per kind",
            ));
        }
        identities.push(identity);
    }
    Ok(identities)
}

/// `row` if there is one and `actor` may see it (its own tenant, or any for an actor without
/// one); otherwise [`VaultError::UnknownSubject`], the same answer as for no subject at all.
fn visible_to(actor: &Actor, row: Option<SubjectRow>) -> Result<SubjectRow, VaultError> {
    let row = row.ok_or(VaultError::UnknownSubject)?;
    match &actor.tenant {
        Some(own) if row.tenant.as_deref() != Some(own.as_str()) => Err(VaultError::UnknownSubject),
        _ => Ok(row),
    }
}

impl Vault {
    /// Create a subject with its identities. Identities already used by another subject of the
    /// same tenant are refused ([`VaultError::IdentityTaken`]); nothing is stored then.
    pub async fn create_subject(
        &self,
        actor: &Actor,
        new: NewSubject,
        now: Timestamp,
    ) -> Result<SubjectId, VaultError> {
        let tenant = parse_tenant(new.tenant.as_deref().or(actor.tenant.as_deref()))?;
        if let (Some(own), Some(asked)) = (&actor.tenant, &tenant)
            && own != asked.as_str()
        {
            return Err(VaultError::invalid(
                "the tenant differs from the caller's",
                "omit `tenant` or use your own",
            ));
        }
        let identities = parse_identities(&new.identities, now)?;
        let (id, _key, rows) = self.new_subject_rows(tenant.as_ref(), &identities, now)?;
        let subject = id.to_string();
        let created = self
            .storage
            .create_subject(rows.subject, rows.key, rows.identities)
            .await;
        match created {
            Ok(()) => {}
            Err(StorageError::Conflict(_)) => {
                return Err(self.identity_taken(tenant.as_ref(), &identities).await);
            }
            Err(other) => return Err(other.into()),
        }
        self.audit(
            actor,
            now,
            "subject.create",
            None,
            Some(&subject),
            Vec::new(),
            "done",
        )
        .await?;
        Ok(id)
    }

    /// The rows of a new subject with `identities` (in normal form) in `tenant`: a random id,
    /// a new data key (returned too, to seal what is stored with the subject), wrapped with
    /// the keyring, and each identity blind-indexed and encrypted under it. The one way a
    /// subject's rows are made ([`Vault::create_subject`], imports).
    pub(crate) fn new_subject_rows(
        &self,
        tenant: Option<&TenantId>,
        identities: &[Identity],
        now: Timestamp,
    ) -> Result<(SubjectId, DataKey, NewSubjectRows), VaultError> {
        let id = SubjectId::from_bytes(random_bytes::<16>()?);
        let subject = id.to_string();
        let key = DataKey::generate()?;
        let wrapped = self.keyring.wrap(&key)?;
        let index = self.keyring.blind_index_key();
        let mut rows = Vec::with_capacity(identities.len());
        for identity in identities {
            let kind = identity.kind().as_str();
            rows.push(IdentityRow {
                subject_id: subject.clone(),
                kind: kind.to_string(),
                blind_index: index.blind_index(kind, identity.expose()).to_vec(),
                ciphertext: key
                    .seal(identity.expose().as_bytes(), &identity_aad(&subject, kind))?,
            });
        }
        let rows = NewSubjectRows {
            subject: SubjectRow {
                id: subject.clone(),
                tenant: tenant.map(|t| t.as_str().to_string()),
                created_at: now,
                restricted_at: None,
            },
            key: SubjectKeyRow {
                subject_id: subject,
                key_version: wrapped.version,
                wrapped_key: wrapped.bytes,
            },
            identities: rows,
        };
        Ok((id, key, rows))
    }

    /// Which identity made a new subject conflict: each is looked up (the storage message names
    /// the kind, but parsing it would tie the vault to its wording).
    async fn identity_taken(
        &self,
        tenant: Option<&TenantId>,
        identities: &[Identity],
    ) -> VaultError {
        let index = self.keyring.blind_index_key();
        for identity in identities {
            let kind = identity.kind().as_str();
            let found = self
                .storage
                .find_subject_by_identity(
                    tenant.map(TenantId::as_str),
                    kind,
                    &index.blind_index(kind, identity.expose()),
                )
                .await;
            match found {
                Ok(Some(_)) => {
                    return VaultError::IdentityTaken {
                        kind: kind.to_string(),
                    };
                }
                Ok(None) => {}
                Err(error) => return error.into(),
            }
        }
        VaultError::IdentityTaken {
            kind: "unknown".into(),
        }
    }

    /// Find the subject with identity `kind` = `raw` in `tenant` (the caller's tenant when the
    /// caller has one). Nothing is decrypted: the lookup goes through the blind index.
    pub async fn find_subject(
        &self,
        actor: &Actor,
        tenant: Option<&str>,
        kind: &str,
        raw: &str,
        now: Timestamp,
    ) -> Result<Option<SubjectView>, VaultError> {
        let tenant = parse_tenant(actor.tenant.as_deref().or(tenant))?;
        let identity = parse_identity(kind, raw, now)?;
        let kind = identity.kind().as_str();
        let index = self
            .keyring
            .blind_index_key()
            .blind_index(kind, identity.expose());
        let found = self
            .storage
            .find_subject_by_identity(tenant.as_ref().map(TenantId::as_str), kind, &index)
            .await?;
        let Some(row) = found else {
            self.audit(
                actor,
                now,
                "subject.lookup",
                None,
                None,
                Vec::new(),
                "not_found",
            )
            .await?;
            return Ok(None);
        };
        self.audit(
            actor,
            now,
            "subject.lookup",
            None,
            Some(&row.id),
            Vec::new(),
            "found",
        )
        .await?;
        Ok(Some(self.view(row).await?))
    }

    /// The subject `id`, if it exists and the caller may reach it.
    pub async fn subject(&self, actor: &Actor, id: &str) -> Result<SubjectView, VaultError> {
        let row = self.subject_row(actor, id).await?;
        self.view(row).await
    }

    /// The subject's identities, decrypted, in the order stored (kind by kind). Reading them is
    /// audited (`subject.identities`, no value in the event): the console shows them to staff
    /// who may read decrypted identities.
    pub async fn subject_identities(
        &self,
        actor: &Actor,
        id: &str,
        now: Timestamp,
    ) -> Result<Vec<Identity>, VaultError> {
        let row = self.subject_row(actor, id).await?;
        let key = self.data_key(&row.id).await?;
        let mut identities = Vec::new();
        for stored in self.storage.identities_of_subject(&row.id).await? {
            let plain = key.open(&stored.ciphertext, &identity_aad(&row.id, &stored.kind))?;
            let text = std::str::from_utf8(&plain)
                .map_err(|_| VaultError::Corrupt("an identity is not text".into()))?;
            identities.push(parse_identity(&stored.kind, text, now)?);
        }
        self.audit(
            actor,
            now,
            "subject.identities",
            None,
            Some(&row.id),
            Vec::new(),
            "done",
        )
        .await?;
        Ok(identities)
    }

    /// The subject row, checking the caller's tenant.
    pub(crate) async fn subject_row(
        &self,
        actor: &Actor,
        id: &str,
    ) -> Result<SubjectRow, VaultError> {
        if SubjectId::parse(id).is_err() {
            return Err(VaultError::UnknownSubject);
        }
        visible_to(actor, self.storage.get_subject(id).await?)
    }

    /// [`Vault::subject_row`] and the subject's stored (wrapped) data key, read in one
    /// statement, for a write that encrypts for the subject; [`Vault::unwrap_data_key`] opens
    /// the key once the write is allowed.
    pub(crate) async fn subject_row_and_key(
        &self,
        actor: &Actor,
        id: &str,
    ) -> Result<(SubjectRow, Option<skydd_storage::SubjectKeyRow>), VaultError> {
        if SubjectId::parse(id).is_err() {
            return Err(VaultError::UnknownSubject);
        }
        let (row, key) = match self.storage.subject_with_key(id).await? {
            Some((row, key)) => (Some(row), key),
            None => (None, None),
        };
        Ok((visible_to(actor, row)?, key))
    }

    async fn view(&self, row: SubjectRow) -> Result<SubjectView, VaultError> {
        let identities = self.storage.identities_of_subject(&row.id).await?;
        Ok(SubjectView {
            identity_kinds: identities.into_iter().map(|i| i.kind).collect(),
            restricted: row.restricted_at.is_some(),
            id: row.id,
            tenant: row.tenant,
            created_at: row.created_at,
        })
    }

    /// Write one audit event.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn audit(
        &self,
        actor: &Actor,
        at: Timestamp,
        action: &'static str,
        purpose: Option<&str>,
        subject: Option<&str>,
        categories: Vec<String>,
        outcome: &str,
    ) -> Result<(), VaultError> {
        self.audit_with_detail(
            actor, at, action, purpose, subject, categories, outcome, None,
        )
        .await
    }

    /// Write an audit event that carries a detail (never a personal value).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn audit_with_detail(
        &self,
        actor: &Actor,
        at: Timestamp,
        action: &'static str,
        purpose: Option<&str>,
        subject: Option<&str>,
        categories: Vec<String>,
        outcome: &str,
        detail: Option<String>,
    ) -> Result<(), VaultError> {
        self.audit
            .record(AuditEvent {
                at,
                actor: actor.id.clone(),
                ip: actor.ip.clone(),
                action,
                purpose: purpose.map(str::to_string),
                subject_id: subject.map(str::to_string),
                categories,
                outcome: outcome.to_string(),
                detail,
            })
            .await
            .map_err(VaultError::from)
    }
}
