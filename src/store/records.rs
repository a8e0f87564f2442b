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
    /// The rules every new password in the account must follow; `None` = AWS's defaults.
    #[serde(default)]
    pub password_policy: Option<PasswordPolicy>,
    /// The account's alias (unique across accounts; also its Keystone project name).
    #[serde(default)]
    pub alias: Option<String>,
    /// Its IAM OpenID Connect providers (at most 100, as in AWS).
    #[serde(default)]
    pub oidc_providers: Vec<OidcProviderRecord>,
    /// Its IAM SAML providers (at most 100, as in AWS).
    #[serde(default)]
    pub saml_providers: Vec<SamlProviderRecord>,
}

/// An IAM SAML provider: the IdP's metadata as given, and what AssumeRoleWithSAML needs of it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SamlProviderRecord {
    /// The name: the ARN's resource part after `saml-provider/`.
    pub name: String,
    /// GetSAMLProvider's SAMLProviderUUID.
    pub uuid: String,
    /// The metadata document as uploaded.
    pub metadata: String,
    /// The metadata's `entityID`: the Issuer its assertions name.
    pub entity_id: String,
    /// Its signing certificates, DER in standard base64.
    pub certificates: Vec<String>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub valid_until: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub create_date: OffsetDateTime,
    /// `Allowed` when set; `Required` cannot be (no private keys are kept).
    #[serde(default)]
    pub assertion_encryption_mode: Option<String>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// An IAM OpenID Connect provider.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OidcProviderRecord {
    /// The URL without its scheme (`HOST[:PORT]/PATH`): the ARN's resource and the prefix of
    /// the trust-policy condition keys.
    pub id: String,
    /// The URL as created.
    pub url: String,
    pub client_ids: Vec<String>,
    pub thumbprints: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub create_date: OffsetDateTime,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// An account's password policy, as UpdateAccountPasswordPolicy sets it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordPolicy {
    pub minimum_length: u32,
    pub require_symbols: bool,
    pub require_numbers: bool,
    pub require_uppercase: bool,
    pub require_lowercase: bool,
    pub allow_users_to_change: bool,
    /// Days; `None` = passwords do not expire.
    pub max_age: Option<u32>,
    /// How many earlier passwords may not be reused; `None` = no rule.
    pub reuse_prevention: Option<u32>,
    pub hard_expiry: bool,
}

/// A user's console password (used by Keystone password logins), hashed with Argon2id.
#[derive(Clone, Serialize, Deserialize)]
pub struct LoginProfile {
    /// The PHC string: algorithm, parameters, salt and hash; never the password.
    pub password_hash: String,
    #[serde(with = "time::serde::rfc3339")]
    pub create_date: OffsetDateTime,
    #[serde(default)]
    pub password_reset_required: bool,
    /// When the password was last set (for the password policy's MaxPasswordAge).
    #[serde(with = "time::serde::rfc3339")]
    pub password_set: OffsetDateTime,
    /// Hashes of earlier passwords, newest first, kept for PasswordReusePrevention.
    #[serde(default)]
    pub previous_hashes: Vec<String>,
}

impl std::fmt::Debug for LoginProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginProfile")
            .field("create_date", &self.create_date)
            .field("password_reset_required", &self.password_reset_required)
            .finish_non_exhaustive()
    }
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
    /// Names of the groups the user belongs to (each group lists its members too).
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub policies: PolicyHolding,
    /// ARN of the managed policy that bounds the user's permissions.
    #[serde(default)]
    pub permissions_boundary: Option<String>,
    #[serde(default)]
    pub login_profile: Option<LoginProfile>,
    /// Ids of the user's Keystone credentials other than access keys; deleted with the user.
    #[serde(default)]
    pub credentials: Vec<String>,
}

impl UserRecord {
    #[must_use]
    pub fn arn(&self) -> String {
        format!("arn:aws:iam::{}:user{}{}", self.account, self.path, self.name)
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

/// An inline policy, stored as submitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InlinePolicy {
    pub name: String,
    pub document: String,
}

/// The policies an identity holds: inline ones and ARNs of attached managed ones.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyHolding {
    #[serde(default)]
    pub inline: Vec<InlinePolicy>,
    #[serde(default)]
    pub attached: Vec<String>,
}

