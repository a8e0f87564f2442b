//! IAM actions, one file per entity.

pub mod access_keys;
pub mod attached_policies;
pub mod boundaries;
pub mod groups;
pub mod holders;
pub mod inline_policies;
pub mod listing;
pub mod managed_policies;
mod pagination;
pub mod policy_docs;
pub mod policy_versions;
pub mod roles;
pub mod simulate;
pub mod tagging;
pub mod tags;
pub mod users;

use crate::error::AwsError;
use crate::protocol::XmlOut;
use crate::store::UserRecord;

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

/// Splits the part of an IAM ARN after `user/`, `role/`, `policy/`… into path and name:
/// `a/b/name` → (`/a/b/`, `name`), `name` → (`/`, `name`).
#[must_use]
pub fn split_path_name(rest: &str) -> (String, &str) {
    match rest.rfind('/') {
        Some(i) => (format!("/{}/", &rest[..i]), &rest[i + 1..]),
        None => ("/".to_owned(), rest),
    }
}

/// The ARN of a user that may not exist yet.
#[must_use]
pub fn user_arn(account: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:user{path}{name}")
}

/// The `User` shape; list responses leave tags out, as IAM does.
fn write_user(w: &mut XmlOut, user: &UserRecord, with_tags: bool) {
    w.text("Path", &user.path);
    w.text("UserName", &user.name);
    w.text("UserId", &user.id);
    w.text("Arn", &user.arn());
    w.time("CreateDate", user.create_date);
    boundaries::write(w, user.permissions_boundary.as_deref());
    if with_tags && !user.tags.is_empty() {
        tags::write(w, &user.tags);
    }
}
