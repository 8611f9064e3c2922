//! The recognizers on the generated corpus: thresholds on the test templates, which no
//! recognizer was tuned on.

use skydd_pii::corpus::{Document, Split, TEMPLATES, generate};
use skydd_pii::evaluation::Evaluation;
use skydd_pii::{Context, Kind, scan};

use crate::TODAY;

fn evaluate(documents: &[Document]) -> Evaluation {
    let mut evaluation = Evaluation::new();
    for document in documents {
        let context = document
            .names
            .iter()
            .fold(Context::new(TODAY), |c, name| c.with_name(name));
        evaluation.add(&scan(&document.text, &context), &document.labels);
    }
    evaluation
}

#[test]
fn the_test_templates_meet_the_thresholds() {
    let documents = generate(21, TODAY, Split::Test, 2000);
    assert!(documents.iter().all(|d| d.split == Split::Test));
    let evaluation = evaluate(&documents);
    println!("{}", evaluation.table());
    for kind in Kind::ALL {
        let score = evaluation.score(kind);
        // Addresses have no check digit and streets without a street-word ending are missed.
        let (min_precision, min_recall) = match kind {
            Kind::Address => (0.90, 0.90),
            _ => (0.95, 0.95),
        };
        let precision = score.precision().unwrap();
        let recall = score.recall().unwrap();
        assert!(
            precision >= min_precision,
            "{kind}: precision {precision:.3}"
        );
        assert!(recall >= min_recall, "{kind}: recall {recall:.3}");
        assert!(
            score.true_positives >= 50,
            "{kind}: too few labels to measure"
        );
    }
}

#[test]
fn the_splits_share_no_template() {
    let tuning = generate(3, TODAY, Split::Tuning, 500);
    let test = generate(3, TODAY, Split::Test, 500);
    for document in &test {
        assert!(tuning.iter().all(|t| t.template != document.template));
    }
    let test_templates = TEMPLATES.iter().filter(|t| t.split == Split::Test).count();
    let seen: std::collections::BTreeSet<_> = test.iter().map(|d| d.template).collect();
    assert_eq!(seen.len(), test_templates, "every test template is used");
}

#[test]
fn the_corpus_exports_as_json_lines() {
    let document = &generate(5, TODAY, Split::Test, 1)[0];
    let line = serde_json::to_value(document).unwrap();
    assert_eq!(line["text"], document.text.as_str());
    assert_eq!(line["split"], "test");
    assert_eq!(line["template"], document.template);
    let first = &line["labels"][0];
    assert!(first["kind"].is_string() && first["start"].is_u64() && first["end"].is_u64());
}
