//! What a scan finds: the kind of personal data, where it is, how sure the recognizer is, and the
//! normal form used to match it against a subject's identities.

use std::fmt;
use std::ops::Range;

use serde::Serialize;

/// The kinds of personal data the recognizers find.
///
/// The order is the tie-break when two findings of equal confidence and length overlap: the
/// earlier kind wins (a personnummer is not also a phone number).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A Swedish personnummer (personal identity number).
    Personnummer,
    /// A Swedish samordningsnummer (coordination number: a personnummer with 60 added to the day).
    Samordningsnummer,
    /// A payment card number (PAN).
    Card,
    /// An international bank account number.
    Iban,
    /// An e-mail address.
    Email,
    /// A phone number, Swedish or of another EU/EEA country (or Switzerland, the UK).
    Phone,
    /// A Swedish organisationsnummer (company registration number).
    Organisationsnummer,
    /// An IPv4 or IPv6 address.
    IpAddress,
    /// A Swedish postal address: street, number, postcode and town.
    Address,
    /// A name of the subject being searched for.
    Name,
}

impl Kind {
    /// Every kind, in tie-break order.
    pub const ALL: [Kind; 10] = [
        Kind::Personnummer,
        Kind::Samordningsnummer,
        Kind::Card,
        Kind::Iban,
        Kind::Email,
        Kind::Phone,
        Kind::Organisationsnummer,
        Kind::IpAddress,
        Kind::Address,
        Kind::Name,
    ];

    /// The stable word, as serialised and as [`Style::Label`](crate::Style::Label) writes it
    /// (`personnummer`, `ip_address` ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::Personnummer => "personnummer",
            Kind::Samordningsnummer => "samordningsnummer",
            Kind::Card => "card",
            Kind::Iban => "iban",
            Kind::Email => "email",
            Kind::Phone => "phone",
            Kind::Organisationsnummer => "organisationsnummer",
            Kind::IpAddress => "ip_address",
            Kind::Address => "address",
            Kind::Name => "name",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How sure a recognizer is that a match is personal data of its kind.
///
/// Checksums and calendars make most structured matches certain; what stays uncertain is
/// whether a valid-looking number is meant as one (a bare 10-digit number that passes Luhn and
/// is a date may be an order number).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// Plausible shape, little structure to check (an address, a name, a bare national phone
    /// number that is not a mobile number).
    Low,
    /// Checks pass but the spelling is also common for other numbers (a bare 10-digit
    /// personnummer without separator or context word).
    Medium,
    /// Checks pass and the spelling or a nearby word says what it is.
    High,
}

/// The normal form of a finding: what matching and blind indexes compare.
///
/// It is personal data. `Debug` prints `NormalForm(<redacted>)`, there is no `Display`, and it
/// is not serialised; [`NormalForm::as_str`] is the one way to read it.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NormalForm(String);

impl NormalForm {
    /// Wraps a normal form a recognizer computed.
    pub(crate) fn new(value: String) -> NormalForm {
        NormalForm(value)
    }

    /// The normal form, for matching and blind indexing only: never log it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NormalForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NormalForm(<redacted>)")
    }
}

/// One piece of personal data found in a text.
///
/// `Debug` and `Serialize` show kind, span and confidence, never the value or its normal form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// What was found.
    pub kind: Kind,
    /// Where: byte offsets into the scanned text, on `char` boundaries.
    pub span: Range<usize>,
    /// How sure the recognizer is.
    pub confidence: Confidence,
    /// The normal form, for matching (not serialised).
    #[serde(skip)]
    pub normal: NormalForm,
}

impl Finding {
    /// A finding of `kind` at `span` with the normal form `normal`.
    pub(crate) fn new(
        kind: Kind,
        span: Range<usize>,
        confidence: Confidence,
        normal: String,
    ) -> Finding {
        Finding {
            kind,
            span,
            confidence,
            normal: NormalForm::new(normal),
        }
    }

    /// The length of the span in bytes.
    pub fn len(&self) -> usize {
        self.span.end.saturating_sub(self.span.start)
    }

