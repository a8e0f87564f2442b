//! CreateLoginProfile, GetLoginProfile, UpdateLoginProfile, DeleteLoginProfile, ChangePassword.
//! A login profile is a user's password; iamd has no console, so it serves Keystone password
//! logins (`POST /v3/auth/tokens`). Passwords are hashed with Argon2id before any transaction and
//! never stored, logged or returned.

use super::access_keys::must_name_user;
use super::holders::{Holder, Users};
use super::not_found::no_such_user;
use crate::error::AwsError;
use crate::operation::{Ctx, Operation, Service};
use crate::password;
use crate::principal::Principal;
use crate::protocol::rules::{EXISTING_USER_NAME, PASSWORD};
use crate::protocol::{Params, WriteXml, XmlOut};
use crate::store::{LoginProfile, PasswordPolicy, Tx, TxResult, UserRecord, abort};

fn no_such_profile(user: &str) -> AwsError {
    AwsError::NoSuchEntity(format!("Login Profile for User {user} cannot be found."))
}

/// IAM's refusal of a password its policy does not allow.
fn policy_violation(details: &[String]) -> AwsError {
    AwsError::PasswordPolicyViolation(format!(
        "Password does not conform to the account password policy. {}",
        details.join("; ")
    ))
}

/// The named user, else the calling user.
fn target_user(ctx: &Ctx<'_>, explicit: Option<&str>) -> Result<String, AwsError> {
    explicit.or(ctx.caller.principal.user_name()).map(str::to_owned).ok_or_else(must_name_user)
}

/// A password hashed outside the transaction, after the account policy accepted it.
fn checked_hash(ctx: &Ctx<'_>, password: &str) -> Result<String, AwsError> {
    let policy = ctx.app.store.account(ctx.account())?.and_then(|a| a.password_policy);
    let broken = password::violations(policy.as_ref(), password);
    if !broken.is_empty() {
        return Err(policy_violation(&broken));
    }
    password::hash(password).map_err(|e| AwsError::internal(&e))
}

/// Refuses a password the policy's PasswordReusePrevention forbids (checked before hashing is
/// stored: each earlier hash is verified against the new password).
fn check_reuse(policy: Option<&PasswordPolicy>, profile: &LoginProfile, new_password: &str) -> Result<(), AwsError> {
    let Some(n) = policy.and_then(|p| p.reuse_prevention) else { return Ok(()) };
    let recent = std::iter::once(&profile.password_hash).chain(&profile.previous_hashes).take(n as usize);
    for h in recent {
        if password::verify(new_password, h) {
            return Err(policy_violation(&["Password was used recently and cannot be reused".to_owned()]));
        }
    }
    Ok(())
}

/// Replaces the user's password hash, keeping the old ones the reuse rule needs.
fn set_password(user: &mut UserRecord, new_hash: String, now: time::OffsetDateTime, reset_required: bool) {
    if let Some(p) = user.login_profile.as_mut() {
        let old = std::mem::replace(&mut p.password_hash, new_hash);
        p.previous_hashes.insert(0, old);
        p.previous_hashes.truncate(24);
        p.password_set = now;
        p.password_reset_required = reset_required;
    }
}

/// Authorizes `ctx.permission` on `resource` as usual, unless the account's password policy has
/// AllowUsersToChangePassword, which grants IAM users ChangePassword and
/// GetAccountPasswordPolicy without any policy, as in AWS.
///
/// # Errors
/// `AccessDenied` as the policy engine words it; store failures.
pub fn authorize_unless_self_service(
    ctx: &Ctx<'_>,
    policy: Option<&PasswordPolicy>,
    resource: &str,
) -> Result<(), AwsError> {
    let is_user = matches!(ctx.caller.principal, Principal::User { .. });
    if is_user && policy.is_some_and(|p| p.allow_users_to_change) {
        return Ok(());
    }
    let facts = crate::authz::RequestFacts {
        action: ctx.permission,
        resource,
        now: ctx.now,
        source_ip: ctx.source_ip,
        secure_transport: ctx.secure_transport,
        region: ctx.region,
        request_tags: None,
        tag_keys: None,
        extra_keys: Vec::new(),
    };
    crate::authz::authorize(ctx.app, ctx.caller, &facts)
}

