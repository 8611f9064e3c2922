//! Following the change log of decision facts (migration 13, issue 19): what other servers and
//! `skydd` commands changed is forgotten here, so the next decision reads it.
//!
//! Every write of a subject's or an organisation's decision facts, or of an API token, adds a
//! row to `fact_changes` in its own transaction, whoever writes. The follower ([`Follower`],
//! run by [`crate::Jobs`]) reads the rows after its cursor every [`POLL_INTERVAL`], and at once
//! when PostgreSQL notifies a commit, and forgets what they name in the app's caches. So a
//! change made elsewhere answers decisions here **within 1 s** (the poll interval plus a read;
//! a few milliseconds with PostgreSQL's `LISTEN`), and a change made by this server's vault
//! answers at once (the vault forgets before the write returns).
//!
//! Sequence numbers are taken at insert, not at commit (PostgreSQL), so seq 10 can become
//! visible after seq 11: the cursor ([`ChangeCursor`]) remembers the seqs it jumped over as
//! gaps and keeps reading from the oldest one until it fills, or gives it up after
//! [`GAP_LIMIT`] (a rolled-back transaction leaves a gap that never fills). When the log was
//! pruned past the cursor, the follower cannot know what it missed and forgets everything.
//! Now and then it prunes the log itself, keeping the newest [`KEPT_ROWS`] rows and never
//! reaching a gap it still waits for.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use skydd_storage::{FactChangeListener, FactChangeRow, StorageError};

use crate::services::App;

/// How often the follower reads the change log without a notification.
pub const POLL_INTERVAL: Duration = Duration::from_millis(250);
/// How long a gap in the seqs is waited for before it is given up.
pub const GAP_LIMIT: Duration = Duration::from_secs(5);
/// How many of the newest rows pruning keeps.
pub const KEPT_ROWS: i64 = 100_000;
/// How often the follower prunes the log.
const PRUNE_INTERVAL: Duration = Duration::from_secs(60);
/// Rows read per query.
const PAGE: usize = 1_000;
/// How far back of the newest row a follower starts: rows a transaction in flight at start
/// adds below the newest are still seen (forgetting what is not kept costs nothing).
const START_MARGIN: i64 = 1_000;
/// The most gaps waited for at once; beyond, the oldest are given up.
const MAX_GAPS: usize = 10_000;

/// Where a follower of the change log is: every seq below `next` was seen, except the open
/// gaps, each with the time it was first missed. Pure: time is a parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeCursor {
    next: i64,
    gaps: BTreeMap<i64, Instant>,
}

impl ChangeCursor {
    /// A cursor that has seen every seq up to `seq`.
    pub fn after(seq: i64) -> ChangeCursor {
        ChangeCursor {
            next: seq.saturating_add(1),
            gaps: BTreeMap::new(),
        }
    }

    /// The seq to read after: just below the oldest open gap, else the last seen.
    pub fn read_after(&self) -> i64 {
        match self.gaps.keys().next() {
            Some(gap) => gap - 1,
            None => self.next - 1,
        }
    }

    /// The oldest seq still waited for, if any.
    pub fn oldest_gap(&self) -> Option<i64> {
        self.gaps.keys().next().copied()
    }

    /// Every seq below this one was seen or is an open gap.
    pub fn next(&self) -> i64 {
        self.next
    }

    /// A row with `seq` was read at `now`: whether it is new (its change must be applied) or
    /// was seen before. Seqs jumped over become gaps.
    pub fn see(&mut self, seq: i64, now: Instant) -> bool {
        if seq >= self.next {
            // Only the newest `MAX_GAPS` of the seqs jumped over can be kept; starting there
            // also bounds the loop when the jump is huge (older ones would be given up at once).
            let kept_from = self.next.max(seq.saturating_sub(MAX_GAPS as i64));
            for missing in kept_from..seq {
                self.gaps.insert(missing, now);
                if self.gaps.len() > MAX_GAPS {
                    self.gaps.pop_first();
                }
            }
            self.next = seq + 1;
            true
        } else {
            self.gaps.remove(&seq).is_some()
        }
    }

    /// Give up the gaps first missed `limit` or longer before `now`; returns how many.
    pub fn expire(&mut self, now: Instant, limit: Duration) -> usize {
        let before = self.gaps.len();
        self.gaps
            .retain(|_, missed| now.saturating_duration_since(*missed) < limit);
        before - self.gaps.len()
    }

