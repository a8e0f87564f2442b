//! Customer managed policies: CreatePolicy, GetPolicy, ListPolicies, DeletePolicy,
//! ListEntitiesForPolicy, and the bookkeeping of where each policy is attached.

use std::collections::HashMap;
use std::sync::Arc;

use super::pagination::{self, Page, PageRequest};
use super::policy_docs::{self, PolicyArn, policy_not_found};
use super::tags;
use crate::error::AwsError;
use crate::ids::{IdKind, new_id};
use crate::operation::{Ctx, Operation, Service};
use crate::policy::{PolicySizeQuota, policy_size};
use crate::protocol::rules::{ARN, PATH, POLICY_DESCRIPTION, POLICY_DOCUMENT, POLICY_NAME, POLICY_PATH};
use crate::protocol::{Params, Tag, WriteXml, XmlOut};
use crate::state::State;
use crate::store::{EntityKind, ManagedPolicyRecord, PolicyVersionRecord, Tx, TxResult, abort};

/// The caller's account's policy named by `arn`, if the ARN names an existing one exactly.
///
/// # Errors
/// `ValidationError` for a malformed ARN; store failures.
pub fn find_policy(tx: &Tx<'_>, account: &str, arn: &str) -> TxResult<Option<ManagedPolicyRecord>> {
    let parsed = PolicyArn::parse(arn)?;
    if parsed.account != account {
        return Ok(None);
    }
    Ok(tx.policy(account, &parsed.name)?.filter(|p| p.path == parsed.path && p.name == parsed.name))
}

/// Like [`find_policy`], and also AWS managed policies (as the account's record of where it
/// attaches them): what attaching, detaching and boundaries may name.
///
/// # Errors
/// `ValidationError` for a malformed ARN; store failures.
pub fn find_attachable(tx: &Tx<'_>, account: &str, arn: &str) -> TxResult<Option<ManagedPolicyRecord>> {
    let parsed = PolicyArn::parse(arn)?;
    if parsed.account != super::aws_managed::ACCOUNT {
        return find_policy(tx, account, arn);
    }
    let Some(catalogue) = super::aws_managed::get(arn) else {
        return Ok(None);
    };
    let name = crate::store::records::aws_store_name(&catalogue.name);
    Ok(Some(match tx.policy(account, &name)? {
        Some(used) => used,
        None => super::aws_managed::for_account(&catalogue, account),
    }))
}

/// The same lookup outside a transaction, `NoSuchEntity` when absent.
///
/// # Errors
/// `ValidationError` for a malformed ARN, `NoSuchEntity`, store failures.
pub fn load_policy(app: &State, account: &str, arn: &str) -> Result<ManagedPolicyRecord, AwsError> {
    Ok((*crate::authz::policy_set::managed_policy(&app.loader(), account, arn)?).clone())
}

/// Follows a renamed identity in the attachment lists of the policies it uses.
pub fn rename_attachments(
    tx: &Tx<'_>,
    account: &str,
    attached: &[String],
    boundary: Option<&str>,
    kind: EntityKind,
    old: &str,
    new: &str,
) -> TxResult<()> {
    for arn in attached.iter().map(String::as_str).chain(boundary) {
        if let Some(mut policy) = find_attachable(tx, account, arn)? {
            for a in policy.attachments.iter_mut().chain(policy.boundary_of.iter_mut()) {
                if a.kind == kind && a.name == old {
                    new.clone_into(&mut a.name);
                }
            }
            tx.put_policy(&policy)?;
        }
    }
    Ok(())
}

/// The `Policy` shape.
pub fn write_policy(w: &mut XmlOut, p: &ManagedPolicyRecord, with_tags: bool) {
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
    if with_tags && !p.tags.is_empty() {
        tags::write(w, &p.tags);
    }
}

pub struct PolicyResult(ManagedPolicyRecord);

impl WriteXml for PolicyResult {
    fn write(&self, w: &mut XmlOut) {
        w.elem("Policy", |w| write_policy(w, &self.0, true));
    }
}

pub struct CreatePolicy {
    name: String,
    path: String,
    document: String,
    description: Option<String>,
    tags: Vec<Tag>,
}

