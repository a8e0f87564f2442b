//! Action, resource, `NotAction` and `NotResource` matching.

use super::support::{ctx, decide, identity};
use crate::policy::Decision::{Allowed, ExplicitDeny, ImplicitDeny};
use crate::policy::{Decision, PolicyDocument};

/// (Action element, requested action, decision of a lone Allow statement). IAM User Guide,
/// `reference_policies_elements_action`: "The prefix and the action name are case insensitive",
/// `*` matches any run of characters and `?` one character.
const ACTIONS: &[(&str, &str, Decision)] = &[
    ("s3:GetObject", "s3:GetObject", Allowed),
    ("s3:GetObject", "S3:getobject", Allowed),
    ("S3:GETOBJECT", "s3:GetObject", Allowed),
    ("s3:GetObject", "s3:GetObjectVersion", ImplicitDeny),
    ("s3:Get*", "s3:GetObjectVersion", Allowed),
    ("s3:Get*", "s3:PutObject", ImplicitDeny),
    ("iam:*AccessKey*", "iam:CreateAccessKey", Allowed),
    ("iam:*AccessKey*", "iam:ListAccessKeys", Allowed),
    ("iam:*AccessKey*", "iam:ListUsers", ImplicitDeny),
    ("s3:?etObject", "s3:GetObject", Allowed),
    ("s3:?etObject", "s3:GGetObject", ImplicitDeny),
    ("*", "sts:AssumeRole", Allowed),
    ("sqs:*", "SQS:SendMessage", Allowed),
    ("sqs:*", "sns:Publish", ImplicitDeny),
];

/// (Resource element, requested resource, decision of a lone Allow statement). IAM User Guide,
/// `reference_policies_elements_resource`: wildcards within ARN segments; "If the * wildcard is the
/// last character of a resource ARN segment, it can expand to match beyond the colon boundaries";
/// `*` in the resource part expands over `/`; "In the Resource element, the IAM user name is case
/// sensitive".
const RESOURCES: &[(&str, &str, Decision)] = &[
    ("*", "arn:aws:s3:::anything/at/all", Allowed),
    ("arn:aws:s3:::amzn-s3-demo-bucket/*", "arn:aws:s3:::amzn-s3-demo-bucket/home/alice/x.txt", Allowed),
    ("arn:aws:s3:::amzn-s3-demo-bucket/*", "arn:aws:s3:::amzn-s3-demo-bucket", ImplicitDeny),
    ("arn:aws:s3:::amzn-s3-demo-bucket/*", "arn:aws:s3:::other-bucket/x", ImplicitDeny),
    ("arn:aws:iam::111122223333:user/Bob", "arn:aws:iam::111122223333:user/Bob", Allowed),
    ("arn:aws:iam::111122223333:user/Bob", "arn:aws:iam::111122223333:user/bob", ImplicitDeny),
    ("arn:aws:iam::111122223333:user/accounting/*", "arn:aws:iam::111122223333:user/accounting/alice", Allowed),
    ("arn:aws:iam::111122223333:user/accounting/*", "arn:aws:iam::111122223333:user/marketing/alice", ImplicitDeny),
    ("arn:aws:iam::*:user/*", "arn:aws:iam::444455556666:user/alice", Allowed),
    ("arn:aws:sqs:us-east-?:111122223333:queue1", "arn:aws:sqs:us-east-2:111122223333:queue1", Allowed),
    ("arn:aws:sqs:us-east-?:111122223333:queue1", "arn:aws:sqs:us-west-2:111122223333:queue1", ImplicitDeny),
    // A `*` inside a segment stays inside it.
    ("arn:aws:sqs:us-*-2:111122223333:queue1", "arn:aws:sqs:us-east-2:111122223333:queue1", Allowed),
    ("arn:aws:sqs:*-2:111122223333:q", "arn:aws:sqs:us:x-2:111122223333:q", ImplicitDeny),
    // A `*` ending a segment may run past colons.
    ("arn:aws:sqs:us-east-2:*", "arn:aws:sqs:us-east-2:111122223333:queue1", Allowed),
    ("arn:aws:sqs:*", "arn:aws:sqs:us-east-2:111122223333:queue1", Allowed),
    // The resource part may itself contain colons.
    (
        "arn:aws:logs:us-east-1:111122223333:log-group:mygroup:*",
        "arn:aws:logs:us-east-1:111122223333:log-group:mygroup:log-stream:s1",
        Allowed,
    ),
    ("arn:aws:s3:::b/*", "*", ImplicitDeny),
];

