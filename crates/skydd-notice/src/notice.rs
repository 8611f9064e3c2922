//! The privacy notice (GDPR Art. 13 and 14) written from the register, section by section.
//!
//! Nothing here is about one company: every name, purpose, period and address comes from the
//! register; the fixed sentences only explain what the register's values mean. Processor
//! activities are left out (the customer's own notice covers them, P000-06, P002-03).

use std::collections::BTreeSet;

use jiff::civil::Date;
use skydd_register::Register;
use skydd_register::model::{
    CategoryId, Choice as _, ConsentGiver, Contact, Cookies, DataCategory, Language, LegalBasis,
    MeasureKind, Provision, ProvisionRequirement, Purpose, Recipient, RecipientKind, Role,
    SignalObjection, SignalRule, SourceKind, SubjectCategory,
};

use crate::document::{Block, Document, Inline, Line, Section, link, text};
use crate::retention;
use crate::wording::{self, capitalise, lower_first, pick};

/// The version of a notice: derived from the register's content, so it changes whenever the
/// register does and never otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeVersion {
    /// The first 12 hex digits of the register's digest.
    pub version: String,
    /// The register's full digest (SHA-256, hex).
    pub digest: String,
    /// The `published` date: the notice's "last updated".
    pub last_updated: Date,
}

impl NoticeVersion {
    /// The version of the notice written from `register`.
    pub fn of(register: &Register) -> NoticeVersion {
        let digest = register.digest();
        NoticeVersion {
            version: digest.chars().take(12).collect(),
            digest,
            last_updated: register.published,
        }
    }
}

/// The notice as a document, ready to render as HTML or Markdown: for everyone, or, when the
/// register declares `audiences`, for the first (the default).
pub fn notice(register: &Register, language: Language) -> Document {
    match register.audiences.first() {
        Some(first) => notice_for(register, language, first.id.as_str())
            .unwrap_or_else(|| notice_of(register, register, language)),
        None => notice_of(register, register, language),
    }
}

/// The notice for one of the register's `audiences`: the purposes for it (and what the notice
/// derives from them), with a line that says whom it is for. The version is the whole
/// register's. `None` for an audience the register does not declare. Links to the other
/// audiences' notices are added with [`crate::link_audiences`], which knows the paths.
pub fn notice_for(register: &Register, language: Language, audience: &str) -> Option<Document> {
    let seen = register.for_audience(audience)?;
    let mut document = notice_of(register, &seen, language);
    if let Some(named) = register
        .audiences
        .iter()
        .find(|a| a.id.as_str() == audience)
    {
        document.preamble.push(vec![text(format!(
            "{} {}.",
            pick(
                language,
                "This notice is for",
                "Denna integritetspolicy gäller för"
            ),
            named.name.get(language)
        ))]);
    }
    Some(document)
}

/// The notice of `seen` (the register, or what one audience sees of it) under the version of
/// the whole `register`.
fn notice_of(register: &Register, seen: &Register, language: Language) -> Document {
    let version = NoticeVersion::of(register);
    let register = seen;
    let l = language;
    let controller = &register.controller.name;
    let meta = vec![text(format!(
        "{} {} · {} {}",
        pick(l, "Version", "Version"),
        version.version,
        pick(l, "Last updated", "Senast uppdaterad"),
        wording::date(l, version.last_updated)
    ))];
    let mut sections = vec![
        who_we_are(register, l),
        whose_data(register, l),
        what_data(register, l),
        purposes(register, l),
        sources(register, l),
        recipients(register, l),
        transfers(register, l),
        retention_section(register, l),
    ];
    sections.extend(cookies(register, l));
    sections.push(security(register, l));
    sections.push(rights(register, l));
    if let Some(section) = dpo(register, l) {
        sections.push(section);
    }
    sections.push(complaints(register, l));
    sections.push(changes(register, l, &version));
    Document {
        language,
        title: format!(
            "{} – {controller}",
            pick(l, "Privacy notice", "Integritetspolicy")
        ),
        preamble: vec![meta.clone()],
        contents_heading: Some(pick(l, "Contents", "Innehåll").to_owned()),
        sections,
        footer: vec![meta],
    }
}

/// The notice as a complete HTML page.
pub fn render_html(register: &Register, language: Language) -> String {
    notice(register, language).to_html()
}

/// The notice as Markdown.
pub fn render_markdown(register: &Register, language: Language) -> String {
    notice(register, language).to_markdown()
}

/// Point the notice's "How to use your rights" at the privacy centre served at `href`
/// (`/privacy-centre`), where a person uses their rights without writing to anyone (issue 18).
/// The sentence explains where to act; it says nothing about the company.
pub fn link_privacy_centre(document: &mut Document, href: &str) {
    let l = document.language;
    let Some(section) = document.sections.iter_mut().find(|s| s.id == "rights") else {
        return;
    };
    let at = section
        .blocks
        .iter()
        .position(|b| matches!(b, Block::Subheading(_)))
        .map_or(section.blocks.len(), |i| i + 1);
    let href = format!("{href}?lang={}", l.word());
    section.blocks.insert(
        at,
        Block::Paragraph(vec![
            text(pick(
                l,
                "The quickest way is our ",
                "Enklast är att använda vårt ",
            )),
            link(pick(l, "privacy centre", "integritetscenter"), href),
            text(pick(
                l,
                ": there you can see, download, correct and erase your data, withdraw consents, choose what marketing you receive and follow your requests, without an account and without writing to anyone.",
                ": där kan du se, ladda ner, rätta och radera dina uppgifter, återkalla samtycken, välja vilken marknadsföring du får och följa dina begäranden, utan konto och utan att skriva till någon.",
            )),
        ]),
    );
}

// ---- helpers ---------------------------------------------------------------------------------

fn para(line: Line) -> Block {
    Block::Paragraph(line)
}

fn sentence(value: impl Into<String>) -> Block {
    Block::Paragraph(vec![text(value)])
}

fn section(id: &'static str, heading: &str, blocks: Vec<Block>) -> Section {
    Section {
        id: id.to_owned(),
        heading: heading.to_owned(),
        blocks,
    }
}

/// Ways to reach someone, as links where they can be.
pub(crate) fn contact_line(contact: &Contact) -> Line {
    let mut parts: Vec<Inline> = Vec::new();
    let mut push = |inline: Inline| {
        if !parts.is_empty() {
            parts.push(text(", "));
        }
        parts.push(inline);
    };
    if let Some(email) = &contact.email {
        push(link(email.clone(), format!("mailto:{email}")));
    }
    if let Some(phone) = &contact.phone {
        let dial: String = phone
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '+')
            .collect();
        push(link(phone.clone(), format!("tel:{dial}")));
    }
    if let Some(url) = &contact.url {
        push(link(url.clone(), url.clone()));
    }
    if let Some(postal) = &contact.postal {
        push(text(postal.clone()));
    }
    parts
}

fn controller_purposes(register: &Register) -> impl Iterator<Item = &Purpose> {
    register
        .purposes
        .iter()
        .filter(|p| p.role == Role::Controller)
}

