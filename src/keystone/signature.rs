//! Checking a signature a storage server forwards (s3tokens/ec2tokens): the string to sign it
//! built, base64 in either alphabet, and the client's signature. SigV4 goes through `sigv4`'s
//! pure `verify_string_to_sign`; SigV2 is HMAC-SHA1. Both compare in constant time. Pure.

use base64::Engine;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, general_purpose};
use hmac::{Hmac, Mac};
use subtle::ConstantTimeEq;

use crate::sigv4::{ALGORITHM, Scope, SecretKey, SigningKeyCache, TERMINATOR, verify_string_to_sign};

const STANDARD_ANY_PAD: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);
const URL_SAFE_ANY_PAD: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Decodes base64 in the standard or the URL-safe alphabet, padded or not (Swift sends URL-safe,
/// RGW standard).
#[must_use]
pub fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    STANDARD_ANY_PAD.decode(text).or_else(|_| URL_SAFE_ANY_PAD.decode(text)).ok()
}

/// What a forwarded string to sign is.
#[derive(Debug, PartialEq, Eq)]
pub enum StringToSign {
    /// `AWS4-HMAC-SHA256\n<amz date>\n<scope>\n<hash>`, with its scope parsed.
    V4 { scope: Scope },
    /// Anything else is taken as SigV2's.
    V2,
}

/// Classifies `sts` (the decoded string to sign).
///
/// # Errors
/// A message when it claims SigV4 but its scope is malformed.
pub fn classify(sts: &str) -> Result<StringToSign, String> {
    let mut lines = sts.split('\n');
    if lines.next() != Some(ALGORITHM) {
        return Ok(StringToSign::V2);
    }
    let (_date, scope, hash) = match (lines.next(), lines.next(), lines.next(), lines.next()) {
        (Some(d), Some(s), Some(h), None) => (d, s, h),
        _ => return Err("A SigV4 string to sign has four lines.".into()),
    };
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("A SigV4 string to sign ends with the canonical request's SHA-256.".into());
    }
    let parts: Vec<&str> = scope.split('/').collect();
    match parts.as_slice() {
        [date, region, service, term]
            if *term == TERMINATOR && date.len() == 8 && date.bytes().all(|b| b.is_ascii_digit()) =>
        {
            Ok(StringToSign::V4 {
                scope: Scope { date: (*date).into(), region: (*region).into(), service: (*service).into() },
            })
        }
        _ => Err(format!("Credential scope {scope:?} is not date/region/service/aws4_request.")),
    }
}

/// Whether `signature` signs `sts` with `secret` (hex for SigV4, base64 for SigV2).
#[must_use]
pub fn matches(
    kind: &StringToSign,
    sts: &str,
    signature: &str,
    secret: &SecretKey,
    access_key_id: &str,
    cache: &SigningKeyCache,
) -> bool {
    match kind {
        StringToSign::V4 { scope } => {
            verify_string_to_sign(sts, signature, secret, scope, access_key_id, cache).is_ok()
        }
        StringToSign::V2 => {
            let Ok(mut mac) = Hmac::<sha1::Sha1>::new_from_slice(secret.expose().as_bytes()) else { return false };
            mac.update(sts.as_bytes());
            let expected = mac.finalize().into_bytes();
            let sent = general_purpose::STANDARD.decode(signature.trim()).unwrap_or_default();
            bool::from(expected.as_slice().ct_eq(sent.as_slice()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_in_either_alphabet_with_or_without_padding() {
        let raw = b"AWS4-HMAC-SHA256\n\xfb\xff?";
        for text in [
            general_purpose::STANDARD.encode(raw),
            general_purpose::STANDARD_NO_PAD.encode(raw),
            general_purpose::URL_SAFE.encode(raw),
            general_purpose::URL_SAFE_NO_PAD.encode(raw),
        ] {
            assert_eq!(decode_base64(&text).as_deref(), Some(&raw[..]), "{text}");
        }
        assert_eq!(decode_base64("not base64!"), None);
    }

    #[test]
    fn classifies_v4_scopes_and_refuses_malformed_ones() {
        let h = "a".repeat(64);
        let ok = format!("AWS4-HMAC-SHA256\n20261201T000000Z\n20261201/us-east-1/s3/aws4_request\n{h}");
        assert_eq!(
            classify(&ok),
            Ok(StringToSign::V4 {
                scope: Scope { date: "20261201".into(), region: "us-east-1".into(), service: "s3".into() }
            })
        );
        assert_eq!(classify("GET\n\n\nTue, 01 Dec 2026 00:00:00 GMT\n/bucket"), Ok(StringToSign::V2));
        assert!(classify("AWS4-HMAC-SHA256\n20261201T000000Z\n20261201/us-east-1/s3\nabc").is_err());
        assert!(classify(&format!("AWS4-HMAC-SHA256\nx\nbad/scope/s3/aws4_request\n{h}")).is_err());
        assert!(classify(&format!("{ok}\nextra")).is_err());
    }

    #[test]
    fn sigv2_is_hmac_sha1_in_base64() {
        // AWS's own SigV2 example (Amazon S3 developer guide, "Example Object GET").
        let secret = SecretKey::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into());
        let sts = "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/awsexamplebucket1/photos/puppy.jpg";
        let cache = SigningKeyCache::new();
        assert!(matches(
            &StringToSign::V2,
            sts,
            "qgk2+6Sv9/oM7G3qLEjTH1a1l1g=",
            &secret,
            "AKIAIOSFODNN7EXAMPLE",
            &cache
        ));
        assert!(!matches(
            &StringToSign::V2,
            sts,
            "qgk2+6Sv9/oM7G3qLEjTH1a1l1h=",
            &secret,
            "AKIAIOSFODNN7EXAMPLE",
            &cache
        ));
        assert!(!matches(&StringToSign::V2, sts, "", &secret, "AKIAIOSFODNN7EXAMPLE", &cache));
    }
}
