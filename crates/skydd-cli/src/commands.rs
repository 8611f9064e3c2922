//! The `skydd` subcommands, one module each.

pub(crate) mod incidents;
pub(crate) mod key;
pub(crate) mod notice;
pub(crate) mod register;
pub(crate) mod serve;
pub(crate) mod token;
