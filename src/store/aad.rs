//! The associated data each kind of sealed secret is bound to, so that a sealed value cannot be
//! moved to another record. Sealing, opening and re-sealing under a new master key
//! (`iamd rotate-master-key`) must all agree on it, so it is written once, here. An access key's
//! secret is bound to the key id itself.

/// A Keystone credential's blob.
#[must_use]
pub fn credential(id: &str) -> String {
    format!("credential/{id}")
}

/// A virtual MFA device's seed: its serial number, `arn:aws:iam::ACCOUNT:mfa{path}{name}`.
#[must_use]
pub fn mfa_serial(account: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:mfa{path}{name}")
}

/// An outbound web identity federation issuer's private key for `algorithm`.
#[must_use]
pub fn outbound_key(account: &str, algorithm: &str) -> String {
    format!("outbound-federation:{account}:{algorithm}")
}

/// A server certificate's private key.
#[must_use]
pub fn server_certificate(id: &str) -> String {
    format!("server-certificate/{id}")
}

/// A service-specific credential's password.
#[must_use]
pub fn service_credential(id: &str) -> String {
    format!("service-credential/{id}")
}

/// A session-token key of the keyring.
#[must_use]
pub fn token_key(id: &str) -> String {
    format!("token-key/{id}")
}
