//! `skydd_dataset::fides`: Fides' own example datasets convert, with the example map, into a
//! dataset that passes `check` against the GleSYS register and covers every table and identity
//! Fides declares; what cannot be converted is reported at its line, all of it in one run.

use std::collections::BTreeSet;

use proptest::prelude::*;
use skydd_dataset::fides::{
    Finding, Imported, Input, Origin, PrimaryKeys, import, import_with_keys,
};
use skydd_dataset::{DatabaseKind, Erasure, check};
use skydd_subject::IdentityKind;

use super::GLESYS;

const MAIN: &str = include_str!("../fixtures/fides/data_dataset_postgres_example_test_dataset.yml");
const EXTENDED: &str =
    include_str!("../fixtures/fides/data_dataset_postgres_example_test_extended_dataset.yml");
const CUSTOM: &str = include_str!(
    "../fixtures/fides/data_dataset_postgres_example_custom_request_field_dataset.yml"
);
const MAP: &str = include_str!("../../../../examples/datasets/fides-map.yaml");

fn input<'a>(name: &'a str, text: &'a str) -> Input<'a> {
    Input { name, text }
}

fn run(datasets: &[(&str, &str)], map: &str) -> Imported {
    let inputs: Vec<Input<'_>> = datasets.iter().map(|(n, t)| input(n, t)).collect();
    import(
        &inputs,
        input("fides-map.yaml", map),
        Some(&GLESYS),
        DatabaseKind::Postgres,
    )
}

fn shown(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| {
            format!(
                "{:?}:{}:{}: {} [{}]: {}\n",
                f.origin,
                f.diagnostic.line,
                f.diagnostic.column,
                f.diagnostic.severity.as_str(),
                f.diagnostic.code,
                f.diagnostic.message
            )
        })
        .collect()
}

fn errors(imported: &Imported, code: &str) -> Vec<(Origin, usize, usize)> {
    imported
        .findings
        .iter()
        .filter(|f| f.diagnostic.is_error() && f.diagnostic.code == code)
        .map(|f| (f.origin, f.diagnostic.line, f.diagnostic.column))
        .collect()
}

/// The 1-based line and column of every occurrence of `needle` in `text`.
fn positions(text: &str, needle: &str) -> Vec<(usize, usize)> {
    text.lines()
        .enumerate()
        .filter_map(|(i, line)| {
            line.find(needle)
                .map(|at| (i + 1, line[..at].chars().count() + 1))
        })
        .collect()
}

/// Every table and every identity column the three Fides datasets declare.
const TABLES: &[&str] = &[
    "address",
    "customer",
    "employee",
    "login",
    "orders",
    "order_item",
    "payment_card",
    "product",
    "report",
    "service_request",
    "visit",
    "loyalty",
    "dynamic_email_address_config",
];
const IDENTITIES: &[(&str, &str, IdentityKind)] = &[
    ("customer", "email", IdentityKind::Email),
    ("employee", "email", IdentityKind::Email),
    ("report", "email", IdentityKind::Email),
    ("service_request", "alt_email", IdentityKind::Email),
    ("service_request", "email", IdentityKind::Email),
    ("visit", "email", IdentityKind::Email),
    ("loyalty", "id", IdentityKind::ExternalId),
];

