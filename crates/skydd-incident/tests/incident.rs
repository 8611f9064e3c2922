//! The incident model: the 72-hour clock, phased notification, Art. 33(5) and Art. 34(3).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;
use skydd_incident::{
    CommunicationExemption, CommunicationStatus, Entry, Incident, IncidentError,
    NotificationStatus, Outstanding, Phase, Report, Risk,
};

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn report(risk: Risk) -> Report {
    Report {
        became_aware_at: at("2026-03-27T16:30:00Z"),
        occurred_at: Some(at("2026-03-27T02:00:00Z")),
        nature: "A laptop with an unencrypted export of the customer register was stolen".into(),
        data_categories: vec!["contact_details".into()],
        subject_categories: vec!["customers".into()],
        approx_subjects: Some(1200),
        approx_records: Some(1200),
        consequences: "Phishing aimed at the customers".into(),
        measures: "Customers warned; exports now only to encrypted disks".into(),
        risk,
    }
}

fn notified(phase: Phase, when: &str, reference: Option<&str>, late: Option<&str>) -> Entry {
    Entry::AuthorityNotified {
        phase,
        notified_at: at(when),
        authority_reference: reference.map(str::to_string),
        late_reason: late.map(str::to_string),
        summary: None,
    }
}

#[test]
fn the_clock_runs_72_hours_from_awareness_across_a_dst_change() {
    // Summer time starts in Sweden on 2026-03-29: the 72 hours are real hours, counted in UTC.
    let incident =
        Incident::report("i1", report(Risk::Risk), "dpo", at("2026-03-27T17:00:00Z")).unwrap();
    assert_eq!(incident.due_at(), at("2026-03-30T16:30:00Z"));
    assert_eq!(
        incident.time_left(at("2026-03-30T15:30:00Z")),
        Some(SignedDuration::from_hours(1))
    );
    assert_eq!(
        incident.time_left(at("2026-03-30T18:30:00Z")),
        Some(SignedDuration::from_hours(-2))
    );
}

