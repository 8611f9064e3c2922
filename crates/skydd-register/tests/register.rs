//! Integration tests of `skydd-register`: every error kind at its line and column, the example
//! registers, rendering, digests, and inputs that must never panic.

// Helpers of a test binary may panic: a panic is a failing test with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use proptest::prelude::*;
use skydd_register::diagnostic::{render_json, render_text};
use skydd_register::{Diagnostic, FromJsonError, Register, check};

/// The `cookies` section behind the consent banner (issue 18).
#[path = "register/cookies.rs"]
mod cookies;

/// Anonymous and aggregated data (issue 20).
#[path = "register/anonymous.rs"]
mod anonymous;

/// Whether data must be provided, and what follows if it is not (Art. 13(2)(e), issue 20).
#[path = "register/provision.rs"]
mod provision;

/// Field labels in English and Swedish (issue 20).
#[path = "register/labels.rs"]
mod labels;

/// The controller as a group, its offices and its Art. 27 representative (issue 20).
#[path = "register/group.rs"]
mod group;

const MINIMAL: &str = include_str!("fixtures/minimal.yaml");
const MANY_ERRORS: &str = include_str!("fixtures/many-errors.yaml");

/// The marker that shows, in a test's edited register, where a diagnostic must point.
const HERE: char = '‸';

/// Apply `(from, to)` to the minimal register; `to` contains `HERE` where the diagnostic must
/// point. Returns the edited source and the 1-based line and column of the marker.
fn edited(from: &str, to: &str) -> (String, usize, usize) {
    assert!(
        MINIMAL.contains(from),
        "the minimal register has no `{from}`"
    );
    let marked = MINIMAL.replacen(from, to, 1);
    let at = marked.find(HERE).expect("the replacement marks a position");
    let before = &marked[..at];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (marked.replace(HERE, ""), line, column)
}

fn assert_reported(code: &str, from: &str, to: &str) -> Diagnostic {
    let (source, line, column) = edited(from, to);
    let checked = check(&source);
    assert!(
        checked.register.is_none(),
        "{code}: an invalid register must not produce a model"
    );
    let found = checked
        .diagnostics
        .iter()
        .find(|d| d.code == code && d.line == line && d.column == column)
        .cloned();
    found.unwrap_or_else(|| {
        panic!(
            "expected `{code}` at {line}:{column}, got:\n{}",
            render_text("register.yaml", &checked.diagnostics)
        )
    })
}

#[test]
fn the_minimal_register_is_valid() {
    let checked = check(MINIMAL);
    assert_eq!(checked.diagnostics, vec![]);
    let register = checked.register.expect("valid");
    assert_eq!(register.controller.name, "Example AB");
    assert_eq!(register.published.to_string(), "2022-01-05");
}

#[test]
fn unknown_key_suggests_the_closest() {
    let d = assert_reported("unknown-key", "  name: Example AB", "  ‸nmae: Example AB");
    assert_eq!(
        d.help.as_deref(),
        Some("did you mean `name`? it is required here")
    );
    let source = MINIMAL.replacen("  name: Example AB", "  nmae: Example AB", 1);
    let codes: Vec<_> = check(&source).diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["unknown-key"], "one mistake, one error");
}

#[test]
fn duplicate_id() {
    assert_reported(
        "duplicate-id",
        "  - {id: customer, name: Customers}",
        "  - {id: customer, name: Customers}\n  - {id: ‸customer, name: Again}",
    );
}

#[test]
fn duplicate_key() {
    assert_reported(
        "duplicate-key",
        "  country: SE\nsubjects",
        "  country: SE\n  ‸country: NO\nsubjects",
    );
}

#[test]
fn unknown_reference_suggests_the_closest() {
    let d = assert_reported(
        "unknown-reference",
        "subjects: [customer]",
        "subjects: [‸customr]",
    );
    assert_eq!(d.help.as_deref(), Some("did you mean `customer`?"));
}

#[test]
fn consent_without_wording() {
    assert_reported(
        "consent-without-wording",
        "{contact: contract}",
        "{contact: ‸consent}",
    );
}

#[test]
fn several_bases_each_bring_what_they_need() {
    assert_reported(
        "consent-without-wording",
        "{contact: contract}",
        "{contact: [contract, ‸consent]}",
    );
}

/// P000-41: legitimate interest is used "in a manner that we believe does not conflict with your
/// personal rights or freedoms": a purpose on legitimate interest without its balancing test
/// fails validation.
#[test]
fn legitimate_interest_without_balancing() {
    assert_reported(
        "legitimate-interest-without-balancing",
        "{contact: contract}",
        "{contact: ‸legitimate_interest}",
    );
}

#[test]
fn legal_obligation_without_law() {
    assert_reported(
        "obligation-without-law",
        "{contact: contract}",
        "{contact: ‸legal_obligation}",
    );
}

#[test]
fn recipient_in_third_country_without_mechanism() {
    assert_reported(
        "transfer-without-mechanism",
        "security:\n",
        "recipients:\n  - {id: google, name: Google LLC, kind: processor, country: ‸US, purposes: [delivery]}\nsecurity:\n",
    );
}

#[test]
fn adequacy_only_where_the_commission_decided_it() {
    // P002-32: "a non-adequate country with mechanism=adequacy -> rejected".
    assert_reported(
        "invalid-transfer-mechanism",
        "security:\n",
        "recipients:\n  - id: acme\n    name: Acme\n    kind: processor\n    country: IN\n    purposes: [delivery]\n    transfer: {mechanism: ‸adequacy, documented_in: contract}\nsecurity:\n",
    );
    // Switzerland has a decision: accepted.
    let swiss = MINIMAL.replacen(
        "security:\n",
        "recipients:\n  - id: acme\n    name: Acme\n    kind: processor\n    country: CH\n    purposes: [delivery]\n    transfer: {mechanism: adequacy, documented_in: https://commission.europa.eu}\nsecurity:\n",
        1,
    );
    assert!(
        !check(&swiss).has_errors(),
        "{:?}",
        check(&swiss).diagnostics
    );
}

