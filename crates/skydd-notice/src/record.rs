//! The record of processing activities (GDPR Art. 30): one entry per purpose, with every field
//! of Art. 30(1)(a)-(g), or of Art. 30(2)(a)-(d) where the company acts as processor. Rendered as
//! JSON, CSV (RFC 4180) or HTML.

use serde::Serialize;
use skydd_register::Register;
use skydd_register::model::{Choice, Contact, Language, Purpose, RecipientKind, Role};

use crate::document::{Block, Document, Section, text};
use crate::notice::NoticeVersion;
use crate::retention;
use crate::wording::{self, pick};

/// The whole Art. 30 record of processing activities, as written from one register version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Art30Record {
    /// Digest of the register the record was written from.
    pub digest: String,
    /// The register's `published` date.
    pub published: String,
    /// The language of the texts (`en` or `sv`).
    pub language: &'static str,
    /// One entry per processing activity, controller activities first.
    pub activities: Vec<Activity>,
}

/// One processing activity (a purpose of the register).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Activity {
    /// The purpose id (`purposes[].id`).
    pub id: String,
    /// `controller` (Art. 30(1)) or `processor` (Art. 30(2)).
    pub role: &'static str,
    /// Name of the activity: the purpose's `name` in the record's language (else English).
    pub name: String,
    /// (1)(a), (2)(a): name and contact details of the controller (for a processor activity:
    /// of us, the processor).
    pub controller: String,
    /// (2)(a): the controllers on whose behalf a processor activity is carried out.
    pub on_behalf_of: Option<String>,
    /// (1)(a): joint controllers.
    pub joint_controllers: Vec<String>,
    /// (1)(a), (2)(a): the Art. 27 representative.
    pub representative: Option<String>,
    /// (1)(a), (2)(a): the data protection officer.
    pub dpo: Option<String>,
    /// (1)(b): the purpose; (2)(b): the categories of processing.
    pub purpose: String,
    /// The legal basis per data category (controller activities).
    pub legal_basis: Vec<String>,
    /// (1)(c): categories of data subjects.
    pub subjects: Vec<String>,
    /// (1)(c): categories of personal data.
    pub data_categories: Vec<String>,
    /// Where the categories are kept outside Skydd: per category of the activity held by a
    /// connected database, `category: system (description)`, one line per system.
    pub systems: Vec<String>,
    /// (1)(d): categories of recipients, including in third countries.
    pub recipients: Vec<String>,
    /// (1)(e), (2)(c): transfers to third countries with the documentation of safeguards.
    pub transfers: Vec<String>,
    /// (1)(f): time limits for erasure, per data category.
    pub retention: Vec<String>,
    /// (1)(g), (2)(d): general description of the security measures.
    pub security: Vec<String>,
}

fn contact_text(contact: &Contact) -> String {
    [
        &contact.email,
        &contact.phone,
        &contact.url,
        &contact.postal,
    ]
    .into_iter()
    .flatten()
    .cloned()
    .collect::<Vec<_>>()
    .join(", ")
}

/// A connected database as the record names it: the system's name and description and the
/// register categories it holds. A plain value, so that this crate needs no dataset model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct System {
    /// The system's name (the dataset's `name`).
    pub name: String,
    /// What it is for, if its dataset says.
    pub description: Option<String>,
    /// The register data category ids it holds.
    pub categories: Vec<String>,
}

/// The record written from `register`, its texts in `language`, naming no connected system.
pub fn record(register: &Register, language: Language) -> Art30Record {
    record_with_systems(register, language, &[])
}

