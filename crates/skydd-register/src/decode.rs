//! Reading the node tree into the model, reporting every shape error with its position.
//!
//! The decoder never stops at the first problem: a broken entry is reported and skipped, and the
//! rest of the file is still read, so that one run lists every error. Declarations and references
//! are recorded with their positions for the cross-checks in [`crate::validate`].

use std::collections::HashMap;

use jiff::civil::Date;

use crate::country::{Country, swedish_organisation_number};
use crate::diagnostic::Diagnostic;
use crate::model::*;
use crate::node::{Node, NodeKind, Pos};
use crate::period::{CalendarRounding, Period, PeriodUnit};
use crate::shape::{Fields, Reader};

/// The kinds of things that have ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    Subject,
    Source,
    Category,
    Event,
    State,
    Purpose,
    Rule,
    Hold,
    Recipient,
    Measure,
    CookieCategory,
    CookieService,
    Feature,
    Role,
    Attribute,
    Audience,
}

impl Kind {
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Kind::Subject => "subject category",
            Kind::Source => "source",
            Kind::Category => "data category",
            Kind::Event => "event",
            Kind::State => "state",
            Kind::Purpose => "purpose",
            Kind::Rule => "retention rule",
            Kind::Hold => "legal hold",
            Kind::Recipient => "recipient",
            Kind::Measure => "security measure",
            Kind::CookieCategory => "cookie category",
            Kind::CookieService => "cookie service",
            Kind::Feature => "feature",
            Kind::Role => "role",
            Kind::Attribute => "subject attribute",
            Kind::Audience => "audience",
        }
    }

    pub(crate) fn section(self) -> &'static str {
        match self {
            Kind::Subject => "subjects",
            Kind::Source => "sources",
            Kind::Category => "data",
            Kind::Event => "events",
            Kind::State => "states",
            Kind::Purpose => "purposes",
            Kind::Rule => "retention",
            Kind::Hold => "legal_holds",
            Kind::Recipient => "recipients",
            Kind::Measure => "security",
            Kind::CookieCategory => "cookies.categories",
            Kind::CookieService => "cookies.services",
            Kind::Feature => "features",
            Kind::Role => "roles",
            Kind::Attribute => "attributes",
            Kind::Audience => "audiences",
        }
    }
}

/// A use of an id somewhere in the file.
#[derive(Debug, Clone)]
pub(crate) struct Reference {
    pub(crate) kind: Kind,
    pub(crate) id: String,
    pub(crate) pos: Pos,
}

/// What the decoder learned besides the model: positions for cross-checks.
#[derive(Debug, Default)]
pub(crate) struct Sites {
    /// Where each id is declared, in declaration order per kind.
    pub(crate) declared: HashMap<Kind, Vec<(String, Pos)>>,
    /// Every reference.
    pub(crate) references: Vec<Reference>,
    /// Where a purpose names a data category.
    pub(crate) purpose_category: HashMap<(String, String), Pos>,
    /// Categories named by retention rules that are broken in some other way (already reported),
    /// so that they are not also reported as having no rule.
    pub(crate) categories_in_broken_rules: Vec<String>,
    /// Where the `rights` map starts.
    pub(crate) rights: Option<Pos>,
    /// Where `rights.public_holidays` is written, if it is.
    pub(crate) public_holidays: Option<Pos>,
    /// Data categories marked `personal_data: false` (anonymous or aggregated), which need no
    /// legal basis, transfer mechanism or `notify` address.
    pub(crate) anonymous_categories: Vec<String>,
}

impl Sites {
    pub(crate) fn position(&self, kind: Kind, id: &str) -> Option<Pos> {
        self.declared
            .get(&kind)?
            .iter()
            .find(|(d, _)| d == id)
            .map(|(_, pos)| *pos)
    }

    pub(crate) fn is_declared(&self, kind: Kind, id: &str) -> bool {
        self.position(kind, id).is_some()
    }
}

/// The sections of a register as far as they could be read.
#[derive(Debug, Default)]
pub(crate) struct Partial {
    pub(crate) format: Option<u32>,
    pub(crate) published: Option<Date>,
    pub(crate) languages: Vec<Language>,
    pub(crate) controller: Option<Controller>,
    pub(crate) representative: Option<Representative>,
    pub(crate) dpo: Option<Dpo>,
    pub(crate) authority: Option<Authority>,
    pub(crate) scope: Scope,
    pub(crate) subjects: Vec<SubjectCategory>,
    pub(crate) sources: Vec<Source>,
    pub(crate) data: Vec<DataCategory>,
    pub(crate) events: Vec<Event>,
    pub(crate) states: Vec<State>,
    pub(crate) purposes: Vec<Purpose>,
    pub(crate) retention: Vec<RetentionRule>,
    pub(crate) legal_holds: Vec<LegalHold>,
    pub(crate) recipients: Vec<Recipient>,
    pub(crate) security: Vec<SecurityMeasure>,
    pub(crate) rights: Option<RightsPolicy>,
    pub(crate) cookies: Cookies,
    pub(crate) features: Vec<Feature>,
    pub(crate) roles: Vec<JobRole>,
    pub(crate) attributes: Vec<SubjectAttribute>,
    pub(crate) audiences: Vec<Audience>,
    pub(crate) security_review: Option<SecurityReview>,
    pub(crate) signals: Signals,
    pub(crate) changes: Option<ChangePolicy>,
}

/// A company's name, registration number, registry and address as far as they could be read
/// ([`Decoder::company`]).
type Company = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<Address>,
);

/// Reads nodes into model values and collects diagnostics.
pub(crate) struct Decoder {
    pub(crate) reader: Reader,
    pub(crate) sites: Sites,
    texts: Vec<(Pos, bool)>,
    /// Per data category (where it starts), its fields without a `label`.
    unlabelled_fields: Vec<(Pos, Vec<String>)>,
}

/// Decode a whole document.
pub(crate) fn decode(root: &Node) -> (Partial, Decoder) {
    let mut d = Decoder {
        reader: Reader::new("docs/register-format.md"),
        sites: Sites::default(),
        texts: Vec::new(),
        unlabelled_fields: Vec::new(),
    };
    for event in BuiltinEvent::ALL {
        d.sites
            .declared
            .entry(Kind::Event)
            .or_default()
            .push((event.0.to_string(), Pos::default()));
    }
    let mut partial = Partial::default();
    let Some(mut top) = d.reader.fields(root, "the register") else {
        return (partial, d);
    };

    partial.format = top_format(&mut d, &mut top);
    partial.published = d
        .reader
        .required(&mut top, "published")
        .and_then(|n| d.date(n));
    partial.languages = match top.get("languages") {
        Some(node) => d.languages(node),
        None => vec![Language::En],
    };
    let controller_node = d.reader.required(&mut top, "controller");
    partial.controller = controller_node.and_then(|n| d.controller(n));
    partial.representative = top.get("representative").and_then(|n| d.representative(n));
    if let (Some(controller), Some(node)) = (&partial.controller, controller_node)
        && !controller.established_in_eea()
        && partial.representative.is_none()
    {
        d.reader.push(
            Diagnostic::warning(
                "no-representative",
                node.pos,
                format!(
                    "{} is established outside the EU/EEA, with no establishment in it and no representative (GDPR Art. 27)",
                    controller.name
                ),
            )
            .with_help("add `representative:` (name, contact) designated in the EU, or the EU office under `controller.establishments`; Art. 27(2) exempts only occasional, low-risk processing"),
        );
    }
    partial.dpo = top.get("dpo").and_then(|n| d.dpo(n));
    partial.authority = d
        .reader
        .required(&mut top, "authority")
        .and_then(|n| d.authority(n));
    partial.scope = top
        .get("scope")
        .and_then(|n| d.scope(n))
        .unwrap_or_default();
    partial.subjects = d.section(&mut top, "subjects", true, Decoder::subject);
    partial.sources = d.section(&mut top, "sources", true, Decoder::source);
    partial.data = d.section(&mut top, "data", true, Decoder::data_category);
    partial.events = d.section(&mut top, "events", false, Decoder::event);
    partial.states = d.section(&mut top, "states", false, Decoder::state);
    partial.purposes = d.section(&mut top, "purposes", true, Decoder::purpose);
    partial.retention = d.section(&mut top, "retention", true, Decoder::retention_rule);
    partial.legal_holds = d.section(&mut top, "legal_holds", false, Decoder::legal_hold);
    partial.recipients = d.section(&mut top, "recipients", false, Decoder::recipient);
    partial.security = d.section(&mut top, "security", true, Decoder::security_measure);
    partial.rights = d
        .reader
        .required(&mut top, "rights")
        .and_then(|n| d.rights(n));
    partial.cookies = top
        .get("cookies")
        .and_then(|n| d.cookies(n))
        .unwrap_or_default();
    partial.features = d.section(&mut top, "features", false, Decoder::feature);
    partial.roles = d.section(&mut top, "roles", false, Decoder::role);
    partial.attributes = d.section(&mut top, "attributes", false, Decoder::attribute);
    let audiences_node = top.get("audiences");
    partial.audiences = d.section(&mut top, "audiences", false, Decoder::audience);
    if let (Some(node), [_]) = (audiences_node, partial.audiences.as_slice()) {
        d.reader.push(
            Diagnostic::warning(
                "single-audience",
                node.pos,
                "one audience makes one notice, as none would",
            )
            .with_help(
                "declare a second audience (\"people elsewhere\"), or leave `audiences` out",
            ),
        );
    }
    partial.security_review = top
        .get("security_review")
        .and_then(|n| d.security_review(n));
    partial.signals = top.get("signals").map(|n| d.signals(n)).unwrap_or_default();
    partial.changes = top.get("changes").and_then(|n| d.change_policy(n));
    d.reader.finish(top);

    if partial.languages.contains(&Language::Sv) {
        for (pos, fields) in std::mem::take(&mut d.unlabelled_fields) {
            let list = fields
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(", ");
            d.reader.push(
                Diagnostic::warning(
                    "field-without-label",
                    pos,
                    format!("fields without a label: {list}; the Swedish notice would show them as their ids"),
                )
                .with_help("give each one a label, e.g. `{id: postal_address, label: {en: Postal address, sv: Postadress}}`"),
            );
        }
        for (pos, has_swedish) in std::mem::take(&mut d.texts) {
            if !has_swedish {
                d.reader.push(
                    Diagnostic::warning("missing-translation", pos, "this text has no Swedish version")
                        .with_help("write it as `{en: \"...\", sv: \"...\"}`; until then the Swedish notice shows the English text"),
                );
            }
        }
    }
    (partial, d)
}

