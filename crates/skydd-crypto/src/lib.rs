//! Keys and secrets of Skydd: the master key file, API tokens and the roles they carry.
//!
//! Only this crate handles key material. Secrets are zeroed on drop and never appear in `Debug`
//! or in error messages.

pub mod master_key;
mod random;
pub mod token;

pub use master_key::{MasterKey, MasterKeyError};
pub use random::RandomError;
pub use token::{ApiToken, ParseRoleError, Role, TokenHash, TokenId};
