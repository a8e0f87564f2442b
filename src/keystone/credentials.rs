//! `/v3/credentials`: Keystone's typed per-user credentials. Type `ec2` (blob
//! `{"access","secret"}`) is an IAM access key again, with the access key id as credential id;
//! other types (`totp`, `cert`, or free-form ones an application keeps) are blobs sealed under the
//! master key.

use rand::RngCore;
use serde_json::{Value, json};

use super::ec2::{Target, may_manage, sees_secrets, target};
use super::error::{KeystoneError, KsResult};
use super::request::{Reply, Req};
use super::token::TokenClaims;
use crate::access_keys::{self, KeyOwner};
use crate::ids::{IdKind, looks_like};
use crate::sigv4::SecretKey;
use crate::store::{AccessKeyRecord, CredentialRecord, abort};

/// Blobs are sealed with the credential id bound in, so a blob cannot move to another record.
use crate::store::aad::credential as aad;

fn not_found(id: &str) -> KeystoneError {
    KeystoneError::not_found(format!("Could not find credential: {id}."))
}

fn link(req: &Req<'_>, id: &str) -> Value {
    json!({"self": format!("{}/credentials/{id}", req.base_url())})
}

fn render_record(req: &Req<'_>, c: &CredentialRecord) -> KsResult<Value> {
    let blob = req.state.store.sealer().open(&aad(&c.id), &c.blob)?;
    Ok(json!({
        "id": c.id,
        "user_id": c.user_id,
        "project_id": c.project_id,
        "type": c.kind,
        "blob": blob.expose(),
        "links": link(req, &c.id),
    }))
}

fn render_key(req: &Req<'_>, user_id: &str, key: &AccessKeyRecord, secret: Option<&str>) -> Value {
    let mut blob = json!({"access": key.id});
    if let Some(s) = secret {
        blob["secret"] = json!(s);
    }
    json!({
        "id": key.id,
        "user_id": user_id,
        "project_id": key.account,
        "type": "ec2",
        "blob": blob.to_string(),
        "links": link(req, &key.id),
    })
}

/// The Keystone user id of a key's owner.
fn key_user_id(req: &Req<'_>, key: &AccessKeyRecord) -> KsResult<String> {
    Ok(match &key.user {
        None => key.account.clone(),
        Some(name) => req.state.store.user_arc(&key.account, name)?.map(|u| u.id.clone()).unwrap_or_default(),
    })
}

/// Every credential `t` holds that `caller` may see.
fn held(req: &Req<'_>, caller: &TokenClaims, t: &Target) -> KsResult<Vec<Value>> {
    let show = sees_secrets(caller);
    let mut out = Vec::new();
    for key in access_keys::list(&req.state.store, &t.account, &t.owner)? {
        let secret = if show { req.state.store.stored_key(&key.id)?.map(|k| k.secret.clone()) } else { None };
        out.push(render_key(req, &t.user_id, &key, secret.as_ref().map(SecretKey::expose)));
    }
    for c in req.state.store.credentials(&t.account, |c| c.user_id == t.user_id)? {
        out.push(render_record(req, &c)?);
    }
    Ok(out)
}

pub fn list(req: &Req<'_>) -> KsResult<Reply> {
    let caller = req.caller()?;
    let mut targets = Vec::new();
    if let Some(user_id) = req.query_param("user_id") {
        let t = target(req, user_id)?;
        if may_manage(&caller, &t.account, &t.user_id) {
            targets.push(t);
        }
    } else {
        let account = caller.subject.account().unwrap_or(&req.state.settings.account_id).to_owned();
        for user in req.state.store.users(&account, None, usize::MAX - 1, |_| true)? {
            if may_manage(&caller, &account, &user.id) {
                targets.push(Target {
                    account: account.clone(),
                    owner: KeyOwner::User(user.name.clone()),
                    user_id: user.id,
                });
            }
        }
    }
    let mut out = Vec::new();
    for t in &targets {
        out.extend(held(req, &caller, t)?);
    }
    if let Some(kind) = req.query_param("type") {
        out.retain(|c| c["type"] == kind);
    }
    let base = format!("{}/credentials", req.base_url());
    Ok(Reply::json(200, json!({"credentials": out, "links": {"self": base, "previous": null, "next": null}})))
}

