//! CreateUser, GetUser, ListUsers, UpdateUser, DeleteUser.

use super::access_keys::must_name_user;
use super::holders::{Holder, Users};
use super::not_found::no_such_user;
use super::shapes::write_user;
use super::{boundaries, managed_policies, mfa_devices, tags};
use crate::arn::user_arn;
use crate::error::AwsError;
use crate::ids::{IdKind, new_id};
use crate::operation::{Ctx, Operation, Service};
use crate::principal::Principal;
use crate::protocol::rules::{ARN, EXISTING_USER_NAME, PATH, USER_NAME};
use crate::protocol::{Params, Tag, WriteXml, XmlOut};
use crate::store::{Attachment, EntityKind, PolicyHolding, UserRecord, abort};

/// The resource ARN of an existing user (with its real path), or of the name under path `/`.
/// Output shape `{ User }`.
pub struct UserResult {
    user: UserRecord,
}

impl WriteXml for UserResult {
    fn write(&self, w: &mut XmlOut) {
        w.elem("User", |w| write_user(w, &self.user, true));
    }
}

pub struct CreateUser {
    name: String,
    path: String,
    tags: Vec<Tag>,
    boundary: Option<String>,
}

impl Operation for CreateUser {
    const NAME: &'static str = "CreateUser";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = UserResult;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let name = f.str("UserName", &USER_NAME);
        let path = f.opt_str("Path", &PATH).unwrap_or_else(|| "/".into());
        let boundary = f.opt_str("PermissionsBoundary", &ARN);
        let tags = f.tags("Tags").unwrap_or_default();
        f.finish()?;
        tags::check_request(&tags)?;
        Ok(Self { name, path, tags, boundary })
    }

    fn condition_keys(&self) -> Vec<(&'static str, String)> {
        self.boundary.iter().map(|b| ("iam:PermissionsBoundary", b.clone())).collect()
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Ok(user_arn(ctx.account(), &self.path, &self.name))
    }

    fn request_tags(&self) -> Option<&[Tag]> {
        Some(&self.tags)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<UserResult, AwsError> {
        let user = UserRecord {
            account: ctx.account().to_owned(),
            name: self.name,
            id: new_id(IdKind::User),
            path: self.path,
            create_date: ctx.now.replace_millisecond(0).unwrap_or(ctx.now),
            tags: self.tags,
            access_keys: Vec::new(),
            groups: Vec::new(),
            policies: PolicyHolding::default(),
            permissions_boundary: None,
            login_profile: None,
            credentials: Vec::new(),
            keys_and_certs: crate::store::UserKeysAndCerts::default(),
        };
        let user = ctx.app.store.transact(|tx| {
            if let Some(existing) = tx.user(&user.account, &user.name)? {
                return abort(AwsError::EntityAlreadyExists(format!(
                    "User with name {} already exists.",
                    existing.name
                )));
            }
            let me = Attachment { kind: EntityKind::User, name: user.name.clone() };
            let mut user = user.clone();
            user.permissions_boundary =
                boundaries::move_boundary(tx, &user.account, &me, None, self.boundary.as_deref())?;
            tx.put_user(&user)?;
            Ok(user)
        })?;
        Ok(UserResult { user })
    }
}

pub struct GetUser {
    name: Option<String>,
}

impl Operation for GetUser {
    const NAME: &'static str = "GetUser";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = false;
    type Output = GetUserResult;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let name = f.opt_str("UserName", &EXISTING_USER_NAME);
        f.finish()?;
        Ok(Self { name })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        match self.name.as_deref().or(ctx.caller.principal.user_name()) {
            Some(name) => Users::resource(ctx.app, ctx.account(), name),
            None if matches!(ctx.caller.principal, Principal::Root { .. }) => Ok(ctx.caller.principal.arn()),
            None => Err(must_name_user()),
        }
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<GetUserResult, AwsError> {
        let Some(name) = self.name.as_deref().or(ctx.caller.principal.user_name()) else {
            if !matches!(ctx.caller.principal, Principal::Root { .. }) {
                return Err(must_name_user());
            }
            // Root asking about itself: IAM answers with the account's root identity.
            let created = ctx.app.store.account(ctx.account())?.and_then(|a| a.create_date);
            return Ok(GetUserResult::Root { account: ctx.account().to_owned(), created });
        };
        let user = ctx.app.store.user(ctx.account(), name)?.ok_or_else(|| no_such_user(name))?;
        Ok(GetUserResult::User(Box::new(UserResult { user })))
    }
}