#[test]
fn dpf_only_for_the_united_states() {
    assert_reported(
        "invalid-transfer-mechanism",
        "security:\n",
        "recipients:\n  - id: acme\n    name: Acme\n    kind: processor\n    country: CN\n    purposes: [delivery]\n    transfer: {mechanism: ‸eu_us_dpf, documented_in: x}\nsecurity:\n",
    );
}

#[test]
fn category_without_retention_rule() {
    assert_reported(
        "missing-retention",
        "purposes:\n",
        "  - id: ‸extra\n    name: Extra\n    provided_by_subject: false\n    fields: [x]\npurposes:\n",
    );
}

#[test]
fn retention_must_cover_every_purpose_that_uses_a_category() {
    let source = MINIMAL
        .replacen(
            "retention:\n",
            "  - id: support\n    name: Support\n    role: controller\n    subjects: [customer]\n    sources: [data_subject]\n    legal_basis: {contact: contract}\nretention:\n",
            1,
        )
        .replacen("after: contract_end", "purposes: [delivery], after: contract_end", 1);
    let checked = check(&source);
    let d = checked
        .diagnostics
        .iter()
        .find(|d| d.code == "missing-retention")
        .expect("reported");
    assert!(d.message.contains("purpose `support`"), "{}", d.message);
    assert_eq!((d.line, d.column), (32, 19));
}

#[test]
fn anonymous_data_needs_no_retention() {
    let source = MINIMAL.replacen(
        "purposes:\n",
        "  - id: stats\n    name: Aggregated statistics\n    personal_data: false\n    provided_by_subject: false\n    fields: [visits]\npurposes:\n",
        1,
    );
    assert!(!check(&source).has_errors());
}

#[test]
fn special_category_without_condition() {
    assert_reported(
        "special-category-without-condition",
        "    provided_by_subject: true\n",
        "    provided_by_subject: true\n    special_category: ‸health\n",
    );
}

#[test]
fn special_category_with_condition_is_valid() {
    let source = MINIMAL.replacen(
        "    provided_by_subject: true\n",
        "    provided_by_subject: true\n    special_category: health\n    art9_condition: explicit_consent\n",
        1,
    );
    assert!(!check(&source).has_errors());
}

#[test]
fn duration_that_does_not_parse() {
    // P000-65: "the word 'reasonable' is rejected".
    let d = assert_reported("invalid-duration", "keep: 24 months", "keep: ‸reasonable");
    assert!(d.help.unwrap().contains("24 months"));
}

#[test]
fn yaml_syntax_errors_have_a_position() {
    let checked = check("skydd: 1\ncontroller:\n  name: \"unclosed\n");
    assert_eq!(checked.diagnostics.len(), 1);
    let d = &checked.diagnostics[0];
    assert_eq!(d.code, "yaml-syntax");
    assert!(d.line >= 3, "{d:?}");
}

#[test]
fn wrong_types_are_named() {
    let d = assert_reported(
        "wrong-type",
        "controller:\n  name: Example AB",
        "controller:\n  name: ‸[Example AB]",
    );
    assert!(d.message.contains("found a list"), "{}", d.message);
}

#[test]
fn enumerations_suggest_the_closest() {
    let d = assert_reported("invalid-value", "kind: data_subject", "kind: ‸data_subjet");
    assert_eq!(d.help.as_deref(), Some("did you mean `data_subject`?"));
}

#[test]
fn a_processor_activity_has_no_legal_basis_of_its_own() {
    assert_reported(
        "processor-with-legal-basis",
        "    role: controller\n    subjects: [customer]\n    sources: [data_subject]\n    legal_basis",
        "    role: processor\n    controllers: Our customers\n    subjects: [customer]\n    sources: [data_subject]\n    ‸legal_basis",
    );
}

#[test]
fn a_controller_activity_needs_a_legal_basis() {
    // P003-08: "Register validation fails when any purpose lacks a legal basis".
    let source = MINIMAL.replacen("    legal_basis: {contact: contract}\n", "", 1);
    let checked = check(&source);
    assert!(
        checked
            .diagnostics
            .iter()
            .any(|d| d.code == "missing-legal-basis")
    );
}

#[test]
fn deadlines_within_article_12() {
    assert_reported(
        "rights-deadline",
        "response_time: 1 month",
        "response_time: ‸32 days",
    );
    assert_reported(
        "rights-deadline",
        "response_time: 1 month",
        "response_time: ‸5 weeks",
    );
    assert_reported(
        "rights-deadline",
        "response_time: 1 month",
        "response_time: ‸2 months",
    );
    assert_reported(
        "rights-deadline",
        "extension: 2 months",
        "extension: ‸3 months",
    );
}

#[test]
fn swedish_organisation_numbers_are_checked() {
    // P001-01: "an org-nr that is malformed ... fails validation".
    assert_reported(
        "invalid-organisation-number",
        "organisation_number: 556647-9241",
        "organisation_number: ‸556647-9242",
    );
}

#[test]
fn every_error_in_one_run() {
    let checked = check(MANY_ERRORS);
    let errors = checked.diagnostics.iter().filter(|d| d.is_error()).count();
    assert!(errors >= 15, "{errors} errors");
    insta::assert_snapshot!(
        "many_errors_text",
        render_text("many-errors.yaml", &checked.diagnostics)
    );
}

#[test]
fn json_output_lists_diagnostics() {
    let checked = check(MANY_ERRORS);
    let json = render_json("many-errors.yaml", &checked.diagnostics, None);
    assert_eq!(json["valid"], false);
    assert_eq!(json["diagnostics"][0]["code"], "invalid-value");
    assert_eq!(json["diagnostics"][0]["line"], 2);
}

#[test]
fn the_register_model_as_json() {
    let register = check(MINIMAL).register.expect("valid");
    insta::assert_json_snapshot!("minimal_register_json", register.to_json());
}

