//! The stable reasons a decision denies.

use std::fmt;
use std::str::FromStr;

/// Why a use was denied. The names are stable: clients match on them, the audit trail stores them.
///
/// When several reasons apply, the first in this table is reported (the checks run in this order).
///
/// | code | denied because |
/// |---|---|
/// | `unknown_purpose` | the purpose is not in the register |
/// | `unknown_category` | the data category is not in the register |
/// | `recipient_not_for_purpose` | a disclosure (`POST /v1/disclosures`, checked before any subject's decision), or a decision asked by a recipient (`recipient=`, a sub-processor on its side, P002-30): the register does not give the recipient this purpose (a credit agency receives data for credit checks, not for marketing), or has no such recipient |
/// | `recipient_not_for_category` | checked next, for both: the recipient does not receive this data category (those the register lists for it, or else those of its purposes) |
/// | `unknown_role` | the request is asked for a job role the register's `roles` does not have |
/// | `role_not_for_purpose` | the request is asked for a job role whose `purposes` do not include this one: access only for those who need it for their tasks (P002-38, P003-41) |
/// | `category_not_processed_for_purpose` | the purpose does not list the category (as a legal basis, or as a processor category) |
/// | `channel_not_declared` | the request names a channel the purpose does not declare; a direct marketing purpose must declare every channel it uses (P002-16) |
/// | `record_category_mismatch` | the record facts given are of another category than the request names |
/// | `processor_mode` | the subject is a tenant's (a customer's end user) and the purpose is a controller purpose, or the purpose is a processor activity and the subject is not a tenant's, or the tenant has not instructed the purpose (Art. 28(3)(a), P000-07) |
/// | `retention_expired` | the record's retention clock has run out and no legal hold keeps it |
/// | `legal_hold_other_purpose` | the record is past its retention and kept only by a legal hold, whose purpose is another one |
/// | `restricted` | the subject has restricted processing (Art. 18): only storage is allowed |
/// | `feature_disabled` | the purpose needs an opt-in feature that is off for the organisation or project, or no organisation was given |
/// | `objection` | the subject objected: absolute for direct marketing (Art. 21(3)); for other purposes it stops legitimate interest and public task |
/// | `channel_opted_out` | direct marketing on a channel the subject opted out of |
/// | `interest_opted_out` | direct marketing about an interest area the subject opted out of |
/// | `consent_missing` | the purpose (or a special category, Art. 9(2)(a)) needs consent and there is none in the right scope |
/// | `consent_withdrawn` | the latest consent event to the purpose withdrew it: the purpose stops for the subject whatever other basis the register names for it, in every category (no swap to another basis, EDPB Guidelines 05/2020 §121-123) |
/// | `consent_renewal_needed` | the consent in force was given to earlier wording of the purpose's consent text, which has changed since: ask again |
/// | `basis_condition_unmet` | the category's basis holds only once a fact is true of the record (`{basis: ..., when: event}` in the register), the record's anchor for it has not happened or no record was given, and no other basis holds |
/// | `sources_not_combined` | a record's write only: the record was combined from several sources (`combined_from`) for a purpose the register does not let combine them (`combines_sources`, P000-45) |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DenyCode {
    /// `unknown_purpose`: the purpose is not in the register.
    UnknownPurpose,
    /// `unknown_category`: the data category is not in the register.
    UnknownCategory,
    /// `recipient_not_for_purpose`: a disclosure to a recipient the register does not give
    /// the purpose.
    RecipientNotForPurpose,
    /// `recipient_not_for_category`: a disclosure of a category the recipient does not receive.
    RecipientNotForCategory,
    /// `unknown_role`: the job role named is not in the register.
    UnknownRole,
    /// `role_not_for_purpose`: the job role named does not work for the purpose.
    RoleNotForPurpose,
    /// `category_not_processed_for_purpose`: the purpose does not list the category.
    CategoryNotProcessedForPurpose,
    /// `channel_not_declared`: the purpose does not declare the channel named.
    ChannelNotDeclared,
    /// `record_category_mismatch`: the record is of another category than the request names.
    RecordCategoryMismatch,
    /// `processor_mode`: a tenant's subject under a controller purpose, a processor activity
    /// for a subject who is not a tenant's, or a purpose the tenant did not instruct
    /// (Art. 28(3)(a)).
    ProcessorMode,
    /// `retention_expired`: the record's retention has run out and no legal hold keeps it.
    RetentionExpired,
    /// `legal_hold_other_purpose`: only a legal hold keeps the record, for another purpose.
    LegalHoldOtherPurpose,
    /// `restricted`: the subject restricted processing (Art. 18), so only storage is allowed.
    Restricted,
    /// `feature_disabled`: the purpose's opt-in feature is off, or no organisation was given.
    FeatureDisabled,
    /// `objection`: the subject objected (Art. 21), absolute for direct marketing.
    Objection,
    /// `channel_opted_out`: direct marketing on a channel the subject opted out of.
    ChannelOptedOut,
    /// `interest_opted_out`: direct marketing about an interest area the subject opted out of.
    InterestOptedOut,
    /// `consent_missing`: consent is needed (purpose or Art. 9(2)(a)) and none is in scope.
    ConsentMissing,
    /// `consent_withdrawn`: the latest consent event to the purpose withdrew it; no other
    /// basis of the purpose takes its place (EDPB Guidelines 05/2020, §121-123).
    ConsentWithdrawn,
    /// `consent_renewal_needed`: consent was given to earlier wording, changed since; ask again.
    ConsentRenewalNeeded,
    /// `basis_condition_unmet`: the basis holds only once a fact is true of the record, and it
    /// is not, and no other basis holds.
    BasisConditionUnmet,
    /// `sources_not_combined`: a record combined from several sources, written for a purpose
    /// the register does not let combine them (`combines_sources`, P000-45). Checked when a
    /// record is written, not by `decide`.
    SourcesNotCombined,
}

