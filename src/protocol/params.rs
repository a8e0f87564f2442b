//! Query-protocol parameters: `Action=CreateUser&UserName=alice&Tags.member.1.Key=team`, from a
//! form body or a query string, read into typed values with AWS's validation messages.

use std::collections::BTreeMap;

use super::rules::{IntRule, StrRule};
use crate::error::AwsError;

/// The decoded parameters of one request. A key given twice keeps its first value, as a query
/// string is read left to right and the signature covers both.
#[derive(Debug, Default, Clone)]
pub struct Params {
    map: BTreeMap<String, String>,
}

/// Most parameters one request may carry (query string and form body together). The service
/// model bounds no list of SimulateCustomPolicy or SimulatePrincipalPolicy, so this is iamd's own
/// limit: far above what a call needs (50 tags are 100 parameters), and it bounds the decoded
/// map whatever a 1 MiB body holds.
pub const MAX_PARAMETERS: usize = 10_000;

impl Params {
    /// Decodes `application/x-www-form-urlencoded` text (a body or a query string).
    #[must_use]
    pub fn decode(text: &[u8]) -> Self {
        let mut map = BTreeMap::new();
        for (k, v) in form_urlencoded::parse(text) {
            map.entry(k.into_owned()).or_insert_with(|| v.into_owned());
        }
        Self { map }
    }

    /// The parameters of a request: its query string, and its form body when it has one (the
    /// body's value wins where both name a key), at most [`MAX_PARAMETERS`] of them.
    ///
    /// # Errors
    /// `ValidationError` when there are more.
    pub fn decode_request(query: &[u8], body: Option<&[u8]>) -> Result<Self, AwsError> {
        let pairs = body.map(form_urlencoded::parse).into_iter().flatten().chain(form_urlencoded::parse(query));
        let mut map = BTreeMap::new();
        for (n, (k, v)) in pairs.enumerate() {
            if n == MAX_PARAMETERS {
                return Err(AwsError::ValidationError(format!(
                    "The request has more than {MAX_PARAMETERS} parameters, the most iamd accepts."
                )));
            }
            map.entry(k.into_owned()).or_insert_with(|| v.into_owned());
        }
        Ok(Self { map })
    }

    #[must_use]
    pub fn get(&self, key: &str) -> Option<&str> {
        self.map.get(key).map(String::as_str)
    }

    /// Starts reading typed fields; errors accumulate and are reported together by [`Fields::finish`].
    #[must_use]
    pub fn fields(&self) -> Fields<'_> {
        Fields { params: self, errors: Vec::new(), at: String::new() }
    }

    /// All `(index, suffix, value)` under `prefix.member.N[.suffix]`, ordered by index.
    fn members<'a>(&'a self, prefix: &str) -> Vec<(u32, &'a str, &'a str)> {
        let head = format!("{prefix}.member.");
        let mut out: Vec<(u32, &str, &str)> = self
            .map
            .range(head.clone()..)
            .take_while(|(k, _)| k.starts_with(&head))
            .filter_map(|(k, v)| {
                let rest = &k[head.len()..];
                let (idx, suffix) = rest.split_once('.').unwrap_or((rest, ""));
                idx.parse::<u32>().ok().map(|i| (i, suffix, v.as_str()))
            })
            .collect();
        out.sort_by_key(|(i, _, _)| *i);
        out
    }
}

/// A resource tag as the query protocol carries it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// A reader of typed fields that gathers every validation failure, as AWS reports them all at once.
pub struct Fields<'a> {
    params: &'a Params,
    errors: Vec<String>,
    /// Where these members sit in the request, as validation messages name it (empty at the top
    /// level; `contextEntries.1.member` inside a list of structures).
    at: String,
}

