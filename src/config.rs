//! Settings, from four sources in falling precedence: command-line flags, `IAMD_*` environment
//! variables, a TOML file (`--config`), built-in defaults. `config/iamd.toml` documents every key.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::seed::format::Seed;
use serde::Deserialize;

use crate::sigv4::SecretKey;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:9500";
pub const DEFAULT_DATA_DIR: &str = "./data";
pub const DEFAULT_ACCOUNT_ID: &str = "000000000000";
pub const DEFAULT_REGION: &str = "us-east-1";
pub const DEFAULT_LOG: &str = "info";

/// Values given by flags or the environment (clap merges those two); `None` = not given. No
/// `Debug`: it holds the root secret in clear (as do the file's sections below).
#[derive(Default, Clone)]
pub struct Overrides {
    pub config: Option<PathBuf>,
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub account_id: Option<String>,
    pub root_access_key_id: Option<String>,
    pub root_secret_access_key: Option<String>,
    pub master_key_file: Option<PathBuf>,
    pub region: Option<String>,
    pub log: Option<String>,
    pub s3_listen: Option<String>,
    pub s3_backend: Option<String>,
    pub s3_backend_access_key_id: Option<String>,
    pub s3_backend_secret_access_key: Option<String>,
    pub s3_backend_region: Option<String>,
    /// `--seed FILE`, in order: applied after the config file's own seed tables.
    pub seeds: Vec<PathBuf>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub log_format: Option<String>,
    /// `--store` / `IAMD_STORE_URL`: a PostgreSQL URL instead of sled in the data dir.
    pub store_url: Option<String>,
}

/// The config file's keys, all optional.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    listen: Option<String>,
    data_dir: Option<PathBuf>,
    account_id: Option<String>,
    root_access_key_id: Option<String>,
    root_secret_access_key: Option<String>,
    master_key_file: Option<PathBuf>,
    region: Option<String>,
    log: Option<String>,
    log_format: Option<String>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    #[serde(default)]
    keystone: KeystoneFile,
    #[serde(default)]
    s3_gateway: S3GatewayFile,
    #[serde(default)]
    oidc: OidcFile,
    #[serde(default)]
    saml: SamlFile,
    #[serde(default)]
    outbound_federation: OutboundFederationFile,
    #[serde(default)]
    limits: LimitsFile,
    #[serde(default)]
    store: StoreFile,
    #[serde(default)]
    accounts: Vec<AccountFile>,
    // The seed tables, as in a `--seed` file.
    #[serde(default)]
    policies: Vec<crate::seed::format::PolicySeed>,
    #[serde(default)]
    groups: Vec<crate::seed::format::GroupSeed>,
    #[serde(default)]
    users: Vec<crate::seed::format::UserSeed>,
    #[serde(default)]
    roles: Vec<crate::seed::format::RoleSeed>,
}

/// One `[[accounts]]` entry: an account beside the default one.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountFile {
    id: String,
    root_access_key_id: String,
    root_secret_access_key: Option<String>,
    root_secret_file: Option<PathBuf>,
    /// Seed files applied to this account, as `--seed` files are to the default one.
    #[serde(default)]
    seeds: Vec<PathBuf>,
}

/// An account beside the default one, with its root key (which lives outside the store, as the
/// default account's configured root key does) and the entities it must hold.
#[derive(Clone)]
pub struct AccountSettings {
    pub id: String,
    pub root: RootCredentials,
    pub seed: Seed,
}

impl std::fmt::Debug for AccountSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountSettings").field("id", &self.id).field("root", &self.root).finish_non_exhaustive()
    }
}

fn check_account_id(id: &str) -> Result<(), String> {
    if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("account id {id:?} must be 12 digits"));
    }
    Ok(())
}

fn check_root(access_key_id: String, secret: String) -> Result<RootCredentials, String> {
    if access_key_id.len() < 16
        || access_key_id.len() > 128
        || !access_key_id.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return Err("root access key id must be 16-128 letters and digits".into());
    }
    if secret.len() < 16 {
        return Err("root secret access key must be at least 16 characters".into());
    }
    Ok(RootCredentials { access_key_id, secret: SecretKey::new(secret) })
}

