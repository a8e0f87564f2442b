//! Whose SSH keys, signing certificates and service-specific credentials an action means, and
//! the one way to change them: inside a transaction, on the user's own record.

use super::access_keys::must_name_user;
use super::holders::{Holder, Users};
use super::not_found::no_such_user;
use crate::error::AwsError;
use crate::operation::Ctx;
use crate::store::{KeyStatus, Tx, TxResult, UserKeysAndCerts, UserRecord};

/// The named user, else the calling IAM user (root and role sessions must name one).
///
/// # Errors
/// `ValidationError` when no user is named and the caller is not an IAM user.
pub fn target_user(ctx: &Ctx<'_>, explicit: Option<&str>) -> Result<String, AwsError> {
    explicit.or(ctx.caller.principal.user_name()).map(str::to_owned).ok_or_else(must_name_user)
}

/// The ARN an action on `user`'s credentials is authorized against: the user's.
///
/// # Errors
/// Store failures.
pub fn user_resource(ctx: &Ctx<'_>, user: &str) -> Result<String, AwsError> {
    Users::resource(ctx.app, ctx.account(), user)
}

/// The user, read outside a transaction.
///
/// # Errors
/// `NoSuchEntity` when there is no such user.
pub fn load_user(ctx: &Ctx<'_>, user: &str) -> Result<std::sync::Arc<UserRecord>, AwsError> {
    ctx.app.store.user_arc(ctx.account(), user)?.ok_or_else(|| no_such_user(user))
}

/// Loads `user`, lets `f` change what it holds, saves it.
///
/// # Errors
/// `NoSuchEntity` for a missing user; whatever `f` returns.
pub fn update<T>(
    tx: &Tx<'_>,
    account: &str,
    user: &str,
    f: impl FnOnce(&UserRecord, &mut UserKeysAndCerts) -> Result<T, AwsError>,
) -> TxResult<T> {
    let mut record = tx.user(account, user)?.ok_or_else(|| no_such_user(user))?;
    let mut held = std::mem::take(&mut record.keys_and_certs);
    let out = f(&record, &mut held)?;
    record.keys_and_certs = held;
    tx.put_user(&record)?;
    Ok(out)
}

/// `Active` or `Inactive` from an already validated `Status` member.
#[must_use]
pub fn status(raw: &str) -> KeyStatus {
    if raw == "Active" { KeyStatus::Active } else { KeyStatus::Inactive }
}
