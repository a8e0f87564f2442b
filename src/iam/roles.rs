//! CreateRole, GetRole, ListRoles, UpdateRole, UpdateRoleDescription, UpdateAssumeRolePolicy,
//! DeleteRole. Inline and attached role policies, tags and boundaries are the generic actions of
//! `inline_policies`, `attached_policies`, `tagging` and `boundaries`.

use super::holders::{Holder, Roles};
use super::not_found::no_such_role;
use super::{boundaries, policy_docs, tags};
use crate::error::AwsError;
use crate::ids::{IdKind, new_id};
use crate::operation::{Ctx, Operation, Service};
use crate::policy::{
    PolicyDocument, PolicyError, PolicyKind, PolicySizeQuota, PrincipalBlock, PrincipalKey, policy_size,
};
use crate::protocol::rules::{ARN, MAX_SESSION_DURATION, PATH, POLICY_DOCUMENT, ROLE_DESCRIPTION, ROLE_NAME};
use crate::protocol::{Params, Tag, WriteXml, XmlOut};
use crate::state::State;
use crate::store::{Attachment, EntityKind, PolicyHolding, RoleRecord, abort};

/// MaxSessionDuration when CreateRole does not set one.
pub const DEFAULT_MAX_SESSION: i64 = 3600;

/// Validates a trust policy: a resource-based document naming principals, within IAM's quota.
///
/// # Errors
/// `MalformedPolicyDocument` or `LimitExceeded` as IAM words them.
pub fn parse_trust_policy(text: &str, role: &str) -> Result<PolicyDocument, AwsError> {
    let doc = PolicyDocument::parse(text, PolicyKind::Resource)?;
    PolicySizeQuota::RoleTrust.check(policy_size(text), role)?;
    Ok(doc)
}

/// IAM refuses a trust policy naming a user or role of this account that does not exist.
///
/// # Errors
/// `MalformedPolicyDocument` "Invalid principal in policy" for the first such principal.
fn check_principals_exist(app: &State, account: &str, text: &str) -> Result<(), AwsError> {
    let doc = PolicyDocument::parse(text, PolicyKind::Resource)?;
    let prefix = format!("arn:aws:iam::{account}:");
    for statement in doc.statements() {
        let Some((PrincipalBlock::Listed(entries), _)) = statement.principal() else { continue };
        for entry in entries.iter().filter(|e| e.key == PrincipalKey::Aws) {
            let Some(resource) = entry.value.strip_prefix(&prefix) else { continue };
            let name = resource.rsplit('/').next().unwrap_or_default();
            let exists = match resource.split_once('/') {
                Some(("user", _)) => app.store.user(account, name)?.is_some(),
                Some(("role", _)) => app.store.role(account, name)?.is_some(),
                _ => true,
            };
            if !exists {
                return Err(PolicyError::invalid_principal("AWS", &entry.value).into());
            }
        }
    }
    Ok(())
}

/// The `Role` shape; list responses leave tags out, as IAM does.
pub fn write_role(w: &mut XmlOut, r: &RoleRecord, with_tags: bool) {
    w.text("Path", &r.path);
    w.text("RoleName", &r.name);
    w.text("RoleId", &r.id);
    w.text("Arn", &r.arn());
    w.time("CreateDate", r.create_date);
    w.text("AssumeRolePolicyDocument", &policy_docs::url_encode(&r.trust_policy));
    w.opt_text("Description", r.description.as_deref());
    w.int("MaxSessionDuration", r.max_session_duration);
    boundaries::write(w, r.permissions_boundary.as_deref());
    if with_tags && !r.tags.is_empty() {
        tags::write(w, &r.tags);
    }
}

pub struct RoleResult(RoleRecord);

/// The `Role` answer of actions that make a role elsewhere (service-linked roles).
#[must_use]
pub fn write_role_result(role: RoleRecord) -> RoleResult {
    RoleResult(role)
}

