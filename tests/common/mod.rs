//! An in-process iamd on 127.0.0.1:0 and SDK clients pointed at it.
#![allow(dead_code)]

pub mod binary;
pub mod postgres;

use std::path::Path;
use std::sync::Arc;

use aws_credential_types::Credentials;
use aws_sdk_iam::config::{BehaviorVersion, Region};
use aws_smithy_http_client::Builder as HttpBuilder;
use aws_smithy_types::retry::RetryConfig;
use iamd::clock::Clock;
use iamd::config::{RootCredentials, Settings};
use iamd::server::{self, RunningServer};
use iamd::sigv4::SecretKey;
use iamd::state::State;

pub const ROOT_KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
pub const ROOT_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
pub const ACCOUNT: &str = "000000000000";

/// The store a test daemon runs on: sled in its data dir, or with `IAMD_TEST_STORE=postgres`
/// a database of its own (named after the data dir, so a restart finds it again) on the
/// process's shared PostgreSQL.
pub fn test_store(dir: &Path) -> Option<iamd::store::postgres::Settings> {
    match std::env::var("IAMD_TEST_STORE").as_deref() {
        Ok("postgres") => {
            use std::hash::{BuildHasher, BuildHasherDefault};
            let h = BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default().hash_one(dir);
            Some(iamd::store::postgres::Settings::new(&postgres::shared().database(&format!("t{h:016x}"))))
        }
        Ok("sled") | Err(_) => None,
        Ok(other) => panic!("IAMD_TEST_STORE={other}: use sled or postgres"),
    }
}

/// Whether this run puts the suite on PostgreSQL (`IAMD_TEST_STORE=postgres`).
pub fn on_postgres() -> bool {
    std::env::var("IAMD_TEST_STORE").as_deref() == Ok("postgres")
}

/// A running daemon with its own data dir; dropped at the end of the test.
pub struct Daemon {
    pub server: RunningServer,
    pub app: Arc<State>,
    pub dir: Arc<tempfile::TempDir>,
}

impl Daemon {
    /// A fresh daemon on the system clock.
    pub async fn start() -> Self {
        Self::start_in(Arc::new(tempfile::tempdir().unwrap()), Clock::system()).await
    }

    /// A fresh daemon whose clock the test moves.
    pub async fn start_with_clock(clock: Clock) -> Self {
        Self::start_in(Arc::new(tempfile::tempdir().unwrap()), clock).await
    }

    pub async fn start_in(dir: Arc<tempfile::TempDir>, clock: Clock) -> Self {
        Self::start_configured(dir, clock, |_| {}).await
    }

