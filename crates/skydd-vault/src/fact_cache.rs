//! The decision facts kept in memory (issue 19): per subject what a decision needs (its
//! [`SubjectFacts`], which carry its tenant and restriction; a subject that does not exist is
//! not kept, so one created elsewhere is found), per organisation its [`ScopeFacts`], bounded and
//! evicting the least recently used, so that a decision after a warm-up reads no database.
//!
//! The vault forgets a subject or an organisation after every write of its own that changes
//! their facts ([`crate::Vault::facts_changed`]), before the write returns; the app's follower of
//! the change log (migration 13) forgets what other servers and processes changed. A load from
//! the ledgers that began before a forget of the same shard does not store what it read: every
//! shard counts its forgets (its generation), a miss hands out the count it saw, and an insert
//! is dropped when the count moved meanwhile. So a value read before a write committed can
//! never outlive the forget that follows that write.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use skydd_decide::{ScopeFacts, SubjectFacts};

/// How many subjects a cache keeps unless the app says otherwise.
pub const DEFAULT_CACHED_SUBJECTS: usize = 1_000_000;

/// How many organisations (each with the projects asked about) a cache keeps.
const CACHED_ORGANISATIONS: usize = 10_000;

/// Shards of the subject table: enough that two cores rarely wait for each other.
const MAX_SHARDS: usize = 64;

/// A snapshot of a shard's generation taken at a miss: what [`FactCache`]'s inserts check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ticket(u64);

/// The counters `/metrics` shows: no ids, only totals since the cache was made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FactCacheStats {
    /// Look-ups answered from memory.
    pub hits: u64,
    /// Look-ups that had to read the ledgers.
    pub misses: u64,
    /// Entries dropped to stay within the bound.
    pub evictions: u64,
    /// Subjects kept now.
    pub subjects: u64,
    /// Organisations kept now.
    pub organisations: u64,
}

/// One shard of the subject table: subject ids (as numbers) to their facts.
type SubjectShard = Mutex<Shard<u128, Arc<SubjectFacts>>>;

/// The decision facts kept in memory, shared by every clone of a vault and kept across key
/// reloads (the app owns it). Thread-safe; cheap to share behind an `Arc`.
pub struct FactCache {
    subjects: Box<[SubjectShard]>,
    /// The most subjects kept, over all shards.
    capacity: usize,
    /// Subjects kept now, over all shards (changed under a shard's lock).
    kept: AtomicUsize,
    organisations: Mutex<Shard<Box<str>, Arc<OrganisationEntry>>>,
    hits: AtomicU64,
    misses: AtomicU64,
    evictions: AtomicU64,
}

/// The scope facts of one organisation, per project asked about (`None`: the organisation
/// alone).
#[derive(Debug, Default)]
struct OrganisationEntry {
    scopes: Vec<(Option<Box<str>>, Arc<ScopeFacts>)>,
}

impl std::fmt::Debug for FactCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FactCache")
            .field("stats", &self.stats())
            .finish()
    }
}

impl Default for FactCache {
    fn default() -> FactCache {
        FactCache::new(DEFAULT_CACHED_SUBJECTS)
    }
}

/// Lock `mutex`; a panic while it was held leaves at worst an entry too many or too few (every
/// change is one step), so a poisoned lock is still good to use.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A subject id (32 lowercase hex digits) as the cache keys it; `None` for anything else.
fn subject_key(id: &str) -> Option<u128> {
    if id.len() != 32 || !id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    u128::from_str_radix(id, 16).ok()
}

impl FactCache {
    /// A cache keeping at most `subjects` subjects (at least one) and a few thousand
    /// organisations. Memory is taken as entries arrive, not up front.
    pub fn new(subjects: usize) -> FactCache {
        let subjects = subjects.max(1);
        // Small caches get one shard, so the least recently used is exact there.
        let shards = (subjects / 1024).clamp(1, MAX_SHARDS);
        // The bound is kept over all shards (`kept`): a shard holds up to twice its share, so
        // that uneven shards still hold `subjects` in all.
        let per_shard = match shards {
            1 => subjects,
            _ => subjects.div_ceil(shards).saturating_mul(2),
        };
        FactCache {
            subjects: (0..shards)
                .map(|_| Mutex::new(Shard::new(per_shard)))
                .collect(),
            capacity: subjects,
            kept: AtomicUsize::new(0),
            organisations: Mutex::new(Shard::new(CACHED_ORGANISATIONS)),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            evictions: AtomicU64::new(0),
        }
    }

