//! The in-memory read view: decoded records (and opened secrets) cached in memory, each tagged
//! with the change generation of its account at the time it was read.
//!
//! Invalidation rule: every commit bumps the generation of each account it touched *after* the
//! change is in sled and *before* the request that made it is acknowledged; a reader takes the
//! generation *before* it reads sled. A cached entry is used only while its generation is still
//! current, so no entry can outlive a change that was acknowledged, and a reader racing a
//! writer at worst caches a value that is already stale-tagged. A shared database backend can
//! keep the same view by bumping generations when it learns of another replica's change.

use std::hash::{BuildHasher, Hash};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::error::AwsError;
use crate::metrics::Counter;

/// Generation slots; accounts hash onto them, so two accounts sharing a slot only invalidate
/// each other's entries more often than needed.
const SLOTS: usize = 64;

/// Per-account change generations.
pub struct Generations {
    slots: [AtomicU64; SLOTS],
    hasher: std::hash::BuildHasherDefault<std::collections::hash_map::DefaultHasher>,
}

impl Default for Generations {
    fn default() -> Self {
        Self { slots: std::array::from_fn(|_| AtomicU64::new(0)), hasher: std::hash::BuildHasherDefault::default() }
    }
}

impl Generations {
    fn slot(&self, account: &str) -> &AtomicU64 {
        let h = usize::try_from(self.hasher.hash_one(account) % SLOTS as u64).unwrap_or(0);
        &self.slots[h]
    }

    /// The account's current generation; read it before reading the records it guards.
    #[must_use]
    pub fn current(&self, account: &str) -> u64 {
        self.slot(account).load(Ordering::Acquire)
    }

    /// Marks every cached record of `account` stale.
    pub fn bump(&self, account: &str) {
        self.slot(account).fetch_add(1, Ordering::AcqRel);
    }

    fn bump_all(&self) {
        for slot in &self.slots {
            slot.fetch_add(1, Ordering::AcqRel);
        }
    }
}

/// What makes cached records stale: each account's generation, and one for access keys (they
/// are looked up by id across accounts). A shared database's listener bumps them for changes
/// other processes made, and vouches for the view: while it has not lately heard the
/// database (see [`Invalidation::vouch`]), every generation read is new, so every read goes to
/// the store and nothing it caches is used again.
#[derive(Default)]
pub struct Invalidation {
    accounts: Generations,
    keys: AtomicU64,
    lease: Option<Lease>,
}

/// Until when a listener vouches for the view.
struct Lease {
    start: Instant,
    /// Microseconds after `start`, plus one; 0 while the listener has nothing to vouch with.
    until: AtomicU64,
    /// Generations handed out while untrusted (top bit set: never equal to a counted one).
    untrusted: AtomicU64,
}

const UNTRUSTED: u64 = 1 << 63;

impl Invalidation {
    /// For a view that must not be trusted until [`Invalidation::vouch`] says so.
    #[must_use]
    pub fn leased() -> Self {
        let lease = Lease { start: Instant::now(), until: AtomicU64::new(0), untrusted: AtomicU64::new(UNTRUSTED) };
        Self { lease: Some(lease), ..Self::default() }
    }

    /// A change to `accounts` (and to access keys, when `keys`) was committed.
    pub fn changed(&self, accounts: &[String], keys: bool) {
        for account in accounts {
            self.accounts.bump(account);
        }
        if keys {
            self.keys.fetch_add(1, Ordering::AcqRel);
        }
    }

    /// Anything may have changed (changes may have been missed): every entry is stale.
    pub fn everything(&self) {
        self.accounts.bump_all();
        self.keys.fetch_add(1, Ordering::AcqRel);
    }

    /// The view may be trusted for `period` from now (a leased view only).
    pub fn vouch(&self, period: Duration) {
        if let Some(lease) = &self.lease {
            let until = lease.start.elapsed().saturating_add(period).as_micros();
            lease.until.store(u64::try_from(until).unwrap_or(u64::MAX - 1) + 1, Ordering::Release);
        }
    }

    /// The view may not be trusted until the next [`Invalidation::vouch`].
    pub fn distrust(&self) {
        if let Some(lease) = &self.lease {
            lease.until.store(0, Ordering::Release);
        }
    }

    /// Whether cached entries may be used.
    #[must_use]
    pub fn trusted(&self) -> bool {
        self.lease.as_ref().is_none_or(|l| {
            let until = l.until.load(Ordering::Acquire);
            until != 0 && u128::from(until - 1) > l.start.elapsed().as_micros()
        })
    }

    fn checked(&self, counted: u64) -> u64 {
        match &self.lease {
            Some(l) if !self.trusted() => l.untrusted.fetch_add(1, Ordering::AcqRel),
            _ => counted,
        }
    }

    /// The account's generation; read it before reading the records it guards.
    #[must_use]
    pub fn account(&self, account: &str) -> u64 {
        self.checked(self.accounts.current(account))
    }

    /// The access keys' generation; read it before reading a key.
    #[must_use]
    pub fn keys(&self) -> u64 {
        self.checked(self.keys.load(Ordering::Acquire))
    }
}

/// Entries a cache reserves room for up front.
const INITIAL_ENTRIES: usize = 256;