fn read_seeds(paths: &[PathBuf], base: &Path) -> Result<Seed, String> {
    let mut seed = Seed::default();
    for path in paths {
        let path = if path.is_absolute() { path.clone() } else { base.join(path) };
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("cannot read the seed {}: {e}", path.display()))?;
        seed.extend(Seed::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?);
    }
    seed.check()?;
    Ok(seed)
}

impl AccountSettings {
    fn resolve(
        files: Vec<AccountFile>,
        base: &Path,
        default: &str,
        default_root: Option<&str>,
    ) -> Result<Vec<Self>, String> {
        let mut out: Vec<Self> = Vec::new();
        for a in files {
            check_account_id(&a.id)?;
            let at = format!("[[accounts]] {}", a.id);
            if a.id == default || out.iter().any(|o| o.id == a.id) {
                return Err(format!("{at}: the account is declared twice (or is the default account_id)"));
            }
            let secret = match (a.root_secret_access_key, a.root_secret_file) {
                (Some(s), None) => s,
                (None, Some(path)) => {
                    let path = if path.is_absolute() { path } else { base.join(path) };
                    let text = std::fs::read_to_string(&path)
                        .map_err(|e| format!("{at}: cannot read {}: {e}", path.display()))?;
                    text.trim_end_matches(['\n', '\r']).to_owned()
                }
                _ => return Err(format!("{at}: give exactly one of root_secret_access_key and root_secret_file")),
            };
            let root = check_root(a.root_access_key_id, secret).map_err(|e| format!("{at}: {e}"))?;
            if default_root == Some(root.access_key_id.as_str())
                || out.iter().any(|o| o.root.access_key_id == root.access_key_id)
            {
                return Err(format!("{at}: root key {} belongs to another account", root.access_key_id));
            }
            let seed = read_seeds(&a.seeds, base).map_err(|e| format!("{at}: {e}"))?;
            out.push(Self { id: a.id, root, seed });
        }
        Ok(out)
    }
}

/// The `[store]` section.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoreFile {
    url: Option<String>,
    pool_size: Option<usize>,
    timeout_seconds: Option<u64>,
}

impl StoreFile {
    /// The shared store to use, or `None` for sled in the data dir (the default).
    fn resolve(self, url: Option<String>) -> Result<Option<crate::store::postgres::Settings>, String> {
        let Some(url) = url.or(self.url).filter(|u| !u.is_empty() && u != "sled") else {
            if self.pool_size.is_some() || self.timeout_seconds.is_some() {
                return Err("[store] pool_size and timeout_seconds need a PostgreSQL url".into());
            }
            return Ok(None);
        };
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err("the store URL must start with postgres:// or postgresql:// (or be \"sled\")".into());
        }
        let mut s = crate::store::postgres::Settings::new(&url);
        if let Some(n) = self.pool_size {
            if !(1..=1_000).contains(&n) {
                return Err(format!("[store] pool_size {n}: give 1 to 1000"));
            }
            s.pool_size = n;
        }
        if let Some(t) = self.timeout_seconds {
            if !(1..=600).contains(&t) {
                return Err(format!("[store] timeout_seconds {t}: give 1 to 600"));
            }
            s.timeout = Duration::from_secs(t);
        }
        Ok(Some(s))
    }
}

/// The `[limits]` section.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitsFile {
    max_connections: Option<usize>,
    max_in_flight: Option<usize>,
    header_timeout_seconds: Option<u64>,
    request_deadline_seconds: Option<u64>,
}

/// Bounds on what clients may hold at once.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections served at once; more wait in the kernel's backlog.
    pub max_connections: usize,
    /// Requests being processed at once (bodies read, not yet answered), over all connections;
    /// more are answered `503 ServiceUnavailable` at once. One connection carries one request at
    /// a time (HTTP/1.1: a pipelined request waits in the socket until the one before is answered).
    pub max_in_flight: usize,
    /// How long a client may take to send a request's headers (and how long an idle
    /// keep-alive connection is kept).
    pub header_timeout: Duration,
    /// How long a client may take to send a whole request body: a client that trickles its
    /// body is cut off here and its slot freed.
    pub request_deadline: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: 1024,
            max_in_flight: 256,
            header_timeout: Duration::from_secs(30),
            request_deadline: Duration::from_secs(30),
        }
    }
}

