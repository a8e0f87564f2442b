//! CreateAccessKey, DeleteAccessKey, ListAccessKeys, UpdateAccessKey, GetAccessKeyLastUsed.
//! Keys belong to a user or, when created by root without a user name, to the account's root.
//! Every request looks its key up afresh, so deleting or deactivating a key revokes it at once.

use super::holders::{Holder, Users};
use super::pagination::{Page, PageRequest};
use crate::access_keys::{self as keys, KeyOwner};
use crate::error::AwsError;
use crate::operation::{Ctx, Operation, Service};
use crate::principal::Principal;
use crate::protocol::rules::{ACCESS_KEY_ID, EXISTING_USER_NAME, KEY_STATUS};
use crate::protocol::{Params, WriteXml, XmlOut};
use crate::sigv4::SecretKey;
use crate::store::{AccessKeyRecord, KeyStatus};

/// The named user, else the caller itself (its user, or root).
fn resolve_owner(ctx: &Ctx<'_>, explicit: Option<&str>) -> Result<KeyOwner, AwsError> {
    if let Some(name) = explicit.or(ctx.caller.principal.user_name()) {
        return Ok(KeyOwner::User(name.to_owned()));
    }
    match ctx.caller.principal {
        Principal::Root { .. } => Ok(KeyOwner::Root),
        // A role session has no keys of its own; it must say whose keys it means.
        Principal::User { .. } | Principal::AssumedRole { .. } | Principal::FederatedUser { .. } => {
            Err(must_name_user())
        }
    }
}

fn owner_arn(ctx: &Ctx<'_>, owner: &KeyOwner) -> Result<String, AwsError> {
    match owner {
        KeyOwner::Root => Ok(format!("arn:aws:iam::{}:root", ctx.account())),
        KeyOwner::User(name) => Users::resource(ctx.app, ctx.account(), name),
    }
}

/// IAM's answer when a caller that is not an IAM user omits UserName.
pub fn must_name_user() -> AwsError {
    AwsError::ValidationError("Must specify userName when calling with non-User credentials".into())
}

fn write_metadata(w: &mut XmlOut, key: &AccessKeyRecord) {
    w.opt_text("UserName", key.user.as_deref());
    w.text("AccessKeyId", &key.id);
    w.text("Status", key.status.as_str());
    w.time("CreateDate", key.create_date);
}

pub struct CreateAccessKey {
    user: Option<String>,
}

pub struct CreateAccessKeyResult {
    key: AccessKeyRecord,
    secret: SecretKey,
}

impl WriteXml for CreateAccessKeyResult {
    fn write(&self, w: &mut XmlOut) {
        w.elem("AccessKey", |w| {
            w.opt_text("UserName", self.key.user.as_deref());
            w.text("AccessKeyId", &self.key.id);
            w.text("Status", self.key.status.as_str());
            w.text("SecretAccessKey", self.secret.expose());
            w.time("CreateDate", self.key.create_date);
        });
    }
}

impl Operation for CreateAccessKey {
    const NAME: &'static str = "CreateAccessKey";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = CreateAccessKeyResult;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let user = f.opt_str("UserName", &EXISTING_USER_NAME);
        f.finish()?;
        Ok(Self { user })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        owner_arn(ctx, &resolve_owner(ctx, self.user.as_deref())?)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<CreateAccessKeyResult, AwsError> {
        let account = ctx.account();
        let owner = resolve_owner(ctx, self.user.as_deref())?;
        let (key, secret) = keys::create(&ctx.app.store, account, &owner, ctx.now)?;
        Ok(CreateAccessKeyResult { key, secret })
    }
}

pub struct DeleteAccessKey {
    user: Option<String>,
    id: String,
}

impl Operation for DeleteAccessKey {
    const NAME: &'static str = "DeleteAccessKey";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let user = f.opt_str("UserName", &EXISTING_USER_NAME);
        let id = f.str("AccessKeyId", &ACCESS_KEY_ID);
        f.finish()?;
        Ok(Self { user, id })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        owner_arn(ctx, &resolve_owner(ctx, self.user.as_deref())?)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        let account = ctx.account();
        let owner = resolve_owner(ctx, self.user.as_deref())?;
        keys::delete(&ctx.app.store, account, &owner, &self.id)?;
        ctx.app.last_used.forget(&self.id);
        Ok(())
    }
}