impl WriteXml for RoleResult {
    fn write(&self, w: &mut XmlOut) {
        w.elem("Role", |w| write_role(w, &self.0, true));
    }
}

pub struct CreateRole {
    name: String,
    path: String,
    trust_policy: String,
    description: Option<String>,
    max_session_duration: i64,
    boundary: Option<String>,
    tags: Vec<Tag>,
}

impl Operation for CreateRole {
    const NAME: &'static str = "CreateRole";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = RoleResult;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let name = f.str("RoleName", &ROLE_NAME);
        let path = f.opt_str("Path", &PATH).unwrap_or_else(|| "/".into());
        let trust_policy = f.str("AssumeRolePolicyDocument", &POLICY_DOCUMENT);
        let description = f.opt_str("Description", &ROLE_DESCRIPTION);
        let max_session_duration =
            f.opt_int("MaxSessionDuration", &MAX_SESSION_DURATION).unwrap_or(DEFAULT_MAX_SESSION);
        let boundary = f.opt_str("PermissionsBoundary", &ARN);
        let tags = f.tags("Tags").unwrap_or_default();
        f.finish()?;
        tags::check_request(&tags)?;
        parse_trust_policy(&trust_policy, &name)?;
        Ok(Self { name, path, trust_policy, description, max_session_duration, boundary, tags })
    }

    fn request_tags(&self) -> Option<&[Tag]> {
        Some(&self.tags)
    }

    fn condition_keys(&self) -> Vec<(&'static str, String)> {
        self.boundary.iter().map(|b| ("iam:PermissionsBoundary", b.clone())).collect()
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Ok(format!("arn:aws:iam::{}:role{}{}", ctx.account(), self.path, self.name))
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<RoleResult, AwsError> {
        check_principals_exist(ctx.app, ctx.account(), &self.trust_policy)?;
        let role = RoleRecord {
            account: ctx.account().to_owned(),
            name: self.name,
            id: new_id(IdKind::Role),
            path: self.path,
            create_date: ctx.now.replace_millisecond(0).unwrap_or(ctx.now),
            trust_policy: self.trust_policy,
            description: self.description,
            max_session_duration: self.max_session_duration,
            tags: self.tags,
            policies: PolicyHolding::default(),
            permissions_boundary: None,
            instance_profiles: Vec::new(),
        };
        let role = ctx.app.store.transact(|tx| {
            if let Some(existing) = tx.role(&role.account, &role.name)? {
                return abort(AwsError::EntityAlreadyExists(format!(
                    "Role with name {} already exists.",
                    existing.name
                )));
            }
            let me = Attachment { kind: EntityKind::Role, name: role.name.clone() };
            let mut role = role.clone();
            role.permissions_boundary =
                boundaries::move_boundary(tx, &role.account, &me, None, self.boundary.as_deref())?;
            tx.put_role(&role)?;
            Ok(role)
        })?;
        Ok(RoleResult(role))
    }
}

fn read_name(p: &Params) -> Result<String, AwsError> {
    let mut f = p.fields();
    let name = f.str("RoleName", &ROLE_NAME);
    f.finish()?;
    Ok(name)
}

pub struct GetRole {
    name: String,
}

impl Operation for GetRole {
    const NAME: &'static str = "GetRole";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = false;
    type Output = RoleResult;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        Ok(Self { name: read_name(p)? })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Roles::resource(ctx.app, ctx.account(), &self.name)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<RoleResult, AwsError> {
        Ok(RoleResult(ctx.app.store.role(ctx.account(), &self.name)?.ok_or_else(|| no_such_role(&self.name))?))
    }
}

/// UpdateRole and UpdateRoleDescription share their work.
fn update_role(ctx: &Ctx<'_>, name: &str, description: Option<&str>, max: Option<i64>) -> Result<RoleRecord, AwsError> {
    ctx.app.store.transact(|tx| {
        let mut role = tx.role(ctx.account(), name)?.ok_or_else(|| no_such_role(name))?;
        if let Some(d) = description {
            role.description = Some(d.to_owned());
        }
        if let Some(m) = max {
            role.max_session_duration = m;
        }
        tx.put_role(&role)?;
        Ok(role)
    })
}