    fn shard(&self, key: u128) -> &SubjectShard {
        // Subject ids are drawn at random, so their low bits spread evenly; the remainder is
        // below the shard count, a `usize`.
        &self.subjects[(key % self.subjects.len() as u128) as usize]
    }

    fn count(&self, hit: bool) {
        let counter = if hit { &self.hits } else { &self.misses };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The subject `id` if kept (now the most recently used), or the ticket to store it under
    /// once loaded. `None` for an id that is not a subject id (never kept).
    pub(crate) fn subject(&self, id: &str) -> Option<Result<Arc<SubjectFacts>, Ticket>> {
        let key = subject_key(id)?;
        let found = lock(self.shard(key)).get(&key);
        self.count(found.is_ok());
        Some(found)
    }

    /// Keep `subject` as `id`'s, unless the shard forgot something since `ticket` was taken.
    pub(crate) fn insert_subject(&self, id: &str, ticket: Ticket, subject: Arc<SubjectFacts>) {
        if let Some(key) = subject_key(id) {
            self.store(key, |shard| ticket_or_now(ticket, shard), subject);
        }
    }

    /// Insert `facts` as `key`'s in its shard under the ticket `ticket` picks, then drop the
    /// shard's least recently used subject if the cache as a whole is over its bound.
    fn store(
        &self,
        key: u128,
        ticket: impl FnOnce(&Shard<u128, Arc<SubjectFacts>>) -> Ticket,
        facts: Arc<SubjectFacts>,
    ) {
        let mut shard = lock(self.shard(key));
        let ticket = ticket(&shard);
        let before = shard.lru.len();
        let mut evicted = shard.insert(key, ticket, facts);
        let added = shard.lru.len().saturating_sub(before);
        if added > 0 {
            let kept = self.kept.fetch_add(added, Ordering::Relaxed) + added;
            if kept > self.capacity && shard.lru.pop_least_recent() {
                self.kept.fetch_sub(1, Ordering::Relaxed);
                evicted += 1;
            }
        }
        self.evictions.fetch_add(evicted, Ordering::Relaxed);
    }

    /// Keep `facts` as the subject `id`'s, as the caller has just read them (a warm-up, a
    /// benchmark): unlike the vault's own loads this is not checked against a forget that
    /// raced it, so nothing may write the subject meanwhile. Ignored for an id that is not a
    /// subject id.
    pub fn keep_subject(&self, id: &str, facts: SubjectFacts) {
        if let Some(key) = subject_key(id) {
            self.store(key, Shard::ticket, Arc::new(facts));
        }
    }

    /// The kept facts of the subject `id`, if any (counted as a hit or a miss).
    pub fn subject_facts(&self, id: &str) -> Option<Arc<SubjectFacts>> {
        self.subject(id).and_then(Result::ok)
    }

    /// Forget the subject `id`: the next decision about it reads its ledgers.
    pub fn forget_subject(&self, id: &str) {
        if let Some(key) = subject_key(id) {
            let mut shard = lock(self.shard(key));
            let before = shard.lru.len();
            shard.forget(&key);
            self.kept
                .fetch_sub(before - shard.lru.len(), Ordering::Relaxed);
        }
    }

    /// The scope facts of `organisation` (and `project`) if kept, or the ticket to store them
    /// under once loaded.
    pub(crate) fn scope(
        &self,
        organisation: &str,
        project: Option<&str>,
    ) -> Result<Arc<ScopeFacts>, Ticket> {
        let found = {
            let mut shard = lock(&self.organisations);
            let ticket = shard.ticket();
            match shard.lru.get(organisation) {
                Some(entry) => entry
                    .scopes
                    .iter()
                    .find(|(p, _)| p.as_deref() == project)
                    .map(|(_, facts)| facts.clone())
                    .ok_or(ticket),
                None => Err(ticket),
            }
        };
        self.count(found.is_ok());
        found
    }

    /// Keep `facts` as the scope facts of `organisation` and `project`, unless an organisation
    /// was forgotten since `ticket` was taken.
    pub(crate) fn insert_scope(
        &self,
        organisation: &str,
        project: Option<&str>,
        ticket: Ticket,
        facts: Arc<ScopeFacts>,
    ) {
        let mut shard = lock(&self.organisations);
        if shard.generation != ticket.0 {
            return;
        }
        let mut scopes = match shard.lru.peek(organisation) {
            Some(entry) => entry.scopes.clone(),
            None => Vec::new(),
        };
        scopes.retain(|(p, _)| p.as_deref() != project);
        scopes.push((project.map(Box::from), facts));
        let evicted = shard.insert(
            organisation.into(),
            ticket,
            Arc::new(OrganisationEntry { scopes }),
        );
        self.evictions.fetch_add(evicted, Ordering::Relaxed);
    }

    /// Forget `organisation` and its projects.
    pub fn forget_organisation(&self, organisation: &str) {
        lock(&self.organisations).forget(organisation);
    }

    /// Forget everything (after the change log was pruned past what this server read).
    pub fn clear(&self) {
        for shard in &self.subjects {
            let mut shard = lock(shard);
            let before = shard.lru.len();
            shard.clear();
            self.kept.fetch_sub(before, Ordering::Relaxed);
        }
        lock(&self.organisations).clear();
    }

    /// The counters and sizes now.
    pub fn stats(&self) -> FactCacheStats {
        let subjects = self.subjects.iter().map(|s| lock(s).lru.len() as u64).sum();
        FactCacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            evictions: self.evictions.load(Ordering::Relaxed),
            subjects,
            organisations: lock(&self.organisations).lru.len() as u64,
        }
    }
}

