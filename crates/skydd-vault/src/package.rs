//! What an access request answers (Art. 15): the subject's data with everything Art. 15(1)
//! lists, taken from the register, as JSON and as an HTML "register excerpt"; and what a
//! portability request answers (Art. 20): the data the subject provided, processed on consent
//! or contract, as JSON and CSV in a zip file.

use jiff::Timestamp;
use skydd_notice::document::escape_html;
use skydd_register::model::{Anchor, Choice, Language, SourceKind};
use skydd_storage::RequestRow;

use crate::crypto::{identity_aad, record_aad, revision_aad};
use crate::fulfil::basis_word;
use crate::states::{stored_state, stored_type};
use crate::stored_zip::StoredZip;
use crate::subject::parse_identity;
use crate::{Actor, Vault, VaultError};
use skydd_subject::Identity;

/// One record in a package.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PackageRecord {
    /// The record's id: 32 lowercase hex digits.
    pub id: String,
    /// The register data category id it holds.
    pub category: String,
    /// The purpose it was collected for.
    pub purpose: String,
    /// Where it came from (source id).
    pub source: String,
    /// When it was collected.
    pub collected_at: Timestamp,
    /// The field values by field id, decrypted.
    pub fields: serde_json::Map<String, serde_json::Value>,
    /// The other sources (source ids) it was combined from besides `source` (P000-45: its
    /// lineage, with `collected_at` and `purpose`); left out of the JSON when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub combined_from: Vec<String>,
}

/// A purpose in a package: what it is for and on which basis (Art. 15(1)(a)).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PackagePurpose {
    /// The register purpose id.
    pub id: String,
    /// Its name from the register, in the register's first language.
    pub name: String,
    /// The Art. 6(1) bases the register gives it, as words (`consent`, `contract` ...), sorted,
    /// each once.
    pub legal_bases: Vec<String>,
    /// Categories it uses of this subject's data.
    pub categories: Vec<String>,
    /// Used for direct marketing.
    pub direct_marketing: bool,
    /// Involves automated decisions (Art. 15(1)(h)).
    pub automated_decision: bool,
}

/// A category in a package with its retention in plain words (Art. 15(1)(b), (d)).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PackageCategory {
    /// The register data category id.
    pub id: String,
    /// Its name from the register, in the register's first language.
    pub name: String,
    /// How long it is kept, one sentence per rule.
    pub retention: Vec<String>,
    /// Legal holds that can keep it longer, with the law.
    pub legal_holds: Vec<String>,
}

/// A recipient in a package (Art. 15(1)(c), (2)).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PackageRecipient {
    /// The register recipient id.
    pub id: String,
    /// Its name from the register, in the register's first language.
    pub name: String,
    /// The register's kind word (`processor`, `controller` ...).
    pub kind: String,
    /// Country of processing: an ISO 3166-1 alpha-2 code (`SE`); `None` when the register
    /// names none.
    pub country: Option<String>,
    /// Categories it receives of this subject's data.
    pub categories: Vec<String>,
    /// Transfer mechanism outside the EEA, if any (Art. 15(2)).
    pub transfer: Option<String>,
}

/// A disclosure of the subject's data that was made (Art. 15(1)(c): "the recipients ... to
/// whom the personal data have been ... disclosed").
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PackageDisclosure {
    /// When the data was disclosed.
    pub disclosed_at: Timestamp,
    /// The register recipient id.
    pub recipient: String,
    /// Its name from the register in the package's language; the id when the register no
    /// longer names it.
    pub name: String,
    /// The register's kind word (`authority`, `controller`, `group_company` ...); `None` when
    /// the register no longer names it.
    pub kind: Option<String>,
    /// The register purpose id it served.
    pub purpose: String,
    /// The categories of the subject's data disclosed.
    pub categories: Vec<String>,
    /// `court_decision` or `order` when a decision ordered it. The decision's reference is
    /// left out: a case number can be confidential while an investigation runs.
    pub decision: Option<String>,
}

/// The values one rectification replaced in one of the subject's records (Art. 16): the
/// subject's own history, decrypted for them like the record itself.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PackageRectification {
    /// The record corrected.
    pub record_id: String,
    /// Its category.
    pub category: String,
    /// When the values were replaced.
    pub rectified_at: Timestamp,
    /// The request that asked for the correction, if one did.
    pub request_id: Option<String>,
    /// The values before the correction, by field id (`null`: the field had no value).
    pub previous: serde_json::Map<String, serde_json::Value>,
}

/// A source other than the subject (Art. 15(1)(g)).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PackageSource {
    /// The register source id.
    pub id: String,
    /// Its name from the register, in the register's first language.
    pub name: String,
    /// The register's source kind word (`customer`, `partner`, `third_party` ...); never
    /// `data_subject`, since those sources are left out.
    pub kind: String,
}

/// What one connected database (a dataset's system) holds about the subject, read live when
/// the package was made; never stored by Skydd.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PackageSystem {
    /// The system's name (the dataset's `name`).
    pub system: String,
    /// What the system is for, if its dataset says.
    pub description: Option<String>,
    /// Why the system could not be read (no value, no connection string), when it could not:
    /// the package is then incomplete for this system.
    pub failed: Option<String>,
    /// Every declared field with a category in every row reached, in the dataset's order.
    pub values: Vec<PackageConnectedValue>,
}

