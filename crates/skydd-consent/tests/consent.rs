//! The consent ledger against the example registers and the promises in `shared/promises.md`.

// Tests may unwrap and panic: a failing unwrap is a failing test with a good message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use jiff::Timestamp;
use proptest::prelude::*;
use skydd_consent::{
    ConsentEvent, ConsentMethod, ConsentScope, ConsentState, FeatureState, FeatureSwitch, Ledger,
    LedgerError, LedgerEvent, ObjectionEvent, ObjectionSource, ObjectionState, ObjectionTarget,
    OrganisationScope, Preference, PreferenceEvent, PreferenceState,
};
use skydd_register::Register;
use skydd_register::model::{BrowserSignal, Channel, FeatureId, PurposeId};

/// Choices in the cookie banner (issue 18).
#[path = "consent/cookie.rs"]
mod cookie;

fn register(source: &str) -> Register {
    let checked = skydd_register::check(source);
    checked.register.expect("example register is valid")
}

fn syspeace() -> Register {
    register(include_str!("../../../examples/registers/syspeace.yaml"))
}

fn glesys() -> Register {
    register(include_str!("../../../examples/registers/glesys.yaml"))
}

fn partnersec() -> Register {
    register(include_str!("../../../examples/registers/partnersec.yaml"))
}

fn workitems() -> Register {
    register(include_str!("../../../examples/registers/workitems.yaml"))
}

/// A time: `2025-03-01` is noon UTC that day, or a full RFC 3339 timestamp.
fn t(text: &str) -> Timestamp {
    if text.len() == 10 {
        format!("{text}T12:00:00Z").parse().unwrap()
    } else {
        text.parse().unwrap()
    }
}

fn subject(id: &str) -> ConsentScope {
    ConsentScope::Subject(id.into())
}

fn consent(scope: ConsentScope, purpose: &str, granted: bool, at: &str) -> ConsentEvent {
    ConsentEvent {
        scope,
        purpose: PurposeId(purpose.into()),
        granted,
        method: ConsentMethod::WebForm,
        notice_version: "2022-01-05".into(),
        at: t(at),
        text_hash: Some("sha256:3f2a".into()),
    }
}

fn switch(scope: OrganisationScope, enabled: bool, at: &str) -> FeatureSwitch {
    FeatureSwitch {
        feature: FeatureId("ai_features".into()),
        scope,
        enabled,
        actor: "admin-7".into(),
        at: t(at),
    }
}

fn org(id: &str) -> OrganisationScope {
    OrganisationScope::Organisation(id.into())
}

fn project(organisation: &str, project: &str) -> OrganisationScope {
    OrganisationScope::Project {
        organisation: organisation.into(),
        project: project.into(),
    }
}

// --- Consents ----------------------------------------------------------------------------------

/// P000-39: forum consent: none, given, withdrawn; the history keeps both events.
#[test]
fn p000_39_forum_consent_is_given_and_withdrawn_with_history() {
    let register = syspeace();
    let mut ledger = Ledger::new();
    let s = subject("s-1");
    assert!(!ledger.consents().is_granted(&s, "user_forum"));
    assert!(ledger.consents().current(&s, "user_forum").is_none());

    let grant = consent(s.clone(), "user_forum", true, "2022-02-01");
    grant.check(&register).unwrap();
    assert!(ledger.append(grant.clone()));
    assert!(ledger.consents().is_granted(&s, "user_forum"));

    let withdrawal = ConsentEvent {
        granted: false,
        method: ConsentMethod::WebForm,
        at: t("2022-03-01"),
        ..grant.clone()
    };
    assert!(ledger.append(withdrawal.clone()));
    assert!(!ledger.consents().is_granted(&s, "user_forum"));
    assert_eq!(
        ledger.consent_history(&s, "user_forum"),
        vec![&grant, &withdrawal]
    );
}

/// P000-40: the ledger shows the version of the consent text and when it was given.
#[test]
fn p000_40_account_consent_records_notice_version_time_and_text_hash() {
    let register = syspeace();
    let event = ConsentEvent {
        notice_version: "2022-01-05".into(),
        text_hash: Some("sha256:9a1c".into()),
        ..consent(subject("s-2"), "account_registration", true, "2022-01-10")
    };
    event.check(&register).unwrap();
    let state = ConsentState::from_events(std::slice::from_ref(&event));
    let current = state.subject("s-2", "account_registration").unwrap();
    assert_eq!(current.notice_version, "2022-01-05");
    assert_eq!(current.at, t("2022-01-10"));
    assert_eq!(current.text_hash.as_deref(), Some("sha256:9a1c"));
    assert_eq!(current.method, ConsentMethod::WebForm);
}

