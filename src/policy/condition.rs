//! Condition operators and how one `"Operator": {"key": values}` entry is decided.
//!
//! The rules, from the IAM User Guide:
//! - multiple operators, and multiple keys under one operator, are AND-ed; multiple values for one
//!   key are OR-ed, except under a negated operator where they are NOR-ed
//!   (`reference_policies_multi-value-conditions`: "If a single negated matching condition operator
//!   includes multiple values for a context key, those values are evaluated using a logical NOR");
//! - a key absent from the request makes the condition false, except that a negated operator
//!   (`StringNotLike`, `ArnNotLike`, …) is then true; `…IfExists` makes an absent key true; `Null`
//!   tests presence (`reference_policies_elements_condition_operators`, "Important");
//! - `ForAllValues:` is true when every request value matches at least one policy value, and also
//!   when the key is absent or its set is empty; `ForAnyValue:` is true when at least one request
//!   value matches, and false for an absent key or empty set
//!   (`reference_policies_condition-single-vs-multi-valued-context-keys`);
//! - variables are allowed with String, ARN and Bool operators only.
//!
//! Two choices the documentation leaves open, made here on purpose:
//! - a multivalued request key under an operator without a set qualifier: a positive operator is
//!   true if any request value matches, a negated one if no request value matches any policy value;
//! - a policy value whose variable cannot be resolved never satisfies the operator, positive or
//!   negated ("causes the statement to be invalid").

use base64::Engine as _;

use super::arn::arn_matches;
use super::context::{ContextValue, RequestContext};
use super::date::parse_date;
use super::ip::{Cidr, parse_addr};
use super::variables::Template;

/// A set qualifier for multivalued keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetQualifier {
    /// `ForAnyValue:`
    ForAnyValue,
    /// `ForAllValues:`
    ForAllValues,
}

/// The operator without qualifier or `IfExists`.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaseOperator {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
}

/// The operator families, for callers that group operators (and for test bookkeeping).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperatorFamily {
    /// `String…`
    String,
    /// `Numeric…`
    Numeric,
    /// `Date…`
    Date,
    /// `Bool`
    Bool,
    /// `BinaryEquals`
    Binary,
    /// `IpAddress`, `NotIpAddress`
    Ip,
    /// `Arn…`
    Arn,
    /// `Null`
    Null,
}

impl BaseOperator {
    fn parse(name: &str) -> Option<BaseOperator> {
        use BaseOperator as B;
        Some(match name {
            "StringEquals" => B::StringEquals,
            "StringNotEquals" => B::StringNotEquals,
            "StringEqualsIgnoreCase" => B::StringEqualsIgnoreCase,
            "StringNotEqualsIgnoreCase" => B::StringNotEqualsIgnoreCase,
            "StringLike" => B::StringLike,
            "StringNotLike" => B::StringNotLike,
            "NumericEquals" => B::NumericEquals,
            "NumericNotEquals" => B::NumericNotEquals,
            "NumericLessThan" => B::NumericLessThan,
            "NumericLessThanEquals" => B::NumericLessThanEquals,
            "NumericGreaterThan" => B::NumericGreaterThan,
            "NumericGreaterThanEquals" => B::NumericGreaterThanEquals,
            "DateEquals" => B::DateEquals,
            "DateNotEquals" => B::DateNotEquals,
            "DateLessThan" => B::DateLessThan,
            "DateLessThanEquals" => B::DateLessThanEquals,
            "DateGreaterThan" => B::DateGreaterThan,
            "DateGreaterThanEquals" => B::DateGreaterThanEquals,
            "Bool" => B::Bool,
            "BinaryEquals" => B::BinaryEquals,
            "IpAddress" => B::IpAddress,
            "NotIpAddress" => B::NotIpAddress,
            "ArnEquals" => B::ArnEquals,
            "ArnLike" => B::ArnLike,
            "ArnNotEquals" => B::ArnNotEquals,
            "ArnNotLike" => B::ArnNotLike,
            "Null" => B::Null,
            _ => return None,
        })
    }

    /// The family this operator belongs to.
    #[must_use]
    pub fn family(self) -> OperatorFamily {
        use BaseOperator as B;
        match self {
            B::StringEquals
            | B::StringNotEquals
            | B::StringEqualsIgnoreCase
            | B::StringNotEqualsIgnoreCase
            | B::StringLike
            | B::StringNotLike => OperatorFamily::String,
            B::NumericEquals
            | B::NumericNotEquals
            | B::NumericLessThan
            | B::NumericLessThanEquals
            | B::NumericGreaterThan
            | B::NumericGreaterThanEquals => OperatorFamily::Numeric,
            B::DateEquals
            | B::DateNotEquals
            | B::DateLessThan
            | B::DateLessThanEquals
            | B::DateGreaterThan
            | B::DateGreaterThanEquals => OperatorFamily::Date,
            B::Bool => OperatorFamily::Bool,
            B::BinaryEquals => OperatorFamily::Binary,
            B::IpAddress | B::NotIpAddress => OperatorFamily::Ip,
            B::ArnEquals | B::ArnLike | B::ArnNotEquals | B::ArnNotLike => OperatorFamily::Arn,
            B::Null => OperatorFamily::Null,
        }
    }