#[test]
fn the_three_fides_datasets_become_one_dataset_that_passes_check() {
    let imported = run(
        &[
            ("main.yml", MAIN),
            ("extended.yml", EXTENDED),
            ("custom.yml", CUSTOM),
        ],
        MAP,
    );
    assert!(!imported.has_errors(), "{}", shown(&imported.findings));
    let draft = imported.draft.expect("a draft");
    let checked = check(&draft, Some(&GLESYS));
    assert!(!checked.has_errors(), "{:#?}\n{draft}", checked.diagnostics);
    let dataset = checked.dataset.expect("valid");
    let tables: Vec<&str> = dataset
        .collections
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(tables, TABLES);
    let identities: BTreeSet<(&str, &str, &str)> = dataset
        .collections
        .iter()
        .flat_map(|c| {
            c.fields.iter().filter_map(move |f| {
                f.identity
                    .map(|kind| (c.name.as_str(), f.name.as_str(), kind.as_str()))
            })
        })
        .collect();
    let expected: BTreeSet<(&str, &str, &str)> = IDENTITIES
        .iter()
        .map(|(c, f, k)| (*c, *f, k.as_str()))
        .collect();
    assert_eq!(identities, expected);
    // Every Fides field is declared, and its references kept.
    let declared: usize = dataset.collections.iter().map(|c| c.fields.len()).sum();
    let fides_fields = [MAIN, EXTENDED, CUSTOM]
        .iter()
        .map(|t| t.matches("          - name:").count())
        .sum::<usize>();
    assert_eq!(declared, fides_fields);
    let references: usize = dataset
        .collections
        .iter()
        .flat_map(|c| &c.fields)
        .map(|f| f.references.len())
        .sum();
    assert_eq!(references, MAIN.matches("direction:").count());
    // What could not be reached is said, not skipped: Fides' table without identity or reference.
    let config = dataset.collection("dynamic_email_address_config").unwrap();
    assert!(config.unreachable.is_some());
    // The guesses are warnings, each at its line in its file.
    let guessed: Vec<(Origin, usize)> = imported
        .findings
        .iter()
        .filter(|f| f.diagnostic.code == "guessed-key")
        .map(|f| (f.origin, f.diagnostic.line))
        .collect();
    assert_eq!(
        guessed,
        vec![
            (
                Origin::Dataset(0),
                positions(MAIN, "- name: order_item")[0].0
            ),
            (Origin::Dataset(0), positions(MAIN, "- name: visit")[0].0),
            (
                Origin::Dataset(1),
                positions(EXTENDED, "- name: loyalty")[0].0
            ),
        ]
    );
    assert!(draft.contains("# guess: Fides declares no primary key"));
}

#[test]
fn each_fides_dataset_with_identities_converts_on_its_own() {
    for (name, text) in [("main.yml", MAIN), ("extended.yml", EXTENDED)] {
        let imported = run(&[(name, text)], MAP);
        assert!(
            !imported.has_errors(),
            "{name}: {}",
            shown(&imported.findings)
        );
        let draft = imported.draft.expect("a draft");
        assert!(check(&draft, Some(&GLESYS)).dataset.is_some(), "{name}");
    }
    // The custom-field dataset declares no identity: alone, nothing could reach it.
    let imported = run(&[("custom.yml", CUSTOM)], MAP);
    assert_eq!(
        errors(&imported, "no-identity"),
        vec![(Origin::Dataset(0), 7, 15)],
        "{}",
        shown(&imported.findings)
    );
}

#[test]
fn the_main_example_as_drafted() {
    let imported = run(
        &[("data_dataset_postgres_example_test_dataset.yml", MAIN)],
        MAP,
    );
    // Beside the crate's other snapshots.
    insta::with_settings!({snapshot_path => "../snapshots"}, {
        insta::assert_snapshot!("fides_import_main", imported.draft.expect("a draft"));
    });
}

