//! Property tests of the policy engine (issue 19, item 8): any text is a document or a
//! `MalformedPolicyDocument`; generated valid policies parse; evaluation of generated requests
//! never panics, is deterministic and independent of policy order, and keeps AWS's two
//! anchors: an explicit `Deny` of `*` on `*` always denies, and an `Allow` naming exactly the
//! request allows it unless something denies.

use std::net::IpAddr;

use proptest::prelude::*;
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use super::support::{role_session, user};
use crate::fuzzing::run;
use crate::policy::{
    ContextValue, Decision, Effect, Evaluation, EvaluationInput, PolicyDocument, PolicyKind, PolicyRef, RequestContext,
    evaluate,
};

const KINDS: [PolicyKind; 3] = [PolicyKind::Identity, PolicyKind::Resource, PolicyKind::ResourceScoped];

const OPERATORS: &[&str] = &[
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
    "ArnEquals",
    "ArnLike",
    "ArnNotEquals",
    "ArnNotLike",
    "Null",
];

const KEYS: &[&str] = &[
    "aws:username",
    "s3:prefix",
    "s3:max-keys",
    "aws:CurrentTime",
    "aws:SecureTransport",
    "aws:SourceIp",
    "aws:TagKeys",
    "aws:SourceArn",
    "aws:PrincipalTag/team",
    "AWS:USERNAME",
    "k",
];

fn operator_name() -> impl Strategy<Value = String> {
    (
        prop::sample::select(OPERATORS),
        prop::sample::select(vec!["", "ForAnyValue:", "ForAllValues:", "forallvalues:"]),
        any::<bool>(),
    )
        .prop_map(|(op, set, if_exists)| format!("{set}{op}{}", if if_exists { "IfExists" } else { "" }))
}

/// Words the policy language gives meaning to, and arbitrary text.
fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "2012-10-17", "2008-10-17", "Allow", "Deny", "*", "s3:*", "iam:Get*", "sts:AssumeRole", "s3:Get?bject",
            "arn:aws:s3:::b/*", "arn:aws:s3:::b/${aws:username}/*", "arn:aws:iam::111122223333:root", "111122223333",
            "${aws:username}", "${", "${*}", "10.0.0.0/8", "::1/128", "true", "false", "2030-01-01T00:00:00Z", "1",
            "-1.5e3", "", "AWS", "Service", "Federated", "CanonicalUser", "ec2.amazonaws.com", "arn:aws:*:*:*:*",
        ]).prop_map(str::to_owned),
        1 => any::<String>(),
    ]
}

fn element_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "Version", "Statement", "Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal",
            "NotPrincipal", "Condition", "Id", "AWS", "Service", "Federated",
        ]).prop_map(str::to_owned),
        2 => operator_name(),
        1 => prop::sample::select(KEYS).prop_map(str::to_owned),
        1 => any::<String>(),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        word().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((element_name(), inner), 0..6).prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Text that is a document, nearly one, or nothing like one.
fn policy_text() -> impl Strategy<Value = String> {
    let shaped = (prop::option::of(word()), prop::collection::vec(json_value(), 0..4), any::<bool>()).prop_map(
        |(version, statements, one)| {
            let mut doc = serde_json::Map::new();
            if let Some(v) = version {
                doc.insert("Version".into(), Value::String(v));
            }
            let statement =
                if one { statements.into_iter().next().unwrap_or(Value::Null) } else { Value::Array(statements) };
            doc.insert("Statement".into(), statement);
            Value::Object(doc).to_string()
        },
    );
    let pieces = prop::sample::select(vec![
        "{",
        "}",
        "[",
        "]",
        ":",
        ",",
        "\"",
        "\\",
        "\\u",
        "\\ud800",
        "Statement",
        "Effect",
        "Allow",
        "*",
        "${",
        "0",
        "1e999",
        " ",
    ]);
    prop_oneof![
        3 => shaped,
        1 => json_value().prop_map(|v| v.to_string()),
        1 => prop::collection::vec(pieces, 0..30).prop_map(|v| v.concat()),
        1 => any::<String>(),
    ]
}

