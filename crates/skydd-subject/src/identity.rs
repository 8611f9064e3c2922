//! Identities of a data subject, each parsed into one normal form, and what can be wrong with
//! them.
//!
//! | kind | accepted | normal form |
//! |---|---|---|
//! | `email` | one `@`, a domain with a dot, no spaces, at most 254 bytes | trimmed, lower-cased |
//! | `phone` | `+46 70-123 45 67`, `0046701234567`, `070-123 45 67` (national numbers in the default country) | E.164: `+` and 8 to 15 digits |
//! | `personnummer` | `YYMMDD-NNNC`, `YYMMDD+NNNC`, `YYMMDDNNNC`, `YYYYMMDD-NNNC`, `YYYYMMDDNNNC`; samordningsnummer (day + 60) too | 12 digits `YYYYMMDDNNNC` |
//! | `customer_number`, `external_id` | any text up to 128 characters without control characters | trimmed |
//!
//! Normalising is idempotent: parsing a normal form gives it back unchanged.

use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;

use crate::{email, personnummer, phone};

/// The longest customer number or external id, in characters.
const MAX_REFERENCE_CHARS: usize = 128;

/// What kind of identity a value is. The names returned by [`as_str`](Self::as_str) are
/// stable: they are used in the API, in the database and in blind indexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IdentityKind {
    /// An e-mail address (`email`), trimmed and lower-cased: `anna@example.se`.
    Email,
    /// A phone number (`phone`) in E.164 form, e.g. `+46701234567`.
    Phone,
    /// A Swedish personnummer or samordningsnummer (coordination number).
    Personnummer,
    /// The company's own customer number.
    CustomerNumber,
    /// An id of the subject in another system.
    ExternalId,
}

impl IdentityKind {
    /// Every kind, in the order they are listed to users.
    pub const ALL: [IdentityKind; 5] = [
        IdentityKind::Email,
        IdentityKind::Phone,
        IdentityKind::Personnummer,
        IdentityKind::CustomerNumber,
        IdentityKind::ExternalId,
    ];

    /// The stable name: `email`, `phone`, `personnummer`, `customer_number`, `external_id`.
    pub const fn as_str(self) -> &'static str {
        match self {
            IdentityKind::Email => "email",
            IdentityKind::Phone => "phone",
            IdentityKind::Personnummer => "personnummer",
            IdentityKind::CustomerNumber => "customer_number",
            IdentityKind::ExternalId => "external_id",
        }
    }

    /// The kind in words, for messages: "e-mail address", "phone number", ...
    pub const fn label(self) -> &'static str {
        match self {
            IdentityKind::Email => "e-mail address",
            IdentityKind::Phone => "phone number",
            IdentityKind::Personnummer => "personnummer",
            IdentityKind::CustomerNumber => "customer number",
            IdentityKind::ExternalId => "external id",
        }
    }

    /// The name used in the redacted `Debug` and `Display` of an [`Identity`].
    const fn type_name(self) -> &'static str {
        match self {
            IdentityKind::Email => "Email",
            IdentityKind::Phone => "Phone",
            IdentityKind::Personnummer => "Personnummer",
            IdentityKind::CustomerNumber => "CustomerNumber",
            IdentityKind::ExternalId => "ExternalId",
        }
    }
}

/// The identity kinds as a register-style vocabulary, so files checked like the register (a
/// dataset's `identity:`) read them with the same did-you-mean.
impl skydd_register::model::Choice for IdentityKind {
    const WHAT: &'static str = "kind of identity";
    const ALL: &'static [(&'static str, IdentityKind)] = &[
        (IdentityKind::Email.as_str(), IdentityKind::Email),
        (IdentityKind::Phone.as_str(), IdentityKind::Phone),
        (
            IdentityKind::Personnummer.as_str(),
            IdentityKind::Personnummer,
        ),
        (
            IdentityKind::CustomerNumber.as_str(),
            IdentityKind::CustomerNumber,
        ),
        (IdentityKind::ExternalId.as_str(), IdentityKind::ExternalId),
    ];
}

impl fmt::Display for IdentityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that is not the name of an [`IdentityKind`].
///
/// The given string is repeated in the message only when it looks like a name (at most 32
/// ASCII letters, digits, `_` or `-`), so a value sent where a kind was expected is not echoed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown identity kind{}; valid kinds are: {}", quoted(.shown), valid_kinds())]
pub struct ParseIdentityKindError {
    /// The given string if it looks like a name, else nothing.
    shown: Option<String>,
}

