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
use std::sync::Arc;

use jiff::Timestamp;
use sha2::{Digest, Sha256};

use crate::{AuditEventRow, Storage, StorageError};

/// The hash before the first entry.
pub const GENESIS_HASH: [u8; 32] = [0; 32];

/// What the entry encoding starts with; the version changes with the encoding.
pub const ENTRY_TAG: &[u8] = b"skydd-audit-entry-v1";

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
    /// That entry's chain hash: the 32 bytes of a SHA-256.
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
    /// Only events by this actor, or by an actor it heads: `account:7f…` also finds that
    /// account's `account:7f…/session:…` entries (a whole `/`-separated leading part matches,
    /// never a partial word).
    pub actor: Option<String>,
    /// Only events of this action, or of the actions it heads: `request` finds `request.create`
    /// and `request.extend` (a whole `.`-separated leading part matches).
    pub action: Option<String>,
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

/// The fields of an audit entry as the encoding takes them, borrowed from wherever they are:
/// an [`AuditEventRow`], or a stretch of the trail as storage read it.
#[derive(Debug, Clone, Copy)]
pub struct EntryFields<'a, C> {
    /// Position in the trail.
    pub seq: i64,
    /// When the action happened; encoded in microseconds.
    pub at: Timestamp,
    /// Who did it (a token id, `cli:<user>`, `system`).
    pub actor: &'a str,
    /// The caller's IP address, if known.
    pub ip: Option<&'a str>,
    /// What was done.
    pub action: &'a str,
    /// For which purpose.
    pub purpose: Option<&'a str>,
    /// The id of the subject concerned, if any.
    pub subject_id: Option<&'a str>,
    /// The data categories, in the order given.
    pub categories: &'a [C],
    /// The outcome word (`done`, `allowed`, `denied:<code>` ...).
    pub outcome: &'a str,
    /// More about it, never a personal value.
    pub detail: Option<&'a str>,
}

impl<C: AsRef<str>> EntryFields<'_, C> {
    /// Append the encoding of these fields: everything after the previous entry's hash.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.at.as_microsecond().to_be_bytes());
        put_str(out, self.actor);
        put_optional(out, self.ip);
        put_str(out, self.action);
        put_optional(out, self.purpose);
        put_optional(out, self.subject_id);
        let count = u32::try_from(self.categories.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&count.to_be_bytes());
        for category in self.categories {
            put_str(out, category.as_ref());
        }
        put_str(out, self.outcome);
        put_optional(out, self.detail);
    }
}

impl AuditEventRow {
    /// The fields as the chain's encoding takes them.
    pub fn chain_fields(&self) -> EntryFields<'_, String> {
        EntryFields {
            seq: self.seq,
            at: self.at,
            actor: &self.actor,
            ip: self.ip.as_deref(),
            action: &self.action,
            purpose: self.purpose.as_deref(),
            subject_id: self.subject_id.as_deref(),
            categories: &self.categories,
            outcome: &self.outcome,
            detail: self.detail.as_deref(),
        }
    }
}

/// The canonical encoding of `event` (with its seq) following the entry whose hash is `prev`.
pub fn entry_bytes(prev: &[u8; 32], event: &AuditEventRow) -> Vec<u8> {
    let mut out = Vec::with_capacity(160);
    out.extend_from_slice(ENTRY_TAG);
    out.extend_from_slice(prev);
    event.chain_fields().encode(&mut out);
    out
}

/// The hash of `event` following the entry whose hash is `prev`.
pub fn entry_hash(prev: &[u8; 32], event: &AuditEventRow) -> [u8; 32] {
    Sha256::digest(entry_bytes(prev, event)).into()
}

/// The hash of the entry whose encoding after the previous hash is `tail`, following the entry
/// whose hash is `prev`.
pub fn link_hash(prev: &[u8; 32], tail: &[u8]) -> [u8; 32] {
    Sha256::new_with_prefix(ENTRY_TAG)
        .chain_update(prev)
        .chain_update(tail)
        .finalize()
        .into()
}

/// The hash stored with an entry, as the verifier needs to know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredHash {
    /// None: the entry was appended before the chain existed, or written behind Skydd's back.
    Missing,
    /// Something that is not 32 bytes long: matches no entry.
    Malformed,
    /// A SHA-256.
    Sha256([u8; 32]),
}

