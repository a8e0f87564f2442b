//! Parsing and validating a policy document.
//!
//! Checks run in the order AWS runs them, so a document with several faults earns the message AWS
//! would give (order from moto's AWS-verified validator): JSON → syntax (shape, known elements) →
//! version → principal rules for the policy kind → legacy parsing (exact `Effect`, dates, old ARN
//! rules) → unique `Sid`s → actions present → resources present (or, in trust policies, absent) →
//! resource formats → action vendors.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::condition::{Condition, ConditionOperator, OperatorFamily};
use super::context::{PrincipalRef, RequestContext};
use super::date::parse_date;
use super::error::{PolicyError, malformed, msg};
use super::glob::Pattern;
use super::positions::{Span, statement_spans};
use super::principal::{PrincipalBlock, PrincipalMatch};
use super::resource_format::{format_error, passes_legacy};
use super::variables::Template;

/// Which rules a document follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    /// Identity-based: managed and inline policies, permissions boundaries, session policies.
    /// `Principal` is forbidden; every statement needs `Resource` or `NotResource`.
    Identity,
    /// A role trust policy (the resource-based policy of `sts:AssumeRole*`): `Principal` (or
    /// `NotPrincipal`) is required and `Resource` / `NotResource` are forbidden.
    Resource,
    /// A resource-based policy that names resources, such as an S3 bucket policy: `Principal` and
    /// `Resource` are both required.
    ResourceScoped,
}

/// The `Version` element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyVersion {
    /// `2012-10-17`: the current language, with policy variables.
    V2012_10_17,
    /// `2008-10-17`: the old language; `${…}` is literal text.
    V2008_10_17,
    /// No `Version` element: treated as the old language.
    Unspecified,
}

/// How strictly to parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseOptions {
    /// The policy kind.
    pub kind: PolicyKind,
    /// Refuse documents that are not `"Version": "2012-10-17"` with
    /// `Policy document must be version 2012-10-17 or greater.` AWS does this for managed
    /// policies (`CreatePolicy`, `CreatePolicyVersion`); it is the default for identity policies.
    pub require_current_version: bool,
    /// A document AWS wrote (its managed policies): AWS's resource-format and action-name
    /// checks are for what customers submit, and some of AWS's own documents do not pass them.
    pub written_by_aws: bool,
}

impl ParseOptions {
    /// The defaults for `kind`: current version required for identity policies only.
    #[must_use]
    pub fn new(kind: PolicyKind) -> ParseOptions {
        ParseOptions { kind, require_current_version: kind == PolicyKind::Identity, written_by_aws: false }
    }
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// `"Effect": "Allow"`
    Allow,
    /// `"Effect": "Deny"`
    Deny,
}

/// A parsed, valid policy document. Keeps the text as submitted, since AWS returns documents
/// exactly as they were sent.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyDocument {
    text: String,
    kind: PolicyKind,
    version: PolicyVersion,
    id: Option<String>,
    statements: Vec<Statement>,
}

/// One statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    sid: Option<String>,
    effect: Effect,
    principal: Option<(PrincipalBlock, bool)>,
    actions: Vec<String>,
    action_patterns: Vec<Pattern>,
    not_action: bool,
    resources: Option<(Vec<String>, Vec<Template>, bool)>,
    conditions: Vec<Condition>,
    span: Span,
}

/// Whether a statement's principal element names the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PrincipalOutcome {
    /// The statement has no principal element (identity policies).
    Unspecified,
    /// It names the caller, in this way.
    Named(PrincipalMatch),
    /// It does not apply to this caller.
    NotNamed,
}

impl PolicyDocument {
    /// Parses and validates `json` with the default options for `kind`.
    ///
    /// # Errors
    /// `PolicyError::MalformedPolicyDocument` with AWS's message for the first fault found.
    pub fn parse(json: &str, kind: PolicyKind) -> Result<PolicyDocument, PolicyError> {
        PolicyDocument::parse_with(json, ParseOptions::new(kind))
    }

