//! One transaction on PostgreSQL, made serializable by strict two-phase locking: before a
//! record is read or written, the transaction takes a transaction-scoped advisory lock on it
//! (table and key), held until it commits. Each statement runs under READ COMMITTED, so a
//! read that follows its lock sees every commit of the lock's earlier holders.
//!
//! Why not SERIALIZABLE: its predicate locks cover index pages, and IAM's records of one
//! account share a few pages, so concurrent writers of one account (two users created at
//! once) would fail each other and retry. With record locks only writers of the same record
//! wait for each other; the database's deadlock detector breaks the rare cycle, and the
//! transaction is run again.
//!
//! Writes are kept in memory until commit, then sent with their locks and `COMMIT` in one
//! pipelined flight; a lock and the read it guards are pipelined the same way.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashSet};

use deadpool_postgres::Object;
use futures_util::future::join_all;
use sha2::{Digest, Sha256};

use super::bridge::{Bridge, failure, lost_race};
use crate::store::engine::{Table, TxError, TxOps};

const BEGIN: &str = "BEGIN ISOLATION LEVEL READ COMMITTED";
const LOCK: &str = "SELECT pg_advisory_xact_lock($1)";
pub(super) const GET: &str = "SELECT value FROM iamd_records WHERE tbl = $1 AND key = $2";
const PUT: &str = "INSERT INTO iamd_records (tbl, key, value) VALUES ($1, $2, $3) \
                   ON CONFLICT (tbl, key) DO UPDATE SET value = EXCLUDED.value";
const REMOVE: &str = "DELETE FROM iamd_records WHERE tbl = $1 AND key = $2";

/// The advisory lock of one record. Two records sharing a lock only wait for each other.
fn lock_id(table: Table, key: &[u8]) -> i64 {
    let mut h = Sha256::new();
    h.update(table.number().to_be_bytes());
    h.update(key);
    let d = h.finalize();
    i64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
}

fn step(e: &tokio_postgres::Error) -> TxError {
    if lost_race(e) { TxError::Retry } else { TxError::Abort(failure(e)) }
}

/// One statement of a pipelined flight.
type Sent<'a> = std::pin::Pin<Box<dyn Future<Output = Result<u64, tokio_postgres::Error>> + Send + 'a>>;

type Pending = BTreeMap<(Table, Vec<u8>), Option<Vec<u8>>>;

pub struct PgTx<'a> {
    client: &'a Object,
    bridge: &'a Bridge,
    begun: Cell<bool>,
    locked: RefCell<HashSet<i64>>,
    /// What was read, under locks held until commit: reading it again cannot see a change.
    reads: RefCell<Pending>,
    writes: RefCell<Pending>,
}

impl<'a> PgTx<'a> {
    pub fn new(client: &'a Object, bridge: &'a Bridge) -> Self {
        Self {
            client,
            bridge,
            begun: Cell::new(false),
            locked: RefCell::default(),
            reads: RefCell::default(),
            writes: RefCell::default(),
        }
    }

    /// The lock `table`/`key` still needs, if this transaction does not hold it yet.
    fn to_lock(&self, table: Table, key: &[u8]) -> Option<i64> {
        let id = lock_id(table, key);
        self.locked.borrow_mut().insert(id).then_some(id)
    }