/// One value read from a connected database, labelled as the vault's data is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PackageConnectedValue {
    /// The collection (table) it was read from.
    pub collection: String,
    /// The row's primary key, `column=value` joined by `, `.
    pub row: String,
    /// The register data category of the field.
    pub category: String,
    /// The field's (column's) name.
    pub field: String,
    /// The value as text; `None` for SQL NULL.
    pub value: Option<String>,
    /// Read from a row filed under someone else because its free text mentions the subject
    /// (issue 21): shown in the package, left out of the portability file (the subject did not
    /// provide it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mentioned: bool,
}

/// A fact recorded about the subject that a legal basis depends on (the register's
/// `attributes`), with its dates.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PackageAttribute {
    /// The attribute's id.
    pub id: String,
    /// The fact in words, in the package's language ("you have a support agreement with us").
    pub name: String,
    /// From when it holds.
    pub since: Timestamp,
    /// When it ends (exclusive); `None` while it goes on.
    pub until: Option<Timestamp>,
}

/// The answer to an access request.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AccessPackage {
    /// The id of the access or portability request the package answers; for a package made
    /// in the privacy centre, the session's actor (`centre:<session id>`).
    pub request_id: String,
    /// The vault subject whose data it holds; `None` when the vault holds none (the data, if
    /// any, is in connected systems). Not part of the JSON answer.
    #[serde(skip)]
    pub subject_id: Option<String>,
    /// When the package was made.
    pub generated_at: Timestamp,
    /// The controller's name, from the register.
    pub controller: String,
    /// How to reach the controller about rights.
    pub controller_contact: Vec<String>,
    /// Whether personal data about the requester is processed.
    pub data_found: bool,
    /// The subject's identities, decrypted: (kind, value) pairs.
    pub identities: Vec<(String, String)>,
    /// The subject's records, decrypted; empty when no subject was found.
    pub records: Vec<PackageRecord>,
    /// What the connected databases hold, read live (issue 16): one entry per system, a
    /// system that could not be read says why.
    pub systems: Vec<PackageSystem>,
    /// Purposes and bases.
    pub purposes: Vec<PackagePurpose>,
    /// Categories and retention.
    pub categories: Vec<PackageCategory>,
    /// The register's recipients of any of the subject's categories (Art. 15(1)(c)).
    pub recipients: Vec<PackageRecipient>,
    /// The disclosures of the subject's data made, oldest first.
    pub disclosures: Vec<PackageDisclosure>,
    /// What rectifications replaced in the subject's records, oldest first.
    pub rectifications: Vec<PackageRectification>,
    /// Passages of records filed under someone else that mention the subject (issue 21), with
    /// everyone else's data masked.
    pub mentions: Vec<crate::PackageMention>,
    /// Sources other than the subject.
    pub sources: Vec<PackageSource>,
    /// Processing restricted (Art. 18).
    pub restricted: bool,
    /// Facts recorded about the subject that a legal basis depends on; left out of the JSON
    /// when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<PackageAttribute>,
    /// The rights (Art. 15(1)(e)).
    pub rights: Vec<String>,
    /// The supervisory authority and the right to complain to it (Art. 15(1)(f)).
    pub authority: String,
}

const RIGHTS: [&str; 7] = [
    "Right of access (Art. 15): a copy of your data and this information.",
    "Right to rectification (Art. 16): have inaccurate data corrected.",
    "Right to erasure (Art. 17): have data deleted, unless the law requires us to keep it.",
    "Right to restriction (Art. 18): have processing limited to storage.",
    "Right to data portability (Art. 20): the data you gave us, in a machine-readable form.",
    "Right to object (Art. 21): to processing on legitimate interest, and always to direct marketing.",
    "Right to withdraw consent (Art. 7(3)) at any time, without affecting earlier processing.",
];

/// Whether `row` may have a package: an access or portability request whose identity check
/// passed, and, when routed to a tenant, asked for by that tenant.
fn check_package_request(actor: &Actor, row: &RequestRow) -> Result<(), VaultError> {
    let id = &row.id;
    let request_type = stored_type(&row.request_type)?;
    if !request_type.discloses_data() {
        return Err(VaultError::RequestState {
            what: format!("request {id} is a {request_type} request, not access or portability"),
            help: "packages exist for access and portability requests".into(),
        });
    }
    let state = stored_state(&row.state)?;
    if !state.identity_checked() || row.routed_to_controller && actor.tenant.is_none() {
        return Err(VaultError::RequestState {
            what: format!("request {id} is {state}"),
            help: "a package is available once the request is verified, and never for a request routed to a tenant".into(),
        });
    }
    Ok(())
}

impl Vault {
    /// The access package (Art. 15) of a verified access or portability request, from the
    /// vault alone.
    pub async fn access_package(
        &self,
        actor: &Actor,
        id: &str,
        now: Timestamp,
    ) -> Result<AccessPackage, VaultError> {
        self.access_package_with(actor, id, now, Vec::new()).await
    }