/// Personal data categories some controller purpose processes, in register order.
fn controller_categories(register: &Register) -> Vec<&DataCategory> {
    let used: BTreeSet<&CategoryId> = controller_purposes(register)
        .flat_map(Purpose::data_categories)
        .collect();
    register
        .data
        .iter()
        .filter(|c| c.personal_data && used.contains(&c.id))
        .collect()
}

fn controller_subjects(register: &Register) -> Vec<&SubjectCategory> {
    let used: BTreeSet<_> = controller_purposes(register)
        .flat_map(|p| &p.subjects)
        .collect();
    register
        .subjects
        .iter()
        .filter(|s| used.contains(&s.id))
        .collect()
}

fn controller_recipients(register: &Register) -> Vec<&Recipient> {
    register
        .recipients
        .iter()
        .filter(|r| !register.receives_anonymous_data_only(r))
        .filter(|r| {
            r.purposes.iter().any(|id| {
                register
                    .purpose(id)
                    .is_some_and(|p| p.role == Role::Controller)
            }) || controller_purposes(register).any(|p| p.recipients.contains(&r.id))
        })
        .collect()
}

fn category_name(register: &Register, language: Language, id: &CategoryId) -> String {
    register
        .category(id)
        .map_or_else(|| id.to_string(), |c| c.name.get(language).to_owned())
}

/// Names as a list in running text. Names are capitalised as written (proper names, "You"),
/// so they are separated by semicolons rather than joined with "and".
fn joined_names<'a>(names: impl Iterator<Item = &'a str>) -> String {
    names
        .map(wording::name_in_text)
        .collect::<Vec<_>>()
        .join("; ")
}

// ---- sections --------------------------------------------------------------------------------

fn who_we_are(register: &Register, l: Language) -> Section {
    let c = &register.controller;
    let mut blocks = Vec::new();
    let number = wording::registration(
        l,
        c.organisation_number.as_deref(),
        c.registry.as_deref(),
        &c.address,
    )
    .map(|n| format!(" ({n})"))
    .unwrap_or_default();
    blocks.push(sentence(match l {
        Language::En => format!(
            "{}{number} is the controller responsible for the processing of your personal data described in this notice.",
            c.name
        ),
        Language::Sv => format!(
            "{}{number} är personuppgiftsansvarig för den behandling av dina personuppgifter som beskrivs i denna integritetspolicy.",
            c.name
        ),
    }));
    blocks.push(sentence(format!(
        "{}: {}.",
        pick(l, "Address", "Adress"),
        wording::address(l, &c.address)
    )));
    if !c.address.country.in_eea() {
        let country = wording::country(l, c.address.country);
        let mut sits = match l {
            Language::En => format!("We are established in {country}, outside the EU/EEA."),
            Language::Sv => format!("Vi är etablerade i {country}, utanför EU/EES."),
        };
        if c.address.country.has_adequacy_decision() {
            sits.push_str(&match l {
                Language::En => format!(
                    " The European Commission has decided that {country} ensures an adequate level of protection for personal data (GDPR Art. 45)."
                ),
                Language::Sv => format!(
                    " Europeiska kommissionen har beslutat att {country} säkerställer en adekvat skyddsnivå för personuppgifter (artikel 45 i dataskyddsförordningen)."
                ),
            });
        }
        blocks.push(sentence(sits));
    }
    if !c.establishments.is_empty() {
        blocks.push(sentence(pick(l, "Our offices:", "Våra kontor:")));
        blocks.push(Block::List(
            c.establishments
                .iter()
                .map(|e| {
                    vec![text(format!(
                        "{}: {}.",
                        e.name.get(l),
                        wording::address(l, &e.address)
                    ))]
                })
                .collect(),
        ));
    }
    if !c.entities.is_empty() {
        blocks.push(sentence(pick(
            l,
            "This notice also covers these companies of our group, each the controller of the processing it carries out as described here:",
            "Integritetspolicyn omfattar också dessa bolag i vår koncern, vart och ett personuppgiftsansvarigt för den behandling det utför enligt beskrivningen här:",
        )));
        blocks.push(Block::List(
            c.entities
                .iter()
                .map(|e| {
                    let number = wording::registration(
                        l,
                        e.organisation_number.as_deref(),
                        e.registry.as_deref(),
                        &e.address,
                    )
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default();
                    vec![text(format!(
                        "{}{number}, {}.",
                        e.name,
                        wording::address(l, &e.address)
                    ))]
                })
                .collect(),
        ));
    }
    let mut contact = vec![text(pick(
        l,
        "Questions about privacy and how we use personal data, or to report a suspected personal data breach: ",
        "Frågor om integritet och hur vi använder personuppgifter, eller för att anmäla en misstänkt personuppgiftsincident: ",
    ))];
    contact.extend(contact_line(&c.contact));
    contact.push(text("."));
    blocks.push(para(contact));
    if let Some(rep) = &register.representative {
        let mut line = vec![text(format!(
            "{}: {}, ",
            pick(
                l,
                "Our representative in the EU (GDPR Art. 27)",
                "Vår företrädare inom EU (artikel 27 i dataskyddsförordningen)"
            ),
            rep.name
        ))];
        if let Some(address) = &rep.address {
            line.push(text(format!("{}, ", wording::address(l, address))));
        }
        line.extend(contact_line(&rep.contact));
        line.push(text("."));
        blocks.push(para(line));
    }
    if let Some(description) = &register.scope.description {
        blocks.push(sentence(format!(
            "{}: {}",
            pick(l, "This notice covers", "Integritetspolicyn omfattar"),
            lower_first(description.get(l))
        )));
    }
    if !register.scope.websites.is_empty() {
        let mut line = vec![text(pick(
            l,
            "It also applies to our websites: ",
            "Den gäller också för våra webbplatser: ",
        ))];
        for (n, site) in register.scope.websites.iter().enumerate() {
            if n > 0 {
                line.push(text(", "));
            }
            line.push(link(site.clone(), format!("https://{site}")));
        }
        line.push(text("."));
        blocks.push(para(line));
    }
    if !register.scope.supplements.is_empty() {
        blocks.push(sentence(pick(
            l,
            "Terms for specific services supplement this notice:",
            "Villkor för enskilda tjänster kompletterar denna integritetspolicy:",
        )));
        blocks.push(Block::List(
            register
                .scope
                .supplements
                .iter()
                .map(|s| vec![link(s.name.get(l), s.url.clone())])
                .collect(),
        ));
    }
    if register.purposes.iter().any(|p| p.role == Role::Processor) {
        blocks.push(sentence(pick(
            l,
            "When we process personal data on behalf of our customers, we are their processor. That processing follows the customer's instructions and is described in the customer's own privacy notice, not here.",
            "När vi behandlar personuppgifter för våra kunders räkning är vi deras personuppgiftsbiträde. Den behandlingen sker enligt kundens instruktioner och beskrivs i kundens egen integritetspolicy, inte här.",
        )));
    }
    section(
        "who-we-are",
        pick(l, "Who we are", "Personuppgiftsansvarig"),
        blocks,
    )
}