impl Limits {
    fn resolve(file: LimitsFile) -> Result<Self, String> {
        // Zero of any of them would refuse every client.
        fn at_least_one<T: Default + PartialEq>(name: &str, v: Option<T>, default: T) -> Result<T, String> {
            match v {
                Some(v) if v == T::default() => Err(format!("limits.{name} must be at least 1")),
                v => Ok(v.unwrap_or(default)),
            }
        }
        let d = Self::default();
        Ok(Self {
            max_connections: at_least_one("max_connections", file.max_connections, d.max_connections)?,
            max_in_flight: at_least_one("max_in_flight", file.max_in_flight, d.max_in_flight)?,
            header_timeout: Duration::from_secs(at_least_one(
                "header_timeout_seconds",
                file.header_timeout_seconds,
                d.header_timeout.as_secs(),
            )?),
            request_deadline: Duration::from_secs(at_least_one(
                "request_deadline_seconds",
                file.request_deadline_seconds,
                d.request_deadline.as_secs(),
            )?),
        })
    }
}

/// The `[oidc]` section.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct OidcFile {
    #[serde(default)]
    pinned_jwks: Vec<PinnedJwksFile>,
}

/// The `[saml]` section.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SamlFile {
    #[serde(default)]
    audiences: Vec<String>,
}

/// The `[outbound_federation]` section.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct OutboundFederationFile {
    issuer_base_url: Option<String>,
}

/// A provider's signing keys given instead of fetched (air-gapped setups).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PinnedJwksFile {
    /// The provider's URL, as created (`https://idp.example.org/realm`).
    provider: String,
    jwks: Option<String>,
    jwks_file: Option<PathBuf>,
}

/// The `[s3_gateway]` section.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct S3GatewayFile {
    listen: Option<String>,
    backend: Option<String>,
    backend_access_key_id: Option<String>,
    backend_secret_access_key: Option<String>,
    backend_region: Option<String>,
    domain: Option<String>,
}

/// The S3 gateway: where it listens, the S3 server it forwards to, and that server's own key.
#[derive(Debug, Clone)]
pub struct S3GatewaySettings {
    pub listen: SocketAddr,
    /// The backend's base URL (`http://127.0.0.1:9000`).
    pub backend: String,
    pub backend_access_key_id: String,
    pub backend_secret: SecretKey,
    /// The region requests to the backend are signed for; also the gateway's own.
    pub region: String,
    /// With a domain, virtual-host-style requests (`bucket.domain`) are understood too.
    pub domain: Option<String>,
}

impl S3GatewaySettings {
    fn resolve(o: &Overrides, file: S3GatewayFile) -> Result<Option<Self>, String> {
        let listen = o.s3_listen.clone().or(file.listen);
        let backend = o.s3_backend.clone().or(file.backend);
        let (listen, backend) = match (listen, backend) {
            (None, None) => return Ok(None),
            (Some(l), Some(b)) => (l, b),
            _ => return Err("the S3 gateway needs both --s3-listen and --s3-backend".into()),
        };
        let listen: SocketAddr = listen.parse().map_err(|e| format!("S3 listen address {listen:?}: {e}"))?;
        if !(backend.starts_with("http://") || backend.starts_with("https://")) {
            return Err(format!("S3 backend {backend:?} must be an http:// or https:// URL"));
        }
        let key_id = o.s3_backend_access_key_id.clone().or(file.backend_access_key_id);
        let secret = o.s3_backend_secret_access_key.clone().or(file.backend_secret_access_key);
        let (Some(backend_access_key_id), Some(secret)) = (key_id, secret) else {
            return Err(
                "the S3 gateway needs the backend's key: IAMD_S3_BACKEND_ACCESS_KEY_ID and IAMD_S3_BACKEND_SECRET_ACCESS_KEY"
                    .into(),
            );
        };
        if let Some(domain) = &file.domain
            && !is_host_name(domain)
        {
            return Err(format!("[s3_gateway] domain {domain:?} is not a host name"));
        }
        Ok(Some(Self {
            listen,
            backend: backend.trim_end_matches('/').to_owned(),
            backend_access_key_id,
            backend_secret: SecretKey::new(secret),
            region: o.s3_backend_region.clone().or(file.backend_region).unwrap_or_else(|| DEFAULT_REGION.into()),
            domain: file.domain,
        }))
    }
}

