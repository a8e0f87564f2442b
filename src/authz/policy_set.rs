//! Loading what a decision needs: a principal's policy set (user inline + attached + each
//! group's, or the role's, plus boundary and session policies) and the request's target, from
//! the store's read view. Records come from the view, which every change invalidates, so a
//! policy change takes effect on the very next request; documents are parsed once per text.

use std::sync::Arc;

use super::documents::DocumentCache;
use crate::arn::Arn;
use crate::error::AwsError;
use crate::iam::policy_docs::{PolicyArn, policy_not_found};
use crate::policy::{EvaluationInput, PolicyDocument, PolicyRef, RequestContext};
use crate::principal::{Caller, Principal};
use crate::protocol::Tag;
use crate::store::Store;
use crate::store::view::RecordCache;
use crate::store::{GroupRecord, ManagedPolicyRecord, PolicyHolding, RoleRecord, UserRecord};
use crate::sts::token::SessionClaims;

/// The `SourcePolicyType` real AWS simulations report for identity policies, inline or managed.
pub const IAM_POLICY: &str = "IAM Policy";

/// What the request is about, when it is an IAM user or role: its tags (`aws:ResourceTag/…`,
/// `iam:ResourceTag/…`) and its permissions boundary (`iam:PermissionsBoundary`).
#[derive(Debug, Default, Clone)]
pub struct Target {
    pub tags: Vec<Tag>,
    pub boundary: Option<String>,
}

/// Distinct identities whose policy sets are kept loaded.
const IDENTITY_CAPACITY: usize = 10_000;

/// Loaded policy sets of users and roles, and parsed documents. Each set is tagged with its
/// account's change generation, so any change in the account (to the identity, a group, a
/// managed policy) makes the next request load it again.
pub struct AuthzCache {
    documents: DocumentCache,
    identities: RecordCache<String, IdentityPolicies>,
}

impl Default for AuthzCache {
    fn default() -> Self {
        Self { documents: DocumentCache::default(), identities: RecordCache::new(IDENTITY_CAPACITY) }
    }
}

/// Where loading reads from: the store's view and the caches above it.
pub struct Loader<'a> {
    pub store: &'a Store,
    documents: &'a DocumentCache,
    identities: &'a RecordCache<String, IdentityPolicies>,
}

impl AuthzCache {
    #[must_use]
    pub fn loader<'a>(&'a self, store: &'a Store) -> Loader<'a> {
        Loader { store, documents: &self.documents, identities: &self.identities }
    }
}

/// A user's or role's own policies and tags, as loaded once and shared by its requests.
pub struct IdentityPolicies {
    pub policies: PrincipalPolicies,
    pub tags: Vec<Tag>,
}

/// What a caller's requests are decided by: its identity's policies (shared), its session's
/// policies, and the tags it carries.
pub struct CallerPolicies {
    identity: Option<Arc<IdentityPolicies>>,
    session: Option<Vec<LoadedPolicy>>,
    /// A role session's tags (the role's merged with the session's); else the identity's.
    session_tags: Option<Vec<Tag>>,
}

impl CallerPolicies {
    /// The tags the caller carries (`aws:PrincipalTag/…`).
    #[must_use]
    pub fn tags(&self) -> &[Tag] {
        match (&self.session_tags, &self.identity) {
            (Some(t), _) => t,
            (None, Some(i)) => &i.tags,
            (None, None) => &[],
        }
    }

    /// An engine input for `context` using these policies.
    #[must_use]
    pub fn input<'a>(&'a self, context: &'a RequestContext) -> EvaluationInput<'a> {
        let mut input = match &self.identity {
            Some(i) => i.policies.input(context),
            None => EvaluationInput::new(context),
        };
        if let Some(s) = &self.session {
            input.session_policies = Some(s.iter().map(LoadedPolicy::as_ref).collect());
        }
        input
    }
}