impl StoredHash {
    /// The stored value as read from a database column.
    pub fn from_column(stored: Option<&[u8]>) -> StoredHash {
        match stored {
            None => StoredHash::Missing,
            Some(bytes) => {
                <[u8; 32]>::try_from(bytes).map_or(StoredHash::Malformed, StoredHash::Sha256)
            }
        }
    }
}

/// One stretch of the audit chain as [`verify_audit_chain`] reads it: each entry's encoding
/// after the previous entry's hash, in one buffer, and the hash stored with it. Nothing here is
/// typed: verifying needs the bytes, not the events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChainLinks {
    encoded: Vec<u8>,
    links: Vec<(i64, usize, StoredHash)>,
}

impl ChainLinks {
    /// Room for `entries` entries of about 200 bytes.
    pub fn with_capacity(entries: usize) -> ChainLinks {
        ChainLinks {
            encoded: Vec::with_capacity(entries * 200),
            links: Vec::with_capacity(entries),
        }
    }

    /// Add the next entry (entries go in seq order).
    pub fn push<C: AsRef<str>>(&mut self, fields: &EntryFields<'_, C>, stored: StoredHash) {
        fields.encode(&mut self.encoded);
        self.links.push((fields.seq, self.encoded.len(), stored));
    }

    /// Add the next entry from a stored event.
    pub fn push_event(&mut self, entry: &ChainedAuditEvent) {
        self.push(
            &entry.event.chain_fields(),
            StoredHash::from_column(entry.hash.as_deref()),
        );
    }

    /// How many entries there are.
    pub fn len(&self) -> usize {
        self.links.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.links.is_empty()
    }

    /// Each entry's seq, encoding after the previous hash, and stored hash, in seq order.
    pub fn iter(&self) -> impl Iterator<Item = (i64, &[u8], StoredHash)> {
        let mut start = 0;
        self.links.iter().map(move |&(seq, end, stored)| {
            let tail = self.encoded.get(start..end).unwrap_or_default();
            start = end;
            (seq, tail, stored)
        })
    }
}

impl FromIterator<ChainedAuditEvent> for ChainLinks {
    fn from_iter<I: IntoIterator<Item = ChainedAuditEvent>>(entries: I) -> ChainLinks {
        let mut links = ChainLinks::default();
        for entry in entries {
            links.push_event(&entry);
        }
        links
    }
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
    pinned: Arc<BTreeMap<i64, Vec<u8>>>,
}

impl ChainVerifier {
    /// A verifier for a chain starting at `first_seq`, whose entries at the seqs of `pinned`
    /// must have the given hashes (from checkpoints whose signatures the caller checked).
    pub fn new(first_seq: i64, pinned: BTreeMap<i64, Vec<u8>>) -> ChainVerifier {
        ChainVerifier::after(first_seq, first_seq - 1, GENESIS_HASH, Arc::new(pinned))
    }

    /// A verifier for the entries after `after_seq` of a chain starting at `first_seq`, where
    /// `prev` is the hash stored with entry `after_seq` (ignored when that entry is before the
    /// chain). Checking entries `..=after_seq` is someone else's part: the stretches of a chain
    /// can be checked apart, because each entry is checked against the hash stored before it.
    pub fn after(
        first_seq: i64,
        after_seq: i64,
        prev: [u8; 32],
        pinned: Arc<BTreeMap<i64, Vec<u8>>>,
    ) -> ChainVerifier {
        ChainVerifier {
            expected_seq: (after_seq + 1).max(first_seq),
            first_seq,
            prev: if after_seq < first_seq {
                GENESIS_HASH
            } else {
                prev
            },
            entries: 0,
            unchained: 0,
            pinned,
        }
    }

    /// After the last entry of a stretch ending at `end` (not the chain's end: see
    /// [`ChainVerifier::finish`]): every chained entry up to `end` must have been fed.
    pub fn reach(&self, end: i64) -> Result<(), Breach> {
        if self.expected_seq <= end {
            return Err(Breach {
                seq: self.expected_seq,
                problem: format!(
                    "missing: entry {} is followed by none up to entry {end} (deleted or moved)",
                    self.expected_seq - 1
                ),
            });
        }
        Ok(())
    }

    /// Check the next entry (entries come in seq order).
    pub fn feed(&mut self, entry: &ChainedAuditEvent) -> Result<(), Breach> {
        let mut tail = Vec::with_capacity(160);
        entry.event.chain_fields().encode(&mut tail);
        self.feed_link(
            entry.event.seq,
            &tail,
            StoredHash::from_column(entry.hash.as_deref()),
        )
    }

