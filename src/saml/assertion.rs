//! Verifying a SAML 2.0 Response for AssumeRoleWithSAML: the XML signature (over the Response or
//! over its one Assertion) verifies with a signing certificate of the provider's metadata, and
//! what is then read is exactly what was signed; the Issuer is the provider's entityID; the
//! Conditions, Audience and bearer SubjectConfirmationData hold now. The attributes AWS defines
//! (Role, RoleSessionName, SessionDuration, PrincipalTag:…, TransitiveTagKeys, SourceIdentity)
//! are read; the STS action decides what they allow.
//!
//! Signature wrapping is closed three ways: only keys from the metadata count (never KeyInfo),
//! the signed node must be the Response (the document element) or the Assertion itself, and a
//! Response must hold exactly one Assertion anywhere in the document (Bergshamra also refuses
//! duplicate IDs and references outside the signature's ancestors and siblings).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bergshamra_dsig::{DsigContext, VerifyResult, verify::verify_all_document};
use bergshamra_keys::KeysManager;
use sha1::{Digest, Sha1};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uppsala::{Document, NodeId};

use super::{NS_ASSERTION, NS_DSIG, NS_PROTOCOL, descendants, parse_xml, text_of};
use crate::error::AwsError;

/// How far the IdP's clock may be off.
pub const LEEWAY_SECONDS: i64 = 60;

pub const ATTR_ROLE: &str = "https://aws.amazon.com/SAML/Attributes/Role";
pub const ATTR_SESSION_NAME: &str = "https://aws.amazon.com/SAML/Attributes/RoleSessionName";
pub const ATTR_SESSION_DURATION: &str = "https://aws.amazon.com/SAML/Attributes/SessionDuration";
pub const ATTR_SOURCE_IDENTITY: &str = "https://aws.amazon.com/SAML/Attributes/SourceIdentity";
pub const ATTR_TAG_PREFIX: &str = "https://aws.amazon.com/SAML/Attributes/PrincipalTag:";
pub const ATTR_TRANSITIVE: &str = "https://aws.amazon.com/SAML/Attributes/TransitiveTagKeys";

/// The signature methods taken: RSA PKCS#1 v1.5 (what IdPs use); never HMAC, whose key would
/// be public.
const SIGNATURE_METHODS: &[&str] = &[
    "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
];

/// SAML attributes AWS exposes as `saml:` condition keys, by their `urn:oid:` names.
const OID_KEYS: &[(&str, &str)] = &[
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.1", "saml:edupersonaffiliation"),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.2", "saml:edupersonnickname"),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.3", "saml:edupersonorgdn"),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.4", "saml:edupersonorgunitdn"),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.5", "saml:edupersonprimaryaffiliation"),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.6", "saml:edupersonprincipalname"),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.7", "saml:edupersonentitlement"),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.8", "saml:edupersonprimaryorgunitdn"),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.9", "saml:edupersonscopedaffiliation"),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.10", "saml:edupersontargetedid"),
    ("urn:oid:1.3.6.1.4.1.5923.1.1.1.11", "saml:edupersonassurance"),
    ("urn:oid:1.3.6.1.4.1.5923.1.2.1.2", "saml:eduorghomepageuri"),
    ("urn:oid:1.3.6.1.4.1.5923.1.2.1.3", "saml:eduorgidentityauthnpolicyuri"),
    ("urn:oid:1.3.6.1.4.1.5923.1.2.1.4", "saml:eduorglegalname"),
    ("urn:oid:1.3.6.1.4.1.5923.1.2.1.5", "saml:eduorgsuperioruri"),
    ("urn:oid:1.3.6.1.4.1.5923.1.2.1.6", "saml:eduorgwhitepagesuri"),
    ("urn:oid:2.5.4.3", "saml:cn"),
];

