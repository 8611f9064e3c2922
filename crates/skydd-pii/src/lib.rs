//! Personal data in free text: support tickets, chat logs and notes say whatever people wrote.
//! [`scan`] finds names, e-mail addresses, phone numbers, personnummer, card numbers ... in
//! them; [`redact`] replaces what was found; [`SubjectSearch`] keeps what belongs to one
//! person (an access request); [`corpus`] and [`evaluation`] measure how well it works.
//!
//! Pure: no I/O, no clock (the reference date that decides a personnummer's century is a
//! [`Context`] parameter), no regular expressions. Each recognizer is a scanner over bytes that
//! looks closely only at candidates (a digit after a word boundary, an `@`, a `:`), so a text is
//! read at close to memory speed.
//!
//! # What each recognizer checks, and what it does not
//!
//! | kind | checks | does not |
//! |---|---|---|
//! | [`personnummer`] / samordningsnummer | 10 or 12 digits, `-`, `+` or none; the date exists in the resolved year (no 31 April, 29 February in leap years only); the day + 60 of a samordningsnummer; Luhn; the century from the reference date and the separator (`+` from the year the person turns 100); not after the reference date, at most 150 years before | accept a space as separator; know whether a valid number was issued |
//! | [`organisationsnummer`] | 10 digits (or 12 with `16`), group digit, third digit ≥ 2, Luhn; a bare number only after a word such as `org.nr` | report a sole trader's number (it is a personnummer) |
//! | [`phone`] | Swedish national forms (area code, 8-10 digits, mobile exactly 10, one `-` after the area code); `+`/`00` and a calling code of an EU/EEA country, CH or GB, with that country's length; E.164's 15 digits | national forms of other countries; numbers outside Europe |
//! | [`email`] | local part, `@`, two or more domain labels, an alphabetic top-level domain | internationalised addresses |
//! | [`iban`] | country of the EU/EEA, CH, GB; the country's exact length; mod 97; bare or in groups of four | other countries; lower case |
//! | [`card`] | 13-19 digits, bare or in groups; issuer prefix and length (Visa, Mastercard, Amex, Discover, Diners, JCB, Maestro, UnionPay, Dankort); Luhn | expiry dates, CVCs |
//! | [`ip`] | IPv4 without leading zeros, not part of a longer dotted number; IPv6 as `std::net` parses it | ports, CIDR suffixes, zone ids |
//! | [`address`] | Swedish street (a street-word ending), number, postcode `NNN NN`, town | addresses without a street-word ending; other countries; low confidence always |
//! | [`name`] | only the names of the subject searched for (whole, or first and last word) | general name recognition (no NER) |
//!
//! No structured match starts or ends inside a word or a longer number (`2024-05-01`, an
//! order number, `v1.2.3.4`), and bare numbers right after `order`, `faktura`, `invoice`,
//! `tracking` ... are not reported as personnummer, cards or phone numbers.
//!
//! Microsoft Presidio, the usual reference, ships its Swedish personnummer recognizer disabled
//! and for Swedish only, a language it does not load by default, accepts impossible dates (31
//! April), ignores what `+` says about the century and has no Swedish phone region by default;
//! the recognizers here are on by default for Swedish and English text, check the calendar,
//! read the century from `+` and know Swedish phone numbers. On the same corpus, with its
//! Swedish recognizers on for both languages and the best settings found for it, Presidio
//! 2.2.366 finds as many or fewer of each kind, with more false personnummer, samordningsnummer,
//! phone numbers, cards and organisationsnummer, and reads 4 to 5 MB of text a minute on one core
//! without an NER model; [`scan`] reads over 3,000 (BENCHMARKS.md, "PII in free text";
//! `eval/run.sh`).
//!
//! When two recognizers claim the same text with the same confidence and length (a bare
//! `0709180350` is a mobile number and a valid personnummer), the earlier [`Kind`] wins: a
//! personnummer before a card, an IBAN, an e-mail, a phone number. A word before it (`tel`,
//! `pnr`) raises the confidence of the right one.
//!
//! # Findings are personal data
//!
//! A [`Finding`] has its kind, its span (byte offsets, on `char` boundaries), a
//! [`Confidence`] and a [`NormalForm`] (lower-cased e-mail, E.164 phone, 12-digit
//! personnummer ...: the forms `skydd-subject` gives identities, so a finding can be looked
//! up in the vault's blind index). The normal form never shows in `Debug` and is never
//! serialised; read it with [`NormalForm::as_str`], only to match or index.
//!
//! ```
//! use jiff::civil::date;
//! use skydd_pii::{Confidence, Context, Kind, scan};
//!
//! let text = "Hej! Mitt personnummer är 121212-1212, ring 070-123 45 67.";
//! let found = scan(text, &Context::new(date(2025, 6, 1)));
//! assert_eq!(found.len(), 2);
//! assert_eq!(found[0].kind, Kind::Personnummer);
//! assert_eq!(&text[found[0].span.clone()], "121212-1212");
//! assert_eq!(found[0].normal.as_str(), "201212121212");
//! assert_eq!(found[1].kind, Kind::Phone);
//! assert_eq!(found[1].normal.as_str(), "+46701234567");
//! assert_eq!(found[1].confidence, Confidence::High);
//! assert!(!format!("{found:?}").contains("1212"));
//! ```

