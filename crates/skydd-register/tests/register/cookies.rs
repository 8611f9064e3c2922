//! The `cookies` section the consent banner is built from (issue 18): the GPC and DNT rules,
//! Google Consent Mode signals per category, and the banner's revision; and the `signals`
//! section, what each browser signal objects to once recorded for a subject (issue 20).

use proptest::prelude::*;
use skydd_register::check;
use skydd_register::model::{
    BrowserSignal, Choice as _, ConsentModeSignal, PurposeId, Register, SignalObjection,
    SignalRule, Signals,
};

use crate::{MINIMAL, assert_reported, example_register};

/// The minimal register with a banner of two categories and one service each, and `extra`
/// added under `cookies:` (two-space indented keys).
fn with_cookies(extra: &str) -> String {
    format!(
        "{MINIMAL}cookies:
  categories:
    - id: necessary
      name: {{en: Strictly necessary}}
      required: true
    - id: analytics
      name: {{en: Statistics}}
      consent_mode: [analytics_storage]
  services:
    - id: session
      name: Session
      provider: Example
      category: necessary
      purpose: {{en: Keeps you signed in.}}
      cookies: [{{name: sid, lifetime: session}}]
    - id: stats
      name: Statistics
      provider: Example
      category: analytics
      purpose: {{en: Counts visits.}}
{extra}"
    )
}

fn register(source: &str) -> Register {
    let checked = check(source);
    assert!(
        checked.diagnostics.iter().all(|d| !d.is_error()),
        "{:?}",
        checked.diagnostics
    );
    checked.register.expect("valid")
}

#[test]
fn gpc_is_honoured_and_dnt_ignored_unless_the_register_says_otherwise() {
    let plain = register(&with_cookies(""));
    assert_eq!(plain.cookies.gpc, SignalRule::Honour);
    assert_eq!(plain.cookies.dnt, SignalRule::Ignore);
    assert_eq!(
        plain.cookies.categories[1].consent_mode,
        [ConsentModeSignal::AnalyticsStorage]
    );
    assert!(plain.cookies.categories[0].consent_mode.is_empty());

    let turned = register(&with_cookies("  gpc: ignore\n  dnt: honour\n"));
    assert_eq!(turned.cookies.gpc, SignalRule::Ignore);
    assert_eq!(turned.cookies.dnt, SignalRule::Honour);
    assert_ne!(turned.cookies.revision(), plain.cookies.revision());
    assert_ne!(turned.digest(), plain.digest());
}

#[test]
fn defaults_are_left_out_so_existing_registers_keep_their_digest() {
    let plain = register(&with_cookies(""));
    let spelt_out = register(&with_cookies("  gpc: honour\n  dnt: ignore\n"));
    assert_eq!(spelt_out.digest(), plain.digest());
    assert_eq!(spelt_out.cookies.revision(), plain.cookies.revision());
    let json = plain.to_json();
    let cookies = json["cookies"].as_object().unwrap();
    assert!(!cookies.contains_key("gpc") && !cookies.contains_key("dnt"));
    let necessary = json["cookies"]["categories"][0].as_object().unwrap();
    assert!(!necessary.contains_key("consent_mode"), "empty: left out");
    assert_eq!(
        json["cookies"]["categories"][1]["consent_mode"],
        serde_json::json!(["analytics_storage"])
    );
    // A register without a cookies section at all still writes the section as before.
    let minimal = check(MINIMAL).register.unwrap().to_json();
    assert_eq!(
        minimal["cookies"],
        serde_json::json!({"categories": [], "services": []})
    );
}

