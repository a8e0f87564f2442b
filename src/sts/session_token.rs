//! GetSessionToken (temporary credentials for an IAM user or root) and GetAccessKeyInfo.

use time::Duration;

use super::credentials::{self, Issued, SessionExtras};
use super::token::SessionIdentity;
use crate::error::AwsError;
use crate::operation::{Ctx, Operation, Service};
use crate::principal::Principal;
use crate::protocol::rules::{ACCESS_KEY_ID, SESSION_DURATION};
use crate::protocol::{Params, WriteXml, XmlOut};

/// GetSessionToken's default duration, and root's ceiling.
pub const DEFAULT_DURATION: i64 = 43_200;
pub const ROOT_MAX_DURATION: i64 = 3600;

pub struct GetSessionToken {
    duration: Option<i64>,
    serial: Option<String>,
    code: Option<String>,
}

pub struct GetSessionTokenResult(Issued);

impl WriteXml for GetSessionTokenResult {
    fn write(&self, w: &mut XmlOut) {
        self.0.write(w);
    }
}

impl Operation for GetSessionToken {
    const NAME: &'static str = "GetSessionToken";
    const SERVICE: Service = Service::Sts;
    const MUTATES: bool = true;
    // AWS requires no permission for GetSessionToken.
    const NEEDS_PERMISSION: bool = false;
    type Output = GetSessionTokenResult;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let duration = f.opt_int("DurationSeconds", &SESSION_DURATION);
        let serial = f.opt_str("SerialNumber", &credentials::MFA_SERIAL);
        let code = f.opt_str("TokenCode", &credentials::TOKEN_CODE);
        f.finish()?;
        Ok(Self { duration, serial, code })
    }

    fn resource(&self, _: &Ctx<'_>) -> Result<String, AwsError> {
        Ok("*".into())
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<GetSessionTokenResult, AwsError> {
        if ctx.caller.session.is_some() {
            return Err(AwsError::AccessDenied("Cannot call GetSessionToken with session credentials".into()));
        }
        let (identity, seconds) = match &ctx.caller.principal {
            Principal::Root { .. } => {
                (SessionIdentity::Root, self.duration.unwrap_or(ROOT_MAX_DURATION).min(ROOT_MAX_DURATION))
            }
            Principal::User { name, id, path, .. } => (
                SessionIdentity::User { name: name.clone(), id: id.clone(), path: path.clone() },
                self.duration.unwrap_or(DEFAULT_DURATION),
            ),
            Principal::AssumedRole { .. } | Principal::FederatedUser { .. } => {
                return Err(AwsError::AccessDenied("Cannot call GetSessionToken with session credentials".into()));
            }
        };
        let mfa_authenticated_at = credentials::mfa_sign_in(
            ctx.app,
            &ctx.caller.principal,
            self.serial.as_deref(),
            self.code.as_deref(),
            ctx.now,
        )?;
        let issued = credentials::issue(
            ctx.app,
            ctx.account(),
            identity,
            ctx.now,
            Duration::seconds(seconds),
            SessionExtras {
                mfa_authenticated_at,
                parent_key: Some(ctx.caller.access_key_id.clone()),
                ..SessionExtras::default()
            },
        )?;
        Ok(GetSessionTokenResult(issued))
    }
}

pub struct GetAccessKeyInfo {
    id: String,
}

pub struct AccountResult(String);

impl WriteXml for AccountResult {
    fn write(&self, w: &mut XmlOut) {
        w.text("Account", &self.0);
    }
}

impl Operation for GetAccessKeyInfo {
    const NAME: &'static str = "GetAccessKeyInfo";
    const SERVICE: Service = Service::Sts;
    const MUTATES: bool = false;
    type Output = AccountResult;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let id = f.str("AccessKeyId", &ACCESS_KEY_ID);
        f.finish()?;
        Ok(Self { id })
    }

    fn resource(&self, _: &Ctx<'_>) -> Result<String, AwsError> {
        Ok("*".into())
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<AccountResult, AwsError> {
        if let Some((account, _)) = ctx.app.settings.configured_root(&self.id) {
            return Ok(AccountResult(account.to_owned()));
        }
        if let Some(key) = ctx.app.store.access_key(&self.id)? {
            return Ok(AccountResult(key.account));
        }
        // Temporary keys are not stored, but every key id iamd issues carries its account.
        crate::ids::account_of_key(&self.id).map(AccountResult).ok_or_else(|| {
            AwsError::InvalidParameterValue(format!("The access key {} is not known to this endpoint.", self.id))
        })
    }
}
