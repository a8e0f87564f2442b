//! Permissions boundaries: PutUserPermissionsBoundary, DeleteUserPermissionsBoundary, and the
//! bookkeeping shared with CreateUser (and roles later).

use super::holders::{Holder, Users};
use super::managed_policies::find_policy;
use super::no_such_user;
use super::policy_docs::{PolicyArn, not_attachable};
use crate::dispatch::{Ctx, Operation, Service};
use crate::error::AwsError;
use crate::protocol::rules::{ARN, USER_NAME};
use crate::protocol::{Params, XmlOut};
use crate::store::{Attachment, EntityKind, Tx, TxResult};

/// Records that `entity` now uses `new` (or nothing) as its boundary instead of `old`, in the
/// policies' usage lists; returns the canonical ARN of `new`.
pub fn move_boundary(
    tx: &Tx<'_>,
    account: &str,
    entity: &Attachment,
    old: Option<&str>,
    new: Option<&str>,
) -> TxResult<Option<String>> {
    if let Some(old) = old
        && let Some(mut p) = find_policy(tx, account, old)?
    {
        p.boundary_of.retain(|a| a != entity);
        tx.put_policy(&p)?;
    }
    let Some(new) = new else { return Ok(None) };
    let mut p = find_policy(tx, account, new)?.ok_or_else(|| not_attachable(new))?;
    if !p.boundary_of.contains(entity) {
        p.boundary_of.push(entity.clone());
    }
    tx.put_policy(&p)?;
    Ok(Some(p.arn()))
}

/// `<PermissionsBoundary>` inside a `User` (or `Role`).
pub fn write(w: &mut XmlOut, arn: Option<&str>) {
    if let Some(arn) = arn {
        w.elem("PermissionsBoundary", |w| {
            w.text("PermissionsBoundaryType", "Policy");
            w.text("PermissionsBoundaryArn", arn);
        });
    }
}

pub struct PutUserPermissionsBoundary {
    user: String,
    arn: String,
}

impl Operation for PutUserPermissionsBoundary {
    const NAME: &'static str = "PutUserPermissionsBoundary";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let user = f.str("UserName", &USER_NAME);
        let arn = f.str("PermissionsBoundary", &ARN);
        f.finish()?;
        PolicyArn::parse(&arn)?;
        Ok(Self { user, arn })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Users::resource(ctx.app, ctx.account(), &self.user)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        let account = ctx.account();
        ctx.app.store.transact(|tx| {
            let mut user = tx.user(account, &self.user)?.ok_or_else(|| no_such_user(&self.user))?;
            let me = Attachment { kind: EntityKind::User, name: user.name.clone() };
            user.permissions_boundary =
                move_boundary(tx, account, &me, user.permissions_boundary.as_deref(), Some(&self.arn))?;
            tx.put_user(&user)
        })
    }
}

pub struct DeleteUserPermissionsBoundary {
    user: String,
}

impl Operation for DeleteUserPermissionsBoundary {
    const NAME: &'static str = "DeleteUserPermissionsBoundary";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let user = f.str("UserName", &USER_NAME);
        f.finish()?;
        Ok(Self { user })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Users::resource(ctx.app, ctx.account(), &self.user)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        let account = ctx.account();
        ctx.app.store.transact(|tx| {
            let mut user = tx.user(account, &self.user)?.ok_or_else(|| no_such_user(&self.user))?;
            let me = Attachment { kind: EntityKind::User, name: user.name.clone() };
            user.permissions_boundary = move_boundary(tx, account, &me, user.permissions_boundary.as_deref(), None)?;
            tx.put_user(&user)
        })
    }
}
