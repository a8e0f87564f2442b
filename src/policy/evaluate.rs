//! AWS's policy evaluation logic (IAM User Guide, `reference_policies_evaluation-logic` and
//! `reference_policies_evaluation-logic-cross-account`):
//!
//! 1. An explicit `Deny` in any applicable policy — identity, permissions boundary, session or
//!    resource-based — decides: `explicitDeny`.
//! 2. Otherwise the request needs an `Allow`. Within one account an allow in an identity-based
//!    policy *or* in the resource-based policy is enough, but a permissions boundary (if set) and
//!    the session policies (if the caller is a session that was given some) must also allow it.
//!    How far a resource-based grant reaches depends on the principal it names:
//!    - the caller itself (an IAM user ARN, the role-session ARN, the federated-user ARN), or `*`:
//!      "an implicit deny in an identity-based policy, a permissions boundary, or a session policy
//!      does not impact the final decision";
//!    - the role a session came from, or the IAM user who federated: limited by the permissions
//!      boundary and session policies, but needs no identity-based allow;
//!    - the account (`123456789012`, `arn:aws:iam::123456789012:root`): authority is delegated
//!      to the account, so its identity-based policies must allow.
//! 3. Across accounts both sides must allow: the caller's identity-based policies (within its
//!    boundary and session policies) and the resource-based policy.
//! 4. Role trust policies are resource-based policies that *must* allow ("IAM role trust policies
//!    and KMS key policies are exceptions … they must explicitly allow access for principals"):
//!    pass them with [`ResourcePolicyMode::Required`].
//!
//! Root: "all requests are implicitly denied with the exception of the AWS account root user,
//! which has full access". The engine does not special-case it; the caller decides (skip
//! evaluation for root in its own account, or evaluate only explicit denies it wants to honour).
//! A root `PrincipalRef` passed in has no identity policies, so only a resource-based policy can
//! allow it here.
//!
//! Sessions: pass `session_policies: None` when the caller is not a session, or is a role session
//! created without session policies (its permissions are the role's). Pass `Some(vec![])` for a
//! session whose session policies allow nothing — including a `GetFederationToken` session made
//! without a policy, which "is implicitly denied" per the evaluation-logic page.

use super::context::{PrincipalType, RequestContext};
use super::document::{Effect, PolicyDocument, PrincipalOutcome};
use super::positions::Position;
use super::principal::PrincipalMatch;

/// A policy with the labels Simulate reports for it.
#[derive(Debug, Clone, Copy)]
pub struct PolicyRef<'a> {
    /// Reported as `SourcePolicyId` (a policy ARN, an inline policy name, …).
    pub source_id: &'a str,
    /// Reported as `SourcePolicyType` (AWS answers e.g. `IAM Policy`; the documented values are
    /// `user`, `group`, `role`, `aws-managed`, `user-managed`, `resource`, `none`).
    pub source_type: &'a str,
    /// The policy.
    pub document: &'a PolicyDocument,
}

/// How a resource-based policy combines with the caller's own policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourcePolicyMode {
    /// It must allow, whatever the identity policies say: role trust policies (`sts:AssumeRole*`).
    Required,
    /// It may allow on its own within the account (bucket policies and the like).
    Additive,
}

/// The resource-based policy of the requested resource.
#[derive(Debug, Clone, Copy)]
pub struct ResourcePolicyRef<'a> {
    /// The policy.
    pub policy: PolicyRef<'a>,
    /// Whether it must allow.
    pub mode: ResourcePolicyMode,
}

/// Everything one decision needs.
#[derive(Debug, Clone)]
pub struct EvaluationInput<'a> {
    /// The request.
    pub context: &'a RequestContext,
    /// The caller's identity-based policies (user inline + attached + groups', or role's).
    pub identity_policies: Vec<PolicyRef<'a>>,
    /// The caller's permissions boundary, if one is set.
    pub permissions_boundary: Option<PolicyRef<'a>>,
    /// The session policies; `None` when there are none (see the module docs).
    pub session_policies: Option<Vec<PolicyRef<'a>>>,
    /// The resource-based policy, if the resource has one.
    pub resource_policy: Option<ResourcePolicyRef<'a>>,
    /// The account owning the resource; `None` means the caller's own account.
    pub resource_account: Option<&'a str>,
}

impl<'a> EvaluationInput<'a> {
    /// An input with no policies yet.
    #[must_use]
    pub fn new(context: &'a RequestContext) -> Self {
        EvaluationInput {
            context,
            identity_policies: Vec::new(),
            permissions_boundary: None,
            session_policies: None,
            resource_policy: None,
            resource_account: None,
        }
    }
}