/// P000-48: publishing comments needs consent; withdrawing it is one event like giving it.
#[test]
fn p000_48_publishing_consent_withdrawal_is_one_event() {
    let s = subject("s-3");
    let events = [
        consent(s.clone(), "publish_comments", true, "2022-05-01"),
        ConsentEvent {
            method: ConsentMethod::Email,
            ..consent(s.clone(), "publish_comments", false, "2022-06-01")
        },
    ];
    let before = ConsentState::from_events(&events[..1]);
    let after = ConsentState::from_events(&events);
    assert!(before.is_granted(&s, "publish_comments"));
    assert!(!after.is_granted(&s, "publish_comments"));
    let current = after.current(&s, "publish_comments").unwrap();
    assert_eq!(current.method, ConsentMethod::Email);
    assert!(!current.granted);
}

/// P002-06: newsletter sign-up is a ledger entry {subject, time, wording version, method};
/// unsubscribing through the link is a withdrawal tagged `unsubscribe_link`.
#[test]
fn p002_06_newsletter_signup_and_unsubscribe_link() {
    let register = partnersec();
    let s = subject("s-4");
    let signup = ConsentEvent {
        notice_version: "2024-01-01".into(),
        ..consent(s.clone(), "newsletter", true, "2024-02-01")
    };
    signup.check(&register).unwrap();
    let unsubscribe = ConsentEvent {
        granted: false,
        method: ConsentMethod::UnsubscribeLink,
        at: t("2024-05-01"),
        ..signup.clone()
    };
    unsubscribe.check(&register).unwrap();
    let ledger = Ledger::from_events([signup.clone().into(), unsubscribe.clone().into()]);
    let current = ledger.consents().current(&s, "newsletter").unwrap();
    assert!(!current.granted);
    assert_eq!(current.method, ConsentMethod::UnsubscribeLink);
    assert_eq!(ledger.consent_history(&s, "newsletter").len(), 2);
    assert_eq!(ledger.events().len(), 2);
}

/// P003-47: a new notice version neither creates nor extends consents: the state is what the
/// events say, and a consent keeps the version it was given under.
#[test]
fn p003_47_a_policy_update_creates_no_consent() {
    let register_v1 = workitems();
    let scope = ConsentScope::Organisation("acme".into());
    let grant = ConsentEvent {
        notice_version: "v1".into(),
        method: ConsentMethod::Admin,
        ..consent(scope.clone(), "ai_processing", true, "2025-02-01")
    };
    grant.check(&register_v1).unwrap();
    let mut ledger = Ledger::new();
    ledger.append(grant);
    let before = ledger.clone();

    // The register changes (a new published date is a new notice version); nothing is appended.
    let register_v2 = register(
        &include_str!("../../../examples/registers/workitems.yaml")
            .replace("published: 2025-01-01", "published: 2025-06-01"),
    );
    assert_ne!(register_v1.digest(), register_v2.digest());
    assert_eq!(ledger, before);
    let current = ledger.consents().current(&scope, "ai_processing").unwrap();
    assert_eq!(current.notice_version, "v1");
    // Another organisation that only saw the new notice has not consented.
    assert!(!ledger.consents().is_granted(
        &ConsentScope::Organisation("globex".into()),
        "ai_processing"
    ));
}

#[test]
fn consent_events_are_checked_against_the_register() {
    let syspeace = syspeace();
    let unknown = consent(subject("s"), "newsletter", true, "2022-01-10");
    assert_eq!(
        unknown.check(&syspeace),
        Err(LedgerError::UnknownPurpose(PurposeId("newsletter".into())))
    );
    let not_consent = consent(subject("s"), "sales", true, "2022-01-10");
    assert_eq!(
        not_consent.check(&syspeace),
        Err(LedgerError::NotConsentBased(PurposeId("sales".into())))
    );
    let wrong_scope = consent(
        ConsentScope::Organisation("acme".into()),
        "user_forum",
        true,
        "2022-01-10",
    );
    let error = wrong_scope.check(&syspeace).unwrap_err();
    assert_eq!(
        error.to_string(),
        "consent to purpose `user_forum` is given by the subject, not at organisation scope"
    );
    let no_version = ConsentEvent {
        notice_version: " ".into(),
        ..consent(subject("s"), "user_forum", true, "2022-01-10")
    };
    assert_eq!(
        no_version.check(&syspeace),
        Err(LedgerError::MissingNoticeVersion)
    );

    // An organisation's consent may be given for one of its projects (it overrides the
    // organisation's for that project), but a subject cannot give it.
    let partnersec = partnersec();
    let project_scope = ConsentScope::Project {
        organisation: "acme".into(),
        project: "p1".into(),
    };
    consent(project_scope, "service_development", true, "2024-02-01")
        .check(&partnersec)
        .unwrap();
    assert!(matches!(
        consent(subject("s"), "service_development", true, "2024-02-01").check(&partnersec),
        Err(LedgerError::WrongScope { .. })
    ));
}

