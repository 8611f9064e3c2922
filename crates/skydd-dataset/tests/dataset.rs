//! Integration tests of `skydd-dataset`: every check at its line and column, the example
//! datasets, the diagnostics of a broken file, secrets never repeated, inputs that never panic,
//! and the JSON Schema in step with the decoder.

// Helpers of a test binary may panic: a panic is a failing test with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "dataset/fides.rs"]
mod fides;
#[path = "dataset/schema.rs"]
mod schema;

use std::sync::LazyLock;

use proptest::prelude::*;
use skydd_dataset::{Connection, Diagnostic, Erasure, Register, TlsMode, check};
use skydd_register::diagnostic::render_text;

const MINIMAL: &str = include_str!("fixtures/minimal.yaml");
const MANY_ERRORS: &str = include_str!("fixtures/many-errors.yaml");
const FIDES_EXAMPLE: &str = include_str!("../../../examples/datasets/fides-example.yaml");
const SHOP: &str = include_str!("../../../examples/datasets/shop.yaml");

/// The register both examples are mapped to.
static GLESYS: LazyLock<Register> = LazyLock::new(|| {
    skydd_register::check(include_str!("../../../examples/registers/glesys.yaml"))
        .register
        .expect("the GleSYS register is valid")
});

/// The marker that shows, in a test's edited dataset, where a diagnostic must point.
const HERE: char = '‸';

/// Apply `(from, to)` to the minimal dataset; `to` contains `HERE` where the diagnostic must
/// point. Returns the edited source and the 1-based line and column of the marker.
fn edited(from: &str, to: &str) -> (String, usize, usize) {
    assert!(
        MINIMAL.contains(from),
        "the minimal dataset has no `{from}`"
    );
    let marked = MINIMAL.replacen(from, to, 1);
    let at = marked.find(HERE).expect("the replacement marks a position");
    let before = &marked[..at];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (marked.replace(HERE, ""), line, column)
}

/// The diagnostic `code` at the marked position, with the GleSYS register.
fn assert_reported(code: &str, from: &str, to: &str) -> Diagnostic {
    let (source, line, column) = edited(from, to);
    let checked = check(&source, Some(&GLESYS));
    let found = checked
        .diagnostics
        .iter()
        .find(|d| d.code == code && d.line == line && d.column == column)
        .cloned();
    let found = found.unwrap_or_else(|| {
        panic!(
            "expected `{code}` at {line}:{column}, got:\n{}",
            render_text("dataset.yaml", &checked.diagnostics)
        )
    });
    assert_eq!(
        checked.dataset.is_none(),
        found.is_error(),
        "{code}: a dataset is built exactly when there is no error"
    );
    found
}

#[test]
fn the_minimal_dataset_is_valid() {
    let checked = check(MINIMAL, Some(&GLESYS));
    assert_eq!(checked.diagnostics, vec![]);
    let dataset = checked.dataset.expect("valid");
    assert_eq!(
        dataset.connection,
        Connection::Env("MINIMAL_DATABASE_URL".into())
    );
    assert_eq!(
        dataset.tls.as_ref().map(|t| t.mode),
        Some(TlsMode::VerifyFull)
    );
    let ticket = dataset.collection("ticket").expect("declared");
    assert_eq!(ticket.field("body").unwrap().erase, Erasure::Null);
    assert!(ticket.field("body").unwrap().free_text);
    assert_eq!(ticket.field("id").unwrap().erase, Erasure::Keep);
}

#[test]
fn the_example_datasets_are_valid_against_their_register() {
    for (name, source) in [("fides-example", FIDES_EXAMPLE), ("shop", SHOP)] {
        let checked = check(source, Some(&GLESYS));
        assert_eq!(
            checked.diagnostics,
            vec![],
            "{name}:\n{}",
            render_text(name, &checked.diagnostics)
        );
        assert!(checked.dataset.is_some(), "{name}");
    }
}

#[test]
fn the_fides_example_as_json() {
    let dataset = check(FIDES_EXAMPLE, Some(&GLESYS)).dataset.expect("valid");
    insta::assert_json_snapshot!("fides_example_json", dataset);
}