/// The outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Allowed.
    Allowed,
    /// Denied by a `Deny` statement.
    ExplicitDeny,
    /// Not allowed by what had to allow it.
    ImplicitDeny,
}

impl Decision {
    /// The value of Simulate's `EvalDecision`.
    #[must_use]
    pub fn as_aws_str(self) -> &'static str {
        match self {
            Decision::Allowed => "allowed",
            Decision::ExplicitDeny => "explicitDeny",
            Decision::ImplicitDeny => "implicitDeny",
        }
    }
}

/// Which kind of policy a statement came from, or which kind failed to allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyType {
    /// An identity-based policy.
    Identity,
    /// The permissions boundary.
    PermissionsBoundary,
    /// A session policy.
    Session,
    /// The resource-based policy.
    Resource,
}

impl PolicyType {
    /// The phrase AWS uses in `AccessDenied` messages ("… with an explicit deny in an
    /// identity-based policy", "… because no session policy allows the … action").
    #[must_use]
    pub fn phrase(self) -> &'static str {
        match self {
            PolicyType::Identity => "identity-based policy",
            PolicyType::PermissionsBoundary => "permissions boundary",
            PolicyType::Session => "session policy",
            PolicyType::Resource => "resource-based policy",
        }
    }
}

/// A statement that decided the result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedStatement {
    /// The `source_id` of its policy.
    pub source_policy_id: String,
    /// The `source_type` of its policy.
    pub source_policy_type: String,
    /// Which kind of policy it is in.
    pub policy_type: PolicyType,
    /// Its `Sid`.
    pub sid: Option<String>,
    /// Its effect.
    pub effect: Effect,
    /// Just after its opening brace.
    pub start_position: Position,
    /// Just after its closing brace.
    pub end_position: Position,
}

/// The result of [`evaluate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    /// The decision.
    pub decision: Decision,
    /// For `ExplicitDeny` the `Deny` statements that matched; for `Allowed` the `Allow`
    /// statements that matched; empty for `ImplicitDeny`.
    pub matched_statements: Vec<MatchedStatement>,
    /// Condition keys (as written in the policies) that applicable statements needed and the
    /// request lacked, first occurrence first, without case-insensitive duplicates.
    pub missing_context_values: Vec<String>,
    /// For a denial, the kind of policy responsible: the first explicit deny's, or the first kind
    /// that had to allow and did not (checked in the order resource-based when required, identity,
    /// boundary, session, resource-based).
    pub denied_by: Option<PolicyType>,
    /// Whether the permissions boundary allows the request (`None` when there is none), for
    /// Simulate's `PermissionsBoundaryDecisionDetail`.
    pub allowed_by_permissions_boundary: Option<bool>,
}

/// Decides a request.
#[must_use]
pub fn evaluate(input: &EvaluationInput<'_>) -> Evaluation {
    let ctx = input.context;
    let mut missing = Vec::new();
    let identity = evaluate_set(&input.identity_policies, PolicyType::Identity, ctx, &mut missing);
    let boundary =
        input.permissions_boundary.map(|b| evaluate_set(&[b], PolicyType::PermissionsBoundary, ctx, &mut missing));
    let session = input.session_policies.as_ref().map(|s| evaluate_set(s, PolicyType::Session, ctx, &mut missing));
    let resource = input.resource_policy.map(|r| evaluate_set(&[r.policy], PolicyType::Resource, ctx, &mut missing));

    // A boundary that also denies the request does not allow it.
    let allowed_by_permissions_boundary = boundary.as_ref().map(|b| !b.allows.is_empty() && b.denies.is_empty());
    let missing_context_values = dedupe(missing);
    let all = [Some(&identity), boundary.as_ref(), session.as_ref(), resource.as_ref()];
    let denies: Vec<MatchedStatement> = all.iter().flatten().flat_map(|r| r.denies.iter().cloned()).collect();
    if let Some(first) = denies.first() {
        return Evaluation {
            decision: Decision::ExplicitDeny,
            denied_by: Some(first.policy_type),
            matched_statements: denies,
            missing_context_values,
            allowed_by_permissions_boundary,
        };
    }

    let verdict = decide(input, &identity, boundary.as_ref(), session.as_ref(), resource.as_ref());
    match verdict {
        Ok(()) => Evaluation {
            decision: Decision::Allowed,
            matched_statements: all.iter().flatten().flat_map(|r| r.allows.iter().cloned()).collect(),
            missing_context_values,
            denied_by: None,
            allowed_by_permissions_boundary,
        },
        Err(kind) => Evaluation {
            decision: Decision::ImplicitDeny,
            matched_statements: Vec::new(),
            missing_context_values,
            denied_by: Some(kind),
            allowed_by_permissions_boundary,
        },
    }
}

