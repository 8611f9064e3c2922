//! Staff accounts: their ids, the normalised sign-in e-mail address, their state and the view
//! the console and the CLI show.
//!
//! The e-mail address is personal data: [`StaffEmail`] hides it from `Debug` and `Display`, and
//! its parse errors say what is wrong without quoting the input. Storage keeps it only
//! encrypted, found by its blind index.

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use skydd_subject::identity::{Identity, IdentityError, IdentityKind, ParseContext};

use crate::permission::StaffRole;

/// A staff account's id: 128 random bits (drawn by the caller) as 32 lowercase hex digits. Not
/// personal data; it is what the audit trail names (`account:<id>/...`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(String);

/// Text that is not an account id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an account id: an account id is 32 lowercase hex digits (see `skydd user list`)")]
pub struct AccountIdError;

impl AccountId {
    /// The id made of these random bytes.
    pub fn from_random(bytes: [u8; 16]) -> AccountId {
        AccountId(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// An id as written by [`AccountId::as_str`].
    pub fn parse(text: &str) -> Result<AccountId, AccountIdError> {
        let valid = text.len() == 32
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if valid {
            Ok(AccountId(text.to_owned()))
        } else {
            Err(AccountIdError)
        }
    }

    /// The 32 hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AccountId({})", self.0)
    }
}

impl FromStr for AccountId {
    type Err = AccountIdError;

    fn from_str(s: &str) -> Result<AccountId, AccountIdError> {
        AccountId::parse(s)
    }
}

/// A staff member's sign-in address in its one normal form (trimmed, lower-cased, checked for
/// `local@domain.tld`): the same normal form as a subject's e-mail identity.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct StaffEmail(String);

/// An address that is not one; says what is wrong, never what was given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a usable e-mail address: {0}")]
pub struct StaffEmailError(String);

impl StaffEmail {
    /// The kind the e-mail's blind index is computed under, apart from every subject identity
    /// kind.
    pub const BLIND_INDEX_KIND: &'static str = "staff_email";

    /// Parse and normalise `raw`.
    pub fn parse(raw: &str) -> Result<StaffEmail, StaffEmailError> {
        // The date only matters for personnummer; an e-mail address never reads it.
        let context = ParseContext::sweden(jiff::civil::date(2018, 5, 25));
        Identity::parse(IdentityKind::Email, raw, context)
            .map(|identity| StaffEmail(identity.expose().to_owned()))
            .map_err(|error: IdentityError| StaffEmailError(error.problem.to_string()))
    }

    /// The address in normal form: personal data, for encryption, blind indexing and showing
    /// to the staff member or an admin. Never log it or put it in an error.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for StaffEmail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StaffEmail(<redacted>)")
    }
}

impl fmt::Display for StaffEmail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted e-mail address>")
    }
}

/// Whether an account may sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccountState {
    /// It may sign in.
    Active,
    /// It may not; its sessions were ended when it was disabled.
    Disabled,
}

impl AccountState {
    /// The stored word: `active` or `disabled`.
    pub const fn as_str(self) -> &'static str {
        match self {
            AccountState::Active => "active",
            AccountState::Disabled => "disabled",
        }
    }

    /// The state a stored word names.
    pub fn parse(word: &str) -> Option<AccountState> {
        [AccountState::Active, AccountState::Disabled]
            .into_iter()
            .find(|state| state.as_str() == word)
    }
}

impl fmt::Display for AccountState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How far a console session has got: sessions start pending and become `full` after the
/// second factor (or after enrolling one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionStage {
    /// The password was right; a TOTP or recovery code is next.
    SecondFactor,
    /// The password was right and the account has no TOTP yet: enrolment is next.
    Enrolment,
    /// Signed in.
    Full,
}

impl SessionStage {
    /// The stored word: `second_factor`, `enrolment` or `full`.
    pub const fn as_str(self) -> &'static str {
        match self {
            SessionStage::SecondFactor => "second_factor",
            SessionStage::Enrolment => "enrolment",
            SessionStage::Full => "full",
        }
    }

    /// The stage a stored word names.
    pub fn parse(word: &str) -> Option<SessionStage> {
        [
            SessionStage::SecondFactor,
            SessionStage::Enrolment,
            SessionStage::Full,
        ]
        .into_iter()
        .find(|stage| stage.as_str() == word)
    }
}

/// A staff account as the console and `skydd user list` show it. Holds the decrypted e-mail
/// address: `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct AccountView {
    /// The account's id.
    pub id: AccountId,
    /// The sign-in address.
    pub email: StaffEmail,
    /// What the account may do.
    pub role: StaffRole,
    /// Whether it may sign in.
    pub state: AccountState,
    /// Whether a TOTP second factor is enrolled (if not, the next sign-in enrols one).
    pub totp_enrolled: bool,
    /// Recovery codes not used yet.
    pub recovery_codes_left: u32,
    /// When it was created.
    pub created_at: Timestamp,
    /// The last complete sign-in, if any.
    pub last_sign_in_at: Option<Timestamp>,
}

impl fmt::Debug for AccountView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccountView")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("role", &self.role)
            .field("state", &self.state)
            .field("totp_enrolled", &self.totp_enrolled)
            .field("recovery_codes_left", &self.recovery_codes_left)
            .field("created_at", &self.created_at)
            .field("last_sign_in_at", &self.last_sign_in_at)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn account_ids_are_32_hex_digits() {
        let id = AccountId::from_random([0xab; 16]);
        assert_eq!(id.as_str(), "ab".repeat(16));
        assert_eq!(AccountId::parse(id.as_str()), Ok(id.clone()));
        for bad in [
            "",
            "AB".repeat(16).as_str(),
            &"a".repeat(31),
            "dpo@example.se",
        ] {
            let error = AccountId::parse(bad).unwrap_err().to_string();
            assert!(
                !bad.is_empty() && !error.contains(bad) || bad.is_empty(),
                "{error}"
            );
        }
    }

    #[test]
    fn emails_are_normalised_and_never_shown() {
        let email = StaffEmail::parse("  Anna.DPO@Example.SE ").unwrap();
        assert_eq!(email.expose(), "anna.dpo@example.se");
        assert_eq!(format!("{email:?}"), "StaffEmail(<redacted>)");
        assert!(!email.to_string().contains("anna"));
        for bad in ["anna", "anna@", "anna@localhost", "an na@example.se", ""] {
            let error = StaffEmail::parse(bad).unwrap_err().to_string();
            assert!(bad.is_empty() || !error.contains(bad), "{error}");
            assert!(
                error.starts_with("not a usable e-mail address: "),
                "{error}"
            );
        }
    }

    #[test]
    fn words_round_trip() {
        for state in [AccountState::Active, AccountState::Disabled] {
            assert_eq!(AccountState::parse(state.as_str()), Some(state));
        }
        for stage in [
            SessionStage::SecondFactor,
            SessionStage::Enrolment,
            SessionStage::Full,
        ] {
            assert_eq!(SessionStage::parse(stage.as_str()), Some(stage));
        }
        assert_eq!(SessionStage::parse("FULL"), None);
    }

    proptest! {
        #[test]
        fn email_errors_never_quote_the_input(raw in "[a-zA-Z0-9 @.]{3,40}") {
            if let Err(error) = StaffEmail::parse(&raw) {
                let trimmed = raw.trim();
                prop_assume!(trimmed.len() > 3);
                prop_assert!(!error.to_string().contains(trimmed));
            }
        }
    }
}
