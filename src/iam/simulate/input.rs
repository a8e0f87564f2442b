//! Reading the simulation requests: the members SimulatePrincipalPolicy and SimulateCustomPolicy
//! share, the policy documents they carry, context entries converted to the engine's values, and
//! the ARNs (policy source, caller, resource owner) they name.

use std::net::IpAddr;

use base64::Engine as _;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::super::pagination::PageRequest;
use super::super::policy_docs;
use crate::arn::Arn;
use crate::authz::LoadedPolicy;
use crate::error::AwsError;
use crate::policy::{ContextValue, PolicyDocument, PolicyKind};
use crate::protocol::Fields;
use crate::protocol::rules::{POLICY_DOCUMENT, StrRule};
use crate::store::EntityKind;

/// Lists the service model leaves unbounded.
const UNBOUNDED: usize = usize::MAX;

const ACTION_NAME: StrRule = StrRule { min: 3, max: 128, pattern: "", matches: |_| true };
const RESOURCE_NAME: StrRule = StrRule { min: 1, max: 2048, pattern: "", matches: |_| true };
const CONTEXT_KEY_NAME: StrRule = StrRule { min: 5, max: 256, pattern: "", matches: |_| true };
const CONTEXT_KEY_VALUE: StrRule = StrRule { min: 0, max: usize::MAX, pattern: "", matches: |_| true };
const RESOURCE_HANDLING_OPTION: StrRule = StrRule { min: 1, max: 64, pattern: "", matches: |_| true };

/// `ContextKeyTypeEnum` in the service model.
const CONTEXT_KEY_TYPES: &[&str] = &[
    "string",
    "stringList",
    "numeric",
    "numericList",
    "boolean",
    "booleanList",
    "ip",
    "ipList",
    "binary",
    "binaryList",
    "date",
    "dateList",
];

/// How Simulate* labels the documents it was given (`MatchedStatements.SourcePolicyId` /
/// `SourcePolicyType`), as AWS answers: `PolicyInputList.1`, `IAM Policy`; `ResourcePolicy`,
/// `Resource Policy`.
const INPUT_POLICY_TYPE: &str = "IAM Policy";
pub(super) const RESOURCE_POLICY_ID: &str = "ResourcePolicy";
pub(super) const RESOURCE_POLICY_TYPE: &str = "Resource Policy";

/// An IAM user, group or role named by ARN: `arn:PARTITION:iam::ACCOUNT:user/PATH/NAME`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityArn {
    pub kind: EntityKind,
    pub account: String,
    pub path: String,
    pub name: String,
}

impl EntityArn {
    /// Takes an identity ARN apart; `None` for anything that is not a user, group or role ARN.
    #[must_use]
    pub fn parse(arn: &str) -> Option<Self> {
        let parsed = Arn::parse(arn).filter(|a| a.service == "iam" && a.region.is_empty())?;
        if parsed.partition.is_empty() || parsed.account.is_empty() {
            return None;
        }
        let (word, path, name) = parsed.iam_typed()?;
        let kind = match word {
            "user" => EntityKind::User,
            "group" => EntityKind::Group,
            "role" => EntityKind::Role,
            _ => return None,
        };
        if name.is_empty() || path.contains("//") {
            return None;
        }
        let account = parsed.account;
        Some(Self { kind, account: account.to_owned(), path, name: name.to_owned() })
    }

    /// Parses a `PolicySourceArn`.
    ///
    /// # Errors
    /// `InvalidInput`, worded as IAM words it, for an ARN that names no user, group or role.
    pub fn source(arn: &str) -> Result<Self, AwsError> {
        Self::parse(arn).ok_or_else(|| invalid_entity(arn))
    }
}

/// IAM's answer for an ARN that does not name an identity (an assumed-role ARN, a policy ARN…).
fn invalid_entity(arn: &str) -> AwsError {
    AwsError::InvalidInput(format!("Invalid Entity Arn: {arn} does not clearly define entity type and name."))
}

/// Reads `PolicyInputList`; `None` when absent.
pub(super) fn read_policy_inputs(f: &mut Fields<'_>, member: &str) -> Option<Vec<String>> {
    f.str_list(member, &POLICY_DOCUMENT, UNBOUNDED)
}

/// Validates the documents of `PolicyInputList` (or the boundary list) as identity policies and
/// labels them `Member.N`.
///
/// # Errors
/// `MalformedPolicyDocument` with the engine's message.
pub(super) fn parse_inputs(member: &str, documents: &[String]) -> Result<Vec<LoadedPolicy>, AwsError> {
    documents
        .iter()
        .enumerate()
        .map(|(i, text)| {
            Ok(LoadedPolicy {
                source_id: format!("{member}.{}", i + 1),
                source_type: INPUT_POLICY_TYPE.to_owned(),
                document: policy_docs::parse_identity(text, false)?.into(),
            })
        })
        .collect()
}

/// One `ContextEntries` member as sent.
struct RawEntry {
    name: Option<String>,
    values: Vec<String>,
    kind: Option<String>,
}

