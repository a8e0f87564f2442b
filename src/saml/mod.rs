//! SAML 2.0 for IAM SAML providers and AssumeRoleWithSAML: the IdP's metadata ([`metadata`]) and
//! the signed assertion ([`assertion`]). XML signatures are checked with Bergshamra (pure-Rust
//! XML-DSig over uppsala); the trust decision and the session are STS's.

pub mod assertion;
pub mod metadata;

/// SAML 2.0 namespaces.
pub const NS_METADATA: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
pub const NS_ASSERTION: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
pub const NS_PROTOCOL: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
pub const NS_DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";

/// Parses untrusted XML: DTDs (and so entities) never belong in SAML, so they are refused.
///
/// # Errors
/// The parser's complaint, for the log only.
pub fn parse_xml(text: &str) -> Result<uppsala::Document<'_>, String> {
    uppsala::Parser::new().with_forbid_dtd(true).parse(text).map_err(|e| e.to_string())
}

/// The element's text, trimmed (`None` when it has none).
#[must_use]
pub fn text_of(doc: &uppsala::Document<'_>, id: uppsala::NodeId) -> Option<String> {
    let t = doc.text_content_deep(id);
    let t = t.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// The elements named `{ns}local` at or below `id`, in document order.
#[must_use]
pub fn descendants(doc: &uppsala::Document<'_>, id: uppsala::NodeId, ns: &str, local: &str) -> Vec<uppsala::NodeId> {
    let mut out = Vec::new();
    let mut stack = vec![id];
    while let Some(n) = stack.pop() {
        if doc.element(n).is_some_and(|e| e.matches_name_ns(ns, local)) {
            out.push(n);
        }
        let mut children = doc.children(n);
        children.reverse();
        stack.extend(children);
    }
    out
}
