//! Cache coherence across replicas. After each commit a replica announces, on the `iamd`
//! channel, which accounts it changed (`NOTIFY` after the commit, not inside it: PostgreSQL
//! holds one global lock from a notifying transaction's pre-commit to its end, fsync
//! included, which would put every write of every replica in single file). Each replica
//! listens on one connection of its own and bumps the generations of what others changed.
//!
//! A request that changed something is answered only once its own announcement has come back
//! on this replica's listener (at most [`ECHO_WAIT`]): PostgreSQL signals every listener at
//! the same moment, so when it has come back here the other replicas have been sent it too.
//! Whenever the listener (re)connects, every cached record is dropped: changes may have been
//! missed meanwhile.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

use futures_util::StreamExt;
use tokio_postgres::{AsyncMessage, NoTls};

use crate::store::view::Invalidation;

pub const CHANNEL: &str = "iamd";
/// How long a writer waits for its announcement to come back before answering anyway.
pub const ECHO_WAIT: Duration = Duration::from_millis(250);
const RECONNECT_PAUSE: Duration = Duration::from_millis(200);

/// What this replica's listener has seen of its own announcements.
pub struct Echo {
    /// This process's id on the channel.
    pub replica: String,
    next: AtomicU64,
    seen: Mutex<u64>,
    arrived: Condvar,
    pub connected: AtomicBool,
}

impl Echo {
    pub fn new() -> Self {
        Self {
            replica: crate::ids::new_secret().chars().filter(char::is_ascii_alphanumeric).take(12).collect(),
            next: AtomicU64::new(1),
            seen: Mutex::new(0),
            arrived: Condvar::new(),
            connected: AtomicBool::new(false),
        }
    }

    /// The payload announcing a change to `accounts` (and to access keys, when `keys`), and
    /// its number.
    pub fn payload(&self, accounts: &[String], keys: bool) -> (String, u64) {
        let seq = self.next.fetch_add(1, Ordering::AcqRel);
        let k = if keys { "K" } else { "-" };
        (format!("{}:{seq}:{k}:{}", self.replica, accounts.join(",")), seq)
    }

    /// Waits until announcement `seq` has come back (or the wait ran out, or nobody listens).
    pub fn wait(&self, seq: u64) {
        if !self.connected.load(Ordering::Acquire) {
            return;
        }
        let seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = self.arrived.wait_timeout_while(seen, ECHO_WAIT, |s| *s < seq);
    }

    fn came_back(&self, seq: u64) {
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        *seen = (*seen).max(seq);
        self.arrived.notify_all();
    }

    fn gone(&self) {
        self.connected.store(false, Ordering::Release);
        // Writers waiting for an echo that will not come answer now.
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        *seen = u64::MAX;
        self.arrived.notify_all();
    }

    fn back(&self) {
        // Announcements numbered from here on are waited for again.
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        *seen = self.next.load(Ordering::Acquire).saturating_sub(1);
        self.connected.store(true, Ordering::Release);
    }
}

/// Applies one announcement.
fn apply(payload: &str, echo: &Echo, stale: &Invalidation) {
    let mut parts = payload.splitn(4, ':');
    let (Some(replica), Some(seq), Some(keys), Some(accounts)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        stale.everything();
        return;
    };
    if replica == echo.replica {
        // Our own change: the view was updated when it committed.
        echo.came_back(seq.parse().unwrap_or(u64::MAX));
        return;
    }
    let accounts: Vec<String> = accounts.split(',').filter(|a| !a.is_empty()).map(str::to_owned).collect();
    stale.changed(&accounts, keys == "K");
}

/// Listens until the process ends, reconnecting whenever the connection drops.
pub async fn run(config: tokio_postgres::Config, echo: Arc<Echo>, stale: Arc<Invalidation>) {
    loop {
        match config.connect(NoTls).await {
            Ok((client, mut connection)) => {
                let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
                let driver = tokio::spawn(async move {
                    let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
                    while let Some(Ok(m)) = messages.next().await {
                        if let AsyncMessage::Notification(n) = m {
                            let _ = tx.send(n.payload().to_owned());
                        }
                    }
                });
                if client.batch_execute(&format!("LISTEN {CHANNEL}")).await.is_ok() {
                    stale.everything();
                    echo.back();
                    while let Some(payload) = rx.recv().await {
                        apply(&payload, &echo, &stale);
                    }
                }
                driver.abort();
                echo.gone();
                stale.everything();
                tracing::warn!("the database listener lost its connection; reconnecting");
            }
            Err(e) => tracing::debug!(error = %e, "the database listener cannot connect yet"),
        }
        tokio::time::sleep(RECONNECT_PAUSE).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn others_changes_make_their_accounts_stale_and_our_own_come_back() {
        let echo = Echo::new();
        let stale = Invalidation::default();
        let (g, k) = (stale.accounts.current("111111111111"), stale.keys());
        apply("other:1:-:111111111111", &echo, &stale);
        assert_ne!(stale.accounts.current("111111111111"), g);
        assert_eq!(stale.keys(), k);
        apply("other:2:K:", &echo, &stale);
        assert_ne!(stale.keys(), k);
        let (payload, seq) = echo.payload(&["222222222222".into()], false);
        let before = stale.accounts.current("222222222222");
        apply(&payload, &echo, &stale);
        assert_eq!(stale.accounts.current("222222222222"), before, "our own change is not re-applied");
        assert!(*echo.seen.lock().unwrap() >= seq);
        let all = stale.keys();
        apply("garbage", &echo, &stale);
        assert_ne!(stale.keys(), all, "an announcement that cannot be read drops everything");
    }
}