pub mod address;
mod boundary;
pub mod card;
mod checksum;
mod context;
pub mod corpus;
pub mod email;
pub mod evaluation;
mod finding;
pub mod iban;
pub mod ip;
pub mod name;
pub mod organisationsnummer;
pub mod personnummer;
pub mod phone;
mod redaction;
mod search;

pub use context::Context;
pub use finding::{Confidence, Finding, Kind, NormalForm};
pub use redaction::{MASK, Style, redact};
pub use search::SubjectSearch;

use boundary::starts_clear;

/// Every finding in `text`, overlaps resolved (the more confident, then the longer, then the
/// earlier [`Kind`] wins), sorted by span start.
pub fn scan(text: &str, context: &Context) -> Vec<Finding> {
    let bytes = text.as_bytes();
    let reference = context.reference();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match CLASS[usize::from(bytes[i])] {
            DIGIT => {
                if starts_clear(bytes, i) {
                    found.extend(personnummer::at(bytes, i, reference));
                    found.extend(organisationsnummer::at(bytes, i));
                    found.extend(card::at(bytes, i));
                    if bytes[i] == b'0' {
                        found.extend(phone::at(bytes, i));
                    }
                    found.extend(ip::v4_at(bytes, i));
                    found.extend(address::at_postcode(text, i));
                }
                i += 1;
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
            }
            PLUS => {
                found.extend(phone::at(bytes, i));
                i += 1;
            }
            UPPER => {
                if bytes.get(i + 1).is_some_and(u8::is_ascii_uppercase) {
                    found.extend(iban::at(bytes, i));
                }
                i += 1;
            }
            AT => {
                found.extend(email::around(bytes, i));
                i += 1;
            }
            COLON => {
                let (finding, run_end) = ip::v6_around(bytes, i);
                found.extend(finding);
                i = run_end.max(i + 1);
            }
            _ => i += 1,
        }
    }
    name::find(text, context.names(), &mut found);
    finding::resolve(found)
}

/// The finding that is all of `value` (trimmed), if a recognizer takes it whole: how an
/// identifier typed by a person is recognised and normalised.
///
/// ```
/// use jiff::civil::date;
/// use skydd_pii::{Context, Kind, recognise};
///
/// let context = Context::new(date(2025, 6, 1));
/// let finding = recognise(" +46 (0)70-123 45 67 ", &context).unwrap();
/// assert_eq!(finding.kind, Kind::Phone);
/// assert_eq!(finding.normal.as_str(), "+46701234567");
/// assert!(recognise("070-123 45 67 och mer", &context).is_none());
/// ```
pub fn recognise(value: &str, context: &Context) -> Option<Finding> {
    let trimmed = value.trim();
    let mut findings = scan(trimmed, context);
    match findings.pop() {
        Some(f) if findings.is_empty() && f.span == (0..trimmed.len()) => Some(f),
        _ => None,
    }
}

const OTHER: u8 = 0;
const DIGIT: u8 = 1;
const PLUS: u8 = 2;
const UPPER: u8 = 3;
const AT: u8 = 4;
const COLON: u8 = 5;

/// What the scan loop does at each byte value.
const CLASS: [u8; 256] = {
    let mut class = [OTHER; 256];
    let mut b = 0;
    while b < 256 {
        class[b] = match b as u8 {
            b'0'..=b'9' => DIGIT,
            b'+' => PLUS,
            b'A'..=b'Z' => UPPER,
            b'@' => AT,
            b':' => COLON,
            _ => OTHER,
        };
        b += 1;
    }
    class
};
