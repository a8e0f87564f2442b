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
pub use secret::SecretKey;
pub use string_to_sign::{ALGORITHM, Scope, StringToSign, TERMINATOR};
pub use verify::{check_region, check_service, signature_hex, verify, verify_string_to_sign};

use time::{Duration, OffsetDateTime};

/// The clock skew AWS tolerates between a request's date and its own clock.
pub const DEFAULT_MAX_SKEW: Duration = Duration::minutes(15);

/// One HTTP request as received, before any decoding.
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    /// The method as sent, e.g. `POST`.
    pub method: &'a str,
    /// The raw path exactly as on the wire, still percent-encoded, no query.
    pub path: &'a str,
    /// The raw query string without `?`, `""` if none.
    pub query: &'a str,
    /// Header (name, value) pairs in arrival order; names in any case, may repeat.
    pub headers: &'a [(String, String)],
    /// The body bytes.
    pub body: &'a [u8],
}

/// How the canonical URI is derived from the path on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UriEncoding {
    /// IAM, STS and every non-S3 service: remove dot segments and empty
    /// segments, then percent-encode the (already encoded) path once more, so
    /// `%20` on the wire becomes `%2520` in the canonical request.
    Double,
    /// S3 rules: the path is used as sent, without normalisation; presigned
    /// requests sign the constant `UNSIGNED-PAYLOAD`.
    Single,
}

/// Where the request carried its signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureLocation {
    /// The `Authorization` header.
    Header,
    /// `X-Amz-*` query parameters (a presigned URL).
    Query,
}

/// What verification needs besides the request.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// The verifier's current time.
    pub now: OffsetDateTime,
    /// How far a request's date may be from `now` (AWS: 15 minutes).
    pub max_skew: Duration,
    /// How to canonicalise the path.
    pub uri_encoding: UriEncoding,
}

impl Settings {
    /// Settings with AWS's 15-minute skew.
    #[must_use]
    pub fn new(now: OffsetDateTime, uri_encoding: UriEncoding) -> Self {
        Self { now, max_skew: DEFAULT_MAX_SKEW, uri_encoding }
    }
}

/// The first header named `name` (ASCII case-insensitive), as sent.
fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}