fn whose_data(register: &Register, l: Language) -> Section {
    let items = controller_subjects(register)
        .into_iter()
        .map(|s| {
            let mut line = vec![text(s.name.get(l))];
            if let Some(description) = &s.description {
                line.push(text(format!(" – {}", description.get(l))));
            }
            line
        })
        .collect();
    section(
        "whose-data",
        pick(
            l,
            "Whose personal data we process",
            "Vems personuppgifter vi behandlar",
        ),
        vec![
            sentence(pick(
                l,
                "This notice is for you if you belong to one of these groups:",
                "Denna information gäller dig som tillhör någon av dessa grupper:",
            )),
            Block::List(items),
        ],
    )
}

fn what_data(register: &Register, l: Language) -> Section {
    let mut items = Vec::new();
    for category in controller_categories(register) {
        let mut line = vec![Inline::Strong(category.name.get(l).to_owned())];
        if let Some(description) = &category.description {
            // One full stop, whether or not the description ends with its own.
            let description = description.get(l);
            line.push(text(format!(
                ": {}",
                description.strip_suffix('.').unwrap_or(description)
            )));
        }
        line.push(text(format!(". {}: ", pick(l, "Fields", "Fält"))));
        for (n, field) in category.fields.iter().enumerate() {
            if n > 0 {
                line.push(text(", "));
            }
            line.push(text(lower_first(&field.label(l))));
            if !field.only_for_countries.is_empty() {
                let countries: Vec<String> = field
                    .only_for_countries
                    .iter()
                    .map(|c| wording::country(l, *c))
                    .collect();
                line.push(text(format!(
                    " ({} {})",
                    pick(l, "only if you are in", "bara om du finns i"),
                    wording::join_or(l, &countries)
                )));
            }
        }
        line.push(text(". "));
        line.push(text(if category.provided_by_subject {
            pick(l, "You provide these yourself.", "Dessa lämnar du själv.")
        } else {
            pick(
                l,
                "These are not provided by you directly (see where the data comes from).",
                "Dessa lämnar du inte själv (se varifrån uppgifterna kommer).",
            )
        }));
        if let (Some(special), Some(condition)) =
            (category.special_category, category.art9_condition)
        {
            line.push(text(match l {
                Language::En => format!(
                    " These are sensitive personal data ({}); we process them only on the basis of {}.",
                    wording::special_category(l, special),
                    wording::art9_condition(l, condition)
                ),
                Language::Sv => format!(
                    " Detta är känsliga personuppgifter ({}), som vi bara behandlar med stöd av {}.",
                    wording::special_category(l, special),
                    wording::art9_condition(l, condition)
                ),
            }));
        }
        items.push(line);
    }
    section(
        "what-data",
        pick(
            l,
            "What personal data we process",
            "Vilka personuppgifter vi behandlar",
        ),
        vec![Block::List(items)],
    )
}

fn purposes(register: &Register, l: Language) -> Section {
    let mut blocks = vec![sentence(pick(
        l,
        "We process your personal data only for the purposes below. For each purpose, the table shows which data we use and the legal basis for it under the GDPR.",
        "Vi behandlar dina personuppgifter bara för de ändamål som anges nedan. För varje ändamål visar tabellen vilka uppgifter vi använder och med vilken rättslig grund enligt dataskyddsförordningen.",
    ))];
    for purpose in controller_purposes(register) {
        blocks.push(Block::Subheading(purpose.name.get(l).to_owned()));
        if let Some(description) = &purpose.description {
            blocks.push(sentence(description.get(l)));
        }
        blocks.push(Block::Table {
            head: vec![
                pick(l, "Personal data", "Personuppgifter").to_owned(),
                pick(l, "Legal basis", "Rättslig grund").to_owned(),
            ],
            rows: purpose
                .legal_basis
                .iter()
                .map(|b| {
                    vec![
                        vec![text(category_name(register, l, &b.category))],
                        vec![text(capitalise(&retention::bases(register, l, b)))],
                    ]
                })
                .collect(),
        });
        let mut facts: Vec<Line> = Vec::new();
        if let Some(law) = &purpose.law {
            facts.push(vec![text(format!(
                "{}: {}.",
                pick(l, "Required by", "Krävs enligt"),
                law.get(l)
            ))]);
        }
        if let Some(interest) = &purpose.legitimate_interest {
            if let Some(pursued) = &interest.interest {
                facts.push(vec![text(format!(
                    "{}: {}",
                    pick(l, "Our legitimate interest", "Vårt berättigade intresse"),
                    pursued.get(l)
                ))]);
            }
            facts.push(vec![text(format!(
                "{}: {}",
                pick(
                    l,
                    "Why it is not overridden by your interests",
                    "Vår intresseavvägning"
                ),
                interest.balancing.get(l)
            ))]);
        }
        if let Some(consent) = &purpose.consent {
            let wording = consent.wording.get(l);
            facts.push(vec![text(match (consent.given_by, l) {
                (ConsentGiver::Subject, Language::En) => format!(
                    "What you consent to: “{wording}” You can withdraw your consent at any time, as easily as you gave it; this does not affect processing before the withdrawal."
                ),
                (ConsentGiver::Subject, Language::Sv) => format!(
                    "Det du samtycker till: ”{wording}” Du kan när som helst återkalla ditt samtycke, lika enkelt som du lämnade det; det påverkar inte behandling som skett innan dess."
                ),
                (ConsentGiver::Organisation, Language::En) => format!(
                    "Consent is given by your organisation's administrator, for the whole organisation, to: “{wording}” The administrator can withdraw it at any time, as easily as it was given."
                ),
                (ConsentGiver::Organisation, Language::Sv) => format!(
                    "Samtycket lämnas av din organisations administratör, för hela organisationen, till: ”{wording}” Administratören kan när som helst återkalla det, lika enkelt som det lämnades."
                ),
                (ConsentGiver::Project, Language::En) => format!(
                    "Consent is given by an administrator, for one project at a time, to: “{wording}” The administrator can withdraw it at any time, as easily as it was given."
                ),
                (ConsentGiver::Project, Language::Sv) => format!(
                    "Samtycket lämnas av en administratör, för ett projekt i taget, till: ”{wording}” Administratören kan när som helst återkalla det, lika enkelt som det lämnades."
                ),
            })]);
            // The purpose names other bases too: say that a withdrawal is not worked around
            // with them (as `decide` enforces; EDPB Guidelines 05/2020, §121-123).
            if purpose
                .legal_basis
                .iter()
                .flat_map(|b| &b.bases)
                .any(|basis| *basis != LegalBasis::Consent)
            {
                facts.push(vec![text(
                    pick(
                        l,
                        "Once consent is withdrawn, we stop all of this processing, including the part that otherwise rests on another legal basis: we do not switch to another basis.",
                        "När samtycket har återkallats upphör vi med all behandling för det här ändamålet, även den del som annars vilar på en annan rättslig grund: vi byter inte till en annan rättslig grund.",
                    )
                    .to_owned(),
                )]);
            }
        }
        if purpose.direct_marketing {
            let channels: Vec<String> = purpose
                .channels
                .iter()
                .map(|c| wording::channel(l, *c).to_owned())
                .collect();
            let by = if channels.is_empty() {
                String::new()
            } else {
                format!(
                    " {} {}.",
                    pick(l, "We contact you by", "Vi kontaktar dig via"),
                    wording::join_or(l, &channels)
                )
            };
            facts.push(vec![text(format!(
                "{}{by}",
                pick(
                    l,
                    "This is direct marketing: you can object at any time, and we then stop without exception.",
                    "Detta är direktmarknadsföring: du kan när som helst invända, och då upphör vi med marknadsföringen, utan undantag."
                )
            ))]);
        }
        if purpose.profiling {
            facts.push(vec![text(pick(
                l,
                "This processing includes profiling.",
                "Behandlingen innefattar profilering.",
            ))]);
        }
        if purpose.automated_decision {
            facts.push(vec![text(pick(
                l,
                "Decisions are made automatically, with legal or similarly significant effects for you. You can ask for a person to review the decision, give your view and contest it (GDPR Art. 22).",
                "Beslut fattas automatiskt, med rättsliga eller liknande betydande följder för dig. Du kan begära att en människa prövar beslutet, framföra dina synpunkter och bestrida beslutet (artikel 22 i dataskyddsförordningen).",
            ))]);
        }
        if let Some(feature_id) = &purpose.requires_feature {
            let name = register
                .features
                .iter()
                .find(|f| &f.id == feature_id)
                .map_or_else(|| feature_id.to_string(), |f| f.name.get(l).to_owned());
            facts.push(vec![text(match l {
                Language::En => format!(
                    "This happens only where your organisation has switched on {name}; it is off until then."
                ),
                Language::Sv => format!(
                    "Detta sker bara om din organisation har slagit på {name}; till dess är funktionen avstängd."
                ),
            })]);
        }
        // In running text the person is "you" / "dig" ("från dig", never "från: Du"), and a
        // source's name starts in lower case ("from the customer organisation"), except a
        // social network's one-word name, which is a brand ("LinkedIn", "Facebook").
        let sources: Vec<String> = purpose
            .sources
            .iter()
            .filter_map(|id| register.sources.iter().find(|s| &s.id == id))
            .map(|s| match s.kind {
                SourceKind::DataSubject => pick(l, "you", "dig").to_owned(),
                SourceKind::SocialNetwork if !s.name.get(l).contains(' ') => {
                    s.name.get(l).to_owned()
                }
                _ => lower_first(s.name.get(l)),
            })
            .collect();
        if !sources.is_empty() {
            facts.push(vec![text(format!(
                "{} {}.",
                pick(l, "The data comes from", "Uppgifterna kommer från"),
                wording::join_and(l, &sources)
            ))]);
        }
        for provision in &purpose.provision {
            facts.push(vec![text(provision_words(register, l, provision))]);
        }
        let recipient_names = register
            .recipients
            .iter()
            .filter(|r| purpose.recipients.contains(&r.id) || r.purposes.contains(&purpose.id))
            .filter(|r| !register.receives_anonymous_data_only(r))
            .map(|r| r.name.get(l));
        let recipients = joined_names(recipient_names);
        if !recipients.is_empty() {
            facts.push(vec![text(format!(
                "{}: {recipients}.",
                pick(l, "Recipients", "Mottagare")
            ))]);
        }
        if !facts.is_empty() {
            blocks.push(Block::List(facts));
        }
    }
    section(
        "purposes",
        pick(
            l,
            "Why we process your data and on which legal basis",
            "Varför vi behandlar dina uppgifter och med vilken rättslig grund",
        ),
        blocks,
    )
}

