//! What changed between two versions of a register, and which changes are significant: the
//! ones people must be told about before they take effect (a new purpose, recipient, transfer or
//! data category, a changed legal basis or consent wording, a longer retention).
//!
//! Entries are matched by id. Fields the notice or the record shows are compared one by one;
//! the result is structured so that the server can mark consents given under an old wording as
//! needing renewal and queue notice-of-change messages.

use std::collections::BTreeMap;

use jiff::civil::Date;
use serde::Serialize;
use serde_json::Value;
use skydd_register::Register;
use skydd_register::model::{Anchor, CategoryId, LegalBasis, PurposeId, RetentionClock, Role};

/// Added, removed or changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// In the new register only.
    Added,
    /// In the old register only.
    Removed,
    /// In both, with a different value.
    Changed,
}

impl ChangeKind {
    fn word(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
            ChangeKind::Changed => "changed",
        }
    }
}

/// Why a change is significant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Significance {
    /// A new processing purpose.
    NewPurpose,
    /// A new recipient, or a recipient receiving data for a new purpose.
    NewRecipient,
    /// A new transfer outside the EU/EEA.
    NewTransfer,
    /// A new data category, a new field, or a purpose using a category it did not use.
    NewDataCategory,
    /// A different legal basis for a category.
    ChangedLegalBasis,
    /// A different consent wording: consents given under the old one need renewal.
    ChangedConsentWording,
    /// Data kept longer (or possibly longer: a different anchor, a new rule).
    LongerRetention,
    /// Profiling, automated decisions, direct marketing or a marketing channel newly used.
    NewKindOfProcessing,
    /// A new tracker that needs consent.
    NewTracker,
    /// A different controller.
    NewController,
}

impl Significance {
    /// In words, for the text report.
    pub fn describe(self) -> &'static str {
        match self {
            Significance::NewPurpose => "new purpose",
            Significance::NewRecipient => "new recipient",
            Significance::NewTransfer => "new transfer outside the EU/EEA",
            Significance::NewDataCategory => "new data category",
            Significance::ChangedLegalBasis => "changed legal basis",
            Significance::ChangedConsentWording => "changed consent wording",
            Significance::LongerRetention => "longer retention",
            Significance::NewKindOfProcessing => "new kind of processing",
            Significance::NewTracker => "new tracker",
            Significance::NewController => "new controller",
        }
    }
}

/// One change between two registers: where, what kind, the old and new value, and whether it is
/// significant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The register section (`purposes`, `recipients`, `controller` ...).
    pub section: &'static str,
    /// The entry's id, for sections that are lists.
    pub id: Option<String>,
    /// Added, removed or changed.
    pub kind: ChangeKind,
    /// The changed key, for a change inside an entry (`legal_basis.user_data`).
    pub field: Option<String>,
    /// The old value, for a change (compact JSON for structured values).
    pub old: Option<String>,
    /// The new value, for a change.
    pub new: Option<String>,
    /// Why the change is significant; `None`: not significant.
    pub significance: Option<Significance>,
}

impl Change {
    /// Whether people must be told about the change.
    pub fn is_significant(&self) -> bool {
        self.significance.is_some()
    }
}

/// What happened to one purpose, for the consent ledger and notice-of-change messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PurposeChange {
    /// The purpose's id, in whichever register has it.
    pub id: PurposeId,
    /// Added, removed or changed.
    pub kind: ChangeKind,
    /// Whether its consent wording changed (consents given under the old one need renewal).
    pub consent_wording_changed: bool,
    /// Whether any of its changes is significant.
    pub significant: bool,
}

/// Every change from one register to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegisterDiff {
    /// Digest of the old register.
    pub old_digest: String,
    /// Digest of the new register.
    pub new_digest: String,
    /// `published` of the old register.
    #[serde(serialize_with = "serialize_date")]
    pub old_published: Date,
    /// `published` of the new register.
    #[serde(serialize_with = "serialize_date")]
    pub new_published: Date,
    /// Every change, in register order.
    pub changes: Vec<Change>,
    /// The purposes that were added, removed or changed.
    pub purposes: Vec<PurposeChange>,
}

