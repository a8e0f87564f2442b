//! The shared engine: one PostgreSQL database behind any number of iamd replicas. Records are
//! the embedded engine's pairs in one table (`schema`); each change is one transaction,
//! acknowledged only after its commit (`tx`); replicas keep their read views coherent through
//! `LISTEN`/`NOTIFY` (`listen`). Reads served from a replica's view need no round trip.

mod bridge;
mod listen;
mod schema;
mod tls;
mod tx;

use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Timeouts};
use tokio_postgres::NoTls;

use super::engine::{Engine, OpenError, Pair, Table, TxError, TxOps, Visit};
use super::view::Invalidation;
use crate::error::AwsError;
use bridge::{Bridge, failure, unavailable};
use listen::Coherence;
use tx::PgTx;

/// How a store reaches its database (`--store`, `IAMD_STORE_URL`, `[store]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// `postgres://user:password@host:port/db` (libpq's URL or key=value form).
    pub url: String,
    /// Connections kept for requests (the listener has one more).
    pub pool_size: usize,
    /// How long connecting, or waiting for a free connection, may take before a request is
    /// answered `ServiceUnavailable`.
    pub timeout: Duration,
}

impl Settings {
    pub const DEFAULT_POOL_SIZE: usize = 16;
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

    #[must_use]
    pub fn new(url: &str) -> Self {
        Self { url: url.to_owned(), pool_size: Self::DEFAULT_POOL_SIZE, timeout: Self::DEFAULT_TIMEOUT }
    }

    /// The URL with its password hidden, for logs and messages.
    #[must_use]
    pub fn redacted_url(&self) -> String {
        match (self.url.find("://"), self.url.rfind('@')) {
            (Some(scheme), Some(at)) if at > scheme => {
                let userinfo = &self.url[scheme + 3..at];
                let user = userinfo.split(':').next().unwrap_or("");
                format!("{}{user}:***{}", &self.url[..scheme + 3], &self.url[at..])
            }
            _ => self.url.clone(),
        }
    }
}

/// Attempts of one transaction that keeps losing races before it is answered 503.
const MAX_ATTEMPTS: u32 = 64;
/// Pairs read per round trip of a scan.
const SCAN_PAGE: i64 = 512;

pub struct PgEngine {
    pool: Pool,
    coherence: Arc<Coherence>,
    // Last: the runtime (and with it the pool's connections and the listener) stops on drop.
    bridge: Bridge,
}