#[test]
fn the_digest_follows_content_not_formatting() {
    let register = check(MINIMAL).register.expect("valid");
    let commented = format!(
        "# A comment\n{}",
        MINIMAL.replace("  name: Example AB", "  name:    Example AB   # P000-02")
    );
    assert_eq!(
        check(&commented).register.expect("valid").digest(),
        register.digest()
    );
    let changed = MINIMAL.replace("keep: 24 months", "keep: 25 months");
    assert_ne!(
        check(&changed).register.expect("valid").digest(),
        register.digest()
    );
}

#[test]
fn swedish_missing_is_a_warning_when_swedish_is_published() {
    let source = MINIMAL.replacen(
        "published: 2022-01-05\n",
        "published: 2022-01-05\nlanguages: [en, sv]\n",
        1,
    );
    let checked = check(&source);
    assert!(checked.register.is_some());
    assert!(
        checked
            .diagnostics
            .iter()
            .any(|d| d.code == "missing-translation")
    );
}

fn example_registers() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/registers");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("examples/registers exists")
        .map(|entry| entry.expect("readable").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    paths.sort();
    paths
}

#[test]
fn the_example_registers_are_valid() {
    let paths = example_registers();
    let names: Vec<_> = paths
        .iter()
        .filter_map(|p| p.file_name()?.to_str())
        .collect();
    assert_eq!(
        names,
        [
            "glesys.yaml",
            "partnersec.yaml",
            "syspeace.yaml",
            "workitems.yaml"
        ]
    );
    for path in &paths {
        let source = std::fs::read_to_string(path).expect("readable");
        let checked = check(&source);
        let errors: Vec<_> = checked
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .cloned()
            .collect();
        assert!(
            errors.is_empty(),
            "{}",
            render_text(&path.display().to_string(), &errors)
        );
    }
}

fn example_register(name: &str) -> Register {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/registers")
        .join(name);
    check(&std::fs::read_to_string(path).expect("readable"))
        .register
        .expect("valid")
}

#[test]
fn every_example_register_is_rebuilt_from_its_json_with_the_same_digest() {
    let paths = example_registers();
    assert_eq!(paths.len(), 4);
    for path in &paths {
        let source = std::fs::read_to_string(path).expect("readable");
        let register = check(&source).register.expect("valid");
        // The text exactly as `LoadedRegister::record` stores it.
        let stored = register.to_json().to_string();
        let rebuilt =
            Register::from_json(&stored).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(rebuilt, register, "{}", path.display());
        assert_eq!(rebuilt.digest(), register.digest(), "{}", path.display());
        assert_eq!(rebuilt.to_json().to_string(), stored, "{}", path.display());
        // Pretty-printed JSON is the same content: whitespace does not matter, content does.
        let pretty = serde_json::to_string_pretty(&register.to_json()).unwrap();
        assert_eq!(Register::from_json(&pretty).unwrap(), register);
    }
}

#[test]
fn the_minimal_register_round_trips_with_its_absent_parts() {
    let register = check(MINIMAL).register.expect("valid");
    let rebuilt = Register::from_json(&register.to_json().to_string()).unwrap();
    assert_eq!(rebuilt, register);
    assert_eq!(rebuilt.digest(), register.digest());
}

/// The JSON of the GleSYS register with `edit` applied to it.
fn edited_json(edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let mut json = example_register("glesys.yaml").to_json();
    edit(&mut json);
    json.to_string()
}

#[test]
fn damaged_json_is_an_error_that_says_where() {
    assert!(matches!(
        Register::from_json("{\"format\": 1,"),
        Err(FromJsonError::NotJson { .. })
    ));
    assert!(matches!(
        Register::from_json(""),
        Err(FromJsonError::NotJson { .. })
    ));
    assert!(matches!(
        Register::from_json("null"),
        Err(FromJsonError::Shape { .. })
    ));

    let missing = edited_json(|j| {
        j.as_object_mut().unwrap().remove("controller");
    });
    let error = Register::from_json(&missing).unwrap_err();
    assert!(
        error.to_string().contains("missing field `controller`"),
        "{error}"
    );

    let wrong_basis = edited_json(|j| {
        j["purposes"][0]["legal_basis"][0]["bases"][0] = "because".into();
    });
    let error = Register::from_json(&wrong_basis).unwrap_err();
    let FromJsonError::Shape { path, message } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(path, "purposes[0].legal_basis[0].bases[0]");
    assert!(
        message.contains("`because` is not a legal basis"),
        "{message}"
    );
    assert!(message.contains("legitimate_interest"), "{message}");

    let bad_country = edited_json(|j| j["controller"]["address"]["country"] = "UK".into());
    let error = Register::from_json(&bad_country).unwrap_err();
    assert!(
        error.to_string().contains("controller.address.country"),
        "{error}"
    );
    assert!(error.to_string().contains("`GB`"), "{error}");

    let bad_period = edited_json(|j| j["rights"]["response_time"] = "a while".into());
    let error = Register::from_json(&bad_period).unwrap_err();
    assert!(
        error.to_string().contains("rights.response_time"),
        "{error}"
    );

    let bad_date = edited_json(|j| j["published"] = "2018-02-30".into());
    let error = Register::from_json(&bad_date).unwrap_err();
    assert!(error.to_string().contains("published"), "{error}");
}

#[test]
fn json_that_is_not_canonical_is_refused() {
    // An unknown key would change the digest if it were kept, and be lost if it were not.
    let unknown = edited_json(|j| {
        j.as_object_mut()
            .unwrap()
            .insert("comment".into(), "hand-edited".into());
    });
    assert_eq!(
        Register::from_json(&unknown),
        Err(FromJsonError::NotCanonical)
    );
    // A country code in lower case reads as SE but is not what `to_json` writes.
    let lower = edited_json(|j| j["controller"]["address"]["country"] = "se".into());
    assert_eq!(
        Register::from_json(&lower),
        Err(FromJsonError::NotCanonical)
    );
    // A period written the ISO way reads back as the same period, written in words.
    let iso = edited_json(|j| j["rights"]["response_time"] = "P1M".into());
    assert_eq!(Register::from_json(&iso), Err(FromJsonError::NotCanonical));
    // A key left out where `to_json` writes null.
    let left_out = edited_json(|j| {
        assert!(j["representative"].is_null());
        j.as_object_mut().unwrap().remove("representative");
    });
    assert_eq!(
        Register::from_json(&left_out),
        Err(FromJsonError::NotCanonical)
    );
}

