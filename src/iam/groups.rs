//! CreateGroup, GetGroup, ListGroups, UpdateGroup, DeleteGroup, AddUserToGroup,
//! RemoveUserFromGroup, ListGroupsForUser. Membership is recorded on both sides (the group's
//! member list and the user's group list) in one transaction.

use super::holders::{Groups, Holder, Users};
use super::listing::{EntityList, GroupList};
use super::not_found::{no_such_group, no_such_user};
use super::pagination::{Page, PageRequest};
use super::shapes::{write_group, write_user};
use crate::error::AwsError;
use crate::ids::{IdKind, new_id};
use crate::operation::{Ctx, Operation, Service};
use crate::protocol::rules::{EXISTING_USER_NAME, GROUP_NAME, PATH};
use crate::protocol::{Params, WriteXml, XmlOut};
use crate::store::{EntityKind, GroupRecord, UserRecord, abort};

/// Groups one user may belong to.
pub const MAX_GROUPS_PER_USER: usize = 10;

fn read_name(p: &Params) -> Result<String, AwsError> {
    let mut f = p.fields();
    let name = f.str("GroupName", &GROUP_NAME);
    f.finish()?;
    Ok(name)
}

pub struct CreateGroup {
    name: String,
    path: String,
}

pub struct GroupResult(GroupRecord);

impl WriteXml for GroupResult {
    fn write(&self, w: &mut XmlOut) {
        w.elem("Group", |w| write_group(w, &self.0));
    }
}

impl Operation for CreateGroup {
    const NAME: &'static str = "CreateGroup";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = GroupResult;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let name = f.str("GroupName", &GROUP_NAME);
        let path = f.opt_str("Path", &PATH).unwrap_or_else(|| "/".into());
        f.finish()?;
        Ok(Self { name, path })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Ok(format!("arn:aws:iam::{}:group{}{}", ctx.account(), self.path, self.name))
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<GroupResult, AwsError> {
        let group = GroupRecord {
            account: ctx.account().to_owned(),
            name: self.name,
            id: new_id(IdKind::Group),
            path: self.path,
            create_date: ctx.now.replace_millisecond(0).unwrap_or(ctx.now),
            members: Vec::new(),
            policies: crate::store::PolicyHolding::default(),
        };
        ctx.app.store.transact(|tx| {
            if let Some(existing) = tx.group(&group.account, &group.name)? {
                return abort(AwsError::EntityAlreadyExists(format!(
                    "Group with name {} already exists.",
                    existing.name
                )));
            }
            tx.put_group(&group)
        })?;
        Ok(GroupResult(group))
    }
}

pub struct GetGroup {
    name: String,
    page: PageRequest,
}

pub struct GetGroupResult {
    group: GroupRecord,
    users: Page<UserRecord>,
}

impl WriteXml for GetGroupResult {
    fn write(&self, w: &mut XmlOut) {
        w.elem("Group", |w| write_group(w, &self.group));
        w.list("Users", &self.users.items, |w, u| write_user(w, u, false));
        self.users.write_tail(w);
    }
}

impl Operation for GetGroup {
    const NAME: &'static str = "GetGroup";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = false;
    type Output = GetGroupResult;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let name = f.str("GroupName", &GROUP_NAME);
        let page = PageRequest::read(&mut f);
        f.finish()?;
        Ok(Self { name, page })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Groups::resource(ctx.app, ctx.account(), &self.name)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<GetGroupResult, AwsError> {
        let group = ctx.app.store.group(ctx.account(), &self.name)?.ok_or_else(|| no_such_group(&self.name))?;
        let mut users = Vec::with_capacity(group.members.len());
        for name in &group.members {
            users.extend(ctx.app.store.user(ctx.account(), name)?);
        }
        let users = self.page.page(users)?;
        Ok(GetGroupResult { group, users })
    }
}

pub struct UpdateGroup {
    name: String,
    new_name: Option<String>,
    new_path: Option<String>,
}

impl Operation for UpdateGroup {
    const NAME: &'static str = "UpdateGroup";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let name = f.str("GroupName", &GROUP_NAME);
        let new_path = f.opt_str("NewPath", &PATH);
        let new_name = f.opt_str("NewGroupName", &GROUP_NAME);
        f.finish()?;
        Ok(Self { name, new_name, new_path })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Groups::resource(ctx.app, ctx.account(), &self.name)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        let account = ctx.account();
        ctx.app.store.transact(|tx| {
            let mut group = tx.group(account, &self.name)?.ok_or_else(|| no_such_group(&self.name))?;
            if let Some(path) = &self.new_path {
                group.path.clone_from(path);
            }
            if let Some(new_name) = &self.new_name {
                if new_name.to_lowercase() != group.name.to_lowercase() {
                    if tx.group(account, new_name)?.is_some() {
                        return abort(AwsError::EntityAlreadyExists(format!(
                            "Group with name {new_name} already exists."
                        )));
                    }
                    tx.remove_group(account, &group.name)?;
                }
                for member in &group.members {
                    if let Some(mut user) = tx.user(account, member)? {
                        for g in &mut user.groups {
                            if g.eq_ignore_ascii_case(&group.name) {
                                g.clone_from(new_name);
                            }
                        }
                        tx.put_user(&user)?;
                    }
                }
                super::managed_policies::rename_attachments(
                    tx,
                    account,
                    &group.policies.attached,
                    None,
                    EntityKind::Group,
                    &group.name,
                    new_name,
                )?;
                group.name.clone_from(new_name);
            }
            tx.put_group(&group)
        })
    }
}

