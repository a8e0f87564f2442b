//! One request, from bytes to bytes: decode, authenticate, dispatch, encode. Nothing here touches
//! hyper, so tests can drive it directly.

use std::net::SocketAddr;
use std::time::Instant;

use rand::RngCore;
use time::Duration;

use crate::authn;
use crate::clock::Clock;
use crate::config::Settings;
use crate::dispatch::{self, Ctx, Service};
use crate::error::AwsError;
use crate::ids::{IdKind, new_key_id, new_secret};
use crate::protocol::{Params, xml};
use crate::sigv4::{self, RequestParts, SecretKey, SigningKeyCache, UriEncoding};
use crate::store::{AccessKeyRecord, AccountRecord, KeyLastUsed, KeyStatus, LastUsedTracker, MasterKey, Store};
use crate::sts::token::{SessionIdentity, TokenSealer};

/// How far a request's clock may differ from ours, as in AWS.
pub const MAX_CLOCK_SKEW: Duration = Duration::minutes(15);

/// The daemon's state, shared by every request.
pub struct App {
    pub settings: Settings,
    pub store: Store,
    pub clock: Clock,
    pub signing_keys: SigningKeyCache,
    pub last_used: LastUsedTracker,
    /// Seals and opens session tokens.
    pub tokens: TokenSealer,
}

/// A root key generated on the first start of a data dir, to be shown once.
pub struct GeneratedRoot {
    pub access_key_id: String,
    pub secret: SecretKey,
}

/// A request as the HTTP layer received it.
pub struct HttpRequest {
    pub method: String,
    /// The raw path, still percent-encoded.
    pub path: String,
    /// The raw query string without `?`.
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: bytes::Bytes,
    pub peer: Option<SocketAddr>,
}

/// What to send back.
pub struct HttpResponse {
    pub status: u16,
    pub body: Vec<u8>,
    pub request_id: String,
}

/// What the log line of a request says.
struct Outcome {
    action: String,
    principal: String,
    result: Result<Vec<u8>, AwsError>,
    service: Service,
}

impl App {
    /// Opens the data dir and prepares the default account, generating its root key on first
    /// start when configuration gives none.
    ///
    /// # Errors
    /// A message naming what could not be opened or written.
    pub fn open(settings: Settings, clock: Clock) -> Result<(Self, Option<GeneratedRoot>), String> {
        std::fs::create_dir_all(&settings.data_dir)
            .map_err(|e| format!("cannot create data dir {}: {e}", settings.data_dir.display()))?;
        let (master_path, create) = match &settings.master_key_file {
            Some(p) => (p.clone(), false),
            None => (settings.data_dir.join("master.key"), true),
        };
        let master = MasterKey::load_or_create(&master_path, create)?;
        let store = Store::open(&settings.data_dir, &master).map_err(|e| e.to_string())?;
        let (token_key_id, token_key) = store.token_key().map_err(|e| format!("cannot prepare the token key: {e}"))?;
        let app = Self {
            settings,
            store,
            clock,
            signing_keys: SigningKeyCache::new(),
            last_used: LastUsedTracker::default(),
            tokens: TokenSealer::new(&token_key_id, &token_key),
        };
        let generated = app.bootstrap_root().map_err(|e| format!("cannot prepare the root account: {e}"))?;
        Ok((app, generated))
    }

    /// Makes sure the default account exists and has a root key: the configured one, else one
    /// generated now (returned so it can be shown once).
    fn bootstrap_root(&self) -> Result<Option<GeneratedRoot>, AwsError> {
        let account = self.settings.account_id.clone();
        let now = self.clock.now().replace_millisecond(0).unwrap_or_else(|_| self.clock.now());
        let existing = self.store.account(&account)?;
        let needs_key = self.settings.root.is_none() && existing.as_ref().is_none_or(|a| a.root_access_keys.is_empty());
        if existing.is_some() && !needs_key {
            return Ok(None);
        }
        let generated = needs_key.then(|| GeneratedRoot {
            access_key_id: new_key_id(IdKind::AccessKey, &account),
            secret: SecretKey::new(new_secret()),
        });
        let sealed = generated.as_ref().map(|g| self.store.sealer().seal(&g.access_key_id, &g.secret)).transpose()?;
        self.store.transact(|tx| {
            let mut a = tx.account(&account)?.unwrap_or_else(|| AccountRecord {
                id: account.clone(),
                create_date: Some(now),
                ..AccountRecord::default()
            });
            if let (Some(g), Some(sealed)) = (&generated, &sealed) {
                a.root_access_keys.push(g.access_key_id.clone());
                tx.put_access_key(&AccessKeyRecord {
                    id: g.access_key_id.clone(),
                    account: account.clone(),
                    user: None,
                    status: KeyStatus::Active,
                    create_date: now,
                    secret: sealed.clone(),
                })?;
            }
            tx.put_account(&a)
        })?;
        self.store.flush_blocking()?;
        Ok(generated)
    }

