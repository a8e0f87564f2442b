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
    /// Ids of the latest service-linked role deletions (GetServiceLinkedRoleDeletionStatus).
    #[serde(default)]
    pub deletion_tasks: Vec<String>,
    /// The STS global endpoint's token version (`v1Token` or `v2Token`; none = v1).
    #[serde(default)]
    pub sts_token_version: Option<String>,
    /// When GenerateCredentialReport last started a report.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub credential_report_at: Option<OffsetDateTime>,
    /// The latest GenerateServiceLastAccessedDetails jobs.
    #[serde(default)]
    pub access_jobs: Vec<AccessJob>,
    /// Its server certificates (at most 20, as in AWS).
    #[serde(default)]
    pub server_certificates: Vec<ServerCertificateRecord>,
    /// Its virtual MFA devices, enabled for a user or not.
    #[serde(default)]
    pub mfa_devices: Vec<MfaDeviceRecord>,
    /// Its IAM SAML providers (at most 100, as in AWS).
    #[serde(default)]
    pub saml_providers: Vec<SamlProviderRecord>,
    /// Outbound web identity federation (STS GetWebIdentityToken), once enabled.
    #[serde(default)]
    pub outbound_federation: Option<OutboundFederationRecord>,
}

/// The account's JWT issuer: its id (the last segment of its URL), whether it issues now, and
/// its signing keys (private halves sealed; the JWKS is public).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutboundFederationRecord {
    pub issuer_id: String,
    pub enabled: bool,
    /// RS256: the RSA key, PKCS#1 DER, base64.
    pub rsa_key: SealedSecret,
    /// ES384: the P-384 key, PKCS#8 DER, base64.
    pub ec_key: SealedSecret,
    pub rsa_kid: String,
    pub ec_kid: String,
    /// The public keys, as `/.well-known/jwks.json` serves them.
    pub jwks: String,
}

/// A GenerateServiceLastAccessedDetails job: what it covers; its answer is drawn up when read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessJob {
    pub id: String,
    pub arn: String,
    pub granularity: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
}

/// A virtual MFA device. Its serial number is `arn:aws:iam::ACCOUNT:mfa{path}{name}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MfaDeviceRecord {
    pub path: String,
    pub name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub create_date: OffsetDateTime,
    /// The Base32 seed, sealed under the master key with the serial number as associated data.
    pub seed: SealedSecret,
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// The IAM user id (`AIDA…`, which survives renames) it is enabled for, and since when.
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub enable_date: Option<OffsetDateTime>,
    /// The last time step a code was accepted for: each code is taken once (RFC 6238 §5.2).
    #[serde(default)]
    pub last_step: i64,
    /// How many steps the device's clock runs ahead of ours, as ResyncMFADevice measured it.
    #[serde(default)]
    pub drift: i64,
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
    /// SSH public keys, signing certificates and service-specific credentials.
    #[serde(default)]
    pub keys_and_certs: UserKeysAndCerts,
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
    /// An AWS managed policy: the catalogue's, or an account's record of where it uses it.
    #[serde(default)]
    pub aws_managed: bool,
}

impl ManagedPolicyRecord {
    #[must_use]
    pub fn arn(&self) -> String {
        let account = if self.aws_managed { "aws" } else { &self.account };
        format!("arn:aws:iam::{account}:policy{}{}", self.path, self.name)
    }

