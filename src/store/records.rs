//! Stored records, format version 1. Fields added later must be `#[serde(default)]` so older
//! records still read; incompatible changes get a new module and a migration.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::crypto::SealedSecret;
use crate::protocol::Tag;

/// An account: its root's long-term keys.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AccountRecord {
    pub id: String,
    /// When iamd first saw the account (the root identity's CreateDate).
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub create_date: Option<OffsetDateTime>,
    #[serde(default)]
    pub root_access_keys: Vec<String>,
}

/// An IAM user.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserRecord {
    pub account: String,
    pub name: String,
    pub id: String,
    pub path: String,
    #[serde(with = "time::serde::rfc3339")]
    pub create_date: OffsetDateTime,
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// Ids of the user's access keys, in creation order; kept here so the per-user limit is
    /// checked inside the same transaction that adds a key.
    #[serde(default)]
    pub access_keys: Vec<String>,
}

impl UserRecord {
    #[must_use]
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:user{}{}",
            self.account, self.path, self.name
        )
    }
}

/// `Active` or `Inactive`, as IAM writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyStatus {
    Active,
    Inactive,
}

impl KeyStatus {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::Inactive => "Inactive",
        }
    }
}

/// A long-term access key; `user` is `None` for the account root's keys.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessKeyRecord {
    pub id: String,
    pub account: String,
    pub user: Option<String>,
    pub status: KeyStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub create_date: OffsetDateTime,
    pub secret: SealedSecret,
}

/// When and where a key was last used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyLastUsed {
    #[serde(with = "time::serde::rfc3339")]
    pub date: OffsetDateTime,
    pub service: String,
    pub region: String,
}

/// Users are keyed by account and lowercased name: IAM names are unique regardless of case.
#[must_use]
pub fn user_key(account: &str, name: &str) -> Vec<u8> {
    format!("{account}/{}", name.to_lowercase()).into_bytes()
}
