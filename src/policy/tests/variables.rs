//! Policy variables (IAM User Guide, `reference_policies_variables`): `${key}` in Resource and in
//! String/ARN condition values of 2012-10-17 documents; case-insensitive keys; `${key, 'default'}`;
//! `${*}`, `${?}`, `${$}`; an unresolvable variable "fails and causes the statement to be invalid".

use super::support::{ctx, decide, doc, identity, s, user};
use crate::policy::Decision::{Allowed, ExplicitDeny, ImplicitDeny};
use crate::policy::{ContextValue, Decision, ParseOptions, PolicyDocument, PolicyKind, RequestContext};

const HOME: &str = r#""Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::bucket/home/${aws:username}","arn:aws:s3:::bucket/home/${aws:username}/*"]"#;

/// The S3 home-directory policy from the condition-operators page: `ListBucket` on the bucket with
/// `s3:prefix` limited by `StringLike`, object actions on the user's folder.
const HOME_LISTING: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::bucket",
     "Condition": {"StringLike": {"s3:prefix": ["", "home/", "home/${aws:username}/*"]}}},
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
     "Resource": "arn:aws:s3:::bucket/home/${aws:username}/*"}
  ]
}"#;

fn anonymous_of_username(action: &str, resource: &str) -> RequestContext {
    RequestContext::builder(action, resource).principal(user("alice")).build()
}

#[test]
fn s3_path_scoping() {
    let policy = doc(HOME_LISTING, PolicyKind::Identity);
    let cases: &[(&str, &str, &[(&str, &str)], Decision)] = &[
        ("s3:GetObject", "arn:aws:s3:::bucket/home/alice/x.txt", &[], Allowed),
        ("s3:PutObject", "arn:aws:s3:::bucket/home/alice/a/b/c", &[], Allowed),
        ("s3:GetObject", "arn:aws:s3:::bucket/home/bob/x.txt", &[], ImplicitDeny),
        ("s3:GetObject", "arn:aws:s3:::bucket/home/alice", &[], ImplicitDeny),
        ("s3:ListBucket", "arn:aws:s3:::bucket", &[("s3:prefix", "home/alice/docs/")], Allowed),
        ("s3:ListBucket", "arn:aws:s3:::bucket", &[("s3:prefix", "")], Allowed),
        ("s3:ListBucket", "arn:aws:s3:::bucket", &[("s3:prefix", "home/")], Allowed),
        ("s3:ListBucket", "arn:aws:s3:::bucket", &[("s3:prefix", "home/bob/")], ImplicitDeny),
        ("s3:ListBucket", "arn:aws:s3:::bucket", &[("s3:prefix", "other/")], ImplicitDeny),
        // No s3:prefix at all: the StringLike key is absent, so the condition is false.
        ("s3:ListBucket", "arn:aws:s3:::bucket", &[], ImplicitDeny),
    ];
    for (action, resource, extra, want) in cases {
        let extra: Vec<(&str, Vec<ContextValue>)> = extra.iter().map(|(k, v)| (*k, vec![s(v)])).collect();
        let got = decide(&[&policy], &ctx(action, resource, &extra));
        assert_eq!(got, *want, "{action} {resource} {extra:?}");
    }
}