/// Whether the person must provide the data, and what follows if they do not (Art.
/// 13(2)(e)): "Contact details: providing them is a requirement of our contract with you. If you
/// do not provide them: we cannot deliver the service."
fn provision_words(register: &Register, l: Language, provision: &Provision) -> String {
    let requirement = match (provision.requirement, l) {
        (ProvisionRequirement::Statutory, Language::En) => "the law requires you to provide it",
        (ProvisionRequirement::Statutory, Language::Sv) => {
            "du är skyldig enligt lag att lämna uppgifterna"
        }
        (ProvisionRequirement::Contractual, Language::En) => {
            "providing it is a requirement of our contract with you"
        }
        (ProvisionRequirement::Contractual, Language::Sv) => {
            "uppgifterna krävs enligt vårt avtal med dig"
        }
        (ProvisionRequirement::ContractEntry, Language::En) => {
            "we need it to enter into a contract with you"
        }
        (ProvisionRequirement::ContractEntry, Language::Sv) => {
            "vi behöver uppgifterna för att kunna ingå avtal med dig"
        }
        (ProvisionRequirement::Voluntary, Language::En) => "providing it is voluntary",
        (ProvisionRequirement::Voluntary, Language::Sv) => {
            "det är frivilligt att lämna uppgifterna"
        }
    };
    let what = if provision.categories.is_empty() {
        pick(
            l,
            "The data for this purpose",
            "Uppgifterna för det här ändamålet",
        )
        .to_owned()
    } else {
        let names: Vec<String> = provision
            .categories
            .iter()
            .map(|c| lower_first(&category_name(register, l, c)))
            .collect();
        capitalise(&wording::join_and(l, &names))
    };
    let mut words = format!("{what}: {requirement}.");
    if let Some(consequence) = &provision.if_not_provided {
        words.push_str(&format!(
            " {} {}",
            pick(
                l,
                "What happens if you do not provide them:",
                "Vad som händer om du inte lämnar dem:"
            ),
            lower_first(consequence.get(l))
        ));
    }
    words
}

fn sources(register: &Register, l: Language) -> Section {
    let used: BTreeSet<_> = controller_purposes(register)
        .flat_map(|p| &p.sources)
        .collect();
    let items = register
        .sources
        .iter()
        .filter(|s| used.contains(&s.id))
        .map(|s| {
            let mut line = vec![text(capitalise(s.name.get(l)))];
            if let Some(description) = &s.description {
                line.push(text(format!(" – {}", description.get(l))));
            }
            if let Some(url) = &s.policy_url {
                line.push(text(format!(
                    " ({} ",
                    pick(
                        l,
                        "their own privacy policy also applies:",
                        "deras egen integritetspolicy gäller också:"
                    )
                )));
                line.push(link(url.clone(), url.clone()));
                line.push(text(")"));
            }
            line
        })
        .collect();
    section(
        "sources",
        pick(
            l,
            "Where your data comes from",
            "Varifrån uppgifterna kommer",
        ),
        vec![Block::List(items)],
    )
}

