//! Issuing temporary credentials: a fresh `ASIA…` key and secret, sealed with the claims into a
//! session token. Requests that carry the token need nothing else; the store also keeps the
//! token under its key id until it expires, for services that forward only the key id and a
//! signature (Keystone's s3tokens, as Swift and RGW call it).

use time::{Duration, OffsetDateTime};

use super::token::{SessionClaims, SessionIdentity};
use crate::error::AwsError;
use crate::iam::mfa_devices;
use crate::ids::{IdKind, new_key_id, new_secret};
use crate::policy::{PolicyDocument, PolicyKind};
use crate::principal::Principal;
use crate::protocol::params::Fields;
use crate::protocol::rules::{ARN, SESSION_POLICY, StrRule};
use crate::protocol::{Tag, XmlOut};
use crate::state::State;
use crate::store::{RoleRecord, TemporaryKeyRecord};

/// STS's `SerialNumber` and `TokenCode` (their patterns differ from IAM's by a `*`).
pub const MFA_SERIAL: StrRule = StrRule {
    min: 9,
    max: 256,
    pattern: r"[\w+=/:,.@-]*",
    matches: |s| s.chars().all(|c| c.is_ascii_alphanumeric() || "_+=/:,.@-".contains(c)),
};
pub const TOKEN_CODE: StrRule =
    StrRule { min: 6, max: 6, pattern: r"[\d]*", matches: |s| s.bytes().all(|b| b.is_ascii_digit()) };

/// The budget the packed session policy, ARNs and tags share, in bytes.
pub const PACKED_LIMIT: usize = 2048;

/// At most this many managed session policy ARNs (`PolicyArns`).
pub const MAX_POLICY_ARNS: usize = 10;

/// The session policies a request for temporary credentials passes: `Policy` and `PolicyArns`.
#[derive(Default)]
pub struct SessionPolicyInput {
    pub policy: Option<String>,
    pub policy_arns: Vec<String>,
}

impl SessionPolicyInput {
    /// Reads both members, in the request's member order (Policy, then PolicyArns).
    pub fn read(f: &mut Fields<'_>) -> Self {
        let policy = f.opt_str("Policy", &SESSION_POLICY);
        let policy_arns = f.field_list("PolicyArns", "arn", &ARN, MAX_POLICY_ARNS).unwrap_or_default();
        Self { policy, policy_arns }
    }

    /// After the members' own checks: the inline policy is a valid identity policy.
    ///
    /// # Errors
    /// `MalformedPolicyDocument`.
    pub fn validate(&self) -> Result<(), AwsError> {
        if let Some(text) = &self.policy {
            PolicyDocument::parse(text, PolicyKind::Identity)?;
        }
        Ok(())
    }
}

/// The session policies a role session is given: the managed ones must exist in the role's
/// account, and with the session tags they must fit AWS's packed budget (approximated: the
/// policy without whitespace, the ARNs, the tags). Returns the packed size in percent when
/// anything was passed (PackedPolicySize).
///
/// # Errors
/// `InvalidParameterValue` for a missing policy, `PackedPolicyTooLarge`.
pub fn check_session_policies(
    app: &State,
    account: &str,
    policy: Option<&str>,
    policy_arns: &[String],
    tags: &[Tag],
) -> Result<Option<usize>, AwsError> {
    for arn in policy_arns {
        crate::iam::managed_policies::load_policy(app, account, arn).map_err(|_| {
            AwsError::InvalidParameterValue(format!("Policy {arn} does not exist or is not attachable."))
        })?;
    }
    let packed = policy.map_or(0, crate::policy::policy_size)
        + policy_arns.iter().map(String::len).sum::<usize>()
        + tags.iter().map(|t| t.key.len() + t.value.len()).sum::<usize>();
    let percent = (packed * 100).div_ceil(PACKED_LIMIT);
    if percent > 100 {
        return Err(AwsError::PackedPolicyTooLarge(format!(
            "Packed policy consumes {percent}% of allotted space, please use smaller policy."
        )));
    }
    Ok((policy.is_some() || !policy_arns.is_empty() || !tags.is_empty()).then_some(percent))
}