    /// Whether the span is empty (never for a finding of [`scan`](crate::scan)).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Resolves overlapping findings: within each group of findings whose spans overlap, the one
/// with the highest confidence wins, then the longest, then the earlier [`Kind`], then the
/// earliest start; a finding is kept if it overlaps no finding kept before it. The result is
/// sorted by span start.
pub(crate) fn resolve(mut findings: Vec<Finding>) -> Vec<Finding> {
    if findings.len() < 2 {
        return findings;
    }
    findings.sort_by(|a, b| {
        (a.span.start, a.span.end, a.kind).cmp(&(b.span.start, b.span.end, b.kind))
    });
    findings.dedup_by(|b, a| a.span == b.span && a.kind == b.kind);
    let mut kept = Vec::with_capacity(findings.len());
    let mut group: Vec<Finding> = Vec::new();
    let mut group_end = 0;
    for finding in findings {
        if !group.is_empty() && finding.span.start >= group_end {
            settle(&mut group, &mut kept);
        }
        group_end = if group.is_empty() {
            finding.span.end
        } else {
            group_end.max(finding.span.end)
        };
        group.push(finding);
    }
    settle(&mut group, &mut kept);
    kept
}

/// Keeps the winners of one group of overlapping findings, in span order.
fn settle(group: &mut Vec<Finding>, kept: &mut Vec<Finding>) {
    if group.len() == 1 {
        kept.append(group);
        return;
    }
    group.sort_by(|a, b| {
        b.confidence
            .cmp(&a.confidence)
            .then(b.len().cmp(&a.len()))
            .then(a.kind.cmp(&b.kind))
            .then(a.span.start.cmp(&b.span.start))
    });
    let mut winners: Vec<Finding> = Vec::new();
    for finding in group.drain(..) {
        let overlaps = winners
            .iter()
            .any(|w| w.span.start < finding.span.end && finding.span.start < w.span.end);
        if !overlaps {
            winners.push(finding);
        }
    }
    winners.sort_by_key(|f| f.span.start);
    kept.append(&mut winners);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(kind: Kind, span: Range<usize>, confidence: Confidence) -> Finding {
        Finding::new(kind, span, confidence, "secret".to_owned())
    }

    #[test]
    fn debug_never_shows_the_value() {
        let f = finding(Kind::Email, 0..6, Confidence::High);
        let debug = format!("{f:?}");
        assert!(!debug.contains("secret"), "{debug}");
        assert!(debug.contains("NormalForm(<redacted>)"), "{debug}");
        assert_eq!(format!("{:?}", f.normal), "NormalForm(<redacted>)");
        assert_eq!(f.normal.as_str(), "secret");
    }

    #[test]
    fn serialising_leaves_the_normal_form_out() {
        let f = finding(Kind::IpAddress, 0..6, Confidence::Medium);
        let json = serde_json::to_string(&f).unwrap();
        assert_eq!(
            json,
            r#"{"kind":"ip_address","span":{"start":0,"end":6},"confidence":"medium"}"#
        );
    }

    #[test]
    fn overlaps_keep_the_most_confident_then_the_longest() {
        let resolved = resolve(vec![
            finding(Kind::Phone, 0..10, Confidence::Medium),
            finding(Kind::Personnummer, 0..10, Confidence::High),
            finding(Kind::Card, 20..36, Confidence::Medium),
            finding(Kind::Phone, 22..30, Confidence::Medium),
            finding(Kind::Email, 40..50, Confidence::High),
        ]);
        let kinds: Vec<_> = resolved.iter().map(|f| (f.kind, f.span.clone())).collect();
        assert_eq!(
            kinds,
            [
                (Kind::Personnummer, 0..10),
                (Kind::Card, 20..36),
                (Kind::Email, 40..50)
            ]
        );
    }

    #[test]
    fn equal_claims_fall_back_to_kind_order() {
        let resolved = resolve(vec![
            finding(Kind::Phone, 5..15, Confidence::Medium),
            finding(Kind::Personnummer, 5..15, Confidence::Medium),
        ]);
        assert_eq!(resolved.len(), 1);
        assert_eq!(resolved[0].kind, Kind::Personnummer);
    }

    #[test]
    fn a_chain_of_overlaps_keeps_the_non_overlapping_ends() {
        let resolved = resolve(vec![
            finding(Kind::Phone, 0..5, Confidence::Medium),
            finding(Kind::Card, 4..12, Confidence::High),
            finding(Kind::Phone, 11..16, Confidence::Medium),
            finding(Kind::Phone, 13..20, Confidence::Low),
        ]);
        let spans: Vec<_> = resolved.iter().map(|f| f.span.clone()).collect();
        assert_eq!(spans, [4..12, 13..20]);
    }
}
