//! IP addresses, normal form as `std::net` writes them (IPv6 compressed, lower case: RFC 5952).
//!
//! - **IPv4**: four decimal numbers 0-255 joined by dots, no leading zeros, not part of a
//!   longer dotted number (`1.2.3.4.5` and `v1.2.3.4` are versions).
//! - **IPv6**: what `std::net::Ipv6Addr` parses (eight groups, or fewer with `::`, optionally
//!   an IPv4 tail) with at least two colons and a decimal digit, so `12:30:45` and words like
//!   `dead::beef` are not addresses.
//!
//! [`Confidence::Medium`], [`Confidence::High`] after the word `ip`. Ports, CIDR suffixes and
//! zone ids are left out of the span.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::boundary::{ends_clear, is_word, starts_clear};
use crate::context::mentions;
use crate::finding::{Confidence, Finding, Kind};

/// Words that say a number is an IP address.
const CONTEXT_WORDS: &[&str] = &["ip", "host", "server", "adress", "address"];

fn confidence(text: &[u8], start: usize) -> Confidence {
    if mentions(text, start, CONTEXT_WORDS) {
        Confidence::High
    } else {
        Confidence::Medium
    }
}

/// The IPv4 address starting at `start` (an ASCII digit), if any.
pub(crate) fn v4_at(text: &[u8], start: usize) -> Option<Finding> {
    if !starts_clear(text, start) {
        return None;
    }
    let mut end = start;
    for part in 0..4 {
        let run = text
            .get(end..)
            .map_or(0, |r| r.iter().take_while(|b| b.is_ascii_digit()).count());
        if !(1..=3).contains(&run) {
            return None;
        }
        end += run;
        if part < 3 {
            if text.get(end) != Some(&b'.') {
                return None;
            }
            end += 1;
        }
    }
    // A port after a colon is not part of a longer number.
    if !ends_clear(text, end) && text.get(end) != Some(&b':') {
        return None;
    }
    let written = std::str::from_utf8(&text[start..end]).ok()?;
    let address: Ipv4Addr = written.parse().ok()?;
    Some(Finding::new(
        Kind::IpAddress,
        start..end,
        confidence(text, start),
        address.to_string(),
    ))
}

fn is_v6_part(b: u8) -> bool {
    b.is_ascii_hexdigit() || b == b':' || b == b'.'
}

/// The IPv6 address around the `:` at `colon`, if any, and where the run of address
/// characters around it ends (to continue scanning after it).
pub(crate) fn v6_around(text: &[u8], colon: usize) -> (Option<Finding>, usize) {
    let mut start = colon;
    while start > 0 && is_v6_part(text[start - 1]) {
        start -= 1;
    }
    let mut end = colon + 1;
    while end < text.len() && is_v6_part(text[end]) {
        end += 1;
    }
    let run_end = end;
    // Punctuation at the ends belongs to the sentence (`IP:fe80::1.`), except a `::`.
    while start < end && matches!(text[start], b':' | b'.') && !text[start..].starts_with(b"::") {
        start += 1;
    }
    while end > start && text[end - 1] == b'.'
        || (end > start + 1 && text[end - 1] == b':' && text[end - 2] != b':')
    {
        end -= 1;
    }
    let candidate = &text[start..end];
    let colons = candidate.iter().filter(|&&b| b == b':').count();
    if colons < 2
        || !candidate.iter().any(u8::is_ascii_digit)
        || (start > 0 && is_word(text[start - 1]))
        || (end < text.len() && is_word(text[end]))
    {
        return (None, run_end);
    }
    let parsed = std::str::from_utf8(candidate)
        .ok()
        .and_then(|s| s.parse::<Ipv6Addr>().ok());
    let finding = parsed.map(|address| {
        Finding::new(
            Kind::IpAddress,
            start..end,
            confidence(text, start),
            address.to_string(),
        )
    });
    (finding, run_end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(text: &str) -> Option<String> {
        let start = text.find(|c: char| c.is_ascii_digit())?;
        v4_at(text.as_bytes(), start).map(|f| f.normal.as_str().to_owned())
    }

    /// The first IPv6 address, read as `scan` does: from colon to colon.
    fn v6(text: &str) -> Option<(String, &str)> {
        let mut from = 0;
        while let Some(offset) = text[from..].find(':') {
            let (finding, run_end) = v6_around(text.as_bytes(), from + offset);
            if let Some(f) = finding {
                return Some((f.normal.as_str().to_owned(), &text[f.span]));
            }
            from = run_end.max(from + offset + 1);
        }
        None
    }

    #[test]
    fn ipv4_addresses_and_not_versions() {
        assert_eq!(v4("från 192.168.0.1.").as_deref(), Some("192.168.0.1"));
        assert_eq!(v4("10.0.0.255:8080").as_deref(), Some("10.0.0.255"));
        for raw in [
            "1.2.3.4.5",
            "v1.2.3.4",
            "256.1.1.1",
            "01.2.3.4",
            "1.2.3",
            "1.2.3.4a",
        ] {
            assert_eq!(v4(raw), None, "{raw}");
        }
    }

    #[test]
    fn ipv6_addresses_in_canonical_form() {
        assert_eq!(
            v6("IP: 2001:0DB8:0000:0000:0000:0000:0000:0001."),
            Some((
                "2001:db8::1".to_owned(),
                "2001:0DB8:0000:0000:0000:0000:0000:0001"
            ))
        );
        assert_eq!(
            v6("(fe80::1ff:fe23:4567:890a)"),
            Some((
                "fe80::1ff:fe23:4567:890a".to_owned(),
                "fe80::1ff:fe23:4567:890a"
            ))
        );
        assert_eq!(
            v6("::ffff:192.0.2.1").map(|f| f.0),
            Some("::ffff:192.0.2.1".to_owned())
        );
        assert_eq!(
            v6("ip:2001:db8::7").map(|f| f.0),
            Some("2001:db8::7".to_owned())
        );
    }

    #[test]
    fn times_macs_and_words_are_not_ipv6() {
        for raw in [
            "12:30:45",
            "00:1A:2B:3C:4D:5E",
            "dead::beef",
            "std::net",
            "abc::1x",
            "Kl. 10:30",
        ] {
            assert_eq!(v6(raw), None, "{raw}");
        }
    }
}
