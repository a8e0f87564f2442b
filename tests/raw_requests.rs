//! Requests no SDK would send: unsigned, malformed, stale, presigned by an independent signer.
//! Each must get an AWS-shaped error (or success) and leave the daemon serving.

mod common;

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign};
use aws_sigv4::sign::v4;
use common::{Daemon, ROOT_KEY_ID, ROOT_SECRET, get, raw};
use iamd::clock::Clock;

fn post(host: &str, body: &str, extra_headers: &str) -> String {
    format!(
        "POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n{extra_headers}Connection: close\r\n\r\n{body}",
        body.len()
    )
}

fn code_of(body: &str) -> &str {
    body.split("<Code>").nth(1).and_then(|r| r.split("</Code>").next()).unwrap_or("")
}

#[tokio::test]
async fn unsigned_and_malformed_requests_get_aws_errors() {
    let d = Daemon::start().await;
    let host = d.server.local_addr().to_string();

    let (status, body) = raw(&d, &post(&host, "Action=ListUsers&Version=2010-05-08", "")).await;
    assert_eq!((status, code_of(&body)), (403, "MissingAuthenticationToken"), "{body}");
    assert!(body.contains("<Type>Sender</Type>") && body.contains("<RequestId>"), "{body}");

    let (status, body) = raw(&d, &post(&host, "Action=NoSuchThing&Version=2010-05-08", "")).await;
    assert_eq!((status, code_of(&body)), (400, "InvalidAction"), "{body}");

    let bad_auth =
        "Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240101/us-east-1/iam/aws4_request\r\n";
    let (status, body) = raw(&d, &post(&host, "Action=ListUsers&Version=2010-05-08", bad_auth)).await;
    assert_eq!((status, code_of(&body)), (400, "IncompleteSignature"), "{body}");

    let garbage = "Authorization: AWS4-HMAC-SHA256 \u{7f}\u{1}==,,,Credential=/////\r\n";
    let (status, _) = raw(&d, &post(&host, "Action=ListUsers&Version=2010-05-08", garbage)).await;
    assert!((400..500).contains(&status), "{status}");

    let huge = "A".repeat(2 << 20);
    let (status, _) = raw(&d, &post(&host, &huge, "")).await;
    assert_eq!(status, 413);

    let (status, body) = raw(&d, &format!("GET /healthz HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")).await;
    assert_eq!((status, body.as_str()), (200, "ok\n"));

    // Still serving signed requests after all that.
    d.root_sts().get_caller_identity().send().await.unwrap();
}

/// A presigned `GET /?Action=GetCallerIdentity…` URL made by smithy-rs's aws-sigv4 crate.
fn presigned_url(d: &Daemon, key_id: &str, secret: &str, service: &str, at: SystemTime, expires: Duration) -> String {
    presigned_query(d, key_id, secret, service, at, expires, "Action=GetCallerIdentity&Version=2011-06-15")
}

/// `GET /?{query}`, presigned by aws-sigv4 (not by iamd's code).
fn presigned_query(
    d: &Daemon,
    key_id: &str,
    secret: &str,
    service: &str,
    at: SystemTime,
    expires: Duration,
    query: &str,
) -> String {
    let identity = Credentials::new(key_id, secret, None, None, "test").into();
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(expires);
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name(service)
        .time(at)
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let url = format!("{}/?{query}", d.endpoint());
    let host = d.server.local_addr().to_string();
    let signable =
        SignableRequest::new("GET", &url, [("host", host.as_str())].into_iter(), SignableBody::Bytes(b"")).unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let mut out = url;
    for (k, v) in instructions.params() {
        let v: String = percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC).to_string();
        out.push_str(&format!("&{k}={v}"));
    }
    out
}

