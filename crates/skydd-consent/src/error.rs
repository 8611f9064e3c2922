//! Errors of the consent model. Messages name register ids and fixed words only: never a subject's
//! data, and never the rejected input itself (it may be anything a client sent).

use skydd_register::model::{FeatureId, PurposeId};

/// A word that is not one of a fixed set (a consent method, an objection source).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid {what}; use one of: {expected}")]
pub struct UnknownWord {
    /// What was expected ("consent method").
    pub what: &'static str,
    /// The accepted words, comma separated.
    pub expected: &'static str,
}

/// An event that does not fit the register it is recorded under.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// The purpose is not in the register.
    #[error("purpose `{0}` is not in the register")]
    UnknownPurpose(PurposeId),
    /// The purpose does not rest on consent, so there is nothing to give or withdraw.
    #[error("purpose `{0}` does not rest on consent")]
    NotConsentBased(PurposeId),
    /// The consent is given by someone else than the scope says.
    #[error("consent to purpose `{purpose}` is given by the {expected}, not at {found} scope")]
    WrongScope {
        /// The consent purpose the event was recorded for.
        purpose: PurposeId,
        /// Who gives it according to the register's `consent.given_by` (`subject`, `organisation`,
        /// `project`).
        expected: &'static str,
        /// Who the event's scope makes the giver, in the same words.
        found: &'static str,
    },
    /// The notice version is empty.
    #[error("a consent event needs the notice version it was given under")]
    MissingNoticeVersion,
    /// The feature is not in the register.
    #[error("feature `{0}` is not in the register")]
    UnknownFeature(FeatureId),
    /// The feature cannot be switched at this kind of scope.
    #[error("feature `{feature}` cannot be switched for a {scope}")]
    FeatureScopeNotAllowed {
        /// The feature the switch was for (`features[].id`).
        feature: FeatureId,
        /// The scope asked for (`organisation` or `project`), not in the feature's `scopes`.
        scope: &'static str,
    },
    /// A feature switch without the administrator who made it.
    #[error("a feature switch needs the id of the administrator who made it")]
    MissingActor,
    /// An interest area that is not an id.
    #[error("an interest area must be an id: lower snake case, at most 64 characters")]
    InvalidInterest,
}

/// Whether `text` is an id as the register writes them: `^[a-z][a-z0-9_]{0,63}$`.
pub(crate) fn is_id(text: &str) -> bool {
    let bytes = text.as_bytes();
    matches!(bytes.first(), Some(b'a'..=b'z'))
        && bytes.len() <= 64
        && bytes
            .iter()
            .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_'))
}
