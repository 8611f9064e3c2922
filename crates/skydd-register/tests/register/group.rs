//! The controller as a group (issue 20): the registry of its number, its offices, the group
//! companies the notice covers, and the Art. 27 representative a controller outside the EU needs.

use skydd_register::check;

use crate::MINIMAL;

const UK_CONTROLLER: &str = "controller:
  name: Example Events Ltd
  organisation_number: \"05921693\"
  registry: Companies House
  address: {street: 1 Long Lane, postal_code: EC1A 9HF, city: London, country: GB}
  contact: {email: privacy@example.co.uk}
";

fn uk(extra: &str) -> String {
    let start = MINIMAL.find("controller:\n").expect("controller");
    let end = MINIMAL.find("authority:\n").expect("authority");
    format!(
        "{}{UK_CONTROLLER}{extra}{}",
        &MINIMAL[..start],
        &MINIMAL[end..]
    )
}

#[test]
fn a_controller_outside_the_eu_names_its_registry_and_needs_a_representative() {
    let alone = check(&uk(""));
    assert!(!alone.has_errors(), "{:#?}", alone.diagnostics);
    let warned: Vec<_> = alone
        .diagnostics
        .iter()
        .filter(|d| d.code == "no-representative")
        .collect();
    assert_eq!(warned.len(), 1, "{:#?}", alone.diagnostics);
    assert!(warned[0].message.contains("Example Events Ltd"));
    let register = alone.register.expect("valid");
    assert_eq!(
        register.controller.registry.as_deref(),
        Some("Companies House")
    );
    // A UK number is kept as written: only Swedish numbers are checked.
    assert_eq!(
        register.controller.organisation_number.as_deref(),
        Some("05921693")
    );

    let office = uk("  establishments:
    - name: {en: Our Stockholm office}
      address: {street: Drottninggatan 1, postal_code: 111 51, city: Stockholm, country: SE}
  entities:
    - {name: Example Events AB, organisation_number: 556647-9241, address: {city: Stockholm, country: SE}}
");
    let office = check(&office);
    assert!(!office.has_errors(), "{:#?}", office.diagnostics);
    assert!(
        office
            .diagnostics
            .iter()
            .all(|d| d.code != "no-representative"),
        "an office in the EU is an establishment there (Art. 3(1))"
    );
    let register = office.register.expect("valid");
    assert_eq!(register.controller.establishments.len(), 1);
    assert_eq!(
        register.controller.entities[0]
            .organisation_number
            .as_deref(),
        Some("556647-9241")
    );

    let represented = format!(
        "{}representative: {{name: EU Rep Ltd, contact: {{email: rep@example.ie}}}}\n",
        uk("")
    );
    let represented = check(&represented);
    assert!(
        represented
            .diagnostics
            .iter()
            .all(|d| d.code != "no-representative")
    );

    // A Swedish group company's number is checked like the controller's.
    let wrong = check(&uk("  entities:
    - {name: Example Events AB, organisation_number: 556647-9240, address: {city: Stockholm, country: SE}}
"));
    assert!(
        wrong
            .diagnostics
            .iter()
            .any(|d| d.code == "invalid-organisation-number"),
        "{:#?}",
        wrong.diagnostics
    );
    // Without the new keys the controller's JSON is as before.
    let plain = check(MINIMAL).register.expect("valid");
    let json = plain.to_json();
    for key in ["registry", "entities", "establishments"] {
        assert!(json["controller"].get(key).is_none(), "{key}");
    }
}
