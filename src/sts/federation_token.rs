//! GetFederationToken: temporary credentials for a federated user, on behalf of the calling IAM
//! user (or root). The session may do what both the caller's policies and the session policies
//! allow; with no session policy it may do nothing. Its principal is
//! `arn:aws:sts::ACCOUNT:federated-user/NAME`.

use time::Duration;

use super::credentials::{self, Issued, SessionExtras};
use super::session_token::{DEFAULT_DURATION, ROOT_MAX_DURATION};
use super::token::{FederatingUser, SessionIdentity};
use crate::error::AwsError;
use crate::iam::tags;
use crate::operation::{Ctx, Operation, Service};
use crate::principal::Principal;
use crate::protocol::rules::{SESSION_DURATION, StrRule, entity_name};
use crate::protocol::{Params, Tag, WriteXml, XmlOut};

const FEDERATED_NAME: StrRule = StrRule { min: 2, max: 32, pattern: r"[\w+=,.@-]*", matches: entity_name };

pub struct GetFederationToken {
    name: String,
    session_policies: credentials::SessionPolicyInput,
    duration: Option<i64>,
    tags: Vec<Tag>,
}

pub struct FederationResult {
    credentials: Issued,
    id: String,
    arn: String,
    packed_policy_size: Option<usize>,
}

impl WriteXml for FederationResult {
    fn write(&self, w: &mut XmlOut) {
        self.credentials.write(w);
        w.elem("FederatedUser", |w| {
            w.text("FederatedUserId", &self.id);
            w.text("Arn", &self.arn);
        });
        if let Some(p) = self.packed_policy_size {
            w.int("PackedPolicySize", i64::try_from(p).unwrap_or(i64::MAX));
        }
    }
}

impl Operation for GetFederationToken {
    const NAME: &'static str = "GetFederationToken";
    const SERVICE: Service = Service::Sts;
    const MUTATES: bool = true;
    type Output = FederationResult;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let name = f.str("Name", &FEDERATED_NAME);
        let session_policies = credentials::SessionPolicyInput::read(&mut f);
        let duration = f.opt_int("DurationSeconds", &SESSION_DURATION);
        let tags = f.tags("Tags").unwrap_or_default();
        f.finish()?;
        session_policies.validate()?;
        if tags::has_duplicate_keys(&tags) {
            return Err(AwsError::InvalidParameterValue(tags::DUPLICATE_KEYS.into()));
        }
        Ok(Self { name, session_policies, duration, tags })
    }

    fn request_tags(&self) -> Option<&[Tag]> {
        Some(&self.tags)
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Ok(format!("arn:aws:sts::{}:federated-user/{}", ctx.account(), self.name))
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<FederationResult, AwsError> {
        if ctx.caller.session.is_some() {
            return Err(AwsError::AccessDenied("Cannot call GetFederationToken with session credentials".into()));
        }
        let (user, seconds) = match &ctx.caller.principal {
            Principal::Root { .. } => (None, self.duration.unwrap_or(ROOT_MAX_DURATION).min(ROOT_MAX_DURATION)),
            Principal::User { name, id, path, .. } => (
                Some(FederatingUser { name: name.clone(), id: id.clone(), path: path.clone() }),
                self.duration.unwrap_or(DEFAULT_DURATION),
            ),
            Principal::AssumedRole { .. } | Principal::FederatedUser { .. } => {
                return Err(AwsError::AccessDenied("Cannot call GetFederationToken with session credentials".into()));
            }
        };
        let account = ctx.account();
        let packed_policy_size = credentials::check_session_policies(
            ctx.app,
            account,
            self.session_policies.policy.as_deref(),
            &self.session_policies.policy_arns,
            &self.tags,
        )?;
        let issued = credentials::issue(
            ctx.app,
            account,
            SessionIdentity::FederatedUser { name: self.name.clone(), user },
            ctx.now,
            Duration::seconds(seconds),
            SessionExtras {
                policy: self.session_policies.policy,
                policy_arns: self.session_policies.policy_arns,
                tags: self.tags,
                parent_key: Some(ctx.caller.access_key_id.clone()),
                ..SessionExtras::default()
            },
        )?;
        Ok(FederationResult {
            credentials: issued,
            id: format!("{account}:{}", self.name),
            arn: format!("arn:aws:sts::{account}:federated-user/{}", self.name),
            packed_policy_size: Some(packed_policy_size.unwrap_or(0)),
        })
    }
}
