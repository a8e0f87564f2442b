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
}

impl Token {
    fn literal(self) -> Option<char> {
        match self {
            Token::Char(c) | Token::Quoted(c) => Some(c),
            Token::Any | Token::One => None,
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

    pub(crate) fn from_tokens(tokens: Vec<Token>) -> Pattern {
        Pattern { tokens }
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

/// Matches `tokens` against `s`. Iterative, with one backtrack point (the last `*`), so the cost
/// is bounded by `len(tokens) * len(s)` and hostile patterns cannot recurse or blow up.
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
    let (mut ti, mut si) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        let current = s.get(si).copied();
        match (tokens.get(ti), current) {
            (Some(Token::Any), _) => {
                star = Some((ti + 1, si));
                ti += 1;
            }
            (Some(Token::One), Some(_)) => {
                ti += 1;
                si += 1;
            }
            (Some(Token::Char(p) | Token::Quoted(p)), Some(c)) if eq(*p, c) => {
                ti += 1;
                si += 1;
            }
            _ => match star {
                Some((after_star, matched_from)) => {
                    ti = after_star;
                    si = matched_from + 1;
                    star = Some((after_star, matched_from + 1));
                }
                None => return false,
            },
        }
    }
    while matches!(tokens.get(ti), Some(Token::Any)) {
        ti += 1;
    }
    ti == tokens.len()
}
