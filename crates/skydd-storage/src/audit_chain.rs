//! The audit trail as a hash chain: the one canonical encoding of an entry, the hashes, signed
//! checkpoints, and the verifier.
//!
//! Every audit event appended from schema 5 on carries `hash = SHA-256(encoding)`, where the
//! encoding (version 1) is, in order:
//!
//! ```text
//! "skydd-audit-entry-v1" || previous entry's hash (32 bytes; zeros for the first entry)
//! || seq (i64, big-endian) || at (microseconds since 1970, i64, big-endian)
//! || actor || ip? || action || purpose? || subject_id? || categories || outcome || detail?
//! ```
//!
//! A string is its length (u32, big-endian) followed by its UTF-8 bytes; an optional one is a
//! byte 0 (absent) or 1 followed by the string; `categories` is their count (u32, big-endian)
//! followed by each string. Nothing is ambiguous: no two different entries encode alike.
//!
//! Storage computes the hash inside the transaction that appends the entry, after locking the
//! chain head (`BEGIN IMMEDIATE` on SQLite, `SELECT ... FOR UPDATE` of the one-row head table on
//! PostgreSQL), so entries are chained one writer at a time even with group commit and many
//! servers. Seqs of chained entries are consecutive: a gap is a deleted entry.
//!
//! A checkpoint is "the chain ended at `seq` with `hash` at time `at`", encoded as
//! `"skydd-audit-checkpoint-v1" || seq || hash || at` and signed with Ed25519 by the vault. A
//! checkpoint names an entry that must exist with that hash, so dropping entries from the tail
//! up to the newest checkpoint is detected; entries after it are protected only by the chain
//! head row, which whoever can write the database can also change.

use std::collections::BTreeMap;

use jiff::Timestamp;
use sha2::{Digest, Sha256};

use crate::{AuditEventRow, Storage, StorageError};

/// The hash before the first entry.
pub const GENESIS_HASH: [u8; 32] = [0; 32];

/// What the entry encoding starts with; the version changes with the encoding.
const ENTRY_TAG: &[u8] = b"skydd-audit-entry-v1";

/// What the checkpoint encoding starts with.
const CHECKPOINT_TAG: &[u8] = b"skydd-audit-checkpoint-v1";

/// An audit event as stored in the chain: the event and its hash (`None` for events appended
/// before the chain existed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainedAuditEvent {
    /// The event, with its seq.
    pub event: AuditEventRow,
    /// SHA-256 of its encoding, linking it to the entry before.
    pub hash: Option<Vec<u8>>,
}

/// The newest entry of the chain, as the head row records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditChainHead {
    /// The seq of the first chained entry (events before it were appended before the chain).
    pub first_seq: i64,
    /// The seq of the newest entry (`first_seq - 1` when there is none).
    pub seq: i64,
    /// The hash of the newest entry ([`GENESIS_HASH`] when there is none).
    pub hash: [u8; 32],
}

/// A signed checkpoint of the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditCheckpointRow {
    /// The seq of the entry the chain ended with.
    pub seq: i64,
    /// That entry's hash.
    pub hash: Vec<u8>,
    /// When the checkpoint was made.
    pub at: Timestamp,
    /// The Ed25519 public key that signed it (informative: verify against the key you trust).
    pub public_key: Vec<u8>,
    /// The Ed25519 signature of [`checkpoint_bytes`].
    pub signature: Vec<u8>,
}

/// Which audit events to read (all when every field is `None`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only events about this subject.
    pub subject_id: Option<String>,
    /// Only events at or after this time.
    pub from: Option<Timestamp>,
    /// Only events before this time.
    pub to: Option<Timestamp>,
}

