//! Parse and validation: one row per `MalformedPolicyDocument` message (and the order in which AWS
//! reports them). Expected messages come from real AWS answers: the recorded `LocalStack` snapshot
//! (`shared/aws-recorded`), moto's AWS-verified `test_iam_policies.py` cases, and AWS answers
//! quoted in public issue reports (see error.rs).

use crate::policy::{ParseOptions, PolicyDocument, PolicyKind, PolicyVersion};

use PolicyKind::{Identity, Resource, ResourceScoped};

const STMT_OK: &str = r#""Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket""#;

fn v12(statement: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":{statement}}}"#)
}

fn with(extra: &str) -> String {
    v12(&format!("{{{STMT_OK},{extra}}}"))
}

fn refused(json: &str, kind: PolicyKind) -> String {
    match PolicyDocument::parse(json, kind) {
        Ok(_) => "<accepted>".to_string(),
        Err(e) => {
            assert_eq!(e.code(), "MalformedPolicyDocument");
            e.message().to_owned()
        }
    }
}

#[test]
fn invalid_json() {
    // Recorded from AWS: CreateRole with a trailing comma after `"Effect": "Allow"`.
    let trailing_comma = r#"
        {
          "Version": "2012-10-17",
          "Statement": [
            {
              "Action": "sts:AssumeRole",
              "Principal": "*",
              "Effect": "Allow",
            }
          ]
        }
        "#;
    let cases = [trailing_comma, "This is not a json document", "", "{", r#"{"Version":"2012-10-17""#];
    for json in cases {
        assert_eq!(refused(json, Resource), "This policy contains invalid Json", "{json}");
        assert_eq!(refused(json, Identity), "This policy contains invalid Json", "{json}");
    }
}

#[test]
fn malformed_messages() {
    let syntax = "Syntax errors in policy.";
    let legacy = "The policy failed legacy parsing";
    let version = "Policy document must be version 2012-10-17 or greater.";
    let cases: Vec<(String, PolicyKind, &str)> = vec![
        // Syntax: shape and element names (moto's AWS-verified cases).
        (r#"["Version"]"#.into(), Identity, syntax),
        (r#"{"Version":"2013-10-17","Statement":{}}"#.into(), Identity, syntax),
        (r#"{"Version":"2012-10-17"}"#.into(), Identity, syntax),
        (v12(r#"["afd"]"#), Identity, syntax),
        (v12("[]"), Identity, syntax),
        (
            format!(r#"{{"Version":"2012-10-17","Statement":{{{STMT_OK}}},"Extra field":"value"}}"#),
            Identity,
            syntax,
        ),
        (with(r#""Extra field":"value""#), Identity, syntax),
        (
            format!(r#"{{"Version":"2012-10-17","Id":["cd3a"],"Statement":{{{STMT_OK}}}}}"#),
            Identity,
            syntax,
        ),
        (
            format!(r#"{{"Version":"2012-10-17","Id":{{}},"Statement":{{{STMT_OK}}}}}"#),
            Identity,
            syntax,
        ),
        (
            v12(r#"{"Effect":"invalid","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"}"#),
            Identity,
            syntax,
        ),
        (v12(r#"{"Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"}"#), Identity, syntax),
        (
            v12(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":{"a":"arn:aws:s3:::b"}}"#),
            Identity,
            syntax,
        ),
        (
            v12(r#"{"Effect":"Deny","Action":"s3:ListBucket","Resource":["adfdf",{}]}"#),
            Identity,
            syntax,
        ),
        (with(r#""NotResource":[]"#), Identity, syntax),
        (with(r#""NotAction":"s3:Get*""#), Identity, syntax),
        (v12(r#"{"Effect":"Deny","Action":[[]],"Resource":"arn:aws:s3:::b"}"#), Identity, syntax),
        (v12(r#"{"Effect":"Allow","Action":{},"Resource":"arn:aws:s3:::b"}"#), Identity, syntax),
        (with(r#""Condition":[]"#), Identity, syntax),
        (with(r#""Condition":"a""#), Identity, syntax),
        (with(r#""Condition":{"a":"b"}"#), Identity, syntax),
        (with(r#""Condition":{"DateGreaterThan":"b"}"#), Identity, syntax),
        (with(r#""Condition":{"DateGreaterThan":[]}"#), Identity, syntax),
        (with(r#""Condition":{"DateGreaterThan":{"a":{}}}"#), Identity, syntax),
        (with(r#""Condition":{"x":{"a":"1"}}"#), Identity, syntax),
        (with(r#""Condition":{"ForAnyValue::StringEqualsIfExists":{"a":"asf"}}"#), Identity, syntax),
        (with(r#""Condition":{"StringEquals":{"a":null}}"#), Identity, syntax),
        // "You can add IfExists to the end of any condition operator name except the Null
        // condition" (condition operators page): NullIfExists is no operator.
        (with(r#""Condition":{"NullIfExists":{"a":"true"}}"#), Identity, syntax),
        (with(r#""Sid":{}"#), Identity, syntax),
        (with(r#""Sid":[]"#), Identity, syntax),
        (
            v12(r#"{"Effect":"Allow","Principal":"arn:aws:iam::111122223333:root","Action":"sts:AssumeRole"}"#),
            Resource,
            syntax,
        ),
        (
            v12(r#"{"Effect":"Allow","Principal":{"Users":"x"},"Action":"sts:AssumeRole"}"#),
            Resource,
            syntax,
        ),
        (
            v12(r#"{"Effect":"Allow","Principal":"*","NotPrincipal":"*","Action":"sts:AssumeRole"}"#),
            Resource,
            syntax,
        ),
        // Version: required for identity (managed) policies.
        (format!(r#"{{"Statement":{{{STMT_OK}}}}}"#), Identity, version),
        (format!(r#"{{"Version":"2008-10-17","Statement":{{{STMT_OK}}}}}"#), Identity, version),
        // Version is checked before Sid uniqueness and legacy parsing (moto's ordering cases).
        (
            r#"{"Statement":[{"Sid":"sdf","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"},{"Sid":"sdf","Effect":"Allow"}]}"#.into(),
            Identity,
            version,
        ),
        (
            r#"{"Statement":{"Effect":"denY","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"}}"#.into(),
            Identity,
            version,
        ),
        // Legacy parsing.
        (v12(r#"{"Effect":"denY","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"}"#), Identity, legacy),
        (with(r#""Condition":{"DateGreaterThan":{"a":"sdfdsf"}}"#), Identity, legacy),
        (with(r#""Condition":{"DateLessThanEquals":{"a":"234-13"}}"#), Identity, legacy),
        (
            with(r#""Condition":{"DateLessThanEquals":{"a":"2016-12-13t2:00:00.593194+1"}}"#),
            Identity,
            legacy,
        ),
        (with(r#""Condition":{"DateLessThan":{"a":"9223372036854775808"}}"#), Identity, legacy),
        (v12(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3::example_bucket"}"#), Identity, legacy),
        (v12(r#"{"Effect":"Allow","Resource":"arn:aws:s3::example_bucket"}"#), Identity, legacy),
        (v12(r#"{"Effect":"Allow","NotAction":"s3:ListBucket","Resource":"arn:aws::::example_bucket"}"#), Identity, legacy),
        (v12(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws::fdsasf"}"#), Identity, legacy),
        (
            v12(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:error:s3:::b","Condition":{"DateGreaterThan":{"a":"sdfdsf"}}}"#),
            Identity,
            legacy,
        ),
        // Sids.
        (
            v12(r#"[{"Sid":"sdf","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"},{"Sid":"sdf","Effect":"Allow"}]"#),
            Identity,
            "Statement IDs (SID) in a single policy must be unique.",
        ),
        (
            v12(r#"{"Sid":"has space","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"}"#),
            Identity,
            "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*",
        ),
        (
            v12(r#"{"Sid":"with-dash","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"}"#),
            Identity,
            "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*",
        ),
        // Actions and resources present.
        (v12(r#"{"Effect":"Allow","Resource":"arn:aws:s3:::b"}"#), Identity, "Policy statement must contain actions."),
        (v12(r#"{"Effect":"Allow"}"#), Identity, "Policy statement must contain actions."),
        (v12(r#"{"Effect":"Allow","Action":[],"Resource":"arn:aws:s3:::b"}"#), Identity, "Policy statement must contain actions."),
        (
            v12(r#"[{"Effect":"Deny"},{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"}]"#),
            Identity,
            "Policy statement must contain actions.",
        ),
        (v12(r#"{"Effect":"Allow","Action":"s3:ListBucket"}"#), Identity, "Policy statement must contain resources."),
        (v12(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":[]}"#), Identity, "Policy statement must contain resources."),
        (
            v12(r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}"#),
            ResourceScoped,
            "Policy statement must contain resources.",
        ),
        // Action vendors.
        (
            v12(r#"{"Effect":"Allow","Action":"invalid","Resource":"arn:aws:s3:::b"}"#),
            Identity,
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
        ),
        (
            v12(r#"{"Effect":"Allow","NotAction":"","Resource":"arn:aws:s3:::b"}"#),
            Identity,
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
        ),
        (
            v12(r#"{"Effect":"Allow","Action":"s3:List:Bucket","Resource":"arn:aws:s3:::b"}"#),
            Identity,
            "Actions/Condition can contain only one colon.",
        ),
        (
            v12(r#"{"Effect":"Allow","Action":"a a:ListBucket","Resource":"arn:aws:s3:::b"}"#),
            Identity,
            "Vendor a a is not valid",
        ),
        // Resource formats.
        (
            v12(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"invalid resource"}"#),
            Identity,
            r#"Resource invalid resource must be in ARN format or "*"."#,
        ),
        (
            v12(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":""}"#),
            Identity,
            r#"Resource  must be in ARN format or "*"."#,
        ),
        (
            v12(r#"{"Effect":"Allow","NotAction":"s3s:ListBucket","Resource":"a:bsdfdsafsad"}"#),
            Identity,
            r#"Partition "bsdfdsafsad" is not valid for resource "arn:bsdfdsafsad:*:*:*:*"."#,
        ),
        (
            v12(r#"{"Effect":"Allow","NotAction":"s3s:ListBucket","Resource":"a:b:cadfsdf"}"#),
            Identity,
            r#"Partition "b" is not valid for resource "arn:b:cadfsdf:*:*:*"."#,
        ),
        (
            v12(r#"{"Effect":"Allow","NotAction":"s3s:ListBucket","Resource":"a:b:c:d:e:f:g:h"}"#),
            Identity,
            r#"Partition "b" is not valid for resource "arn:b:c:d:e:f:g:h"."#,
        ),
        (
            v12(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"aws:s3:::example_bucket"}"#),
            Identity,
            r#"Partition "s3" is not valid for resource "arn:s3:::example_bucket:*"."#,
        ),
        (
            v12(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":["arn:error:s3:::example_bucket","arn:error:s3::example_bucket"]}"#),
            Identity,
            r#"Partition "error" is not valid for resource "arn:error:s3:::example_bucket"."#,
        ),
        (
            v12(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws"}"#),
            Identity,
            "Resource vendor must be fully qualified and cannot contain regexes.",
        ),
        (
            v12(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:iam:us-east-1::example_bucket"}"#),
            Identity,
            "IAM resource arn:aws:iam:us-east-1::example_bucket cannot contain region information.",
        ),
        (
            v12(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:us-east-1::example_bucket"}"#),
            Identity,
            "Resource arn:aws:s3:us-east-1::example_bucket can not contain region information.",
        ),
        (
            v12(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:iam:::example_bucket"}"#),
            Identity,
            r#"IAM resource path must either be "*", root, or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/."#,
        ),
        // A resource-format fault is reported after missing actions (moto's ordering).
        (
            v12(r#"[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"bad"},{"Effect":"Allow","Resource":"*"}]"#),
            Identity,
            "Policy statement must contain actions.",
        ),
        // Principal rules by kind.
        (
            v12(r#"{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:ListBucket","Resource":"*"}"#),
            Identity,
            "Policy document should not specify a principal.",
        ),
        (
            v12(r#"{"Effect":"Deny","NotPrincipal":{"AWS":"111122223333"},"Action":"s3:ListBucket","Resource":"*"}"#),
            Identity,
            "Policy document should not specify a principal.",
        ),
        (v12(r#"{"Effect":"Allow","Action":"sts:AssumeRole"}"#), Resource, "Missing required field Principal"),
        (
            v12(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}"#),
            ResourceScoped,
            "Missing required field Principal",
        ),
        (
            v12(r#"{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","Resource":"*"}"#),
            Resource,
            "Has prohibited field Resource",
        ),
        (
            v12(r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","NotResource":"*"}"#),
            Resource,
            "Has prohibited field Resource",
        ),
        (
            v12(r#"{"Effect":"Allow","Principal":{"AWS":[]},"Action":"sts:AssumeRole"}"#),
            Resource,
            "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy has a statement with no principals!",
        ),
        (
            v12(r#"{"Effect":"Allow","Principal":{"Service":""},"Action":"sts:AssumeRole"}"#),
            Resource,
            r#"Invalid principal in policy: "SERVICE":"""#,
        ),
        (
            v12(r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/*"},"Action":"sts:AssumeRole"}"#),
            Resource,
            r#"Invalid principal in policy: "AWS":"arn:aws:iam::111122223333:role/*""#,
        ),
        (
            v12(r#"{"Effect":"Allow","Principal":{"AWS":"alice"},"Action":"sts:AssumeRole"}"#),
            Resource,
            r#"Invalid principal in policy: "AWS":"alice""#,
        ),
    ];
    println!("{} malformed-document cases", cases.len());
    let mut failures = Vec::new();
    for (json, kind, want) in &cases {
        let got = refused(json, *kind);
        if got != *want {
            failures.push(format!("{json}\n  want: {want}\n  got:  {got}"));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases wrong:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

#[test]
fn accepted_documents() {
    // moto's AWS-verified valid documents (and a few trust/bucket policies).
    let identity = [
        v12(r#"{"Effect":"Allow","Action":"iam: asdf safdsf af ","Resource":"arn:aws:s3:::example_bucket"}"#),
        v12(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":["arn:aws:s3:::example_bucket","*"]}"#),
        v12(r#"{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::example_bucket"}"#),
        v12(r#"{"Effect":"Allow","Action":"fsx:ListBucket","Resource":"arn:aws:iam:::user/example_bucket"}"#),
        v12(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s33:::example_bucket"}"#),
        v12(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:fdsasf"}"#),
        v12(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:ec2:us-east-1::example_bucket"}"#),
        with(r#""Condition":{}"#),
        with(r#""Condition":{"x":{},"y":{}}"#),
        with(r#""Condition":{"DateGreaterThan":{}}"#),
        with(r#""Condition":{"DateGreaterThan":{"a":[]}}"#),
        with(r#""Condition":{"DateGreaterThan":{"a":"01T"}}"#),
        with(r#""Condition":{"StringEqualsIfExists":{"a":"asf"}}"#),
        with(r#""Condition":{"ForAnyValue:StringEqualsIfExists":{"a":"asf"}}"#),
        with(r#""Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":"Department"}}"#),
        with(r#""Condition":{"DateLessThanEquals":{"a":"2016-12-13T21:20:37.593194+00:00"}}"#),
        with(r#""Condition":{"DateLessThan":{"a":"-292275054"}}"#),
        with(r#""Condition":{"Bool":{"aws:SecureTransport":false},"NumericLessThan":{"s3:max-keys":10}}"#),
        v12(r#"{"Effect":"Allow","NotAction":"s3:ListBucket","NotResource":"*"}"#),
        v12(r#"{"Effect":"Allow","Action":"s3-s:ListBucket","Resource":"arn:aws:s3:::b"}"#),
        v12(r#"{"Effect":"Allow","Action":"s3.s:ListBucket","Resource":"arn:aws:s3:::b"}"#),
        v12(
            r#"[{"Sid":"","Effect":"Allow","Action":"rds:*","Resource":["arn:aws:rds:region:*:*"]},{"Sid":"","Effect":"Allow","Action":["rds:Describe*"],"Resource":["*"]}]"#,
        ),
        v12(
            r#"{"Sid":"","Effect":"Allow","Action":["s3:*"],"Resource":["arn:aws:s3:us-west-2:123456789012:accesspoint/my-access-point"]}"#,
        ),
        v12(r#"{"Effect":"Allow","Action":"iam:ChangePassword","Resource":"arn:aws:iam::*:user/${aws:username}"}"#),
        format!(r#"{{"Version":"2012-10-17","Id":"sdfsdfsdf","Statement":{{{STMT_OK}}}}}"#),
    ];
    for json in &identity {
        assert!(PolicyDocument::parse(json, Identity).is_ok(), "{json}");
    }
    let trust = [
        r#"{"Statement":{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com"]},"Action":["sts:AssumeRole"]}}"#
            .to_owned(),
        v12(
            r#"{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"x"}}}"#,
        ),
        v12(
            r#"{"Effect":"Allow","Principal":{"AWS":["111122223333","arn:aws:iam::444455556666:root","arn:aws:iam::111122223333:user/alice","arn:aws:sts::111122223333:assumed-role/r/s"]},"Action":"sts:AssumeRole"}"#,
        ),
        v12(
            r#"{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity"}"#,
        ),
    ];
    for json in &trust {
        assert!(PolicyDocument::parse(json, Resource).is_ok(), "{json}");
    }
    let bucket = v12(
        r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}"#,
    );
    assert!(PolicyDocument::parse(&bucket, ResourceScoped).is_ok());
}

#[test]
fn relaxed_version_and_document_accessors() {
    let json = format!(r#"{{"Statement":{{{STMT_OK}}}}}"#);
    let options = ParseOptions { kind: Identity, require_current_version: false, written_by_aws: false };
    let d = PolicyDocument::parse_with(&json, options).expect("inline documents may omit Version");
    assert_eq!(d.version(), PolicyVersion::Unspecified);
    assert_eq!(d.text(), json, "the submitted text is kept as is");
    assert_eq!(d.statements().len(), 1);
}
