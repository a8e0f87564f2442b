//! GetAccountAuthorizationDetails: every user, group, role and managed policy of the account
//! with their policies, in one paginated answer (what audit tools and Terraform's importers
//! read). AWS managed policies appear when the account uses them.

use std::sync::Arc;

use super::instance_profiles::ProfileView;
use super::pagination::PageRequest;
use super::policy_docs::url_encode;
use super::{boundaries, tags};
use crate::error::AwsError;
use crate::operation::{Ctx, Operation, Service};
use crate::protocol::{Params, WriteXml, XmlOut};
use crate::state::State;
use crate::store::{GroupRecord, ManagedPolicyRecord, PolicyHolding, RoleRecord, UserRecord};

const FILTERS: &[&str] = &["User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"];

pub struct GetAccountAuthorizationDetails {
    filter: Vec<String>,
    page: PageRequest,
}

enum Item {
    User(UserRecord),
    Group(GroupRecord),
    Role(RoleRecord, Vec<ProfileView>),
    Policy(Arc<ManagedPolicyRecord>),
}

pub struct Details {
    items: Vec<Item>,
    marker: Option<String>,
}

fn write_inline(w: &mut XmlOut, member: &str, held: &PolicyHolding) {
    w.list(member, &held.inline, |w, p| {
        w.text("PolicyName", &p.name);
        w.text("PolicyDocument", &url_encode(&p.document));
    });
}

fn write_attached(w: &mut XmlOut, held: &PolicyHolding) {
    w.list("AttachedManagedPolicies", &held.attached, |w, arn| {
        w.text("PolicyName", arn.rsplit('/').next().unwrap_or(arn));
        w.text("PolicyArn", arn);
    });
}

fn write_item(w: &mut XmlOut, item: &Item) {
    match item {
        Item::User(u) => {
            w.text("Path", &u.path);
            w.text("UserName", &u.name);
            w.text("UserId", &u.id);
            w.text("Arn", &u.arn());
            w.time("CreateDate", u.create_date);
            write_inline(w, "UserPolicyList", &u.policies);
            w.list("GroupList", &u.groups, |w, g| w.text_only(g));
            write_attached(w, &u.policies);
            boundaries::write(w, u.permissions_boundary.as_deref());
            if !u.tags.is_empty() {
                tags::write(w, &u.tags);
            }
        }
        Item::Group(g) => {
            w.text("Path", &g.path);
            w.text("GroupName", &g.name);
            w.text("GroupId", &g.id);
            w.text("Arn", &g.arn());
            w.time("CreateDate", g.create_date);
            write_inline(w, "GroupPolicyList", &g.policies);
            write_attached(w, &g.policies);
        }
        Item::Role(r, profiles) => {
            w.text("Path", &r.path);
            w.text("RoleName", &r.name);
            w.text("RoleId", &r.id);
            w.text("Arn", &r.arn());
            w.time("CreateDate", r.create_date);
            w.text("AssumeRolePolicyDocument", &url_encode(&r.trust_policy));
            w.list("InstanceProfileList", profiles, |w, p| p.write(w, false));
            write_inline(w, "RolePolicyList", &r.policies);
            write_attached(w, &r.policies);
            boundaries::write(w, r.permissions_boundary.as_deref());
            if !r.tags.is_empty() {
                tags::write(w, &r.tags);
            }
        }
        Item::Policy(p) => {
            w.text("PolicyName", &p.name);
            w.text("PolicyId", &p.id);
            w.text("Arn", &p.arn());
            w.text("Path", &p.path);
            w.text("DefaultVersionId", &p.default_version);
            w.int("AttachmentCount", i64::try_from(p.attachments.len()).unwrap_or(i64::MAX));
            w.int("PermissionsBoundaryUsageCount", i64::try_from(p.boundary_of.len()).unwrap_or(i64::MAX));
            w.bool("IsAttachable", true);
            w.opt_text("Description", p.description.as_deref());
            w.time("CreateDate", p.create_date);
            w.time("UpdateDate", p.update_date);
            w.list("PolicyVersionList", &p.versions, |w, v| {
                w.text("Document", &url_encode(&v.document));
                w.text("VersionId", &v.id);
                w.bool("IsDefaultVersion", v.id == p.default_version);
                w.time("CreateDate", v.create_date);
            });
        }
    }
}

impl WriteXml for Details {
    fn write(&self, w: &mut XmlOut) {
        let of = |pick: fn(&Item) -> bool| self.items.iter().filter(move |i| pick(i)).collect::<Vec<_>>();
        w.list("UserDetailList", &of(|i| matches!(i, Item::User(_))), |w, i| write_item(w, i));
        w.list("GroupDetailList", &of(|i| matches!(i, Item::Group(_))), |w, i| write_item(w, i));
        w.list("RoleDetailList", &of(|i| matches!(i, Item::Role(..))), |w, i| write_item(w, i));
        w.list("Policies", &of(|i| matches!(i, Item::Policy(_))), |w, i| write_item(w, i));
        w.bool("IsTruncated", self.marker.is_some());
        w.opt_text("Marker", self.marker.as_deref());
    }
}

fn everything(app: &State, account: &str, wanted: &[String]) -> Result<Vec<Item>, AwsError> {
    const ALL: usize = usize::MAX - 1;
    let want = |f: &str| wanted.is_empty() || wanted.iter().any(|w| w == f);
    let mut items = Vec::new();
    if want("User") {
        items.extend(app.store.users(account, None, ALL, |_| true)?.into_iter().map(Item::User));
    }
    if want("Group") {
        items.extend(app.store.groups(account, None, ALL, |_| true)?.into_iter().map(Item::Group));
    }
    if want("Role") {
        for role in app.store.roles(account, None, ALL, |_| true)? {
            let mut profiles = Vec::new();
            for name in &role.instance_profiles {
                if let Some(p) = app.store.instance_profile(account, name)? {
                    profiles.push(ProfileView::load(app, p)?);
                }
            }
            items.push(Item::Role(role, profiles));
        }
    }
    let (local, aws) = (want("LocalManagedPolicy"), want("AWSManagedPolicy"));
    if local || aws {
        for p in app.store.policies(account, None, ALL, |_| true)? {
            let in_use = !p.attachments.is_empty() || !p.boundary_of.is_empty();
            if (p.aws_managed && aws && in_use) || (!p.aws_managed && local) {
                items.push(Item::Policy(Arc::new(p)));
            }
        }
    }
    Ok(items)
}

impl Operation for GetAccountAuthorizationDetails {
    const NAME: &'static str = "GetAccountAuthorizationDetails";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = false;
    type Output = Details;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let filter =
            f.str_list("Filter", &super::instance_profiles::INSTANCE_PROFILE_NAME, FILTERS.len()).unwrap_or_default();
        let page = PageRequest::read(&mut f);
        f.finish()?;
        if let Some(bad) = filter.iter().find(|v| !FILTERS.contains(&v.as_str())) {
            return Err(AwsError::ValidationError(format!(
                "1 validation error detected: Value '[{bad}]' at 'filter' failed to satisfy constraint: \
                 Member must satisfy constraint: [Member must satisfy enum value set: [{}]]",
                FILTERS.join(", ")
            )));
        }
        Ok(Self { filter, page })
    }

    fn resource(&self, _ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Ok("*".into())
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<Details, AwsError> {
        let page = self.page.page(everything(ctx.app, ctx.account(), &self.filter)?)?;
        Ok(Details { items: page.items, marker: page.marker })
    }
}