impl Fields<'_> {
    /// An optional string member, checked against `rule` when present.
    pub fn opt_str(&mut self, member: &str, rule: &StrRule) -> Option<String> {
        let value = self.params.get(member)?;
        let at = self.path(member);
        self.check_str(&at, value, rule);
        Some(value.to_owned())
    }

    /// A required string member; absence is AWS's "Member must not be null".
    pub fn str(&mut self, member: &str, rule: &StrRule) -> String {
        if let Some(v) = self.opt_str(member, rule) {
            return v;
        }
        self.null(member);
        String::new()
    }

    /// An optional member the model marks sensitive (a password): checked like
    /// [`Fields::opt_str`], but failures never echo the value.
    pub fn opt_secret(&mut self, member: &str, rule: &StrRule) -> Option<String> {
        let value = self.params.get(member)?;
        let at = camel(&self.path(member));
        for msg in rule.violations(value) {
            self.errors.push(format!("Value at '{at}' failed to satisfy constraint: {msg}"));
        }
        Some(value.to_owned())
    }

    /// A required sensitive member.
    pub fn secret(&mut self, member: &str, rule: &StrRule) -> String {
        if let Some(v) = self.opt_secret(member, rule) {
            return v;
        }
        self.null(member);
        String::new()
    }

    /// Records that a required member is absent: AWS's "Member must not be null".
    pub fn null(&mut self, member: &str) {
        self.errors.push(format!(
            "Value null at '{}' failed to satisfy constraint: Member must not be null",
            self.path(member)
        ));
    }

    /// An optional integer member within `rule`'s bounds.
    pub fn opt_int(&mut self, member: &str, rule: &IntRule) -> Option<i64> {
        let raw = self.params.get(member)?;
        let Ok(value) = raw.trim().parse::<i64>() else {
            self.errors.push(format!(
                "Value '{raw}' at '{}' failed to satisfy constraint: Member must be a number",
                self.path(member)
            ));
            return None;
        };
        if let Some(msg) = rule.violation(value) {
            self.errors.push(format!("Value '{value}' at '{}' failed to satisfy constraint: {msg}", self.path(member)));
        }
        Some(value)
    }

    /// An optional enum member; `allowed` lists the values in the service model.
    pub fn opt_enum(&mut self, member: &str, allowed: &[&str]) -> Option<String> {
        let raw = self.params.get(member)?;
        if !allowed.contains(&raw) {
            // Worded as recorded from IAM: neither the value nor the set is echoed.
            self.errors.push(format!(
                "Value at '{}' failed to satisfy constraint: Member must satisfy enum value set",
                self.path(member)
            ));
        }
        Some(raw.to_owned())
    }

    /// A required enum member.
    pub fn enum_value(&mut self, member: &str, allowed: &[&str]) -> String {
        if let Some(v) = self.opt_enum(member, allowed) {
            return v;
        }
        self.null(member);
        String::new()
    }

    /// An optional boolean member (`true`/`false`).
    pub fn opt_bool(&mut self, member: &str) -> Option<bool> {
        let raw = self.params.get(member)?;
        match raw.to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => {
                self.errors.push(format!(
                    "Value '{raw}' at '{}' failed to satisfy constraint: Member must be a boolean",
                    self.path(member)
                ));
                None
            }
        }
    }

    /// A list of strings serialised as `Member.member.N`, each checked against `rule`, at most `max` long.
    pub fn str_list(&mut self, member: &str, rule: &StrRule, max: usize) -> Option<Vec<String>> {
        let items: Vec<String> = self
            .params
            .members(member)
            .into_iter()
            .filter(|(_, suffix, _)| suffix.is_empty())
            .map(|(_, _, v)| v.to_owned())
            .collect();
        if items.is_empty() && self.params.get(member).is_none() {
            return None;
        }
        for (i, v) in items.iter().enumerate() {
            self.check_str(&format!("{}.{}.member", self.path(member), i + 1), v, rule);
        }
        self.check_len(member, items.len(), max);
        Some(items)
    }

    /// One field of a list of structures, `Member.member.N.field`, in index order, each checked
    /// against `rule`, at most `max` long (STS's `PolicyArns.member.N.arn`).
    pub fn field_list(&mut self, member: &str, field: &str, rule: &StrRule, max: usize) -> Option<Vec<String>> {
        let raw = self.params.members(member);
        if raw.is_empty() && self.params.get(member).is_none() {
            return None;
        }
        let values: Vec<String> =
            raw.into_iter().filter(|(_, suffix, _)| *suffix == field).map(|(_, _, v)| v.to_owned()).collect();
        for (i, v) in values.iter().enumerate() {
            self.check_str(&format!("{}.{}.member.{field}", self.path(member), i + 1), v, rule);
        }
        self.check_len(member, values.len(), max);
        Some(values)
    }

    /// Tags serialised as `Member.member.N.Key` / `.Value`, checked against AWS's tag rules.
    pub fn tags(&mut self, member: &str) -> Option<Vec<Tag>> {
        let raw = self.params.members(member);
        if raw.is_empty() && self.params.get(member).is_none() {
            return None;
        }
        let mut by_index: BTreeMap<u32, (Option<&str>, Option<&str>)> = BTreeMap::new();
        for (i, suffix, v) in raw {
            let e = by_index.entry(i).or_default();
            match suffix {
                "Key" => e.0 = Some(v),
                "Value" => e.1 = Some(v),
                _ => {}
            }
        }
        let mut tags = Vec::with_capacity(by_index.len());
        for (n, (key, value)) in by_index.into_values().enumerate() {
            let at = format!("{}.{}.member", self.path(member), n + 1);
            match key {
                Some(k) => self.check_str(&format!("{at}.key"), k, &super::rules::TAG_KEY),
                None => self
                    .errors
                    .push(format!("Value null at '{at}.key' failed to satisfy constraint: Member must not be null")),
            }
            match value {
                Some(v) => self.check_str(&format!("{at}.value"), v, &super::rules::TAG_VALUE),
                None => self
                    .errors
                    .push(format!("Value null at '{at}.value' failed to satisfy constraint: Member must not be null")),
            }
            tags.push(Tag { key: key.unwrap_or_default().to_owned(), value: value.unwrap_or_default().to_owned() });
        }
        self.check_len(member, tags.len(), super::rules::MAX_TAGS);
        Some(tags)
    }

    /// Each structure of the list `Member.member.N.…`, in index order, read by `each` with fields
    /// scoped to that structure (`ContextEntries.member.2.ContextKeyValues.member.1` is
    /// `ContextKeyValues.member.1` there); failures are reported at AWS's path
    /// (`contextEntries.2.member.contextKeyName`). At most `max` structures.
    pub fn struct_list<T>(
        &mut self,
        member: &str,
        max: usize,
        mut each: impl FnMut(&mut Fields<'_>) -> T,
    ) -> Option<Vec<T>> {
        let raw = self.params.members(member);
        if raw.is_empty() && self.params.get(member).is_none() {
            return None;
        }
        let mut by_index: BTreeMap<u32, Params> = BTreeMap::new();
        for (i, suffix, v) in raw {
            let fields = &mut by_index.entry(i).or_default().map;
            if !suffix.is_empty() {
                fields.entry(suffix.to_owned()).or_insert_with(|| v.to_owned());
            }
        }
        let mut out = Vec::with_capacity(by_index.len());
        for (n, params) in by_index.values().enumerate() {
            let mut inner =
                Fields { params, errors: Vec::new(), at: format!("{}.{}.member", self.path(member), n + 1) };
            out.push(each(&mut inner));
            self.errors.append(&mut inner.errors);
        }
        self.check_len(member, out.len(), max);
        Some(out)
    }

    /// How validation messages name `member` here.
    fn path(&self, member: &str) -> String {
        if self.at.is_empty() { camel(member) } else { format!("{}.{}", self.at, camel(member)) }
    }

    fn check_len(&mut self, member: &str, len: usize, max: usize) {
        if len > max {
            self.errors.push(format!(
                "Value at '{}' failed to satisfy constraint: Member must have length less than or equal to {max}",
                self.path(member)
            ));
        }
    }

    fn check_str(&mut self, at: &str, value: &str, rule: &StrRule) {
        for msg in rule.violations(value) {
            self.errors.push(format!("Value '{value}' at '{}' failed to satisfy constraint: {msg}", camel(at)));
        }
    }

    /// Ends reading: one `ValidationError` naming every failure, or `Ok`.
    pub fn finish(self) -> Result<(), AwsError> {
        match self.errors.len() {
            0 => Ok(()),
            1 => Err(AwsError::ValidationError(format!("1 validation error detected: {}", self.errors[0]))),
            n => Err(AwsError::ValidationError(format!("{n} validation errors detected: {}", self.errors.join("; ")))),
        }
    }
}

