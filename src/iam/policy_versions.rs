//! CreatePolicyVersion, SetDefaultPolicyVersion, GetPolicyVersion, ListPolicyVersions,
//! DeletePolicyVersion. Version ids count up (`v1`, `v2`, …) and are never reused.

use super::managed_policies::{find_policy, load_policy};
use super::pagination::{Page, PageRequest};
use super::policy_docs::{self, PolicyArn, policy_not_found};
use crate::error::AwsError;
use crate::operation::{Ctx, Operation, Service};
use crate::policy::{PolicySizeQuota, policy_size};
use crate::protocol::rules::{ARN, POLICY_DOCUMENT, POLICY_VERSION_ID};
use crate::protocol::{Params, WriteXml, XmlOut};
use crate::store::{PolicyVersionRecord, abort};

/// Versions one managed policy may keep.
pub const MAX_VERSIONS: usize = 5;

fn no_such_version(arn: &str, version: &str) -> AwsError {
    AwsError::NoSuchEntity(format!("Policy {arn} version {version} does not exist or is not attachable."))
}

fn read_arn_and_version(p: &Params) -> Result<(String, String), AwsError> {
    let mut f = p.fields();
    let arn = f.str("PolicyArn", &ARN);
    let version = f.str("VersionId", &POLICY_VERSION_ID);
    f.finish()?;
    PolicyArn::parse(&arn)?;
    Ok((arn, version))
}

/// The `PolicyVersion` shape; the document only where IAM returns it (GetPolicyVersion).
fn write_version(w: &mut XmlOut, v: &PolicyVersionRecord, default: &str, with_document: bool) {
    if with_document {
        w.text("Document", &policy_docs::url_encode(&v.document));
    }
    w.text("VersionId", &v.id);
    w.bool("IsDefaultVersion", v.id == default);
    w.time("CreateDate", v.create_date);
}

pub struct PolicyVersionResult {
    version: PolicyVersionRecord,
    default: String,
    with_document: bool,
}

impl WriteXml for PolicyVersionResult {
    fn write(&self, w: &mut XmlOut) {
        w.elem("PolicyVersion", |w| write_version(w, &self.version, &self.default, self.with_document));
    }
}

pub struct CreatePolicyVersion {
    arn: String,
    document: String,
    set_as_default: bool,
}

impl Operation for CreatePolicyVersion {
    const NAME: &'static str = "CreatePolicyVersion";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = PolicyVersionResult;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let arn = f.str("PolicyArn", &ARN);
        let document = f.str("PolicyDocument", &POLICY_DOCUMENT);
        let set_as_default = f.opt_bool("SetAsDefault").unwrap_or(false);
        f.finish()?;
        let parsed = PolicyArn::parse(&arn)?;
        policy_docs::parse_identity(&document, true)?;
        PolicySizeQuota::ManagedPolicy.check(policy_size(&document), &parsed.name)?;
        Ok(Self { arn, document, set_as_default })
    }

    fn resource(&self, _: &Ctx<'_>) -> Result<String, AwsError> {
        Ok(self.arn.clone())
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<PolicyVersionResult, AwsError> {
        let now = ctx.now.replace_millisecond(0).unwrap_or(ctx.now);
        ctx.app.store.transact(|tx| {
            let mut policy = find_policy(tx, ctx.account(), &self.arn)?.ok_or_else(|| policy_not_found(&self.arn))?;
            if policy.versions.len() >= MAX_VERSIONS {
                return abort(AwsError::LimitExceeded(format!(
                    "A managed policy can have up to {MAX_VERSIONS} versions. Before you create a new version, you must delete an existing version."
                )));
            }
            let version = PolicyVersionRecord { id: format!("v{}", policy.next_version), document: self.document.clone(), create_date: now };
            policy.next_version += 1;
            policy.versions.push(version.clone());
            if self.set_as_default {
                policy.default_version.clone_from(&version.id);
                policy.update_date = now;
            }
            tx.put_policy(&policy)?;
            Ok(PolicyVersionResult { version, default: policy.default_version, with_document: false })
        })
    }
}

