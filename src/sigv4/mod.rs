//! AWS Signature Version 4 verification, as pure functions.
//!
//! Nothing here reads the clock, the network or the store: the caller passes
//! "now" in [`Settings`] and the secret it looked up for the access key id.
//! Verification is two steps so the lookup can happen in between:
//!
//! 1. [`parse`] finds the signature (the `Authorization` header or the
//!    `X-Amz-*` query parameters of a presigned URL), checks its shape, the
//!    clock skew or presigned expiry, and the credential scope's terminator
//!    and date. No secret is needed yet.
//! 2. [`verify`] rebuilds the [`CanonicalRequest`] and [`StringToSign`],
//!    derives (or reuses from the [`SigningKeyCache`]) the signing key, and
//!    compares signatures in constant time.
//!
//! The region and service in the scope are the caller's to judge (the action
//! decides the service): see [`check_region`] and [`check_service`].
//!
//! Canonicalisation mirrors what the signers do (botocore, aws-sigv4), since
//! a verifier that is "right" but disagrees with the SDKs rejects real
//! traffic: see `canonical.rs` and `encoding.rs` for the details.

#![allow(clippy::doc_markdown, reason = "the spec's own words (SigV4, UriEncode, LocalStack) read better unquoted")]

mod canonical;
mod dates;
mod encoding;
mod error;
mod key_cache;
mod parse;
mod request;
mod secret;
mod string_to_sign;
mod verify;

#[cfg(test)]
mod tests;

pub use canonical::{CanonicalRequest, canonical_headers, canonical_query, canonical_uri, payload_hash};
pub use dates::{format_amz_date, parse_amz_date, parse_http_date};
pub use error::AuthError;
pub use key_cache::{SigningKeyCache, signing_key};
pub use parse::{ParsedAuth, parse};
pub use request::{DEFAULT_MAX_SKEW, RequestParts, Settings, SignatureLocation, UriEncoding};
pub use secret::SecretKey;
pub use string_to_sign::{ALGORITHM, Scope, StringToSign, TERMINATOR};
pub use verify::{check_region, check_service, signature_hex, verify, verify_string_to_sign};
