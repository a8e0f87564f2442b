//! Authorization: every request that needs a permission is decided by the policy engine against
//! the caller's policies, loaded fresh so a policy change takes effect on the very next request.
//! The root of an account may do everything in it, as in AWS.

use std::net::IpAddr;

use time::OffsetDateTime;

use crate::app::App;
use crate::error::AwsError;
use crate::iam::managed_policies;
use crate::policy::{
    ContextValue, Decision, EvaluationInput, PolicyDocument, PolicyRef, PrincipalRef, PrincipalType, RequestContext,
    evaluate,
};
use crate::principal::Principal;
use crate::protocol::Tag;
use crate::store::{ManagedPolicyRecord, UserRecord};

/// A parsed policy with the names Simulate* reports for it.
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

/// The identity policies and permissions boundary that apply to a principal.
#[derive(Default)]
pub struct PrincipalPolicies {
    pub identity: Vec<LoadedPolicy>,
    pub boundary: Option<LoadedPolicy>,
}

impl PrincipalPolicies {
    /// An engine input for `context` using these policies.
    #[must_use]
    pub fn input<'a>(&'a self, context: &'a RequestContext) -> EvaluationInput<'a> {
        let mut input = EvaluationInput::new(context);
        input.identity_policies = self.identity.iter().map(LoadedPolicy::as_ref).collect();
        input.permissions_boundary = self.boundary.as_ref().map(LoadedPolicy::as_ref);
        input
    }
}

/// Parses a stored document; stored documents were validated on the way in, so a failure means
/// corruption and is reported as such.
fn parse_stored(text: &str) -> Result<PolicyDocument, AwsError> {
    crate::iam::policy_docs::parse_identity(text, false)
        .map_err(|e| AwsError::internal(&format!("stored policy no longer parses: {e}")))
}

fn managed(app: &App, account: &str, arn: &str) -> Result<Option<ManagedPolicyRecord>, AwsError> {
    match managed_policies::load_policy(app, account, arn) {
        Ok(p) => Ok(Some(p)),
        Err(AwsError::NoSuchEntity(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

fn load_managed(app: &App, account: &str, arn: &str) -> Result<Option<LoadedPolicy>, AwsError> {
    let Some(p) = managed(app, account, arn)? else { return Ok(None) };
    Ok(Some(LoadedPolicy {
        source_id: p.arn(),
        source_type: "IAM Policy".into(),
        document: parse_stored(p.default_document())?,
    }))
}

/// The policies of a user: its inline and attached ones, its groups' inline and attached ones,
/// and its permissions boundary.
///
/// # Errors
/// Store failures.
pub fn user_policies(app: &App, user: &UserRecord) -> Result<PrincipalPolicies, AwsError> {
    let account = user.account.as_str();
    let mut out = PrincipalPolicies::default();
    for p in &user.policies.inline {
        out.identity.push(LoadedPolicy {
            source_id: p.name.clone(),
            source_type: "user".into(),
            document: parse_stored(&p.document)?,
        });
    }
    for arn in &user.policies.attached {
        out.identity.extend(load_managed(app, account, arn)?);
    }
    for group_name in &user.groups {
        let Some(group) = app.store.group(account, group_name)? else { continue };
        for p in &group.policies.inline {
            out.identity.push(LoadedPolicy {
                source_id: p.name.clone(),
                source_type: "group".into(),
                document: parse_stored(&p.document)?,
            });
        }
        for arn in &group.policies.attached {
            out.identity.extend(load_managed(app, account, arn)?);
        }
    }
    if let Some(arn) = &user.permissions_boundary {
        out.boundary = load_managed(app, account, arn)?;
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
}

/// The request context with AWS's global condition keys.
#[must_use]
pub fn request_context(principal: &Principal, user: Option<&UserRecord>, facts: &RequestFacts<'_>) -> RequestContext {
    let kind = match principal {
        Principal::Root { .. } => PrincipalType::Root,
        Principal::User { .. } => PrincipalType::User,
    };
    let mut b = RequestContext::builder(facts.action, facts.resource)
        .principal(PrincipalRef::new(kind, principal.arn(), principal.account()))
        .value("aws:PrincipalArn", principal.arn())
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
    for tag in user.map(|u| u.tags.as_slice()).unwrap_or_default() {
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

/// Decides whether `principal` may perform the request `facts` describes.
///
/// # Errors
/// `AccessDenied`, worded as AWS words the denial.
pub fn authorize(app: &App, principal: &Principal, facts: &RequestFacts<'_>) -> Result<(), AwsError> {
    match principal {
        Principal::Root { account } => {
            if facts.resource == "*" || resource_account(facts.resource) == Some(account.as_str()) {
                Ok(())
            } else {
                Err(denied(principal, facts, None))
            }
        }
        Principal::User { account, name, .. } => {
            let Some(user) = app.store.user(account, name)? else {
                return Err(AwsError::invalid_token());
            };
            let policies = user_policies(app, &user)?;
            let context = request_context(principal, Some(&user), facts);
            let evaluation = evaluate(&policies.input(&context));
            match evaluation.decision {
                Decision::Allowed => Ok(()),
                Decision::ExplicitDeny => Err(denied(principal, facts, Some((true, evaluation.denied_by)))),
                Decision::ImplicitDeny => Err(denied(principal, facts, Some((false, evaluation.denied_by)))),
            }
        }
    }
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
