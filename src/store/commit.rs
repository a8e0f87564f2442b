//! Group commit: every sled write happens under one commit lock, and one flusher thread makes
//! batches of them durable with a single `flush` each.
//!
//! sled 0.34 deadlocks when transactions run concurrently with each other or with a flush
//! (spacejam/sled#1308, #1412, #1301: a flush holds its concurrency-control read lock while
//! transactions queue for the write lock). Here no two sled writes ever overlap, and no write
//! overlaps a flush, because all of them hold [`Committer::lock`]; sled's own periodic flusher is
//! switched off so the flusher below is the only one.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::error::AwsError;

/// How long the flusher lets writers that are already queued for the lock commit before it
/// flushes, so they share the flush.
const GATHER_LIMIT: Duration = Duration::from_millis(2);

thread_local! {
    /// The number of the last commit made on this thread: what a request that wrote waits for.
    static LAST_COMMIT: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// The number of the last commit this thread made since the previous call, if any; a request
/// waits for exactly that one to be durable before it is acknowledged.
#[must_use]
pub fn take_thread_commit() -> Option<u64> {
    Some(LAST_COMMIT.replace(0)).filter(|s| *s > 0)
}

/// What the flusher reports: the highest commit number known durable, or that a flush failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Durable {
    pub seq: u64,
    pub failed_at: Option<u64>,
}

/// Shared between writers and the flusher thread.
pub struct Committer {
    lock: Mutex<()>,
    /// Commits applied to sled so far (each successful write bumps it).
    committed: AtomicU64,
    /// Writers waiting for (or holding) the lock: the flusher waits for them to commit first.
    queued: AtomicUsize,
    wake: Condvar,
    wake_lock: Mutex<()>,
    durable_tx: watch::Sender<Durable>,
    durable_rx: watch::Receiver<Durable>,
    stop: AtomicBool,
    /// A flush failed. It is never retried: after a failed fsync Linux may drop the pages it
    /// could not write and report the next fsync clean, so a later "durable" could sit on a
    /// hole. Writes are refused until a restart reads back what the disk really holds.
    broken: AtomicBool,
    /// Flush latencies, for `/metrics`.
    pub flushes: crate::metrics::Histogram,
}

/// The exclusive right to write to sled, held for one write.
pub struct WriteGuard<'a> {
    committer: &'a Committer,
    _guard: MutexGuard<'a, ()>,
    wrote: bool,
}

impl WriteGuard<'_> {
    /// Marks that this guard's write changed the database (so a flush is owed).
    pub fn wrote(&mut self) {
        self.wrote = true;
    }
}

impl Drop for WriteGuard<'_> {
    fn drop(&mut self) {
        if self.wrote {
            let seq = self.committer.committed.fetch_add(1, Ordering::AcqRel) + 1;
            LAST_COMMIT.set(seq);
        }
        self.committer.queued.fetch_sub(1, Ordering::AcqRel);
        if self.wrote {
            let _g = self.committer.wake_lock.lock().unwrap_or_else(PoisonError::into_inner);
            self.committer.wake.notify_one();
        }
    }
}

impl Committer {
    #[must_use]
    pub fn new() -> Arc<Self> {
        let (durable_tx, durable_rx) = watch::channel(Durable { seq: 0, failed_at: None });
        Arc::new(Self {
            lock: Mutex::new(()),
            committed: AtomicU64::new(0),
            queued: AtomicUsize::new(0),
            wake: Condvar::new(),
            wake_lock: Mutex::new(()),
            durable_tx,
            durable_rx,
            stop: AtomicBool::new(false),
            broken: AtomicBool::new(false),
            flushes: crate::metrics::Histogram::default(),
        })
    }

