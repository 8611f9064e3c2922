//! The message to send, the trait that sends it, and the errors of sending.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

/// One plain-text e-mail to one recipient.
#[derive(Clone, PartialEq, Eq)]
pub struct OutgoingMessage {
    /// The recipient's address (`name@example.com`).
    pub to: String,
    /// The subject line, as plain text.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
}

impl fmt::Debug for OutgoingMessage {
    /// The address and the body are personal data (the body may hold a one-time code).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutgoingMessage")
            .field("to", &"<redacted>")
            .field("subject", &self.subject)
            .field("text", &format_args!("<{} bytes>", self.text.len()))
            .finish()
    }
}

/// Sends messages. Implemented by [`crate::SmtpMailer`]; tests and other transports may
/// implement it too.
pub trait Mailer: Send + Sync {
    /// Send `message`; `Ok` when the server accepted it for delivery.
    fn send(
        &self,
        message: &OutgoingMessage,
    ) -> Pin<Box<dyn Future<Output = Result<(), MailError>> + Send + '_>>;
}

/// Why a message was not sent. Never contains the address, the body or the server's reply
/// text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    /// The recipient address does not parse. Permanent.
    #[error("the recipient is not a valid e-mail address; correct it before sending again")]
    InvalidRecipient,
    /// The sender address in the settings does not parse.
    #[error(
        "the sender address (`from` in the SMTP settings) is not a valid e-mail address; write it as `Name <name@example.com>` or `name@example.com`"
    )]
    InvalidSender,
    /// The settings cannot work (TLS parameters for the host).
    #[error("the SMTP settings are not usable: {0}")]
    Settings(&'static str),
    /// The message could not be built (an invalid header). Permanent.
    #[error("the message could not be built: {0}")]
    Message(&'static str),
    /// The server refused the message for good (a 5xx reply). Permanent.
    #[error("the SMTP server refused the message with code {code}; it will not be retried")]
    Rejected {
        /// The SMTP reply code.
        code: u16,
    },
    /// The server refused for now (a 4xx reply). Retry later.
    #[error("the SMTP server deferred the message with code {code}; it will be retried")]
    Deferred {
        /// The SMTP reply code.
        code: u16,
    },
    /// No answer in time. Retry later.
    #[error("the SMTP server did not answer in time; the message will be retried")]
    Timeout,
    /// The connection or TLS failed, or the server spoke no valid SMTP. Retry later.
    #[error("could not talk to the SMTP server ({0}); the message will be retried")]
    Connection(&'static str),
}

impl MailError {
    /// Whether sending again cannot help (the delivery loop stops retrying and flags the
    /// message for an administrator).
    pub fn is_permanent(&self) -> bool {
        matches!(
            self,
            MailError::InvalidRecipient
                | MailError::InvalidSender
                | MailError::Settings(_)
                | MailError::Message(_)
                | MailError::Rejected { .. }
        )
    }
}