#[test]
fn explicit_deny_with_variable() {
    let allow_all = identity(r#""Effect":"Allow","Action":"*","Resource":"*""#);
    let deny_private =
        identity(r#""Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::bucket/home/${aws:username}/private/*""#);
    let own = ctx("s3:GetObject", "arn:aws:s3:::bucket/home/alice/private/k", &[]);
    let other = ctx("s3:GetObject", "arn:aws:s3:::bucket/home/bob/private/k", &[]);
    assert_eq!(decide(&[&allow_all, &deny_private], &own), ExplicitDeny);
    assert_eq!(decide(&[&allow_all, &deny_private], &other), Allowed);
}

#[test]
fn absent_key_default_and_case() {
    let home = identity(HOME);
    // aws:username absent: the variable cannot be resolved, the Resource entry matches nothing.
    let no_name = anonymous_of_username("s3:GetObject", "arn:aws:s3:::bucket/home/alice/x");
    assert_eq!(decide(&[&home], &no_name), ImplicitDeny);

    let with_default = identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/home/${aws:username, 'anonymous'}/*""#,
    );
    let anon = anonymous_of_username("s3:GetObject", "arn:aws:s3:::bucket/home/anonymous/x");
    assert_eq!(decide(&[&with_default], &anon), Allowed);
    // A present key wins over the default.
    assert_eq!(decide(&[&with_default], &ctx("s3:GetObject", "arn:aws:s3:::bucket/home/alice/x", &[])), Allowed);
    assert_eq!(
        decide(&[&with_default], &ctx("s3:GetObject", "arn:aws:s3:::bucket/home/anonymous/x", &[])),
        ImplicitDeny
    );

    // "Key names are case-insensitive."
    let upper =
        identity(r#""Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/${AWS:UserName}/*""#);
    assert_eq!(decide(&[&upper], &ctx("s3:GetObject", "arn:aws:s3:::bucket/alice/x", &[])), Allowed);
}

#[test]
fn old_version_has_no_variables() {
    // "If you don't include the Version element … variables like ${aws:username} are treated as
    // literal strings in the policy."
    let json = r#"{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/${aws:username}/x"}}"#;
    let options = ParseOptions { kind: PolicyKind::Identity, require_current_version: false, written_by_aws: false };
    let old = PolicyDocument::parse_with(json, options).expect("valid inline policy");
    assert_eq!(decide(&[&old], &ctx("s3:GetObject", "arn:aws:s3:::bucket/alice/x", &[])), ImplicitDeny);
    assert_eq!(decide(&[&old], &ctx("s3:GetObject", "arn:aws:s3:::bucket/${aws:username}/x", &[])), Allowed);
}

#[test]
fn special_characters() {
    // `${*}`, `${?}`, `${$}` stand for the literal characters.
    let cases = [
        ("arn:aws:s3:::bucket/${*}", "arn:aws:s3:::bucket/*", Allowed),
        ("arn:aws:s3:::bucket/${*}", "arn:aws:s3:::bucket/anything", ImplicitDeny),
        ("arn:aws:s3:::bucket/what${?}", "arn:aws:s3:::bucket/what?", Allowed),
        ("arn:aws:s3:::bucket/what${?}", "arn:aws:s3:::bucket/whatX", ImplicitDeny),
        ("arn:aws:s3:::bucket/${$}{x}", "arn:aws:s3:::bucket/${x}", Allowed),
    ];
    for (resource, requested, want) in cases {
        let policy = identity(&format!(r#""Effect":"Allow","Action":"s3:GetObject","Resource":"{resource}""#));
        assert_eq!(decide(&[&policy], &ctx("s3:GetObject", requested, &[])), want, "{resource} vs {requested}");
    }
}

#[test]
fn substituted_values_are_literal() {
    // A value is data, not pattern: a tag value of `*` does not widen the resource.
    let policy = identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/${aws:PrincipalTag/team}/*""#,
    );
    let star = [("aws:PrincipalTag/team", vec![s("*")])];
    assert_eq!(decide(&[&policy], &ctx("s3:GetObject", "arn:aws:s3:::bucket/ops/x", &star)), ImplicitDeny);
    assert_eq!(decide(&[&policy], &ctx("s3:GetObject", "arn:aws:s3:::bucket/*/x", &star)), Allowed);
    let ops = [("aws:PrincipalTag/team", vec![s("ops")])];
    assert_eq!(decide(&[&policy], &ctx("s3:GetObject", "arn:aws:s3:::bucket/ops/x", &ops)), Allowed);
}

#[test]
fn variables_in_conditions() {
    // The EC2 example: a resource tag must equal the caller's user name.
    let policy = identity(
        r#""Effect":"Allow","Action":"ec2:AttachVolume","Resource":"*","Condition":{"StringEquals":{"ec2:ResourceTag/VolumeUser":"${aws:username}"}}"#,
    );
    let tag = |v: &str| [("ec2:ResourceTag/VolumeUser", vec![s(v)])];
    assert_eq!(decide(&[&policy], &ctx("ec2:AttachVolume", "*", &tag("alice"))), Allowed);
    assert_eq!(decide(&[&policy], &ctx("ec2:AttachVolume", "*", &tag("bob"))), ImplicitDeny);

    // An unresolvable variable invalidates the value even under a negated operator.
    let negated = identity(
        r#""Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"StringNotEquals":{"s3:prefix":"${aws:PrincipalTag/blocked}"}}"#,
    );
    let prefix = [("s3:prefix", vec![s("x/")])];
    assert_eq!(decide(&[&negated], &ctx("s3:ListBucket", "*", &prefix)), ImplicitDeny);

    // Multivalued keys cannot be variables.
    let multi = identity(r#""Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/${aws:TagKeys}""#);
    let keys = [("aws:TagKeys", vec![s("a"), s("b")])];
    assert_eq!(decide(&[&multi], &ctx("s3:GetObject", "arn:aws:s3:::bucket/a", &keys)), ImplicitDeny);

    // Numeric operators take no variables: the value stays literal (and is no number).
    let numeric = identity(
        r#""Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"NumericEquals":{"s3:max-keys":"${aws:username}"}}"#,
    );
    let max = [("s3:max-keys", vec![s("5")]), ("aws:username", vec![s("5")])];
    assert_eq!(decide(&[&numeric], &ctx("s3:ListBucket", "*", &max)), ImplicitDeny);
}
