//! Integration tests of `skydd-outbox`: the SMTP mailer against a small fake SMTP server
//! written here (a tokio listener that speaks just enough SMTP), checking what arrived, how
//! refusals are classified, and that no error or `Debug` output shows an address or a body.

// Tests may unwrap: a failing unwrap is a failing test with a good message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use skydd_outbox::{MailError, Mailer, OutgoingMessage, SmtpMailer, SmtpSettings, Tls};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// How the fake server answers `RCPT TO`.
#[derive(Clone, Copy)]
enum Recipient {
    Accept,
    /// 550 with the address quoted in the reply text, as real servers do.
    Unknown,
    /// 451: try again later.
    Busy,
}

/// What the fake server saw: every line the client sent, in order, and the message data.
#[derive(Debug, Default)]
struct Transcript {
    commands: Vec<String>,
    data: Option<String>,
}

/// Start a fake SMTP server that serves one connection; returns its port and the transcript
/// when the client is done.
async fn fake_smtp(recipient: Recipient) -> (u16, JoinHandle<Transcript>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read).lines();
        let mut transcript = Transcript::default();
        write
            .write_all(b"220 fake.test ESMTP ready\r\n")
            .await
            .unwrap();
        while let Ok(Some(line)) = lines.next_line().await {
            transcript.commands.push(line.clone());
            let upper = line.to_ascii_uppercase();
            let reply: String = if upper.starts_with("EHLO") {
                "250-fake.test\r\n250-AUTH PLAIN LOGIN\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n".into()
            } else if upper.starts_with("AUTH PLAIN") {
                "235 2.7.0 Authentication successful\r\n".into()
            } else if upper.starts_with("MAIL FROM") {
                "250 2.1.0 Ok\r\n".into()
            } else if upper.starts_with("RCPT TO") {
                let address = line
                    .split_once('<')
                    .and_then(|(_, rest)| rest.split_once('>'))
                    .map_or("", |(address, _)| address);
                match recipient {
                    Recipient::Accept => "250 2.1.5 Ok\r\n".into(),
                    Recipient::Unknown => {
                        format!(
                            "550 5.1.1 <{address}>: Recipient address rejected: User unknown\r\n"
                        )
                    }
                    Recipient::Busy => {
                        format!("451 4.3.0 <{address}>: Temporary lookup failure\r\n")
                    }
                }
            } else if upper == "DATA" {
                write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await
                    .unwrap();
                let mut data = String::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    if line == "." {
                        break;
                    }
                    data.push_str(&line);
                    data.push('\n');
                }
                transcript.data = Some(data);
                "250 2.0.0 Ok: queued as 4XYZ\r\n".into()
            } else if upper == "QUIT" {
                write.write_all(b"221 2.0.0 Bye\r\n").await.unwrap();
                break;
            } else if upper == "RSET" || upper == "NOOP" {
                "250 2.0.0 Ok\r\n".into()
            } else {
                "502 5.5.2 Error: command not recognized\r\n".into()
            };
            if write.write_all(reply.as_bytes()).await.is_err() {
                break;
            }
        }
        transcript
    });
    (port, handle)
}

fn settings(port: u16) -> SmtpSettings {
    SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        tls: Tls::None,
        username: None,
        password: None,
        from: "GleSYS AB <privacy@glesys.example>".into(),
    }
}

fn message(text: &str) -> OutgoingMessage {
    OutgoingMessage {
        to: "anna.andersson@example.se".into(),
        subject: "We have received your request (R-7Q4K-2M9X)".into(),
        text: text.into(),
    }
}

/// The body of a message as sent: after the blank line, decoded from quoted-printable or
/// base64 when the headers say so.
fn body(data: &str) -> (String, String) {
    let (headers, raw) = data.split_once("\n\n").unwrap();
    let headers = headers.to_string();
    let lower = headers.to_ascii_lowercase();
    let text = if lower.contains("content-transfer-encoding: base64") {
        let joined: String = raw.lines().collect();
        String::from_utf8(data_encoding::BASE64.decode(joined.as_bytes()).unwrap()).unwrap()
    } else if lower.contains("content-transfer-encoding: quoted-printable") {
        decode_quoted_printable(raw)
    } else {
        raw.to_string()
    };
    (headers, text.replace("\r\n", "\n"))
}

