//! Why a request failed authentication, and where each message's wording comes from.
//!
//! None of these messages is *recorded from AWS*: the recorded responses in
//! shared/aws-recorded (`iam.recorded.json`, `sts.recorded.json`, LocalStack's parity
//! recordings) hold no authentication failure. Each message is one of:
//! - **AWS's, quoted**: seen in a real AWS response quoted in a public issue or test, not in a
//!   recording of ours;
//! - **ours**: the wording of re-implementations that copy AWS (dynalite,
//!   scratchstack-aws-signature), or S3's wording used for lack of an IAM one. Tests assert
//!   these word for word to keep them stable, not because AWS is known to send them.
//!
//! | message | code | source |
//! | --- | --- | --- |
//! | "The request signature we calculated does not match …" | `SignatureDoesNotMatch` | AWS's, quoted: STS, boto/boto3#756 |
//! | "Request is missing Authentication Token" | `MissingAuthenticationToken` | AWS's, quoted: STS and SNS bodies kept as fixtures in public repositories |
//! | "Signature expired: … is now earlier than … (… - 15 min.)" | `SignatureDoesNotMatch` | AWS's, quoted: STS AssumeRole, devsecops/bootcamp#101 |
//! | "Signature not yet current: … is still later than … (… + 15 min.)" | `SignatureDoesNotMatch` | AWS's, quoted (Elastic Beanstalk's front end, "+ 5 min."); the 15 is ours by symmetry |
//! | "Credential should be scoped to a valid region, not '…'. " | `SignatureDoesNotMatch` | AWS's, quoted: IAM, aws/aws-sdk-go#156, aws/aws-sdk-php#493 |
//! | "Credential should be scoped to correct service: '…'. ", "… with a valid terminator: 'aws4_request', not '…'. ", "Date in Credential scope does not match YYYYMMDD …" | `SignatureDoesNotMatch` | AWS's, quoted: DynamoDB responses in mhart/dynalite's comments (same front end) |
//! | "Request has expired." | `RequestExpired` | AWS's, quoted: EC2's query-protocol wording; IAM documents the code, not the text |
//! | "Authorization header requires '…' parameter. … Authorization=…" | `IncompleteSignature` | ours (dynalite) |
//! | "AWS query-string parameters must include '…'. Re-examine the query-string parameters." | `IncompleteSignature` | ours (dynalite) |
//! | "Credential must have exactly 5 slash-delimited elements, …" | `IncompleteSignature` | ours (dynalite) |
//! | "Unsupported AWS 'algorithm': '…' (only AWS4-HMAC-SHA256 for now). " | `IncompleteSignature` | ours (dynalite) |
//! | "Date must be in ISO-8601 'basic format'. Got '…'. …" | `IncompleteSignature` | ours (dynalite) |
//! | "'…' not a valid key=value pair (missing equal-sign) in Authorization header: '…'." | `IncompleteSignature` | ours (dynalite) |
//! | "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header." | `SignatureDoesNotMatch` | ours (scratchstack-aws-signature) |
//! | "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization." | `SignatureDoesNotMatch` | ours (scratchstack-aws-signature) |
//! | the three `X-Amz-Expires` texts | `AuthorizationQueryParametersError` | ours (S3's wording; MinIO and Ceph agree) |
//! | "The provided 'x-amz-content-sha256' header does not match what was computed." | `XAmzContentSHA256Mismatch` | ours (S3's wording) |

use std::fmt;

/// Why a request failed SigV4 authentication.
///
/// Each variant carries the message iamd sends (AWS's where known, see the
/// module docs); [`AuthError::code`] gives the `<Code>` for the error response.
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

/// AWS's, quoted (boto/boto3#756); not recorded.
pub(crate) const SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
/// AWS's, quoted (STS and SNS fixtures in public repositories); not recorded.
pub(crate) const MISSING_TOKEN: &str = "Request is missing Authentication Token";
/// Ours (scratchstack-aws-signature's wording).
pub(crate) const FOUND_BOTH: &str =
    "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.";
/// Ours (scratchstack-aws-signature's wording).
pub(crate) const HOST_NOT_SIGNED: &str = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.";
/// AWS's, quoted (EC2's query protocol); not recorded for IAM or STS.
pub(crate) const REQUEST_EXPIRED: &str = "Request has expired.";
/// Ours (S3's wording).
pub(crate) const EXPIRES_NOT_A_NUMBER: &str = "X-Amz-Expires should be a number";
/// Ours (S3's wording).
pub(crate) const EXPIRES_NEGATIVE: &str = "X-Amz-Expires must be non-negative";
/// Ours (S3's wording).
pub(crate) const EXPIRES_TOO_LONG: &str = "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds";
/// Ours (S3's wording).
pub(crate) const CONTENT_SHA256_MISMATCH: &str =
    "The provided 'x-amz-content-sha256' header does not match what was computed.";