    /// Parses and validates `json` with explicit options.
    ///
    /// # Errors
    /// `PolicyError::MalformedPolicyDocument` with AWS's message for the first fault found.
    pub fn parse_with(json: &str, options: ParseOptions) -> Result<PolicyDocument, PolicyError> {
        let value: Value = serde_json::from_str(json).map_err(|_| malformed(msg::INVALID_JSON))?;
        let raw = RawDocument::from_json(&value)?;
        raw.validate(options)?;
        let variables = raw.version == PolicyVersion::V2012_10_17;
        let spans = statement_spans(json);
        let statements = raw
            .statements
            .into_iter()
            .enumerate()
            .map(|(i, s)| s.build(variables, spans.get(i).copied().unwrap_or_default()))
            .collect();
        Ok(PolicyDocument { text: json.to_owned(), kind: options.kind, version: raw.version, id: raw.id, statements })
    }

    /// The document exactly as submitted.
    #[must_use]
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The kind it was parsed as.
    #[must_use]
    pub fn kind(&self) -> PolicyKind {
        self.kind
    }

    /// The `Version` element.
    #[must_use]
    pub fn version(&self) -> PolicyVersion {
        self.version
    }

    /// The `Id` element.
    #[must_use]
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The statements, in document order.
    #[must_use]
    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }
}

impl Statement {
    /// The `Sid`, if any.
    #[must_use]
    pub fn sid(&self) -> Option<&str> {
        self.sid.as_deref()
    }

    /// The effect.
    #[must_use]
    pub fn effect(&self) -> Effect {
        self.effect
    }

    /// The `Principal` or `NotPrincipal` element, and whether it is `NotPrincipal`.
    #[must_use]
    pub fn principal(&self) -> Option<(&PrincipalBlock, bool)> {
        self.principal.as_ref().map(|(b, not)| (b, *not))
    }

    /// The `Action` or `NotAction` entries as written, and whether they are `NotAction`.
    #[must_use]
    pub fn actions(&self) -> (&[String], bool) {
        (&self.actions, self.not_action)
    }

    /// The `Resource` or `NotResource` entries as written, and whether they are `NotResource`;
    /// `None` in trust policies.
    #[must_use]
    pub fn resources(&self) -> Option<(&[String], bool)> {
        self.resources.as_ref().map(|(r, _, not)| (r.as_slice(), *not))
    }

    /// The condition entries.
    #[must_use]
    pub fn conditions(&self) -> &[Condition] {
        &self.conditions
    }

    /// Where the statement sits in the submitted text.
    #[must_use]
    pub fn span(&self) -> Span {
        self.span
    }

    /// Keys of the variables in `Resource` / `NotResource`.
    pub(crate) fn resource_variable_keys(&self) -> impl Iterator<Item = &str> {
        self.resources.iter().flat_map(|(_, templates, _)| templates.iter().flat_map(Template::variable_keys))
    }

    /// Action names are case-insensitive ("Action names are not case sensitive"), wildcards allowed.
    pub(crate) fn action_applies(&self, action: &str) -> bool {
        let any = self.action_patterns.iter().any(|p| p.matches_ignore_case(action));
        any != self.not_action
    }

    /// Resources are matched case-sensitively, ARN segment by segment (see `arn.rs`), after substituting
    /// variables. An entry whose variable cannot be resolved matches nothing; in `NotResource` it
    /// makes the element fail (the statement does not apply).
    pub(crate) fn resource_applies(&self, context: &RequestContext, missing: &mut Vec<String>) -> bool {
        let Some((_, templates, not_resource)) = &self.resources else {
            return true;
        };
        let mut any = false;
        for t in templates {
            match t.resolve_pattern(context, true, missing) {
                Some(p) => any |= super::arn::resource_matches(&p, &context.resource),
                None if *not_resource => return false,
                None => {}
            }
        }
        any != *not_resource
    }

