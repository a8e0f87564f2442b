//! GetAccountPasswordPolicy, UpdateAccountPasswordPolicy, DeleteAccountPasswordPolicy. The policy
//! is checked on every password set (login profiles, ChangePassword).

use crate::error::AwsError;
use crate::operation::{Ctx, Operation, Service};
use crate::protocol::rules::{MAX_PASSWORD_AGE, MINIMUM_PASSWORD_LENGTH, PASSWORD_REUSE_PREVENTION};
use crate::protocol::{Params, WriteXml, XmlOut};
use crate::store::{PasswordPolicy, abort};

fn no_policy(account: &str) -> AwsError {
    AwsError::NoSuchEntity(format!("The Password Policy with domain name {account} cannot be found."))
}

pub struct PasswordPolicyResult(PasswordPolicy);

impl WriteXml for PasswordPolicyResult {
    fn write(&self, w: &mut XmlOut) {
        let p = &self.0;
        w.elem("PasswordPolicy", |w| {
            w.int("MinimumPasswordLength", i64::from(p.minimum_length));
            w.bool("RequireSymbols", p.require_symbols);
            w.bool("RequireNumbers", p.require_numbers);
            w.bool("RequireUppercaseCharacters", p.require_uppercase);
            w.bool("RequireLowercaseCharacters", p.require_lowercase);
            w.bool("AllowUsersToChangePassword", p.allow_users_to_change);
            w.bool("ExpirePasswords", p.max_age.is_some());
            if let Some(age) = p.max_age {
                w.int("MaxPasswordAge", i64::from(age));
            }
            if let Some(n) = p.reuse_prevention {
                w.int("PasswordReusePrevention", i64::from(n));
            }
            w.bool("HardExpiry", p.hard_expiry);
        });
    }
}

pub struct GetAccountPasswordPolicy;

impl Operation for GetAccountPasswordPolicy {
    const NAME: &'static str = "GetAccountPasswordPolicy";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = false;
    // Decided in `run`: AllowUsersToChangePassword lets users read the policy.
    const NEEDS_PERMISSION: bool = false;
    type Output = PasswordPolicyResult;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        p.fields().finish()?;
        Ok(Self)
    }

    fn resource(&self, _ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Ok("*".into())
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<PasswordPolicyResult, AwsError> {
        let account = ctx.account();
        let policy = ctx.app.store.account(account)?.and_then(|a| a.password_policy);
        super::login_profiles::authorize_unless_self_service(ctx, policy.as_ref(), "*")?;
        policy.map(PasswordPolicyResult).ok_or_else(|| no_policy(account))
    }
}

pub struct UpdateAccountPasswordPolicy(PasswordPolicy);

fn to_u32(v: Option<i64>) -> Option<u32> {
    v.and_then(|v| u32::try_from(v).ok())
}

impl Operation for UpdateAccountPasswordPolicy {
    const NAME: &'static str = "UpdateAccountPasswordPolicy";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        // Members left out take IAM's defaults, as in AWS (the call replaces the whole policy).
        let policy = PasswordPolicy {
            minimum_length: to_u32(f.opt_int("MinimumPasswordLength", &MINIMUM_PASSWORD_LENGTH)).unwrap_or(6),
            require_symbols: f.opt_bool("RequireSymbols").unwrap_or(false),
            require_numbers: f.opt_bool("RequireNumbers").unwrap_or(false),
            require_uppercase: f.opt_bool("RequireUppercaseCharacters").unwrap_or(false),
            require_lowercase: f.opt_bool("RequireLowercaseCharacters").unwrap_or(false),
            allow_users_to_change: f.opt_bool("AllowUsersToChangePassword").unwrap_or(false),
            max_age: to_u32(f.opt_int("MaxPasswordAge", &MAX_PASSWORD_AGE)),
            reuse_prevention: to_u32(f.opt_int("PasswordReusePrevention", &PASSWORD_REUSE_PREVENTION)),
            hard_expiry: f.opt_bool("HardExpiry").unwrap_or(false),
        };
        f.finish()?;
        Ok(Self(policy))
    }

    fn resource(&self, _ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Ok("*".into())
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        let account = ctx.account();
        ctx.app.store.transact(|tx| {
            let mut a = tx.account_or_new(account)?;
            a.password_policy = Some(self.0.clone());
            tx.put_account(&a)
        })
    }
}

pub struct DeleteAccountPasswordPolicy;

impl Operation for DeleteAccountPasswordPolicy {
    const NAME: &'static str = "DeleteAccountPasswordPolicy";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        p.fields().finish()?;
        Ok(Self)
    }

    fn resource(&self, _ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Ok("*".into())
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        let account = ctx.account();
        ctx.app.store.transact(|tx| {
            let Some(mut a) = tx.account(account)?.filter(|a| a.password_policy.is_some()) else {
                return abort(no_policy(account));
            };
            a.password_policy = None;
            tx.put_account(&a)
        })
    }
}
