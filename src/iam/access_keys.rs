//! CreateAccessKey, DeleteAccessKey, ListAccessKeys, UpdateAccessKey, GetAccessKeyLastUsed.
//! Keys belong to a user or, when created by root without a user name, to the account's root.
//! Every request looks its key up afresh, so deleting or deactivating a key revokes it at once.

use super::holders::{Holder, Users};
use super::not_found::no_such_user;
use super::pagination::{Page, PageRequest};
use crate::error::AwsError;
use crate::ids::{IdKind, new_key_id, new_secret};
use crate::operation::{Ctx, Operation, Service};
use crate::principal::Principal;
use crate::protocol::rules::{ACCESS_KEY_ID, EXISTING_USER_NAME, KEY_STATUS};
use crate::protocol::{Params, WriteXml, XmlOut};
use crate::sigv4::SecretKey;
use crate::store::{AccessKeyRecord, AccountRecord, KeyStatus, Tx, TxResult, abort};

/// IAM's quota of access keys per user (and per root).
pub const MAX_KEYS_PER_USER: usize = 2;

/// Whose keys a request is about.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Owner {
    Root,
    User(String),
}

impl Owner {
    /// The named user, else the caller itself (its user, or root).
    fn resolve(ctx: &Ctx<'_>, explicit: Option<&str>) -> Result<Self, AwsError> {
        if let Some(name) = explicit.or(ctx.caller.principal.user_name()) {
            return Ok(Self::User(name.to_owned()));
        }
        match ctx.caller.principal {
            Principal::Root { .. } => Ok(Self::Root),
            // A role session has no keys of its own; it must say whose keys it means.
            Principal::User { .. } | Principal::AssumedRole { .. } => Err(must_name_user()),
        }
    }

    fn arn(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        match self {
            Self::Root => Ok(format!("arn:aws:iam::{}:root", ctx.account())),
            Self::User(name) => Users::resource(ctx.app, ctx.account(), name),
        }
    }

    /// The owner's key ids, or NoSuchEntity for a user that does not exist.
    fn key_ids(&self, tx: &Tx<'_>, account: &str) -> TxResult<Vec<String>> {
        Ok(match self {
            Self::Root => tx.account(account)?.map(|a| a.root_access_keys).unwrap_or_default(),
            Self::User(name) => tx.user(account, name)?.ok_or_else(|| no_such_user(name))?.access_keys,
        })
    }

    /// Stores the owner's new list of key ids.
    fn set_key_ids(&self, tx: &Tx<'_>, account: &str, ids: Vec<String>) -> TxResult<()> {
        match self {
            Self::Root => {
                let mut a = tx
                    .account(account)?
                    .unwrap_or_else(|| AccountRecord { id: account.to_owned(), ..AccountRecord::default() });
                a.root_access_keys = ids;
                tx.put_account(&a)
            }
            Self::User(name) => {
                let mut u = tx.user(account, name)?.ok_or_else(|| no_such_user(name))?;
                u.access_keys = ids;
                tx.put_user(&u)
            }
        }
    }
}

/// IAM's answer when a caller that is not an IAM user omits UserName.
pub fn must_name_user() -> AwsError {
    AwsError::ValidationError("Must specify userName when calling with non-User credentials".into())
}

fn no_such_key(id: &str) -> AwsError {
    AwsError::NoSuchEntity(format!("The Access Key with id {id} cannot be found."))
}

/// The owner's key `id`, or NoSuchEntity when it is not theirs.
fn owned_key(tx: &Tx<'_>, account: &str, owner: &Owner, id: &str) -> TxResult<AccessKeyRecord> {
    let ids = owner.key_ids(tx, account)?;
    if !ids.iter().any(|k| k == id) {
        return abort(no_such_key(id));
    }
    Ok(tx.access_key(id)?.ok_or_else(|| no_such_key(id))?)
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
        Owner::resolve(ctx, self.user.as_deref())?.arn(ctx)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<CreateAccessKeyResult, AwsError> {
        let account = ctx.account();
        let owner = Owner::resolve(ctx, self.user.as_deref())?;
        let secret = SecretKey::new(new_secret());
        let key = ctx.app.store.transact_with_new_key(
            || new_key_id(IdKind::AccessKey, account),
            |tx, id| {
                let mut ids = owner.key_ids(tx, account)?;
                if ids.len() >= MAX_KEYS_PER_USER {
                    return abort(AwsError::LimitExceeded(format!(
                        "Cannot exceed quota for AccessKeysPerUser: {MAX_KEYS_PER_USER}"
                    )));
                }
                let user = match &owner {
                    Owner::Root => None,
                    // The stored spelling of the name, whatever case the request used.
                    Owner::User(name) => Some(tx.user(account, name)?.ok_or_else(|| no_such_user(name))?.name),
                };
                let key = AccessKeyRecord {
                    id: id.to_owned(),
                    account: account.to_owned(),
                    user,
                    status: KeyStatus::Active,
                    create_date: ctx.now.replace_millisecond(0).unwrap_or(ctx.now),
                    secret: tx.sealer().seal(id, &secret)?,
                };
                if !tx.insert_access_key(&key)? {
                    return Ok(None);
                }
                ids.push(id.to_owned());
                owner.set_key_ids(tx, account, ids)?;
                Ok(Some(key))
            },
        )?;
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
        Owner::resolve(ctx, self.user.as_deref())?.arn(ctx)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        let account = ctx.account();
        let owner = Owner::resolve(ctx, self.user.as_deref())?;
        ctx.app.store.transact(|tx| {
            owned_key(tx, account, &owner, &self.id)?;
            let ids = owner.key_ids(tx, account)?.into_iter().filter(|k| *k != self.id).collect();
            owner.set_key_ids(tx, account, ids)?;
            tx.remove_access_key(&self.id)
        })?;
        ctx.app.last_used.forget(&self.id);
        ctx.app.store.forget_last_used(&self.id)
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
        Owner::resolve(ctx, self.user.as_deref())?.arn(ctx)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        let account = ctx.account();
        let owner = Owner::resolve(ctx, self.user.as_deref())?;
        ctx.app.store.transact(|tx| {
            let mut key = owned_key(tx, account, &owner, &self.id)?;
            key.status = self.status;
            tx.put_access_key(&key)
        })
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
        Owner::resolve(ctx, self.user.as_deref())?.arn(ctx)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<ListAccessKeysResult, AwsError> {
        let account = ctx.account();
        let owner = Owner::resolve(ctx, self.user.as_deref())?;
        // Plain reads: a key deleted between the two reads is simply not listed.
        let ids = match &owner {
            Owner::Root => ctx.app.store.account(account)?.map(|a| a.root_access_keys).unwrap_or_default(),
            Owner::User(name) => {
                ctx.app.store.user_arc(account, name)?.ok_or_else(|| no_such_user(name))?.access_keys.clone()
            }
        };
        let mut keys = Vec::new();
        for id in ids {
            keys.extend(ctx.app.store.access_key(&id)?);
        }
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
                Owner::User(user).arn(ctx)
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
            .ok_or_else(|| no_such_key(&self.id))?;
        let used = ctx.app.last_used.get(&ctx.app.store, &self.id)?;
        Ok(GetAccessKeyLastUsedResult { user: key.user, used })
    }
}
