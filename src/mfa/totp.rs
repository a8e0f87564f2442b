//! RFC 6238 time-based one-time passwords as IAM's virtual MFA devices use them: HMAC-SHA-1,
//! 30-second steps, 6 digits. totp-rs computes and compares the codes (in constant time); this
//! file decides which steps a code may match.

use std::ops::RangeInclusive;

use rand::RngCore;
use rand::rngs::OsRng;
use totp_rs::{Algorithm, Builder, Secret, Totp};
use zeroize::Zeroizing;

/// Seconds per step.
pub const STEP_SECONDS: i64 = 30;
/// Digits per code.
pub const DIGITS: u8 = 6;
/// Bytes of a new seed (160 bits, RFC 4226's recommendation).
pub const SEED_BYTES: usize = 20;
/// Steps either side of the current one a sign-in code may match (clock skew and network delay,
/// RFC 6238 §5.2's recommendation of one).
pub const SKEW: i64 = 1;
/// How far (in steps, either side) ResyncMFADevice looks for a drifted device's codes: ten
/// minutes.
pub const RESYNC_WINDOW: i64 = 20;

/// A device's shared secret. Never printed; wiped from memory when dropped.
pub struct Seed(Zeroizing<Vec<u8>>);

impl std::fmt::Debug for Seed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Seed([REDACTED])")
    }
}

impl Seed {
    /// A fresh random seed from the operating system's generator.
    #[must_use]
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new(vec![0u8; SEED_BYTES]);
        OsRng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// The seed a Base32 string (RFC 4648, as authenticator apps take it) encodes.
    #[must_use]
    pub fn from_base32(text: &str) -> Option<Self> {
        let secret = Secret::try_from_base32(text).ok()?;
        Some(Self(Zeroizing::new(secret.as_ref().to_vec())))
    }

    /// The Base32 form IAM hands out as `Base32StringSeed`.
    #[must_use]
    pub fn to_base32(&self) -> Zeroizing<String> {
        Zeroizing::new(Secret::from(self.0.as_slice()).to_base32())
    }

    fn totp(&self, digits: u8) -> Option<Totp> {
        // No skew here: which steps a code may match is decided by the callers below.
        Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(digits)
            .with_skew(0)
            .with_step_duration(STEP_SECONDS.unsigned_abs())
            .with_secret(self.0.as_slice())
            .build()
            .ok()
    }

    /// The code of step `step`.
    #[must_use]
    pub fn code(&self, step: i64) -> String {
        self.code_with_digits(step, DIGITS)
    }

    fn code_with_digits(&self, step: i64, digits: u8) -> String {
        match (self.totp(digits), u64::try_from(step)) {
            (Some(t), Ok(step)) => t.generate(step * STEP_SECONDS.unsigned_abs()).to_string(),
            _ => String::new(),
        }
    }

    /// Whether `code` is the code of step `step` (compared in constant time).
    #[must_use]
    pub fn matches(&self, code: &str, step: i64) -> bool {
        let (Some(t), Ok(step)) = (self.totp(DIGITS), u64::try_from(step)) else { return false };
        code.len() == usize::from(DIGITS) && t.check(code, step * STEP_SECONDS.unsigned_abs()).is_some()
    }

    /// The first step of `steps` whose code `code` is.
    #[must_use]
    pub fn find(&self, code: &str, steps: RangeInclusive<i64>) -> Option<i64> {
        steps.into_iter().find(|&s| self.matches(code, s))
    }

    /// The step of `second` where `first` and `second` are the codes of two consecutive steps
    /// and the second lies in `steps`.
    #[must_use]
    pub fn find_consecutive(&self, first: &str, second: &str, steps: RangeInclusive<i64>) -> Option<i64> {
        steps.into_iter().find(|&s| self.matches(second, s) && self.matches(first, s - 1))
    }
}

/// The step `unix_seconds` falls in.
#[must_use]
pub fn step_at(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(STEP_SECONDS)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B's SHA-1 seed: the ASCII of "12345678901234567890".
    fn rfc_seed() -> Seed {
        Seed(Zeroizing::new(b"12345678901234567890".to_vec()))
    }

    #[test]
    fn rfc_6238_sha1_test_vectors() {
        let seed = rfc_seed();
        for (time, code) in [
            (59_i64, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(seed.code_with_digits(step_at(time), 8), code, "T = {time}");
            // Six digits are the last six of the eight (the same truncation, a smaller modulus).
            assert_eq!(seed.code(step_at(time)), code[2..], "T = {time}");
            assert!(seed.matches(&code[2..], step_at(time)));
            assert!(!seed.matches(&code[2..], step_at(time) + 1));
        }
    }

    #[test]
    fn base32_round_trips_and_new_seeds_differ() {
        let seed = rfc_seed();
        assert_eq!(seed.to_base32().as_str(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        let back = Seed::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
        assert_eq!(back.code(1), seed.code(1));
        let (a, b) = (Seed::generate(), Seed::generate());
        assert_eq!(a.0.len(), SEED_BYTES);
        assert_ne!(a.to_base32().as_str(), b.to_base32().as_str());
        assert_eq!(a.to_base32().len(), 32);
        assert!(format!("{a:?}").contains("REDACTED"));
    }

    #[test]
    fn consecutive_codes_and_windows() {
        let seed = rfc_seed();
        let now = step_at(1_700_000_000);
        let (c1, c2) = (seed.code(now - 1), seed.code(now));
        assert_eq!(seed.find_consecutive(&c1, &c2, now - 1..=now + 1), Some(now));
        assert_eq!(seed.find_consecutive(&c2, &c1, now - 1..=now + 1), None, "order matters");
        assert_eq!(seed.find_consecutive(&c2, &c2, now - 1..=now + 1), None, "the same code twice");
        let far = seed.code(now - 5);
        assert_eq!(seed.find(&far, now - SKEW..=now + SKEW), None);
        assert_eq!(seed.find(&seed.code(now + 1), now - SKEW..=now + SKEW), Some(now + 1));
        for bad in ["", "12345", "1234567", "abcdef"] {
            assert!(!seed.matches(bad, now), "{bad}");
        }
    }
}