impl DenyCode {
    /// Every code, in the order the checks run.
    pub const ALL: [DenyCode; 22] = [
        DenyCode::UnknownPurpose,
        DenyCode::UnknownCategory,
        DenyCode::RecipientNotForPurpose,
        DenyCode::RecipientNotForCategory,
        DenyCode::UnknownRole,
        DenyCode::RoleNotForPurpose,
        DenyCode::CategoryNotProcessedForPurpose,
        DenyCode::ChannelNotDeclared,
        DenyCode::RecordCategoryMismatch,
        DenyCode::ProcessorMode,
        DenyCode::RetentionExpired,
        DenyCode::LegalHoldOtherPurpose,
        DenyCode::Restricted,
        DenyCode::FeatureDisabled,
        DenyCode::Objection,
        DenyCode::ChannelOptedOut,
        DenyCode::InterestOptedOut,
        DenyCode::ConsentMissing,
        DenyCode::ConsentWithdrawn,
        DenyCode::ConsentRenewalNeeded,
        DenyCode::BasisConditionUnmet,
        DenyCode::SourcesNotCombined,
    ];

    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            DenyCode::UnknownPurpose => "unknown_purpose",
            DenyCode::UnknownCategory => "unknown_category",
            DenyCode::RecipientNotForPurpose => "recipient_not_for_purpose",
            DenyCode::RecipientNotForCategory => "recipient_not_for_category",
            DenyCode::UnknownRole => "unknown_role",
            DenyCode::RoleNotForPurpose => "role_not_for_purpose",
            DenyCode::CategoryNotProcessedForPurpose => "category_not_processed_for_purpose",
            DenyCode::ChannelNotDeclared => "channel_not_declared",
            DenyCode::RecordCategoryMismatch => "record_category_mismatch",
            DenyCode::ProcessorMode => "processor_mode",
            DenyCode::RetentionExpired => "retention_expired",
            DenyCode::LegalHoldOtherPurpose => "legal_hold_other_purpose",
            DenyCode::Restricted => "restricted",
            DenyCode::FeatureDisabled => "feature_disabled",
            DenyCode::Objection => "objection",
            DenyCode::ChannelOptedOut => "channel_opted_out",
            DenyCode::InterestOptedOut => "interest_opted_out",
            DenyCode::ConsentMissing => "consent_missing",
            DenyCode::ConsentWithdrawn => "consent_withdrawn",
            DenyCode::ConsentRenewalNeeded => "consent_renewal_needed",
            DenyCode::BasisConditionUnmet => "basis_condition_unmet",
            DenyCode::SourcesNotCombined => "sources_not_combined",
        }
    }
}

impl fmt::Display for DenyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The word is not a deny code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownDenyCode;

impl fmt::Display for UnknownDenyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a deny code")
    }
}

impl std::error::Error for UnknownDenyCode {}

impl FromStr for DenyCode {
    type Err = UnknownDenyCode;

    fn from_str(word: &str) -> Result<DenyCode, UnknownDenyCode> {
        DenyCode::ALL
            .into_iter()
            .find(|code| code.as_str() == word)
            .ok_or(UnknownDenyCode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_snake_case_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for code in DenyCode::ALL {
            let name = code.as_str();
            assert!(seen.insert(name), "{name} twice");
            assert!(name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
            assert_eq!(name.parse(), Ok(code));
        }
        assert_eq!("allow".parse::<DenyCode>(), Err(UnknownDenyCode));
    }

    #[test]
    fn the_table_in_the_docs_lists_every_code_in_check_order() {
        let source = include_str!("code.rs");
        let table: Vec<&str> = source
            .lines()
            .filter_map(|l| l.strip_prefix("/// | `"))
            .filter_map(|l| l.split('`').next())
            .collect();
        let codes: Vec<&str> = DenyCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(table, codes);
    }
}