/// The record written from `register`, its texts in `language`, naming for each activity's
/// categories the connected `systems` that hold them.
pub fn record_with_systems(
    register: &Register,
    language: Language,
    systems: &[System],
) -> Art30Record {
    let l = language;
    let c = &register.controller;
    let mut controller = c.name.clone();
    if let Some(number) = wording::registration(
        l,
        c.organisation_number.as_deref(),
        c.registry.as_deref(),
        &c.address,
    ) {
        controller.push_str(&format!(" ({number})"));
    }
    controller.push_str(&format!(
        ", {}, {}",
        wording::address(l, &c.address),
        contact_text(&c.contact)
    ));
    let representative = register
        .representative
        .as_ref()
        .map(|r| format!("{}, {}", r.name, contact_text(&r.contact)));
    let dpo = register.dpo.as_ref().map(|d| match &d.name {
        Some(name) => format!("{name}, {}", contact_text(&d.contact)),
        None => contact_text(&d.contact),
    });
    let mut security: Vec<String> = register
        .security
        .iter()
        .map(|m| {
            format!(
                "{}: {}",
                wording::measure_kind(l, m.kind),
                m.description.get(l)
            )
        })
        .collect();
    if let Some(review) = register.security_review {
        let every = wording::period(l, review.every);
        security.push(match l {
            Language::En => format!("Review of the measures: at least once every {every}, each review recorded with its date"),
            Language::Sv => format!("Granskning av åtgärderna: minst en gång per {every}, varje granskning dokumenterad med datum"),
        });
    }
    // P002-38, P003-41: access by need to know, as decisions enforce it.
    for role in &register.roles {
        let purposes: Vec<String> = role
            .purposes
            .iter()
            .map(|id| {
                register
                    .purpose(id)
                    .map_or_else(|| id.as_str().to_owned(), |p| p.name.get(l).to_owned())
            })
            .collect();
        security.push(format!(
            "{} {}: {}",
            pick(l, "Access for the role", "Åtkomst för rollen"),
            role.name.get(l),
            purposes.join(", ")
        ));
    }
    let mut purposes: Vec<&Purpose> = register
        .purposes
        .iter()
        .filter(|p| p.role == Role::Controller)
        .collect();
    purposes.extend(
        register
            .purposes
            .iter()
            .filter(|p| p.role == Role::Processor),
    );
    let activities = purposes
        .into_iter()
        .map(|p| {
            let mut activity = activity(
                register,
                l,
                p,
                &controller,
                &representative,
                &dpo,
                &security,
            );
            activity.systems = systems_of(register, l, p, systems);
            activity
        })
        .collect();
    Art30Record {
        digest: register.digest(),
        published: register.published.to_string(),
        language: l.word(),
        activities,
    }
}

fn activity(
    register: &Register,
    l: Language,
    p: &Purpose,
    controller: &str,
    representative: &Option<String>,
    dpo: &Option<String>,
    security: &[String],
) -> Activity {
    let category_name = |id: &skydd_register::model::CategoryId| {
        register
            .category(id)
            .map_or_else(|| id.to_string(), |c| c.name.get(l).to_owned())
    };
    let subjects = p
        .subjects
        .iter()
        .map(|id| {
            register
                .subjects
                .iter()
                .find(|s| &s.id == id)
                .map_or_else(|| id.to_string(), |s| s.name.get(l).to_owned())
        })
        .collect();
    // Art. 30(1)(c) lists personal data: anonymous categories are left out.
    let data_categories = p
        .data_categories()
        .filter(|id| register.category(id).is_none_or(|c| c.personal_data))
        .map(|id| {
            let mut name = category_name(id);
            if let Some(category) = register.category(id)
                && let Some(special) = category.special_category
            {
                name.push_str(&format!(
                    " ({}: {})",
                    pick(l, "special category", "känsliga personuppgifter"),
                    wording::special_category(l, special)
                ));
            }
            name
        })
        .collect();
    let legal_basis = p
        .legal_basis
        .iter()
        .map(|b| {
            format!(
                "{}: {}",
                category_name(&b.category),
                retention::bases(register, l, b)
            )
        })
        .collect();
    let receiving: Vec<_> = register
        .recipients
        .iter()
        .filter(|r| r.purposes.contains(&p.id) || p.recipients.contains(&r.id))
        .filter(|r| !register.receives_anonymous_data_only(r))
        .collect();
    let recipients = receiving
        .iter()
        .map(|r| {
            let place = r.country.map(|c| wording::country(l, c));
            match place {
                Some(place) => format!(
                    "{} ({}, {place})",
                    r.name.get(l),
                    wording::recipient_kind(l, r.kind)
                ),
                None => format!("{} ({})", r.name.get(l), wording::recipient_kind(l, r.kind)),
            }
        })
        .collect();
    let joint_controllers = receiving
        .iter()
        .filter(|r| r.kind == RecipientKind::JointController)
        .map(|r| r.name.get(l).to_owned())
        .collect();
    let transfers = receiving
        .iter()
        .filter_map(|r| {
            let transfer = r.transfer.as_ref()?;
            // A safeguard declared for an EU/EEA country is no third-country transfer.
            let country = wording::country(l, r.country.filter(|c| !c.in_eea())?);
            let mut safeguard = wording::transfer_mechanism(l, transfer.mechanism).to_owned();
            if let Some(derogation) = transfer.derogation {
                safeguard.push_str(&format!(" – {}", wording::derogation(l, derogation)));
            }
            Some(format!(
                "{} → {country}: {safeguard}; {} {}",
                r.name.get(l),
                pick(l, "documented in", "dokumenterat i"),
                transfer.documented_in
            ))
        })
        .collect();
    let retention = p
        .data_categories()
        .flat_map(|category| {
            let name = category_name(category);
            let rules = register
                .retention
                .iter()
                .filter(|r| {
                    &r.category == category && (r.purposes.is_empty() || r.purposes.contains(&p.id))
                })
                .map(|r| {
                    retention::rule(
                        register,
                        l,
                        &skydd_register::model::RetentionRule {
                            purposes: Vec::new(),
                            ..r.clone()
                        },
                    )
                });
            let holds = register
                .legal_holds
                .iter()
                .filter(|h| h.categories.contains(category) && h.purpose == p.id)
                .map(|h| retention::hold(register, l, h));
            rules
                .chain(holds)
                .map(move |sentence| format!("{name}: {sentence}"))
                .collect::<Vec<_>>()
        })
        .collect();
    let (purpose, on_behalf_of) = match p.role {
        Role::Controller => {
            let mut purpose = p.name.get(l).to_owned();
            if let Some(description) = &p.description {
                purpose.push_str(&format!(": {}", description.get(l)));
            }
            (purpose, None)
        }
        Role::Processor => {
            let mut purpose = p.name.get(l).to_owned();
            if let Some(description) = &p.description {
                purpose.push_str(&format!(": {}", description.get(l)));
            }
            (purpose, p.controllers.as_ref().map(|c| c.get(l).to_owned()))
        }
    };
    Activity {
        id: p.id.to_string(),
        role: p.role.word(),
        name: p.name.get(l).to_owned(),
        controller: controller.to_owned(),
        on_behalf_of,
        joint_controllers,
        representative: representative.clone(),
        dpo: dpo.clone(),
        purpose,
        legal_basis,
        subjects,
        data_categories,
        systems: Vec::new(),
        recipients,
        transfers,
        retention,
        security: security.to_vec(),
    }
}

