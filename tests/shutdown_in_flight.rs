//! SIGTERM while 32 clients are writing: each request either gets its correct answer or fails
//! to reach the daemon (a connection error, never a wrong or partial answer), the daemon exits
//! 0, and every acknowledged write is there after a restart.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_iam::error::SdkError;
use common::binary::{EXIT_TIMEOUT, iam, start, sts};

const ROOT: (&str, &str) = ("AKIAINFLIGHTROOT0001", "in-flight-root-secret-in-flight-root-0000");
const CLIENTS: usize = 32;

/// What one request came to.
enum Outcome {
    /// Acknowledged: the user and its key, with the answer checked.
    Created { user: String, key_id: String, secret: String },
    /// The user was acknowledged, its key's request did not reach an answer.
    UserOnly(String),
    /// The first request of the round got no answer.
    Nothing,
}

/// A failure that is the connection's, not the daemon's answer: refused, reset, closed early.
fn connection_error<E: std::fmt::Debug, R: std::fmt::Debug>(e: &SdkError<E, R>) -> bool {
    matches!(e, SdkError::DispatchFailure(_) | SdkError::ResponseError(_))
}

async fn client(endpoint: String, c: usize, answered: Arc<AtomicUsize>) -> Vec<Outcome> {
    let iam = iam(&endpoint, ROOT.0, ROOT.1);
    let mut out = Vec::new();
    for i in 0.. {
        let user = format!("flight-{c:02}-{i:04}");
        match iam.create_user().user_name(&user).send().await {
            Ok(r) => assert_eq!(r.user.unwrap().user_name, user),
            Err(e) => {
                assert!(connection_error(&e), "{user}: not a connection error: {e:?}");
                out.push(Outcome::Nothing);
                break;
            }
        }
        answered.fetch_add(1, Ordering::Relaxed);
        match iam.create_access_key().user_name(&user).send().await {
            Ok(r) => {
                let key = r.access_key.unwrap();
                assert_eq!(key.user_name, user);
                assert_eq!(key.secret_access_key.len(), 40);
                answered.fetch_add(1, Ordering::Relaxed);
                out.push(Outcome::Created { user, key_id: key.access_key_id, secret: key.secret_access_key });
            }
            Err(e) => {
                assert!(connection_error(&e), "{user} key: not a connection error: {e:?}");
                out.push(Outcome::UserOnly(user));
                break;
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_with_requests_in_flight_loses_no_acknowledged_write_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = start(dir.path(), Some(ROOT));
    let answered = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..CLIENTS).map(|c| tokio::spawn(client(d.endpoint(), c, answered.clone()))).collect();
    // Let the load build up, then stop the daemon under it.
    let deadline = Instant::now() + Duration::from_secs(20);
    while answered.load(Ordering::Relaxed) < 200 {
        assert!(Instant::now() < deadline, "the daemon answered only {} requests", answered.load(Ordering::Relaxed));
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let at_signal = answered.load(Ordering::Relaxed);
    d.sigterm();
    let status = tokio::task::spawn_blocking(move || {
        let status = d.wait_exit(EXIT_TIMEOUT);
        (d, status)
    });
    let mut outcomes = Vec::new();
    for c in clients {
        outcomes.extend(tokio::time::timeout(EXIT_TIMEOUT, c).await.expect("a client hung").expect("a client failed"));
    }
    let (d, status) = status.await.unwrap();
    assert!(status.success(), "iamd exited with {status} after SIGTERM under load");
    drop(d);
    let after_signal = answered.load(Ordering::Relaxed) - at_signal;
    let unanswered = outcomes.iter().filter(|o| !matches!(o, Outcome::Created { .. })).count();
    assert_eq!(unanswered, CLIENTS, "every client ends on a connection error");

    // A new daemon on the same data dir holds every acknowledged user and key; the keys sign.
    let d = start(dir.path(), Some(ROOT));
    let root = iam(&d.endpoint(), ROOT.0, ROOT.1);
    let mut keys = 0;
    for o in &outcomes {
        match o {
            Outcome::Created { user, key_id, secret } => {
                let me = sts(&d.endpoint(), key_id, secret, None).get_caller_identity().send().await;
                let arn = me.unwrap_or_else(|e| panic!("the key of {user} was lost: {e:?}")).arn.unwrap();
                assert!(arn.ends_with(&format!(":user/{user}")), "{arn}");
                keys += 1;
            }
            Outcome::UserOnly(user) => {
                root.get_user().user_name(user).send().await.unwrap_or_else(|e| panic!("{user} was lost: {e:?}"));
            }
            Outcome::Nothing => {}
        }
    }
    let mut stored = 0;
    let mut marker = None;
    loop {
        let page = root.list_users().max_items(1000).set_marker(marker.take()).send().await.unwrap();
        stored += page.users.len();
        if !page.is_truncated {
            break;
        }
        marker = page.marker;
    }
    let acknowledged_users = keys + outcomes.iter().filter(|o| matches!(o, Outcome::UserOnly(_))).count();
    // Unacknowledged creates may have landed too (their answer was lost), never fewer.
    assert!(stored >= acknowledged_users && stored <= acknowledged_users + CLIENTS, "{stored} vs {acknowledged_users}");
    println!(
        "SIGTERM under {CLIENTS} clients: {} acknowledged answers ({after_signal} after the signal), {keys} keys and \
         {acknowledged_users} users verified after restart, {CLIENTS} requests ended by connection errors, exit 0",
        answered.load(Ordering::Relaxed)
    );
}