fn recipients(register: &Register, l: Language) -> Section {
    let recipients = controller_recipients(register);
    if recipients.is_empty() {
        return section(
            "recipients",
            pick(
                l,
                "Who receives your data",
                "Vilka som får del av dina uppgifter",
            ),
            vec![sentence(pick(
                l,
                "We do not disclose your personal data to anyone outside our company.",
                "Vi lämnar inte ut dina personuppgifter till någon utanför vårt företag.",
            ))],
        );
    }
    let rows = recipients
        .iter()
        .map(|r| {
            let purposes: Vec<String> = register
                .purposes
                .iter()
                .filter(|p| {
                    p.role == Role::Controller
                        && (r.purposes.contains(&p.id) || p.recipients.contains(&r.id))
                })
                .map(|p| p.name.get(l).to_owned())
                .collect();
            let where_ = r.country.map_or_else(
                || pick(l, "Anywhere", "Var som helst").to_owned(),
                |c| wording::country(l, c),
            );
            vec![
                vec![text(r.name.get(l))],
                vec![text(capitalise(wording::recipient_kind(l, r.kind)))],
                vec![text(where_)],
                vec![text(wording::join_names(l, &purposes))],
            ]
        })
        .collect();
    let mut blocks = vec![Block::Table {
        head: vec![
            pick(l, "Recipient", "Mottagare").to_owned(),
            pick(l, "Role", "Roll").to_owned(),
            pick(l, "Where", "Var").to_owned(),
            pick(l, "For", "För").to_owned(),
        ],
        rows,
    }];
    if recipients.iter().any(|r| {
        matches!(
            r.kind,
            skydd_register::model::RecipientKind::Processor
                | skydd_register::model::RecipientKind::SubProcessor
        )
    }) {
        blocks.push(sentence(pick(
            l,
            "Processors and sub-processors process the data only on our instructions and under a data processing agreement.",
            "Personuppgiftsbiträden och underbiträden behandlar uppgifterna bara enligt våra instruktioner och enligt ett personuppgiftsbiträdesavtal.",
        )));
    }
    section(
        "recipients",
        pick(
            l,
            "Who receives your data",
            "Vilka som får del av dina uppgifter",
        ),
        blocks,
    )
}

/// General references about transfers (P002-33): the Commission's adequacy list, its standard
/// contractual clauses, and IMY's guidance.
const TRANSFER_REFERENCES: [(&str, &str, &str); 3] = [
    (
        "The European Commission's adequacy decisions",
        "EU-kommissionens beslut om adekvat skyddsnivå",
        "https://commission.europa.eu/law/law-topic/data-protection/international-dimension-data-protection/adequacy-decisions_en",
    ),
    (
        "The European Commission's standard contractual clauses",
        "EU-kommissionens standardavtalsklausuler",
        "https://commission.europa.eu/law/law-topic/data-protection/international-dimension-data-protection/standard-contractual-clauses-scc_en",
    ),
    (
        "IMY on transfers to third countries",
        "IMY om överföring till tredje land",
        "https://www.imy.se/verksamhet/dataskydd/det-har-galler-enligt-gdpr/overforing-till-tredje-land/",
    ),
];

fn transfers(register: &Register, l: Language) -> Section {
    let heading = pick(
        l,
        "Transfers outside the EU/EEA",
        "Överföring till tredje land (utanför EU/EES)",
    );
    let transfers: Vec<&Recipient> = controller_recipients(register)
        .into_iter()
        // A safeguard declared for an EU/EEA country (a `transfer-not-needed` warning) is no
        // transfer to a third country.
        .filter(|r| r.transfer.is_some() && r.country.is_some_and(|c| !c.in_eea()))
        .collect();
    if transfers.is_empty() {
        return section(
            "transfers",
            heading,
            vec![sentence(pick(
                l,
                "We do not transfer your personal data to countries outside the EU/EEA.",
                "Vi överför inte dina personuppgifter till länder utanför EU/EES (tredje land).",
            ))],
        );
    }
    let mut items = Vec::new();
    for r in transfers {
        let Some(transfer) = &r.transfer else {
            continue;
        };
        let country = r
            .country
            .map(|c| wording::country(l, c))
            .unwrap_or_default();
        let mut safeguard = wording::transfer_mechanism(l, transfer.mechanism).to_owned();
        if let Some(derogation) = transfer.derogation {
            safeguard.push_str(&format!(" – {}", wording::derogation(l, derogation)));
        }
        let mut line = vec![
            Inline::Strong(r.name.get(l).to_owned()),
            text(format!(
                " ({country}): {} {safeguard}. {} ",
                pick(l, "protected by", "skyddas genom"),
                pick(l, "Documentation:", "Dokumentation:")
            )),
            link(
                transfer.documented_in.clone(),
                transfer.documented_in.clone(),
            ),
        ];
        if let Some(verified) = transfer.verified_at {
            line.push(text(format!(
                " ({} {})",
                pick(l, "last verified", "senast kontrollerad"),
                wording::date(l, verified)
            )));
        }
        line.push(text("."));
        items.push(line);
    }
    let mut blocks = vec![
        sentence(pick(
            l,
            "Some recipients process your data in a third country, outside the EU/EEA. Each transfer rests on a safeguard under Chapter V of the GDPR:",
            "Några mottagare behandlar dina uppgifter i tredje land, utanför EU/EES. Varje överföring vilar på en skyddsåtgärd enligt kapitel V i dataskyddsförordningen:",
        )),
        Block::List(items),
        sentence(pick(
            l,
            "You can ask us for a copy of the safeguards. More about transfers:",
            "Du kan begära en kopia av skyddsåtgärderna från oss. Mer om överföringar:",
        )),
    ];
    blocks.push(Block::List(
        TRANSFER_REFERENCES
            .iter()
            .map(|(en, sv, url)| vec![link(pick(l, en, sv), *url)])
            .collect(),
    ));
    section("transfers", heading, blocks)
}

fn retention_section(register: &Register, l: Language) -> Section {
    let mut items = Vec::new();
    for category in controller_categories(register) {
        let sentences = retention::for_category(register, l, &category.id);
        let mut line = vec![Inline::Strong(category.name.get(l).to_owned()), text(": ")];
        line.push(text(sentences.join(" ")));
        items.push(line);
    }
    section(
        "retention",
        pick(
            l,
            "How long we keep your data",
            "Hur länge vi sparar dina uppgifter (lagringstid)",
        ),
        vec![
            sentence(pick(
                l,
                "We keep personal data only as long as the purpose requires, and for each kind of data that time is set out below. While the event a period counts from has not happened yet (for example while the contract runs), the data is kept.",
                "Vi sparar personuppgifter bara så länge ändamålet kräver, och för varje slags uppgift anges tiden nedan. Så länge den händelse som tiden räknas från inte har inträffat (till exempel medan avtalet löper) sparas uppgifterna.",
            )),
            Block::List(items),
        ],
    )
}

