//! ARN matching: `arn:partition:service:region:account:resource`, compared segment by segment so
//! a wildcard never spans the first five colons. The resource segment is everything after the
//! fifth colon and may itself contain `:` and `/`.
//!
//! Two rules, because AWS documents two:
//! - `Arn…` condition operators check each component strictly: "Each of the six colon-delimited
//!   components of the ARN is checked separately and each can
//!   include multi-character match wildcards (*) or single-character match wildcards (?)", and the
//!   page's example shows `arn:aws:someservice:*:111122223333:finance/*` failing against
//!   `arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt`
//!   (`reference_policies_elements_condition_operators`, ARN condition operators);
//! - the `Resource` element is looser: wildcards sit within segments, but "if the * wildcard is
//!   the last character of a resource ARN segment, it can expand to match beyond the colon
//!   boundaries" (`reference_policies_elements_resource`, "Using wildcards in resource ARNs").

use super::glob::{Pattern, Token, match_str, match_tokens};

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
    pattern_segments.iter().zip(value_segments).all(|(p, v)| match_tokens(p, &v.chars().collect::<Vec<_>>(), false))
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

/// Matches a request resource against a `Resource` entry: a `*` or `?` inside one of the first
/// five segments cannot match `:`, except a `*` that ends its segment; in the resource segment
/// (after the fifth colon) wildcards match anything.
pub(crate) fn resource_matches(pattern: &Pattern, value: &str) -> bool {
    let tokens = pattern.tokens();
    if !needs_segment_wildcards(tokens) {
        return match_str(tokens, value, false);
    }
    segment_aware_matches(tokens, value)
}

/// The general resource match: wildcards in the first five segments stop at `:`.
fn segment_aware_matches(tokens: &[Token], value: &str) -> bool {
    let mut adjusted = Vec::with_capacity(tokens.len());
    let mut separators = 0;
    for (i, t) in tokens.iter().enumerate() {
        let in_resource_segment = separators >= ARN_SEGMENTS - 1;
        let ends_segment = matches!(tokens.get(i + 1), None | Some(Token::Char(':')));
        adjusted.push(match *t {
            Token::Char(':') if !in_resource_segment => {
                separators += 1;
                Token::Char(':')
            }
            Token::Any if !in_resource_segment && !ends_segment => Token::AnyInSegment,
            Token::One if !in_resource_segment => Token::OneInSegment,
            other => other,
        });
    }
    match_tokens(&adjusted, &value.chars().collect::<Vec<_>>(), false)
}

/// Whether a wildcard sits in one of the first five ARN segments (other than a `*` filling a
/// whole segment), where it must not match `:`; most patterns have none.
fn needs_segment_wildcards(tokens: &[Token]) -> bool {
    let mut separators = 0;
    for (i, t) in tokens.iter().enumerate() {
        if separators >= ARN_SEGMENTS - 1 {
            return false;
        }
        match t {
            Token::Char(':') => separators += 1,
            Token::One => return true,
            Token::Any if !matches!(tokens.get(i + 1), None | Some(Token::Char(':'))) => return true,
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shortcut_agrees_with_segment_aware_matching() {
        let patterns = [
            "*",
            "arn:aws:iam::123456789012:user/*",
            "arn:aws:iam::*:user/alice",
            "arn:aws:iam::12345678901?:user/*",
            "arn:aws:s3:::bucket/*",
            "arn:*:s3:::bucket/a:b*",
            "arn:aws:iam::123456789012:*",
            "arn:aws:*",
            "arn:aws:iam::123456789012:user/a*b?c",
        ];
        let values = [
            "arn:aws:iam::123456789012:user/alice",
            "arn:aws:iam::123456789012:user/a:x:b1c",
            "arn:aws:iam::999:user/alice",
            "arn:aws:s3:::bucket/a:b/c",
            "arn:aws:iam::123456789012:role/r",
            "arn:aws:iam::1234:5678:user/alice",
            "*",
        ];
        for p in patterns {
            let pattern = Pattern::wildcard(p);
            for v in values {
                assert_eq!(
                    resource_matches(&pattern, v),
                    segment_aware_matches(pattern.tokens(), v),
                    "{p} against {v}"
                );
            }
        }
    }
}
