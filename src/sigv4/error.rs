//! Why a request failed authentication, in AWS's words.
//!
//! Where the messages come from (none of them is in the LocalStack recordings
//! under shared/aws-recorded, which hold no authentication failures):
//! - Confirmed from real AWS responses quoted in public issues and tests:
//!   the `SignatureDoesNotMatch` sentence (STS, boto/boto3#756), "Signature
//!   expired: … is now earlier than … (… - 15 min.)" (STS AssumeRole,
//!   devsecops/bootcamp#101), "Signature not yet current: … is still later
//!   than … (… + 5 min.)" (Elastic Beanstalk's front end, which allows five
//!   minutes; quoted in a public blog), "Credential should be scoped to a valid region,
//!   not '…'. " (IAM, aws/aws-sdk-go#156 and aws/aws-sdk-php#493; trailing
//!   space in joona/aws-es-curl#15), "Request is missing Authentication Token"
//!   (STS and SNS `ErrorResponse` bodies, HTTP 403, kept as test fixtures in
//!   public repositories), and the combined scope message "… correct service: '…'. … valid
//!   terminator: 'aws4_request', not '…'. Date in Credential scope does not
//!   match YYYYMMDD from ISO-8601 version of date from HTTP: '…' != '…', from
//!   '…'." (DynamoDB responses recorded in mhart/dynalite's comments; IAM and
//!   STS run on the same front end). AWS's troubleshooting guide lists the
//!   same sentences in short form. "Request has expired." with code
//!   `RequestExpired` is EC2's query-protocol wording; IAM's Common Errors
//!   page documents `RequestExpired` for expired presigned URLs.
//! - Taken from re-implementations that copy AWS (dynalite,
//!   scratchstack-aws-signature), not seen in a raw AWS response: the
//!   `IncompleteSignature` texts ("Authorization header requires '…'
//!   parameter. … Authorization=…", "AWS query-string parameters must
//!   include '…'. Re-examine the query-string parameters.", "Credential must
//!   have exactly 5 slash-delimited elements, …", "Unsupported AWS
//!   'algorithm': …", "Date must be in ISO-8601 'basic format'. …", "'…' not
//!   a valid key=value pair (missing equal-sign) …"), "Found both
//!   'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP
//!   header." and "'Host' or ':authority' must be a 'SignedHeader' in the AWS
//!   Authorization.".
//! - S3's wording, used for lack of an IAM one (MinIO, Ceph and other S3
//!   re-implementations agree on it): the `AuthorizationQueryParametersError`
//!   texts for a bad `X-Amz-Expires`, and `XAmzContentSHA256Mismatch`.

use std::fmt;

/// Why a request failed SigV4 authentication.
///
/// Each variant carries the message AWS sends; [`AuthError::code`] gives the
/// `<Code>` for the error response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthError {
    /// No SigV4 signature at all (no `Authorization` header starting with
    /// `AWS4-`, no `X-Amz-Algorithm` query parameter).
    MissingAuthenticationToken(String),
    /// A signature is there but lacks parts or is malformed.
    IncompleteSignature(String),
    /// The signature, its scope or its time does not check out.
    SignatureDoesNotMatch(String),
    /// A presigned request used after `X-Amz-Date + X-Amz-Expires`.
    RequestExpired(String),
    /// `X-Amz-Expires` is not a number of seconds in `0..=604800`.
    AuthorizationQueryParametersError(String),
    /// `X-Amz-Content-Sha256` is not the SHA-256 of the body received.
    XAmzContentSha256Mismatch(String),
}

impl AuthError {
    /// The AWS error code (`<Code>` in the XML error response).
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingAuthenticationToken(_) => "MissingAuthenticationToken",
            Self::IncompleteSignature(_) => "IncompleteSignature",
            Self::SignatureDoesNotMatch(_) => "SignatureDoesNotMatch",
            Self::RequestExpired(_) => "RequestExpired",
            Self::AuthorizationQueryParametersError(_) => "AuthorizationQueryParametersError",
            Self::XAmzContentSha256Mismatch(_) => "XAmzContentSHA256Mismatch",
        }
    }

    /// The HTTP status AWS answers with (IAM's Common Errors page; S3's for
    /// the two S3-worded errors).
    #[must_use]
    pub fn http_status(&self) -> u16 {
        match self {
            Self::MissingAuthenticationToken(_) | Self::SignatureDoesNotMatch(_) => 403,
            Self::IncompleteSignature(_)
            | Self::RequestExpired(_)
            | Self::AuthorizationQueryParametersError(_)
            | Self::XAmzContentSha256Mismatch(_) => 400,
        }
    }

    /// The human-readable message.
    #[must_use]
    pub fn message(&self) -> &str {
        match self {
            Self::MissingAuthenticationToken(m)
            | Self::IncompleteSignature(m)
            | Self::SignatureDoesNotMatch(m)
            | Self::RequestExpired(m)
            | Self::AuthorizationQueryParametersError(m)
            | Self::XAmzContentSha256Mismatch(m) => m,
        }
    }

    pub(crate) fn signature_mismatch() -> Self {
        Self::SignatureDoesNotMatch(SIGNATURE_MISMATCH.to_owned())
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.message())
    }
}

impl std::error::Error for AuthError {}

pub(crate) const SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
pub(crate) const MISSING_TOKEN: &str = "Request is missing Authentication Token";
pub(crate) const FOUND_BOTH: &str =
    "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.";
pub(crate) const HOST_NOT_SIGNED: &str = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.";
pub(crate) const REQUEST_EXPIRED: &str = "Request has expired.";
pub(crate) const EXPIRES_NOT_A_NUMBER: &str = "X-Amz-Expires should be a number";
pub(crate) const EXPIRES_NEGATIVE: &str = "X-Amz-Expires must be non-negative";
pub(crate) const EXPIRES_TOO_LONG: &str = "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds";
pub(crate) const CONTENT_SHA256_MISMATCH: &str =
    "The provided 'x-amz-content-sha256' header does not match what was computed.";
