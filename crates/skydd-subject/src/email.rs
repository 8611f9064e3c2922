//! E-mail addresses: trimmed, lower-cased, checked for the shape `local@domain.tld`.
//!
//! The whole address is lower-cased, the local part too: RFC 5321 lets a server treat
//! `Anna@` and `anna@` as different mailboxes, but no common one does, and a subject who types
//! their address with another capitalisation must still be found.

use crate::identity::IdentityProblem;

/// The longest address, in bytes (RFC 5321: a 256-byte path minus the angle brackets).
const MAX_BYTES: usize = 254;

/// The normal form of a trimmed, non-empty address without control characters.
pub(crate) fn normalise(trimmed: &str) -> Result<String, IdentityProblem> {
    let address = trimmed.to_lowercase();
    if address.len() > MAX_BYTES {
        return Err(IdentityProblem::TooLong {
            max: MAX_BYTES,
            unit: "bytes",
        });
    }
    if address.chars().any(char::is_whitespace) {
        return Err(IdentityProblem::EmailSpace);
    }
    let (local, domain) = address.split_once('@').ok_or(IdentityProblem::EmailNoAt)?;
    if domain.contains('@') {
        return Err(IdentityProblem::EmailManyAt);
    }
    if local.is_empty() {
        return Err(IdentityProblem::EmailNoLocalPart);
    }
    if domain.is_empty() {
        return Err(IdentityProblem::EmailNoDomain);
    }
    if !domain.contains('.') {
        return Err(IdentityProblem::EmailDomainNoDot);
    }
    if domain.split('.').any(str::is_empty) {
        return Err(IdentityProblem::EmailDomainEmptyLabel);
    }
    Ok(address)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_cases_the_whole_address() {
        assert_eq!(
            normalise("Anna.Svensson@Example.SE").unwrap(),
            "anna.svensson@example.se"
        );
        assert_eq!(normalise("ÅSA@exempel.se").unwrap(), "åsa@exempel.se");
        assert_eq!(normalise("a+tag@b.co").unwrap(), "a+tag@b.co");
    }

    #[test]
    fn refuses_what_is_not_an_address() {
        for (raw, problem) in [
            ("anna.example.se", IdentityProblem::EmailNoAt),
            ("anna@@example.se", IdentityProblem::EmailManyAt),
            ("anna@example@se", IdentityProblem::EmailManyAt),
            ("@example.se", IdentityProblem::EmailNoLocalPart),
            ("anna@", IdentityProblem::EmailNoDomain),
            ("anna@localhost", IdentityProblem::EmailDomainNoDot),
            ("anna@example..se", IdentityProblem::EmailDomainEmptyLabel),
            ("anna@.example.se", IdentityProblem::EmailDomainEmptyLabel),
            ("anna@example.se.", IdentityProblem::EmailDomainEmptyLabel),
            ("anna svensson@example.se", IdentityProblem::EmailSpace),
            ("anna@example.se\u{a0}x", IdentityProblem::EmailSpace),
        ] {
            assert_eq!(normalise(raw), Err(problem), "{raw:?}");
        }
    }

    #[test]
    fn the_limit_is_254_bytes_after_lower_casing() {
        let at_limit = format!("{}@example.se", "a".repeat(254 - 11));
        assert_eq!(normalise(&at_limit).unwrap().len(), 254);
        let over = format!("{}@example.se", "a".repeat(255 - 11));
        assert_eq!(
            normalise(&over),
            Err(IdentityProblem::TooLong {
                max: 254,
                unit: "bytes"
            })
        );
    }
}
