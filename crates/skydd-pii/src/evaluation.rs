//! How well the recognizers do on labelled text: span-level precision, recall and F2 per kind.
//!
//! A finding is a true positive when a label of the same kind overlaps it with an intersection
//! over union of at least [`MIN_IOU`] and that label has not matched another finding; other
//! findings are false positives, unmatched labels false negatives. F2 weighs recall twice as
//! much as precision: a missed personnummer in an erasure costs more than a redacted order
//! number.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::ops::Range;

use crate::corpus::Label;
use crate::finding::{Finding, Kind};

/// The least intersection over union for a finding to match a label.
pub const MIN_IOU: f64 = 0.75;

/// Intersection over union of two byte ranges (0 when either is empty).
pub fn iou(a: &Range<usize>, b: &Range<usize>) -> f64 {
    let intersection = a.end.min(b.end).saturating_sub(a.start.max(b.start));
    let union = a.end.max(b.end) - a.start.min(b.start);
    if union == 0 || a.is_empty() || b.is_empty() {
        return 0.0;
    }
    intersection as f64 / union as f64
}

/// Counts of one kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Score {
    /// Findings that match a label.
    pub true_positives: usize,
    /// Findings that match no label.
    pub false_positives: usize,
    /// Labels that no finding matches.
    pub false_negatives: usize,
}

impl Score {
    /// True positives over all findings; `None` without findings.
    pub fn precision(&self) -> Option<f64> {
        ratio(
            self.true_positives,
            self.true_positives + self.false_positives,
        )
    }

    /// True positives over all labels; `None` without labels.
    pub fn recall(&self) -> Option<f64> {
        ratio(
            self.true_positives,
            self.true_positives + self.false_negatives,
        )
    }

    /// F2: `5 P R / (4 P + R)`; `None` when precision or recall is, 0 when both are 0.
    pub fn f2(&self) -> Option<f64> {
        let (p, r) = (self.precision()?, self.recall()?);
        if p + r == 0.0 {
            return Some(0.0);
        }
        Some(5.0 * p * r / (4.0 * p + r))
    }

    fn add(&mut self, other: Score) {
        self.true_positives += other.true_positives;
        self.false_positives += other.false_positives;
        self.false_negatives += other.false_negatives;
    }
}

fn ratio(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// Scores per kind over any number of texts.
#[derive(Debug, Clone, Default)]
pub struct Evaluation {
    scores: BTreeMap<Kind, Score>,
}

impl Evaluation {
    /// An evaluation of no texts.
    pub fn new() -> Evaluation {
        Evaluation::default()
    }

    /// Adds one text: what was found in it and what its labels say is there.
    pub fn add(&mut self, findings: &[Finding], labels: &[Label]) {
        let mut matched = vec![false; labels.len()];
        for finding in findings {
            let best = labels
                .iter()
                .enumerate()
                .filter(|&(i, label)| !matched[i] && label.kind == finding.kind)
                .map(|(i, label)| (i, iou(&finding.span, &(label.start..label.end))))
                .filter(|&(_, overlap)| overlap >= MIN_IOU)
                .max_by(|a, b| a.1.total_cmp(&b.1));
            let score = self.scores.entry(finding.kind).or_default();
            match best {
                Some((i, _)) => {
                    matched[i] = true;
                    score.true_positives += 1;
                }
                None => score.false_positives += 1,
            }
        }
        for (label, _) in labels.iter().zip(&matched).filter(|(_, m)| !**m) {
            self.scores.entry(label.kind).or_default().false_negatives += 1;
        }
    }

    /// The counts of one kind (all zero if it never occurred).
    pub fn score(&self, kind: Kind) -> Score {
        self.scores.get(&kind).copied().unwrap_or_default()
    }

    /// The counts of all kinds together (micro average).
    pub fn total(&self) -> Score {
        let mut total = Score::default();
        for score in self.scores.values() {
            total.add(*score);
        }
        total
    }

    /// The kinds that occurred, as labels or findings, in [`Kind`] order.
    pub fn kinds(&self) -> impl Iterator<Item = Kind> + '_ {
        self.scores.keys().copied()
    }

    /// A Markdown table: kind, labels, findings, precision, recall, F2, and all kinds together.
    pub fn table(&self) -> String {
        let mut out = String::from(
            "| kind | labels | found | precision | recall | F2 |\n|---|---:|---:|---:|---:|---:|\n",
        );
        let rows = self
            .kinds()
            .map(|kind| (kind.as_str(), self.score(kind)))
            .chain([("all", self.total())]);
        for (name, score) in rows {
            let _ = writeln!(
                out,
                "| {name} | {} | {} | {} | {} | {} |",
                score.true_positives + score.false_negatives,
                score.true_positives + score.false_positives,
                shown(score.precision()),
                shown(score.recall()),
                shown(score.f2()),
            );
        }
        out
    }
}

fn shown(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{v:.3}"))
}

/// The evaluation of one text.
pub fn evaluate(findings: &[Finding], labels: &[Label]) -> Evaluation {
    let mut evaluation = Evaluation::new();
    evaluation.add(findings, labels);
    evaluation
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Confidence;

    fn finding(kind: Kind, span: Range<usize>) -> Finding {
        Finding::new(kind, span, Confidence::High, String::new())
    }

    fn label(kind: Kind, span: Range<usize>) -> Label {
        Label {
            kind,
            start: span.start,
            end: span.end,
        }
    }

    #[test]
    fn intersection_over_union() {
        assert_eq!(iou(&(0..10), &(0..10)), 1.0);
        assert_eq!(iou(&(0..10), &(5..15)), 5.0 / 15.0);
        assert_eq!(iou(&(0..8), &(0..10)), 0.8);
        assert_eq!(iou(&(0..5), &(5..10)), 0.0);
        assert_eq!(iou(&(3..3), &(3..3)), 0.0);
    }

    #[test]
    fn spans_and_kinds_must_both_match() {
        let evaluation = evaluate(
            &[
                finding(Kind::Phone, 0..10),
                finding(Kind::Email, 20..30),
                finding(Kind::Personnummer, 40..48),
                finding(Kind::Card, 60..70),
            ],
            &[
                label(Kind::Phone, 0..9),
                label(Kind::Email, 20..40),
                label(Kind::Phone, 40..48),
                label(Kind::Name, 80..90),
            ],
        );
        let phone = evaluation.score(Kind::Phone);
        assert_eq!(
            (
                phone.true_positives,
                phone.false_positives,
                phone.false_negatives
            ),
            (1, 0, 1)
        );
        let email = evaluation.score(Kind::Email);
        assert_eq!((email.true_positives, email.false_positives), (0, 1));
        assert_eq!(evaluation.score(Kind::Name).recall(), Some(0.0));
        assert_eq!(evaluation.score(Kind::Name).precision(), None);
        assert_eq!(evaluation.score(Kind::Iban).f2(), None);
        let total = evaluation.total();
        assert_eq!(
            (
                total.true_positives,
                total.false_positives,
                total.false_negatives
            ),
            (1, 3, 3)
        );
        assert_eq!(phone.f2(), Some(5.0 * 0.5 / (4.0 + 0.5)));
        assert!(
            evaluation
                .table()
                .contains("| phone | 2 | 1 | 1.000 | 0.500 | 0.556 |")
        );
    }

    #[test]
    fn one_label_matches_one_finding() {
        let evaluation = evaluate(
            &[finding(Kind::Phone, 0..10), finding(Kind::Phone, 0..10)],
            &[label(Kind::Phone, 0..10)],
        );
        assert_eq!(evaluation.score(Kind::Phone).false_positives, 1);
    }
}