    /// Sends the writes, their locks and `COMMIT` in one flight. Nothing is kept unless every
    /// statement succeeded (PostgreSQL answers `COMMIT` of a failed transaction by rolling back).
    ///
    /// # Errors
    /// [`TxError::Retry`] when a lock lost a race (a deadlock), else the failure.
    pub fn commit(&self) -> Result<(), TxError> {
        if !self.begun.get() && self.writes.borrow().is_empty() {
            return Ok(());
        }
        let writes = std::mem::take(&mut *self.writes.borrow_mut());
        let locks: Vec<Option<i64>> = writes.keys().map(|(t, k)| self.to_lock(*t, k)).collect();
        let begin = !self.begun.replace(true);
        let c = self.client;
        self.bridge.send(async move {
            let (lock, put, remove) = (
                c.prepare_cached(LOCK).await.map_err(|e| step(&e))?,
                c.prepare_cached(PUT).await.map_err(|e| step(&e))?,
                c.prepare_cached(REMOVE).await.map_err(|e| step(&e))?,
            );
            let numbers: Vec<i16> = writes.keys().map(|(t, _)| t.number()).collect();
            let mut flight: Vec<Sent<'_>> = Vec::new();
            if begin {
                flight.push(Box::pin(async move { c.batch_execute(BEGIN).await.map(|()| 0) }));
            }
            for ((((_, key), value), id), n) in writes.iter().zip(&locks).zip(&numbers) {
                if let Some(id) = id {
                    let lock = lock.clone();
                    flight.push(Box::pin(async move { c.execute(&lock, &[id]).await }));
                }
                match value {
                    Some(v) => {
                        let put = put.clone();
                        flight.push(Box::pin(async move { c.execute(&put, &[n, key, v]).await }));
                    }
                    None => {
                        let remove = remove.clone();
                        flight.push(Box::pin(async move { c.execute(&remove, &[n, key]).await }));
                    }
                }
            }
            flight.push(Box::pin(async move { c.batch_execute("COMMIT").await.map(|()| 0) }));
            // The first failure is the cause; what follows it failed because of it.
            for outcome in join_all(flight).await {
                outcome.map_err(|e| step(&e))?;
            }
            Ok(())
        })
    }

    /// Abandons the transaction. A connection that cannot roll back is not reused.
    ///
    /// # Errors
    /// When the rollback failed (the caller then drops the connection).
    pub fn rollback(&self) -> Result<(), tokio_postgres::Error> {
        if !self.begun.get() {
            return Ok(());
        }
        self.bridge.send(self.client.batch_execute("ROLLBACK"))
    }
}

impl TxOps for PgTx<'_> {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, TxError> {
        let at = (table, key.to_vec());
        let known = self.writes.borrow().get(&at).cloned().or_else(|| self.reads.borrow().get(&at).cloned());
        if let Some(v) = known {
            return Ok(v);
        }
        let lock = self.to_lock(table, key);
        let begin = !self.begun.replace(true);
        let c = self.client;
        let n = table.number();
        self.bridge
            .send(async move {
                let lock_st = c.prepare_cached(LOCK).await.map_err(|e| step(&e))?;
                let get_st = c.prepare_cached(GET).await.map_err(|e| step(&e))?;
                // Sent in this order, in one flight: the read's snapshot is taken after the lock.
                let begin = async move { if begin { c.batch_execute(BEGIN).await } else { Ok(()) } };
                let locked = async {
                    match lock {
                        Some(id) => c.execute(&lock_st, &[&id]).await.map(|_| ()),
                        None => Ok(()),
                    }
                };
                let params: [&(dyn tokio_postgres::types::ToSql + Sync); 2] = [&n, &key];
                let read = c.query_opt(&get_st, &params);
                let (b, l, r) = futures_util::future::join3(begin, locked, read).await;
                b.map_err(|e| step(&e))?;
                l.map_err(|e| step(&e))?;
                Ok(r.map_err(|e| step(&e))?.map(|row| row.get::<_, Vec<u8>>(0)))
            })
            .inspect(|v| {
                self.reads.borrow_mut().insert(at, v.clone());
            })
    }

    fn put(&self, table: Table, key: &[u8], value: &[u8]) -> Result<(), TxError> {
        self.writes.borrow_mut().insert((table, key.to_vec()), Some(value.to_vec()));
        Ok(())
    }

    fn remove(&self, table: Table, key: &[u8]) -> Result<(), TxError> {
        self.writes.borrow_mut().insert((table, key.to_vec()), None);
        Ok(())
    }
}