    /// Waits for the commit lock. Blocking: call from a blocking context.
    pub fn write(&self) -> WriteGuard<'_> {
        self.queued.fetch_add(1, Ordering::AcqRel);
        let guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        WriteGuard { committer: self, _guard: guard, wrote: false }
    }

    /// Whether a flush has failed: from then on nothing more is acknowledged.
    #[must_use]
    pub fn broken(&self) -> bool {
        self.broken.load(Ordering::Acquire)
    }

    /// Marks the store broken and fails every commit not yet durable, and every later one.
    fn break_down(&self, error: &str) {
        self.broken.store(true, Ordering::Release);
        tracing::error!(error = %error, "flush failed; no change since the last good flush is acknowledged, and writes are refused until iamd restarts");
        self.durable_tx.send_modify(|d| d.failed_at = Some(u64::MAX));
    }

    /// The number of the latest commit: a request that wrote is durable once this is.
    #[must_use]
    pub fn committed(&self) -> u64 {
        self.committed.load(Ordering::Acquire)
    }

    /// Resolves once commit `seq` is on disk.
    ///
    /// # Errors
    /// `ServiceFailure` when the flush covering it failed.
    pub async fn durable(&self, seq: u64) -> Result<(), AwsError> {
        let mut rx = self.durable_rx.clone();
        let state = rx
            .wait_for(|d| d.seq >= seq || d.failed_at.is_some_and(|f| f >= seq))
            .await
            .map_err(|e| AwsError::internal(&e))?;
        if state.seq >= seq { Ok(()) } else { Err(AwsError::internal(&"the flush of this change failed")) }
    }

    /// Flushes now, on this thread, everything committed so far (start-up and shutdown paths,
    /// which have no request to share a flush with). Blocking.
    ///
    /// # Errors
    /// `ServiceFailure` when the flush fails.
    pub fn flush_now(&self, flush: impl FnOnce() -> Result<(), String>) -> Result<(), AwsError> {
        let guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        if self.broken() {
            return Err(AwsError::writes_refused());
        }
        let target = self.committed();
        let result = flush();
        drop(guard);
        if let Err(e) = &result {
            self.break_down(e);
        }
        result.map_err(|e| AwsError::internal(&e))?;
        self.durable_tx.send_modify(|d| d.seq = d.seq.max(target));
        Ok(())
    }

    fn nudge(&self) {
        let _g = self.wake_lock.lock().unwrap_or_else(PoisonError::into_inner);
        self.wake.notify_one();
    }

    /// Starts the flusher thread: it flushes whenever commits are ahead of the disk.
    pub fn start_flusher(self: &Arc<Self>, flush: impl Fn() -> Result<(), String> + Send + 'static) -> Flusher {
        let me = self.clone();
        let thread = std::thread::Builder::new()
            .name("iamd-flusher".into())
            .spawn(move || me.flush_loop(&flush))
            .expect("spawn the flusher thread");
        Flusher { committer: self.clone(), thread: Some(thread) }
    }

    fn flush_loop(&self, flush: &dyn Fn() -> Result<(), String>) {
        let mut flushed = 0;
        loop {
            {
                let mut g = self.wake_lock.lock().unwrap_or_else(PoisonError::into_inner);
                while self.committed() <= flushed && !self.stop.load(Ordering::Acquire) {
                    g = self.wake.wait_timeout(g, Duration::from_millis(100)).unwrap_or_else(PoisonError::into_inner).0;
                }
            }
            if self.committed() <= flushed && self.stop.load(Ordering::Acquire) {
                return;
            }
            // Let writers already queued for the lock commit first, so they share this flush.
            let gather = Instant::now();
            while self.queued.load(Ordering::Acquire) > 0 && gather.elapsed() < GATHER_LIMIT {
                std::thread::yield_now();
            }
            let started = Instant::now();
            let guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
            let target = self.committed();
            let result = flush();
            drop(guard);
            self.flushes.observe(started.elapsed());
            match result {
                Ok(()) => {
                    flushed = target;
                    self.durable_tx.send_modify(|d| d.seq = target);
                }
                Err(e) => {
                    self.break_down(&e);
                    return;
                }
            }
        }
    }
}

/// The running flusher; dropping it flushes what is left and joins the thread.
pub struct Flusher {
    committer: Arc<Committer>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Flusher {
    fn drop(&mut self) {
        self.committer.stop.store(true, Ordering::Release);
        self.committer.nudge();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
