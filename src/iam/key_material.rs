//! Reading what users upload: SSH public keys (OpenSSH or PEM), X.509 certificates and chains
//! (PEM), and a server certificate's private key, checked against its certificate. Pure: no
//! store, no clock beyond the `now` passed in. Key material is never echoed in an error.

use md5::{Digest, Md5};
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey, EncodeRsaPublicKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePublicKey, LineEnding};
use rsa::traits::PublicKeyParts;
use rsa::{BigUint, RsaPrivateKey, RsaPublicKey};
use time::OffsetDateTime;
use x509_parser::pem::Pem;

use crate::error::AwsError;

/// The shortest RSA modulus IAM takes for an SSH key.
const MIN_SSH_KEY_BITS: usize = 2048;

/// An SSH public key in both encodings, with AWS's fingerprint of it.
pub struct SshKey {
    pub ssh_body: String,
    pub pem_body: String,
    pub fingerprint: String,
}

fn unrecognized() -> AwsError {
    AwsError::UnrecognizedPublicKeyEncoding(
        "The SSH public key is not in a recognized encoding: use ssh-rsa (OpenSSH) or PEM format.".into(),
    )
}

fn invalid_key(why: &str) -> AwsError {
    AwsError::InvalidPublicKey(format!("The SSH public key is invalid: {why}."))
}

/// Reads an SSH public key as IAM takes it: an `ssh-rsa` OpenSSH line or a PEM `PUBLIC KEY`
/// (or `RSA PUBLIC KEY`), RSA of at least 2048 bits.
///
/// # Errors
/// `UnrecognizedPublicKeyEncoding` for text in neither encoding, `InvalidPublicKey` for a key
/// of another algorithm or too short.
pub fn ssh_public_key(body: &str) -> Result<SshKey, AwsError> {
    let body = body.trim();
    let (rsa, ssh_body, pem_body) = if body.starts_with("-----BEGIN") {
        let rsa = RsaPublicKey::from_public_key_pem(body)
            .or_else(|_| RsaPublicKey::from_pkcs1_pem(body))
            .map_err(|_| unrecognized())?;
        let ssh = openssh_line(&rsa)?;
        (rsa, ssh, body.to_owned())
    } else {
        let key = ssh_key::PublicKey::from_openssh(body).map_err(|_| unrecognized())?;
        let ssh_key::public::KeyData::Rsa(k) = key.key_data() else {
            return Err(invalid_key("only ssh-rsa keys are supported"));
        };
        let (Some(n), Some(e)) = (k.n.as_positive_bytes(), k.e.as_positive_bytes()) else {
            return Err(invalid_key("malformed RSA parameters"));
        };
        let rsa = RsaPublicKey::new(BigUint::from_bytes_be(n), BigUint::from_bytes_be(e))
            .map_err(|_| invalid_key("malformed RSA parameters"))?;
        let pem = rsa.to_public_key_pem(LineEnding::LF).map_err(|e| AwsError::internal(&e))?;
        (rsa, body.to_owned(), pem)
    };
    if rsa.size() * 8 < MIN_SSH_KEY_BITS {
        return Err(invalid_key("the key must be at least 2048 bits long"));
    }
    let blob = openssh_key(&rsa)?.to_bytes().map_err(|e| AwsError::internal(&e))?;
    Ok(SshKey { ssh_body, pem_body, fingerprint: md5_colon_hex(&blob) })
}

fn openssh_key(rsa: &RsaPublicKey) -> Result<ssh_key::PublicKey, AwsError> {
    let mpint = |b: &[u8]| ssh_key::Mpint::from_positive_bytes(b).map_err(|e| AwsError::internal(&e));
    let data = ssh_key::public::RsaPublicKey { e: mpint(&rsa.e().to_bytes_be())?, n: mpint(&rsa.n().to_bytes_be())? };
    Ok(ssh_key::PublicKey::new(ssh_key::public::KeyData::Rsa(data), ""))
}

fn openssh_line(rsa: &RsaPublicKey) -> Result<String, AwsError> {
    openssh_key(rsa)?.to_openssh().map_err(|e| AwsError::internal(&e))
}

/// `c4:18:…`: the MD5 of the SSH wire-format key, as IAM and `ssh-keygen -E md5` show it.
fn md5_colon_hex(blob: &[u8]) -> String {
    Md5::digest(blob).iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":")
}

/// A parsed PEM certificate: its DER bytes and what IAM reads from it.
pub struct Certificate {
    pub der: Vec<u8>,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    /// The subjectPublicKey bits (PKCS#1 for RSA, the point for EC).
    pub public_key: Vec<u8>,
}

impl Certificate {
    /// SHA-256 of the DER, hex: tells two uploads of one certificate apart from others.
    #[must_use]
    pub fn fingerprint(&self) -> String {
        use sha2::Digest as _;
        hex::encode(sha2::Sha256::digest(&self.der))
    }
}

fn malformed(what: &str) -> AwsError {
    AwsError::MalformedCertificate(format!("Unable to parse {what}. Please ensure it is PEM-encoded."))
}

