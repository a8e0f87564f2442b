//! Cache coherence across replicas, on the `iamd` channel. After each commit a replica
//! announces which accounts it changed (`NOTIFY` after the commit, not inside it: PostgreSQL
//! holds one global lock from a notifying transaction's pre-commit to its end, fsync included,
//! which would put every write of every replica in single file). Each replica listens on one
//! connection of its own, bumps the generations of what others changed, and then confirms it.
//!
//! A request that changed something is answered once every replica this one knows has
//! confirmed the change (at most [`CONFIRM_WAIT`]), so the very next request, wherever it
//! goes, sees it. PostgreSQL delivers notifications to every listener in one order (commit
//! order), which makes this exact with a position count instead of clocks:
//! - a confirmation names the newest of our changes the peer has applied, and so vouches for
//!   everything before it in that order;
//! - a replica says hello every [`HELLO_EVERY`] and serves only once its first hello came
//!   back: a change announced before that reached it before it served, one announced after
//!   it came after its hello, so the writer knew to wait for it;
//! - a replica that has not heard its own hello for [`TRUSTED_FOR`] stops trusting its view
//!   (every read goes to the database) until it hears one again, and writers stop waiting for
//!   a replica not heard from for [`LIVE_FOR`], longer than that;
//! - whenever the listener (re)connects, every cached record is dropped.
//!
//! Messages: `c:<replica>:<seq>:<K|->:<account,…>` a change, `a:<replica>:<origin>=<seq>,…`
//! confirmations, `h:<replica>` hello, `b:<replica>` goodbye.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio_postgres::tls::{MakeTlsConnect, TlsConnect};
use tokio_postgres::{AsyncMessage, Client, Socket};

use crate::store::view::Invalidation;

pub const CHANNEL: &str = "iamd";
/// Sends one message (parameters: the channel and the payload).
pub const NOTIFY: &str = "SELECT pg_notify($1, $2)";
/// How long a writer waits for the other replicas to confirm its change before answering anyway.
pub const CONFIRM_WAIT: Duration = Duration::from_secs(1);
/// How often a replica says it is there.
const HELLO_EVERY: Duration = Duration::from_millis(500);
/// How long after hearing its own hello a replica trusts its view.
const TRUSTED_FOR: Duration = Duration::from_millis(1500);
/// How long after last hearing a replica others wait for its confirmations.
const LIVE_FOR: Duration = Duration::from_millis(2500);
const RECONNECT_PAUSE: Duration = Duration::from_millis(200);
/// Own changes whose place in the order is remembered (a confirmation names one of them).
const REMEMBERED: usize = 1 << 14;

/// This replica on the channel: what it has heard, and whom it waits for.
pub struct Coherence {
    pub replica: String,
    next: AtomicU64,
    state: Mutex<State>,
    heard: Condvar,
    stale: Arc<Invalidation>,
}

#[derive(Default)]
struct State {
    connected: bool,
    /// Messages heard so far: a message's place in the one order all listeners share.
    position: u64,
    /// Our changes' places, by number.
    own: BTreeMap<u64, u64>,
    peers: HashMap<String, Peer>,
}

struct Peer {
    heard: Instant,
    /// The place of the newest of our changes it has confirmed.
    confirmed: u64,
    /// It let a change go unconfirmed: not waited for until it is heard again.
    silent: bool,
}

impl Peer {
    fn waited_for(&self, now: Instant) -> bool {
        !self.silent && now.duration_since(self.heard) < LIVE_FOR
    }
}

/// What a message from another replica asks of us.
#[derive(Debug, PartialEq, Eq)]
pub enum Reply {
    None,
    /// Confirm that we applied `origin`'s change `seq`.
    Confirm(String, u64),
}

