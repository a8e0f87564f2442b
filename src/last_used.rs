//! "Last used" data for access keys lives in memory and reaches disk in batches, so verifying a
//! request never writes to disk. The map is sharded so concurrent requests rarely share a lock.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::{Mutex, MutexGuard, PoisonError};

use time::OffsetDateTime;

use crate::error::AwsError;
use crate::store::{KeyLastUsed, Store};

const SHARDS: usize = 16;

type Shard = Mutex<HashMap<String, KeyLastUsed>>;

/// Recent uses not yet persisted.
pub struct LastUsedTracker {
    shards: [Shard; SHARDS],
    hasher: std::hash::BuildHasherDefault<std::collections::hash_map::DefaultHasher>,
}

impl Default for LastUsedTracker {
    fn default() -> Self {
        Self { shards: std::array::from_fn(|_| Mutex::default()), hasher: std::hash::BuildHasherDefault::default() }
    }
}

impl LastUsedTracker {
    /// Records a use; cheap, in memory (no allocation when the key was last used for the same
    /// service and region).
    pub fn record(&self, key_id: &str, date: OffsetDateTime, service: &str, region: &str) {
        let mut shard = self.shard(key_id);
        match shard.get_mut(key_id) {
            Some(u) if u.service == service && u.region == region => u.date = date,
            _ => {
                shard.insert(key_id.to_owned(), KeyLastUsed { date, service: service.into(), region: region.into() });
            }
        }
    }

    /// The most recent use: the pending one if any, else what the store has.
    ///
    /// # Errors
    /// `ServiceFailure` when the store cannot be read.
    pub fn get(&self, store: &Store, key_id: &str) -> Result<Option<KeyLastUsed>, AwsError> {
        if let Some(u) = self.shard(key_id).get(key_id) {
            return Ok(Some(u.clone()));
        }
        store.key_last_used(key_id)
    }

    /// Forgets a deleted key's pending use.
    pub fn forget(&self, key_id: &str) {
        self.shard(key_id).remove(key_id);
    }

    /// Writes pending uses to the store (called periodically and at shutdown).
    ///
    /// # Errors
    /// `ServiceFailure` when the store cannot be written; the batch is kept for the next try.
    pub fn persist(&self, store: &Store) -> Result<(), AwsError> {
        let batch: Vec<(String, KeyLastUsed)> =
            self.shards.iter().flat_map(|s| lock(s).drain().collect::<Vec<_>>()).collect();
        if batch.is_empty() {
            return Ok(());
        }
        if let Err(e) = store.save_last_used(&batch) {
            for (k, v) in batch {
                self.shard(&k).entry(k).or_insert(v);
            }
            return Err(e);
        }
        Ok(())
    }

    fn shard(&self, key_id: &str) -> MutexGuard<'_, HashMap<String, KeyLastUsed>> {
        let i = usize::try_from(self.hasher.hash_one(key_id) % SHARDS as u64).unwrap_or(0);
        lock(&self.shards[i])
    }
}

fn lock(shard: &Shard) -> MutexGuard<'_, HashMap<String, KeyLastUsed>> {
    shard.lock().unwrap_or_else(PoisonError::into_inner)
}