    /// A daemon whose settings `configure` adjusts first (Keystone service users, say).
    pub async fn start_configured(
        dir: Arc<tempfile::TempDir>,
        clock: Clock,
        configure: impl FnOnce(&mut Settings),
    ) -> Self {
        let mut settings = Settings::for_data_dir(dir.path());
        settings.store = test_store(dir.path());
        configure(&mut settings);
        settings.root =
            Some(RootCredentials { access_key_id: ROOT_KEY_ID.into(), secret: SecretKey::new(ROOT_SECRET.into()) });
        let (app, generated) = State::open(settings, clock).unwrap();
        assert!(generated.is_none(), "configured root credentials must not generate a key");
        let app = Arc::new(app);
        let server = server::spawn(app.clone(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
        Self { server, app, dir }
    }

    /// Stops the daemon gracefully and starts a new one on the same data dir.
    pub async fn restart(self) -> Self {
        self.restart_configured(|_| {}).await
    }

    /// [`Daemon::restart`] with settings adjusted as [`Daemon::start_configured`] does.
    pub async fn restart_configured(self, configure: impl FnOnce(&mut Settings)) -> Self {
        let Self { server, app, dir } = self;
        server.shutdown().await;
        let clock = app.clock.clone();
        drop(app);
        Self::start_configured(dir, clock, configure).await
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn endpoint(&self) -> String {
        self.server.endpoint()
    }

    pub fn root_iam(&self) -> aws_sdk_iam::Client {
        self.iam(ROOT_KEY_ID, ROOT_SECRET)
    }

    pub fn root_sts(&self) -> aws_sdk_sts::Client {
        self.sts(ROOT_KEY_ID, ROOT_SECRET)
    }

    pub fn iam(&self, key_id: &str, secret: &str) -> aws_sdk_iam::Client {
        let conf = aws_sdk_iam::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(self.endpoint())
            .credentials_provider(Credentials::new(key_id, secret, None, None, "test"))
            .http_client(HttpBuilder::new().build_http())
            .retry_config(RetryConfig::disabled())
            .build();
        aws_sdk_iam::Client::from_conf(conf)
    }

    pub fn sts(&self, key_id: &str, secret: &str) -> aws_sdk_sts::Client {
        self.sts_with_token(key_id, secret, None)
    }

    pub fn sts_with_token(&self, key_id: &str, secret: &str, token: Option<String>) -> aws_sdk_sts::Client {
        let conf = aws_sdk_sts::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("eu-west-1"))
            .endpoint_url(self.endpoint())
            .credentials_provider(Credentials::new(key_id, secret, token, None, "test"))
            .http_client(HttpBuilder::new().build_http())
            .retry_config(RetryConfig::disabled())
            .build();
        aws_sdk_sts::Client::from_conf(conf)
    }

    /// Creates a user with one access key; returns (key id, secret).
    pub async fn user_with_key(&self, name: &str) -> (String, String) {
        let iam = self.root_iam();
        iam.create_user().user_name(name).send().await.unwrap();
        let key = iam.create_access_key().user_name(name).send().await.unwrap().access_key.unwrap();
        (key.access_key_id, key.secret_access_key)
    }
}

/// Sends raw bytes, returns (status, body).
pub async fn raw(d: &Daemon, request: &str) -> (u16, String) {
    raw_at(d.server.local_addr(), request).await
}

/// [`raw`] to a daemon's address, for tasks that outlive a borrow of it.
pub async fn raw_at(addr: std::net::SocketAddr, request: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    (status, body)
}

/// `GET url` (a URL of the daemon, or a path), with the daemon's address as `Host`.
pub async fn get(d: &Daemon, url: &str) -> (u16, String) {
    let host = d.server.local_addr().to_string();
    let path = url.trim_start_matches(&d.endpoint());
    raw(d, &format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")).await
}

/// The AWS error code and message of a failed SDK call.
pub fn aws_error<E, R>(err: &aws_sdk_iam::error::SdkError<E, R>) -> (String, String)
where
    E: aws_sdk_iam::error::ProvideErrorMetadata,
{
    let meta = err
        .as_service_error()
        .map(aws_sdk_iam::error::ProvideErrorMetadata::meta)
        .unwrap_or_else(|| panic!("not a service error"));
    (meta.code().unwrap_or_default().to_owned(), meta.message().unwrap_or_default().to_owned())
}

/// The HTTP status of a failed SDK call.
pub fn http_status<E, R: HasStatus>(err: &aws_sdk_iam::error::SdkError<E, R>) -> u16 {
    err.raw_response().map(HasStatus::status_code).unwrap_or_default()
}

pub trait HasStatus {
    fn status_code(&self) -> u16;
}

impl HasStatus for aws_smithy_runtime_api::http::Response {
    fn status_code(&self) -> u16 {
        self.status().as_u16()
    }
}

/// An SDK time source reading the daemon's clock, so tests can sign "in the future".
#[derive(Debug, Clone)]
pub struct ClockSource(pub Clock);

impl aws_smithy_async::time::TimeSource for ClockSource {
    fn now(&self) -> std::time::SystemTime {
        let now = self.0.now();
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(u64::try_from(now.unix_timestamp()).unwrap_or(0))
    }
}
