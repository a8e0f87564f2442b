//! The `Principal` / `NotPrincipal` element of resource-based policies (role trust policies,
//! bucket policies) and how it names a caller.
//!
//! From the IAM User Guide (`reference_policies_elements_principal`, and the evaluation-logic page):
//! - `"*"` and `{"AWS": "*"}` name everyone;
//! - an account id `123456789012` or `arn:aws:iam::123456789012:root` names the account: every
//!   principal of that account, with the account's own identity policies deciding ("delegates
//!   authority to the account");
//! - a user ARN names that user (and the federated-user sessions it creates, as the "IAM user who
//!   federated"); a role ARN names every session of that role; an assumed-role session ARN or a
//!   federated-user ARN names that session only. Wildcards inside principal ARNs are not allowed;
//! - `Service`, `Federated` and `CanonicalUser` name service, identity-provider and S3
//!   canonical-user callers;
//! - with `NotPrincipal` the statement applies to every caller not listed; because a session is
//!   also its role and its account, AWS tells authors to list the account and role as well as the
//!   session, so the statement applies when *any* identity of the caller is left unlisted.

use super::context::{PrincipalRef, PrincipalType};
use super::error::{PolicyError, malformed, msg};

/// Which map key a principal entry sits under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalKey {
    /// `"AWS"`
    Aws,
    /// `"Service"`
    Service,
    /// `"Federated"`
    Federated,
    /// `"CanonicalUser"`
    CanonicalUser,
}

impl PrincipalKey {
    fn parse(s: &str) -> Option<PrincipalKey> {
        Some(match s {
            "AWS" => PrincipalKey::Aws,
            "Service" => PrincipalKey::Service,
            "Federated" => PrincipalKey::Federated,
            "CanonicalUser" => PrincipalKey::CanonicalUser,
            _ => return None,
        })
    }

    /// The key as AWS prints it inside `Invalid principal in policy` messages.
    #[must_use]
    pub fn message_name(self) -> &'static str {
        match self {
            PrincipalKey::Aws => "AWS",
            PrincipalKey::Service => "SERVICE",
            PrincipalKey::Federated => "FEDERATED",
            PrincipalKey::CanonicalUser => "CANONICAL_USER",
        }
    }
}

/// One named principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalEntry {
    /// The map key it was listed under.
    pub key: PrincipalKey,
    /// The value as written.
    pub value: String,
}

/// The contents of a `Principal` or `NotPrincipal` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalBlock {
    /// `"*"`
    Any,
    /// `{"AWS": …, "Service": …}` flattened, in key order.
    Listed(Vec<PrincipalEntry>),
}

/// How a statement's principal element named the caller; decides what else must allow the
/// request (see `evaluate.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PrincipalMatch {
    /// Through the caller's account (account id or `:root` ARN).
    Account,
    /// Through the identity a session came from (role ARN, or the user who federated).
    Parent,
    /// The caller itself, `*`, or everyone-but-listed (`NotPrincipal`).
    Direct,
}

impl PrincipalBlock {
    /// Reads the element's JSON. A shape error (`Syntax errors in policy.`) is the outer `Err`;
    /// an entry AWS refuses as a principal (`Invalid principal in policy: "KEY":"value"`) is the
    /// inner one, because AWS reports it only after the syntax and version checks.
    pub(crate) fn from_json(value: &serde_json::Value) -> Result<Result<PrincipalBlock, PolicyError>, PolicyError> {
        use serde_json::Value;
        let map = match value {
            Value::String(s) if s == "*" => return Ok(Ok(PrincipalBlock::Any)),
            Value::Object(map) => map,
            _ => return Err(malformed(msg::SYNTAX)),
        };
        let mut entries = Vec::new();
        for (k, v) in map {
            let key = PrincipalKey::parse(k).ok_or_else(|| malformed(msg::SYNTAX))?;
            let values: Vec<&str> = match v {
                Value::String(s) => vec![s.as_str()],
                Value::Array(items) => {
                    items.iter().map(|i| i.as_str().ok_or_else(|| malformed(msg::SYNTAX))).collect::<Result<_, _>>()?
                }
                _ => return Err(malformed(msg::SYNTAX)),
            };
            for value in values {
                entries.push(PrincipalEntry { key, value: value.to_owned() });
            }
        }
        if entries.is_empty() {
            return Ok(Err(malformed(msg::NO_PRINCIPALS)));
        }
        if let Some(bad) = entries.iter().find(|e| !entry_is_valid(e.key, &e.value)) {
            return Ok(Err(PolicyError::invalid_principal(bad.key.message_name(), &bad.value)));
        }
        Ok(Ok(PrincipalBlock::Listed(entries)))
    }