/// What the provider stores that verification needs.
pub struct Provider<'a> {
    /// Its ARN (the `Role` attribute's provider half).
    pub arn: &'a str,
    /// Its name (for NameQualifier and `saml:doc`).
    pub name: &'a str,
    pub account: &'a str,
    pub entity_id: &'a str,
    /// DER certificates.
    pub certificates: &'a [Vec<u8>],
}

/// What a verified Response says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub issuer: String,
    pub subject: String,
    /// `persistent`, `transient`, or the NameID Format URI.
    pub subject_type: String,
    /// BASE64(SHA1(issuer + account + "/" + provider name)), as AWS computes it.
    pub name_qualifier: String,
    /// The bearer SubjectConfirmationData's Recipient (AWS's `saml:aud` and `Audience`).
    pub recipient: String,
    /// The AudienceRestriction's audiences.
    pub audiences: Vec<String>,
    /// `(role ARN, provider ARN)` pairs of the Role attribute.
    pub roles: Vec<(String, String)>,
    pub session_name: Option<String>,
    pub session_duration: Option<String>,
    pub source_identity: Option<String>,
    pub principal_tags: Vec<(String, String)>,
    pub transitive_tag_keys: Vec<String>,
    /// The AuthnStatement's SessionNotOnOrAfter, if any: no session outlives it.
    pub session_not_on_or_after: Option<OffsetDateTime>,
    /// `saml:…` condition keys from well-known attributes (`saml:edupersonaffiliation`, …).
    pub attribute_keys: Vec<(String, Vec<String>)>,
}

fn invalid(message: &str) -> AwsError {
    AwsError::InvalidIdentityToken(message.to_owned())
}

fn signature_invalid() -> AwsError {
    invalid("Response signature invalid")
}

fn time_attr(doc: &Document<'_>, id: NodeId, name: &str) -> Result<Option<OffsetDateTime>, AwsError> {
    doc.get_attribute(id, name)
        .map(|v| OffsetDateTime::parse(v.trim(), &Rfc3339).map_err(|_| invalid("Unable to parse SAML assertion")))
        .transpose()
}

fn child(doc: &Document<'_>, parent: NodeId, ns: &str, local: &str) -> Option<NodeId> {
    doc.first_child_element_by_name_ns(parent, ns, local)
}

/// Decodes the base64 `SAMLAssertion` parameter (IdPs wrap it in lines).
///
/// # Errors
/// `InvalidIdentityToken` for anything not base64 of UTF-8 text.
pub fn decode(b64: &str) -> Result<String, AwsError> {
    let compact: String = b64.split_whitespace().collect();
    let bytes = STANDARD.decode(compact).map_err(|_| invalid("Invalid base64 SAMLResponse"))?;
    String::from_utf8(bytes).map_err(|_| invalid("Unable to parse SAML assertion"))
}