/// The cookies section; `None` when the register says nothing about cookies (no `cookies` key).
fn cookies(register: &Register, l: Language) -> Option<Section> {
    let heading = pick(
        l,
        "Cookies and similar technologies",
        "Kakor (cookies) och liknande tekniker",
    );
    let c = &register.cookies;
    if c.services.is_empty() {
        if !c.none_used {
            return None;
        }
        return Some(section(
            "cookies",
            heading,
            vec![sentence(pick(
                l,
                "We do not use cookies, pixel tags or similar technologies.",
                "Vi använder inte kakor, pixeltaggar eller liknande tekniker.",
            ))],
        ));
    }
    let mut blocks = vec![sentence(pick(
        l,
        "A cookie is a small text file that a website stores in your browser. A pixel tag is a tiny image in a web page or an e-mail that tells the sender that it was loaded. We use them as follows, grouped as in our cookie banner:",
        "En kaka (cookie) är en liten textfil som en webbplats sparar i din webbläsare. En pixeltagg är en mycket liten bild i en webbsida eller ett e-postmeddelande som talar om för avsändaren att den har visats. Vi använder dem så här, i samma grupper som i vår kakbanner:",
    ))];
    blocks.push(Block::List(
        c.categories
            .iter()
            .map(|cat| {
                let mut line = vec![Inline::Strong(cat.name.get(l).to_owned())];
                if let Some(description) = &cat.description {
                    line.push(text(format!(": {}", description.get(l))));
                }
                line.push(text(if cat.required {
                    pick(
                        l,
                        " (always on: needed for the site to work)",
                        " (alltid aktiva: behövs för att webbplatsen ska fungera)",
                    )
                } else {
                    pick(l, " (only with your consent)", " (bara med ditt samtycke)")
                }));
                line
            })
            .collect(),
    ));
    let rows = c
        .services
        .iter()
        .map(|s| {
            let category = c
                .categories
                .iter()
                .find(|cat| cat.id == s.category)
                .map_or_else(|| s.category.to_string(), |cat| cat.name.get(l).to_owned());
            let mut cookies: Line = Vec::new();
            for (n, cookie) in s.cookies.iter().enumerate() {
                if n > 0 {
                    cookies.push(text(", "));
                }
                cookies.push(Inline::Code(cookie.name.clone()));
                let lifetime = wording::cookie_lifetime(l, cookie.lifetime);
                cookies.push(text(format!(" ({lifetime})")));
            }
            if cookies.is_empty() {
                cookies.push(text("–"));
            }
            let mut why = vec![text(s.purpose.get(l))];
            if let Some(url) = &s.opt_out_url {
                why.push(text(format!(
                    " {} ",
                    pick(l, "How to opt out:", "Så avböjer du:")
                )));
                why.push(link(url.clone(), url.clone()));
            }
            vec![
                // The provider as the register names it as a recipient, in `l`, when it is one.
                vec![text(format!(
                    "{} ({})",
                    s.name.get(l),
                    s.recipient
                        .as_ref()
                        .and_then(|id| register.recipients.iter().find(|r| &r.id == id))
                        .map_or(s.provider.as_str(), |r| r.name.get(l))
                ))],
                vec![text(capitalise(wording::tracker_kind(l, s.kind)))],
                vec![text(category)],
                why,
                cookies,
            ]
        })
        .collect();
    blocks.push(Block::Table {
        head: vec![
            pick(l, "Service", "Tjänst").to_owned(),
            pick(l, "Type", "Typ").to_owned(),
            pick(l, "Category", "Kategori").to_owned(),
            pick(l, "Why", "Varför").to_owned(),
            pick(l, "Cookies and lifetime", "Kakor och livslängd").to_owned(),
        ],
        rows,
    });
    blocks.push(sentence(pick(
        l,
        "You can change your choices in the cookie banner at any time. You can also set your browser to block cookies, to block third-party cookies, or to tell you when a cookie is set.",
        "Du kan när som helst ändra dina val i kakbannern. Du kan också ställa in din webbläsare så att den blockerar kakor, blockerar tredjepartskakor eller meddelar dig när en kaka sätts.",
    )));
    blocks.push(sentence(browser_signals(c, l)));
    Some(section("cookies", heading, blocks))
}

/// What the banner does with Global Privacy Control and Do Not Track, as `cookies.gpc` and
/// `cookies.dnt` say: the banner follows the same two rules.
fn browser_signals(c: &Cookies, l: Language) -> &'static str {
    match (c.gpc, c.dnt) {
        (SignalRule::Honour, SignalRule::Honour) => pick(
            l,
            "If your browser sends Global Privacy Control or Do Not Track, we treat it as a refusal of every category that needs your consent; you can still give one explicitly. The signal is recorded with your choice.",
            "Om din webbläsare skickar Global Privacy Control eller Do Not Track behandlar vi det som att du avböjer alla kategorier som kräver ditt samtycke; du kan ändå uttryckligen godkänna en. Signalen sparas tillsammans med ditt val.",
        ),
        (SignalRule::Honour, SignalRule::Ignore) => pick(
            l,
            "If your browser sends Global Privacy Control, we treat it as a refusal of every category that needs your consent; you can still give one explicitly. Do Not Track does not change what the banner shows. Whichever signal your browser sends is recorded with your choice.",
            "Om din webbläsare skickar Global Privacy Control behandlar vi det som att du avböjer alla kategorier som kräver ditt samtycke; du kan ändå uttryckligen godkänna en. Do Not Track ändrar inte vad kakbannern visar. De signaler som din webbläsare skickar sparas tillsammans med ditt val.",
        ),
        (SignalRule::Ignore, SignalRule::Honour) => pick(
            l,
            "If your browser sends Do Not Track, we treat it as a refusal of every category that needs your consent; you can still give one explicitly. Global Privacy Control does not change what the banner shows. Whichever signal your browser sends is recorded with your choice.",
            "Om din webbläsare skickar Do Not Track behandlar vi det som att du avböjer alla kategorier som kräver ditt samtycke; du kan ändå uttryckligen godkänna en. Global Privacy Control ändrar inte vad kakbannern visar. De signaler som din webbläsare skickar sparas tillsammans med ditt val.",
        ),
        (SignalRule::Ignore, SignalRule::Ignore) => pick(
            l,
            "Global Privacy Control and Do Not Track do not change what the banner shows; whichever signal your browser sends is recorded with your choice.",
            "Global Privacy Control och Do Not Track ändrar inte vad kakbannern visar; de signaler som din webbläsare skickar sparas tillsammans med ditt val.",
        ),
    }
}

fn security(register: &Register, l: Language) -> Section {
    let mut blocks = vec![sentence(pick(
        l,
        "We protect personal data with these technical and organisational measures (GDPR Art. 32):",
        "Vi skyddar personuppgifterna med dessa tekniska och organisatoriska åtgärder (artikel 32 i dataskyddsförordningen):",
    ))];
    for kind in [
        MeasureKind::Technical,
        MeasureKind::Organisational,
        MeasureKind::Physical,
    ] {
        let items: Vec<Line> = register
            .security
            .iter()
            .filter(|m| m.kind == kind)
            .map(|m| vec![text(m.description.get(l))])
            .collect();
        if !items.is_empty() {
            blocks.push(Block::Subheading(wording::measure_kind(l, kind).to_owned()));
            blocks.push(Block::List(items));
        }
    }
    // P003-42: "We are regularly evaluating our security measures."
    if let Some(review) = register.security_review {
        let every = wording::period(l, review.every);
        blocks.push(sentence(match l {
            Language::En => format!(
                "We evaluate these measures regularly, at least once every {every}, and keep a dated record of each review."
            ),
            Language::Sv => format!(
                "Vi utvärderar åtgärderna regelbundet, minst en gång per {every}, och dokumenterar varje granskning med datum."
            ),
        }));
    }
    section(
        "security",
        pick(
            l,
            "How we protect your data",
            "Hur vi skyddar dina uppgifter",
        ),
        blocks,
    )
}

