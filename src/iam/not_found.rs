//! IAM's NoSuchEntity wordings, shared by every entity's actions.

use crate::error::AwsError;

/// AWS's NoSuchEntity wording for a user.
#[must_use]
pub fn no_such_user(name: &str) -> AwsError {
    AwsError::NoSuchEntity(format!("The user with name {name} cannot be found."))
}

/// AWS's NoSuchEntity wording for a group.
#[must_use]
pub fn no_such_group(name: &str) -> AwsError {
    AwsError::NoSuchEntity(format!("The group with name {name} cannot be found."))
}

/// AWS's NoSuchEntity wording for a role.
#[must_use]
pub fn no_such_role(name: &str) -> AwsError {
    AwsError::NoSuchEntity(format!("The role with name {name} cannot be found."))
}
