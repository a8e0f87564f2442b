//! ListUsers, ListGroups, ListRoles: one operation over every path-listed entity.

use std::marker::PhantomData;

use super::pagination::{self, Page, PageRequest};
use crate::error::AwsError;
use crate::operation::{Ctx, Operation, Service};
use crate::protocol::rules::PATH_PREFIX;
use crate::protocol::{Params, WriteXml, XmlOut};
use crate::state::State;
use crate::store::{GroupRecord, RoleRecord, UserRecord};

/// An entity IAM lists by path prefix, in name order.
pub trait Listable {
    const ACTION: &'static str;
    /// The response's list element (`Users`).
    const MEMBER: &'static str;
    /// The ARN resource type (`user`), for the permission's resource `arn:…:user/`.
    const NOUN: &'static str;
    type Record;

    /// Up to `max` + 1 records from the lowercased name `start` on, under `path_prefix`.
    ///
    /// # Errors
    /// Store failures.
    fn list(
        app: &State,
        account: &str,
        start: Option<&str>,
        max: usize,
        path_prefix: &str,
    ) -> Result<Vec<Self::Record>, AwsError>;

    fn name(record: &Self::Record) -> &str;

    /// The record's shape in a list (without tags, as IAM lists them).
    fn write(w: &mut XmlOut, record: &Self::Record);
}

pub struct UserList;

impl Listable for UserList {
    const ACTION: &'static str = "ListUsers";
    const MEMBER: &'static str = "Users";
    const NOUN: &'static str = "user";
    type Record = UserRecord;

    fn list(
        app: &State,
        account: &str,
        start: Option<&str>,
        max: usize,
        prefix: &str,
    ) -> Result<Vec<UserRecord>, AwsError> {
        app.store.users(account, start, max, |u| u.path.starts_with(prefix))
    }

    fn name(record: &UserRecord) -> &str {
        &record.name
    }

    fn write(w: &mut XmlOut, record: &UserRecord) {
        super::shapes::write_user(w, record, false);
    }
}

pub struct GroupList;

impl Listable for GroupList {
    const ACTION: &'static str = "ListGroups";
    const MEMBER: &'static str = "Groups";
    const NOUN: &'static str = "group";
    type Record = GroupRecord;

    fn list(
        app: &State,
        account: &str,
        start: Option<&str>,
        max: usize,
        prefix: &str,
    ) -> Result<Vec<GroupRecord>, AwsError> {
        app.store.groups(account, start, max, |g| g.path.starts_with(prefix))
    }

    fn name(record: &GroupRecord) -> &str {
        &record.name
    }

    fn write(w: &mut XmlOut, record: &GroupRecord) {
        super::shapes::write_group(w, record);
    }
}

pub struct RoleList;

impl Listable for RoleList {
    const ACTION: &'static str = "ListRoles";
    const MEMBER: &'static str = "Roles";
    const NOUN: &'static str = "role";
    type Record = RoleRecord;

    fn list(
        app: &State,
        account: &str,
        start: Option<&str>,
        max: usize,
        prefix: &str,
    ) -> Result<Vec<RoleRecord>, AwsError> {
        app.store.roles(account, start, max, |r| r.path.starts_with(prefix))
    }

    fn name(record: &RoleRecord) -> &str {
        &record.name
    }

    fn write(w: &mut XmlOut, record: &RoleRecord) {
        super::roles::write_role(w, record, false);
    }
}

pub struct ListEntities<L> {
    path_prefix: String,
    page: PageRequest,
    _l: PhantomData<L>,
}

pub struct EntityList<L: Listable>(pub Page<L::Record>);

impl<L: Listable> WriteXml for EntityList<L> {
    fn write(&self, w: &mut XmlOut) {
        w.list(L::MEMBER, &self.0.items, L::write);
        self.0.write_tail(w);
    }
}

impl<L: Listable> Operation for ListEntities<L> {
    const NAME: &'static str = L::ACTION;
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = false;
    type Output = EntityList<L>;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let path_prefix = f.opt_str("PathPrefix", &PATH_PREFIX).unwrap_or_else(|| "/".into());
        let page = PageRequest::read(&mut f);
        f.finish()?;
        Ok(Self { path_prefix, page, _l: PhantomData })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Ok(format!("arn:aws:iam::{}:{}/", ctx.account(), L::NOUN))
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<EntityList<L>, AwsError> {
        let start = self.page.start()?;
        let records = L::list(ctx.app, ctx.account(), start.as_deref(), self.page.max, &self.path_prefix)?;
        Ok(EntityList(pagination::store_page(records, self.page.max, |r| L::name(r).to_lowercase())))
    }
}