    /// The identities a verified access or portability request may be answered for: the one
    /// it was made with and, when it matched a subject, every identity of that subject. What
    /// the app reads connected databases with ([`Vault::access_package_with`]); refused as
    /// the package is for a request that may not have one.
    pub async fn package_identities(
        &self,
        actor: &Actor,
        id: &str,
        now: Timestamp,
    ) -> Result<Vec<Identity>, VaultError> {
        let row = self.request_row(actor, id).await?;
        check_package_request(actor, &row)?;
        self.identities_of_request(&row, now).await
    }

    /// The identities of request `id` whose identity check passed, of any type: the one it
    /// was made with and every identity of the subject it matched. What the steps in
    /// connected databases (erasure, rectification) find the subject's rows with. Refused for
    /// a request not verified yet, or routed to a tenant and asked for by someone else.
    pub async fn verified_identities(
        &self,
        actor: &Actor,
        id: &str,
        now: Timestamp,
    ) -> Result<Vec<Identity>, VaultError> {
        let row = self.request_row(actor, id).await?;
        let state = stored_state(&row.state)?;
        if !state.identity_checked() || row.routed_to_controller && actor.tenant.is_none() {
            return Err(VaultError::RequestState {
                what: format!("request {id} is {state}"),
                help: "verify the requester's identity first (code or document)".into(),
            });
        }
        self.identities_of_request(&row, now).await
    }

    /// The request's own identity and its subject's, decrypted, sorted, each once.
    async fn identities_of_request(
        &self,
        row: &RequestRow,
        now: Timestamp,
    ) -> Result<Vec<Identity>, VaultError> {
        let mut identities = vec![self.request_identity(row, now)?];
        if let Some(subject) = &row.subject_id
            && self.storage.get_subject(subject).await?.is_some()
        {
            identities.extend(self.subject_identity_list(subject, now).await?);
        }
        identities.sort_by(|a, b| (a.kind(), a.expose()).cmp(&(b.kind(), b.expose())));
        identities.dedup_by(|a, b| a.kind() == b.kind() && a.expose() == b.expose());
        Ok(identities)
    }

    /// The access package (Art. 15) of a verified access or portability request, with what
    /// the connected databases hold (`systems`, read by the caller with
    /// [`Vault::package_identities`]): their categories join the vault's in the purposes,
    /// retention and recipients.
    pub async fn access_package_with(
        &self,
        actor: &Actor,
        id: &str,
        now: Timestamp,
        systems: Vec<PackageSystem>,
    ) -> Result<AccessPackage, VaultError> {
        let row = self.request_row(actor, id).await?;
        check_package_request(actor, &row)?;
        let subject = row.subject_id.as_deref();
        let (package, categories) = self
            .build_package(id, subject, self.letters_language(), now, systems)
            .await?;
        let subject = package.subject_id.as_deref();
        let outcome = if package.data_found {
            "done"
        } else {
            "no_data"
        };
        self.audit(
            actor,
            now,
            "request.package",
            None,
            subject,
            categories,
            outcome,
        )
        .await?;
        Ok(package)
    }

    /// The package of `subject` (none: a person only connected databases know) with the
    /// connected databases' `systems`, in `language`, made for `reference`: the one code path
    /// of every access package, whether a request or the privacy centre asks for it. Returns
    /// the categories found too, for the caller's audit event; audits nothing itself.
    pub(crate) async fn build_package(
        &self,
        reference: &str,
        subject: Option<&str>,
        language: Language,
        now: Timestamp,
        systems: Vec<PackageSystem>,
    ) -> Result<(AccessPackage, Vec<String>), VaultError> {
        let subject = match subject {
            Some(s) => self.storage.get_subject(s).await?,
            None => None,
        };
        let mut package = self.empty_package(reference, language, now);
        package.systems = systems;
        if let Some(subject) = &subject {
            package.data_found = true;
            package.restricted = subject.restricted_at.is_some();
            package.subject_id = Some(subject.id.clone());
            self.open_subject_data(&subject.id, &mut package).await?;
            package.disclosures = self.package_disclosures(&subject.id, language).await?;
            package.mentions = self.package_mentions(&subject.id, now).await?;
            package.attributes = self.package_attributes(&subject.id, language).await?;
        }
        let connected = package.systems.iter().flat_map(|s| &s.values);
        package.data_found |= connected.clone().next().is_some();
        let mut categories: Vec<String> = package
            .records
            .iter()
            .map(|r| r.category.clone())
            .chain(connected.map(|v| v.category.clone()))
            .collect();
        categories.sort();
        categories.dedup();
        if !package.data_found {
            return Ok((package, Vec::new()));
        }
        package.purposes = self.package_purposes(&package.records, &categories, language);
        package.categories = self.package_categories(&categories, language);
        package.recipients = self.package_recipients(&categories, language);
        package.sources = self.package_sources(&package.records, language);
        Ok((package, categories))
    }

    /// Every identity of the existing subject `subject`, decrypted and parsed, unaudited (the
    /// caller's read is audited).
    pub(crate) async fn subject_identity_list(
        &self,
        subject: &str,
        now: Timestamp,
    ) -> Result<Vec<Identity>, VaultError> {
        let key = self.data_key(subject).await?;
        let mut identities = Vec::new();
        for stored in self.storage.identities_of_subject(subject).await? {
            let plain = key.open(&stored.ciphertext, &identity_aad(subject, &stored.kind))?;
            let text = std::str::from_utf8(&plain)
                .map_err(|_| VaultError::Corrupt("an identity is not text".into()))?;
            identities.push(parse_identity(&stored.kind, text, now)?);
        }
        Ok(identities)
    }