impl Coherence {
    pub fn new(stale: Arc<Invalidation>) -> Self {
        Self {
            replica: crate::ids::new_secret().chars().filter(char::is_ascii_alphanumeric).take(12).collect(),
            next: AtomicU64::new(1),
            state: Mutex::new(State::default()),
            heard: Condvar::new(),
            stale,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether this replica may serve: its listener has heard itself lately.
    pub fn ready(&self) -> bool {
        self.stale.trusted()
    }

    /// The payload announcing a change to `accounts` (and to access keys, when `keys`), and
    /// its number.
    pub fn change(&self, accounts: &[String], keys: bool) -> (String, u64) {
        let seq = self.next.fetch_add(1, Ordering::AcqRel);
        let k = if keys { "K" } else { "-" };
        (format!("c:{}:{seq}:{k}:{}", self.replica, accounts.join(",")), seq)
    }

    pub fn hello(&self) -> String {
        format!("h:{}", self.replica)
    }

    pub fn goodbye(&self) -> String {
        format!("b:{}", self.replica)
    }

    fn confirmations(&self, batch: &HashMap<String, u64>) -> String {
        let list: Vec<String> = batch.iter().map(|(origin, seq)| format!("{origin}={seq}")).collect();
        format!("a:{}:{}", self.replica, list.join(","))
    }

    /// Waits until every replica waited for has confirmed change `seq` (or the wait ran out,
    /// or nobody listens here).
    pub fn wait(&self, seq: u64) {
        let deadline = Instant::now() + CONFIRM_WAIT;
        let mut st = self.lock();
        loop {
            if !st.connected {
                return;
            }
            let now = Instant::now();
            let place = st.own.get(&seq).copied();
            let late = place.map(|p| unconfirmed(&st, p, now));
            if late.as_ref().is_some_and(Vec::is_empty) {
                return;
            }
            if now >= deadline {
                let late = late.unwrap_or_default();
                for id in &late {
                    if let Some(peer) = st.peers.get_mut(id) {
                        peer.silent = true;
                    }
                }
                tracing::warn!(change = seq, replicas = ?late, "a change went unconfirmed; answering anyway");
                return;
            }
            st = self.heard.wait_timeout(st, deadline - now).unwrap_or_else(PoisonError::into_inner).0;
        }
    }

    /// Applies one message heard on the channel.
    pub fn apply(&self, payload: &str) -> Reply {
        let now = Instant::now();
        let mut st = self.lock();
        st.position += 1;
        let place = st.position;
        let reply = self.applied(&mut st, payload, place, now);
        drop(st);
        self.heard.notify_all();
        reply
    }

    fn applied(&self, st: &mut State, payload: &str, place: u64, now: Instant) -> Reply {
        let mut parts = payload.splitn(2, ':');
        let (Some(kind), Some(rest)) = (parts.next(), parts.next()) else {
            self.stale.everything();
            return Reply::None;
        };
        let (from, rest) = rest.split_once(':').unwrap_or((rest, ""));
        let ours = from == self.replica;
        if !ours && kind != "b" {
            let peer = st.peers.entry(from.to_owned()).or_insert(Peer { heard: now, confirmed: 0, silent: false });
            peer.heard = now;
            peer.silent = false;
        }
        match kind {
            "c" => {
                let mut fields = rest.splitn(3, ':');
                let (Some(Ok(seq)), Some(keys), Some(accounts)) =
                    (fields.next().map(str::parse::<u64>), fields.next(), fields.next())
                else {
                    self.stale.everything();
                    return Reply::None;
                };
                if ours {
                    // Our own change: the view was updated when it committed.
                    st.own.insert(seq, place);
                    while st.own.len() > REMEMBERED {
                        st.own.pop_first();
                    }
                    return Reply::None;
                }
                let accounts: Vec<String> = accounts.split(',').filter(|a| !a.is_empty()).map(str::to_owned).collect();
                self.stale.changed(&accounts, keys == "K");
                return Reply::Confirm(from.to_owned(), seq);
            }
            "a" if !ours => {
                let mine = rest.split(',').filter_map(|c| c.split_once('=')).filter(|(o, _)| *o == self.replica);
                if let Some(confirmed) = mine.filter_map(|(_, s)| s.parse().ok()).filter_map(|s| st.own.get(&s)).max()
                    && let Some(peer) = st.peers.get_mut(from)
                {
                    peer.confirmed = peer.confirmed.max(*confirmed);
                }
            }
            "h" if ours => self.stale.vouch(TRUSTED_FOR),
            "b" => {
                st.peers.remove(from);
            }
            "a" | "h" => {}
            _ => self.stale.everything(),
        }
        Reply::None
    }

    fn connected(&self) {
        self.stale.everything();
        self.lock().connected = true;
    }

    fn gone(&self) {
        self.stale.distrust();
        self.stale.everything();
        self.lock().connected = false;
        // Writers waiting for confirmations that will not come answer now.
        self.heard.notify_all();
    }
}

/// The replicas waited for that have not confirmed the change heard at `place`.
fn unconfirmed(st: &State, place: u64, now: Instant) -> Vec<String> {
    st.peers.iter().filter(|(_, p)| p.waited_for(now) && p.confirmed < place).map(|(id, _)| id.clone()).collect()
}

/// Says hello every [`HELLO_EVERY`], and sends the confirmations `pending` collects, on the
/// listener's own connection (so a replica that cannot hear cannot confirm either).
async fn speak(
    client: Arc<Client>,
    me: Arc<Coherence>,
    pending: Arc<Mutex<HashMap<String, u64>>>,
    wake: Arc<tokio::sync::Notify>,
) {
    let Ok(statement) = client.prepare(NOTIFY).await else { return };
    let mut hello = tokio::time::interval(HELLO_EVERY);
    loop {
        let payload = tokio::select! {
            _ = hello.tick() => me.hello(),
            () = wake.notified() => {
                let batch = std::mem::take(&mut *pending.lock().unwrap_or_else(PoisonError::into_inner));
                if batch.is_empty() {
                    continue;
                }
                me.confirmations(&batch)
            }
        };
        if let Err(e) = client.execute(&statement, &[&CHANNEL, &payload]).await {
            tracing::debug!(error = %e, "the database listener cannot speak");
            return;
        }
    }
}

/// Listens until the process ends, reconnecting whenever the connection drops.
pub async fn run<T>(config: tokio_postgres::Config, me: Arc<Coherence>, tls: T)
where
    T: MakeTlsConnect<Socket> + Clone + Send + Sync + 'static,
    T::Stream: Send,
    T::TlsConnect: Send,
    <T::TlsConnect as TlsConnect<Socket>>::Future: Send,
{
    loop {
        match config.connect(tls.clone()).await {
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
                    me.connected();
                    let pending = Arc::new(Mutex::new(HashMap::new()));
                    let wake = Arc::new(tokio::sync::Notify::new());
                    let speaker = tokio::spawn(speak(Arc::new(client), me.clone(), pending.clone(), wake.clone()));
                    while let Some(payload) = rx.recv().await {
                        if let Reply::Confirm(origin, seq) = me.apply(&payload) {
                            // The newest change of each origin vouches for its earlier ones.
                            pending.lock().unwrap_or_else(PoisonError::into_inner).insert(origin, seq);
                            wake.notify_one();
                        }
                    }
                    speaker.abort();
                }
                driver.abort();
                me.gone();
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

    fn replica() -> Coherence {
        let me = Coherence::new(Arc::new(Invalidation::leased()));
        me.connected();
        me
    }

    #[test]
    fn others_changes_make_their_accounts_stale_and_are_confirmed() {
        let me = replica();
        me.apply(&me.hello());
        let stale = &me.stale;
        let (g, k) = (stale.account("111111111111"), stale.keys());
        assert_eq!(me.apply("c:other:1:-:111111111111"), Reply::Confirm("other".into(), 1));
        assert_ne!(stale.account("111111111111"), g);
        assert_eq!(stale.keys(), k);
        me.apply("c:other:2:K:");
        assert_ne!(stale.keys(), k);
        let (payload, _) = me.change(&["222222222222".into()], false);
        let before = stale.account("222222222222");
        assert_eq!(me.apply(&payload), Reply::None);
        assert_eq!(stale.account("222222222222"), before, "our own change is not re-applied");
        let all = stale.keys();
        me.apply("garbage");
        assert_ne!(stale.keys(), all, "a message that cannot be read drops everything");
    }

    #[test]
    fn a_replica_trusts_its_view_only_once_it_hears_itself() {
        let me = replica();
        assert!(!me.ready());
        me.apply("h:someone-else");
        assert!(!me.ready());
        me.apply(&me.hello());
        assert!(me.ready());
        me.gone();
        assert!(!me.ready(), "a replica that cannot hear distrusts its view");
    }

    #[test]
    fn a_change_waits_for_each_known_replica_to_confirm_it() {
        let me = Arc::new(replica());
        me.apply("h:b");
        me.apply("h:c");
        let (payload, seq) = me.change(&[], true);
        let (earlier, earlier_seq) = me.change(&[], true);
        // Announced in one order, heard in the other: places, not numbers, decide.
        me.apply(&payload);
        me.apply(&earlier);
        let waiter = {
            let me = me.clone();
            std::thread::spawn(move || {
                let t = Instant::now();
                me.wait(seq);
                t.elapsed()
            })
        };
        std::thread::sleep(Duration::from_millis(50));
        me.apply(&format!("a:b:{}={earlier_seq},other=9", me.replica));
        me.apply(&format!("a:c:{}={seq}", me.replica));
        let waited = waiter.join().unwrap();
        assert!(waited < CONFIRM_WAIT / 2, "confirmed by both after {waited:?}");

        // c has confirmed only the earlier-heard change: a later one waits for it.
        let (third, third_seq) = me.change(&[], false);
        me.apply(&third);
        me.apply(&format!("a:b:{}={third_seq}", me.replica));
        let t = Instant::now();
        me.wait(third_seq);
        assert!(t.elapsed() >= CONFIRM_WAIT, "answered after {:?} without c", t.elapsed());
        // c let it go unconfirmed: the next change does not wait for it again ...
        let (fourth, fourth_seq) = me.change(&[], false);
        me.apply(&fourth);
        me.apply(&format!("a:b:{}={fourth_seq}", me.replica));
        let t = Instant::now();
        me.wait(fourth_seq);
        assert!(t.elapsed() < CONFIRM_WAIT / 2);
        // ... and a replica that said goodbye is not waited for at all.
        me.apply("b:b");
        let (fifth, fifth_seq) = me.change(&[], false);
        me.apply(&fifth);
        let t = Instant::now();
        me.wait(fifth_seq);
        assert!(t.elapsed() < CONFIRM_WAIT / 2);
    }
}