/// One lock's worth of the cache: its entries and how many forgets it has seen.
struct Shard<K, V> {
    lru: Lru<K, V>,
    generation: u64,
}

impl<K: Hash + Eq + Clone, V: Clone> Shard<K, V> {
    fn new(capacity: usize) -> Shard<K, V> {
        Shard {
            lru: Lru::new(capacity),
            // Tickets start at 1: 0 is never a shard's generation.
            generation: 1,
        }
    }

    fn ticket(&self) -> Ticket {
        Ticket(self.generation)
    }

    fn get<Q>(&mut self, key: &Q) -> Result<V, Ticket>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.lru.get(key).cloned().ok_or(Ticket(self.generation))
    }

    /// Insert unless something was forgotten since `ticket`; returns the entries evicted.
    fn insert(&mut self, key: K, ticket: Ticket, value: V) -> u64 {
        if ticket.0 != self.generation {
            return 0;
        }
        self.lru.insert(key, value)
    }

    fn forget<Q>(&mut self, key: &Q)
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.generation += 1;
        self.lru.remove(key);
    }

    fn clear(&mut self) {
        self.generation += 1;
        self.lru.clear();
    }
}

/// The ticket a vault's load took: used as it is.
fn ticket_or_now<K, V>(ticket: Ticket, _shard: &Shard<K, V>) -> Ticket {
    ticket
}

/// No node: the end of the recency list.
const NIL: u32 = u32::MAX;

/// A map that keeps at most `capacity` entries, dropping the least recently used: entries in a
/// slab, linked from the most to the least recently used by slab index.
struct Lru<K, V> {
    map: HashMap<K, u32>,
    nodes: Vec<Node<K, V>>,
    free: Vec<u32>,
    /// The most recently used node.
    head: u32,
    /// The least recently used node.
    tail: u32,
    capacity: usize,
}

struct Node<K, V> {
    entry: Option<(K, V)>,
    prev: u32,
    next: u32,
}

impl<K: Hash + Eq + Clone, V> Lru<K, V> {
    fn new(capacity: usize) -> Lru<K, V> {
        Lru {
            map: HashMap::new(),
            nodes: Vec::new(),
            free: Vec::new(),
            head: NIL,
            tail: NIL,
            // Slab indexes are `u32`, `NIL` excluded.
            capacity: capacity.clamp(1, (NIL - 1) as usize),
        }
    }

    fn len(&self) -> usize {
        self.map.len()
    }

    fn unlink(&mut self, index: u32) {
        let (prev, next) = {
            let node = &self.nodes[index as usize];
            (node.prev, node.next)
        };
        match prev {
            NIL => self.head = next,
            prev => self.nodes[prev as usize].next = next,
        }
        match next {
            NIL => self.tail = prev,
            next => self.nodes[next as usize].prev = prev,
        }
    }