/// What Global Privacy Control and Do Not Track object to when we receive them (Art. 21(5)), as
/// the register's `signals` says, naming only what the register has (direct marketing purposes,
/// recipients that are controllers); `None` when neither objects to anything there is.
fn signal_objections(register: &Register, l: Language) -> Option<String> {
    let marketing = controller_purposes(register).any(|p| p.direct_marketing);
    let sharing = register.recipients.iter().any(|r| {
        matches!(
            r.kind,
            RecipientKind::Controller | RecipientKind::JointController
        )
    });
    let words = |objection: &SignalObjection| -> Option<String> {
        let mut parts: Vec<String> = Vec::new();
        if objection.direct_marketing && marketing {
            parts.push(pick(l, "direct marketing", "direktmarknadsföring").to_owned());
        }
        if objection.sharing && sharing {
            parts.push(
                pick(
                    l,
                    "our disclosing your data to companies that use it for their own purposes",
                    "att vi lämnar ut dina uppgifter till företag som använder dem för egna ändamål",
                )
                .to_owned(),
            );
        }
        for id in &objection.purposes {
            if let Some(purpose) = register.purpose(id) {
                parts.push(lower_first(purpose.name.get(l)));
            }
        }
        // "objection to A, to B and to C": each part after the first repeats the preposition.
        for part in parts.iter_mut().skip(1) {
            *part = format!("{} {part}", pick(l, "to", "mot"));
        }
        (!parts.is_empty()).then(|| wording::join_and(l, &parts))
    };
    let gpc = words(&register.signals.gpc);
    let dnt = words(&register.signals.dnt);
    let lead = pick(
        l,
        "Object by automated means (Art. 21(5)): when your browser sends",
        "Invända på automatiserad väg (artikel 21.5): när din webbläsare skickar",
    );
    let as_objection = pick(
        l,
        ", we record it as your objection to",
        " registrerar vi det som din invändning mot",
    );
    Some(match (gpc, dnt) {
        (None, None) => return None,
        (Some(gpc), Some(dnt)) if gpc == dnt => format!(
            "{lead} Global Privacy Control {} Do Not Track{as_objection} {gpc}.",
            pick(l, "or", "eller")
        ),
        (Some(gpc), Some(dnt)) => format!(
            "{lead} Global Privacy Control{as_objection} {gpc}; {} Do Not Track, {dnt}.",
            pick(l, "when it sends", "när den skickar")
        ),
        (Some(gpc), None) => format!("{lead} Global Privacy Control{as_objection} {gpc}."),
        (None, Some(dnt)) => format!("{lead} Do Not Track{as_objection} {dnt}."),
    })
}

fn rights(register: &Register, l: Language) -> Section {
    let mut items: Vec<Line> = vec![
        vec![text(pick(
            l,
            "Access (Art. 15): a copy of the personal data we hold about you and how we use it.",
            "Rätt till tillgång (artikel 15): en kopia av de personuppgifter vi har om dig och information om hur vi använder dem (registerutdrag).",
        ))],
        vec![text(pick(
            l,
            "Rectification (Art. 16): have incorrect data corrected and incomplete data completed.",
            "Rätt till rättelse (artikel 16): få felaktiga uppgifter rättade och ofullständiga uppgifter kompletterade.",
        ))],
        vec![text(pick(
            l,
            "Erasure (Art. 17): have your data deleted, unless a law requires us to keep it (see how long we keep your data).",
            "Rätt till radering (artikel 17): få dina uppgifter raderade, om inte en lag kräver att vi sparar dem (se hur länge vi sparar dina uppgifter).",
        ))],
        vec![text(pick(
            l,
            "Restriction (Art. 18): have us only store your data, for example while we check whether it is correct.",
            "Rätt till begränsning (artikel 18): att vi bara lagrar dina uppgifter, till exempel medan vi kontrollerar om de är korrekta.",
        ))],
    ];
    let portable: Vec<String> = controller_categories(register)
        .into_iter()
        .filter(|c| {
            c.provided_by_subject
                && controller_purposes(register).any(|p| {
                    p.bases_for(&c.id).is_some_and(|bases| {
                        bases.contains(&LegalBasis::Consent)
                            || bases.contains(&LegalBasis::Contract)
                    })
                })
        })
        .map(|c| lower_first(c.name.get(l)))
        .collect();
    if !portable.is_empty() {
        items.push(vec![text(format!(
            "{} ({}).",
            pick(
                l,
                "Data portability (Art. 20): receive the data you gave us, which we process on the basis of consent or contract, in a machine-readable format",
                "Rätt till dataportabilitet (artikel 20): få ut de uppgifter du själv har lämnat och som vi behandlar med stöd av samtycke eller avtal, i ett maskinläsbart format"
            ),
            portable.join("; ")
        ))]);
    }
    let purposes: Vec<&Purpose> = controller_purposes(register).collect();
    if purposes.iter().any(|p| {
        p.uses_basis(LegalBasis::LegitimateInterest) || p.uses_basis(LegalBasis::PublicTask)
    }) {
        items.push(vec![text(pick(
            l,
            "Objection (Art. 21): object to processing based on our legitimate interest; we then stop unless we have compelling legitimate grounds that override your interests.",
            "Rätt att invända (artikel 21): invända mot behandling som grundar sig på vårt berättigade intresse; då upphör vi med behandlingen, om vi inte har tvingande berättigade skäl som väger tyngre än dina intressen.",
        ))]);
    }
    if purposes.iter().any(|p| p.direct_marketing) {
        items.push(vec![text(pick(
            l,
            "Object to direct marketing (Art. 21(3)) at any time; we then stop at once, without exception.",
            "Rätt att invända mot direktmarknadsföring (artikel 21.3) när som helst; då upphör vi omedelbart med den, utan undantag.",
        ))]);
    }
    if let Some(line) = signal_objections(register, l) {
        items.push(vec![text(line)]);
    }
    if purposes.iter().any(|p| {
        p.uses_basis(LegalBasis::Consent)
            && p.consent
                .as_ref()
                .is_some_and(|c| c.given_by == ConsentGiver::Subject)
    }) {
        items.push(vec![text(pick(
            l,
            "Withdraw your consent (Art. 7(3)) at any time, as easily as you gave it.",
            "Återkalla ditt samtycke (artikel 7.3) när som helst, lika enkelt som du lämnade det.",
        ))]);
    }
    let automated = purposes.iter().any(|p| p.automated_decision);
    if automated {
        items.push(vec![text(pick(
            l,
            "Not to be subject to a decision based solely on automated processing (Art. 22) without being able to have a person review it.",
            "Rätt att inte bli föremål för ett beslut som enbart grundas på automatiserad behandling (artikel 22) utan att kunna få det prövat av en människa.",
        ))]);
    }
    let policy = &register.rights;
    let mut how: Vec<Block> = Vec::new();
    let mut contact = vec![text(pick(
        l,
        "To use your rights, contact us: ",
        "Om du vill utöva dina rättigheter kontaktar du oss: ",
    ))];
    contact.extend(contact_line(&policy.contact));
    contact.push(text("."));
    how.push(para(contact));
    if let Some(own) = &policy.self_service {
        how.push(sentence(own.get(l)));
    }
    let answer = wording::period(l, policy.response_time);
    let mut deadline = match l {
        Language::En => format!("We answer within {answer} of receiving your request."),
        Language::Sv => format!("Vi svarar inom {answer} från det att vi tog emot din begäran."),
    };
    if policy.extension.amount > 0 {
        let extension = wording::period(l, policy.extension);
        deadline.push_str(&match l {
            Language::En => format!(
                " If a request is complex, or we receive many, we may need up to {extension} more; we then tell you why within {answer} of receiving it."
            ),
            Language::Sv => format!(
                " Om begäran är komplicerad, eller om vi får många, kan vi behöva upp till {extension} till; då meddelar vi dig varför inom {answer} från att vi tog emot den."
            ),
        });
    }
    how.push(sentence(deadline));
    let copies = &policy.copies;
    let free = match (l, copies.free, copies.per) {
        (Language::En, 1, Some(per)) => {
            format!(
                "One copy of your data per {} is free",
                wording::period(l, per)
            )
        }
        (Language::En, n, Some(per)) => format!(
            "{n} copies of your data per {} are free",
            wording::period(l, per)
        ),
        (Language::En, 1, None) => "Your first copy of your data is free".to_owned(),
        (Language::En, n, None) => format!("Your first {n} copies of your data are free"),
        (Language::Sv, 1, Some(per)) => format!(
            "En kopia av dina uppgifter per {} är kostnadsfri",
            wording::period(l, per)
        ),
        (Language::Sv, n, Some(per)) => format!(
            "{n} kopior av dina uppgifter per {} är kostnadsfria",
            wording::period(l, per)
        ),
        (Language::Sv, 1, None) => "Den första kopian av dina uppgifter är kostnadsfri".to_owned(),
        (Language::Sv, n, None) => {
            format!("De första {n} kopiorna av dina uppgifter är kostnadsfria")
        }
    };
    how.push(sentence(format!(
        "{free}; {}.",
        wording::further_copies(l, copies.further)
    )));
    if !policy.identity_verification.is_empty() {
        how.push(sentence(if policy.identity_verification.len() == 1 {
            pick(
                l,
                "Before we answer, we check that you are who you say you are, in this way:",
                "Innan vi svarar kontrollerar vi att du är den du säger dig vara, på följande sätt:",
            )
        } else {
            pick(
                l,
                "Before we answer, we check that you are who you say you are, in one of these ways:",
                "Innan vi svarar kontrollerar vi att du är den du säger dig vara, på något av dessa sätt:",
            )
        }));
        how.push(Block::List(
            policy
                .identity_verification
                .iter()
                .map(|m| vec![text(capitalise(wording::verification(l, *m)))])
                .collect(),
        ));
    }
    let mut blocks = vec![
        sentence(pick(
            l,
            "Under the GDPR you have these rights:",
            "Enligt dataskyddsförordningen har du följande rättigheter:",
        )),
        Block::List(items),
    ];
    if !automated {
        // Art. 13(2)(f): the existence of automated decision-making, said also when there is none.
        blocks.push(sentence(pick(
            l,
            "We make no decisions about you based solely on automated processing, including profiling, that have legal or similarly significant effects for you (Art. 22).",
            "Vi fattar inga beslut om dig som enbart grundas på automatiserad behandling, inbegripet profilering, och som har rättsliga följder eller på liknande sätt påverkar dig i betydande grad (artikel 22).",
        )));
    }
    blocks.extend([Block::Subheading(
        pick(l, "How to use your rights", "Så utövar du dina rättigheter").to_owned(),
    )]);
    blocks.extend(how);
    section("rights", pick(l, "Your rights", "Dina rättigheter"), blocks)
}

