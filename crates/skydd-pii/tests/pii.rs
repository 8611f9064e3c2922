//! skydd-pii as its users see it: recognizers on whole texts, look-alikes that must not be
//! found, normal forms equal to `skydd-subject`'s, properties of scan and redact, and the
//! evaluation on the generated corpus's test templates.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "pii/evaluation.rs"]
mod evaluation;
#[path = "pii/false_positives.rs"]
mod false_positives;
#[path = "pii/properties.rs"]
mod properties;
#[path = "pii/scan.rs"]
mod scan;
#[path = "pii/subject.rs"]
mod subject;

use jiff::civil::{Date, date};

/// The reference date of every test: 1 June 2025.
const TODAY: Date = date(2025, 6, 1);

/// The kinds and texts of what `scan` finds in `text` with no names in the context.
fn found(text: &str) -> Vec<(skydd_pii::Kind, &str)> {
    skydd_pii::scan(text, &skydd_pii::Context::new(TODAY))
        .into_iter()
        .map(|f| (f.kind, &text[f.span]))
        .collect()
}

/// The Luhn check digit that completes `digits`.
pub(crate) fn luhn_digit(digits: &str) -> u32 {
    (0..10)
        .find(|&c| {
            let sum: u32 = digits
                .bytes()
                .map(|b| u32::from(b - b'0'))
                .chain(std::iter::once(c))
                .rev()
                .enumerate()
                .map(|(i, v)| {
                    if i % 2 == 1 {
                        (v * 2) / 10 + (v * 2) % 10
                    } else {
                        v
                    }
                })
                .sum();
            sum.is_multiple_of(10)
        })
        .unwrap()
}