/// Per category of `p`, the connected systems holding it: `category: system (description)`.
fn systems_of(register: &Register, l: Language, p: &Purpose, systems: &[System]) -> Vec<String> {
    p.data_categories()
        .flat_map(|category| {
            let name = register
                .category(category)
                .map_or_else(|| category.to_string(), |c| c.name.get(l).to_owned());
            systems
                .iter()
                .filter(|s| s.categories.iter().any(|c| c == category.as_str()))
                .map(move |s| match &s.description {
                    Some(description) => format!("{name}: {} ({description})", s.name),
                    None => format!("{name}: {}", s.name),
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The columns of the CSV and HTML forms: heading and the Art. 30 point it answers.
fn columns(l: Language) -> [(&'static str, String); 17] {
    [
        ("id", pick(l, "Activity id", "Aktivitetens id").to_owned()),
        (
            "role",
            pick(
                l,
                "Role (Art. 30(1) controller / 30(2) processor)",
                "Roll (art. 30.1 personuppgiftsansvarig / 30.2 personuppgiftsbiträde)",
            )
            .to_owned(),
        ),
        (
            "name",
            pick(l, "Processing activity", "Behandling").to_owned(),
        ),
        (
            "controller",
            pick(
                l,
                "Controller or processor, contact details (a)",
                "Personuppgiftsansvarig eller personuppgiftsbiträde, kontaktuppgifter (a)",
            )
            .to_owned(),
        ),
        (
            "on_behalf_of",
            pick(
                l,
                "Controllers on whose behalf we act (30(2)(a))",
                "Personuppgiftsansvariga för vars räkning vi behandlar (30.2 a)",
            )
            .to_owned(),
        ),
        (
            "joint_controllers",
            pick(
                l,
                "Joint controllers (a)",
                "Gemensamt personuppgiftsansvariga (a)",
            )
            .to_owned(),
        ),
        (
            "representative",
            pick(l, "Representative (a)", "Företrädare (a)").to_owned(),
        ),
        (
            "dpo",
            pick(l, "Data protection officer (a)", "Dataskyddsombud (a)").to_owned(),
        ),
        (
            "purpose",
            pick(
                l,
                "Purpose; categories of processing (b)",
                "Ändamål; kategorier av behandling (b)",
            )
            .to_owned(),
        ),
        (
            "legal_basis",
            pick(
                l,
                "Legal basis per data category",
                "Rättslig grund per kategori av uppgifter",
            )
            .to_owned(),
        ),
        (
            "subjects",
            pick(
                l,
                "Categories of data subjects (c)",
                "Kategorier av registrerade (c)",
            )
            .to_owned(),
        ),
        (
            "data_categories",
            pick(
                l,
                "Categories of personal data (c)",
                "Kategorier av personuppgifter (c)",
            )
            .to_owned(),
        ),
        (
            "systems",
            pick(
                l,
                "Systems holding the categories (connected databases)",
                "System där kategorierna finns (anslutna databaser)",
            )
            .to_owned(),
        ),
        (
            "recipients",
            pick(
                l,
                "Categories of recipients (d)",
                "Kategorier av mottagare (d)",
            )
            .to_owned(),
        ),
        (
            "transfers",
            pick(
                l,
                "Transfers to third countries and safeguards (e)",
                "Överföringar till tredje land och skyddsåtgärder (e)",
            )
            .to_owned(),
        ),
        (
            "retention",
            pick(
                l,
                "Time limits for erasure (f)",
                "Tidsfrister för radering (f)",
            )
            .to_owned(),
        ),
        (
            "security",
            pick(
                l,
                "Technical and organisational security measures (g)",
                "Tekniska och organisatoriska säkerhetsåtgärder (g)",
            )
            .to_owned(),
        ),
    ]
}

impl Activity {
    /// The cells in column order; lists are one item per line.
    fn cells(&self) -> [String; 17] {
        let lines = |items: &[String]| items.join("\n");
        [
            self.id.clone(),
            self.role.to_owned(),
            self.name.clone(),
            self.controller.clone(),
            self.on_behalf_of.clone().unwrap_or_default(),
            lines(&self.joint_controllers),
            self.representative.clone().unwrap_or_default(),
            self.dpo.clone().unwrap_or_default(),
            self.purpose.clone(),
            lines(&self.legal_basis),
            lines(&self.subjects),
            lines(&self.data_categories),
            lines(&self.systems),
            lines(&self.recipients),
            lines(&self.transfers),
            lines(&self.retention),
            lines(&self.security),
        ]
    }
}

/// One CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180).
pub fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

impl Art30Record {
    /// The record as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        // Plain strings and vectors always serialise.
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// RFC 4180 CSV: a header row, then one row per activity; CRLF line ends; lists inside a
    /// cell one item per line.
    pub fn to_csv(&self, language: Language) -> String {
        let mut out = String::new();
        let head: Vec<String> = columns(language)
            .iter()
            .map(|(_, heading)| csv_field(heading))
            .collect();
        out.push_str(&head.join(","));
        out.push_str("\r\n");
        for activity in &self.activities {
            let row: Vec<String> = activity.cells().iter().map(|c| csv_field(c)).collect();
            out.push_str(&row.join(","));
            out.push_str("\r\n");
        }
        out
    }

    /// A document: one section per activity, a table of its Art. 30 fields.
    pub fn to_document(&self, register: &Register, language: Language) -> Document {
        let l = language;
        let version = NoticeVersion::of(register);
        let meta = vec![text(format!(
            "{} {} · {} {}",
            pick(l, "Register version", "Registrets version"),
            version.version,
            pick(l, "published", "publicerat"),
            wording::date(l, version.last_updated)
        ))];
        let columns = columns(l);
        let sections = self
            .activities
            .iter()
            .map(|activity| {
                let rows = columns
                    .iter()
                    .zip(activity.cells())
                    .filter(|(_, value)| !value.is_empty())
                    .map(|((_, heading), value)| {
                        let mut cell = Vec::new();
                        for (n, line) in value.lines().enumerate() {
                            if n > 0 {
                                cell.push(text(" · "));
                            }
                            cell.push(text(line));
                        }
                        vec![vec![text(heading.clone())], cell]
                    })
                    .collect();
                Section {
                    // Purpose ids are unique, so the anchors are too.
                    id: format!("activity-{}", activity.id),
                    heading: format!(
                        "{} ({})",
                        activity.name,
                        match activity.role {
                            "processor" => pick(
                                l,
                                "as processor, Art. 30(2)",
                                "som personuppgiftsbiträde, art. 30.2"
                            ),
                            _ => pick(
                                l,
                                "as controller, Art. 30(1)",
                                "som personuppgiftsansvarig, art. 30.1"
                            ),
                        }
                    ),
                    blocks: vec![Block::Table {
                        head: vec![
                            pick(l, "Field", "Uppgift").to_owned(),
                            pick(l, "Content", "Innehåll").to_owned(),
                        ],
                        rows,
                    }],
                }
            })
            .collect();
        Document {
            language,
            title: format!(
                "{} – {}",
                pick(
                    l,
                    "Record of processing activities (GDPR Art. 30)",
                    "Register över behandlingar (artikel 30 i dataskyddsförordningen)"
                ),
                register.controller.name
            ),
            preamble: vec![meta],
            contents_heading: Some(pick(l, "Processing activities", "Behandlingar").to_owned()),
            sections,
            footer: Vec::new(),
        }
    }

    /// The record as an HTML page.
    pub fn to_html(&self, register: &Register, language: Language) -> String {
        self.to_document(register, language).to_html()
    }
}