/// Reads one PEM `CERTIFICATE`, refusing one that has expired at `now`.
///
/// # Errors
/// `MalformedCertificate` when it is not a PEM X.509 certificate or has expired,
/// `InvalidCertificate` when it is not valid yet.
pub fn certificate(body: &str, now: OffsetDateTime) -> Result<Certificate, AwsError> {
    let (pem, _) = Pem::read(std::io::Cursor::new(body.trim().as_bytes())).map_err(|_| malformed("certificate"))?;
    let cert = parse_pem_certificate(&pem)?;
    if cert.not_after < now {
        return Err(AwsError::MalformedCertificate("The certificate has expired.".into()));
    }
    if cert.not_before > now {
        return Err(AwsError::InvalidCertificate("The certificate is not valid yet.".into()));
    }
    Ok(cert)
}

fn parse_pem_certificate(pem: &Pem) -> Result<Certificate, AwsError> {
    if pem.label != "CERTIFICATE" {
        return Err(malformed("certificate"));
    }
    let x509 = pem.parse_x509().map_err(|_| malformed("certificate"))?;
    let validity = x509.validity();
    let time = |t: &x509_parser::time::ASN1Time| {
        OffsetDateTime::from_unix_timestamp(t.timestamp()).map_err(|_| malformed("certificate"))
    };
    Ok(Certificate {
        der: pem.contents.clone(),
        not_before: time(&validity.not_before)?,
        not_after: time(&validity.not_after)?,
        public_key: x509.public_key().subject_public_key.data.to_vec(),
    })
}

/// Checks a certificate chain: one or more PEM certificates.
///
/// # Errors
/// `MalformedCertificate` when any block is not a certificate.
pub fn certificate_chain(chain: &str) -> Result<(), AwsError> {
    let mut count = 0;
    for pem in Pem::iter_from_buffer(chain.as_bytes()) {
        let pem = pem.map_err(|_| malformed("certificate chain"))?;
        parse_pem_certificate(&pem).map_err(|_| malformed("certificate chain"))?;
        count += 1;
    }
    if count == 0 {
        return Err(malformed("certificate chain"));
    }
    Ok(())
}

/// Checks that the PEM private key (RSA in PKCS#1 or PKCS#8, ECDSA P-256/P-384 in PKCS#8) is
/// the one whose public key `cert` carries.
///
/// # Errors
/// `MalformedCertificate` for a key that cannot be read, `KeyPairMismatch` for another key.
pub fn check_private_key(private_key: &str, cert: &Certificate) -> Result<(), AwsError> {
    let unreadable = || AwsError::MalformedCertificate("Unable to parse the private key.".into());
    let (pem, _) = Pem::read(std::io::Cursor::new(private_key.trim().as_bytes())).map_err(|_| unreadable())?;
    let der = zeroize::Zeroizing::new(pem.contents);
    let public = match pem.label.as_str() {
        "RSA PRIVATE KEY" => rsa_public(&RsaPrivateKey::from_pkcs1_der(&der).map_err(|_| unreadable())?)?,
        "PRIVATE KEY" => match RsaPrivateKey::from_pkcs8_der(&der) {
            Ok(k) => rsa_public(&k)?,
            Err(_) => ec_public(&der).ok_or_else(unreadable)?,
        },
        _ => return Err(unreadable()),
    };
    if public != cert.public_key {
        return Err(AwsError::KeyPairMismatch("The public key certificate and the private key do not match.".into()));
    }
    Ok(())
}

fn rsa_public(key: &RsaPrivateKey) -> Result<Vec<u8>, AwsError> {
    Ok(key.to_public_key().to_pkcs1_der().map_err(|e| AwsError::internal(&e))?.as_bytes().to_vec())
}

/// The uncompressed public point of a PKCS#8 ECDSA key.
fn ec_public(der: &[u8]) -> Option<Vec<u8>> {
    use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P384_SHA384_ASN1_SIGNING, EcdsaKeyPair, KeyPair};
    let rng = ring::rand::SystemRandom::new();
    [&ECDSA_P256_SHA256_ASN1_SIGNING, &ECDSA_P384_SHA384_ASN1_SIGNING]
        .into_iter()
        .find_map(|alg| EcdsaKeyPair::from_pkcs8(alg, der, &rng).ok())
        .map(|k| k.public_key().as_ref().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_or_foreign_key_is_refused_and_garbage_is_unrecognized() {
        assert!(matches!(ssh_public_key("not a key"), Err(AwsError::UnrecognizedPublicKeyEncoding(_))));
        let ed = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl x";
        assert!(matches!(ssh_public_key(ed), Err(AwsError::InvalidPublicKey(_))));
    }

    #[test]
    fn fingerprints_are_colon_separated_md5() {
        assert_eq!(md5_colon_hex(b""), "d4:1d:8c:d9:8f:00:b2:04:e9:80:09:98:ec:f8:42:7e");
    }
}
