//! The mapping from IAM to Keystone: accounts are projects, IAM users are users, roles come from
//! the config (group name → roles, plus the default roles); service users come from the config.

use subtle::ConstantTimeEq;

use super::error::{KeystoneError, KsResult};
use super::token::{Project, Subject};
use crate::config::{KeystoneSettings, ServiceUser};
use crate::state::State;
use crate::store::UserRecord;

/// The project of an IAM account: id = account id; name = the account's alias if it has one,
/// else the account id.
///
/// # Errors
/// Store failures.
pub fn account_project(state: &State, account: &str) -> KsResult<Project> {
    let alias = state.store.account(account)?.and_then(|a| a.alias);
    Ok(Project { id: account.to_owned(), name: alias.unwrap_or_else(|| account.to_owned()) })
}

/// The account a project id or name names: an account id, or an account's alias.
///
/// # Errors
/// Store failures.
pub fn project_account(state: &State, id_or_name: &str) -> KsResult<Option<String>> {
    if id_or_name.len() == 12 && id_or_name.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(Some(id_or_name.to_owned()));
    }
    Ok(state.store.alias_owner(id_or_name)?)
}

/// A service user's project (its name is also its id).
#[must_use]
pub fn service_project(user: &ServiceUser) -> Project {
    Project { id: user.project.clone(), name: user.project.clone() }
}

/// The roles an IAM user holds: the default roles and those of each group it is in.
#[must_use]
pub fn user_roles(settings: &KeystoneSettings, user: &UserRecord) -> Vec<String> {
    let mut roles = settings.default_roles.clone();
    for group in &user.groups {
        let mapped = settings.group_roles.iter().find(|(g, _)| g.eq_ignore_ascii_case(group));
        for role in mapped.map(|(_, r)| r.as_slice()).unwrap_or_default() {
            if !roles.iter().any(|r| r.eq_ignore_ascii_case(role)) {
                roles.push(role.clone());
            }
        }
    }
    roles
}

/// The roles of any subject, read afresh (a group change applies to the next token).
///
/// # Errors
/// 401 when an IAM user no longer exists; store failures.
pub fn roles_of(state: &State, subject: &Subject) -> KsResult<Vec<String>> {
    let k = &state.settings.keystone;
    Ok(match subject {
        Subject::Service { name } => service_user(state, name).map(|u| u.roles.clone()).unwrap_or_default(),
        Subject::Root { .. } => vec!["admin".into()],
        Subject::User { account, name, .. } => {
            let user = state
                .store
                .user_arc(account, name)?
                .ok_or_else(|| KeystoneError::unauthorized("The user no longer exists."))?;
            user_roles(k, &user)
        }
        Subject::RoleSession { .. } => k.default_roles.clone(),
    })
}

/// The configured service user called `name`.
#[must_use]
pub fn service_user<'a>(state: &'a State, name: &str) -> Option<&'a ServiceUser> {
    state.settings.keystone.service_users.iter().find(|u| u.name == name)
}

/// The configured service user whose Keystone id is `id`.
#[must_use]
pub fn service_user_by_id<'a>(state: &'a State, id: &str) -> Option<&'a ServiceUser> {
    state.settings.keystone.service_users.iter().find(|u| super::token::service_user_id(&u.name) == id)
}

/// Constant-time comparison of a presented password with a configured one.
#[must_use]
pub fn service_password_matches(user: &ServiceUser, presented: &str) -> bool {
    use sha2::{Digest, Sha256};
    // Digests first, so the comparison takes the same time whatever the lengths.
    let a = Sha256::digest(user.password.expose().as_bytes());
    let b = Sha256::digest(presented.as_bytes());
    bool::from(a.as_slice().ct_eq(b.as_slice()))
}