    /// The identity a request was made with, decrypted and parsed.
    fn request_identity(&self, row: &RequestRow, now: Timestamp) -> Result<Identity, VaultError> {
        let key = self.keyring.unwrap(&skydd_crypto::WrappedKey {
            version: row.key_version,
            bytes: row.wrapped_key.clone(),
        })?;
        let plain = key.open(
            &row.identity_ciphertext,
            &crate::request::request_identity_aad(&row.id, &row.identity_kind),
        )?;
        let text = std::str::from_utf8(&plain)
            .map_err(|_| VaultError::Corrupt("a request's identity is not text".into()))?;
        parse_identity(&row.identity_kind, text, now)
    }

    /// A package with the controller, the rights and the supervisory authority, and no data
    /// yet.
    fn empty_package(&self, id: &str, language: Language, now: Timestamp) -> AccessPackage {
        let register = self.register();
        let authority = &register.authority;
        AccessPackage {
            request_id: id.to_string(),
            subject_id: None,
            generated_at: now,
            controller: register.controller.name.clone(),
            controller_contact: contact_lines(&register.rights.contact),
            data_found: false,
            identities: Vec::new(),
            records: Vec::new(),
            systems: Vec::new(),
            purposes: Vec::new(),
            categories: Vec::new(),
            recipients: Vec::new(),
            disclosures: Vec::new(),
            rectifications: Vec::new(),
            mentions: Vec::new(),
            sources: Vec::new(),
            restricted: false,
            attributes: Vec::new(),
            rights: RIGHTS.iter().map(|r| r.to_string()).collect(),
            authority: format!(
                "You may lodge a complaint with the supervisory authority, {} ({}{}), and seek a judicial remedy (Art. 77-79).",
                authority.name.get(language),
                authority.url.as_deref().unwrap_or(""),
                authority
                    .email
                    .as_deref()
                    .map(|e| format!(", {e}"))
                    .unwrap_or_default()
            ),
        }
    }

