//! Repeat access requests (P001-27: "We allow one free data export per year.").

use jiff::Timestamp;
use skydd_register::model::{CopiesPolicy, FurtherCopies};
use skydd_register::period::{Period, PeriodUnit};
use skydd_requests::{CopyAllowance, copy_allowance};

use crate::glesys;

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

#[test]
fn glesys_one_free_export_per_twelve_months() {
    let register = glesys();
    let policy = &register.rights.copies;
    assert_eq!(policy.free, 1);
    assert_eq!(policy.per, Some(Period::new(12, PeriodUnit::Month)));

    // The first copy is free.
    assert_eq!(
        copy_allowance(policy, &[], at("2025-03-10T09:00:00Z")),
        CopyAllowance::Free
    );
    // A second one within 12 months needs a decision: fee (the GleSYS register) or refusal.
    let earlier = [at("2025-03-10T09:00:00Z")];
    let second = copy_allowance(policy, &earlier, at("2025-09-01T12:00:00Z"));
    let CopyAllowance::NeedsDecision {
        reason,
        further,
        free_again_at,
    } = second
    else {
        panic!("a second copy within 12 months is not free: {second:?}");
    };
    assert_eq!(further, FurtherCopies::Fee);
    assert_eq!(free_again_at, Some(at("2026-03-10T09:00:00Z")));
    assert_eq!(
        reason,
        "1 earlier copy within the last 12 months; the rights policy allows 1 free per 12 months; the register asks for a reasonable fee based on administrative costs (Art. 15(3) GDPR); an administrator decides: charge a fee or refuse with reasons, and the subject is told"
    );
    // From the same moment 12 months later it is free again.
    assert!(matches!(
        copy_allowance(policy, &earlier, at("2026-03-10T08:59:59Z")),
        CopyAllowance::NeedsDecision { .. }
    ));
    assert_eq!(
        copy_allowance(policy, &earlier, at("2026-03-10T09:00:00Z")),
        CopyAllowance::Free
    );
}

#[test]
fn only_earlier_copies_within_the_period_count() {
    let policy = CopiesPolicy {
        free: 2,
        per: Some(Period::new(1, PeriodUnit::Year)),
        further: FurtherCopies::RefuseWithReasons,
    };
    let now = at("2026-06-01T00:00:00Z");
    let history = [
        at("2024-01-01T00:00:00Z"), // too old
        at("2025-07-01T00:00:00Z"),
        at("2027-01-01T00:00:00Z"), // after now: ignored
    ];
    assert_eq!(copy_allowance(&policy, &history, now), CopyAllowance::Free);
    let history = [
        at("2025-12-24T00:00:00Z"),
        at("2025-07-01T00:00:00Z"),
        at("2026-05-31T00:00:00Z"),
    ];
    let CopyAllowance::NeedsDecision {
        reason,
        further,
        free_again_at,
    } = copy_allowance(&policy, &history, now)
    else {
        panic!("three copies in a year is over the allowance");
    };
    assert_eq!(further, FurtherCopies::RefuseWithReasons);
    // Two more must leave the year before one is free: the second oldest, 24 December 2025.
    assert_eq!(free_again_at, Some(at("2026-12-24T00:00:00Z")));
    assert!(
        reason.starts_with("3 earlier copies within the last 1 year;"),
        "{reason}"
    );
    assert!(reason.contains("manifestly unfounded or excessive (Art. 12(5) GDPR)"));
}

#[test]
fn a_policy_without_a_period_counts_all_copies() {
    let policy = CopiesPolicy {
        free: 1,
        per: None,
        further: FurtherCopies::Fee,
    };
    let history = [at("2010-01-01T00:00:00Z")];
    let CopyAllowance::NeedsDecision {
        reason,
        free_again_at,
        ..
    } = copy_allowance(&policy, &history, at("2026-01-01T00:00:00Z"))
    else {
        panic!("only one copy in total is free");
    };
    assert_eq!(free_again_at, None);
    assert!(reason.starts_with("1 earlier copy; the rights policy allows 1 free in total;"));
}

#[test]
fn a_free_further_policy_never_asks() {
    let policy = CopiesPolicy {
        free: 1,
        per: Some(Period::new(12, PeriodUnit::Month)),
        further: FurtherCopies::Free,
    };
    let history = [at("2026-01-01T00:00:00Z"), at("2026-02-01T00:00:00Z")];
    assert_eq!(
        copy_allowance(&policy, &history, at("2026-03-01T00:00:00Z")),
        CopyAllowance::Free
    );
}
