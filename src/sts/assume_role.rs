//! AssumeRole: the role's trust policy (a resource-based policy that must allow) and the caller's
//! own policies decide, through the policy engine; the session gets the role's permissions
//! narrowed by any session policies, and carries tags and source identity as AWS does.

use time::Duration;

use super::credentials::{self, Issued, SessionExtras};
use crate::arn::Arn;
use crate::authz::{self, CallerPolicies, RequestFacts};
use crate::error::AwsError;
use crate::iam::tags;
use crate::operation::{Ctx, Operation, Service};
use crate::policy::{
    ContextValue, Decision, PolicyDocument, PolicyKind, PolicyRef, RequestContext, ResourcePolicyMode,
    ResourcePolicyRef, evaluate,
};
use crate::principal::Principal;
use crate::protocol::rules::{ARN, EXTERNAL_ID, MAX_TAGS, ROLE_DURATION, ROLE_SESSION_NAME, SOURCE_IDENTITY, TAG_KEY};
use crate::protocol::{Params, Tag, WriteXml, XmlOut};
use crate::store::RoleRecord;

/// Sessions of a role assumed by another role's session last at most an hour.
pub const CHAINED_MAX_DURATION: i64 = 3600;
/// AssumeRole's default duration.
pub const DEFAULT_DURATION: i64 = 3600;
/// A role ARN, taken apart.
struct RoleArn {
    account: String,
    path: String,
    name: String,
}

impl RoleArn {
    /// Parses `arn:aws:iam::ACCOUNT:role/PATH/NAME`; anything else is AWS's "… is invalid".
    fn parse(arn: &str) -> Result<Self, AwsError> {
        let invalid = || AwsError::ValidationError(format!("{arn} is invalid"));
        let parsed = Arn::parse(arn).ok_or_else(invalid)?;
        if parsed.partition.is_empty() || parsed.service.is_empty() || parsed.account.is_empty() {
            return Err(invalid());
        }
        let (path, name) = parsed.iam_entity("role").ok_or_else(invalid)?;
        if name.is_empty() {
            return Err(invalid());
        }
        Ok(Self { account: parsed.account.to_owned(), path, name: name.to_owned() })
    }
}

pub struct AssumeRole {
    role_arn: String,
    session_name: String,
    session_policies: credentials::SessionPolicyInput,
    duration: i64,
    tags: Vec<Tag>,
    transitive_tag_keys: Vec<String>,
    external_id: Option<String>,
    source_identity: Option<String>,
    serial: Option<String>,
    code: Option<String>,
}

pub struct AssumeRoleResult {
    credentials: Issued,
    assumed_role_id: String,
    arn: String,
    packed_policy_size: Option<usize>,
    source_identity: Option<String>,
}

impl WriteXml for AssumeRoleResult {
    fn write(&self, w: &mut XmlOut) {
        self.credentials.write(w);
        w.elem("AssumedRoleUser", |w| {
            w.text("AssumedRoleId", &self.assumed_role_id);
            w.text("Arn", &self.arn);
        });
        if let Some(size) = self.packed_policy_size {
            w.int("PackedPolicySize", i64::try_from(size).unwrap_or(i64::MAX));
        }
        w.opt_text("SourceIdentity", self.source_identity.as_deref());
    }
}

fn invalid_param(message: &str) -> AwsError {
    AwsError::InvalidParameterValue(message.into())
}