/// A session of `role` named `session_name`: its identity, its AssumedRoleId and its ARN.
#[must_use]
pub fn role_session(role: &RoleRecord, session_name: &str) -> (SessionIdentity, String, String) {
    let identity = SessionIdentity::AssumedRole {
        role_name: role.name.clone(),
        role_path: role.path.clone(),
        role_id: role.id.clone(),
        session_name: session_name.to_owned(),
    };
    let arn = format!("arn:aws:sts::{}:assumed-role/{}/{session_name}", role.account, role.name);
    (identity, format!("{}:{session_name}", role.id), arn)
}

/// What a new session may carry besides its identity.
#[derive(Default)]
pub struct SessionExtras {
    pub policy: Option<String>,
    pub policy_arns: Vec<String>,
    pub source_identity: Option<String>,
    pub tags: Vec<Tag>,
    pub transitive_tag_keys: Vec<String>,
    pub web_identity: Option<super::token::WebIdentityClaims>,
    /// When the MFA code the session was got with was checked (Unix seconds).
    pub mfa_authenticated_at: Option<i64>,
    pub saml: Option<super::token::SamlClaims>,
    /// The long-term key whose deletion or deactivation ends the session.
    pub parent_key: Option<String>,
}

/// Freshly issued temporary credentials.
pub struct Issued {
    pub access_key_id: String,
    pub secret: crate::sigv4::SecretKey,
    pub token: String,
    pub expiration: OffsetDateTime,
}

/// Issues credentials for `identity` in `account`, valid for `duration` from `now`.
///
/// # Errors
/// `ServiceFailure` when the temporary key's record cannot be written.
pub fn issue(
    app: &State,
    account: &str,
    identity: SessionIdentity,
    now: OffsetDateTime,
    duration: Duration,
    extras: SessionExtras,
) -> Result<Issued, AwsError> {
    let now = now.replace_millisecond(0).unwrap_or(now);
    let expiration = now + duration;
    let claims = SessionClaims {
        access_key_id: new_key_id(IdKind::TemporaryAccessKey, account),
        secret: crate::sigv4::SecretKey::new(new_secret()),
        account: account.to_owned(),
        issued_at: now.unix_timestamp(),
        expires_at: expiration.unix_timestamp(),
        identity,
        policy: extras.policy,
        policy_arns: extras.policy_arns,
        source_identity: extras.source_identity,
        tags: extras.tags,
        transitive_tag_keys: extras.transitive_tag_keys,
        web_identity: extras.web_identity,
        mfa_authenticated_at: extras.mfa_authenticated_at,
        saml: extras.saml,
        parent_key: extras.parent_key,
    };
    let token = app.tokens.seal(&claims);
    let record = TemporaryKeyRecord { token: token.clone(), expires_at: claims.expires_at };
    app.store.put_temporary_key(&claims.access_key_id, &record)?;
    Ok(Issued { access_key_id: claims.access_key_id, secret: claims.secret, token, expiration })
}

impl Issued {
    /// The `Credentials` shape.
    pub fn write(&self, w: &mut XmlOut) {
        w.elem("Credentials", |w| {
            w.text("AccessKeyId", &self.access_key_id);
            w.text("SecretAccessKey", self.secret.expose());
            w.text("SessionToken", &self.token);
            w.time("Expiration", self.expiration);
        });
    }
}

/// The MFA sign-in a GetSessionToken or AssumeRole request asks for: nothing without
/// `SerialNumber` and `TokenCode`, else the code checked against the device the calling IAM user
/// has enabled (and used up). Returns when it was checked.
///
/// # Errors
/// `AccessDenied` with AWS's wording when only one of the two is given, the device is not the
/// caller's or the code is wrong.
pub fn mfa_sign_in(
    app: &State,
    caller: &Principal,
    serial: Option<&str>,
    code: Option<&str>,
    now: OffsetDateTime,
) -> Result<Option<i64>, AwsError> {
    match (serial, code) {
        (None, None) => Ok(None),
        (Some(serial), Some(code)) => {
            let user_id = match caller {
                Principal::User { id, .. } => Some(id.as_str()),
                Principal::Root { .. } | Principal::AssumedRole { .. } | Principal::FederatedUser { .. } => None,
            };
            mfa_devices::check_sign_in(app, caller.account(), user_id, serial, code, now)?;
            Ok(Some(now.unix_timestamp()))
        }
        _ => Err(AwsError::AccessDenied(
            "MultiFactorAuthentication failed, provide both MFA serial number and one time pass code.".into(),
        )),
    }
}
