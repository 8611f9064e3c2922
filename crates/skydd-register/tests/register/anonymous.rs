//! Anonymous and aggregated data (`personal_data: false`, issue 20): it needs no legal basis, no
//! transfer safeguard and no `notify` address, and the notice and the record do not list it as
//! personal data.

use skydd_register::check;
use skydd_register::model::Register;

use crate::MINIMAL;

/// The minimal register with an anonymous category `visit_stats` that the delivery purpose
/// produces, and `recipients` (YAML, may be empty) before `security:`.
fn with_statistics(purpose_keys: &str, recipients: &str) -> String {
    MINIMAL
        .replacen(
            "purposes:\n",
            "  - id: visit_stats\n    name: {en: Visit statistics}\n    personal_data: false\n    provided_by_subject: false\n    fields: [page, visits]\npurposes:\n",
            1,
        )
        .replacen(
            "    legal_basis: {contact: contract}\n",
            &format!("    legal_basis: {{contact: contract}}\n{purpose_keys}"),
            1,
        )
        .replacen("security:\n", &format!("{recipients}security:\n"), 1)
}

fn valid(source: &str) -> Register {
    let checked = check(source);
    assert!(!checked.has_errors(), "{:#?}", checked.diagnostics);
    checked.register.expect("valid")
}

#[test]
fn a_controller_activity_lists_anonymous_data_without_a_basis() {
    let register = valid(&with_statistics("    categories: [visit_stats]\n", ""));
    let delivery = &register.purposes[0];
    assert_eq!(
        delivery
            .data_categories()
            .map(|c| c.as_str())
            .collect::<Vec<_>>(),
        ["contact", "visit_stats"]
    );
    assert!(
        delivery
            .bases_for(&skydd_register::model::CategoryId("visit_stats".into()))
            .is_none()
    );

    // Personal data there is still an error, at the item.
    let personal = check(&with_statistics(
        "    categories: [visit_stats, contact]\n",
        "",
    ));
    assert!(personal.register.is_none());
    let d = personal
        .diagnostics
        .iter()
        .find(|d| d.code == "invalid-value")
        .expect("reported");
    assert_eq!(
        d.message,
        "`contact` is personal data: a controller activity lists it under `legal_basis`"
    );

    // A basis for anonymous data is a warning, with the way out.
    let based = check(&with_statistics("", "").replacen(
        "legal_basis: {contact: contract}",
        "legal_basis: {contact: contract, visit_stats: legitimate_interest}",
        1,
    ));
    let d = based
        .diagnostics
        .iter()
        .find(|d| d.code == "anonymous-with-legal-basis")
        .expect("warned");
    assert!(!d.is_error());
    assert!(
        d.help.as_deref().unwrap().contains("`categories:`"),
        "{d:?}"
    );
}

#[test]
fn a_recipient_of_anonymous_data_only_needs_no_safeguard_or_notify_address() {
    let statistician = "recipients:\n  - id: stats_vendor\n    name: Stats Inc.\n    kind: controller\n    country: US\n    purposes: [delivery]\n    categories: [visit_stats]\n";
    let checked = check(&with_statistics(
        "    categories: [visit_stats]\n",
        statistician,
    ));
    assert!(!checked.has_errors(), "{:#?}", checked.diagnostics);
    assert!(
        checked
            .diagnostics
            .iter()
            .all(|d| d.code != "recipient-without-notify"),
        "{:#?}",
        checked.diagnostics
    );
    let register = checked.register.expect("valid");
    assert!(register.receives_anonymous_data_only(&register.recipients[0]));

    // The same recipient receiving contact details too needs both.
    let personal = check(&with_statistics(
        "    categories: [visit_stats]\n",
        &statistician.replace("[visit_stats]\n", "[visit_stats, contact]\n"),
    ));
    let codes: Vec<&str> = personal.diagnostics.iter().map(|d| d.code).collect();
    assert!(codes.contains(&"transfer-without-mechanism"), "{codes:?}");
    assert!(codes.contains(&"recipient-without-notify"), "{codes:?}");
}