fn str_member<'v>(c: &'v Value, name: &str) -> KsResult<&'v str> {
    c.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| KeystoneError::bad_request(format!("'{name}' is a required property")))
}

pub fn create(req: &Req<'_>) -> KsResult<Reply> {
    let caller = req.caller()?;
    let body = req.json()?;
    let c = body
        .get("credential")
        .filter(|c| c.is_object())
        .ok_or_else(|| KeystoneError::bad_request("'credential' is a required property"))?;
    let kind = str_member(c, "type")?;
    let blob = str_member(c, "blob")?;
    let user_id = match c.get("user_id").and_then(Value::as_str) {
        Some(u) => u.to_owned(),
        None => caller.subject.user_id(),
    };
    let t = target(req, &user_id)?;
    if !may_manage(&caller, &t.account, &t.user_id) {
        return Err(KeystoneError::not_permitted());
    }
    let project = c.get("project_id").and_then(Value::as_str);
    if kind == "ec2" {
        if project.is_some_and(|p| p != t.account) {
            return Err(KeystoneError::bad_request("An ec2 credential's project_id must be the user's project."));
        }
        let parsed: Value =
            serde_json::from_str(blob).map_err(|_| KeystoneError::bad_request("Invalid blob in credential"))?;
        let preset = match (parsed.get("access").and_then(Value::as_str), parsed.get("secret").and_then(Value::as_str))
        {
            (Some(a), Some(s)) => {
                if a.len() < 16 || a.len() > 128 || !a.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return Err(KeystoneError::bad_request("An access key id is 16 to 128 letters and digits."));
                }
                if s.len() < 16 || s.len() > 128 || s.chars().any(char::is_control) {
                    return Err(KeystoneError::bad_request("A secret is 16 to 128 printable characters."));
                }
                Some((a.to_owned(), SecretKey::new(s.to_owned())))
            }
            (None, None) => None,
            _ => return Err(KeystoneError::bad_request("An ec2 blob gives both access and secret, or neither.")),
        };
        let (key, secret) = access_keys::create_with(&req.state.store, &t.account, &t.owner, req.now, preset)?;
        return Ok(Reply::json(201, json!({"credential": render_key(req, &t.user_id, &key, Some(secret.expose()))})));
    }
    let KeyOwner::User(name) = &t.owner else {
        return Err(KeystoneError::bad_request("Only IAM users hold credentials of this type."));
    };
    if kind.is_empty() || kind.len() > 255 {
        return Err(KeystoneError::bad_request("A credential type is 1 to 255 characters."));
    }
    let mut raw = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    let id = hex::encode(raw);
    let record = CredentialRecord {
        id: id.clone(),
        account: t.account.clone(),
        user_id: t.user_id.clone(),
        kind: kind.to_owned(),
        project_id: project.map(str::to_owned),
        blob: req.state.store.sealer().seal(&aad(&id), &SecretKey::new(blob.to_owned()))?,
    };
    req.state.store.transact(|tx| {
        let Some(mut user) = tx.user(&t.account, name)? else {
            return abort(crate::iam::not_found::no_such_user(name));
        };
        user.credentials.push(id.clone());
        tx.put_user(&user)?;
        tx.put_credential(&record)
    })?;
    Ok(Reply::json(201, json!({"credential": render_record(req, &record)?})))
}