/// Text made of register-like pieces, so that random input reaches deep into the decoder.
fn register_like() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "skydd: 1\n",
        "published: 2022-01-05\n",
        "controller:\n",
        "  name: X\n",
        "data:\n",
        "  - id: a\n",
        "    fields: [a, {id: b}]\n",
        "purposes:\n",
        "    legal_basis: {a: consent}\n",
        "retention:\n",
        "  - {id: r, category: a, after: collected_at, keep: 1 day}\n",
        "- ",
        ": ",
        "[",
        "]",
        "{",
        "}",
        "&x ",
        "*x ",
        "\"",
        "'",
        "|\n",
        "  ",
        "\t",
        "#",
        "---\n",
        "~",
        "é",
        "\u{0}",
    ]);
    prop::collection::vec(pieces, 0..60).prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_text_never_panics(input in "\\PC{0,300}") {
        let _ = check(&input);
    }

    #[test]
    fn register_like_text_never_panics(input in register_like()) {
        let _ = check(&input);
    }

    #[test]
    fn mutated_registers_never_panic(cut in 0usize..2_000, len in 0usize..40, insert in "\\PC{0,8}") {
        let mut source = MINIMAL.to_string();
        let start = source.char_indices().map(|(i, _)| i).nth(cut % MINIMAL.chars().count()).unwrap_or(0);
        let end = source[start..].char_indices().map(|(i, _)| start + i).nth(len).unwrap_or(source.len());
        source.replace_range(start..end, &insert);
        let checked = check(&source);
        // Whatever passes `check` is rebuilt exactly from its stored JSON.
        if let Some(register) = &checked.register {
            let rebuilt = Register::from_json(&register.to_json().to_string());
            prop_assert_eq!(rebuilt.as_ref(), Ok(register));
        }
        // Every diagnostic points inside the file.
        let lines = source.lines().count().max(1) + 1;
        for d in &checked.diagnostics {
            prop_assert!(d.line >= 1 && d.line <= lines, "{:?} outside {} lines", d, lines);
        }
    }
}

#[test]
fn a_change_policy_says_how_changes_are_announced() {
    use skydd_register::model::ChangeChannel;
    let source =
        format!("{MINIMAL}changes:\n  announce: [email, website]\n  notice_period: 30 days\n");
    let checked = check(&source);
    assert_eq!(checked.diagnostics, vec![]);
    let changes = checked.register.unwrap().changes.unwrap();
    assert_eq!(
        changes.announce,
        [ChangeChannel::Email, ChangeChannel::Website]
    );
    assert_eq!(
        changes.notice_period.map(|p| p.to_string()).as_deref(),
        Some("30 days")
    );
    // Without `changes`, nothing is promised, and the digest of older registers is unchanged.
    assert!(check(MINIMAL).register.unwrap().changes.is_none());
    assert!(
        !check(MINIMAL)
            .register
            .unwrap()
            .to_json()
            .as_object()
            .unwrap()
            .contains_key("changes")
    );

    for (to, code) in [
        ("changes:\n  announce: [‸fax]\n", "invalid-value"),
        ("changes:\n  announce: ‸[]\n", "invalid-value"),
        (
            "changes:\n  announce: [email]\n  notice_period: ‸soon\n",
            "invalid-duration",
        ),
        (
            "changes:\n  announce: [email]\n  ‸notify: [email]\n",
            "unknown-key",
        ),
    ] {
        let marked = format!("{MINIMAL}{to}");
        let at = marked.find(HERE).unwrap();
        let before = &marked[..at];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        let checked = check(&marked.replace(HERE, ""));
        assert!(checked.register.is_none(), "{to}");
        assert!(
            checked
                .diagnostics
                .iter()
                .any(|d| d.code == code && d.line == line && d.column == column),
            "{to}: {}",
            render_text("register.yaml", &checked.diagnostics)
        );
    }
}
// ---- rights.public_holidays ----------------------------------------------------------------

/// The minimal register with an Irish controller and `holidays` (YAML lines, indented under
/// `rights:`; may hold `HERE`) added to the rights policy. Returns the source and the line and
/// column of the marker (0, 0 when there is none).
fn irish(holidays: &str) -> (String, usize, usize) {
    let source = MINIMAL
        .replacen(
            "address: {city: Stockholm, country: SE}",
            "address: {city: Dublin, country: IE}",
            1,
        )
        .replacen(
            "  identity_verification: [email_code]\n",
            &format!("  identity_verification: [email_code]\n{holidays}"),
            1,
        );
    match source.find(HERE) {
        Some(at) => {
            let before = &source[..at];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
            (source.replace(HERE, ""), line, column)
        }
        None => (source, 0, 0),
    }
}

/// The warnings and errors of `source` with `code`, as `(line, column, severity)`.
fn found(source: &str, code: &str) -> Vec<(usize, usize, &'static str)> {
    check(source)
        .diagnostics
        .iter()
        .filter(|d| d.code == code)
        .map(|d| (d.line, d.column, d.severity.as_str()))
        .collect()
}

