//! What an access request answers (Art. 15): the subject's data with everything Art. 15(1)
//! lists, taken from the register, as JSON and as an HTML "register excerpt"; and what a
//! portability request answers (Art. 20): the data the subject provided, processed on consent
//! or contract, as JSON and CSV in a zip file.

use jiff::Timestamp;
use skydd_notice::document::escape_html;
use skydd_register::model::{Anchor, Choice, Language, LegalBasis, SourceKind};
use skydd_storage::RequestRow;

use crate::crypto::{identity_aad, record_aad};
use crate::fulfil::basis_word;
use crate::states::{stored_state, stored_type};
use crate::stored_zip::StoredZip;
use crate::{Actor, Vault, VaultError};

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

/// The answer to an access request.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AccessPackage {
    /// The id of the access or portability request the package answers.
    pub request_id: String,
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
    /// Purposes and bases.
    pub purposes: Vec<PackagePurpose>,
    /// Categories and retention.
    pub categories: Vec<PackageCategory>,
    /// The register's recipients of any of the subject's categories (Art. 15(1)(c)).
    pub recipients: Vec<PackageRecipient>,
    /// Sources other than the subject.
    pub sources: Vec<PackageSource>,
    /// Processing restricted (Art. 18).
    pub restricted: bool,
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
    /// The access package (Art. 15) of a verified access or portability request.
    pub async fn access_package(
        &self,
        actor: &Actor,
        id: &str,
        now: Timestamp,
    ) -> Result<AccessPackage, VaultError> {
        let row = self.request_row(actor, id).await?;
        check_package_request(actor, &row)?;
        let language = self.letters_language();
        let subject = match &row.subject_id {
            Some(s) => self.storage.get_subject(s).await?,
            None => None,
        };
        let mut package = self.empty_package(id, language, now);
        let Some(subject) = subject else {
            self.audit_package(actor, now, None, Vec::new(), "no_data")
                .await?;
            return Ok(package);
        };
        package.data_found = true;
        package.restricted = subject.restricted_at.is_some();
        self.open_subject_data(&subject.id, &mut package).await?;
        let mut categories: Vec<String> =
            package.records.iter().map(|r| r.category.clone()).collect();
        categories.sort();
        categories.dedup();
        package.purposes = self.package_purposes(&package.records, &categories, language);
        package.categories = self.package_categories(&categories, language);
        package.recipients = self.package_recipients(&categories, language);
        package.sources = self.package_sources(&package.records, language);
        self.audit_package(actor, now, Some(&subject.id), categories, "done")
            .await?;
        Ok(package)
    }

    async fn audit_package(
        &self,
        actor: &Actor,
        now: Timestamp,
        subject: Option<&str>,
        categories: Vec<String>,
        outcome: &str,
    ) -> Result<(), VaultError> {
        self.audit(
            actor,
            now,
            "request.package",
            None,
            subject,
            categories,
            outcome,
        )
        .await
    }

    /// A package with the controller, the rights and the supervisory authority, and no data
    /// yet.
    fn empty_package(&self, id: &str, language: Language, now: Timestamp) -> AccessPackage {
        let register = self.register();
        let authority = &register.authority;
        AccessPackage {
            request_id: id.to_string(),
            generated_at: now,
            controller: register.controller.name.clone(),
            controller_contact: contact_lines(&register.rights.contact),
            data_found: false,
            identities: Vec::new(),
            records: Vec::new(),
            purposes: Vec::new(),
            categories: Vec::new(),
            recipients: Vec::new(),
            sources: Vec::new(),
            restricted: false,
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

    /// The portability file (Art. 20): the records of categories the subject provided, processed
    /// on consent or contract, as `data.json` and `data.csv` in a zip file.
    pub async fn portability_zip(
        &self,
        actor: &Actor,
        id: &str,
        now: Timestamp,
    ) -> Result<Vec<u8>, VaultError> {
        let package = self.access_package(actor, id, now).await?;
        let register = self.register();
        let portable: Vec<&crate::package::PackageRecord> = package
            .records
            .iter()
            .filter(|record| {
                let provided = register
                    .data
                    .iter()
                    .any(|c| c.id.as_str() == record.category && c.provided_by_subject);
                let basis_fits = register
                    .purposes
                    .iter()
                    .find(|p| p.id.as_str() == record.purpose)
                    .and_then(|p| {
                        p.bases_for(&skydd_register::model::CategoryId(record.category.clone()))
                    })
                    .is_some_and(|bases| {
                        bases
                            .iter()
                            .any(|b| matches!(b, LegalBasis::Consent | LegalBasis::Contract))
                    });
                provided && basis_fits
            })
            .collect();
        let json = serde_json::to_vec_pretty(&serde_json::json!({
            "controller": package.controller,
            "generated_at": package.generated_at,
            "records": portable,
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
                csv.push_str(
                    &[
                        record.id.as_str(),
                        &record.category,
                        &record.purpose,
                        &record.collected_at.to_string(),
                        name,
                        &value,
                    ]
                    .iter()
                    .map(|cell| csv_cell(cell))
                    .collect::<Vec<_>>()
                    .join(","),
                );
                csv.push_str("\r\n");
            }
        }
        let mut zip = StoredZip::new();
        zip.add("data.json", &json);
        zip.add("data.csv", csv.as_bytes());
        Ok(zip.finish())
    }
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
        self.html_your_data(&mut h);
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
                        escape_html(&record.source),
                        escape_html(&record.collected_at.to_string()),
                        escape_html(name),
                        escape_html(&value)
                    ));
                }
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

    /// Who receives the data, with any transfer outside the EEA.
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