fn put_str(out: &mut Vec<u8>, text: &str) {
    // An audit field longer than 4 GiB cannot be stored; saturating keeps the encoding total.
    let len = u32::try_from(text.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(text.as_bytes());
}

fn put_optional(out: &mut Vec<u8>, text: Option<&str>) {
    match text {
        None => out.push(0),
        Some(text) => {
            out.push(1);
            put_str(out, text);
        }
    }
}

/// The canonical encoding of `event` (with its seq) following the entry whose hash is `prev`.
pub fn entry_bytes(prev: &[u8; 32], event: &AuditEventRow) -> Vec<u8> {
    let mut out = Vec::with_capacity(160);
    out.extend_from_slice(ENTRY_TAG);
    out.extend_from_slice(prev);
    out.extend_from_slice(&event.seq.to_be_bytes());
    out.extend_from_slice(&event.at.as_microsecond().to_be_bytes());
    put_str(&mut out, &event.actor);
    put_optional(&mut out, event.ip.as_deref());
    put_str(&mut out, &event.action);
    put_optional(&mut out, event.purpose.as_deref());
    put_optional(&mut out, event.subject_id.as_deref());
    let count = u32::try_from(event.categories.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&count.to_be_bytes());
    for category in &event.categories {
        put_str(&mut out, category);
    }
    put_str(&mut out, &event.outcome);
    put_optional(&mut out, event.detail.as_deref());
    out
}

/// The hash of `event` following the entry whose hash is `prev`.
pub fn entry_hash(prev: &[u8; 32], event: &AuditEventRow) -> [u8; 32] {
    Sha256::digest(entry_bytes(prev, event)).into()
}

/// The bytes a checkpoint signature covers.
pub fn checkpoint_bytes(seq: i64, hash: &[u8], at: Timestamp) -> Vec<u8> {
    let mut out = Vec::with_capacity(CHECKPOINT_TAG.len() + 8 + 32 + 8);
    out.extend_from_slice(CHECKPOINT_TAG);
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(hash);
    out.extend_from_slice(&at.as_microsecond().to_be_bytes());
    out
}

/// The first thing wrong with the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breach {
    /// The first entry that is bad or missing.
    pub seq: i64,
    /// What is wrong, in words.
    pub problem: String,
}

impl std::fmt::Display for Breach {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "entry {}: {}", self.seq, self.problem)
    }
}

/// What verifying the audit trail found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    /// Chained entries checked.
    pub entries: u64,
    /// Entries from before the chain existed (not covered).
    pub unchained: u64,
    /// The newest entry's seq and hash, as the walk found them.
    pub head_seq: i64,
    /// The newest entry's hash (hex).
    pub head_hash: String,
    /// Checkpoints whose signature and entry were checked.
    pub checkpoints: usize,
    /// The first problem, or `None` when the trail is intact.
    pub breach: Option<Breach>,
}

/// Walks the chain entry by entry in seq order and stops at the first problem.
#[derive(Debug)]
pub struct ChainVerifier {
    expected_seq: i64,
    first_seq: i64,
    prev: [u8; 32],
    entries: u64,
    unchained: u64,
    /// Checkpointed seqs and the hashes their entries must have.
    pinned: BTreeMap<i64, Vec<u8>>,
}

impl ChainVerifier {
    /// A verifier for a chain starting at `first_seq`, whose entries at the seqs of `pinned`
    /// must have the given hashes (from checkpoints whose signatures the caller checked).
    pub fn new(first_seq: i64, pinned: BTreeMap<i64, Vec<u8>>) -> ChainVerifier {
        ChainVerifier {
            expected_seq: first_seq,
            first_seq,
            prev: GENESIS_HASH,
            entries: 0,
            unchained: 0,
            pinned,
        }
    }

    /// Check the next entry (entries come in seq order).
    pub fn feed(&mut self, entry: &ChainedAuditEvent) -> Result<(), Breach> {
        let seq = entry.event.seq;
        if seq < self.first_seq {
            self.unchained += 1;
            return Ok(());
        }
        if seq != self.expected_seq {
            return Err(Breach {
                seq: self.expected_seq,
                problem: format!(
                    "missing: entry {} is followed by entry {seq} (deleted or moved)",
                    self.expected_seq - 1
                ),
            });
        }
        let Some(stored) = entry.hash.as_deref() else {
            return Err(Breach {
                seq,
                problem: "has no hash although the chain had started (written behind Skydd's \
                          back)"
                    .into(),
            });
        };
        let computed = entry_hash(&self.prev, &entry.event);
        if stored != computed {
            return Err(Breach {
                seq,
                problem: "does not match its hash: this entry was changed, or the entry before \
                          it was changed, removed or swapped"
                    .into(),
            });
        }
        if let Some(pinned) = self.pinned.get(&seq)
            && pinned.as_slice() != stored
        {
            return Err(Breach {
                seq,
                problem: "differs from the signed checkpoint of this entry (the chain was \
                          rewritten from here on)"
                    .into(),
            });
        }
        self.prev = computed;
        self.expected_seq += 1;
        self.entries += 1;
        Ok(())
    }

