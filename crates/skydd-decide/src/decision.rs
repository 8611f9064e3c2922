//! What a decision answers.

use std::sync::Arc;

use jiff::Timestamp;
use skydd_consent::ConsentMethod;
use skydd_register::model::{ConsentGiver, LegalBasis};

use crate::DenyCode;

/// The consent an allowed use rests on: who gave it, under which notice version, when and how.
/// Cloning shares the notice version (no allocation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRef {
    /// The subject, the organisation or the project.
    pub giver: ConsentGiver,
    /// The notice version the consent was given under.
    pub notice_version: Arc<str>,
    /// When it was given.
    pub at: Timestamp,
    /// How it was given.
    pub method: ConsentMethod,
}

/// The answer to "may purpose P use category C of subject S now?".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The use is allowed.
    Allow {
        /// The legal basis that holds: the first one of the category's bases, in register order,
        /// whose conditions are met. `None` for a processor activity, which is carried out on the
        /// controller's (the tenant's) instructions and has no legal basis of its own.
        legal_basis: Option<LegalBasis>,
        /// The consent relied on: for the consent basis, or the explicit consent a special
        /// category needs (Art. 9(2)(a)).
        consent: Option<ConsentRef>,
    },
    /// The use is denied.
    Deny {
        /// The stable reason.
        code: DenyCode,
        /// A sentence for people. It names register ids and fixed words only: never personal data,
        /// dates of the subject's events, or text from the request that is not an id.
        explanation: String,
    },
}

impl Decision {
    /// Whether the use is allowed.
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allow { .. })
    }

    /// The deny code, when denied.
    pub fn deny_code(&self) -> Option<DenyCode> {
        match self {
            Decision::Allow { .. } => None,
            Decision::Deny { code, .. } => Some(*code),
        }
    }

    /// The legal basis, when allowed under one.
    pub fn legal_basis(&self) -> Option<LegalBasis> {
        match self {
            Decision::Allow { legal_basis, .. } => *legal_basis,
            Decision::Deny { .. } => None,
        }
    }

    /// The consent relied on, when allowed on consent.
    pub fn consent(&self) -> Option<&ConsentRef> {
        match self {
            Decision::Allow { consent, .. } => consent.as_ref(),
            Decision::Deny { .. } => None,
        }
    }
}