#[tokio::test]
async fn presigned_urls_verify_until_they_expire() {
    let d = Daemon::start().await;
    let url = presigned_url(&d, ROOT_KEY_ID, ROOT_SECRET, "sts", SystemTime::now(), Duration::from_secs(300));
    let (status, body) = get(&d, &url).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<Arn>arn:aws:iam::000000000000:root</Arn>"), "{body}");

    let tampered = url.replace("GetCallerIdentity", "GetCallerIdentitY");
    assert_eq!(get(&d, &tampered).await.0, 400, "an unknown action is refused before the signature");
    let tampered = url.replace("X-Amz-Expires=300", "X-Amz-Expires=600");
    let (status, body) = get(&d, &tampered).await;
    assert_eq!((status, code_of(&body)), (403, "SignatureDoesNotMatch"), "{body}");

    let wrong_secret = presigned_url(&d, ROOT_KEY_ID, "x", "sts", SystemTime::now(), Duration::from_secs(300));
    assert_eq!(code_of(&get(&d, &wrong_secret).await.1), "SignatureDoesNotMatch");

    let wrong_service = presigned_url(&d, ROOT_KEY_ID, ROOT_SECRET, "iam", SystemTime::now(), Duration::from_secs(300));
    let (_, body) = get(&d, &wrong_service).await;
    assert!(
        body.contains("Credential should be scoped to correct service: &apos;sts&apos;")
            || body.contains("Credential should be scoped to correct service: 'sts'"),
        "{body}"
    );

    let old = SystemTime::now() - Duration::from_secs(600);
    let expired = presigned_url(&d, ROOT_KEY_ID, ROOT_SECRET, "sts", old, Duration::from_secs(60));
    let (status, body) = get(&d, &expired).await;
    assert!((400..=403).contains(&status) && !code_of(&body).is_empty(), "{status} {body}");
    assert_ne!(status, 200);
}

#[tokio::test]
async fn requests_outside_the_clock_skew_window_are_refused() {
    let clock = Clock::manual(time::OffsetDateTime::now_utc());
    let d = Daemon::start_with_clock(clock.clone()).await;
    let sts = d.root_sts();
    sts.get_caller_identity().send().await.unwrap();

    clock.advance(time::Duration::minutes(16));
    let err = sts.get_caller_identity().send().await.unwrap_err();
    let meta = err.as_service_error().map(aws_sdk_sts::error::ProvideErrorMetadata::meta).unwrap();
    assert_eq!(meta.code(), Some("SignatureDoesNotMatch"));
    let message = meta.message().unwrap();
    assert!(message.starts_with("Signature expired: ") && message.ends_with(" - 15 min.)"), "{message}");

    clock.advance(time::Duration::minutes(-32));
    let err = sts.get_caller_identity().send().await.unwrap_err();
    let message =
        err.as_service_error().and_then(aws_sdk_sts::error::ProvideErrorMetadata::message).unwrap().to_owned();
    assert!(message.starts_with("Signature not yet current: "), "{message}");

    clock.advance(time::Duration::minutes(16) + time::Duration::seconds(5));
    sts.get_caller_identity().send().await.unwrap();
}

/// IAM's body carries the action: a request that signs a payload marker instead of its body
/// (`UNSIGNED-PAYLOAD`, S3's chunked `STREAMING-…`) is refused even when its signature is right.
#[tokio::test]
async fn requests_that_leave_their_body_unsigned_are_refused() {
    use aws_sigv4::http_request::PayloadChecksumKind;
    let d = Daemon::start().await;
    let host = d.server.local_addr().to_string();
    let body = "Action=ListUsers&Version=2010-05-08";
    for marker in ["UNSIGNED-PAYLOAD", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"] {
        let identity = Credentials::new(ROOT_KEY_ID, ROOT_SECRET, None, None, "test").into();
        let mut settings = SigningSettings::default();
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region("us-east-1")
            .name("iam")
            .time(SystemTime::now())
            .settings(settings)
            .build()
            .unwrap()
            .into();
        let url = format!("{}/", d.endpoint());
        let headers = [("host", host.as_str()), ("content-type", "application/x-www-form-urlencoded")];
        let signable =
            SignableRequest::new("POST", &url, headers.into_iter(), SignableBody::Precomputed(marker.into())).unwrap();
        let (instructions, _) = sign(signable, &params).unwrap().into_parts();
        let extra: String = instructions.headers().map(|(k, v)| format!("{k}: {v}\r\n")).collect();
        assert!(extra.to_ascii_lowercase().contains(&format!("x-amz-content-sha256: {}", marker.to_ascii_lowercase())));
        let (status, reply) = raw(&d, &post(&host, body, &extra)).await;
        assert_eq!((status, code_of(&reply)), (403, "SignatureDoesNotMatch"), "{marker}: {reply}");
    }
    d.root_iam().list_users().send().await.unwrap();
}

