//! Every tree's raw pairs out of a store and into an empty one: what `iamd export` and
//! `iamd import` move. Values stay as stored (secrets sealed under the master key).

use super::Store;
use super::trees::Trees;
use crate::error::AwsError;

/// One tree's name and its pairs, in key order.
pub type TreeDump = (String, Vec<(Vec<u8>, Vec<u8>)>);

impl Trees {
    fn named(&self) -> [(&'static str, &sled::Tree); 14] {
        [
            ("meta", &self.meta),
            ("accounts", &self.accounts),
            ("users", &self.users),
            ("access_keys", &self.access_keys),
            ("groups", &self.groups),
            ("managed_policies", &self.policies),
            ("roles", &self.roles),
            ("access_key_last_used", &self.last_used),
            ("credentials", &self.credentials),
            ("user_ids", &self.user_ids),
            ("account_aliases", &self.aliases),
            ("instance_profiles", &self.instance_profiles),
            ("temporary_keys", &self.temporary_keys),
            ("temporary_key_expiry", &self.temporary_expiry),
        ]
    }
}

impl Store {
    /// Every pair of every tree. Consistent when nothing writes meanwhile (the export runs on a
    /// store no daemon has open: sled's lock keeps it to one process).
    ///
    /// # Errors
    /// When sled fails to read.
    pub fn dump(&self) -> Result<Vec<TreeDump>, AwsError> {
        let mut out = Vec::new();
        for (name, tree) in self.trees().named() {
            let mut pairs = Vec::new();
            for item in tree.iter() {
                let (k, v) = item.map_err(|e| AwsError::internal(&e))?;
                pairs.push((k.to_vec(), v.to_vec()));
            }
            out.push((name.to_owned(), pairs));
        }
        Ok(out)
    }

    /// Whether the store holds no entity (a fresh data dir: only its format version).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.trees().named().iter().all(|(name, tree)| *name == "meta" || tree.is_empty())
    }

    /// Writes `dump` into this store, which must be empty, and flushes.
    ///
    /// # Errors
    /// A tree this build does not know, or sled failing to write.
    pub fn load(&self, dump: &[TreeDump]) -> Result<usize, String> {
        if !self.is_empty() {
            return Err("the data dir already holds entities".into());
        }
        let named = self.trees().named();
        let mut count = 0;
        for (name, pairs) in dump {
            let tree = named
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, t)| *t)
                .ok_or_else(|| format!("the backup has a tree this build does not know: {name}"))?;
            let mut batch = sled::Batch::default();
            for (k, v) in pairs {
                batch.insert(k.as_slice(), v.as_slice());
            }
            tree.apply_batch(batch).map_err(|e| e.to_string())?;
            count += pairs.len();
        }
        self.flush_blocking().map_err(|e| e.to_string())?;
        Ok(count)
    }
}
