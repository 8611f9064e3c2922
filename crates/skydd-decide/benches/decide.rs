//! `decide` in-process over one million subjects.
//!
//! Builds the facts of 1,000,000 subjects of the PartnerSec example register from ledger events (a
//! mix of consents, withdrawals, objections, browser signals, channel opt-outs, restrictions and
//! tenants, in 10,000 organisations, some of which consented to the use of traffic data), warms
//! up, then times decisions about random subjects for random purpose × category pairs of the
//! register (some with a channel, some about a record with retention anchors, a few unknown ids).
//!
//! Run with `cargo bench -p skydd-decide`. `SKYDD_BENCH_SUBJECTS` and `SKYDD_BENCH_CALLS` change
//! the sizes. Prints a table; asserts nothing about time.

// A benchmark is a test program: a failed unwrap is a broken setup, reported by the panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use skydd_consent::{
    ConsentEvent, ConsentMethod, ConsentScope, ConsentState, ObjectionEvent, ObjectionSource,
    ObjectionState, Preference, PreferenceEvent, PreferenceState,
};
use skydd_decide::{
    Decision, DecisionRequest, Interner, Policy, RecordFacts, ScopeFacts, SubjectFacts,
};
use skydd_register::model::{Channel, PurposeId};

/// SplitMix64: small, fast, good enough to pick subjects and requests.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn at(day: i64) -> Timestamp {
    Timestamp::from_second(1_704_067_200 + day * 86_400).unwrap() // 2024-01-01 + days
}