/// Keystone's routes answer what the HTTP layer refuses in Keystone's shape, and garbage gets
/// Keystone's 400 while the daemon keeps serving.
#[tokio::test]
async fn keystone_routes_refuse_bad_bodies_in_keystones_shape() {
    let d = Daemon::start().await;
    let host = d.server.local_addr().to_string();
    let huge = "A".repeat(2 << 20);
    let request = format!(
        "POST /v3/s3tokens HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{huge}",
        huge.len()
    );
    let (status, body) = raw(&d, &request).await;
    assert_eq!(status, 413);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["error"]["code"], 413, "{body}");
    for junk in
        ["\u{0}\u{1}\u{2}", "[1,2,3]", "{\"auth\": 7}", "{\"auth\":{\"identity\":{\"methods\":[\"password\"]}}}"]
    {
        let request = format!(
            "POST /v3/auth/tokens HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{junk}",
            junk.len()
        );
        let (status, body) = raw(&d, &request).await;
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!((status, v["error"]["code"].as_u64()), (400, Some(400)), "{junk}: {body}");
    }
    d.root_sts().get_caller_identity().send().await.unwrap();
}

#[cfg(feature = "fault-injection")]
#[tokio::test]
async fn a_panicking_handler_fails_its_own_request_and_nothing_else() {
    use aws_sdk_iam::error::ProvideErrorMetadata;
    let d = Daemon::start().await;
    let now = SystemTime::now();
    let read = presigned_url(&d, ROOT_KEY_ID, ROOT_SECRET, "sts", now, Duration::from_secs(300));
    let write = presigned_query(
        &d,
        ROOT_KEY_ID,
        ROOT_SECRET,
        "iam",
        now,
        Duration::from_secs(300),
        "Action=CreateUser&UserName=doomed&Version=2010-05-08",
    );
    let host = d.server.local_addr().to_string();
    // A read panics on an async worker, a write on a blocking thread: both answer 500.
    for url in [&read, &write] {
        let path = url.trim_start_matches(&d.endpoint());
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nx-iamd-test-panic: 1\r\nConnection: close\r\n\r\n");
        let (status, body) = raw(&d, &request).await;
        assert_eq!((status, code_of(&body)), (500, "InternalFailure"), "{body}");
    }
    // The daemon serves on; the write that panicked before it ran left nothing behind.
    assert_eq!(get(&d, &read).await.0, 200);
    let iam = d.root_iam();
    assert_eq!(iam.get_user().user_name("doomed").send().await.unwrap_err().code(), Some("NoSuchEntity"));
    iam.create_user().user_name("after").send().await.unwrap();
}

#[cfg(feature = "fault-injection")]
#[tokio::test]
async fn past_max_in_flight_requests_are_shed_with_503_and_the_rest_served() {
    use aws_sdk_iam::error::ProvideErrorMetadata;
    let d = Daemon::start_configured(std::sync::Arc::new(tempfile::tempdir().unwrap()), Clock::system(), |s| {
        s.limits.max_in_flight = 2;
    })
    .await;
    let url = presigned_url(&d, ROOT_KEY_ID, ROOT_SECRET, "sts", SystemTime::now(), Duration::from_secs(300));
    let path = url.trim_start_matches(&d.endpoint()).to_owned();
    let host = d.server.local_addr().to_string();
    let slow =
        format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nx-iamd-test-sleep-ms: 2000\r\nConnection: close\r\n\r\n");
    let holders: Vec<_> = (0..2)
        .map(|_| {
            let (addr, slow) = (d.server.local_addr(), slow.clone());
            tokio::spawn(async move { common::raw_at(addr, &slow).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Both slots are held: the SDK's call (retries off) and a Keystone request are shed at once.
    let started = std::time::Instant::now();
    let err = d.root_sts().get_caller_identity().send().await.unwrap_err();
    assert_eq!((common::http_status(&err), err.code()), (503, Some("ServiceUnavailable")), "{err:?}");
    assert!(started.elapsed() < Duration::from_millis(1000), "shed, not queued: {:?}", started.elapsed());
    let keystone = format!("GET /v3/auth/tokens HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    let (status, body) = raw(&d, &keystone).await;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!((status, v["error"]["code"].as_u64()), (503, Some(503)), "{body}");
    // Health checks are never shed.
    assert_eq!(get(&d, "/healthz").await.0, 200);
    for h in holders {
        let (status, body) = h.await.unwrap();
        assert_eq!(status, 200, "{body}");
    }
    // The slots are free again.
    d.root_sts().get_caller_identity().send().await.unwrap();
}