pub struct DeleteGroup {
    name: String,
}

impl Operation for DeleteGroup {
    const NAME: &'static str = "DeleteGroup";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        Ok(Self { name: read_name(p)? })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Groups::resource(ctx.app, ctx.account(), &self.name)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        let account = ctx.account();
        ctx.app.store.transact(|tx| {
            let group = tx.group(account, &self.name)?.ok_or_else(|| no_such_group(&self.name))?;
            let conflict = if !group.members.is_empty() {
                Some("Cannot delete entity, must remove users from group first.")
            } else if !group.policies.inline.is_empty() {
                Some("Cannot delete entity, must delete policies first.")
            } else if !group.policies.attached.is_empty() {
                Some("Cannot delete entity, must detach all policies first.")
            } else {
                None
            };
            if let Some(message) = conflict {
                return abort(AwsError::DeleteConflict(message.into()));
            }
            tx.remove_group(account, &group.name)
        })
    }
}

/// AddUserToGroup and RemoveUserFromGroup share their input.
fn membership_input(p: &Params) -> Result<(String, String), AwsError> {
    let mut f = p.fields();
    let group = f.str("GroupName", &GROUP_NAME);
    let user = f.str("UserName", &EXISTING_USER_NAME);
    f.finish()?;
    Ok((group, user))
}

pub struct AddUserToGroup {
    group: String,
    user: String,
}

impl Operation for AddUserToGroup {
    const NAME: &'static str = "AddUserToGroup";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let (group, user) = membership_input(p)?;
        Ok(Self { group, user })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Groups::resource(ctx.app, ctx.account(), &self.group)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        let account = ctx.account();
        ctx.app.store.transact(|tx| {
            let mut group = tx.group(account, &self.group)?.ok_or_else(|| no_such_group(&self.group))?;
            let mut user = tx.user(account, &self.user)?.ok_or_else(|| no_such_user(&self.user))?;
            if user.groups.iter().any(|g| g.eq_ignore_ascii_case(&group.name)) {
                return Ok(());
            }
            if user.groups.len() >= MAX_GROUPS_PER_USER {
                return abort(AwsError::LimitExceeded(format!(
                    "Cannot exceed quota for GroupsPerUser: {MAX_GROUPS_PER_USER}"
                )));
            }
            user.groups.push(group.name.clone());
            group.members.push(user.name.clone());
            tx.put_user(&user)?;
            tx.put_group(&group)
        })
    }
}

pub struct RemoveUserFromGroup {
    group: String,
    user: String,
}

impl Operation for RemoveUserFromGroup {
    const NAME: &'static str = "RemoveUserFromGroup";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let (group, user) = membership_input(p)?;
        Ok(Self { group, user })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Groups::resource(ctx.app, ctx.account(), &self.group)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        let account = ctx.account();
        ctx.app.store.transact(|tx| {
            let mut group = tx.group(account, &self.group)?.ok_or_else(|| no_such_group(&self.group))?;
            let mut user = tx.user(account, &self.user)?.ok_or_else(|| no_such_user(&self.user))?;
            if !user.groups.iter().any(|g| g.eq_ignore_ascii_case(&group.name)) {
                return abort(no_such_user(&self.user));
            }
            user.groups.retain(|g| !g.eq_ignore_ascii_case(&group.name));
            group.members.retain(|m| !m.eq_ignore_ascii_case(&user.name));
            tx.put_user(&user)?;
            tx.put_group(&group)
        })
    }
}

pub struct ListGroupsForUser {
    user: String,
    page: PageRequest,
}

impl Operation for ListGroupsForUser {
    const NAME: &'static str = "ListGroupsForUser";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = false;
    type Output = EntityList<GroupList>;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let user = f.str("UserName", &EXISTING_USER_NAME);
        let page = PageRequest::read(&mut f);
        f.finish()?;
        Ok(Self { user, page })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Users::resource(ctx.app, ctx.account(), &self.user)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<EntityList<GroupList>, AwsError> {
        let user = ctx.app.store.user(ctx.account(), &self.user)?.ok_or_else(|| no_such_user(&self.user))?;
        let mut groups = Vec::with_capacity(user.groups.len());
        for name in &user.groups {
            groups.extend(ctx.app.store.group(ctx.account(), name)?);
        }
        Ok(EntityList(self.page.page(groups)?))
    }
}
