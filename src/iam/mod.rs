//! IAM actions, one file per entity.

pub mod access_keys;
pub mod account_aliases;
pub mod attached_policies;
pub mod boundaries;
pub mod groups;
pub mod holders;
pub mod inline_policies;
pub mod listing;
pub mod login_profiles;
pub mod managed_policies;
pub mod not_found;
pub mod oidc_providers;
mod pagination;
pub mod password_policy;
pub mod policy_docs;
pub mod policy_versions;
pub mod roles;
pub mod saml_providers;
pub mod shapes;
pub mod simulate;
pub mod tagging;
pub mod tags;
pub mod users;
