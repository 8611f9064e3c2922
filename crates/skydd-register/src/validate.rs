//! Checks across sections: references resolve, every personal data category has a retention
//! rule under every purpose that uses it, holds and rules fit their purposes, nothing is declared
//! for nothing.

use std::collections::HashSet;

use crate::decode::{Kind, Partial, Sites};
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::model::{MeasureKind, Role};

/// Run every cross-check, appending to `out`.
pub(crate) fn validate(partial: &Partial, sites: &Sites, out: &mut Vec<Diagnostic>) {
    references(sites, out);
    retention_coverage(partial, sites, out);
    rules_fit_purposes(partial, sites, out);
    holds_fit_purposes(partial, sites, out);
    security_kinds(partial, sites, out);
    unused(partial, sites, out);
    holiday_calendar(partial, sites, out);
}

/// The controller's public holidays, which request deadlines skip: built in for Sweden, listed
/// under `rights.public_holidays` for any other country.
fn holiday_calendar(partial: &Partial, sites: &Sites, out: &mut Vec<Diagnostic>) {
    let (Some(controller), Some(rights)) = (&partial.controller, &partial.rights) else {
        return; // reported where they are missing or broken
    };
    let country = controller.address.country;
    let listed = &rights.public_holidays;
    if country.has_built_in_holiday_calendar() {
        if let Some(pos) = sites.public_holidays {
            out.push(
                Diagnostic::warning(
                    "holidays-built-in",
                    pos,
                    format!("the public holidays of {country} are built in (moveable feasts included); the dates listed here are not used"),
                )
                .with_help("remove `public_holidays`: a listed day that is not a public holiday in law would make request deadlines later than the law allows"),
            );
        }
        return;
    }
    if listed.is_empty() {
        let pos = sites.public_holidays.or(sites.rights).unwrap_or_default();
        out.push(
            Diagnostic::warning(
                "holidays-missing",
                pos,
                format!("{country} has no built-in holiday calendar and `rights.public_holidays` lists no dates: request deadlines will skip only Saturdays and Sundays"),
            )
            .with_help(format!("list the public holidays of {country} under `rights.public_holidays`, one per line (`- 2027-03-17` or `- {{date: 2027-03-17, name: St Patrick's Day}}`), for every year requests may fall in")),
        );
        return;
    }
    let Some(published) = partial.published else {
        return;
    };
    let missing: Vec<String> = [published.year(), published.year().saturating_add(1)]
        .into_iter()
        .filter(|year| !listed.iter().any(|h| h.date.year() == *year))
        .map(|year| year.to_string())
        .collect();
    if !missing.is_empty() {
        let pos = sites.public_holidays.unwrap_or_default();
        let years = missing.join(" and ");
        out.push(
            Diagnostic::warning(
                "holidays-year-missing",
                pos,
                format!("`public_holidays` lists no date in {years}: deadlines that end then will skip only Saturdays and Sundays (the register is published {published})"),
            )
            .with_help(format!("add the public holidays of {country} for {years}")),
        );
    }
}

fn references(sites: &Sites, out: &mut Vec<Diagnostic>) {
    for reference in &sites.references {
        if sites.is_declared(reference.kind, &reference.id) {
            continue;
        }
        let declared = sites.declared.get(&reference.kind);
        let candidates = declared.into_iter().flatten().map(|(id, _)| id.as_str());
        let help = match did_you_mean(&reference.id, candidates) {
            Some(close) => format!("did you mean `{close}`?"),
            None => format!(
                "declare it under `{}`, or use one that is declared there",
                reference.kind.section()
            ),
        };
        out.push(
            Diagnostic::error(
                "unknown-reference",
                reference.pos,
                format!("unknown {} `{}`", reference.kind.describe(), reference.id),
            )
            .with_help(help),
        );
    }
}

/// Every (purpose, personal data category) pair needs a rule for the category that is either
/// general or narrowed to that purpose; a category no purpose uses still needs one.
fn retention_coverage(partial: &Partial, sites: &Sites, out: &mut Vec<Diagnostic>) {
    for category in partial.data.iter().filter(|c| c.personal_data) {
        let rules: Vec<_> = partial
            .retention
            .iter()
            .filter(|r| r.category == category.id)
            .collect();
        if rules.is_empty() {
            if sites.categories_in_broken_rules.contains(&category.id.0) {
                continue; // its rule is broken and already reported
            }
            let pos = sites
                .position(Kind::Category, category.id.as_str())
                .unwrap_or_default();
            out.push(
                Diagnostic::error(
                    "missing-retention",
                    pos,
                    format!("data category `{}` has no retention rule", category.id),
                )
                .with_help(format!(
                    "add a rule under `retention:`, e.g. `- {{id: {0}, category: {0}, after: collected_at, keep: 12 months}}`: every promise to delete needs a number",
                    category.id
                )),
            );
            continue;
        }
        if rules.iter().any(|r| r.purposes.is_empty()) {
            continue;
        }
        for purpose in &partial.purposes {
            if purpose.role == Role::Processor
                || !purpose.data_categories().any(|c| *c == category.id)
            {
                continue;
            }
            if rules.iter().any(|r| r.purposes.contains(&purpose.id)) {
                continue;
            }
            let key = (purpose.id.0.clone(), category.id.0.clone());
            let pos = sites
                .purpose_category
                .get(&key)
                .copied()
                .unwrap_or_default();
            out.push(
                Diagnostic::error(
                    "missing-retention",
                    pos,
                    format!(
                        "no retention rule covers `{}` when it is processed for purpose `{}`",
                        category.id, purpose.id
                    ),
                )
                .with_help(format!(
                    "add `{}` to the `purposes` of a rule for `{}`, or add a rule for it",
                    purpose.id, category.id
                )),
            );
        }
    }
}

