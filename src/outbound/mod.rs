//! Outbound web identity federation: an account's JWT issuer. STS GetWebIdentityToken signs
//! tokens with the account's keys; anyone verifies them with the public keys this daemon serves
//! at `{issuer}/.well-known/jwks.json`, found through `{issuer}/.well-known/openid-configuration`.

pub mod discovery;
pub mod keys;

/// The path every issuer URL starts with, after the daemon's base URL.
pub const PATH_PREFIX: &str = "/outbound-federation/";

/// A new issuer id: the account's id (so its documents are found without a search), then
/// random hex (so an issuer disabled and removed is never confused with a later one).
#[must_use]
pub fn new_issuer_id(account: &str) -> String {
    let mut random = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut random);
    format!("{account}-{}", hex::encode(random))
}

/// The issuer URL of the issuer `issuer_id`, as reached at `base_url`.
#[must_use]
pub fn issuer_url(base_url: &str, issuer_id: &str) -> String {
    format!("{base_url}{PATH_PREFIX}{issuer_id}")
}
