//! Authorization: every request that needs a permission is decided by the policy engine against
//! the caller's policies, loaded fresh so a policy change takes effect on the very next request.
//! The root of an account may do everything in it, as in AWS.

use std::net::IpAddr;

use time::OffsetDateTime;

use crate::error::AwsError;
use crate::iam::managed_policies;
use crate::policy::{
    ContextValue, Decision, EvaluationInput, PolicyDocument, PolicyRef, PrincipalRef, PrincipalType, RequestContext,
    evaluate,
};
use crate::principal::{Caller, Principal};
use crate::protocol::Tag;
use crate::state::State;
use crate::store::{GroupRecord, ManagedPolicyRecord, RoleRecord, UserRecord};
use crate::sts::token::SessionClaims;

/// The `SourcePolicyType` real AWS simulations report for identity policies, inline or managed.
pub const IAM_POLICY: &str = "IAM Policy";

/// A parsed policy with the names Simulate* reports for it: managed policies by name, inline
/// ones as `{user|group|role}_{entity}_{policy}`, as AWS's simulator names them.
pub struct LoadedPolicy {
    pub source_id: String,
    pub source_type: String,
    pub document: PolicyDocument,
}

impl LoadedPolicy {
    fn as_ref(&self) -> PolicyRef<'_> {
        PolicyRef { source_id: &self.source_id, source_type: &self.source_type, document: &self.document }
    }
}

/// The identity policies, permissions boundary and session policies that apply to a principal.
#[derive(Default)]
pub struct PrincipalPolicies {
    pub identity: Vec<LoadedPolicy>,
    pub boundary: Option<LoadedPolicy>,
    /// `Some` for a session whose token carries session policies.
    pub session: Option<Vec<LoadedPolicy>>,
}

impl PrincipalPolicies {
    /// An engine input for `context` using these policies.
    #[must_use]
    pub fn input<'a>(&'a self, context: &'a RequestContext) -> EvaluationInput<'a> {
        let mut input = EvaluationInput::new(context);
        input.identity_policies = self.identity.iter().map(LoadedPolicy::as_ref).collect();
        input.permissions_boundary = self.boundary.as_ref().map(LoadedPolicy::as_ref);
        input.session_policies = self.session.as_ref().map(|s| s.iter().map(LoadedPolicy::as_ref).collect());
        input
    }
}

/// Parses a stored document; stored documents were validated on the way in, so a failure means
/// corruption and is reported as such.
fn parse_stored(text: &str) -> Result<PolicyDocument, AwsError> {
    crate::iam::policy_docs::parse_identity(text, false)
        .map_err(|e| AwsError::internal(&format!("stored policy no longer parses: {e}")))
}

