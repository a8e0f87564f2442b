//! Tag/Untag/List tags, written once for every taggable entity (TagUser, TagPolicy, …).

use std::marker::PhantomData;

use super::holders::{Holder, Roles, Users};
use super::managed_policies::{find_policy, load_policy};
use super::not_found::{no_such_role, no_such_user};
use super::pagination::{Page, PageRequest};
use super::policy_docs::{PolicyArn, policy_not_found};
use super::tags;
use crate::error::AwsError;
use crate::operation::{Ctx, Operation, Service};
use crate::protocol::rules::{ARN, EXISTING_USER_NAME, MAX_TAGS, ROLE_NAME, StrRule, TAG_KEY};
use crate::protocol::{Params, Tag, WriteXml, XmlOut};
use crate::state::State;
use crate::store::{Tx, TxResult};

/// An entity that carries tags.
pub trait Taggable {
    const TAG: &'static str;
    const UNTAG: &'static str;
    const LIST_TAGS: &'static str;
    /// The member naming the entity (`UserName`, `PolicyArn`).
    const ID_MEMBER: &'static str;
    const ID_RULE: &'static StrRule;

    /// Further checks of the id beyond its pattern.
    ///
    /// # Errors
    /// When the id cannot name such an entity.
    fn check_id(_id: &str) -> Result<(), AwsError> {
        Ok(())
    }

    /// The entity's ARN, for authorization.
    ///
    /// # Errors
    /// Store failures.
    fn resource(app: &State, account: &str, id: &str) -> Result<String, AwsError>;

    /// The entity's tags.
    ///
    /// # Errors
    /// `NoSuchEntity` when it does not exist.
    fn read(app: &State, account: &str, id: &str) -> Result<Vec<Tag>, AwsError>;

    /// Loads the entity, lets `f` change its tags, saves it.
    fn update(
        tx: &Tx<'_>,
        account: &str,
        id: &str,
        f: impl FnOnce(&mut Vec<Tag>) -> Result<(), AwsError>,
    ) -> TxResult<()>;
}

pub struct UserTags;

impl Taggable for UserTags {
    const TAG: &'static str = "TagUser";
    const UNTAG: &'static str = "UntagUser";
    const LIST_TAGS: &'static str = "ListUserTags";
    const ID_MEMBER: &'static str = "UserName";
    const ID_RULE: &'static StrRule = &EXISTING_USER_NAME;

    fn resource(app: &State, account: &str, id: &str) -> Result<String, AwsError> {
        Users::resource(app, account, id)
    }

    fn read(app: &State, account: &str, id: &str) -> Result<Vec<Tag>, AwsError> {
        Ok(app.store.user(account, id)?.ok_or_else(|| no_such_user(id))?.tags)
    }

    fn update(
        tx: &Tx<'_>,
        account: &str,
        id: &str,
        f: impl FnOnce(&mut Vec<Tag>) -> Result<(), AwsError>,
    ) -> TxResult<()> {
        let mut user = tx.user(account, id)?.ok_or_else(|| no_such_user(id))?;
        f(&mut user.tags)?;
        tx.put_user(&user)
    }
}

pub struct RoleTags;

impl Taggable for RoleTags {
    const TAG: &'static str = "TagRole";
    const UNTAG: &'static str = "UntagRole";
    const LIST_TAGS: &'static str = "ListRoleTags";
    const ID_MEMBER: &'static str = "RoleName";
    const ID_RULE: &'static StrRule = &ROLE_NAME;

    fn resource(app: &State, account: &str, id: &str) -> Result<String, AwsError> {
        Roles::resource(app, account, id)
    }

    fn read(app: &State, account: &str, id: &str) -> Result<Vec<Tag>, AwsError> {
        Ok(app.store.role(account, id)?.ok_or_else(|| no_such_role(id))?.tags)
    }

    fn update(
        tx: &Tx<'_>,
        account: &str,
        id: &str,
        f: impl FnOnce(&mut Vec<Tag>) -> Result<(), AwsError>,
    ) -> TxResult<()> {
        let mut role = tx.role(account, id)?.ok_or_else(|| no_such_role(id))?;
        f(&mut role.tags)?;
        tx.put_role(&role)
    }
}

pub struct PolicyTags;

