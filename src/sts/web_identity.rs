//! AssumeRoleWithWebIdentity: an unsigned request whose OpenID Connect ID token is the
//! credential. The token is verified against an IAM OIDC provider of the role's account
//! (`oidc::verify`), then the role's trust policy must allow the provider as a `Federated`
//! principal, with `HOST:aud`, `HOST:sub`, `HOST:amr`, `HOST:oaud` and the token's principal
//! tags in the context. The session is a role session like AssumeRole's.

use time::Duration;

use super::assume_role::DEFAULT_DURATION;
use super::credentials::{self, Issued, SessionExtras};
use super::federated::{FederatedCaller, find_role, trust_allows};
use super::token::WebIdentityClaims;
use crate::error::AwsError;
use crate::iam::oidc_providers::provider_arn;
use crate::oidc::verify::verify;
use crate::operation::{Ctx, Operation, Service};
use crate::policy::{PolicyDocument, PolicyKind};
use crate::protocol::rules::{ARN, ROLE_DURATION, ROLE_SESSION_NAME, StrRule};
use crate::protocol::{Params, Tag, WriteXml, XmlOut};

const WEB_IDENTITY_TOKEN: StrRule = StrRule {
    min: 4,
    max: 20_000,
    pattern: r"[\u0021-\u007E]+",
    matches: |t| t.bytes().all(|b| (0x21..=0x7e).contains(&b)),
};
const PROVIDER_ID: StrRule = StrRule { min: 4, max: 2048, pattern: "", matches: |_| true };

pub struct AssumeRoleWithWebIdentity {
    role_arn: String,
    session_name: String,
    token: String,
    duration: i64,
    session_policies: credentials::SessionPolicyInput,
}

pub struct WebIdentityResult {
    credentials: Issued,
    subject: String,
    assumed_role_id: String,
    arn: String,
    provider: String,
    audience: String,
    packed_policy_size: Option<usize>,
    source_identity: Option<String>,
}

impl WriteXml for WebIdentityResult {
    fn write(&self, w: &mut XmlOut) {
        self.credentials.write(w);
        w.text("SubjectFromWebIdentityToken", &self.subject);
        w.elem("AssumedRoleUser", |w| {
            w.text("AssumedRoleId", &self.assumed_role_id);
            w.text("Arn", &self.arn);
        });
        if let Some(size) = self.packed_policy_size {
            w.int("PackedPolicySize", i64::try_from(size).unwrap_or(i64::MAX));
        }
        w.text("Provider", &self.provider);
        w.text("Audience", &self.audience);
        w.opt_text("SourceIdentity", self.source_identity.as_deref());
    }
}

fn not_authorized() -> AwsError {
    AwsError::AccessDenied("Not authorized to perform sts:AssumeRoleWithWebIdentity".into())
}

impl Operation for AssumeRoleWithWebIdentity {
    const NAME: &'static str = "AssumeRoleWithWebIdentity";
    const SERVICE: Service = Service::Sts;
    const MUTATES: bool = true;
    const NEEDS_PERMISSION: bool = false;
    const UNSIGNED: bool = true;
    type Output = WebIdentityResult;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let role_arn = f.str("RoleArn", &ARN);
        let session_name = f.str("RoleSessionName", &ROLE_SESSION_NAME);
        let token = f.secret("WebIdentityToken", &WEB_IDENTITY_TOKEN);
        let _provider_id = f.opt_str("ProviderId", &PROVIDER_ID);
        let session_policies = credentials::SessionPolicyInput::read(&mut f);
        let duration = f.opt_int("DurationSeconds", &ROLE_DURATION).unwrap_or(DEFAULT_DURATION);
        f.finish()?;
        session_policies.validate()?;
        Ok(Self { role_arn, session_name, token, duration, session_policies })
    }

    fn resource(&self, _: &Ctx<'_>) -> Result<String, AwsError> {
        Ok(self.role_arn.clone())
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<WebIdentityResult, AwsError> {
        let role = find_role(ctx, &self.role_arn, not_authorized)?;
        let account = role.account.clone();
        let providers = ctx.app.store.account(&account)?.unwrap_or_default().oidc_providers;
        // A blocking thread (the action writes): wait here for the provider's keys, bounded by
        // the fetch timeout, without holding anything other requests need.
        let now = ctx.now.unix_timestamp();
        let verified =
            tokio::runtime::Handle::current().block_on(verify(&ctx.app.oidc_keys, &providers, &self.token, now))?;
        let provider = provider_arn(&account, &verified.provider_id);
        let tags: Vec<Tag> =
            verified.principal_tags.iter().map(|(k, v)| Tag { key: k.clone(), value: v.clone() }).collect();
        let id = &verified.provider_id;
        let one = |k: &str, v: &str| (format!("{id}:{k}"), vec![v.to_owned()]);
        let keys = [
            one("aud", &verified.audience),
            one("sub", &verified.subject),
            (format!("{id}:oaud"), verified.audiences.clone()),
            (format!("{id}:amr"), verified.amr.clone()),
        ];
        let caller = FederatedCaller {
            provider_arn: &provider,
            session_name: &self.session_name,
            keys: &keys,
            tags: &tags,
            source_identity: verified.source_identity.as_deref(),
        };
        let trust = PolicyDocument::parse(&role.trust_policy, PolicyKind::Resource)?;
        let allows = |action: &str| trust_allows(ctx, &role, &self.role_arn, &trust, &caller, action);
        if !allows("sts:AssumeRoleWithWebIdentity") {
            return Err(not_authorized());
        }
        if !tags.is_empty() && !allows("sts:TagSession") {
            return Err(AwsError::AccessDenied("Not authorized to perform sts:TagSession".into()));
        }
        // A source identity in the token (`https://aws.amazon.com/source_identity`) sticks to the
        // session, as in AWS, and needs `sts:SetSourceIdentity`.
        if let Some(source) = &verified.source_identity {
            if source.len() < 2 || source.len() > 64 || source.to_lowercase().starts_with("aws:") {
                return Err(AwsError::InvalidIdentityToken("The source identity claim is invalid.".into()));
            }
            if !allows("sts:SetSourceIdentity") {
                return Err(AwsError::AccessDenied("Not authorized to perform sts:SetSourceIdentity".into()));
            }
        }
        if self.duration > role.max_session_duration {
            return Err(AwsError::ValidationError(
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.".into(),
            ));
        }
        let packed_policy_size = credentials::check_session_policies(
            ctx.app,
            &role.account,
            self.session_policies.policy.as_deref(),
            &self.session_policies.policy_arns,
            &tags,
        )?;
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
                source_identity: verified.source_identity.clone(),
                tags,
                transitive_tag_keys: verified.transitive_tag_keys.clone(),
                web_identity: Some(WebIdentityClaims {
                    provider_arn: provider.clone(),
                    provider_id: verified.provider_id.clone(),
                    subject: verified.subject.clone(),
                    audience: verified.audience.clone(),
                }),
                mfa_authenticated_at: None,
                saml: None,
                // A role session outlives the key that asked for it, as in AWS.
                parent_key: None,
            },
        )?;
        Ok(WebIdentityResult {
            credentials,
            subject: verified.subject,
            assumed_role_id,
            arn,
            // AWS names the IAM provider's ARN here (the token's `iss` for other providers).
            provider: provider.clone(),
            audience: verified.audience,
            packed_policy_size,
            source_identity: verified.source_identity,
        })
    }
}
