//! Secrets at rest: AES-256-GCM under the master key, with the access key id as associated data
//! so a sealed secret cannot be moved to another key's record.

use std::fs;
use std::io::Write;
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use rand::RngCore;
use rand::rngs::OsRng;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::AwsError;
use crate::sigv4::SecretKey;

/// The 32-byte key that seals every secret in a data directory.
pub struct MasterKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey([REDACTED])")
    }
}

impl MasterKey {
    /// Reads the key from `path` (base64 text), creating it with mode 0600 when `create` and absent.
    ///
    /// # Errors
    /// When the file cannot be read or written, or does not hold 32 base64-encoded bytes.
    pub fn load_or_create(path: &Path, create: bool) -> Result<Self, String> {
        match fs::read_to_string(path) {
            Ok(text) => {
                check_private(path)?;
                let bytes = Zeroizing::new(
                    B64.decode(text.trim()).map_err(|e| format!("master key {}: not base64: {e}", path.display()))?,
                );
                let key: [u8; 32] = bytes
                    .as_slice()
                    .try_into()
                    .map_err(|_| format!("master key {}: must be 32 bytes, base64-encoded", path.display()))?;
                Ok(Self(Zeroizing::new(key)))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
                let mut key = Zeroizing::new([0u8; 32]);
                OsRng.fill_bytes(key.as_mut());
                write_private(path, B64.encode(key.as_ref()).as_bytes())
                    .map_err(|e| format!("cannot write master key {}: {e}", path.display()))?;
                Ok(Self(key))
            }
            Err(e) => Err(format!("cannot read master key {}: {e}", path.display())),
        }
    }

    /// A value that tells keys apart without revealing them (HMAC-SHA256 of a fixed label),
    /// kept in backups so an import can say it was given the wrong key.
    #[must_use]
    pub fn check_value(&self) -> String {
        use hmac::{Hmac, Mac};
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(self.0.as_ref()).expect("any key length");
        mac.update(b"iamd master key check v1");
        hex::encode(mac.finalize().into_bytes())
    }

    /// A key from raw bytes (tests).
    #[must_use]
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Zeroizing::new(bytes))
    }
}

/// Refuses a key file that its group or others may read or write: whoever can read it can open
/// every secret of the store.
fn check_private(path: &Path) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(path)
            .map_err(|e| format!("cannot read master key {}: {e}", path.display()))?
            .permissions()
            .mode()
            & 0o777;
        if mode & 0o077 != 0 {
            return Err(format!(
                "master key {} is open to its group or others (mode {mode:03o}): it must be readable by its owner \
                 only (chmod 600 {})",
                path.display(),
                path.display()
            ));
        }
    }
    Ok(())
}

/// Creates `path` readable by its owner only, writes `bytes` and syncs it, then its directory's
/// entry (a crash right after must not lose the key the store is about to be sealed with).
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(bytes)?;
    f.write_all(b"\n")?;
    f.sync_all()?;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or_else(|| Path::new("."));
    fs::File::open(dir)?.sync_all()
}

/// A secret as stored: nonce and ciphertext, base64.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SealedSecret {
    nonce: String,
    ciphertext: String,
}

/// Seals and opens secrets with the master key.
#[derive(Clone)]
pub struct Sealer {
    cipher: Aes256Gcm,
}

impl Sealer {
    #[must_use]
    pub fn new(master: &MasterKey) -> Self {
        Self { cipher: Aes256Gcm::new(master.0.as_ref().into()) }
    }

    /// Encrypts `secret`, bound to `key_id`.
    ///
    /// # Errors
    /// `ServiceFailure` if encryption fails (it does not for valid keys).
    pub fn seal(&self, key_id: &str, secret: &SecretKey) -> Result<SealedSecret, AwsError> {
        let mut nonce = [0u8; 12];
        OsRng.fill_bytes(&mut nonce);
        let ciphertext = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: secret.expose().as_bytes(), aad: key_id.as_bytes() })
            .map_err(|_| AwsError::internal(&"secret sealing failed"))?;
        Ok(SealedSecret { nonce: B64.encode(nonce), ciphertext: B64.encode(ciphertext) })
    }

    /// Decrypts a secret sealed for `key_id`.
    ///
    /// # Errors
    /// `ServiceFailure` when the record was sealed under another key or tampered with.
    pub fn open(&self, key_id: &str, sealed: &SealedSecret) -> Result<SecretKey, AwsError> {
        let fail = || {
            AwsError::internal(&format!(
                "cannot open the sealed secret of {key_id}: wrong master key or corrupt record"
            ))
        };
        let nonce = B64.decode(&sealed.nonce).map_err(|_| fail())?;
        let ciphertext = B64.decode(&sealed.ciphertext).map_err(|_| fail())?;
        if nonce.len() != 12 {
            return Err(fail());
        }
        let plain = Zeroizing::new(
            self.cipher
                .decrypt(Nonce::from_slice(&nonce), Payload { msg: &ciphertext, aad: key_id.as_bytes() })
                .map_err(|_| fail())?,
        );
        let text = std::str::from_utf8(&plain).map_err(|_| fail())?;
        Ok(SecretKey::new(text.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secret_opens_only_for_its_key_id_and_master() {
        let sealer = Sealer::new(&MasterKey::from_bytes([7; 32]));
        let secret = SecretKey::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into());
        let sealed = sealer.seal("AKIAAAAAAAAAAAAAAAAA", &secret).unwrap();
        assert!(!sealed.ciphertext.contains("wJalr"));
        assert_eq!(sealer.open("AKIAAAAAAAAAAAAAAAAA", &sealed).unwrap().expose(), secret.expose());
        assert!(sealer.open("AKIABBBBBBBBBBBBBBBB", &sealed).is_err());
        let other = Sealer::new(&MasterKey::from_bytes([8; 32]));
        assert!(other.open("AKIAAAAAAAAAAAAAAAAA", &sealed).is_err());
    }

    #[test]
    fn master_key_file_is_created_private_and_reread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        assert!(MasterKey::load_or_create(&path, false).is_err());
        let a = MasterKey::load_or_create(&path, true).unwrap();
        let b = MasterKey::load_or_create(&path, false).unwrap();
        assert_eq!(a.0.as_ref(), b.0.as_ref());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_master_key_others_may_read_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        MasterKey::load_or_create(&path, true).unwrap();
        for mode in [0o640, 0o604, 0o660, 0o644] {
            fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
            let err = MasterKey::load_or_create(&path, false).unwrap_err();
            assert!(err.contains(&format!("(mode {mode:03o})")) && err.contains("chmod 600"), "{err}");
        }
        fs::set_permissions(&path, fs::Permissions::from_mode(0o400)).unwrap();
        MasterKey::load_or_create(&path, false).unwrap();
    }
}