    /// For a negated operator, the positive operator it negates.
    #[must_use]
    pub fn negates(self) -> Option<BaseOperator> {
        use BaseOperator as B;
        Some(match self {
            B::StringNotEquals => B::StringEquals,
            B::StringNotEqualsIgnoreCase => B::StringEqualsIgnoreCase,
            B::StringNotLike => B::StringLike,
            B::NumericNotEquals => B::NumericEquals,
            B::DateNotEquals => B::DateEquals,
            B::NotIpAddress => B::IpAddress,
            B::ArnNotEquals => B::ArnEquals,
            B::ArnNotLike => B::ArnLike,
            _ => return None,
        })
    }

    fn allows_variables(self) -> bool {
        matches!(self.family(), OperatorFamily::String | OperatorFamily::Arn | OperatorFamily::Bool)
    }
}

/// A full operator name: `[ForAnyValue:|ForAllValues:]Base[IfExists]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConditionOperator {
    /// The set qualifier, if any.
    pub qualifier: Option<SetQualifier>,
    /// The operator proper.
    pub base: BaseOperator,
    /// `…IfExists`: an absent key makes the condition true.
    pub if_exists: bool,
}

impl ConditionOperator {
    /// Parses an operator name exactly as written (operator names are case-sensitive). `Null`
    /// takes no `IfExists` ("You can add `IfExists` to the end of any condition operator name except
    /// the Null condition").
    #[must_use]
    pub fn parse(name: &str) -> Option<ConditionOperator> {
        let (qualifier, rest) = if let Some(r) = name.strip_prefix("ForAnyValue:") {
            (Some(SetQualifier::ForAnyValue), r)
        } else if let Some(r) = name.strip_prefix("ForAllValues:") {
            (Some(SetQualifier::ForAllValues), r)
        } else {
            (None, name)
        };
        if let Some(base) = BaseOperator::parse(rest) {
            return Some(ConditionOperator { qualifier, base, if_exists: false });
        }
        let base = BaseOperator::parse(rest.strip_suffix("IfExists")?)?;
        (base != BaseOperator::Null).then_some(ConditionOperator { qualifier, base, if_exists: true })
    }
}

/// One `operator → key → values` entry of a statement's `Condition` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// The operator.
    pub operator: ConditionOperator,
    /// The condition key as written.
    pub key: String,
    /// The policy values as written (JSON numbers and booleans in their JSON text).
    pub values: Vec<String>,
    key_lower: String,
    templates: Vec<Template>,
}

impl Condition {
    pub(crate) fn new(operator: ConditionOperator, key: String, values: Vec<String>, variables: bool) -> Condition {
        let variables = variables && operator.base.allows_variables();
        let templates = values.iter().map(|v| Template::parse(v, variables)).collect();
        let key_lower = key.to_lowercase();
        Condition { operator, key, values, key_lower, templates }
    }

    /// Context keys this condition reads: its own key and those of variables in its values.
    pub(crate) fn referenced_keys(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.key.as_str()).chain(self.templates.iter().flat_map(Template::variable_keys))
    }

    /// Decides this entry against the request. Keys the decision needed but the request lacked
    /// are pushed onto `missing` (not for `Null` or `…IfExists`, where absence is an answer).
    pub(crate) fn evaluate(&self, context: &RequestContext, missing: &mut Vec<String>) -> bool {
        let op = self.operator;
        let request = context.get_lower(&self.key_lower);
        let absent = request.is_none_or(<[ContextValue]>::is_empty);

        if op.base == BaseOperator::Null {
            return self
                .values
                .iter()
                .any(|v| (v.eq_ignore_ascii_case("true") && absent) || (v.eq_ignore_ascii_case("false") && !absent));
        }
        if absent && !op.if_exists {
            missing.push(self.key.clone());
        }
        let request = request.unwrap_or_default();
        let negated = op.base.negates().is_some();
        match op.qualifier {
            None if absent => op.if_exists || negated,
            None if negated => request.iter().all(|v| self.value_satisfies(v, context, missing)),
            None => request.iter().any(|v| self.value_satisfies(v, context, missing)),
            Some(SetQualifier::ForAllValues) => {
                absent || request.iter().all(|v| self.value_satisfies(v, context, missing))
            }
            Some(SetQualifier::ForAnyValue) => {
                if absent {
                    op.if_exists
                } else {
                    request.iter().any(|v| self.value_satisfies(v, context, missing))
                }
            }
        }
    }

    /// Whether one request value satisfies the operator against the policy values: OR over the
    /// policy values for a positive operator, NOR for a negated one.
    fn value_satisfies(&self, value: &ContextValue, context: &RequestContext, missing: &mut Vec<String>) -> bool {
        match self.operator.base.negates() {
            None => {
                self.templates.iter().any(|t| compare(self.operator.base, value, t, context, missing) == Some(true))
            }
            Some(positive) => {
                self.templates.iter().all(|t| compare(positive, value, t, context, missing) == Some(false))
            }
        }
    }
}