/// A context key and its values, ready for the engine.
pub struct ContextEntry {
    pub name: String,
    pub values: Vec<ContextValue>,
}

impl RawEntry {
    fn convert(self) -> Result<ContextEntry, AwsError> {
        let name = self
            .name
            .filter(|n| !n.is_empty())
            .ok_or_else(|| AwsError::InvalidInput("ContextKeyName cannot be null or empty.".into()))?;
        // Without a type the values are taken as text, which every operator can read.
        let kind = self.kind.as_deref().unwrap_or("stringList");
        let scalar = kind.strip_suffix("List").unwrap_or(kind);
        let values = self
            .values
            .iter()
            .map(|v| {
                context_value(scalar, v).ok_or_else(|| {
                    AwsError::InvalidInput(format!("Invalid value {v} for context key {name} of type {kind}."))
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(ContextEntry { name, values })
    }
}

/// Converts one `ContextKeyValues` member to the engine's value of `kind` (the scalar type).
fn context_value(kind: &str, text: &str) -> Option<ContextValue> {
    match kind {
        "numeric" => text.trim().parse::<f64>().ok().filter(|n| n.is_finite()).map(ContextValue::Number),
        "boolean" => match text.trim().to_ascii_lowercase().as_str() {
            "true" => Some(ContextValue::Bool(true)),
            "false" => Some(ContextValue::Bool(false)),
            _ => None,
        },
        "ip" => text.trim().parse::<IpAddr>().ok().map(ContextValue::Ip),
        "binary" => base64::engine::general_purpose::STANDARD.decode(text.trim()).ok().map(ContextValue::Binary),
        "date" => date_value(text.trim()),
        _ => Some(ContextValue::String(text.to_owned())),
    }
}

/// A date: RFC 3339 or epoch seconds become a date; the other ISO 8601 forms policies accept
/// (`2024-01-01`, `2024-01-01T10:00Z`) stay text, which the engine's date operators parse.
fn date_value(text: &str) -> Option<ContextValue> {
    if let Ok(d) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some(ContextValue::Date(d));
    }
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        let secs = text.parse::<i64>().ok()?;
        return OffsetDateTime::from_unix_timestamp(secs).ok().map(ContextValue::Date);
    }
    let iso = text.starts_with(|c: char| c.is_ascii_digit() || c == '-') && text.contains(['-', 'T', 't']);
    iso.then(|| ContextValue::String(text.to_owned()))
}

/// The members both simulation actions take, besides the policies to simulate.
pub struct SimulationRequest {
    pub boundary_inputs: Option<Vec<String>>,
    pub actions: Vec<String>,
    pub resources: Option<Vec<String>>,
    pub resource_policy: Option<String>,
    pub resource_owner: Option<String>,
    pub caller_arn: Option<String>,
    raw_context: Vec<RawEntry>,
    pub page: PageRequest,
}

impl SimulationRequest {
    /// Reads the shared members; failures gather in `f`.
    pub fn read(f: &mut Fields<'_>) -> Self {
        let boundary_inputs = read_policy_inputs(f, "PermissionsBoundaryPolicyInputList");
        let actions = f.str_list("ActionNames", &ACTION_NAME, UNBOUNDED).unwrap_or_else(|| {
            f.null("ActionNames");
            Vec::new()
        });
        let resources = f.str_list("ResourceArns", &RESOURCE_NAME, UNBOUNDED);
        let resource_policy = f.opt_str("ResourcePolicy", &POLICY_DOCUMENT);
        let resource_owner = f.opt_str("ResourceOwner", &RESOURCE_NAME);
        let caller_arn = f.opt_str("CallerArn", &RESOURCE_NAME);
        let raw_context = f
            .struct_list("ContextEntries", UNBOUNDED, |f| RawEntry {
                name: f.opt_str("ContextKeyName", &CONTEXT_KEY_NAME),
                values: f.str_list("ContextKeyValues", &CONTEXT_KEY_VALUE, UNBOUNDED).unwrap_or_default(),
                kind: f.opt_enum("ContextKeyType", CONTEXT_KEY_TYPES),
            })
            .unwrap_or_default();
        // Accepted and ignored: every resource is simulated on its own.
        let _ = f.opt_str("ResourceHandlingOption", &RESOURCE_HANDLING_OPTION);
        let page = PageRequest::read(f);
        Self { boundary_inputs, actions, resources, resource_policy, resource_owner, caller_arn, raw_context, page }
    }

    /// Checks what the service model cannot: the documents, context values and ARNs.
    ///
    /// # Errors
    /// `MalformedPolicyDocument`, `InvalidInput`.
    pub fn validate(self) -> Result<Simulation, AwsError> {
        let boundary = match self.boundary_inputs.as_deref().unwrap_or_default() {
            [] => None,
            [one] => parse_inputs("PermissionsBoundaryPolicyInputList", std::slice::from_ref(one))?.pop(),
            _ => {
                return Err(AwsError::InvalidInput(
                    "Only one permissions boundary policy can be simulated at a time.".into(),
                ));
            }
        };
        let resource_policy = self
            .resource_policy
            .as_deref()
            .map(|text| -> Result<LoadedPolicy, AwsError> {
                Ok(LoadedPolicy {
                    source_id: RESOURCE_POLICY_ID.to_owned(),
                    source_type: RESOURCE_POLICY_TYPE.to_owned(),
                    document: PolicyDocument::parse(text, PolicyKind::ResourceScoped)?.into(),
                })
            })
            .transpose()?;
        let caller = self
            .caller_arn
            .as_deref()
            .map(|arn| match EntityArn::parse(arn) {
                Some(e) if e.kind == EntityKind::User => Ok(e),
                _ => Err(invalid_entity(arn)),
            })
            .transpose()?;
        let resource_owner = self.resource_owner.as_deref().map(owner_account).transpose()?;
        if resource_policy.is_some() && self.resources.as_deref().is_none_or(|r| r.iter().any(|r| r == "*")) {
            return Err(invalid_entity("*"));
        }
        let context = self.raw_context.into_iter().map(RawEntry::convert).collect::<Result<_, _>>()?;
        Ok(Simulation {
            boundary,
            actions: self.actions,
            resources: self.resources,
            resource_policy,
            resource_owner,
            caller,
            context,
            page: self.page,
        })
    }
}

/// The account of a `ResourceOwner` (`arn:aws:iam::ACCOUNT:root`).
fn owner_account(owner: &str) -> Result<String, AwsError> {
    let parts: Vec<&str> = owner.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", partition, "iam", "", account, rest]
            if !partition.is_empty()
                && !account.is_empty()
                && account.bytes().all(|b| b.is_ascii_digit())
                && !rest.is_empty() =>
        {
            Ok((*account).to_owned())
        }
        _ => Err(AwsError::InvalidInput(format!("'{owner}' is not a valid as a Resource Owner."))),
    }
}

/// A validated simulation request, less the policies of the principal.
pub struct Simulation {
    /// `PermissionsBoundaryPolicyInputList`: replaces the principal's boundary.
    pub boundary: Option<LoadedPolicy>,
    pub actions: Vec<String>,
    /// `None`: the one resource `*`, and no per-resource results.
    pub resources: Option<Vec<String>>,
    pub resource_policy: Option<LoadedPolicy>,
    /// The account of `ResourceOwner`.
    pub resource_owner: Option<String>,
    /// `CallerArn`: always an IAM user.
    pub caller: Option<EntityArn>,
    pub context: Vec<ContextEntry>,
    pub page: PageRequest,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_arns_are_taken_apart() {
        let u = EntityArn::parse("arn:aws:iam::123456789012:user/team/a/bob").unwrap();
        assert_eq!((u.kind, u.path.as_str(), u.name.as_str()), (EntityKind::User, "/team/a/", "bob"));
        let g = EntityArn::parse("arn:aws:iam::123456789012:group/devs").unwrap();
        assert_eq!((g.kind, g.path.as_str(), g.name.as_str()), (EntityKind::Group, "/", "devs"));
        for bad in [
            "arn:aws:sts::123456789012:assumed-role/r/s",
            "arn:aws:iam::123456789012:policy/p",
            "arn:aws:iam::123456789012:user/",
            "arn:aws:iam::123456789012:root",
            "arn:aws:iam:us-east-1:123456789012:user/bob",
            "not an arn at all, really",
        ] {
            assert!(EntityArn::parse(bad).is_none(), "{bad}");
        }
        assert_eq!(EntityArn::source("arn:aws:iam::1:policy/p").unwrap_err().code(), "InvalidInput");
    }