#[test]
fn out_of_order_events_are_sorted_by_time_and_ties_keep_the_given_order() {
    let s = subject("s-5");
    let late_withdrawal = consent(s.clone(), "user_forum", false, "2022-03-01");
    let early_grant = consent(s.clone(), "user_forum", true, "2022-02-01");
    // Given in the wrong order: the later withdrawal still wins.
    let state = ConsentState::from_events(&[late_withdrawal.clone(), early_grant.clone()]);
    assert!(!state.is_granted(&s, "user_forum"));
    // Applied incrementally in the same order: the old grant is history only.
    let mut incremental = ConsentState::new();
    assert!(incremental.apply(late_withdrawal.clone()));
    assert!(!incremental.apply(early_grant.clone()));
    assert_eq!(incremental, state);

    // Same time: the one given last wins, both ways.
    let tie_grant = consent(s.clone(), "user_forum", true, "2022-03-01");
    let state = ConsentState::from_events(&[late_withdrawal.clone(), tie_grant.clone()]);
    assert!(state.is_granted(&s, "user_forum"));
    let state = ConsentState::from_events(&[tie_grant, late_withdrawal]);
    assert!(!state.is_granted(&s, "user_forum"));
}

#[test]
fn scopes_are_kept_apart() {
    let events = [
        consent(subject("s-1"), "user_forum", true, "2022-02-01"),
        consent(
            ConsentScope::Organisation("acme".into()),
            "user_forum",
            false,
            "2022-02-01",
        ),
        consent(
            ConsentScope::Project {
                organisation: "acme".into(),
                project: "p".into(),
            },
            "user_forum",
            true,
            "2022-02-01",
        ),
    ];
    let state = ConsentState::from_events(&events);
    assert!(state.subject("s-1", "user_forum").unwrap().granted);
    assert!(!state.organisation("acme", "user_forum").unwrap().granted);
    assert!(state.project("acme", "p", "user_forum").unwrap().granted);
    assert!(state.subject("s-2", "user_forum").is_none());
    assert_eq!(state.for_subject("s-1").count(), 1);
    assert_eq!(state.organisation_scoped().count(), 2);
    assert_eq!(state.iter().count(), 3);
}

// --- Objections and preferences -----------------------------------------------------------------

/// P000-52: opting out of marketing through the link in a message, the account settings, or by
/// contacting us: each is a ledger entry tagged with where it came from.
#[test]
fn p000_52_marketing_opt_out_through_each_channel_is_recorded_with_its_source() {
    let register = syspeace();
    for (i, source) in [
        ObjectionSource::UnsubscribeLink,
        ObjectionSource::AccountSettings,
        ObjectionSource::Request,
    ]
    .into_iter()
    .enumerate()
    {
        let who = format!("s-{i}");
        let event = ObjectionEvent::raise(&who, None, source, t("2022-04-01"));
        event.check(&register).unwrap();
        let mut ledger = Ledger::new();
        ledger.append(event);
        let current = ledger
            .objections()
            .current(&who, &ObjectionTarget::DirectMarketing)
            .unwrap();
        assert_eq!(current.source, source);
        assert!(
            ledger
                .objections()
                .objects_to(&who, &ObjectionTarget::DirectMarketing)
        );
        assert_eq!(ledger.objection_history(&who).len(), 1);
    }
}