const IRISH_HOLIDAYS: &str = "  public_holidays:
    - 2022-01-03
    - {date: 2022-03-17, name: St Patrick's Day}
    - 2022-04-18
    - 2023-01-02
    - {date: 2023-03-17, name: St Patrick's Day}
";

#[test]
fn public_holidays_are_read_sorted_with_their_names() {
    let (source, _, _) = irish(
        &IRISH_HOLIDAYS.replace("    - 2022-01-03\n", "    - 2023-12-25\n    - 2022-01-03\n"),
    );
    let checked = check(&source);
    assert_eq!(checked.diagnostics, vec![]);
    let register = checked.register.expect("valid");
    let dates: Vec<String> = register
        .rights
        .public_holidays
        .iter()
        .map(|h| h.date.to_string())
        .collect();
    assert_eq!(
        dates,
        [
            "2022-01-03",
            "2022-03-17",
            "2022-04-18",
            "2023-01-02",
            "2023-03-17",
            "2023-12-25"
        ]
    );
    assert_eq!(
        register.rights.public_holidays[1].name.as_deref(),
        Some("St Patrick's Day")
    );
    assert_eq!(register.rights.public_holidays[0].name, None);
    let json = register.to_json();
    assert_eq!(
        json["rights"]["public_holidays"][1],
        serde_json::json!({"date": "2022-03-17", "name": "St Patrick's Day"})
    );
    assert_eq!(
        json["rights"]["public_holidays"][0],
        serde_json::json!({"date": "2022-01-03"})
    );
}

#[test]
fn a_register_without_public_holidays_keeps_its_json_and_digest() {
    // The field is left out of the JSON when empty: the digest of every register written
    // before it existed is unchanged (the snapshot of the minimal register proves the shape).
    let register = check(MINIMAL).register.expect("valid");
    assert!(register.rights.public_holidays.is_empty());
    assert!(
        register.to_json()["rights"]
            .get("public_holidays")
            .is_none()
    );
}

#[test]
fn a_holiday_that_is_not_a_date_is_an_error_at_its_position() {
    let (source, line, column) = irish("  public_holidays:\n    - 2022-01-03\n    - ‸2022-02-30\n");
    let checked = check(&source);
    assert!(checked.register.is_none());
    let d = checked
        .diagnostics
        .iter()
        .find(|d| d.code == "invalid-value" && d.line == line && d.column == column)
        .expect("reported at the date");
    assert!(d.message.contains("2022-02-30"), "{}", d.message);
    assert!(d.help.as_deref().unwrap_or("").contains("YYYY-MM-DD"));

    let (source, line, column) =
        irish("  public_holidays:\n    - {date: 2022-01-03, ‸nmae: New Year's Day}\n");
    let d = check(&source)
        .diagnostics
        .into_iter()
        .find(|d| d.code == "unknown-key")
        .expect("unknown key reported");
    assert_eq!((d.line, d.column), (line, column));
    assert_eq!(d.help.as_deref(), Some("did you mean `name`?"));

    let (source, line, column) = irish("  public_holidays:\n    - ‸{name: New Year's Day}\n");
    assert!(found(&source, "missing-key").contains(&(line, column, "error")));

    let (source, line, column) = irish("  public_holidays: ‸2022-01-03\n");
    assert!(found(&source, "wrong-type").contains(&(line, column, "error")));
}

#[test]
fn a_holiday_listed_twice_is_a_warning() {
    let (source, line, column) = irish(&format!("{IRISH_HOLIDAYS}    - ‸2022-03-17\n"));
    assert_eq!(
        found(&source, "duplicate-holiday"),
        [(line, column, "warning")]
    );
    let register = check(&source)
        .register
        .expect("a warning keeps the register");
    assert_eq!(register.rights.public_holidays.len(), 5);
}

#[test]
fn a_country_without_built_in_holidays_and_none_listed_is_warned_about() {
    let (source, _, _) = irish("");
    let checked = check(&source);
    let warning = checked
        .diagnostics
        .iter()
        .find(|d| d.code == "holidays-missing")
        .expect("warned");
    assert!(!warning.is_error());
    let rights_line = MINIMAL
        .lines()
        .position(|l| l == "rights:")
        .expect("minimal has rights")
        + 2; // the first key of the rights map, where the map starts
    assert_eq!((warning.line, warning.column), (rights_line, 3));
    assert!(
        warning.message.contains("only Saturdays and Sundays"),
        "{}",
        warning.message
    );
    assert!(
        warning
            .help
            .as_deref()
            .unwrap_or("")
            .contains("rights.public_holidays")
    );
    assert!(checked.register.is_some());
}

#[test]
fn holidays_listed_for_sweden_are_not_used_and_warned_about() {
    let source = MINIMAL.replacen(
        "  identity_verification: [email_code]\n",
        "  identity_verification: [email_code]\n  public_holidays: [2022-01-06]\n",
        1,
    );
    let line = source
        .lines()
        .position(|l| l.contains("public_holidays"))
        .expect("added")
        + 1;
    assert_eq!(found(&source, "holidays-built-in"), [(line, 20, "warning")]);
    // Sweden without a list is silent: the calendar is built in.
    assert_eq!(found(MINIMAL, "holidays-built-in"), []);
    assert_eq!(found(MINIMAL, "holidays-missing"), []);
}

#[test]
fn holidays_must_cover_the_year_of_publication_and_the_next() {
    // The warning points at the list (its first item).
    let (source, line, column) =
        irish("  public_holidays:\n    ‸- {date: 2022-03-17, name: St Patrick's Day}\n");
    let warnings: Vec<_> = check(&source)
        .diagnostics
        .into_iter()
        .filter(|d| d.code == "holidays-year-missing")
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].message.contains("2023"),
        "{}",
        warnings[0].message
    );
    assert!(!warnings[0].message.contains("2022 and"));
    assert_eq!((warnings[0].line, warnings[0].column), (line, column));
    assert!(!warnings[0].is_error());
    let (covered, _, _) = irish(IRISH_HOLIDAYS);
    assert_eq!(found(&covered, "holidays-year-missing"), []);
    // A stored version with listed holidays is rebuilt exactly (the version history reads it).
    let register = check(&covered).register.unwrap();
    assert!(!register.rights.public_holidays.is_empty());
    let rebuilt = Register::from_json(&register.to_json().to_string()).unwrap();
    assert_eq!(rebuilt, register);
    assert_eq!(rebuilt.digest(), register.digest());
}