/// Decode the `=?utf-8?b?...?=` words of a header (RFC 2047, base64 form).
fn decode_encoded_words(header: &str) -> String {
    let mut out = String::new();
    let mut rest = header;
    while let Some(start) = rest.find("=?utf-8?b?") {
        out.push_str(&rest[..start]);
        let after = &rest[start + "=?utf-8?b?".len()..];
        let end = after.find("?=").unwrap();
        let bytes = data_encoding::BASE64
            .decode(&after.as_bytes()[..end])
            .unwrap();
        out.push_str(&String::from_utf8(bytes).unwrap());
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

fn decode_quoted_printable(raw: &str) -> String {
    let mut bytes = Vec::new();
    for line in raw.lines() {
        let (line, soft) = match line.strip_suffix('=') {
            Some(rest) => (rest, true),
            None => (line, false),
        };
        let mut chars = line.bytes();
        while let Some(b) = chars.next() {
            if b == b'=' {
                let hex = [chars.next().unwrap(), chars.next().unwrap()];
                let hex = std::str::from_utf8(&hex).unwrap();
                bytes.push(u8::from_str_radix(hex, 16).unwrap());
            } else {
                bytes.push(b);
            }
        }
        if !soft {
            bytes.push(b'\n');
        }
    }
    String::from_utf8(bytes).unwrap()
}

#[tokio::test]
async fn a_message_arrives_at_the_smtp_server() {
    let (port, server) = fake_smtp(Recipient::Accept).await;
    let mailer = SmtpMailer::new(settings(port)).unwrap();
    let text = "Hello,\n\nWe received your request on 14 April 2026.\n";
    mailer.send(&message(text)).await.unwrap();
    let transcript = server.await.unwrap();

    let commands = transcript.commands.join("\n");
    assert!(
        commands.contains("MAIL FROM:<privacy@glesys.example>"),
        "{commands}"
    );
    assert!(
        commands.contains("RCPT TO:<anna.andersson@example.se>"),
        "{commands}"
    );
    assert!(
        !commands.contains("AUTH"),
        "no credentials, no AUTH: {commands}"
    );
    let data = transcript.data.expect("the message was sent");
    let (headers, sent) = body(&data);
    assert!(
        headers.contains("From: \"GleSYS AB\" <privacy@glesys.example>")
            || headers.contains("From: GleSYS AB <privacy@glesys.example>"),
        "{headers}"
    );
    assert!(
        headers.contains("To: anna.andersson@example.se"),
        "{headers}"
    );
    assert!(
        headers.contains("Subject: We have received your request (R-7Q4K-2M9X)"),
        "{headers}"
    );
    assert!(
        headers
            .to_ascii_lowercase()
            .contains("content-type: text/plain; charset=utf-8"),
        "{headers}"
    );
    assert_eq!(sent.trim_end(), text.trim_end());
}

#[tokio::test]
async fn swedish_text_arrives_intact() {
    let (port, server) = fake_smtp(Recipient::Accept).await;
    let mailer = SmtpMailer::new(settings(port)).unwrap();
    let text = "Hej,\n\nVi tog emot din begäran om radering av dina personuppgifter den 14 april 2026.\nSkälen: räkenskapsinformation sparas enligt bokföringslagen.\n";
    let mut swedish = message(text);
    swedish.subject = "Vi har tagit emot din begäran (R-7Q4K-2M9X)".into();
    mailer.send(&swedish).await.unwrap();
    let data = server.await.unwrap().data.unwrap();
    let (headers, sent) = body(&data);
    // Non-ASCII words of the subject are encoded (RFC 2047); both decode to the same text.
    let subject = headers
        .lines()
        .find_map(|l| l.strip_prefix("Subject: "))
        .unwrap();
    assert!(subject.contains("=?utf-8?b?"), "{headers}");
    assert_eq!(decode_encoded_words(subject), swedish.subject);
    assert_eq!(sent.trim_end(), text.trim_end());
}

#[tokio::test]
async fn credentials_are_sent_with_auth_plain() {
    let (port, server) = fake_smtp(Recipient::Accept).await;
    let mut with_login = settings(port);
    with_login.username = Some("skydd".into());
    with_login.password = Some("s3cret-pass".into());
    let mailer = SmtpMailer::new(with_login).unwrap();
    mailer.send(&message("Hello.\n")).await.unwrap();
    let transcript = server.await.unwrap();
    let auth = transcript
        .commands
        .iter()
        .find(|c| c.starts_with("AUTH PLAIN"))
        .expect("the client authenticated");
    let encoded = auth.trim_start_matches("AUTH PLAIN").trim();
    let decoded = data_encoding::BASE64.decode(encoded.as_bytes()).unwrap();
    assert_eq!(decoded, b"\0skydd\0s3cret-pass");
    assert!(transcript.data.is_some());
}

#[tokio::test]
async fn a_permanent_refusal_is_permanent_and_does_not_quote_the_address() {
    let (port, server) = fake_smtp(Recipient::Unknown).await;
    let mailer = SmtpMailer::new(settings(port)).unwrap();
    let error = mailer.send(&message("Hello.\n")).await.unwrap_err();
    assert_eq!(error, MailError::Rejected { code: 550 });
    assert!(error.is_permanent());
    for shown in [error.to_string(), format!("{error:?}")] {
        assert!(!shown.contains("anna"), "{shown}");
        assert!(!shown.contains("example.se"), "{shown}");
    }
    assert_eq!(
        error.to_string(),
        "the SMTP server refused the message with code 550; it will not be retried"
    );
    drop(mailer);
    assert!(server.await.unwrap().data.is_none());
}

#[tokio::test]
async fn a_temporary_refusal_is_retried() {
    let (port, server) = fake_smtp(Recipient::Busy).await;
    let mailer = SmtpMailer::new(settings(port)).unwrap();
    let error = mailer.send(&message("Hello.\n")).await.unwrap_err();
    assert_eq!(error, MailError::Deferred { code: 451 });
    assert!(!error.is_permanent());
    assert!(!error.to_string().contains("anna"));
    drop(mailer);
    assert!(server.await.unwrap().data.is_none());
}

#[tokio::test]
async fn starttls_is_required_not_skipped() {
    // The fake server does not offer STARTTLS: the mailer must not fall back to plain text.
    let (port, server) = fake_smtp(Recipient::Accept).await;
    let mut starttls = settings(port);
    starttls.tls = Tls::StartTls;
    starttls.host = "localhost".into();
    let mailer = SmtpMailer::new(starttls).unwrap();
    let error = mailer.send(&message("Hello.\n")).await.unwrap_err();
    assert!(matches!(error, MailError::Connection(_)), "{error:?}");
    assert!(!error.is_permanent());
    drop(mailer);
    let transcript = server.await.unwrap();
    assert!(transcript.data.is_none(), "nothing may be sent without TLS");
    assert!(
        !transcript
            .commands
            .iter()
            .any(|c| c.starts_with("MAIL FROM"))
    );
}

#[tokio::test]
async fn implicit_tls_against_a_plain_server_fails_without_sending() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        // A plain-text greeting where a TLS handshake is expected.
        let _ = stream.write_all(b"220 fake.test ESMTP ready\r\n").await;
        let mut buffer = Vec::new();
        let _ = tokio::io::AsyncReadExt::read_to_end(&mut stream, &mut buffer).await;
        buffer
    });
    let mut implicit = settings(port);
    implicit.tls = Tls::Implicit;
    implicit.host = "localhost".into();
    let mailer = SmtpMailer::new(implicit).unwrap();
    let error = mailer.send(&message("Hello.\n")).await.unwrap_err();
    assert!(matches!(error, MailError::Connection(_)), "{error:?}");
    drop(mailer);
    let received = server.await.unwrap();
    let seen = String::from_utf8_lossy(&received);
    assert!(
        !seen.contains("MAIL FROM") && !seen.contains("anna"),
        "{seen}"
    );
}

