//! Cookie choices against the bundled GleSYS banner (issue 18): what `CookieChoice::check`
//! accepts and refuses, and that it never panics whatever a client sends.

use std::collections::BTreeMap;

use proptest::prelude::*;
use skydd_consent::{BannerAction, BrowserId, CookieChoice, CookieChoiceError, is_browser_id};
use skydd_register::model::{Cookies, Language};

use crate::{glesys, t};

/// A choice under the GleSYS banner in force: necessary and analytics given, marketing refused.
fn choice(cookies: &Cookies) -> CookieChoice {
    CookieChoice {
        revision: cookies.revision(),
        notice_version: "ab".repeat(32),
        language: Language::Sv,
        action: BannerAction::Custom,
        given: vec!["necessary".into(), "analytics".into()],
        refused: vec!["marketing".into()],
        services: BTreeMap::from([("marketing_tools".to_owned(), true)]),
        gpc: true,
        dnt: false,
        at: t("2026-03-01"),
    }
}

fn ids(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn a_choice_fits_the_banner_in_force_or_says_why_not() {
    let cookies = glesys().cookies;
    let fine = choice(&cookies);
    assert_eq!(fine.check(&cookies), Ok(()));
    let with = |edit: &dyn Fn(&mut CookieChoice)| {
        let mut edited = fine.clone();
        edit(&mut edited);
        edited.check(&cookies)
    };
    assert_eq!(
        with(&|c| c.revision = "0000000000000000".into()),
        Err(CookieChoiceError::StaleRevision {
            current: cookies.revision()
        })
    );
    assert_eq!(
        with(&|c| c.notice_version = "v1".into()),
        Err(CookieChoiceError::MalformedNoticeVersion)
    );
    assert_eq!(
        with(&|c| c.given.push("ads".into())),
        Err(CookieChoiceError::UnknownCategory("ads".into()))
    );
    assert_eq!(
        with(&|c| c.refused.push("analytics".into())),
        Err(CookieChoiceError::CategoryTwice("analytics".into()))
    );
    assert_eq!(
        with(&|c| c.refused.clear()),
        Err(CookieChoiceError::CategoryMissing("marketing".into()))
    );
    assert_eq!(
        with(&|c| {
            c.given = ids(&["analytics"]);
            c.refused = ids(&["necessary", "marketing"]);
        }),
        Err(CookieChoiceError::RequiredRefused("necessary".into()))
    );
    assert_eq!(
        with(&|c| {
            c.services.insert("youtube".into(), true);
        }),
        Err(CookieChoiceError::UnknownService("youtube".into()))
    );
    assert!(matches!(
        with(&|c| c.action = BannerAction::AcceptAll),
        Err(CookieChoiceError::ActionMismatch { .. })
    ));
    assert!(matches!(
        with(&|c| c.action = BannerAction::RejectAll),
        Err(CookieChoiceError::ActionMismatch { .. })
    ));
    // Reject all gives the required categories only; "load this" may still allow one service.
    assert_eq!(
        with(&|c| {
            c.action = BannerAction::RejectAll;
            c.given = ids(&["necessary"]);
            c.refused = ids(&["analytics", "marketing"]);
        }),
        Ok(())
    );
    assert_eq!(
        with(&|c| {
            c.action = BannerAction::AcceptAll;
            c.given = ids(&["marketing", "necessary", "analytics"]);
            c.refused.clear();
        }),
        Ok(()),
        "any order"
    );
}

#[test]
fn refusals_say_how_to_recover_without_quoting_what_is_not_an_id() {
    let stale = CookieChoiceError::StaleRevision {
        current: "3f2a9c0d1e2b4a5f".into(),
    };
    assert!(stale.help().contains("GET /v1/banner/config"));
    assert!(stale.to_string().contains("3f2a9c0d1e2b4a5f"));
    for error in [
        CookieChoiceError::UnknownCategory("Anna Svensson".into()),
        CookieChoiceError::UnknownService("070-123 45 67".into()),
    ] {
        let text = error.to_string();
        assert!(!text.contains("Anna") && !text.contains("070"), "{text}");
    }
    assert_eq!(
        BrowserId::parse("anna@example.se").unwrap_err().to_string(),
        "the browser id is not 22 to 64 characters of A-Z, a-z, 0-9, `_` and `-`"
    );
}

/// Category ids a client might send: the banner's, near misses and anything.
fn category() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec!["necessary", "analytics", "marketing"]).prop_map(String::from),
        "[a-z_]{1,12}",
        "\\PC{0,12}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Whatever lists a client sends, `check` answers without panicking, and accepts exactly
    /// the choices that give or refuse every category once with `necessary` given.
    #[test]
    fn check_accepts_exactly_the_partitions_of_the_banner(
        given in prop::collection::vec(category(), 0..5),
        refused in prop::collection::vec(category(), 0..5),
        services in prop::collection::btree_map("\\PC{0,16}", any::<bool>(), 0..3),
    ) {
        let cookies = glesys().cookies;
        let mut c = choice(&cookies);
        c.given = given.clone();
        c.refused = refused.clone();
        c.services = services.clone();
        let result = c.check(&cookies);
        let mut all: Vec<&str> = given.iter().chain(&refused).map(String::as_str).collect();
        all.sort_unstable();
        let partition = all == ["analytics", "marketing", "necessary"]
            && !refused.iter().any(|r| r == "necessary");
        let known_services = services.keys().all(|s| s == "marketing_tools");
        prop_assert_eq!(result.is_ok(), partition && known_services, "{:?}", result);
    }

    /// Browser ids: exactly 22 to 64 characters of the URL-safe alphabet.
    #[test]
    fn browser_ids_are_read_by_their_shape(text in "\\PC{0,70}", safe in "[A-Za-z0-9_-]{0,70}") {
        let expected = (22..=64).contains(&safe.len());
        prop_assert_eq!(is_browser_id(&safe), expected);
        prop_assert_eq!(BrowserId::parse(&safe).is_ok(), expected);
        let any_ok = BrowserId::parse(&text).is_ok();
        prop_assert_eq!(any_ok, is_browser_id(&text));
    }
}
