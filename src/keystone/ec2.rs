//! `/v3/users/{user_id}/credentials/OS-EC2[/{access}]`: a user's EC2 credentials, which are its
//! IAM access keys (same records, same 2-key quota). Secrets are shown on create, and on GET only
//! to service users (RGW fetches them to check signatures itself).

use serde_json::{Value, json};

use super::error::{KeystoneError, KsResult};
use super::request::{Reply, Req};
use super::token::{Subject, TokenClaims};
use crate::access_keys::{self, KeyOwner};
use crate::ids::{IdKind, looks_like};
use crate::store::AccessKeyRecord;

/// The owner a path's user id names.
pub struct Target {
    pub account: String,
    pub owner: KeyOwner,
    /// The Keystone user id, as the path gave it.
    pub user_id: String,
}

/// Resolves a Keystone user id: an IAM user (`AIDA…`) or an account's root (the account id).
///
/// # Errors
/// 404 when no such user exists.
pub fn target(req: &Req<'_>, user_id: &str) -> KsResult<Target> {
    if user_id.len() == 12 && user_id.bytes().all(|b| b.is_ascii_digit()) && req.state.store.account(user_id)?.is_some()
    {
        return Ok(Target { account: user_id.to_owned(), owner: KeyOwner::Root, user_id: user_id.to_owned() });
    }
    let user = req
        .state
        .store
        .user_by_id(user_id)?
        .ok_or_else(|| KeystoneError::not_found(format!("Could not find user: {user_id}.")))?;
    Ok(Target { account: user.account.clone(), owner: KeyOwner::User(user.name.clone()), user_id: user_id.to_owned() })
}

/// Keystone's default policy: a user manages its own credentials; `admin` manages those of its
/// account, service users (with admin or service) everyone's.
#[must_use]
pub fn may_manage(caller: &TokenClaims, account: &str, user_id: &str) -> bool {
    match &caller.subject {
        Subject::Service { .. } => caller.has_role("admin") || caller.has_role("service"),
        subject => subject.user_id() == user_id || (caller.has_role("admin") && subject.account() == Some(account)),
    }
}

/// Whether the caller may read secrets it did not just create.
#[must_use]
pub fn sees_secrets(caller: &TokenClaims) -> bool {
    matches!(caller.subject, Subject::Service { .. } | Subject::Root { .. })
}

fn authorized(req: &Req<'_>, user_id: &str) -> KsResult<(TokenClaims, Target)> {
    let caller = req.caller()?;
    let t = target(req, user_id)?;
    if !may_manage(&caller, &t.account, &t.user_id) {
        return Err(KeystoneError::not_permitted());
    }
    Ok((caller, t))
}

fn render(req: &Req<'_>, t: &Target, key: &AccessKeyRecord, secret: Option<&str>) -> Value {
    let mut c = json!({
        "user_id": t.user_id,
        "tenant_id": key.account,
        "access": key.id,
        "trust_id": null,
        "links": {"self": format!("{}/users/{}/credentials/OS-EC2/{}", req.base_url(), t.user_id, key.id)},
    });
    if let Some(s) = secret {
        c["secret"] = json!(s);
    }
    c
}

fn not_found(access: &str) -> KeystoneError {
    KeystoneError::not_found(format!("Could not find credential: {access}."))
}

pub fn list(req: &Req<'_>, user_id: &str) -> KsResult<Reply> {
    let (caller, t) = authorized(req, user_id)?;
    let show = sees_secrets(&caller);
    let mut out = Vec::new();
    for key in access_keys::list(&req.state.store, &t.account, &t.owner)? {
        let secret = if show { req.state.store.stored_key(&key.id)?.map(|k| k.secret.clone()) } else { None };
        out.push(render(req, &t, &key, secret.as_ref().map(|s| s.expose())));
    }
    let base = format!("{}/users/{}/credentials/OS-EC2", req.base_url(), t.user_id);
    Ok(Reply::json(200, json!({"credentials": out, "links": {"self": base, "previous": null, "next": null}})))
}

