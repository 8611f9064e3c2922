//! Checks across the dataset (names resolve, keys are never masked, every collection is reached
//! from an identity, ordering has no cycle) and against the register (categories, retention
//! rules, legal holds).

use std::collections::{HashMap, HashSet, VecDeque};

use skydd_register::Register;
use skydd_register::diagnostic::{Diagnostic, did_you_mean};
use skydd_register::node::Pos;

use crate::decode::{Draft, DraftCollection};
use crate::model::*;

/// Every check on a draft whose shape errors are already in `out`.
pub(crate) fn validate(draft: &Draft, register: Option<&Register>, out: &mut Vec<Diagnostic>) {
    let names = unique_collections(draft, out);
    let fields: Vec<HashSet<&str>> = draft
        .collections
        .iter()
        .map(|c| {
            c.collection
                .fields
                .iter()
                .map(|f| f.name.as_str())
                .collect()
        })
        .collect();
    // Columns other collections' references point at (join targets), with who points.
    let mut targets: HashMap<(&str, &str), String> = HashMap::new();
    for c in &draft.collections {
        for field in &c.collection.fields {
            for reference in &field.references {
                let target = &reference.field;
                targets
                    .entry((target.collection.as_str(), target.field.as_str()))
                    .or_insert_with(|| format!("{}.{}", c.collection.name, field.name));
            }
        }
    }
    for c in &draft.collections {
        keys(c, &targets, out);
        references(c, &draft.collections, &fields, &names, out);
        ordering_names(c, &names, out);
        retention_anchor(c, out);
        reach_only(c, out);
        erase_stated(c, out);
    }
    identities(draft, out);
    reachability(draft, &names, out);
    for (key, what) in [(Order::After, "after"), (Order::EraseAfter, "erase_after")] {
        cycles(draft, &names, key, what, out);
    }
    if let Some(register) = register {
        against_register(draft, register, out);
    }
}

/// The collections by name (the first of each name), with duplicates reported.
fn unique_collections<'d>(draft: &'d Draft, out: &mut Vec<Diagnostic>) -> HashMap<&'d str, usize> {
    let mut names: HashMap<&str, usize> = HashMap::new();
    for (i, c) in draft.collections.iter().enumerate() {
        let name = c.collection.name.as_str();
        match names.get(name) {
            Some(&first) => out.push(
                Diagnostic::error(
                    "duplicate-id",
                    c.pos,
                    format!("collection `{name}` is declared twice"),
                )
                .with_help(format!(
                    "first declared at line {}; declare each table once (a table of the same name in another schema needs its own dataset)",
                    draft.collections[first].pos.line
                )),
            ),
            None => {
                names.insert(name, i);
            }
        }
    }
    names
}

/// The help that names the closest of `candidates`, or says where they come from.
fn suggest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    otherwise: &str,
) -> String {
    match did_you_mean(word, candidates) {
        Some(close) => format!("did you mean `{close}`?"),
        None => otherwise.to_string(),
    }
}

/// A primary key of declared fields; key, reference and join-target columns (those other
/// collections' references point at) never masked.
fn keys(c: &DraftCollection, targets: &HashMap<(&str, &str), String>, out: &mut Vec<Diagnostic>) {
    let coll = &c.collection;
    let field_names = || coll.fields.iter().map(|f| f.name.as_str());
    for (column, pos) in coll.primary_key.iter().zip(&c.primary_key_pos) {
        if coll.field(column).is_none() {
            out.push(
                Diagnostic::error(
                    "unknown-reference",
                    *pos,
                    format!(
                        "the primary key `{column}` is not a field of `{}`",
                        coll.name
                    ),
                )
                .with_help(suggest(
                    column,
                    field_names(),
                    "declare the key column under `fields` (erasure finds rows by it)",
                )),
            );
        }
    }
    for (field, site) in coll.fields.iter().zip(&c.fields) {
        let is_key = coll.primary_key.contains(&field.name);
        let is_reference = !field.references.is_empty();
        let pointed_at = targets.get(&(coll.name.as_str(), field.name.as_str()));
        if !(is_key || is_reference || pointed_at.is_some())
            || matches!(field.erase, Erasure::Keep | Erasure::DeleteRow)
        {
            continue;
        }
        let what = match pointed_at {
            _ if is_key => "a primary key column".to_owned(),
            _ if is_reference => "a reference column".to_owned(),
            Some(from) => format!("the join target of `{from}`"),
            None => "a key column".to_owned(),
        };
        out.push(
            Diagnostic::error(
                "masked-key",
                site.erase,
                format!(
                    "`{}.{}` is {what}; erasure `{}` would break the rows that join on it",
                    coll.name,
                    field.name,
                    field.erase.word()
                ),
            )
            .with_help("key, reference and join-target columns are kept (`erase: keep`, the default) or their row is deleted (`erase: delete_row`)"),
        );
    }
}

