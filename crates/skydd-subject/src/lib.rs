//! Data subjects and their identities: ids, tenants, and one normal form per identity.
//!
//! A data subject (a customer, a lead, an applicant, ...) is known to Skydd by a random
//! [`SubjectId`] and found by its [`Identity`]s: e-mail address, phone number, Swedish
//! personnummer or samordningsnummer, customer number, external id. Every identity is parsed
//! into exactly one normal form (lower-cased e-mail, E.164 phone, 12-digit personnummer), so
//! that a lookup by any spelling finds the subject through the same blind index.
//!
//! This crate is pure domain: no I/O, no clock, no randomness. Today's date is a parameter
//! ([`ParseContext`]), and ids are built from bytes the caller drew (the vault, from
//! `skydd_crypto::random_bytes`).
//!
//! Identities are personal data. Their `Debug` and `Display` never show the value, and no error
//! message of this crate quotes the input: errors say what is wrong and how to fix it, and may
//! be shown to API clients and written to logs as they are.
//!
//! ```
//! use jiff::civil::date;
//! use skydd_subject::{Identity, IdentityKind, ParseContext};
//!
//! let context = ParseContext::sweden(date(2025, 6, 1));
//! let phone = Identity::parse(IdentityKind::Phone, "070-123 45 67", context).unwrap();
//! assert_eq!(phone.expose(), "+46701234567");
//! assert_eq!(format!("{phone:?}"), "Phone(<redacted>)");
//!
//! let pnr = Identity::parse(IdentityKind::Personnummer, "121212-1212", context).unwrap();
//! assert_eq!(pnr.expose(), "201212121212");
//!
//! let error = Identity::parse(IdentityKind::Email, "anna.example.se", context).unwrap_err();
//! assert_eq!(error.to_string(), "invalid e-mail address: it has no `@`; write it as name@example.com");
//! ```

mod email;
pub mod id;
pub mod identity;
mod personnummer;
mod phone;
pub mod tenant;

pub use id::{IdError, RecordId, SubjectId};
pub use identity::{
    Identity, IdentityError, IdentityKind, IdentityProblem, ParseContext, ParseIdentityKindError,
};
pub use tenant::{TenantId, TenantIdError};
