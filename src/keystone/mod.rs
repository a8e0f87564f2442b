//! The Keystone-compatible identity API under `/v3`: tokens, `s3tokens`/`ec2tokens` (how Swift's
//! s3token and Ceph RGW ask whether an S3 signature is right and whose key it is), OS-EC2 and
//! `/v3/credentials`. JSON in, JSON out, Keystone's error shape. It reads the same store and
//! keys as IAM; handlers see [`Req`], never hyper.

mod auth;
mod credentials;
mod ec2;
pub mod error;
pub mod identity;
mod s3tokens;
pub mod signature;
pub mod token;

use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;
use time::OffsetDateTime;

use crate::app::{HttpRequest, HttpResponse};
use crate::state::State;
use crate::store::take_thread_commit;
use error::{KeystoneError, KsResult};
use token::TokenClaims;

/// Whether `path` belongs to this front end.
#[must_use]
pub fn routes(path: &str) -> bool {
    path == "/v3" || path.starts_with("/v3/")
}

/// One request as the handlers see it.
pub struct Req<'a> {
    pub state: &'a State,
    pub method: &'a str,
    /// Path segments after `/v3`, percent-decoded.
    pub segments: Vec<String>,
    pub query: Vec<(String, String)>,
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
    pub now: OffsetDateTime,
}

impl Req<'_> {
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    #[must_use]
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// `http://host/v3`, as the client reached us: the catalog's identity endpoint and links.
    #[must_use]
    pub fn base_url(&self) -> String {
        let host = self.header("host").map_or_else(|| self.state.settings.listen.to_string(), str::to_owned);
        format!("http://{host}/v3")
    }

    /// The JSON body, or Keystone's 400.
    ///
    /// # Errors
    /// 400 for a body that is not a JSON object.
    pub fn json(&self) -> KsResult<Value> {
        match serde_json::from_slice::<Value>(self.body) {
            Ok(v) if v.is_object() => Ok(v),
            _ => Err(KeystoneError::bad_request("The request body is not a valid JSON object.")),
        }
    }

    /// The claims of the caller's `X-Auth-Token`, re-checked against the store (a deleted user's
    /// token stops working at once).
    ///
    /// # Errors
    /// 401 without a valid, unexpired token of ours.
    pub fn caller(&self) -> KsResult<TokenClaims> {
        let token = self.header("x-auth-token").ok_or_else(KeystoneError::need_token)?;
        self.check_token(token)
    }

    /// Opens `token` and checks its subject still exists.
    ///
    /// # Errors
    /// 401 for a token that is not ours, expired, or names a user that is gone.
    pub fn check_token(&self, token: &str) -> KsResult<TokenClaims> {
        let claims = token::open(&self.state.tokens, token, self.now).ok_or_else(KeystoneError::need_token)?;
        match &claims.subject {
            token::Subject::User { account, name, id } => {
                let user = self.state.store.user_arc(account, name)?;
                if user.is_none_or(|u| &u.id != id) {
                    return Err(KeystoneError::need_token());
                }
            }
            token::Subject::Service { name } => {
                if identity::service_user(self.state, name).is_none() {
                    return Err(KeystoneError::need_token());
                }
            }
            token::Subject::Root { .. } | token::Subject::RoleSession { .. } => {}
        }
        Ok(claims)
    }
}

/// What a handler answers.
pub struct Reply {
    pub status: u16,
    pub body: Option<Value>,
    pub headers: Vec<(&'static str, String)>,
}

impl Reply {
    #[must_use]
    pub fn json(status: u16, body: Value) -> Self {
        Self { status, body: Some(body), headers: Vec::new() }
    }

    #[must_use]
    pub fn empty(status: u16) -> Self {
        Self { status, body: None, headers: Vec::new() }
    }
}

/// Serves one `/v3` request.
pub async fn handle(state: &Arc<State>, req: HttpRequest) -> HttpResponse {
    let started = Instant::now();
    let method = req.method.clone();
    let path = req.path.clone();
    // Handlers hash passwords and write the store: off the async workers.
    let state2 = state.clone();
    let joined = tokio::task::spawn_blocking(move || {
        let _ = take_thread_commit();
        let result = route(&state2, &req);
        (result, take_thread_commit())
    })
    .await;
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