    /// The subject's attributes, named in `language` (none read when the register declares none).
    async fn package_attributes(
        &self,
        subject: &str,
        language: Language,
    ) -> Result<Vec<PackageAttribute>, VaultError> {
        let declared = &self.register().attributes;
        if declared.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self
            .storage
            .subject_attributes(subject)
            .await?
            .into_iter()
            .map(|row| PackageAttribute {
                name: declared
                    .iter()
                    .find(|a| a.id.as_str() == row.attribute)
                    .map_or_else(
                        || row.attribute.clone(),
                        |a| a.name.get(language).to_owned(),
                    ),
                id: row.attribute,
                since: row.since,
                until: row.until,
            })
            .collect())
    }

    /// Decrypt the subject's identities and records into `package`.
    async fn open_subject_data(
        &self,
        subject: &str,
        package: &mut AccessPackage,
    ) -> Result<(), VaultError> {
        let key = self.data_key(subject).await?;
        for identity in self.storage.identities_of_subject(subject).await? {
            let plain = key.open(&identity.ciphertext, &identity_aad(subject, &identity.kind))?;
            package
                .identities
                .push((identity.kind, String::from_utf8_lossy(&plain).into_owned()));
        }
        for record in self.storage.records_of_subject(subject).await? {
            let plain = key.open(
                &record.ciphertext,
                &record_aad(subject, &record.id, &record.category),
            )?;
            let fields = serde_json::from_slice(&plain)
                .map_err(|_| VaultError::Corrupt("a record's fields".into()))?;
            package.records.push(PackageRecord {
                id: record.id,
                category: record.category,
                purpose: record.purpose,
                source: record.source,
                collected_at: record.collected_at,
                fields,
                combined_from: record.combined_from,
            });
        }
        for revision in self.storage.record_revisions(subject).await? {
            let Some(record) = package.records.iter().find(|r| r.id == revision.record_id) else {
                continue;
            };
            let plain = key.open(
                &revision.ciphertext,
                &revision_aad(subject, &record.id, &record.category),
            )?;
            let previous = serde_json::from_slice(&plain)
                .map_err(|_| VaultError::Corrupt("a record's replaced values".into()))?;
            package.rectifications.push(PackageRectification {
                record_id: revision.record_id,
                category: record.category.clone(),
                rectified_at: revision.replaced_at,
                request_id: revision.request_id,
                previous,
            });
        }
        Ok(())
    }

    /// The purposes that use any of the subject's `categories` or collected any of `records`,
    /// with their legal bases.
    fn package_purposes(
        &self,
        records: &[PackageRecord],
        categories: &[String],
        language: Language,
    ) -> Vec<PackagePurpose> {
        let mut purposes = Vec::new();
        for purpose in &self.register().purposes {
            let used: Vec<String> = purpose
                .data_categories()
                .filter(|c| categories.iter().any(|x| x == c.as_str()))
                .map(|c| c.as_str().to_string())
                .collect();
            let collected_for = records.iter().any(|r| r.purpose == purpose.id.as_str());
            if used.is_empty() && !collected_for {
                continue;
            }
            let mut bases: Vec<String> = purpose
                .legal_basis
                .iter()
                .flat_map(|b| b.bases.iter().map(|basis| basis_word(*basis).to_string()))
                .collect();
            bases.sort();
            bases.dedup();
            purposes.push(PackagePurpose {
                id: purpose.id.as_str().to_string(),
                name: purpose.name.get(language).to_string(),
                legal_bases: bases,
                categories: used,
                direct_marketing: purpose.direct_marketing,
                automated_decision: purpose.automated_decision,
            });
        }
        purposes
    }

    /// The subject's `categories` with how long each is kept and the legal holds on it.
    fn package_categories(
        &self,
        categories: &[String],
        language: Language,
    ) -> Vec<PackageCategory> {
        let register = self.register();
        register
            .data
            .iter()
            .filter(|c| categories.iter().any(|x| x == c.id.as_str()))
            .map(|category| PackageCategory {
                id: category.id.as_str().to_string(),
                name: category.name.get(language).to_string(),
                retention: register
                    .retention
                    .iter()
                    .filter(|r| r.category == category.id)
                    .map(|r| {
                        format!(
                            "{} ({}): {}",
                            r.purposes
                                .iter()
                                .map(|p| p.as_str())
                                .collect::<Vec<_>>()
                                .join(", "),
                            r.id.as_str(),
                            clock_words(&r.clock)
                        )
                    })
                    .collect(),
                legal_holds: register
                    .legal_holds
                    .iter()
                    .filter(|h| h.categories.contains(&category.id))
                    .map(|h| {
                        format!(
                            "{}: {} ({})",
                            h.name.get(language),
                            clock_words(&h.clock),
                            h.law.get(language)
                        )
                    })
                    .collect(),
            })
            .collect()
    }

    /// The recipients of any of the subject's `categories`, with transfers outside the EEA.
    fn package_recipients(
        &self,
        categories: &[String],
        language: Language,
    ) -> Vec<PackageRecipient> {
        let register = self.register();
        self.recipients_of(categories)
            .into_iter()
            .filter_map(|(recipient_id, concerned)| {
                let recipient = register.recipients.iter().find(|r| r.id == recipient_id)?;
                Some(PackageRecipient {
                    id: recipient.id.as_str().to_string(),
                    name: recipient.name.get(language).to_string(),
                    kind: recipient.kind.word().to_string(),
                    country: recipient.country.map(|c| c.code().to_string()),
                    categories: concerned.iter().map(|c| c.as_str().to_string()).collect(),
                    transfer: recipient
                        .transfer
                        .as_ref()
                        .map(|t| format!("{} ({})", t.mechanism.word(), t.documented_in)),
                })
            })
            .collect()
    }

    /// The disclosures that included `subject`, named in `language`.
    async fn package_disclosures(
        &self,
        subject: &str,
        language: Language,
    ) -> Result<Vec<PackageDisclosure>, VaultError> {
        let register = self.register();
        Ok(self
            .storage
            .disclosures_of_subject(subject)
            .await?
            .into_iter()
            .map(|row| {
                let recipient = register
                    .recipients
                    .iter()
                    .find(|r| r.id.as_str() == row.recipient);
                PackageDisclosure {
                    disclosed_at: row.at,
                    name: recipient.map_or_else(
                        || row.recipient.clone(),
                        |r| r.name.get(language).to_string(),
                    ),
                    kind: recipient.map(|r| r.kind.word().to_string()),
                    recipient: row.recipient,
                    purpose: row.purpose,
                    categories: row.categories,
                    decision: row.decision.map(|d| d.kind),
                }
            })
            .collect())
    }

    /// The sources other than the subject that any of `records` came from (Art. 15(1)(g)).
    fn package_sources(&self, records: &[PackageRecord], language: Language) -> Vec<PackageSource> {
        self.register()
            .sources
            .iter()
            .filter(|source| {
                source.kind != SourceKind::DataSubject
                    && records.iter().any(|r| r.source == source.id.as_str())
            })
            .map(|source| PackageSource {
                id: source.id.as_str().to_string(),
                name: source.name.get(language).to_string(),
                kind: source.kind.word().to_string(),
            })
            .collect()
    }

    /// Whether `record` falls under Art. 20: its category is provided by the subject and its
    /// purpose processes it on consent or contract ([`skydd_requests::applicability::portability`]).
    fn record_portable(&self, record: &PackageRecord) -> bool {
        self.register()
            .purposes
            .iter()
            .find(|p| p.id.as_str() == record.purpose)
            .is_some_and(|p| self.portable_for(p, &record.category))
    }

    /// Whether a connected value of `category` falls under Art. 20: it has no purpose of its
    /// own, so it is portable when any purpose processes it within the right.
    fn connected_portable(&self, category: &str) -> bool {
        self.register()
            .purposes
            .iter()
            .any(|p| self.portable_for(p, category))
    }

    fn portable_for(&self, purpose: &skydd_register::model::Purpose, category: &str) -> bool {
        self.register()
            .data
            .iter()
            .find(|c| c.id.as_str() == category)
            .is_some_and(|c| {
                // A purpose that gives the category no basis does not process it at all.
                purpose.bases_for(&c.id).is_some()
                    && skydd_requests::applicability::portability(
                        purpose,
                        &c.id,
                        c.provided_by_subject,
                    )
                    .is_none()
            })
    }

    /// Whether anything in `package` falls under Art. 20, so a portability file has content.
    pub fn has_portable_data(&self, package: &AccessPackage) -> bool {
        package.records.iter().any(|r| self.record_portable(r))
            || package
                .systems
                .iter()
                .flat_map(|s| &s.values)
                .any(|v| !v.mentioned && self.connected_portable(&v.category))
    }

    /// The portability file (Art. 20) from the vault alone.
    pub async fn portability_zip(
        &self,
        actor: &Actor,
        id: &str,
        now: Timestamp,
    ) -> Result<Vec<u8>, VaultError> {
        self.portability_zip_with(actor, id, now, Vec::new()).await
    }

    /// The portability file (Art. 20): the records of categories the subject provided, processed
    /// on consent or contract, as `data.json` and `data.csv` in a zip file; values of such
    /// categories read from the connected `systems` in `data.json` too and as
    /// `connected/SYSTEM/COLLECTION.csv`, one file per collection. A system that could not be
    /// read is named in `data.json` with the reason, and so is the subject's data Art. 20 does
    /// not reach (`not_applicable`: purpose, categories, reason).
    pub async fn portability_zip_with(
        &self,
        actor: &Actor,
        id: &str,
        now: Timestamp,
        systems: Vec<PackageSystem>,
    ) -> Result<Vec<u8>, VaultError> {
        let package = self.access_package_with(actor, id, now, systems).await?;
        self.portable_zip(&package)
    }

    /// The portability file of `package` (see [`Vault::portability_zip_with`]).
    pub(crate) fn portable_zip(&self, package: &AccessPackage) -> Result<Vec<u8>, VaultError> {
        let portable: Vec<&PackageRecord> = package
            .records
            .iter()
            .filter(|record| self.record_portable(record))
            .collect();
        let connected_portable = |category: &str| self.connected_portable(category);
        let connected: Vec<serde_json::Value> = package
            .systems
            .iter()
            .map(|system| {
                let values: Vec<&PackageConnectedValue> = system
                    .values
                    .iter()
                    .filter(|v| !v.mentioned && connected_portable(&v.category))
                    .collect();
                serde_json::json!({
                    "system": system.system,
                    "failed": system.failed,
                    "values": values,
                })
            })
            .collect();
        // What Art. 20 does not reach is named with the reason, never left out in silence.
        let not_applicable = self.portability_left_out(
            package
                .records
                .iter()
                .map(|r| (r.purpose.as_str(), r.category.as_str())),
        );
        let json = serde_json::to_vec_pretty(&serde_json::json!({
            "controller": package.controller,
            "generated_at": package.generated_at,
            "records": portable,
            "systems": connected,
            "not_applicable": not_applicable,
        }))
        .map_err(|e| VaultError::Corrupt(e.to_string()))?;
        let mut csv = String::from("record_id,category,purpose,collected_at,field,value\r\n");
        for record in &portable {
            for (name, value) in &record.fields {
                let value = match value {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Null => String::new(),
                    other => other.to_string(),
                };
                push_csv_row(
                    &mut csv,
                    &[
                        record.id.as_str(),
                        &record.category,
                        &record.purpose,
                        &record.collected_at.to_string(),
                        name,
                        &value,
                    ],
                );
            }
        }
        let mut zip = StoredZip::new();
        zip.add("data.json", &json);
        zip.add("data.csv", csv.as_bytes());
        for system in &package.systems {
            let mut files: Vec<(&str, String)> = Vec::new();
            for value in system
                .values
                .iter()
                .filter(|v| !v.mentioned && connected_portable(&v.category))
            {
                let at = match files.iter().position(|(c, _)| *c == value.collection) {
                    Some(at) => at,
                    None => {
                        files.push((
                            &value.collection,
                            String::from("row,category,field,value\r\n"),
                        ));
                        files.len() - 1
                    }
                };
                push_csv_row(
                    &mut files[at].1,
                    &[
                        &value.row,
                        &value.category,
                        &value.field,
                        value.value.as_deref().unwrap_or_default(),
                    ],
                );
            }
            for (collection, csv) in files {
                zip.add(
                    &format!("connected/{}/{collection}.csv", system.system),
                    csv.as_bytes(),
                );
            }
        }
        Ok(zip.finish())
    }
}

