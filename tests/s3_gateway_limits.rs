//! The S3 gateway sheds load as the IAM/STS listener does: past `max_in_flight` requests being
//! answered, the next is refused at once with S3's `503 SlowDown`, not queued; the one in flight
//! is served, and the slot is free again after it. The backend is a plain HTTP server that
//! answers every request with a short body, slowly while the test holds a slot.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_smithy_types::retry::RetryConfig;
use common::{Daemon, ROOT_KEY_ID, ROOT_SECRET};
use iamd::clock::Clock;
use iamd::config::S3GatewaySettings;
use iamd::sigv4::SecretKey;

/// A backend answering any request `200 hello`, after 1.5 s while `slow` is set.
async fn backend(slow: Arc<AtomicBool>) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { return };
            let slow = slow.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |_req| {
                    let slow = slow.load(Ordering::SeqCst);
                    async move {
                        if slow {
                            tokio::time::sleep(Duration::from_millis(1500)).await;
                        }
                        let body = http_body_util::Full::new(hyper::body::Bytes::from_static(b"hello"));
                        Ok::<_, std::convert::Infallible>(hyper::Response::new(body))
                    }
                });
                let io = hyper_util::rt::TokioIo::new(stream);
                let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await;
            });
        }
    });
    addr
}

fn s3_client(endpoint: String) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(ROOT_KEY_ID, ROOT_SECRET, None, None, "test"))
        .force_path_style(true)
        .retry_config(RetryConfig::disabled())
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

async fn get(s3: &aws_sdk_s3::Client) -> Result<Vec<u8>, (u16, String)> {
    match s3.get_object().bucket("data").key("k").send().await {
        Ok(out) => Ok(out.body.collect().await.unwrap().into_bytes().to_vec()),
        Err(e) => {
            let status = e.raw_response().map_or(0, |r| r.status().as_u16());
            Err((status, e.code().unwrap_or_default().to_owned()))
        }
    }
}

#[tokio::test]
async fn past_max_in_flight_the_gateway_answers_slow_down_at_once_and_serves_the_rest() {
    let slow = Arc::new(AtomicBool::new(true));
    let backend = backend(slow.clone()).await;
    let d = Daemon::start_configured(Arc::new(tempfile::tempdir().unwrap()), Clock::system(), |s| {
        s.limits.max_in_flight = 1;
    })
    .await;
    let g = S3GatewaySettings {
        listen: "127.0.0.1:0".parse().unwrap(),
        backend: format!("http://{backend}"),
        backend_access_key_id: "backendkey".into(),
        backend_secret: SecretKey::new("backendsecret".into()),
        region: "us-east-1".into(),
        domain: None,
    };
    let gateway = iamd::s3::spawn(d.app.clone(), &g, None).await.unwrap();
    let s3 = s3_client(format!("http://{}", gateway.local_addr()));

    let holder = {
        let s3 = s3.clone();
        tokio::spawn(async move { get(&s3).await })
    };
    tokio::time::sleep(Duration::from_millis(400)).await;
    let started = Instant::now();
    assert_eq!(get(&s3).await, Err((503, "SlowDown".to_owned())));
    assert!(started.elapsed() < Duration::from_millis(700), "shed, not queued: {:?}", started.elapsed());
    // The IAM/STS listener counts its own requests: the gateway's slot does not block it.
    d.root_sts().get_caller_identity().send().await.unwrap();

    assert_eq!(holder.await.unwrap(), Ok(b"hello".to_vec()), "the request in flight is served");
    slow.store(false, Ordering::SeqCst);
    assert_eq!(get(&s3).await, Ok(b"hello".to_vec()), "the slot is free again");
    gateway.shutdown().await;
}
