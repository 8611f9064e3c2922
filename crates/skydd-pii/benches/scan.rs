//! `scan` over the generated corpus: quality per kind on the test templates and throughput
//! on one core, beside a trivial byte scan of the same text in the same run.
//!
//! Generates about 50 MB of documents (half from the tuning templates, half from the test
//! templates), then times `scan` over every document three times, once with no names in the
//! context and once with the document's subject as a search would have it, and reports the
//! best run of each. The reference is the cheapest possible pass over the same bytes: counting
//! `@` (`str::matches`, which uses `memchr`, and a plain byte loop the compiler vectorises).
//!
//! Run with `cargo bench -p skydd-pii`. `SKYDD_PII_MB` changes the size;
//! `SKYDD_PII_CORPUS_OUT=path` also writes the corpus as JSON lines (`text`, `labels` with
//! `kind`, `start`, `end` in bytes, `template`, `split`, `language`, `names`), for other tools
//! to be measured on the same text, and `SKYDD_PII_FINDINGS_OUT=path` what `scan` found in each
//! document, one JSON line per document in the same order (`findings` with `kind`, `start`,
//! `end` in bytes), so another tool's scores can be set beside these on any subset of the
//! documents (`eval/run.sh` does, for Presidio). Prints tables; asserts nothing about time.

// A benchmark is a test program: a failed unwrap is a broken setup, reported by the panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::io::Write as _;
use std::time::{Duration, Instant};

use jiff::civil::date;
use skydd_pii::corpus::{Document, Generator, Split};
use skydd_pii::evaluation::Evaluation;
use skydd_pii::{Context, scan};

const RUNS: usize = 3;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// The best of `RUNS` timings of `pass` over all documents.
fn best(mut pass: impl FnMut() -> usize) -> (Duration, usize) {
    let mut fastest = Duration::MAX;
    let mut result = 0;
    for _ in 0..RUNS {
        let started = Instant::now();
        result = black_box(pass());
        fastest = fastest.min(started.elapsed());
    }
    (fastest, result)
}

fn main() {
    let megabytes = env_or("SKYDD_PII_MB", 50);
    let reference = date(2025, 6, 1);

    let started = Instant::now();
    let mut generator = Generator::new(0x5EED_0021, reference);
    let mut documents: Vec<Document> = Vec::new();
    let mut bytes = 0;
    while bytes < megabytes * 1_000_000 {
        let split = if documents.len().is_multiple_of(2) {
            Split::Tuning
        } else {
            Split::Test
        };
        let document = generator.next_document(split);
        bytes += document.text.len();
        documents.push(document);
    }
    let generated = started.elapsed();
    let contexts: Vec<Context> = documents
        .iter()
        .map(|d| {
            d.names
                .iter()
                .fold(Context::new(reference), |c, name| c.with_name(name))
        })
        .collect();
    let plain = Context::new(reference);

    if let Ok(path) = std::env::var("SKYDD_PII_CORPUS_OUT") {
        let file = std::fs::File::create(&path).unwrap();
        let mut out = std::io::BufWriter::new(file);
        for document in &documents {
            serde_json::to_writer(&mut out, document).unwrap();
            out.write_all(b"\n").unwrap();
        }
        out.flush().unwrap();
        println!("wrote {} documents to {path}", documents.len());
    }

    // Warm up.
    for (document, context) in documents.iter().zip(&contexts).take(10_000) {
        black_box(scan(&document.text, context));
    }

    let (with_names, found) = best(|| {
        documents
            .iter()
            .zip(&contexts)
            .map(|(d, c)| scan(black_box(&d.text), c).len())
            .sum()
    });
    let (without_names, _) = best(|| {
        documents
            .iter()
            .map(|d| scan(black_box(&d.text), &plain).len())
            .sum()
    });
    let (memchr, ats) = best(|| {
        documents
            .iter()
            .map(|d| black_box(&d.text).matches('@').count())
            .sum()
    });
    let (byte_loop, ats_too) = best(|| {
        documents
            .iter()
            .map(|d| {
                black_box(d.text.as_bytes())
                    .iter()
                    .filter(|&&b| b == b'@')
                    .count()
            })
            .sum()
    });
    assert_eq!(ats, ats_too);

    let mut test = Evaluation::new();
    let mut tuning = Evaluation::new();
    let mut findings_out = std::env::var("SKYDD_PII_FINDINGS_OUT").ok().map(|path| {
        (
            std::io::BufWriter::new(std::fs::File::create(&path).unwrap()),
            path,
        )
    });
    for (document, context) in documents.iter().zip(&contexts) {
        let findings = scan(&document.text, context);
        if let Some((out, _)) = &mut findings_out {
            let spans: Vec<_> = findings
                .iter()
                .map(|f| {
                    serde_json::json!({
                        "kind": f.kind,
                        "start": f.span.start,
                        "end": f.span.end,
                    })
                })
                .collect();
            serde_json::to_writer(&mut *out, &serde_json::json!({ "findings": spans })).unwrap();
            out.write_all(b"\n").unwrap();
        }
        match document.split {
            Split::Test => test.add(&findings, &document.labels),
            Split::Tuning => tuning.add(&findings, &document.labels),
        }
    }

    if let Some((mut out, path)) = findings_out {
        out.flush().unwrap();
        println!(
            "wrote the findings of {} documents to {path}",
            documents.len()
        );
    }

    let mb = bytes as f64 / 1e6;
    let per_minute = |d: Duration| mb / d.as_secs_f64() * 60.0;
    println!();
    println!(
        "scan: {} documents, {mb:.1} MB ({} labels, {found} findings), generated in {:.1} s; best of {RUNS} runs, one thread",
        documents.len(),
        documents.iter().map(|d| d.labels.len()).sum::<usize>(),
        generated.as_secs_f64()
    );
    println!();
    println!("Quality on the test templates (IoU ≥ 0.75):");
    println!();
    print!("{}", test.table());
    println!();
    println!("Quality on the tuning templates:");
    println!();
    print!("{}", tuning.table());
    println!();
    println!("| pass over the same text | time | MB/min per core | × target (100 MB/min) |");
    println!("|---|---:|---:|---:|");
    for (name, time) in [
        ("`scan`, the subject's name in the context", with_names),
        ("`scan`, no names", without_names),
        ("reference: count `@` with `str::matches` (memchr)", memchr),
        (
            "reference: count `@` in a byte loop (vectorised)",
            byte_loop,
        ),
    ] {
        println!(
            "| {name} | {:.3} s | {:.0} | {:.1} |",
            time.as_secs_f64(),
            per_minute(time),
            per_minute(time) / 100.0
        );
    }
    println!();
    println!(
        "`scan` with names takes {:.1}× the time of the memchr pass and {:.1}× the byte loop.",
        with_names.as_secs_f64() / memchr.as_secs_f64(),
        with_names.as_secs_f64() / byte_loop.as_secs_f64()
    );
}
