//! Helpers shared by the test tables.

use crate::policy::{
    ContextValue, Decision, EvaluationInput, PolicyDocument, PolicyKind, PolicyRef, PrincipalRef, PrincipalType,
    RequestContext, evaluate,
};

pub(super) const ACCOUNT: &str = "111122223333";
pub(super) const OTHER_ACCOUNT: &str = "444455556666";

/// Parses a document that must be valid.
pub(super) fn doc(json: &str, kind: PolicyKind) -> PolicyDocument {
    match PolicyDocument::parse(json, kind) {
        Ok(d) => d,
        Err(e) => panic!("test policy refused: {e}\n{json}"),
    }
}

/// An identity policy with one statement built from its inner JSON.
pub(super) fn identity(statement_body: &str) -> PolicyDocument {
    doc(&format!(r#"{{"Version":"2012-10-17","Statement":{{{statement_body}}}}}"#), PolicyKind::Identity)
}

pub(super) fn s(v: &str) -> ContextValue {
    ContextValue::String(v.to_owned())
}

pub(super) fn user(name: &str) -> PrincipalRef {
    PrincipalRef::new(PrincipalType::User, format!("arn:aws:iam::{ACCOUNT}:user/{name}"), ACCOUNT)
}

pub(super) fn role_session(role: &str, session: &str) -> PrincipalRef {
    PrincipalRef::session(
        PrincipalType::AssumedRole,
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}"),
        ACCOUNT,
        format!("arn:aws:iam::{ACCOUNT}:role/{role}"),
    )
}

/// A context for `alice` with `aws:username` set, plus `extra` keys.
pub(super) fn ctx(action: &str, resource: &str, extra: &[(&str, Vec<ContextValue>)]) -> RequestContext {
    let mut b = RequestContext::builder(action, resource).principal(user("alice")).value("aws:username", "alice");
    for (k, v) in extra {
        b = b.values(k, v.clone());
    }
    b.build()
}

/// Decision of identity policies alone.
pub(super) fn decide(policies: &[&PolicyDocument], context: &RequestContext) -> Decision {
    let mut input = EvaluationInput::new(context);
    input.identity_policies =
        policies.iter().map(|d| PolicyRef { source_id: "p", source_type: "IAM Policy", document: d }).collect();
    evaluate(&input).decision
}