#[test]
fn the_revision_follows_the_cookies_section_only() {
    let plain = register(&with_cookies(""));
    let revision = plain.cookies.revision();
    assert_eq!(revision.len(), 16);
    assert!(
        revision
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
    // Elsewhere in the register: a new digest, the same revision (the banner asks no one again).
    let elsewhere = register(&with_cookies("").replace("keep: 24 months", "keep: 25 months"));
    assert_ne!(elsewhere.digest(), plain.digest());
    assert_eq!(elsewhere.cookies.revision(), revision);
    // In the section: a category's name, a service, a Consent Mode signal.
    for (from, to) in [
        ("{en: Statistics}", "{en: Analytics}"),
        (
            "purpose: {en: Counts visits.}",
            "purpose: {en: Counts clicks.}",
        ),
        ("[analytics_storage]", "[analytics_storage, ad_storage]"),
    ] {
        let changed = register(&with_cookies("").replacen(from, to, 1));
        assert_ne!(changed.cookies.revision(), revision, "{from} -> {to}");
    }
}

#[test]
fn an_unknown_signal_rule_suggests_the_word() {
    let source = with_cookies("  gpc: honor\n");
    let checked = check(&source);
    assert!(checked.register.is_none());
    let d = checked
        .diagnostics
        .iter()
        .find(|d| d.code == "invalid-value")
        .expect("reported");
    assert_eq!(d.message, "`honor` is not a browser signal rule");
    assert_eq!(d.help.as_deref(), Some("did you mean `honour`?"));
}

#[test]
fn an_unknown_consent_mode_signal_suggests_the_word() {
    let d = assert_reported(
        "invalid-value",
        "  - {id: customer, name: Customers}",
        "  - {id: customer, name: Customers}\ncookies:\n  categories:\n    - id: analytics\n      name: {en: Statistics}\n      consent_mode: [‸analytic_storage]",
    );
    assert_eq!(
        d.message,
        "`analytic_storage` is not a Google Consent Mode signal"
    );
    assert_eq!(d.help.as_deref(), Some("did you mean `analytics_storage`?"));
}

#[test]
fn a_consent_mode_signal_belongs_to_one_category() {
    let d = assert_reported(
        "consent-mode-twice",
        "  - {id: customer, name: Customers}",
        "  - {id: customer, name: Customers}\ncookies:\n  categories:\n    - id: analytics\n      name: {en: Statistics}\n      consent_mode: [analytics_storage]\n    - id: marketing\n      name: {en: Marketing}\n      consent_mode: [ad_storage, ‸analytics_storage]",
    );
    assert_eq!(
        d.message,
        "the Consent Mode signal `analytics_storage` is already named by the cookie category `analytics`"
    );
}

#[test]
fn the_bundled_register_has_a_banner_to_show() {
    let glesys = example_register("glesys.yaml");
    let ids: Vec<&str> = glesys
        .cookies
        .categories
        .iter()
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(ids, ["necessary", "analytics", "marketing"]);
    assert!(glesys.cookies.categories[0].required);
    for category in &glesys.cookies.categories {
        assert!(
            glesys
                .cookies
                .services
                .iter()
                .any(|s| s.category == category.id),
            "{} has a service",
            category.id
        );
        assert!(category.name.sv.is_some(), "{} in Swedish", category.id);
    }
    assert!(glesys.cookies.service("consent_choice").is_some());
    assert_eq!(glesys.cookies.gpc, SignalRule::Honour);
}

/// A cookies section from generated rules and signals, as YAML under the minimal register.
fn generated(gpc: Option<SignalRule>, dnt: Option<SignalRule>, signals: &[usize]) -> String {
    let mut extra = String::new();
    if let Some(rule) = gpc {
        extra.push_str(&format!("  gpc: {}\n", rule.word()));
    }
    if let Some(rule) = dnt {
        extra.push_str(&format!("  dnt: {}\n", rule.word()));
    }
    let words: Vec<&str> = signals
        .iter()
        .map(|i| ConsentModeSignal::ALL[*i % ConsentModeSignal::ALL.len()].0)
        .filter(|w| *w != "analytics_storage")
        .collect();
    let mut unique = words.clone();
    unique.sort_unstable();
    unique.dedup();
    let source = with_cookies(&extra);
    if unique.is_empty() {
        return source;
    }
    source.replacen(
        "      required: true\n",
        &format!(
            "      required: true\n      consent_mode: [{}]\n",
            unique.join(", ")
        ),
        1,
    )
}

fn rule() -> impl Strategy<Value = Option<SignalRule>> {
    prop::option::of(prop::sample::select(vec![
        SignalRule::Honour,
        SignalRule::Ignore,
    ]))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Whatever rules and signals a register states, its stored JSON rebuilds it with the same
    /// digest and revision, and the revision is 16 lowercase hex digits.
    #[test]
    fn cookies_sections_round_trip(gpc in rule(), dnt in rule(), signals in prop::collection::vec(0usize..7, 0..7)) {
        let register = register(&generated(gpc, dnt, &signals));
        let rebuilt = Register::from_json(&register.to_json().to_string()).unwrap();
        prop_assert_eq!(&rebuilt, &register);
        prop_assert_eq!(rebuilt.cookies.revision(), register.cookies.revision());
        prop_assert_eq!(register.cookies.gpc, gpc.unwrap_or(SignalRule::Honour));
        prop_assert_eq!(register.cookies.dnt, dnt.unwrap_or(SignalRule::Ignore));
        let revision = register.cookies.revision();
        prop_assert_eq!(revision.len(), 16);
        prop_assert!(revision.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    }
}

#[test]
fn signals_object_to_marketing_and_sharing_unless_the_register_says_otherwise() {
    let plain = register(MINIMAL);
    assert_eq!(plain.signals, Signals::default());
    assert_eq!(
        *plain.signals.get(BrowserSignal::Dnt),
        SignalObjection::marketing_and_sharing()
    );
    // Left out of the canonical JSON when it is the default: older registers keep their digest.
    assert!(plain.to_json().get("signals").is_none());

    let set = register(&format!(
        "{MINIMAL}signals:\n  gpc: [direct_marketing, delivery]\n  dnt: []\n"
    ));
    assert_eq!(
        set.signals.gpc,
        SignalObjection {
            direct_marketing: true,
            sharing: false,
            purposes: vec![PurposeId("delivery".into())],
        }
    );
    assert!(set.signals.dnt.is_nothing());
    assert_ne!(set.digest(), plain.digest());
    let json = set.to_json().to_string();
    assert_eq!(Register::from_json(&json).unwrap(), set);

    // A signal left out keeps the default.
    let only_dnt = register(&format!("{MINIMAL}signals:\n  dnt: [sharing]\n"));
    assert_eq!(
        only_dnt.signals.gpc,
        SignalObjection::marketing_and_sharing()
    );
    assert!(only_dnt.signals.dnt.sharing && !only_dnt.signals.dnt.direct_marketing);
}

#[test]
fn a_signal_rule_names_purposes_of_the_register_in_a_list() {
    let unknown = check(&format!(
        "{MINIMAL}signals:\n  gpc: [direct_marketing, astrology]\n"
    ));
    assert!(unknown.register.is_none());
    let d = unknown
        .diagnostics
        .iter()
        .find(|d| d.code == "unknown-reference")
        .expect("reported");
    assert!(d.message.contains("`astrology`"), "{d:?}");

    let scalar = check(&format!("{MINIMAL}signals:\n  gpc: ignore\n"));
    assert!(scalar.register.is_none());
    let d = scalar
        .diagnostics
        .iter()
        .find(|d| d.code == "invalid-value")
        .expect("reported");
    assert_eq!(d.message, "a signal's rule is a list of what it objects to");

    let other = check(&format!("{MINIMAL}signals:\n  sec_gpc: []\n"));
    assert!(
        other.register.is_none(),
        "only gpc and dnt: {:?}",
        other.diagnostics
    );
}
