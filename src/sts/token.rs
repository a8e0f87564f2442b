//! Self-contained session tokens: the temporary credentials' claims (key id, secret, expiry,
//! identity, session policies, tags) sealed with AES-256-GCM under the token key. Verifying a
//! request opens the token — no disk lookup — so tokens survive restarts and work on every
//! replica sharing the token key. The key id travels in the clear so keys can rotate.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use rand::RngCore;
use rand::rngs::OsRng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::protocol::Tag;
use crate::sigv4::SecretKey;

/// What the bearer of a token is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub enum SessionIdentity {
    /// A role session from AssumeRole.
    AssumedRole { role_name: String, role_path: String, role_id: String, session_name: String },
    /// An IAM user's session from GetSessionToken.
    User { name: String, id: String, path: String },
    /// The root user's session from GetSessionToken.
    Root,
    /// A federated user's session from GetFederationToken (`user`: who federated; none = root).
    FederatedUser { name: String, user: Option<FederatingUser> },
}

/// The IAM user who called GetFederationToken: the session's permissions are at most theirs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FederatingUser {
    pub name: String,
    pub id: String,
    pub path: String,
}

/// Everything a session token carries.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionClaims {
    pub access_key_id: String,
    pub secret: crate::sigv4::SecretKey,
    pub account: String,
    /// Unix seconds.
    pub issued_at: i64,
    /// Unix seconds; the token is refused from this instant on.
    pub expires_at: i64,
    pub identity: SessionIdentity,
    #[serde(default)]
    pub policy: Option<String>,
    #[serde(default)]
    pub policy_arns: Vec<String>,
    #[serde(default)]
    pub source_identity: Option<String>,
    #[serde(default)]
    pub tags: Vec<Tag>,
    #[serde(default)]
    pub transitive_tag_keys: Vec<String>,
    /// For AssumeRoleWithWebIdentity's sessions: the provider and the token's subject.
    #[serde(default)]
    pub web_identity: Option<WebIdentityClaims>,
    /// When the session's MFA code was checked (Unix seconds): `aws:MultiFactorAuthPresent` and
    /// `aws:MultiFactorAuthAge` follow from it. `None` for sessions got without MFA.
    #[serde(default)]
    pub mfa_authenticated_at: Option<i64>,
    /// For AssumeRoleWithSAML's sessions: the provider and the assertion's `saml:` keys.
    #[serde(default)]
    pub saml: Option<SamlClaims>,
    /// The long-term access key the session was got with (GetSessionToken, GetFederationToken):
    /// deleting or deactivating that key ends the session at once.
    #[serde(default)]
    pub parent_key: Option<String>,
}

/// Where a SAML session came from (`aws:FederatedProvider`, `saml:sub`, `saml:aud`, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SamlClaims {
    pub provider_arn: String,
    /// Condition keys and their values, as the trust policy saw them.
    pub keys: Vec<(String, Vec<String>)>,
}

/// Where a web-identity session came from (`aws:FederatedProvider`, `HOST:sub`, `HOST:aud`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebIdentityClaims {
    pub provider_arn: String,
    pub provider_id: String,
    pub subject: String,
    pub audience: String,
}

