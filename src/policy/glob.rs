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
        let chars: Vec<char> = s.chars().collect();
        match_tokens(&self.tokens, &chars, false)
    }

    /// Case-insensitive match of the whole of `s` (Unicode simple lowercase on both sides).
    pub(crate) fn matches_ignore_case(&self, s: &str) -> bool {
        let chars: Vec<char> = s.chars().flat_map(char::to_lowercase).collect();
        match_tokens(&self.tokens, &chars, true)
    }
}

/// Matches `tokens` against `s` by dynamic programming over (pattern prefix, text prefix): cost
/// `len(tokens) * len(s)` steps and one row of memory, no recursion, whatever the pattern.
pub(crate) fn match_tokens(tokens: &[Token], s: &[char], fold_case: bool) -> bool {
    let eq = |p: char, c: char| {
        if fold_case {
            // `s` is already lowercased; lowercase the pattern side character by character. A
            // character whose lowercase is several characters cannot match one input character,
            // which only matters for exotic letters.
            let mut lower = p.to_lowercase();
            lower.next() == Some(c) && lower.next().is_none()
        } else {
            p == c
        }
    };
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