/// The diagnostic for a `rights.response_time` that can be longer than the one month of
/// Art. 12(3): an error when it is always at least as long as the longest month (over 31 days,
/// or months and years), a warning when only some months are shorter (29 to 31 days: the
/// deadline is then the earlier of the two, so the promise holds whenever it can).
fn response_time_over_a_month(period: Period, pos: Pos) -> Diagnostic {
    let some_months_only =
        !matches!(period.unit, PeriodUnit::Month | PeriodUnit::Year) && period.max_days() <= 31;
    if some_months_only {
        Diagnostic::warning(
            "rights-deadline",
            pos,
            format!(
                "a response time of {period} is longer than one month when the month is short (received 2027-02-01: {period} end {}, one month 2027-03-01); deadlines are then the one month of Art. 12(3)",
                period
                    .after(jiff::civil::date(2027, 2, 1))
                    .map_or_else(|| "later".to_string(), |d| d.to_string())
            ),
        )
        .with_help("write `28 days` or less, or `1 month`, to promise the same in every month")
    } else {
        Diagnostic::error(
            "rights-deadline",
            pos,
            format!("a response time of {period} can exceed the one month Art. 12(3) allows"),
        )
        .with_help("write `1 month` (or a shorter period)")
    }
}

fn top_format(d: &mut Decoder, top: &mut Fields<'_>) -> Option<u32> {
    let node = d.reader.required(top, "skydd")?;
    match &node.kind {
        NodeKind::Scalar { text, plain: true } if text == "1" => Some(1),
        _ => {
            d.reader.push(
                Diagnostic::error("invalid-value", node.pos, "unsupported register format")
                    .with_help("this version of Skydd reads `skydd: 1`"),
            );
            None
        }
    }
}

impl Decoder {
    // ---- structure -------------------------------------------------------------------------

    fn section<T>(
        &mut self,
        top: &mut Fields<'_>,
        key: &'static str,
        required: bool,
        read: fn(&mut Decoder, &Node) -> Option<T>,
    ) -> Vec<T> {
        let node = if required {
            self.reader.required(top, key)
        } else {
            top.get(key)
        };
        let Some(node) = node else { return Vec::new() };
        self.reader
            .list(node, key)
            .into_iter()
            .filter_map(|item| read(self, item))
            .collect()
    }

    // ---- scalars ---------------------------------------------------------------------------

    fn text(&mut self, node: &Node) -> Option<Text> {
        if let NodeKind::Scalar { .. } = node.kind {
            let en = self.reader.string(node)?;
            self.texts.push((node.pos, false));
            return Some(Text { en, sv: None });
        }
        let mut f = self.reader.fields(node, "a text")?;
        let en = self.reader.req_string(&mut f, "en");
        let sv = self.reader.opt_string(&mut f, "sv");
        // `{en: Hello, world, sv: Hej}`: the comma ended the English text and `world` became a
        // key without a value. Say that, once, instead of "unknown key `world`".
        let cut: Vec<&Node> = f
            .entries
            .iter()
            .filter(|(key, _, value)| *key != "en" && *key != "sv" && value.is_null())
            .map(|(_, key, _)| *key)
            .collect();
        if let Some(first) = cut.first() {
            self.reader.push(
                Diagnostic::error(
                    "unquoted-comma",
                    first.pos,
                    "a comma inside a text ends it: the words after it are read as a key",
                )
                .with_help(
                    "put the text in quotes: `{en: \"Hello, world\", sv: \"Hej, världen\"}`",
                ),
            );
            f.entries
                .retain(|(key, _, value)| *key == "en" || *key == "sv" || !value.is_null());
        }
        self.reader.finish(f);
        self.texts.push((node.pos, sv.is_some()));
        Some(Text { en: en?, sv })
    }

    /// A text that is a proper name (a company, a service, a statute): it may have a Swedish
    /// form, but needs none, so a missing one is not reported.
    fn proper_name(&mut self, fields: &mut Fields<'_>, key: &'static str) -> Option<Text> {
        let node = self.reader.required(fields, key)?;
        let before = self.texts.len();
        let text = self.text(node);
        self.texts.truncate(before);
        text
    }

    fn opt_text(&mut self, fields: &mut Fields<'_>, key: &'static str) -> Option<Text> {
        fields.get(key).and_then(|n| self.text(n))
    }

    fn req_text(&mut self, fields: &mut Fields<'_>, key: &'static str) -> Option<Text> {
        self.reader.required(fields, key).and_then(|n| self.text(n))
    }

    fn languages(&mut self, node: &Node) -> Vec<Language> {
        let mut languages: Vec<Language> = self.reader.choices(node);
        if !languages.contains(&Language::En) {
            self.reader.push(
                Diagnostic::error(
                    "invalid-value",
                    node.pos,
                    "the notice must be available in English",
                )
                .with_help("add `en` to `languages`"),
            );
        }
        languages.sort();
        languages.dedup();
        languages
    }

    fn period(&mut self, node: &Node) -> Option<Period> {
        let text = self.reader.string(node)?;
        match text.parse::<Period>() {
            Ok(period) => Some(period),
            Err(error) => {
                self.reader.push(
                    Diagnostic::error(
                        "invalid-duration",
                        node.pos,
                        format!("`{text}` is not a duration"),
                    )
                    .with_help(error.message),
                );
                None
            }
        }
    }

    fn date(&mut self, node: &Node) -> Option<Date> {
        let text = self.reader.string(node)?;
        match text.parse::<Date>() {
            Ok(date) => Some(date),
            Err(_) => {
                self.reader.push(
                    Diagnostic::error("invalid-value", node.pos, format!("`{text}` is not a date"))
                        .with_help("write an ISO 8601 date: YYYY-MM-DD, e.g. `2022-01-05`"),
                );
                None
            }
        }
    }

    fn country(&mut self, node: &Node) -> Option<Country> {
        let text = self.reader.string(node)?;
        match Country::parse(&text) {
            Ok(country) => Some(country),
            Err(help) => {
                self.reader.push(
                    Diagnostic::error(
                        "invalid-value",
                        node.pos,
                        format!("`{text}` is not a country code"),
                    )
                    .with_help(help),
                );
                None
            }
        }
    }

    fn countries(&mut self, node: &Node) -> Vec<Country> {
        self.reader
            .list(node, "countries")
            .into_iter()
            .filter_map(|n| self.country(n))
            .collect()
    }

