//! Wildcard patterns as the policy language uses them: `*` matches any run of characters
//! (including none), `?` exactly one. Characters that came from a policy variable are literal,
//! so a user name containing `*` cannot widen a pattern.

/// One element of a compiled pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Token {
    /// A character written in the policy text.
    Char(char),
    /// A character substituted from a variable (or `${*}`-style escape): literal, and never an
    /// ARN segment separator.
    Quoted(char),
    /// `*`
    Any,
    /// `?`
    One,
    /// `*` inside one of the first five ARN segments: does not match `:`.
    AnyInSegment,
    /// `?` inside one of the first five ARN segments: does not match `:`.
    OneInSegment,
}

impl Token {
    fn literal(self) -> Option<char> {
        match self {
            Token::Char(c) | Token::Quoted(c) => Some(c),
            Token::Any | Token::One | Token::AnyInSegment | Token::OneInSegment => None,
        }
    }
}

/// A compiled pattern.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Pattern {
    tokens: Vec<Token>,
}

impl Pattern {
    /// Policy text where `*` and `?` are wildcards.
    pub(crate) fn wildcard(text: &str) -> Pattern {
        let mut p = Pattern::default();
        p.push_text(text, true);
        p
    }

    pub(crate) fn tokens(&self) -> &[Token] {
        &self.tokens
    }

    /// Appends policy text; with `wildcards` false every character is literal.
    pub(crate) fn push_text(&mut self, text: &str, wildcards: bool) {
        self.tokens.extend(text.chars().map(|c| match c {
            '*' if wildcards => Token::Any,
            '?' if wildcards => Token::One,
            c => Token::Char(c),
        }));
    }

    /// Appends a substituted value: all literal.
    pub(crate) fn push_quoted(&mut self, text: &str) {
        self.tokens.extend(text.chars().map(Token::Quoted));
    }

    /// True when the pattern has no wildcard (so it is an exact string).
    pub(crate) fn literal_text(&self) -> Option<String> {
        self.tokens.iter().map(|t| t.literal()).collect()
    }

    /// Case-sensitive match of the whole of `s`.
    pub(crate) fn matches(&self, s: &str) -> bool {
        match_str(&self.tokens, s, false)
    }

    /// Case-insensitive match of the whole of `s` (Unicode simple lowercase on both sides).
    pub(crate) fn matches_ignore_case(&self, s: &str) -> bool {
        match_str(&self.tokens, s, true)
    }
}

/// Matches `tokens` against the whole of `s`; ASCII text (action names, ARNs) is matched in
/// place, without building a character buffer.
pub(crate) fn match_str(tokens: &[Token], s: &str, fold_case: bool) -> bool {
    let plain = !tokens.iter().any(|t| matches!(t, Token::AnyInSegment | Token::OneInSegment));
    if plain && s.is_ascii() {
        let b = s.as_bytes();
        let at = |i: usize| {
            let c = char::from(b[i]);
            if fold_case { c.to_ascii_lowercase() } else { c }
        };
        return match_greedy(tokens, b.len(), at, pattern_eq(fold_case));
    }
    let chars: Vec<char> =
        if fold_case { s.chars().flat_map(char::to_lowercase).collect() } else { s.chars().collect() };
    match_tokens(tokens, &chars, fold_case)
}

/// How a pattern character compares with a text character (the text already lowercased when
/// folding case).
fn pattern_eq(fold_case: bool) -> impl Fn(char, char) -> bool {
    move |p: char, c: char| {
        if fold_case {
            // Lowercase the pattern side character by character. A character whose lowercase is
            // several characters cannot match one input character, which only matters for
            // exotic letters.
            let mut lower = p.to_lowercase();
            lower.next() == Some(c) && lower.next().is_none()
        } else {
            p == c
        }
    }
}

/// The classic wildcard match for patterns of `*`, `?` and literals: advance both sides, and on a
/// mismatch retry from the last `*` one character further. Linear for the patterns policies use
/// (`iam:List*`, `arn:…:user/${aws:username}`), at worst `len(tokens) * len(s)` steps.
fn match_greedy(tokens: &[Token], len: usize, at: impl Fn(usize) -> char, eq: impl Fn(char, char) -> bool) -> bool {
    let (mut p, mut i) = (0, 0);
    // (position of the last `*`, text position it is currently taken to end at)
    let mut star: Option<(usize, usize)> = None;
    let mut steps = 0usize;
    let allowed = super::work::remaining();
    let matched = loop {
        if i >= len {
            break tokens[p.min(tokens.len())..].iter().all(|t| matches!(t, Token::Any));
        }
        steps += 1;
        if steps > allowed {
            break false;
        }
        match tokens.get(p) {
            Some(Token::Any) => {
                star = Some((p, i));
                p += 1;
                continue;
            }
            Some(Token::One) => {
                p += 1;
                i += 1;
                continue;
            }
            Some(Token::Char(c) | Token::Quoted(c)) if eq(*c, at(i)) => {
                p += 1;
                i += 1;
                continue;
            }
            _ => {}
        }
        match star {
            Some((sp, si)) => {
                p = sp + 1;
                i = si + 1;
                star = Some((sp, si + 1));
            }
            None => break false,
        }
    };
    super::work::charge(steps);
    matched
}