impl Operation for AssumeRole {
    const NAME: &'static str = "AssumeRole";
    const SERVICE: Service = Service::Sts;
    const MUTATES: bool = true;
    // Decided below: the trust policy takes part, which the generic check cannot know.
    const NEEDS_PERMISSION: bool = false;
    type Output = AssumeRoleResult;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let role_arn = f.str("RoleArn", &ARN);
        let session_name = f.str("RoleSessionName", &ROLE_SESSION_NAME);
        let session_policies = credentials::SessionPolicyInput::read(&mut f);
        let duration = f.opt_int("DurationSeconds", &ROLE_DURATION).unwrap_or(DEFAULT_DURATION);
        let tags = f.tags("Tags").unwrap_or_default();
        let transitive_tag_keys = f.str_list("TransitiveTagKeys", &TAG_KEY, MAX_TAGS).unwrap_or_default();
        let external_id = f.opt_str("ExternalId", &EXTERNAL_ID);
        let source_identity = f.opt_str("SourceIdentity", &SOURCE_IDENTITY);
        let serial = f.opt_str("SerialNumber", &credentials::MFA_SERIAL);
        let code = f.opt_str("TokenCode", &credentials::TOKEN_CODE);
        f.finish()?;
        RoleArn::parse(&role_arn)?;
        session_policies.validate()?;
        if tags::has_duplicate_keys(&tags) {
            return Err(invalid_param(tags::DUPLICATE_KEYS));
        }
        if !transitive_tag_keys.iter().all(|k| tags.iter().any(|t| t.key.eq_ignore_ascii_case(k))) {
            return Err(invalid_param("The specified transitive tag key must be included in the requested tags."));
        }
        if source_identity.as_deref().is_some_and(|s| s.to_lowercase().starts_with("aws:")) {
            return Err(invalid_param("SourceIdentity must not start with 'aws:'."));
        }
        Ok(Self {
            role_arn,
            session_name,
            session_policies,
            duration,
            tags,
            transitive_tag_keys,
            external_id,
            source_identity,
            serial,
            code,
        })
    }

    fn resource(&self, _: &Ctx<'_>) -> Result<String, AwsError> {
        Ok(self.role_arn.clone())
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<AssumeRoleResult, AwsError> {
        let caller = ctx.caller;
        if matches!(caller.principal, Principal::Root { .. }) {
            return Err(AwsError::AccessDenied("Roles may not be assumed by root accounts.".into()));
        }
        // The code is checked first: the trust policy may ask for MFA. A session that was got
        // with MFA passes its sign-in on to the role sessions it starts.
        let mfa_now = credentials::mfa_sign_in(
            ctx.app,
            &caller.principal,
            self.serial.as_deref(),
            self.code.as_deref(),
            ctx.now,
        )?;
        let mfa_authenticated_at = mfa_now.or_else(|| caller.session.as_ref().and_then(|s| s.mfa_authenticated_at));
        let denied = || {
            AwsError::AccessDenied(format!(
                "User: {} is not authorized to perform: sts:AssumeRole on resource: {}",
                caller.principal.arn(),
                self.role_arn
            ))
        };
        let target = RoleArn::parse(&self.role_arn)?;
        let role = ctx
            .app
            .store
            .role(&target.account, &target.name)?
            .filter(|r| r.path == target.path && r.name == target.name)
            .ok_or_else(denied)?;

        // What the calling session passes on: its transitive tags and its source identity.
        let session = caller.session.as_deref();
        let inherited: Vec<Tag> = session
            .map(|s| {
                s.tags
                    .iter()
                    .filter(|t| s.transitive_tag_keys.iter().any(|k| k.eq_ignore_ascii_case(&t.key)))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        if self.tags.iter().any(|t| inherited.iter().any(|i| i.key.eq_ignore_ascii_case(&t.key))) {
            return Err(invalid_param(
                "One of the specified transitive tag keys can't be set because it conflicts with a transitive tag key from the calling session.",
            ));
        }
        let inherited_source = session.and_then(|s| s.source_identity.clone());
        if let (Some(old), Some(new)) = (&inherited_source, &self.source_identity)
            && old != new
        {
            return Err(invalid_param("The source identity of a role session cannot be changed once set."));
        }

        // The caller's policies and the trust policy are loaded once for every action checked.
        let trust = self.trust_check(ctx, &role, mfa_now.is_some())?;
        if !trust.allows("sts:AssumeRole", &self.role_arn) {
            return Err(denied());
        }
        // Duration limits only once the caller is known to be allowed: they are the role's business.
        let chained = matches!(caller.principal, Principal::AssumedRole { .. });
        if chained && self.duration > CHAINED_MAX_DURATION {
            return Err(AwsError::ValidationError(
                "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
                    .into(),
            ));
        }
        if self.duration > role.max_session_duration {
            return Err(AwsError::ValidationError(
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.".into(),
            ));
        }
        let needed = [
            (!self.tags.is_empty()).then_some("sts:TagSession"),
            self.source_identity.is_some().then_some("sts:SetSourceIdentity"),
        ];
        for action in needed.into_iter().flatten() {
            if !trust.allows(action, &self.role_arn) {
                return Err(AwsError::AccessDenied(format!(
                    "User: {} is not authorized to perform: {action} on resource: {}",
                    caller.principal.arn(),
                    self.role_arn
                )));
            }
        }

        let mut tags = inherited;
        tags.extend(self.tags.iter().cloned());
        let mut transitive: Vec<String> = session
            .map(|s| s.transitive_tag_keys.clone())
            .unwrap_or_default()
            .into_iter()
            .chain(self.transitive_tag_keys.iter().cloned())
            .collect();
        transitive.dedup_by(|a, b| a.eq_ignore_ascii_case(b));

        let packed_policy_size = credentials::check_session_policies(
            ctx.app,
            &role.account,
            self.session_policies.policy.as_deref(),
            &self.session_policies.policy_arns,
            &tags,
        )?;
        let source_identity = self.source_identity.clone().or(inherited_source);
        let (identity, assumed_role_id, arn) = credentials::role_session(&role, &self.session_name);
        let credentials = credentials::issue(
            ctx.app,
            &role.account,
            identity,
            ctx.now,
            Duration::seconds(self.duration),
            SessionExtras {
                policy: self.session_policies.policy.clone(),
                policy_arns: self.session_policies.policy_arns.clone(),
                source_identity: source_identity.clone(),
                tags,
                transitive_tag_keys: transitive,
                web_identity: None,
                mfa_authenticated_at,
                saml: None,
                // A role session outlives the key that asked for it, as in AWS.
                parent_key: None,
            },
        )?;
        Ok(AssumeRoleResult { credentials, assumed_role_id, arn, packed_policy_size, source_identity })
    }
}

impl AssumeRole {
    /// What deciding `sts:*` actions on the role needs: the caller's policies, the request
    /// context (with the STS keys), and the trust policy, which must allow. The caller's own
    /// policies must allow too unless the trust policy names the caller directly, as AWS's
    /// evaluation logic says.
    fn trust_check(&self, ctx: &Ctx<'_>, role: &RoleRecord, mfa_now: bool) -> Result<TrustCheck, AwsError> {
        let caller = ctx.caller;
        let policies = authz::caller_policies(&ctx.app.loader(), caller)?;
        let facts = RequestFacts {
            action: "sts:AssumeRole",
            resource: &self.role_arn,
            now: ctx.now,
            source_ip: ctx.source_ip,
            secure_transport: ctx.secure_transport,
            region: ctx.region,
            request_tags: Some(&self.tags),
            tag_keys: None,
            extra_keys: Vec::new(),
        };
        let mut context =
            authz::request_context_with(&caller.principal, policies.tags(), caller.session.as_deref(), &facts);
        context.set("sts:RoleSessionName", vec![ContextValue::String(self.session_name.clone())]);
        if let Some(id) = &self.external_id {
            context.set("sts:ExternalId", vec![ContextValue::String(id.clone())]);
        }
        // A code given with this very request: MFA is present, and zero seconds old.
        if mfa_now {
            context.set("aws:MultiFactorAuthPresent", vec![ContextValue::Bool(true)]);
            context.set("aws:MultiFactorAuthAge", vec![ContextValue::from(0_i64)]);
        }
        if let Some(id) = &self.source_identity {
            context.set("sts:SourceIdentity", vec![ContextValue::String(id.clone())]);
        }
        if !self.transitive_tag_keys.is_empty() {
            context.set(
                "sts:TransitiveTagKeys",
                self.transitive_tag_keys.iter().cloned().map(ContextValue::String).collect(),
            );
        }
        let trust = PolicyDocument::parse(&role.trust_policy, PolicyKind::Resource)?;
        Ok(TrustCheck { policies, context, trust, account: role.account.clone() })
    }
}

/// The inputs of AssumeRole's trust decisions, loaded once.
struct TrustCheck {
    policies: CallerPolicies,
    context: RequestContext,
    trust: PolicyDocument,
    account: String,
}

impl TrustCheck {
    /// Whether the trust policy and the caller's policies allow `action` on `role_arn`.
    fn allows(&self, action: &str, role_arn: &str) -> bool {
        let context = self.context.with_request(action, role_arn);
        let mut input = self.policies.input(&context);
        input.resource_policy = Some(ResourcePolicyRef {
            policy: PolicyRef { source_id: "AssumeRolePolicyDocument", source_type: "resource", document: &self.trust },
            mode: ResourcePolicyMode::Required,
        });
        input.resource_account = Some(&self.account);
        evaluate(&input).decision == Decision::Allowed
    }
}