/// The key credential `id` (an access key id) and who owns it.
fn key_credential(req: &Req<'_>, caller: &TokenClaims, id: &str) -> KsResult<(Target, AccessKeyRecord)> {
    let key = req.state.store.access_key(id)?.ok_or_else(|| not_found(id))?;
    let user_id = key_user_id(req, &key)?;
    let owner = key.user.clone().map_or(KeyOwner::Root, KeyOwner::User);
    let t = Target { account: key.account.clone(), owner, user_id };
    if !may_manage(caller, &t.account, &t.user_id) {
        return Err(not_found(id));
    }
    Ok((t, key))
}

fn record_credential(req: &Req<'_>, caller: &TokenClaims, id: &str) -> KsResult<CredentialRecord> {
    let c = req.state.store.credential(id)?.ok_or_else(|| not_found(id))?;
    if !may_manage(caller, &c.account, &c.user_id) {
        return Err(not_found(id));
    }
    Ok(c)
}

fn is_key_id(id: &str) -> bool {
    looks_like(id, IdKind::AccessKey) || id.len() != 32
}

pub fn get(req: &Req<'_>, id: &str) -> KsResult<Reply> {
    let caller = req.caller()?;
    if is_key_id(id) {
        let (t, key) = key_credential(req, &caller, id)?;
        let secret =
            if sees_secrets(&caller) { req.state.store.stored_key(id)?.map(|k| k.secret.clone()) } else { None };
        return Ok(Reply::json(
            200,
            json!({"credential": render_key(req, &t.user_id, &key, secret.as_ref().map(SecretKey::expose))}),
        ));
    }
    let c = record_credential(req, &caller, id)?;
    Ok(Reply::json(200, json!({"credential": render_record(req, &c)?})))
}

pub fn update(req: &Req<'_>, id: &str) -> KsResult<Reply> {
    let caller = req.caller()?;
    let body = req.json()?;
    let patch = body
        .get("credential")
        .filter(|c| c.is_object())
        .ok_or_else(|| KeystoneError::bad_request("'credential' is a required property"))?;
    if is_key_id(id) {
        key_credential(req, &caller, id)?;
        return Err(KeystoneError::bad_request(
            "An ec2 credential cannot be changed: create a new one and delete this.",
        ));
    }
    let mut c = record_credential(req, &caller, id)?;
    if patch.get("user_id").and_then(Value::as_str).is_some_and(|u| u != c.user_id) {
        return Err(KeystoneError::bad_request("A credential cannot move to another user."));
    }
    if let Some(kind) = patch.get("type").and_then(Value::as_str) {
        if kind == "ec2" || kind.is_empty() {
            return Err(KeystoneError::bad_request("A credential cannot become an ec2 credential."));
        }
        c.kind = kind.to_owned();
    }
    if let Some(p) = patch.get("project_id") {
        c.project_id = p.as_str().map(str::to_owned);
    }
    if let Some(blob) = patch.get("blob").and_then(Value::as_str) {
        c.blob = req.state.store.sealer().seal(&aad(id), &SecretKey::new(blob.to_owned()))?;
    }
    req.state.store.transact(|tx| {
        if tx.credential(id)?.is_none() {
            return abort(crate::error::AwsError::NoSuchEntity(format!("Could not find credential: {id}.")));
        }
        tx.put_credential(&c)
    })?;
    Ok(Reply::json(200, json!({"credential": render_record(req, &c)?})))
}

pub fn delete(req: &Req<'_>, id: &str) -> KsResult<Reply> {
    let caller = req.caller()?;
    if is_key_id(id) {
        let (t, _) = key_credential(req, &caller, id)?;
        access_keys::delete(&req.state.store, &t.account, &t.owner, id)?;
        req.state.last_used.forget(id);
        return Ok(Reply::empty(204));
    }
    let c = record_credential(req, &caller, id)?;
    req.state.store.transact(|tx| {
        if let Some(mut user) = tx.user_by_id(&c.user_id)? {
            user.credentials.retain(|x| x != id);
            tx.put_user(&user)?;
        }
        tx.remove_credential(id)
    })?;
    Ok(Reply::empty(204))
}