/// Whether `purpose` processes `category` on consent or contract (Art. 20(1)(a)).
/// Append one CSV row of `cells` with CRLF.
fn push_csv_row(csv: &mut String, cells: &[&str]) {
    csv.push_str(
        &cells
            .iter()
            .map(|cell| csv_cell(cell))
            .collect::<Vec<_>>()
            .join(","),
    );
    csv.push_str("\r\n");
}

/// A CSV cell, quoted when needed (RFC 4180); a leading `=`, `+`, `-` or `@` is prefixed with
/// `'` so that a spreadsheet does not run it as a formula.
fn csv_cell(cell: &str) -> String {
    let cell = if cell.starts_with(['=', '+', '-', '@']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    };
    if cell.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell
    }
}

fn contact_lines(contact: &skydd_register::model::Contact) -> Vec<String> {
    [
        &contact.email,
        &contact.phone,
        &contact.url,
        &contact.postal,
    ]
    .into_iter()
    .flatten()
    .cloned()
    .collect()
}

/// A retention clock in plain words: "24 months after contract_end".
fn clock_words(clock: &skydd_register::model::RetentionClock) -> String {
    let base = match &clock.anchor {
        Anchor::After(event) => format!("{} after {}", clock.period, event.as_str()),
        Anchor::While(state) => format!("while {}, then {}", state.as_str(), clock.period),
    };
    match &clock.round_up_to {
        Some(skydd_register::period::CalendarRounding::EndOfMonth) => {
            format!("{base}, until the end of that month")
        }
        Some(skydd_register::period::CalendarRounding::EndOfYear) => {
            format!("{base}, until the end of that year")
        }
        None => base,
    }
}

