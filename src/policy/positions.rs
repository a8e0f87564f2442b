//! Where each statement sits in the submitted JSON text, for `Simulate*Policy`'s
//! `MatchedStatements` (`StartPosition` / `EndPosition`).
//!
//! `serde_json` gives no spans, so this is a small scan over text that `serde_json` has already
//! accepted. It tracks positions the way AWS reports them: AWS answered `StartPosition` column 41
//! and `EndPosition` column 113 (line 1) for the one-line document
//! `{"Version": "2012-10-17", "Statement": {"Sid": "", …, "Resource": "*"}}`, whose statement
//! braces sit at 1-based columns 40 and 112 (recorded in `shared/aws-recorded`/iam.recorded.json,
//! `test_simulate_principle_policy`). So a position is the line and 1-based column of the
//! character just after the opening and just after the closing brace, which is what a Java JSON
//! parser reports as its location after reading each brace. Columns count UTF-16 code units, a
//! line break is `\n`, `\r` or `\r\n`.

/// A line and column in the submitted policy text (both 1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Position {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, counted in UTF-16 code units.
    pub column: u32,
}

/// Where one statement starts and ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    /// Just after the statement's opening brace.
    pub start: Position,
    /// Just after the statement's closing brace.
    pub end: Position,
}

/// The spans of the statements of the top-level `Statement` element, in document order. When
/// the key appears more than once the last one counts, as it does for `serde_json`. Returns an
/// empty list if the text is not shaped as expected (the caller then reports default positions).
pub(crate) fn statement_spans(text: &str) -> Vec<Span> {
    let mut s = Scanner::new(text);
    s.statement_spans().unwrap_or_default()
}

struct Scanner<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    line: u32,
    column: u32,
    after_cr: bool,
}

impl<'a> Scanner<'a> {
    fn new(text: &'a str) -> Scanner<'a> {
        Scanner { chars: text.chars().peekable(), line: 1, column: 1, after_cr: false }
    }

    fn position(&self) -> Position {
        Position { line: self.line, column: self.column }
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.chars.next()?;
        match c {
            '\n' => {
                if !self.after_cr {
                    self.line = self.line.saturating_add(1);
                }
                self.column = 1;
                self.after_cr = false;
            }
            '\r' => {
                self.line = self.line.saturating_add(1);
                self.column = 1;
                self.after_cr = true;
            }
            _ => {
                let width = u32::try_from(c.len_utf16()).unwrap_or(1);
                self.column = self.column.saturating_add(width);
                self.after_cr = false;
            }
        }
        Some(c)
    }

    fn peek(&mut self) -> Option<char> {
        self.chars.peek().copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t' | '\n' | '\r')) {
            self.bump();
        }
    }

    fn expect(&mut self, want: char) -> Option<()> {
        self.skip_ws();
        (self.bump()? == want).then_some(())
    }

    fn statement_spans(&mut self) -> Option<Vec<Span>> {
        self.expect('{')?;
        let mut spans = Vec::new();
        loop {
            self.skip_ws();
            match self.peek()? {
                '}' => return Some(spans),
                ',' => {
                    self.bump();
                    continue;
                }
                _ => {}
            }
            let key = self.string()?;
            self.expect(':')?;
            self.skip_ws();
            if key == "Statement" {
                spans = self.statement_value()?;
            } else {
                self.skip_value()?;
            }
        }
    }

    fn statement_value(&mut self) -> Option<Vec<Span>> {
        match self.peek()? {
            '{' => Some(vec![self.object_span()?]),
            '[' => {
                self.bump();
                let mut spans = Vec::new();
                loop {
                    self.skip_ws();
                    match self.peek()? {
                        ']' => {
                            self.bump();
                            return Some(spans);
                        }
                        ',' => {
                            self.bump();
                        }
                        '{' => spans.push(self.object_span()?),
                        _ => self.skip_value()?,
                    }
                }
            }
            _ => {
                self.skip_value()?;
                Some(Vec::new())
            }
        }
    }

    fn object_span(&mut self) -> Option<Span> {
        self.bump();
        let start = self.position();
        self.skip_nested(1)?;
        Some(Span { start, end: self.position() })
    }

    /// Consumes up to and including the bracket that closes `depth` open ones.
    fn skip_nested(&mut self, mut depth: usize) -> Option<()> {
        while depth > 0 {
            match self.peek()? {
                '"' => {
                    self.string()?;
                }
                '{' | '[' => {
                    self.bump();
                    depth += 1;
                }
                '}' | ']' => {
                    self.bump();
                    depth -= 1;
                }
                _ => {
                    self.bump();
                }
            }
        }
        Some(())
    }

    fn skip_value(&mut self) -> Option<()> {
        match self.peek()? {
            '"' => self.string().map(|_| ()),
            '{' | '[' => {
                self.bump();
                self.skip_nested(1)
            }
            _ => {
                while !matches!(self.peek(), None | Some(',' | '}' | ']' | ' ' | '\t' | '\n' | '\r')) {
                    self.bump();
                }
                Some(())
            }
        }
    }

    /// Reads a JSON string and decodes its escapes, so an escaped key (`"St\u0061tement"`) is
    /// recognised as `serde_json` recognises it.
    fn string(&mut self) -> Option<String> {
        if self.bump()? != '"' {
            return None;
        }
        let mut out = String::new();
        let mut pending_high: Option<u32> = None;
        loop {
            let c = self.bump()?;
            match c {
                '"' => return Some(out),
                '\\' => {
                    let e = self.bump()?;
                    let decoded = match e {
                        'u' => {
                            let mut v = 0u32;
                            for _ in 0..4 {
                                v = v * 16 + self.bump()?.to_digit(16)?;
                            }
                            if (0xD800..0xDC00).contains(&v) {
                                pending_high = Some(v);
                                continue;
                            }
                            if (0xDC00..0xE000).contains(&v) {
                                let high = pending_high.take()?;
                                char::from_u32(0x10000 + ((high - 0xD800) << 10) + (v - 0xDC00))?
                            } else {
                                char::from_u32(v)?
                            }
                        }
                        'n' => '\n',
                        't' => '\t',
                        'r' => '\r',
                        'b' => '\u{8}',
                        'f' => '\u{c}',
                        other => other,
                    };
                    out.push(decoded);
                }
                other => out.push(other),
            }
        }
    }
}
