//! The privacy team as a pure model (issue 17): who may do what in Skydd, and the rules for
//! staff sign-in. No I/O, no clock: `now` is a parameter.
//!
//! - [`permission`] — every `Permission` a route can require, the staff `Role`s and the API
//!   token `Scope`s, each a list of permissions written once.
//! - [`account`] — staff accounts: ids, the normalised sign-in e-mail, their role and state.
//! - [`policy`] — what a password must be, lock-out with back-off after failed sign-ins, session idle and absolute
//!   timeouts.

pub mod account;
pub mod permission;
pub mod policy;
