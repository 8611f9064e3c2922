//! The `skydd` subcommands, one module each.

pub(crate) mod audit;
pub(crate) mod key;
pub(crate) mod register;
pub(crate) mod retention;
pub(crate) mod serve;
pub(crate) mod token;
