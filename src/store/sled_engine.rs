//! The embedded engine: one sled tree per table, in the data dir. sled locks its directory, so
//! one process serves it; its flush is made durable with an fdatasync of its log (`disk`).

use std::path::Path;
use std::time::{Duration, Instant};

use sled::Transactional;
use sled::transaction::{
    ConflictableTransactionError, TransactionError, TransactionalTree, UnabortableTransactionError,
};

use super::disk;
use super::engine::{Engine, OpenError, Table, TxError, TxOps, Visit};
use crate::error::AwsError;

/// sled's page cache. Its default (1 GiB) would let a large data dir fill memory.
const SLED_CACHE_BYTES: u64 = 64 << 20;

pub struct SledEngine {
    db: sled::Db,
    /// By [`Table::number`].
    trees: Vec<sled::Tree>,
    log: disk::Log,
}

impl SledEngine {
    /// Opens (or creates) the database in `dir`, waiting at most `wait` for another handle to
    /// let go of its lock.
    ///
    /// # Errors
    /// A directory in use by another process, or one sled cannot open.
    pub fn open(dir: &Path, wait: Duration) -> Result<Self, OpenError> {
        let db = open_db(dir, wait)?;
        let mut trees = Vec::new();
        for table in Table::ALL {
            let name = table.name();
            trees.push(db.open_tree(name).map_err(|e| OpenError(format!("cannot open tree {name}: {e}")))?);
        }
        let log = disk::Log::open(dir).map_err(OpenError)?;
        Ok(Self { db, trees, log })
    }

    fn tree(&self, table: Table) -> &sled::Tree {
        &self.trees[usize::try_from(table.number()).unwrap_or(0)]
    }
}

/// Opens sled, waiting while another handle (a store being dropped, a daemon shutting down)
/// still holds the directory's lock.
fn open_db(dir: &Path, wait: Duration) -> Result<sled::Db, OpenError> {
    let started = Instant::now();
    loop {
        let opened =
            sled::Config::new().path(dir.join("db")).cache_capacity(SLED_CACHE_BYTES).flush_every_ms(None).open();
        match opened {
            Ok(db) => return Ok(db),
            Err(sled::Error::Io(e)) if is_locked(&e) && started.elapsed() < wait => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(sled::Error::Io(e)) if is_locked(&e) => {
                return Err(OpenError(format!(
                    "the data dir {} is in use by another iamd process (its database is locked)",
                    dir.display()
                )));
            }
            Err(e) => return Err(OpenError(format!("cannot open database in {}: {e}", dir.display()))),
        }
    }
}

/// Whether sled failed because another handle holds the directory's lock (sled wraps the
/// `WouldBlock` of the lock in an error of its own kind, naming it in the message).
fn is_locked(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::WouldBlock
        || e.raw_os_error() == Some(11)
        || e.to_string().contains("could not acquire lock")
}

fn failed(e: &sled::Error) -> AwsError {
    AwsError::internal(e)
}

impl Engine for SledEngine {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, AwsError> {
        Ok(self.tree(table).get(key).map_err(|e| failed(&e))?.map(|v| v.to_vec()))
    }

    fn scan(&self, table: Table, prefix: &[u8], from: &[u8], visit: &mut Visit<'_>) -> Result<(), AwsError> {
        let start = if from > prefix { from } else { prefix };
        for item in self.tree(table).range(start..) {
            let (k, v) = item.map_err(|e| failed(&e))?;
            if !k.starts_with(prefix) || !visit(&k, &v)? {
                break;
            }
        }
        Ok(())
    }

    fn transact(&self, f: &dyn Fn(&dyn TxOps) -> Result<(), TxError>) -> Result<(), AwsError> {
        self.trees
            .as_slice()
            .transaction(|views| {
                f(&SledTx { views }).map_err(|e| match e {
                    TxError::Abort(e) => ConflictableTransactionError::Abort(e),
                    TxError::Retry => ConflictableTransactionError::Conflict,
                })
            })
            .map_err(|e| match e {
                TransactionError::Abort(e) => e,
                TransactionError::Storage(e) => failed(&e),
            })
    }

    fn durable_on_commit(&self) -> bool {
        false
    }

    // sled's flush writes its buffers with sync_file_range, which a crash of the process
    // survives but a loss of power may not: fdatasync makes each group commit reach the disk.
    fn flush(&self) -> Result<(), String> {
        self.db.flush().map_err(|e| e.to_string())?;
        self.log.sync()
    }

    #[cfg(feature = "fault-injection")]
    fn fail_next_syncs(&self, n: u32) {
        self.log.fail_next_syncs(n);
    }
}

struct SledTx<'a> {
    views: &'a [TransactionalTree],
}

impl SledTx<'_> {
    fn view(&self, table: Table) -> &TransactionalTree {
        &self.views[usize::try_from(table.number()).unwrap_or(0)]
    }
}

fn step(e: UnabortableTransactionError) -> TxError {
    match e {
        UnabortableTransactionError::Conflict => TxError::Retry,
        UnabortableTransactionError::Storage(e) => TxError::Abort(failed(&e)),
    }
}

impl TxOps for SledTx<'_> {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, TxError> {
        Ok(self.view(table).get(key).map_err(step)?.map(|v| v.to_vec()))
    }

    fn put(&self, table: Table, key: &[u8], value: &[u8]) -> Result<(), TxError> {
        self.view(table).insert(key, value).map_err(step)?;
        Ok(())
    }

    fn remove(&self, table: Table, key: &[u8]) -> Result<(), TxError> {
        self.view(table).remove(key).map_err(step)?;
        Ok(())
    }
}