/// A DNS host name: dot-separated labels of letters, digits and hyphens.
#[must_use]
pub fn is_host_name(name: &str) -> bool {
    !name.is_empty()
        && name.split('.').all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
}

/// The `[keystone]` section.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeystoneFile {
    #[serde(default)]
    service_users: Vec<ServiceUserFile>,
    /// IAM group name → Keystone roles its members get.
    #[serde(default)]
    group_roles: std::collections::BTreeMap<String, Vec<String>>,
    default_roles: Option<Vec<String>>,
    token_ttl_seconds: Option<u64>,
    region: Option<String>,
    public_url: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ServiceUserFile {
    name: String,
    password: Option<String>,
    password_file: Option<PathBuf>,
    project: Option<String>,
    roles: Option<Vec<String>>,
}

/// A storage server's account in the Keystone API (Swift's s3token, RGW), from the config file.
#[derive(Debug, Clone)]
pub struct ServiceUser {
    pub name: String,
    pub password: SecretKey,
    pub project: String,
    pub roles: Vec<String>,
}

/// How the Keystone-compatible API maps IAM onto Keystone.
#[derive(Debug, Clone)]
pub struct KeystoneSettings {
    pub service_users: Vec<ServiceUser>,
    pub group_roles: std::collections::BTreeMap<String, Vec<String>>,
    /// Roles every IAM user has (Keystone `member` by default).
    pub default_roles: Vec<String>,
    pub token_ttl: std::time::Duration,
    /// The region the catalog names.
    pub region: String,
    /// The `/v3` URL the catalog and links name; `None` = `http://<Host header>/v3`.
    pub public_url: Option<String>,
}

/// Tokens must outlive s3token's renewal margin (it renews at 120 s left) by a wide margin.
const MIN_TOKEN_TTL_SECONDS: u64 = 600;

impl Default for KeystoneSettings {
    fn default() -> Self {
        Self {
            service_users: Vec::new(),
            group_roles: std::collections::BTreeMap::new(),
            default_roles: vec!["member".into()],
            token_ttl: std::time::Duration::from_secs(3600),
            region: "RegionOne".into(),
            public_url: None,
        }
    }
}

impl KeystoneSettings {
    fn resolve(file: KeystoneFile, base: &Path) -> Result<Self, String> {
        let mut service_users = Vec::new();
        for u in file.service_users {
            let password = match (u.password, u.password_file) {
                (Some(p), None) => p,
                (None, Some(path)) => {
                    let path = if path.is_relative() { base.join(path) } else { path };
                    std::fs::read_to_string(&path)
                        .map_err(|e| format!("keystone service user {}: cannot read {}: {e}", u.name, path.display()))?
                        .trim_end_matches(['\n', '\r'])
                        .to_owned()
                }
                _ => return Err(format!("keystone service user {}: set password or password_file", u.name)),
            };
            if password.is_empty() {
                return Err(format!("keystone service user {}: empty password", u.name));
            }
            service_users.push(ServiceUser {
                name: u.name,
                password: SecretKey::new(password),
                project: u.project.unwrap_or_else(|| "service".into()),
                roles: u.roles.unwrap_or_else(|| vec!["admin".into()]),
            });
        }
        let defaults = Self::default();
        let ttl = file.token_ttl_seconds.unwrap_or(defaults.token_ttl.as_secs());
        if ttl < MIN_TOKEN_TTL_SECONDS {
            return Err(format!("keystone.token_ttl_seconds must be at least {MIN_TOKEN_TTL_SECONDS}"));
        }
        Ok(Self {
            service_users,
            group_roles: file.group_roles,
            default_roles: file.default_roles.unwrap_or(defaults.default_roles),
            token_ttl: std::time::Duration::from_secs(ttl),
            region: file.region.unwrap_or(defaults.region),
            public_url: match file.public_url {
                Some(u) if !(u.starts_with("http://") || u.starts_with("https://")) => {
                    return Err(format!("keystone.public_url {u:?} must start with http:// or https://"));
                }
                u => u.map(|u| u.trim_end_matches('/').to_owned()),
            },
        })
    }
}

