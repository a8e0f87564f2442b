//! Step two: recompute the signature with the caller's secret and compare.

use subtle::ConstantTimeEq;

use super::canonical::CanonicalRequest;
use super::encoding::hex32;
use super::error::AuthError;
use super::key_cache::SigningKeyCache;
use super::key_cache::hmac_sha256;
use super::parse::ParsedAuth;
use super::request::{RequestParts, Settings};
use super::secret::SecretKey;
use super::string_to_sign::{Scope, StringToSign};

/// Rebuilds the canonical request and string to sign for `req`, signs it with
/// the key derived from `secret` (via `cache`) and compares the result with
/// the signature sent, in constant time.
///
/// `parsed` must come from [`super::parse`] on the same request and
/// settings; `secret` is the one the caller holds for
/// `parsed.access_key_id`.
///
/// # Errors
/// [`AuthError::SignatureDoesNotMatch`] when the signatures differ,
/// [`AuthError::XAmzContentSha256Mismatch`] when the declared body hash is
/// not the body's.
pub fn verify(
    req: &RequestParts<'_>,
    parsed: &ParsedAuth,
    secret: &SecretKey,
    settings: &Settings,
    cache: &SigningKeyCache,
) -> Result<(), AuthError> {
    let canonical = CanonicalRequest::new(req, &parsed.signed_headers, parsed.location, settings.uri_encoding)?;
    let string_to_sign = StringToSign::new(parsed.amz_date, &parsed.scope, &canonical);
    let key = cache.get(&parsed.access_key_id, &parsed.scope, secret);
    compare(&key, &string_to_sign.to_string(), &parsed.signature)
}

/// Verifies `signature_hex` over a string to sign built elsewhere (a storage
/// server forwarding it, Keystone s3tokens-style).
///
/// # Errors
/// [`AuthError::SignatureDoesNotMatch`] when the signatures differ.
pub fn verify_string_to_sign(
    string_to_sign: &str,
    signature_hex: &str,
    secret: &SecretKey,
    scope: &Scope,
    access_key_id: &str,
    cache: &SigningKeyCache,
) -> Result<(), AuthError> {
    let key = cache.get(access_key_id, scope, secret);
    compare(&key, string_to_sign, signature_hex)
}

/// The hex signature of `string_to_sign` under a signing key.
#[must_use]
pub fn signature_hex(signing_key: &[u8; 32], string_to_sign: &str) -> String {
    hex32(&hmac_sha256(signing_key, string_to_sign.as_bytes()))
}

fn compare(signing_key: &[u8; 32], string_to_sign: &str, sent_hex: &str) -> Result<(), AuthError> {
    let expected = hmac_sha256(signing_key, string_to_sign.as_bytes());
    // Decoding (rather than comparing hex text) accepts either case of hex
    // digits; anything that is not 32 bytes of hex simply does not match.
    let sent = hex::decode(sent_hex).unwrap_or_default();
    if bool::from(expected.as_slice().ct_eq(sent.as_slice())) { Ok(()) } else { Err(AuthError::signature_mismatch()) }
}

/// Checks the scope's service against the one the action belongs to.
///
/// # Errors
/// [`AuthError::SignatureDoesNotMatch`] with "Credential should be scoped to
/// correct service: '…'. ".
pub fn check_service(scope: &Scope, expected: &str) -> Result<(), AuthError> {
    if scope.service == expected {
        Ok(())
    } else {
        Err(AuthError::SignatureDoesNotMatch(format!("Credential should be scoped to correct service: '{expected}'. ")))
    }
}

/// Checks the scope's region with the caller's rule (IAM signs for
/// `us-east-1` only; STS accepts its regions).
///
/// # Errors
/// [`AuthError::SignatureDoesNotMatch`] with "Credential should be scoped to
/// a valid region, not '…'. ".
pub fn check_region(scope: &Scope, is_valid: impl FnOnce(&str) -> bool) -> Result<(), AuthError> {
    if is_valid(&scope.region) {
        Ok(())
    } else {
        Err(AuthError::SignatureDoesNotMatch(format!(
            "Credential should be scoped to a valid region, not '{}'. ",
            scope.region
        )))
    }
}