/// Every reference names a declared field of a declared collection.
fn references(
    c: &DraftCollection,
    all: &[DraftCollection],
    fields: &[HashSet<&str>],
    names: &HashMap<&str, usize>,
    out: &mut Vec<Diagnostic>,
) {
    for (field, site) in c.collection.fields.iter().zip(&c.fields) {
        for (reference, pos) in field.references.iter().zip(&site.references) {
            let target = &reference.field;
            let Some(&index) = names.get(target.collection.as_str()) else {
                out.push(
                    Diagnostic::error(
                        "unknown-reference",
                        *pos,
                        format!("unknown collection `{}`", target.collection),
                    )
                    .with_help(suggest(
                        &target.collection,
                        names.keys().copied(),
                        "declare it under `collections`; references stay inside the dataset",
                    )),
                );
                continue;
            };
            let other = &all[index].collection;
            if !fields[index].contains(target.field.as_str()) {
                out.push(
                    Diagnostic::error(
                        "unknown-reference",
                        *pos,
                        format!("`{}` has no field `{}`", other.name, target.field),
                    )
                    .with_help(suggest(
                        &target.field,
                        other.fields.iter().map(|f| f.name.as_str()),
                        &format!(
                            "declare `{}` under the fields of `{}`",
                            target.field, other.name
                        ),
                    )),
                );
            } else if other.name == c.collection.name && target.field == field.name {
                out.push(
                    Diagnostic::error(
                        "invalid-value",
                        *pos,
                        format!("`{target}` refers to itself"),
                    )
                    .with_help("a reference joins this column to another one"),
                );
            }
        }
    }
}

/// `after` and `erase_after` name other declared collections.
fn ordering_names(c: &DraftCollection, names: &HashMap<&str, usize>, out: &mut Vec<Diagnostic>) {
    let coll = &c.collection;
    let lists = [
        ("after", &coll.after, &c.after_pos),
        ("erase_after", &coll.erase_after, &c.erase_after_pos),
    ];
    for (key, list, positions) in lists {
        for (name, pos) in list.iter().zip(positions) {
            if *name == coll.name {
                out.push(
                    Diagnostic::error(
                        "ordering-cycle",
                        *pos,
                        format!("`{}` cannot come `{key}` itself", coll.name),
                    )
                    .with_help(format!("remove `{name}` from `{key}`")),
                );
            } else if !names.contains_key(name.as_str()) {
                out.push(
                    Diagnostic::error(
                        "unknown-reference",
                        *pos,
                        format!("unknown collection `{name}` in `{key}`"),
                    )
                    .with_help(suggest(
                        name,
                        names.keys().copied(),
                        "name a collection declared in this dataset",
                    )),
                );
            }
        }
    }
}

/// The retention anchor is a declared field.
fn retention_anchor(c: &DraftCollection, out: &mut Vec<Diagnostic>) {
    let coll = &c.collection;
    let (Some(retention), Some((anchor_pos, _))) = (&coll.retention, c.retention_pos) else {
        return;
    };
    if coll.field(&retention.anchor).is_none() {
        out.push(
            Diagnostic::error(
                "unknown-reference",
                anchor_pos,
                format!(
                    "the retention anchor `{}` is not a field of `{}`",
                    retention.anchor, coll.name
                ),
            )
            .with_help(suggest(
                &retention.anchor,
                coll.fields.iter().map(|f| f.name.as_str()),
                "declare the column that holds the anchor's time (such as `created_at`) under `fields`",
            )),
        );
    }
}