fn dpo(register: &Register, l: Language) -> Option<Section> {
    let dpo = register.dpo.as_ref()?;
    let name = dpo
        .name
        .as_ref()
        .map(|n| format!(", {n},"))
        .unwrap_or_default();
    let mut line = vec![text(match l {
        Language::En => format!(
            "You can contact our data protection officer{name} about any question on how we process your personal data: "
        ),
        Language::Sv => format!(
            "Du kan kontakta vårt dataskyddsombud{name} i alla frågor om hur vi behandlar dina personuppgifter: "
        ),
    })];
    line.extend(contact_line(&dpo.contact));
    line.push(text("."));
    Some(section(
        "dpo",
        pick(l, "Data protection officer", "Dataskyddsombud"),
        vec![para(line)],
    ))
}

fn complaints(register: &Register, l: Language) -> Section {
    let a = &register.authority;
    let mut line = vec![text(match l {
        Language::En => format!(
            "If you think that we process your personal data wrongly, you have the right to lodge a complaint with the supervisory authority, {}",
            wording::authority_in_sentence(l, a.name.get(l))
        ),
        Language::Sv => format!(
            "Om du anser att vi behandlar dina personuppgifter felaktigt har du rätt att lämna klagomål till tillsynsmyndigheten, {}",
            a.name.get(l)
        ),
    })];
    let contact = Contact {
        email: a.email.clone(),
        phone: a.phone.clone(),
        url: a.url.clone(),
        postal: a.address_in(l).map(str::to_owned),
    };
    let reach = contact_line(&contact);
    if !reach.is_empty() {
        line.push(text(": "));
        line.extend(reach);
    }
    line.push(text("."));
    section(
        "complaints",
        pick(
            l,
            "Complaints to the supervisory authority",
            "Klagomål till tillsynsmyndigheten",
        ),
        vec![
            para(line),
            sentence(pick(
                l,
                "You may also complain to the supervisory authority in the EU/EEA country where you live or work, or where you think the infringement took place.",
                "Du kan också klaga hos tillsynsmyndigheten i det EU/EES-land där du bor eller arbetar, eller där du anser att överträdelsen har skett.",
            )),
        ],
    )
}

fn changes(register: &Register, l: Language, version: &NoticeVersion) -> Section {
    let date = wording::date(l, version.last_updated);
    let mut blocks = vec![sentence(match l {
        Language::En => format!(
            "When we change how we process personal data, we publish a new version of this notice here, with its date. This version (version {}) applies from {date}.",
            version.version
        ),
        Language::Sv => format!(
            "När vi ändrar hur vi behandlar personuppgifter publicerar vi en ny version av denna integritetspolicy här, med datum. Denna version (version {}) gäller från och med {date}.",
            version.version
        ),
    })];
    if let Some(policy) = &register.changes {
        let channels: Vec<String> = policy
            .announce
            .iter()
            .map(|c| wording::change_channel(l, *c).to_owned())
            .collect();
        let channels = wording::join_and(l, &channels);
        let before = policy
            .notice_period
            .map(|p| match l {
                Language::En => format!(
                    ", at least {} before they take effect",
                    wording::period(l, p)
                ),
                Language::Sv => format!(", minst {} innan de börjar gälla", wording::period(l, p)),
            })
            .unwrap_or_default();
        blocks.push(sentence(match l {
            Language::En => format!(
                "We tell you about significant changes, such as a new purpose, a new recipient or transfer, a new kind of data, a changed legal basis or a longer retention time, {channels}{before}."
            ),
            Language::Sv => format!(
                "Väsentliga ändringar, till exempel ett nytt ändamål, en ny mottagare eller överföring, en ny sorts uppgifter, en ändrad rättslig grund eller en längre lagringstid, meddelar vi {channels}{before}."
            ),
        }));
    }
    section(
        "changes",
        pick(
            l,
            "Changes to this notice",
            "Ändringar i denna integritetspolicy",
        ),
        blocks,
    )
}