pub struct UpdateAccessKey {
    user: Option<String>,
    id: String,
    status: KeyStatus,
}

impl Operation for UpdateAccessKey {
    const NAME: &'static str = "UpdateAccessKey";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let user = f.opt_str("UserName", &EXISTING_USER_NAME);
        let id = f.str("AccessKeyId", &ACCESS_KEY_ID);
        let status = f.enum_value("Status", KEY_STATUS);
        f.finish()?;
        let status = if status == "Active" { KeyStatus::Active } else { KeyStatus::Inactive };
        Ok(Self { user, id, status })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        owner_arn(ctx, &resolve_owner(ctx, self.user.as_deref())?)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        let account = ctx.account();
        let owner = resolve_owner(ctx, self.user.as_deref())?;
        keys::set_status(&ctx.app.store, account, &owner, &self.id, self.status)
    }
}

pub struct ListAccessKeys {
    user: Option<String>,
    page: PageRequest,
}

pub struct ListAccessKeysResult(Page<AccessKeyRecord>);

impl WriteXml for ListAccessKeysResult {
    fn write(&self, w: &mut XmlOut) {
        w.list("AccessKeyMetadata", &self.0.items, write_metadata);
        self.0.write_tail(w);
    }
}

impl Operation for ListAccessKeys {
    const NAME: &'static str = "ListAccessKeys";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = false;
    type Output = ListAccessKeysResult;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let user = f.opt_str("UserName", &EXISTING_USER_NAME);
        let page = PageRequest::read(&mut f);
        f.finish()?;
        Ok(Self { user, page })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        owner_arn(ctx, &resolve_owner(ctx, self.user.as_deref())?)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<ListAccessKeysResult, AwsError> {
        let account = ctx.account();
        let owner = resolve_owner(ctx, self.user.as_deref())?;
        let keys = keys::list(&ctx.app.store, account, &owner)?;
        Ok(ListAccessKeysResult(self.page.page(keys)?))
    }
}

pub struct GetAccessKeyLastUsed {
    id: String,
}

pub struct GetAccessKeyLastUsedResult {
    user: Option<String>,
    used: Option<crate::store::KeyLastUsed>,
}

impl WriteXml for GetAccessKeyLastUsedResult {
    fn write(&self, w: &mut XmlOut) {
        w.opt_text("UserName", self.user.as_deref());
        w.elem("AccessKeyLastUsed", |w| match &self.used {
            Some(u) => {
                w.time("LastUsedDate", u.date);
                w.text("ServiceName", &u.service);
                w.text("Region", &u.region);
            }
            // IAM's answer for a key that has never been used.
            None => {
                w.text("ServiceName", "N/A");
                w.text("Region", "N/A");
            }
        });
    }
}

impl Operation for GetAccessKeyLastUsed {
    const NAME: &'static str = "GetAccessKeyLastUsed";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = false;
    type Output = GetAccessKeyLastUsedResult;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let id = f.str("AccessKeyId", &ACCESS_KEY_ID);
        f.finish()?;
        Ok(Self { id })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        match ctx.app.store.access_key(&self.id)? {
            Some(AccessKeyRecord { account, user: Some(user), .. }) if account == ctx.account() => {
                owner_arn(ctx, &KeyOwner::User(user))
            }
            _ => Ok(format!("arn:aws:iam::{}:user/", ctx.account())),
        }
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<GetAccessKeyLastUsedResult, AwsError> {
        let key = ctx
            .app
            .store
            .access_key(&self.id)?
            .filter(|k| k.account == ctx.account())
            .ok_or_else(|| keys::no_such_key(&self.id))?;
        let used = ctx.app.last_used.get(&ctx.app.store, &self.id)?;
        Ok(GetAccessKeyLastUsedResult { user: key.user, used })
    }
}