fn serialize_date<S: serde::Serializer>(date: &Date, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(date)
}

impl RegisterDiff {
    /// The diff as JSON (for `skydd register diff --format json`).
    pub fn to_json(&self) -> Value {
        // Plain strings, booleans and vectors always serialise.
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// Whether anything changed.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// Whether the content changed while the `published` date did not: the notice would show a
    /// new version under the old "last updated" date (P000-68).
    pub fn published_unchanged(&self) -> bool {
        !self.changes.is_empty() && self.old_published == self.new_published
    }

    /// Whether any change is significant.
    pub fn is_significant(&self) -> bool {
        self.changes.iter().any(Change::is_significant)
    }

    /// The significant changes.
    pub fn significant(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| c.is_significant())
    }

    /// Purposes whose consent wording changed: consents given under the old wording need
    /// renewal.
    pub fn consent_renewal_needed(&self) -> impl Iterator<Item = &PurposeId> {
        self.purposes
            .iter()
            .filter(|p| p.consent_wording_changed)
            .map(|p| &p.id)
    }

    /// A report for people: one line per change, significant ones marked with `!` and their
    /// reason, then a summary.
    pub fn render_text(&self, old_name: &str, new_name: &str) -> String {
        let mut out = format!(
            "{old_name} (version {}, published {}) -> {new_name} (version {}, published {})\n",
            short(&self.old_digest),
            self.old_published,
            short(&self.new_digest),
            self.new_published
        );
        for change in &self.changes {
            let mark = if change.is_significant() { "!" } else { " " };
            let mut line = format!("{mark} {}", change.section);
            if let Some(id) = &change.id {
                line.push_str(&format!(" `{id}`"));
            }
            line.push_str(&format!(": {}", change.kind.word()));
            if let Some(field) = &change.field {
                line.push_str(&format!(" {field}"));
            }
            match (&change.old, &change.new) {
                (Some(old), Some(new)) => line.push_str(&format!(": {old} -> {new}")),
                (None, Some(new)) => line.push_str(&format!(": {new}")),
                (Some(old), None) => line.push_str(&format!(": {old}")),
                (None, None) => {}
            }
            if let Some(significance) = change.significance {
                line.push_str(&format!("  [significant: {}]", significance.describe()));
            }
            out.push_str(&line);
            out.push('\n');
        }
        let renew: Vec<String> = self
            .consent_renewal_needed()
            .map(|id| format!("`{id}`"))
            .collect();
        if !renew.is_empty() {
            out.push_str(&format!(
                "consents to renew (wording changed): {}\n",
                renew.join(", ")
            ));
        }
        if self.published_unchanged() {
            out.push_str(&format!(
                "note: the content changed but `published` is still {}; set it to the date the new version takes effect (the notice's \"last updated\")\n",
                self.new_published
            ));
        }
        let significant = self.significant().count();
        out.push_str(&match self.changes.len() {
            0 => "no changes\n".to_owned(),
            n => format!(
                "{n} change{}, {significant} significant\n",
                if n == 1 { "" } else { "s" }
            ),
        });
        out
    }
}

fn short(digest: &str) -> String {
    digest.chars().take(12).collect()
}