/// The input of actions whose only member is an optional UserName.
fn optional_user(p: &Params) -> Result<Option<String>, AwsError> {
    let mut f = p.fields();
    let user = f.opt_str("UserName", &EXISTING_USER_NAME);
    f.finish()?;
    Ok(user)
}

fn load(tx: &Tx<'_>, account: &str, name: &str) -> TxResult<UserRecord> {
    Ok(tx.user(account, name)?.ok_or_else(|| no_such_user(name))?)
}

pub struct LoginProfileResult {
    user: String,
    create_date: time::OffsetDateTime,
    reset_required: bool,
}

impl WriteXml for LoginProfileResult {
    fn write(&self, w: &mut XmlOut) {
        w.elem("LoginProfile", |w| {
            w.text("UserName", &self.user);
            w.time("CreateDate", self.create_date);
            w.bool("PasswordResetRequired", self.reset_required);
        });
    }
}

pub struct CreateLoginProfile {
    user: Option<String>,
    password: String,
    reset_required: bool,
}

impl Operation for CreateLoginProfile {
    const NAME: &'static str = "CreateLoginProfile";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = LoginProfileResult;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let user = f.opt_str("UserName", &EXISTING_USER_NAME);
        let password = f.secret("Password", &PASSWORD);
        let reset_required = f.opt_bool("PasswordResetRequired").unwrap_or(false);
        f.finish()?;
        Ok(Self { user, password, reset_required })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Users::resource(ctx.app, ctx.account(), &target_user(ctx, self.user.as_deref())?)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<LoginProfileResult, AwsError> {
        let account = ctx.account();
        let name = target_user(ctx, self.user.as_deref())?;
        if ctx.app.store.user_arc(account, &name)?.is_none() {
            return Err(no_such_user(&name));
        }
        let hash = checked_hash(ctx, &self.password)?;
        let now = ctx.now.replace_millisecond(0).unwrap_or(ctx.now);
        ctx.app.store.transact(|tx| {
            let mut user = load(tx, account, &name)?;
            if user.login_profile.is_some() {
                return abort(AwsError::EntityAlreadyExists(format!(
                    "Login Profile for user {} already exists.",
                    user.name
                )));
            }
            user.login_profile = Some(LoginProfile {
                password_hash: hash.clone(),
                create_date: now,
                password_reset_required: self.reset_required,
                password_set: now,
                previous_hashes: Vec::new(),
            });
            tx.put_user(&user)?;
            Ok(LoginProfileResult { user: user.name, create_date: now, reset_required: self.reset_required })
        })
    }
}

pub struct GetLoginProfile {
    user: Option<String>,
}

impl Operation for GetLoginProfile {
    const NAME: &'static str = "GetLoginProfile";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = false;
    type Output = LoginProfileResult;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        Ok(Self { user: optional_user(p)? })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Users::resource(ctx.app, ctx.account(), &target_user(ctx, self.user.as_deref())?)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<LoginProfileResult, AwsError> {
        let name = target_user(ctx, self.user.as_deref())?;
        let user = ctx.app.store.user_arc(ctx.account(), &name)?.ok_or_else(|| no_such_user(&name))?;
        let profile = user.login_profile.as_ref().ok_or_else(|| no_such_profile(&user.name))?;
        Ok(LoginProfileResult {
            user: user.name.clone(),
            create_date: profile.create_date,
            reset_required: profile.password_reset_required,
        })
    }
}

pub struct UpdateLoginProfile {
    user: String,
    password: Option<String>,
    reset_required: Option<bool>,
}