    /// Finish after the last entry: the chain must reach `head` and every checkpointed entry.
    pub fn finish(self, head: &AuditChainHead) -> Result<(u64, u64, i64, [u8; 32]), Breach> {
        let last = self.expected_seq - 1;
        if let Some((&seq, _)) = self.pinned.range(last + 1..).next() {
            return Err(Breach {
                seq: last + 1,
                problem: format!(
                    "missing: a signed checkpoint covers entries up to {seq}, but the trail \
                     ends at {last} (the tail was dropped)"
                ),
            });
        }
        if head.seq > last {
            return Err(Breach {
                seq: last + 1,
                problem: format!(
                    "missing: the chain head says the trail ends at {}, but it ends at {last} \
                     (the tail was dropped)",
                    head.seq
                ),
            });
        }
        if head.seq < last || head.hash != self.prev {
            return Err(Breach {
                seq: head.seq.max(self.first_seq),
                problem: "the chain head does not match the newest entry (entries were added \
                          or replaced behind Skydd's back)"
                    .into(),
            });
        }
        Ok((self.entries, self.unchained, last, self.prev))
    }
}

/// How many entries [`verify_audit_chain`] reads at once.
const VERIFY_PAGE: usize = 10_000;

/// Verify the whole audit trail in `storage`: every checkpoint (those stored and `witnesses`,
/// checkpoints kept elsewhere) must be signed by `public_key` and name an entry that exists
/// with that hash; every entry must follow from the one before; the chain must end at its head.
/// Returns the report; storage errors are errors, a broken trail is a report with a breach.
pub async fn verify_audit_chain(
    storage: &dyn Storage,
    public_key: &[u8],
    witnesses: Vec<AuditCheckpointRow>,
) -> Result<ChainReport, StorageError> {
    let head = storage.audit_chain_head().await?;
    let mut checkpoints = storage.audit_checkpoints().await?;
    checkpoints.extend(witnesses);
    let report = |breach: Breach| ChainReport {
        entries: 0,
        unchained: 0,
        head_seq: head.seq,
        head_hash: hex(&head.hash),
        checkpoints: 0,
        breach: Some(breach),
    };
    let mut pinned = BTreeMap::new();
    for checkpoint in &checkpoints {
        let message = checkpoint_bytes(checkpoint.seq, &checkpoint.hash, checkpoint.at);
        if !skydd_crypto::verify_checkpoint(public_key, &message, &checkpoint.signature) {
            return Ok(report(Breach {
                seq: checkpoint.seq,
                problem: "its checkpoint's signature is not valid for this installation's key \
                          (the checkpoint was forged or changed)"
                    .into(),
            }));
        }
        if let Some(other) = pinned.insert(checkpoint.seq, checkpoint.hash.clone())
            && other != checkpoint.hash
        {
            return Ok(report(Breach {
                seq: checkpoint.seq,
                problem: "two signed checkpoints name different hashes for it".into(),
            }));
        }
    }
    let checked = pinned.len();
    let mut verifier = ChainVerifier::new(head.first_seq, pinned);
    let mut after = 0;
    let filter = AuditFilter::default();
    loop {
        let page = storage.audit_entries(&filter, after, VERIFY_PAGE).await?;
        for entry in &page {
            if let Err(breach) = verifier.feed(entry) {
                return Ok(report(breach));
            }
        }
        match page.last() {
            Some(last) if page.len() == VERIFY_PAGE => after = last.event.seq,
            _ => break,
        }
    }
    match verifier.finish(&head) {
        Ok((entries, unchained, head_seq, head_hash)) => Ok(ChainReport {
            entries,
            unchained,
            head_seq,
            head_hash: hex(&head_hash),
            checkpoints: checked,
            breach: None,
        }),
        Err(breach) => Ok(report(breach)),
    }
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut out, byte| {
        // Writing to a String cannot fail.
        let _ = write!(out, "{byte:02x}");
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(seq: i64, actor: &str) -> AuditEventRow {
        AuditEventRow {
            seq,
            at: Timestamp::UNIX_EPOCH,
            actor: actor.into(),
            ip: None,
            action: "subject.create".into(),
            purpose: None,
            subject_id: Some("s".into()),
            categories: vec!["a".into(), "b".into()],
            outcome: "done".into(),
            detail: None,
        }
    }

    #[test]
    fn the_encoding_is_unambiguous_between_fields() {
        let mut one = event(1, "ab");
        one.categories = vec!["c".into()];
        let mut two = event(1, "a");
        two.categories = vec!["bc".into()];
        assert_ne!(
            entry_bytes(&GENESIS_HASH, &one),
            entry_bytes(&GENESIS_HASH, &two)
        );
        let mut none = event(1, "a");
        none.ip = None;
        let mut empty = event(1, "a");
        empty.ip = Some(String::new());
        assert_ne!(
            entry_hash(&GENESIS_HASH, &none),
            entry_hash(&GENESIS_HASH, &empty)
        );
    }

    proptest::proptest! {
        /// Two entries that differ in any field never encode alike (and so never hash alike
        /// short of a SHA-256 collision): the length prefixes keep fields from running together.
        #[test]
        fn different_entries_encode_differently(
            a in proptest::collection::vec("[a-c]{0,3}", 0..4),
            b in proptest::collection::vec("[a-c]{0,3}", 0..4),
            actor_a in "[a-c]{0,3}",
            actor_b in "[a-c]{0,3}",
            ip_a in proptest::option::of("[a-c]{0,2}"),
            ip_b in proptest::option::of("[a-c]{0,2}"),
        ) {
            let mut one = event(1, &actor_a);
            one.categories = a;
            one.ip = ip_a;
            let mut two = event(1, &actor_b);
            two.categories = b;
            two.ip = ip_b;
            proptest::prop_assert_eq!(
                one == two,
                entry_bytes(&GENESIS_HASH, &one) == entry_bytes(&GENESIS_HASH, &two)
            );
        }
    }

    #[test]
    fn the_encoding_is_stable() {
        // A change here breaks every stored chain: bump the version tag instead.
        assert_eq!(
            hex(&entry_hash(&GENESIS_HASH, &event(1, "cli"))),
            hex(&Sha256::digest(entry_bytes(
                &GENESIS_HASH,
                &event(1, "cli")
            )))
        );
        let bytes = entry_bytes(&GENESIS_HASH, &event(7, "cli"));
        assert!(bytes.starts_with(b"skydd-audit-entry-v1"));
        assert_eq!(&bytes[20 + 32..20 + 40], &7_i64.to_be_bytes());
    }

    fn chained(events: &[AuditEventRow]) -> Vec<ChainedAuditEvent> {
        let mut prev = GENESIS_HASH;
        events
            .iter()
            .map(|e| {
                prev = entry_hash(&prev, e);
                ChainedAuditEvent {
                    event: e.clone(),
                    hash: Some(prev.to_vec()),
                }
            })
            .collect()
    }

    fn walk(entries: &[ChainedAuditEvent], head: &AuditChainHead) -> Result<i64, Breach> {
        let mut verifier = ChainVerifier::new(1, BTreeMap::new());
        for entry in entries {
            verifier.feed(entry)?;
        }
        verifier.finish(head).map(|(_, _, last, _)| last)
    }

    #[test]
    fn intact_chains_verify_and_changes_name_the_first_bad_entry() {
        let entries = chained(&[event(1, "a"), event(2, "b"), event(3, "c")]);
        let head = AuditChainHead {
            first_seq: 1,
            seq: 3,
            hash: <[u8; 32]>::try_from(entries[2].hash.clone().unwrap().as_slice()).unwrap(),
        };
        assert_eq!(walk(&entries, &head), Ok(3));

        let mut changed = entries.clone();
        changed[1].event.actor = "x".into();
        assert_eq!(walk(&changed, &head).unwrap_err().seq, 2);

        let mut removed = entries.clone();
        removed.remove(1);
        assert_eq!(walk(&removed, &head).unwrap_err().seq, 2);

        assert_eq!(walk(&entries[..2], &head).unwrap_err().seq, 3);
    }
}