#[test]
fn a_response_time_longer_than_short_months_is_a_warning() {
    // "30 days" is longer than February: the deadline is then the month (skydd-requests).
    let (source, line, column) = edited("response_time: 1 month", "response_time: ‸30 days");
    assert_eq!(
        found(&source, "rights-deadline"),
        [(line, column, "warning")]
    );
    let register = check(&source)
        .register
        .expect("a warning keeps the register");
    assert_eq!(register.rights.response_time.to_string(), "30 days");
    let (source, _, _) = edited("response_time: 1 month", "response_time: ‸28 days");
    assert_eq!(found(&source, "rights-deadline"), []);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn damaged_stored_json_is_an_error_never_a_panic(cut in 0usize..20_000, len in 0usize..40, insert in "\\PC{0,8}") {
        let stored = example_register("syspeace.yaml").to_json().to_string();
        let mut damaged = stored.clone();
        let start = damaged.char_indices().map(|(i, _)| i).nth(cut % stored.chars().count()).unwrap_or(0);
        let end = damaged[start..].char_indices().map(|(i, _)| start + i).nth(len).unwrap_or(damaged.len());
        damaged.replace_range(start..end, &insert);
        if let Ok(register) = Register::from_json(&damaged) {
            // Accepted only when it is the canonical JSON of what it reads as.
            let value: serde_json::Value = serde_json::from_str(&damaged).unwrap();
            prop_assert_eq!(register.to_json(), value);
        }
    }
}

/// The minimal register with `recipients` (which may mark a position with `HERE`) added before
/// `retention`; the source and the 1-based line and column of the marker (0, 0 without one).
fn with_recipients(recipients: &str) -> (String, usize, usize) {
    let source = MINIMAL.replacen("retention:\n", &format!("{recipients}retention:\n"), 1);
    match source.find(HERE) {
        Some(at) => {
            let before = &source[..at];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
            (source.replace(HERE, ""), line, column)
        }
        None => (source, 0, 0),
    }
}

#[test]
fn a_recipients_notify_address_is_read_and_round_trips() {
    let (source, _, _) = with_recipients(
        "recipients:
  - id: mailer
    name: Mail provider
    kind: processor
    country: SE
    purposes: [delivery]
    notify: {email: privacy@mailer.example}
",
    );
    let checked = check(&source);
    assert_eq!(checked.diagnostics, vec![]);
    let register = checked.register.expect("valid");
    let notify = register.recipients[0].notify.as_ref().expect("notify read");
    assert_eq!(notify.email, "privacy@mailer.example");
    let json = register.to_json();
    assert_eq!(
        json["recipients"][0]["notify"]["email"],
        "privacy@mailer.example"
    );
    let rebuilt = Register::from_json(&json.to_string()).unwrap();
    assert_eq!(rebuilt, register);
    assert_eq!(rebuilt.digest(), register.digest());
}

#[test]
fn a_recipient_without_notify_has_none_in_its_json() {
    // Registers written before `notify` existed keep their digest: the key is left out.
    let register = example_register("glesys.yaml");
    assert!(register.recipients.iter().all(|r| r.notify.is_none()));
    let json = register.to_json();
    for recipient in json["recipients"].as_array().unwrap() {
        assert!(recipient.get("notify").is_none(), "{recipient}");
    }
}

#[test]
fn a_notify_address_that_is_no_email_is_an_error_where_it_is_written() {
    let (source, line, column) = with_recipients(
        "recipients:
  - id: mailer
    name: Mail provider
    kind: processor
    country: SE
    purposes: [delivery]
    notify: {email: ‸privacy-at-mailer}
",
    );
    assert_eq!(found(&source, "invalid-value"), [(line, column, "error")]);
    assert!(check(&source).register.is_none());

    let (source, line, column) = with_recipients(
        "recipients:
  - id: mailer
    name: Mail provider
    kind: processor
    country: SE
    purposes: [delivery]
    notify: ‸{mail: privacy@mailer.example}
",
    );
    let codes: Vec<_> = check(&source)
        .diagnostics
        .iter()
        .map(|d| (d.code, d.line, d.column))
        .collect();
    assert!(
        codes.contains(&("unknown-key", line, column + 1)),
        "{codes:?}"
    );
}

#[test]
fn a_recipient_of_personal_data_without_notify_is_warned_about() {
    let (source, line, column) = with_recipients(
        "recipients:
  - ‸id: mailer
    name: Mail provider
    kind: processor
    country: SE
    purposes: [delivery]
  - id: police
    name: The police
    kind: authority
    country: SE
    purposes: [delivery]
",
    );
    let checked = check(&source);
    let warnings: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.code == "recipient-without-notify")
        .collect();
    // The authority is not warned about: it does not keep the data as a processor or partner.
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!((warnings[0].line, warnings[0].column), (line, column));
    assert!(!warnings[0].is_error());
    assert!(
        warnings[0].message.contains("manual handling"),
        "{}",
        warnings[0].message
    );
    assert!(warnings[0].message.contains("Mail provider"));
    assert!(checked.register.is_some(), "a warning keeps the register");
}

/// Issue 20: an unquoted comma inside a `{en: ..., sv: ...}` text is named as the cause, once,
/// not reported as unknown keys; a key the format does not have says so plainly.
#[test]
fn an_unquoted_comma_in_a_text_is_named_as_the_cause() {
    let d = assert_reported(
        "unquoted-comma",
        "    name: Deliver the service\n",
        "    name: {en: Deliver the service, ‸quickly, sv: Leverera tjänsten}\n",
    );
    assert!(d.help.as_deref().unwrap().contains("quotes"), "{d:?}");
    let source = MINIMAL.replacen(
        "    name: Deliver the service\n",
        "    name: {en: Deliver the service, quickly, sv: Leverera tjänsten}\n",
        1,
    );
    let checked = check(&source);
    assert!(
        checked.diagnostics.iter().all(|d| d.code != "unknown-key"),
        "{:#?}",
        checked.diagnostics
    );

    let d = assert_reported(
        "unknown-key",
        "    role: controller\n",
        "    role: controller\n    ‸colour: blue\n",
    );
    let help = d.help.as_deref().unwrap();
    assert!(
        help.starts_with("the format has no `colour` in a purpose"),
        "{help}"
    );
}