impl Taggable for PolicyTags {
    const TAG: &'static str = "TagPolicy";
    const UNTAG: &'static str = "UntagPolicy";
    const LIST_TAGS: &'static str = "ListPolicyTags";
    const ID_MEMBER: &'static str = "PolicyArn";
    const ID_RULE: &'static StrRule = &ARN;

    fn check_id(id: &str) -> Result<(), AwsError> {
        PolicyArn::parse(id).map(|_| ())
    }

    fn resource(_: &State, _: &str, id: &str) -> Result<String, AwsError> {
        Ok(id.to_owned())
    }

    fn read(app: &State, account: &str, id: &str) -> Result<Vec<Tag>, AwsError> {
        Ok(load_policy(app, account, id)?.tags)
    }

    fn update(
        tx: &Tx<'_>,
        account: &str,
        id: &str,
        f: impl FnOnce(&mut Vec<Tag>) -> Result<(), AwsError>,
    ) -> TxResult<()> {
        let mut policy = find_policy(tx, account, id)?.ok_or_else(|| policy_not_found(id))?;
        f(&mut policy.tags)?;
        tx.put_policy(&policy)
    }
}

pub struct OidcProviderTags;

impl Taggable for OidcProviderTags {
    const TAG: &'static str = "TagOpenIDConnectProvider";
    const UNTAG: &'static str = "UntagOpenIDConnectProvider";
    const LIST_TAGS: &'static str = "ListOpenIDConnectProviderTags";
    const ID_MEMBER: &'static str = "OpenIDConnectProviderArn";
    const ID_RULE: &'static StrRule = &ARN;

    fn resource(_: &State, _: &str, id: &str) -> Result<String, AwsError> {
        Ok(id.to_owned())
    }

    fn read(app: &State, account: &str, id: &str) -> Result<Vec<Tag>, AwsError> {
        Ok(super::oidc_providers::load(app, account, id)?.tags)
    }

    fn update(
        tx: &Tx<'_>,
        account: &str,
        id: &str,
        f: impl FnOnce(&mut Vec<Tag>) -> Result<(), AwsError>,
    ) -> TxResult<()> {
        super::oidc_providers::update(tx, account, id, |p| f(&mut p.tags))
    }
}

pub struct InstanceProfileTags;

impl Taggable for InstanceProfileTags {
    const TAG: &'static str = "TagInstanceProfile";
    const UNTAG: &'static str = "UntagInstanceProfile";
    const LIST_TAGS: &'static str = "ListInstanceProfileTags";
    const ID_MEMBER: &'static str = "InstanceProfileName";
    const ID_RULE: &'static StrRule = &super::instance_profiles::INSTANCE_PROFILE_NAME;

    fn resource(app: &State, account: &str, id: &str) -> Result<String, AwsError> {
        super::instance_profiles::profile_arn(account, id, app)
    }

    fn read(app: &State, account: &str, id: &str) -> Result<Vec<Tag>, AwsError> {
        Ok(app.store.instance_profile(account, id)?.ok_or_else(|| super::instance_profiles::no_such_profile(id))?.tags)
    }

    fn update(
        tx: &Tx<'_>,
        account: &str,
        id: &str,
        f: impl FnOnce(&mut Vec<Tag>) -> Result<(), AwsError>,
    ) -> TxResult<()> {
        let mut p = tx.instance_profile(account, id)?.ok_or_else(|| super::instance_profiles::no_such_profile(id))?;
        f(&mut p.tags)?;
        tx.put_instance_profile(&p)
    }
}

pub struct MfaDeviceTags;

impl Taggable for MfaDeviceTags {
    const TAG: &'static str = "TagMFADevice";
    const UNTAG: &'static str = "UntagMFADevice";
    const LIST_TAGS: &'static str = "ListMFADeviceTags";
    const ID_MEMBER: &'static str = "SerialNumber";
    const ID_RULE: &'static StrRule = &super::mfa_devices::SERIAL;

    fn resource(_: &State, _: &str, id: &str) -> Result<String, AwsError> {
        Ok(id.to_owned())
    }

    fn read(app: &State, account: &str, id: &str) -> Result<Vec<Tag>, AwsError> {
        Ok(super::mfa_devices::load(app, account, id)?.tags)
    }