/// Compare two registers.
pub fn diff(old: &Register, new: &Register) -> RegisterDiff {
    let mut d = Differ::default();
    let (o, n) = (old.to_json(), new.to_json());
    for key in [
        "published",
        "languages",
        "controller",
        "representative",
        "dpo",
        "authority",
        "scope",
    ] {
        d.fields(key, None, &o[key], &n[key], |_, _, _| None);
    }
    if old.controller.name != new.controller.name
        && let Some(change) = d
            .changes
            .iter_mut()
            .find(|c| c.section == "controller" && c.field.as_deref() == Some("name"))
    {
        change.significance = Some(Significance::NewController);
    }
    d.list("subjects", &o, &n, |_| None, |_, _, _| None);
    d.list("sources", &o, &n, |_| None, |_, _, _| None);
    d.list(
        "data",
        &o,
        &n,
        |entry| {
            (entry["personal_data"] == Value::Bool(true)).then_some(Significance::NewDataCategory)
        },
        |field, old, new| match field {
            "fields" if added_items(old, new) => Some(Significance::NewDataCategory),
            "special_category" if !new.is_null() => Some(Significance::NewDataCategory),
            "personal_data" if new == &Value::Bool(true) => Some(Significance::NewDataCategory),
            _ => None,
        },
    );
    d.list("events", &o, &n, |_| None, |_, _, _| None);
    d.list("states", &o, &n, |_| None, |_, _, _| None);
    purposes(&mut d, old, new, &o, &n);
    retention(&mut d, old, new);
    d.list(
        "recipients",
        &o,
        &n,
        |entry| {
            Some(
                if entry["transfer"].is_null() || !outside_eea(&entry["country"]) {
                    Significance::NewRecipient
                } else {
                    Significance::NewTransfer
                },
            )
        },
        |field, old, new| match field {
            "transfer" if old.is_null() && !new.is_null() => Some(Significance::NewTransfer),
            "country" if outside_eea(new) => Some(Significance::NewTransfer),
            "purposes" if added_items(old, new) => Some(Significance::NewRecipient),
            "categories"
                if added_items(old, new)
                    || (new.as_array().is_some_and(Vec::is_empty)
                        && !old.as_array().is_some_and(Vec::is_empty)) =>
            {
                Some(Significance::NewDataCategory)
            }
            _ => None,
        },
    );
    d.list("security", &o, &n, |_| None, |_, _, _| None);
    d.fields("rights", None, &o["rights"], &n["rights"], |_, _, _| None);
    let required_categories: Vec<&str> = new
        .cookies
        .categories
        .iter()
        .filter(|c| c.required)
        .map(|c| c.id.as_str())
        .collect();
    d.list_at(
        "cookies.categories",
        &o["cookies"]["categories"],
        &n["cookies"]["categories"],
        |_| None,
        |_, _, _| None,
    );
    d.list_at(
        "cookies.services",
        &o["cookies"]["services"],
        &n["cookies"]["services"],
        |entry| {
            let category = entry["category"].as_str().unwrap_or_default();
            (!required_categories.contains(&category)).then_some(Significance::NewTracker)
        },
        |_, _, _| None,
    );
    d.list("features", &o, &n, |_| None, |_, _, _| None);
    d.fields("changes", None, &o["changes"], &n["changes"], |_, _, _| {
        None
    });
    RegisterDiff {
        old_digest: old.digest(),
        new_digest: new.digest(),
        old_published: old.published,
        new_published: new.published,
        changes: d.changes,
        purposes: d.purposes,
    }
}

/// Whether a country code (as JSON) names a third country.
fn outside_eea(code: &Value) -> bool {
    code.as_str()
        .and_then(|c| skydd_register::country::Country::parse(c).ok())
        .is_some_and(|c| !c.in_eea())
}

/// Whether the array `new` holds an item `old` does not.
fn added_items(old: &Value, new: &Value) -> bool {
    let old = old.as_array().map(Vec::as_slice).unwrap_or_default();
    new.as_array()
        .is_some_and(|items| items.iter().any(|item| !old.contains(item)))
}

/// A value as shown in a change: strings as they are, a text in English (the Swedish follows
/// in brackets when only it changed, so that the change stays visible), other values as
/// compact JSON.
fn show(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Object(map) if is_text(map) => {
            let en = map.get("en").and_then(Value::as_str).unwrap_or_default();
            match map.get("sv").and_then(Value::as_str) {
                Some(sv) => Some(format!("{en} [sv: {sv}]")),
                None => Some(en.to_owned()),
            }
        }
        other => Some(other.to_string()),
    }
}

