//! Passwords: Argon2id hashing and the account password policy's rules. Pure: no store.

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::store::PasswordPolicy;

/// The characters IAM counts as symbols.
const SYMBOLS: &str = "!@#$%^&*()_+-=[]{}|'";

/// The Argon2id PHC string of `password` with a fresh salt.
///
/// # Errors
/// Only if the hasher rejects its own parameters (it does not for these).
pub fn hash(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| e.to_string())
}

/// Whether `password` is the one `phc` was made from (constant time inside argon2).
#[must_use]
pub fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// What a new password breaks of the account's policy (or of IAM's default policy when the
/// account has none: at least 8 characters, and three of the four character kinds).
#[must_use]
pub fn violations(policy: Option<&PasswordPolicy>, password: &str) -> Vec<String> {
    let upper = password.chars().any(|c| c.is_ascii_uppercase());
    let lower = password.chars().any(|c| c.is_ascii_lowercase());
    let digit = password.chars().any(|c| c.is_ascii_digit());
    let symbol = password.chars().any(|c| SYMBOLS.contains(c));
    let length = password.chars().count();
    let mut out = Vec::new();
    match policy {
        None => {
            if length < 8 {
                out.push("Password should have at least 8 characters".to_owned());
            }
            if [upper, lower, digit, symbol].iter().filter(|b| **b).count() < 3 {
                out.push(
                    "Password should have at least three of: uppercase letters, lowercase letters, numbers, symbols"
                        .to_owned(),
                );
            }
        }
        Some(p) => {
            if length < p.minimum_length as usize {
                out.push(format!("Password should have at least {} characters", p.minimum_length));
            }
            let rules = [
                (p.require_uppercase, upper, "Password should have at least one uppercase letter"),
                (p.require_lowercase, lower, "Password should have at least one lowercase letter"),
                (p.require_numbers, digit, "Password should have at least one number"),
                (p.require_symbols, symbol, "Password should have at least one symbol"),
            ];
            out.extend(rules.iter().filter(|(required, has, _)| *required && !*has).map(|(_, _, m)| (*m).to_owned()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> PasswordPolicy {
        PasswordPolicy {
            minimum_length: 10,
            require_symbols: true,
            require_numbers: true,
            require_uppercase: false,
            require_lowercase: true,
            allow_users_to_change: true,
            max_age: None,
            reuse_prevention: None,
            hard_expiry: false,
        }
    }

    #[test]
    fn hashes_verify_only_their_password_and_never_contain_it() {
        let h = hash("Correct-Horse-1").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(!h.contains("Correct-Horse-1"));
        assert!(verify("Correct-Horse-1", &h));
        assert!(!verify("Correct-Horse-2", &h));
        assert!(!verify("Correct-Horse-1", "not a hash"));
        assert_ne!(hash("Correct-Horse-1").unwrap(), h, "salted");
    }

    #[test]
    fn default_policy_wants_eight_characters_of_three_kinds() {
        assert!(violations(None, "Abcdef1!").is_empty());
        assert!(violations(None, "abcdefg1A").is_empty());
        assert_eq!(violations(None, "abcdefgh").len(), 1);
        assert_eq!(violations(None, "Ab1").len(), 1);
        assert_eq!(violations(None, "abc").len(), 2);
    }

    #[test]
    fn account_policy_rules_are_each_checked() {
        let p = policy();
        assert!(violations(Some(&p), "abcdefgh1!").is_empty());
        let v = violations(Some(&p), "ABCDEFGHIJ");
        assert_eq!(v.len(), 3, "{v:?}");
        assert_eq!(violations(Some(&p), "abc1!"), vec!["Password should have at least 10 characters"]);
    }
}
