//! iamd as a test fixture for Rust projects: an in-process daemon on `127.0.0.1:0` with its own
//! temporary data dir and root key, optionally seeded, stopped when dropped or by
//! [`TestServer::stop`]. Add iamd as a dev-dependency and point the SDK at
//! [`TestServer::endpoint`] (with the `sdk-config` feature, [`TestServer::sdk_config`] builds
//! the whole `aws_config::SdkConfig`).
//!
//! ```
//! # #[tokio::main(flavor = "multi_thread")]
//! # async fn main() {
//! let seed = iamd::seed::Seed::parse(r#"
//!     [[users]]
//!     name = "ci"
//!     [[users.access_keys]]
//!     id = "AKIAI44QH2DHBEXAMPLE"
//!     secret = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"
//! "#).unwrap();
//! let iam = iamd::testing::TestServer::builder().seed(seed).start().await.unwrap();
//! assert!(iam.endpoint().starts_with("http://127.0.0.1:"));
//! let (key_id, _secret) = iam.root_key();
//! assert!(key_id.starts_with("AKIA"));
//! // aws_sdk_iam::Client::new(&iam.sdk_config()) with the `sdk-config` feature, or:
//! // aws_sdk_iam::config::Builder::new().endpoint_url(iam.endpoint()).region(…).credentials_provider(…)
//! iam.stop().await;
//! # }
//! ```

use std::sync::Arc;

use crate::clock::Clock;
use crate::config::{RootCredentials, Settings};
use crate::ids::{IdKind, new_key_id, new_secret};
use crate::seed::Seed;
use crate::server::RunningServer;
use crate::server::client_env::ClientEnv;
use crate::sigv4::SecretKey;
use crate::state::State;

/// How a [`TestServer`] starts.
#[derive(Default)]
pub struct Builder {
    seed: Seed,
    account_id: Option<String>,
    region: Option<String>,
    root: Option<(String, String)>,
}

impl Builder {
    /// Entities to hold from the start (see `config/seed.example.toml`).
    #[must_use]
    pub fn seed(mut self, seed: Seed) -> Self {
        self.seed.extend(seed);
        self
    }

    /// The account's 12-digit id (default `000000000000`).
    #[must_use]
    pub fn account_id(mut self, id: &str) -> Self {
        self.account_id = Some(id.to_owned());
        self
    }

    /// The region clients are told to use (default `us-east-1`).
    #[must_use]
    pub fn region(mut self, region: &str) -> Self {
        self.region = Some(region.to_owned());
        self
    }

    /// A fixed root key instead of a random one.
    #[must_use]
    pub fn root_key(mut self, id: &str, secret: &str) -> Self {
        self.root = Some((id.to_owned(), secret.to_owned()));
        self
    }

    /// Opens a fresh store, applies the seed, and serves.
    ///
    /// # Errors
    /// Bad settings, a seed that does not apply, or no port to listen on.
    pub async fn start(self) -> Result<TestServer, String> {
        let dir = tempfile::Builder::new().prefix("iamd-test-").tempdir().map_err(|e| e.to_string())?;
        let mut settings = Settings::for_data_dir(dir.path());
        if let Some(id) = self.account_id {
            settings.account_id = id;
        }
        if let Some(region) = self.region {
            settings.region = region;
        }
        let (id, secret) =
            self.root.unwrap_or_else(|| (new_key_id(IdKind::AccessKey, &settings.account_id), new_secret()));
        settings.root = Some(RootCredentials { access_key_id: id.clone(), secret: SecretKey::new(secret.clone()) });
        self.seed.check()?;
        settings.seed = self.seed;
        let (state, _) = State::open(settings, Clock::system())?;
        let state = tokio::task::spawn_blocking(move || crate::seed::apply_configured(&state).map(|_| state))
            .await
            .map_err(|e| e.to_string())??;
        let state = Arc::new(state);
        let server = crate::server::spawn(state.clone(), "127.0.0.1:0".parse().expect("literal address"))
            .await
            .map_err(|e| e.to_string())?;
        Ok(TestServer { endpoint: server.endpoint(), server: Some(server), state, root: (id, secret), dir })
    }
}

/// A running iamd for one test.
pub struct TestServer {
    endpoint: String,
    server: Option<RunningServer>,
    state: Arc<State>,
    root: (String, String),
    dir: tempfile::TempDir,
}

impl TestServer {
    /// An empty daemon with a random root key.
    ///
    /// # Panics
    /// When it cannot start (no port, no temporary directory).
    pub async fn start() -> Self {
        Self::builder().start().await.expect("iamd test server")
    }

    #[must_use]
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// `http://127.0.0.1:PORT`: IAM and STS.
    #[must_use]
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The root user's access key id and secret.
    #[must_use]
    pub fn root_key(&self) -> (&str, &str) {
        (&self.root.0, &self.root.1)
    }

    #[must_use]
    pub fn region(&self) -> &str {
        &self.state.settings.region
    }

    #[must_use]
    pub fn account_id(&self) -> &str {
        &self.state.settings.account_id
    }

    /// The daemon's state, for assertions on what it stored.
    #[must_use]
    pub fn state(&self) -> &Arc<State> {
        &self.state
    }

    /// Where its store lives (removed when the server is dropped).
    #[must_use]
    pub fn data_dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// The variables `iamd serve --print-env` would print, for a child process.
    #[must_use]
    pub fn env(&self) -> Vec<(&'static str, String)> {
        ClientEnv {
            endpoint: self.endpoint.clone(),
            s3_endpoint: None,
            root_key: Some(self.root_key()),
            region: self.region(),
        }
        .variables()
    }

    /// An SDK configuration with the endpoint, region and root credentials, for any service
    /// client (`aws_sdk_iam::Client::new(&server.sdk_config())`).
    #[cfg(feature = "sdk-config")]
    #[must_use]
    pub fn sdk_config(&self) -> aws_types::SdkConfig {
        use aws_credential_types::Credentials;
        use aws_credential_types::provider::SharedCredentialsProvider;
        let creds = Credentials::new(&self.root.0, &self.root.1, None, None, "iamd-test-server");
        aws_types::SdkConfig::builder()
            .endpoint_url(&self.endpoint)
            .region(aws_types::region::Region::new(self.region().to_owned()))
            .credentials_provider(SharedCredentialsProvider::new(creds))
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .build()
    }

    /// Stops serving and waits for in-flight requests.
    pub async fn stop(mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
    }
}
