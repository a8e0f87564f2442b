//! An IdP's SAML metadata, as CreateSAMLProvider takes it: one `EntityDescriptor` with an
//! `IDPSSODescriptor` whose signing `KeyDescriptor`s carry the X.509 certificates assertions
//! must be signed with.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{NS_DSIG, NS_METADATA, descendants, parse_xml, text_of};

/// What iamd keeps of a metadata document besides its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdpMetadata {
    /// The IdP's `entityID`: the `Issuer` its assertions must name.
    pub entity_id: String,
    /// The signing certificates, DER.
    pub certificates: Vec<Vec<u8>>,
    /// The document's `validUntil`, if it has one.
    pub valid_until: Option<OffsetDateTime>,
}

/// Why a document was refused (for the log; clients get AWS's one message).
#[derive(Debug, PartialEq, Eq)]
pub struct InvalidMetadata(pub String);

/// Parses and checks a metadata document.
///
/// # Errors
/// [`InvalidMetadata`] for anything that is not an IdP's metadata with a usable signing
/// certificate.
pub fn parse(text: &str) -> Result<IdpMetadata, InvalidMetadata> {
    let bad = |m: &str| InvalidMetadata(m.to_owned());
    let doc = parse_xml(text).map_err(InvalidMetadata)?;
    let root = doc.document_element().ok_or_else(|| bad("no document element"))?;
    let el = doc.element(root).ok_or_else(|| bad("no document element"))?;
    if !el.matches_name_ns(NS_METADATA, "EntityDescriptor") {
        return Err(bad("the document element is not an md:EntityDescriptor"));
    }
    let entity_id = el.get_attribute("entityID").filter(|e| !e.is_empty()).ok_or_else(|| bad("no entityID"))?;
    let valid_until = el
        .get_attribute("validUntil")
        .map(|v| OffsetDateTime::parse(v.trim(), &Rfc3339).map_err(|_| bad("validUntil is not a dateTime")))
        .transpose()?;
    let idp = doc
        .first_child_element_by_name_ns(root, NS_METADATA, "IDPSSODescriptor")
        .ok_or_else(|| bad("no IDPSSODescriptor"))?;
    let mut certificates = Vec::new();
    for kd in doc.child_elements_by_name_ns(idp, NS_METADATA, "KeyDescriptor") {
        // A KeyDescriptor without `use` serves both signing and encryption.
        if doc.element(kd).and_then(|e| e.get_attribute("use")).is_some_and(|u| u != "signing") {
            continue;
        }
        for cert in descendants(&doc, kd, NS_DSIG, "X509Certificate") {
            let b64: String = text_of(&doc, cert).unwrap_or_default().split_whitespace().collect();
            let der = STANDARD.decode(b64).map_err(|_| bad("an X509Certificate is not base64"))?;
            bergshamra_keys::loader::load_x509_cert_der(&der)
                .map_err(|e| InvalidMetadata(format!("unusable signing certificate: {e}")))?;
            certificates.push(der);
        }
    }
    if certificates.is_empty() {
        return Err(bad("no signing certificate"));
    }
    Ok(IdpMetadata { entity_id: entity_id.to_owned(), certificates, valid_until })
}
