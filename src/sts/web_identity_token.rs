//! GetWebIdentityToken: a JWT, signed by the account's outbound federation issuer, that says who
//! the caller is, for services outside AWS that trust the issuer (OIDC discovery).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Map, Value, json};
use time::Duration;

use crate::authz;
use crate::error::AwsError;
use crate::iam::outbound_federation::sealed_key_name;
use crate::iam::tags;
use crate::operation::{Ctx, Operation, Service};
use crate::outbound;
use crate::protocol::rules::{IntRule, StrRule};
use crate::protocol::{Params, Tag, WriteXml, XmlOut};

const AUDIENCE: StrRule = StrRule { min: 1, max: 1000, pattern: "", matches: |_| true };
const MAX_AUDIENCES: usize = 10;
const DURATION: IntRule = IntRule { min: 60, max: 3600 };
const DEFAULT_DURATION: i64 = 300;
/// AWS's namespace for its own claims, and the request's tags.
const NAMESPACE: &str = "https://sts.amazonaws.com/";

pub struct GetWebIdentityToken {
    audiences: Vec<String>,
    duration: i64,
    algorithm: String,
    tags: Vec<Tag>,
}

pub struct WebIdentityTokenResult {
    token: String,
    expiration: time::OffsetDateTime,
}

impl WriteXml for WebIdentityTokenResult {
    fn write(&self, w: &mut XmlOut) {
        w.text("WebIdentityToken", &self.token);
        w.time("Expiration", self.expiration);
    }
}

impl Operation for GetWebIdentityToken {
    const NAME: &'static str = "GetWebIdentityToken";
    const SERVICE: Service = Service::Sts;
    const MUTATES: bool = false;
    type Output = WebIdentityTokenResult;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let audiences = f.str_list("Audience", &AUDIENCE, MAX_AUDIENCES);
        let duration = f.opt_int("DurationSeconds", &DURATION).unwrap_or(DEFAULT_DURATION);
        let algorithm = f.enum_value("SigningAlgorithm", outbound::keys::ALGORITHMS);
        let tags = f.tags("Tags").unwrap_or_default();
        let audiences = match audiences {
            Some(a) if !a.is_empty() => a,
            _ => {
                f.null("Audience");
                Vec::new()
            }
        };
        f.finish()?;
        if tags::has_duplicate_keys(&tags) {
            return Err(AwsError::InvalidParameterValue(tags::DUPLICATE_KEYS.into()));
        }
        Ok(Self { audiences, duration, algorithm, tags })
    }

    fn request_tags(&self) -> Option<&[Tag]> {
        Some(&self.tags)
    }

    fn condition_keys(&self) -> Vec<(&'static str, String)> {
        let mut keys: Vec<(&'static str, String)> =
            self.audiences.iter().map(|a| ("sts:IdentityTokenAudience", a.clone())).collect();
        keys.push(("sts:DurationSeconds", self.duration.to_string()));
        keys.push(("sts:SigningAlgorithm", self.algorithm.clone()));
        keys
    }

    fn resource(&self, _: &Ctx<'_>) -> Result<String, AwsError> {
        Ok("*".into())
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<WebIdentityTokenResult, AwsError> {
        let account = ctx.account();
        let issuer =
            ctx.app.store.account(account)?.and_then(|a| a.outbound_federation).filter(|o| o.enabled).ok_or_else(
                || {
                    AwsError::OutboundWebIdentityFederationDisabled(
                        "Outbound web identity federation is disabled for this account.".into(),
                    )
                },
            )?;
        let expiration = ctx.now + Duration::seconds(self.duration);
        if let Some(session) = &ctx.caller.session
            && expiration.unix_timestamp() > session.expires_at
        {
            return Err(AwsError::SessionDurationEscalation(
                "The requested token duration exceeds the remaining duration of the session.".into(),
            ));
        }
        let (sealed, kid) = match self.algorithm.as_str() {
            "RS256" => (&issuer.rsa_key, &issuer.rsa_kid),
            _ => (&issuer.ec_key, &issuer.ec_kid),
        };
        let der = ctx.app.store.sealer().open(&sealed_key_name(account, &self.algorithm), sealed)?;
        let der = zeroize::Zeroizing::new(B64.decode(der.expose()).map_err(|e| AwsError::internal(&e))?);

        let principal_tags = authz::caller_policies(&ctx.app.loader(), ctx.caller)?.tags().to_vec();
        let mut aws = Map::new();
        aws.insert("aws_account".into(), json!(account));
        aws.insert("source_region".into(), json!(ctx.region));
        if !principal_tags.is_empty() {
            aws.insert("principal_tags".into(), tag_map(&principal_tags));
        }
        if !self.tags.is_empty() {
            aws.insert("request_tags".into(), tag_map(&self.tags));
        }
        let audience = match self.audiences.as_slice() {
            [one] => json!(one),
            many => json!(many),
        };
        let claims = json!({
            "iss": outbound::issuer_url(&ctx.public_base_url(), &issuer.issuer_id),
            "aud": audience,
            "sub": ctx.caller.principal.principal_arn(),
            "iat": ctx.now.unix_timestamp(),
            "exp": expiration.unix_timestamp(),
            "jti": crate::ids::new_uuid(),
            NAMESPACE: Value::Object(aws),
        });
        let token = outbound::keys::sign(&self.algorithm, kid, &der, &claims).map_err(|e| AwsError::internal(&e))?;
        Ok(WebIdentityTokenResult { token, expiration })
    }
}

fn tag_map(tags: &[Tag]) -> Value {
    Value::Object(tags.iter().map(|t| (t.key.clone(), json!(t.value))).collect())
}