fn context_value() -> impl Strategy<Value = ContextValue> {
    prop_oneof![
        word().prop_map(ContextValue::String),
        any::<f64>().prop_map(ContextValue::Number),
        any::<bool>().prop_map(ContextValue::Bool),
        (-62_135_596_800_i64..253_402_300_799)
            .prop_map(|s| ContextValue::Date(OffsetDateTime::UNIX_EPOCH + Duration::seconds(s))),
        any::<IpAddr>().prop_map(ContextValue::Ip),
        prop::collection::vec(any::<u8>(), 0..8).prop_map(ContextValue::Binary),
    ]
}

fn context() -> impl Strategy<Value = RequestContext> {
    let actions = prop::sample::select(vec![
        "iam:GetUser",
        "IAM:getuser",
        "iam:CreateUser",
        "s3:GetObject",
        "s3:PutObject",
        "sts:AssumeRole",
        "ec2:RunInstances",
    ]);
    let resources = prop::sample::select(vec![
        "arn:aws:s3:::b/alice/x",
        "arn:aws:s3:::bucket/key",
        "arn:aws:iam::111122223333:user/alice",
        "arn:aws:iam::111122223333:user/bob",
        "arn:aws:sts::111122223333:assumed-role/r/s",
        "*",
    ]);
    let values =
        prop::collection::vec((prop::sample::select(KEYS), prop::collection::vec(context_value(), 0..3)), 0..5);
    (actions, resources, values, 0u8..3).prop_map(|(action, resource, values, who)| {
        let principal = match who {
            0 => user("alice"),
            1 => user("bob"),
            _ => role_session("r", "s"),
        };
        let mut b = RequestContext::builder(action, resource).principal(principal);
        for (k, v) in values {
            b = b.values(k, v);
        }
        b.build()
    })
}

fn refs(docs: &[PolicyDocument]) -> Vec<PolicyRef<'_>> {
    docs.iter().map(|d| PolicyRef { source_id: "p", source_type: "IAM Policy", document: d }).collect()
}

/// What every evaluation must satisfy, whatever the policies.
fn check_consistent(e: &Evaluation) -> Result<(), TestCaseError> {
    let effects: Vec<Effect> = e.matched_statements.iter().map(|m| m.effect).collect();
    match e.decision {
        Decision::ExplicitDeny => prop_assert!(!effects.is_empty() && effects.iter().all(|x| *x == Effect::Deny)),
        Decision::Allowed => {
            prop_assert!(!effects.is_empty() && effects.iter().all(|x| *x == Effect::Allow));
            prop_assert!(e.denied_by.is_none());
        }
        Decision::ImplicitDeny => prop_assert!(effects.is_empty() && e.denied_by.is_some()),
    }
    let mut seen = std::collections::HashSet::new();
    prop_assert!(
        e.missing_context_values.iter().all(|k| seen.insert(k.to_lowercase())),
        "{:?}",
        e.missing_context_values
    );
    Ok(())
}

#[test]
fn any_text_is_a_document_or_malformed() {
    run("policy parse arbitrary text", 12_000, (policy_text(), context()), |(text, ctx)| {
        for kind in KINDS {
            match PolicyDocument::parse(&text, kind) {
                Ok(doc) => {
                    prop_assert_eq!(doc.text(), text.as_str());
                    prop_assert!(!doc.statements().is_empty());
                    let docs = [doc];
                    let mut input = EvaluationInput::new(&ctx);
                    input.identity_policies = refs(&docs);
                    let first = evaluate(&input);
                    check_consistent(&first)?;
                    prop_assert_eq!(evaluate(&input), first);
                    let keys = crate::policy::context_keys(docs.iter());
                    let mut seen = std::collections::HashSet::new();
                    prop_assert!(keys.iter().all(|k| seen.insert(k.to_lowercase())), "{:?}", keys);
                }
                Err(e) => {
                    prop_assert_eq!(e.code(), "MalformedPolicyDocument", "{}", e);
                    prop_assert!(!e.message().is_empty());
                }
            }
        }
        Ok(())
    });
}