    fn push_front(&mut self, index: u32) {
        let old = self.head;
        {
            let node = &mut self.nodes[index as usize];
            node.prev = NIL;
            node.next = old;
        }
        match old {
            NIL => self.tail = index,
            old => self.nodes[old as usize].prev = index,
        }
        self.head = index;
    }

    /// The value of `key`, now the most recently used.
    fn get<Q>(&mut self, key: &Q) -> Option<&V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let index = *self.map.get(key)?;
        self.unlink(index);
        self.push_front(index);
        self.nodes[index as usize].entry.as_ref().map(|(_, v)| v)
    }

    /// The value of `key`, its recency unchanged.
    fn peek<Q>(&self, key: &Q) -> Option<&V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let index = *self.map.get(key)?;
        self.nodes[index as usize].entry.as_ref().map(|(_, v)| v)
    }

    /// Insert or replace; returns how many entries were evicted to make room (0 or 1).
    fn insert(&mut self, key: K, value: V) -> u64 {
        if let Some(&index) = self.map.get(&key) {
            self.nodes[index as usize].entry = Some((key, value));
            self.unlink(index);
            self.push_front(index);
            return 0;
        }
        let mut evicted = 0;
        if self.map.len() >= self.capacity && self.tail != NIL {
            let tail = self.tail;
            self.release(tail);
            evicted = 1;
        }
        let node = Node {
            entry: Some((key.clone(), value)),
            prev: NIL,
            next: NIL,
        };
        let index = match self.free.pop() {
            Some(index) => {
                self.nodes[index as usize] = node;
                index
            }
            None => {
                // Below `capacity` entries, which is below `NIL`.
                let index = self.nodes.len() as u32;
                self.nodes.push(node);
                index
            }
        };
        self.map.insert(key, index);
        self.push_front(index);
        evicted
    }

    /// Drop the least recently used entry; whether there was one.
    fn pop_least_recent(&mut self) -> bool {
        match self.tail {
            NIL => false,
            tail => {
                self.release(tail);
                true
            }
        }
    }

    fn remove<Q>(&mut self, key: &Q)
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if let Some(&index) = self.map.get(key) {
            self.release(index);
        }
    }

    /// Unlink the node at `index`, drop its entry and put its slot on the free list.
    fn release(&mut self, index: u32) {
        self.unlink(index);
        if let Some((key, _)) = self.nodes[index as usize].entry.take() {
            self.map.remove(&key);
        }
        self.free.push(index);
    }

    fn clear(&mut self) {
        self.map = HashMap::new();
        self.nodes = Vec::new();
        self.free = Vec::new();
        self.head = NIL;
        self.tail = NIL;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject(restricted: bool) -> Arc<SubjectFacts> {
        let mut facts = SubjectFacts::new();
        facts.set_restricted(restricted);
        Arc::new(facts)
    }

    fn id(n: u8) -> String {
        format!("{n:032x}")
    }

    fn miss(cache: &FactCache, id: &str) -> Ticket {
        match cache.subject(id) {
            Some(Err(ticket)) => ticket,
            Some(Ok(_)) => panic!("{id} was kept"),
            None => panic!("{id} is not a subject id"),
        }
    }

    fn kept(cache: &FactCache, id: &str) -> Option<Arc<SubjectFacts>> {
        cache.subject(id).and_then(Result::ok)
    }

    #[test]
    fn a_load_that_began_before_a_forget_does_not_store_what_it_read() {
        let cache = FactCache::new(10);
        let stale = miss(&cache, &id(1));
        // A write commits and forgets the subject while the load is reading the ledgers.
        cache.forget_subject(&id(1));
        cache.insert_subject(&id(1), stale, subject(false));
        assert!(kept(&cache, &id(1)).is_none(), "the stale value came back");
        let fresh = miss(&cache, &id(1));
        cache.insert_subject(&id(1), fresh, subject(true));
        assert!(kept(&cache, &id(1)).unwrap().is_restricted());
    }

    #[test]
    fn a_load_that_began_before_a_clear_does_not_store_what_it_read() {
        let cache = FactCache::new(10);
        let stale = miss(&cache, &id(1));
        let scope_ticket = cache.scope("acme", None).unwrap_err();
        cache.clear();
        cache.insert_subject(&id(1), stale, subject(false));
        cache.insert_scope("acme", None, scope_ticket, Arc::new(ScopeFacts::new()));
        assert!(kept(&cache, &id(1)).is_none());
        assert!(cache.scope("acme", None).is_err());
    }

    #[test]
    fn the_least_recently_used_subject_is_evicted_at_the_bound() {
        let cache = FactCache::new(3);
        for n in 1..=3 {
            let ticket = miss(&cache, &id(n));
            cache.insert_subject(&id(n), ticket, subject(false));
        }
        // 1 is used again, so 2 is now the least recently used.
        assert!(kept(&cache, &id(1)).is_some());
        let ticket = miss(&cache, &id(4));
        cache.insert_subject(&id(4), ticket, subject(false));
        assert!(kept(&cache, &id(2)).is_none());
        for n in [1, 3, 4] {
            assert!(kept(&cache, &id(n)).is_some(), "{n} was evicted");
        }
        let stats = cache.stats();
        assert_eq!((stats.subjects, stats.evictions), (3, 1));
        assert!(stats.hits >= 4 && stats.misses >= 5, "{stats:?}");
    }

    #[test]
    fn clearing_forgets_everything_and_counts_nothing_evicted() {
        let cache = FactCache::new(100);
        for n in 1..=5 {
            let ticket = miss(&cache, &id(n));
            cache.insert_subject(&id(n), ticket, subject(false));
        }
        let ticket = cache.scope("acme", Some("web")).unwrap_err();
        cache.insert_scope("acme", Some("web"), ticket, Arc::new(ScopeFacts::new()));
        assert!(cache.scope("acme", Some("web")).is_ok());
        assert!(
            cache.scope("acme", None).is_err(),
            "only the project asked about"
        );
        cache.clear();
        let stats = cache.stats();
        assert_eq!((stats.subjects, stats.organisations), (0, 0));
        assert_eq!(stats.evictions, 0);
        for n in 1..=5 {
            assert!(kept(&cache, &id(n)).is_none());
        }
    }

    #[test]
    fn forgetting_an_organisation_forgets_its_projects() {
        let cache = FactCache::new(10);
        for project in [None, Some("web")] {
            let ticket = cache.scope("acme", project).unwrap_err();
            cache.insert_scope("acme", project, ticket, Arc::new(ScopeFacts::new()));
        }
        assert!(cache.scope("acme", None).is_ok() && cache.scope("acme", Some("web")).is_ok());
        cache.forget_organisation("acme");
        assert!(cache.scope("acme", None).is_err());
        assert!(cache.scope("acme", Some("web")).is_err());
    }

    #[test]
    fn ids_that_are_not_subject_ids_are_never_kept() {
        let cache = FactCache::new(10);
        assert!(cache.subject("ABC").is_none());
        assert!(cache.subject(&"G".repeat(32)).is_none());
        assert!(cache.subject(&id(7)).is_some());
    }

    #[test]
    fn the_bound_holds_over_all_shards_however_unevenly_they_fill() {
        let cache = FactCache::new(4096);
        assert!(cache.subjects.len() > 1);
        // Ids that all fall into shard 0 first, then spread ones.
        let shards = cache.subjects.len() as u128;
        for n in 0..3000u128 {
            cache.keep_subject(&format!("{:032x}", n * shards), SubjectFacts::new());
        }
        for n in 0..3000u128 {
            cache.keep_subject(&format!("{:032x}", 1_000_000 + n * 7), SubjectFacts::new());
        }
        let stats = cache.stats();
        assert!(stats.subjects <= 4096, "{stats:?}");
        assert!(
            stats.subjects >= 4000,
            "uneven shards still hold the bound: {stats:?}"
        );
        assert_eq!(stats.subjects + stats.evictions, 6000, "{stats:?}");
    }

    #[test]
    fn the_lru_reuses_freed_slots() {
        let mut lru: Lru<u32, u32> = Lru::new(2);
        for n in 0..100 {
            lru.insert(n, n);
            if n % 3 == 0 {
                lru.remove(&n);
            }
        }
        assert!(lru.len() <= 2);
        assert!(
            lru.nodes.len() <= 3,
            "slots are reused: {}",
            lru.nodes.len()
        );
    }
}