    #[test]
    fn context_values_take_their_declared_type() {
        assert_eq!(context_value("numeric", "42"), Some(ContextValue::Number(42.0)));
        assert_eq!(context_value("numeric", "NaN"), None);
        assert_eq!(context_value("boolean", "TRUE"), Some(ContextValue::Bool(true)));
        assert_eq!(context_value("boolean", "yes"), None);
        assert_eq!(context_value("ip", "10.0.0.1"), Some(ContextValue::Ip("10.0.0.1".parse().unwrap())));
        assert_eq!(context_value("ip", "10.0.0.0/8"), None);
        assert_eq!(context_value("binary", "AAE="), Some(ContextValue::Binary(vec![0, 1])));
        assert_eq!(context_value("binary", "!!"), None);
        assert!(matches!(context_value("date", "2019-04-25T11:00:00Z"), Some(ContextValue::Date(_))));
        assert!(matches!(context_value("date", "1556190000"), Some(ContextValue::Date(_))));
        assert_eq!(context_value("date", "2019-04-25"), Some(ContextValue::String("2019-04-25".into())));
        assert_eq!(context_value("date", "yesterday"), None);
        assert_eq!(context_value("string", " a b "), Some(ContextValue::String(" a b ".into())));
    }

    #[test]
    fn resource_owners_are_account_arns() {
        assert_eq!(owner_account("arn:aws:iam::112233445566:root").unwrap(), "112233445566");
        assert_eq!(
            owner_account("112233445566").unwrap_err().message(),
            "'112233445566' is not a valid as a Resource Owner."
        );
    }
}