/// Issue 20: a basis may hold only once a fact is true of the record, `{basis: contract, when:
/// event}`; the event must be declared, consent takes no condition, and a register without
/// conditions keeps its JSON.
#[test]
fn a_basis_may_wait_for_a_fact_of_the_record() {
    let conditioned = MINIMAL.replacen(
        "    legal_basis: {contact: contract}\n",
        "    legal_basis:\n      contact:\n        - {basis: contract, when: contract_end}\n        - legitimate_interest\n    legitimate_interest: {balancing: Only what is needed.}\n",
        1,
    );
    let checked = check(&conditioned);
    let register = checked
        .register
        .unwrap_or_else(|| panic!("{:#?}", checked.diagnostics));
    let basis = &register.purposes[0].legal_basis[0];
    assert_eq!(basis.bases.len(), 2);
    assert_eq!(
        basis.condition(skydd_register::model::LegalBasis::Contract),
        Some(&skydd_register::model::ConditionFact::Event(
            skydd_register::model::EventId("contract_end".into())
        ))
    );
    // The JSON of an event condition is what it was before attributes: `event` beside `basis`.
    assert_eq!(
        register.to_json()["purposes"][0]["legal_basis"][0]["when"][0],
        serde_json::json!({"basis": "contract", "event": "contract_end"})
    );
    assert!(
        basis
            .condition(skydd_register::model::LegalBasis::LegitimateInterest)
            .is_none()
    );
    let plain = check(MINIMAL).register.expect("valid");
    assert!(
        plain.to_json()["purposes"][0]["legal_basis"][0]
            .get("when")
            .is_none()
    );

    let unknown = check(&conditioned.replacen("when: contract_end", "when: signed_up", 1));
    assert!(
        unknown
            .diagnostics
            .iter()
            .any(|d| d.code == "unknown-reference"),
        "{:#?}",
        unknown.diagnostics
    );
    let consent = check(&conditioned.replacen("basis: contract", "basis: consent", 1));
    assert!(
        consent
            .diagnostics
            .iter()
            .any(|d| d.message.starts_with("consent needs no condition")),
        "{:#?}",
        consent.diagnostics
    );
}

/// Issue 20: a basis may also wait for a fact of the person, an attribute declared under
/// `attributes` (support on contract for customers with a support agreement); the attribute
/// must be declared, a condition names one fact, and an attribute nothing uses is reported.
#[test]
fn a_basis_may_wait_for_an_attribute_of_the_subject() {
    let append = "  identity_verification: [email_code]\n";
    let attributes = "attributes:\n  - id: support_agreement\n    name: {en: you have a support agreement with us, sv: du har ett supportavtal med oss}\n";
    let conditioned = MINIMAL
        .replacen(
            "    legal_basis: {contact: contract}\n",
            "    legal_basis:\n      contact:\n        - {basis: contract, when: {attribute: support_agreement}}\n        - legitimate_interest\n    legitimate_interest: {balancing: Only what is needed.}\n",
            1,
        )
        .replacen(append, &format!("{append}{attributes}"), 1);
    let checked = check(&conditioned);
    let register = checked
        .register
        .unwrap_or_else(|| panic!("{:#?}", checked.diagnostics));
    assert!(checked.diagnostics.is_empty(), "{:#?}", checked.diagnostics);
    assert_eq!(register.attributes[0].id.as_str(), "support_agreement");
    assert_eq!(
        register.purposes[0].legal_basis[0].condition(skydd_register::model::LegalBasis::Contract),
        Some(&skydd_register::model::ConditionFact::Attribute(
            skydd_register::model::AttributeId("support_agreement".into())
        ))
    );
    assert_eq!(
        register.to_json()["purposes"][0]["legal_basis"][0]["when"][0],
        serde_json::json!({"basis": "contract", "attribute": "support_agreement"})
    );
    // `{event: ID}` is the long form of a record's event.
    let long =
        check(&conditioned.replacen("{attribute: support_agreement}", "{event: contract_end}", 1));
    assert!(
        long.diagnostics
            .iter()
            .any(|d| d.code == "unused-declaration" && d.message.contains("support_agreement")),
        "{:#?}",
        long.diagnostics
    );
    assert!(long.register.is_some());
    let unknown = check(&conditioned.replacen(
        "{attribute: support_agreement}",
        "{attribute: supported}",
        1,
    ));
    assert!(
        unknown.register.is_none()
            && unknown
                .diagnostics
                .iter()
                .any(|d| d.code == "unknown-reference" && d.message.contains("supported")),
        "{:#?}",
        unknown.diagnostics
    );
    let both = check(&conditioned.replacen(
        "{attribute: support_agreement}",
        "{attribute: support_agreement, event: contract_end}",
        1,
    ));
    assert!(
        both.diagnostics
            .iter()
            .any(|d| d.message.starts_with("a condition names one fact")),
        "{:#?}",
        both.diagnostics
    );
}

#[test]
fn roles_name_the_purposes_they_may_be_given_data_for() {
    // P002-38, P003-41: access only for those who need it; `decide` enforces it.
    let append = "  identity_verification: [email_code]\n";
    let source = MINIMAL.replacen(
        append,
        &format!(
            "{append}roles:\n  - id: support\n    name: {{en: Support, sv: Support}}\n    purposes: [delivery]\n"
        ),
        1,
    );
    let checked = check(&source);
    let register = checked
        .register
        .unwrap_or_else(|| panic!("{:?}", checked.diagnostics));
    assert_eq!(register.roles[0].id.as_str(), "support");
    assert!(register.roles[0].serves(&skydd_register::model::PurposeId("delivery".into())));
    // A purpose the register does not have, and no purpose at all, are errors.
    assert_reported(
        "unknown-reference",
        append,
        &format!("{append}roles:\n  - id: support\n    name: Support\n    purposes: [‸deliver]\n"),
    );
    assert_reported(
        "role-without-purpose",
        append,
        &format!("{append}roles:\n  - id: support\n    name: Support\n    purposes: ‸[]\n"),
    );
    // Without roles the register's JSON, and so its digest, is what it was.
    let plain = check(MINIMAL)
        .register
        .expect("the minimal register is valid");
    assert!(!plain.to_json().to_string().contains("roles"));
}

