//! Dated evaluations of the security measures (issue 20, P003-42: "We are regularly evaluating
//! our security measures"): recorded with the day they were held, listed, and checked against
//! the register's `security_review.every`, so that a cycle with none in it is reported.

use jiff::Timestamp;
use jiff::civil::Date;
use skydd_register::Period;
use skydd_register::model::ReviewStatus;
use skydd_storage::SecurityReviewRow;

use crate::{Actor, Vault, VaultError};

/// The longest summary a review takes, in characters.
pub const MAX_REVIEW_SUMMARY_CHARS: usize = 4000;

/// The earliest day a review may be dated: the GDPR's first day of application.
const EARLIEST_REVIEW: Date = jiff::civil::date(2018, 5, 25);

/// A review to record: the day it was held and what it found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSecurityReview {
    /// The day the measures were evaluated (not after today, in Stockholm).
    pub reviewed_on: Date,
    /// What the review found and decided, in words (at most [`MAX_REVIEW_SUMMARY_CHARS`]).
    pub summary: String,
}

/// A recorded review.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SecurityReviewView {
    /// The day it was held.
    pub reviewed_on: Date,
    /// When it was recorded.
    pub recorded_at: Timestamp,
    /// The staff account or token that recorded it.
    pub recorded_by: String,
    /// What it found.
    pub summary: String,
}

/// The reviews and where the cycle stands.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SecurityReviews {
    /// The register's cycle (`security_review.every`), if it sets one.
    pub every: Option<Period>,
    /// Where the cycle stands today; `None` when the register sets no cycle.
    pub status: Option<ReviewStatus>,
    /// Every review recorded, in the order recorded.
    pub reviews: Vec<SecurityReviewView>,
}

impl Vault {
    /// Record a review of the security measures held on `new.reviewed_on`, audited as
    /// `security.review` with its date (never the summary). Refused: a day after today or before
    /// 25 May 2018, an empty summary, one longer than [`MAX_REVIEW_SUMMARY_CHARS`] or with
    /// control characters other than line breaks and tabs.
    pub async fn record_security_review(
        &self,
        actor: &Actor,
        new: NewSecurityReview,
        now: Timestamp,
    ) -> Result<SecurityReviewView, VaultError> {
        let today = skydd_register::zone::stockholm_date(now);
        if new.reviewed_on > today {
            return Err(VaultError::invalid(
                format!("`reviewed_on` {} is after today", new.reviewed_on),
                "record a review once it has been held, with the day it was held",
            ));
        }
        if new.reviewed_on < EARLIEST_REVIEW {
            return Err(VaultError::invalid(
                format!("`reviewed_on` {} is before 25 May 2018", new.reviewed_on),
                "give the day the review was held (YYYY-MM-DD)",
            ));
        }
        let summary = new.summary.trim();
        if summary.is_empty() {
            return Err(VaultError::invalid(
                "`summary` is empty",
                "say in words what the review found and decided",
            ));
        }
        if summary.chars().count() > MAX_REVIEW_SUMMARY_CHARS {
            return Err(VaultError::invalid(
                format!("`summary` is longer than {MAX_REVIEW_SUMMARY_CHARS} characters"),
                "summarise it, and keep the full report where your documents are",
            ));
        }
        if summary
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
        {
            return Err(VaultError::invalid(
                "`summary` holds control characters",
                "write plain text; line breaks and tabs are allowed",
            ));
        }
        let row = SecurityReviewRow {
            seq: 0,
            reviewed_on: new.reviewed_on.to_string(),
            recorded_at: now,
            recorded_by: actor.id.clone(),
            summary: summary.to_owned(),
        };
        self.storage.insert_security_review(row.clone()).await?;
        self.audit_with_detail(
            actor,
            now,
            "security.review",
            None,
            None,
            Vec::new(),
            "recorded",
            Some(format!("reviewed_on:{}", new.reviewed_on)),
        )
        .await?;
        view(row)
    }

    /// The reviews recorded and, when the register sets a cycle, where it stands on `now`'s
    /// day in Stockholm.
    pub async fn security_reviews(&self, now: Timestamp) -> Result<SecurityReviews, VaultError> {
        let reviews = self
            .storage
            .security_reviews()
            .await?
            .into_iter()
            .map(view)
            .collect::<Result<Vec<_>, _>>()?;
        let today = skydd_register::zone::stockholm_date(now);
        let cycle = self.register().security_review;
        let held: Vec<Date> = reviews.iter().map(|r| r.reviewed_on).collect();
        Ok(SecurityReviews {
            every: cycle.map(|c| c.every),
            status: cycle.map(|c| c.status(&held, today)),
            reviews,
        })
    }
}

/// A stored review as shown.
fn view(row: SecurityReviewRow) -> Result<SecurityReviewView, VaultError> {
    let reviewed_on = row
        .reviewed_on
        .parse()
        .map_err(|_| VaultError::Corrupt("a security review's date".into()))?;
    Ok(SecurityReviewView {
        reviewed_on,
        recorded_at: row.recorded_at,
        recorded_by: row.recorded_by,
        summary: row.summary,
    })
}