/// P001-14: "clicking 'unsubscribe' at the bottom of the email" on GleSYS's legitimate-interest
/// product e-mails is an objection to that purpose from the link.
#[test]
fn p001_14_unsubscribe_link_objects_to_the_marketing_purpose() {
    let register = glesys();
    let event = ObjectionEvent::raise(
        "s-9",
        Some(PurposeId("customer_marketing".into())),
        ObjectionSource::UnsubscribeLink,
        t("2024-09-01"),
    );
    event.check(&register).unwrap();
    let state = ObjectionState::from_events(&[event]);
    let target = ObjectionTarget::Purpose(PurposeId("customer_marketing".into()));
    assert!(state.objects_to("s-9", &target));
    assert!(!state.objects_to("s-9", &ObjectionTarget::DirectMarketing));
    assert!(
        ObjectionEvent::raise(
            "s-9",
            Some(PurposeId("nope".into())),
            ObjectionSource::Request,
            t("2024-09-01")
        )
        .check(&register)
        .is_err()
    );
}

#[test]
fn browser_signals_are_targets_of_their_own_and_can_be_lifted() {
    let gpc = ObjectionEvent::gpc("v-1", t("2025-01-01"));
    let dnt = ObjectionEvent::dnt("v-2", t("2025-01-01"));
    assert_eq!(gpc.target(), ObjectionTarget::Signal(BrowserSignal::Gpc));
    assert_eq!(dnt.target(), ObjectionTarget::Signal(BrowserSignal::Dnt));
    assert_eq!(
        ObjectionEvent::raise("v-3", None, ObjectionSource::Request, t("2025-01-01")).target(),
        ObjectionTarget::DirectMarketing
    );

    let lifted_marketing = ObjectionEvent::lift(
        "v-1",
        None,
        ObjectionSource::AccountSettings,
        t("2025-02-01"),
    );
    let state = ObjectionState::from_events(&[
        gpc.clone(),
        ObjectionEvent::raise("v-1", None, ObjectionSource::Request, t("2025-01-15")),
        lifted_marketing,
    ]);
    // Lifting the general marketing objection leaves the browser signal's in force.
    assert!(!state.objects_to("v-1", &ObjectionTarget::DirectMarketing));
    assert!(state.objects_to("v-1", &ObjectionTarget::Signal(BrowserSignal::Gpc)));
    assert_eq!(state.active("v-1").count(), 1);

    let lifted_signal = ObjectionEvent::lift("v-1", None, ObjectionSource::Gpc, t("2025-03-01"));
    let state = ObjectionState::from_events(&[gpc.clone(), lifted_signal]);
    assert_eq!(state.active("v-1").count(), 0);

    // Each signal is raised and lifted apart: lifting Do Not Track leaves GPC in force.
    let both = ObjectionState::from_events(&[
        gpc,
        ObjectionEvent::dnt("v-1", t("2025-01-02")),
        ObjectionEvent::lift("v-1", None, ObjectionSource::Dnt, t("2025-04-01")),
    ]);
    assert!(both.objects_to("v-1", &ObjectionTarget::Signal(BrowserSignal::Gpc)));
    assert!(!both.objects_to("v-1", &ObjectionTarget::Signal(BrowserSignal::Dnt)));
}

/// P000-12: interest areas in the subscription management system, and channels.
#[test]
fn p000_12_interest_areas_and_channels_are_preferences() {
    let event = |preference, opted_in, at| PreferenceEvent {
        subject: "s-1".into(),
        preference,
        opted_in,
        method: ConsentMethod::WebForm,
        at: t(at),
    };
    let events = [
        event(Preference::Interest("topic_a".into()), true, "2022-03-01"),
        event(Preference::Interest("topic_b".into()), false, "2022-03-01"),
        event(Preference::Channel(Channel::Sms), false, "2022-03-02"),
        event(Preference::Channel(Channel::Sms), true, "2022-03-01"),
    ];
    for e in &events {
        e.check().unwrap();
    }
    let state = PreferenceState::from_events(&events);
    assert!(!state.interest_opted_out("s-1", "topic_a"));
    assert!(state.interest_opted_out("s-1", "topic_b"));
    assert!(
        !state.interest_opted_out("s-1", "topic_c"),
        "no event: not out"
    );
    assert!(
        state.channel_opted_out("s-1", Channel::Sms),
        "the later opt-out wins"
    );
    assert!(!state.channel_opted_out("s-1", Channel::Email));
    assert_eq!(state.for_subject("s-1").count(), 3);
    assert_eq!(
        event(Preference::Interest("Topic B!".into()), false, "2022-03-01").check(),
        Err(LedgerError::InvalidInterest)
    );
}

// --- Features ------------------------------------------------------------------------------------

/// P003-20: AI features are off by default.
#[test]
fn p003_20_features_are_off_by_default() {
    let state = FeatureState::new();
    assert!(!state.is_enabled("ai_features", "acme", None));
    assert!(!state.is_enabled("ai_features", "acme", Some("apollo")));
    assert!(state.deciding_switch("ai_features", "acme", None).is_none());
}

