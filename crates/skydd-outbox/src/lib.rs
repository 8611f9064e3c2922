//! Mail transport for Skydd's outbox: the message, the [`Mailer`] trait the delivery loop
//! sends through, and an SMTP mailer built on lettre.
//!
//! This crate only sends. Queueing (encrypted, in the database), retries and listing the
//! messages that could not be sent live with the outbox queue in the service layer, which uses
//! [`MailError::is_permanent`] to decide between retrying and giving up.
//!
//! Addresses and bodies are personal data: [`OutgoingMessage`]'s `Debug` hides them, and no
//! [`MailError`] message contains them (an SMTP server's reply text, which may quote the
//! address, is never kept; only its three-digit code is).

mod message;
mod smtp;

pub use message::{MailError, Mailer, OutgoingMessage};
pub use smtp::{SmtpMailer, SmtpSettings, Tls};