    /// The log was pruned through `pruned_through` and rows were read after `read_from`:
    /// whether changes may have been missed (rows above `read_from` or an open gap were
    /// pruned). The cursor then moves past the pruned rows and their gaps.
    pub fn skip_pruned(&mut self, pruned_through: i64, read_from: i64) -> bool {
        let gap_pruned = self.oldest_gap().is_some_and(|gap| gap <= pruned_through);
        if !gap_pruned && pruned_through <= read_from {
            return false;
        }
        self.gaps.retain(|seq, _| *seq > pruned_through);
        self.next = self.next.max(pruned_through + 1);
        true
    }
}

/// Forget what `change` names in `app`'s caches.
fn forget(app: &App, change: &FactChangeRow) {
    match change.kind.as_str() {
        "subject" => app.fact_cache().forget_subject(&change.key),
        "organisation" => app.fact_cache().forget_organisation(&change.key),
        "token" => app.token_cache().forget(&change.key),
        // A kind a newer Skydd writes: forget everything rather than guess.
        _ => forget_everything(app),
    }
}

fn forget_everything(app: &App) {
    app.fact_cache().clear();
    app.token_cache().clear();
}

/// What one round read.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct FollowRound {
    /// Changes applied (forgotten) this round.
    pub applied: usize,
    /// Whether everything was forgotten because the log was pruned past the cursor.
    pub cleared: bool,
}

/// The follower of one app: its cursor, its listener (PostgreSQL) and when it last pruned.
pub struct Follower {
    app: App,
    cursor: ChangeCursor,
    listener: Option<FactChangeListener>,
    pruned_at: Instant,
}

impl Follower {
    /// A follower of `app`'s database starting near the log's newest row; listening for
    /// notifications when `listen` and the backend has them.
    pub async fn start(app: App, listen: bool) -> Result<Follower, StorageError> {
        let listener = match listen {
            true => app.storage.listen_fact_changes().await?,
            false => None,
        };
        let bounds = app.storage.fact_changes_bounds().await?;
        let start = (bounds.newest - START_MARGIN).max(bounds.pruned_through);
        Ok(Follower {
            app,
            cursor: ChangeCursor::after(start),
            listener,
            pruned_at: Instant::now(),
        })
    }

    /// Read the log after the cursor, forget what it names, give up old gaps, and prune now
    /// and then.
    pub async fn round(&mut self) -> Result<FollowRound, StorageError> {
        let storage = self.app.storage.clone();
        let read_from = self.cursor.read_after();
        let mut after = read_from;
        let mut round = FollowRound::default();
        loop {
            let page = storage.fact_changes_after(after, PAGE).await?;
            let now = Instant::now();
            for change in &page {
                if self.cursor.see(change.seq, now) {
                    forget(&self.app, change);
                    round.applied += 1;
                }
            }
            match page.last() {
                Some(last) if page.len() == PAGE => after = last.seq,
                _ => break,
            }
        }
        let bounds = storage.fact_changes_bounds().await?;
        if self.cursor.skip_pruned(bounds.pruned_through, read_from) {
            tracing::warn!(
                pruned_through = bounds.pruned_through,
                "the change log was pruned past what this server read; forgot every decision fact"
            );
            forget_everything(&self.app);
            round.cleared = true;
        }
        self.cursor.expire(Instant::now(), GAP_LIMIT);
        if self.pruned_at.elapsed() >= PRUNE_INTERVAL {
            self.pruned_at = Instant::now();
            let mut up_to = bounds.newest - KEPT_ROWS;
            if let Some(gap) = self.cursor.oldest_gap() {
                up_to = up_to.min(gap - 1);
            }
            if up_to > bounds.pruned_through {
                storage.prune_fact_changes(up_to).await?;
            }
        }
        Ok(round)
    }

    /// Wait until the next round is due: [`POLL_INTERVAL`], or a notification before it.
    pub async fn wait(&self) {
        match &self.listener {
            Some(listener) => {
                let _ = tokio::time::timeout(POLL_INTERVAL, listener.changed()).await;
            }
            None => tokio::time::sleep(POLL_INTERVAL).await,
        }
    }

    /// Run rounds until dropped, logging failures (and retrying at the next round).
    pub async fn run(mut self) {
        loop {
            if let Err(error) = self.round().await {
                tracing::warn!(%error, "cannot read the change log; retrying");
            }
            self.wait().await;
        }
    }
}