pub struct SetDefaultPolicyVersion {
    arn: String,
    version: String,
}

impl Operation for SetDefaultPolicyVersion {
    const NAME: &'static str = "SetDefaultPolicyVersion";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let (arn, version) = read_arn_and_version(p)?;
        Ok(Self { arn, version })
    }

    fn resource(&self, _: &Ctx<'_>) -> Result<String, AwsError> {
        Ok(self.arn.clone())
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        let now = ctx.now.replace_millisecond(0).unwrap_or(ctx.now);
        ctx.app.store.transact(|tx| {
            let mut policy = find_policy(tx, ctx.account(), &self.arn)?.ok_or_else(|| policy_not_found(&self.arn))?;
            if !policy.versions.iter().any(|v| v.id == self.version) {
                return abort(no_such_version(&self.arn, &self.version));
            }
            policy.default_version.clone_from(&self.version);
            policy.update_date = now;
            tx.put_policy(&policy)
        })
    }
}

pub struct GetPolicyVersion {
    arn: String,
    version: String,
}

impl Operation for GetPolicyVersion {
    const NAME: &'static str = "GetPolicyVersion";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = false;
    type Output = PolicyVersionResult;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let (arn, version) = read_arn_and_version(p)?;
        Ok(Self { arn, version })
    }

    fn resource(&self, _: &Ctx<'_>) -> Result<String, AwsError> {
        Ok(self.arn.clone())
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<PolicyVersionResult, AwsError> {
        let policy = load_policy(ctx.app, ctx.account(), &self.arn)?;
        let version = policy
            .versions
            .iter()
            .find(|v| v.id == self.version)
            .cloned()
            .ok_or_else(|| no_such_version(&self.arn, &self.version))?;
        Ok(PolicyVersionResult { version, default: policy.default_version, with_document: true })
    }
}

pub struct ListPolicyVersions {
    arn: String,
    page: PageRequest,
}

pub struct PolicyVersions {
    page: Page<PolicyVersionRecord>,
    default: String,
}

impl WriteXml for PolicyVersions {
    fn write(&self, w: &mut XmlOut) {
        w.list("Versions", &self.page.items, |w, v| write_version(w, v, &self.default, false));
        self.page.write_tail(w);
    }
}

impl Operation for ListPolicyVersions {
    const NAME: &'static str = "ListPolicyVersions";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = false;
    type Output = PolicyVersions;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let arn = f.str("PolicyArn", &ARN);
        let page = PageRequest::read(&mut f);
        f.finish()?;
        PolicyArn::parse(&arn)?;
        Ok(Self { arn, page })
    }

    fn resource(&self, _: &Ctx<'_>) -> Result<String, AwsError> {
        Ok(self.arn.clone())
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<PolicyVersions, AwsError> {
        let policy = load_policy(ctx.app, ctx.account(), &self.arn)?;
        // Newest first, as IAM lists them.
        let mut versions = policy.versions;
        versions.reverse();
        Ok(PolicyVersions { page: self.page.page(versions)?, default: policy.default_version })
    }
}

pub struct DeletePolicyVersion {
    arn: String,
    version: String,
}

impl Operation for DeletePolicyVersion {
    const NAME: &'static str = "DeletePolicyVersion";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let (arn, version) = read_arn_and_version(p)?;
        Ok(Self { arn, version })
    }

    fn resource(&self, _: &Ctx<'_>) -> Result<String, AwsError> {
        Ok(self.arn.clone())
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        ctx.app.store.transact(|tx| {
            let mut policy = find_policy(tx, ctx.account(), &self.arn)?.ok_or_else(|| policy_not_found(&self.arn))?;
            if !policy.versions.iter().any(|v| v.id == self.version) {
                return abort(no_such_version(&self.arn, &self.version));
            }
            if policy.default_version == self.version {
                return abort(AwsError::DeleteConflict("Cannot delete the default version of a policy.".into()));
            }
            policy.versions.retain(|v| v.id != self.version);
            tx.put_policy(&policy)
        })
    }
}
