//! Constraints from the botocore service model (length bounds and patterns), with the wording AWS
//! uses when a value breaks one.

/// A string member's constraints: length in characters and a pattern.
pub struct StrRule {
    pub min: usize,
    pub max: usize,
    /// The pattern as the service model writes it, quoted in error messages.
    pub pattern: &'static str,
    pub matches: fn(&str) -> bool,
}

impl StrRule {
    /// Each broken constraint's message, in AWS's order (length, then pattern).
    #[must_use]
    pub fn violations(&self, value: &str) -> Vec<String> {
        let mut out = Vec::new();
        let len = value.chars().count();
        if len < self.min {
            out.push(format!("Member must have length greater than or equal to {}", self.min));
        }
        if len > self.max {
            out.push(format!("Member must have length less than or equal to {}", self.max));
        }
        if len >= self.min && !(self.matches)(value) {
            out.push(format!("Member must satisfy regular expression pattern: {}", self.pattern));
        }
        out
    }
}

/// An integer member's bounds.
pub struct IntRule {
    pub min: i64,
    pub max: i64,
}

impl IntRule {
    #[must_use]
    pub fn violation(&self, value: i64) -> Option<String> {
        if value < self.min {
            Some(format!("Member must have value greater than or equal to {}", self.min))
        } else if value > self.max {
            Some(format!("Member must have value less than or equal to {}", self.max))
        } else {
            None
        }
    }
}

/// Java's `\w` (the service's regex dialect) is ASCII-only.
fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

pub fn entity_name(s: &str) -> bool {
    s.chars().all(|c| is_word(c) || "+=,.@-".contains(c))
}

/// `(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`
fn path(s: &str) -> bool {
    s == "/"
        || (s.len() >= 3
            && s.starts_with('/')
            && s.ends_with('/')
            && s.chars().all(|c| ('\u{21}'..='\u{7E}').contains(&c)))
}

/// `\u002F[\u0021-\u007F]*`
fn path_prefix(s: &str) -> bool {
    s.starts_with('/') && s.chars().all(|c| ('\u{21}'..='\u{7F}').contains(&c))
}

/// `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`
fn tag_text(s: &str) -> bool {
    s.chars().all(|c| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c))
}

/// `((/[A-Za-z0-9\.,\+@=_-]+)*)/`
fn policy_path(s: &str) -> bool {
    if s == "/" {
        return true;
    }
    let Some(inner) = s.strip_prefix('/').and_then(|r| r.strip_suffix('/')) else { return false };
    inner
        .split('/')
        .all(|seg| !seg.is_empty() && seg.chars().all(|c| c.is_ascii_alphanumeric() || ".,+@=_-".contains(c)))
}