#[test]
fn many_errors_in_one_run() {
    let checked = check(MANY_ERRORS, Some(&GLESYS));
    assert!(checked.dataset.is_none());
    let text = render_text("many-errors.yaml", &checked.diagnostics);
    assert!(!text.contains("hunter2"), "the password is never repeated");
    assert!(!text.contains("db.internal"), "nor the host");
    insta::assert_snapshot!("many_errors_text", text);
}

#[test]
fn without_a_register_its_checks_are_skipped() {
    let source = MINIMAL.replacen("category: support_ticket", "category: no_such_category", 1);
    assert!(check(&source, None).dataset.is_some());
    assert!(check(&source, Some(&GLESYS)).dataset.is_none());
}

// ---- connection and TLS ------------------------------------------------------------------------

#[test]
fn a_connection_string_in_the_file_is_an_error_that_does_not_repeat_it() {
    let secret = "postgres://shop:hunter2@db.internal/shop";
    for (from, to) in [
        (
            "connection: {env: MINIMAL_DATABASE_URL}",
            format!("connection: ‸{secret}"),
        ),
        (
            "connection: {env: MINIMAL_DATABASE_URL}",
            format!("connection: {{env: ‸\"{secret}\"}}"),
        ),
        (
            "connection: {env: MINIMAL_DATABASE_URL}",
            format!("connection: {{file: ‸\"{secret}\"}}"),
        ),
        (
            "connection: {env: MINIMAL_DATABASE_URL}",
            "connection: {env: MINIMAL_DATABASE_URL, ‸password: hunter2}".to_string(),
        ),
    ] {
        let d = assert_reported("secret-in-file", from, &to);
        let shown = format!("{} {}", d.message, d.help.unwrap_or_default());
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains("db.internal"), "{shown}");
    }
}

#[test]
fn a_connection_string_anywhere_is_never_repeated() {
    let secret = "mysql://shop:hunter2@db.internal/shop";
    for (from, to) in [
        ("kind: postgres", format!("kind: {secret}")),
        ("  - name: ticket", format!("  - name: {secret}")),
        (
            "    primary_key: id\n    retention",
            format!("    primary_key: id\n    schema: {secret}\n    retention"),
        ),
        (
            "{name: closed_at}",
            format!("{{name: closed_at, identity: \"{secret}\"}}"),
        ),
    ] {
        let source = MINIMAL.replacen(from, &to, 1);
        let checked = check(&source, Some(&GLESYS));
        assert!(checked.has_errors(), "{to}");
        let text = render_text("dataset.yaml", &checked.diagnostics);
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("(value not shown)"), "{text}");
    }
}

#[test]
fn connection_names_and_paths() {
    let c = "connection: {env: MINIMAL_DATABASE_URL}";
    assert_reported("invalid-value", c, "connection: {env: ‸minimal-url}");
    assert_reported("invalid-value", c, "connection: {file: ‸secrets/db.url}");
    assert_reported(
        "invalid-value",
        c,
        "connection: {env: A, file: ‸/etc/skydd/a.url}",
    );
    assert_reported("missing-key", c, "connection: ‸{}");
    let (source, _, _) = edited(c, "connection: {file: /etc/skydd/a.url‸}");
    let dataset = check(&source, Some(&GLESYS)).dataset.expect("valid");
    assert_eq!(
        dataset.connection,
        Connection::File("/etc/skydd/a.url".into())
    );
}

#[test]
fn tls_options() {
    let kind = "kind: postgres";
    assert_reported(
        "invalid-value",
        kind,
        "kind: postgres\ntls: {mode: require, ca_file: ‸/etc/ca.pem}",
    );
    assert_reported(
        "invalid-value",
        kind,
        "kind: postgres\ntls: {mode: ‸verify_full}",
    );
    assert_reported("invalid-value", kind, "kind: sqlite\ntls: ‸{mode: require}");
    let (source, _, _) = edited(
        kind,
        "kind: mysql\ntls: {mode: verify-ca, ca_file: /etc/ca.pem}‸",
    );
    let tls = check(&source, Some(&GLESYS))
        .dataset
        .expect("valid")
        .tls
        .expect("tls");
    assert_eq!(tls.mode, TlsMode::VerifyCa);
    assert_eq!(tls.ca_file.as_deref(), Some("/etc/ca.pem"));
    let (source, _, _) = edited(kind, "kind: sqlite‸");
    assert_eq!(
        check(&source, Some(&GLESYS)).dataset.expect("valid").tls,
        None
    );
}