/// The allow logic, once no explicit deny applies. `Err` names the kind of policy that failed to
/// allow.
fn decide(
    input: &EvaluationInput<'_>,
    identity: &SetResult,
    boundary: Option<&SetResult>,
    session: Option<&SetResult>,
    resource: Option<&SetResult>,
) -> Result<(), PolicyType> {
    let grant = resource.and_then(|r| r.best_grant);
    let caller = input.context.principal.as_ref().filter(|p| {
        matches!(
            p.kind,
            PrincipalType::Root | PrincipalType::User | PrincipalType::AssumedRole | PrincipalType::FederatedUser
        )
    });
    // Services, identity-provider users, canonical users and anonymous callers have no policies
    // of their own: only the resource-based policy can allow them.
    let Some(caller) = caller else {
        return grant.map(|_| ()).ok_or(PolicyType::Resource);
    };
    let required = input.resource_policy.is_some_and(|r| r.mode == ResourcePolicyMode::Required);
    if required && grant.is_none() {
        return Err(PolicyType::Resource);
    }
    let identity_ok = || {
        if identity.allows.is_empty() { Err(PolicyType::Identity) } else { Ok(()) }
    };
    let limits_ok = || {
        if boundary.is_some_and(|b| b.allows.is_empty()) {
            return Err(PolicyType::PermissionsBoundary);
        }
        if session.is_some_and(|s| s.allows.is_empty()) {
            return Err(PolicyType::Session);
        }
        Ok(())
    };
    let same_account = input.resource_account.is_none_or(|a| a == caller.account);
    if same_account {
        match grant {
            Some(PrincipalMatch::Direct) => Ok(()),
            Some(PrincipalMatch::Parent) => limits_ok(),
            Some(PrincipalMatch::Account) | None => {
                identity_ok()?;
                limits_ok()
            }
        }
    } else {
        identity_ok()?;
        limits_ok()?;
        grant.map(|_| ()).ok_or(PolicyType::Resource)
    }
}

struct SetResult {
    allows: Vec<MatchedStatement>,
    denies: Vec<MatchedStatement>,
    /// The widest way a resource-based `Allow` named the caller.
    best_grant: Option<PrincipalMatch>,
}

fn evaluate_set(
    policies: &[PolicyRef<'_>],
    policy_type: PolicyType,
    ctx: &RequestContext,
    missing: &mut Vec<String>,
) -> SetResult {
    let mut result = SetResult { allows: Vec::new(), denies: Vec::new(), best_grant: None };
    for policy in policies {
        for statement in policy.document.statements() {
            if !statement.action_applies(&ctx.action) {
                continue;
            }
            let named = match statement.principal_outcome(ctx.principal.as_ref()) {
                PrincipalOutcome::NotNamed => continue,
                PrincipalOutcome::Named(how) => Some(how),
                // A resource-based statement without a principal names nobody it could grant to;
                // a deny there still applies (parsing refuses such statements anyway).
                PrincipalOutcome::Unspecified
                    if policy_type == PolicyType::Resource && statement.effect() == Effect::Allow =>
                {
                    continue;
                }
                PrincipalOutcome::Unspecified => None,
            };
            if !statement.resource_applies(ctx, missing) || !statement.conditions_hold(ctx, missing) {
                continue;
            }
            let span = statement.span();
            let matched = MatchedStatement {
                source_policy_id: policy.source_id.to_owned(),
                source_policy_type: policy.source_type.to_owned(),
                policy_type,
                sid: statement.sid().map(str::to_owned),
                effect: statement.effect(),
                start_position: span.start,
                end_position: span.end,
            };
            match statement.effect() {
                Effect::Deny => result.denies.push(matched),
                Effect::Allow => {
                    result.allows.push(matched);
                    if policy_type == PolicyType::Resource {
                        result.best_grant = result.best_grant.max(named);
                    }
                }
            }
        }
    }
    result
}

fn dedupe(keys: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    keys.into_iter().filter(|k| seen.insert(k.to_lowercase())).collect()
}