/// Root credentials supplied by configuration rather than generated.
#[derive(Debug, Clone)]
pub struct RootCredentials {
    pub access_key_id: String,
    pub secret: SecretKey,
}

/// Resolved settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    /// Where the database lives; `None` with `ephemeral` until the server makes a temporary one.
    pub data_dir: PathBuf,
    pub ephemeral: bool,
    pub account_id: String,
    pub root: Option<RootCredentials>,
    pub master_key_file: Option<PathBuf>,
    /// The region `--print-env` advertises; STS accepts any region, IAM signs for us-east-1.
    pub region: String,
    pub log: String,
    pub keystone: KeystoneSettings,
    /// `None` unless the S3 gateway was asked for.
    pub s3_gateway: Option<S3GatewaySettings>,
    /// Entities applied at start: the config file's seed tables, then each `--seed` file's.
    pub seed: Seed,
    /// PEM certificate chain and private key: IAM/STS (and the S3 gateway) serve HTTPS.
    pub tls: Option<TlsFiles>,
    /// Log lines as text (default) or JSON objects.
    pub log_json: bool,
    /// OpenID Connect providers' JWKS documents given in the config: provider URL → JWKS text.
    pub pinned_jwks: Vec<(String, String)>,
    /// SAML Audience/Recipient URLs AssumeRoleWithSAML takes besides AWS's own
    /// (`https://signin.aws.amazon.com/saml` and its regional forms).
    pub saml_audiences: Vec<String>,
    /// Where verifiers reach this daemon, for the issuer URLs of outbound web identity
    /// federation (`https://iam.example.org`); `None` = the scheme and Host of each request.
    pub issuer_base_url: Option<String>,
    pub limits: Limits,
    /// Accounts beside the default one (`[[accounts]]`).
    pub accounts: Vec<AccountSettings>,
    /// A PostgreSQL database shared by replicas; `None` = sled in `data_dir`.
    pub store: Option<crate::store::postgres::Settings>,
}

