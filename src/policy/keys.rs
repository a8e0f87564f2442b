//! The context keys policies refer to, for `GetContextKeysForCustomPolicy` and
//! `GetContextKeysForPrincipalPolicy`: condition keys and the keys of policy variables (in
//! `Resource` and condition values of 2012-10-17 documents).

use std::collections::HashSet;

use super::document::PolicyDocument;

/// Every context key the documents refer to, as first written, in document order, without
/// case-insensitive duplicates (keys are case-insensitive).
#[must_use]
pub fn context_keys<'a>(documents: impl IntoIterator<Item = &'a PolicyDocument>) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for document in documents {
        for statement in document.statements() {
            let resource_vars = statement.resource_variable_keys();
            let condition_keys = statement.conditions().iter().flat_map(super::condition::Condition::referenced_keys);
            // Resource comes before Condition as policies are written (and as the CLI reference's
            // get-context-keys-for-custom-policy example answers).
            for key in resource_vars.chain(condition_keys) {
                if seen.insert(key.to_lowercase()) {
                    out.push(key.to_owned());
                }
            }
        }
    }
    out
}