fn managed(app: &State, account: &str, arn: &str) -> Result<Option<ManagedPolicyRecord>, AwsError> {
    match managed_policies::load_policy(app, account, arn) {
        Ok(p) => Ok(Some(p)),
        Err(AwsError::NoSuchEntity(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

fn load_managed(app: &State, account: &str, arn: &str) -> Result<Option<LoadedPolicy>, AwsError> {
    let Some(p) = managed(app, account, arn)? else { return Ok(None) };
    Ok(Some(LoadedPolicy {
        source_id: p.name.clone(),
        source_type: IAM_POLICY.into(),
        document: parse_stored(p.default_document())?,
    }))
}

/// The policies of a user: its inline and attached ones, its groups' inline and attached ones,
/// and its permissions boundary.
///
/// # Errors
/// Store failures.
pub fn user_policies(app: &State, user: &UserRecord) -> Result<PrincipalPolicies, AwsError> {
    let account = user.account.as_str();
    let mut out = PrincipalPolicies::default();
    for p in &user.policies.inline {
        out.identity.push(LoadedPolicy {
            source_id: format!("user_{}_{}", user.name, p.name),
            source_type: IAM_POLICY.into(),
            document: parse_stored(&p.document)?,
        });
    }
    for arn in &user.policies.attached {
        out.identity.extend(load_managed(app, account, arn)?);
    }
    for group_name in &user.groups {
        if let Some(group) = app.store.group(account, group_name)? {
            out.identity.extend(group_policies(app, &group)?.identity);
        }
    }
    if let Some(arn) = &user.permissions_boundary {
        out.boundary = load_managed(app, account, arn)?;
    }
    Ok(out)
}

/// A group's inline and attached policies (groups have no permissions boundary).
///
/// # Errors
/// Store failures.
pub fn group_policies(app: &State, group: &GroupRecord) -> Result<PrincipalPolicies, AwsError> {
    let mut out = PrincipalPolicies::default();
    for p in &group.policies.inline {
        out.identity.push(LoadedPolicy {
            source_id: format!("group_{}_{}", group.name, p.name),
            source_type: IAM_POLICY.into(),
            document: parse_stored(&p.document)?,
        });
    }
    for arn in &group.policies.attached {
        out.identity.extend(load_managed(app, &group.account, arn)?);
    }
    Ok(out)
}

/// What a request context is built from, besides the principal.
pub struct RequestFacts<'a> {
    pub action: &'a str,
    pub resource: &'a str,
    pub now: OffsetDateTime,
    pub source_ip: Option<IpAddr>,
    pub region: &'a str,
    pub request_tags: Option<&'a [Tag]>,
    pub tag_keys: Option<&'a [String]>,
    /// Service-specific keys the action supplies (`iam:PolicyARN`, `iam:PermissionsBoundary`).
    pub extra_keys: Vec<(&'static str, String)>,
}

/// The request context with AWS's global condition keys, for a principal outside a session.
#[must_use]
pub fn request_context(principal: &Principal, user: Option<&UserRecord>, facts: &RequestFacts<'_>) -> RequestContext {
    request_context_with(principal, user.map(|u| u.tags.as_slice()).unwrap_or_default(), None, facts)
}

/// The request context with AWS's global condition keys: `principal_tags` are the identity's
/// tags (a role session's already merged with its session tags), `session` the claims of the
/// temporary credentials the request was signed with.
#[must_use]
pub fn request_context_with(
    principal: &Principal,
    principal_tags: &[Tag],
    session: Option<&SessionClaims>,
    facts: &RequestFacts<'_>,
) -> RequestContext {
    let principal_ref = match principal {
        Principal::Root { .. } => PrincipalRef::new(PrincipalType::Root, principal.arn(), principal.account()),
        Principal::User { .. } => PrincipalRef::new(PrincipalType::User, principal.arn(), principal.account()),
        Principal::AssumedRole { .. } => PrincipalRef::session(
            PrincipalType::AssumedRole,
            principal.arn(),
            principal.account(),
            principal.principal_arn(),
        ),
    };
    let kind = principal_ref.kind;
    let mut b = RequestContext::builder(facts.action, facts.resource)
        .principal(principal_ref)
        .value("aws:PrincipalArn", principal.principal_arn())
        .value("aws:PrincipalAccount", principal.account())
        .value("aws:userid", principal.user_id())
        .value("aws:CurrentTime", facts.now)
        .value("aws:EpochTime", facts.now.unix_timestamp())
        .value("aws:SecureTransport", false)
        .value("aws:RequestedRegion", facts.region)
        .value("aws:ViaAWSService", false);
    if let Some(t) = kind.condition_value() {
        b = b.value("aws:PrincipalType", t);
    }
    if let Some(name) = principal.user_name() {
        b = b.value("aws:username", name);
    }
    if let Some(ip) = facts.source_ip {
        b = b.value("aws:SourceIp", ip);
    }
    if let Some(claims) = session {
        if let Ok(issued) = OffsetDateTime::from_unix_timestamp(claims.issued_at) {
            b = b.value("aws:TokenIssueTime", issued);
        }
        if let Some(source) = &claims.source_identity {
            b = b.value("aws:SourceIdentity", source.as_str());
        }
        if let Principal::AssumedRole { session_name, .. } = principal {
            b = b.value("aws:RoleSessionName", session_name.as_str());
        }
    }
    for tag in principal_tags {
        b = b.value(&format!("aws:PrincipalTag/{}", tag.key), tag.value.as_str());
    }
    let mut keys: Vec<String> = Vec::new();
    for tag in facts.request_tags.unwrap_or_default() {
        b = b.value(&format!("aws:RequestTag/{}", tag.key), tag.value.as_str());
        keys.push(tag.key.clone());
    }
    keys.extend(facts.tag_keys.unwrap_or_default().iter().cloned());
    if facts.request_tags.is_some() || facts.tag_keys.is_some() {
        b = b.values("aws:TagKeys", keys.into_iter().map(ContextValue::String));
    }
    b.build()
}

/// The policies of a role: inline, attached, and its permissions boundary.
///
/// # Errors
/// Store failures.
pub fn role_policies(app: &State, role: &RoleRecord) -> Result<PrincipalPolicies, AwsError> {
    let mut out = PrincipalPolicies::default();
    for p in &role.policies.inline {
        out.identity.push(LoadedPolicy {
            source_id: format!("role_{}_{}", role.name, p.name),
            source_type: IAM_POLICY.into(),
            document: parse_stored(&p.document)?,
        });
    }
    for arn in &role.policies.attached {
        out.identity.extend(load_managed(app, &role.account, arn)?);
    }
    if let Some(arn) = &role.permissions_boundary {
        out.boundary = load_managed(app, &role.account, arn)?;
    }
    Ok(out)
}

/// The session policies a token carries (inline policy and managed policy ARNs), or `None` when
/// it carries none, so the session has the full permissions of its identity.
///
/// # Errors
/// Store failures.
pub fn session_policies(app: &State, claims: &SessionClaims) -> Result<Option<Vec<LoadedPolicy>>, AwsError> {
    if claims.policy.is_none() && claims.policy_arns.is_empty() {
        return Ok(None);
    }
    let mut out = Vec::new();
    if let Some(text) = &claims.policy {
        out.push(LoadedPolicy {
            source_id: "session".into(),
            source_type: "session".into(),
            document: parse_stored(text)?,
        });
    }
    for arn in &claims.policy_arns {
        out.extend(load_managed(app, &claims.account, arn)?);
    }
    Ok(Some(out))
}

/// Tags of a role session: the role's, overridden by the session's (keys compare without case).
#[must_use]
pub fn session_tags(role_tags: &[Tag], session: &[Tag]) -> Vec<Tag> {
    let mut out: Vec<Tag> =
        role_tags.iter().filter(|t| !session.iter().any(|s| s.key.eq_ignore_ascii_case(&t.key))).cloned().collect();
    out.extend(session.iter().cloned());
    out
}

/// Everything the engine needs about a caller: its policies and the tags it carries.
///
/// # Errors
/// `InvalidClientTokenId` when the caller's user no longer exists; store failures.
pub fn caller_policies(app: &State, caller: &Caller) -> Result<(PrincipalPolicies, Vec<Tag>), AwsError> {
    let session = caller.session.as_deref();
    match &caller.principal {
        Principal::Root { .. } => Ok((PrincipalPolicies::default(), Vec::new())),
        Principal::User { account, name, .. } => {
            let user = app.store.user(account, name)?.ok_or_else(AwsError::invalid_token)?;
            Ok((user_policies(app, &user)?, user.tags))
        }
        Principal::AssumedRole { account, role_name, role_id, .. } => {
            // A role deleted (or recreated under the same name) since the session began leaves the
            // session with no permissions, as in AWS.
            let role = app.store.role(account, role_name)?.filter(|r| r.id == *role_id);
            let (mut policies, role_tags) = match &role {
                Some(r) => (role_policies(app, r)?, r.tags.clone()),
                None => (PrincipalPolicies::default(), Vec::new()),
            };
            let tags = session_tags(&role_tags, session.map(|s| s.tags.as_slice()).unwrap_or_default());
            if let Some(claims) = session {
                policies.session = session_policies(app, claims)?;
            }
            Ok((policies, tags))
        }
    }
}

/// Decides whether `caller` may perform the request `facts` describes.
///
/// # Errors
/// `AccessDenied`, worded as AWS words the denial.
pub fn authorize(app: &State, caller: &Caller, facts: &RequestFacts<'_>) -> Result<(), AwsError> {
    let principal = &caller.principal;
    if let Principal::Root { account } = principal {
        return if facts.resource == "*" || resource_account(facts.resource) == Some(account.as_str()) {
            Ok(())
        } else {
            Err(denied(principal, facts, None))
        };
    }
    let (policies, tags) = caller_policies(app, caller)?;
    let mut context = request_context_with(principal, &tags, caller.session.as_deref(), facts);
    add_target_keys(app, principal.account(), facts, &mut context)?;
    let evaluation = evaluate(&policies.input(&context));
    match evaluation.decision {
        Decision::Allowed => Ok(()),
        Decision::ExplicitDeny => Err(denied(principal, facts, Some((true, evaluation.denied_by)))),
        Decision::ImplicitDeny => Err(denied(principal, facts, Some((false, evaluation.denied_by)))),
    }
}

/// Keys describing the IAM user or role the request is about: its tags (`aws:ResourceTag/…`,
/// `iam:ResourceTag/…`) and its permissions boundary (`iam:PermissionsBoundary`), then the keys
/// the action itself supplies, which take precedence.
fn add_target_keys(
    app: &State,
    account: &str,
    facts: &RequestFacts<'_>,
    context: &mut RequestContext,
) -> Result<(), AwsError> {
    let target = match facts.resource.strip_prefix(&format!("arn:aws:iam::{account}:")) {
        Some(rest) => match rest.split_once('/') {
            Some(("user", path_name)) => {
                let name = path_name.rsplit('/').next().unwrap_or_default();
                app.store.user(account, name)?.map(|u| (u.tags, u.permissions_boundary))
            }
            Some(("role", path_name)) => {
                let name = path_name.rsplit('/').next().unwrap_or_default();
                app.store.role(account, name)?.map(|r| (r.tags, r.permissions_boundary))
            }
            _ => None,
        },
        None => None,
    };
    if let Some((tags, boundary)) = target {
        for t in tags {
            let value = vec![ContextValue::String(t.value.clone())];
            context.set(&format!("aws:ResourceTag/{}", t.key), value.clone());
            context.set(&format!("iam:ResourceTag/{}", t.key), value);
        }
        if let Some(b) = boundary {
            context.set("iam:PermissionsBoundary", vec![ContextValue::String(b)]);
        }
    }
    for (key, value) in &facts.extra_keys {
        context.set(key, vec![ContextValue::String(value.clone())]);
    }
    Ok(())
}

/// AWS's AccessDenied message: who, what, on which resource, and why.
fn denied(
    principal: &Principal,
    facts: &RequestFacts<'_>,
    why: Option<(bool, Option<crate::policy::PolicyType>)>,
) -> AwsError {
    let action = facts.action;
    let head =
        format!("User: {} is not authorized to perform: {action} on resource: {}", principal.arn(), facts.resource);
    let phrase = |t: Option<crate::policy::PolicyType>| t.map_or("identity-based policy", |t| t.phrase());
    AwsError::AccessDenied(match why {
        Some((true, by)) => format!("{head} with an explicit deny in {} {}", article(phrase(by)), phrase(by)),
        Some((false, by)) => format!("{head} because no {} allows the {action} action", phrase(by)),
        None => format!("{head} because no identity-based policy allows the {action} action"),
    })
}

fn article(phrase: &str) -> &'static str {
    if phrase.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" }
}

/// The account field of an ARN (`arn:partition:service:region:account:resource`).
fn resource_account(arn: &str) -> Option<&str> {
    arn.split(':').nth(4)
}