impl AccessPackage {
    /// The package as a self-contained HTML "register excerpt" (registerutdrag).
    pub fn to_html(&self) -> String {
        let mut h = String::new();
        h.push_str("<!doctype html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>Register excerpt</title></head>\n<body>\n");
        h.push_str(&format!(
            "<h1>Register excerpt from {}</h1>\n<p>Request {} &middot; made {}</p>\n",
            escape_html(&self.controller),
            escape_html(&self.request_id),
            escape_html(&self.generated_at.to_string())
        ));
        if !self.data_found {
            h.push_str("<p>We process no personal data about you.</p>\n");
        }
        if self.restricted {
            h.push_str(
                "<p>Processing of your data is restricted (Art. 18): it is only stored.</p>\n",
            );
        }
        if !self.attributes.is_empty() {
            h.push_str("<h2>Facts recorded about you</h2>\n<ul>\n");
            for a in &self.attributes {
                h.push_str(&format!(
                    "<li>{}: from {}{}</li>\n",
                    escape_html(&a.name),
                    escape_html(&a.since.to_string()),
                    a.until
                        .map(|end| format!(" until {}", escape_html(&end.to_string())))
                        .unwrap_or_default()
                ));
            }
            h.push_str("</ul>\n");
        }
        self.html_your_data(&mut h);
        self.html_connected(&mut h);
        self.html_purposes_and_categories(&mut h);
        self.html_recipients(&mut h);
        self.html_sources_and_rights(&mut h);
        h.push_str("</body>\n</html>\n");
        h
    }

