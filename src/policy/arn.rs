//! ARN matching: `arn:partition:service:region:account:resource`, compared segment by segment so
//! a wildcard never spans the first five colons. The resource segment is everything after the
//! fifth colon and may itself contain `:` and `/`.
//!
//! AWS: "Each of the six colon-delimited components of the ARN is checked separately and each can
//! include multi-character match wildcards (*) or single-character match wildcards (?)."
//! (IAM User Guide, reference_policies_elements_condition_operators, ARN condition operators.)

use super::glob::{Pattern, Token, match_tokens};

/// The six components of an ARN.
pub(crate) const ARN_SEGMENTS: usize = 6;

/// Splits `s` into its six components, or `None` when it has fewer than five colons.
pub(crate) fn split_arn(s: &str) -> Option<Vec<&str>> {
    let parts: Vec<&str> = s.splitn(ARN_SEGMENTS, ':').collect();
    (parts.len() == ARN_SEGMENTS).then_some(parts)
}

/// Matches a request ARN (or `*`, or any string) against a compiled resource pattern.
///
/// When the pattern has all six segments, each is matched separately; a request value that is
/// not an ARN then never matches. A pattern with fewer segments (`*`, `arn:aws:s3*`) is matched
/// against the whole string.
pub(crate) fn arn_matches(pattern: &Pattern, value: &str) -> bool {
    let Some(pattern_segments) = split_pattern(pattern.tokens()) else {
        return pattern.matches(value);
    };
    let Some(value_segments) = split_arn(value) else {
        return false;
    };
    pattern_segments
        .iter()
        .zip(value_segments)
        .all(|(p, v)| match_tokens(p, &v.chars().collect::<Vec<_>>(), false))
}

/// Splits a pattern at its first five written `:` (substituted characters never split).
fn split_pattern(tokens: &[Token]) -> Option<Vec<&[Token]>> {
    let mut segments = Vec::with_capacity(ARN_SEGMENTS);
    let mut start = 0;
    for (i, t) in tokens.iter().enumerate() {
        if segments.len() == ARN_SEGMENTS - 1 {
            break;
        }
        if *t == Token::Char(':') {
            segments.push(tokens.get(start..i)?);
            start = i + 1;
        }
    }
    if segments.len() != ARN_SEGMENTS - 1 {
        return None;
    }
    segments.push(tokens.get(start..)?);
    Some(segments)
}