    /// Check the next entry, given as its seq, its encoding after the previous hash and the
    /// hash stored with it (as [`ChainLinks::iter`] gives them).
    pub fn feed_link(&mut self, seq: i64, tail: &[u8], stored: StoredHash) -> Result<(), Breach> {
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
        let stored = match stored {
            StoredHash::Sha256(hash) => hash,
            StoredHash::Missing => {
                return Err(Breach {
                    seq,
                    problem: "has no hash although the chain had started (written behind \
                              Skydd's back)"
                        .into(),
                });
            }
            StoredHash::Malformed => {
                return Err(Breach {
                    seq,
                    problem: "does not match its hash: the stored hash is not a SHA-256 \
                              (changed behind Skydd's back)"
                        .into(),
                });
            }
        };
        let computed = link_hash(&self.prev, tail);
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

/// How [`verify_audit_chain_by`] splits the work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifyPlan {
    /// Entries per read from storage.
    pub read: i64,
    /// Stretches checked at once, each by its own task (fewer when the trail is short).
    pub parallel: usize,
}

impl Default for VerifyPlan {
    /// Reads of 10,000 entries; one stretch per available core, at most eight.
    fn default() -> VerifyPlan {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        VerifyPlan {
            read: 10_000,
            parallel: cores.min(8),
        }
    }
}

/// [`verify_audit_chain_by`] with the [`VerifyPlan::default`].
pub async fn verify_audit_chain(
    storage: Arc<dyn Storage>,
    public_key: &[u8],
    witnesses: Vec<AuditCheckpointRow>,
) -> Result<ChainReport, StorageError> {
    verify_audit_chain_by(storage, public_key, witnesses, VerifyPlan::default()).await
}

/// Verify the whole audit trail in `storage`: every checkpoint (those stored and `witnesses`,
/// checkpoints kept elsewhere) must be signed by `public_key` and name an entry that exists
/// with that hash; every entry must follow from the one before; the chain must end at its head,
/// with no entry stored after it. Returns the report; storage errors are errors, a broken trail
/// is a report with a breach naming the first bad entry.
///
/// The trail is checked up to the head read at the start (entries appended meanwhile are left
/// for the next run), in stretches read and hashed in parallel as `plan` says: each entry is
/// checked against the hash stored with the entry before it, so stretches need not wait for each
/// other, and all checks passing is the same as one walk from the start passing.
pub async fn verify_audit_chain_by(
    storage: Arc<dyn Storage>,
    public_key: &[u8],
    witnesses: Vec<AuditCheckpointRow>,
    plan: VerifyPlan,
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
    let pinned = Arc::new(pinned);

    // At least one full read per stretch.
    let read = plan.read.max(1);
    let reads = usize::try_from(head.seq / read).unwrap_or(usize::MAX);
    let stretches = i64::try_from(plan.parallel.min(reads).max(1)).unwrap_or(1);
    let per_stretch = (head.seq + stretches - 1) / stretches;
    let mut tasks = Vec::new();
    for k in 0..stretches {
        let after = k * per_stretch;
        let end = ((k + 1) * per_stretch).min(head.seq);
        tasks.push(tokio::spawn(verify_stretch(
            storage.clone(),
            head.first_seq,
            (after, end),
            read,
            pinned.clone(),
        )));
    }
    let mut entries = 0;
    let mut unchained = 0;
    let mut first_breach: Option<Breach> = None;
    let mut last = None;
    let count = tasks.len();
    for (k, task) in tasks.into_iter().enumerate() {
        let (verifier, breach) = task.await.map_err(|_| {
            StorageError::Database("a task verifying the audit trail failed".into())
        })??;
        entries += verifier.entries;
        unchained += verifier.unchained;
        let breach = match breach {
            Some(breach) => Some(breach),
            None if k + 1 < count => verifier.reach(((k as i64) + 1) * per_stretch).err(),
            None => {
                last = Some(verifier);
                None
            }
        };
        if let Some(breach) = breach
            && first_breach
                .as_ref()
                .is_none_or(|first| breach.seq < first.seq)
        {
            first_breach = Some(breach);
        }
    }
    if let Some(breach) = first_breach {
        return Ok(report(breach));
    }
    let Some(last) = last else {
        return Err(StorageError::Database(
            "the audit trail's verification lost its last stretch".into(),
        ));
    };
    // The counts are the sum over all stretches, taken above.
    let (_, _, head_seq, head_hash) = match last.finish(&head) {
        Ok(done) => done,
        Err(breach) => return Ok(report(breach)),
    };
    // Whatever was appended since the start came through Skydd when the head moved with it.
    let (now_head, stored_last) = storage.audit_chain_tip().await?;
    if now_head == head && stored_last > head.seq {
        return Ok(report(Breach {
            seq: head.seq + 1,
            problem: format!(
                "stored after the chain head (entries up to {stored_last} were added behind \
                 Skydd's back)"
            ),
        }));
    }
    Ok(ChainReport {
        entries,
        unchained,
        head_seq,
        head_hash: hex(&head_hash),
        checkpoints: checked,
        breach: None,
    })
}

/// Check the entries after `after` up to `end`: the verifier at the end of the stretch and the
/// first breach in it, if any.
async fn verify_stretch(
    storage: Arc<dyn Storage>,
    first_seq: i64,
    (after, end): (i64, i64),
    read: i64,
    pinned: Arc<BTreeMap<i64, Vec<u8>>>,
) -> Result<(ChainVerifier, Option<Breach>), StorageError> {
    // The entry before the stretch gives its stored hash; it is checked by the stretch before.
    let mut read_from = after;
    let mut prev = GENESIS_HASH;
    if after >= first_seq {
        let before = storage.audit_chain_links(after - 1, after).await?;
        // A missing or malformed hash there is the stretch before's breach, found at a lower
        // seq than any this one can report.
        if let Some((_, _, StoredHash::Sha256(hash))) = before.iter().next() {
            prev = hash;
        }
    }
    let mut verifier = ChainVerifier::after(first_seq, after, prev, pinned);
    // The next read runs (in storage, and decoding) while this one is hashed.
    let fetch = |from: i64| {
        let storage = storage.clone();
        let up_to = (from + read).min(end);
        (
            up_to,
            tokio::spawn(async move { storage.audit_chain_links(from, up_to).await }),
        )
    };
    let mut pending = (read_from < end).then(|| fetch(read_from));
    while let Some((up_to, task)) = pending.take() {
        let links = task.await.map_err(|_| {
            StorageError::Database("a task reading the audit trail failed".into())
        })??;
        read_from = up_to;
        pending = (read_from < end).then(|| fetch(read_from));
        for (seq, tail, stored) in links.iter() {
            if let Err(breach) = verifier.feed_link(seq, tail, stored) {
                if let Some((_, task)) = pending {
                    task.abort();
                }
                return Ok((verifier, Some(breach)));
            }
        }
    }
    Ok((verifier, None))
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

        /// Entries packed into [`ChainLinks`] hash as they do one by one, and a verifier fed
        /// links agrees with one fed events.
        #[test]
        fn links_hash_as_entries_do(
            actors in proptest::collection::vec("[a-zå\"\\\\]{0,6}", 1..8),
            cut in 0usize..8,
        ) {
            let mut prev = GENESIS_HASH;
            let mut entries = Vec::new();
            for (n, actor) in actors.iter().enumerate() {
                let mut e = event(i64::try_from(n).unwrap_or(0) + 1, actor);
                e.categories = actors[..n].to_vec();
                let hash = entry_hash(&prev, &e);
                prev = hash;
                entries.push(ChainedAuditEvent { event: e, hash: Some(hash.to_vec()) });
            }
            // One changed entry, for both to find.
            let cut = cut % entries.len();
            entries[cut].event.outcome.push('!');
            let links: ChainLinks = entries.iter().cloned().collect();
            proptest::prop_assert_eq!(links.len(), entries.len());
            let mut by_entry = ChainVerifier::new(1, BTreeMap::new());
            let mut by_link = ChainVerifier::new(1, BTreeMap::new());
            let one: Vec<_> = entries.iter().map(|e| by_entry.feed(e)).collect();
            let two: Vec<_> = links.iter().map(|(seq, tail, stored)| by_link.feed_link(seq, tail, stored)).collect();
            proptest::prop_assert_eq!(&one, &two);
            proptest::prop_assert!(one[cut].is_err());
            proptest::prop_assert!(one[..cut].iter().all(Result::is_ok));
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
