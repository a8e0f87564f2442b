//! `POST /v3/s3tokens` and `POST /v3/ec2tokens`: a storage server forwards the client's access key
//! id, the string to sign it rebuilt (base64) and the signature; the answer is a v3 token body
//! for the key's owner, or Keystone's 401 (bad signature, inactive key, no roles) or 404 (unknown
//! key). Temporary `ASIA…` keys resolve through the store's record of the keys STS issued, since
//! s3token does not forward the session token.

use serde_json::Value;

use super::error::{KeystoneError, KsResult};
use super::identity::{account_project, roles_of};
use super::request::{Reply, Req};
use super::signature::{self, StringToSign};
use super::token::{self, Subject, TokenClaims};
use crate::ids::{IdKind, looks_like};
use crate::sigv4::SecretKey;
use crate::store::KeyStatus;
use crate::sts::token::SessionIdentity;

pub fn s3tokens(req: &Req<'_>) -> KsResult<Reply> {
    check(req, false)
}

pub fn ec2tokens(req: &Req<'_>) -> KsResult<Reply> {
    check(req, true)
}

fn unknown_key() -> KeystoneError {
    KeystoneError::not_found("Could not find credential.")
}

fn invalid_credentials() -> KeystoneError {
    KeystoneError::unauthorized("The request you have made requires authentication.")
}

fn field<'v>(creds: &'v Value, name: &str) -> KsResult<&'v str> {
    creds
        .get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| KeystoneError::bad_request(format!("'{name}' is a required property")))
}

/// A key's owner, its secret, and for a temporary key the instant it expires.
type Resolved = (Subject, SecretKey, Option<i64>);

/// The owner of `access` and its secret: a long-term key, or a temporary one STS issued.
fn resolve(req: &Req<'_>, access: &str) -> KsResult<Resolved> {
    let state = req.state;
    if let Some((account, root)) = state.settings.configured_root(access) {
        return Ok((Subject::Root { account: account.to_owned() }, root.secret.clone(), None));
    }
    if looks_like(access, IdKind::TemporaryAccessKey) {
        let record = state.store.temporary_key(access)?.ok_or_else(unknown_key)?;
        let claims = state.tokens.open_cached(&record.token).map_err(|_| unknown_key())?;
        if claims.access_key_id != access {
            return Err(unknown_key());
        }
        if req.now.unix_timestamp() >= claims.expires_at {
            return Err(KeystoneError::unauthorized("The security token included in the request is expired."));
        }
        let account = claims.account.clone();
        let subject = match &claims.identity {
            SessionIdentity::AssumedRole { role_name, role_id, session_name, .. } => Subject::RoleSession {
                account,
                role_id: role_id.clone(),
                role_name: role_name.clone(),
                session_name: session_name.clone(),
            },
            SessionIdentity::User { name, id, .. } => Subject::User { account, id: id.clone(), name: name.clone() },
            SessionIdentity::Root => Subject::Root { account },
            // A federated user has no Keystone identity: storage never sees such a session.
            SessionIdentity::FederatedUser { .. } => return Err(unknown_key()),
        };
        return Ok((subject, claims.secret.clone(), Some(claims.expires_at)));
    }
    let key = state.store.stored_key(access)?.ok_or_else(unknown_key)?;
    if key.record.status != KeyStatus::Active {
        return Err(invalid_credentials());
    }
    let account = key.record.account.clone();
    let subject = match &key.record.user {
        None => Subject::Root { account },
        Some(name) => {
            let user = state.store.user_arc(&account, name)?.ok_or_else(invalid_credentials)?;
            Subject::User { account, id: user.id.clone(), name: user.name.clone() }
        }
    };
    Ok((subject, key.secret.clone(), None))
}

fn check(req: &Req<'_>, issue_token: bool) -> KsResult<Reply> {
    let caller = req.caller()?;
    if !(caller.has_role("admin") || caller.has_role("service")) {
        return Err(KeystoneError::not_permitted());
    }
    let body = req.json()?;
    let creds = ["credentials", "credential", "ec2Credentials"]
        .iter()
        .find_map(|k| body.get(*k))
        .filter(|c| c.is_object())
        .ok_or_else(|| KeystoneError::bad_request("'credentials' is a required property"))?;
    let access = field(creds, "access")?;
    let token_b64 = field(creds, "token")?;
    let sent = field(creds, "signature")?;
    let sts = signature::decode_base64(token_b64)
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| KeystoneError::bad_request("'token' is not base64 of a string to sign."))?;
    let kind = signature::classify(&sts).map_err(KeystoneError::bad_request)?;
    let (subject, secret, key_expires) = resolve(req, access)?;
    if !signature::matches(&kind, &sts, sent, &secret, access, &req.state.signing_keys) {
        return Err(KeystoneError::unauthorized("Credential signature mismatch"));
    }
    let roles = roles_of(req.state, &subject)?;
    if roles.is_empty() {
        return Err(KeystoneError::unauthorized(format!("User {} has no roles in its project.", subject.user_id())));
    }
    let account = subject.account().unwrap_or_default().to_owned();
    if !looks_like(access, IdKind::TemporaryAccessKey) && req.state.settings.configured_root(access).is_none() {
        let (service, region) = match &kind {
            StringToSign::V4 { scope } => (scope.service.as_str(), scope.region.as_str()),
            StringToSign::V2 => ("s3", req.state.settings.region.as_str()),
        };
        req.state.last_used.record(access, req.now, service, region);
    }
    let now = req.now.unix_timestamp();
    let ttl = i64::try_from(req.state.settings.keystone.token_ttl.as_secs()).unwrap_or(3600);
    let claims = TokenClaims {
        subject,
        project: Some(account_project(req.state, &account)?),
        roles,
        methods: vec!["ec2credential".into()],
        issued_at: now,
        // A temporary key's answer is good no longer than the key.
        expires_at: key_expires.map_or(now + ttl, |e| e.min(now + ttl)),
        audit_id: super::auth::new_audit_id(),
    };
    let mut reply = Reply::json(200, token::body(&claims, &req.base_url(), &req.state.settings.keystone.region));
    if issue_token {
        reply.headers.push(("x-subject-token", token::seal(&req.state.tokens, &claims)));
    }
    Ok(reply)
}