/// Compares one request value with one policy value under a positive operator. `None` when the
/// policy value cannot be used (unresolvable variable, unparsable number, date, CIDR or base64).
fn compare(
    op: BaseOperator,
    value: &ContextValue,
    policy: &Template,
    context: &RequestContext,
    missing: &mut Vec<String>,
) -> Option<bool> {
    use BaseOperator as B;
    super::work::charge(1);
    match op.family() {
        OperatorFamily::String => {
            let text = value.to_text();
            super::work::charge(text.len());
            match op {
                B::StringLike => Some(policy.resolve_pattern(context, true, missing)?.matches(&text)),
                B::StringEqualsIgnoreCase => {
                    let p = policy.resolve_text(context, missing)?;
                    Some(p.to_lowercase() == text.to_lowercase())
                }
                _ => Some(policy.resolve_text(context, missing)? == text),
            }
        }
        OperatorFamily::Arn => {
            // ArnEquals and ArnLike "behave identically": wildcards per segment.
            let pattern = policy.resolve_pattern(context, true, missing)?;
            Some(arn_matches(&pattern, &value.to_text()))
        }
        OperatorFamily::Numeric => {
            let p = parse_number(&policy.resolve_text(context, missing)?)?;
            let Some(v) = number_of(value) else {
                return Some(false);
            };
            Some(match op {
                B::NumericLessThan => v < p,
                B::NumericLessThanEquals => v <= p,
                B::NumericGreaterThan => v > p,
                B::NumericGreaterThanEquals => v >= p,
                _ => (v - p).abs() == 0.0,
            })
        }
        OperatorFamily::Date => {
            let p = parse_date(&policy.resolve_text(context, missing)?)?;
            let Some(v) = date_of(value) else {
                return Some(false);
            };
            Some(match op {
                B::DateLessThan => v < p,
                B::DateLessThanEquals => v <= p,
                B::DateGreaterThan => v > p,
                B::DateGreaterThanEquals => v >= p,
                _ => v == p,
            })
        }
        OperatorFamily::Bool => {
            let p = parse_bool(&policy.resolve_text(context, missing)?)?;
            Some(bool_of(value) == Some(p))
        }
        OperatorFamily::Binary => {
            let p = base64::engine::general_purpose::STANDARD.decode(policy.resolve_text(context, missing)?).ok()?;
            Some(binary_of(value).is_some_and(|v| v == p))
        }
        OperatorFamily::Ip => {
            let cidr = Cidr::parse(&policy.resolve_text(context, missing)?)?;
            Some(ip_of(value).is_some_and(|ip| cidr.contains(ip)))
        }
        OperatorFamily::Null => None,
    }
}

/// Integers and decimals, optionally signed; nothing else (`inf`, `NaN`, exponents and hex are
/// not numbers in a policy).
pub(crate) fn parse_number(s: &str) -> Option<f64> {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (whole, frac) = body.split_once('.').unwrap_or((body, ""));
    let ok = !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
        && !(body.contains('.') && frac.is_empty());
    if !ok {
        return None;
    }
    s.parse().ok()
}

fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

fn number_of(v: &ContextValue) -> Option<f64> {
    match v {
        ContextValue::Number(n) => Some(*n),
        other => parse_number(&other.to_text()),
    }
}

fn date_of(v: &ContextValue) -> Option<i128> {
    match v {
        ContextValue::Date(d) => Some(d.unix_timestamp_nanos()),
        // A numeric value is epoch seconds (aws:EpochTime).
        ContextValue::Number(n) if n.fract() == 0.0 => {
            #[allow(clippy::cast_possible_truncation)]
            let secs = *n as i64;
            Some(i128::from(secs) * 1_000_000_000)
        }
        other => parse_date(&other.to_text()),
    }
}

fn bool_of(v: &ContextValue) -> Option<bool> {
    match v {
        ContextValue::Bool(b) => Some(*b),
        other => parse_bool(&other.to_text()),
    }
}

fn binary_of(v: &ContextValue) -> Option<Vec<u8>> {
    match v {
        ContextValue::Binary(b) => Some(b.clone()),
        // Request values of binary keys arrive base64-encoded (as Simulate's ContextEntries do).
        other => base64::engine::general_purpose::STANDARD.decode(other.to_text()).ok(),
    }
}

fn ip_of(v: &ContextValue) -> Option<std::net::IpAddr> {
    match v {
        ContextValue::Ip(ip) => Some(*ip),
        other => parse_addr(&other.to_text()),
    }
}