    fn update(
        tx: &Tx<'_>,
        account: &str,
        id: &str,
        f: impl FnOnce(&mut Vec<Tag>) -> Result<(), AwsError>,
    ) -> TxResult<()> {
        super::mfa_devices::update(tx, account, id, |d| f(&mut d.tags))
    }
}

pub struct SamlProviderTags;

impl Taggable for SamlProviderTags {
    const TAG: &'static str = "TagSAMLProvider";
    const UNTAG: &'static str = "UntagSAMLProvider";
    const LIST_TAGS: &'static str = "ListSAMLProviderTags";
    const ID_MEMBER: &'static str = "SAMLProviderArn";
    const ID_RULE: &'static StrRule = &ARN;

    fn check_id(id: &str) -> Result<(), AwsError> {
        super::saml_providers::parse_arn(id).map(|_| ())
    }

    fn resource(_: &State, _: &str, id: &str) -> Result<String, AwsError> {
        Ok(id.to_owned())
    }

    fn read(app: &State, account: &str, id: &str) -> Result<Vec<Tag>, AwsError> {
        Ok(super::saml_providers::load(app, account, id)?.tags)
    }

    fn update(
        tx: &Tx<'_>,
        account: &str,
        id: &str,
        f: impl FnOnce(&mut Vec<Tag>) -> Result<(), AwsError>,
    ) -> TxResult<()> {
        super::saml_providers::update(tx, account, id, |p| f(&mut p.tags))
    }
}

pub struct TagResource<T> {
    id: String,
    tags: Vec<Tag>,
    _t: PhantomData<T>,
}

impl<T: Taggable> Operation for TagResource<T> {
    const NAME: &'static str = T::TAG;
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let id = f.str(T::ID_MEMBER, T::ID_RULE);
        let tags = f.tags("Tags");
        if tags.is_none() {
            f.null("Tags");
        }
        f.finish()?;
        T::check_id(&id)?;
        let tags = tags.unwrap_or_default();
        tags::check_request(&tags)?;
        Ok(Self { id, tags, _t: PhantomData })
    }

    fn request_tags(&self) -> Option<&[Tag]> {
        Some(&self.tags)
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        T::resource(ctx.app, ctx.account(), &self.id)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        ctx.app
            .store
            .transact(|tx| T::update(tx, ctx.account(), &self.id, |existing| tags::merge(existing, &self.tags)))
    }
}

pub struct UntagResource<T> {
    id: String,
    keys: Vec<String>,
    _t: PhantomData<T>,
}

impl<T: Taggable> Operation for UntagResource<T> {
    const NAME: &'static str = T::UNTAG;
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let id = f.str(T::ID_MEMBER, T::ID_RULE);
        let keys = f.str_list("TagKeys", &TAG_KEY, MAX_TAGS);
        if keys.is_none() {
            f.null("TagKeys");
        }
        f.finish()?;
        T::check_id(&id)?;
        Ok(Self { id, keys: keys.unwrap_or_default(), _t: PhantomData })
    }

    fn tag_keys(&self) -> Option<&[String]> {
        Some(&self.keys)
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        T::resource(ctx.app, ctx.account(), &self.id)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        ctx.app.store.transact(|tx| {
            T::update(tx, ctx.account(), &self.id, |existing| {
                tags::remove(existing, &self.keys);
                Ok(())
            })
        })
    }
}

pub struct ListResourceTags<T> {
    id: String,
    page: PageRequest,
    _t: PhantomData<T>,
}

pub struct TagsResult(Page<Tag>);

impl WriteXml for TagsResult {
    fn write(&self, w: &mut XmlOut) {
        tags::write(w, &self.0.items);
        self.0.write_tail(w);
    }
}

impl<T: Taggable> Operation for ListResourceTags<T> {
    const NAME: &'static str = T::LIST_TAGS;
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = false;
    type Output = TagsResult;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let id = f.str(T::ID_MEMBER, T::ID_RULE);
        let page = PageRequest::read(&mut f);
        f.finish()?;
        T::check_id(&id)?;
        Ok(Self { id, page, _t: PhantomData })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        T::resource(ctx.app, ctx.account(), &self.id)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<TagsResult, AwsError> {
        let tags = T::read(ctx.app, ctx.account(), &self.id)?;
        Ok(TagsResult(self.page.page(tags)?))
    }
}
