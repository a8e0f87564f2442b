//! The canonical request: the request reduced to the form both sides sign.
//!
//! Every rule here mirrors what the SDK signers do rather than a reading of
//! the spec alone (botocore's `SigV4Auth`, smithy-rs's aws-sigv4): a request
//! verifies only if we rebuild exactly the text the client hashed.

use std::fmt;

use sha2::{Digest, Sha256};

use super::encoding::{
    HashWriter, decode_query_component, encode_unsafe, hex32, remove_dot_segments, uri_encode, uri_encode_path,
};
use super::error::AuthError;
use super::error::CONTENT_SHA256_MISMATCH;
use super::request::{RequestParts, SignatureLocation, UriEncoding, header};

/// The payload hash a client may declare instead of hashing the body.
pub(crate) const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// Payload markers of S3's chunked uploads: the body is checked chunk by chunk (or not at all),
/// never as one hash, so like `UNSIGNED-PAYLOAD` they are signed as written.
const STREAMING_PAYLOADS: [&str; 5] = [
    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
    "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
    "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD",
    "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER",
];

/// Whether a declared `x-amz-content-sha256` leaves the body out of the signature.
pub(crate) fn is_unsigned_marker(declared: &str) -> bool {
    declared == UNSIGNED_PAYLOAD || STREAMING_PAYLOADS.contains(&declared)
}

/// The canonical request, stage one of SigV4. `Display` writes its canonical
/// text; [`CanonicalRequest::hash`] is what goes into the string to sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonicalRequest {
    /// The HTTP method as sent.
    pub method: String,
    /// The canonical URI (see [`canonical_uri`]).
    pub uri: String,
    /// The canonical query string (see [`canonical_query`]).
    pub query: String,
    /// (name, canonical value) for each signed header, in the order and
    /// spelling of `SignedHeaders` (every real signer sends it lowercase).
    pub headers: Vec<(String, String)>,
    /// The `SignedHeaders` list joined with `;`.
    pub signed_headers: String,
    /// Hex SHA-256 of the body, or the declared `X-Amz-Content-Sha256`.
    pub payload_hash: String,
}

impl CanonicalRequest {
    /// Builds the canonical request for `req` as signed over `signed_headers`.
    ///
    /// # Errors
    /// [`AuthError::XAmzContentSha256Mismatch`] if the request declares an
    /// `X-Amz-Content-Sha256` that is not the hash of its body.
    pub fn new(
        req: &RequestParts<'_>,
        signed_headers: &[String],
        location: SignatureLocation,
        encoding: UriEncoding,
    ) -> Result<Self, AuthError> {
        Ok(Self {
            method: req.method.to_owned(),
            uri: canonical_uri(req.path, encoding),
            query: canonical_query(req.query, location == SignatureLocation::Query),
            headers: canonical_headers(req.headers, signed_headers),
            signed_headers: signed_headers.join(";"),
            payload_hash: payload_hash(req, location, encoding)?,
        })
    }

    /// Hex SHA-256 of the canonical text.
    #[must_use]
    pub fn hash(&self) -> String {
        let mut w = HashWriter(Sha256::new());
        // Writing into a hasher cannot fail.
        let _ = fmt::Write::write_fmt(&mut w, format_args!("{self}"));
        hex32(&w.0.finalize().into())
    }
}

impl fmt::Display for CanonicalRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.method)?;
        writeln!(f, "{}", self.uri)?;
        writeln!(f, "{}", self.query)?;
        for (name, value) in &self.headers {
            writeln!(f, "{name}:{value}")?;
        }
        writeln!(f)?;
        writeln!(f, "{}", self.signed_headers)?;
        f.write_str(&self.payload_hash)
    }
}

/// The canonical URI for the raw path as sent.
///
/// `Double` (IAM, STS, every non-S3 service): dot and empty segments removed,
/// then every byte outside `A-Za-z0-9-._~/` percent-encoded, including the
/// `%` of escapes already on the wire. That is how the signers do it (they
/// encode the path they send once more), so `/a%20b` canonicalises to
/// `/a%2520b`. `Single` (S3): the path exactly as sent, only bytes that
/// cannot appear raw in a URI encoded.
#[must_use]
pub fn canonical_uri(path: &str, encoding: UriEncoding) -> String {
    match encoding {
        UriEncoding::Double => uri_encode_path(remove_dot_segments(path).as_bytes()),
        UriEncoding::Single if path.is_empty() => "/".to_owned(),
        UriEncoding::Single => encode_unsafe(path.as_bytes()),
    }
}

/// The canonical query string: each parameter decoded and re-encoded with
/// SigV4's strict encoding (space as `%20`), sorted by encoded name then
/// encoded value, joined with `&`. A parameter without `=` gets an empty
/// value. `X-Amz-Signature` is left out of presigned requests' canonical
/// query (it cannot sign itself).
#[must_use]
pub fn canonical_query(query: &str, presigned: bool) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (uri_encode(&decode_query_component(k)), uri_encode(&decode_query_component(v)))
        })
        .filter(|(k, _)| !(presigned && k == "X-Amz-Signature"))
        .collect();
    // Byte order on the encoded text, as every signer sorts.
    pairs.sort();
    let mut out = String::with_capacity(query.len());
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// (name, canonical value) for each name in `signed_headers`: every value the
/// request carries under that name (any case), each trimmed with inner runs
/// of whitespace collapsed to one space, joined with `,` in arrival order. A
/// signed header the request lacks gets an empty value (and the signature
/// will not match).
#[must_use]
pub fn canonical_headers(headers: &[(String, String)], signed_headers: &[String]) -> Vec<(String, String)> {
    signed_headers
        .iter()
        .map(|name| {
            let values: Vec<String> =
                headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| trim_all(v)).collect();
            (name.clone(), values.join(","))
        })
        .collect()
}

/// Trims and collapses whitespace runs to one space the way botocore does
/// (`' '.join(value.split())`), which also folds obsolete multi-line values.
/// Python's `str.split()` breaks on Unicode whitespace plus the four
/// information separators U+001C..U+001F, hence the extra range.
fn trim_all(value: &str) -> String {
    let blank = |c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c);
    let mut out = String::with_capacity(value.len());
    for word in value.split(blank).filter(|s| !s.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// The payload hash that goes last in the canonical request.
///
/// `X-Amz-Content-Sha256`, when sent, is used as is (as botocore does);
/// unless it is `UNSIGNED-PAYLOAD` it must be the body's real hash, or the
/// body would go unauthenticated. Without it: the hex SHA-256 of the body,
/// except for S3 presigned URLs, which sign `UNSIGNED-PAYLOAD`.
///
/// # Errors
/// [`AuthError::XAmzContentSha256Mismatch`] when the declared hash is not the
/// body's.
pub fn payload_hash(
    req: &RequestParts<'_>,
    location: SignatureLocation,
    encoding: UriEncoding,
) -> Result<String, AuthError> {
    let body_hash = || hex32(&Sha256::digest(req.body).into());
    match header(req.headers, "x-amz-content-sha256") {
        Some(declared) if is_unsigned_marker(declared) => Ok(declared.to_owned()),
        Some(declared) if declared.eq_ignore_ascii_case(&body_hash()) => Ok(declared.to_owned()),
        Some(_) => Err(AuthError::XAmzContentSha256Mismatch(CONTENT_SHA256_MISMATCH.to_owned())),
        None if location == SignatureLocation::Query && encoding == UriEncoding::Single => {
            Ok(UNSIGNED_PAYLOAD.to_owned())
        }
        None => Ok(body_hash()),
    }
}
