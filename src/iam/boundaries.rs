//! Permissions boundaries: PutUserPermissionsBoundary, DeleteUserPermissionsBoundary, and the
//! bookkeeping shared with CreateUser (and roles later).

use std::marker::PhantomData;

use super::holders::{Holder, Roles, Users};
use super::managed_policies::find_attachable;
use super::not_found::{no_such_role, no_such_user};
use super::policy_docs::{PolicyArn, not_attachable};
use crate::error::AwsError;
use crate::operation::{Ctx, Operation, Service};
use crate::protocol::rules::ARN;
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
        && let Some(mut p) = find_attachable(tx, account, old)?
    {
        p.boundary_of.retain(|a| a != entity);
        tx.put_policy(&p)?;
    }
    let Some(new) = new else { return Ok(None) };
    let mut p = find_attachable(tx, account, new)?.ok_or_else(|| not_attachable(new))?;
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

/// An identity that can have a permissions boundary (users and roles).
pub trait Bounded: Holder {
    const PUT_BOUNDARY: &'static str;
    const DELETE_BOUNDARY: &'static str;

    /// Loads the identity, lets `f` change its boundary ARN, saves it.
    fn update_boundary(
        tx: &Tx<'_>,
        account: &str,
        name: &str,
        f: impl FnOnce(&mut Option<String>, &Attachment) -> TxResult<()>,
    ) -> TxResult<()>;
}

impl Bounded for Users {
    const PUT_BOUNDARY: &'static str = "PutUserPermissionsBoundary";
    const DELETE_BOUNDARY: &'static str = "DeleteUserPermissionsBoundary";

    fn update_boundary(
        tx: &Tx<'_>,
        account: &str,
        name: &str,
        f: impl FnOnce(&mut Option<String>, &Attachment) -> TxResult<()>,
    ) -> TxResult<()> {
        let mut user = tx.user(account, name)?.ok_or_else(|| no_such_user(name))?;
        f(&mut user.permissions_boundary, &Attachment { kind: EntityKind::User, name: user.name.clone() })?;
        tx.put_user(&user)
    }
}

impl Bounded for Roles {
    const PUT_BOUNDARY: &'static str = "PutRolePermissionsBoundary";
    const DELETE_BOUNDARY: &'static str = "DeleteRolePermissionsBoundary";

    fn update_boundary(
        tx: &Tx<'_>,
        account: &str,
        name: &str,
        f: impl FnOnce(&mut Option<String>, &Attachment) -> TxResult<()>,
    ) -> TxResult<()> {
        let mut role = tx.role(account, name)?.ok_or_else(|| no_such_role(name))?;
        f(&mut role.permissions_boundary, &Attachment { kind: EntityKind::Role, name: role.name.clone() })?;
        tx.put_role(&role)
    }
}

pub struct PutPermissionsBoundary<B> {
    name: String,
    arn: String,
    _b: PhantomData<B>,
}

impl<B: Bounded> Operation for PutPermissionsBoundary<B> {
    const NAME: &'static str = B::PUT_BOUNDARY;
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let name = f.str(B::NAME_MEMBER, B::NAME_RULE);
        let arn = f.str("PermissionsBoundary", &ARN);
        f.finish()?;
        PolicyArn::parse(&arn)?;
        Ok(Self { name, arn, _b: PhantomData })
    }

    fn condition_keys(&self) -> Vec<(&'static str, String)> {
        vec![("iam:PermissionsBoundary", self.arn.clone())]
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        B::resource(ctx.app, ctx.account(), &self.name)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        let account = ctx.account();
        ctx.app.store.transact(|tx| {
            B::update_boundary(tx, account, &self.name, |boundary, me| {
                *boundary = move_boundary(tx, account, me, boundary.as_deref(), Some(&self.arn))?;
                Ok(())
            })
        })
    }
}

pub struct DeletePermissionsBoundary<B> {
    name: String,
    _b: PhantomData<B>,
}

impl<B: Bounded> Operation for DeletePermissionsBoundary<B> {
    const NAME: &'static str = B::DELETE_BOUNDARY;
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let name = f.str(B::NAME_MEMBER, B::NAME_RULE);
        f.finish()?;
        Ok(Self { name, _b: PhantomData })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        B::resource(ctx.app, ctx.account(), &self.name)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        let account = ctx.account();
        ctx.app.store.transact(|tx| {
            B::update_boundary(tx, account, &self.name, |boundary, me| {
                *boundary = move_boundary(tx, account, me, boundary.as_deref(), None)?;
                Ok(())
            })
        })
    }
}
