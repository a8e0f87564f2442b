//! "Last used" data for access keys lives in memory and reaches disk in batches, so verifying a
//! request never writes to disk.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::error::AwsError;
use crate::store::{KeyLastUsed, Store};

/// Recent uses not yet persisted.
#[derive(Default)]
pub struct LastUsedTracker {
    pending: Mutex<HashMap<String, KeyLastUsed>>,
}

impl LastUsedTracker {
    /// Records a use; cheap, in memory.
    pub fn record(&self, key_id: &str, used: KeyLastUsed) {
        self.lock().insert(key_id.to_owned(), used);
    }

    /// The most recent use: the pending one if any, else what the store has.
    ///
    /// # Errors
    /// `ServiceFailure` when the store cannot be read.
    pub fn get(&self, store: &Store, key_id: &str) -> Result<Option<KeyLastUsed>, AwsError> {
        if let Some(u) = self.lock().get(key_id) {
            return Ok(Some(u.clone()));
        }
        store.key_last_used(key_id)
    }

    /// Forgets a deleted key's pending use.
    pub fn forget(&self, key_id: &str) {
        self.lock().remove(key_id);
    }

    /// Writes pending uses to the store (called periodically and at shutdown).
    ///
    /// # Errors
    /// `ServiceFailure` when the store cannot be written; the batch is kept for the next try.
    pub fn persist(&self, store: &Store) -> Result<(), AwsError> {
        let batch: Vec<(String, KeyLastUsed)> = self.lock().drain().collect();
        if batch.is_empty() {
            return Ok(());
        }
        if let Err(e) = store.save_last_used(&batch) {
            let mut pending = self.lock();
            for (k, v) in batch {
                pending.entry(k).or_insert(v);
            }
            return Err(e);
        }
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, KeyLastUsed>> {
        self.pending.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