/// `v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`
fn version_id(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('v') else { return false };
    let (num, suffix) = rest.split_once('.').map_or((rest, None), |(n, x)| (n, Some(x)));
    num.starts_with(|c: char| ('1'..='9').contains(&c))
        && num.chars().all(|c| c.is_ascii_digit())
        && suffix.is_none_or(|x| x.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
}

fn marker(s: &str) -> bool {
    s.chars().all(|c| ('\u{20}'..='\u{FF}').contains(&c))
}

fn word(s: &str) -> bool {
    s.chars().all(is_word)
}

pub const USER_NAME: StrRule = StrRule { min: 1, max: 64, pattern: r"[\w+=,.@-]+", matches: entity_name };
pub const EXISTING_USER_NAME: StrRule = StrRule { min: 1, max: 128, pattern: r"[\w+=,.@-]+", matches: entity_name };
pub const PATH: StrRule =
    StrRule { min: 1, max: 512, pattern: r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)", matches: path };
pub const PATH_PREFIX: StrRule = StrRule { min: 1, max: 512, pattern: r"\u002F[\u0021-\u007F]*", matches: path_prefix };
pub const MARKER: StrRule = StrRule { min: 1, max: 320, pattern: r"[\u0020-\u00FF]+", matches: marker };
pub const TAG_KEY: StrRule = StrRule { min: 1, max: 128, pattern: r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+", matches: tag_text };
pub const TAG_VALUE: StrRule = StrRule { min: 0, max: 256, pattern: r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*", matches: tag_text };
pub const ACCESS_KEY_ID: StrRule = StrRule { min: 16, max: 128, pattern: r"[\w]+", matches: word };
pub const ARN: StrRule = StrRule { min: 20, max: 2048, pattern: "", matches: |_| true };

pub const ROLE_NAME: StrRule = StrRule { min: 1, max: 64, pattern: r"[\w+=,.@-]+", matches: entity_name };
pub const ROLE_DESCRIPTION: StrRule = StrRule {
    min: 0,
    max: 1000,
    pattern: r"[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*",
    matches: |s| s.chars().all(|c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{7E}' | '\u{A1}'..='\u{FF}')),
};
pub const MAX_SESSION_DURATION: IntRule = IntRule { min: 3600, max: 43_200 };
pub const ROLE_SESSION_NAME: StrRule = StrRule { min: 2, max: 64, pattern: r"[\w+=,.@-]*", matches: entity_name };
pub const SOURCE_IDENTITY: StrRule = StrRule { min: 2, max: 64, pattern: r"[\w+=,.@-]*", matches: entity_name };
pub const EXTERNAL_ID: StrRule = StrRule {
    min: 2,
    max: 1224,
    pattern: r"[\w+=,.@:\/-]*",
    matches: |s| s.chars().all(|c| is_word(c) || "+=,.@:/-".contains(c)),
};
pub const SESSION_POLICY: StrRule = StrRule {
    min: 1,
    max: 2048,
    pattern: r"[\u0009\u000A\u000D\u0020-\u00FF]+",
    matches: |s| s.chars().all(|c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{FF}')),
};
pub const ROLE_DURATION: IntRule = IntRule { min: 900, max: 43_200 };
pub const SESSION_DURATION: IntRule = IntRule { min: 900, max: 129_600 };
pub const GROUP_NAME: StrRule = StrRule { min: 1, max: 128, pattern: r"[\w+=,.@-]+", matches: entity_name };
pub const POLICY_NAME: StrRule = StrRule { min: 1, max: 128, pattern: r"[\w+=,.@-]+", matches: entity_name };
pub const POLICY_DOCUMENT: StrRule = StrRule {
    min: 1,
    max: 131_072,
    pattern: r"[\u0009\u000A\u000D\u0020-\u00FF]+",
    matches: |s| s.chars().all(|c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{FF}')),
};
pub const POLICY_PATH: StrRule =
    StrRule { min: 1, max: 512, pattern: r"((/[A-Za-z0-9\.,\+@=_-]+)*)/", matches: policy_path };
pub const POLICY_DESCRIPTION: StrRule = StrRule { min: 0, max: 1000, pattern: "", matches: |_| true };
pub const POLICY_VERSION_ID: StrRule =
    StrRule { min: 0, max: usize::MAX, pattern: r"v[1-9][0-9]*(\.[A-Za-z0-9-]*)?", matches: version_id };

/// `accountAliasType`: lowercase letters, digits and single hyphens, not at either end.
pub const ACCOUNT_ALIAS: StrRule = StrRule {
    min: 3,
    max: 63,
    pattern: "^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$",
    matches: |s| {
        let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
        s.chars().all(ok_char) && !s.starts_with('-') && !s.ends_with('-') && !s.contains("--")
    },
};

/// `passwordType`: the model marks it sensitive, so validation messages never echo it.
pub const PASSWORD: StrRule = StrRule {
    min: 1,
    max: 128,
    pattern: r"[\u0009\u000A\u000D\u0020-\u00FF]+",
    matches: |s| s.chars().all(|c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{FF}')),
};
pub const MINIMUM_PASSWORD_LENGTH: IntRule = IntRule { min: 6, max: 128 };
pub const MAX_PASSWORD_AGE: IntRule = IntRule { min: 1, max: 1095 };
pub const PASSWORD_REUSE_PREVENTION: IntRule = IntRule { min: 1, max: 24 };

pub const MAX_ITEMS: IntRule = IntRule { min: 1, max: 1000 };
/// Tags a request may carry, and tags an entity may hold.
pub const MAX_TAGS: usize = 50;
/// `statusType` as IAM accepts it in UpdateAccessKey.
pub const KEY_STATUS: &[&str] = &["Active", "Inactive"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_model() {
        assert!(USER_NAME.violations("alice+ops=a,b.c@d-e_1").is_empty());
        assert_eq!(USER_NAME.violations("al ice").len(), 1);
        assert_eq!(USER_NAME.violations("").len(), 1);
        assert_eq!(USER_NAME.violations(&"a".repeat(65)).len(), 1);
        assert_eq!(USER_NAME.violations("é").len(), 1, "\\w is ASCII-only");
    }

    #[test]
    fn paths_follow_the_model() {
        for ok in ["/", "/a/", "/division_abc/subdivision_xyz/"] {
            assert!(PATH.violations(ok).is_empty(), "{ok}");
        }
        for bad in ["a/", "/a", "//", "/a b/"] {
            assert!(!PATH.violations(bad).is_empty(), "{bad}");
        }
        assert!(PATH_PREFIX.violations("/a").is_empty());
        assert!(!PATH_PREFIX.violations("a").is_empty());
    }

    #[test]
    fn policy_paths_and_versions_follow_the_model() {
        for ok in ["/", "/a/", "/a.b/c-d/"] {
            assert!(POLICY_PATH.violations(ok).is_empty(), "{ok}");
        }
        for bad in ["a/", "//", "/a b/", "/a"] {
            assert!(!POLICY_PATH.violations(bad).is_empty(), "{bad}");
        }
        for ok in ["v1", "v12", "v2.x-1"] {
            assert!(POLICY_VERSION_ID.violations(ok).is_empty(), "{ok}");
        }
        for bad in ["v0", "1", "v", "v1.a_b"] {
            assert!(!POLICY_VERSION_ID.violations(bad).is_empty(), "{bad}");
        }
    }

    #[test]
    fn tags_allow_unicode_letters_and_spaces() {
        assert!(TAG_KEY.violations("Kostenstelle Äpfel:1/=+-@_.").is_empty());
        assert!(!TAG_KEY.violations("a*b").is_empty());
        assert!(TAG_VALUE.violations("").is_empty());
    }
}