    pub(crate) fn principal_outcome(&self, caller: Option<&PrincipalRef>) -> PrincipalOutcome {
        let Some((block, not_principal)) = &self.principal else {
            return PrincipalOutcome::Unspecified;
        };
        let anonymous = PrincipalRef::new(super::context::PrincipalType::Anonymous, "", "");
        let caller = caller.unwrap_or(&anonymous);
        if *not_principal {
            if block.not_principal_applies(caller) {
                PrincipalOutcome::Named(PrincipalMatch::Direct)
            } else {
                PrincipalOutcome::NotNamed
            }
        } else {
            block.matches(caller).map_or(PrincipalOutcome::NotNamed, PrincipalOutcome::Named)
        }
    }

    /// All condition entries hold. Every entry is evaluated (no short cut) so that every missing
    /// key is reported.
    pub(crate) fn conditions_hold(&self, context: &RequestContext, missing: &mut Vec<String>) -> bool {
        let mut all = true;
        for c in &self.conditions {
            all &= c.evaluate(context, missing);
        }
        all
    }
}

// ---- the validation pipeline --------------------------------------------------------------

const TOP_LEVEL: &[&str] = &["Version", "Id", "Statement"];
const STATEMENT_ELEMENTS: &[&str] =
    &["Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"];

struct RawDocument {
    version: PolicyVersion,
    id: Option<String>,
    statements: Vec<RawStatement>,
}

struct RawStatement {
    sid: Option<String>,
    effect: String,
    /// The element, whether it is `NotPrincipal`, and the error its entries earned (reported
    /// after the syntax and version checks, as AWS orders them).
    principal: Option<(Result<PrincipalBlock, PolicyError>, bool)>,
    actions: Option<(Vec<String>, bool)>,
    resources: Option<(Vec<String>, bool)>,
    conditions: Vec<(ConditionOperator, String, Vec<String>)>,
}

fn syntax() -> PolicyError {
    malformed(msg::SYNTAX)
}

impl RawDocument {
    fn from_json(value: &Value) -> Result<RawDocument, PolicyError> {
        let top = value.as_object().ok_or_else(syntax)?;
        if top.keys().any(|k| !TOP_LEVEL.contains(&k.as_str())) {
            return Err(syntax());
        }
        let version = match top.get("Version") {
            None => PolicyVersion::Unspecified,
            Some(Value::String(v)) if v == "2012-10-17" => PolicyVersion::V2012_10_17,
            Some(Value::String(v)) if v == "2008-10-17" => PolicyVersion::V2008_10_17,
            Some(_) => return Err(syntax()),
        };
        let id = match top.get("Id") {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(syntax()),
        };
        let statements: Vec<&Value> = match top.get("Statement") {
            Some(Value::Object(_)) => top.get("Statement").into_iter().collect(),
            Some(Value::Array(items)) if !items.is_empty() => items.iter().collect(),
            _ => return Err(syntax()),
        };
        let statements = statements
            .into_iter()
            .map(|s| s.as_object().ok_or_else(syntax).and_then(RawStatement::from_json))
            .collect::<Result<_, _>>()?;
        Ok(RawDocument { version, id, statements })
    }

    fn validate(&self, options: ParseOptions) -> Result<(), PolicyError> {
        if options.require_current_version && self.version != PolicyVersion::V2012_10_17 {
            return Err(malformed(msg::VERSION));
        }
        self.check_principals(options.kind)?;
        self.check_legacy()?;
        let resource_error = if options.written_by_aws { None } else { self.check_resource_formats()? };
        self.check_sids(options.kind)?;
        if self.statements.iter().any(|s| s.actions.as_ref().is_none_or(|(a, _)| a.is_empty())) {
            return Err(malformed(msg::NO_ACTIONS));
        }
        match options.kind {
            PolicyKind::Identity | PolicyKind::ResourceScoped => {
                if self.statements.iter().any(|s| s.resources.as_ref().is_none_or(|(r, _)| r.is_empty())) {
                    return Err(malformed(msg::NO_RESOURCES));
                }
            }
            PolicyKind::Resource => {
                if self.statements.iter().any(|s| s.resources.is_some()) {
                    return Err(malformed(msg::RESOURCE_IN_TRUST));
                }
            }
        }
        if let Some(message) = resource_error {
            return Err(malformed(message));
        }
        if !options.written_by_aws {
            for s in &self.statements {
                for action in s.actions.iter().flat_map(|(a, _)| a) {
                    check_action(action)?;
                }
            }
        }
        Ok(())
    }

