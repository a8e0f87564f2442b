//! Authentication: from a request's SigV4 signature to a [`Caller`]. The signature maths lives in
//! `sigv4` (pure); this module supplies what it needs: long-term secrets from configuration and
//! the store, temporary ones from the session token the request carries.

use std::sync::Arc;

use crate::error::AwsError;
use crate::ids::{IdKind, looks_like};
use crate::principal::{Caller, Principal};
use crate::sigv4::{self, AuthError, ParsedAuth, RequestParts, SecretKey, Settings as SigSettings};
use crate::state::State;
use crate::store::KeyStatus;
use crate::sts::token::{SessionClaims, SessionIdentity};

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

/// Verifies `parsed` against the secret of its key and names the caller.
///
/// # Errors
/// `InvalidClientTokenId` for an unknown, inactive or deleted key, or a session token that is
/// missing, altered or not for this key; `ExpiredToken` for an expired session;
/// `SignatureDoesNotMatch` when the signature is wrong.
pub fn authenticate(
    app: &State,
    req: &RequestParts<'_>,
    parsed: &ParsedAuth,
    settings: &SigSettings,
) -> Result<Caller, AwsError> {
    let (principal, secret, session) =
        if parsed.security_token.is_some() || looks_like(&parsed.access_key_id, IdKind::TemporaryAccessKey) {
            resolve_session(app, parsed, settings)?
        } else {
            let (principal, secret) = resolve_key(app, &parsed.access_key_id)?;
            (principal, secret, None)
        };
    sigv4::verify(req, parsed, &secret, settings, &app.signing_keys)?;
    Ok(Caller { principal, access_key_id: parsed.access_key_id.clone(), region: parsed.scope.region.clone(), session })
}

/// The principal and secret behind a long-term access key id.
///
/// # Errors
/// `InvalidClientTokenId` for an unknown, inactive or deleted key (or one whose user is gone).
pub fn resolve_key(app: &State, id: &str) -> Result<(Principal, SecretKey), AwsError> {
    if let Some((account, root)) = app.settings.configured_root(id) {
        return Ok((Principal::Root { account: account.to_owned() }, root.secret.clone()));
    }
    let key = app.store.stored_key(id)?.ok_or_else(AwsError::invalid_token)?;
    let record = &key.record;
    if record.status != KeyStatus::Active {
        return Err(AwsError::invalid_token());
    }
    let principal = match &record.user {
        None => Principal::Root { account: record.account.clone() },
        Some(name) => {
            let user = app.store.user_arc(&record.account, name)?.ok_or_else(AwsError::invalid_token)?;
            Principal::User {
                account: user.account.clone(),
                name: user.name.clone(),
                id: user.id.clone(),
                path: user.path.clone(),
            }
        }
    };
    Ok((principal, key.secret.clone()))
}

/// A session's principal, secret and claims.
pub type Session = (Principal, SecretKey, Option<Arc<SessionClaims>>);

/// The principal and secret a session token vouches for.
fn resolve_session(app: &State, parsed: &ParsedAuth, settings: &SigSettings) -> Result<Session, AwsError> {
    let token = parsed.security_token.as_deref().ok_or_else(AwsError::invalid_token)?;
    resolve_session_token(app, &parsed.access_key_id, token, settings.now)
}

/// The principal and secret the session token `token` vouches for, if it is the token of
/// temporary key `access_key_id` and has not expired at `now`.
///
/// # Errors
/// `InvalidClientTokenId` for a token that is not ours, altered or another key's, or of a
/// long-term key since deleted or deactivated; `ExpiredToken` after expiry.
pub fn resolve_session_token(
    app: &State,
    access_key_id: &str,
    token: &str,
    now: time::OffsetDateTime,
) -> Result<Session, AwsError> {
    let claims = app.tokens.open_cached(token).map_err(|_| AwsError::invalid_token())?;
    if claims.access_key_id != access_key_id {
        return Err(AwsError::invalid_token());
    }
    if now.unix_timestamp() >= claims.expires_at {
        return Err(AwsError::ExpiredToken("The security token included in the request is expired".into()));
    }
    // A session of a long-term key lives only as long as the key does (and stays active): its
    // record is in the read view, so this costs no read of the engine.
    if let Some(parent) = &claims.parent_key {
        resolve_key(app, parent)?;
    }
    let account = claims.account.clone();
    let principal = match &claims.identity {
        SessionIdentity::Root => Principal::Root { account },
        SessionIdentity::User { name, id, path } => {
            Principal::User { account, name: name.clone(), id: id.clone(), path: path.clone() }
        }
        SessionIdentity::AssumedRole { role_name, role_path, role_id, session_name } => Principal::AssumedRole {
            account,
            role_name: role_name.clone(),
            role_path: role_path.clone(),
            role_id: role_id.clone(),
            session_name: session_name.clone(),
        },
        SessionIdentity::FederatedUser { name, user } => {
            Principal::FederatedUser { account, name: name.clone(), user: user.clone() }
        }
    };
    let secret = claims.secret.clone();
    Ok((principal, secret, Some(claims)))
}
