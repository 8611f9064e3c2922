//! A record's place in its retention schedule: the one computation both decisions ("may this
//! record still be used?") and retention sweeps ("must it go?") rely on.
//!
//! The clocks that govern a record are those of its purpose of collection × category cell (rules
//! narrowed to the purpose, else the category's general rules). The earliest expiry among the
//! clocks whose anchor event has happened decides; a legal hold whose anchor the record carries
//! keeps it, for the hold's purpose only, until the hold ends. Expiry dates are inclusive: a
//! record expiring on D may be used on D and is removed from D + 1 (UTC dates).

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::Offset;
use skydd_register::model::RetentionAction;

use crate::facts::RecordFacts;
use crate::policy::{CategoryRule, Cell, Clock, Policy};

/// Where a record stands in its retention schedule on a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetentionStatus<'p> {
    /// Within its retention period until `until` (inclusive), under `rule`.
    Kept {
        /// The rule that expires first.
        rule: &'p str,
        /// The last day it is kept.
        until: Date,
    },
    /// The anchor event its clock counts from (`contract_end`, `invoice_paid`) has not happened
    /// yet: kept, and counted, until it does.
    Pending {
        /// The first of the rules that govern it (none of their anchor events has happened yet).
        rule: &'p str,
        /// The event it waits for.
        anchor: &'p str,
    },
    /// Its retention has expired but a legal hold keeps it, for the hold's purpose only.
    Held {
        /// The expired rule.
        rule: &'p str,
        /// Id of the legal hold that keeps it (the first one still running).
        hold: &'p str,
        /// The last day the hold keeps it (`None`: the hold's anchor is set but its end is not
        /// computable).
        until: Option<Date>,
    },
    /// Expired: to be removed with `action`.
    Expired {
        /// The rule that expired.
        rule: &'p str,
        /// Delete or anonymise.
        action: RetentionAction,
        /// The last day it was to be kept.
        expired_after: Date,
    },
    /// Kept by criteria (`retention[].criteria`, no fixed period) and due for review since
    /// `since`: a person decides whether it is still needed (and marks it `reviewed`, or
    /// deletes it). Still usable meanwhile; the sweep deletes nothing.
    DueForReview {
        /// The rule kept by criteria.
        rule: &'p str,
        /// The last day before the review fell due.
        since: Date,
    },
    /// No retention rule of the register governs it (its purpose or category is no longer in
    /// the register, or not together): it could be kept forever, so it is reported.
    Ungoverned,
}

impl Policy {
    /// The retention status of `record`, collected for `purpose`, at `now`. A category that is
    /// not personal data is never expired.
    pub fn retention_status(
        &self,
        purpose: &str,
        record: &RecordFacts,
        now: Timestamp,
    ) -> RetentionStatus<'_> {
        let category = record.category.as_str();
        let (Some(&p), Some(&c)) = (
            self.purpose_index.get(purpose),
            self.category_index.get(category),
        ) else {
            return RetentionStatus::Ungoverned;
        };
        let (Some(cell), Some(category)) = (self.cell(p, c), self.categories.get(c)) else {
            return RetentionStatus::Ungoverned;
        };
        status(category, cell, record, now)
    }
}

/// The status of `record` of `category` governed by `cell` at `now`.
pub(crate) fn status<'p>(
    category: &'p CategoryRule,
    cell: &'p Cell,
    record: &RecordFacts,
    now: Timestamp,
) -> RetentionStatus<'p> {
    let Some(first) = cell.retention.first() else {
        return RetentionStatus::Ungoverned;
    };
    let today = Offset::UTC.to_datetime(now).date();
    let earliest = cell
        .retention
        .iter()
        .filter_map(|clock| Some((expiry(clock, record)?, clock)))
        .min_by_key(|(date, _)| *date);
    let Some((date, clock)) = earliest else {
        return RetentionStatus::Pending {
            rule: &first.id,
            anchor: &first.anchor,
        };
    };
    if today <= date {
        return RetentionStatus::Kept {
            rule: &clock.id,
            until: date,
        };
    }
    if clock.action == RetentionAction::Review {
        return RetentionStatus::DueForReview {
            rule: &clock.id,
            since: date,
        };
    }
    if let Some(hold) = running_hold(category, record, today) {
        return RetentionStatus::Held {
            rule: &clock.id,
            hold: &hold.clock.id,
            until: expiry(&hold.clock, record),
        };
    }
    RetentionStatus::Expired {
        rule: &clock.id,
        action: clock.action,
        expired_after: date,
    }
}

/// The first hold on `category` that keeps `record` on `today`: the record carries the hold's
/// anchor (the vault marks accounting material with `financial_year_end`) and the hold has not
/// ended.
pub(crate) fn running_hold<'p>(
    category: &'p CategoryRule,
    record: &RecordFacts,
    today: Date,
) -> Option<&'p crate::policy::Hold> {
    category
        .holds
        .iter()
        .find(|h| holds(&h.clock, record, today))
}

/// Whether the hold `clock` keeps `record` on `today`.
pub(crate) fn holds(clock: &Clock, record: &RecordFacts, today: Date) -> bool {
    record.anchor(&clock.anchor).is_some() && expiry(clock, record).is_none_or(|end| today <= end)
}

/// The last day `record` is kept under `clock`, once its anchor has happened.
pub(crate) fn expiry(clock: &Clock, record: &RecordFacts) -> Option<Date> {
    let anchor = record.anchor(&clock.anchor)?;
    clock
        .clock
        .expires_on(Offset::UTC.to_datetime(anchor).date())
}
