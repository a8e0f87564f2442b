//! Routing `/v3` requests to their handlers, off the async workers, and answering once any
//! change is durable.

use std::sync::Arc;
use std::time::Instant;

use super::error::{KeystoneError, KsResult};
use super::request::{Reply, Req};
use super::{auth, credentials, directory, ec2, s3tokens};
use crate::app::{HttpRequest, HttpResponse};
use crate::state::State;
use crate::store::take_thread_commit;

/// Whether `path` belongs to this front end.
#[must_use]
pub fn routes(path: &str) -> bool {
    path == "/v3" || path.starts_with("/v3/")
}

/// Serves one `/v3` request.
pub async fn handle(state: &Arc<State>, req: HttpRequest) -> HttpResponse {
    let started = Instant::now();
    let method = req.method.clone();
    let path = req.path.clone();
    let row = route_name(&path).map(|(i, name)| (crate::metrics::KEYSTONE_ROWS + i, name));
    let joined = if reads_only(&method, &path) {
        // What a storage server asks on every S3 request: memory and cached reads only.
        Ok((route(state, &req), None))
    } else {
        // Logins hash passwords and the rest writes the store: off the async workers.
        let state2 = state.clone();
        tokio::task::spawn_blocking(move || {
            let _ = take_thread_commit();
            let result = route(&state2, &req);
            (result, take_thread_commit())
        })
        .await
    };
    let mut result = match joined {
        Ok((result, committed)) => {
            // Acknowledged only once durable, as IAM's writes are.
            match committed {
                Some(seq) => match state.store.durable(seq).await {
                    Ok(()) => result,
                    Err(e) => Err(e.into()),
                },
                None => result,
            }
        }
        Err(e) => Err(crate::error::AwsError::internal(&e).into()),
    };
    if method == "HEAD"
        && let Ok(r) = result.as_mut()
    {
        r.body = None;
    }
    let status = match &result {
        Ok(r) => r.status,
        Err(e) => e.status,
    };
    state.metrics.record(row, status, started.elapsed());
    tracing::info!(
        method = %method,
        path = %path,
        status,
        latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        "keystone request"
    );
    match result {
        Ok(r) => HttpResponse {
            status: r.status,
            body: r.body.map(|b| serde_json::to_vec(&b).unwrap_or_default()).unwrap_or_default(),
            request_id: String::new(),
            content_type: "application/json",
            headers: r.headers,
        },
        Err(e) => HttpResponse {
            status: e.status,
            body: e.to_json(),
            request_id: String::new(),
            content_type: "application/json",
            headers: if e.status == 401 {
                vec![("www-authenticate", "Keystone uri=\"/v3\"".to_owned())]
            } else {
                Vec::new()
            },
        },
    }
}

/// The metrics name of a request's route (`keystone:…`), by its place in this list.
fn route_name(path: &str) -> Option<(usize, &'static str)> {
    const NAMES: [&str; 8] = [
        "keystone:Discovery",
        "keystone:AuthTokens",
        "keystone:S3Tokens",
        "keystone:Ec2Tokens",
        "keystone:UserEc2Credentials",
        "keystone:Credentials",
        "keystone:Other",
        "keystone:Directory",
    ];
    let segs: Vec<&str> = path.trim_start_matches("/v3").split('/').filter(|s| !s.is_empty()).collect();
    let i = match segs.as_slice() {
        [] => 0,
        ["auth", "tokens"] => 1,
        ["s3tokens"] => 2,
        ["ec2tokens"] => 3,
        ["users", _, "credentials", "OS-EC2", ..] => 4,
        ["credentials", ..] => 5,
        ["users" | "projects"] | ["users" | "projects", _] => 7,
        _ => 6,
    };
    Some((i, NAMES[i]))
}

/// Requests that neither hash a password nor write: signature checks, token validation and
/// reads (their store reads come from the read view).
fn reads_only(method: &str, path: &str) -> bool {
    matches!(method, "GET" | "HEAD") || path.ends_with("/s3tokens") || path.ends_with("/ec2tokens")
}

fn route(state: &State, http: &HttpRequest) -> KsResult<Reply> {
    let rest = http.path.strip_prefix("/v3").unwrap_or_default();
    let segments: Vec<String> = rest
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect();
    let query = form_urlencoded::parse(http.query.as_bytes()).into_owned().collect();
    let req = Req {
        state,
        method: &http.method,
        segments,
        query,
        headers: &http.headers,
        body: &http.body,
        now: state.clock.now(),
    };
    let segs: Vec<&str> = req.segments.iter().map(String::as_str).collect();
    let method = if req.method == "HEAD" { "GET" } else { req.method };
    match (method, segs.as_slice()) {
        ("GET", []) => Ok(auth::discovery(&req)),
        ("POST", ["auth", "tokens"]) => auth::issue(&req),
        ("GET", ["auth", "tokens"]) => auth::validate(&req),
        ("POST", ["s3tokens"]) => s3tokens::s3tokens(&req),
        ("POST", ["ec2tokens"]) => s3tokens::ec2tokens(&req),
        ("GET", ["users", user, "credentials", "OS-EC2"]) => ec2::list(&req, user),
        ("POST", ["users", user, "credentials", "OS-EC2"]) => ec2::create(&req, user),
        ("GET", ["users", user, "credentials", "OS-EC2", access]) => ec2::get(&req, user, access),
        ("DELETE", ["users", user, "credentials", "OS-EC2", access]) => ec2::delete(&req, user, access),
        ("GET", ["users"]) => directory::users(&req),
        ("GET", ["users", id]) => directory::user(&req, id),
        ("GET", ["projects"]) => directory::projects(&req),
        ("GET", ["projects", id]) => directory::project(&req, id),
        ("GET", ["credentials"]) => credentials::list(&req),
        ("POST", ["credentials"]) => credentials::create(&req),
        ("GET", ["credentials", id]) => credentials::get(&req, id),
        ("PATCH", ["credentials", id]) => credentials::update(&req, id),
        ("DELETE", ["credentials", id]) => credentials::delete(&req, id),
        (_, [] | ["auth", "tokens"] | ["s3tokens"] | ["ec2tokens"] | ["credentials"] | ["credentials", _])
        | (_, ["users", _, "credentials", "OS-EC2"] | ["users", _, "credentials", "OS-EC2", _]) => {
            Err(KeystoneError::method_not_allowed())
        }
        _ => Err(KeystoneError::not_found("The resource could not be found.")),
    }
}
