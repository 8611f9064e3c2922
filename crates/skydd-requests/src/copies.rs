//! Repeat access requests: the first copy is free; the register's rights policy decides the
//! rest (Art. 15(3), 12(5)).

use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};
use skydd_register::model::{CopiesPolicy, FurtherCopies};
use skydd_register::period::PeriodUnit;

/// Whether a new copy is free or needs an administrator's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopyAllowance {
    /// Within the policy: no fee, no question.
    Free,
    /// Outside the free copies: an administrator decides on a reasonable fee or a refusal with
    /// reasons (Art. 12(5)). Never refused silently.
    NeedsDecision {
        /// Why, in plain words, with the policy and the count (no personal data).
        reason: String,
        /// What the register says should happen with further copies.
        further: FurtherCopies,
        /// When a copy is free again (the oldest counted copy leaves the period), if ever.
        free_again_at: Option<Timestamp>,
    },
}

/// Whether an access request at `now` is free, given the times of the subject's earlier access
/// requests that produced a copy. Earlier requests after `now` are ignored.
///
/// A request counts against the allowance while `now` is before the same instant one period
/// later (UTC calendar): with "1 per 12 months", a copy on 10 March 2025 makes the next one free
/// again from 10 March 2026.
pub fn copy_allowance(
    policy: &CopiesPolicy,
    earlier_access_requests: &[Timestamp],
    now: Timestamp,
) -> CopyAllowance {
    let mut counted: Vec<Timestamp> = earlier_access_requests
        .iter()
        .copied()
        .filter(|t| *t <= now)
        .filter(|t| policy.per.is_none_or(|_| window_end(policy, *t) > now))
        .collect();
    counted.sort();
    let free = policy.free.max(1);
    if counted.len() < usize::try_from(free).unwrap_or(usize::MAX) {
        return CopyAllowance::Free;
    }
    if policy.further == FurtherCopies::Free {
        return CopyAllowance::Free;
    }
    // The copy that must leave the period before another is free is the (count - free + 1)th
    // oldest.
    let free_again_at = policy.per.and_then(|_| {
        let index = counted.len()
            - usize::try_from(free)
                .unwrap_or(usize::MAX)
                .min(counted.len());
        counted.get(index).map(|t| window_end(policy, *t))
    });
    let allowance = match policy.per {
        Some(per) => format!("{free} free per {per}"),
        None => format!("{free} free in total"),
    };
    let within = match policy.per {
        Some(per) => format!(" within the last {per}"),
        None => String::new(),
    };
    let action = match policy.further {
        FurtherCopies::Fee => {
            "the register asks for a reasonable fee based on administrative costs (Art. 15(3) GDPR)"
        }
        FurtherCopies::RefuseWithReasons | FurtherCopies::Free => {
            "the register says further copies may be refused, with reasons, when requests are manifestly unfounded or excessive (Art. 12(5) GDPR)"
        }
    };
    CopyAllowance::NeedsDecision {
        reason: format!(
            "{} earlier {}{within}; the rights policy allows {allowance}; {action}; an administrator decides: charge a fee or refuse with reasons, and the subject is told",
            counted.len(),
            if counted.len() == 1 { "copy" } else { "copies" }
        ),
        further: policy.further,
        free_again_at,
    }
}

/// When an earlier copy at `at` stops counting.
fn window_end(policy: &CopiesPolicy, at: Timestamp) -> Timestamp {
    let Some(per) = policy.per else {
        return Timestamp::MAX;
    };
    let n = i64::from(per.amount);
    let span = match per.unit {
        PeriodUnit::Minute => Span::new().try_minutes(n),
        PeriodUnit::Hour => Span::new().try_hours(n),
        PeriodUnit::Day => Span::new().try_days(n),
        PeriodUnit::Week => Span::new().try_weeks(n),
        PeriodUnit::Month => Span::new().try_months(n),
        PeriodUnit::Year => Span::new().try_years(n),
    };
    span.ok()
        .and_then(|span| at.to_zoned(TimeZone::UTC).checked_add(span).ok())
        .map_or(Timestamp::MAX, |z| z.timestamp())
}
