//! Clients that send headers and then trickle the body: each is cut off at the request deadline,
//! none holds a connection slot past it, others are served once slots free, and shutdown does
//! not wait on them.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{ROOT_KEY_ID, ROOT_SECRET};
use iamd::clock::Clock;
use iamd::config::{RootCredentials, Settings};
use iamd::server::{self, Limits};
use iamd::sigv4::SecretKey;
use iamd::state::State;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const DEADLINE: Duration = Duration::from_millis(600);
const SLOTS: usize = 4;

async fn start() -> (server::RunningServer, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::for_data_dir(dir.path());
    settings.root =
        Some(RootCredentials { access_key_id: ROOT_KEY_ID.into(), secret: SecretKey::new(ROOT_SECRET.into()) });
    let (state, _) = State::open(settings, Clock::system()).unwrap();
    let limits = Limits {
        max_connections: SLOTS,
        header_timeout: Duration::from_secs(5),
        request_deadline: DEADLINE,
        ..Limits::default()
    };
    let server = server::spawn_with(Arc::new(state), "127.0.0.1:0".parse().unwrap(), limits).await.unwrap();
    (server, dir)
}

/// Sends headers promising a body, then one byte every 100 ms; returns the task that reads the
/// answer (status line) and when it came.
fn slow_client(addr: std::net::SocketAddr) -> tokio::task::JoinHandle<(String, Duration)> {
    tokio::spawn(async move {
        let began = Instant::now();
        let mut s = TcpStream::connect(addr).await.unwrap();
        let head = "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n";
        s.write_all(head.as_bytes()).await.unwrap();
        let (mut r, mut w) = s.into_split();
        let trickle = tokio::spawn(async move {
            for _ in 0..1000 {
                tokio::time::sleep(Duration::from_millis(100)).await;
                if w.write_all(b"A").await.is_err() {
                    break;
                }
            }
        });
        let mut out = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(10), r.read_to_end(&mut out)).await;
        trickle.abort();
        let text = String::from_utf8_lossy(&out).into_owned();
        (text.lines().next().unwrap_or_default().to_owned() + " " + code_of(&text), began.elapsed())
    })
}

fn code_of(body: &str) -> &str {
    body.split("<Code>").nth(1).and_then(|r| r.split("</Code>").next()).unwrap_or("")
}

async fn healthz(addr: std::net::SocketAddr) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    String::from_utf8_lossy(&out).lines().next().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trickled_body_is_cut_off_at_the_deadline_and_frees_its_slot() {
    let (server, _dir) = start().await;
    let addr = server.local_addr();
    let slow: Vec<_> = (0..SLOTS).map(|_| slow_client(addr)).collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Every slot is taken: this client waits in the backlog until the deadline frees one.
    let waited = Instant::now();
    let status = tokio::time::timeout(Duration::from_secs(5), healthz(addr)).await.expect("served once a slot frees");
    assert_eq!(status, "HTTP/1.1 200 OK");
    let waited = waited.elapsed();
    assert!(waited < DEADLINE + Duration::from_millis(900), "waited {waited:?} for a slot");
    for c in slow {
        let (answer, took) = c.await.unwrap();
        assert_eq!(answer, "HTTP/1.1 400 Bad Request RequestTimeout");
        assert!(took >= DEADLINE && took < DEADLINE + Duration::from_secs(1), "cut off after {took:?}");
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_is_not_held_up_by_slow_clients_filling_every_slot() {
    let (server, _dir) = start().await;
    let addr = server.local_addr();
    // More slow clients than slots: some wait in the backlog.
    let slow: Vec<_> = (0..SLOTS * 2).map(|_| slow_client(addr)).collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let began = Instant::now();
    tokio::time::timeout(Duration::from_secs(5), server.shutdown()).await.expect("shutdown completes");
    let took = began.elapsed();
    assert!(took < DEADLINE + Duration::from_secs(1), "shutdown took {took:?}");
    for c in slow {
        c.abort();
    }
}