/// The resident set size of this process, from /proc (Linux only).
fn rss_bytes() -> Option<usize> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: usize = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// One subject's ledger events, as the vault would load them.
fn subject_events(
    id: &str,
    rng: &mut Rng,
) -> (Vec<ConsentEvent>, Vec<ObjectionEvent>, Vec<PreferenceEvent>) {
    let mut consents = Vec::new();
    let mut objections = Vec::new();
    let mut preferences = Vec::new();
    let consent = |purpose: &str, granted, day, version: &str| ConsentEvent {
        scope: ConsentScope::Subject(id.to_owned()),
        purpose: PurposeId(purpose.to_owned()),
        granted,
        method: ConsentMethod::WebForm,
        notice_version: version.to_owned(),
        at: at(day),
        text_hash: None,
    };
    if rng.chance(50) {
        consents.push(consent("newsletter", true, 10, "2024-01-01"));
        if rng.chance(20) {
            consents.push(consent("newsletter", false, 40, "2024-01-01"));
        }
    }
    if rng.chance(30) {
        consents.push(consent(
            "website_statistics",
            rng.chance(80),
            20,
            "2024-02-01",
        ));
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
    if rng.chance(2) {
        objections.push(ObjectionEvent::raise(
            id,
            Some(PurposeId("service_communication".into())),
            ObjectionSource::Request,
            at(32),
        ));
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
    (consents, objections, preferences)
}

struct Workload {
    subject: usize,
    request: DecisionRequest<'static>,
    record: Option<usize>,
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn main() {
    let subjects_n = env_or("SKYDD_BENCH_SUBJECTS", 1_000_000);
    let calls = env_or("SKYDD_BENCH_CALLS", 5_000_000);
    let organisations = 10_000;
    let register =
        skydd_register::check(include_str!("../../../examples/registers/partnersec.yaml"))
            .register
            .unwrap();

    let started = Instant::now();
    let policy = Policy::compile(&register);
    let compile_time = started.elapsed();

    // Pairs the register declares (leaked once: the workload borrows them for the whole run).
    let mut pairs: Vec<(&'static str, &'static str, bool)> = Vec::new();
    for purpose in &register.purposes {
        for category in purpose.data_categories() {
            let p: &'static str = Box::leak(purpose.id.as_str().to_owned().into_boxed_str());
            let c: &'static str = Box::leak(category.as_str().to_owned().into_boxed_str());
            pairs.push((p, c, purpose.direct_marketing));
        }
    }

    // Facts for every subject, built the way the vault would: states from events, then facts.
    let rss_before = rss_bytes();
    let mut rng = Rng(0x5EED);
    let mut interner = Interner::new();
    let started = Instant::now();
    let mut facts: Vec<SubjectFacts> = Vec::with_capacity(subjects_n);
    for i in 0..subjects_n {
        let id = format!("s{i}");
        let (consents, objections, preferences) = subject_events(&id, &mut rng);
        let mut subject = SubjectFacts::from_ledger(
            &id,
            &ConsentState::from_events(&consents),
            &ObjectionState::from_events(&objections),
            &PreferenceState::from_events(&preferences),
            &mut interner,
        );
        subject.set_restricted(rng.chance(2));
        if rng.chance(1) {
            subject.set_tenant(Some(interner.intern("tenant_a")));
        }
        let organisation = format!("org{}", rng.below(organisations));
        subject.set_organisation(Some(interner.intern(&organisation)), None);
        facts.push(subject);
    }
    let mut scopes = ScopeFacts::new();
    for o in 0..organisations {
        let organisation = format!("org{o}");
        for (purpose, percent) in [("service_development", 50), ("marketing", 30)] {
            if rng.chance(percent) {
                let event = ConsentEvent {
                    scope: ConsentScope::Organisation(organisation.clone()),
                    purpose: PurposeId(purpose.into()),
                    granted: rng.chance(90),
                    method: ConsentMethod::Admin,
                    notice_version: "2024-01-01".into(),
                    at: at(5),
                    text_hash: None,
                };
                scopes.set_consent_event(&event, &mut interner);
            }
        }
    }
    let build_time = started.elapsed();
    let rss_after = rss_bytes();
    let estimated: usize = facts.iter().map(SubjectFacts::memory_bytes).sum::<usize>()
        + (facts.capacity() - facts.len()) * std::mem::size_of::<SubjectFacts>()
        + interner.heap_bytes();

    // Records: a pool per category, with anchors in the past, future or not yet happened.
    let mut records: Vec<RecordFacts> = Vec::new();
    let mut records_by_category: Vec<(&str, Vec<usize>)> = Vec::new();
    for category in &register.data {
        let mut indexes = Vec::new();
        for _ in 0..64 {
            let mut record =
                RecordFacts::new(category.id.as_str(), at(rng.below(900) as i64 - 600));
            for event in [
                "contract_end",
                "invoice_paid",
                "last_contact",
                "financial_year_end",
            ] {
                if rng.chance(40) {
                    record = record.with_anchor(event, at(rng.below(900) as i64 - 600));
                }
            }
            indexes.push(records.len());
            records.push(record);
        }
        records_by_category.push((
            Box::leak(category.id.as_str().to_owned().into_boxed_str()),
            indexes,
        ));
    }

    // The workload, drawn before timing.
    let channels = [Channel::Email, Channel::Sms, Channel::Post, Channel::Push];
    let workload: Vec<Workload> = (0..calls)
        .map(|_| {
            let subject = rng.below(facts.len());
            let mut request = if rng.chance(1) {
                DecisionRequest::new("not_a_purpose", "user_data")
            } else {
                let (purpose, category, marketing) = pairs[rng.below(pairs.len())];
                let mut request = DecisionRequest::new(purpose, category);
                if marketing && rng.chance(70) {
                    request = request.with_channel(channels[rng.below(channels.len())]);
                }
                request
            };
            if rng.chance(5) {
                request = request.in_organisation("org1");
            }
            let record = if rng.chance(30) {
                records_by_category
                    .iter()
                    .find(|(c, _)| *c == request.category)
                    .map(|(_, pool)| pool[rng.below(pool.len())])
            } else {
                None
            };
            Workload {
                subject,
                request,
                record,
            }
        })
        .collect();
    let now = at(200);

    let run = |w: &Workload| -> Decision {
        policy.decide(
            &w.request,
            &facts[w.subject],
            &scopes,
            w.record.map(|r| &records[r]),
            now,
        )
    };

    // Warm up: caches, branch predictors, page faults.
    for w in workload.iter().take(1_000_000.min(calls)) {
        black_box(run(black_box(w)));
    }

    // Throughput: all calls back to back, no timer per call.
    let started = Instant::now();
    let mut allowed = 0usize;
    for w in &workload {
        allowed += usize::from(black_box(run(black_box(w))).is_allowed());
    }
    let total = started.elapsed();

    // Latency: each call timed on its own (includes the cost of reading the clock twice).
    let mut samples: Vec<u64> = Vec::with_capacity(calls);
    let mut by_kind: [Vec<u64>; 4] = Default::default();
    let mut codes = std::collections::BTreeMap::<&str, usize>::new();
    for w in &workload {
        let start = Instant::now();
        let decision = black_box(run(black_box(w)));
        let elapsed = start.elapsed().as_nanos() as u64;
        samples.push(elapsed);
        let code = decision.deny_code().map_or("allow", |c| c.as_str());
        *codes.entry(code).or_default() += 1;
        by_kind[usize::from(decision.is_allowed())].push(elapsed);
        by_kind[2 + usize::from(w.record.is_some())].push(elapsed);
    }
    for kind in &mut by_kind {
        kind.sort_unstable();
    }
    let mut overhead: Vec<u64> = (0..1_000_000)
        .map(|_| {
            let start = Instant::now();
            black_box(());
            start.elapsed().as_nanos() as u64
        })
        .collect();
    overhead.sort_unstable();
    samples.sort_unstable();

    let mean = total.as_nanos() as f64 / calls as f64;
    let mib = |bytes: usize| bytes as f64 / (1024.0 * 1024.0);
    let rss = match (rss_before, rss_after) {
        (Some(before), Some(after)) => format!("{:.0} MiB", mib(after.saturating_sub(before))),
        _ => "n/a".to_owned(),
    };
    let per_subject = |d: Duration| d.as_nanos() as f64 / subjects_n as f64;

    println!();
    println!(
        "decide: PartnerSec register, {subjects_n} subjects, {organisations} organisations, {calls} calls, one thread"
    );
    println!();
    println!("| measure | value |");
    println!("|---|---|");
    println!(
        "| median per call (timed singly) | {} ns |",
        percentile(&samples, 0.50)
    );
    println!("| p90 per call | {} ns |", percentile(&samples, 0.90));
    println!("| p99 per call | {} ns |", percentile(&samples, 0.99));
    println!("| p99.9 per call | {} ns |", percentile(&samples, 0.999));
    for (name, kind) in ["denied", "allowed", "without a record", "with a record"]
        .iter()
        .zip(&by_kind)
    {
        if !kind.is_empty() {
            println!(
                "| median / p99, {name} ({:.0} % of calls) | {} / {} ns |",
                100.0 * kind.len() as f64 / calls as f64,
                percentile(kind, 0.50),
                percentile(kind, 0.99)
            );
        }
    }
    println!(
        "| timer overhead (median of an empty timed block) | {} ns |",
        percentile(&overhead, 0.50)
    );
    println!("| mean per call (back to back, no timer) | {mean:.0} ns |");
    println!("| calls/s (back to back) | {:.0} |", 1e9 / mean);
    println!(
        "| allowed | {:.1} % |",
        100.0 * allowed as f64 / calls as f64
    );
    println!(
        "| facts memory, estimated | {:.0} MiB ({:.0} B/subject) |",
        mib(estimated),
        estimated as f64 / subjects_n as f64
    );
    println!("| facts memory, resident set growth | {rss} |");
    println!(
        "| building facts from events | {:.2} s ({:.0} ns/subject) |",
        build_time.as_secs_f64(),
        per_subject(build_time)
    );
    println!(
        "| compiling the register | {} µs |",
        compile_time.as_micros()
    );
    println!();
    println!("| outcome | share |");
    println!("|---|---|");
    for (code, count) in codes {
        println!("| {code} | {:.2} % |", 100.0 * count as f64 / calls as f64);
    }
}