// ---- shape -------------------------------------------------------------------------------------

#[test]
fn unknown_keys_suggest_the_closest() {
    let d = assert_reported(
        "unknown-key",
        "    primary_key: id\n    retention",
        "    ‸primary_kye: id\n    retention",
    );
    assert_eq!(
        d.help.as_deref(),
        Some("did you mean `primary_key`? it is required here")
    );
    let d = assert_reported(
        "unknown-key",
        "{name: closed_at}",
        "{name: closed_at, ‸free_txt: true}",
    );
    assert_eq!(d.help.as_deref(), Some("did you mean `free_text`?"));
}

#[test]
fn erasure_strategies() {
    let from = "{name: body, category: support_ticket, free_text: true, erase: null}";
    let strategy = |erase: &str| {
        let source = MINIMAL.replacen(
            from,
            &format!("{{name: body, category: support_ticket, erase: {erase}}}"),
            1,
        );
        let dataset = check(&source, Some(&GLESYS)).dataset.expect(erase);
        dataset
            .collection("ticket")
            .unwrap()
            .field("body")
            .unwrap()
            .erase
            .clone()
    };
    assert_eq!(strategy("null"), Erasure::Null);
    assert_eq!(strategy("~"), Erasure::Null);
    assert_eq!(strategy("keyed_hash"), Erasure::KeyedHash);
    assert_eq!(strategy("random"), Erasure::Random);
    assert_eq!(strategy("delete_row"), Erasure::DeleteRow);
    assert_eq!(strategy("keep"), Erasure::Keep);
    assert_eq!(
        strategy("{replace: \"[erased]\"}"),
        Erasure::Replace("[erased]".into())
    );
    let d = assert_reported(
        "invalid-value",
        from,
        "{name: body, category: support_ticket, erase: ‸hash}",
    );
    assert!(d.help.is_some());
    assert_reported(
        "missing-key",
        from,
        "{name: ‸body, category: support_ticket}",
    );
}

#[test]
fn a_broken_strategy_is_one_error() {
    let source = MINIMAL.replacen("erase: null}", "erase: [keep]}", 1);
    let checked = check(&source, Some(&GLESYS));
    let codes: Vec<_> = checked.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["wrong-type"], "{:?}", checked.diagnostics);
    let source = MINIMAL.replacen("erase: keyed_hash,", "erase: ,", 1);
    let checked = check(&source, Some(&GLESYS));
    let codes: Vec<_> = checked.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["invalid-value"], "{:?}", checked.diagnostics);
}

#[test]
fn duplicates() {
    assert_reported(
        "duplicate-id",
        "      - {name: closed_at}",
        "      - {name: closed_at}\n      - {name: ‸closed_at}",
    );
    assert_reported(
        "duplicate-id",
        "  - name: ticket\n",
        "  - name: ‸customer\n    primary_key: id\n    fields: [{name: id}]\n  - name: ticket\n",
    );
}

// ---- within the file ---------------------------------------------------------------------------

#[test]
fn primary_keys_and_references_resolve() {
    let d = assert_reported(
        "unknown-reference",
        "    primary_key: id\n    fields:\n      - {name: id, erase: keep}",
        "    primary_key: ‸ids\n    fields:\n      - {name: id, erase: keep}",
    );
    assert_eq!(d.help.as_deref(), Some("did you mean `id`?"));
    let d = assert_reported(
        "unknown-reference",
        "{field: customer.id, direction: from}",
        "{field: ‸customers.id, direction: from}",
    );
    assert_eq!(d.help.as_deref(), Some("did you mean `customer`?"));
    assert_reported(
        "unknown-reference",
        "{field: customer.id, direction: from}",
        "{field: ‸customer.email_address, direction: from}",
    );
    assert_reported(
        "invalid-value",
        "{field: customer.id, direction: from}",
        "{field: ‸customer, direction: from}",
    );
}

