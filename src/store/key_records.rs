//! Records of a user's SSH public keys, signing certificates and service-specific credentials,
//! and of an account's server certificates. Secrets (service passwords, server certificates'
//! private keys) are sealed under the master key; nothing here is ever returned in plaintext
//! except what AWS returns (a password once, when it is made).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::crypto::SealedSecret;
use super::records::KeyStatus;
use crate::protocol::Tag;

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