/// Verifies the Response `xml` (decoded) against `provider` at `now`, accepting an Audience
/// and Recipient from `audiences`.
///
/// # Errors
/// `InvalidIdentityToken` for a malformed, unsigned, wrongly signed or inapplicable Response;
/// `ExpiredTokenException` past its validity.
pub fn verify(
    xml: &str,
    provider: &Provider<'_>,
    now: OffsetDateTime,
    audiences: &[String],
) -> Result<Verified, AwsError> {
    let doc = parse_xml(xml).map_err(|e| {
        tracing::debug!(reason = %e, "SAML response is not XML");
        invalid("Unable to parse SAML assertion")
    })?;
    let root = doc.document_element().ok_or_else(|| invalid("Unable to parse SAML assertion"))?;
    if !doc.element(root).is_some_and(|e| e.matches_name_ns(NS_PROTOCOL, "Response")) {
        return Err(invalid("Unable to parse SAML assertion"));
    }
    if !descendants(&doc, root, NS_ASSERTION, "EncryptedAssertion").is_empty() {
        return Err(invalid("Encrypted SAML assertions are not supported: this server keeps no private keys."));
    }
    let assertions = descendants(&doc, root, NS_ASSERTION, "Assertion");
    let &[assertion] = &assertions[..] else {
        return Err(invalid("The SAML response must contain exactly one assertion."));
    };
    if doc.parent(assertion) != Some(root) {
        return Err(invalid("Unable to parse SAML assertion"));
    }
    check_signature(&doc, root, assertion, provider)?;
    // From here on, everything read lies inside the signed node.
    check_status(&doc, root)?;
    let issuer = child(&doc, assertion, NS_ASSERTION, "Issuer").and_then(|i| text_of(&doc, i)).unwrap_or_default();
    let response_issuer = child(&doc, root, NS_ASSERTION, "Issuer").and_then(|i| text_of(&doc, i));
    if issuer != provider.entity_id || response_issuer.is_some_and(|r| r != provider.entity_id) {
        return Err(invalid("Issuer not present in specified provider"));
    }
    let now_s = now.unix_timestamp();
    let audiences_found = check_conditions(&doc, assertion, now_s, audiences)?;
    let subject = child(&doc, assertion, NS_ASSERTION, "Subject").ok_or_else(|| invalid("Subject is required"))?;
    let recipient = check_subject_confirmation(&doc, subject, now_s, audiences)?;
    let name_id = child(&doc, subject, NS_ASSERTION, "NameID");
    let subject_text = name_id.and_then(|n| text_of(&doc, n)).unwrap_or_default();
    let format = name_id.and_then(|n| doc.get_attribute(n, "Format")).unwrap_or_default();
    let subject_type = match format {
        "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent" => "persistent".to_owned(),
        "urn:oasis:names:tc:SAML:2.0:nameid-format:transient" => "transient".to_owned(),
        other => other.to_owned(),
    };
    let session_not_on_or_after = match child(&doc, assertion, NS_ASSERTION, "AuthnStatement") {
        Some(a) => time_attr(&doc, a, "SessionNotOnOrAfter")?,
        None => None,
    };
    if session_not_on_or_after.is_some_and(|t| t.unix_timestamp() + LEEWAY_SECONDS <= now_s) {
        return Err(AwsError::ExpiredTokenException("The SAML assertion's session has expired.".into()));
    }
    let qualifier = Sha1::digest(format!("{issuer}{}/{}", provider.account, provider.name).as_bytes());
    let mut v = Verified {
        name_qualifier: STANDARD.encode(qualifier),
        issuer,
        subject: subject_text,
        subject_type,
        recipient,
        audiences: audiences_found,
        roles: Vec::new(),
        session_name: None,
        session_duration: None,
        source_identity: None,
        principal_tags: Vec::new(),
        transitive_tag_keys: Vec::new(),
        session_not_on_or_after,
        attribute_keys: Vec::new(),
    };
    read_attributes(&doc, assertion, &mut v);
    Ok(v)
}

/// A signature by one of the provider's certificates must cover the Response or the Assertion.
fn check_signature(
    doc: &Document<'_>,
    root: NodeId,
    assertion: NodeId,
    provider: &Provider<'_>,
) -> Result<(), AwsError> {
    let mut keys = KeysManager::new();
    for der in provider.certificates {
        match bergshamra_keys::loader::load_x509_cert_der(der) {
            Ok(key) => keys.add_key(key),
            Err(e) => tracing::warn!(error = %e, "a stored SAML signing certificate does not load"),
        }
    }
    if keys.is_empty() {
        return Err(signature_invalid());
    }
    // Secure defaults: only the manager's keys, references confined to the signature's
    // ancestors and siblings, every digest computed here.
    let ctx = DsigContext::new(keys);
    let results = verify_all_document(&ctx, doc).map_err(|e| {
        tracing::debug!(error = %e, "SAML signature refused");
        signature_invalid()
    })?;
    let covers = |n: NodeId| n == root || n == assertion || n == doc.root();
    let ok = results.iter().any(|r| match r {
        VerifyResult::Valid { signature_node, references, .. } => {
            signature_method(doc, *signature_node).is_some_and(|m| SIGNATURE_METHODS.contains(&m))
                && !references.is_empty()
                && references.iter().all(|r| r.digest_verified)
                && references.iter().any(|r| r.resolved_node.is_some_and(covers))
        }
        VerifyResult::Invalid { reason } => {
            tracing::debug!(%reason, "SAML signature invalid");
            false
        }
    });
    if ok { Ok(()) } else { Err(signature_invalid()) }
}