#[test]
fn a_late_first_notification_needs_reasons() {
    let mut incident =
        Incident::report("i1", report(Risk::Risk), "dpo", at("2026-03-27T17:00:00Z")).unwrap();
    let now = at("2026-04-01T09:00:00Z");
    let error = incident
        .record(
            notified(Phase::Initial, "2026-03-31T08:00:00Z", None, None),
            "dpo",
            now,
        )
        .unwrap_err();
    assert!(
        matches!(
            error,
            IncidentError::Blank {
                field: "late_reason",
                ..
            }
        ),
        "{error}"
    );
    assert!(error.to_string().contains("Art. 33(1)"));
    incident
        .record(
            notified(
                Phase::Initial,
                "2026-03-31T08:00:00Z",
                None,
                Some("The theft was first thought to be of an empty laptop"),
            ),
            "dpo",
            now,
        )
        .unwrap();
    match incident.notification() {
        NotificationStatus::Notified { late, complete, .. } => {
            assert!(late);
            assert!(!complete);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(incident.time_left(now), None);
}

#[test]
fn an_incident_unlikely_to_result_in_a_risk_is_documented_with_the_reason() {
    let now = at("2026-03-28T10:00:00Z");
    let mut incident = Incident::report("i1", report(Risk::None), "dpo", now).unwrap();
    assert!(matches!(
        incident.notification(),
        NotificationStatus::Due { .. }
    ));
    let blank = incident.check(&Entry::NotificationNotRequired { reason: " ".into() }, now);
    assert!(matches!(
        blank,
        Err(IncidentError::Blank {
            field: "reason",
            ..
        })
    ));
    incident
        .record(
            Entry::NotificationNotRequired {
                reason: "The disk was encrypted with a key that was not stolen".into(),
            },
            "dpo",
            now,
        )
        .unwrap();
    assert!(matches!(
        incident.notification(),
        NotificationStatus::NotRequired { .. }
    ));
    assert!(incident.outstanding().is_empty());
    incident
        .record(
            Entry::Closed {
                summary: "Documented".into(),
            },
            "dpo",
            now,
        )
        .unwrap();
    assert!(!incident.is_open());
    assert_eq!(
        incident.check(
            &Entry::Closed {
                summary: "again".into()
            },
            now
        ),
        Err(IncidentError::Closed)
    );
}

#[test]
fn a_risky_incident_cannot_skip_the_notification() {
    let now = at("2026-03-28T10:00:00Z");
    let mut incident = Incident::report("i1", report(Risk::Risk), "dpo", now).unwrap();
    let error = incident
        .check(
            &Entry::NotificationNotRequired {
                reason: "we'd rather not".into(),
            },
            now,
        )
        .unwrap_err();
    assert!(error.to_string().contains("must be notified"), "{error}");
    let close = incident
        .check(
            &Entry::Closed {
                summary: "done".into(),
            },
            now,
        )
        .unwrap_err();
    assert!(
        close
            .to_string()
            .contains("notify the supervisory authority"),
        "{close}"
    );
    // A re-assessment to `none` reopens the Art. 33(5) route, and a later raise closes it again.
    incident
        .record(
            Entry::Reassessed {
                risk: Risk::None,
                reason: "The export held only company phone numbers".into(),
                consequences: None,
                measures: None,
            },
            "dpo",
            now,
        )
        .unwrap();
    incident
        .record(
            Entry::NotificationNotRequired {
                reason: "No personal data after all".into(),
            },
            "dpo",
            now,
        )
        .unwrap();
    incident
        .record(
            Entry::Reassessed {
                risk: Risk::Risk,
                reason: "Home numbers found too".into(),
                consequences: None,
                measures: None,
            },
            "dpo",
            now,
        )
        .unwrap();
    assert!(matches!(
        incident.notification(),
        NotificationStatus::Due { .. }
    ));
}

#[test]
fn phases_follow_the_initial_notification_and_name_the_reference() {
    let now = at("2026-03-29T10:00:00Z");
    let mut incident = Incident::report("i1", report(Risk::Risk), "dpo", now).unwrap();
    let early = incident.check(
        &notified(
            Phase::Supplementary,
            "2026-03-29T09:00:00Z",
            Some("IMY-1"),
            None,
        ),
        now,
    );
    assert!(matches!(early, Err(IncidentError::NotAllowed(_))));
    incident
        .record(
            notified(Phase::Initial, "2026-03-28T09:00:00Z", None, None),
            "dpo",
            now,
        )
        .unwrap();
    let no_reference = incident.check(
        &notified(Phase::Supplementary, "2026-03-29T09:00:00Z", None, None),
        now,
    );
    assert!(matches!(
        no_reference,
        Err(IncidentError::Blank {
            field: "authority_reference",
            ..
        })
    ));
    let twice = incident.check(
        &notified(Phase::Initial, "2026-03-29T09:00:00Z", None, None),
        now,
    );
    assert!(matches!(twice, Err(IncidentError::NotAllowed(_))));
    incident
        .record(
            notified(
                Phase::Supplementary,
                "2026-03-29T09:00:00Z",
                Some("IMY-2026-1234"),
                None,
            ),
            "dpo",
            now,
        )
        .unwrap();
    // The reference given once carries on to later phases.
    incident
        .record(
            notified(Phase::Final, "2026-03-29T09:30:00Z", None, None),
            "dpo",
            now,
        )
        .unwrap();
    match incident.notification() {
        NotificationStatus::Notified {
            late,
            authority_reference,
            complete,
            ..
        } => {
            assert!(!late);
            assert_eq!(authority_reference.as_deref(), Some("IMY-2026-1234"));
            assert!(complete);
        }
        other => panic!("{other:?}"),
    }
    let after_final = incident.check(
        &notified(Phase::Supplementary, "2026-03-29T09:40:00Z", None, None),
        now,
    );
    assert!(matches!(after_final, Err(IncidentError::NotAllowed(_))));
    let future = incident.check(
        &notified(Phase::Final, "2026-03-30T09:40:00Z", None, None),
        now,
    );
    assert!(matches!(future, Err(IncidentError::BadTime { .. })));
}

#[test]
fn high_risk_is_told_to_the_subjects_or_exempted_on_an_article_34_3_ground() {
    let now = at("2026-03-28T10:00:00Z");
    let mut incident = Incident::report("i1", report(Risk::High), "dpo", now).unwrap();
    incident
        .record(
            notified(Phase::Initial, "2026-03-28T09:00:00Z", None, None),
            "dpo",
            now,
        )
        .unwrap();
    assert_eq!(incident.communication(), CommunicationStatus::Due);
    let close = incident
        .check(
            &Entry::Closed {
                summary: "done".into(),
            },
            now,
        )
        .unwrap_err();
    assert!(close.to_string().contains("Art. 34(3)"), "{close}");
    let exempt = Entry::CommunicationNotRequired {
        ground: CommunicationExemption::Unintelligible,
        explanation: "The export was encrypted with AES-256 and the key was not on the laptop"
            .into(),
    };
    incident.record(exempt, "dpo", now).unwrap();
    assert_eq!(
        incident.communication(),
        CommunicationStatus::Exempt {
            ground: CommunicationExemption::Unintelligible
        }
    );
    incident
        .record(
            Entry::Closed {
                summary: "Closed".into(),
            },
            "dpo",
            now,
        )
        .unwrap();
}

#[test]
fn an_exemption_is_only_for_high_risk_and_not_after_the_subjects_were_told() {
    let now = at("2026-03-28T10:00:00Z");
    let incident = Incident::report("i1", report(Risk::Risk), "dpo", now).unwrap();
    let exempt = Entry::CommunicationNotRequired {
        ground: CommunicationExemption::RiskContained,
        explanation: "x".into(),
    };
    assert!(matches!(
        incident.check(&exempt, now),
        Err(IncidentError::NotAllowed(_))
    ));
    let mut high = Incident::report("i2", report(Risk::High), "dpo", now).unwrap();
    high.record(
        Entry::SubjectsInformed {
            informed_at: now,
            subjects: 1200,
            message: "We lost a laptop with your contact details".into(),
        },
        "dpo",
        now,
    )
    .unwrap();
    assert!(matches!(
        high.check(&exempt, now),
        Err(IncidentError::NotAllowed(_))
    ));
    let nobody = Entry::SubjectsInformed {
        informed_at: now,
        subjects: 0,
        message: "x".into(),
    };
    assert!(matches!(
        high.check(&nobody, now),
        Err(IncidentError::NotAllowed(_))
    ));
}

#[test]
fn a_report_needs_every_article_33_3_element() {
    let now = at("2026-03-28T10:00:00Z");
    let mut blank = report(Risk::Risk);
    blank.nature = "  ".into();
    assert!(matches!(
        Incident::report("i", blank, "dpo", now),
        Err(IncidentError::Blank {
            field: "nature",
            ..
        })
    ));
    let mut no_categories = report(Risk::Risk);
    no_categories.data_categories.clear();
    assert!(matches!(
        Incident::report("i", no_categories, "dpo", now),
        Err(IncidentError::Blank {
            field: "data_categories",
            ..
        })
    ));
    let mut future = report(Risk::Risk);
    future.became_aware_at = at("2026-03-29T10:00:00Z");
    assert!(matches!(
        Incident::report("i", future, "dpo", now),
        Err(IncidentError::BadTime {
            field: "became_aware_at",
            ..
        })
    ));
    // Year 1 (a default value) and a year mistyped as 2017 are before the GDPR applies.
    for before in ["0001-01-01T00:00:00Z", "2018-05-24T21:59:59Z"] {
        let mut ancient = report(Risk::Risk);
        ancient.became_aware_at = at(before);
        ancient.occurred_at = None;
        let error = Incident::report("i", ancient, "dpo", now).unwrap_err();
        assert!(
            matches!(
                error,
                IncidentError::BadTime {
                    field: "became_aware_at",
                    ..
                }
            ),
            "{before}: {error:?}"
        );
        assert!(
            error.to_string().contains("before the GDPR applies"),
            "{error}"
        );
    }
    let mut first_day = report(Risk::Risk);
    first_day.became_aware_at = at("2018-05-24T22:00:00Z");
    first_day.occurred_at = None;
    assert!(Incident::report("i", first_day, "dpo", now).is_ok());
    let mut backwards = report(Risk::Risk);
    backwards.occurred_at = Some(at("2026-03-28T00:00:00Z"));
    assert!(matches!(
        Incident::report("i", backwards, "dpo", now),
        Err(IncidentError::BadTime {
            field: "occurred_at",
            ..
        })
    ));
}

#[test]
fn entries_round_trip_through_json_and_rebuild_the_same_incident() {
    let now = at("2026-03-28T10:00:00Z");
    let mut incident = Incident::report("i1", report(Risk::High), "dpo", now).unwrap();
    incident
        .record(
            notified(Phase::Initial, "2026-03-28T09:00:00Z", Some("IMY-9"), None),
            "dpo",
            now,
        )
        .unwrap();
    incident
        .record(
            Entry::Reassessed {
                risk: Risk::Risk,
                reason: "Contained".into(),
                consequences: None,
                measures: Some("Passwords reset".into()),
            },
            "dpo",
            now,
        )
        .unwrap();
    let stored: Vec<String> = incident
        .entries()
        .iter()
        .map(|r| serde_json::to_string(r).unwrap())
        .collect();
    assert!(
        stored[1].contains(r#""kind":"authority_notified""#),
        "{}",
        stored[1]
    );
    let entries = stored
        .iter()
        .map(|s| serde_json::from_str(s).unwrap())
        .collect();
    let rebuilt = Incident::from_entries("i1", entries).unwrap();
    assert_eq!(rebuilt, incident);
    assert_eq!(rebuilt.current().measures, "Passwords reset");
    assert_eq!(rebuilt.communication(), CommunicationStatus::NotRequired);
    assert_eq!(
        Incident::from_entries("i1", vec![]),
        Err(IncidentError::NotAReport)
    );
}

#[test]
fn words_parse_and_unknown_ones_list_the_valid_ones() {
    assert_eq!("high".parse::<Risk>().unwrap(), Risk::High);
    assert_eq!(
        "supplementary".parse::<Phase>().unwrap(),
        Phase::Supplementary
    );
    assert_eq!(
        CommunicationExemption::PublicCommunication.article(),
        "Art. 34(3)(c)"
    );
    let error = "severe".parse::<Risk>().unwrap_err();
    assert_eq!(
        error.to_string(),
        "unknown risk; use one of: none, risk, high"
    );
}

proptest! {
    /// Whenever the first notification is made, it is late exactly when it is after the 72 hours.
    #[test]
    fn lateness_is_exactly_past_72_hours(aware in skydd_register::GDPR_APPLIES.as_second()..4_000_000_000, after in 0i64..1_000_000) {
        let became_aware_at = Timestamp::from_second(aware).unwrap();
        let notified_at = Timestamp::from_second(aware + after).unwrap();
        let mut r = report(Risk::Risk);
        r.became_aware_at = became_aware_at;
        r.occurred_at = None;
        let mut incident = Incident::report("p", r, "dpo", notified_at).unwrap();
        let late = after > 72 * 3600;
        let entry = Entry::AuthorityNotified {
            phase: Phase::Initial,
            notified_at,
            authority_reference: None,
            late_reason: late.then(|| "reasons".to_string()),
            summary: None,
        };
        incident.record(entry, "dpo", notified_at).unwrap();
        match incident.notification() {
            NotificationStatus::Notified { late: was_late, .. } => prop_assert_eq!(was_late, late),
            other => prop_assert!(false, "{:?}", other),
        }
    }
}

#[test]
fn outstanding_items_say_what_is_left_and_read_as_the_outstanding_words() {
    let now = at("2026-03-28T10:00:00Z");
    let due_at = at("2026-03-30T16:30:00Z");
    let none = Incident::report("i1", report(Risk::None), "dpo", now).unwrap();
    assert_eq!(
        none.outstanding_items(),
        [Outstanding::Notification {
            due_at,
            may_document_instead: true
        }]
    );
    let mut high = Incident::report("i2", report(Risk::High), "dpo", now).unwrap();
    assert_eq!(
        high.outstanding_items(),
        [
            Outstanding::Notification {
                due_at,
                may_document_instead: false
            },
            Outstanding::Communication
        ]
    );
    let words: Vec<String> = high
        .outstanding_items()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(high.outstanding(), words);
    assert!(words[0].contains("Art. 33(1)") && words[0].contains("2026-03-30T16:30:00Z"));
    assert!(words[1].contains("Art. 34(3)"));
    high.record(
        notified(Phase::Initial, "2026-03-28T09:00:00Z", None, None),
        "dpo",
        now,
    )
    .unwrap();
    assert_eq!(high.outstanding_items(), [Outstanding::Communication]);
}
