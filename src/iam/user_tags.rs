//! TagUser, UntagUser, ListUserTags.

use super::pagination::{self, Page};
use super::{no_such_user, tags, user_arn};
use crate::dispatch::{Ctx, Operation, Service};
use crate::error::AwsError;
use crate::protocol::rules::{EXISTING_USER_NAME, MARKER, MAX_ITEMS, MAX_TAGS, TAG_KEY};
use crate::protocol::{Params, Tag, WriteXml, XmlOut};

fn resource(ctx: &Ctx<'_>, name: &str) -> Result<String, AwsError> {
    let path = ctx
        .app
        .store
        .user(ctx.account(), name)?
        .map_or_else(|| "/".to_owned(), |u| u.path);
    Ok(user_arn(ctx.account(), &path, name))
}

pub struct TagUser {
    name: String,
    tags: Vec<Tag>,
}

impl Operation for TagUser {
    const NAME: &'static str = "TagUser";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let name = f.str("UserName", &EXISTING_USER_NAME);
        let tags = f.tags("Tags");
        if tags.is_none() {
            f.null("Tags");
        }
        f.finish()?;
        let tags = tags.unwrap_or_default();
        tags::check_request(&tags)?;
        Ok(Self { name, tags })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        resource(ctx, &self.name)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        let account = ctx.account();
        ctx.app.store.transact(|tx| {
            let mut user = tx
                .user(account, &self.name)?
                .ok_or_else(|| no_such_user(&self.name))?;
            tags::merge(&mut user.tags, &self.tags)?;
            tx.put_user(&user)
        })
    }
}

pub struct UntagUser {
    name: String,
    keys: Vec<String>,
}

impl Operation for UntagUser {
    const NAME: &'static str = "UntagUser";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let name = f.str("UserName", &EXISTING_USER_NAME);
        let keys = f.str_list("TagKeys", &TAG_KEY, MAX_TAGS);
        if keys.is_none() {
            f.null("TagKeys");
        }
        f.finish()?;
        Ok(Self {
            name,
            keys: keys.unwrap_or_default(),
        })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        resource(ctx, &self.name)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        let account = ctx.account();
        ctx.app.store.transact(|tx| {
            let mut user = tx
                .user(account, &self.name)?
                .ok_or_else(|| no_such_user(&self.name))?;
            tags::remove(&mut user.tags, &self.keys);
            tx.put_user(&user)
        })
    }
}

pub struct ListUserTags {
    name: String,
    marker: Option<String>,
    max: usize,
}

impl Operation for ListUserTags {
    const NAME: &'static str = "ListUserTags";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = false;
    type Output = ListUserTagsResult;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let name = f.str("UserName", &EXISTING_USER_NAME);
        let marker = f.opt_str("Marker", &MARKER);
        let max = f.opt_int("MaxItems", &MAX_ITEMS);
        f.finish()?;
        Ok(Self {
            name,
            marker,
            max: pagination::max_items(max),
        })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        resource(ctx, &self.name)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<ListUserTagsResult, AwsError> {
        let user = ctx
            .app
            .store
            .user(ctx.account(), &self.name)?
            .ok_or_else(|| no_such_user(&self.name))?;
        Ok(ListUserTagsResult(pagination::page_of(
            user.tags,
            self.marker.as_deref(),
            self.max,
        )?))
    }
}

pub struct ListUserTagsResult(Page<Tag>);

impl WriteXml for ListUserTagsResult {
    fn write(&self, w: &mut XmlOut) {
        tags::write(w, &self.0.items);
        self.0.write_tail(w);
    }
}