impl Operation for CreatePolicy {
    const NAME: &'static str = "CreatePolicy";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = PolicyResult;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let name = f.str("PolicyName", &POLICY_NAME);
        let path = f.opt_str("Path", &POLICY_PATH).unwrap_or_else(|| "/".into());
        let document = f.str("PolicyDocument", &POLICY_DOCUMENT);
        let description = f.opt_str("Description", &POLICY_DESCRIPTION);
        let tags = f.tags("Tags").unwrap_or_default();
        f.finish()?;
        tags::check_request(&tags)?;
        policy_docs::parse_identity(&document, true)?;
        PolicySizeQuota::ManagedPolicy.check(policy_size(&document), &name)?;
        Ok(Self { name, path, document, description, tags })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Ok(format!("arn:aws:iam::{}:policy{}{}", ctx.account(), self.path, self.name))
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<PolicyResult, AwsError> {
        let now = ctx.now.replace_millisecond(0).unwrap_or(ctx.now);
        let policy = ManagedPolicyRecord {
            account: ctx.account().to_owned(),
            name: self.name,
            id: new_id(IdKind::Policy),
            path: self.path,
            description: self.description,
            create_date: now,
            update_date: now,
            default_version: "v1".into(),
            versions: vec![PolicyVersionRecord { id: "v1".into(), document: self.document, create_date: now }],
            next_version: 2,
            tags: self.tags,
            attachments: Vec::new(),
            boundary_of: Vec::new(),
            aws_managed: false,
        };
        ctx.app.store.transact(|tx| {
            if let Some(existing) = tx.policy(&policy.account, &policy.name)? {
                return abort(AwsError::EntityAlreadyExists(format!(
                    "A policy called {} already exists. Duplicate names are not allowed.",
                    existing.name
                )));
            }
            tx.put_policy(&policy)
        })?;
        Ok(PolicyResult(policy))
    }
}

/// Reads the one `PolicyArn` member most policy actions take.
pub fn read_arn(p: &Params) -> Result<String, AwsError> {
    let mut f = p.fields();
    let arn = f.str("PolicyArn", &ARN);
    f.finish()?;
    PolicyArn::parse(&arn)?;
    Ok(arn)
}

pub struct GetPolicy {
    arn: String,
}

impl Operation for GetPolicy {
    const NAME: &'static str = "GetPolicy";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = false;
    type Output = PolicyResult;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        Ok(Self { arn: read_arn(p)? })
    }

    fn resource(&self, _: &Ctx<'_>) -> Result<String, AwsError> {
        Ok(self.arn.clone())
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<PolicyResult, AwsError> {
        Ok(PolicyResult(load_policy(ctx.app, ctx.account(), &self.arn)?))
    }
}

pub struct ListPolicies {
    scope: String,
    only_attached: bool,
    path_prefix: String,
    usage: Option<String>,
    page: PageRequest,
}

pub struct Policies(Page<Arc<ManagedPolicyRecord>>);

impl WriteXml for Policies {
    fn write(&self, w: &mut XmlOut) {
        w.list("Policies", &self.0.items, |w, p| write_policy(w, p, false));
        self.0.write_tail(w);
    }
}

impl Operation for ListPolicies {
    const NAME: &'static str = "ListPolicies";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = false;
    type Output = Policies;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let scope = f.opt_enum("Scope", &["All", "AWS", "Local"]).unwrap_or_else(|| "All".into());
        let only_attached = f.opt_bool("OnlyAttached").unwrap_or(false);
        let path_prefix = f.opt_str("PathPrefix", &POLICY_PATH).unwrap_or_else(|| "/".into());
        let usage = f.opt_enum("PolicyUsageFilter", &["PermissionsPolicy", "PermissionsBoundary"]);
        let page = PageRequest::read(&mut f);
        f.finish()?;
        Ok(Self { scope, only_attached, path_prefix, usage, page })
    }

    fn resource(&self, _: &Ctx<'_>) -> Result<String, AwsError> {
        Ok("*".into())
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<Policies, AwsError> {
        let keep = |p: &ManagedPolicyRecord| {
            let used_as_policy = !p.attachments.is_empty();
            let used_as_boundary = !p.boundary_of.is_empty();
            p.path.starts_with(&self.path_prefix)
                && (!self.only_attached
                    || match self.usage.as_deref() {
                        Some("PermissionsPolicy") => used_as_policy,
                        Some("PermissionsBoundary") => used_as_boundary,
                        _ => used_as_policy || used_as_boundary,
                    })
        };
        if self.scope == "Local" {
            let from = self.page.start()?;
            let policies =
                ctx.app.store.policies(ctx.account(), from.as_deref(), self.page.max, |p| !p.aws_managed && keep(p))?;
            let page = pagination::store_page(policies, self.page.max, |p| p.name.to_lowercase());
            return Ok(Policies(Page { items: page.items.into_iter().map(Arc::new).collect(), marker: page.marker }));
        }
        // AWS's catalogue (with this account's attachments) after the account's own policies.
        let stored = ctx.app.store.policies(ctx.account(), None, usize::MAX - 1, |_| true)?;
        let (used, local): (Vec<_>, Vec<_>) = stored.into_iter().partition(|p| p.aws_managed);
        let used: HashMap<String, ManagedPolicyRecord> = used.into_iter().map(|p| (p.name.clone(), p)).collect();
        let mut all: Vec<Arc<ManagedPolicyRecord>> = Vec::new();
        if self.scope == "All" {
            all.extend(local.into_iter().filter(|p| keep(p)).map(Arc::new));
        }
        for p in super::aws_managed::all() {
            let p = used.get(&p.name).map_or_else(|| Arc::clone(p), |u| Arc::new(u.clone()));
            if keep(&p) {
                all.push(p);
            }
        }
        Ok(Policies(self.page.page(all)?))
    }
}

