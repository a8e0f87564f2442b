//! Policy variables: `${aws:username}`, `${aws:PrincipalTag/team}`, any context key,
//! `${key, 'default'}`, and the escapes `${*}`, `${?}`, `${$}`.
//!
//! Rules (IAM User Guide, `reference_policies_variables`):
//! - only documents with `"Version": "2012-10-17"` have variables; in older ones `${…}` is
//!   literal text;
//! - the key is case-insensitive and must hold one value (multivalued keys cannot be variables);
//! - a default is written `${key, 'default'}` and used when the key is absent;
//! - a variable whose key is absent (and has no default) "fails and causes the statement to be
//!   invalid": the string it sits in matches nothing;
//! - `${*}`, `${?}`, `${$}` stand for the literal characters.

use super::context::RequestContext;
use super::glob::Pattern;

/// One piece of a policy string.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    /// Text as written (wildcards keep their meaning where the element allows them).
    Text(String),
    /// `${key}` or `${key, 'default'}`.
    Var { key: String, key_lower: String, default: Option<String> },
    /// `${*}`, `${?}`, `${$}`: always a literal character.
    Escape(char),
}

/// A policy string split into text and variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    parts: Vec<Part>,
}

impl Template {
    /// Splits `s`; with `variables` false (documents older than 2012-10-17) it is all text.
    pub(crate) fn parse(s: &str, variables: bool) -> Template {
        if !variables || !s.contains("${") {
            return Template { parts: vec![Part::Text(s.to_owned())] };
        }
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut rest = s;
        while let Some(at) = rest.find("${") {
            let (before, from_var) = rest.split_at(at);
            text.push_str(before);
            let inner_and_more = from_var.get(2..).unwrap_or_default();
            let Some(close) = inner_and_more.find('}') else {
                text.push_str(from_var);
                rest = "";
                break;
            };
            let inner = inner_and_more.get(..close).unwrap_or_default();
            match parse_inner(inner) {
                Some(part) => {
                    if !text.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut text)));
                    }
                    parts.push(part);
                }
                None => {
                    // Not a variable after all: keep `${…}` as written.
                    text.push_str(from_var.get(..close + 3).unwrap_or_default());
                }
            }
            rest = inner_and_more.get(close + 1..).unwrap_or_default();
        }
        text.push_str(rest);
        if !text.is_empty() || parts.is_empty() {
            parts.push(Part::Text(text));
        }
        Template { parts }
    }

    /// The keys this string refers to, as written.
    pub(crate) fn variable_keys(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Var { key, .. } => Some(key.as_str()),
            _ => None,
        })
    }

    /// Substitutes variables into a pattern. `wildcards` says whether `*` and `?` written in the
    /// text are wildcards. Returns `None` when a variable cannot be resolved; absent keys are
    /// added to `missing`.
    pub(crate) fn resolve_pattern(
        &self,
        context: &RequestContext,
        wildcards: bool,
        missing: &mut Vec<String>,
    ) -> Option<Pattern> {
        let mut pattern = Pattern::default();
        let mut ok = true;
        for part in &self.parts {
            match part {
                Part::Text(t) => pattern.push_text(t, wildcards),
                Part::Escape(c) => pattern.push_quoted(c.encode_utf8(&mut [0; 4])),
                Part::Var { key, key_lower, default } => {
                    match lookup(context, key, key_lower, default.as_deref(), missing) {
                        Some(value) => pattern.push_quoted(&value),
                        None => ok = false,
                    }
                }
            }
        }
        ok.then_some(pattern)
    }

    /// Substitutes variables into plain text (for operators without wildcards).
    pub(crate) fn resolve_text(&self, context: &RequestContext, missing: &mut Vec<String>) -> Option<String> {
        self.resolve_pattern(context, false, missing).and_then(|p| p.literal_text())
    }
}

fn parse_inner(inner: &str) -> Option<Part> {
    match inner {
        "*" => return Some(Part::Escape('*')),
        "?" => return Some(Part::Escape('?')),
        "$" => return Some(Part::Escape('$')),
        _ => {}
    }
    let (key, default) = match inner.split_once(',') {
        None => (inner.trim(), None),
        Some((key, default)) => {
            let d = default.trim();
            let quoted = d.strip_prefix('\'').and_then(|d| d.strip_suffix('\''))?;
            (key.trim(), Some(quoted.to_owned()))
        }
    };
    if key.is_empty() {
        return None;
    }
    Some(Part::Var { key: key.to_owned(), key_lower: key.to_lowercase(), default })
}

fn lookup(
    context: &RequestContext,
    key: &str,
    key_lower: &str,
    default: Option<&str>,
    missing: &mut Vec<String>,
) -> Option<String> {
    match context.get_lower(key_lower) {
        Some([single]) => Some(single.to_text()),
        // Multivalued keys cannot be used as variables; an empty set has no value to use.
        Some(values) if !values.is_empty() => None,
        _ if default.is_some() => default.map(str::to_owned),
        _ => {
            missing.push(key.to_owned());
            None
        }
    }
}
