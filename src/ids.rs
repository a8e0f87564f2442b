//! Identifiers and secrets in AWS's formats: a 4-letter prefix plus characters of `A-Z2-7` —
//! 16 for access key ids (`AKIAIOSFODNN7EXAMPLE`, 20 in all), 17 for unique ids of users, roles,
//! groups and policies (`AIDACKCEVSQ6C2EXAMPLE`, 21 in all) — and 40-character secret keys.

use rand::RngCore;
use rand::rngs::OsRng;

/// The kind of entity an identifier names; the prefix is what AWS uses for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    AccessKey,
    TemporaryAccessKey,
    User,
    Role,
    Group,
    Policy,
    InstanceProfile,
    SshPublicKey,
    ServiceSpecificCredential,
    ServerCertificate,
    /// Signing certificates' ids carry no prefix: 32 base32 characters.
    SigningCertificate,
}

impl IdKind {
    #[must_use]
    pub fn prefix(self) -> &'static str {
        match self {
            Self::AccessKey => "AKIA",
            Self::TemporaryAccessKey => "ASIA",
            Self::User => "AIDA",
            Self::Role => "AROA",
            Self::Group => "AGPA",
            Self::Policy => "ANPA",
            Self::InstanceProfile => "AIPA",
            Self::SshPublicKey => "APKA",
            Self::ServiceSpecificCredential => "ACCA",
            Self::ServerCertificate => "ASCA",
            Self::SigningCertificate => "",
        }
    }

    /// Characters after the prefix, as AWS issues them.
    #[must_use]
    pub fn body_len(self) -> usize {
        match self {
            Self::AccessKey | Self::TemporaryAccessKey | Self::SshPublicKey => 16,
            Self::User
            | Self::Role
            | Self::Group
            | Self::Policy
            | Self::InstanceProfile
            | Self::ServiceSpecificCredential
            | Self::ServerCertificate => 17,
            Self::SigningCertificate => 32,
        }
    }
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const SECRET_ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `n` characters of `alphabet` (32 or 64 long, so masking a random byte picks each character
/// with equal chance), from one read of the OS's CSPRNG.
fn random_chars(out: &mut String, n: usize, alphabet: &[u8]) {
    debug_assert!(alphabet.len().is_power_of_two() && alphabet.len() <= 256);
    let mut bytes = [0u8; 64];
    let bytes = &mut bytes[..n];
    OsRng.fill_bytes(bytes);
    out.extend(bytes.iter().map(|b| char::from(alphabet[usize::from(*b) & (alphabet.len() - 1)])));
}

/// A new random identifier of the given kind, e.g. `AKIA` + 16 base32 characters.
#[must_use]
pub fn new_id(kind: IdKind) -> String {
    let mut id = String::with_capacity(4 + kind.body_len());
    id.push_str(kind.prefix());
    random_chars(&mut id, kind.body_len(), BASE32);
    id
}

/// A new access key id (`AKIA…` or `ASIA…`) that carries its account, as AWS's do: 8 base32
/// characters encode the 12-digit account id (40 bits), 8 random ones follow. GetAccessKeyInfo
/// can then name the account of any key this daemon issued, even a temporary one it never stored.
#[must_use]
pub fn new_key_id(kind: IdKind, account: &str) -> String {
    let Ok(number) = account.parse::<u64>() else { return new_id(kind) };
    let mut id = String::with_capacity(20);
    id.push_str(kind.prefix());
    for i in (0..8).rev() {
        id.push(char::from(BASE32[usize::try_from((number >> (5 * i)) & 31).unwrap_or(0)]));
    }
    random_chars(&mut id, 8, BASE32);
    id
}

/// The account id encoded in an access key id made by [`new_key_id`].
#[must_use]
pub fn account_of_key(id: &str) -> Option<String> {
    if id.len() != 20 || !(id.starts_with("AKIA") || id.starts_with("ASIA")) {
        return None;
    }
    let mut number: u64 = 0;
    for b in id[4..12].bytes() {
        let digit = BASE32.iter().position(|&c| c == b)?;
        number = (number << 5) | u64::try_from(digit).ok()?;
    }
    Some(format!("{number:012}"))
}

/// A new 40-character secret access key from the OS's CSPRNG.
#[must_use]
pub fn new_secret() -> String {
    let mut secret = String::with_capacity(40);
    random_chars(&mut secret, 40, SECRET_ALPHABET);
    secret
}

/// Whether `id` has the shape of an identifier of `kind`.
#[must_use]
pub fn looks_like(id: &str, kind: IdKind) -> bool {
    id.len() == 4 + kind.body_len() && id.starts_with(kind.prefix()) && id[4..].bytes().all(|b| BASE32.contains(&b))
}

/// A random UUID (version 4), as AWS writes request ids.
#[must_use]
pub fn new_uuid() -> String {
    // Ids need to be unique, not secret: the thread's userspace generator (seeded by the OS)
    // saves a system call per request.
    let mut b = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_aws_shape() {
        for (kind, len) in
            [(IdKind::AccessKey, 20), (IdKind::User, 21), (IdKind::TemporaryAccessKey, 20), (IdKind::Role, 21)]
        {
            let id = new_id(kind);
            assert_eq!(id.len(), len, "{id}");
            assert!(looks_like(&id, kind), "{id}");
            assert!(!looks_like(&id.to_lowercase(), kind));
        }
        assert_ne!(new_id(IdKind::AccessKey), new_id(IdKind::AccessKey));
    }

    #[test]
    fn key_ids_carry_their_account() {
        for account in ["000000000000", "123456789012", "999999999999"] {
            let id = new_key_id(IdKind::TemporaryAccessKey, account);
            assert!(looks_like(&id, IdKind::TemporaryAccessKey), "{id}");
            assert_eq!(account_of_key(&id).as_deref(), Some(account));
        }
        assert_eq!(account_of_key("AIDAAAAAAAAAAAAAAAAAA"), None);
    }

    #[test]
    fn secrets_are_40_chars_of_base64_alphabet() {
        let s = new_secret();
        assert_eq!(s.len(), 40);
        assert!(s.bytes().all(|b| SECRET_ALPHABET.contains(&b)));
        assert_ne!(s, new_secret());
    }
}
