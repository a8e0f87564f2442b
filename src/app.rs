//! One query-protocol request, from bytes to bytes: decode, verify the signature, dispatch,
//! encode. Nothing here touches hyper, so tests can drive it directly.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use time::Duration;

use crate::authn;
use crate::dispatch::{self, Entry};
use crate::error::AwsError;
use crate::operation::{Ctx, Service};
use crate::principal::Caller;
use crate::protocol::{Params, xml};
use crate::sigv4::{self, RequestParts, UriEncoding};
use crate::state::State;
use crate::store::take_thread_commit;
use crate::sts::token::SessionIdentity;

/// How far a request's clock may differ from ours, as in AWS.
pub const MAX_CLOCK_SKEW: Duration = Duration::minutes(15);

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
    /// Whether it came over TLS.
    pub secure: bool,
}

/// What to send back.
pub struct HttpResponse {
    pub status: u16,
    pub body: Vec<u8>,
    pub request_id: String,
    pub content_type: &'static str,
    /// Headers beyond the content type and request id (Keystone's `X-Subject-Token`).
    pub headers: Vec<(&'static str, String)>,
}

/// What the log line and the metrics of a request say.
struct Outcome {
    action: String,
    entry: Option<(usize, &'static Entry)>,
    principal: String,
    result: Result<Vec<u8>, AwsError>,
    service: Service,
    /// Whether the request failed before it was authenticated.
    auth_failed: bool,
}

/// Serves one API request.
pub async fn handle(state: &Arc<State>, req: HttpRequest) -> HttpResponse {
    let started = Instant::now();
    let request_id = crate::ids::new_uuid();
    let outcome = process(state, &req, &request_id).await;
    let (status, body) = match &outcome.result {
        Ok(body) => (200, body.clone()),
        Err(e) => (e.status(), xml::error_response(e, outcome.service.namespace(), &request_id)),
    };
    let took = started.elapsed();
    let code = outcome.result.as_ref().err().map(AwsError::code);
    state.metrics.record(outcome.entry.map(|(i, e)| (i, e.name)), status, took);
    if outcome.auth_failed {
        state.metrics.auth_failure(code.unwrap_or(""));
    }
    tracing::info!(
        request_id = %request_id,
        action = %outcome.action,
        principal = %outcome.principal,
        status,
        error = code.unwrap_or(""),
        latency_us = u64::try_from(took.as_micros()).unwrap_or(u64::MAX),
        "request"
    );
    HttpResponse { status, body, request_id, content_type: "text/xml", headers: Vec::new() }
}

async fn process(state: &Arc<State>, req: &HttpRequest, request_id: &str) -> Outcome {
    let body = (req.method == "POST").then_some(&req.body[..]);
    let params = match Params::decode_request(req.query.as_bytes(), body) {
        Ok(p) => p,
        Err(e) => {
            let (action, principal) = ("-".to_owned(), "-".to_owned());
            return Outcome {
                action,
                entry: None,
                principal,
                result: Err(e),
                service: Service::Iam,
                auth_failed: false,
            };
        }
    };
    let action = params.get("Action").unwrap_or_default().to_owned();
    let service = params
        .get("Version")
        .and_then(Service::from_version)
        .or_else(|| dispatch::service_of(&action))
        .unwrap_or(Service::Iam);
    let entry = dispatch::lookup(service, &action);
    let mut outcome =
        Outcome { action, entry, principal: "-".into(), result: Ok(Vec::new()), service, auth_failed: false };
    outcome.result = run(state, req, params, &mut outcome, request_id).await;
    outcome
}

async fn run(
    state: &Arc<State>,
    req: &HttpRequest,
    params: Params,
    outcome: &mut Outcome,
    request_id: &str,
) -> Result<Vec<u8>, AwsError> {
    if req.method != "POST" && req.method != "GET" {
        return Err(AwsError::InvalidAction(format!("Could not find operation for method {}", req.method)));
    }
    let (index, entry) = outcome.entry.ok_or_else(|| {
        AwsError::InvalidAction(format!(
            "Could not find operation {} for version {}",
            outcome.action,
            params.get("Version").unwrap_or("NO_VERSION_SPECIFIED")
        ))
    })?;
    let now = state.clock.now();
    let parts = RequestParts {
        method: &req.method,
        path: &req.path,
        query: &req.query,
        headers: &req.headers,
        body: &req.body,
    };
    let sig_settings = sigv4::Settings { now, max_skew: MAX_CLOCK_SKEW, uri_encoding: UriEncoding::Double };
    let caller = if entry.unsigned {
        unsigned_caller(state)
    } else {
        authenticate(state, &parts, &sig_settings, entry).inspect_err(|_| outcome.auth_failed = true)?
    };
    // Only the log line names the principal: build its ARN only when that line is written.
    if tracing::enabled!(tracing::Level::INFO) && !entry.unsigned {
        outcome.principal = caller.principal.arn();
    }
    // Temporary keys live only in their tokens; their uses are not tracked (nor asked about).
    if caller.session.is_none() && !entry.unsigned {
        state.last_used.record(&caller.access_key_id, now, entry.service.name(), &caller.region);
    }
    let source_ip = req.peer.map(|p| p.ip());
    let secure_transport = req.secure;
    let permission = dispatch::permission(index);
    // Test builds only: a handler that panics, to prove a panic fails its request alone.
    #[cfg(feature = "fault-injection")]
    let inject_panic = header(req, "x-iamd-test-panic").is_some();
    #[cfg(not(feature = "fault-injection"))]
    let inject_panic = false;
    // Test builds only: a slow handler, to fill the server's in-flight slots on purpose.
    #[cfg(feature = "fault-injection")]
    if let Some(ms) = header(req, "x-iamd-test-sleep-ms").and_then(|v| v.parse().ok()) {
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    }
    if !entry.mutates {
        let host = header(req, "host");
        let ctx = Ctx {
            app: state,
            caller: &caller,
            now,
            region: &caller.region,
            source_ip,
            secure_transport,
            permission,
            host,
        };
        assert!(!inject_panic, "panic injected by x-iamd-test-panic");
        return (entry.execute)(&ctx, &params, request_id);
    }
    // Writes wait for the commit lock and sled's I/O: keep them off the async workers.
    let state2 = state.clone();
    let request_id = request_id.to_owned();
    let host = header(req, "host").map(str::to_owned);
    let (body, committed) = tokio::task::spawn_blocking(move || {
        // A pooled thread: forget any commit number an earlier task left behind.
        let _ = take_thread_commit();
        let ctx = Ctx {
            app: &state2,
            caller: &caller,
            now,
            region: &caller.region,
            source_ip,
            secure_transport,
            permission,
            host: host.as_deref(),
        };
        assert!(!inject_panic, "panic injected by x-iamd-test-panic");
        ((entry.execute)(&ctx, &params, &request_id), take_thread_commit())
    })
    .await
    .map_err(|e| if e.is_panic() { AwsError::panicked() } else { AwsError::internal(&e) })?;
    // Never answered before the flush that covers its last commit (even when a later step
    // failed); concurrent writers share that flush.
    if let Some(seq) = committed {
        state.store.durable(seq).await?;
    }
    body
}

/// The caller of an unsigned action (AssumeRoleWithWebIdentity): nobody is authenticated, and
/// such actions neither ask for a permission nor read the caller (`dispatch::entry` enforces the
/// first); the account is the daemon's, where the action's own input does not name one.
fn unsigned_caller(state: &State) -> Caller {
    Caller {
        principal: crate::principal::Principal::Root { account: state.settings.account_id.clone() },
        access_key_id: String::new(),
        region: state.settings.region.clone(),
        session: None,
    }
}

/// Parses and verifies the signature and names the caller.
fn authenticate(
    state: &State,
    parts: &RequestParts<'_>,
    sig_settings: &sigv4::Settings,
    entry: &Entry,
) -> Result<Caller, AwsError> {
    let parsed = sigv4::parse(parts, sig_settings)?;
    if parsed.unsigned_payload {
        // The body carries the action and its parameters: IAM and STS must have it signed.
        return Err(AwsError::signature_mismatch());
    }
    sigv4::check_service(&parsed.scope, entry.service.name())?;
    let caller = authn::authenticate(state, parts, &parsed, sig_settings)?;
    // Credentials from GetSessionToken may call IAM only when they were got with MFA; without
    // it AWS refuses them as it refuses an unknown token.
    if entry.service == Service::Iam
        && caller.session.as_ref().is_some_and(|s| {
            !matches!(s.identity, SessionIdentity::AssumedRole { .. }) && s.mfa_authenticated_at.is_none()
        })
    {
        return Err(AwsError::invalid_token());
    }
    // A federated user's session may call no STS action but GetCallerIdentity.
    if entry.service == Service::Sts
        && entry.name != "GetCallerIdentity"
        && caller.session.as_ref().is_some_and(|s| matches!(s.identity, SessionIdentity::FederatedUser { .. }))
    {
        return Err(AwsError::AccessDenied(format!(
            "User: {} is not authorized to perform: sts:{} because federated user sessions cannot call it",
            caller.principal.arn(),
            entry.name
        )));
    }
    Ok(caller)
}

/// A request header's value (names compared without case).
fn header<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}
