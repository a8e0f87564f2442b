//! The decision: a pure function from what was loaded (the caller's policy set, the target's
//! tags and boundary) and the request's facts to Allow or AWS's AccessDenied. The root of an
//! account may do everything in it, as in AWS.

use std::net::IpAddr;

use time::OffsetDateTime;

use super::denial::Denial;
use super::policy_set::{CallerPolicies, Target};
use crate::arn::Arn;
use crate::policy::{ContextValue, Decision, PrincipalRef, PrincipalType, RequestContext, evaluate};
use crate::principal::{Caller, Principal};
use crate::protocol::Tag;
use crate::store::UserRecord;
use crate::sts::token::SessionClaims;

/// What a request context is built from, besides the principal.
pub struct RequestFacts<'a> {
    pub action: &'a str,
    pub resource: &'a str,
    pub now: OffsetDateTime,
    pub source_ip: Option<IpAddr>,
    /// Whether the request came over TLS (`aws:SecureTransport`).
    pub secure_transport: bool,
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
        Principal::FederatedUser { account, user, .. } => PrincipalRef::session(
            PrincipalType::FederatedUser,
            principal.arn(),
            account,
            user.as_ref().map_or_else(
                || format!("arn:aws:iam::{account}:root"),
                |u| format!("arn:aws:iam::{account}:user{}{}", u.path, u.name),
            ),
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
        .value("aws:SecureTransport", facts.secure_transport)
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
        // Temporary credentials always say whether MFA was used; long-term keys never do (AWS).
        b = b.value("aws:MultiFactorAuthPresent", claims.mfa_authenticated_at.is_some());
        if let Some(at) = claims.mfa_authenticated_at {
            b = b.value("aws:MultiFactorAuthAge", (facts.now.unix_timestamp() - at).max(0));
        }
        if let Principal::AssumedRole { session_name, .. } = principal {
            b = b.value("aws:RoleSessionName", session_name.as_str());
        }
        if let Some(w) = &claims.web_identity {
            b = b
                .value("aws:FederatedProvider", w.provider_arn.as_str())
                .value(&format!("{}:sub", w.provider_id), w.subject.as_str())
                .value(&format!("{}:aud", w.provider_id), w.audience.as_str());
        }
        if let Some(s) = &claims.saml {
            b = b.value("aws:FederatedProvider", s.provider_arn.as_str());
            for (key, values) in &s.keys {
                b = b.values(key, values.iter().map(|v| ContextValue::String(v.clone())));
            }
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

/// Whether the root of `account` may act on `resource`: everything in its own account.
///
/// # Errors
/// The denial of a resource of another account.
pub fn decide_root(principal: &Principal, facts: &RequestFacts<'_>) -> Result<(), Box<Denial>> {
    // S3 ARNs name no account: through the gateway, every bucket of the backend is the account's.
    // AWS managed policies (account `aws`) are every account's to read and attach; their
    // handlers refuse any change to them.
    let own = facts.resource == "*"
        || Arn::parse(facts.resource)
            .is_some_and(|a| a.account.is_empty() || a.account == principal.account() || a.account == "aws");
    if own { Ok(()) } else { Err(denied(principal, facts, None, None, &[])) }
}

/// The account of `resource` when it is another than the caller's (AWS managed policies,
/// account `aws`, and S3 ARNs, which name none, are everyone's).
fn foreign_account<'a>(principal: &Principal, resource: &'a str) -> Option<&'a str> {
    let account = Arn::parse(resource)?.account;
    (!account.is_empty() && account != "aws" && account != principal.account()).then_some(account)
}

/// Decides, from what was loaded, whether `caller` may perform the request `facts` describes.
/// Pure: no store, no clock.
///
/// # Errors
/// The denial, worded as AWS words it.
pub fn decide(
    caller: &Caller,
    policies: &CallerPolicies,
    target: Option<&Target>,
    facts: &RequestFacts<'_>,
) -> Result<(), Box<Denial>> {
    let principal = &caller.principal;
    if let Principal::Root { .. } = principal {
        return decide_root(principal, facts);
    }
    let mut context = request_context_with(principal, policies.tags(), caller.session.as_deref(), facts);
    add_target_keys(target, facts, &mut context);
    let mut input = policies.input(&context);
    // A resource of another account needs a resource-based policy too, and IAM resources have
    // none: AWS refuses them to any principal, as it does to the root.
    input.resource_account = foreign_account(principal, facts.resource);
    let evaluation = evaluate(&input);
    let why = match evaluation.decision {
        Decision::Allowed => return Ok(()),
        Decision::ExplicitDeny => (true, evaluation.denied_by),
        Decision::ImplicitDeny => (false, evaluation.denied_by),
    };
    Err(denied(principal, facts, Some(why), Some(&context), &evaluation.matched_statements))
}

/// The target's keys, then the keys the action itself supplies, which take precedence.
fn add_target_keys(target: Option<&Target>, facts: &RequestFacts<'_>, context: &mut RequestContext) {
    if let Some(t) = target {
        for tag in &t.tags {
            let value = vec![ContextValue::String(tag.value.clone())];
            context.set(&format!("aws:ResourceTag/{}", tag.key), value.clone());
            context.set(&format!("iam:ResourceTag/{}", tag.key), value);
        }
        if let Some(b) = &t.boundary {
            context.set("iam:PermissionsBoundary", vec![ContextValue::String(b.clone())]);
        }
    }
    // A key given more than once is multivalued (`sts:IdentityTokenAudience`).
    let mut seen: Vec<&str> = Vec::new();
    for (key, value) in &facts.extra_keys {
        let mut values =
            if seen.contains(key) { context.get(key).map(<[_]>::to_vec).unwrap_or_default() } else { Vec::new() };
        values.push(ContextValue::String(value.clone()));
        context.set(key, values);
        seen.push(key);
    }
}

/// AWS's AccessDenied message (who, what, on which resource, and why), and the detail behind it.
fn denied(
    principal: &Principal,
    facts: &RequestFacts<'_>,
    why: Option<(bool, Option<crate::policy::PolicyType>)>,
    context: Option<&RequestContext>,
    matched: &[crate::policy::MatchedStatement],
) -> Box<Denial> {
    let action = facts.action;
    let head =
        format!("User: {} is not authorized to perform: {action} on resource: {}", principal.arn(), facts.resource);
    let phrase = |t: Option<crate::policy::PolicyType>| t.map_or("identity-based policy", |t| t.phrase());
    let message = match why {
        Some((true, by)) => format!("{head} with an explicit deny in {} {}", article(phrase(by)), phrase(by)),
        Some((false, by)) => format!("{head} because no {} allows the {action} action", phrase(by)),
        None => format!("{head} because no identity-based policy allows the {action} action"),
    };
    let decision = if matches!(why, Some((true, _))) { Decision::ExplicitDeny } else { Decision::ImplicitDeny };
    Box::new(Denial::new(message, principal, context, action, facts.resource, decision, matched))
}

fn article(phrase: &str) -> &'static str {
    if phrase.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" }
}