/// One statement of a valid identity policy (every part drawn from what IAM accepts).
fn statement() -> impl Strategy<Value = Value> {
    let action = prop_oneof![
        Just("*".to_owned()),
        (
            prop::sample::select(vec!["iam", "s3", "sts", "ec2"]),
            prop::sample::select(vec![
                "*",
                "Get*",
                "GetUser",
                "getuser",
                "List*",
                "CreateUser",
                "AssumeRole",
                "PutObject",
                "?etObject",
                "*Object"
            ])
        )
            .prop_map(|(s, a)| format!("{s}:{a}")),
    ];
    let resource = prop::sample::select(vec![
        "*",
        "arn:aws:s3:::b/*",
        "arn:aws:s3:::b/${aws:username}/*",
        "arn:aws:s3:::bucket/k?y",
        "arn:aws:iam::111122223333:user/*",
        "arn:aws:iam::111122223333:user/${aws:username}",
        "arn:aws:iam::*:user/alice",
        "arn:aws:sts::111122223333:assumed-role/r/*",
        "arn:aws:s3:::*",
    ]);
    let condition = prop::sample::select(vec![
        json!({"StringEquals": {"aws:username": ["alice", "bob"]}}),
        json!({"StringLike": {"s3:prefix": ["home/${aws:username}/*"]}}),
        json!({"NumericLessThan": {"s3:max-keys": "10"}}),
        json!({"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}),
        json!({"Bool": {"aws:SecureTransport": "true"}}),
        json!({"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "2001:db8::/32"]}}),
        json!({"Null": {"aws:TagKeys": "false"}}),
        json!({"ForAnyValue:StringEquals": {"aws:TagKeys": ["a", "b"]}}),
        json!({"ForAllValues:StringLike": {"aws:TagKeys": "a*"}}),
        json!({"StringNotEqualsIfExists": {"aws:username": "mallory"}}),
        json!({"ArnLike": {"aws:SourceArn": "arn:aws:iam::*:user/*"}}),
    ]);
    (
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec(action, 1..4),
        any::<bool>(),
        prop::collection::vec(resource, 1..3),
        prop::option::weighted(0.4, prop::collection::vec(condition, 1..3)),
    )
        .prop_map(|(allow, not_action, actions, not_resource, resources, conditions)| {
            let mut s = serde_json::Map::new();
            s.insert("Effect".into(), json!(if allow { "Allow" } else { "Deny" }));
            s.insert((if not_action { "NotAction" } else { "Action" }).into(), json!(actions));
            s.insert((if not_resource { "NotResource" } else { "Resource" }).into(), json!(resources));
            if let Some(conditions) = conditions {
                let mut block = serde_json::Map::new();
                for c in conditions {
                    if let Value::Object(m) = c {
                        block.extend(m);
                    }
                }
                s.insert("Condition".into(), Value::Object(block));
            }
            Value::Object(s)
        })
}

fn policy() -> impl Strategy<Value = String> {
    prop::collection::vec(statement(), 1..5)
        .prop_map(|statements| json!({"Version": "2012-10-17", "Statement": statements}).to_string())
}

fn parse_valid(text: &str) -> Result<PolicyDocument, TestCaseError> {
    PolicyDocument::parse(text, PolicyKind::Identity)
        .map_err(|e| TestCaseError::fail(format!("a valid policy was refused: {e}\n{text}")))
}

fn with_statement(text: &str, statement: &Value, at: &prop::sample::Index) -> String {
    let mut doc: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    if let Some(list) = doc.get_mut("Statement").and_then(Value::as_array_mut) {
        let i = at.index(list.len() + 1);
        list.insert(i, statement.clone());
    }
    doc.to_string()
}

#[derive(Debug, Clone)]
struct Setup {
    identity: Vec<String>,
    boundary: Option<String>,
    session: Option<Vec<String>>,
    context: RequestContext,
}

fn setup() -> impl Strategy<Value = Setup> {
    (
        prop::collection::vec(policy(), 0..4),
        prop::option::weighted(0.3, policy()),
        prop::option::weighted(0.3, prop::collection::vec(policy(), 0..2)),
        context(),
    )
        .prop_map(|(identity, boundary, session, context)| Setup { identity, boundary, session, context })
}

fn decide(
    identity: &[PolicyDocument],
    boundary: Option<&PolicyDocument>,
    session: Option<&[PolicyDocument]>,
    ctx: &RequestContext,
) -> Evaluation {
    let mut input = EvaluationInput::new(ctx);
    input.identity_policies = refs(identity);
    input.permissions_boundary = boundary.map(|d| PolicyRef { source_id: "b", source_type: "boundary", document: d });
    input.session_policies = session.map(refs);
    evaluate(&input)
}

struct Parsed {
    identity: Vec<PolicyDocument>,
    boundary: Option<PolicyDocument>,
    session: Option<Vec<PolicyDocument>>,
}

fn parse_setup(s: &Setup) -> Result<Parsed, TestCaseError> {
    Ok(Parsed {
        identity: s.identity.iter().map(|t| parse_valid(t)).collect::<Result<_, _>>()?,
        boundary: s.boundary.as_deref().map(parse_valid).transpose()?,
        session: s.session.as_ref().map(|v| v.iter().map(|t| parse_valid(t)).collect::<Result<_, _>>()).transpose()?,
    })
}

impl Parsed {
    fn decide(&self, ctx: &RequestContext) -> Evaluation {
        decide(&self.identity, self.boundary.as_ref(), self.session.as_deref(), ctx)
    }
}

#[test]
fn generated_policies_parse_and_decide_deterministically_in_any_order() {
    run("policy evaluate generated policies", 8000, setup(), |s| {
        let p = parse_setup(&s)?;
        let first = p.decide(&s.context);
        check_consistent(&first)?;
        prop_assert_eq!(&p.decide(&s.context), &first);
        let mut reversed = p.identity.clone();
        reversed.reverse();
        let again = decide(&reversed, p.boundary.as_ref(), p.session.as_deref(), &s.context);
        prop_assert_eq!((again.decision, again.denied_by), (first.decision, first.denied_by));
        Ok(())
    });
}

#[test]
fn an_explicit_deny_of_everything_always_denies() {
    let deny_all = json!({"Effect": "Deny", "Action": "*", "Resource": "*"});
    run("policy deny * on * denies", 8000, (setup(), 0u8..3, any::<prop::sample::Index>()), |(mut s, place, at)| {
        // Into an identity policy, the boundary or a session policy: a deny anywhere decides.
        match (place, &mut s.boundary, &mut s.session) {
            (1, Some(b), _) => *b = with_statement(b, &deny_all, &at),
            (2, _, Some(list)) if !list.is_empty() => list[0] = with_statement(&list[0], &deny_all, &at),
            _ if s.identity.is_empty() => {
                s.identity.push(json!({"Version": "2012-10-17", "Statement": [deny_all]}).to_string())
            }
            _ => {
                let i = at.index(s.identity.len());
                s.identity[i] = with_statement(&s.identity[i], &deny_all, &at);
            }
        }
        let e = parse_setup(&s)?.decide(&s.context);
        check_consistent(&e)?;
        prop_assert_eq!(e.decision, Decision::ExplicitDeny);
        Ok(())
    });
}

#[test]
fn an_allow_equal_to_the_request_allows_unless_something_denies() {
    run("policy exact allow allows", 8000, (setup(), any::<prop::sample::Index>()), |(mut s, at)| {
        // Only identity policies: a boundary or session policy may rightly fail to allow.
        s.boundary = None;
        s.session = None;
        let before = parse_setup(&s)?.decide(&s.context);
        let exact = json!({"Effect": "Allow", "Action": s.context.action, "Resource": s.context.resource});
        if s.identity.is_empty() {
            s.identity.push(json!({"Version": "2012-10-17", "Statement": [exact]}).to_string());
        } else {
            let i = at.index(s.identity.len());
            s.identity[i] = with_statement(&s.identity[i], &exact, &at);
        }
        let after = parse_setup(&s)?.decide(&s.context);
        check_consistent(&after)?;
        let want = if before.decision == Decision::ExplicitDeny { Decision::ExplicitDeny } else { Decision::Allowed };
        prop_assert_eq!(after.decision, want);
        Ok(())
    });
}