pub fn create(req: &Req<'_>, user_id: &str) -> KsResult<Reply> {
    let (_, t) = authorized(req, user_id)?;
    let body = req.json()?;
    let project = body.get("tenant_id").or_else(|| body.get("project_id")).and_then(Value::as_str);
    if let Some(project) = project.filter(|p| *p != t.account) {
        return Err(KeystoneError::forbidden(format!("User {} has no access to project {project}.", t.user_id)));
    }
    let (key, secret) = access_keys::create(&req.state.store, &t.account, &t.owner, req.now)?;
    Ok(Reply::json(201, json!({"credential": render(req, &t, &key, Some(secret.expose()))})))
}

pub fn get(req: &Req<'_>, user_id: &str, access: &str) -> KsResult<Reply> {
    let caller = req.caller()?;
    if looks_like(access, IdKind::TemporaryAccessKey) {
        return temporary(req, &caller, user_id, access);
    }
    let t = target(req, user_id)?;
    if !may_manage(&caller, &t.account, &t.user_id) {
        return Err(KeystoneError::not_permitted());
    }
    if let Some(root) = configured_root(req, &t, access) {
        return Ok(root);
    }
    let key = req.state.store.stored_key(access)?.ok_or_else(|| not_found(access))?;
    let owned = key.record.account == t.account
        && match &t.owner {
            KeyOwner::Root => key.record.user.is_none(),
            KeyOwner::User(name) => key.record.user.as_deref().is_some_and(|u| u.eq_ignore_ascii_case(name)),
        };
    if !owned {
        return Err(not_found(access));
    }
    let secret = sees_secrets(&caller).then(|| key.secret.expose().to_owned());
    Ok(Reply::json(200, json!({"credential": render(req, &t, &key.record, secret.as_deref())})))
}

/// The root key the configuration supplies (it lives outside the store), when `t` is that
/// account's root and `access` is that key; the secret only for a service user.
fn configured_root(req: &Req<'_>, t: &Target, access: &str) -> Option<Reply> {
    let (account, root) = req.state.settings.configured_root(access)?;
    if t.owner != KeyOwner::Root || t.account != account {
        return None;
    }
    let mut c = json!({
        "user_id": t.user_id,
        "tenant_id": t.account,
        "access": access,
        "trust_id": null,
        "links": {"self": format!("{}/users/{}/credentials/OS-EC2/{access}", req.base_url(), t.user_id)},
    });
    if req.caller().is_ok_and(|c| sees_secrets(&c)) {
        c["secret"] = json!(root.secret.expose());
    }
    Some(Reply::json(200, json!({ "credential": c })))
}

/// A temporary key's secret for a service (RGW asks after s3tokens named its owner).
fn temporary(req: &Req<'_>, caller: &TokenClaims, user_id: &str, access: &str) -> KsResult<Reply> {
    if !matches!(caller.subject, Subject::Service { .. }) || !may_manage(caller, "", user_id) {
        return Err(KeystoneError::not_permitted());
    }
    let record = req.state.store.temporary_key(access)?.ok_or_else(|| not_found(access))?;
    let claims = req.state.tokens.open_cached(&record.token).map_err(|_| not_found(access))?;
    if claims.access_key_id != access || req.now.unix_timestamp() >= claims.expires_at {
        return Err(not_found(access));
    }
    let owner_id = match &claims.identity {
        crate::sts::token::SessionIdentity::AssumedRole { role_id, session_name, .. } => {
            format!("{role_id}:{session_name}")
        }
        crate::sts::token::SessionIdentity::User { id, .. } => id.clone(),
        crate::sts::token::SessionIdentity::Root => claims.account.clone(),
        crate::sts::token::SessionIdentity::FederatedUser { name, .. } => format!("{}:{name}", claims.account),
    };
    if owner_id != user_id {
        return Err(not_found(access));
    }
    Ok(Reply::json(
        200,
        json!({"credential": {
            "user_id": user_id,
            "tenant_id": claims.account,
            "access": access,
            "secret": claims.secret.expose(),
            "trust_id": null,
            "links": {"self": format!("{}/users/{user_id}/credentials/OS-EC2/{access}", req.base_url())},
        }}),
    ))
}

pub fn delete(req: &Req<'_>, user_id: &str, access: &str) -> KsResult<Reply> {
    let (_, t) = authorized(req, user_id)?;
    access_keys::delete(&req.state.store, &t.account, &t.owner, access).map_err(|e| match e.status() {
        404 => not_found(access),
        _ => e.into(),
    })?;
    req.state.last_used.forget(access);
    Ok(Reply::empty(204))
}