    /// The name the store keys it by: an account's record of an AWS policy gets a prefix no
    /// policy name can hold, so a customer policy of the same name never collides with it.
    #[must_use]
    pub fn store_name(&self) -> String {
        if self.aws_managed { aws_store_name(&self.name) } else { self.name.clone() }
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

/// The store name of an account's record of the AWS managed policy `name`.
#[must_use]
pub fn aws_store_name(name: &str) -> String {
    format!("aws:{name}")
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
    /// Names of the instance profiles that hold the role (each lists it too).
    #[serde(default)]
    pub instance_profiles: Vec<String>,
}

impl RoleRecord {
    #[must_use]
    pub fn arn(&self) -> String {
        format!("arn:aws:iam::{}:role{}{}", self.account, self.path, self.name)
    }
}

/// An EC2 instance profile: a container for at most one role.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InstanceProfileRecord {
    pub account: String,
    pub name: String,
    pub id: String,
    pub path: String,
    #[serde(with = "time::serde::rfc3339")]
    pub create_date: OffsetDateTime,
    /// Names of its roles (AWS allows one).
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

impl InstanceProfileRecord {
    #[must_use]
    pub fn arn(&self) -> String {
        format!("arn:aws:iam::{}:instance-profile{}{}", self.account, self.path, self.name)
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
#[derive(Clone, Serialize, Deserialize)]
pub struct TemporaryKeyRecord {
    pub token: String,
    /// Unix seconds; the record is pruned after this.
    pub expires_at: i64,
}

// The token is half of a credential: never in a log line.
impl std::fmt::Debug for TemporaryKeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TemporaryKeyRecord")
            .field("token", &"[REDACTED]")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

// SSH public keys, signing certificates and service-specific credentials of a user, and server
// certificates of an account. Secrets (service passwords, server certificates' private keys) are
// sealed under the master key; nothing here is returned in plaintext except what AWS returns (a
// password once, when it is made).

/// What a user holds besides access keys and a password; kept in the user's record so each
/// per-user limit is checked in the transaction that adds to it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct UserKeysAndCerts {
    #[serde(default)]
    pub ssh_public_keys: Vec<SshPublicKeyRecord>,
    #[serde(default)]
    pub signing_certificates: Vec<SigningCertificateRecord>,
    #[serde(default)]
    pub service_credentials: Vec<ServiceCredentialRecord>,
}

impl UserKeysAndCerts {
    /// Whether anything is left that DeleteUser must refuse over.
    #[must_use]
    pub fn holds_any(&self) -> bool {
        !(self.ssh_public_keys.is_empty()
            && self.signing_certificates.is_empty()
            && self.service_credentials.is_empty())
    }
}

/// An SSH public key (CodeCommit), in both encodings GetSSHPublicKey can answer with.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SshPublicKeyRecord {
    pub id: String,
    /// OpenSSH form (`ssh-rsa AAAA… comment`), as uploaded when uploaded so.
    pub ssh_body: String,
    /// PEM `PUBLIC KEY` form, as uploaded when uploaded so.
    pub pem_body: String,
    /// MD5 of the key blob, colon-separated hex.
    pub fingerprint: String,
    pub status: KeyStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub upload_date: OffsetDateTime,
}

/// An X.509 signing certificate of a user.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SigningCertificateRecord {
    pub id: String,
    /// The PEM body as uploaded.
    pub body: String,
    /// SHA-256 of the DER certificate, hex: how duplicates are told apart.
    pub der_sha256: String,
    pub status: KeyStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub upload_date: OffsetDateTime,
}

/// A service-specific credential (CodeCommit Git, Amazon Keyspaces).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServiceCredentialRecord {
    pub id: String,
    pub service_name: String,
    pub service_user_name: String,
    /// Sealed with `service-credential/{id}` as associated data.
    pub password: SealedSecret,
    pub status: KeyStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub create_date: OffsetDateTime,
}

/// A server certificate of an account, with its sealed private key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServerCertificateRecord {
    pub id: String,
    pub name: String,
    pub path: String,
    pub body: String,
    #[serde(default)]
    pub chain: Option<String>,
    /// Sealed with `server-certificate/{id}` as associated data; never returned.
    pub private_key: SealedSecret,
    #[serde(with = "time::serde::rfc3339")]
    pub upload_date: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub expiration: OffsetDateTime,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

impl ServerCertificateRecord {
    #[must_use]
    pub fn arn(&self, account: &str) -> String {
        format!("arn:aws:iam::{account}:server-certificate{}{}", self.path, self.name)
    }
}