/// Whether a JSON object is a register text (`{en}` or `{en, sv}`).
fn is_text(map: &serde_json::Map<String, Value>) -> bool {
    map.contains_key("en") && map.keys().all(|k| k == "en" || k == "sv")
}

type Judge<'a> = dyn Fn(&str, &Value, &Value) -> Option<Significance> + 'a;

#[derive(Default)]
struct Differ {
    changes: Vec<Change>,
    purposes: Vec<PurposeChange>,
}

impl Differ {
    /// Changes of the keys of one map (or of a plain value).
    fn fields(
        &mut self,
        section: &'static str,
        id: Option<&str>,
        old: &Value,
        new: &Value,
        judge: impl Fn(&str, &Value, &Value) -> Option<Significance>,
    ) {
        self.fields_dyn(section, id, old, new, &judge);
    }

    fn fields_dyn(
        &mut self,
        section: &'static str,
        id: Option<&str>,
        old: &Value,
        new: &Value,
        judge: &Judge<'_>,
    ) {
        if old == new {
            return;
        }
        let (Value::Object(o), Value::Object(n)) = (old, new) else {
            let kind = match (old.is_null(), new.is_null()) {
                (true, _) => ChangeKind::Added,
                (_, true) => ChangeKind::Removed,
                _ => ChangeKind::Changed,
            };
            self.changes.push(Change {
                section,
                id: id.map(str::to_owned),
                kind,
                field: None,
                old: show(old),
                new: show(new),
                significance: judge("", old, new),
            });
            return;
        };
        let mut keys: Vec<&String> = o.keys().collect();
        keys.extend(n.keys().filter(|k| !o.contains_key(*k)));
        for key in keys {
            let (ov, nv) = (
                o.get(key).unwrap_or(&Value::Null),
                n.get(key).unwrap_or(&Value::Null),
            );
            if ov == nv {
                continue;
            }
            self.changes.push(Change {
                section,
                id: id.map(str::to_owned),
                kind: ChangeKind::Changed,
                field: Some(key.clone()),
                old: show(ov),
                new: show(nv),
                significance: judge(key, ov, nv),
            });
        }
    }

    /// Changes of a top-level list of entries with ids.
    fn list(
        &mut self,
        section: &'static str,
        old: &Value,
        new: &Value,
        on_added: impl Fn(&Value) -> Option<Significance>,
        judge: impl Fn(&str, &Value, &Value) -> Option<Significance>,
    ) {
        self.list_at(section, &old[section], &new[section], on_added, judge);
    }

    fn list_at(
        &mut self,
        section: &'static str,
        old: &Value,
        new: &Value,
        on_added: impl Fn(&Value) -> Option<Significance>,
        judge: impl Fn(&str, &Value, &Value) -> Option<Significance>,
    ) {
        let empty = Vec::new();
        let old_items = old.as_array().unwrap_or(&empty);
        let new_items = new.as_array().unwrap_or(&empty);
        let id_of = |v: &Value| v["id"].as_str().unwrap_or_default().to_owned();
        let old_by_id: BTreeMap<String, &Value> = old_items.iter().map(|v| (id_of(v), v)).collect();
        let new_ids: Vec<String> = new_items.iter().map(id_of).collect();
        for item in old_items {
            let id = id_of(item);
            if !new_ids.contains(&id) {
                self.changes.push(Change {
                    section,
                    id: Some(id),
                    kind: ChangeKind::Removed,
                    field: None,
                    old: show(&item["name"]),
                    new: None,
                    significance: None,
                });
            }
        }
        for item in new_items {
            let id = id_of(item);
            match old_by_id.get(&id) {
                None => self.changes.push(Change {
                    section,
                    id: Some(id),
                    kind: ChangeKind::Added,
                    field: None,
                    old: None,
                    new: show(&item["name"]),
                    significance: on_added(item),
                }),
                Some(old_item) => self.fields_dyn(section, Some(&id), old_item, item, &judge),
            }
        }
    }
}