pub struct UpdateRole {
    name: String,
    description: Option<String>,
    max_session_duration: Option<i64>,
}

impl Operation for UpdateRole {
    const NAME: &'static str = "UpdateRole";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = EmptyResult;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let name = f.str("RoleName", &ROLE_NAME);
        let description = f.opt_str("Description", &ROLE_DESCRIPTION);
        let max_session_duration = f.opt_int("MaxSessionDuration", &MAX_SESSION_DURATION);
        f.finish()?;
        Ok(Self { name, description, max_session_duration })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Roles::resource(ctx.app, ctx.account(), &self.name)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<EmptyResult, AwsError> {
        update_role(ctx, &self.name, self.description.as_deref(), self.max_session_duration)?;
        Ok(EmptyResult)
    }
}

/// UpdateRole's output is an empty structure: an empty `<UpdateRoleResult/>` element.
pub struct EmptyResult;

impl WriteXml for EmptyResult {
    fn write(&self, _: &mut XmlOut) {}
}

pub struct UpdateRoleDescription {
    name: String,
    description: String,
}

impl Operation for UpdateRoleDescription {
    const NAME: &'static str = "UpdateRoleDescription";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = RoleResult;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let name = f.str("RoleName", &ROLE_NAME);
        let description = f.str("Description", &ROLE_DESCRIPTION);
        f.finish()?;
        Ok(Self { name, description })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Roles::resource(ctx.app, ctx.account(), &self.name)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<RoleResult, AwsError> {
        Ok(RoleResult(update_role(ctx, &self.name, Some(&self.description), None)?))
    }
}

pub struct UpdateAssumeRolePolicy {
    name: String,
    document: String,
}

impl Operation for UpdateAssumeRolePolicy {
    const NAME: &'static str = "UpdateAssumeRolePolicy";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let name = f.str("RoleName", &ROLE_NAME);
        let document = f.str("PolicyDocument", &POLICY_DOCUMENT);
        f.finish()?;
        parse_trust_policy(&document, &name)?;
        Ok(Self { name, document })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Roles::resource(ctx.app, ctx.account(), &self.name)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        check_principals_exist(ctx.app, ctx.account(), &self.document)?;
        ctx.app.store.transact(|tx| {
            let mut role = tx.role(ctx.account(), &self.name)?.ok_or_else(|| no_such_role(&self.name))?;
            role.trust_policy.clone_from(&self.document);
            tx.put_role(&role)
        })
    }
}

pub struct DeleteRole {
    name: String,
}

impl Operation for DeleteRole {
    const NAME: &'static str = "DeleteRole";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        Ok(Self { name: read_name(p)? })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Roles::resource(ctx.app, ctx.account(), &self.name)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        let account = ctx.account();
        ctx.app.store.transact(|tx| {
            let role = tx.role(account, &self.name)?.ok_or_else(|| no_such_role(&self.name))?;
            // Same order as DeleteUser: inline policies first, then attachments.
            if !role.policies.inline.is_empty() {
                return abort(AwsError::DeleteConflict("Cannot delete entity, must delete policies first.".into()));
            }
            if !role.policies.attached.is_empty() {
                return abort(AwsError::DeleteConflict("Cannot delete entity, must detach all policies first.".into()));
            }
            if !role.instance_profiles.is_empty() {
                return abort(AwsError::DeleteConflict(
                    "Cannot delete entity, must remove roles from instance profile first.".into(),
                ));
            }
            let me = Attachment { kind: EntityKind::Role, name: role.name.clone() };
            boundaries::move_boundary(tx, account, &me, role.permissions_boundary.as_deref(), None)?;
            tx.remove_role(account, &role.name)
        })
    }
}