impl std::fmt::Debug for SessionClaims {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionClaims")
            .field("access_key_id", &self.access_key_id)
            .field("secret", &"[REDACTED]")
            .field("identity", &self.identity)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// The only failure: the token is not one of ours, or was altered.
#[derive(Debug, PartialEq, Eq)]
pub struct InvalidToken;

/// The AES key a token key's material gives.
fn cipher_of(material: &SecretKey) -> Aes256Gcm {
    let key: Zeroizing<[u8; 32]> = Zeroizing::new(Sha256::digest(material.expose().as_bytes()).into());
    Aes256Gcm::new(key.as_ref().into())
}

/// Seals and opens session tokens.
pub struct TokenSealer {
    key_id: String,
    cipher: Aes256Gcm,
    /// Retired keys: they open the tokens they sealed, and seal nothing.
    older: Vec<(String, Aes256Gcm)>,
    /// Tokens already opened: a token never changes, so its claims can be reused (expiry is
    /// still checked on every request against the claims).
    opened: quick_cache::sync::Cache<String, std::sync::Arc<SessionClaims>>,
    newer: Newer,
}

/// Finds a key made after this process started: the material of key `id`, if it exists.
pub type KeyLookup = Box<dyn Fn(&str) -> Option<SecretKey> + Send + Sync>;

/// Keys newer than the current one, learned when a token names one: on a shared store another
/// replica, restarted after a rotation, seals with a key this one has not loaded.
#[derive(Default)]
struct Newer {
    lookup: Option<KeyLookup>,
    learned: std::sync::RwLock<Vec<(String, Aes256Gcm)>>,
    /// When the store was last asked: a token naming a key that does not exist costs at most
    /// one read per [`LOOKUP_EVERY`], whoever sends them.
    asked: std::sync::Mutex<Option<std::time::Instant>>,
}

const LOOKUP_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

/// Opened tokens kept in memory.
const OPENED_CAPACITY: usize = 10_000;

const PREFIX: &str = "iamd";

impl TokenSealer {
    /// A sealer for key `key_id` whose AES key is derived from `material`.
    #[must_use]
    pub fn new(key_id: &str, material: &SecretKey) -> Self {
        Self::with_older(key_id, material, &[])
    }

    /// A sealer for key `key_id` that also opens what the `older` keys sealed.
    #[must_use]
    pub fn with_older(key_id: &str, material: &SecretKey, older: &[(String, SecretKey)]) -> Self {
        Self {
            key_id: key_id.to_owned(),
            cipher: cipher_of(material),
            older: older.iter().map(|(id, k)| (id.clone(), cipher_of(k))).collect(),
            opened: quick_cache::sync::Cache::new(OPENED_CAPACITY),
            newer: Newer::default(),
        }
    }

    /// Also opens tokens of keys made later (numbered above the current one) that `lookup`
    /// finds.
    #[must_use]
    pub fn learning(mut self, lookup: KeyLookup) -> Self {
        self.newer.lookup = Some(lookup);
        self
    }

    /// The cipher of a key newer than the current one, learned once.
    fn newer(&self, id: &str) -> Option<Aes256Gcm> {
        if let Some((_, c)) =
            self.newer.learned.read().unwrap_or_else(std::sync::PoisonError::into_inner).iter().find(|(k, _)| k == id)
        {
            return Some(c.clone());
        }
        let lookup = self.newer.lookup.as_ref()?;
        let (Ok(wanted), Ok(current)) = (id.parse::<u64>(), self.key_id.parse::<u64>()) else { return None };
        if wanted <= current {
            return None;
        }
        {
            let mut asked = self.newer.asked.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if asked.is_some_and(|t| t.elapsed() < LOOKUP_EVERY) {
                return None;
            }
            *asked = Some(std::time::Instant::now());
        }
        let cipher = cipher_of(&lookup(id)?);
        self.newer
            .learned
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((id.to_owned(), cipher.clone()));
        Some(cipher)
    }

    /// The cipher of key `id`, current or older.
    fn cipher(&self, id: &str) -> Option<&Aes256Gcm> {
        if id == self.key_id {
            return Some(&self.cipher);
        }
        self.older.iter().find(|(k, _)| k == id).map(|(_, c)| c)
    }

    /// `iamd{key id}.{base64url(nonce ‖ ciphertext)}`.
    #[must_use]
    pub fn seal(&self, claims: &SessionClaims) -> String {
        self.seal_json(PREFIX, claims)
    }