/// AWS names members in validation messages in lower camel case: `UserName` → `userName`.
fn camel(member: &str) -> String {
    let mut chars = member.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::rules::{MAX_ITEMS, USER_NAME};

    #[test]
    fn reads_members_and_reports_all_errors() {
        let p = Params::decode(b"UserName=bad%20name&MaxItems=0&Tags.member.2.Key=b&Tags.member.2.Value=2&Tags.member.1.Key=a&Tags.member.1.Value=1");
        let mut f = p.fields();
        assert_eq!(f.str("UserName", &USER_NAME), "bad name");
        assert_eq!(f.opt_int("MaxItems", &MAX_ITEMS), Some(0));
        let tags = f.tags("Tags").unwrap();
        assert_eq!(tags.iter().map(|t| t.key.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        let err = f.finish().unwrap_err();
        assert_eq!(
            err.message(),
            "2 validation errors detected: Value 'bad name' at 'userName' failed to satisfy constraint: \
             Member must satisfy regular expression pattern: [\\w+=,.@-]+; Value '0' at 'maxItems' failed to \
             satisfy constraint: Member must have value greater than or equal to 1"
        );
    }

    #[test]
    fn missing_required_member_is_null() {
        let p = Params::decode(b"");
        let mut f = p.fields();
        f.str("UserName", &USER_NAME);
        assert_eq!(
            f.finish().unwrap_err().message(),
            "1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null"
        );
    }

    #[test]
    fn lists_of_structures_read_nested_members_and_name_failures_by_path() {
        let p = Params::decode(
            b"E.member.2.Name=second&E.member.2.Values.member.2=b&E.member.2.Values.member.1=a&E.member.1.Name=x",
        );
        let mut f = p.fields();
        let entries = f
            .struct_list("E", 10, |f| {
                (f.str("Name", &USER_NAME), f.str_list("Values", &USER_NAME, 10).unwrap_or_default())
            })
            .unwrap();
        assert_eq!(entries, [("x".to_owned(), vec![]), ("second".to_owned(), vec!["a".to_owned(), "b".to_owned()])]);
        assert!(f.finish().is_ok());

        let p = Params::decode(b"E.member.1.Values.member.1=bad%20value");
        let mut f = p.fields();
        f.struct_list("E", 10, |f| {
            f.str("Name", &USER_NAME);
            f.str_list("Values", &USER_NAME, 10);
        });
        let msg = f.finish().unwrap_err().message().to_owned();
        assert!(msg.contains("Value null at 'e.1.member.name'"), "{msg}");
        assert!(msg.contains("Value 'bad value' at 'e.1.member.values.1.member'"), "{msg}");
        assert!(p.fields().struct_list("F", 10, |_| ()).is_none());
    }

    #[test]
    fn first_value_of_a_repeated_key_wins() {
        let p = Params::decode(b"A=1&A=2");
        assert_eq!(p.get("A"), Some("1"));
    }

    #[test]
    fn the_body_wins_over_the_query_and_the_count_is_bounded() {
        let p = Params::decode_request(b"A=query&B=query", Some(b"A=body")).unwrap();
        assert_eq!((p.get("A"), p.get("B")), (Some("body"), Some("query")));
        let many = |n: usize| (0..n).map(|i| format!("K{i}=v")).collect::<Vec<_>>().join("&");
        let at_limit = many(MAX_PARAMETERS);
        assert_eq!(Params::decode_request(at_limit.as_bytes(), None).unwrap().map.len(), MAX_PARAMETERS);
        // Split between query and body, one too many is refused; repeated keys count too.
        let (query, body) = (many(MAX_PARAMETERS / 2), many(MAX_PARAMETERS / 2 + 1));
        let err = Params::decode_request(query.as_bytes(), Some(body.as_bytes())).unwrap_err();
        assert_eq!(err.code(), "ValidationError");
        assert!(err.to_string().contains("more than 10000 parameters"), "{err}");
    }
}
