//! Condition operators, one table per family. Each row states whether the condition holds, from
//! the IAM User Guide pages named on each table; every row is then checked three ways: a lone
//! `Allow` statement with the condition (Allowed / `ImplicitDeny`), and a `Deny` statement with the
//! condition beside an allow-everything statement (`ExplicitDeny` / Allowed).

use std::net::IpAddr;

use time::macros::datetime;

use super::support::{identity, s, user};
use crate::policy::Decision::{Allowed, ExplicitDeny, ImplicitDeny};
use crate::policy::{ContextValue, RequestContext};

pub(super) struct Case {
    /// The `Condition` element's inner JSON.
    pub condition: &'static str,
    /// Request keys.
    pub context: Vec<(&'static str, Vec<ContextValue>)>,
    /// Whether the condition holds.
    pub holds: bool,
}

fn case(condition: &'static str, context: Vec<(&'static str, Vec<ContextValue>)>, holds: bool) -> Case {
    Case { condition, context, holds }
}

fn one(key: &'static str, v: ContextValue) -> Vec<(&'static str, Vec<ContextValue>)> {
    vec![(key, vec![v])]
}

fn many(key: &'static str, v: &[&str]) -> Vec<(&'static str, Vec<ContextValue>)> {
    vec![(key, v.iter().map(|x| s(x)).collect())]
}

fn none() -> Vec<(&'static str, Vec<ContextValue>)> {
    Vec::new()
}

fn ip(a: &str) -> ContextValue {
    ContextValue::Ip(a.parse::<IpAddr>().expect("test address"))
}

fn run(family: &str, cases: &[Case]) {
    let mut failures = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        let mut b = RequestContext::builder("s3:GetObject", "arn:aws:s3:::b/k").principal(user("alice"));
        for (k, v) in &c.context {
            b = b.values(k, v.clone());
        }
        let context = b.build();
        let allow = identity(&format!(
            r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{{{}}}"#,
            c.condition
        ));
        let deny = identity(&format!(
            r#""Effect":"Deny","Action":"s3:GetObject","Resource":"*","Condition":{{{}}}"#,
            c.condition
        ));
        let allow_all = identity(r#""Effect":"Allow","Action":"*","Resource":"*""#);
        let alone = super::support::decide(&[&allow], &context);
        let with_deny = super::support::decide(&[&allow_all, &deny], &context);
        let want = if c.holds { (Allowed, ExplicitDeny) } else { (ImplicitDeny, Allowed) };
        if (alone, with_deny) != want {
            failures.push(format!(
                "#{i} {} with {:?}: want {want:?}, got {:?}",
                c.condition,
                c.context,
                (alone, with_deny)
            ));
        }
    }
    assert!(failures.is_empty(), "{family}: {} of {} wrong\n{}", failures.len(), cases.len(), failures.join("\n"));
}