    fn email(&mut self, node: &Node) -> Option<String> {
        let text = self.reader.string(node)?;
        let valid = text.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.contains('@')
                && !text.contains(' ')
        });
        if !valid {
            self.reader.push(
                Diagnostic::error(
                    "invalid-value",
                    node.pos,
                    format!("`{text}` is not an e-mail address"),
                )
                .with_help("write an address such as `privacy@example.se`"),
            );
            return None;
        }
        Some(text)
    }

    fn count(&mut self, node: &Node) -> Option<u32> {
        match &node.kind {
            NodeKind::Scalar { text, plain: true } if text.parse::<u32>().is_ok() => {
                text.parse().ok()
            }
            _ => {
                self.reader.push(
                    Diagnostic::error("invalid-value", node.pos, "expected a whole number")
                        .with_help("write a number such as `1`"),
                );
                None
            }
        }
    }

    // ---- ids -------------------------------------------------------------------------------

    /// Read and declare the `id` of an entry.
    /// Whether data category `id` was declared `personal_data: false` (the data section is
    /// read before the sections that refer to it).
    fn is_anonymous(&self, id: &str) -> bool {
        self.sites.anonymous_categories.iter().any(|c| c == id)
    }

    fn declare(&mut self, fields: &mut Fields<'_>, kind: Kind) -> Option<String> {
        let node = self.reader.required(fields, "id")?;
        let id = self.reader.id(node, kind.describe())?;
        let declared = self.sites.declared.entry(kind).or_default();
        if let Some((_, first)) = declared.iter().find(|(d, _)| *d == id) {
            let help = if *first == Pos::default() {
                format!("`{id}` is built in; use it without declaring it")
            } else {
                format!(
                    "first declared at line {}; give each {} its own id",
                    first.line,
                    kind.describe()
                )
            };
            self.reader.push(
                Diagnostic::error(
                    "duplicate-id",
                    node.pos,
                    format!("{} `{id}` is declared twice", kind.describe()),
                )
                .with_help(help),
            );
            return None;
        }
        declared.push((id.clone(), node.pos));
        Some(id)
    }

    fn reference(&mut self, node: &Node, kind: Kind) -> Option<String> {
        let id = self.reader.id(node, kind.describe())?;
        self.sites.references.push(Reference {
            kind,
            id: id.clone(),
            pos: node.pos,
        });
        Some(id)
    }

    fn references(&mut self, node: &Node, kind: Kind) -> Vec<String> {
        if let NodeKind::Scalar { .. } = node.kind {
            return self.reference(node, kind).into_iter().collect();
        }
        self.reader
            .list(node, kind.section())
            .into_iter()
            .filter_map(|n| self.reference(n, kind))
            .collect()
    }

    fn opt_references(
        &mut self,
        fields: &mut Fields<'_>,
        key: &'static str,
        kind: Kind,
    ) -> Vec<String> {
        fields
            .get(key)
            .map(|n| self.references(n, kind))
            .unwrap_or_default()
    }

    // ---- parties ---------------------------------------------------------------------------

    fn address(&mut self, node: &Node) -> Option<Address> {
        let mut f = self.reader.fields(node, "an address")?;
        let street = self.reader.opt_string(&mut f, "street");
        let postal_code = self.reader.opt_string(&mut f, "postal_code");
        let city = self.reader.req_string(&mut f, "city");
        let country = self
            .reader
            .required(&mut f, "country")
            .and_then(|n| self.country(n));
        self.reader.finish(f);
        Some(Address {
            street,
            postal_code,
            city: city?,
            country: country?,
        })
    }

    fn contact(&mut self, node: &Node) -> Option<Contact> {
        let mut f = self.reader.fields(node, "a contact")?;
        let contact = Contact {
            email: f.get("email").and_then(|n| self.email(n)),
            phone: self.reader.opt_string(&mut f, "phone"),
            url: self.reader.opt_string(&mut f, "url"),
            postal: self.reader.opt_string(&mut f, "postal"),
        };
        let empty = f.entries.is_empty();
        self.reader.finish(f);
        if contact == Contact::default() {
            if empty {
                self.reader.push(
                    Diagnostic::error(
                        "missing-key",
                        node.pos,
                        "a contact needs at least one way to reach it",
                    )
                    .with_help("add `email:`, `phone:`, `url:` or `postal:`"),
                );
            }
            return None;
        }
        Some(contact)
    }

    /// What a company is known by, read from its map: the legal name, the registration number
    /// (a Swedish one checked and made canonical), the registry it is in, and the address.
    fn company(&mut self, f: &mut Fields<'_>) -> Company {
        let name = self.reader.req_string(f, "name");
        let number = f
            .get("organisation_number")
            .map(|n| (n.pos, self.reader.string(n)));
        let registry = self.reader.opt_string(f, "registry");
        let address = self
            .reader
            .required(f, "address")
            .and_then(|n| self.address(n));
        let organisation_number = self.organisation_number(number, address.as_ref());
        (name, organisation_number, registry, address)
    }

    fn controller(&mut self, node: &Node) -> Option<Controller> {
        let mut f = self.reader.fields(node, "the controller")?;
        let (name, organisation_number, registry, address) = self.company(&mut f);
        let contact = self
            .reader
            .required(&mut f, "contact")
            .and_then(|n| self.contact(n));
        let entities = f
            .get("entities")
            .map(|n| {
                self.reader
                    .list(n, "entities")
                    .into_iter()
                    .filter_map(|e| self.entity(e))
                    .collect()
            })
            .unwrap_or_default();
        let establishments = f
            .get("establishments")
            .map(|n| {
                self.reader
                    .list(n, "establishments")
                    .into_iter()
                    .filter_map(|e| self.establishment(e))
                    .collect()
            })
            .unwrap_or_default();
        self.reader.finish(f);
        Some(Controller {
            name: name?,
            organisation_number,
            registry,
            address: address?,
            contact: contact?,
            entities,
            establishments,
        })
    }

    /// A registration number as given, or for a Swedish company its canonical form (an
    /// invalid one is reported and dropped).
    fn organisation_number(
        &mut self,
        number: Option<(Pos, Option<String>)>,
        address: Option<&Address>,
    ) -> Option<String> {
        let (pos, number) = match number {
            Some((pos, Some(number))) => (pos, number),
            _ => return None,
        };
        if address.is_none_or(|a| a.country.code() != "SE") {
            return Some(number);
        }
        match swedish_organisation_number(&number) {
            Ok(canonical) => Some(canonical),
            Err(help) => {
                self.reader.push(
                    Diagnostic::error(
                        "invalid-organisation-number",
                        pos,
                        format!("`{number}` is not a valid Swedish organisation number"),
                    )
                    .with_help(help),
                );
                None
            }
        }
    }

    /// A company of the controller's group (`controller.entities[]`).
    fn entity(&mut self, node: &Node) -> Option<Entity> {
        let mut f = self.reader.fields(node, "a group company")?;
        let (name, organisation_number, registry, address) = self.company(&mut f);
        self.reader.finish(f);
        Some(Entity {
            name: name?,
            organisation_number,
            registry,
            address: address?,
        })
    }

    /// A local establishment of the controller (`controller.establishments[]`).
    fn establishment(&mut self, node: &Node) -> Option<Establishment> {
        let mut f = self.reader.fields(node, "an establishment")?;
        let name = self.req_text(&mut f, "name");
        let address = self
            .reader
            .required(&mut f, "address")
            .and_then(|n| self.address(n));
        self.reader.finish(f);
        Some(Establishment {
            name: name?,
            address: address?,
        })
    }

    fn representative(&mut self, node: &Node) -> Option<Representative> {
        let mut f = self.reader.fields(node, "the representative")?;
        let name = self.reader.req_string(&mut f, "name");
        let address = f.get("address").and_then(|n| self.address(n));
        let contact = self
            .reader
            .required(&mut f, "contact")
            .and_then(|n| self.contact(n));
        self.reader.finish(f);
        Some(Representative {
            name: name?,
            address,
            contact: contact?,
        })
    }

    fn dpo(&mut self, node: &Node) -> Option<Dpo> {
        let mut f = self.reader.fields(node, "the data protection officer")?;
        let name = self.reader.opt_string(&mut f, "name");
        let contact = self
            .reader
            .required(&mut f, "contact")
            .and_then(|n| self.contact(n));
        self.reader.finish(f);
        Some(Dpo {
            name,
            contact: contact?,
        })
    }

    fn authority(&mut self, node: &Node) -> Option<Authority> {
        let mut f = self.reader.fields(node, "the supervisory authority")?;
        let name_node = f.get("name");
        let name = self.req_text_at(name_node, &f, "name");
        let country = self
            .reader
            .required(&mut f, "country")
            .and_then(|n| self.country(n));
        // A plain line, or `{en, sv}` for a notice in each language; a plain line is an
        // address as written, not an untranslated text.
        let before = self.texts.len();
        let address = f.get("address").and_then(|n| self.text(n));
        self.texts.truncate(before);
        let phone = self.reader.opt_string(&mut f, "phone");
        let email = f.get("email").and_then(|n| self.email(n));
        let url = self.reader.opt_string(&mut f, "url");
        self.reader.finish(f);
        if let (Some(name), Some(node)) = (&name, name_node) {
            let outdated = [Some(name.en.as_str()), name.sv.as_deref()]
                .into_iter()
                .flatten()
                .any(|t| t.to_lowercase().contains("datainspektionen"));
            if outdated {
                self.reader.push(
                    Diagnostic::warning("outdated-authority-name", node.pos, "Datainspektionen is now called Integritetsskyddsmyndigheten (IMY)")
                        .with_help("the Swedish authority was renamed on 1 January 2021; write `Integritetsskyddsmyndigheten (IMY)`"),
                );
            }
        }
        Some(Authority {
            name: name?,
            country: country?,
            address_sv: address.as_ref().and_then(|a| a.sv.clone()),
            address: address.map(|a| a.en),
            phone,
            email,
            url,
        })
    }

    /// A required text whose node was already fetched (so its position can be used later).
    fn req_text_at(
        &mut self,
        node: Option<&Node>,
        fields: &Fields<'_>,
        key: &'static str,
    ) -> Option<Text> {
        match node {
            Some(node) => self.text(node),
            None => {
                self.reader.push(
                    Diagnostic::error(
                        "missing-key",
                        fields.pos,
                        format!("{} needs `{key}`", fields.what),
                    )
                    .with_help(format!("add `{key}:`")),
                );
                None
            }
        }
    }

    fn scope(&mut self, node: &Node) -> Option<Scope> {
        let mut f = self.reader.fields(node, "the scope")?;
        let description = self.opt_text(&mut f, "description");
        let websites = match f.get("websites") {
            Some(n) => self
                .reader
                .list(n, "websites")
                .into_iter()
                .filter_map(|w| self.reader.string(w))
                .collect(),
            None => Vec::new(),
        };
        let supplements = match f.get("supplements") {
            Some(n) => self
                .reader
                .list(n, "supplements")
                .into_iter()
                .filter_map(|s| self.supplement(s))
                .collect(),
            None => Vec::new(),
        };
        self.reader.finish(f);
        Some(Scope {
            description,
            websites,
            supplements,
        })
    }

    fn supplement(&mut self, node: &Node) -> Option<Supplement> {
        let mut f = self.reader.fields(node, "a supplement")?;
        let name = self.req_text(&mut f, "name");
        let url = self.reader.req_string(&mut f, "url");
        self.reader.finish(f);
        Some(Supplement {
            name: name?,
            url: url?,
        })
    }

    // ---- subjects, sources, data -----------------------------------------------------------

    fn subject(&mut self, node: &Node) -> Option<SubjectCategory> {
        let mut f = self.reader.fields(node, "a subject category")?;
        let id = self.declare(&mut f, Kind::Subject);
        let name = self.req_text(&mut f, "name");
        let description = self.opt_text(&mut f, "description");
        self.reader.finish(f);
        Some(SubjectCategory {
            id: SubjectId(id?),
            name: name?,
            description,
        })
    }

    fn source(&mut self, node: &Node) -> Option<Source> {
        let mut f = self.reader.fields(node, "a source")?;
        let id = self.declare(&mut f, Kind::Source);
        let kind = self
            .reader
            .required(&mut f, "kind")
            .and_then(|n| self.reader.choice(n));
        let name = self.proper_name(&mut f, "name");
        let description = self.opt_text(&mut f, "description");
        let policy_url = self.reader.opt_string(&mut f, "policy_url");
        self.reader.finish(f);
        Some(Source {
            id: SourceId(id?),
            kind: kind?,
            name: name?,
            description,
            policy_url,
        })
    }

    fn data_category(&mut self, node: &Node) -> Option<DataCategory> {
        let mut f = self.reader.fields(node, "a data category")?;
        let id = self.declare(&mut f, Kind::Category);
        let name = self.req_text(&mut f, "name");
        let description = self.opt_text(&mut f, "description");
        let provided_by_subject = self
            .reader
            .required(&mut f, "provided_by_subject")
            .and_then(|n| self.reader.boolean(n));
        let personal_data = f
            .get("personal_data")
            .and_then(|n| self.reader.boolean(n))
            .unwrap_or(true);
        if let (false, Some(id)) = (personal_data, &id) {
            self.sites.anonymous_categories.push(id.clone());
        }
        let special_node = f.get("special_category");
        let special_category: Option<SpecialCategory> =
            special_node.and_then(|n| self.reader.choice(n));
        let condition_node = f.get("art9_condition");
        let art9_condition: Option<Art9Condition> =
            condition_node.and_then(|n| self.reader.choice(n));
        let fields = match self.reader.required(&mut f, "fields") {
            Some(n) => self.data_fields(n),
            None => Vec::new(),
        };
        let unlabelled: Vec<String> = fields
            .iter()
            .filter(|field| field.label.is_none())
            .map(|field| field.id.0.clone())
            .collect();
        if !unlabelled.is_empty() {
            self.unlabelled_fields.push((f.pos, unlabelled));
        }
        self.reader.finish(f);
        if let (Some(special), None, Some(node)) = (special_category, art9_condition, special_node)
            && condition_node.is_none()
        {
            self.reader.push(
                Diagnostic::error(
                    "special-category-without-condition",
                    node.pos,
                    format!(
                        "special category `{}` data needs an Art. 9(2) condition",
                        special.word()
                    ),
                )
                .with_help(format!(
                    "add `art9_condition:` with one of: {}",
                    Art9Condition::ALL
                        .iter()
                        .map(|(w, _)| *w)
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            );
        }
        if let (None, Some(node)) = (special_category, condition_node)
            && special_node.is_none()
        {
            self.reader.push(
                Diagnostic::warning(
                    "unused-declaration",
                    node.pos,
                    "`art9_condition` is given but the category is not special",
                )
                .with_help("add `special_category:` or remove `art9_condition`"),
            );
        }
        Some(DataCategory {
            id: CategoryId(id?),
            name: name?,
            description,
            provided_by_subject: provided_by_subject?,
            personal_data,
            special_category,
            art9_condition,
            fields,
        })
    }

    fn data_fields(&mut self, node: &Node) -> Vec<Field> {
        let mut seen: Vec<String> = Vec::new();
        let mut fields = Vec::new();
        let items = self.reader.list(node, "fields");
        if items.is_empty() && matches!(node.kind, NodeKind::Seq(_)) {
            self.reader.push(
                Diagnostic::error(
                    "missing-key",
                    node.pos,
                    "a data category needs at least one field",
                )
                .with_help("list the fields it holds, e.g. `fields: [name, email]`"),
            );
        }
        for item in items {
            let field = if let NodeKind::Scalar { .. } = item.kind {
                self.field_id(item).map(|id| Field {
                    id: FieldId(id),
                    format: FieldFormat::Text,
                    secret: false,
                    statistical: false,
                    only_for_countries: Vec::new(),
                    label: None,
                })
            } else {
                self.data_field(item)
            };
            let Some(field) = field else { continue };
            if seen.contains(&field.id.0) {
                self.reader.push(
                    Diagnostic::error(
                        "duplicate-id",
                        item.pos,
                        format!("field `{}` is listed twice", field.id),
                    )
                    .with_help("list each field once"),
                );
                continue;
            }
            seen.push(field.id.0.clone());
            fields.push(field);
        }
        fields
    }

    fn field_id(&mut self, node: &Node) -> Option<String> {
        // Fields share the id syntax; they are declared per category, not globally.
        self.reader.id(node, "field")
    }

    fn data_field(&mut self, node: &Node) -> Option<Field> {
        let mut f = self.reader.fields(node, "a field")?;
        let id = self
            .reader
            .required(&mut f, "id")
            .and_then(|n| self.field_id(n));
        let format = f
            .get("format")
            .and_then(|n| self.reader.choice(n))
            .unwrap_or(FieldFormat::Text);
        let secret = self.reader.flag(&mut f, "secret");
        let statistical = self.reader.flag(&mut f, "statistical");
        let only_for_countries = f
            .get("only_for_countries")
            .map(|n| self.countries(n))
            .unwrap_or_default();
        let label = self.opt_text(&mut f, "label");
        self.reader.finish(f);
        Some(Field {
            id: FieldId(id?),
            format,
            secret,
            statistical,
            only_for_countries,
            label,
        })
    }

    fn event(&mut self, node: &Node) -> Option<Event> {
        let mut f = self.reader.fields(node, "an event")?;
        let id = self.declare(&mut f, Kind::Event);
        let name = self.req_text(&mut f, "name");
        self.reader.finish(f);
        Some(Event {
            id: EventId(id?),
            name: name?,
        })
    }

    fn audience(&mut self, node: &Node) -> Option<Audience> {
        let mut f = self.reader.fields(node, "an audience")?;
        let id = self.declare(&mut f, Kind::Audience);
        let name = self.req_text(&mut f, "name");
        self.reader.finish(f);
        Some(Audience {
            id: AudienceId(id?),
            name: name?,
        })
    }

    fn attribute(&mut self, node: &Node) -> Option<SubjectAttribute> {
        let mut f = self.reader.fields(node, "a subject attribute")?;
        let id = self.declare(&mut f, Kind::Attribute);
        let name = self.req_text(&mut f, "name");
        self.reader.finish(f);
        Some(SubjectAttribute {
            id: AttributeId(id?),
            name: name?,
        })
    }

    fn state(&mut self, node: &Node) -> Option<State> {
        let mut f = self.reader.fields(node, "a state")?;
        let id = self.declare(&mut f, Kind::State);
        let name = self.req_text(&mut f, "name");
        let ends_with = self
            .reader
            .required(&mut f, "ends_with")
            .and_then(|n| self.reference(n, Kind::Event));
        self.reader.finish(f);
        Some(State {
            id: StateId(id?),
            name: name?,
            ends_with: EventId(ends_with?),
        })
    }

    // ---- purposes --------------------------------------------------------------------------

    fn purpose(&mut self, node: &Node) -> Option<Purpose> {
        let mut f = self.reader.fields(node, "a purpose")?;
        let id = self.declare(&mut f, Kind::Purpose);
        let name = self.req_text(&mut f, "name");
        let description = self.opt_text(&mut f, "description");
        let role: Option<Role> = self
            .reader
            .required(&mut f, "role")
            .and_then(|n| self.reader.choice(n));
        let subjects = self
            .reader
            .required(&mut f, "subjects")
            .map(|n| self.references(n, Kind::Subject));
        let sources = self
            .reader
            .required(&mut f, "sources")
            .map(|n| self.references(n, Kind::Source));
        let basis_node = f.get("legal_basis");
        let basis_key = f.key_pos("legal_basis");
        let categories_node = f.get("categories");
        let controllers_node = f.get("controllers");
        let controllers = controllers_node.and_then(|n| self.text(n));
        let law = f
            .get("law")
            .is_some()
            .then(|| self.proper_name(&mut f, "law"))
            .flatten();
        let legitimate_interest = f
            .get("legitimate_interest")
            .and_then(|n| self.legitimate_interest(n));
        let consent = f.get("consent").and_then(|n| self.consent(n));
        let direct_marketing = self.reader.flag(&mut f, "direct_marketing");
        let profiling = self.reader.flag(&mut f, "profiling");
        let agreement_node = f.get("requires_agreement").map(|n| n.pos);
        let requires_agreement = self.reader.flag(&mut f, "requires_agreement");
        let combines_sources = self.reader.flag(&mut f, "combines_sources");
        let automated_decision = self.reader.flag(&mut f, "automated_decision");
        let channels = f
            .get("channels")
            .map(|n| self.reader.choices(n))
            .unwrap_or_default();
        let recipients = self.opt_references(&mut f, "recipients", Kind::Recipient);
        let audiences = self.opt_references(&mut f, "audiences", Kind::Audience);
        let requires_feature = f
            .get("requires_feature")
            .and_then(|n| self.reference(n, Kind::Feature));
        let provision_node = f.get("provision");
        let provision = provision_node
            .map(|n| self.provisions(n))
            .unwrap_or_default();
        let (what, pos) = (f.what, f.pos);
        self.reader.finish(f);

        let legal_basis = basis_node.map(|n| self.legal_basis(n)).unwrap_or_default();
        let categories = categories_node
            .map(|n| self.references(n, Kind::Category))
            .unwrap_or_default();
        if let Some(purpose) = &id {
            for b in &legal_basis {
                let pos = b.1;
                self.sites
                    .purpose_category
                    .insert((purpose.clone(), b.0.category.0.clone()), pos);
            }
            if let Some(node) = categories_node
                && let NodeKind::Seq(items) = &node.kind
            {
                for (item, category) in items.iter().zip(&categories) {
                    self.sites
                        .purpose_category
                        .insert((purpose.clone(), category.clone()), item.pos);
                }
            }
        }
        for (basis, pos) in &legal_basis {
            if self.is_anonymous(&basis.category.0) {
                self.reader.push(
                    Diagnostic::warning(
                        "anonymous-with-legal-basis",
                        *pos,
                        format!(
                            "`{}` is anonymous (`personal_data: false`): it needs no legal basis",
                            basis.category.0
                        ),
                    )
                    .with_help("list it under the purpose's `categories:` instead; the notice and the record then leave it out of the personal data"),
                );
            }
        }
        let legal_basis: Vec<CategoryBasis> = legal_basis.into_iter().map(|(b, _)| b).collect();

        match role {
            Some(Role::Controller) => {
                if legal_basis.is_empty() && basis_node.is_none() && categories_node.is_none() {
                    self.reader.push(
                        Diagnostic::error("missing-legal-basis", pos, format!("{what} needs a legal basis for each data category it processes"))
                            .with_help("add `legal_basis:` mapping each data category to consent, contract, legal_obligation, vital_interest, public_task or legitimate_interest"),
                    );
                }
                if let Some(node) = categories_node {
                    let items: Vec<&Node> = match &node.kind {
                        NodeKind::Seq(items) => items.iter().collect(),
                        _ => vec![node],
                    };
                    for (item, category) in items.into_iter().zip(&categories) {
                        if !self.is_anonymous(category) {
                            self.reader.push(
                                Diagnostic::error("invalid-value", item.pos, format!("`{category}` is personal data: a controller activity lists it under `legal_basis`"))
                                    .with_help("move it into `legal_basis:` with the basis it rests on; a controller activity's `categories` holds anonymous data only (`personal_data: false`)"),
                            );
                        }
                    }
                }
            }
            Some(Role::Processor) => {
                if let Some(pos) = basis_key {
                    self.reader.push(
                        Diagnostic::error("processor-with-legal-basis", pos, "a processor activity has no legal basis of its own")
                            .with_help("the customer (the controller) decides the basis; list the data under `categories:` and describe the customers under `controllers:`"),
                    );
                }
                if categories_node.is_none() {
                    self.reader.push(
                        Diagnostic::error(
                            "missing-key",
                            pos,
                            "a processor activity needs `categories`",
                        )
                        .with_help("list the data categories processed on the customers' behalf"),
                    );
                }
                if controllers_node.is_none() {
                    self.reader.push(
                        Diagnostic::error("missing-key", pos, "a processor activity needs `controllers`")
                            .with_help("describe on whose behalf it is carried out (Art. 30(2)(a)), e.g. `controllers: Our customers`"),
                    );
                }
            }
            None => {}
        }

        let mut purpose = Purpose {
            id: PurposeId(id?),
            name: name?,
            description,
            role: role?,
            subjects: subjects?.into_iter().map(SubjectId).collect(),
            sources: sources?.into_iter().map(SourceId).collect(),
            legal_basis,
            categories: categories.into_iter().map(CategoryId).collect(),
            controllers,
            law,
            legitimate_interest,
            consent,
            direct_marketing,
            profiling,
            automated_decision,
            channels,
            recipients: recipients.into_iter().map(RecipientId).collect(),
            requires_feature: requires_feature.map(FeatureId),
            provision,
            audiences: audiences.into_iter().map(AudienceId).collect(),
            requires_agreement,
            combines_sources,
        };
        if let (Some(pos), Role::Controller) = (agreement_node, purpose.role) {
            self.reader.push(
                Diagnostic::error("invalid-value", pos, "`requires_agreement` is for processor activities")
                    .with_help("it makes processing on a customer's instructions wait for that customer's signed data processing agreement (Art. 28(3)); a controller activity has none"),
            );
        }
        if purpose.role == Role::Processor {
            purpose.legal_basis.clear();
            if let Some(node) = provision_node {
                self.reader.push(
                    Diagnostic::error("invalid-value", node.pos, "a processor activity has no `provision`")
                        .with_help("what a person must provide, and why, is the customer's (the controller's) to tell them (Art. 13(2)(e))"),
                );
            }
        }
        self.provision_categories(&purpose, provision_node);
        self.basis_requirements(&purpose, basis_node);
        Some(purpose)
    }

    /// `provision`: one entry (a map) for the whole purpose, or a list of them, each with
    /// `categories`.
    fn provisions(&mut self, node: &Node) -> Vec<Provision> {
        match &node.kind {
            NodeKind::Seq(_) => self
                .reader
                .list(node, "provisions")
                .into_iter()
                .filter_map(|n| self.provision(n))
                .collect(),
            _ => self.provision(node).into_iter().collect(),
        }
    }

    fn provision(&mut self, node: &Node) -> Option<Provision> {
        let mut f = self.reader.fields(node, "a provision")?;
        let categories = self.opt_references(&mut f, "categories", Kind::Category);
        let requirement: Option<ProvisionRequirement> = self
            .reader
            .required(&mut f, "requirement")
            .and_then(|n| self.reader.choice(n));
        let if_not_provided = self.opt_text(&mut f, "if_not_provided");
        let pos = f.pos;
        self.reader.finish(f);
        let requirement = requirement?;
        if requirement != ProvisionRequirement::Voluntary && if_not_provided.is_none() {
            self.reader.push(
                Diagnostic::error(
                    "missing-key",
                    pos,
                    "a required provision needs `if_not_provided`: what happens if the person does not provide the data (Art. 13(2)(e))",
                )
                .with_help("e.g. `if_not_provided: {en: We cannot deliver the service., sv: Vi kan inte leverera tjänsten.}`"),
            );
        }
        Some(Provision {
            categories: categories.into_iter().map(CategoryId).collect(),
            requirement,
            if_not_provided,
        })
    }

    /// A provision's categories must be categories of its purpose, each in one provision only.
    fn provision_categories(&mut self, purpose: &Purpose, node: Option<&Node>) {
        let Some(node) = node else { return };
        let mut seen: Vec<&CategoryId> = Vec::new();
        for provision in &purpose.provision {
            for category in &provision.categories {
                if !purpose.data_categories().any(|c| c == category) {
                    self.reader.push(
                        Diagnostic::error(
                            "invalid-value",
                            node.pos,
                            format!("provision names `{category}`, which purpose `{}` does not process", purpose.id),
                        )
                        .with_help("name categories of the purpose's `legal_basis` (or leave `categories` out: every category)"),
                    );
                } else if seen.contains(&category) {
                    self.reader.push(
                        Diagnostic::error(
                            "invalid-value",
                            node.pos,
                            format!(
                                "`{category}` is in two provisions of purpose `{}`",
                                purpose.id
                            ),
                        )
                        .with_help("say once whether a category must be provided"),
                    );
                } else {
                    seen.push(category);
                }
            }
        }
    }

    fn legal_basis(&mut self, node: &Node) -> Vec<(CategoryBasis, Pos)> {
        let Some(mut f) = self.reader.fields(node, "legal_basis") else {
            return Vec::new();
        };
        let entries = std::mem::take(&mut f.entries);
        let mut out = Vec::new();
        for (_, key, value) in entries {
            let Some(category) = self.reference(key, Kind::Category) else {
                continue;
            };
            let (bases, when) = self.bases_with_conditions(value);
            if bases.is_empty() {
                if matches!(value.kind, NodeKind::Seq(_)) || value.is_null() {
                    self.reader.push(
                        Diagnostic::error(
                            "missing-legal-basis",
                            value.pos,
                            format!("no legal basis given for `{category}`"),
                        )
                        .with_help("write one basis, or a list such as `[contract, consent]`"),
                    );
                }
                continue;
            }
            out.push((
                CategoryBasis {
                    category: CategoryId(category),
                    bases,
                    when,
                },
                key.pos,
            ));
        }
        out
    }

    /// A category's bases: one word, a list of words, or a list whose items may be
    /// `{basis: contract, when: event}` (the basis holds once the record's `event` happened) or
    /// `{basis: contract, when: {attribute: id}}` (while the subject holds the attribute).
    fn bases_with_conditions(&mut self, value: &Node) -> (Vec<LegalBasis>, Vec<BasisCondition>) {
        let NodeKind::Seq(items) = &value.kind else {
            return (self.reader.choices(value), Vec::new());
        };
        let mut bases = Vec::new();
        let mut when = Vec::new();
        for item in items {
            if let NodeKind::Scalar { .. } = item.kind {
                bases.extend(self.reader.choice::<LegalBasis>(item));
                continue;
            }
            let Some(mut f) = self.reader.fields(item, "a basis with its condition") else {
                continue;
            };
            let basis: Option<LegalBasis> = self
                .reader
                .required(&mut f, "basis")
                .and_then(|n| self.reader.choice(n));
            let fact = self
                .reader
                .required(&mut f, "when")
                .and_then(|n| self.condition_fact(n));
            self.reader.finish(f);
            let (Some(basis), Some(fact)) = (basis, fact) else {
                continue;
            };
            if basis == LegalBasis::Consent {
                self.reader.push(
                    Diagnostic::error("invalid-value", item.pos, "consent needs no condition: it holds once given and until withdrawn")
                        .with_help("write `consent` alone; a condition is for contract, legal obligation, vital interest, public task or legitimate interest"),
                );
                continue;
            }
            bases.push(basis);
            when.push(BasisCondition { basis, fact });
        }
        (bases, when)
    }

    /// A basis's `when`: an event id (the record's anchor), `{event: id}` or `{attribute: id}`.
    fn condition_fact(&mut self, node: &Node) -> Option<ConditionFact> {
        if let NodeKind::Scalar { .. } = node.kind {
            return self
                .reference(node, Kind::Event)
                .map(|e| ConditionFact::Event(EventId(e)));
        }
        let mut f = self.reader.fields(node, "a condition")?;
        let event = f.get("event");
        let attribute = f.get("attribute");
        self.reader.finish(f);
        match (event, attribute) {
            (Some(event), None) => self
                .reference(event, Kind::Event)
                .map(|e| ConditionFact::Event(EventId(e))),
            (None, Some(attribute)) => self
                .reference(attribute, Kind::Attribute)
                .map(|a| ConditionFact::Attribute(AttributeId(a))),
            _ => {
                self.reader.push(
                    Diagnostic::error(
                        "invalid-value",
                        node.pos,
                        "a condition names one fact: a record's event or a subject's attribute",
                    )
                    .with_help("write `when: support_agreement_signed` (an event under `events`) or `when: {attribute: support_agreement}` (an attribute under `attributes`)"),
                );
                None
            }
        }
    }

    /// Each basis brings what it needs: consent its wording, legitimate interest its balancing,
    /// a legal obligation or public task its law.
    fn basis_requirements(&mut self, purpose: &Purpose, basis_node: Option<&Node>) {
        let Some(NodeKind::Map(pairs)) = basis_node.map(|n| &n.kind) else {
            return;
        };
        let position_of = |basis: LegalBasis| -> Option<Pos> {
            pairs.iter().find_map(|(_, value)| {
                let nodes: Vec<&Node> = match &value.kind {
                    NodeKind::Seq(items) => items.iter().collect(),
                    _ => vec![value],
                };
                nodes.into_iter().find(|n| matches!(&n.kind, NodeKind::Scalar { text, .. } if text == basis.word())).map(|n| n.pos)
            })
        };
        let id = &purpose.id;
        if purpose.uses_basis(LegalBasis::Consent)
            && purpose.consent.is_none()
            && let Some(pos) = position_of(LegalBasis::Consent)
        {
            self.reader.push(
                    Diagnostic::error("consent-without-wording", pos, format!("purpose `{id}` rests on consent but has no consent wording"))
                        .with_help("add `consent: {wording: {en: \"...\", sv: \"...\"}}` with the text the subject agrees to (Art. 7(1): you must be able to show what was agreed)"),
                );
        }
        if purpose.uses_basis(LegalBasis::LegitimateInterest)
            && purpose.legitimate_interest.is_none()
            && let Some(pos) = position_of(LegalBasis::LegitimateInterest)
        {
            self.reader.push(
                    Diagnostic::error("legitimate-interest-without-balancing", pos, format!("purpose `{id}` rests on legitimate interest but has no balancing test"))
                        .with_help("add `legitimate_interest: {interest: ..., balancing: ...}` summarising why the interest is not overridden by the subject's rights (Art. 6(1)(f))"),
                );
        }
        for basis in [LegalBasis::LegalObligation, LegalBasis::PublicTask] {
            if purpose.uses_basis(basis)
                && purpose.law.is_none()
                && let Some(pos) = position_of(basis)
            {
                self.reader.push(
                        Diagnostic::error("obligation-without-law", pos, format!("purpose `{id}` rests on {} but names no law", basis.word()))
                            .with_help("add `law:` naming the statute, e.g. `law: Bokföringslagen (1999:1078)` (Art. 6(3))"),
                    );
                break;
            }
        }
    }

    fn legitimate_interest(&mut self, node: &Node) -> Option<LegitimateInterest> {
        let mut f = self.reader.fields(node, "legitimate_interest")?;
        let interest = self.opt_text(&mut f, "interest");
        let balancing = self.reader.required(&mut f, "balancing");
        let balancing = match balancing {
            Some(n) => self.text(n),
            None => None,
        };
        self.reader.finish(f);
        Some(LegitimateInterest {
            interest,
            balancing: balancing?,
        })
    }

    fn consent(&mut self, node: &Node) -> Option<ConsentTerms> {
        let mut f = self.reader.fields(node, "consent")?;
        let wording = self.req_text(&mut f, "wording");
        let given_by = f
            .get("given_by")
            .and_then(|n| self.reader.choice(n))
            .unwrap_or(ConsentGiver::Subject);
        self.reader.finish(f);
        Some(ConsentTerms {
            wording: wording?,
            given_by,
        })
    }

    // ---- retention -------------------------------------------------------------------------

    fn clock(&mut self, f: &mut Fields<'_>) -> Option<RetentionClock> {
        let after = f.get("after");
        let keep = f.get("keep");
        let while_ = f.get("while");
        let then = f.get("then");
        let round_up_to: Option<CalendarRounding> =
            f.get("round_up_to").and_then(|n| self.rounding(n));
        let help = "write `after: EVENT` with `keep: PERIOD` (e.g. `after: contract_end`, `keep: 24 months`), or `while: STATE` with `then: PERIOD`";
        let anchor_and_period = match (after, keep, while_, then) {
            (Some(after), Some(keep), None, None) => {
                let event = self.reference(after, Kind::Event);
                let period = self.period(keep);
                Some((Anchor::After(EventId(event?)), period?))
            }
            (None, None, Some(state), Some(then)) => {
                let state = self.reference(state, Kind::State);
                let period = self.period(then);
                Some((Anchor::While(StateId(state?)), period?))
            }
            (None, None, None, None) => {
                self.reader.push(
                    Diagnostic::error(
                        "invalid-clock",
                        f.pos,
                        format!("{} has no retention clock", f.what),
                    )
                    .with_help(help),
                );
                None
            }
            (Some(_), None, None, None) => {
                self.reader.push(
                    Diagnostic::error(
                        "missing-key",
                        f.pos,
                        format!("{} needs `keep` after `after`", f.what),
                    )
                    .with_help(help),
                );
                None
            }
            (None, None, Some(_), None) => {
                self.reader.push(
                    Diagnostic::error(
                        "missing-key",
                        f.pos,
                        format!("{} needs `then` after `while`", f.what),
                    )
                    .with_help(help),
                );
                None
            }
            _ => {
                self.reader.push(Diagnostic::error("invalid-clock", f.pos, format!("{} mixes the `after`/`keep` and `while`/`then` clocks, or has half of one", f.what)).with_help(help));
                None
            }
        };
        let (anchor, period) = anchor_and_period?;
        Some(RetentionClock {
            anchor,
            period,
            round_up_to,
        })
    }

    fn rounding(&mut self, node: &Node) -> Option<CalendarRounding> {
        let text = self.reader.string(node)?;
        match text.as_str() {
            "end_of_month" => Some(CalendarRounding::EndOfMonth),
            "end_of_year" => Some(CalendarRounding::EndOfYear),
            _ => {
                self.reader.push(
                    Diagnostic::error(
                        "invalid-value",
                        node.pos,
                        format!("`{text}` is not a rounding"),
                    )
                    .with_help("use `end_of_month` or `end_of_year`"),
                );
                None
            }
        }
    }

    fn retention_rule(&mut self, node: &Node) -> Option<RetentionRule> {
        let mut f = self.reader.fields(node, "a retention rule")?;
        let id = self.declare(&mut f, Kind::Rule);
        let category = self
            .reader
            .required(&mut f, "category")
            .and_then(|n| self.reference(n, Kind::Category));
        let purposes = self.opt_references(&mut f, "purposes", Kind::Purpose);
        let review = f.get("review");
        let criteria_node = f.get("criteria");
        let (action, clock, criteria) = match (review, criteria_node) {
            // Retention by criteria: no fixed period, a review every `review`.
            (Some(review), Some(criteria_node)) => {
                let criteria = self.text(criteria_node);
                let mixed = ["after", "keep", "while", "then", "action", "round_up_to"]
                    .into_iter()
                    .find(|key| f.get(key).is_some());
                if let Some(key) = mixed {
                    self.reader.push(
                        Diagnostic::error(
                            "invalid-clock",
                            f.pos,
                            format!("a retention rule with `criteria` and `review` has no `{key}`: it keeps the data while the criteria hold and flags it for review, it deletes nothing on a date"),
                        )
                        .with_help("remove `after`/`keep`/`while`/`then`/`action`, or remove `criteria` and `review` for a fixed period"),
                    );
                }
                let period = self.period(review);
                let clock = period.map(|period| RetentionClock {
                    anchor: Anchor::After(EventId(BuiltinEvent::Reviewed.word().to_owned())),
                    period,
                    round_up_to: None,
                });
                (RetentionAction::Review, clock, criteria)
            }
            (Some(node), None) | (None, Some(node)) => {
                let (has, lacks) = if review.is_some() {
                    ("review", "criteria")
                } else {
                    ("criteria", "review")
                };
                self.reader.push(
                    Diagnostic::error(
                        "missing-key",
                        node.pos,
                        format!("a retention rule with `{has}` needs `{lacks}` too"),
                    )
                    .with_help("retention by criteria says both what decides how long (`criteria: {en: as long as you are a customer, sv: ...}`) and how often it is reviewed (`review: 12 months`)"),
                );
                (RetentionAction::Review, None, None)
            }
            (None, None) => {
                let action = f
                    .get("action")
                    .and_then(|n| self.reader.choice(n))
                    .unwrap_or(RetentionAction::Delete);
                if action == RetentionAction::Review {
                    self.reader.push(
                        Diagnostic::error(
                            "invalid-clock",
                            f.pos,
                            "`action: review` is written as `criteria` with `review: PERIOD`",
                        )
                        .with_help("replace `after`/`keep`/`action: review` with `criteria: {en: ..., sv: ...}` and `review: 12 months`"),
                    );
                }
                (action, self.clock(&mut f), None)
            }
        };
        self.reader.finish(f);
        if let (Some(category), None) = (&category, &clock) {
            self.sites.categories_in_broken_rules.push(category.clone());
        }
        Some(RetentionRule {
            id: RuleId(id?),
            category: CategoryId(category?),
            purposes: purposes.into_iter().map(PurposeId).collect(),
            clock: clock?,
            action,
            criteria,
        })
    }

    fn legal_hold(&mut self, node: &Node) -> Option<LegalHold> {
        let mut f = self.reader.fields(node, "a legal hold")?;
        let id = self.declare(&mut f, Kind::Hold);
        let name = self.req_text(&mut f, "name");
        let law = self.proper_name(&mut f, "law");
        let purpose = self
            .reader
            .required(&mut f, "purpose")
            .and_then(|n| self.reference(n, Kind::Purpose));
        let categories = self
            .reader
            .required(&mut f, "categories")
            .map(|n| self.references(n, Kind::Category));
        let clock = self.clock(&mut f);
        self.reader.finish(f);
        Some(LegalHold {
            id: HoldId(id?),
            name: name?,
            law: law?,
            purpose: PurposeId(purpose?),
            categories: categories?.into_iter().map(CategoryId).collect(),
            clock: clock?,
        })
    }

    // ---- recipients ------------------------------------------------------------------------

    fn recipient(&mut self, node: &Node) -> Option<Recipient> {
        let mut f = self.reader.fields(node, "a recipient")?;
        let id = self.declare(&mut f, Kind::Recipient);
        let name = self.proper_name(&mut f, "name");
        let kind: Option<RecipientKind> = self
            .reader
            .required(&mut f, "kind")
            .and_then(|n| self.reader.choice(n));
        let country_node = f.get("country");
        let country = country_node.and_then(|n| self.country(n));
        let purposes = self.opt_references(&mut f, "purposes", Kind::Purpose);
        let categories = self.opt_references(&mut f, "categories", Kind::Category);
        let agreement = self.reader.opt_string(&mut f, "agreement");
        let transfer_node = f.get("transfer");
        let transfer = transfer_node.and_then(|n| self.transfer(n, country));
        let notify_node = f.get("notify");
        let notify = notify_node.and_then(|n| self.recipient_notify(n));
        let requires_decision = f
            .get("requires_decision")
            .and_then(|n| self.reader.boolean(n));
        let pos = f.pos;
        self.reader.finish(f);
        // A recipient of anonymous data only receives no personal data: no safeguard for a
        // transfer and no Art. 19 notices.
        let anonymous_only =
            !categories.is_empty() && categories.iter().all(|c| self.is_anonymous(c));

        if notify_node.is_none()
            && !anonymous_only
            && kind.is_some_and(RecipientKind::keeps_received_data)
        {
            let name = name.as_ref().map_or("this recipient", |n| n.en.as_str());
            self.reader.push(
                Diagnostic::warning(
                    "recipient-without-notify",
                    pos,
                    format!("{name} receives personal data but has no `notify` address: notices of rectification, erasure and restriction (Art. 19) to it will wait for manual handling"),
                )
                .with_help("add `notify: {email: privacy@partner.example}` with the recipient's privacy contact, or send the notices listed on each request by hand"),
            );
        }

        if country_node.is_none() && kind.is_some_and(|k| k != RecipientKind::Public) {
            self.reader.push(
                Diagnostic::error(
                    "missing-key",
                    pos,
                    "a recipient needs `country`: where it processes the data",
                )
                .with_help("add `country:` with an ISO 3166-1 code such as `SE` or `US`"),
            );
        }
        if let (Some(country), Some(country_node)) = (country, country_node) {
            if !country.in_eea() && transfer_node.is_none() && !anonymous_only {
                let name = name.as_ref().map_or("this recipient", |n| n.en.as_str());
                self.reader.push(
                    Diagnostic::error(
                        "transfer-without-mechanism",
                        country_node.pos,
                        format!("{name} is in {country}, outside the EU/EEA, but no transfer safeguard is given"),
                    )
                    .with_help("add `transfer: {mechanism: adequacy | eu_us_dpf | scc | bcr | derogation, documented_in: ...}` (GDPR Chapter V)"),
                );
            }
            if country.in_eea()
                && let Some(node) = transfer_node
            {
                self.reader.push(
                    Diagnostic::warning(
                        "transfer-not-needed",
                        node.pos,
                        format!("{country} is in the EU/EEA; no transfer safeguard is needed"),
                    )
                    .with_help("remove `transfer`, or correct `country`"),
                );
            }
        }
        Some(Recipient {
            id: RecipientId(id?),
            name: name?,
            kind: kind?,
            country,
            purposes: purposes.into_iter().map(PurposeId).collect(),
            categories: categories.into_iter().map(CategoryId).collect(),
            agreement,
            transfer,
            notify,
            requires_decision,
        })
    }

    /// `recipients[].notify`: where Art. 19 notices go.
    fn recipient_notify(&mut self, node: &Node) -> Option<RecipientNotify> {
        let mut f = self.reader.fields(node, "a recipient's `notify`")?;
        let email_node = self.reader.required(&mut f, "email");
        let email = email_node.and_then(|n| self.email(n));
        self.reader.finish(f);
        Some(RecipientNotify { email: email? })
    }

    fn transfer(&mut self, node: &Node, country: Option<Country>) -> Option<Transfer> {
        let mut f = self.reader.fields(node, "a transfer")?;
        let mechanism_node = self.reader.required(&mut f, "mechanism");
        let mechanism: Option<TransferMechanism> =
            mechanism_node.and_then(|n| self.reader.choice(n));
        let documented_in = self.reader.req_string(&mut f, "documented_in");
        let derogation_node = f.get("derogation");
        let derogation: Option<Derogation> = derogation_node.and_then(|n| self.reader.choice(n));
        let verified_at = f.get("verified_at").and_then(|n| self.date(n));
        let pos = f.pos;
        self.reader.finish(f);

        if let (Some(mechanism), Some(node), Some(country)) = (mechanism, mechanism_node, country) {
            let problem = match mechanism {
                TransferMechanism::Adequacy if country.code() == "US" => Some((
                    "the United States has no general adequacy decision".to_string(),
                    "for a US organisation certified under the EU-US Data Privacy Framework use `eu_us_dpf`; otherwise `scc`".to_string(),
                )),
                TransferMechanism::Adequacy if !country.has_adequacy_decision() && !country.in_eea() => Some((
                    format!("{country} has no adequacy decision from the European Commission"),
                    "use `scc`, `bcr` or a `derogation`, documented in `documented_in`".to_string(),
                )),
                TransferMechanism::EuUsDpf if country.code() != "US" => Some((
                    format!("the EU-US Data Privacy Framework covers only the United States, not {country}"),
                    "use `adequacy`, `scc`, `bcr` or a `derogation`".to_string(),
                )),
                _ => None,
            };
            if let Some((message, help)) = problem {
                self.reader.push(
                    Diagnostic::error("invalid-transfer-mechanism", node.pos, message)
                        .with_help(help),
                );
            }
        }
        match (mechanism, derogation_node) {
            (Some(TransferMechanism::Derogation), None) => self.reader.push(
                Diagnostic::error(
                    "missing-key",
                    pos,
                    "a transfer on a derogation needs `derogation`: which point of Art. 49(1)",
                )
                .with_help(format!(
                    "add `derogation:` with one of: {}",
                    Derogation::ALL
                        .iter()
                        .map(|(w, _)| *w)
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            ),
            (Some(m), Some(node)) if m != TransferMechanism::Derogation => self.reader.push(
                Diagnostic::error(
                    "invalid-value",
                    node.pos,
                    "`derogation` applies only to `mechanism: derogation`",
                )
                .with_help("remove `derogation`, or set `mechanism: derogation`"),
            ),
            _ => {}
        }
        Some(Transfer {
            mechanism: mechanism?,
            documented_in: documented_in?,
            derogation,
            verified_at,
        })
    }

    // ---- security, rights ------------------------------------------------------------------

    fn security_measure(&mut self, node: &Node) -> Option<SecurityMeasure> {
        let mut f = self.reader.fields(node, "a security measure")?;
        let id = self.declare(&mut f, Kind::Measure);
        let kind = self
            .reader
            .required(&mut f, "kind")
            .and_then(|n| self.reader.choice(n));
        let description = self.req_text(&mut f, "description");
        self.reader.finish(f);
        Some(SecurityMeasure {
            id: MeasureId(id?),
            kind: kind?,
            description: description?,
        })
    }

    fn rights(&mut self, node: &Node) -> Option<RightsPolicy> {
        let mut f = self.reader.fields(node, "the rights policy")?;
        let contact = self
            .reader
            .required(&mut f, "contact")
            .and_then(|n| self.contact(n));
        let response_node = self.reader.required(&mut f, "response_time");
        let response_time = response_node.and_then(|n| self.period(n));
        let extension_node = self.reader.required(&mut f, "extension");
        let extension = extension_node.and_then(|n| self.period(n));
        let copies = self
            .reader
            .required(&mut f, "copies")
            .and_then(|n| self.copies(n));
        let identity_verification = self
            .reader
            .required(&mut f, "identity_verification")
            .map(|n| self.reader.choices(n));
        let self_service = self.opt_text(&mut f, "self_service");
        let holidays_node = f.get("public_holidays");
        self.sites.rights = Some(node.pos);
        self.sites.public_holidays = holidays_node.map(|n| n.pos);
        let public_holidays = match holidays_node {
            Some(n) => self.public_holidays(n),
            None => Vec::new(),
        };
        self.reader.finish(f);
        if let (Some(period), Some(node)) = (response_time, response_node)
            && !period.fits_within_months(1)
        {
            self.reader
                .push(response_time_over_a_month(period, node.pos));
        }
        if let (Some(period), Some(node)) = (extension, extension_node)
            && !period.fits_within_months(2)
        {
            self.reader.push(
                    Diagnostic::error("rights-deadline", node.pos, format!("an extension of {period} can exceed the two further months Art. 12(3) allows"))
                        .with_help("write `2 months` (or a shorter period)"),
                );
        }
        Some(RightsPolicy {
            contact: contact?,
            response_time: response_time?,
            extension: extension?,
            copies: copies?,
            identity_verification: identity_verification?,
            public_holidays,
            self_service,
        })
    }

    /// `rights.public_holidays`: a list of dates, each either `2027-03-17` or
    /// `{date: 2027-03-17, name: St Patrick's Day}`; returned sorted, a date given twice kept
    /// once (and warned about).
    fn public_holidays(&mut self, node: &Node) -> Vec<PublicHoliday> {
        let mut read: Vec<(PublicHoliday, Pos)> = Vec::new();
        for item in self.reader.list(node, "public holidays") {
            let holiday = match &item.kind {
                NodeKind::Scalar { .. } => self
                    .date(item)
                    .map(|date| PublicHoliday { date, name: None }),
                NodeKind::Map(_) => self.public_holiday(item),
                NodeKind::Seq(_) => {
                    self.reader.push(
                        Diagnostic::error(
                            "wrong-type",
                            item.pos,
                            "expected a date or `{date: ..., name: ...}`, found a list",
                        )
                        .with_help("write one holiday per line: `- 2027-03-17` or `- {date: 2027-03-17, name: St Patrick's Day}`"),
                    );
                    None
                }
            };
            let Some(holiday) = holiday else { continue };
            if let Some((_, first)) = read.iter().find(|(h, _)| h.date == holiday.date) {
                let first = *first;
                self.reader.push(
                    Diagnostic::warning(
                        "duplicate-holiday",
                        item.pos,
                        format!(
                            "{} is listed twice (first on line {})",
                            holiday.date, first.line
                        ),
                    )
                    .with_help("remove one of them; a day off counts once"),
                );
                continue;
            }
            read.push((holiday, item.pos));
        }
        let mut holidays: Vec<PublicHoliday> = read.into_iter().map(|(h, _)| h).collect();
        holidays.sort_by_key(|h| h.date);
        holidays
    }

    fn public_holiday(&mut self, node: &Node) -> Option<PublicHoliday> {
        let mut f = self.reader.fields(node, "a public holiday")?;
        let date = self
            .reader
            .required(&mut f, "date")
            .and_then(|n| self.date(n));
        let name = self.reader.opt_string(&mut f, "name");
        self.reader.finish(f);
        Some(PublicHoliday { date: date?, name })
    }

    fn copies(&mut self, node: &Node) -> Option<CopiesPolicy> {
        let mut f = self.reader.fields(node, "the copies policy")?;
        let free_node = self.reader.required(&mut f, "free");
        let free = free_node.and_then(|n| self.count(n));
        let per = f.get("per").and_then(|n| self.period(n));
        let further = self
            .reader
            .required(&mut f, "further")
            .and_then(|n| self.reader.choice(n));
        self.reader.finish(f);
        if let (Some(0), Some(node)) = (free, free_node) {
            self.reader.push(
                Diagnostic::error(
                    "invalid-value",
                    node.pos,
                    "the first copy of a subject's data is always free (Art. 15(3))",
                )
                .with_help("write `free: 1` or more"),
            );
            return None;
        }
        Some(CopiesPolicy {
            free: free?,
            per,
            further: further?,
        })
    }

    // ---- changes to the notice -------------------------------------------------------------

    fn change_policy(&mut self, node: &Node) -> Option<ChangePolicy> {
        let mut f = self.reader.fields(node, "the change policy")?;
        let announce_node = self.reader.required(&mut f, "announce");
        let announce: Vec<ChangeChannel> = announce_node
            .map(|n| self.reader.choices(n))
            .unwrap_or_default();
        let notice_period = f.get("notice_period").and_then(|n| self.period(n));
        self.reader.finish(f);
        if let (true, Some(node)) = (announce.is_empty(), announce_node) {
            if matches!(node.kind, NodeKind::Seq(ref items) if items.is_empty()) {
                self.reader.push(
                    Diagnostic::error("invalid-value", node.pos, "no way to announce changes is given")
                        .with_help("list at least one of `email`, `website`, `in_app`, `social_media`, `post`, or remove `changes:`"),
                );
            }
            return None;
        }
        Some(ChangePolicy {
            announce,
            notice_period,
        })
    }

    // ---- browser signals -------------------------------------------------------------------

    /// `signals`: for `gpc` and `dnt`, a list of what the signal objects to; a signal left
    /// out keeps the default (direct marketing and sharing).
    fn signals(&mut self, node: &Node) -> Signals {
        let mut signals = Signals::default();
        let Some(mut f) = self.reader.fields(node, "signals") else {
            return signals;
        };
        if let Some(n) = f.get("gpc") {
            signals.gpc = self.signal_objection(n);
        }
        if let Some(n) = f.get("dnt") {
            signals.dnt = self.signal_objection(n);
        }
        self.reader.finish(f);
        signals
    }

    /// What one signal objects to: `direct_marketing`, `sharing` and purpose ids, in a list (an
    /// empty list: nothing, so the signal is not recorded).
    fn signal_objection(&mut self, node: &Node) -> SignalObjection {
        let mut objection = SignalObjection {
            direct_marketing: false,
            sharing: false,
            purposes: Vec::new(),
        };
        if !matches!(node.kind, NodeKind::Seq(_)) {
            self.reader.push(
                Diagnostic::error("invalid-value", node.pos, "a signal's rule is a list of what it objects to")
                    .with_help("write e.g. `gpc: [direct_marketing, sharing]`, add purpose ids to object to them too, or `[]` for nothing"),
            );
            return SignalObjection::marketing_and_sharing();
        }
        for item in self.reader.list(node, "what the signal objects to") {
            match &item.kind {
                NodeKind::Scalar { text, .. } if text == "direct_marketing" => {
                    objection.direct_marketing = true;
                }
                NodeKind::Scalar { text, .. } if text == "sharing" => objection.sharing = true,
                _ => {
                    if let Some(id) = self.reference(item, Kind::Purpose) {
                        objection.purposes.push(PurposeId(id));
                    }
                }
            }
        }
        objection
    }

    // ---- cookies, features -----------------------------------------------------------------

    fn cookies(&mut self, node: &Node) -> Option<Cookies> {
        let mut f = self.reader.fields(node, "cookies")?;
        let mut signals = HashMap::new();
        let categories = match f.get("categories") {
            Some(n) => self
                .reader
                .list(n, "cookie categories")
                .into_iter()
                .filter_map(|c| self.cookie_category(c, &mut signals))
                .collect(),
            None => Vec::new(),
        };
        let services = match f.get("services") {
            Some(n) => self
                .reader
                .list(n, "cookie services")
                .into_iter()
                .filter_map(|s| self.cookie_service(s))
                .collect(),
            None => Vec::new(),
        };
        let defaults = Cookies::default();
        let gpc = f
            .get("gpc")
            .and_then(|n| self.reader.choice(n))
            .unwrap_or(defaults.gpc);
        let dnt = f
            .get("dnt")
            .and_then(|n| self.reader.choice(n))
            .unwrap_or(defaults.dnt);
        self.reader.finish(f);
        Some(Cookies {
            none_used: services.is_empty(),
            categories,
            services,
            gpc,
            dnt,
        })
    }

    /// A banner category; `signals` holds the Consent Mode signals earlier categories named,
    /// with the category that named each, so a signal named twice is reported.
    fn cookie_category(
        &mut self,
        node: &Node,
        signals: &mut HashMap<ConsentModeSignal, String>,
    ) -> Option<CookieCategory> {
        let mut f = self.reader.fields(node, "a cookie category")?;
        let id = self.declare(&mut f, Kind::CookieCategory);
        let name = self.req_text(&mut f, "name");
        let description = self.opt_text(&mut f, "description");
        let required = self.reader.flag(&mut f, "required");
        let mut consent_mode = Vec::new();
        if let Some(list) = f.get("consent_mode") {
            let items = match list.kind {
                NodeKind::Scalar { .. } => vec![list],
                _ => self.reader.list(list, "Google Consent Mode signals"),
            };
            for item in items {
                let Some(signal) = self.reader.choice::<ConsentModeSignal>(item) else {
                    continue;
                };
                let owner = id.clone().unwrap_or_default();
                match signals.get(&signal) {
                    Some(first) => self.reader.push(
                        Diagnostic::error(
                            "consent-mode-twice",
                            item.pos,
                            format!(
                                "the Consent Mode signal `{}` is already named by the cookie category `{first}`",
                                signal.word()
                            ),
                        )
                        .with_help(
                            "name each signal in one category only: it is granted when that category is given",
                        ),
                    ),
                    None => {
                        signals.insert(signal, owner);
                        consent_mode.push(signal);
                    }
                }
            }
        }
        self.reader.finish(f);
        Some(CookieCategory {
            id: CookieCategoryId(id?),
            name: name?,
            description,
            required,
            consent_mode,
        })
    }

    fn cookie_service(&mut self, node: &Node) -> Option<CookieService> {
        let mut f = self.reader.fields(node, "a cookie service")?;
        let id = self.declare(&mut f, Kind::CookieService);
        let name = self.proper_name(&mut f, "name");
        let provider = self.reader.req_string(&mut f, "provider");
        let recipient = f
            .get("recipient")
            .and_then(|n| self.reference(n, Kind::Recipient));
        let category = self
            .reader
            .required(&mut f, "category")
            .and_then(|n| self.reference(n, Kind::CookieCategory));
        let kind = f
            .get("kind")
            .and_then(|n| self.reader.choice(n))
            .unwrap_or(TrackerKind::Cookie);
        let purpose = self.req_text(&mut f, "purpose");
        let cookies = match f.get("cookies") {
            Some(n) => self
                .reader
                .list(n, "cookies")
                .into_iter()
                .filter_map(|c| self.cookie(c))
                .collect(),
            None => Vec::new(),
        };
        let opt_out_url = self.reader.opt_string(&mut f, "opt_out_url");
        self.reader.finish(f);
        Some(CookieService {
            id: CookieServiceId(id?),
            name: name?,
            provider: provider?,
            recipient: recipient.map(RecipientId),
            category: CookieCategoryId(category?),
            kind,
            purpose: purpose?,
            cookies,
            opt_out_url,
        })
    }

    fn cookie(&mut self, node: &Node) -> Option<Cookie> {
        let mut f = self.reader.fields(node, "a cookie")?;
        let name = self.reader.req_string(&mut f, "name");
        let lifetime_node = self.reader.required(&mut f, "lifetime");
        self.reader.finish(f);
        let lifetime = match lifetime_node {
            Some(n) if matches!(&n.kind, NodeKind::Scalar { text, .. } if text.trim() == "session") => {
                Some(Lifetime::Session)
            }
            Some(n) => self.period(n).map(Lifetime::For),
            None => None,
        };
        Some(Cookie {
            name: name?,
            lifetime: lifetime?,
        })
    }

    fn feature(&mut self, node: &Node) -> Option<Feature> {
        let mut f = self.reader.fields(node, "a feature")?;
        let id = self.declare(&mut f, Kind::Feature);
        let name = self.req_text(&mut f, "name");
        let scopes = self
            .reader
            .required(&mut f, "scopes")
            .map(|n| self.reader.choices(n));
        self.reader.finish(f);
        Some(Feature {
            id: FeatureId(id?),
            name: name?,
            scopes: scopes?,
        })
    }

    // ---- security review -------------------------------------------------------------------

    /// `security_review: {every: 12 months}`: a cycle of at least a day and at most three
    /// years (an evaluation that rare is not "regular").
    fn security_review(&mut self, node: &Node) -> Option<SecurityReview> {
        let mut f = self.reader.fields(node, "the security review")?;
        let every_node = self.reader.required(&mut f, "every");
        let every = every_node.and_then(|n| self.period(n));
        self.reader.finish(f);
        let (every, pos) = (every?, every_node?.pos);
        if every.max_days() < 1 || every.max_days() > 3 * 366 {
            self.reader.push(
                Diagnostic::error(
                    "invalid-duration",
                    pos,
                    "a security review cycle must be between a day and three years".to_owned(),
                )
                .with_help("write how often the measures are evaluated, e.g. `every: 12 months`"),
            );
            return None;
        }
        Some(SecurityReview { every })
    }

    // ---- roles -----------------------------------------------------------------------------

    fn role(&mut self, node: &Node) -> Option<JobRole> {
        let mut f = self.reader.fields(node, "a role")?;
        let id = self.declare(&mut f, Kind::Role);
        let name = self.req_text(&mut f, "name");
        let pos = f.get("purposes").map_or(f.pos, |n| n.pos);
        let purposes = self
            .reader
            .required(&mut f, "purposes")
            .map(|n| self.references(n, Kind::Purpose));
        self.reader.finish(f);
        let purposes = purposes?;
        if purposes.is_empty() {
            self.reader.push(
                Diagnostic::error(
                    "role-without-purpose",
                    pos,
                    "a role with no purpose could never be given any data".to_owned(),
                )
                .with_help("list the purposes whose data the role needs, e.g. `purposes: [support]`, or remove the role"),
            );
            return None;
        }
        Some(JobRole {
            id: RoleId(id?),
            name: name?,
            purposes: purposes.into_iter().map(PurposeId).collect(),
        })
    }
}
