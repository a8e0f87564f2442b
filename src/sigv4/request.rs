//! What verification is given: the request as received and the verifier's settings.

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
pub(crate) fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}