#[tokio::test]
async fn an_unreachable_server_is_a_transient_error() {
    // Bind and drop a listener to find a port nobody listens on.
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.local_addr().unwrap().port()
    };
    let mailer = SmtpMailer::new(settings(port)).unwrap();
    let error = mailer.send(&message("Hello.\n")).await.unwrap_err();
    assert!(matches!(error, MailError::Connection(_)), "{error:?}");
    assert!(!error.is_permanent());
}

#[tokio::test]
async fn an_invalid_recipient_is_refused_before_connecting() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.local_addr().unwrap().port()
    };
    let mailer = SmtpMailer::new(settings(port)).unwrap();
    let mut bad = message("Hello.\n");
    bad.to = "anna.andersson.example.se".into();
    let error = mailer.send(&bad).await.unwrap_err();
    assert_eq!(error, MailError::InvalidRecipient);
    assert!(error.is_permanent());
    assert!(!error.to_string().contains("anna"));
}

#[test]
fn settings_are_checked_when_the_mailer_is_made() {
    let mut bad_from = settings(25);
    bad_from.from = "not an address".into();
    let error = SmtpMailer::new(bad_from).unwrap_err();
    assert_eq!(error, MailError::InvalidSender);
    assert!(error.to_string().contains("`from` in the SMTP settings"));

    let mut half_login = settings(25);
    half_login.username = Some("skydd".into());
    assert!(matches!(
        SmtpMailer::new(half_login),
        Err(MailError::Settings(_))
    ));

    for tls in [Tls::None, Tls::StartTls, Tls::Implicit] {
        let mut s = settings(587);
        s.host = "smtp.example.com".into();
        s.tls = tls;
        assert!(SmtpMailer::new(s).is_ok(), "{tls:?}");
    }
}

#[test]
fn debug_output_hides_addresses_bodies_and_passwords() {
    let m = message("Your code is 04718293.\n");
    let debug = format!("{m:?}");
    assert!(!debug.contains("anna"), "{debug}");
    assert!(!debug.contains("04718293"), "{debug}");
    assert!(debug.contains("We have received your request"), "{debug}");

    let mut s = settings(25);
    s.username = Some("skydd".into());
    s.password = Some("s3cret-pass".into());
    let debug = format!("{s:?}");
    assert!(!debug.contains("s3cret-pass"), "{debug}");
    let mailer = SmtpMailer::new(s).unwrap();
    assert!(!format!("{mailer:?}").contains("s3cret-pass"));
}

#[tokio::test]
async fn the_mailer_works_as_a_shared_trait_object() {
    let (port, server) = fake_smtp(Recipient::Accept).await;
    let mailer: Arc<dyn Mailer> = Arc::new(SmtpMailer::new(settings(port)).unwrap());
    let task = {
        let mailer = Arc::clone(&mailer);
        tokio::spawn(async move { mailer.send(&message("Hello.\n")).await })
    };
    task.await.unwrap().unwrap();
    assert!(server.await.unwrap().data.is_some());
}