/// P003-21: an administrator enabling AI creates a ledger entry {organisation, scope, admin id,
/// time} and the organisation's consent under the wording version shown.
#[test]
fn p003_21_enabling_ai_records_the_switch_and_the_organisations_consent() {
    let register = workitems();
    let on = switch(org("acme"), true, "2025-03-01T09:30:00Z");
    on.check(&register).unwrap();
    let consents = on.consents(&register, "2025-01-01").unwrap();
    assert_eq!(consents.len(), 1);
    let grant = &consents[0];
    assert_eq!(grant.scope, ConsentScope::Organisation("acme".into()));
    assert_eq!(grant.purpose.as_str(), "ai_processing");
    assert!(grant.granted);
    assert_eq!(grant.method, ConsentMethod::Admin);
    assert_eq!(grant.notice_version, "2025-01-01");
    assert_eq!(grant.at, on.at);

    let mut ledger = Ledger::new();
    ledger.append(on.clone());
    for c in consents {
        ledger.append(c);
    }
    let recorded = ledger
        .features()
        .current("ai_features", &org("acme"))
        .unwrap();
    assert_eq!(recorded.actor, "admin-7");
    assert_eq!(recorded.at, t("2025-03-01T09:30:00Z"));
    assert!(
        ledger
            .consents()
            .is_granted(&ConsentScope::Organisation("acme".into()), "ai_processing")
    );

    // Switches are checked: unknown feature, missing actor.
    let unknown = FeatureSwitch {
        feature: FeatureId("robots".into()),
        ..on.clone()
    };
    assert_eq!(
        unknown.check(&register),
        Err(LedgerError::UnknownFeature(FeatureId("robots".into())))
    );
    let anonymous = FeatureSwitch {
        actor: String::new(),
        ..on
    };
    assert_eq!(anonymous.check(&register), Err(LedgerError::MissingActor));
}

#[test]
fn a_feature_that_cannot_be_switched_per_project_is_refused_there() {
    let source = include_str!("../../../examples/registers/workitems.yaml")
        .replace("scopes: [organisation, project]", "scopes: [organisation]");
    let register = register(&source);
    let error = switch(project("acme", "apollo"), true, "2025-03-01")
        .check(&register)
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "feature `ai_features` cannot be switched for a project"
    );
}

/// P003-23: enabled for project A only: A on, B off.
#[test]
fn p003_23_a_project_switch_applies_to_that_project_only() {
    let state = FeatureState::from_switches(&[switch(project("acme", "a"), true, "2025-03-01")]);
    assert!(state.is_enabled("ai_features", "acme", Some("a")));
    assert!(!state.is_enabled("ai_features", "acme", Some("b")));
    assert!(!state.is_enabled("ai_features", "acme", None));
    assert!(!state.is_enabled("ai_features", "globex", Some("a")));
}

/// P003-31: organisation on, project X off: X off, the others on.
#[test]
fn p003_31_a_project_switch_overrides_the_organisation() {
    let state = FeatureState::from_switches(&[
        switch(org("acme"), true, "2025-03-01"),
        switch(project("acme", "x"), false, "2025-03-02"),
    ]);
    assert!(!state.is_enabled("ai_features", "acme", Some("x")));
    assert!(state.is_enabled("ai_features", "acme", Some("y")));
    assert!(state.is_enabled("ai_features", "acme", None));
    let deciding = state
        .deciding_switch("ai_features", "acme", Some("x"))
        .unwrap();
    assert_eq!(deciding.scope, project("acme", "x"));
    assert_eq!(state.iter().len(), 2);
}