fn quoted(shown: &Option<String>) -> String {
    shown
        .as_ref()
        .map(|name| format!(" {name:?}"))
        .unwrap_or_default()
}

fn valid_kinds() -> String {
    IdentityKind::ALL.map(IdentityKind::as_str).join(", ")
}

impl FromStr for IdentityKind {
    type Err = ParseIdentityKindError;

    fn from_str(s: &str) -> Result<IdentityKind, ParseIdentityKindError> {
        IdentityKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or_else(|| {
                let looks_like_a_name = s.len() <= 32
                    && s.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                ParseIdentityKindError {
                    shown: looks_like_a_name.then(|| s.to_owned()),
                }
            })
    }
}

/// What parsing an identity needs to know about the world.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseContext<'a> {
    /// Today's date (in the controller's time zone): decides the century of a 10-digit
    /// personnummer and refuses birth dates in the future.
    pub today: Date,
    /// The ISO 3166-1 country of phone numbers written without a country code (`070-...`),
    /// such as `SE`.
    pub default_country: &'a str,
}

impl ParseContext<'static> {
    /// The context of a Swedish controller: national phone numbers are Swedish.
    pub const fn sweden(today: Date) -> ParseContext<'static> {
        ParseContext {
            today,
            default_country: "SE",
        }
    }
}

/// One identity of a data subject: its kind and its value in normal form.
///
/// The value is personal data: `Debug` and `Display` show only the kind
/// (`Email(<redacted>)`). [`expose`](Self::expose) gives the value to the code that encrypts
/// and indexes it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Identity {
    kind: IdentityKind,
    value: String,
}

impl Identity {
    /// Parse and normalise `raw` as an identity of `kind`.
    ///
    /// Errors say what is wrong and how to fix it, never what was given.
    pub fn parse(
        kind: IdentityKind,
        raw: &str,
        context: ParseContext<'_>,
    ) -> Result<Identity, IdentityError> {
        let error = |problem| IdentityError { kind, problem };
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(error(IdentityProblem::Empty));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(error(IdentityProblem::ControlCharacter));
        }
        let value = match kind {
            IdentityKind::Email => email::normalise(trimmed),
            IdentityKind::Phone => phone::normalise(trimmed, context.default_country),
            IdentityKind::Personnummer => personnummer::normalise(trimmed, context.today),
            IdentityKind::CustomerNumber | IdentityKind::ExternalId => {
                if trimmed.chars().count() > MAX_REFERENCE_CHARS {
                    Err(IdentityProblem::TooLong {
                        max: MAX_REFERENCE_CHARS,
                        unit: "characters",
                    })
                } else {
                    Ok(trimmed.to_owned())
                }
            }
        }
        .map_err(error)?;
        Ok(Identity { kind, value })
    }

    /// The kind the value was parsed and normalised as.
    pub fn kind(&self) -> IdentityKind {
        self.kind
    }

    /// The value in normal form: personal data, for encryption and blind indexing only.
    /// Never log it or put it in an error.
    pub fn expose(&self) -> &str {
        &self.value
    }

    /// The value masked for display to the person it belongs to, so a page on a shared
    /// screen shows which identity was used without showing it whole: an e-mail address keeps
    /// its first character and its domain (`b…@example.com`), a phone number its first three
    /// characters and last two (`+46…67`), anything else its last two characters (`…34`).
    /// Still personal data in part: never log it.
    pub fn masked(&self) -> String {
        let chars: Vec<char> = self.value.chars().collect();
        match self.kind {
            IdentityKind::Email => match self.value.split_once('@') {
                Some((local, domain)) => {
                    let first: String = local.chars().take(1).collect();
                    format!("{first}…@{domain}")
                }
                None => "…".to_owned(),
            },
            IdentityKind::Phone if chars.len() > 5 => {
                let head: String = chars[..3].iter().collect();
                let tail: String = chars[chars.len() - 2..].iter().collect();
                format!("{head}…{tail}")
            }
            _ if chars.len() > 2 => {
                let tail: String = chars[chars.len() - 2..].iter().collect();
                format!("…{tail}")
            }
            _ => "…".to_owned(),
        }
    }

    /// Whether this is a samordningsnummer (a personnummer whose day is 61 to 91) rather than
    /// a personnummer; false for other kinds.
    pub fn is_samordningsnummer(&self) -> bool {
        self.kind == IdentityKind::Personnummer && personnummer::is_samordningsnummer(&self.value)
    }
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}(<redacted>)", self.kind.type_name())
    }
}

