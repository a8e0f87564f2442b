//! `GET /v3` (version discovery), `POST /v3/auth/tokens` (password and token methods, project
//! scope by name or id) and `GET /v3/auth/tokens` (validation).

use base64::Engine;
use rand::RngCore;
use serde_json::{Value, json};

use super::error::{KeystoneError, KsResult};
use super::identity::{
    account_project, project_account, roles_of, service_password_matches, service_project, service_user,
};
use super::request::{Reply, Req};
use super::token::{self, DOMAIN_ID, DOMAIN_NAME, Project, Subject, TokenClaims};
use crate::password;

/// `GET /v3`: the one version we serve.
pub fn discovery(req: &Req<'_>) -> Reply {
    Reply::json(
        200,
        json!({"version": {
            "id": "v3.14",
            "status": "stable",
            "updated": "2020-04-07T00:00:00Z",
            "links": [{"rel": "self", "href": format!("{}/", req.base_url())}],
            "media-types": [{"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}],
        }}),
    )
}

fn unauthorized() -> KeystoneError {
    KeystoneError::unauthorized("The request you have made requires authentication.")
}

/// Only the `Default` domain exists: by id `default` or by name `Default`.
fn check_domain(domain: Option<&Value>) -> KsResult<()> {
    let Some(d) = domain else { return Ok(()) };
    let id_ok = d.get("id").and_then(Value::as_str).is_none_or(|id| id == DOMAIN_ID);
    let name_ok = d.get("name").and_then(Value::as_str).is_none_or(|n| n == DOMAIN_NAME);
    if id_ok && name_ok { Ok(()) } else { Err(unauthorized()) }
}

/// The project an auth request asks for: `Some((id, name))` with either part given.
struct ProjectRequest {
    id: Option<String>,
    name: Option<String>,
}

impl ProjectRequest {
    fn matches(&self, p: &Project) -> bool {
        // By name, an aliased account also still answers to its id.
        self.id.as_deref().is_none_or(|id| id == p.id) && self.name.as_deref().is_none_or(|n| n == p.name || n == p.id)
    }

    /// The account it names, when it names one (by account id, or by alias as project name).
    fn account(&self, req: &Req<'_>) -> KsResult<Option<String>> {
        match self.id.as_deref().or(self.name.as_deref()) {
            Some(p) => project_account(req.state, p),
            None => Ok(None),
        }
    }
}

fn requested_project(auth: &Value) -> KsResult<Option<ProjectRequest>> {
    let Some(scope) = auth.get("scope") else { return Ok(None) };
    if scope.as_str() == Some("unscoped") {
        return Ok(None);
    }
    let Some(project) = scope.get("project") else {
        // Domain and system scopes have nothing to grant here.
        return Err(unauthorized());
    };
    check_domain(project.get("domain"))?;
    let id = project.get("id").and_then(Value::as_str).map(str::to_owned);
    let name = project.get("name").and_then(Value::as_str).map(str::to_owned);
    if id.is_none() && name.is_none() {
        return Err(KeystoneError::bad_request("A project scope needs an id or a name."));
    }
    Ok(Some(ProjectRequest { id, name }))
}

/// Who the password method names, once the password is checked.
fn password_subject(req: &Req<'_>, user: &Value, project: Option<&ProjectRequest>) -> KsResult<Subject> {
    let presented = user.get("password").and_then(Value::as_str).ok_or_else(unauthorized)?;
    check_domain(user.get("domain"))?;
    let name = user.get("name").and_then(Value::as_str);
    let id = user.get("id").and_then(Value::as_str);
    if let Some(service) = name
        .and_then(|n| service_user(req.state, n))
        .or_else(|| id.and_then(|id| super::identity::service_user_by_id(req.state, id)))
    {
        return if service_password_matches(service, presented) {
            Ok(Subject::Service { name: service.name.clone() })
        } else {
            Err(unauthorized())
        };
    }
    let store = &req.state.store;
    let record = match (id, name) {
        (Some(id), _) => store.user_by_id(id)?,
        (None, Some(name)) => {
            let asked = match project {
                Some(p) => p.account(req)?,
                None => None,
            };
            let account = asked.unwrap_or_else(|| req.state.settings.account_id.clone());
            store.user_arc(&account, name)?
        }
        (None, None) => return Err(KeystoneError::bad_request("A user needs an id or a name.")),
    };
    let Some(user) = record else {
        // The same work as a real check, so timing does not tell which names exist.
        let _ = password::verify(presented, &DUMMY_HASH);
        return Err(unauthorized());
    };
    let Some(profile) = user.login_profile.as_ref() else {
        let _ = password::verify(presented, &DUMMY_HASH);
        return Err(unauthorized());
    };
    if !password::verify(presented, &profile.password_hash) {
        return Err(unauthorized());
    }
    let policy = store.account(&user.account)?.and_then(|a| a.password_policy);
    let expired = policy
        .and_then(|p| p.max_age.filter(|_| p.hard_expiry))
        .is_some_and(|days| req.now - profile.password_set > time::Duration::days(i64::from(days)));
    if profile.password_reset_required || expired {
        return Err(KeystoneError::unauthorized(format!(
            "The password is expired and needs to be changed for user: {}.",
            user.id
        )));
    }
    Ok(Subject::User { account: user.account.clone(), id: user.id.clone(), name: user.name.clone() })
}

/// A hash verified against when a user does not exist or has no password.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| password::hash("iamd: no such user").unwrap_or_default());

/// The project `subject` may scope to, if it is the one asked for.
fn scope_for(req: &Req<'_>, subject: &Subject, asked: &ProjectRequest) -> KsResult<Project> {
    let own = match subject {
        Subject::Service { name } => service_user(req.state, name).map(service_project),
        other => match other.account() {
            Some(a) => Some(account_project(req.state, a)?),
            None => None,
        },
    };
    own.filter(|p| asked.matches(p))
        .ok_or_else(|| KeystoneError::unauthorized(format!("User {} has no access to project.", subject.user_id())))
}

pub fn new_audit_id() -> String {
    let mut b = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// `POST /v3/auth/tokens`.
///
/// # Errors
/// 400 for a malformed request, 401 for wrong credentials or a project the user has no access to.
pub fn issue(req: &Req<'_>) -> KsResult<Reply> {
    let body = req.json()?;
    let auth = body.get("auth").ok_or_else(|| KeystoneError::bad_request("'auth' is a required property"))?;
    let identity =
        auth.get("identity").ok_or_else(|| KeystoneError::bad_request("'identity' is a required property"))?;
    let methods: Vec<String> = identity
        .get("methods")
        .and_then(Value::as_array)
        .map(|m| m.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default();
    let project = requested_project(auth)?;
    let now = req.now.unix_timestamp();
    let ttl = i64::try_from(req.state.settings.keystone.token_ttl.as_secs()).unwrap_or(3600);
    let (subject, expires_at) = if methods.iter().any(|m| m == "password") {
        let user = identity
            .get("password")
            .and_then(|p| p.get("user"))
            .ok_or_else(|| KeystoneError::bad_request("'user' is a required property"))?;
        (password_subject(req, user, project.as_ref())?, now + ttl)
    } else if methods.iter().any(|m| m == "token") {
        let id = identity
            .get("token")
            .and_then(|t| t.get("id"))
            .and_then(Value::as_str)
            .ok_or_else(|| KeystoneError::bad_request("'id' is a required property"))?;
        // Rescoping keeps the original expiry, as Keystone does.
        let old = req.check_token(id).map_err(|_| unauthorized())?;
        (old.subject, old.expires_at)
    } else {
        return Err(KeystoneError::unauthorized("Attempted to authenticate with an unsupported method."));
    };
    let (project, roles) = match &project {
        None => (None, Vec::new()),
        Some(asked) => {
            let p = scope_for(req, &subject, asked)?;
            let roles = roles_of(req.state, &subject)?;
            if roles.is_empty() {
                return Err(KeystoneError::unauthorized(format!(
                    "User {} has no access to project {}.",
                    subject.user_id(),
                    p.id
                )));
            }
            (Some(p), roles)
        }
    };
    let claims = TokenClaims { subject, project, roles, methods, issued_at: now, expires_at, audit_id: new_audit_id() };
    let sealed = token::seal(&req.state.tokens, &claims);
    let mut reply = Reply::json(201, render(req, &claims));
    reply.headers.push(("x-subject-token", sealed));
    Ok(reply)
}

fn render(req: &Req<'_>, claims: &TokenClaims) -> Value {
    let mut body = token::body(claims, &req.base_url(), &req.state.settings.keystone.region);
    if req.query_param("nocatalog").is_some()
        && let Some(t) = body.get_mut("token").and_then(Value::as_object_mut)
    {
        t.remove("catalog");
    }
    body
}

/// `GET /v3/auth/tokens`: the claims of `X-Subject-Token`, for its own bearer or a service.
///
/// # Errors
/// 401 for a missing or invalid caller token; 404 for an invalid or expired subject token; 403
/// when a non-service caller asks about another token.
pub fn validate(req: &Req<'_>) -> KsResult<Reply> {
    let caller_token = req.header("x-auth-token").ok_or_else(KeystoneError::need_token)?;
    let caller = req.check_token(caller_token)?;
    let subject_token =
        req.header("x-subject-token").ok_or_else(|| KeystoneError::bad_request("X-Subject-Token is required."))?;
    // Keystone answers 404 for a subject token it cannot validate (401 would tell
    // keystonemiddleware its own service token was refused, and it would log in again).
    let claims = req.check_token(subject_token).map_err(|_| KeystoneError::not_found("Failed to validate token"))?;
    let privileged = caller.has_role("admin") || caller.has_role("service");
    if !privileged && subject_token != caller_token {
        return Err(KeystoneError::not_permitted());
    }
    let mut reply = Reply::json(200, render(req, &claims));
    reply.headers.push(("x-subject-token", subject_token.to_owned()));
    Ok(reply)
}
