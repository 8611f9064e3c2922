//! Art. 13(2)(e) (issue 20): per purpose, or per group of its categories, whether the person
//! must provide the data (by law, by contract, to enter a contract) or may leave it out, and
//! what happens if they do not.

use skydd_register::check;
use skydd_register::model::{CategoryId, ProvisionRequirement};

use crate::MINIMAL;

/// The minimal register with `provision` (YAML under the delivery purpose, 4-space indented).
fn with_provision(provision: &str) -> String {
    MINIMAL.replacen(
        "    legal_basis: {contact: contract}\n",
        &format!("    legal_basis: {{contact: contract}}\n{provision}"),
        1,
    )
}

fn errors(source: &str) -> Vec<String> {
    check(source)
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.message.clone())
        .collect()
}

#[test]
fn a_purpose_says_whether_its_data_must_be_provided() {
    let one = check(&with_provision(
        "    provision:\n      requirement: contractual\n      if_not_provided: {en: We cannot deliver.}\n",
    ));
    let register = one.register.expect("valid");
    let provision = &register.purposes[0].provision;
    assert_eq!(provision.len(), 1);
    assert_eq!(provision[0].requirement, ProvisionRequirement::Contractual);
    assert!(provision[0].categories.is_empty());
    assert_eq!(
        provision[0].if_not_provided.as_ref().map(|t| t.en.as_str()),
        Some("We cannot deliver.")
    );
    // Left out, it is not in the JSON: registers without it keep their digest.
    let plain = check(MINIMAL).register.expect("valid");
    assert!(plain.to_json()["purposes"][0].get("provision").is_none());
    assert_ne!(plain.digest(), register.digest());

    let listed = check(&with_provision(
        "    provision:\n      - {categories: [contact], requirement: voluntary}\n",
    ));
    let register = listed.register.expect("valid");
    assert_eq!(
        register.purposes[0].provision[0].categories,
        [CategoryId("contact".into())]
    );
    assert!(register.purposes[0].provision[0].if_not_provided.is_none());
}

#[test]
fn a_required_provision_says_what_follows_and_names_the_purposes_categories() {
    let no_consequence = errors(&with_provision("    provision: {requirement: statutory}\n"));
    assert!(
        no_consequence[0].contains("needs `if_not_provided`"),
        "{no_consequence:?}"
    );
    let other = errors(&with_provision(
        "    provision: {categories: [work_items], requirement: voluntary}\n",
    ));
    assert!(
        other.iter().any(
            |e| e.contains("`work_items`, which purpose `delivery` does not process")
                || e.contains("unknown data category `work_items`")
        ),
        "{other:?}"
    );
    let twice = errors(&with_provision(
        "    provision:\n      - {categories: [contact], requirement: voluntary}\n      - {categories: [contact], requirement: contractual, if_not_provided: {en: No.}}\n",
    ));
    assert!(
        twice.iter().any(|e| e.contains("in two provisions")),
        "{twice:?}"
    );
    let word = errors(&with_provision("    provision: {requirement: optional}\n"));
    assert!(word[0].contains("not a provision requirement"), "{word:?}");
}