impl fmt::Display for Identity {
    /// The same as `Debug`: the kind only, never the value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// A value that is not a valid identity of its kind. The message never contains the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {}: {problem}", kind.label())]
pub struct IdentityError {
    /// The kind the value was parsed as.
    pub kind: IdentityKind,
    /// What is wrong with it.
    pub problem: IdentityProblem,
}

/// What is wrong with an identity value, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityProblem {
    /// Nothing but white space.
    #[error("it is empty; give a value")]
    Empty,
    /// Longer than the kind allows.
    #[error("it is longer than {max} {unit}")]
    TooLong {
        /// The largest length allowed, in `unit`s.
        max: usize,
        /// What the limit counts: "bytes" or "characters".
        unit: &'static str,
    },
    /// A control character (line break, tab, NUL, ...) inside the value.
    #[error("it contains a control character (such as a line break or a tab); remove it")]
    ControlCharacter,

    /// White space inside an e-mail address.
    #[error("it contains a space; an e-mail address has none")]
    EmailSpace,
    /// No `@` at all (`anna.example.se`).
    #[error("it has no `@`; write it as name@example.com")]
    EmailNoAt,
    /// More than one `@` (`anna@@example.se`); an address has exactly one.
    #[error("it has more than one `@`; an e-mail address has exactly one")]
    EmailManyAt,
    /// An empty local part (`@example.se`).
    #[error("nothing comes before the `@`; write it as name@example.com")]
    EmailNoLocalPart,
    /// An empty domain (`anna@`).
    #[error("nothing comes after the `@`; write it as name@example.com")]
    EmailNoDomain,
    /// A domain without a dot (`name@localhost`).
    #[error("the domain after the `@` has no dot; write it as name@example.com")]
    EmailDomainNoDot,
    /// A domain with an empty label (`a@example..com`, `a@.example.com`).
    #[error(
        "the domain after the `@` has two dots in a row, or a dot at its start or end; remove the extra dot"
    )]
    EmailDomainEmptyLabel,

    /// A character that is not part of a phone number.
    #[error(
        "a phone number has only digits, spaces, `-`, `.`, `/`, `(`, `)` and a leading `+`; remove the other characters"
    )]
    PhoneCharacter,
    /// A `+` that is not the first character.
    #[error("`+` may only come first, before the country code")]
    PhonePlusNotFirst,
    /// Too few or too many digits for an international number.
    #[error(
        "it has {digits} digits with the country code, but an international number has 8 to 15; check for missing or extra digits"
    )]
    PhoneDigitCount {
        /// The number of digits, country code included.
        digits: usize,
    },
    /// A country code that starts with 0, or a 0 after the country code that does not belong
    /// there.
    #[error(
        "the country code, or the number after it, starts with 0; write it as +46 70 123 45 67 or 0046 70 123 45 67"
    )]
    PhoneLeadingZero,
    /// A national number of a country whose numbers start with 0, without that 0.
    #[error(
        "a national number starts with 0 (as in 070-123 45 67); add the 0, or write the number with its country code (+46 70 123 45 67)"
    )]
    PhoneNoTrunkPrefix,
    /// A national number, but the default country is not one whose numbers Skydd knows.
    #[error(
        "national phone numbers are understood only for {}; write the number with its country code, such as +46 70 123 45 67",
        phone::known_countries()
    )]
    PhoneUnknownCountry,

    /// Not 10 or 12 digits with the separators allowed.
    #[error(
        "write it as 10 digits (YYMMDD-NNNC, with + from the year the person turns 100) or 12 digits (YYYYMMDD-NNNC)"
    )]
    PersonnummerShape,
    /// The date of birth (day minus 60 for a samordningsnummer) is not a date.
    #[error(
        "its date of birth is not a date in the calendar (a samordningsnummer adds 60 to the day); check for a typo, or write all 12 digits"
    )]
    PersonnummerDate,
    /// The date of birth is after today.
    #[error(
        "its date of birth is in the future; check for a typo, or use + instead of - for someone 100 years or older"
    )]
    PersonnummerFuture,
    /// The date of birth is more than 150 years before today.
    #[error("its date of birth is more than 150 years ago; check the century")]
    PersonnummerTooOld,
    /// The check digit does not match.
    #[error("its check digit (the last digit) does not match the others; check for a typo")]
    PersonnummerChecksum,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vocabulary_lists_every_kind_by_its_name() {
        use skydd_register::model::Choice as _;
        assert_eq!(
            <IdentityKind as skydd_register::model::Choice>::ALL.len(),
            IdentityKind::ALL.len()
        );
        for kind in IdentityKind::ALL {
            assert_eq!(kind.word(), kind.as_str());
        }
    }
    use jiff::civil::date;

    fn context() -> ParseContext<'static> {
        ParseContext::sweden(date(2025, 6, 1))
    }

    #[test]
    fn kinds_have_stable_names_and_parse_from_them() {
        assert_eq!(
            IdentityKind::ALL.map(IdentityKind::as_str),
            [
                "email",
                "phone",
                "personnummer",
                "customer_number",
                "external_id"
            ]
        );
        for kind in IdentityKind::ALL {
            assert_eq!(kind.as_str().parse::<IdentityKind>(), Ok(kind));
            assert_eq!(kind.to_string(), kind.as_str());
        }
    }

    #[test]
    fn unknown_kinds_list_the_valid_ones_and_echo_only_names() {
        assert_eq!(
            "emial".parse::<IdentityKind>().unwrap_err().to_string(),
            r#"unknown identity kind "emial"; valid kinds are: email, phone, personnummer, customer_number, external_id"#
        );
        let error = "anna@example.se".parse::<IdentityKind>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "unknown identity kind; valid kinds are: email, phone, personnummer, customer_number, external_id"
        );
        assert!(!format!("{error:?}").contains("anna"));
        assert!(
            "Email".parse::<IdentityKind>().is_err(),
            "names are case-sensitive"
        );
    }

    #[test]
    fn references_are_trimmed_and_limited() {
        let id = Identity::parse(IdentityKind::CustomerNumber, "  K-4711 ", context()).unwrap();
        assert_eq!(id.expose(), "K-4711");
        assert_eq!(id.kind(), IdentityKind::CustomerNumber);
        assert!(!id.is_samordningsnummer());
        let long = "å".repeat(128);
        assert_eq!(
            Identity::parse(IdentityKind::ExternalId, &long, context())
                .unwrap()
                .expose(),
            long,
            "the limit counts characters, not bytes"
        );
        let error = Identity::parse(IdentityKind::ExternalId, &"x".repeat(129), context());
        assert_eq!(
            error.unwrap_err().to_string(),
            "invalid external id: it is longer than 128 characters"
        );
        for raw in ["", "   ", "\t\n"] {
            let error = Identity::parse(IdentityKind::CustomerNumber, raw, context()).unwrap_err();
            assert_eq!(error.problem, IdentityProblem::Empty);
        }
        let error = Identity::parse(IdentityKind::ExternalId, "a\u{0}b", context()).unwrap_err();
        assert_eq!(error.problem, IdentityProblem::ControlCharacter);
        let error = Identity::parse(IdentityKind::ExternalId, "a\nb", context()).unwrap_err();
        assert_eq!(error.problem, IdentityProblem::ControlCharacter);
    }

    #[test]
    fn debug_and_display_redact_the_value() {
        let cases = [
            (IdentityKind::Email, "anna@example.se", "Email(<redacted>)"),
            (IdentityKind::Phone, "+46701234567", "Phone(<redacted>)"),
            (
                IdentityKind::Personnummer,
                "191212121212",
                "Personnummer(<redacted>)",
            ),
            (
                IdentityKind::CustomerNumber,
                "K-4711",
                "CustomerNumber(<redacted>)",
            ),
            (IdentityKind::ExternalId, "crm:99", "ExternalId(<redacted>)"),
        ];
        for (kind, raw, shown) in cases {
            let identity = Identity::parse(kind, raw, context()).unwrap();
            assert_eq!(format!("{identity:?}"), shown);
            assert_eq!(identity.to_string(), shown);
            assert_eq!(
                format!("{:#?}", Some(&identity)),
                format!("Some(\n    {shown},\n)")
            );
        }
    }
}
