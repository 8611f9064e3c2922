//! The `skydd` subcommands, one module each.

pub(crate) mod key;
pub(crate) mod register;
pub(crate) mod requests;
pub(crate) mod serve;
pub(crate) mod token;
