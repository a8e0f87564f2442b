//! Parsed policy documents, keyed by their text: a stored document never changes under the same
//! text, so parsing it once serves every request until memory pressure drops it.

use std::sync::Arc;

use crate::error::AwsError;
use crate::policy::PolicyDocument;

/// Distinct documents kept parsed.
const CAPACITY: usize = 10_000;

/// A bounded cache of parsed documents.
pub struct DocumentCache {
    parsed: quick_cache::sync::Cache<String, Arc<PolicyDocument>>,
}

impl Default for DocumentCache {
    fn default() -> Self {
        Self { parsed: quick_cache::sync::Cache::new(CAPACITY) }
    }
}

impl DocumentCache {
    /// The parsed form of `text`, from memory or from `parse`.
    ///
    /// # Errors
    /// What `parse` fails with.
    pub fn parse(
        &self,
        text: &str,
        parse: impl FnOnce() -> Result<PolicyDocument, AwsError>,
    ) -> Result<Arc<PolicyDocument>, AwsError> {
        if let Some(doc) = self.parsed.get(text) {
            return Ok(doc);
        }
        let doc = Arc::new(parse()?);
        self.parsed.insert(text.to_owned(), doc.clone());
        Ok(doc)
    }
}
