//! Redaction: the text with every finding replaced, for erasure and for anonymised copies.

use crate::finding::Finding;

/// What a finding is replaced by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// The kind in brackets (`[personnummer]`, `[email]`): the text stays readable and says
    /// what was there, for anonymised statistics and support history.
    Label,
    /// [`MASK`] for every finding: says neither what nor how long.
    Mask,
}

/// The replacement of [`Style::Mask`].
pub const MASK: &str = "[redacted]";

/// The text with the span of every finding replaced as `style` says.
///
/// Findings may come in any order and from several scans: spans that overlap are replaced as
/// one (labelled with the kind of the one that starts first), a span past the end of the text
/// is cut at the end, and a span that starts or ends inside a character is widened to the
/// whole character, so no byte of a finding is left and the result is valid UTF-8.
///
/// ```
/// use jiff::civil::date;
/// use skydd_pii::{Context, Style, redact, scan};
///
/// let text = "Ring 070-123 45 67 eller mejla anna@example.se.";
/// let findings = scan(text, &Context::new(date(2025, 6, 1)));
/// assert_eq!(
///     redact(text, &findings, Style::Label),
///     "Ring [phone] eller mejla [email]."
/// );
/// assert_eq!(
///     redact(text, &findings, Style::Mask),
///     "Ring [redacted] eller mejla [redacted]."
/// );
/// ```
pub fn redact(text: &str, findings: &[Finding], style: Style) -> String {
    let mut spans: Vec<(usize, usize, &'static str)> = findings
        .iter()
        .filter_map(|f| {
            let start = floor_boundary(text, f.span.start.min(text.len()));
            let end = ceil_boundary(text, f.span.end.min(text.len()));
            (start < end).then_some((start, end, f.kind.as_str()))
        })
        .collect();
    spans.sort_unstable();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut spans = spans.into_iter().peekable();
    while let Some((start, mut end, kind)) = spans.next() {
        while let Some(&(next_start, next_end, _)) = spans.peek() {
            if next_start >= end {
                break;
            }
            end = end.max(next_end);
            spans.next();
        }
        let start = start.max(copied);
        out.push_str(&text[copied..start]);
        match style {
            Style::Label => {
                out.push('[');
                out.push_str(kind);
                out.push(']');
            }
            Style::Mask => out.push_str(MASK),
        }
        copied = end.max(copied);
    }
    out.push_str(&text[copied..]);
    out
}

fn floor_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Confidence, Kind};

    fn finding(kind: Kind, span: std::ops::Range<usize>) -> Finding {
        Finding::new(kind, span, Confidence::High, String::new())
    }

    #[test]
    fn overlapping_unsorted_and_out_of_range_spans_are_redacted_whole() {
        let text = "abc åäö def";
        let findings = [
            finding(Kind::Name, 9..40),
            finding(Kind::Email, 5..6),
            finding(Kind::Phone, 0..2),
            finding(Kind::Card, 1..3),
        ];
        assert_eq!(
            redact(text, &findings, Style::Label),
            "[phone] [email]ä[name]"
        );
        assert_eq!(redact(text, &[], Style::Mask), text);
        assert_eq!(
            redact(text, &[finding(Kind::Name, 40..50)], Style::Mask),
            text
        );
    }
}