/// A reach-only collection holds no personal data and erases nothing.
fn reach_only(c: &DraftCollection, out: &mut Vec<Diagnostic>) {
    let coll = &c.collection;
    if !coll.reach_only {
        return;
    }
    for (field, site) in coll.fields.iter().zip(&c.fields) {
        if let Some(pos) = site.category {
            out.push(
                Diagnostic::error(
                    "invalid-value",
                    pos,
                    format!(
                        "`{}` is `reach_only`, so `{}` is never returned or erased; it cannot hold a data category",
                        coll.name, field.name
                    ),
                )
                .with_help("remove `reach_only: true` if the table holds personal data, or remove the category"),
            );
        } else if site.erase_written && field.erase != Erasure::Keep {
            out.push(
                Diagnostic::error(
                    "invalid-value",
                    site.erase,
                    format!("`{}` is `reach_only`; nothing in it is erased", coll.name),
                )
                .with_help("remove `erase`, or `reach_only: true`"),
            );
        }
    }
}

/// A field with a category says what erasure does to it: nothing is skipped by default.
fn erase_stated(c: &DraftCollection, out: &mut Vec<Diagnostic>) {
    let coll = &c.collection;
    if coll.reach_only {
        return;
    }
    for (field, site) in coll.fields.iter().zip(&c.fields) {
        if let (Some(category), false) = (&field.category, site.erase_written) {
            out.push(
                Diagnostic::error(
                    "missing-key",
                    site.name,
                    format!(
                        "`{}.{}` holds `{category}` but does not say what erasure does to it",
                        coll.name, field.name
                    ),
                )
                .with_help("add `erase:` with `null`, `keyed_hash`, `random`, `delete_row`, `{replace: VALUE}`, or `keep` (kept on purpose)"),
            );
        }
    }
}

/// Identity fields hold personal data; at least one collection has one.
fn identities(draft: &Draft, out: &mut Vec<Diagnostic>) {
    let mut any = false;
    for c in &draft.collections {
        for (field, site) in c.collection.fields.iter().zip(&c.fields) {
            let Some(kind) = field.identity else { continue };
            any = true;
            if field.category.is_none() && !c.collection.reach_only {
                out.push(
                    Diagnostic::error(
                        "missing-key",
                        site.identity.unwrap_or(site.name),
                        format!(
                            "`{}.{}` holds an identity ({}), which is personal data, but has no `category`",
                            c.collection.name,
                            field.name,
                            kind.label()
                        ),
                    )
                    .with_help("add the register's data category it belongs to, such as `category: customer_identity`"),
                );
            }
        }
    }
    if !any && !draft.collections.is_empty() {
        out.push(
            Diagnostic::error(
                "no-identity",
                draft.collections_pos,
                "no field is an identity, so no request can find anyone in this database",
            )
            .with_help("mark the columns that identify a person, such as `identity: email` on `customer.email`"),
        );
    }
}

/// Every collection is reached from an identity through references, or has free text that
/// access and erasure scan for mentions of the person (issue 21), or says why not.
fn reachability(draft: &Draft, names: &HashMap<&str, usize>, out: &mut Vec<Diagnostic>) {
    let count = draft.collections.len();
    let mut edges: Vec<Vec<usize>> = vec![Vec::new(); count];
    let mut queue: VecDeque<usize> = VecDeque::new();
    let mut reached = vec![false; count];
    for (i, c) in draft.collections.iter().enumerate() {
        if names.get(c.collection.name.as_str()) != Some(&i) {
            continue; // a duplicate, already reported
        }
        if c.collection.fields.iter().any(|f| f.identity.is_some()) {
            reached[i] = true;
            queue.push_back(i);
        }
        for field in &c.collection.fields {
            for reference in &field.references {
                let Some(&j) = names.get(reference.field.collection.as_str()) else {
                    continue;
                };
                match reference.direction {
                    Direction::To => edges[i].push(j),
                    Direction::From => edges[j].push(i),
                }
            }
        }
    }
    while let Some(i) = queue.pop_front() {
        for &j in &edges[i] {
            if !reached[j] {
                reached[j] = true;
                queue.push_back(j);
            }
        }
    }
    for (i, c) in draft.collections.iter().enumerate() {
        if names.get(c.collection.name.as_str()) != Some(&i) {
            continue;
        }
        // Rows found by a mention in their free text lead no further: the flag is not spread.
        let scanned = c
            .collection
            .fields
            .iter()
            .any(|f| f.free_text && f.category.is_some());
        match (reached[i], c.unreachable_pos) {
            (false, None) if scanned => {}
            (false, None) => out.push(
                Diagnostic::error(
                    "unreachable",
                    c.pos,
                    format!(
                        "no identity reaches `{}`, so requests would silently skip it",
                        c.collection.name
                    ),
                )
                .with_help("give one of its fields an `identity`, or a reference that leads here from a collection that has one (`direction: from` on the column joined to it), or mark a text column with a category `free_text: true` (requests then find people by what it mentions), or write `unreachable: REASON`"),
            ),
            (true, Some(pos)) => out.push(
                Diagnostic::warning(
                    "unreachable",
                    pos,
                    format!(
                        "`{}` says it is unreachable, but an identity reaches it",
                        c.collection.name
                    ),
                )
                .with_help("remove `unreachable`"),
            ),
            _ => {}
        }
    }
}