#[test]
fn key_and_reference_columns_are_never_masked() {
    assert_reported(
        "masked-key",
        "{name: id, erase: keep}",
        "{name: id, erase: ‸keyed_hash}",
    );
    assert_reported(
        "masked-key",
        "      - name: customer_id\n",
        "      - name: customer_id\n        erase: ‸null\n",
    );
    // A column another collection's reference points at (a join target) neither.
    let source = MINIMAL.replacen(
        "{field: customer.id, direction: from}",
        "{field: customer.email, direction: from}",
        1,
    );
    let checked = check(&source, Some(&GLESYS));
    let found: Vec<(&str, usize, usize, &str)> = checked
        .diagnostics
        .iter()
        .map(|d| (d.code, d.line, d.column, d.message.as_str()))
        .collect();
    assert_eq!(
        found,
        [(
            "masked-key",
            10,
            76,
            "`customer.email` is the join target of `ticket.customer_id`; erasure `keyed_hash` would break the rows that join on it"
        )],
        "{}",
        render_text("dataset.yaml", &checked.diagnostics)
    );
    assert!(checked.dataset.is_none());
    // Deleting the row is allowed.
    let source = MINIMAL.replacen(
        "{name: id, erase: keep}",
        "{name: id, erase: delete_row}",
        1,
    );
    assert!(check(&source, Some(&GLESYS)).dataset.is_some());
}

#[test]
fn some_collection_has_an_identity() {
    let source = MINIMAL.replacen(" identity: email,", "", 1);
    let checked = check(&source, Some(&GLESYS));
    let d = checked
        .diagnostics
        .iter()
        .find(|d| d.code == "no-identity")
        .expect("reported");
    assert_eq!((d.line, d.column), (6, 3), "at `collections`");
    assert!(d.message.contains("no request can find anyone"));
}

#[test]
fn every_collection_is_reached_or_says_why_not() {
    let reference = "        references:\n          - {field: customer.id, direction: from}\n";
    // Free text is reach enough: requests scan it for what it mentions (issue 21).
    let scanned = MINIMAL.replacen(reference, "", 1);
    assert_eq!(check(&scanned, Some(&GLESYS)).diagnostics, vec![]);
    let source = scanned.replacen(" free_text: true,", "", 1);
    let checked = check(&source, Some(&GLESYS));
    assert!(
        checked
            .diagnostics
            .iter()
            .any(|d| d.code == "unreachable" && d.is_error() && (d.line, d.column) == (11, 11)),
        "{:?}",
        checked.diagnostics
    );
    let with_reason = source.replacen(
        "    primary_key: id\n    retention",
        "    primary_key: id\n    unreachable: tickets are answered by hand\n    retention",
        1,
    );
    assert_eq!(check(&with_reason, Some(&GLESYS)).diagnostics, vec![]);
    // The wrong direction does not reach it either.
    let backwards = MINIMAL
        .replacen("direction: from", "direction: to", 1)
        .replacen(" free_text: true,", "", 1);
    assert!(check(&backwards, Some(&GLESYS)).dataset.is_none());
    // A reason where an identity reaches it is a warning.
    let d = assert_reported(
        "unreachable",
        "    primary_key: id\n    retention",
        "    primary_key: id\n    unreachable: ‸no reason\n    retention",
    );
    assert!(!d.is_error());
}

#[test]
fn ordering_has_no_cycle() {
    let (source, _, _) = edited(
        "    primary_key: id\n    fields:\n      - {name: id, erase: keep}",
        "    primary_key: id\n    erase_after: [ticket]‸\n    fields:\n      - {name: id, erase: keep}",
    );
    let source = source.replacen(
        "  - name: ticket\n    primary_key: id\n",
        "  - name: ticket\n    primary_key: id\n    erase_after: [customer]\n",
        1,
    );
    let checked = check(&source, Some(&GLESYS));
    let cycles: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.code == "ordering-cycle")
        .collect();
    assert_eq!(cycles.len(), 1, "{cycles:?}");
    assert!(cycles[0].message.contains("customer -> ticket -> customer"));
    // One collection after itself.
    assert_reported(
        "ordering-cycle",
        "  - name: ticket\n    primary_key: id\n",
        "  - name: ticket\n    primary_key: id\n    after: [‸ticket]\n",
    );
}