#[test]
fn a_security_review_cycle_says_when_the_next_review_is_due() {
    // P003-42: "We are regularly evaluating our security measures": reviews recorded with
    // dates; none in the configured interval (12 months) means an alert.
    use jiff::civil::date;
    let append = "  identity_verification: [email_code]\n";
    let source = MINIMAL.replacen(
        append,
        &format!("{append}security_review:\n  every: 12 months\n"),
        1,
    );
    let checked = check(&source);
    let register = checked
        .register
        .unwrap_or_else(|| panic!("{:?}", checked.diagnostics));
    let cycle = register.security_review.expect("the cycle is read");
    assert_eq!(cycle.every.to_string(), "12 months");
    // None recorded: due now.
    let none = cycle.status(&[], date(2026, 12, 7));
    assert_eq!((none.last, none.due, none.overdue), (None, None, true));
    // A review on 29 February: the next is due on 28 February a year on (no 29th), in time on
    // that day and overdue the day after.
    let leap = [date(2023, 6, 1), date(2024, 2, 29)];
    let on_time = cycle.status(&leap, date(2025, 2, 28));
    assert_eq!(on_time.last, Some(date(2024, 2, 29)));
    assert_eq!(on_time.due, Some(date(2025, 2, 28)));
    assert!(!on_time.overdue);
    assert!(cycle.status(&leap, date(2025, 3, 1)).overdue);
    // A review dated after the day asked about does not count yet.
    let later = cycle.status(&[date(2026, 1, 10)], date(2025, 12, 31));
    assert_eq!(later.last, None);
    // Nonsense cycles are refused where they are written.
    assert_reported(
        "invalid-duration",
        append,
        &format!("{append}security_review:\n  every: ‸0 days\n"),
    );
    assert_reported(
        "invalid-duration",
        append,
        &format!("{append}security_review:\n  every: ‸5 years\n"),
    );
    // Without it the register's JSON, and so its digest, is what it was.
    let plain = check(MINIMAL)
        .register
        .expect("the minimal register is valid");
    assert!(plain.security_review.is_none());
    assert!(!plain.to_json().to_string().contains("security_review"));
}

proptest::proptest! {
    /// Whatever the day of the last review and the cycle, the review is in time through the due
    /// date and overdue the day after; the due date is never before the review.
    #[test]
    fn a_review_is_in_time_through_its_due_date_and_overdue_after(
        days in 0i32..20_000,
        months in 1u32..=36,
    ) {
        use skydd_register::Period;
        use skydd_register::model::SecurityReview;
        let reviewed = jiff::civil::date(2018, 5, 25)
            .checked_add(jiff::Span::new().days(days))
            .unwrap();
        let every = Period::new(months, skydd_register::period::PeriodUnit::Month);
        let cycle = SecurityReview { every };
        let due = cycle.status(&[reviewed], reviewed).due.unwrap();
        proptest::prop_assert!(due > reviewed);
        proptest::prop_assert!(!cycle.status(&[reviewed], due).overdue);
        let after = due.checked_add(jiff::Span::new().days(1)).unwrap();
        proptest::prop_assert!(cycle.status(&[reviewed], after).overdue);
    }
}

/// Regional notices (issue 20): `audiences` declares who gets a notice of their own, a purpose's
/// `audiences` names the ones whose notice lists it (none: all); an undeclared audience is an
/// unknown reference and a single audience is warned about.
#[test]
fn audiences_each_get_the_purposes_for_them() {
    let append = "  identity_verification: [email_code]\n";
    let audiences = "audiences:\n  - id: europe\n    name: {en: people in Europe, sv: personer i Europa}\n  - id: elsewhere\n    name: {en: people elsewhere, sv: personer i andra länder}\n";
    let source = MINIMAL
        .replacen(append, &format!("{append}{audiences}"), 1)
        .replacen(
            "    legal_basis: {contact: contract}\n",
            "    legal_basis: {contact: contract}\n    audiences: [europe]\n",
            1,
        );
    let checked = check(&source);
    let register = checked
        .register
        .unwrap_or_else(|| panic!("{:#?}", checked.diagnostics));
    assert!(checked.diagnostics.is_empty(), "{:#?}", checked.diagnostics);
    assert_eq!(register.audiences.len(), 2);
    let europe = register.for_audience("europe").unwrap();
    let elsewhere = register.for_audience("elsewhere").unwrap();
    assert_eq!(europe.purposes.len(), register.purposes.len());
    assert_eq!(elsewhere.purposes.len(), register.purposes.len() - 1);
    assert!(register.for_audience("mars").is_none());
    assert_eq!(
        register.to_json()["purposes"][0]["audiences"],
        serde_json::json!(["europe"])
    );
    assert!(
        check(MINIMAL).register.unwrap().to_json()["purposes"][0]
            .get("audiences")
            .is_none()
    );

    let unknown = check(&source.replacen("audiences: [europe]", "audiences: [asia]", 1));
    assert!(
        unknown.register.is_none()
            && unknown
                .diagnostics
                .iter()
                .any(|d| d.code == "unknown-reference" && d.message.contains("asia")),
        "{:#?}",
        unknown.diagnostics
    );
    let single = check(&source.replacen(
        "  - id: elsewhere\n    name: {en: people elsewhere, sv: personer i andra länder}\n",
        "",
        1,
    ));
    assert!(
        single
            .diagnostics
            .iter()
            .any(|d| d.code == "single-audience"),
        "{:#?}",
        single.diagnostics
    );
}