fn lone_allow(action: &str, resource: &str) -> PolicyDocument {
    identity(&format!(r#""Effect":"Allow","Action":"{action}","Resource":"{resource}""#))
}

#[test]
fn actions() {
    for (element, requested, want) in ACTIONS {
        let policy = lone_allow(element, "*");
        let got = decide(&[&policy], &ctx(requested, "arn:aws:s3:::b", &[]));
        assert_eq!(got, *want, "Action {element} vs {requested}");
    }
}

#[test]
fn resources() {
    for (element, requested, want) in RESOURCES {
        let policy = lone_allow("*", element);
        let got = decide(&[&policy], &ctx("s3:GetObject", requested, &[]));
        assert_eq!(got, *want, "Resource {element} vs {requested}");
    }
}

#[test]
fn not_action() {
    // reference_policies_elements_notaction: Allow + NotAction allows every action not listed;
    // the listed ones are not denied, only not allowed. Deny + NotAction denies every action not
    // listed.
    let allow_but_iam = identity(r#""Effect":"Allow","NotAction":"iam:*","Resource":"*""#);
    assert_eq!(decide(&[&allow_but_iam], &ctx("s3:GetObject", "*", &[])), Allowed);
    assert_eq!(decide(&[&allow_but_iam], &ctx("iam:CreateUser", "*", &[])), ImplicitDeny);
    assert_eq!(decide(&[&allow_but_iam], &ctx("IAM:createuser", "*", &[])), ImplicitDeny);

    let allow_all = identity(r#""Effect":"Allow","Action":"*","Resource":"*""#);
    let deny_but = identity(r#""Effect":"Deny","NotAction":["iam:*","sts:GetSessionToken"],"Resource":"*""#);
    assert_eq!(decide(&[&allow_all, &deny_but], &ctx("s3:GetObject", "*", &[])), ExplicitDeny);
    assert_eq!(decide(&[&allow_all, &deny_but], &ctx("iam:ListUsers", "*", &[])), Allowed);
    assert_eq!(decide(&[&allow_all, &deny_but], &ctx("sts:GetSessionToken", "*", &[])), Allowed);
}

#[test]
fn not_resource() {
    // reference_policies_elements_notresource: the statement applies to every resource except
    // those listed.
    let allow = identity(r#""Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::HRBucket/Payroll/*""#);
    assert_eq!(decide(&[&allow], &ctx("s3:GetObject", "arn:aws:s3:::HRBucket/Other", &[])), Allowed);
    assert_eq!(decide(&[&allow], &ctx("s3:GetObject", "arn:aws:s3:::HRBucket/Payroll/x", &[])), ImplicitDeny);

    let allow_all = identity(r#""Effect":"Allow","Action":"*","Resource":"*""#);
    let deny = identity(
        r#""Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::HRBucket/Payroll","arn:aws:s3:::HRBucket/Payroll/*"]"#,
    );
    let other = ctx("s3:GetObject", "arn:aws:s3:::Other/x", &[]);
    let payroll = ctx("s3:GetObject", "arn:aws:s3:::HRBucket/Payroll/x", &[]);
    assert_eq!(decide(&[&allow_all, &deny], &other), ExplicitDeny);
    assert_eq!(decide(&[&allow_all, &deny], &payroll), Allowed);
}

#[test]
fn hostile_patterns_stay_cheap() {
    // Many stars against a long non-matching value: bounded work, no recursion.
    let stars = "*a".repeat(500);
    let policy = lone_allow("*", &format!("arn:aws:s3:::{stars}b"));
    let long = format!("arn:aws:s3:::{}", "a".repeat(2000));
    assert_eq!(decide(&[&policy], &ctx("s3:GetObject", &long, &[])), ImplicitDeny);
}
