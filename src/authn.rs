//! Authentication: from a request's SigV4 signature to a [`Caller`]. The signature maths lives in
//! `sigv4` (pure); this module supplies what it needs from configuration and the store.

use crate::app::App;
use crate::error::AwsError;
use crate::principal::{Caller, Principal};
use crate::sigv4::{self, AuthError, ParsedAuth, RequestParts, SecretKey, Settings as SigSettings};
use crate::store::KeyStatus;

impl From<AuthError> for AwsError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::MissingAuthenticationToken(m) => Self::MissingAuthenticationToken(m),
            AuthError::IncompleteSignature(m) => Self::IncompleteSignature(m),
            AuthError::SignatureDoesNotMatch(m) => Self::SignatureDoesNotMatch(m),
            AuthError::RequestExpired(m) => Self::RequestExpired(m),
            AuthError::AuthorizationQueryParametersError(m) => Self::AuthorizationQueryParametersError(m),
            AuthError::XAmzContentSha256Mismatch(m) => Self::XAmzContentSha256Mismatch(m),
        }
    }
}

/// Verifies `parsed` against the stored secret of its key and names the caller.
///
/// # Errors
/// `InvalidClientTokenId` for an unknown, inactive or deleted key (or a session token we cannot
/// honour), `SignatureDoesNotMatch` when the signature is wrong.
pub fn authenticate(
    app: &App,
    req: &RequestParts<'_>,
    parsed: &ParsedAuth,
    settings: &SigSettings,
) -> Result<Caller, AwsError> {
    let (principal, secret) = resolve_key(app, parsed)?;
    sigv4::verify(req, parsed, &secret, settings, &app.signing_keys)?;
    Ok(Caller { principal, access_key_id: parsed.access_key_id.clone() })
}

/// The principal and secret behind an access key id.
fn resolve_key(app: &App, parsed: &ParsedAuth) -> Result<(Principal, SecretKey), AwsError> {
    let id = parsed.access_key_id.as_str();
    // Long-term keys never come with a session token; temporary keys are not issued yet.
    if parsed.security_token.is_some() {
        return Err(AwsError::invalid_token());
    }
    if let Some(root) = app.settings.root.as_ref().filter(|r| r.access_key_id == id) {
        let account = app.settings.account_id.clone();
        return Ok((Principal::Root { account }, root.secret.clone()));
    }
    let key = app.store.access_key(id)?.ok_or_else(AwsError::invalid_token)?;
    if key.status != KeyStatus::Active {
        return Err(AwsError::invalid_token());
    }
    let principal = match &key.user {
        None => Principal::Root { account: key.account.clone() },
        Some(name) => {
            let user = app.store.user(&key.account, name)?.ok_or_else(AwsError::invalid_token)?;
            Principal::User { account: user.account, name: user.name, id: user.id, path: user.path }
        }
    };
    let secret = app.store.sealer().open(id, &key.secret)?;
    Ok((principal, secret))
}