impl Operation for UpdateLoginProfile {
    const NAME: &'static str = "UpdateLoginProfile";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let user = f.str("UserName", &EXISTING_USER_NAME);
        let password = f.opt_secret("Password", &PASSWORD);
        let reset_required = f.opt_bool("PasswordResetRequired");
        f.finish()?;
        Ok(Self { user, password, reset_required })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Users::resource(ctx.app, ctx.account(), &self.user)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        let account = ctx.account();
        let user = ctx.app.store.user_arc(account, &self.user)?.ok_or_else(|| no_such_user(&self.user))?;
        let profile = user.login_profile.as_ref().ok_or_else(|| no_such_profile(&user.name))?;
        let hash = match &self.password {
            Some(p) => {
                let policy = ctx.app.store.account(account)?.and_then(|a| a.password_policy);
                check_reuse(policy.as_ref(), profile, p)?;
                Some(checked_hash(ctx, p)?)
            }
            None => None,
        };
        let now = ctx.now.replace_millisecond(0).unwrap_or(ctx.now);
        ctx.app.store.transact(|tx| {
            let mut user = load(tx, account, &self.user)?;
            let Some(current) = user.login_profile.as_ref() else { return abort(no_such_profile(&user.name)) };
            let reset = self.reset_required.unwrap_or(current.password_reset_required);
            match &hash {
                Some(h) => set_password(&mut user, h.clone(), now, reset),
                None => {
                    if let Some(p) = user.login_profile.as_mut() {
                        p.password_reset_required = reset;
                    }
                }
            }
            tx.put_user(&user)
        })
    }
}

pub struct DeleteLoginProfile {
    user: Option<String>,
}

impl Operation for DeleteLoginProfile {
    const NAME: &'static str = "DeleteLoginProfile";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        Ok(Self { user: optional_user(p)? })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Users::resource(ctx.app, ctx.account(), &target_user(ctx, self.user.as_deref())?)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        let account = ctx.account();
        let name = target_user(ctx, self.user.as_deref())?;
        ctx.app.store.transact(|tx| {
            let mut user = load(tx, account, &name)?;
            if user.login_profile.take().is_none() {
                return abort(no_such_profile(&user.name));
            }
            tx.put_user(&user)
        })
    }
}

pub struct ChangePassword {
    old: String,
    new: String,
}

impl Operation for ChangePassword {
    const NAME: &'static str = "ChangePassword";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    // Decided in `run`: AllowUsersToChangePassword grants it without a policy, as in AWS.
    const NEEDS_PERMISSION: bool = false;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let old = f.secret("OldPassword", &PASSWORD);
        let new = f.secret("NewPassword", &PASSWORD);
        f.finish()?;
        Ok(Self { old, new })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Ok(ctx.caller.principal.arn())
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        let Principal::User { account, name, .. } = &ctx.caller.principal else {
            return Err(AwsError::InvalidUserType("Only IAM users can change their own password.".into()));
        };
        let user = ctx.app.store.user_arc(account, name)?.ok_or_else(|| no_such_user(name))?;
        let profile = user.login_profile.as_ref().ok_or_else(|| no_such_profile(&user.name))?;
        if !password::verify(&self.old, &profile.password_hash) {
            return Err(AwsError::AccessDenied("The old password is incorrect.".into()));
        }
        let policy = ctx.app.store.account(account)?.and_then(|a| a.password_policy);
        authorize_unless_self_service(ctx, policy.as_ref(), &ctx.caller.principal.arn())?;
        check_reuse(policy.as_ref(), profile, &self.new)?;
        let hash = checked_hash(ctx, &self.new)?;
        let now = ctx.now.replace_millisecond(0).unwrap_or(ctx.now);
        ctx.app.store.transact(|tx| {
            let mut user = load(tx, account, name)?;
            if user.login_profile.is_none() {
                return abort(no_such_profile(&user.name));
            }
            set_password(&mut user, hash.clone(), now, false);
            tx.put_user(&user)
        })
    }
}
