//! Memory of the decision facts kept in memory (issue 19): the vault's `FactCache` filled with
//! 1,000,000 subjects whose facts are built the way the vault builds them (from consent,
//! objection and preference events: about half consented to the newsletter, some withdrew, a
//! few objected or sent a browser signal, a tenth opted out of SMS, some restricted, a few of a
//! tenant). Prints the resident set size growth (`/proc/self/statm`), the bytes per cached
//! subject, whether 1,000,000 fit in 512 MiB, and the time of a look-up that hits, beside the
//! same facts in a plain `Vec` (the reference: what the facts themselves take). Asserts nothing.
//!
//! Run: `cargo bench -p skydd-vault --bench facts_memory`. `SKYDD_BENCH_SUBJECTS` changes the
//! count (default 1,000,000).

// A benchmark may panic on setup failure: that is its error report.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::hint::black_box;
use std::time::Instant;

use jiff::Timestamp;
use skydd_consent::{
    ConsentEvent, ConsentMethod, ConsentScope, ConsentState, ObjectionEvent, ObjectionSource,
    ObjectionState, Preference, PreferenceEvent, PreferenceState,
};
use skydd_decide::{Interner, SubjectFacts};
use skydd_register::model::{Channel, PurposeId};
use skydd_vault::FactCache;

/// SplitMix64: small and fast, enough to vary the subjects.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

fn at(day: i64) -> Timestamp {
    Timestamp::from_second(1_704_067_200 + day * 86_400).unwrap()
}

/// The resident set size of this process, from /proc (Linux only).
fn rss_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: usize = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

/// A subject id as the vault draws them: 32 lowercase hex digits.
fn subject_id(rng: &mut Rng) -> String {
    format!("{:016x}{:016x}", rng.next(), rng.next())
}

/// One subject's facts, built from ledger events as the vault builds them.
fn facts(id: &str, rng: &mut Rng, interner: &mut Interner) -> SubjectFacts {
    let consent = |purpose: &str, granted, day| ConsentEvent {
        scope: ConsentScope::Subject(id.to_owned()),
        purpose: PurposeId(purpose.to_owned()),
        granted,
        method: ConsentMethod::WebForm,
        notice_version: "2024-01-01".to_owned(),
        at: at(day),
        text_hash: None,
    };
    let mut consents = Vec::new();
    let mut objections = Vec::new();
    let mut preferences = Vec::new();
    if rng.chance(50) {
        consents.push(consent("newsletter", true, 10));
        if rng.chance(20) {
            consents.push(consent("newsletter", false, 40));
        }
    }
    if rng.chance(30) {
        consents.push(consent("website_statistics", rng.chance(80), 20));
    }
    if rng.chance(5) {
        objections.push(ObjectionEvent::raise(
            id,
            None,
            ObjectionSource::UnsubscribeLink,
            at(30),
        ));
    }
    if rng.chance(3) {
        objections.push(ObjectionEvent::gpc(id, at(31)));
    }
    if rng.chance(10) {
        preferences.push(PreferenceEvent {
            subject: id.to_owned(),
            preference: Preference::Channel(Channel::Sms),
            opted_in: false,
            method: ConsentMethod::WebForm,
            at: at(33),
        });
    }
    let mut facts = SubjectFacts::from_ledger(
        id,
        &ConsentState::from_events(&consents),
        &ObjectionState::from_events(&objections),
        &PreferenceState::from_events(&preferences),
        interner,
    );
    facts.set_restricted(rng.chance(2));
    if rng.chance(1) {
        facts.set_tenant(Some(interner.intern("tenant_a")));
    }
    facts
}

/// The allocator `skydd serve` runs with (`crates/skydd-cli/src/main.rs`): resident size
/// depends on it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let subjects: usize = std::env::var("SKYDD_BENCH_SUBJECTS")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(1_000_000);
    let mut interner = Interner::new();

    // The cache, measured first, in memory the process never used before.
    let cache = FactCache::new(subjects);
    let rss_before = rss_bytes();
    let mut rng = Rng(0x5EED);
    let mut ids = Vec::with_capacity(1000);
    let started = Instant::now();
    for i in 0..subjects {
        let id = subject_id(&mut rng);
        let built = facts(&id, &mut rng, &mut interner);
        cache.keep_subject(&id, built);
        if i % (subjects / 1000).max(1) == 0 {
            ids.push(id);
        }
    }
    let fill = started.elapsed();
    let growth = rss_bytes().saturating_sub(rss_before);
    // The sampled ids' own memory is a few tens of kB: noise at this size.
    let stats = cache.stats();
    assert_eq!(stats.subjects as usize, subjects, "every subject is kept");

    let lookups = 2_000_000;
    let started = Instant::now();
    let mut found = 0usize;
    for i in 0..lookups {
        if cache.subject_facts(&ids[i % ids.len()]).is_some() {
            found += 1;
        }
    }
    let lookup_ns = started.elapsed().as_nanos() as f64 / lookups as f64;
    assert_eq!(black_box(found), lookups);

    // The reference: the same facts in a plain Vec, measured the same way while the cache is
    // alive (so neither reuses memory the other freed).
    let rss_before = rss_bytes();
    let mut rng = Rng(0x5EED);
    let plain: Vec<SubjectFacts> = (0..subjects)
        .map(|_| {
            let id = subject_id(&mut rng);
            facts(&id, &mut rng, &mut interner)
        })
        .collect();
    let plain_growth = rss_bytes().saturating_sub(rss_before);

    black_box(&plain);
    let per_subject = growth as f64 / subjects as f64;
    let plain_per_subject = plain_growth as f64 / subjects as f64;
    let projected_mib = per_subject * 1_000_000.0 / (1024.0 * 1024.0);
    println!("Decisions from memory: {subjects} subjects in the vault's FactCache");
    println!();
    println!("| measure | value |");
    println!("|---|---|");
    println!(
        "| resident size growth, cache filled | {:.1} MiB |",
        growth as f64 / (1024.0 * 1024.0)
    );
    println!("| bytes per cached subject | {per_subject:.0} |");
    println!(
        "| reference: the same facts in a plain Vec | {:.1} MiB ({plain_per_subject:.0} B/subject) |",
        plain_growth as f64 / (1024.0 * 1024.0)
    );
    println!(
        "| cache overhead over the plain facts | {:.0} B/subject |",
        per_subject - plain_per_subject
    );
    println!("| 1,000,000 subjects projected | {projected_mib:.0} MiB |");
    println!(
        "| 1,000,000 fit in 512 MiB | {} |",
        if projected_mib < 512.0 { "yes" } else { "no" }
    );
    println!(
        "| fill time | {:.2} s ({:.0} ns/subject, building facts included) |",
        fill.as_secs_f64(),
        fill.as_nanos() as f64 / subjects as f64
    );
    println!("| look-up that hits | {lookup_ns:.0} ns |");
}
