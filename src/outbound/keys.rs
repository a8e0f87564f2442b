//! An issuer's two signing keys (RS256: RSA 2048; ES384: P-384), their public JWKS, and
//! signing.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use serde_json::json;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// The algorithms GetWebIdentityToken takes, as its `SigningAlgorithm` names them.
pub const ALGORITHMS: &[&str] = &["RS256", "ES384"];

/// Freshly made keys: the private halves (DER) and the public JWKS.
pub struct Generated {
    pub rsa_pkcs1_der: Zeroizing<Vec<u8>>,
    pub ec_pkcs8_der: Zeroizing<Vec<u8>>,
    pub rsa_kid: String,
    pub ec_kid: String,
    pub jwks: String,
}

/// A key id: the start of the public key's SHA-256, so a new key never reuses an old id.
fn kid(public: &[u8]) -> String {
    hex::encode(&Sha256::digest(public)[..12])
}

/// Makes an RSA 2048 and a P-384 key.
///
/// # Errors
/// A message when the system's random source or the key encoders fail.
pub fn generate() -> Result<Generated, String> {
    let rsa = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).map_err(|e| format!("RSA key: {e}"))?;
    let rsa_der = Zeroizing::new(rsa.to_pkcs1_der().map_err(|e| format!("RSA key: {e}"))?.as_bytes().to_vec());
    let (n, e) = (rsa.n().to_bytes_be(), rsa.e().to_bytes_be());
    let rsa_kid = kid(&[n.as_slice(), e.as_slice()].concat());

    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, &rng)
        .map_err(|_| "P-384 key: generation failed".to_owned())?;
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, pkcs8.as_ref(), &rng)
        .map_err(|_| "P-384 key: unreadable".to_owned())?;
    // An uncompressed point: 0x04, then x and y of 48 bytes each.
    let point = pair.public_key().as_ref();
    let (x, y) = point[1..].split_at(48);
    let ec_kid = kid(point);

    let jwks = json!({ "keys": [
        { "kty": "RSA", "use": "sig", "alg": "RS256", "kid": rsa_kid, "n": B64URL.encode(&n), "e": B64URL.encode(&e) },
        { "kty": "EC", "use": "sig", "alg": "ES384", "kid": ec_kid, "crv": "P-384",
          "x": B64URL.encode(x), "y": B64URL.encode(y) },
    ]});
    Ok(Generated {
        rsa_pkcs1_der: rsa_der,
        ec_pkcs8_der: Zeroizing::new(pkcs8.as_ref().to_vec()),
        rsa_kid,
        ec_kid,
        jwks: jwks.to_string(),
    })
}

/// A compact JWT of `claims`, signed with `der` (PKCS#1 RSA for RS256, PKCS#8 P-384 for ES384).
///
/// # Errors
/// A message when the key does not load or signing fails.
pub fn sign(algorithm: &str, kid: &str, der: &[u8], claims: &serde_json::Value) -> Result<String, String> {
    let (alg, key) = match algorithm {
        "RS256" => (Algorithm::RS256, EncodingKey::from_rsa_der(der)),
        "ES384" => (Algorithm::ES384, EncodingKey::from_ec_der(der)),
        other => return Err(format!("unknown signing algorithm {other}")),
    };
    let header = Header { kid: Some(kid.to_owned()), ..Header::new(alg) };
    jsonwebtoken::encode(&header, claims, &key).map_err(|e| format!("JWT signing: {e}"))
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::jwk::JwkSet;
    use jsonwebtoken::{DecodingKey, Validation, decode};

    use super::*;

    #[test]
    fn both_algorithms_verify_with_the_published_keys() {
        let keys = generate().unwrap();
        let set: JwkSet = serde_json::from_str(&keys.jwks).unwrap();
        for (alg, kid, der) in
            [("RS256", &keys.rsa_kid, &keys.rsa_pkcs1_der), ("ES384", &keys.ec_kid, &keys.ec_pkcs8_der)]
        {
            let claims = json!({ "sub": "s", "aud": "a", "exp": 4_000_000_000_u64 });
            let token = sign(alg, kid, der, &claims).unwrap();
            let jwk = set.find(kid).unwrap();
            let algorithm = if alg == "RS256" { Algorithm::RS256 } else { Algorithm::ES384 };
            let mut v = Validation::new(algorithm);
            v.set_audience(&["a"]);
            let got = decode::<serde_json::Value>(&token, &DecodingKey::from_jwk(jwk).unwrap(), &v).unwrap();
            assert_eq!(got.claims["sub"], "s");
            // Another key does not verify it.
            let other = set.keys.iter().find(|k| k.common.key_id.as_deref() != Some(kid.as_str())).unwrap();
            assert!(decode::<serde_json::Value>(&token, &DecodingKey::from_jwk(other).unwrap(), &v).is_err());
        }
    }
}