#[test]
fn the_database_keys_replace_the_guesses_and_add_undeclared_key_columns() {
    // Fides' example declares no key for `order_item` and `visit`; the database has
    // (order_id, item_no), and item_no is not in the Fides dataset at all.
    let keys: PrimaryKeys = [
        ("order_item", vec!["order_id", "item_no"]),
        ("visit", vec!["email", "last_visit"]),
        // Fides says `id`; a database that disagrees wins, with a warning.
        ("product", vec!["id", "name"]),
    ]
    .into_iter()
    .map(|(t, k)| (t.to_owned(), k.into_iter().map(str::to_owned).collect()))
    .collect();
    let imported = import_with_keys(
        &[input("main.yml", MAIN)],
        input("fides-map.yaml", MAP),
        Some(&GLESYS),
        DatabaseKind::Postgres,
        &keys,
    );
    assert!(!imported.has_errors(), "{}", shown(&imported.findings));
    let codes: Vec<(&str, usize)> = imported
        .findings
        .iter()
        .filter(|f| matches!(f.diagnostic.code, "guessed-key" | "key-mismatch"))
        .map(|f| (f.diagnostic.code, f.diagnostic.line))
        .collect();
    assert_eq!(
        codes,
        vec![(
            "key-mismatch",
            MAIN.lines()
                .position(|l| l.trim() == "- name: product")
                .unwrap()
                + 1
        )]
    );
    let draft = imported.draft.expect("a draft");
    assert!(
        draft.contains(
            "    # Fides declares no primary key; [order_id, item_no] is the database's\n    primary_key: [order_id, item_no]\n"
        ),
        "{draft}"
    );
    assert!(
        draft.contains("      # not in the Fides dataset: part of the database's primary key\n      - name: item_no\n"),
        "{draft}"
    );
    assert!(
        !draft.contains("# guess: Fides declares no primary key"),
        "{draft}"
    );
    let dataset = check(&draft, Some(&GLESYS)).dataset.expect("valid");
    let key = |c: &str| dataset.collection(c).unwrap().primary_key.clone();
    assert_eq!(key("order_item"), ["order_id", "item_no"]);
    assert_eq!(key("visit"), ["email", "last_visit"]);
    assert_eq!(key("product"), ["id", "name"]);
    let item_no = dataset
        .collection("order_item")
        .unwrap()
        .field("item_no")
        .unwrap();
    assert_eq!(
        (item_no.category.as_ref(), &item_no.erase),
        (None, &Erasure::Keep)
    );
}

#[test]
fn every_field_kept_for_a_legal_hold_is_reported_at_its_line() {
    let imported = run(&[("main.yml", MAIN)], MAP);
    // The fields named by a report: `held-category` where Fides would erase by default,
    // `legal-hold` where Fides masks the field explicitly (`employee.name`).
    let reported: BTreeSet<String> = imported
        .findings
        .iter()
        .filter(|f| matches!(f.diagnostic.code, "held-category" | "legal-hold"))
        .filter_map(|f| f.diagnostic.message.split('`').nth(1).map(str::to_owned))
        .collect();
    // Every field the map gives `customer_identity`, which `bookkeeping` holds (ids, names,
    // e-mail and postal addresses; `service_request.email` by the identity's guessed category).
    let dataset = check(imported.draft.as_deref().unwrap(), Some(&GLESYS))
        .dataset
        .expect("valid");
    let held: BTreeSet<String> = dataset
        .collections
        .iter()
        .flat_map(|c| c.fields.iter().map(move |f| (c, f)))
        .filter(|(_, f)| {
            f.category
                .as_ref()
                .is_some_and(|c| c.as_str() == "customer_identity")
        })
        .map(|(c, f)| format!("{}.{}", c.name, f.name))
        .collect();
    assert_eq!(held.len(), 20);
    assert_eq!(reported, held, "{}", shown(&imported.findings));
    // Each at its line: the field's category.
    let lines: Vec<usize> = imported
        .findings
        .iter()
        .filter(|f| f.diagnostic.code == "held-category")
        .map(|f| f.diagnostic.line)
        .collect();
    assert!(lines.contains(&positions(MAIN, "[user.contact.email]")[1].0));
    let first = imported
        .findings
        .iter()
        .find(|f| f.diagnostic.code == "held-category")
        .unwrap();
    assert!(!first.diagnostic.is_error(), "a report, not an error");
    assert!(
        first
            .diagnostic
            .message
            .contains("legal hold `bookkeeping`"),
        "{}",
        first.diagnostic.message
    );
    assert!(
        first
            .diagnostic
            .help
            .as_deref()
            .unwrap_or_default()
            .contains("outside_hold"),
        "{:?}",
        first.diagnostic.help
    );
}