fn signature_method<'d>(doc: &'d Document<'_>, signature: NodeId) -> Option<&'d str> {
    let signed_info = child(doc, signature, NS_DSIG, "SignedInfo")?;
    let method = child(doc, signed_info, NS_DSIG, "SignatureMethod")?;
    doc.get_attribute(method, "Algorithm")
}

fn check_status(doc: &Document<'_>, root: NodeId) -> Result<(), AwsError> {
    let code = child(doc, root, NS_PROTOCOL, "Status")
        .and_then(|s| child(doc, s, NS_PROTOCOL, "StatusCode"))
        .and_then(|c| doc.get_attribute(c, "Value"));
    match code {
        Some("urn:oasis:names:tc:SAML:2.0:status:Success") | None => Ok(()),
        Some(_) => Err(invalid("The SAML response's status is not Success.")),
    }
}

/// NotBefore/NotOnOrAfter and an AudienceRestriction naming an accepted audience; returns the
/// audiences named.
fn check_conditions(
    doc: &Document<'_>,
    assertion: NodeId,
    now: i64,
    accepted: &[String],
) -> Result<Vec<String>, AwsError> {
    let conditions = child(doc, assertion, NS_ASSERTION, "Conditions");
    let mut found = Vec::new();
    if let Some(c) = conditions {
        if time_attr(doc, c, "NotBefore")?.is_some_and(|t| t.unix_timestamp() - LEEWAY_SECONDS > now) {
            return Err(invalid("The SAML assertion is not yet valid."));
        }
        if time_attr(doc, c, "NotOnOrAfter")?.is_some_and(|t| t.unix_timestamp() + LEEWAY_SECONDS <= now) {
            return Err(AwsError::ExpiredTokenException("The SAML assertion has expired.".into()));
        }
        for restriction in doc.child_elements_by_name_ns(c, NS_ASSERTION, "AudienceRestriction") {
            let here: Vec<String> = doc
                .child_elements_by_name_ns(restriction, NS_ASSERTION, "Audience")
                .into_iter()
                .filter_map(|a| text_of(doc, a))
                .collect();
            // Each restriction must be met on its own (SAML core 2.5.1.4).
            if !here.iter().any(|a| accepted.contains(a)) {
                return Err(invalid("Response does not contain the required audience."));
            }
            found.extend(here);
        }
    }
    if found.is_empty() {
        return Err(invalid("Response does not contain the required audience."));
    }
    Ok(found)
}

/// A bearer SubjectConfirmation whose data is addressed to an accepted endpoint and still
/// valid; returns its Recipient.
fn check_subject_confirmation(
    doc: &Document<'_>,
    subject: NodeId,
    now: i64,
    accepted: &[String],
) -> Result<String, AwsError> {
    let mut expired = false;
    for sc in doc.child_elements_by_name_ns(subject, NS_ASSERTION, "SubjectConfirmation") {
        if doc.get_attribute(sc, "Method") != Some("urn:oasis:names:tc:SAML:2.0:cm:bearer") {
            continue;
        }
        let Some(data) = child(doc, sc, NS_ASSERTION, "SubjectConfirmationData") else { continue };
        let recipient = doc.get_attribute(data, "Recipient").unwrap_or_default();
        if !accepted.iter().any(|a| a == recipient) {
            continue;
        }
        if time_attr(doc, data, "NotBefore")?.is_some_and(|t| t.unix_timestamp() - LEEWAY_SECONDS > now) {
            continue;
        }
        match time_attr(doc, data, "NotOnOrAfter")? {
            Some(t) if t.unix_timestamp() + LEEWAY_SECONDS > now => return Ok(recipient.to_owned()),
            Some(_) => expired = true,
            // SAML profiles 4.1.4.2: bearer confirmation data must say until when.
            None => {}
        }
    }
    if expired {
        return Err(AwsError::ExpiredTokenException("The SAML assertion has expired.".into()));
    }
    Err(invalid("The SAML assertion has no valid bearer SubjectConfirmation for this service."))
}

