//! Field labels in English and Swedish (issue 20), so that no notice shows `company_name`.

use skydd_register::check;
use skydd_register::model::Language;

use crate::MINIMAL;

#[test]
fn a_field_reads_as_its_label_or_else_its_id_in_words() {
    let source = MINIMAL.replacen(
        "fields: [name, {id: email, format: email}]",
        "fields: [name, {id: email, format: email, label: {en: E-mail address, sv: E-postadress}}, postal_address]",
        1,
    );
    let checked = check(&source);
    let register = checked.register.expect("valid");
    let fields = &register.data[0].fields;
    assert_eq!(fields[1].label(Language::En), "E-mail address");
    assert_eq!(fields[1].label(Language::Sv), "E-postadress");
    assert_eq!(fields[0].label(Language::Sv), "name");
    assert_eq!(fields[2].label(Language::En), "postal address");
    // Without labels the JSON is as before: the digest of an unlabelled register is kept.
    let plain = check(MINIMAL).register.expect("valid");
    assert!(
        plain.to_json()["data"][0]["fields"][0]
            .get("label")
            .is_none()
    );
    assert!(
        checked
            .diagnostics
            .iter()
            .all(|d| d.code != "field-without-label"),
        "an English-only register needs no labels"
    );
}

#[test]
fn a_swedish_notice_asks_for_a_label_on_every_field() {
    let source = MINIMAL
        .replacen(
            "published: 2022-01-05\n",
            "published: 2022-01-05\nlanguages: [en, sv]\n",
            1,
        )
        .replacen(
            "fields: [name, {id: email, format: email}]",
            "fields: [name, {id: email, format: email, label: {en: E-mail address}}]",
            1,
        );
    let checked = check(&source);
    assert!(!checked.has_errors(), "{:#?}", checked.diagnostics);
    let unlabelled: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.code == "field-without-label")
        .collect();
    assert_eq!(unlabelled.len(), 1, "one warning per category");
    assert!(unlabelled[0].message.contains("`name`"), "{unlabelled:?}");
    assert!(!unlabelled[0].message.contains("`email`"));
    // The label without Swedish is a missing translation, as every text is.
    assert!(
        checked
            .diagnostics
            .iter()
            .any(|d| d.code == "missing-translation")
    );
}