#[test]
fn a_category_missing_from_the_map_is_reported_at_every_field_that_has_it() {
    let broken = MAP.replace("user.name: customer_identity\n", "");
    assert_ne!(broken, MAP);
    let imported = run(&[("main.yml", MAIN), ("extended.yml", EXTENDED)], &broken);
    let mut expected: Vec<(Origin, usize, usize)> = positions(MAIN, "user.name]")
        .into_iter()
        .map(|(l, c)| (Origin::Dataset(0), l, c))
        .collect();
    expected.extend(
        positions(EXTENDED, "user.name]")
            .into_iter()
            .map(|(l, c)| (Origin::Dataset(1), l, c)),
    );
    assert_eq!(expected.len(), 3, "customer, employee and loyalty names");
    assert_eq!(
        errors(&imported, "unmapped-category"),
        expected,
        "{}",
        shown(&imported.findings)
    );
    // Nothing else is an error, and the partial draft says what is missing.
    let all_errors = imported
        .findings
        .iter()
        .filter(|f| f.diagnostic.is_error())
        .count();
    assert_eq!(all_errors, 3, "{}", shown(&imported.findings));
    let draft = imported.draft.expect("a partial draft");
    assert_eq!(
        draft
            .matches("# not converted: `user.name` is not in the map")
            .count(),
        3
    );
}

#[test]
fn a_misspelt_category_gets_a_did_you_mean_from_the_map() {
    let typo = MAIN.replacen("[user.sensor]", "[user.sensr]", 1);
    let imported = run(&[("main.yml", &typo)], MAP);
    let finding = imported
        .findings
        .iter()
        .find(|f| f.diagnostic.code == "unmapped-category")
        .expect("reported");
    assert_eq!(
        (finding.diagnostic.line, finding.diagnostic.column),
        positions(&typo, "user.sensr")[0]
    );
    let help = finding.diagnostic.help.as_deref().unwrap_or_default();
    assert!(help.contains("did you mean `user.sensor`?"), "{help}");
}

#[test]
fn a_reference_to_another_dataset_is_reported_with_everything_else() {
    // customer.address_id points into another database; login.time's category is unmapped.
    let at = MAIN.find("- name: customer").unwrap();
    let (head, tail) = MAIN.split_at(at);
    let edited = format!(
        "{head}{}",
        tail.replacen(
            "dataset: postgres_example_test_dataset",
            "dataset: billing",
            1
        )
    )
    .replacen("[user.sensor]", "[user.unknown_thing]", 1);
    let imported = run(&[("main.yml", &edited)], MAP);
    let line = positions(&edited, "dataset: billing")[0].0 + 1;
    assert_eq!(
        errors(&imported, "cross-dataset-reference"),
        vec![(Origin::Dataset(0), line, 26)],
        "{}",
        shown(&imported.findings)
    );
    let message = &imported
        .findings
        .iter()
        .find(|f| f.diagnostic.code == "cross-dataset-reference")
        .unwrap()
        .diagnostic
        .message;
    assert!(message.contains("`billing`"), "{message}");
    assert_eq!(errors(&imported, "unmapped-category").len(), 1);
    // Two datasets imported together may refer to each other.
    let other = EXTENDED.replace(
        "          - name: points\n",
        "          - name: points\n            fides_meta:\n              references:\n                - {dataset: postgres_example_test_dataset, field: customer.id, direction: from}\n",
    );
    let other = other.replacen(
        "            fides_meta:\n              data_type: integer\n",
        "",
        1,
    );
    let imported = run(&[("main.yml", MAIN), ("extended.yml", &other)], MAP);
    assert!(!imported.has_errors(), "{}", shown(&imported.findings));
}

const SMALL: &str = "\
dataset:
  - fides_key: shop
    collections:
      - name: customer
        fields:
          - name: id
            fides_meta: {primary_key: True}
          - name: email
            data_categories: [user.contact.email]
            fides_meta: {identity: email}
          - name: phone
            data_categories: [user.contact.phone_number]
            fides_meta: {identity: phone_number}
          - name: card
            data_categories: [user.financial, user.contact.email]
          - name: prefs
            data_categories: [user.sensor]
            fields:
              - name: theme
                data_categories: [user.sensor]
          - name: token
            data_categories: [user.financial]
            fides_meta:
              masking_strategy_override: {strategy: hash}
          - name: holder
            data_categories: [user.financial]
            fides_meta:
              masking_strategy_override:
                strategy: string_rewrite
                configuration: {rewrite_value: erased}
          - name: seen
            data_categories: [user.sensor]
            fides_meta: {read_only: true}
";

