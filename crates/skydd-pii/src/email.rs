//! E-mail addresses, normal form lower case.
//!
//! A local part of ASCII letters, digits and `. _ % + - ' !` ... (no leading, trailing or
//! doubled dot), `@`, and a domain of at least two labels of letters, digits and `-` (not at
//! either end of a label) whose last label has at least two letters. A full stop after the
//! address is the sentence's. Internationalised addresses (non-ASCII local parts or domains)
//! are not recognized: a match would start or end inside a word, so none is reported.
//! Always [`Confidence::High`].

use crate::boundary::is_word;
use crate::finding::{Confidence, Finding, Kind};

/// The longest local part (RFC 5321).
const MAX_LOCAL: usize = 64;
/// The longest domain (RFC 5321).
const MAX_DOMAIN: usize = 255;

fn is_local(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'.' | b'_'
                | b'%'
                | b'+'
                | b'-'
                | b'\''
                | b'!'
                | b'#'
                | b'$'
                | b'&'
                | b'*'
                | b'='
                | b'?'
                | b'^'
                | b'`'
                | b'{'
                | b'|'
                | b'}'
                | b'~'
        )
}

fn is_domain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'.'
}

/// The e-mail address around the `@` at `at`, if any.
pub(crate) fn around(text: &[u8], at: usize) -> Option<Finding> {
    // The local part, leftwards; a leading quote or apostrophe is punctuation, not the address.
    let mut start = at;
    while start > 0 && at - start < MAX_LOCAL && is_local(text[start - 1]) {
        start -= 1;
    }
    while start < at && !text[start].is_ascii_alphanumeric() {
        start += 1;
    }
    let local = &text[start..at];
    if local.is_empty()
        || local.ends_with(b".")
        || local.windows(2).any(|w| w == b"..")
        || (start > 0 && is_word(text[start - 1]))
    {
        return None;
    }
    // The domain, rightwards, without a trailing full stop or hyphen.
    let mut end = at + 1;
    while end < text.len() && end - at <= MAX_DOMAIN && is_domain(text[end]) {
        end += 1;
    }
    while end > at + 1 && matches!(text[end - 1], b'.' | b'-') {
        end -= 1;
    }
    if end < text.len() && is_word(text[end]) {
        return None;
    }
    let domain = &text[at + 1..end];
    let mut labels = 0;
    for label in domain.split(|&b| b == b'.') {
        if label.is_empty() || label.starts_with(b"-") || label.ends_with(b"-") {
            return None;
        }
        labels += 1;
    }
    let tld = domain.rsplit(|&b| b == b'.').next().unwrap_or_default();
    if labels < 2 || tld.len() < 2 || !tld.iter().all(u8::is_ascii_alphabetic) {
        return None;
    }
    let normal = text[start..end]
        .iter()
        .map(|&b| char::from(b.to_ascii_lowercase()))
        .collect();
    Some(Finding::new(
        Kind::Email,
        start..end,
        Confidence::High,
        normal,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(text: &str) -> Option<(String, &str)> {
        let at = text.find('@')?;
        around(text.as_bytes(), at).map(|f| (f.normal.as_str().to_owned(), &text[f.span]))
    }

    #[test]
    fn addresses_are_found_without_surrounding_punctuation() {
        assert_eq!(
            find("Mejla Anna.Svensson@Example.SE."),
            Some((
                "anna.svensson@example.se".to_owned(),
                "Anna.Svensson@Example.SE"
            ))
        );
        assert_eq!(
            find("<o'brien+test@mail.co.uk>"),
            Some((
                "o'brien+test@mail.co.uk".to_owned(),
                "o'brien+test@mail.co.uk"
            ))
        );
        assert_eq!(
            find("'anna@example.se'").map(|f| f.0),
            Some("anna@example.se".to_owned())
        );
    }

    #[test]
    fn things_with_an_at_sign_that_are_not_addresses() {
        for raw in [
            "@anna",
            "anna@",
            "anna@localhost",
            "anna@example.s",
            "anna@example.123",
            "anna..b@example.se",
            "anna.@example.se",
            "anna@-example.se",
            "anna@example..se",
            "åsa@example.se",
            "anna@exempel.sö",
            "10 st @ 25 kr",
        ] {
            assert_eq!(find(raw), None, "{raw}");
        }
    }
}