/// P003-32 and P003-34: disabling at t turns the feature off from t, withdraws the organisation's
/// consent, and the ledger keeps the whole enable/disable history with times.
#[test]
fn p003_32_p003_34_disabling_withdraws_and_keeps_the_history() {
    let register = workitems();
    let mut ledger = Ledger::new();
    for (enabled, at) in [
        (true, "2025-03-01"),
        (false, "2025-04-01"),
        (true, "2025-05-01"),
        (false, "2025-06-01"),
    ] {
        let s = switch(org("acme"), enabled, at);
        s.check(&register).unwrap();
        for c in s.consents(&register, "2025-01-01").unwrap() {
            ledger.append(c);
        }
        ledger.append(s);
    }
    assert!(!ledger.features().is_enabled("ai_features", "acme", None));
    let acme = ConsentScope::Organisation("acme".into());
    let consent_history = ledger.consent_history(&acme, "ai_processing");
    assert_eq!(
        consent_history
            .iter()
            .map(|c| (c.granted, c.at))
            .collect::<Vec<_>>(),
        vec![
            (true, t("2025-03-01")),
            (false, t("2025-04-01")),
            (true, t("2025-05-01")),
            (false, t("2025-06-01")),
        ]
    );
    assert!(!ledger.consents().is_granted(&acme, "ai_processing"));
    let switches = ledger.feature_history("ai_features", &org("acme"));
    assert_eq!(switches.len(), 4);
    assert!(switches.windows(2).all(|w| w[0].at < w[1].at));
    assert_eq!(ledger.events().len(), 8);
    assert!(matches!(ledger.events()[0], LedgerEvent::Consent(_)));
}

// --- Properties ----------------------------------------------------------------------------------

fn arbitrary_consent() -> impl Strategy<Value = ConsentEvent> {
    (0usize..3, 0usize..3, any::<bool>(), 0i64..20).prop_map(|(who, purpose, granted, minute)| {
        ConsentEvent {
            scope: match who {
                0 => ConsentScope::Subject("s".into()),
                1 => ConsentScope::Organisation("o".into()),
                _ => ConsentScope::Project {
                    organisation: "o".into(),
                    project: "p".into(),
                },
            },
            purpose: PurposeId(["a", "b", "c"][purpose].into()),
            granted,
            method: ConsentMethod::Api,
            notice_version: format!("v{minute}"),
            at: Timestamp::from_second(1_700_000_000 + minute * 60).unwrap(),
            text_hash: None,
        }
    })
}

proptest! {
    /// Applying events one by one in the order given is the same as deriving the state from the
    /// list: the latest time wins, ties go to the one given last.
    #[test]
    fn incremental_apply_equals_from_events(events in prop::collection::vec(arbitrary_consent(), 0..40)) {
        let mut incremental = ConsentState::new();
        for event in &events {
            incremental.apply(event.clone());
        }
        prop_assert_eq!(incremental, ConsentState::from_events(&events));
    }

    /// With distinct times, the order events arrive in does not matter.
    #[test]
    fn with_distinct_times_order_does_not_matter(
        events in prop::collection::vec(arbitrary_consent(), 0..40),
        seed in any::<u64>(),
    ) {
        let mut distinct: Vec<ConsentEvent> = Vec::new();
        for (i, mut event) in events.into_iter().enumerate() {
            event.at = Timestamp::from_second(1_700_000_000 + i as i64).unwrap();
            distinct.push(event);
        }
        let mut shuffled = distinct.clone();
        // A deterministic shuffle from the seed.
        let mut state = seed | 1;
        for i in (1..shuffled.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            shuffled.swap(i, (state % (i as u64 + 1)) as usize);
        }
        prop_assert_eq!(ConsentState::from_events(&distinct), ConsentState::from_events(&shuffled));
    }

    /// Feature state: the project's own switch if any, else the organisation's, else off.
    #[test]
    fn feature_state_follows_the_override_rule(
        switches in prop::collection::vec((any::<bool>(), any::<bool>(), 0i64..10), 0..12),
    ) {
        let switches: Vec<FeatureSwitch> = switches
            .into_iter()
            .map(|(in_project, enabled, minute)| FeatureSwitch {
                feature: FeatureId("ai_features".into()),
                scope: if in_project { project("o", "p") } else { org("o") },
                enabled,
                actor: "a".into(),
                at: Timestamp::from_second(1_700_000_000 + minute * 60).unwrap(),
            })
            .collect();
        let state = FeatureState::from_switches(&switches);
        let latest = |scope: &OrganisationScope| {
            let mut found: Option<&FeatureSwitch> = None;
            for s in &switches {
                if &s.scope == scope && found.is_none_or(|f| s.at >= f.at) {
                    found = Some(s);
                }
            }
            found.map(|s| s.enabled)
        };
        let expected_project = latest(&project("o", "p")).or(latest(&org("o"))).unwrap_or(false);
        let expected_org = latest(&org("o")).unwrap_or(false);
        prop_assert_eq!(state.is_enabled("ai_features", "o", Some("p")), expected_project);
        prop_assert_eq!(state.is_enabled("ai_features", "o", Some("q")), expected_org);
        prop_assert_eq!(state.is_enabled("ai_features", "o", None), expected_org);
    }
}
