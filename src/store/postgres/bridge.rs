//! The engine's own small runtime, which drives the database connections, and the one way the
//! store's blocking callers wait on it: from a blocking thread, an async worker (through
//! `block_in_place`) or a thread outside any runtime.

use std::future::Future;

use tokio::runtime::{Handle, Runtime, RuntimeFlavor};

use crate::error::AwsError;

pub struct Bridge {
    rt: Option<Runtime>,
    /// Flights of statements sent for requests (`iamd_store_round_trips_total`).
    pub round_trips: crate::metrics::Counter,
}

impl Bridge {
    /// # Errors
    /// When the runtime's thread cannot be started.
    pub fn new() -> Result<Self, String> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("iamd-postgres")
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the database runtime: {e}"))?;
        Ok(Self { rt: Some(rt), round_trips: crate::metrics::Counter::default() })
    }

    pub fn handle(&self) -> &Handle {
        self.rt.as_ref().map(Runtime::handle).unwrap_or_else(|| unreachable!("the runtime lives until drop"))
    }

    /// Sends one flight of statements (`fut`) and waits for its answers: [`Bridge::run`],
    /// counted as one round trip to the database.
    pub fn send<F>(&self, fut: F) -> F::Output
    where
        F: Future + Send,
        F::Output: Send,
    {
        self.round_trips.inc();
        self.run(fut)
    }

    /// Runs `fut` on the engine's runtime and waits for it.
    pub fn run<F>(&self, fut: F) -> F::Output
    where
        F: Future + Send,
        F::Output: Send,
    {
        let handle = self.handle();
        match Handle::try_current() {
            Ok(current) if current.runtime_flavor() == RuntimeFlavor::CurrentThread => {
                // A single-threaded runtime cannot lend its thread: wait on another one.
                std::thread::scope(|s| {
                    s.spawn(|| handle.block_on(fut)).join().unwrap_or_else(|p| std::panic::resume_unwind(p))
                })
            }
            Ok(_) => tokio::task::block_in_place(|| handle.block_on(fut)),
            Err(_) => handle.block_on(fut),
        }
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        // A store may be dropped on an async worker, where a runtime cannot block to shut down.
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

/// What a request gets while the database cannot be reached: AWS's 503, which SDKs retry.
#[must_use]
pub fn unavailable(detail: &dyn std::fmt::Display) -> AwsError {
    tracing::warn!(error = %detail, "the database is unavailable");
    AwsError::ServiceUnavailable("The service is unavailable: its database cannot be reached. Please retry.".into())
}

/// Whether a statement failed because it lost to a concurrent transaction (which PostgreSQL
/// rolled back whole, so running it again is safe).
#[must_use]
pub fn lost_race(e: &tokio_postgres::Error) -> bool {
    use tokio_postgres::error::SqlState;
    e.code().is_some_and(|c| *c == SqlState::T_R_SERIALIZATION_FAILURE || *c == SqlState::T_R_DEADLOCK_DETECTED)
}

/// The failure of a statement: the database gone (or going, or not yet back), or a real error.
#[must_use]
pub fn failure(e: &tokio_postgres::Error) -> AwsError {
    if e.is_closed() || e.code().is_none_or(|c| database_away(c.code())) {
        unavailable(e)
    } else {
        AwsError::internal(e)
    }
}

/// SQLSTATE classes of a server that is shutting down or starting up (57: operator
/// intervention, e.g. 57P01 during a fast shutdown, 57P03 while it starts), that lost the
/// connection (08) or has no room for it (53): transient, so AWS's 503, which SDKs retry.
fn database_away(sqlstate: &str) -> bool {
    ["57", "08", "53"].iter().any(|class| sqlstate.starts_with(class))
}