/// A parsed policy with the names Simulate* reports for it: managed policies by name, inline
/// ones as `{user|group|role}_{entity}_{policy}`, as AWS's simulator names them.
pub struct LoadedPolicy {
    pub source_id: String,
    pub source_type: String,
    pub document: Arc<PolicyDocument>,
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

/// Parses a stored document, once per distinct text; stored documents were validated on the
/// way in, so a failure means corruption and is reported as such.
fn parse_stored(app: &Loader<'_>, text: &str) -> Result<Arc<PolicyDocument>, AwsError> {
    app.documents.parse(text, || {
        crate::iam::policy_docs::parse_identity(text, false)
            .map_err(|e| AwsError::internal(&format!("stored policy no longer parses: {e}")))
    })
}

/// A managed policy's default document: AWS's own are parsed as AWS wrote them.
fn parse_managed(app: &Loader<'_>, p: &ManagedPolicyRecord) -> Result<Arc<PolicyDocument>, AwsError> {
    if !p.aws_managed {
        return parse_stored(app, p.default_document());
    }
    let text = p.default_document();
    app.documents.parse(text, || {
        crate::iam::policy_docs::parse_aws_managed(text)
            .map_err(|e| AwsError::internal(&format!("an AWS managed policy does not parse: {e}")))
    })
}

/// The account's managed policy named exactly by `arn`.
///
/// # Errors
/// `ValidationError` for a malformed ARN, `NoSuchEntity`, store failures.
pub fn managed_policy(app: &Loader<'_>, account: &str, arn: &str) -> Result<Arc<ManagedPolicyRecord>, AwsError> {
    let parsed = PolicyArn::parse(arn)?;
    if parsed.account == crate::iam::aws_managed::ACCOUNT {
        let catalogue = crate::iam::aws_managed::get(arn).ok_or_else(|| policy_not_found(arn))?;
        let name = crate::store::records::aws_store_name(&catalogue.name);
        return Ok(app.store.policy_arc(account, &name)?.unwrap_or(catalogue));
    }
    if parsed.account != account {
        return Err(policy_not_found(arn));
    }
    app.store
        .policy_arc(account, &parsed.name)?
        .filter(|p| p.path == parsed.path && p.name == parsed.name)
        .ok_or_else(|| policy_not_found(arn))
}

fn load_managed(app: &Loader<'_>, account: &str, arn: &str) -> Result<Option<LoadedPolicy>, AwsError> {
    let p = match managed_policy(app, account, arn) {
        Ok(p) => p,
        Err(AwsError::NoSuchEntity(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    Ok(Some(LoadedPolicy {
        source_id: p.name.clone(),
        source_type: IAM_POLICY.into(),
        document: parse_managed(app, &p)?,
    }))
}

/// An identity's own inline and attached policies and its boundary; inline ones are named
/// `{word}_{name}_{policy}`, as AWS's simulator names them.
fn held_policies(
    app: &Loader<'_>,
    word: &str,
    name: &str,
    account: &str,
    held: &PolicyHolding,
    boundary: Option<&str>,
) -> Result<PrincipalPolicies, AwsError> {
    let mut out = PrincipalPolicies::default();
    for p in &held.inline {
        out.identity.push(LoadedPolicy {
            source_id: format!("{word}_{name}_{}", p.name),
            source_type: IAM_POLICY.into(),
            document: parse_stored(app, &p.document)?,
        });
    }
    for arn in &held.attached {
        out.identity.extend(load_managed(app, account, arn)?);
    }
    if let Some(arn) = boundary {
        out.boundary = load_managed(app, account, arn)?;
    }
    Ok(out)
}

/// The policies of a user: its inline and attached ones, its groups' inline and attached ones,
/// and its permissions boundary.
///
/// # Errors
/// Store failures.
pub fn user_policies(app: &Loader<'_>, user: &UserRecord) -> Result<PrincipalPolicies, AwsError> {
    let account = user.account.as_str();
    let mut out =
        held_policies(app, "user", &user.name, account, &user.policies, user.permissions_boundary.as_deref())?;
    for group_name in &user.groups {
        if let Some(group) = app.store.group_arc(account, group_name)? {
            out.identity.extend(group_policies(app, &group)?.identity);
        }
    }
    Ok(out)
}

/// A group's inline and attached policies (groups have no permissions boundary).
///
/// # Errors
/// Store failures.
pub fn group_policies(app: &Loader<'_>, group: &GroupRecord) -> Result<PrincipalPolicies, AwsError> {
    held_policies(app, "group", &group.name, &group.account, &group.policies, None)
}

/// The policies of a role: inline, attached, and its permissions boundary.
///
/// # Errors
/// Store failures.
pub fn role_policies(app: &Loader<'_>, role: &RoleRecord) -> Result<PrincipalPolicies, AwsError> {
    held_policies(app, "role", &role.name, &role.account, &role.policies, role.permissions_boundary.as_deref())
}

/// The session policies a token carries (inline policy and managed policy ARNs), or `None` when
/// it carries none, so the session has the full permissions of its identity.
///
/// # Errors
/// Store failures.
pub fn session_policies(app: &Loader<'_>, claims: &SessionClaims) -> Result<Option<Vec<LoadedPolicy>>, AwsError> {
    if claims.policy.is_none() && claims.policy_arns.is_empty() {
        return Ok(None);
    }
    let mut out = Vec::new();
    if let Some(text) = &claims.policy {
        out.push(LoadedPolicy {
            source_id: "session".into(),
            source_type: "session".into(),
            document: parse_stored(app, text)?,
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
pub fn caller_policies(app: &Loader<'_>, caller: &Caller) -> Result<CallerPolicies, AwsError> {
    let session = caller.session.as_deref();
    match &caller.principal {
        Principal::Root { .. } => Ok(CallerPolicies { identity: None, session: None, session_tags: None }),
        Principal::User { account, name, .. } => {
            let key = format!("user/{account}/{}", name.to_lowercase());
            let identity = app.identities.get_or_load(app.store.generation(account), key.as_str(), || {
                let user = app.store.user_arc(account, name)?.ok_or_else(AwsError::invalid_token)?;
                Ok(Some(IdentityPolicies { policies: user_policies(app, &user)?, tags: user.tags.clone() }))
            })?;
            Ok(CallerPolicies { identity, session: None, session_tags: None })
        }
        Principal::AssumedRole { account, role_name, role_id, .. } => {
            // A role deleted (or recreated under the same name) since the session began leaves the
            // session with no permissions, as in AWS.
            let key = format!("role/{account}/{}/{role_id}", role_name.to_lowercase());
            let identity = app.identities.get_or_load(app.store.generation(account), key.as_str(), || {
                let role = app.store.role_arc(account, role_name)?.filter(|r| r.id == *role_id);
                Ok(match &role {
                    Some(r) => Some(IdentityPolicies { policies: role_policies(app, r)?, tags: r.tags.clone() }),
                    None => None,
                })
            })?;
            let role_tags = identity.as_ref().map(|i| i.tags.as_slice()).unwrap_or_default();
            let tags = session_tags(role_tags, session.map(|s| s.tags.as_slice()).unwrap_or_default());
            let session = match session {
                Some(claims) => session_policies(app, claims)?,
                None => None,
            };
            Ok(CallerPolicies { identity, session, session_tags: Some(tags) })
        }
    }
}

/// The IAM user or role `resource` names in `account`, if it exists: what its tags and boundary
/// add to the request context.
///
/// # Errors
/// Store failures.
pub fn load_target(app: &Loader<'_>, account: &str, resource: &str) -> Result<Option<Target>, AwsError> {
    let Some(arn) = Arn::parse(resource).filter(|a| a.service == "iam" && a.account == account) else {
        return Ok(None);
    };
    Ok(match arn.iam_typed() {
        Some(("user", _, name)) => app
            .store
            .user_arc(account, name)?
            .map(|u| Target { tags: u.tags.clone(), boundary: u.permissions_boundary.clone() }),
        Some(("role", _, name)) => app
            .store
            .role_arc(account, name)?
            .map(|r| Target { tags: r.tags.clone(), boundary: r.permissions_boundary.clone() }),
        _ => None,
    })
}
