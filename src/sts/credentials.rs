//! Issuing temporary credentials: a fresh `ASIA…` key and secret, sealed with the claims into a
//! session token. Requests that carry the token need nothing else; the store also keeps the
//! token under its key id until it expires, for services that forward only the key id and a
//! signature (Keystone's s3tokens, as Swift and RGW call it).

use time::{Duration, OffsetDateTime};

use super::token::{SessionClaims, SessionIdentity};
use crate::error::AwsError;
use crate::ids::{IdKind, new_key_id, new_secret};
use crate::protocol::{Tag, XmlOut};
use crate::state::State;
use crate::store::TemporaryKeyRecord;

/// What a new session may carry besides its identity.
#[derive(Default)]
pub struct SessionExtras {
    pub policy: Option<String>,
    pub policy_arns: Vec<String>,
    pub source_identity: Option<String>,
    pub tags: Vec<Tag>,
    pub transitive_tag_keys: Vec<String>,
    pub web_identity: Option<super::token::WebIdentityClaims>,
}

/// Freshly issued temporary credentials.
pub struct Issued {
    pub access_key_id: String,
    pub secret: String,
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
        secret: new_secret(),
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
            w.text("SecretAccessKey", &self.secret);
            w.text("SessionToken", &self.token);
            w.time("Expiration", self.expiration);
        });
    }
}

/// MFA devices do not exist here, so a request that names one cannot be satisfied.
///
/// # Errors
/// `AccessDenied` whenever `serial` or `code` is given.
pub fn refuse_mfa(serial: Option<&str>, code: Option<&str>) -> Result<(), AwsError> {
    if serial.is_some() || code.is_some() {
        return Err(AwsError::AccessDenied(
            "MultiFactorAuthentication failed with invalid MFA one time pass code. ".into(),
        ));
    }
    Ok(())
}