/// Start following `app`'s change log (see [`Follower`]); retried every second until the log
/// can be read.
pub(crate) async fn follow(app: App, listen: bool) {
    let follower = loop {
        match Follower::start(app.clone(), listen).await {
            Ok(follower) => break follower,
            Err(error) => {
                tracing::warn!(%error, "cannot start following the change log; retrying in 1 s");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    };
    follower.run().await;
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Commit `order` (a permutation of 1..=n) one row at a time, polling after every
    /// `poll_every` commits with pages of `page` rows, and return how often each seq was
    /// applied.
    fn follow_commits(order: &[i64], poll_every: usize, page: usize) -> BTreeMap<i64, usize> {
        let start = Instant::now();
        let mut visible: Vec<i64> = Vec::new();
        let mut cursor = ChangeCursor::after(0);
        let mut applied: BTreeMap<i64, usize> = BTreeMap::new();
        let mut poll = |visible: &[i64], cursor: &mut ChangeCursor| {
            let mut after = cursor.read_after();
            loop {
                let rows: Vec<i64> = visible
                    .iter()
                    .copied()
                    .filter(|s| *s > after)
                    .take(page)
                    .collect();
                for seq in &rows {
                    if cursor.see(*seq, start) {
                        *applied.entry(*seq).or_default() += 1;
                    }
                }
                match rows.last() {
                    Some(last) if rows.len() == page => after = *last,
                    _ => break,
                }
            }
            // Time stands still: no gap is given up.
            cursor.expire(start, GAP_LIMIT);
        };
        for (n, seq) in order.iter().enumerate() {
            visible.push(*seq);
            visible.sort_unstable();
            if n % poll_every == 0 {
                poll(&visible, &mut cursor);
            }
        }
        poll(&visible, &mut cursor);
        applied
    }

    proptest! {
        #[test]
        fn every_change_is_applied_exactly_once_whatever_the_commit_order(
            order in (1usize..60).prop_flat_map(|n| Just((1..=n as i64).collect::<Vec<_>>()).prop_shuffle()),
            poll_every in 1usize..5,
            page in 1usize..8,
        ) {
            let applied = follow_commits(&order, poll_every, page);
            prop_assert_eq!(applied.len(), order.len());
            prop_assert!(applied.values().all(|times| *times == 1), "{:?}", applied);
        }

        #[test]
        fn a_gap_older_than_the_limit_is_given_up(
            missing in 2i64..20,
            waited in 0u64..10_000,
        ) {
            let start = Instant::now();
            let mut cursor = ChangeCursor::after(0);
            for seq in 1..=20 {
                if seq != missing {
                    cursor.see(seq, start);
                }
            }
            prop_assert_eq!(cursor.read_after(), missing - 1);
            let later = start + Duration::from_millis(waited);
            let given_up = cursor.expire(later, GAP_LIMIT);
            if Duration::from_millis(waited) >= GAP_LIMIT {
                prop_assert_eq!(given_up, 1);
                prop_assert_eq!(cursor.read_after(), 20);
            } else {
                prop_assert_eq!(given_up, 0);
                prop_assert_eq!(cursor.read_after(), missing - 1);
                // The late row is still applied once when it commits.
                prop_assert!(cursor.see(missing, later));
                prop_assert!(!cursor.see(missing, later));
                prop_assert_eq!(cursor.read_after(), 20);
            }
        }
    }

    #[test]
    fn pruning_past_the_cursor_or_a_gap_is_noticed() {
        let now = Instant::now();
        let mut cursor = ChangeCursor::after(10);
        assert!(!cursor.skip_pruned(10, 10), "pruned through what was read");
        assert!(cursor.skip_pruned(15, 10));
        assert_eq!(cursor.read_after(), 15);
        let mut cursor = ChangeCursor::after(10);
        cursor.see(14, now);
        assert_eq!(cursor.oldest_gap(), Some(11));
        assert!(cursor.skip_pruned(12, 14), "a gap waited for was pruned");
        assert_eq!(cursor.oldest_gap(), Some(13));
    }

    #[test]
    fn a_huge_jump_keeps_only_the_newest_gaps() {
        let now = Instant::now();
        let mut cursor = ChangeCursor::after(0);
        // Without the bound this would walk a trillion seqs.
        assert!(cursor.see(1_000_000_000_000, now));
        assert_eq!(cursor.next(), 1_000_000_000_001);
        assert_eq!(
            cursor.oldest_gap(),
            Some(1_000_000_000_000 - MAX_GAPS as i64)
        );
        assert!(cursor.see(999_999_999_999, now), "a kept gap fills");
        assert!(
            !cursor.see(5, now),
            "a seq below the kept gaps was given up"
        );
    }
}
