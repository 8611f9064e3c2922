//! The kinds of request a data subject can make (Art. 15-22 GDPR, consent withdrawal, opt-out).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What the subject asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestType {
    /// A copy of their data and the Art. 15(1) information (register excerpt).
    Access,
    /// The data they provided, processed on consent or contract, machine-readable (Art. 20).
    Portability,
    /// Correction of inaccurate or incomplete data (Art. 16).
    Rectification,
    /// Erasure, except what a legal hold keeps (Art. 17).
    Erasure,
    /// Restriction: from now on storage only (Art. 18).
    Restriction,
    /// Objection to a purpose; absolute for direct marketing (Art. 21).
    Objection,
    /// Withdrawal of a consent (Art. 7(3)).
    WithdrawConsent,
    /// No more marketing (Art. 21(2)-(3)).
    MarketingOptOut,
    /// A copy of the safeguards for transfers outside the EU/EEA, or where they are available
    /// (Art. 13(1)(f), 14(1)(f)). Discloses nothing personal, so anyone may ask.
    SafeguardCopy,
    /// A complaint about how the controller processes the person's data, handled in
    /// confidence by the privacy officer, who owns it and answers it within the deadline
    /// (P000-72; the person may contact the DPO about any issue, Art. 38(4)). Only staff with
    /// the complaints permission see it.
    Complaint,
}

impl RequestType {
    /// Every type, in the order of the list above.
    pub const ALL: [RequestType; 10] = [
        RequestType::Access,
        RequestType::Portability,
        RequestType::Rectification,
        RequestType::Erasure,
        RequestType::Restriction,
        RequestType::Objection,
        RequestType::WithdrawConsent,
        RequestType::MarketingOptOut,
        RequestType::SafeguardCopy,
        RequestType::Complaint,
    ];

    /// The stable snake_case word (API, storage, CLI).
    pub const fn as_str(self) -> &'static str {
        match self {
            RequestType::Access => "access",
            RequestType::Portability => "portability",
            RequestType::Rectification => "rectification",
            RequestType::Erasure => "erasure",
            RequestType::Restriction => "restriction",
            RequestType::Objection => "objection",
            RequestType::WithdrawConsent => "withdraw_consent",
            RequestType::MarketingOptOut => "marketing_opt_out",
            RequestType::SafeguardCopy => "safeguard_copy",
            RequestType::Complaint => "complaint",
        }
    }

    /// Whether the requester's identity must be verified before the request is fulfilled.
    ///
    /// Everything that discloses or changes data does. Withdrawing consent and opting out of
    /// marketing do not: they only stop processing, must be as easy as giving consent
    /// (Art. 7(3)), and an impostor gains nothing by them. Nor does a copy of the transfer
    /// safeguards: it holds nothing about the requester. Nor does a complaint: it is heard
    /// whoever makes it, and its answer discloses no data.
    pub const fn needs_verification(self) -> bool {
        !matches!(
            self,
            RequestType::WithdrawConsent
                | RequestType::MarketingOptOut
                | RequestType::SafeguardCopy
                | RequestType::Complaint
        )
    }

    /// Whether only staff with the complaints permission may see it (a complaint, handled in
    /// confidence by the privacy officer, P000-72).
    pub const fn is_confidential(self) -> bool {
        matches!(self, RequestType::Complaint)
    }

    /// Whether it concerns the requester's own data. A copy of the transfer safeguards is the
    /// same for everyone, so the privacy centre (a place for one's own data) does not offer it:
    /// the notice says how to ask, and `POST /v1/requests` takes it from anyone.
    pub const fn concerns_own_data(self) -> bool {
        !matches!(self, RequestType::SafeguardCopy)
    }

    /// Whether fulfilling it discloses personal data to the requester.
    pub const fn discloses_data(self) -> bool {
        matches!(self, RequestType::Access | RequestType::Portability)
    }

    /// Whether fulfilling it must be notified to every recipient of the data (Art. 19).
    pub const fn notifies_recipients(self) -> bool {
        matches!(
            self,
            RequestType::Rectification | RequestType::Erasure | RequestType::Restriction
        )
    }

    /// The GDPR article the right comes from, for letters and the register excerpt.
    pub const fn article(self) -> &'static str {
        match self {
            RequestType::Access => "Art. 15",
            RequestType::Portability => "Art. 20",
            RequestType::Rectification => "Art. 16",
            RequestType::Erasure => "Art. 17",
            RequestType::Restriction => "Art. 18",
            RequestType::Objection => "Art. 21",
            RequestType::WithdrawConsent => "Art. 7(3)",
            RequestType::MarketingOptOut => "Art. 21(2)",
            RequestType::SafeguardCopy => "Art. 13(1)(f)",
            RequestType::Complaint => "Art. 38(4)",
        }
    }
}

impl fmt::Display for RequestType {
    /// The snake_case word, padded to a width when one is asked for (`{:<17}`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A word that names no request type. The message lists the valid ones and never repeats the
/// input (it may be anything a client sent).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown request type; use one of access, portability, rectification, erasure, restriction, objection, withdraw_consent, marketing_opt_out, safeguard_copy, complaint"
)]
pub struct UnknownRequestType;

impl FromStr for RequestType {
    type Err = UnknownRequestType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RequestType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or(UnknownRequestType)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_lists_every_type() {
        let message = UnknownRequestType.to_string();
        for t in RequestType::ALL {
            assert!(message.contains(t.as_str()), "{t} missing from {message}");
        }
    }
}