/// Matches `tokens` against `s` by dynamic programming over (pattern prefix, text prefix): cost
/// `len(tokens) * len(s)` steps and one row of memory, no recursion, whatever the pattern.
pub(crate) fn match_tokens(tokens: &[Token], s: &[char], fold_case: bool) -> bool {
    let eq = pattern_eq(fold_case);
    if !tokens.iter().any(|t| matches!(t, Token::AnyInSegment | Token::OneInSegment)) {
        return match_greedy(tokens, s.len(), |i| s[i], eq);
    }
    match_dp(tokens, s, eq)
}

/// The general matcher, for patterns whose wildcards stop at ARN segment separators.
fn match_dp(tokens: &[Token], s: &[char], eq: impl Fn(char, char) -> bool) -> bool {
    let cost = tokens.len().saturating_mul(s.len()).saturating_add(1);
    let allowed = super::work::remaining();
    super::work::charge(cost);
    if cost > allowed {
        return false;
    }
    // row[j]: the first j tokens match the text read so far.
    let mut row = vec![false; tokens.len() + 1];
    let mut next = vec![false; tokens.len() + 1];
    if let Some(first) = row.first_mut() {
        *first = true;
    }
    for (j, t) in tokens.iter().enumerate() {
        let star = matches!(t, Token::Any | Token::AnyInSegment);
        let before = row.get(j).copied().unwrap_or(false);
        if let Some(cell) = row.get_mut(j + 1) {
            *cell = star && before;
        }
    }
    for &c in s {
        if let Some(first) = next.first_mut() {
            *first = false;
        }
        for (j, t) in tokens.iter().enumerate() {
            let diag = row.get(j).copied().unwrap_or(false);
            let up = row.get(j + 1).copied().unwrap_or(false);
            let left = next.get(j).copied().unwrap_or(false);
            let value = match *t {
                Token::Any => left || up,
                Token::AnyInSegment => left || (up && c != ':'),
                Token::One => diag,
                Token::OneInSegment => diag && c != ':',
                Token::Char(p) | Token::Quoted(p) => diag && eq(p, c),
            };
            if let Some(cell) = next.get_mut(j + 1) {
                *cell = value;
            }
        }
        std::mem::swap(&mut row, &mut next);
    }
    row.last().copied().unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_greedy_matcher_agrees_with_the_general_one() {
        // Every pattern over {a, b, *, ?} up to 5 tokens against every text over {a, b} up to 6.
        let alphabet = [Token::Char('a'), Token::Char('b'), Token::Any, Token::One];
        let mut patterns: Vec<Vec<Token>> = vec![vec![]];
        for _ in 0..5 {
            let longer: Vec<Vec<Token>> = patterns
                .iter()
                .filter(|p| p.len() == patterns.last().map_or(0, Vec::len))
                .flat_map(|p| alphabet.iter().map(move |t| [p.as_slice(), &[*t]].concat()))
                .collect();
            patterns.extend(longer);
        }
        let mut texts: Vec<Vec<char>> = vec![vec![]];
        for _ in 0..6 {
            let longer: Vec<Vec<char>> = texts
                .iter()
                .filter(|t| t.len() == texts.last().map_or(0, Vec::len))
                .flat_map(|t| ['a', 'b'].iter().map(move |c| [t.as_slice(), &[*c]].concat()))
                .collect();
            texts.extend(longer);
        }
        let eq = |p: char, c: char| p == c;
        let mut checked = 0;
        for p in &patterns {
            for t in &texts {
                assert_eq!(match_greedy(p, t.len(), |i| t[i], eq), match_dp(p, t, eq), "{p:?} vs {t:?}");
                let text: String = t.iter().collect();
                assert_eq!(match_str(p, &text, false), match_dp(p, t, eq), "{p:?} vs {t:?}");
                checked += 1;
            }
        }
        assert!(checked > 100_000, "{checked}");
    }
}
