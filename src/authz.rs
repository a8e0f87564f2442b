//! Authorization until the policy engine is wired in: the root of an account may do everything in
//! it; any other principal has no policies, so AWS denies it every action that needs a permission.

use crate::error::AwsError;
use crate::principal::Principal;

/// Decides whether `principal` may perform `action` (e.g. `iam:ListUsers`) on `resource`.
///
/// # Errors
/// `AccessDenied`, worded as AWS words an implicit deny.
pub fn authorize(principal: &Principal, action: &str, resource: &str) -> Result<(), AwsError> {
    if let Principal::Root { account } = principal
        && (resource == "*" || resource_account(resource) == Some(account.as_str()))
    {
        return Ok(());
    }
    Err(AwsError::AccessDenied(format!(
        "{}: {} is not authorized to perform: {action} on resource: {resource} because no identity-based policy allows the {action} action",
        principal.kind_word(),
        principal.arn()
    )))
}

/// The account field of an ARN (`arn:partition:service:region:account:resource`).
fn resource_account(arn: &str) -> Option<&str> {
    arn.split(':').nth(4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_may_act_in_its_own_account_only() {
        let root = Principal::Root {
            account: "000000000000".into(),
        };
        assert!(authorize(&root, "iam:ListUsers", "arn:aws:iam::000000000000:user/").is_ok());
        assert!(authorize(&root, "iam:GetUser", "arn:aws:iam::111111111111:user/bob").is_err());
    }

    #[test]
    fn users_without_policies_are_denied_in_aws_words() {
        let alice = Principal::User {
            account: "000000000000".into(),
            name: "alice".into(),
            id: "AIDAX".into(),
            path: "/".into(),
        };
        let err =
            authorize(&alice, "iam:ListUsers", "arn:aws:iam::000000000000:user/").unwrap_err();
        assert_eq!(err.code(), "AccessDenied");
        assert_eq!(
            err.message(),
            "User: arn:aws:iam::000000000000:user/alice is not authorized to perform: iam:ListUsers on resource: \
             arn:aws:iam::000000000000:user/ because no identity-based policy allows the iam:ListUsers action"
        );
    }
}
