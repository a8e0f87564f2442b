//! The evaluation logic (IAM User Guide, `reference_policies_evaluation-logic`,
//! `reference_policies_evaluation-logic-cross-account`, `access_policies_boundaries`,
//! `reference_policies_elements_principal`, `reference_policies_elements_notprincipal`).

use super::support::{ACCOUNT, OTHER_ACCOUNT, doc, identity, role_session, user};
use crate::policy::Decision::{Allowed, ExplicitDeny, ImplicitDeny};
use crate::policy::PolicyType::{Identity as IdentityType, PermissionsBoundary, Resource as ResourceType, Session};
use crate::policy::{
    Decision, Evaluation, EvaluationInput, PolicyDocument, PolicyKind, PolicyRef, PolicyType, Position, PrincipalRef,
    PrincipalType, RequestContext, ResourcePolicyMode, ResourcePolicyRef, context_keys, evaluate,
};

fn r<'a>(id: &'a str, d: &'a PolicyDocument) -> PolicyRef<'a> {
    PolicyRef { source_id: id, source_type: "IAM Policy", document: d }
}

/// What an evaluation should say: decision and the policy type blamed.
fn check(e: &Evaluation, decision: Decision, denied_by: Option<PolicyType>, what: &str) {
    assert_eq!((e.decision, e.denied_by), (decision, denied_by), "{what}");
}

fn request(principal: PrincipalRef, action: &str, resource: &str) -> RequestContext {
    RequestContext::builder(action, resource).principal(principal).build()
}

