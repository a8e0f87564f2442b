//! AssumeRoleWithSAML: an unsigned request whose SAML Response is the credential. The Response
//! is verified against the IAM SAML provider `PrincipalArn` names (`saml::assertion`), its Role
//! attribute must pair the role with that provider, then the role's trust policy must allow the
//! provider as a `Federated` principal, with `saml:aud`, `saml:sub`, `saml:sub_type`,
//! `saml:iss`, `saml:namequalifier`, `saml:doc` (and well-known attributes) in the context. The
//! session is a role session like AssumeRole's, and its requests see the same `saml:` keys.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use time::Duration;

use super::assume_role::DEFAULT_DURATION;
use super::credentials::{self, Issued, SessionExtras};
use super::federated::{FederatedCaller, find_role, trust_allows};
use super::token::SamlClaims;
use crate::error::AwsError;
use crate::iam::saml_providers::parse_arn;
use crate::operation::{Ctx, Operation, Service};
use crate::policy::{PolicyDocument, PolicyKind};
use crate::protocol::rules::{ARN, ROLE_DURATION, ROLE_SESSION_NAME, SOURCE_IDENTITY, StrRule};
use crate::protocol::{Params, Tag, WriteXml, XmlOut};
use crate::saml::assertion::{self, Provider, Verified};

const SAML_ASSERTION: StrRule = StrRule { min: 4, max: 100_000, pattern: "", matches: |_| true };
/// The Audience and Recipient AWS's sign-in endpoint is named by.
pub const AWS_AUDIENCE: &str = "https://signin.aws.amazon.com/saml";

pub struct AssumeRoleWithSaml {
    role_arn: String,
    principal_arn: String,
    assertion: String,
    duration: Option<i64>,
    session_policies: credentials::SessionPolicyInput,
}

pub struct SamlResult {
    credentials: Issued,
    assumed_role_id: String,
    arn: String,
    packed_policy_size: Option<usize>,
    verified: Verified,
}

impl WriteXml for SamlResult {
    fn write(&self, w: &mut XmlOut) {
        let v = &self.verified;
        self.credentials.write(w);
        w.elem("AssumedRoleUser", |w| {
            w.text("AssumedRoleId", &self.assumed_role_id);
            w.text("Arn", &self.arn);
        });
        if let Some(size) = self.packed_policy_size {
            w.int("PackedPolicySize", i64::try_from(size).unwrap_or(i64::MAX));
        }
        w.text("Subject", &v.subject);
        w.text("SubjectType", &v.subject_type);
        w.text("Issuer", &v.issuer);
        w.text("Audience", &v.recipient);
        w.text("NameQualifier", &v.name_qualifier);
        w.opt_text("SourceIdentity", v.source_identity.as_deref());
    }
}

fn not_authorized() -> AwsError {
    AwsError::AccessDenied("Not authorized to perform sts:AssumeRoleWithSAML".into())
}

fn no_provider() -> AwsError {
    AwsError::InvalidIdentityToken("Specified provider doesn't exist".into())
}

/// The condition keys a verified Response gives the trust policy and the session.
fn condition_keys(v: &Verified, account: &str, provider_name: &str) -> Vec<(String, Vec<String>)> {
    let one = |k: &str, v: &str| (k.to_owned(), vec![v.to_owned()]);
    let mut keys = vec![
        one("saml:aud", &v.recipient),
        one("saml:sub", &v.subject),
        one("saml:sub_type", &v.subject_type),
        one("saml:iss", &v.issuer),
        one("saml:namequalifier", &v.name_qualifier),
        one("saml:doc", &format!("{account}/{provider_name}")),
    ];
    keys.extend(v.attribute_keys.iter().cloned());
    keys
}

