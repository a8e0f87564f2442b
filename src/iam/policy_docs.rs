//! What every policy-holding action shares: validating submitted documents, encoding them for
//! responses as IAM does, and naming managed policies by ARN.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::arn::Arn;
use crate::error::AwsError;
use crate::policy::{ParseOptions, PolicyDocument, PolicyError, PolicyKind, PolicySizeQuota, policy_size};

impl From<PolicyError> for AwsError {
    fn from(e: PolicyError) -> Self {
        match e {
            PolicyError::MalformedPolicyDocument(m) => Self::MalformedPolicyDocument(m),
            PolicyError::LimitExceeded(m) => Self::LimitExceeded(m),
        }
    }
}

/// Unreserved characters stay as they are; everything else is percent-encoded, which is how IAM
/// returns documents (`%7B%22Version%22%3A…`).
const DOCUMENT_ENCODE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// A document as IAM returns it in responses.
#[must_use]
pub fn url_encode(document: &str) -> String {
    utf8_percent_encode(document, DOCUMENT_ENCODE).to_string()
}

/// Validates an identity-based policy (inline or managed). Managed policies must use version
/// 2012-10-17; inline ones may still use the old version, as IAM accepts them.
///
/// # Errors
/// `MalformedPolicyDocument` with IAM's message.
pub fn parse_identity(text: &str, managed: bool) -> Result<PolicyDocument, AwsError> {
    let options = ParseOptions { require_current_version: managed, ..ParseOptions::new(PolicyKind::Identity) };
    Ok(PolicyDocument::parse_with(text, options)?)
}

/// Parses a document of AWS's managed-policy catalogue (see [`ParseOptions::written_by_aws`]).
///
/// # Errors
/// `MalformedPolicyDocument` for what no policy may hold (invalid JSON, a missing Effect).
pub fn parse_aws_managed(text: &str) -> Result<PolicyDocument, AwsError> {
    let options = ParseOptions { written_by_aws: true, ..ParseOptions::new(PolicyKind::Identity) };
    Ok(PolicyDocument::parse_with(text, options)?)
}

/// Checks that an entity's inline policies together stay under IAM's size quota.
///
/// # Errors
/// `LimitExceeded` with IAM's message.
pub fn check_inline_size<'a>(
    quota: PolicySizeQuota,
    entity: &str,
    documents: impl IntoIterator<Item = &'a str>,
) -> Result<(), AwsError> {
    let total = documents.into_iter().map(policy_size).sum();
    Ok(quota.check(total, entity)?)
}

/// A customer managed policy's ARN, taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyArn {
    pub account: String,
    pub path: String,
    pub name: String,
}

impl PolicyArn {
    /// Parses `arn:aws:iam::ACCOUNT:policy/PATH/NAME`.
    ///
    /// # Errors
    /// `ValidationError` worded as IAM's for a string that is no ARN at all.
    pub fn parse(arn: &str) -> Result<Self, AwsError> {
        let invalid = || AwsError::ValidationError("Invalid ARN:  Could not be parsed!".into());
        let parsed = Arn::parse(arn).ok_or_else(invalid)?;
        let Some((path, name)) = parsed.iam_entity("policy") else {
            return Err(if parsed.service == "iam" { not_attachable(arn) } else { invalid() });
        };
        if name.is_empty() {
            return Err(invalid());
        }
        Ok(Self { account: parsed.account.to_owned(), path, name: name.to_owned() })
    }
}

/// IAM's answer when attaching (or using as a boundary) a policy that does not exist.
#[must_use]
pub fn not_attachable(arn: &str) -> AwsError {
    AwsError::NoSuchEntity(format!("Policy {arn} does not exist or is not attachable."))
}

/// IAM's answer when a named managed policy does not exist.
#[must_use]
pub fn policy_not_found(arn: &str) -> AwsError {
    AwsError::NoSuchEntity(format!("Policy {arn} was not found."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_returned_percent_encoded() {
        assert_eq!(url_encode(r#"{"A": "b c/*"}"#), "%7B%22A%22%3A%20%22b%20c%2F%2A%22%7D");
    }

    #[test]
    fn policy_arns_are_taken_apart() {
        let a = PolicyArn::parse("arn:aws:iam::123456789012:policy/team/a/ReadOnly").unwrap();
        assert_eq!((a.account.as_str(), a.path.as_str(), a.name.as_str()), ("123456789012", "/team/a/", "ReadOnly"));
        let b = PolicyArn::parse("arn:aws:iam::123456789012:policy/P").unwrap();
        assert_eq!(b.path, "/");
        assert_eq!(PolicyArn::parse("not-an-arn").unwrap_err().code(), "ValidationError");
        assert_eq!(PolicyArn::parse("arn:aws:iam::123456789012:user/x").unwrap_err().code(), "NoSuchEntity");
    }
}