#[test]
fn conflicting_categories_and_nested_fields_are_reported() {
    let imported = run(&[("small.yml", SMALL)], MAP);
    assert_eq!(
        errors(&imported, "conflicting-categories"),
        vec![(Origin::Dataset(0), 15, 31)],
        "{}",
        shown(&imported.findings)
    );
    assert_eq!(
        errors(&imported, "nested-field"),
        vec![(Origin::Dataset(0), 18, 13)]
    );
}

#[test]
fn masking_overrides_and_identity_kinds_carry_over() {
    let clean = SMALL
        .replace("[user.financial, user.contact.email]", "[user.financial]")
        .replace(
            "            fields:\n              - name: theme\n                data_categories: [user.sensor]\n",
            "",
        );
    let imported = run(&[("small.yml", &clean)], MAP);
    assert!(!imported.has_errors(), "{}", shown(&imported.findings));
    let dataset = check(&imported.draft.unwrap(), Some(&GLESYS))
        .dataset
        .expect("valid");
    let customer = dataset.collection("customer").unwrap();
    let erase = |name: &str| customer.field(name).unwrap().erase.clone();
    assert_eq!(erase("token"), Erasure::KeyedHash);
    assert_eq!(erase("holder"), Erasure::Replace("erased".into()));
    assert_eq!(erase("card"), Erasure::Null, "Fides' default, null_rewrite");
    assert_eq!(erase("seen"), Erasure::Keep, "read_only");
    assert_eq!(
        erase("email"),
        Erasure::Keep,
        "held by the bookkeeping hold"
    );
    assert_eq!(
        customer.field("phone").unwrap().identity,
        Some(IdentityKind::Phone)
    );
}

#[test]
fn a_map_target_the_register_lacks_is_reported_in_the_map() {
    let broken = MAP.replace("user.sensor: product_usage", "user.sensor: product_usag");
    let imported = run(&[("main.yml", MAIN)], &broken);
    let found: Vec<_> = imported
        .findings
        .iter()
        .filter(|f| f.origin == Origin::Map)
        .map(|f| {
            (
                f.diagnostic.code,
                f.diagnostic.line,
                f.diagnostic.help.clone(),
            )
        })
        .collect();
    assert_eq!(found.len(), 1, "{}", shown(&imported.findings));
    assert_eq!(found[0].0, "unknown-reference");
    assert_eq!(
        Some(found[0].1),
        positions(&broken, "user.sensor: product_usag")
            .first()
            .map(|p| p.0)
    );
    assert!(
        found[0]
            .2
            .as_deref()
            .unwrap_or_default()
            .contains("product_usage")
    );
    // The field that used it is then unmapped, at its own line.
    assert_eq!(errors(&imported, "unmapped-category").len(), 1);
}

proptest! {
    #[test]
    fn any_input_is_reported_never_a_panic(dataset in "\\PC{0,200}", map in "\\PC{0,80}") {
        let imported = import(&[input("d.yml", &dataset)], input("m.yml", &map), Some(&GLESYS), DatabaseKind::Sqlite);
        for finding in &imported.findings {
            prop_assert!(finding.diagnostic.line >= 1);
        }
    }

    #[test]
    fn any_field_name_and_category_gives_a_draft_or_a_diagnostic(
        name in "[a-zA-Z_ .-]{1,12}",
        category in "[a-z_.]{1,20}",
    ) {
        let text = format!(
            "dataset:\n  - fides_key: k\n    collections:\n      - name: t\n        fields:\n          - name: \"{name}\"\n            data_categories: [\"{category}\"]\n            fides_meta: {{identity: email, primary_key: true}}\n"
        );
        let imported = run(&[("d.yml", &text)], MAP);
        if !imported.has_errors() {
            let draft = imported.draft.unwrap();
            prop_assert!(check(&draft, Some(&GLESYS)).dataset.is_some(), "{}", draft);
        }
    }
}