impl Operation for AssumeRoleWithSaml {
    const NAME: &'static str = "AssumeRoleWithSAML";
    const SERVICE: Service = Service::Sts;
    const MUTATES: bool = true;
    const NEEDS_PERMISSION: bool = false;
    const UNSIGNED: bool = true;
    type Output = SamlResult;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let role_arn = f.str("RoleArn", &ARN);
        let principal_arn = f.str("PrincipalArn", &ARN);
        let assertion = f.secret("SAMLAssertion", &SAML_ASSERTION);
        let session_policies = credentials::SessionPolicyInput::read(&mut f);
        let duration = f.opt_int("DurationSeconds", &ROLE_DURATION);
        f.finish()?;
        session_policies.validate()?;
        Ok(Self { role_arn, principal_arn, assertion, duration, session_policies })
    }

    fn resource(&self, _: &Ctx<'_>) -> Result<String, AwsError> {
        Ok(self.role_arn.clone())
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<SamlResult, AwsError> {
        let role = find_role(ctx, &self.role_arn, not_authorized)?;
        let (provider_account, provider_name) = parse_arn(&self.principal_arn).map_err(|_| no_provider())?;
        if provider_account != role.account {
            return Err(no_provider());
        }
        let account = ctx.app.store.account(&role.account)?.unwrap_or_default();
        let record = account.saml_providers.into_iter().find(|p| p.name == provider_name).ok_or_else(no_provider)?;
        if record.valid_until.is_some_and(|t| t <= ctx.now) {
            return Err(AwsError::InvalidIdentityToken("The SAML provider's metadata is no longer valid.".into()));
        }
        let certificates: Vec<Vec<u8>> = record.certificates.iter().filter_map(|c| STANDARD.decode(c).ok()).collect();
        let provider = Provider {
            arn: &self.principal_arn,
            name: &record.name,
            account: &role.account,
            entity_id: &record.entity_id,
            certificates: &certificates,
        };
        let mut audiences = vec![AWS_AUDIENCE.to_owned(), format!("https://{}.signin.aws.amazon.com/saml", ctx.region)];
        audiences.extend(ctx.app.settings.saml_audiences.iter().cloned());
        let xml = assertion::decode(&self.assertion)?;
        let v = assertion::verify(&xml, &provider, ctx.now, &audiences)?;
        if !v.roles.iter().any(|(r, p)| *r == self.role_arn && *p == self.principal_arn) {
            return Err(not_authorized());
        }
        let session_name = v
            .session_name
            .clone()
            .ok_or_else(|| AwsError::InvalidIdentityToken("RoleSessionName is required in AuthnResponse".into()))?;
        if !ROLE_SESSION_NAME.violations(&session_name).is_empty() {
            return Err(AwsError::InvalidIdentityToken(
                "RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}".into(),
            ));
        }
        if let Some(source) = &v.source_identity
            && (!SOURCE_IDENTITY.violations(source).is_empty() || source.to_lowercase().starts_with("aws:"))
        {
            return Err(AwsError::InvalidIdentityToken(
                "Source Identity must match [a-zA-Z_0-9+=,.@-]{2,64} and not begin with \"aws:\"".into(),
            ));
        }
        let tags: Vec<Tag> = v.principal_tags.iter().map(|(k, v)| Tag { key: k.clone(), value: v.clone() }).collect();
        let keys = condition_keys(&v, &role.account, &record.name);
        let caller = FederatedCaller {
            provider_arn: &self.principal_arn,
            session_name: &session_name,
            keys: &keys,
            tags: &tags,
            source_identity: v.source_identity.as_deref(),
        };
        let trust = PolicyDocument::parse(&role.trust_policy, PolicyKind::Resource)?;
        let allows = |action: &str| trust_allows(ctx, &role, &self.role_arn, &trust, &caller, action);
        if !allows("sts:AssumeRoleWithSAML") {
            return Err(not_authorized());
        }
        if !tags.is_empty() && !allows("sts:TagSession") {
            return Err(AwsError::AccessDenied("Not authorized to perform sts:TagSession".into()));
        }
        if v.source_identity.is_some() && !allows("sts:SetSourceIdentity") {
            return Err(AwsError::AccessDenied("Not authorized to perform sts:SetSourceIdentity".into()));
        }
        let duration = self.session_duration(&v, role.max_session_duration, ctx.now.unix_timestamp())?;
        let packed_policy_size = credentials::check_session_policies(
            ctx.app,
            &role.account,
            self.session_policies.policy.as_deref(),
            &self.session_policies.policy_arns,
            &tags,
        )?;
        let (identity, assumed_role_id, arn) = credentials::role_session(&role, &session_name);
        let credentials = credentials::issue(
            ctx.app,
            &role.account,
            identity,
            ctx.now,
            Duration::seconds(duration),
            SessionExtras {
                policy: self.session_policies.policy.clone(),
                policy_arns: self.session_policies.policy_arns.clone(),
                source_identity: v.source_identity.clone(),
                tags,
                transitive_tag_keys: v.transitive_tag_keys.clone(),
                web_identity: None,
                saml: Some(SamlClaims { provider_arn: self.principal_arn.clone(), keys }),
                mfa_authenticated_at: None,
                // A role session outlives the key that asked for it, as in AWS.
                parent_key: None,
            },
        )?;
        Ok(SamlResult { credentials, assumed_role_id, arn, packed_policy_size, verified: v })
    }
}

impl AssumeRoleWithSaml {
    /// DurationSeconds, else the SessionDuration attribute, else an hour; never past the
    /// role's maximum (asked explicitly: refused; from the IdP, which cannot know each role's
    /// maximum: capped) nor past the assertion's SessionNotOnOrAfter.
    fn session_duration(&self, v: &Verified, role_max: i64, now: i64) -> Result<i64, AwsError> {
        let exceeds = || {
            AwsError::ValidationError(
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.".into(),
            )
        };
        let mut duration = match (self.duration, &v.session_duration) {
            (Some(d), _) if d > role_max => return Err(exceeds()),
            (Some(d), _) => d,
            (None, Some(attr)) => match attr.trim().parse::<i64>() {
                Ok(d) if (900..=43_200).contains(&d) => d.min(role_max),
                _ => {
                    return Err(AwsError::InvalidIdentityToken(
                        "SessionDuration in AuthnResponse must be an integer from 900 to 43200".into(),
                    ));
                }
            },
            (None, None) => DEFAULT_DURATION.min(role_max),
        };
        if let Some(end) = v.session_not_on_or_after {
            let left = end.unix_timestamp() - now;
            duration = duration.min(left.max(1));
        }
        Ok(duration)
    }
}
