//! Read-only users and projects (`GET /v3/users[/{id}]`, `GET /v3/projects[/{id}]`): what the
//! openstack CLI looks up before acting for `--user` or `--project`. Users and projects are
//! managed through IAM; here they are only shown.

use serde_json::{Value, json};

use super::error::{KeystoneError, KsResult};
use super::identity::{account_project, project_account, service_project};
use super::request::{Reply, Req};
use super::token::{DOMAIN_ID, Project, Subject, TokenClaims, service_user_id};

fn user_json(req: &Req<'_>, id: &str, name: &str) -> Value {
    json!({
        "id": id,
        "name": name,
        "domain_id": DOMAIN_ID,
        "enabled": true,
        "password_expires_at": null,
        "options": {},
        "links": {"self": format!("{}/users/{id}", req.base_url())},
    })
}

fn project_json(req: &Req<'_>, p: &Project) -> Value {
    json!({
        "id": p.id,
        "name": p.name,
        "domain_id": DOMAIN_ID,
        "parent_id": DOMAIN_ID,
        "is_domain": false,
        "enabled": true,
        "description": "",
        "tags": [],
        "options": {},
        "links": {"self": format!("{}/projects/{}", req.base_url(), p.id)},
    })
}

/// The account whose users and project the caller may see in full, if any (`admin` of its own
/// account; services see the default account).
fn visible_account(req: &Req<'_>, caller: &TokenClaims) -> Option<String> {
    match &caller.subject {
        Subject::Service { .. } => Some(req.state.settings.account_id.clone()),
        s if caller.has_role("admin") => s.account().map(str::to_owned),
        _ => None,
    }
}

fn may_see_user(caller: &TokenClaims, account: &str, user_id: &str) -> bool {
    super::ec2::may_manage(caller, account, user_id)
}

pub fn user(req: &Req<'_>, id: &str) -> KsResult<Reply> {
    let caller = req.caller()?;
    let not_found = || KeystoneError::not_found(format!("Could not find user: {id}."));
    if caller.subject.user_id() == id {
        return Ok(Reply::json(200, json!({"user": user_json(req, id, &caller.subject.user_name())})));
    }
    let Some(u) = req.state.store.user_by_id(id)? else { return Err(not_found()) };
    if !may_see_user(&caller, &u.account, &u.id) {
        return Err(KeystoneError::not_permitted());
    }
    Ok(Reply::json(200, json!({"user": user_json(req, &u.id, &u.name)})))
}

pub fn users(req: &Req<'_>) -> KsResult<Reply> {
    let caller = req.caller()?;
    let name = req.query_param("name");
    if req.query_param("domain_id").is_some_and(|d| d != DOMAIN_ID) {
        return Ok(Reply::json(200, json!({"users": [], "links": {"self": format!("{}/users", req.base_url())}})));
    }
    let mut out = Vec::new();
    match visible_account(req, &caller) {
        Some(account) => {
            for u in req.state.store.users(&account, None, usize::MAX - 1, |u| name.is_none_or(|n| n == u.name))? {
                out.push(user_json(req, &u.id, &u.name));
            }
        }
        None => {
            let me = caller.subject.user_name();
            if name.is_none_or(|n| n == me) {
                out.push(user_json(req, &caller.subject.user_id(), &me));
            }
        }
    }
    if let Subject::Service { name: svc } = &caller.subject
        && name.is_none_or(|n| n == svc)
    {
        out.push(user_json(req, &service_user_id(svc), svc));
    }
    Ok(Reply::json(200, json!({"users": out, "links": {"self": format!("{}/users", req.base_url())}})))
}

/// The projects the caller belongs to.
fn own_projects(req: &Req<'_>, caller: &TokenClaims) -> KsResult<Vec<Project>> {
    Ok(match &caller.subject {
        Subject::Service { name } => {
            let mut v: Vec<Project> =
                super::identity::service_user(req.state, name).map(service_project).into_iter().collect();
            v.push(account_project(req.state, &req.state.settings.account_id)?);
            v
        }
        s => match s.account() {
            Some(a) => vec![account_project(req.state, a)?],
            None => Vec::new(),
        },
    })
}

pub fn project(req: &Req<'_>, id: &str) -> KsResult<Reply> {
    let caller = req.caller()?;
    let found = own_projects(req, &caller)?.into_iter().find(|p| p.id == id);
    match found {
        Some(p) => Ok(Reply::json(200, json!({"project": project_json(req, &p)}))),
        None => match project_account(req.state, id)? {
            Some(_) => Err(KeystoneError::not_permitted()),
            None => Err(KeystoneError::not_found(format!("Could not find project: {id}."))),
        },
    }
}

pub fn projects(req: &Req<'_>) -> KsResult<Reply> {
    let caller = req.caller()?;
    let name = req.query_param("name");
    let out: Vec<Value> = own_projects(req, &caller)?
        .iter()
        .filter(|p| name.is_none_or(|n| n == p.name))
        .map(|p| project_json(req, p))
        .collect();
    Ok(Reply::json(200, json!({"projects": out, "links": {"self": format!("{}/projects", req.base_url())}})))
}