fn read_attributes(doc: &Document<'_>, assertion: NodeId, v: &mut Verified) {
    for statement in doc.child_elements_by_name_ns(assertion, NS_ASSERTION, "AttributeStatement") {
        for attr in doc.child_elements_by_name_ns(statement, NS_ASSERTION, "Attribute") {
            let name = doc.get_attribute(attr, "Name").unwrap_or_default();
            let values: Vec<String> = doc
                .child_elements_by_name_ns(attr, NS_ASSERTION, "AttributeValue")
                .into_iter()
                .map(|n| text_of(doc, n).unwrap_or_default())
                .collect();
            match name {
                ATTR_ROLE => v.roles.extend(values.iter().filter_map(|r| role_pair(r))),
                ATTR_SESSION_NAME => v.session_name = values.into_iter().next(),
                ATTR_SESSION_DURATION => v.session_duration = values.into_iter().next(),
                ATTR_SOURCE_IDENTITY => v.source_identity = values.into_iter().next(),
                ATTR_TRANSITIVE => v.transitive_tag_keys.extend(values),
                _ => {
                    if let Some(key) = name.strip_prefix(ATTR_TAG_PREFIX) {
                        if let Some(value) = values.into_iter().next() {
                            v.principal_tags.push((key.to_owned(), value));
                        }
                    } else if let Some((_, key)) = OID_KEYS.iter().find(|(oid, _)| *oid == name) {
                        v.attribute_keys.push(((*key).to_owned(), values));
                    }
                }
            }
        }
    }
}

/// `ROLE_ARN,PROVIDER_ARN`, in either order.
fn role_pair(value: &str) -> Option<(String, String)> {
    let (a, b) = value.split_once(',')?;
    let (a, b) = (a.trim(), b.trim());
    if a.contains(":saml-provider/") { Some((b.to_owned(), a.to_owned())) } else { Some((a.to_owned(), b.to_owned())) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_pairs_come_in_either_order() {
        let role = "arn:aws:iam::123456789012:role/r";
        let idp = "arn:aws:iam::123456789012:saml-provider/p";
        assert_eq!(role_pair(&format!("{role},{idp}")), Some((role.into(), idp.into())));
        assert_eq!(role_pair(&format!("{idp}, {role}")), Some((role.into(), idp.into())));
        assert_eq!(role_pair(role), None);
    }

    #[test]
    fn unparseable_or_unsigned_responses_are_refused() {
        let provider = Provider { arn: "a", name: "p", account: "123456789012", entity_id: "e", certificates: &[] };
        let aud = vec!["https://signin.aws.amazon.com/saml".to_owned()];
        let now = OffsetDateTime::now_utc();
        assert_eq!(decode("!!!"), Err(invalid("Invalid base64 SAMLResponse")));
        for xml in [
            "<x/>",
            "not xml",
            r#"<!DOCTYPE r [<!ENTITY e "x">]><samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>"#,
        ] {
            assert_eq!(verify(xml, &provider, now, &aud), Err(invalid("Unable to parse SAML assertion")), "{xml}");
        }
        let two = r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"><saml:Assertion ID="a"/><saml:Assertion ID="b"/></samlp:Response>"#;
        assert!(verify(two, &provider, now, &aud).is_err());
        let unsigned = r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"><saml:Assertion ID="a"/></samlp:Response>"#;
        assert_eq!(verify(unsigned, &provider, now, &aud), Err(signature_invalid()));
    }
}