pub enum GetUserResult {
    User(Box<UserResult>),
    Root { account: String, created: Option<time::OffsetDateTime> },
}

impl WriteXml for GetUserResult {
    fn write(&self, w: &mut XmlOut) {
        match self {
            Self::User(u) => u.write(w),
            Self::Root { account, created } => w.elem("User", |w| {
                w.text("UserId", account);
                w.text("Arn", &format!("arn:aws:iam::{account}:root"));
                if let Some(at) = created {
                    w.time("CreateDate", *at);
                }
            }),
        }
    }
}

pub struct UpdateUser {
    name: String,
    new_name: Option<String>,
    new_path: Option<String>,
}

impl Operation for UpdateUser {
    const NAME: &'static str = "UpdateUser";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let name = f.str("UserName", &EXISTING_USER_NAME);
        let new_path = f.opt_str("NewPath", &PATH);
        let new_name = f.opt_str("NewUserName", &USER_NAME);
        f.finish()?;
        Ok(Self { name, new_name, new_path })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Users::resource(ctx.app, ctx.account(), &self.name)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        let account = ctx.account();
        ctx.app.store.transact(|tx| {
            let mut user = tx.user(account, &self.name)?.ok_or_else(|| no_such_user(&self.name))?;
            if let Some(path) = &self.new_path {
                user.path.clone_from(path);
            }
            if let Some(new_name) = &self.new_name {
                let renaming_to_other = new_name.to_lowercase() != user.name.to_lowercase();
                if renaming_to_other {
                    if tx.user(account, new_name)?.is_some() {
                        return abort(AwsError::EntityAlreadyExists(format!(
                            "User with name {new_name} already exists."
                        )));
                    }
                    tx.remove_user(account, &user.name)?;
                }
                for key_id in &user.access_keys {
                    if let Some(mut key) = tx.access_key(key_id)? {
                        key.user = Some(new_name.clone());
                        tx.put_access_key(&key)?;
                    }
                }
                for group_name in &user.groups {
                    if let Some(mut group) = tx.group(account, group_name)? {
                        for member in &mut group.members {
                            if member.eq_ignore_ascii_case(&user.name) {
                                member.clone_from(new_name);
                            }
                        }
                        tx.put_group(&group)?;
                    }
                }
                managed_policies::rename_attachments(
                    tx,
                    account,
                    &user.policies.attached,
                    user.permissions_boundary.as_deref(),
                    EntityKind::User,
                    &user.name,
                    new_name,
                )?;
                user.name.clone_from(new_name);
            }
            tx.put_user(&user)
        })
    }
}

pub struct DeleteUser {
    name: String,
}

impl Operation for DeleteUser {
    const NAME: &'static str = "DeleteUser";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let name = f.str("UserName", &EXISTING_USER_NAME);
        f.finish()?;
        Ok(Self { name })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Users::resource(ctx.app, ctx.account(), &self.name)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        let account = ctx.account();
        ctx.app.store.transact(|tx| {
            let user = tx.user(account, &self.name)?.ok_or_else(|| no_such_user(&self.name))?;
            let conflict = if user.login_profile.is_some() {
                Some("Cannot delete entity, must delete login profile first.")
            } else if !user.access_keys.is_empty() {
                Some("Cannot delete entity, must delete access keys first.")
            } else if !user.policies.inline.is_empty() {
                Some("Cannot delete entity, must delete policies first.")
            } else if !user.policies.attached.is_empty() {
                Some("Cannot delete entity, must detach all policies first.")
            } else if !user.groups.is_empty() {
                Some("Cannot delete entity, must remove users from group first.")
            } else if mfa_devices::enabled_for(tx, account, &user.id)? {
                Some("Cannot delete entity, must delete MFA device first.")
            } else if user.keys_and_certs.holds_any() {
                // AWS's wording for service-specific credentials (recorded); used for SSH keys
                // and signing certificates too.
                Some("Cannot delete entity, must remove referenced objects first.")
            } else {
                None
            };
            if let Some(message) = conflict {
                return abort(AwsError::DeleteConflict(message.into()));
            }
            let me = Attachment { kind: EntityKind::User, name: user.name.clone() };
            boundaries::move_boundary(tx, account, &me, user.permissions_boundary.as_deref(), None)?;
            // Keystone deletes a user's credentials with the user.
            for id in &user.credentials {
                tx.remove_credential(id)?;
            }
            tx.remove_user(account, &user.name)
        })
    }
}