impl PgEngine {
    /// Connects, applies the schema migrations and starts the listener.
    ///
    /// # Errors
    /// A URL that does not parse, a database that cannot be reached in time, or a migration
    /// that fails.
    pub fn connect(settings: &Settings, stale: Arc<Invalidation>) -> Result<Self, OpenError> {
        let where_ = settings.redacted_url();
        let (url, tls) = tls::from_url(&settings.url).map_err(OpenError)?;
        let mut config: tokio_postgres::Config =
            url.parse().map_err(|e| OpenError(format!("the store URL {where_} is not a PostgreSQL URL: {e}")))?;
        config.connect_timeout(settings.timeout);
        if config.get_application_name().is_none() {
            config.application_name("iamd");
        }
        let bridge = Bridge::new().map_err(OpenError)?;
        let recycling = || ManagerConfig { recycling_method: RecyclingMethod::Fast };
        let manager = match &tls {
            Some(tls) => Manager::from_config(config.clone(), tls.clone(), recycling()),
            None => Manager::from_config(config.clone(), NoTls, recycling()),
        };
        let timeouts =
            Timeouts { wait: Some(settings.timeout), create: Some(settings.timeout), recycle: Some(settings.timeout) };
        let pool = {
            let _runtime = bridge.handle().enter();
            Pool::builder(manager)
                .max_size(settings.pool_size.max(1))
                .timeouts(timeouts)
                .runtime(deadpool_postgres::Runtime::Tokio1)
                .build()
                .map_err(|e| OpenError(format!("cannot set up the connections to {where_}: {e}")))?
        };
        bridge.run(async {
            let mut client =
                pool.get().await.map_err(|e| OpenError(format!("cannot connect to the database at {where_}: {e}")))?;
            schema::migrate(&mut client).await.map_err(OpenError)
        })?;
        let coherence = Arc::new(Coherence::new(stale));
        match tls {
            Some(tls) => bridge.handle().spawn(listen::run(config, coherence.clone(), tls)),
            None => bridge.handle().spawn(listen::run(config, coherence.clone(), NoTls)),
        };
        // Serving before the listener hears itself would let a cached record outlive another
        // replica's change, and our own writes would not wait for the others (see `listen`).
        let deadline = std::time::Instant::now() + settings.timeout;
        while !coherence.ready() {
            if std::time::Instant::now() > deadline {
                return Err(OpenError(format!("cannot listen for other replicas' changes at {where_}")));
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        Ok(Self { pool, coherence, bridge })
    }

    fn client(&self) -> Result<Object, AwsError> {
        self.bridge.run(self.pool.get()).map_err(|e| unavailable(&e))
    }

    fn notify(&self, payload: &str) -> Result<(), AwsError> {
        let client = self.client()?;
        self.bridge.send(notify(&client, payload)).map_err(|e| failure(&e))
    }
}

impl Drop for PgEngine {
    fn drop(&mut self) {
        // So that the others stop waiting for this replica's confirmations at once (and with
        // the database gone, not long).
        let goodbye = self.coherence.goodbye();
        let pool = &self.pool;
        let say = async { notify(&pool.get().await.ok()?, &goodbye).await.ok() };
        // The timer is made inside the engine's runtime: a drop may happen outside any.
        let _ = self.bridge.run(async { tokio::time::timeout(Duration::from_millis(200), say).await });
    }
}

impl Engine for PgEngine {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, AwsError> {
        let client = self.client()?;
        let n = table.number();
        self.bridge.send(async {
            let st = client.prepare_cached(tx::GET).await.map_err(|e| failure(&e))?;
            let row = client.query_opt(&st, &[&n, &key]).await.map_err(|e| failure(&e))?;
            Ok(row.map(|r| r.get::<_, Vec<u8>>(0)))
        })
    }

    fn scan(&self, table: Table, prefix: &[u8], from: &[u8], visit: &mut Visit<'_>) -> Result<(), AwsError> {
        let client = self.client()?;
        let n = table.number();
        let mut start = if from > prefix { from.to_vec() } else { prefix.to_vec() };
        loop {
            let rows = self.bridge.send(async {
                let st = client
                    .prepare_cached(
                        "SELECT key, value FROM iamd_records WHERE tbl = $1 AND key >= $2 ORDER BY key LIMIT $3",
                    )
                    .await
                    .map_err(|e| failure(&e))?;
                client.query(&st, &[&n, &start, &SCAN_PAGE]).await.map_err(|e| failure(&e))
            })?;
            let full = rows.len() == usize::try_from(SCAN_PAGE).unwrap_or(usize::MAX);
            for row in &rows {
                let key: &[u8] = row.get(0);
                if !key.starts_with(prefix) || !visit(key, row.get(1))? {
                    return Ok(());
                }
            }
            match rows.last() {
                Some(last) if full => {
                    // The smallest key after the last one.
                    start = last.get::<_, Vec<u8>>(0);
                    start.push(0);
                }
                _ => return Ok(()),
            }
        }
    }

    fn transact(&self, f: &dyn Fn(&dyn TxOps) -> Result<(), TxError>) -> Result<(), AwsError> {
        for attempt in 0..MAX_ATTEMPTS {
            let client = self.client()?;
            let tx = PgTx::new(&client, &self.bridge);
            let outcome = f(&tx).and_then(|()| tx.commit());
            if outcome.is_err() && tx.rollback().is_err() {
                // Its state is unknown: never hand it to another request.
                drop(Object::take(client));
            }
            match outcome {
                Ok(()) => return Ok(()),
                Err(TxError::Abort(e)) => return Err(e),
                Err(TxError::Retry) => {
                    // Lost a deadlock: the winner holds the locks briefly; step aside for it.
                    let pause = Duration::from_micros(200 * u64::from(attempt.min(20)) + rand::random::<u64>() % 500);
                    std::thread::sleep(pause);
                }
            }
        }
        Err(AwsError::ServiceUnavailable("The request kept colliding with concurrent changes. Please retry.".into()))
    }

    fn durable_on_commit(&self) -> bool {
        true
    }

    fn flush(&self) -> Result<(), String> {
        Ok(())
    }

    fn announce(&self, accounts: &[String], keys: bool) -> Result<(), AwsError> {
        let (payload, seq) = self.coherence.change(accounts, keys);
        self.notify(&payload)?;
        self.coherence.wait(seq);
        Ok(())
    }

    fn snapshot(&self, visit: &mut Pair<'_>) -> Result<(), AwsError> {
        let mut client = self.client()?;
        let rows = self.bridge.send(async {
            let tx = client
                .build_transaction()
                .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
                .await
                .map_err(|e| failure(&e))?;
            let rows = tx
                .query("SELECT tbl, key, value FROM iamd_records ORDER BY tbl, key", &[])
                .await
                .map_err(|e| failure(&e))?;
            tx.commit().await.map_err(|e| failure(&e))?;
            Ok::<_, AwsError>(rows)
        })?;
        for row in &rows {
            let n: i16 = row.get(0);
            let Some(table) = usize::try_from(n).ok().and_then(|i| Table::ALL.get(i)) else {
                return Err(AwsError::internal(&format!("a record of unknown table {n}")));
            };
            visit(*table, row.get(1), row.get(2));
        }
        Ok(())
    }

    fn round_trips(&self) -> Option<u64> {
        Some(self.bridge.round_trips.get())
    }

    fn healthy(&self) -> bool {
        self.bridge.run(async {
            let Ok(Ok(client)) = tokio::time::timeout(Duration::from_secs(2), self.pool.get()).await else {
                return false;
            };
            matches!(tokio::time::timeout(Duration::from_secs(2), client.simple_query("SELECT 1")).await, Ok(Ok(_)))
        })
    }
}

async fn notify(client: &Object, payload: &str) -> Result<(), tokio_postgres::Error> {
    let st = client.prepare_cached(listen::NOTIFY).await?;
    client.execute(&st, &[&listen::CHANNEL, &payload]).await.map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_shows_no_password() {
        let s = Settings::new("postgres://iamd:s3cret@db.example:5432/iamd");
        assert_eq!(s.redacted_url(), "postgres://iamd:***@db.example:5432/iamd");
        assert_eq!(Settings::new("host=/tmp dbname=x").redacted_url(), "host=/tmp dbname=x");
    }
}