#[test]
fn explicit_deny_overrides_allow() {
    // The carlossalazar example: identity policy allows his bucket and denies `*log*` buckets;
    // the bucket policy also allows him.
    let id_policy = doc(
        r#"{"Version":"2012-10-17","Statement":[
            {"Sid":"AllowS3Self","Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::carlossalazar/*","arn:aws:s3:::carlossalazar"]},
            {"Sid":"DenyS3Logs","Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::*log*"}]}"#,
        PolicyKind::Identity,
    );
    let bucket = doc(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/carlossalazar"},"Action":"s3:*","Resource":["arn:aws:s3:::carlossalazar/*","arn:aws:s3:::carlossalazar"]}]}"#,
        PolicyKind::ResourceScoped,
    );
    let carlos = user("carlossalazar");
    for (resource, decision, blamed) in [
        ("arn:aws:s3:::carlossalazar-logs/f", ExplicitDeny, Some(IdentityType)),
        ("arn:aws:s3:::carlossalazar/f", Allowed, None),
    ] {
        let ctx = request(carlos.clone(), "s3:PutObject", resource);
        let mut input = EvaluationInput::new(&ctx);
        input.identity_policies = vec![r("carlos", &id_policy)];
        input.resource_policy =
            Some(ResourcePolicyRef { policy: r("bucket", &bucket), mode: ResourcePolicyMode::Additive });
        check(&evaluate(&input), decision, blamed, resource);
    }
}

#[test]
fn explicit_and_implicit_denies() {
    // The AllowGetList / DenyReports example: Get/List allowed, other IAM actions implicitly
    // denied, `*Report` explicitly denied even when another policy allows it.
    let p = doc(
        r#"{"Version":"2012-10-17","Statement":[
            {"Sid":"AllowGetList","Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"*"},
            {"Sid":"DenyReports","Effect":"Deny","Action":"iam:*Report","Resource":"*"}]}"#,
        PolicyKind::Identity,
    );
    let extra = identity(r#""Effect":"Allow","Action":"iam:GenerateCredentialReport","Resource":"*""#);
    let cases = [
        ("iam:GetUser", Allowed, None),
        ("iam:CreatePolicy", ImplicitDeny, Some(IdentityType)),
        ("iam:GetOrganizationsAccessReport", ExplicitDeny, Some(IdentityType)),
        ("iam:GenerateCredentialReport", ExplicitDeny, Some(IdentityType)),
    ];
    for (action, decision, blamed) in cases {
        let ctx = request(user("alice"), action, "*");
        let mut input = EvaluationInput::new(&ctx);
        input.identity_policies = vec![r("p", &p), r("extra", &extra)];
        let e = evaluate(&input);
        check(&e, decision, blamed, action);
        if decision == ExplicitDeny {
            assert!(e.matched_statements.iter().all(|m| m.sid.as_deref() == Some("DenyReports")));
        }
        if decision == ImplicitDeny {
            assert!(e.matched_statements.is_empty());
        }
    }
}

#[test]
fn permissions_boundary_narrows() {
    // access_policies_boundaries: effective permissions are the intersection of identity policies
    // and the boundary; an explicit deny in either wins.
    let id_all_s3 = identity(r#""Effect":"Allow","Action":"s3:*","Resource":"*""#);
    let boundary = identity(r#""Effect":"Allow","Action":["s3:GetObject","iam:GetUser"],"Resource":"*""#);
    let boundary_deny = doc(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}"#,
        PolicyKind::Identity,
    );
    let cases: [(&str, &PolicyDocument, Decision, Option<PolicyType>, Option<bool>); 4] = [
        ("s3:GetObject", &boundary, Allowed, None, Some(true)),
        ("s3:PutObject", &boundary, ImplicitDeny, Some(PermissionsBoundary), Some(false)),
        ("iam:GetUser", &boundary, ImplicitDeny, Some(IdentityType), Some(true)),
        // AllowedByPermissionsBoundary "true means that the permissions boundary does not deny the
        // action" (API reference, PermissionsBoundaryDecisionDetail): a denying boundary is false.
        ("s3:DeleteObject", &boundary_deny, ExplicitDeny, Some(PermissionsBoundary), Some(false)),
    ];
    for (action, b, decision, blamed, boundary_allows) in cases {
        let ctx = request(user("alice"), action, "arn:aws:s3:::b/k");
        let mut input = EvaluationInput::new(&ctx);
        input.identity_policies = vec![r("id", &id_all_s3)];
        input.permissions_boundary = Some(r("boundary", b));
        let e = evaluate(&input);
        check(&e, decision, blamed, action);
        assert_eq!(e.allowed_by_permissions_boundary, boundary_allows, "{action}");
    }
}

#[test]
fn session_policies_narrow() {
    // access_policies (session policies): "the resulting session's permissions are the
    // intersection of the IAM entity's identity-based policy and the session policies".
    let role_policy = identity(r#""Effect":"Allow","Action":"s3:*","Resource":"*""#);
    let inline = identity(r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*""#);
    let managed = identity(r#""Effect":"Allow","Action":"s3:PutObject","Resource":"*""#);
    let session_deny = identity(r#""Effect":"Deny","Action":"s3:GetObject","Resource":"*""#);
    let caller = role_session("reader", "s1");
    let run = |action: &str, sessions: Option<Vec<&PolicyDocument>>| {
        let ctx = request(caller.clone(), action, "arn:aws:s3:::b/k");
        let mut input = EvaluationInput::new(&ctx);
        input.identity_policies = vec![r("role", &role_policy)];
        input.session_policies = sessions.map(|v| v.into_iter().map(|d| r("session", d)).collect());
        evaluate(&input)
    };
    check(&run("s3:GetObject", Some(vec![&inline])), Allowed, None, "allowed by both");
    check(&run("s3:DeleteObject", Some(vec![&inline])), ImplicitDeny, Some(Session), "not in session policy");
    // Several session policies together bound the session.
    check(&run("s3:PutObject", Some(vec![&inline, &managed])), Allowed, None, "second session policy");
    // No session policy: the role's permissions.
    check(&run("s3:DeleteObject", None), Allowed, None, "no session policy");
    // A session whose session policies allow nothing (e.g. GetFederationToken without a policy).
    check(&run("s3:GetObject", Some(vec![])), ImplicitDeny, Some(Session), "empty session policies");
    check(
        &run("s3:GetObject", Some(vec![&inline, &session_deny])),
        ExplicitDeny,
        Some(Session),
        "deny in session policy",
    );
}

/// A bucket policy allowing `s3:GetObject` on `arn:aws:s3:::b/*` to `principal`.
fn bucket_for(principal: &str) -> PolicyDocument {
    doc(
        &format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}}}"#
        ),
        PolicyKind::ResourceScoped,
    )
}

#[test]
fn resource_policies_same_account() {
    // evaluation-logic "Resource-based policies" (same account): a grant to the user or the
    // session itself is not limited by identity, boundary or session policies; a grant to the
    // role ARN is limited by boundary and session policies; a grant to the account delegates to
    // the account's identity policies.
    let nothing = identity(r#""Effect":"Allow","Action":"sqs:SendMessage","Resource":"*""#);
    let s3_read = identity(r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*""#);
    let user_arn = format!("arn:aws:iam::{ACCOUNT}:user/alice");
    let role_arn = format!("arn:aws:iam::{ACCOUNT}:role/reader");
    let session_arn = format!("arn:aws:sts::{ACCOUNT}:assumed-role/reader/s1");
    let root_arn = format!("arn:aws:iam::{ACCOUNT}:root");

    struct Case<'a> {
        what: &'a str,
        caller: PrincipalRef,
        grantee: String,
        identity: &'a PolicyDocument,
        boundary: Option<&'a PolicyDocument>,
        session: Option<&'a PolicyDocument>,
        want: (Decision, Option<PolicyType>),
    }
    let cases = vec![
        Case {
            what: "user named, no identity allow",
            caller: user("alice"),
            grantee: user_arn.clone(),
            identity: &nothing,
            boundary: None,
            session: None,
            want: (Allowed, None),
        },
        Case {
            what: "user named, boundary silent",
            caller: user("alice"),
            grantee: user_arn.clone(),
            identity: &nothing,
            boundary: Some(&nothing),
            session: None,
            want: (Allowed, None),
        },
        Case {
            what: "other user named",
            caller: user("alice"),
            grantee: format!("arn:aws:iam::{ACCOUNT}:user/bob"),
            identity: &nothing,
            boundary: None,
            session: None,
            want: (ImplicitDeny, Some(IdentityType)),
        },
        Case {
            what: "other user named, identity allows",
            caller: user("alice"),
            grantee: format!("arn:aws:iam::{ACCOUNT}:user/bob"),
            identity: &s3_read,
            boundary: None,
            session: None,
            want: (Allowed, None),
        },
        Case {
            what: "account named, no identity allow",
            caller: user("alice"),
            grantee: ACCOUNT.to_owned(),
            identity: &nothing,
            boundary: None,
            session: None,
            want: (ImplicitDeny, Some(IdentityType)),
        },
        Case {
            what: "account root named, identity allows",
            caller: user("alice"),
            grantee: root_arn.clone(),
            identity: &s3_read,
            boundary: None,
            session: None,
            want: (Allowed, None),
        },
        Case {
            what: "role named, no identity allow",
            caller: role_session("reader", "s1"),
            grantee: role_arn.clone(),
            identity: &nothing,
            boundary: None,
            session: None,
            want: (Allowed, None),
        },
        Case {
            what: "role named, session policy silent",
            caller: role_session("reader", "s1"),
            grantee: role_arn.clone(),
            identity: &nothing,
            boundary: None,
            session: Some(&nothing),
            want: (ImplicitDeny, Some(Session)),
        },
        Case {
            what: "role named, boundary silent",
            caller: role_session("reader", "s1"),
            grantee: role_arn.clone(),
            identity: &nothing,
            boundary: Some(&nothing),
            session: None,
            want: (ImplicitDeny, Some(PermissionsBoundary)),
        },
        Case {
            what: "session named, session policy silent",
            caller: role_session("reader", "s1"),
            grantee: session_arn.clone(),
            identity: &nothing,
            boundary: Some(&nothing),
            session: Some(&nothing),
            want: (Allowed, None),
        },
        Case {
            what: "other session of the role named",
            caller: role_session("reader", "s2"),
            grantee: session_arn.clone(),
            identity: &nothing,
            boundary: None,
            session: None,
            want: (ImplicitDeny, Some(IdentityType)),
        },
    ];
    for c in &cases {
        let bucket = bucket_for(&c.grantee);
        let ctx = request(c.caller.clone(), "s3:GetObject", "arn:aws:s3:::b/k");
        let mut input = EvaluationInput::new(&ctx);
        input.identity_policies = vec![r("id", c.identity)];
        input.permissions_boundary = c.boundary.map(|b| r("boundary", b));
        input.session_policies = c.session.map(|s| vec![r("session", s)]);
        input.resource_policy =
            Some(ResourcePolicyRef { policy: r("bucket", &bucket), mode: ResourcePolicyMode::Additive });
        input.resource_account = Some(ACCOUNT);
        check(&evaluate(&input), c.want.0, c.want.1, c.what);
    }

    // An explicit deny in the bucket policy wins over the identity allow.
    let deny = doc(
        &format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Deny","Principal":{{"AWS":"{user_arn}"}},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}}}}"#
        ),
        PolicyKind::ResourceScoped,
    );
    let ctx = request(user("alice"), "s3:GetObject", "arn:aws:s3:::b/k");
    let mut input = EvaluationInput::new(&ctx);
    input.identity_policies = vec![r("id", &s3_read)];
    input.resource_policy = Some(ResourcePolicyRef { policy: r("bucket", &deny), mode: ResourcePolicyMode::Additive });
    check(&evaluate(&input), ExplicitDeny, Some(ResourceType), "deny in bucket policy");
}

#[test]
fn resource_policies_cross_account() {
    // reference_policies_evaluation-logic-cross-account: both the identity policy in the
    // caller's account and the resource-based policy must allow.
    let s3_read = identity(r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*""#);
    let nothing = identity(r#""Effect":"Allow","Action":"sqs:SendMessage","Resource":"*""#);
    let trusted_account = bucket_for(ACCOUNT);
    let trusted_user = bucket_for(&format!("arn:aws:iam::{ACCOUNT}:user/alice"));
    let cases: [(&str, &PolicyDocument, Option<&PolicyDocument>, Decision, Option<PolicyType>); 4] = [
        ("both allow", &s3_read, Some(&trusted_account), Allowed, None),
        ("no bucket policy", &s3_read, None, ImplicitDeny, Some(ResourceType)),
        ("bucket names user, identity silent", &nothing, Some(&trusted_user), ImplicitDeny, Some(IdentityType)),
        ("bucket names user, identity allows", &s3_read, Some(&trusted_user), Allowed, None),
    ];
    for (what, id, bucket, decision, blamed) in cases {
        let ctx = request(user("alice"), "s3:GetObject", "arn:aws:s3:::b/k");
        let mut input = EvaluationInput::new(&ctx);
        input.identity_policies = vec![r("id", id)];
        input.resource_policy =
            bucket.map(|b| ResourcePolicyRef { policy: r("bucket", b), mode: ResourcePolicyMode::Additive });
        input.resource_account = Some(OTHER_ACCOUNT);
        check(&evaluate(&input), decision, blamed, what);
    }
}

fn trust(principal_json: &str, extra: &str) -> PolicyDocument {
    doc(
        &format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{principal_json},"Action":["sts:AssumeRole","sts:AssumeRoleWithWebIdentity"]{extra}}}]}}"#
        ),
        PolicyKind::Resource,
    )
}

#[test]
fn trust_policies() {
    // A role trust policy must allow (evaluation-logic: role trust policies "must explicitly allow
    // access for principals"); naming the account delegates to the caller's identity policies;
    // across accounts the caller's identity policy must allow too.
    let can_assume = identity(r#""Effect":"Allow","Action":"sts:AssumeRole","Resource":"*""#);
    let nothing = identity(r#""Effect":"Allow","Action":"s3:ListBucket","Resource":"*""#);
    let role = format!("arn:aws:iam::{ACCOUNT}:role/target");
    let other_user =
        PrincipalRef::new(PrincipalType::User, format!("arn:aws:iam::{OTHER_ACCOUNT}:user/carol"), OTHER_ACCOUNT);
    let ec2 = PrincipalRef::new(PrincipalType::Service, "ec2.amazonaws.com", "");
    let lambda = PrincipalRef::new(PrincipalType::Service, "lambda.amazonaws.com", "");
    let cognito = PrincipalRef::new(PrincipalType::Federated, "cognito-identity.amazonaws.com", "");

    let by_user = trust(&format!(r#"{{"AWS":"arn:aws:iam::{ACCOUNT}:user/alice"}}"#), "");
    let by_account = trust(&format!(r#"{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}}"#), "");
    let by_other_account = trust(&format!(r#"{{"AWS":"{OTHER_ACCOUNT}"}}"#), "");
    let by_session = trust(&format!(r#"{{"AWS":"arn:aws:sts::{ACCOUNT}:assumed-role/ops/s1"}}"#), "");
    let by_role = trust(&format!(r#"{{"AWS":"arn:aws:iam::{ACCOUNT}:role/ops"}}"#), "");
    let by_service = trust(r#"{"Service":"ec2.amazonaws.com"}"#, "");
    let by_idp = trust(
        r#"{"Federated":"cognito-identity.amazonaws.com"}"#,
        r#","Condition":{"StringEquals":{"cognito-identity.amazonaws.com:aud":"pool-1"}}"#,
    );
    let by_anyone_with_id = trust(r#""*""#, r#","Condition":{"StringEquals":{"sts:ExternalId":"secret"}}"#);

    let run = |what: &str,
               t: &PolicyDocument,
               caller: PrincipalRef,
               id: Option<&PolicyDocument>,
               keys: &[(&str, &str)],
               want: (Decision, Option<PolicyType>)| {
        let mut b = RequestContext::builder("sts:AssumeRole", role.as_str()).principal(caller);
        for (k, v) in keys {
            b = b.value(k, *v);
        }
        let ctx = b.build();
        let mut input = EvaluationInput::new(&ctx);
        input.identity_policies = id.into_iter().map(|d| r("id", d)).collect();
        input.resource_policy = Some(ResourcePolicyRef { policy: r("trust", t), mode: ResourcePolicyMode::Required });
        input.resource_account = Some(ACCOUNT);
        check(&evaluate(&input), want.0, want.1, what);
    };
    run("user named, same account", &by_user, user("alice"), None, &[], (Allowed, None));
    run("other user", &by_user, user("bob"), Some(&can_assume), &[], (ImplicitDeny, Some(ResourceType)));
    run("account named, identity allows", &by_account, user("bob"), Some(&can_assume), &[], (Allowed, None));
    run(
        "account named, identity silent",
        &by_account,
        user("bob"),
        Some(&nothing),
        &[],
        (ImplicitDeny, Some(IdentityType)),
    );
    run(
        "cross-account, identity allows",
        &by_other_account,
        other_user.clone(),
        Some(&can_assume),
        &[],
        (Allowed, None),
    );
    run(
        "cross-account, identity silent",
        &by_other_account,
        other_user.clone(),
        Some(&nothing),
        &[],
        (ImplicitDeny, Some(IdentityType)),
    );
    run(
        "cross-account, trust names another account",
        &by_account,
        other_user,
        Some(&can_assume),
        &[],
        (ImplicitDeny, Some(ResourceType)),
    );
    run("session named", &by_session, role_session("ops", "s1"), None, &[], (Allowed, None));
    run(
        "other session of that role",
        &by_session,
        role_session("ops", "s2"),
        Some(&can_assume),
        &[],
        (ImplicitDeny, Some(ResourceType)),
    );
    run("role named, its session", &by_role, role_session("ops", "s9"), None, &[], (Allowed, None));
    run("service named", &by_service, ec2, None, &[], (Allowed, None));
    run("other service", &by_service, lambda, None, &[], (ImplicitDeny, Some(ResourceType)));
    run(
        "idp, audience matches",
        &by_idp,
        cognito.clone(),
        None,
        &[("cognito-identity.amazonaws.com:aud", "pool-1")],
        (Allowed, None),
    );
    run(
        "idp, audience differs",
        &by_idp,
        cognito,
        None,
        &[("cognito-identity.amazonaws.com:aud", "pool-2")],
        (ImplicitDeny, Some(ResourceType)),
    );
    run(
        "anyone with external id",
        &by_anyone_with_id,
        user("bob"),
        None,
        &[("sts:ExternalId", "secret")],
        (Allowed, None),
    );
    run(
        "anyone, wrong external id",
        &by_anyone_with_id,
        user("bob"),
        Some(&can_assume),
        &[("sts:ExternalId", "nope")],
        (ImplicitDeny, Some(ResourceType)),
    );
}

#[test]
fn not_principal() {
    // reference_policies_elements_notprincipal: Deny + NotPrincipal denies everyone not listed;
    // the account of a listed principal must be listed too, or the deny still reaches it.
    let allow = doc(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#,
        PolicyKind::ResourceScoped,
    );
    let deny_but = |listed: &str| {
        doc(
            &format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}},{{"Effect":"Deny","NotPrincipal":{{"AWS":[{listed}]}},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}}]}}"#
            ),
            PolicyKind::ResourceScoped,
        )
    };
    let with_account = deny_but(&format!(r#""arn:aws:iam::{ACCOUNT}:user/admin","arn:aws:iam::{ACCOUNT}:root""#));
    let without_account = deny_but(&format!(r#""arn:aws:iam::{ACCOUNT}:user/admin""#));
    let session_listed = deny_but(&format!(
        r#""arn:aws:sts::{ACCOUNT}:assumed-role/ops/s1","arn:aws:iam::{ACCOUNT}:role/ops","{ACCOUNT}""#
    ));
    let cases: [(&str, &PolicyDocument, PrincipalRef, Decision); 6] = [
        ("no deny statement", &allow, user("bob"), Allowed),
        ("listed with its account", &with_account, user("admin"), Allowed),
        ("not listed", &with_account, user("bob"), ExplicitDeny),
        ("listed without its account", &without_account, user("admin"), ExplicitDeny),
        ("session, role and account listed", &session_listed, role_session("ops", "s1"), Allowed),
        ("another session of the role", &session_listed, role_session("ops", "s2"), ExplicitDeny),
    ];
    for (what, bucket, caller, want) in cases {
        let ctx = request(caller, "s3:GetObject", "arn:aws:s3:::b/k");
        let mut input = EvaluationInput::new(&ctx);
        input.resource_policy =
            Some(ResourcePolicyRef { policy: r("bucket", bucket), mode: ResourcePolicyMode::Additive });
        assert_eq!(evaluate(&input).decision, want, "{what}");
    }
}

#[test]
fn anonymous_callers() {
    // Only a resource-based policy naming everyone can allow an unauthenticated request.
    let public = doc(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::public/*"}}"#,
        PolicyKind::ResourceScoped,
    );
    let named = bucket_for(&format!("arn:aws:iam::{ACCOUNT}:user/alice"));
    for (bucket, resource, want) in [
        (Some(&public), "arn:aws:s3:::public/x", (Allowed, None)),
        (Some(&public), "arn:aws:s3:::private/x", (ImplicitDeny, Some(ResourceType))),
        (Some(&named), "arn:aws:s3:::b/x", (ImplicitDeny, Some(ResourceType))),
        (None, "arn:aws:s3:::public/x", (ImplicitDeny, Some(ResourceType))),
    ] {
        let ctx = RequestContext::builder("s3:GetObject", resource).build();
        let mut input = EvaluationInput::new(&ctx);
        input.resource_policy =
            bucket.map(|b| ResourcePolicyRef { policy: r("bucket", b), mode: ResourcePolicyMode::Additive });
        check(&evaluate(&input), want.0, want.1, resource);
    }
}

#[test]
fn matched_statement_positions() {
    // AWS answered StartPosition (1, 41) and EndPosition (1, 113) for this document, as Python's
    // json.dumps wrote it (shared/aws-recorded/iam.recorded.json, test_simulate_principle_policy).
    let recorded = r#"{"Version": "2012-10-17", "Statement": {"Sid": "", "Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}}"#;
    let p = doc(recorded, PolicyKind::Identity);
    let ctx = request(user("alice"), "s3:PutObject", "arn:aws:s3:::bucket");
    let mut input = EvaluationInput::new(&ctx);
    input.identity_policies =
        vec![PolicyRef { source_id: "arn:aws:iam::111122223333:policy/p", source_type: "IAM Policy", document: &p }];
    let e = evaluate(&input);
    assert_eq!(e.decision, Allowed);
    let m = e.matched_statements.first().expect("one matched statement");
    assert_eq!(m.start_position, Position { line: 1, column: 41 });
    assert_eq!(m.end_position, Position { line: 1, column: 113 });
    assert_eq!(m.source_policy_id, "arn:aws:iam::111122223333:policy/p");
    assert_eq!(m.source_policy_type, "IAM Policy");
    // The action it does not allow: implicit deny, nothing matched (as recorded).
    let ctx = request(user("alice"), "s3:GetObjectVersion", "arn:aws:s3:::bucket");
    let mut input = EvaluationInput::new(&ctx);
    input.identity_policies = vec![r("p", &p)];
    let e = evaluate(&input);
    assert_eq!((e.decision.as_aws_str(), e.matched_statements.len()), ("implicitDeny", 0));

    // Several lines, statements in an array, CRLF line ends.
    let multi = "{\r\n  \"Version\": \"2012-10-17\",\r\n  \"Statement\": [\r\n    {\"Sid\": \"A\", \"Effect\": \"Allow\", \"Action\": \"s3:GetObject\", \"Resource\": \"*\"},\r\n    {\"Sid\": \"B\",\r\n     \"Effect\": \"Deny\", \"Action\": \"s3:DeleteObject\", \"Resource\": \"*\"}\r\n  ]\r\n}";
    let p = doc(multi, PolicyKind::Identity);
    let spans: Vec<_> = p.statements().iter().map(|s| (s.span().start, s.span().end)).collect();
    assert_eq!(
        spans,
        vec![
            (Position { line: 4, column: 6 }, Position { line: 4, column: 79 }),
            (Position { line: 5, column: 6 }, Position { line: 6, column: 69 }),
        ]
    );
}

#[test]
fn missing_context_values() {
    let p = doc(
        r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{
                "StringLike":{"s3:prefix":"home/*"},
                "IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"},
                "Null":{"aws:TokenIssueTime":"true"},
                "StringEquals":{"aws:PrincipalTag/team":"${aws:PrincipalTag/Team, 'none'}","S3:PREFIX":"x"}}},
            {"Effect":"Allow","Action":"ec2:*","Resource":"*","Condition":{"StringEquals":{"ec2:Region":"x"}}}]}"#,
        PolicyKind::Identity,
    );
    let ctx = request(user("alice"), "s3:ListBucket", "arn:aws:s3:::b");
    let mut input = EvaluationInput::new(&ctx);
    input.identity_policies = vec![r("p", &p)];
    let e = evaluate(&input);
    assert_eq!(e.decision, ImplicitDeny);
    // Keys of statements that apply to the action, without IfExists/Null keys, variable keys with
    // a default, or case duplicates. Within one Condition block operators and keys come in sorted
    // order (JSON object order is not kept), so `StringEquals`'s `S3:PREFIX` is seen first.
    assert_eq!(e.missing_context_values, vec!["S3:PREFIX".to_owned(), "aws:PrincipalTag/team".to_owned()]);
}

#[test]
fn context_keys_of_policies() {
    let p = doc(
        r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}/*","Condition":{"StringLike":{"s3:prefix":"${aws:username}/*"}}},
            {"Effect":"Deny","Action":"*","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"},"Bool":{"AWS:MultiFactorAuthPresent":"false"}}}]}"#,
        PolicyKind::Identity,
    );
    let t = trust(r#""*""#, r#","Condition":{"StringEquals":{"sts:ExternalId":"x"}}"#);
    // Statements in document order, Resource before Condition within one (the CLI reference's
    // get-context-keys-for-custom-policy example answers `aws:username` from the Resource before
    // `aws:CurrentTime` from the Condition); within a Condition block operators in sorted order
    // (`Bool` before `BoolIfExists`), so the first spelling seen is `AWS:MultiFactorAuthPresent`.
    assert_eq!(
        context_keys([&p, &t]),
        vec!["aws:username", "s3:prefix", "AWS:MultiFactorAuthPresent", "sts:ExternalId"]
    );
}

#[test]
fn size_quotas() {
    use crate::policy::{PolicySizeQuota, policy_size};
    assert_eq!(policy_size("{ \"a\" :\n\t\"b c\" }"), 10, "whitespace is not counted, even inside strings");
    let cases = [
        (PolicySizeQuota::ManagedPolicy, "Cannot exceed quota for PolicySize: 6144"),
        (PolicySizeQuota::RoleTrust, "Cannot exceed quota for ACLSizePerRole: 2048"),
        (PolicySizeQuota::UserInline, "Maximum policy size of 2048 bytes exceeded for user alice"),
        (PolicySizeQuota::GroupInline, "Maximum policy size of 5120 bytes exceeded for group alice"),
        (PolicySizeQuota::RoleInline, "Maximum policy size of 10240 bytes exceeded for role alice"),
    ];
    for (quota, message) in cases {
        assert!(quota.check(quota.limit(), "alice").is_ok());
        let e = quota.check(quota.limit() + 1, "alice").expect_err("over the quota");
        assert_eq!((e.code(), e.message()), ("LimitExceeded", message));
    }
}
