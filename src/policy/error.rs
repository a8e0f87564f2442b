//! The errors a policy document can earn, worded as AWS words them.
//!
//! Sources for the wording (quoted in the report that came with this module):
//! - `This policy contains invalid Json`: recorded from real AWS (`LocalStack` parity snapshot
//!   `test_create_role_with_malformed_assume_role_policy_document`, `shared/aws-recorded`).
//! - `Syntax errors in policy.`, `Policy document must be version 2012-10-17 or greater.`,
//!   `The policy failed legacy parsing`, `Statement IDs (SID) in a single policy must be unique.`,
//!   `Policy statement must contain actions.`, `Policy statement must contain resources.`,
//!   the `Actions/…` and `Vendor … is not valid` family and the resource-format family: moto's
//!   `tests/test_iam/test_iam_policies.py`, written against real AWS `CreatePolicy` answers.
//! - `Policy document should not specify a principal.`, `Has prohibited field Resource`,
//!   `Invalid principal in policy: …`: AWS answers quoted verbatim in public issue reports
//!   (hashicorp/terraform#13449, terraform-aws-modules/terraform-aws-iam#47, aws-actions/
//!   configure-aws-credentials#332, and others).
//! - `LimitExceeded` wordings: AWS answers quoted in public issue reports (see `size.rs`).

use std::fmt;

/// Why a policy document was refused. Each variant maps to one AWS error code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyError {
    /// `MalformedPolicyDocument` (HTTP 400): the document is not valid policy language.
    MalformedPolicyDocument(String),
    /// `LimitExceeded` (HTTP 409): the document is valid but too large for where it goes.
    LimitExceeded(String),
}

impl PolicyError {
    /// The AWS error code, as written in `<Code>`.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            PolicyError::MalformedPolicyDocument(_) => "MalformedPolicyDocument",
            PolicyError::LimitExceeded(_) => "LimitExceeded",
        }
    }

    /// The AWS error message, as written in `<Message>`.
    #[must_use]
    pub fn message(&self) -> &str {
        match self {
            PolicyError::MalformedPolicyDocument(m) | PolicyError::LimitExceeded(m) => m,
        }
    }

    /// The message AWS gives when a principal named in a trust policy does not exist (or is
    /// written in a form AWS does not accept), e.g. `Invalid principal in policy: "AWS":"arn:…"`.
    /// The engine checks the form; existence is for the caller, who can reuse this wording.
    #[must_use]
    pub fn invalid_principal(key: &str, value: &str) -> PolicyError {
        malformed(format!("Invalid principal in policy: \"{key}\":\"{value}\""))
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.message())
    }
}

impl std::error::Error for PolicyError {}

pub(crate) fn malformed(message: impl Into<String>) -> PolicyError {
    PolicyError::MalformedPolicyDocument(message.into())
}

/// The fixed `MalformedPolicyDocument` messages.
pub(crate) mod msg {
    pub const INVALID_JSON: &str = "This policy contains invalid Json";
    pub const SYNTAX: &str = "Syntax errors in policy.";
    pub const VERSION: &str = "Policy document must be version 2012-10-17 or greater.";
    pub const LEGACY: &str = "The policy failed legacy parsing";
    pub const SID_UNIQUE: &str = "Statement IDs (SID) in a single policy must be unique.";
    /// Seen in a CloudTrail record of a refused CreatePolicy.
    pub const SID_ALPHANUMERIC: &str = "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*";
    pub const NO_ACTIONS: &str = "Policy statement must contain actions.";
    pub const NO_RESOURCES: &str = "Policy statement must contain resources.";
    pub const NO_VENDOR: &str = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.";
    pub const ONE_COLON: &str = "Actions/Condition can contain only one colon.";
    pub const PRINCIPAL_IN_IDENTITY: &str = "Policy document should not specify a principal.";
    pub const MISSING_PRINCIPAL: &str = "Missing required field Principal";
    pub const RESOURCE_IN_TRUST: &str = "Has prohibited field Resource";
    pub const NO_PRINCIPALS: &str = "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy has a statement with no principals!";
    pub const VENDOR_NOT_QUALIFIED: &str = "Resource vendor must be fully qualified and cannot contain regexes.";
}
