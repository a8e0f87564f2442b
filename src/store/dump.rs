//! Every table's raw pairs out of a store and into an empty one: what `iamd export` and
//! `iamd import` move. Values stay as stored (secrets sealed under the master key).

use super::Store;
use super::engine::{self, Table};
use crate::error::AwsError;

/// One table's name and its pairs, in key order.
pub type TreeDump = (String, Vec<(Vec<u8>, Vec<u8>)>);

impl Store {
    /// Every pair of every table, as of one moment: on sled the export runs on a store no
    /// daemon has open (sled's lock keeps it to one process); on PostgreSQL it reads one
    /// snapshot while the replicas go on serving.
    ///
    /// # Errors
    /// When the engine fails to read.
    pub fn dump(&self) -> Result<Vec<TreeDump>, AwsError> {
        let mut out: Vec<TreeDump> = Table::ALL.iter().map(|t| (t.name().to_owned(), Vec::new())).collect();
        self.engine().snapshot(&mut |table, k, v| {
            out[usize::try_from(table.number()).unwrap_or(0)].1.push((k.to_vec(), v.to_vec()));
        })?;
        Ok(out)
    }

    /// Whether the store holds no entity (a fresh store: only its metadata).
    ///
    /// # Errors
    /// When the engine fails to read.
    pub fn is_empty(&self) -> Result<bool, AwsError> {
        for table in Table::ALL {
            if table != Table::Meta && !engine::is_empty(self.engine(), table)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Writes `dump` into this store, which must be empty, and flushes.
    ///
    /// # Errors
    /// A table this build does not know, or the engine failing to write.
    pub fn load(&self, dump: &[TreeDump]) -> Result<usize, String> {
        if !self.is_empty().map_err(|e| e.message().to_owned())? {
            return Err("the store already holds entities".into());
        }
        let mut count = 0;
        for (name, pairs) in dump {
            let table =
                Table::named(name).ok_or_else(|| format!("the backup has a tree this build does not know: {name}"))?;
            for chunk in pairs.chunks(1_000) {
                let writes: Vec<_> = chunk.iter().map(|(k, v)| (table, k.clone(), Some(v.clone()))).collect();
                self.apply(&writes).map_err(|e| e.message().to_owned())?;
            }
            count += pairs.len();
        }
        self.flush_blocking().map_err(|e| e.to_string())?;
        Ok(count)
    }
}
