//! The request context: what is asked (action, resource), by whom (principal), and the condition
//! keys that describe the request. The caller fills every key (`aws:username`, `aws:CurrentTime`,
//! `aws:SourceIp`, `s3:prefix`, …); the engine reads no clock and knows no service.
//!
//! Condition key names are case-insensitive ("`aws:CurrentTime` is equivalent to
//! `AWS:currenttime`", IAM User Guide, `reference_policies_variables`), so keys are stored
//! lowercased.

use std::collections::BTreeMap;
use std::net::IpAddr;

use base64::Engine as _;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// One value of a condition key. A key may hold several (multivalued keys such as
/// `aws:TagKeys`); each operator reads the value in its own type and falls back to parsing the
/// text form, so a `String("2024-01-01T00:00:00Z")` works with `Date…` operators too.
#[derive(Debug, Clone, PartialEq)]
pub enum ContextValue {
    /// Text (`aws:username`, `s3:prefix`, tag values, ARNs).
    String(String),
    /// A number (`s3:max-keys`, `aws:EpochTime`).
    Number(f64),
    /// A boolean (`aws:SecureTransport`, `aws:MultiFactorAuthPresent`).
    Bool(bool),
    /// A point in time (`aws:CurrentTime`, `aws:TokenIssueTime`).
    Date(OffsetDateTime),
    /// An address (`aws:SourceIp`).
    Ip(IpAddr),
    /// Raw bytes, compared by `BinaryEquals`.
    Binary(Vec<u8>),
}

impl ContextValue {
    /// The text form used by string operators and policy variables: dates in RFC 3339, numbers
    /// without a trailing `.0`, booleans as `true`/`false`, binary as base64.
    #[must_use]
    pub fn to_text(&self) -> String {
        match self {
            ContextValue::String(s) => s.clone(),
            ContextValue::Number(n) => format_number(*n),
            ContextValue::Bool(b) => b.to_string(),
            ContextValue::Date(d) => d.format(&Rfc3339).unwrap_or_default(),
            ContextValue::Ip(ip) => ip.to_string(),
            ContextValue::Binary(bytes) => base64::engine::general_purpose::STANDARD.encode(bytes),
        }
    }
}

#[allow(clippy::cast_possible_truncation)]
fn format_number(n: f64) -> String {
    // Integral values print as integers, as they were written in the request.
    if n.fract() == 0.0 && n.abs() < 9.0e15 { format!("{}", n as i64) } else { format!("{n}") }
}

impl From<&str> for ContextValue {
    fn from(s: &str) -> ContextValue {
        ContextValue::String(s.to_owned())
    }
}

impl From<String> for ContextValue {
    fn from(s: String) -> ContextValue {
        ContextValue::String(s)
    }
}

impl From<bool> for ContextValue {
    fn from(b: bool) -> ContextValue {
        ContextValue::Bool(b)
    }
}

impl From<f64> for ContextValue {
    fn from(n: f64) -> ContextValue {
        ContextValue::Number(n)
    }
}

impl From<i64> for ContextValue {
    #[allow(clippy::cast_precision_loss)]
    fn from(n: i64) -> ContextValue {
        ContextValue::Number(n as f64)
    }
}

impl From<OffsetDateTime> for ContextValue {
    fn from(d: OffsetDateTime) -> ContextValue {
        ContextValue::Date(d)
    }
}

impl From<IpAddr> for ContextValue {
    fn from(ip: IpAddr) -> ContextValue {
        ContextValue::Ip(ip)
    }
}

/// What kind of caller made the request; decides which `Principal` entries can name it and how a
/// resource-based policy's grant combines with the caller's other policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalType {
    /// The account root user (`arn:aws:iam::ACCOUNT:root`).
    Root,
    /// An IAM user (`arn:aws:iam::ACCOUNT:user/PATH/NAME`).
    User,
    /// A role session (`arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`); `parent_arn` is the
    /// role's ARN (with its path).
    AssumedRole,
    /// A `GetFederationToken` session (`arn:aws:sts::ACCOUNT:federated-user/NAME`); `parent_arn` is
    /// the ARN of the IAM user who federated.
    FederatedUser,
    /// An AWS service (`arn` holds its principal name, e.g. `ec2.amazonaws.com`); named by
    /// `"Principal": {"Service": …}`.
    Service,
    /// A web-identity or SAML caller of `AssumeRoleWith…` (`arn` holds the provider ARN or name,
    /// e.g. `cognito-identity.amazonaws.com`); named by `"Principal": {"Federated": …}`.
    Federated,
    /// An S3 canonical user (`arn` holds the canonical id); named by
    /// `"Principal": {"CanonicalUser": …}`.
    CanonicalUser,
    /// An unauthenticated caller: only `"Principal": "*"` names it.
    Anonymous,
}

