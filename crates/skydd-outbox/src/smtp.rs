//! Sending through an SMTP server with lettre (tokio, rustls with the Mozilla root
//! certificates).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls as LettreTls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::message::{MailError, Mailer, OutgoingMessage};

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    /// Plain text. Only for a relay on the same host or a test server.
    None,
    /// STARTTLS, required: a server that does not offer it is an error, never a silent
    /// downgrade (usually port 587).
    StartTls,
    /// TLS from the first byte (usually port 465).
    Implicit,
}

/// Where and how to send mail.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    /// Server host name (also the name its TLS certificate must carry).
    pub host: String,
    /// Server port; it goes with `tls` (usually 587 for STARTTLS, 465 for implicit TLS).
    pub port: u16,
    /// How the connection is protected: plain, STARTTLS (required), or TLS from the first byte.
    pub tls: Tls,
    /// User name, when the server requires authentication.
    pub username: Option<String>,
    /// Password for `username`.
    pub password: Option<String>,
    /// The sender: `Name <address>` or `address`.
    pub from: String,
}

impl fmt::Debug for SmtpSettings {
    /// The password is never shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("from", &self.from)
            .finish()
    }
}

/// How long one exchange with the server may take.
const TIMEOUT: Duration = Duration::from_secs(30);

/// A [`Mailer`] that sends through an SMTP server. Opens one connection per message.
#[derive(Clone)]
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpMailer").finish_non_exhaustive()
    }
}

impl SmtpMailer {
    /// A mailer for `settings`. Checks the sender address and the TLS parameters; does not
    /// connect.
    pub fn new(settings: SmtpSettings) -> Result<SmtpMailer, MailError> {
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|_| MailError::InvalidSender)?;
        let tls = match settings.tls {
            Tls::None => LettreTls::None,
            Tls::StartTls => LettreTls::Required(tls_parameters(&settings.host)?),
            Tls::Implicit => LettreTls::Wrapper(tls_parameters(&settings.host)?),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
            .port(settings.port)
            .tls(tls)
            .timeout(Some(TIMEOUT));
        match (settings.username, settings.password) {
            (Some(username), Some(password)) => {
                builder = builder.credentials(Credentials::new(username, password));
            }
            (None, None) => {}
            _ => {
                return Err(MailError::Settings(
                    "a user name needs a password and a password needs a user name",
                ));
            }
        }
        Ok(SmtpMailer {
            transport: builder.build(),
            from,
        })
    }

    async fn send_one(&self, message: &OutgoingMessage) -> Result<(), MailError> {
        let to: Mailbox = message
            .to
            .parse()
            .map_err(|_| MailError::InvalidRecipient)?;
        let email = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(message.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(message.text.clone())
            .map_err(|_| MailError::Message("an address or header is invalid"))?;
        self.transport
            .send(email)
            .await
            .map(|_| ())
            .map_err(|error| classify(&error))
    }
}

impl Mailer for SmtpMailer {
    fn send(
        &self,
        message: &OutgoingMessage,
    ) -> Pin<Box<dyn Future<Output = Result<(), MailError>> + Send + '_>> {
        let message = message.clone();
        Box::pin(async move { self.send_one(&message).await })
    }
}

fn tls_parameters(host: &str) -> Result<TlsParameters, MailError> {
    TlsParameters::new(host.to_owned())
        .map_err(|_| MailError::Settings("TLS cannot be set up for this host name"))
}

/// A lettre error as a [`MailError`], keeping only the reply code: the reply text may quote
/// the recipient's address.
fn classify(error: &lettre::transport::smtp::Error) -> MailError {
    let code = error
        .status()
        .and_then(|code| code.to_string().parse::<u16>().ok())
        .unwrap_or(0);
    if error.is_permanent() {
        MailError::Rejected { code }
    } else if error.is_transient() {
        MailError::Deferred { code }
    } else if error.is_timeout() {
        MailError::Timeout
    } else if error.is_tls() {
        MailError::Connection(
            "TLS failed: the server may not offer it, or its certificate is not valid for the host",
        )
    } else if error.is_response() {
        MailError::Connection("the server's answer was not valid SMTP")
    } else if error.is_client() {
        MailError::Connection("the server does not support what the settings require")
    } else {
        MailError::Connection("the connection failed")
    }
}