    /// How the subject is identified and every field of every record.
    fn html_your_data(&self, h: &mut String) {
        if !self.identities.is_empty() {
            h.push_str("<h2>How we identify you</h2>\n<ul>\n");
            for (kind, value) in &self.identities {
                h.push_str(&format!(
                    "<li>{}: {}</li>\n",
                    escape_html(kind),
                    escape_html(value)
                ));
            }
            h.push_str("</ul>\n");
        }
        if !self.records.is_empty() {
            h.push_str("<h2>Your data</h2>\n<table>\n<tr><th>Category</th><th>Purpose</th><th>Source</th><th>Collected</th><th>Field</th><th>Value</th></tr>\n");
            for record in &self.records {
                for (name, value) in &record.fields {
                    let value = match value {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    h.push_str(&format!(
                        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                        escape_html(&record.category),
                        escape_html(&record.purpose),
                        escape_html(&record_sources(record)),
                        escape_html(&record.collected_at.to_string()),
                        escape_html(name),
                        escape_html(&value)
                    ));
                }
            }
            h.push_str("</table>\n");
        }
        self.html_rectifications(h);
        self.html_mentions(h);
    }

    /// Where records filed under someone else mention the subject.
    fn html_mentions(&self, h: &mut String) {
        if self.mentions.is_empty() {
            return;
        }
        h.push_str("<h2>Where others' records mention you</h2>\n<p>These passages are filed under someone else; what they say about others is masked.</p>\n<table>\n<tr><th>Collected</th><th>Category</th><th>Field</th><th>Text</th></tr>\n");
        for mention in &self.mentions {
            h.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                escape_html(&mention.collected_at.to_string()),
                escape_html(&mention.category),
                escape_html(&mention.field),
                escape_html(&mention.text)
            ));
        }
        h.push_str("</table>\n");
    }

    /// What rectifications replaced: the values before each correction (Art. 16).
    fn html_rectifications(&self, h: &mut String) {
        if self.rectifications.is_empty() {
            return;
        }
        h.push_str("<h2>Corrections of your data (Art. 16)</h2>\n<table>\n<tr><th>Corrected</th><th>Category</th><th>Field</th><th>Value before</th></tr>\n");
        for revision in &self.rectifications {
            for (name, value) in &revision.previous {
                let value = match value {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Null => String::new(),
                    other => other.to_string(),
                };
                h.push_str(&format!(
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                    escape_html(&revision.rectified_at.to_string()),
                    escape_html(&revision.category),
                    escape_html(name),
                    escape_html(&value)
                ));
            }
        }
        h.push_str("</table>\n");
    }

    /// What each connected system holds, and which could not be read.
    fn html_connected(&self, h: &mut String) {
        if self.systems.is_empty() {
            return;
        }
        h.push_str("<h2>Your data in our other systems</h2>\n");
        for system in &self.systems {
            h.push_str(&format!("<h3>{}</h3>\n", escape_html(&system.system)));
            if let Some(description) = &system.description {
                h.push_str(&format!("<p>{}</p>\n", escape_html(description)));
            }
            if let Some(reason) = &system.failed {
                h.push_str(&format!(
                    "<p>We could not read this system when this excerpt was made: {}. This excerpt is not complete; we will send what it holds.</p>\n",
                    escape_html(reason)
                ));
                continue;
            }
            if system.values.is_empty() {
                h.push_str("<p>It holds no data about you.</p>\n");
                continue;
            }
            h.push_str("<table>\n<tr><th>Table</th><th>Row</th><th>Category</th><th>Field</th><th>Value</th></tr>\n");
            for value in &system.values {
                h.push_str(&format!(
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                    escape_html(&value.collection),
                    escape_html(&value.row),
                    escape_html(&value.category),
                    escape_html(&value.field)
                        + if value.mentioned {
                            " (filed under someone else; it mentions you)"
                        } else {
                            ""
                        },
                    escape_html(value.value.as_deref().unwrap_or(""))
                ));
            }
            h.push_str("</table>\n");
        }
    }

    /// The purposes with their legal bases, and the categories with how long they are kept.
    fn html_purposes_and_categories(&self, h: &mut String) {
        if !self.purposes.is_empty() {
            h.push_str("<h2>Why we process it (purposes and legal bases)</h2>\n<ul>\n");
            for p in &self.purposes {
                h.push_str(&format!(
                    "<li><strong>{}</strong> ({}): legal basis {}; data: {}{}{}</li>\n",
                    escape_html(&p.name),
                    escape_html(&p.id),
                    escape_html(&p.legal_bases.join(", ")),
                    escape_html(&p.categories.join(", ")),
                    if p.direct_marketing {
                        "; direct marketing"
                    } else {
                        ""
                    },
                    if p.automated_decision {
                        "; automated decision-making"
                    } else {
                        ""
                    }
                ));
            }
            h.push_str("</ul>\n");
        }
        if !self.categories.is_empty() {
            h.push_str("<h2>Categories and how long we keep them</h2>\n<ul>\n");
            for c in &self.categories {
                h.push_str(&format!(
                    "<li><strong>{}</strong> ({})",
                    escape_html(&c.name),
                    escape_html(&c.id)
                ));
                for r in c.retention.iter().chain(&c.legal_holds) {
                    h.push_str(&format!("<br>{}", escape_html(r)));
                }
                h.push_str("</li>\n");
            }
            h.push_str("</ul>\n");
        }
    }

    /// Who receives the data, with any transfer outside the EEA, and the disclosures made.
    fn html_recipients(&self, h: &mut String) {
        h.push_str("<h2>Who receives it</h2>\n");
        if self.recipients.is_empty() {
            h.push_str("<p>No one outside the controller.</p>\n");
        } else {
            h.push_str("<ul>\n");
            for r in &self.recipients {
                h.push_str(&format!(
                    "<li>{} ({}{}): {}{}</li>\n",
                    escape_html(&r.name),
                    escape_html(&r.kind),
                    r.country
                        .as_deref()
                        .map(|c| format!(", {}", escape_html(c)))
                        .unwrap_or_default(),
                    escape_html(&r.categories.join(", ")),
                    r.transfer
                        .as_deref()
                        .map(|t| format!("; transfer: {}", escape_html(t)))
                        .unwrap_or_default()
                ));
            }
            h.push_str("</ul>\n");
        }
        if !self.disclosures.is_empty() {
            h.push_str("<h2>Disclosures of your data</h2>\n<ul>\n");
            for d in &self.disclosures {
                h.push_str(&format!(
                    "<li>{}: {}{}, for {}: {}{}</li>\n",
                    escape_html(&d.disclosed_at.to_string()),
                    escape_html(&d.name),
                    d.kind
                        .as_deref()
                        .map(|k| format!(" ({})", escape_html(k)))
                        .unwrap_or_default(),
                    escape_html(&d.purpose),
                    escape_html(&d.categories.join(", ")),
                    match d.decision.as_deref() {
                        Some("court_decision") => "; on a court decision",
                        Some(_) => "; on an order",
                        None => "",
                    }
                ));
            }
            h.push_str("</ul>\n");
        }
    }

    /// Where data the subject did not give came from, the rights, the authority and the contact.
    fn html_sources_and_rights(&self, h: &mut String) {
        if !self.sources.is_empty() {
            h.push_str("<h2>Where we got data you did not give us</h2>\n<ul>\n");
            for s in &self.sources {
                h.push_str(&format!(
                    "<li>{} ({})</li>\n",
                    escape_html(&s.name),
                    escape_html(&s.kind)
                ));
            }
            h.push_str("</ul>\n");
        }
        h.push_str("<h2>Your rights</h2>\n<ul>\n");
        for right in &self.rights {
            h.push_str(&format!("<li>{}</li>\n", escape_html(right)));
        }
        h.push_str("</ul>\n");
        h.push_str(&format!("<p>{}</p>\n", escape_html(&self.authority)));
        if !self.controller_contact.is_empty() {
            h.push_str(&format!(
                "<p>Contact: {}</p>\n",
                escape_html(&self.controller_contact.join(" · "))
            ));
        }
    }
}

/// A record's sources in the register excerpt: its source, and those it was combined with
/// ("tracking, combined with linkedin and facebook").
fn record_sources(record: &PackageRecord) -> String {
    match record.combined_from.as_slice() {
        [] => record.source.clone(),
        others => format!("{}, combined with {}", record.source, others.join(", ")),
    }
}