fn rules_fit_purposes(partial: &Partial, sites: &Sites, out: &mut Vec<Diagnostic>) {
    for rule in &partial.retention {
        for purpose_id in &rule.purposes {
            let Some(purpose) = partial.purposes.iter().find(|p| &p.id == purpose_id) else {
                continue; // reported as an unknown reference
            };
            if purpose.data_categories().any(|c| *c == rule.category) {
                continue;
            }
            let pos = sites
                .position(Kind::Rule, rule.id.as_str())
                .unwrap_or_default();
            out.push(
                Diagnostic::error(
                    "invalid-value",
                    pos,
                    format!(
                        "retention rule `{}` is narrowed to purpose `{}`, which does not process `{}`",
                        rule.id, purpose.id, rule.category
                    ),
                )
                .with_help(format!("remove `{}` from the rule's `purposes`, or add `{}` to that purpose", purpose.id, rule.category)),
            );
        }
    }
}

fn holds_fit_purposes(partial: &Partial, sites: &Sites, out: &mut Vec<Diagnostic>) {
    for hold in &partial.legal_holds {
        let Some(purpose) = partial.purposes.iter().find(|p| p.id == hold.purpose) else {
            continue; // reported as an unknown reference
        };
        for category in &hold.categories {
            if purpose.data_categories().any(|c| c == category) {
                continue;
            }
            let pos = sites
                .position(Kind::Hold, hold.id.as_str())
                .unwrap_or_default();
            out.push(
                Diagnostic::error(
                    "invalid-value",
                    pos,
                    format!(
                        "legal hold `{}` keeps `{category}` for purpose `{}`, which does not process it",
                        hold.id, purpose.id
                    ),
                )
                .with_help(format!("add `{category}` to the `legal_basis` of `{}`", purpose.id)),
            );
        }
    }
}

fn security_kinds(partial: &Partial, sites: &Sites, out: &mut Vec<Diagnostic>) {
    let Some(first) = partial.security.first() else {
        return;
    };
    let pos = sites
        .position(Kind::Measure, first.id.as_str())
        .unwrap_or_default();
    let kinds: HashSet<MeasureKind> = partial.security.iter().map(|m| m.kind).collect();
    for (kind, word) in [
        (MeasureKind::Technical, "technical"),
        (MeasureKind::Organisational, "organisational"),
    ] {
        if !kinds.contains(&kind) {
            out.push(
                Diagnostic::warning(
                    "missing-measure",
                    pos,
                    format!("no {word} security measure is listed"),
                )
                .with_help(format!("Art. 32 asks for technical and organisational measures; add one with `kind: {word}`")),
            );
        }
    }
}

fn unused(partial: &Partial, sites: &Sites, out: &mut Vec<Diagnostic>) {
    let referenced: HashSet<(Kind, &str)> = sites
        .references
        .iter()
        .map(|r| (r.kind, r.id.as_str()))
        .collect();
    let used_categories: HashSet<&str> = partial
        .purposes
        .iter()
        .flat_map(|p| p.data_categories())
        .map(|c| c.as_str())
        .collect();
    for kind in [
        Kind::Subject,
        Kind::Source,
        Kind::Category,
        Kind::Event,
        Kind::State,
        Kind::Attribute,
        Kind::Feature,
        Kind::CookieCategory,
    ] {
        for (id, pos) in sites.declared.get(&kind).into_iter().flatten() {
            if *pos == Default::default() {
                continue; // built in
            }
            let anonymous = kind == Kind::Category
                && partial
                    .data
                    .iter()
                    .any(|c| c.id.as_str() == id && !c.personal_data);
            let used = match kind {
                // Anonymous data may be kept without a purpose processing personal data.
                Kind::Category => anonymous || used_categories.contains(id.as_str()),
                _ => referenced.contains(&(kind, id.as_str())),
            };
            if !used {
                let how = match kind {
                    Kind::Category => "no purpose processes it",
                    Kind::Subject | Kind::Source => "no purpose names it",
                    Kind::Feature => "no purpose requires it",
                    Kind::CookieCategory => "no cookie service uses it",
                    _ => "nothing refers to it",
                };
                out.push(
                    Diagnostic::warning(
                        "unused-declaration",
                        *pos,
                        format!("{} `{id}` is declared but {how}", kind.describe()),
                    )
                    .with_help("use it or remove it"),
                );
            }
        }
    }
}