fn purposes(d: &mut Differ, old: &Register, new: &Register, o: &Value, n: &Value) {
    let before = d.changes.len();
    d.list(
        "purposes",
        o,
        n,
        |entry| (entry["role"] == "controller").then_some(Significance::NewPurpose),
        |field, old, new| match field {
            "recipients" if added_items(old, new) => Some(Significance::NewRecipient),
            "categories" if added_items(old, new) => Some(Significance::NewDataCategory),
            "direct_marketing" | "profiling" | "automated_decision"
                if new == &Value::Bool(true) =>
            {
                Some(Significance::NewKindOfProcessing)
            }
            "channels" if added_items(old, new) => Some(Significance::NewKindOfProcessing),
            _ => None,
        },
    );
    // The generic comparison reports `legal_basis` and `consent` as whole values; replace them
    // with one change per category and a precise consent-wording change.
    let mut generic: Vec<Change> = d.changes.split_off(before);
    generic.retain(|c| !matches!(c.field.as_deref(), Some("legal_basis" | "consent")));
    for purpose in &new.purposes {
        let Some(previous) = old.purpose(&purpose.id) else {
            continue;
        };
        let old_bases: BTreeMap<&CategoryId, &[LegalBasis]> = previous
            .legal_basis
            .iter()
            .map(|b| (&b.category, b.bases.as_slice()))
            .collect();
        for basis in &purpose.legal_basis {
            let words = |bases: &[LegalBasis]| {
                bases
                    .iter()
                    .map(|b| skydd_register::model::Choice::word(*b))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            match old_bases.get(&basis.category) {
                None => generic.push(Change {
                    section: "purposes",
                    id: Some(purpose.id.to_string()),
                    kind: ChangeKind::Changed,
                    field: Some(format!("legal_basis.{}", basis.category)),
                    old: None,
                    new: Some(words(&basis.bases)),
                    significance: Some(Significance::NewDataCategory),
                }),
                Some(bases) if *bases != basis.bases.as_slice() => generic.push(Change {
                    section: "purposes",
                    id: Some(purpose.id.to_string()),
                    kind: ChangeKind::Changed,
                    field: Some(format!("legal_basis.{}", basis.category)),
                    old: Some(words(bases)),
                    new: Some(words(&basis.bases)),
                    significance: Some(Significance::ChangedLegalBasis),
                }),
                Some(_) => {}
            }
        }
        for basis in &previous.legal_basis {
            if purpose.bases_for(&basis.category).is_none() {
                generic.push(Change {
                    section: "purposes",
                    id: Some(purpose.id.to_string()),
                    kind: ChangeKind::Changed,
                    field: Some(format!("legal_basis.{}", basis.category)),
                    old: Some(
                        basis
                            .bases
                            .iter()
                            .map(|b| skydd_register::model::Choice::word(*b))
                            .collect::<Vec<_>>()
                            .join(", "),
                    ),
                    new: None,
                    significance: None,
                });
            }
        }
        let old_wording = previous.consent.as_ref().map(|c| &c.wording);
        let new_wording = purpose.consent.as_ref().map(|c| &c.wording);
        if old_wording != new_wording {
            generic.push(Change {
                section: "purposes",
                id: Some(purpose.id.to_string()),
                kind: ChangeKind::Changed,
                field: Some("consent.wording".to_owned()),
                old: old_wording.map(|t| t.en.clone()),
                new: new_wording.map(|t| t.en.clone()),
                significance: new_wording.map(|_| Significance::ChangedConsentWording),
            });
        }
        let old_giver = previous.consent.as_ref().map(|c| c.given_by);
        let new_giver = purpose.consent.as_ref().map(|c| c.given_by);
        if let (Some(was), Some(is)) = (old_giver, new_giver)
            && was != is
        {
            generic.push(Change {
                section: "purposes",
                id: Some(purpose.id.to_string()),
                kind: ChangeKind::Changed,
                field: Some("consent.given_by".to_owned()),
                old: Some(skydd_register::model::Choice::word(was).to_owned()),
                new: Some(skydd_register::model::Choice::word(is).to_owned()),
                significance: None,
            });
        }
    }
    // Keep the purposes' changes in register order: by position in the new (then old) register.
    let position = |id: &Option<String>| {
        let id = id.as_deref().unwrap_or_default();
        new.purposes
            .iter()
            .position(|p| p.id.as_str() == id)
            .unwrap_or(usize::MAX)
    };
    generic.sort_by_key(|c| position(&c.id));
    for purpose_id in old
        .purposes
        .iter()
        .map(|p| &p.id)
        .chain(new.purposes.iter().map(|p| &p.id))
    {
        if d.purposes.iter().any(|p| &p.id == purpose_id) {
            continue;
        }
        let changes: Vec<&Change> = generic
            .iter()
            .filter(|c| c.id.as_deref() == Some(purpose_id.as_str()))
            .collect();
        let Some(first) = changes.first() else {
            continue;
        };
        let kind = match first.kind {
            ChangeKind::Added | ChangeKind::Removed if first.field.is_none() => first.kind,
            _ => ChangeKind::Changed,
        };
        d.purposes.push(PurposeChange {
            id: purpose_id.clone(),
            kind,
            consent_wording_changed: changes
                .iter()
                .any(|c| c.field.as_deref() == Some("consent.wording") && c.new.is_some()),
            significant: changes.iter().any(|c| c.is_significant())
                || (kind == ChangeKind::Added
                    && new
                        .purpose(purpose_id)
                        .is_some_and(|p| p.role == Role::Controller)),
        });
    }
    d.changes.extend(generic);
}

/// Reference anchor dates to compare clocks at: month ends, a leap day, mid-month.
const REFERENCE_DATES: [(i16, i8, i8); 5] = [
    (2001, 1, 31),
    (2003, 6, 15),
    (2004, 2, 29),
    (2004, 12, 31),
    (2010, 7, 1),
];

/// Whether `new` keeps data longer than `old` from the same anchor on some date, or may
/// (a different anchor cannot be compared, so it counts as possibly longer).
fn longer(old: &RetentionClock, new: &RetentionClock) -> bool {
    if !same_anchor(&old.anchor, &new.anchor) {
        return true;
    }
    REFERENCE_DATES.iter().any(|(y, m, d)| {
        let date = jiff::civil::date(*y, *m, *d);
        match (old.expires_on(date), new.expires_on(date)) {
            (Some(o), Some(n)) => n > o,
            (Some(_), None) => true,
            _ => false,
        }
    })
}

fn same_anchor(a: &Anchor, b: &Anchor) -> bool {
    a == b
}

fn retention(d: &mut Differ, old: &Register, new: &Register) {
    let describe = |clock: &RetentionClock| -> String {
        let anchor = match &clock.anchor {
            Anchor::After(event) => format!("after {event}"),
            Anchor::While(state) => format!("while {state} then"),
        };
        let rounding = match clock.round_up_to {
            Some(skydd_register::period::CalendarRounding::EndOfMonth) => ", to end of month",
            Some(skydd_register::period::CalendarRounding::EndOfYear) => ", to end of year",
            None => "",
        };
        format!("{} {anchor}{rounding}", clock.period)
    };
    for rule in &old.retention {
        if !new.retention.iter().any(|r| r.id == rule.id) {
            d.changes.push(Change {
                section: "retention",
                id: Some(rule.id.to_string()),
                kind: ChangeKind::Removed,
                field: None,
                old: Some(describe(&rule.clock)),
                new: None,
                significance: None,
            });
        }
    }
    for rule in &new.retention {
        let id = Some(rule.id.to_string());
        match old.retention.iter().find(|r| r.id == rule.id) {
            None => {
                // A new rule may keep a category longer than every rule it had.
                let covered = old
                    .retention
                    .iter()
                    .filter(|r| r.category == rule.category)
                    .any(|r| !longer(&r.clock, &rule.clock));
                let existed = old.category(&rule.category).is_some();
                d.changes.push(Change {
                    section: "retention",
                    id,
                    kind: ChangeKind::Added,
                    field: None,
                    old: None,
                    new: Some(format!("{}: {}", rule.category, describe(&rule.clock))),
                    significance: (existed && !covered).then_some(Significance::LongerRetention),
                });
            }
            Some(previous) => {
                if previous.clock != rule.clock {
                    d.changes.push(Change {
                        section: "retention",
                        id: id.clone(),
                        kind: ChangeKind::Changed,
                        field: Some("clock".to_owned()),
                        old: Some(describe(&previous.clock)),
                        new: Some(describe(&rule.clock)),
                        significance: longer(&previous.clock, &rule.clock)
                            .then_some(Significance::LongerRetention),
                    });
                }
                let (o, n) = (
                    serde_json::to_value(previous).unwrap_or_default(),
                    serde_json::to_value(rule).unwrap_or_default(),
                );
                let mut o = o;
                let mut n = n;
                for value in [&mut o, &mut n] {
                    if let Value::Object(map) = value {
                        map.remove("clock");
                    }
                }
                d.fields_dyn(
                    "retention",
                    Some(rule.id.as_str()),
                    &o,
                    &n,
                    &|field, old, new| {
                        match field {
                            // Widening a rule to every purpose, or to more purposes, keeps more.
                            "purposes" if added_items(old, new) => {
                                Some(Significance::LongerRetention)
                            }
                            "category" => Some(Significance::LongerRetention),
                            // From a fixed period to "kept by criteria": no end date any more.
                            "action" if new.as_str() == Some("review") => {
                                Some(Significance::LongerRetention)
                            }
                            _ => None,
                        }
                    },
                );
            }
        }
    }
    for hold in &old.legal_holds {
        if !new.legal_holds.iter().any(|h| h.id == hold.id) {
            d.changes.push(Change {
                section: "legal_holds",
                id: Some(hold.id.to_string()),
                kind: ChangeKind::Removed,
                field: None,
                old: Some(describe(&hold.clock)),
                new: None,
                significance: None,
            });
        }
    }
    for hold in &new.legal_holds {
        let id = Some(hold.id.to_string());
        match old.legal_holds.iter().find(|h| h.id == hold.id) {
            None => d.changes.push(Change {
                section: "legal_holds",
                id,
                kind: ChangeKind::Added,
                field: None,
                old: None,
                new: Some(describe(&hold.clock)),
                significance: Some(Significance::LongerRetention),
            }),
            Some(previous) => {
                if previous.clock != hold.clock {
                    d.changes.push(Change {
                        section: "legal_holds",
                        id: id.clone(),
                        kind: ChangeKind::Changed,
                        field: Some("clock".to_owned()),
                        old: Some(describe(&previous.clock)),
                        new: Some(describe(&hold.clock)),
                        significance: longer(&previous.clock, &hold.clock)
                            .then_some(Significance::LongerRetention),
                    });
                }
                let mut o = serde_json::to_value(previous).unwrap_or_default();
                let mut n = serde_json::to_value(hold).unwrap_or_default();
                for value in [&mut o, &mut n] {
                    if let Value::Object(map) = value {
                        map.remove("clock");
                    }
                }
                d.fields_dyn(
                    "legal_holds",
                    Some(hold.id.as_str()),
                    &o,
                    &n,
                    &|field, old, new| {
                        (field == "categories" && added_items(old, new))
                            .then_some(Significance::LongerRetention)
                    },
                );
            }
        }
    }
}
