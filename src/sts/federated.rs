//! What the federated role sessions (AssumeRoleWithWebIdentity, AssumeRoleWithSAML)
//! share: the role the request names, and the trust decision for an identity
//! provider's user. The caller is the provider (`Federated`), which has no policies of its own:
//! the trust policy alone decides.

use crate::arn::Arn;
use crate::error::AwsError;
use crate::operation::Ctx;
use crate::policy::{
    ContextValue, Decision, EvaluationInput, PolicyDocument, PolicyRef, PrincipalRef, PrincipalType, RequestContext,
    ResourcePolicyMode, ResourcePolicyRef, evaluate,
};
use crate::protocol::Tag;
use crate::store::RoleRecord;

/// The role `role_arn` names; `denied` when it does not exist (AWS does not say which).
///
/// # Errors
/// `ValidationError` for a malformed ARN, `denied()`, store failures.
pub fn find_role(ctx: &Ctx<'_>, role_arn: &str, denied: fn() -> AwsError) -> Result<RoleRecord, AwsError> {
    let invalid = || AwsError::ValidationError(format!("{role_arn} is invalid"));
    let parsed = Arn::parse(role_arn).ok_or_else(invalid)?;
    let (path, name) = parsed.iam_entity("role").ok_or_else(invalid)?;
    ctx.app.store.role(parsed.account, name)?.filter(|r| r.path == path && r.name == name).ok_or_else(denied)
}

/// The provider's user asking for a session.
pub struct FederatedCaller<'a> {
    pub provider_arn: &'a str,
    pub session_name: &'a str,
    /// The provider's condition keys (`saml:sub`, …) and their values.
    pub keys: &'a [(String, Vec<String>)],
    pub tags: &'a [Tag],
    pub source_identity: Option<&'a str>,
}

/// Whether `trust` (the role's trust policy) lets `caller` perform `action` on the role.
#[must_use]
pub fn trust_allows(
    ctx: &Ctx<'_>,
    role: &RoleRecord,
    role_arn: &str,
    trust: &PolicyDocument,
    caller: &FederatedCaller<'_>,
    action: &str,
) -> bool {
    let mut b = RequestContext::builder(action, role_arn)
        .principal(PrincipalRef::new(PrincipalType::Federated, caller.provider_arn, ""))
        .value("aws:FederatedProvider", caller.provider_arn)
        .value("aws:CurrentTime", ctx.now)
        .value("aws:EpochTime", ctx.now.unix_timestamp())
        .value("aws:SecureTransport", ctx.secure_transport)
        .value("aws:RequestedRegion", ctx.region)
        .value("sts:RoleSessionName", caller.session_name);
    for (key, values) in caller.keys {
        b = b.values(key, values.iter().map(|v| ContextValue::String(v.clone())));
    }
    if let Some(ip) = ctx.source_ip {
        b = b.value("aws:SourceIp", ip);
    }
    if let Some(source) = caller.source_identity {
        b = b.value("sts:SourceIdentity", source);
    }
    for t in caller.tags {
        b = b.value(&format!("aws:PrincipalTag/{}", t.key), t.value.as_str());
        b = b.value(&format!("aws:RequestTag/{}", t.key), t.value.as_str());
    }
    if !caller.tags.is_empty() {
        b = b.values("aws:TagKeys", caller.tags.iter().map(|t| ContextValue::String(t.key.clone())));
    }
    let context = b.build();
    let mut input = EvaluationInput::new(&context);
    input.resource_policy = Some(ResourcePolicyRef {
        policy: PolicyRef { source_id: "AssumeRolePolicyDocument", source_type: "resource", document: trust },
        mode: ResourcePolicyMode::Required,
    });
    input.resource_account = Some(&role.account);
    evaluate(&input).decision == Decision::Allowed
}