    /// Seals any claims under this key; `kind` starts the token and is authenticated with it, so
    /// a token of one kind never opens as another.
    #[must_use]
    pub fn seal_json<T: Serialize>(&self, kind: &str, claims: &T) -> String {
        let plain = Zeroizing::new(serde_json::to_vec(claims).unwrap_or_default());
        let mut nonce = [0u8; 12];
        OsRng.fill_bytes(&mut nonce);
        let header = format!("{kind}{}", self.key_id);
        // Encryption with a valid key and a fresh nonce does not fail.
        let ct = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: &plain, aad: header.as_bytes() })
            .unwrap_or_default();
        let mut body = nonce.to_vec();
        body.extend_from_slice(&ct);
        format!("{header}.{}", B64.encode(body))
    }

    /// Opens a token [`TokenSealer::seal_json`] made with the same `kind`.
    ///
    /// # Errors
    /// [`InvalidToken`] for anything not sealed by this key as `kind`, or altered since.
    pub fn open_json<T: serde::de::DeserializeOwned>(&self, kind: &str, token: &str) -> Result<T, InvalidToken> {
        let (header, body) = token.split_once('.').ok_or(InvalidToken)?;
        let id = header.strip_prefix(kind).ok_or(InvalidToken)?;
        let learned;
        let cipher = match self.cipher(id) {
            Some(c) => c,
            None => {
                learned = self.newer(id).ok_or(InvalidToken)?;
                &learned
            }
        };
        let body = B64.decode(body).map_err(|_| InvalidToken)?;
        if body.len() < 12 + 16 {
            return Err(InvalidToken);
        }
        let (nonce, ct) = body.split_at(12);
        let plain = Zeroizing::new(
            cipher
                .decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad: header.as_bytes() })
                .map_err(|_| InvalidToken)?,
        );
        serde_json::from_slice(&plain).map_err(|_| InvalidToken)
    }

    /// [`TokenSealer::open`], reusing the claims of a token opened before.
    ///
    /// # Errors
    /// [`InvalidToken`] for anything not sealed by this key, or altered since.
    pub fn open_cached(&self, token: &str) -> Result<std::sync::Arc<SessionClaims>, InvalidToken> {
        if let Some(claims) = self.opened.get(token) {
            return Ok(claims);
        }
        let claims = std::sync::Arc::new(self.open(token)?);
        self.opened.insert(token.to_owned(), claims.clone());
        Ok(claims)
    }

    /// Opens a session token sealed by this key.
    ///
    /// # Errors
    /// [`InvalidToken`] for anything not sealed by this key, or altered since.
    pub fn open(&self, token: &str) -> Result<SessionClaims, InvalidToken> {
        self.open_json(PREFIX, token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> SessionClaims {
        SessionClaims {
            access_key_id: "ASIAAAAAAAAAAAAAAAAA".into(),
            secret: crate::sigv4::SecretKey::new("s".repeat(40)),
            account: "000000000000".into(),
            issued_at: 1_700_000_000,
            expires_at: 1_700_003_600,
            identity: SessionIdentity::AssumedRole {
                role_name: "r".into(),
                role_path: "/".into(),
                role_id: "AROAAAAAAAAAAAAAAAAAA".into(),
                session_name: "s1".into(),
            },
            policy: Some(r#"{"Version":"2012-10-17","Statement":[]}"#.into()),
            policy_arns: vec![],
            source_identity: None,
            tags: vec![],
            transitive_tag_keys: vec![],
            web_identity: None,
            mfa_authenticated_at: Some(1_700_000_000),
            saml: None,
            parent_key: None,
        }
    }

    #[test]
    fn a_key_made_after_start_is_learned_from_the_store_once_a_token_names_it() {
        let (one, two) = (SecretKey::new("one".repeat(10)), SecretKey::new("two".repeat(10)));
        let rotated = TokenSealer::with_older("2", &two, &[("1".into(), one.clone())]);
        let token = rotated.seal(&claims());
        assert_eq!(TokenSealer::new("1", &one).open(&token), Err(InvalidToken), "unknown without a lookup");
        let asked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = asked.clone();
        let material = two.clone();
        let old = TokenSealer::new("1", &one).learning(Box::new(move |id| {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            (id == "2").then(|| material.clone())
        }));
        assert_eq!(old.open(&token).unwrap().access_key_id, claims().access_key_id);
        assert_eq!(old.open(&token).unwrap().access_key_id, claims().access_key_id);
        assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 1, "learned once");
        // Older or non-numeric ids are never looked up; a missing key is asked for at most
        // once per interval.
        let forged = token.replacen("iamd2.", "iamd0.", 1);
        assert_eq!(old.open(&forged), Err(InvalidToken));
        let forged = token.replacen("iamd2.", "iamdx.", 1);
        assert_eq!(old.open(&forged), Err(InvalidToken));
        let missing = token.replacen("iamd2.", "iamd9.", 1);
        std::thread::sleep(LOOKUP_EVERY);
        assert_eq!(old.open(&missing), Err(InvalidToken));
        assert_eq!(old.open(&missing), Err(InvalidToken));
        assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 2, "one lookup for 9 within the interval");
    }

    #[test]
    fn tokens_round_trip_and_hide_their_secret() {
        let sealer = TokenSealer::new("1", &SecretKey::new("k".repeat(80)));
        let token = sealer.seal(&claims());
        assert!(token.starts_with("iamd1."));
        assert!(!token.contains(&"s".repeat(40)));
        assert_eq!(sealer.open(&token).unwrap(), claims());
    }

    #[test]
    fn tokens_sealed_before_mfa_existed_still_open_without_it() {
        let sealer = TokenSealer::new("1", &SecretKey::new("k".repeat(80)));
        let mut old = serde_json::to_value(claims()).unwrap();
        old.as_object_mut().unwrap().remove("mfa_authenticated_at");
        let token = sealer.seal_json(PREFIX, &old);
        assert_eq!(sealer.open(&token).unwrap().mfa_authenticated_at, None);
    }

    #[test]
    fn tampered_or_foreign_tokens_are_invalid() {
        let sealer = TokenSealer::new("1", &SecretKey::new("k".repeat(80)));
        let token = sealer.seal(&claims());
        let mut bytes = token.clone().into_bytes();
        let last = bytes.len() - 3;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(sealer.open(std::str::from_utf8(&bytes).unwrap()), Err(InvalidToken));
        let other = TokenSealer::new("1", &SecretKey::new("x".repeat(80)));
        assert_eq!(other.open(&token), Err(InvalidToken));
        let rotated = TokenSealer::new("2", &SecretKey::new("k".repeat(80)));
        assert_eq!(rotated.open(&token), Err(InvalidToken));
        for junk in ["", ".", "iamd1.", "iamd1.!!!", "FwoGZXIvYXdzEJr"] {
            assert_eq!(sealer.open(junk), Err(InvalidToken));
        }
    }

    #[test]
    fn a_rotated_sealer_opens_what_its_older_keys_sealed_and_seals_with_the_new_one() {
        let old_key = SecretKey::new("k".repeat(80));
        let before = TokenSealer::new("1", &old_key);
        let token = before.seal(&claims());
        let after = TokenSealer::with_older("2", &SecretKey::new("n".repeat(80)), &[("1".into(), old_key)]);
        assert_eq!(after.open(&token).unwrap().access_key_id, claims().access_key_id);
        let fresh = after.seal(&claims());
        assert!(fresh.starts_with("iamd2."), "{fresh}");
        assert_eq!(before.open(&fresh), Err(InvalidToken), "a key that never had the new one cannot open it");
        let forgotten = TokenSealer::new("2", &SecretKey::new("n".repeat(80)));
        assert_eq!(forgotten.open(&token), Err(InvalidToken), "a key dropped from the ring opens nothing");
    }
}