/// A bounded cache of one record kind.
pub struct RecordCache<K, T> {
    entries: quick_cache::sync::Cache<K, (u64, Option<Arc<T>>)>,
    pub hits: Counter,
    pub misses: Counter,
}

impl<K: Eq + Hash + Clone, T> RecordCache<K, T> {
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        // Room is reserved for a few entries only: the table grows as records are read, so a
        // small data dir starts (and stays) small.
        let entries = quick_cache::sync::Cache::with(
            capacity.min(INITIAL_ENTRIES),
            u64::try_from(capacity).unwrap_or(u64::MAX),
            quick_cache::UnitWeighter,
            quick_cache::DefaultHashBuilder::default(),
            quick_cache::sync::DefaultLifecycle::default(),
        );
        Self { entries, hits: Counter::default(), misses: Counter::default() }
    }

    /// The record under `key` as of generation `generation`, from memory when it is current,
    /// else from `load` (an absent record is cached as well).
    ///
    /// # Errors
    /// What `load` fails with.
    pub fn get_or_load<Q>(
        &self,
        generation: u64,
        key: &Q,
        load: impl FnOnce() -> Result<Option<T>, AwsError>,
    ) -> Result<Option<Arc<T>>, AwsError>
    where
        Q: Hash + quick_cache::Equivalent<K> + ToOwned<Owned = K> + ?Sized,
    {
        if let Some((g, v)) = self.entries.get(key)
            && g == generation
        {
            self.hits.inc();
            return Ok(v);
        }
        self.misses.inc();
        let v = load()?.map(Arc::new);
        self.entries.insert(key.to_owned(), (generation, v.clone()));
        Ok(v)
    }

    /// How many entries are held.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_used_only_while_its_generation_is_current() {
        let gens = Generations::default();
        let cache: RecordCache<String, u32> = RecordCache::new(16);
        let k = "a".to_owned();
        let g = gens.current("111111111111");
        assert_eq!(cache.get_or_load(g, &k, || Ok(Some(1))).unwrap().as_deref(), Some(&1));
        assert_eq!(cache.get_or_load(g, &k, || Ok(Some(2))).unwrap().as_deref(), Some(&1), "cached");
        gens.bump("111111111111");
        let g2 = gens.current("111111111111");
        assert_ne!(g, g2);
        assert_eq!(cache.get_or_load(g2, &k, || Ok(Some(3))).unwrap().as_deref(), Some(&3), "reloaded");
        assert_eq!(cache.get_or_load(g2, &k, || Ok(None)).unwrap().as_deref(), Some(&3));
        assert_eq!((cache.hits.get(), cache.misses.get()), (2, 2));
    }

    #[test]
    fn a_reader_racing_a_writer_never_keeps_the_old_value() {
        // Reader takes the generation, writer commits and bumps, reader caches what it read.
        let gens = Generations::default();
        let cache: RecordCache<String, u32> = RecordCache::new(16);
        let k = "a".to_owned();
        let g = gens.current("x");
        gens.bump("x");
        cache.get_or_load(g, &k, || Ok(Some(1))).unwrap();
        let now = gens.current("x");
        assert_eq!(cache.get_or_load(now, &k, || Ok(Some(2))).unwrap().as_deref(), Some(&2));
    }

    #[test]
    fn a_leased_view_is_used_only_while_it_is_vouched_for() {
        let stale = Invalidation::leased();
        let cache: RecordCache<String, u32> = RecordCache::new(16);
        let k = "a".to_owned();
        assert!(!stale.trusted(), "nothing vouched for it yet");
        let (g1, g2) = (stale.account("x"), stale.account("x"));
        assert_ne!(g1, g2, "every read of an untrusted view is new");
        cache.get_or_load(stale.account("x"), &k, || Ok(Some(1))).unwrap();
        assert_eq!(cache.get_or_load(stale.account("x"), &k, || Ok(Some(2))).unwrap().as_deref(), Some(&2));
        stale.vouch(Duration::from_secs(60));
        assert!(stale.trusted());
        cache.get_or_load(stale.account("x"), &k, || Ok(Some(3))).unwrap();
        assert_eq!(cache.get_or_load(stale.account("x"), &k, || Ok(Some(4))).unwrap().as_deref(), Some(&3));
        assert_eq!(stale.keys(), stale.keys());
        stale.distrust();
        assert_ne!(stale.keys(), stale.keys());
        assert_eq!(cache.get_or_load(stale.account("x"), &k, || Ok(Some(5))).unwrap().as_deref(), Some(&5));
        stale.vouch(Duration::ZERO);
        assert!(!stale.trusted(), "a lease runs out");
        assert!(Invalidation::default().trusted(), "an embedded store's view needs no lease");
    }

    #[test]
    fn a_cache_grows_past_its_initial_room_up_to_its_capacity() {
        let cache: RecordCache<String, usize> = RecordCache::new(10_000);
        for i in 0..5_000 {
            cache.get_or_load(0, &i.to_string(), || Ok(Some(i))).unwrap();
        }
        assert!(cache.len() >= 4_900, "{} entries kept", cache.len());
        for i in 5_000..30_000 {
            cache.get_or_load(0, &i.to_string(), || Ok(Some(i))).unwrap();
        }
        assert!(cache.len() <= 10_000, "{} entries: the bound holds", cache.len());
    }
}
