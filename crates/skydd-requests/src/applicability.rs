//! Where a right stops by law: the data or purposes a request's right does not reach, and
//! why, so a request is answered with "this right does not apply, because ..." instead of
//! leaving data out in silence (issue 20; promise P003-37's assessment outcome).
//!
//! The limits are the GDPR's own:
//! - **portability** (Art. 20(1)) reaches only data the subject provided, processed on consent
//!   or on a contract with them;
//! - **objection** (Art. 21(1)-(2)) reaches only processing on legitimate interests or a public
//!   task, and direct marketing;
//! - **withdrawal of consent** (Art. 7(3)) reaches only processing on consent.

use serde::Serialize;
use skydd_register::model::{CategoryId, LegalBasis, Purpose, PurposeId};

use crate::RequestType;

/// Why a right does not reach some data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum NotApplicable {
    /// Portability: the register says the subject did not provide this category (Art. 20(1)).
    NotProvidedBySubject,
    /// Portability: the purpose processes the category on this basis, neither consent nor a
    /// contract (Art. 20(1)(a)).
    NotOnConsentOrContract {
        /// The basis the purpose rests on for the category (the first the register names).
        basis: LegalBasis,
    },
    /// Objection: the purpose rests on this basis, neither legitimate interests nor a public
    /// task, and is not direct marketing (Art. 21(1)).
    NotObjectable {
        /// The basis the purpose rests on (the first the register names).
        basis: LegalBasis,
    },
    /// Withdrawal of consent: the purpose does not rest on consent (Art. 7(3)).
    NotOnConsent,
}

impl NotApplicable {
    /// The stable snake_case word stored in a request's outcome.
    pub const fn as_str(self) -> &'static str {
        match self {
            NotApplicable::NotProvidedBySubject => "not_provided_by_subject",
            NotApplicable::NotOnConsentOrContract { .. } => "not_on_consent_or_contract",
            NotApplicable::NotObjectable { .. } => "not_objectable",
            NotApplicable::NotOnConsent => "not_on_consent",
        }
    }

    /// The article that draws the limit, as letters cite it.
    pub const fn article(self) -> &'static str {
        match self {
            NotApplicable::NotProvidedBySubject => "Art. 20(1)",
            NotApplicable::NotOnConsentOrContract { .. } => "Art. 20(1)(a)",
            NotApplicable::NotObjectable { .. } => "Art. 21(1)",
            NotApplicable::NotOnConsent => "Art. 7(3)",
        }
    }
}

/// Data a right did not reach: one purpose, the categories concerned and the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeftOut {
    /// The purpose the data is processed for.
    pub purpose: PurposeId,
    /// The categories concerned; empty when the whole purpose is concerned (an objection or a
    /// withdrawal).
    pub categories: Vec<CategoryId>,
    /// Why the right does not reach it.
    #[serde(flatten)]
    pub reason: NotApplicable,
}

/// Whether portability reaches category `category` as purpose `purpose` processes it, given
/// whether the subject provided the category; the reason when it does not. Ask only for a
/// category the purpose processes: one it gives no basis for yields `None`, as there is no
/// processing for the right to reach or miss.
pub fn portability(
    purpose: &Purpose,
    category: &CategoryId,
    provided_by_subject: bool,
) -> Option<NotApplicable> {
    if !provided_by_subject {
        return Some(NotApplicable::NotProvidedBySubject);
    }
    let bases = purpose.bases_for(category).unwrap_or_default();
    if bases
        .iter()
        .any(|b| matches!(b, LegalBasis::Consent | LegalBasis::Contract))
    {
        return None;
    }
    bases
        .first()
        .map(|basis| NotApplicable::NotOnConsentOrContract { basis: *basis })
}

/// Whether the right of `request_type` reaches purpose `purpose` as a whole: an objection
/// needs legitimate interests, a public task or direct marketing; a withdrawal needs consent.
/// Every other type is not limited by purpose here (`None`).
pub fn purpose_right(request_type: RequestType, purpose: &Purpose) -> Option<NotApplicable> {
    match request_type {
        RequestType::Objection
            if !purpose.direct_marketing
                && !purpose.uses_basis(LegalBasis::LegitimateInterest)
                && !purpose.uses_basis(LegalBasis::PublicTask) =>
        {
            let basis = purpose
                .legal_basis
                .iter()
                .flat_map(|b| b.bases.iter())
                .next()
                .copied()
                .unwrap_or(LegalBasis::Contract);
            Some(NotApplicable::NotObjectable { basis })
        }
        RequestType::WithdrawConsent if !purpose.uses_basis(LegalBasis::Consent) => {
            Some(NotApplicable::NotOnConsent)
        }
        _ => None,
    }
}

/// How a completed request was assessed (P003-37): every part granted, some data left out
/// (kept under a legal hold, or beyond the right's reach), or the right not applicable at all.
/// A refusal is not an assessment of a completed request: it is the `rejected` state, whose
/// letter gives the reasons and the right to complain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Assessment {
    /// Granted in full.
    Full,
    /// Granted except for the data named in the outcome (`kept_under_legal_hold`,
    /// `not_applicable`).
    Partial,
    /// The right does not apply to what was asked; the outcome says why.
    NotApplicable,
}

impl Assessment {
    /// The assessment of a request that kept `kept` groups under legal holds, left `left_out`
    /// groups out as beyond the right, and did `did_something` (changed or delivered data).
    pub fn of(kept: usize, left_out: usize, did_something: bool) -> Assessment {
        match (did_something, kept + left_out) {
            (false, n) if n > 0 => Assessment::NotApplicable,
            (_, 0) => Assessment::Full,
            _ => Assessment::Partial,
        }
    }

    /// The stable word stored in a request's outcome.
    pub const fn as_str(self) -> &'static str {
        match self {
            Assessment::Full => "full",
            Assessment::Partial => "partial",
            Assessment::NotApplicable => "not_applicable",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_with_nothing_left_out_is_full_and_one_that_did_nothing_is_not_applicable() {
        assert_eq!(Assessment::of(0, 0, true), Assessment::Full);
        assert_eq!(Assessment::of(0, 0, false), Assessment::Full);
        assert_eq!(Assessment::of(1, 0, true), Assessment::Partial);
        assert_eq!(Assessment::of(0, 2, true), Assessment::Partial);
        assert_eq!(Assessment::of(0, 1, false), Assessment::NotApplicable);
    }

    #[test]
    fn the_reason_serialises_flat_with_its_basis() {
        let left = LeftOut {
            purpose: PurposeId("support".into()),
            categories: vec![CategoryId("ticket".into())],
            reason: NotApplicable::NotOnConsentOrContract {
                basis: LegalBasis::LegitimateInterest,
            },
        };
        assert_eq!(
            serde_json::to_value(&left).unwrap(),
            serde_json::json!({
                "purpose": "support",
                "categories": ["ticket"],
                "reason": "not_on_consent_or_contract",
                "basis": "legitimate_interest",
            })
        );
    }
}