#[test]
fn a_column_others_join_to_is_never_masked_and_a_delete_collection_deletes_rows() {
    let text = "\
dataset:
  - fides_key: shop
    collections:
      - name: visitor
        fides_meta:
          masking_strategy_override: {strategy: delete}
        fields:
          - name: id
            fides_meta: {primary_key: true}
          - name: email
            data_categories: [user.contact.email]
            fides_meta: {identity: email}
          - name: device
            data_categories: [user.sensor]
            fides_meta:
              references: [{field: tracker.device, direction: to}]
      - name: tracker
        fides_meta:
          masking_strategy_override: {strategy: null_rewrite}
        fields:
          - name: id
            fides_meta: {primary_key: true}
          - name: device
            data_categories: [user.sensor]
          - name: seen
            data_categories: [user.sensor]
      - name: beacon
        fides_meta:
          masking_strategy_override: {strategy: delete}
        fields:
          - name: id
            fides_meta: {primary_key: true}
          - name: tracker_id
            fides_meta:
              references: [{field: tracker.id, direction: from}]
          - name: ping
            data_categories: [user.sensor]
";
    let imported = run(&[("shop.yml", text)], MAP);
    assert!(!imported.has_errors(), "{}", shown(&imported.findings));
    // `visitor` holds a held category: its `delete` cannot stand, and says so; `tracker`'s
    // collection-wide `null_rewrite` has no equivalent.
    let warned: Vec<(&str, usize)> = imported
        .findings
        .iter()
        .map(|f| (f.diagnostic.code, f.diagnostic.line))
        .filter(|(code, _)| *code == "legal-hold" || *code == "not-converted")
        .collect();
    assert_eq!(warned, vec![("legal-hold", 6), ("not-converted", 19)]);
    let dataset = check(&imported.draft.unwrap(), Some(&GLESYS))
        .dataset
        .expect("valid");
    let erase = |c: &str, f: &str| {
        dataset
            .collection(c)
            .unwrap()
            .field(f)
            .unwrap()
            .erase
            .clone()
    };
    // `visitor.device` joins to `tracker.device`: neither is masked.
    assert_eq!(
        erase("visitor", "device"),
        Erasure::Keep,
        "its row holds held data"
    );
    assert_eq!(
        erase("tracker", "device"),
        Erasure::DeleteRow,
        "others join to it"
    );
    assert_eq!(erase("tracker", "seen"), Erasure::Null);
    assert_eq!(
        erase("beacon", "ping"),
        Erasure::DeleteRow,
        "the collection's `delete`"
    );
}

#[test]
fn datasets_written_for_fidesops_read_the_same() {
    let old = MAIN.replace("fides_meta:", "fidesops_meta:");
    assert_ne!(old, MAIN);
    let now = run(&[("main.yml", MAIN)], MAP);
    let then = run(&[("main.yml", &old)], MAP);
    assert!(!then.has_errors(), "{}", shown(&then.findings));
    assert_eq!(then.draft, now.draft);
}

#[test]
fn a_map_that_is_not_a_map_stops_the_import_with_one_error() {
    for map in ["user: [customer", "- user.contact: customer_identity\n"] {
        let imported = run(&[("main.yml", MAIN)], map);
        let errors: Vec<&Finding> = imported
            .findings
            .iter()
            .filter(|f| f.diagnostic.is_error())
            .collect();
        assert_eq!(errors.len(), 1, "{map}: {}", shown(&imported.findings));
        assert_eq!(errors[0].origin, Origin::Map);
        assert!(imported.draft.is_none());
    }
}

#[test]
fn a_table_in_two_imported_datasets_is_reported_with_where_it_was_first() {
    let imported = run(
        &[
            ("main.yml", MAIN),
            ("again.yml", EXTENDED),
            ("copy.yml", MAIN),
        ],
        MAP,
    );
    let duplicates: Vec<&Finding> = imported
        .findings
        .iter()
        .filter(|f| f.diagnostic.code == "duplicate-id")
        .collect();
    assert_eq!(duplicates.len(), 11, "{}", shown(&imported.findings));
    let first = duplicates[0];
    assert_eq!(first.origin, Origin::Dataset(2));
    let (line, column) = positions(MAIN, "- name: address")[0];
    assert_eq!(
        (first.diagnostic.line, first.diagnostic.column),
        (line, column + 8)
    );
    let help = first.diagnostic.help.as_deref().unwrap_or_default();
    assert!(
        help.starts_with(&format!("first declared at main.yml:{line};")),
        "{help}"
    );
}