    fn check_principals(&self, kind: PolicyKind) -> Result<(), PolicyError> {
        for s in &self.statements {
            match (&s.principal, kind) {
                (Some(_), PolicyKind::Identity) => {
                    return Err(malformed(msg::PRINCIPAL_IN_IDENTITY));
                }
                (None, PolicyKind::Resource | PolicyKind::ResourceScoped) => {
                    return Err(malformed(msg::MISSING_PRINCIPAL));
                }
                (Some((Err(e), _)), _) => return Err(e.clone()),
                _ => {}
            }
        }
        Ok(())
    }

    /// `Effect` must be spelled exactly; `Date…` values must be dates.
    fn check_legacy(&self) -> Result<(), PolicyError> {
        for s in &self.statements {
            if s.effect != "Allow" && s.effect != "Deny" {
                return Err(malformed(msg::LEGACY));
            }
            for (op, _, values) in &s.conditions {
                if op.base.family() == OperatorFamily::Date && values.iter().any(|v| parse_date(v).is_none()) {
                    return Err(malformed(msg::LEGACY));
                }
            }
        }
        Ok(())
    }

    /// Returns the resource-format message to report later (after the `Sid`, action and
    /// resource-presence checks), or fails legacy parsing. AWS examines `Resource` entries, then
    /// `NotResource` entries, statement by statement and each list in reverse lexical order, and
    /// the *last* faulty entry names the message (moto's AWS-verified case: of
    /// `arn:error:s3:::example_bucket` and `arn:error:s3::example_bucket` the former is reported).
    /// The legacy rules are applied only while no format fault has been seen.
    fn check_resource_formats(&self) -> Result<Option<String>, PolicyError> {
        let mut reported: Option<String> = None;
        for negated in [false, true] {
            for s in &self.statements {
                let Some((resources, not)) = &s.resources else {
                    continue;
                };
                if *not != negated {
                    continue;
                }
                let mut sorted: Vec<&String> = resources.iter().collect();
                sorted.sort_unstable_by(|a, b| b.cmp(a));
                for r in sorted {
                    if let Some(message) = format_error(r) {
                        reported = Some(message);
                    }
                }
                if reported.is_none() && !resources.iter().all(|r| passes_legacy(r)) {
                    return Err(malformed(msg::LEGACY));
                }
            }
        }
        Ok(reported)
    }

    fn check_sids(&self, kind: PolicyKind) -> Result<(), PolicyError> {
        let mut seen = HashSet::new();
        for sid in self.statements.iter().filter_map(|s| s.sid.as_deref()) {
            // IAM policies (identity and trust) take alphanumeric Sids only; bucket-style
            // resource policies are looser.
            if kind != PolicyKind::ResourceScoped && !sid.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(malformed(msg::SID_ALPHANUMERIC));
            }
            if !sid.is_empty() && !seen.insert(sid) {
                return Err(malformed(msg::SID_UNIQUE));
            }
        }
        Ok(())
    }
}

/// `service:action`, where the service is letters, digits, `-` and `.`, or `*` alone.
fn check_action(action: &str) -> Result<(), PolicyError> {
    let parts: Vec<&str> = action.split(':').collect();
    match parts.as_slice() {
        ["*"] => Ok(()),
        [_] => Err(malformed(msg::NO_VENDOR)),
        [vendor, _] => {
            let ok = *vendor == "*" || vendor.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
            if ok { Ok(()) } else { Err(malformed(format!("Vendor {vendor} is not valid"))) }
        }
        _ => Err(malformed(msg::ONE_COLON)),
    }
}

