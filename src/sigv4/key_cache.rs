//! Signing-key derivation and a cache of derived keys.
//!
//! A signing key depends only on the secret and the scope (date, region,
//! service), so one key serves every request a client signs in a day; caching
//! it saves four HMACs per request.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::secret::SecretKey;
use super::string_to_sign::{Scope, TERMINATOR};

/// At most this many keys are kept, so a stream of made-up access key ids
/// cannot grow the cache without bound.
const MAX_ENTRIES: usize = 10_000;

/// HMAC-SHA256 of `msg` under `key`.
pub(crate) fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    // HMAC takes keys of any length (long ones are hashed), so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(msg);
    mac.finalize().into_bytes().into()
}

/// Derives the SigV4 signing key:
/// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request").
#[must_use]
pub fn signing_key(secret: &SecretKey, date: &str, region: &str, service: &str) -> [u8; 32] {
    let mut k_secret = Zeroizing::new(Vec::with_capacity(4 + secret.expose().len()));
    k_secret.extend_from_slice(b"AWS4");
    k_secret.extend_from_slice(secret.expose().as_bytes());
    let k_date = Zeroizing::new(hmac_sha256(&k_secret, date.as_bytes()));
    let k_region = Zeroizing::new(hmac_sha256(&*k_date, region.as_bytes()));
    let k_service = Zeroizing::new(hmac_sha256(&*k_region, service.as_bytes()));
    hmac_sha256(&*k_service, TERMINATOR.as_bytes())
}

/// Identifies the secret a cached key was derived from without keeping the
/// secret itself in the cache.
fn fingerprint(secret: &SecretKey) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"iamd sigv4 signing-key cache\0");
    h.update(secret.expose().as_bytes());
    h.finalize().into()
}

#[derive(Clone)]
struct CachedKey {
    fingerprint: [u8; 32],
    key: Zeroizing<[u8; 32]>,
}

/// A thread-safe, bounded cache of derived signing keys, keyed by (access key
/// id, date, region, service). Sharded, so concurrent requests do not queue
/// on one lock.
///
/// Each entry remembers a fingerprint of the secret it was derived from, so a
/// rotated or wrong secret never gets a key derived from another one.
pub struct SigningKeyCache {
    entries: quick_cache::sync::Cache<String, CachedKey>,
}

impl SigningKeyCache {
    /// An empty cache.
    #[must_use]
    pub fn new() -> Self {
        Self { entries: quick_cache::sync::Cache::new(MAX_ENTRIES) }
    }

    /// The signing key for `scope` under `secret`, derived now or reused.
    #[must_use]
    pub fn get(&self, access_key_id: &str, scope: &Scope, secret: &SecretKey) -> Zeroizing<[u8; 32]> {
        let print = fingerprint(secret);
        // `/` appears in none of the parts, so the joined key is unambiguous.
        let id = format!("{access_key_id}/{}/{}/{}", scope.date, scope.region, scope.service);
        if let Some(hit) = self.entries.get(&id)
            && bool::from(hit.fingerprint.ct_eq(&print))
        {
            return hit.key;
        }
        let key = Zeroizing::new(signing_key(secret, &scope.date, &scope.region, &scope.service));
        self.entries.insert(id, CachedKey { fingerprint: print, key: key.clone() });
        key
    }

    /// How many keys are cached.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the cache is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Drops every cached key (e.g. after an access key is deleted).
    pub fn clear(&self) {
        self.entries.clear();
    }
}

impl Default for SigningKeyCache {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for SigningKeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeyCache").field("len", &self.len()).finish_non_exhaustive()
    }
}