#[test]
fn reach_only_collections_hold_no_personal_data() {
    assert_reported(
        "invalid-value",
        "    primary_key: id\n    retention: {anchor: closed_at, rule: support_ticket}\n    fields:\n      - {name: id}\n      - name: customer_id\n        references:\n          - {field: customer.id, direction: from}\n      - {name: body, category: support_ticket,",
        "    primary_key: id\n    reach_only: true\n    fields:\n      - {name: id}\n      - name: customer_id\n        references:\n          - {field: customer.id, direction: from}\n      - {name: body, category: ‸support_ticket,",
    );
}

#[test]
fn the_retention_anchor_is_a_field() {
    let d = assert_reported(
        "unknown-reference",
        "{anchor: closed_at,",
        "{anchor: ‸closed,",
    );
    assert_eq!(d.help.as_deref(), Some("did you mean `closed_at`?"));
}

// ---- against the register ----------------------------------------------------------------------

#[test]
fn categories_and_rules_exist_in_the_register() {
    let d = assert_reported(
        "unknown-reference",
        "category: support_ticket",
        "category: ‸support_tickets",
    );
    assert_eq!(d.help.as_deref(), Some("did you mean `support_ticket`?"));
    let d = assert_reported(
        "unknown-reference",
        "rule: support_ticket}",
        "rule: ‸support}",
    );
    assert!(d.message.contains("retention rule"));
    let d = assert_reported(
        "retention-category",
        "rule: support_ticket}",
        "rule: ‸invoice_data}",
    );
    assert!(!d.is_error());
}

#[test]
fn a_category_under_a_legal_hold_is_kept() {
    let email = "erase: keyed_hash, outside_hold: not the invoice}";
    let d = assert_reported("legal-hold", email, "erase: ‸keyed_hash}");
    assert!(d.message.contains("bookkeeping"), "{}", d.message);
    assert!(d.message.contains("Bokföringslagen"), "{}", d.message);
    // Kept: valid.
    let kept = MINIMAL.replacen(email, "erase: keep}", 1);
    assert_eq!(check(&kept, Some(&GLESYS)).diagnostics, vec![]);
    // Kept, but the row is deleted through another column: an error there.
    let deleted = kept.replacen(
        "{name: id, erase: keep}",
        "{name: id, erase: delete_row}",
        1,
    );
    let checked = check(&deleted, Some(&GLESYS));
    assert!(
        checked
            .diagnostics
            .iter()
            .any(|d| d.code == "legal-hold" && d.line == 9)
    );
    // `outside_hold` on a category no hold keeps is a warning.
    let d = assert_reported(
        "legal-hold",
        "free_text: true, erase: null}",
        "free_text: true, erase: null, outside_hold: ‸why}",
    );
    assert!(!d.is_error());
}

// ---- never panics ------------------------------------------------------------------------------

/// Text made of pieces of datasets, so that the decoder sees near-valid shapes.
fn dataset_like() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "skydd_dataset: 1\n",
        "name: x\n",
        "kind: postgres\n",
        "kind: sqlite\n",
        "connection: {env: X}\n",
        "connection: x\n",
        "tls: {mode: verify-full}\n",
        "collections:\n",
        "  - name: a\n",
        "  - name: b\n",
        "    primary_key: id\n",
        "    primary_key: [id, x]\n",
        "    after: [a, b]\n",
        "    erase_after: b\n",
        "    reach_only: true\n",
        "    unreachable: why\n",
        "    retention: {anchor: id, rule: r}\n",
        "    fields:\n",
        "      - {name: id}\n",
        "      - {name: e, identity: email, category: c, erase: null}\n",
        "      - name: r\n",
        "        references: [{field: a.id, direction: to}]\n",
        "        references: [{field: b.r, direction: from}]\n",
        "        erase: {replace: x}\n",
        "        erase: delete_row\n",
        "- \n",
        ": \n",
        "[",
        "{",
        "&a ",
        "*a ",
        "\"",
        "\t",
        "#",
    ]);
    prop::collection::vec(pieces, 0..40).prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_text_never_panics(input in "\\PC{0,300}") {
        let _ = check(&input, Some(&GLESYS));
    }

    #[test]
    fn dataset_like_text_never_panics(input in dataset_like()) {
        let checked = check(&input, Some(&GLESYS));
        prop_assert_eq!(checked.dataset.is_some(), !checked.has_errors());
    }
}