impl RawStatement {
    fn from_json(map: &Map<String, Value>) -> Result<RawStatement, PolicyError> {
        if map.keys().any(|k| !STATEMENT_ELEMENTS.contains(&k.as_str())) {
            return Err(syntax());
        }
        let both = |a: &str, b: &str| map.contains_key(a) && map.contains_key(b);
        if both("Action", "NotAction") || both("Resource", "NotResource") || both("Principal", "NotPrincipal") {
            return Err(syntax());
        }
        let effect = match map.get("Effect") {
            Some(Value::String(e)) if e.eq_ignore_ascii_case("allow") || e.eq_ignore_ascii_case("deny") => e.clone(),
            _ => return Err(syntax()),
        };
        let sid = match map.get("Sid") {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(syntax()),
        };
        let actions = pick(map, "Action", "NotAction")?;
        let resources = pick(map, "Resource", "NotResource")?;
        let principal = match (map.get("Principal"), map.get("NotPrincipal")) {
            (Some(p), _) => Some((PrincipalBlock::from_json(p)?, false)),
            (None, Some(p)) => Some((PrincipalBlock::from_json(p)?, true)),
            (None, None) => None,
        };
        let conditions = match map.get("Condition") {
            None => Vec::new(),
            Some(Value::Object(block)) => conditions(block)?,
            Some(_) => return Err(syntax()),
        };
        Ok(RawStatement { sid, effect, principal, actions, resources, conditions })
    }

    fn build(self, variables: bool, span: Span) -> Statement {
        let (actions, not_action) = self.actions.unwrap_or_default();
        let action_patterns = actions.iter().map(|a| Pattern::wildcard(&a.to_lowercase())).collect();
        let resources = self.resources.map(|(r, not)| {
            let templates = r.iter().map(|s| Template::parse(s, variables)).collect();
            (r, templates, not)
        });
        let principal = self.principal.and_then(|(b, not)| b.ok().map(|b| (b, not)));
        let conditions =
            self.conditions.into_iter().map(|(op, key, values)| Condition::new(op, key, values, variables)).collect();
        Statement {
            sid: self.sid,
            effect: if self.effect == "Deny" { Effect::Deny } else { Effect::Allow },
            principal,
            actions,
            action_patterns,
            not_action,
            resources,
            conditions,
            span,
        }
    }
}

/// `Action`/`NotAction` (or the resource pair): a string or an array of strings.
fn pick(map: &Map<String, Value>, name: &str, not_name: &str) -> Result<Option<(Vec<String>, bool)>, PolicyError> {
    let (value, negated) = match (map.get(name), map.get(not_name)) {
        (Some(v), _) => (v, false),
        (None, Some(v)) => (v, true),
        (None, None) => return Ok(None),
    };
    let list = match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => {
            items.iter().map(|i| i.as_str().map(str::to_owned).ok_or_else(syntax)).collect::<Result<_, _>>()?
        }
        _ => return Err(syntax()),
    };
    Ok(Some((list, negated)))
}

/// `{"Operator": {"key": value-or-values}}`. An unknown operator is accepted only with an empty
/// body (AWS accepts `{"x": {}}` but not `{"x": {"a": "1"}}`).
fn conditions(block: &Map<String, Value>) -> Result<Vec<(ConditionOperator, String, Vec<String>)>, PolicyError> {
    let mut out = Vec::new();
    for (name, body) in block {
        let body = body.as_object().ok_or_else(syntax)?;
        let mut entries = Vec::new();
        for (key, value) in body {
            let values = match value {
                Value::Array(items) => items.iter().map(scalar_text).collect::<Option<Vec<_>>>().ok_or_else(syntax)?,
                other => vec![scalar_text(other).ok_or_else(syntax)?],
            };
            entries.push((key.clone(), values));
        }
        match ConditionOperator::parse(name) {
            Some(op) => out.extend(entries.into_iter().map(|(k, v)| (op, k, v))),
            None if entries.is_empty() => {}
            None => return Err(syntax()),
        }
    }
    Ok(out)
}

/// Condition values may be JSON strings, numbers or booleans; they are compared as text.
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}
