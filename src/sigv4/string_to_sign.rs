//! The credential scope and the string to sign.

use std::fmt;

use time::OffsetDateTime;

use super::canonical::CanonicalRequest;
use super::dates::format_amz_date;

/// The only algorithm SigV4 (as opposed to SigV4a) defines.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The fixed last element of a credential scope.
pub const TERMINATOR: &str = "aws4_request";

/// The credential scope: what a signing key is restricted to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Scope {
    /// `YYYYMMDD`.
    pub date: String,
    /// e.g. `us-east-1`.
    pub region: String,
    /// e.g. `iam`, `sts`.
    pub service: String,
}

impl fmt::Display for Scope {
    /// `date/region/service/aws4_request`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}/{TERMINATOR}", self.date, self.region, self.service)
    }
}

/// The string the signature is the HMAC of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StringToSign {
    /// The request time, `YYYYMMDD'T'HHMMSS'Z'`.
    pub request_date_time: String,
    /// The credential scope, `date/region/service/aws4_request`.
    pub credential_scope: String,
    /// Hex SHA-256 of the canonical request.
    pub hashed_canonical_request: String,
}

impl StringToSign {
    /// The string to sign for a request made at `request_time` under `scope`.
    #[must_use]
    pub fn new(request_time: OffsetDateTime, scope: &Scope, canonical_request: &CanonicalRequest) -> Self {
        Self {
            request_date_time: format_amz_date(request_time),
            credential_scope: scope.to_string(),
            hashed_canonical_request: canonical_request.hash(),
        }
    }
}

impl fmt::Display for StringToSign {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{ALGORITHM}\n{}\n{}\n{}",
            self.request_date_time, self.credential_scope, self.hashed_canonical_request
        )
    }
}