#[derive(Clone, Copy)]
enum Order {
    After,
    EraseAfter,
}

/// A cycle in `after` (or `erase_after`) has no order to run in.
fn cycles(
    draft: &Draft,
    names: &HashMap<&str, usize>,
    order: Order,
    key: &str,
    out: &mut Vec<Diagnostic>,
) {
    let count = draft.collections.len();
    let list = |c: &DraftCollection| -> Vec<(usize, Pos)> {
        let (names_of, positions) = match order {
            Order::After => (&c.collection.after, &c.after_pos),
            Order::EraseAfter => (&c.collection.erase_after, &c.erase_after_pos),
        };
        names_of
            .iter()
            .zip(positions)
            .filter(|(name, _)| **name != c.collection.name)
            .filter_map(|(name, pos)| names.get(name.as_str()).map(|&j| (j, *pos)))
            .collect()
    };
    let edges: Vec<Vec<(usize, Pos)>> = draft.collections.iter().map(list).collect();
    // Iterative depth-first search: 0 unseen, 1 on the path, 2 done.
    let mut state = vec![0u8; count];
    let mut reported: HashSet<usize> = HashSet::new();
    for start in 0..count {
        if state[start] != 0 {
            continue;
        }
        let mut path: Vec<(usize, usize)> = vec![(start, 0)];
        state[start] = 1;
        while let Some(&mut (node, ref mut next)) = path.last_mut() {
            if let Some(&(target, pos)) = edges[node].get(*next) {
                *next += 1;
                match state[target] {
                    0 => {
                        state[target] = 1;
                        path.push((target, 0));
                    }
                    1 => {
                        let from = path.iter().position(|(n, _)| *n == target).unwrap_or(0);
                        let mut cycle: Vec<&str> = path[from..]
                            .iter()
                            .map(|(n, _)| draft.collections[*n].collection.name.as_str())
                            .collect();
                        if reported.insert(node) {
                            cycle.push(draft.collections[target].collection.name.as_str());
                            out.push(
                                Diagnostic::error(
                                    "ordering-cycle",
                                    pos,
                                    format!("`{key}` goes round in a circle: {}", circle(&cycle)),
                                )
                                .with_help(format!("remove one of these `{key}` entries so there is an order to follow")),
                            );
                        }
                    }
                    _ => {}
                }
            } else {
                state[node] = 2;
                path.pop();
            }
        }
    }
}

/// The most collections a cycle's message names; a longer one shows its start and end.
const MAX_CYCLE_SHOWN: usize = 8;

/// `a -> b -> a`, or for a long cycle `a -> b -> ... (12 more) -> y -> a`.
fn circle(cycle: &[&str]) -> String {
    if cycle.len() <= MAX_CYCLE_SHOWN {
        return cycle.join(" -> ");
    }
    let head = &cycle[..MAX_CYCLE_SHOWN - 2];
    let tail = &cycle[cycle.len() - 2..];
    let left_out = cycle.len() - head.len() - tail.len();
    format!(
        "{} -> ... ({left_out} more) -> {}",
        head.join(" -> "),
        tail.join(" -> ")
    )
}

