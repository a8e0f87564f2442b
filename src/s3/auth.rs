//! Whose key signed an S3 request: the secret s3s checks the signature with, and the caller the
//! policy engine decides for. Long-term keys come from the store's view (or the configured
//! root); temporary keys from STS's record of them, and their session token must come with the
//! request.

use std::sync::Arc;

use s3s::auth::{S3Auth, SecretKey};
use s3s::{S3Result, s3_error};

use crate::authn::{resolve_key, resolve_session_token};
use crate::error::AwsError;
use crate::ids::{IdKind, looks_like};
use crate::principal::Caller;
use crate::state::State;

/// Hands s3s the secret of an iamd key.
pub struct IamdAuth(pub Arc<State>);

#[async_trait::async_trait]
impl S3Auth for IamdAuth {
    async fn get_secret_key(&self, access_key: &str) -> S3Result<SecretKey> {
        counted(&self.0, secret_key(&self.0, access_key))
    }
}

/// Counts the gateway's own refusals in `/metrics`.
pub fn counted<T>(state: &State, r: S3Result<T>) -> S3Result<T> {
    if let Err(e) = &r {
        state.s3_metrics.refusal(e.code().as_str());
    }
    r
}

fn secret_key(state: &State, access_key: &str) -> S3Result<SecretKey> {
    {
        if looks_like(access_key, IdKind::TemporaryAccessKey) {
            let record = state.store.temporary_key(access_key).map_err(internal)?;
            let record = record.ok_or_else(|| s3_error!(InvalidAccessKeyId))?;
            let claims = state.tokens.open_cached(&record.token).map_err(|_| s3_error!(InvalidAccessKeyId))?;
            if state.clock.now().unix_timestamp() >= claims.expires_at {
                return Err(s3_error!(ExpiredToken, "The provided token has expired."));
            }
            return Ok(SecretKey::from(claims.secret.expose().to_owned()));
        }
        match resolve_key(state, access_key) {
            Ok((_, secret)) => Ok(SecretKey::from(secret.expose().to_owned())),
            Err(AwsError::InvalidClientTokenId(_)) => {
                Err(s3_error!(InvalidAccessKeyId, "The AWS Access Key Id you provided does not exist in our records."))
            }
            Err(e) => Err(internal(e)),
        }
    }
}

/// The caller behind a verified signature. A temporary key needs its session token, from the
/// `x-amz-security-token` header or the presigned query.
///
/// # Errors
/// S3's `InvalidAccessKeyId`, `InvalidToken` or `ExpiredToken`.
pub fn caller(state: &State, access_key: &str, token: Option<&str>, region: &str) -> S3Result<Caller> {
    let now = state.clock.now();
    let (principal, session) = if looks_like(access_key, IdKind::TemporaryAccessKey) {
        let token =
            token.ok_or_else(|| s3_error!(InvalidToken, "The provided token is malformed or otherwise invalid."))?;
        match resolve_session_token(state, access_key, token, now) {
            Ok((principal, _, session)) => (principal, session),
            Err(AwsError::ExpiredToken(_)) => return Err(s3_error!(ExpiredToken, "The provided token has expired.")),
            Err(_) => return Err(s3_error!(InvalidToken, "The provided token is malformed or otherwise invalid.")),
        }
    } else {
        let (principal, _) = resolve_key(state, access_key).map_err(|_| s3_error!(InvalidAccessKeyId))?;
        state.last_used.record(access_key, now, "s3", region);
        (principal, None)
    };
    Ok(Caller { principal, access_key_id: access_key.to_owned(), region: region.to_owned(), session })
}

pub fn internal(e: impl std::fmt::Display) -> s3s::S3Error {
    tracing::error!(error = %e, "s3 gateway: internal failure");
    s3_error!(InternalError)
}