impl PrincipalType {
    /// The value AWS puts in `aws:PrincipalType`, when it has one.
    #[must_use]
    pub fn condition_value(self) -> Option<&'static str> {
        match self {
            PrincipalType::Root => Some("Account"),
            PrincipalType::User => Some("User"),
            PrincipalType::AssumedRole => Some("AssumedRole"),
            PrincipalType::FederatedUser => Some("FederatedUser"),
            PrincipalType::Anonymous => Some("Anonymous"),
            PrincipalType::Service | PrincipalType::Federated | PrincipalType::CanonicalUser => None,
        }
    }
}

/// The caller, as far as policy evaluation needs to know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalRef {
    /// The caller's own ARN (session ARN for sessions), or the service/provider name or canonical
    /// id for those types.
    pub arn: String,
    /// The caller's account id (empty for services and anonymous callers).
    pub account: String,
    /// What kind of caller this is.
    pub kind: PrincipalType,
    /// For sessions, the identity the session came from: the role ARN of an assumed-role session,
    /// the IAM user ARN of a federated-user session.
    pub parent_arn: Option<String>,
}

impl PrincipalRef {
    /// An IAM user, root or other non-session AWS principal.
    #[must_use]
    pub fn new(kind: PrincipalType, arn: impl Into<String>, account: impl Into<String>) -> Self {
        PrincipalRef { arn: arn.into(), account: account.into(), kind, parent_arn: None }
    }

    /// A session (assumed role or federated user) and the identity it came from.
    #[must_use]
    pub fn session(
        kind: PrincipalType,
        arn: impl Into<String>,
        account: impl Into<String>,
        parent_arn: impl Into<String>,
    ) -> Self {
        PrincipalRef { arn: arn.into(), account: account.into(), kind, parent_arn: Some(parent_arn.into()) }
    }
}

/// Everything a policy is evaluated against.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RequestContext {
    /// The action, `service:Action` (`s3:GetObject`). Matched case-insensitively.
    pub action: String,
    /// The resource ARN (`arn:aws:s3:::bucket/key`), or `*`. Matched case-sensitively.
    pub resource: String,
    /// The caller; `None` evaluates resource-based policies as for an anonymous caller.
    pub principal: Option<PrincipalRef>,
    values: BTreeMap<String, Vec<ContextValue>>,
}

impl RequestContext {
    /// Starts a context for `action` on `resource`.
    #[must_use]
    pub fn builder(action: impl Into<String>, resource: impl Into<String>) -> RequestContextBuilder {
        RequestContextBuilder {
            context: RequestContext {
                action: action.into(),
                resource: resource.into(),
                principal: None,
                values: BTreeMap::new(),
            },
        }
    }

    /// The values of a condition key (any case), or `None` when the key is absent.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&[ContextValue]> {
        self.values.get(&key.to_lowercase()).map(Vec::as_slice)
    }

    pub(crate) fn get_lower(&self, key_lower: &str) -> Option<&[ContextValue]> {
        self.values.get(key_lower).map(Vec::as_slice)
    }

    /// All keys present (lowercased).
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str)
    }

    /// Sets (replaces) the values of a key after construction.
    pub fn set(&mut self, key: &str, values: Vec<ContextValue>) {
        self.values.insert(key.to_lowercase(), values);
    }

    /// A copy of this context for another action and resource (same caller and keys), as
    /// `Simulate*Policy` needs for each action × resource pair.
    #[must_use]
    pub fn with_request(&self, action: impl Into<String>, resource: impl Into<String>) -> Self {
        RequestContext {
            action: action.into(),
            resource: resource.into(),
            principal: self.principal.clone(),
            values: self.values.clone(),
        }
    }
}

/// Builds a [`RequestContext`].
#[derive(Debug, Clone)]
pub struct RequestContextBuilder {
    context: RequestContext,
}

impl RequestContextBuilder {
    /// Sets the caller.
    #[must_use]
    pub fn principal(mut self, principal: PrincipalRef) -> Self {
        self.context.principal = Some(principal);
        self
    }

    /// Sets a single-valued key (replacing any earlier values).
    #[must_use]
    pub fn value(mut self, key: &str, value: impl Into<ContextValue>) -> Self {
        self.context.values.insert(key.to_lowercase(), vec![value.into()]);
        self
    }

    /// Sets a multivalued key (replacing any earlier values). An empty list is an empty set:
    /// present, but with no values.
    #[must_use]
    pub fn values<V: Into<ContextValue>>(mut self, key: &str, values: impl IntoIterator<Item = V>) -> Self {
        self.context.values.insert(key.to_lowercase(), values.into_iter().map(Into::into).collect());
        self
    }

    /// Finishes the context.
    #[must_use]
    pub fn build(self) -> RequestContext {
        self.context
    }
}