/// Categories and rules exist in the register; held categories are kept.
fn against_register(draft: &Draft, register: &Register, out: &mut Vec<Diagnostic>) {
    let categories = || register.data.iter().map(|c| c.id.as_str());
    for c in &draft.collections {
        let coll = &c.collection;
        let mut held_fields: Vec<(&str, &str)> = Vec::new();
        let mut held_names: HashSet<&str> = HashSet::new();
        for (field, site) in coll.fields.iter().zip(&c.fields) {
            let Some(category) = &field.category else {
                if let Some(pos) = site.outside_hold {
                    out.push(
                        Diagnostic::warning(
                            "legal-hold",
                            pos,
                            format!(
                                "`{}` has no category, so no legal hold keeps it",
                                field.name
                            ),
                        )
                        .with_help("remove `outside_hold`"),
                    );
                }
                continue;
            };
            let pos = site.category.unwrap_or(site.name);
            if !categories().any(|id| id == category.as_str()) {
                out.push(
                    Diagnostic::error(
                        "unknown-reference",
                        pos,
                        format!("the register has no data category `{category}`"),
                    )
                    .with_help(suggest(
                        category.as_str(),
                        categories(),
                        "use a category declared under `data` in the register, or declare it there",
                    )),
                );
                continue;
            }
            let holds: Vec<_> = register
                .legal_holds
                .iter()
                .filter(|h| h.categories.iter().any(|id| id == category))
                .collect();
            match (holds.first(), site.outside_hold) {
                (None, Some(pos)) => out.push(
                    Diagnostic::warning(
                        "legal-hold",
                        pos,
                        format!("no legal hold in the register keeps `{category}`"),
                    )
                    .with_help("remove `outside_hold`"),
                ),
                (Some(hold), None) => {
                    held_fields.push((field.name.as_str(), hold.id.as_str()));
                    held_names.insert(field.name.as_str());
                    if !field.erase.keeps_value() {
                        out.push(
                            Diagnostic::error(
                                "legal-hold",
                                site.erase,
                                format!(
                                    "`{category}` is kept under the legal hold `{}` ({}), but erasure `{}` of `{}.{}` would remove it",
                                    hold.id,
                                    hold.law.en,
                                    field.erase.word(),
                                    coll.name,
                                    field.name
                                ),
                            )
                            .with_help("write `erase: keep` (retention removes it when the hold ends), or `outside_hold: REASON` if this column is not the copy the law requires"),
                        );
                    }
                }
                _ => {}
            }
        }
        if let Some((held, hold)) = held_fields.first() {
            for (field, site) in coll.fields.iter().zip(&c.fields) {
                let reported = held_names.contains(field.name.as_str());
                if field.erase == Erasure::DeleteRow && !reported {
                    out.push(
                        Diagnostic::error(
                            "legal-hold",
                            site.erase,
                            format!(
                                "deleting rows of `{}` would delete `{held}`, which the legal hold `{hold}` keeps",
                                coll.name
                            ),
                        )
                        .with_help("mask the columns that may go instead of deleting the row"),
                    );
                }
            }
        }
        let (Some(retention), Some((_, rule_pos))) = (&coll.retention, c.retention_pos) else {
            continue;
        };
        match register.retention.iter().find(|r| r.id == retention.rule) {
            None => out.push(
                Diagnostic::error(
                    "unknown-reference",
                    rule_pos,
                    format!("the register has no retention rule `{}`", retention.rule),
                )
                .with_help(suggest(
                    retention.rule.as_str(),
                    register.retention.iter().map(|r| r.id.as_str()),
                    "use a rule declared under `retention` in the register",
                )),
            ),
            Some(rule) => {
                if !coll
                    .fields
                    .iter()
                    .any(|f| f.category.as_ref() == Some(&rule.category))
                {
                    out.push(
                        Diagnostic::warning(
                            "retention-category",
                            rule_pos,
                            format!(
                                "the rule `{}` governs `{}`, but no field of `{}` holds that category",
                                rule.id, rule.category, coll.name
                            ),
                        )
                        .with_help("choose the rule of the category the table holds, or give the fields their category"),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_circle_names_its_start_and_end() {
        assert_eq!(circle(&["a", "b", "a"]), "a -> b -> a");
        let names: Vec<String> = (0..20)
            .map(|i| format!("t{i}"))
            .chain(["t0".into()])
            .collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        assert_eq!(
            circle(&names),
            "t0 -> t1 -> t2 -> t3 -> t4 -> t5 -> ... (13 more) -> t19 -> t0"
        );
    }
}