/// `reference_policies_elements_condition_operators`, String condition operators; "Important": an
/// absent key is false, except for negated operators; multi-value-conditions: values are OR-ed,
/// NOR-ed under negated operators.
pub(super) fn string_cases() -> Vec<Case> {
    vec![
        case(
            r#""StringEquals":{"aws:PrincipalTag/job-category":"iamuser-admin"}"#,
            one("aws:PrincipalTag/job-category", s("iamuser-admin")),
            true,
        ),
        case(
            r#""StringEquals":{"aws:PrincipalTag/job-category":"iamuser-admin"}"#,
            one("aws:PrincipalTag/job-category", s("IAMUSER-ADMIN")),
            false,
        ),
        case(r#""StringEquals":{"aws:PrincipalTag/job-category":"iamuser-admin"}"#, none(), false),
        case(
            r#""StringEquals":{"AWS:PRINCIPALTAG/JOB-CATEGORY":"iamuser-admin"}"#,
            one("aws:PrincipalTag/job-category", s("iamuser-admin")),
            true,
        ),
        case(r#""StringEquals":{"k":["a","b"]}"#, one("k", s("b")), true),
        case(r#""StringEquals":{"k":["a","b"]}"#, one("k", s("c")), false),
        case(r#""StringNotEquals":{"k":"a"}"#, one("k", s("b")), true),
        case(r#""StringNotEquals":{"k":"a"}"#, one("k", s("a")), false),
        case(r#""StringNotEquals":{"k":"a"}"#, none(), true),
        case(r#""StringNotEquals":{"k":["a","b"]}"#, one("k", s("b")), false),
        case(r#""StringNotEquals":{"k":["a","b"]}"#, one("k", s("c")), true),
        case(r#""StringEqualsIgnoreCase":{"k":"Admin"}"#, one("k", s("ADMIN")), true),
        case(r#""StringEqualsIgnoreCase":{"k":"Admin"}"#, one("k", s("other")), false),
        case(r#""StringNotEqualsIgnoreCase":{"k":"Admin"}"#, one("k", s("admin")), false),
        case(r#""StringNotEqualsIgnoreCase":{"k":"Admin"}"#, one("k", s("x")), true),
        case(r#""StringLike":{"s3:prefix":["","home/","home/*"]}"#, one("s3:prefix", s("home/alice")), true),
        case(r#""StringLike":{"s3:prefix":["","home/","home/*"]}"#, one("s3:prefix", s("")), true),
        case(r#""StringLike":{"s3:prefix":"home/?"}"#, one("s3:prefix", s("home/ab")), false),
        case(r#""StringLike":{"s3:prefix":"Home/*"}"#, one("s3:prefix", s("home/x")), false),
        case(r#""StringLike":{"s3:prefix":"home/*"}"#, none(), false),
        case(r#""StringNotLike":{"k":"dev-*"}"#, one("k", s("dev-1")), false),
        case(r#""StringNotLike":{"k":"dev-*"}"#, one("k", s("prod-1")), true),
        case(r#""StringNotLike":{"k":"dev-*"}"#, none(), true),
        // The ARN-operators section's own example: StringLike lets `*` run across colons.
        case(
            r#""StringLike":{"aws:SourceArn":"arn:aws:someservice:*:111122223333:finance/*"}"#,
            one(
                "aws:SourceArn",
                s("arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"),
            ),
            true,
        ),
        // JSON numbers and booleans in policies compare as their text.
        case(r#""StringEquals":{"k":10}"#, one("k", s("10")), true),
    ]
}

/// Numeric condition operators (integers and decimals; absent key is false).
pub(super) fn numeric_cases() -> Vec<Case> {
    let n = |v: f64| ContextValue::Number(v);
    vec![
        case(r#""NumericLessThanEquals":{"s3:max-keys":"10"}"#, one("s3:max-keys", n(10.0)), true),
        case(r#""NumericLessThanEquals":{"s3:max-keys":"10"}"#, one("s3:max-keys", n(11.0)), false),
        case(r#""NumericLessThanEquals":{"s3:max-keys":"10"}"#, none(), false),
        case(r#""NumericEquals":{"k":"10"}"#, one("k", n(10.0)), true),
        case(r#""NumericEquals":{"k":"10"}"#, one("k", s("10.0")), true),
        case(r#""NumericEquals":{"k":"10"}"#, one("k", s("abc")), false),
        case(r#""NumericEquals":{"k":["1","2"]}"#, one("k", s("2")), true),
        case(r#""NumericNotEquals":{"k":"10"}"#, one("k", n(11.0)), true),
        case(r#""NumericNotEquals":{"k":"10"}"#, one("k", n(10.0)), false),
        case(r#""NumericNotEquals":{"k":"10"}"#, none(), true),
        case(r#""NumericLessThan":{"k":"10"}"#, one("k", n(9.5)), true),
        case(r#""NumericLessThan":{"k":"10"}"#, one("k", n(10.0)), false),
        case(r#""NumericLessThan":{"k":10}"#, one("k", s("9")), true),
        case(r#""NumericGreaterThan":{"k":"10"}"#, one("k", n(10.5)), true),
        case(r#""NumericGreaterThan":{"k":"10"}"#, one("k", n(10.0)), false),
        case(r#""NumericGreaterThan":{"k":"-5"}"#, one("k", s("-4")), true),
        case(r#""NumericGreaterThanEquals":{"k":"10"}"#, one("k", n(10.0)), true),
        case(r#""NumericGreaterThanEquals":{"k":"10"}"#, one("k", n(9.0)), false),
    ]
}

/// Date condition operators: ISO 8601 or epoch seconds; the `aws:TokenIssueTime` example (absent
/// for long-term credentials, so the condition is false).
pub(super) fn date_cases() -> Vec<Case> {
    vec![
        case(
            r#""DateGreaterThan":{"aws:TokenIssueTime":"2020-01-01T00:00:01Z"}"#,
            one("aws:TokenIssueTime", s("2020-06-01T00:00:00Z")),
            true,
        ),
        case(
            r#""DateGreaterThan":{"aws:TokenIssueTime":"2020-01-01T00:00:01Z"}"#,
            one("aws:TokenIssueTime", s("2019-12-31T00:00:00Z")),
            false,
        ),
        case(r#""DateGreaterThan":{"aws:TokenIssueTime":"2020-01-01T00:00:01Z"}"#, none(), false),
        case(
            r#""DateLessThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}"#,
            one("aws:CurrentTime", ContextValue::Date(datetime!(2019-12-31 23:59:59 UTC))),
            true,
        ),
        case(
            r#""DateLessThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}"#,
            one("aws:CurrentTime", ContextValue::Date(datetime!(2020-01-01 00:00:00 UTC))),
            false,
        ),
        case(
            r#""DateEquals":{"aws:CurrentTime":"1577836800"}"#,
            one("aws:CurrentTime", s("2020-01-01T00:00:00Z")),
            true,
        ),
        case(
            r#""DateEquals":{"aws:CurrentTime":"2020-01-01T02:00:00+02:00"}"#,
            one("aws:CurrentTime", s("2020-01-01T00:00:00Z")),
            true,
        ),
        case(
            r#""DateNotEquals":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}"#,
            one("aws:CurrentTime", s("2020-01-01T00:00:00Z")),
            false,
        ),
        case(r#""DateNotEquals":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}"#, none(), true),
        case(
            r#""DateLessThanEquals":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}"#,
            one("aws:CurrentTime", s("2020-01-01T00:00:00Z")),
            true,
        ),
        case(
            r#""DateGreaterThanEquals":{"aws:CurrentTime":"2020-01-01"}"#,
            one("aws:CurrentTime", s("2019-12-31T23:59:59Z")),
            false,
        ),
        case(
            r#""DateGreaterThan":{"aws:EpochTime":"2020-01-01T00:00:00Z"}"#,
            one("aws:EpochTime", ContextValue::Number(1_577_836_801.0)),
            true,
        ),
        case(
            r#""DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}"#,
            one("aws:CurrentTime", s("soon")),
            false,
        ),
    ]
}

/// Boolean condition operator (the `aws:SecureTransport` example), and `BoolIfExists` on
/// `aws:MultiFactorAuthPresent`, which is absent for long-term credentials.
pub(super) fn bool_cases() -> Vec<Case> {
    vec![
        case(r#""Bool":{"aws:SecureTransport":"false"}"#, one("aws:SecureTransport", ContextValue::Bool(false)), true),
        case(r#""Bool":{"aws:SecureTransport":"false"}"#, one("aws:SecureTransport", ContextValue::Bool(true)), false),
        case(r#""Bool":{"aws:SecureTransport":"false"}"#, none(), false),
        case(r#""Bool":{"aws:SecureTransport":false}"#, one("aws:SecureTransport", ContextValue::Bool(false)), true),
        case(r#""Bool":{"aws:SecureTransport":"true"}"#, one("aws:SecureTransport", s("true")), true),
        case(r#""BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}"#, none(), true),
        case(
            r#""BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}"#,
            one("aws:MultiFactorAuthPresent", ContextValue::Bool(true)),
            false,
        ),
    ]
}

/// `BinaryEquals`: byte-for-byte against the base64 in the policy.
pub(super) fn binary_cases() -> Vec<Case> {
    let policy = r#""BinaryEquals":{"k":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}"#;
    vec![
        case(policy, one("k", ContextValue::Binary(b"BinaryValueInBase64".to_vec())), true),
        case(policy, one("k", ContextValue::Binary(b"other".to_vec())), false),
        case(policy, none(), false),
        case(policy, one("k", s("QmluYXJ5VmFsdWVJbkJhc2U2NA==")), true),
        case(r#""BinaryEquals":{"k":"***"}"#, one("k", ContextValue::Binary(b"***".to_vec())), false),
    ]
}

/// IP address operators: CIDR, a bare address is /32, IPv4 and IPv6; absent `aws:SourceIp` (VPC
/// endpoint) is false; `NotIpAddress` NORs its ranges.
pub(super) fn ip_cases() -> Vec<Case> {
    vec![
        case(r#""IpAddress":{"aws:SourceIp":"203.0.113.0/24"}"#, one("aws:SourceIp", ip("203.0.113.5")), true),
        case(r#""IpAddress":{"aws:SourceIp":"203.0.113.0/24"}"#, one("aws:SourceIp", ip("198.51.100.1")), false),
        case(r#""IpAddress":{"aws:SourceIp":"203.0.113.0/24"}"#, none(), false),
        case(
            r#""IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:DB8:1234:5678::/64"]}"#,
            one("aws:SourceIp", ip("2001:db8:1234:5678::1")),
            true,
        ),
        case(
            r#""IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:DB8:1234:5678::/64"]}"#,
            one("aws:SourceIp", ip("2001:db8:1234:5679::1")),
            false,
        ),
        case(r#""IpAddress":{"aws:SourceIp":"203.0.113.5"}"#, one("aws:SourceIp", s("203.0.113.5")), true),
        case(r#""IpAddress":{"aws:SourceIp":"203.0.113.5"}"#, one("aws:SourceIp", s("203.0.113.6")), false),
        case(r#""IpAddress":{"aws:SourceIp":"0.0.0.0/0"}"#, one("aws:SourceIp", ip("8.8.8.8")), true),
        case(r#""IpAddress":{"aws:SourceIp":"203.0.113.0/24"}"#, one("aws:SourceIp", ip("::ffff:203.0.113.5")), true),
        case(r#""NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}"#, one("aws:SourceIp", ip("198.51.100.1")), true),
        case(r#""NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}"#, one("aws:SourceIp", ip("203.0.113.9")), false),
        case(r#""NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}"#, none(), true),
        case(
            r#""NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.0.0/16"]}"#,
            one("aws:SourceIp", ip("192.168.1.1")),
            false,
        ),
        case(
            r#""NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.0.0/16"]}"#,
            one("aws:SourceIp", ip("8.8.8.8")),
            true,
        ),
    ]
}

/// ARN operators: each of the six components checked separately (so the page's example fails
/// under `ArnLike` though it passes under `StringLike`); `ArnEquals` and `ArnLike` behave identically;
/// negated forms are true for an absent key.
pub(super) fn arn_cases() -> Vec<Case> {
    vec![
        case(
            r#""ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-2:123456789012:TOPIC-ID"}"#,
            one("aws:SourceArn", s("arn:aws:sns:us-east-2:123456789012:TOPIC-ID")),
            true,
        ),
        case(
            r#""ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-2:123456789012:TOPIC-ID"}"#,
            one("aws:SourceArn", s("arn:aws:sns:us-east-2:123456789012:OTHER")),
            false,
        ),
        case(r#""ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-2:123456789012:TOPIC-ID"}"#, none(), false),
        case(
            r#""ArnLike":{"aws:SourceArn":"arn:aws:someservice:*:111122223333:finance/*"}"#,
            one(
                "aws:SourceArn",
                s("arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"),
            ),
            false,
        ),
        case(
            r#""ArnLike":{"ec2:SourceInstanceARN":"arn:aws:ec2:*:*:instance/*"}"#,
            one("ec2:SourceInstanceARN", s("arn:aws:ec2:us-east-1:111122223333:instance/i-123")),
            true,
        ),
        case(
            r#""ArnEquals":{"ec2:SourceInstanceARN":"arn:aws:ec2:*:*:instance/*"}"#,
            one("ec2:SourceInstanceARN", s("arn:aws:ec2:us-east-1:111122223333:instance/i-123")),
            true,
        ),
        case(
            r#""ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/Admin"}"#,
            one("aws:PrincipalArn", s("arn:aws:iam::111122223333:role/admin")),
            false,
        ),
        case(r#""ArnLike":{"aws:PrincipalArn":"arn:aws:*:*:*:*"}"#, one("aws:PrincipalArn", s("notanarn")), false),
        case(
            r#""ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/admin*"}"#,
            one("aws:PrincipalArn", s("arn:aws:iam::111122223333:role/adminX")),
            false,
        ),
        case(
            r#""ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/admin*"}"#,
            one("aws:PrincipalArn", s("arn:aws:iam::111122223333:role/dev")),
            true,
        ),
        case(r#""ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/admin*"}"#, none(), true),
        case(
            r#""ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/dev"}"#,
            one("aws:PrincipalArn", s("arn:aws:iam::111122223333:role/dev")),
            false,
        ),
        case(
            r#""ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/dev"}"#,
            one("aws:PrincipalArn", s("arn:aws:iam::111122223333:role/ops")),
            true,
        ),
    ]
}

/// Null: `true` means the key is absent, `false` that it is present (the `aws:TokenIssueTime`
/// example).
pub(super) fn null_cases() -> Vec<Case> {
    vec![
        case(r#""Null":{"aws:TokenIssueTime":"true"}"#, none(), true),
        case(r#""Null":{"aws:TokenIssueTime":"true"}"#, one("aws:TokenIssueTime", s("2020-01-01T00:00:00Z")), false),
        case(r#""Null":{"aws:TokenIssueTime":"false"}"#, one("aws:TokenIssueTime", s("2020-01-01T00:00:00Z")), true),
        case(r#""Null":{"aws:TokenIssueTime":"false"}"#, none(), false),
        case(r#""Null":{"aws:TokenIssueTime":true}"#, none(), true),
    ]
}

/// …`IfExists`: "If the key is not present, evaluate the condition element as true"; a present key
/// is tested as usual (the `ec2:InstanceType` example); a Deny with `StringNotEqualsIfExists`
/// still denies when the key is missing.
pub(super) fn if_exists_cases() -> Vec<Case> {
    let instance = r#""StringLikeIfExists":{"ec2:InstanceType":["t1.*","t2.*","m3.*"]}"#;
    vec![
        case(instance, none(), true),
        case(instance, one("ec2:InstanceType", s("t2.micro")), true),
        case(instance, one("ec2:InstanceType", s("c5.large")), false),
        case(r#""StringNotEqualsIfExists":{"aws:PrincipalTag/team":"ops"}"#, none(), true),
        case(
            r#""StringNotEqualsIfExists":{"aws:PrincipalTag/team":"ops"}"#,
            one("aws:PrincipalTag/team", s("ops")),
            false,
        ),
        case(r#""NumericLessThanIfExists":{"s3:max-keys":"10"}"#, none(), true),
        case(
            r#""DateGreaterThanIfExists":{"aws:TokenIssueTime":"2020-01-01T00:00:00Z"}"#,
            one("aws:TokenIssueTime", s("2019-01-01T00:00:00Z")),
            false,
        ),
        case(r#""IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}"#, none(), true),
    ]
}

/// Set qualifiers (`reference_policies_condition-single-vs-multi-valued-context-keys` and
/// `reference_policies_multi-value-conditions`): `ForAllValues` is true when every request value
/// matches a policy value, and for an absent key or empty set; `ForAnyValue` is true when some
/// request value matches, false for an absent key or empty set. The `DynamoDB` attribute tables
/// are the pages' own worked examples.
pub(super) fn set_cases() -> Vec<Case> {
    let all_tags = r#""ForAllValues:StringEquals":{"aws:TagKeys":["environment","cost-center"]}"#;
    let any_tags = r#""ForAnyValue:StringEquals":{"aws:TagKeys":["webserver","dev"]}"#;
    let all_attrs = r#""ForAllValues:StringLike":{"dynamodb:requestedAttributes":["PostDateTime","Message","Tags"]}"#;
    let any_attrs = r#""ForAnyValue:StringLike":{"dynamodb:requestedAttributes":["ID","PostDateTime"]}"#;
    vec![
        case(all_tags, many("aws:TagKeys", &["environment"]), true),
        case(all_tags, many("aws:TagKeys", &["environment", "cost-center"]), true),
        case(all_tags, many("aws:TagKeys", &["environment", "owner"]), false),
        case(all_tags, none(), true),
        case(all_tags, many("aws:TagKeys", &[]), true),
        case(any_tags, many("aws:TagKeys", &["webserver", "x"]), true),
        case(any_tags, many("aws:TagKeys", &["x", "y"]), false),
        case(any_tags, none(), false),
        case(any_tags, many("aws:TagKeys", &[]), false),
        case(all_attrs, many("dynamodb:requestedAttributes", &["PostDateTime", "UserName"]), false),
        case(all_attrs, many("dynamodb:requestedAttributes", &["PostDateTime", "Message"]), true),
        case(any_attrs, many("dynamodb:requestedAttributes", &["UserName", "Message", "PostDateTime"]), true),
        case(any_attrs, many("dynamodb:requestedAttributes", &["UserName"]), false),
        // Negated operators under a qualifier apply per request value (each value NORs the
        // policy values).
        case(r#""ForAllValues:StringNotEquals":{"aws:TagKeys":["secret"]}"#, many("aws:TagKeys", &["a", "b"]), true),
        case(
            r#""ForAllValues:StringNotEquals":{"aws:TagKeys":["secret"]}"#,
            many("aws:TagKeys", &["a", "secret"]),
            false,
        ),
        case(
            r#""ForAnyValue:StringNotEquals":{"aws:TagKeys":["secret"]}"#,
            many("aws:TagKeys", &["secret", "a"]),
            true,
        ),
        case(r#""ForAnyValue:StringNotEquals":{"aws:TagKeys":["secret"]}"#, many("aws:TagKeys", &["secret"]), false),
        case(r#""ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":["dev"]}"#, none(), true),
        // Without a qualifier a multivalued key is matched value by value (a choice the pages
        // leave open; see condition.rs).
        case(r#""StringEquals":{"k":"a"}"#, many("k", &["a", "b"]), true),
        case(r#""StringNotEquals":{"k":"a"}"#, many("k", &["b", "c"]), true),
        case(r#""StringNotEquals":{"k":"a"}"#, many("k", &["a", "c"]), false),
    ]
}

/// Several keys under one operator, and several operators, are AND-ed (multi-value-conditions).
pub(super) fn combination_cases() -> Vec<Case> {
    let two_keys = r#""StringEquals":{"k1":"a","k2":"b"}"#;
    let two_ops = r#""StringEquals":{"k1":"a"},"NumericLessThan":{"n":"5"}"#;
    vec![
        case(two_keys, vec![("k1", vec![s("a")]), ("k2", vec![s("b")])], true),
        case(two_keys, vec![("k1", vec![s("a")]), ("k2", vec![s("x")])], false),
        case(two_ops, vec![("k1", vec![s("a")]), ("n", vec![s("4")])], true),
        case(two_ops, vec![("k1", vec![s("a")]), ("n", vec![s("6")])], false),
    ]
}

#[test]
fn string_operators() {
    run("String", &string_cases());
}

#[test]
fn numeric_operators() {
    run("Numeric", &numeric_cases());
}

#[test]
fn date_operators() {
    run("Date", &date_cases());
}

#[test]
fn bool_operator() {
    run("Bool", &bool_cases());
}

#[test]
fn binary_operator() {
    run("Binary", &binary_cases());
}

#[test]
fn ip_operators() {
    run("IP", &ip_cases());
}

#[test]
fn arn_operators() {
    run("ARN", &arn_cases());
}

#[test]
fn null_operator() {
    run("Null", &null_cases());
}

#[test]
fn if_exists_operators() {
    run("IfExists", &if_exists_cases());
}

#[test]
fn set_qualifiers() {
    run("ForAnyValue/ForAllValues", &set_cases());
}

#[test]
fn combinations() {
    run("AND of keys and operators", &combination_cases());
}

/// Prints the number of rows per family (`cargo test -- --nocapture case_counts`).
#[test]
fn case_counts() {
    let counts = [
        ("String", string_cases().len()),
        ("Numeric", numeric_cases().len()),
        ("Date", date_cases().len()),
        ("Bool", bool_cases().len()),
        ("Binary", binary_cases().len()),
        ("IP", ip_cases().len()),
        ("ARN", arn_cases().len()),
        ("Null", null_cases().len()),
        ("IfExists", if_exists_cases().len()),
        ("Set qualifiers", set_cases().len()),
        ("Combinations", combination_cases().len()),
    ];
    for (family, n) in counts {
        println!("condition family {family}: {n} cases x 3 decisions");
    }
    assert!(counts.iter().all(|(_, n)| *n >= 4));
}
