//! GetAccountSummary: the account's entity counts and IAM's quotas, as AWS's SummaryMap has
//! them. Quotas are the limits iamd enforces (AWS's defaults).

use crate::error::AwsError;
use crate::operation::{Ctx, Operation, Service};
use crate::protocol::{Params, WriteXml, XmlOut};
use crate::state::State;

pub struct GetAccountSummary;

pub struct Summary(Vec<(&'static str, i64)>);

impl WriteXml for Summary {
    fn write(&self, w: &mut XmlOut) {
        w.elem("SummaryMap", |w| {
            for (k, v) in &self.0 {
                w.elem("entry", |w| {
                    w.text("key", k);
                    w.int("value", *v);
                });
            }
        });
    }
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Every entity of each kind in the account (whole trees are walked: this is no hot path).
fn counts(app: &State, account: &str) -> Result<Vec<(&'static str, i64)>, AwsError> {
    const ALL: usize = usize::MAX - 1;
    let store = &app.store;
    let users = store.users(account, None, ALL, |_| true)?;
    let groups = store.groups(account, None, ALL, |_| true)?;
    let roles = store.roles(account, None, ALL, |_| true)?;
    let policies = store.policies(account, None, ALL, |p| !p.aws_managed)?;
    let profiles = store.instance_profiles(account, None, ALL, |_| true)?;
    let record = store.account(account)?.unwrap_or_default();
    let versions: usize = policies.iter().map(|p| p.versions.len()).sum();
    let root_keys = !record.root_access_keys.is_empty();
    let token_version = if record.sts_token_version.as_deref() == Some("v2Token") { 2 } else { 1 };
    Ok(vec![
        ("Users", count(users.len())),
        ("UsersQuota", 5000),
        ("Groups", count(groups.len())),
        ("GroupsQuota", 300),
        ("Roles", count(roles.len())),
        ("RolesQuota", 1000),
        ("Policies", count(policies.len())),
        ("PoliciesQuota", 1500),
        ("PolicyVersionsInUse", count(versions)),
        ("PolicyVersionsInUseQuota", 10000),
        ("VersionsPerPolicyQuota", 5),
        ("InstanceProfiles", count(profiles.len())),
        ("InstanceProfilesQuota", 1000),
        ("Providers", count(record.oidc_providers.len() + record.saml_providers.len())),
        ("ServerCertificates", count(record.server_certificates.len())),
        ("ServerCertificatesQuota", 20),
        ("MFADevices", count(record.mfa_devices.len())),
        ("MFADevicesInUse", count(record.mfa_devices.iter().filter(|d| d.user_id.is_some()).count())),
        ("AccountMFAEnabled", 0),
        ("AccountAccessKeysPresent", i64::from(root_keys)),
        ("AccountSigningCertificatesPresent", 0),
        ("AccessKeysPerUserQuota", 2),
        ("SigningCertificatesPerUserQuota", 2),
        ("GroupsPerUserQuota", 10),
        ("AttachedPoliciesPerUserQuota", 10),
        ("AttachedPoliciesPerGroupQuota", 10),
        ("AttachedPoliciesPerRoleQuota", 10),
        ("UserPolicySizeQuota", 2048),
        ("GroupPolicySizeQuota", 5120),
        ("RolePolicySizeQuota", 10240),
        ("PolicySizeQuota", 6144),
        ("AssumeRolePolicySizeQuota", 2048),
        ("GlobalEndpointTokenVersion", token_version),
    ])
}

impl Operation for GetAccountSummary {
    const NAME: &'static str = "GetAccountSummary";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = false;
    type Output = Summary;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        p.fields().finish()?;
        Ok(Self)
    }

    fn resource(&self, _ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Ok("*".into())
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<Summary, AwsError> {
        Ok(Summary(counts(ctx.app, ctx.account())?))
    }
}