    /// Serves one API request.
    pub async fn handle(&self, req: HttpRequest) -> HttpResponse {
        let started = Instant::now();
        let request_id = new_request_id();
        let outcome = self.process(&req, &request_id).await;
        let (status, body) = match &outcome.result {
            Ok(body) => (200, body.clone()),
            Err(e) => (e.status(), xml::error_response(e, outcome.service.namespace(), &request_id)),
        };
        tracing::info!(
            request_id = %request_id,
            action = %outcome.action,
            principal = %outcome.principal,
            status,
            error = outcome.result.as_ref().err().map(AwsError::code).unwrap_or(""),
            latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
            "request"
        );
        HttpResponse { status, body, request_id }
    }

    async fn process(&self, req: &HttpRequest, request_id: &str) -> Outcome {
        let mut params = Params::decode(req.query.as_bytes());
        if req.method == "POST" {
            let mut form = Params::decode(&req.body);
            form.merge_missing(params);
            params = form;
        }
        let action = params.get("Action").unwrap_or_default().to_owned();
        let version = params.get("Version");
        let service =
            version.and_then(Service::from_version).or_else(|| dispatch::service_of(&action)).unwrap_or(Service::Iam);
        let mut outcome = Outcome { action, principal: "-".into(), result: Ok(Vec::new()), service };
        outcome.result = self.run(req, &params, &mut outcome, request_id).await;
        outcome
    }

    async fn run(
        &self,
        req: &HttpRequest,
        params: &Params,
        outcome: &mut Outcome,
        request_id: &str,
    ) -> Result<Vec<u8>, AwsError> {
        if req.method != "POST" && req.method != "GET" {
            return Err(AwsError::InvalidAction(format!("Could not find operation for method {}", req.method)));
        }
        let entry = dispatch::lookup(outcome.service, &outcome.action).ok_or_else(|| {
            AwsError::InvalidAction(format!(
                "Could not find operation {} for version {}",
                outcome.action,
                params.get("Version").unwrap_or("NO_VERSION_SPECIFIED")
            ))
        })?;
        let now = self.clock.now();
        let parts = RequestParts {
            method: &req.method,
            path: &req.path,
            query: &req.query,
            headers: &req.headers,
            body: &req.body,
        };
        let sig_settings = sigv4::Settings { now, max_skew: MAX_CLOCK_SKEW, uri_encoding: UriEncoding::Double };
        let parsed = sigv4::parse(&parts, &sig_settings)?;
        if parsed.unsigned_payload {
            // The body carries the action and its parameters: IAM and STS must have it signed.
            return Err(AwsError::signature_mismatch());
        }
        sigv4::check_service(&parsed.scope, entry.service.name())?;
        let caller = authn::authenticate(self, &parts, &parsed, &sig_settings)?;
        outcome.principal = caller.principal.arn();
        // Credentials from GetSessionToken cannot call IAM without MFA, which iamd does not offer;
        // AWS refuses them as it refuses an unknown token.
        if entry.service == Service::Iam
            && caller.session.as_ref().is_some_and(|s| !matches!(s.identity, SessionIdentity::AssumedRole { .. }))
        {
            return Err(AwsError::invalid_token());
        }
        self.last_used.record(
            &caller.access_key_id,
            KeyLastUsed { date: now, service: entry.service.name().into(), region: parsed.scope.region.clone() },
        );
        let ctx =
            Ctx { app: self, caller: &caller, now, region: &parsed.scope.region, source_ip: req.peer.map(|p| p.ip()) };
        let body = (entry.execute)(&ctx, params, request_id)?;
        if entry.mutates {
            self.store.flush().await?;
        }
        Ok(body)
    }

    /// Writes in-memory state (last-used data) and flushes; for periodic ticks and shutdown.
    ///
    /// # Errors
    /// `ServiceFailure` when the store cannot be written.
    pub fn persist(&self) -> Result<(), AwsError> {
        self.last_used.persist(&self.store)?;
        self.store.flush_blocking()
    }
}

/// A request id in AWS's UUID form.
fn new_request_id() -> String {
    let mut b = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}