impl PolicyHolding {
    /// The inline policy called `name` (names compare without case, as IAM's do).
    #[must_use]
    pub fn inline_policy(&self, name: &str) -> Option<&InlinePolicy> {
        self.inline.iter().find(|p| p.name.eq_ignore_ascii_case(name))
    }
}

/// An IAM group.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GroupRecord {
    pub account: String,
    pub name: String,
    pub id: String,
    pub path: String,
    #[serde(with = "time::serde::rfc3339")]
    pub create_date: OffsetDateTime,
    /// Member user names, in the order they were added.
    #[serde(default)]
    pub members: Vec<String>,
    #[serde(default)]
    pub policies: PolicyHolding,
}

impl GroupRecord {
    #[must_use]
    pub fn arn(&self) -> String {
        format!("arn:aws:iam::{}:group{}{}", self.account, self.path, self.name)
    }
}

/// The kinds of identity a managed policy can be attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EntityKind {
    User,
    Group,
    Role,
}

/// Where a managed policy is attached (or used as a permissions boundary).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub kind: EntityKind,
    pub name: String,
}

/// One version of a managed policy's document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PolicyVersionRecord {
    pub id: String,
    pub document: String,
    #[serde(with = "time::serde::rfc3339")]
    pub create_date: OffsetDateTime,
}

/// A customer managed policy with its versions.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ManagedPolicyRecord {
    pub account: String,
    pub name: String,
    pub id: String,
    pub path: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub create_date: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub update_date: OffsetDateTime,
    pub default_version: String,
    pub versions: Vec<PolicyVersionRecord>,
    /// The number the next version gets: version ids are never reused.
    pub next_version: u32,
    #[serde(default)]
    pub tags: Vec<Tag>,
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    #[serde(default)]
    pub boundary_of: Vec<Attachment>,
}

impl ManagedPolicyRecord {
    #[must_use]
    pub fn arn(&self) -> String {
        format!("arn:aws:iam::{}:policy{}{}", self.account, self.path, self.name)
    }

    /// The document of the default version.
    #[must_use]
    pub fn default_document(&self) -> &str {
        self.versions.iter().find(|v| v.id == self.default_version).map_or("", |v| v.document.as_str())
    }
}

/// Named entities (users, groups, policies) are keyed by account and lowercased name.
#[must_use]
pub fn entity_key(account: &str, name: &str) -> Vec<u8> {
    format!("{account}/{}", name.to_lowercase()).into_bytes()
}

/// An IAM role.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RoleRecord {
    pub account: String,
    pub name: String,
    pub id: String,
    pub path: String,
    #[serde(with = "time::serde::rfc3339")]
    pub create_date: OffsetDateTime,
    /// The trust policy, as submitted.
    pub trust_policy: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Longest session AssumeRole may grant, in seconds (3600–43200).
    pub max_session_duration: i64,
    #[serde(default)]
    pub tags: Vec<Tag>,
    #[serde(default)]
    pub policies: PolicyHolding,
    #[serde(default)]
    pub permissions_boundary: Option<String>,
}

impl RoleRecord {
    #[must_use]
    pub fn arn(&self) -> String {
        format!("arn:aws:iam::{}:role{}{}", self.account, self.path, self.name)
    }
}

/// A Keystone credential that is not an access key (`totp`, `cert`, or a free-form type an
/// application keeps per user): its blob is sealed under the master key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CredentialRecord {
    pub id: String,
    pub account: String,
    /// The owner's IAM user id (`AIDA…`).
    pub user_id: String,
    pub kind: String,
    pub project_id: Option<String>,
    pub blob: SealedSecret,
}

/// A temporary key STS issued: the session token it belongs to (claims and secret sealed under
/// the token key), so services that never see the token (Keystone s3tokens) can resolve it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TemporaryKeyRecord {
    pub token: String,
    /// Unix seconds; the record is pruned after this.
    pub expires_at: i64,
}
