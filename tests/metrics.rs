//! `GET /metrics`: request counts per action and outcome, authentication failures by code,
//! flushes and cache use, in Prometheus's text format.

mod common;

use common::Daemon;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn metrics(d: &Daemon) -> String {
    let mut s = tokio::net::TcpStream::connect(d.server.local_addr()).await.unwrap();
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    text.split_once("\r\n\r\n").unwrap().1.to_owned()
}

fn value(text: &str, series: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series).and_then(|v| v.trim().parse().ok()))
        .unwrap_or_else(|| panic!("no {series} in\n{text}"))
}

#[tokio::test]
async fn metrics_count_requests_failures_flushes_and_cache_use() {
    let d = Daemon::start().await;
    let (id, secret) = d.user_with_key("alice").await;
    let sts = d.sts(&id, &secret);
    for _ in 0..3 {
        sts.get_caller_identity().send().await.unwrap();
    }
    d.sts(&id, "wrong-secret-wrong-secret-wrong-secret00").get_caller_identity().send().await.unwrap_err();
    d.sts("AKIAUNKNOWNKEY000000", &secret).get_caller_identity().send().await.unwrap_err();
    d.iam(&id, &secret).list_users().send().await.unwrap_err();

    let m = metrics(&d).await;
    assert_eq!(value(&m, r#"iamd_request_duration_seconds_count{action="GetCallerIdentity",outcome="success"}"#), 3);
    assert_eq!(
        value(&m, r#"iamd_request_duration_seconds_count{action="GetCallerIdentity",outcome="client_error"}"#),
        2
    );
    assert_eq!(value(&m, r#"iamd_request_duration_seconds_count{action="CreateUser",outcome="success"}"#), 1);
    assert_eq!(value(&m, r#"iamd_request_duration_seconds_count{action="ListUsers",outcome="client_error"}"#), 1);
    assert_eq!(value(&m, r#"iamd_auth_failures_total{code="SignatureDoesNotMatch"}"#), 1);
    assert_eq!(value(&m, r#"iamd_auth_failures_total{code="InvalidClientTokenId"}"#), 1);
    // AccessDenied is an authorization outcome, not an authentication failure.
    assert!(!m.contains(r#"code="AccessDenied""#), "{m}");
    assert!(value(&m, "iamd_store_flush_duration_seconds_count") >= 2, "CreateUser and CreateAccessKey were flushed");
    assert!(value(&m, r#"iamd_cache_hits_total{cache="access_key"}"#) >= 3);
    assert!(m.contains("# TYPE iamd_request_duration_seconds histogram"), "{m}");
}