pub struct DeletePolicy {
    arn: String,
}

impl Operation for DeletePolicy {
    const NAME: &'static str = "DeletePolicy";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        Ok(Self { arn: read_arn(p)? })
    }

    fn resource(&self, _: &Ctx<'_>) -> Result<String, AwsError> {
        Ok(self.arn.clone())
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        let account = ctx.account();
        ctx.app.store.transact(|tx| {
            let policy = find_policy(tx, account, &self.arn)?.ok_or_else(|| policy_not_found(&self.arn))?;
            if !policy.attachments.is_empty() || !policy.boundary_of.is_empty() {
                return abort(AwsError::DeleteConflict("Cannot delete a policy attached to entities.".into()));
            }
            if policy.versions.len() > 1 {
                return abort(AwsError::DeleteConflict(
                    "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. \
                     The default version is deleted with the policy."
                        .into(),
                ));
            }
            tx.remove_policy(account, &policy.name)
        })
    }
}

pub struct ListEntitiesForPolicy {
    arn: String,
    filter: Option<String>,
    path_prefix: String,
    usage: Option<String>,
    page: PageRequest,
}

/// One entity using a policy: kind, name, id.
pub struct PolicyEntity {
    kind: EntityKind,
    name: String,
    id: String,
}

pub struct PolicyEntities(Page<PolicyEntity>);

impl WriteXml for PolicyEntities {
    fn write(&self, w: &mut XmlOut) {
        let of = |kind| self.0.items.iter().filter(|e| e.kind == kind).collect::<Vec<_>>();
        w.list("PolicyGroups", &of(EntityKind::Group), |w, e| {
            w.text("GroupName", &e.name);
            w.text("GroupId", &e.id);
        });
        w.list("PolicyUsers", &of(EntityKind::User), |w, e| {
            w.text("UserName", &e.name);
            w.text("UserId", &e.id);
        });
        w.list("PolicyRoles", &of(EntityKind::Role), |w, e| {
            w.text("RoleName", &e.name);
            w.text("RoleId", &e.id);
        });
        self.0.write_tail(w);
    }
}

impl Operation for ListEntitiesForPolicy {
    const NAME: &'static str = "ListEntitiesForPolicy";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = false;
    type Output = PolicyEntities;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let arn = f.str("PolicyArn", &ARN);
        let filter = f.opt_enum("EntityFilter", &["User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"]);
        let path_prefix = f.opt_str("PathPrefix", &PATH).unwrap_or_else(|| "/".into());
        let usage = f.opt_enum("PolicyUsageFilter", &["PermissionsPolicy", "PermissionsBoundary"]);
        let page = PageRequest::read(&mut f);
        f.finish()?;
        PolicyArn::parse(&arn)?;
        Ok(Self { arn, filter, path_prefix, usage, page })
    }

    fn resource(&self, _: &Ctx<'_>) -> Result<String, AwsError> {
        Ok(self.arn.clone())
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<PolicyEntities, AwsError> {
        let policy = load_policy(ctx.app, ctx.account(), &self.arn)?;
        let uses = match self.usage.as_deref() {
            Some("PermissionsPolicy") => policy.attachments,
            Some("PermissionsBoundary") => policy.boundary_of,
            _ => policy.attachments.into_iter().chain(policy.boundary_of).collect(),
        };
        let wanted = |kind: EntityKind| match self.filter.as_deref() {
            Some("User") => kind == EntityKind::User,
            Some("Group") => kind == EntityKind::Group,
            Some("Role") => kind == EntityKind::Role,
            _ => true,
        };
        let mut entities = Vec::new();
        for a in uses.into_iter().filter(|a| wanted(a.kind)) {
            let found = match a.kind {
                EntityKind::User => ctx.app.store.user(ctx.account(), &a.name)?.map(|u| (u.id, u.path)),
                EntityKind::Group => ctx.app.store.group(ctx.account(), &a.name)?.map(|g| (g.id, g.path)),
                EntityKind::Role => ctx.app.store.role(ctx.account(), &a.name)?.map(|r| (r.id, r.path)),
            };
            if let Some((id, _)) = found.filter(|(_, path)| path.starts_with(&self.path_prefix))
                && !entities.iter().any(|e: &PolicyEntity| e.kind == a.kind && e.name == a.name)
            {
                entities.push(PolicyEntity { kind: a.kind, name: a.name, id });
            }
        }
        Ok(PolicyEntities(self.page.page(entities)?))
    }
}