/// Where the TLS certificate chain and its private key are (PEM).
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl Settings {
    /// Where clients reach this daemon (`http://127.0.0.1:9500`): the configured base URL, or
    /// the scheme and `Host` of the request at hand.
    #[must_use]
    pub fn public_base_url(&self, secure: bool, host: Option<&str>) -> String {
        if let Some(u) = &self.issuer_base_url {
            return u.clone();
        }
        let scheme = if secure { "https" } else { "http" };
        format!("{scheme}://{}", host.map_or_else(|| self.listen.to_string(), str::to_owned))
    }

    /// Defaults for an in-process server (tests): a free port on loopback.
    #[must_use]
    pub fn for_data_dir(data_dir: &Path) -> Self {
        Self {
            listen: "127.0.0.1:0".parse().expect("literal address"),
            data_dir: data_dir.to_path_buf(),
            ephemeral: false,
            account_id: DEFAULT_ACCOUNT_ID.into(),
            root: None,
            master_key_file: None,
            region: DEFAULT_REGION.into(),
            log: DEFAULT_LOG.into(),
            keystone: KeystoneSettings::default(),
            s3_gateway: None,
            seed: Seed::default(),
            tls: None,
            log_json: false,
            pinned_jwks: Vec::new(),
            saml_audiences: Vec::new(),
            issuer_base_url: None,
            limits: Limits::default(),
            store: None,
            accounts: Vec::new(),
        }
    }

    /// The root key configuration supplies with this id (the default account's, or one of
    /// `[[accounts]]`), and its account.
    #[must_use]
    pub fn configured_root(&self, access_key_id: &str) -> Option<(&str, &RootCredentials)> {
        let default = self.root.as_ref().map(|r| (self.account_id.as_str(), r));
        default
            .into_iter()
            .chain(self.accounts.iter().map(|a| (a.id.as_str(), &a.root)))
            .find(|(_, r)| r.access_key_id == access_key_id)
    }

    /// Merges overrides, the file they name, and defaults.
    ///
    /// # Errors
    /// A message naming the bad file, key or value.
    pub fn resolve(o: Overrides, ephemeral: bool) -> Result<Self, String> {
        let file = match &o.config {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                toml::from_str::<FileSettings>(&text).map_err(|e| format!("{}: {e}", path.display()))?
            }
            None => FileSettings::default(),
        };
        let s3_gateway = S3GatewaySettings::resolve(&o, file.s3_gateway)?;
        let listen = o.listen.or(file.listen).unwrap_or_else(|| DEFAULT_LISTEN.into());
        let listen: SocketAddr = listen.parse().map_err(|e| format!("listen address {listen:?}: {e}"))?;
        let account_id = o.account_id.or(file.account_id).unwrap_or_else(|| DEFAULT_ACCOUNT_ID.into());
        check_account_id(&account_id)?;
        let key_id = o.root_access_key_id.or(file.root_access_key_id);
        let secret = o.root_secret_access_key.or(file.root_secret_access_key);
        let root = match (key_id, secret) {
            (Some(access_key_id), Some(secret)) => Some(check_root(access_key_id, secret)?),
            (None, None) => None,
            _ => return Err("set both IAMD_ROOT_ACCESS_KEY_ID and IAMD_ROOT_SECRET_ACCESS_KEY, or neither".into()),
        };
        let base = o.config.as_deref().and_then(Path::parent).unwrap_or(Path::new("."));
        let keystone = KeystoneSettings::resolve(file.keystone, base)?;
        let accounts = AccountSettings::resolve(
            file.accounts,
            base,
            &account_id,
            root.as_ref().map(|r| r.access_key_id.as_str()),
        )?;
        let mut seed = Seed { policies: file.policies, groups: file.groups, users: file.users, roles: file.roles };
        // `--seed` paths are the user's own, relative to the working directory.
        seed.extend(read_seeds(&o.seeds, Path::new(""))?);
        seed.check()?;
        let tls = match (o.tls_cert.or(file.tls_cert), o.tls_key.or(file.tls_key)) {
            (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
            (None, None) => None,
            _ => return Err("TLS needs both a certificate (--tls-cert) and its key (--tls-key)".into()),
        };
        let log_json = match o.log_format.or(file.log_format).as_deref() {
            None | Some("text") => false,
            Some("json") => true,
            Some(other) => return Err(format!("log format {other:?}: use \"text\" or \"json\"")),
        };
        let mut pinned_jwks = Vec::new();
        for p in file.oidc.pinned_jwks {
            let text = match (p.jwks, p.jwks_file) {
                (Some(text), None) => text,
                (None, Some(path)) => {
                    let path = if path.is_absolute() { path } else { base.join(path) };
                    std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?
                }
                _ => {
                    return Err(format!("[[oidc.pinned_jwks]] {}: give exactly one of jwks and jwks_file", p.provider));
                }
            };
            pinned_jwks.push((p.provider, text));
        }
        Ok(Self {
            limits: Limits::resolve(file.limits)?,
            store: file.store.resolve(o.store_url.clone())?,
            accounts,
            keystone,
            seed,
            tls,
            log_json,
            pinned_jwks,
            saml_audiences: file.saml.audiences,
            issuer_base_url: match file.outbound_federation.issuer_base_url {
                Some(u) if !(u.starts_with("http://") || u.starts_with("https://")) => {
                    return Err(format!(
                        "outbound_federation.issuer_base_url {u:?} must start with http:// or https://"
                    ));
                }
                u => u.map(|u| u.trim_end_matches('/').to_owned()),
            },
            s3_gateway,
            listen,
            data_dir: o.data_dir.or(file.data_dir).unwrap_or_else(|| DEFAULT_DATA_DIR.into()),
            ephemeral,
            account_id,
            root,
            master_key_file: o.master_key_file.or(file.master_key_file),
            region: o.region.or(file.region).unwrap_or_else(|| DEFAULT_REGION.into()),
            log: o.log.or(file.log).unwrap_or_else(|| DEFAULT_LOG.into()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_or_env_beats_file_beats_default() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("iamd.toml");
        std::fs::write(&path, "listen = \"127.0.0.1:1234\"\naccount_id = \"111111111111\"\n").unwrap();
        let s = Settings::resolve(
            Overrides { config: Some(path.clone()), listen: Some("127.0.0.1:4321".into()), ..Overrides::default() },
            false,
        )
        .unwrap();
        assert_eq!(s.listen.port(), 4321);
        assert_eq!(s.account_id, "111111111111");
        assert_eq!(s.data_dir, PathBuf::from(DEFAULT_DATA_DIR));
    }

    #[test]
    fn unknown_file_keys_and_half_credentials_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("iamd.toml");
        std::fs::write(&path, "lisen = \"x\"\n").unwrap();
        assert!(Settings::resolve(Overrides { config: Some(path), ..Overrides::default() }, false).is_err());
        let half = Overrides { root_access_key_id: Some("AKIAAAAAAAAAAAAAAAAA".into()), ..Overrides::default() };
        assert!(Settings::resolve(half, false).is_err());
    }

    #[test]
    fn limits_come_from_the_file_and_zero_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("iamd.toml");
        std::fs::write(&path, "[limits]\nmax_in_flight = 7\nrequest_deadline_seconds = 3\n").unwrap();
        let s = Settings::resolve(Overrides { config: Some(path.clone()), ..Overrides::default() }, false).unwrap();
        assert_eq!((s.limits.max_in_flight, s.limits.max_connections), (7, 1024));
        assert_eq!(s.limits.request_deadline, Duration::from_secs(3));
        for bad in ["[limits]\nmax_in_flight = 0\n", "[limits]\nheader_timeout_seconds = 0\n", "[limits]\nx = 1\n"] {
            std::fs::write(&path, bad).unwrap();
            assert!(
                Settings::resolve(Overrides { config: Some(path.clone()), ..Overrides::default() }, false).is_err()
            );
        }
    }

    #[test]
    fn accounts_carry_their_root_keys_and_seeds() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("b.secret"), "bbbbbbbbbbbbbbbbbbbb\n").unwrap();
        std::fs::write(dir.path().join("b.seed.toml"), "[[users]]\nname = \"bob\"\n").unwrap();
        let path = dir.path().join("iamd.toml");
        let head = "root_access_key_id = \"AKIADEFAULTDEFAULT00\"\nroot_secret_access_key = \"dddddddddddddddddddd\"\n";
        let a = "[[accounts]]\nid = \"222233334444\"\nroot_access_key_id = \"AKIAAAAAAAAAAAAAAAA2\"\n\
                 root_secret_access_key = \"aaaaaaaaaaaaaaaaaaaa\"\n";
        let b = "[[accounts]]\nid = \"333344445555\"\nroot_access_key_id = \"AKIABBBBBBBBBBBBBBB3\"\n\
                 root_secret_file = \"b.secret\"\nseeds = [\"b.seed.toml\"]\n";
        std::fs::write(&path, format!("{head}{a}{b}")).unwrap();
        let s = Settings::resolve(Overrides { config: Some(path.clone()), ..Overrides::default() }, false).unwrap();
        let (account, root) = s.configured_root("AKIABBBBBBBBBBBBBBB3").unwrap();
        assert_eq!((account, root.secret.expose()), ("333344445555", "bbbbbbbbbbbbbbbbbbbb"));
        assert_eq!(s.configured_root("AKIADEFAULTDEFAULT00").unwrap().0, DEFAULT_ACCOUNT_ID);
        assert_eq!(s.configured_root("AKIAAAAAAAAAAAAAAAA2").unwrap().0, "222233334444");
        assert!(s.configured_root("AKIAUNKNOWNUNKNOWN00").is_none());
        assert_eq!(s.accounts[1].seed.users.len(), 1);
        for bad in [
            // The default account again, a duplicate, a reused root key, two secrets, none.
            a.replace("222233334444", DEFAULT_ACCOUNT_ID),
            format!("{a}{a}"),
            a.replace("AKIAAAAAAAAAAAAAAAA2", "AKIADEFAULTDEFAULT00"),
            format!("{a}root_secret_file = \"b.secret\"\n"),
            a.replace("root_secret_access_key = \"aaaaaaaaaaaaaaaaaaaa\"\n", ""),
            a.replace("222233334444", "12345"),
            format!("{a}unknown = 1\n"),
        ] {
            std::fs::write(&path, format!("{head}{bad}")).unwrap();
            let r = Settings::resolve(Overrides { config: Some(path.clone()), ..Overrides::default() }, false);
            assert!(r.is_err(), "{bad}");
        }
    }

    #[test]
    fn shipped_config_file_parses() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/iamd.toml");
        Settings::resolve(Overrides { config: Some(path), ..Overrides::default() }, false).unwrap();
    }

    #[test]
    fn keystone_service_users_take_passwords_from_files_and_defaults() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("rgw.password"), "from-a-file\n").unwrap();
        let path = dir.path().join("iamd.toml");
        let text = "[keystone]\ntoken_ttl_seconds = 900\n[keystone.group_roles]\nops = [\"admin\"]\n\
                    [[keystone.service_users]]\nname = \"swift\"\npassword = \"inline\"\n\
                    [[keystone.service_users]]\nname = \"rgw\"\npassword_file = \"rgw.password\"\n\
                    project = \"storage\"\nroles = [\"service\"]\n";
        std::fs::write(&path, text).unwrap();
        let s = Settings::resolve(Overrides { config: Some(path.clone()), ..Overrides::default() }, false).unwrap();
        let k = &s.keystone;
        assert_eq!(k.token_ttl.as_secs(), 900);
        assert_eq!(k.default_roles, ["member"]);
        assert_eq!(k.group_roles["ops"], ["admin"]);
        assert_eq!(
            (k.service_users[0].project.as_str(), k.service_users[0].roles.as_slice()),
            ("service", &["admin".to_owned()][..])
        );
        assert_eq!(k.service_users[0].password.expose(), "inline");
        assert_eq!(k.service_users[1].password.expose(), "from-a-file");
        assert_eq!(k.service_users[1].project, "storage");
        for bad in [
            "[[keystone.service_users]]\nname = \"x\"\n",
            "[[keystone.service_users]]\nname = \"x\"\npassword = \"a\"\npassword_file = \"b\"\n",
            "[keystone]\ntoken_ttl_seconds = 60\n",
            "[keystone]\nunknown = 1\n",
        ] {
            std::fs::write(&path, bad).unwrap();
            assert!(
                Settings::resolve(Overrides { config: Some(path.clone()), ..Overrides::default() }, false).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_s3_gateway_needs_a_listen_address_a_backend_and_its_key() {
        let none = Settings::resolve(Overrides::default(), false).unwrap();
        assert!(none.s3_gateway.is_none());
        let full = Overrides {
            s3_listen: Some("127.0.0.1:0".into()),
            s3_backend: Some("http://127.0.0.1:9000/".into()),
            s3_backend_access_key_id: Some("backend".into()),
            s3_backend_secret_access_key: Some("backend-secret".into()),
            ..Overrides::default()
        };
        let g = Settings::resolve(full.clone(), false).unwrap().s3_gateway.unwrap();
        assert_eq!((g.backend.as_str(), g.region.as_str()), ("http://127.0.0.1:9000", "us-east-1"));
        for broken in [
            Overrides { s3_backend: None, ..full.clone() },
            Overrides { s3_backend_secret_access_key: None, ..full.clone() },
            Overrides { s3_backend: Some("127.0.0.1:9000".into()), ..full.clone() },
            Overrides { s3_listen: Some("nowhere".into()), ..full.clone() },
        ] {
            assert!(Settings::resolve(broken, false).is_err());
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("iamd.toml");
        for (domain, ok) in [("s3.example.org", true), ("s3.example.org:9000", false), ("bad_name", false)] {
            std::fs::write(&path, format!("[s3_gateway]\ndomain = \"{domain}\"\n")).unwrap();
            let r = Settings::resolve(Overrides { config: Some(path.clone()), ..full.clone() }, false);
            assert_eq!(r.is_ok(), ok, "{domain}");
        }
    }
}