    /// How this element names `caller` when used as `Principal`; `None` if it does not.
    pub(crate) fn matches(&self, caller: &PrincipalRef) -> Option<PrincipalMatch> {
        match self {
            PrincipalBlock::Any => Some(PrincipalMatch::Direct),
            PrincipalBlock::Listed(entries) => entries.iter().filter_map(|e| entry_matches(e, caller)).max(),
        }
    }

    /// Whether a statement with this element as `NotPrincipal` applies to `caller`: some identity
    /// of the caller is not listed.
    pub(crate) fn not_principal_applies(&self, caller: &PrincipalRef) -> bool {
        let PrincipalBlock::Listed(entries) = self else {
            return false;
        };
        identities(caller)
            .iter()
            .any(|identity| !entries.iter().any(|e| entry_matches(e, &identity.as_caller(caller)).is_some()))
    }
}

/// The forms AWS accepts: `*`, an account id, or an IAM/STS ARN without wildcards for `AWS`;
/// a non-empty name without whitespace for the other keys.
fn entry_is_valid(key: PrincipalKey, value: &str) -> bool {
    match key {
        PrincipalKey::Aws => {
            value == "*"
                || is_account_id(value)
                || (value.starts_with("arn:")
                    && !value.contains(['*', '?'])
                    && super::arn::split_arn(value).is_some_and(|p| {
                        p.get(2).is_some_and(|s| *s == "iam" || *s == "sts")
                            && p.get(4).is_some_and(|a| is_account_id(a))
                    }))
        }
        PrincipalKey::Service | PrincipalKey::Federated | PrincipalKey::CanonicalUser => {
            !value.is_empty() && !value.contains(char::is_whitespace)
        }
    }
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The account a root-or-account-id principal value names.
fn account_named(value: &str) -> Option<&str> {
    if is_account_id(value) {
        return Some(value);
    }
    let parts = super::arn::split_arn(value)?;
    let is_root = parts.get(2) == Some(&"iam") && parts.get(5) == Some(&"root");
    is_root.then(|| parts.get(4).copied()).flatten()
}

fn entry_matches(entry: &PrincipalEntry, caller: &PrincipalRef) -> Option<PrincipalMatch> {
    let value = entry.value.as_str();
    match entry.key {
        PrincipalKey::Aws => {
            if !is_aws_caller(caller.kind) {
                return None;
            }
            if value == "*" || value == caller.arn {
                return Some(PrincipalMatch::Direct);
            }
            if caller.parent_arn.as_deref() == Some(value) {
                return Some(PrincipalMatch::Parent);
            }
            match account_named(value) {
                Some(account) if account == caller.account && !caller.account.is_empty() => {
                    // The root user *is* its account.
                    Some(if caller.kind == PrincipalType::Root {
                        PrincipalMatch::Direct
                    } else {
                        PrincipalMatch::Account
                    })
                }
                _ => None,
            }
        }
        PrincipalKey::Service => (caller.kind == PrincipalType::Service
            && (value == "*" || value.eq_ignore_ascii_case(&caller.arn)))
        .then_some(PrincipalMatch::Direct),
        PrincipalKey::Federated => (caller.kind == PrincipalType::Federated && (value == "*" || value == caller.arn))
            .then_some(PrincipalMatch::Direct),
        PrincipalKey::CanonicalUser => (caller.kind == PrincipalType::CanonicalUser
            && (value == "*" || value == caller.arn))
            .then_some(PrincipalMatch::Direct),
    }
}

fn is_aws_caller(kind: PrincipalType) -> bool {
    matches!(
        kind,
        PrincipalType::Root | PrincipalType::User | PrincipalType::AssumedRole | PrincipalType::FederatedUser
    )
}

/// One of the identities a caller is, for `NotPrincipal`.
enum Identity<'a> {
    Own,
    Parent(&'a str),
    Account,
}

impl Identity<'_> {
    /// The caller seen as only this identity.
    fn as_caller(&self, caller: &PrincipalRef) -> PrincipalRef {
        match self {
            // Only the caller's own ARN (or, for the root user, its account) names this identity.
            Identity::Own => PrincipalRef {
                parent_arn: None,
                account: if caller.kind == PrincipalType::Root { caller.account.clone() } else { String::new() },
                ..caller.clone()
            },
            Identity::Parent(arn) => {
                PrincipalRef { arn: (*arn).to_owned(), account: String::new(), kind: caller.kind, parent_arn: None }
            }
            Identity::Account => PrincipalRef {
                arn: format!("arn:aws:iam::{}:root", caller.account),
                account: caller.account.clone(),
                kind: PrincipalType::Root,
                parent_arn: None,
            },
        }
    }
}

fn identities(caller: &PrincipalRef) -> Vec<Identity<'_>> {
    let mut out = vec![Identity::Own];
    if let Some(parent) = caller.parent_arn.as_deref() {
        out.push(Identity::Parent(parent));
    }
    if is_aws_caller(caller.kind) && caller.kind != PrincipalType::Root && !caller.account.is_empty() {
        out.push(Identity::Account);
    }
    out
}
