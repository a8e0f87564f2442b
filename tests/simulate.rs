//! The policy simulator through the official AWS SDK for Rust: SimulatePrincipalPolicy,
//! SimulateCustomPolicy, GetContextKeysForPrincipalPolicy and GetContextKeysForCustomPolicy.
//! Expected decisions follow AWS's documented evaluation logic; the response shapes follow
//! answers recorded from AWS (`shared/aws-recorded/iam.recorded.json`).

mod common;

use aws_sdk_iam::types::{ContextEntry, ContextKeyTypeEnum, EvaluationResult, Statement};
use common::{ACCOUNT, Daemon, aws_error, http_status};

fn user_arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:user/{name}")
}

fn decision(r: &EvaluationResult) -> &str {
    r.eval_decision().as_str()
}

/// `(SourcePolicyId, SourcePolicyType, (line, column) start, (line, column) end)`.
fn located(s: &Statement) -> (String, String, (i32, i32), (i32, i32)) {
    let start = s.start_position().unwrap();
    let end = s.end_position().unwrap();
    (
        s.source_policy_id().unwrap().to_owned(),
        s.source_policy_type().unwrap().as_str().to_owned(),
        (start.line(), start.column()),
        (end.line(), end.column()),
    )
}

/// AWS reports a statement's position as the line and 1-based column just after its opening
/// and closing braces; for a one-line ASCII document that is the brace's byte offset + 2.
fn after(document: &str, brace_offset: usize) -> (i32, i32) {
    assert!(matches!(document.as_bytes()[brace_offset], b'{' | b'}'));
    (1, i32::try_from(brace_offset).unwrap() + 2)
}

fn entry(name: &str, kind: ContextKeyTypeEnum, values: &[&str]) -> ContextEntry {
    let mut b = ContextEntry::builder().context_key_name(name).context_key_type(kind);
    for v in values {
        b = b.context_key_values(*v);
    }
    b.build()
}

async fn put_user_policy(d: &Daemon, user: &str, name: &str, document: &str) {
    d.root_iam().put_user_policy().user_name(user).policy_name(name).policy_document(document).send().await.unwrap();
}

async fn create_user(d: &Daemon, name: &str) {
    d.root_iam().create_user().user_name(name).send().await.unwrap();
}

const P1_OBJECTS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::data/projects/p1/*"}]}"#;

#[tokio::test]
async fn principal_policy_allows_only_the_granted_prefix() {
    let d = Daemon::start().await;
    create_user(&d, "alice").await;
    put_user_policy(&d, "alice", "p1-read", P1_OBJECTS).await;

    let out = d
        .root_iam()
        .simulate_principal_policy()
        .policy_source_arn(user_arn("alice"))
        .action_names("s3:GetObject")
        .action_names("s3:PutObject")
        .resource_arns("arn:aws:s3:::data/projects/p1/x")
        .resource_arns("arn:aws:s3:::data/projects/p2/x")
        .send()
        .await
        .unwrap();
    assert!(!out.is_truncated());
    let got: Vec<(&str, &str, &str)> = out
        .evaluation_results()
        .iter()
        .map(|r| (r.eval_action_name(), r.eval_resource_name().unwrap(), decision(r)))
        .collect();
    assert_eq!(
        got,
        [
            ("s3:GetObject", "arn:aws:s3:::data/projects/p1/x", "allowed"),
            ("s3:GetObject", "arn:aws:s3:::data/projects/p2/x", "implicitDeny"),
            ("s3:PutObject", "arn:aws:s3:::data/projects/p1/x", "implicitDeny"),
            ("s3:PutObject", "arn:aws:s3:::data/projects/p2/x", "implicitDeny"),
        ]
    );

    let allowed = &out.evaluation_results()[0];
    let statement_at = P1_OBJECTS.find("{\"Effect\"").unwrap();
    let end_at = P1_OBJECTS.rfind('}').unwrap() - 2;
    let expected = (
        "user_alice_p1-read".to_owned(),
        "IAM Policy".to_owned(),
        after(P1_OBJECTS, statement_at),
        after(P1_OBJECTS, end_at),
    );
    assert_eq!(allowed.matched_statements().iter().map(located).collect::<Vec<_>>(), std::slice::from_ref(&expected));
    assert!(allowed.missing_context_values().is_empty());
    assert!(allowed.permissions_boundary_decision_detail().is_none(), "no boundary is involved");
    assert!(allowed.eval_decision_details().is_some_and(|m| m.is_empty()));
    let [specific] = allowed.resource_specific_results() else { panic!("one result per resource") };
    assert_eq!(specific.eval_resource_name(), "arn:aws:s3:::data/projects/p1/x");
    assert_eq!(specific.eval_resource_decision().as_str(), "allowed");
    assert_eq!(specific.matched_statements().iter().map(located).collect::<Vec<_>>(), [expected]);

    let denied = &out.evaluation_results()[1];
    assert!(denied.matched_statements().is_empty());
    assert_eq!(denied.resource_specific_results()[0].eval_resource_decision().as_str(), "implicitDeny");
}

/// The answer AWS gave for a customer managed policy attached to a user, a group or a role
/// (`test_simulate_principle_policy[user]` / `[group]` / `[role]` in the recorded responses).
#[tokio::test]
async fn attached_managed_policy_matches_the_recorded_aws_answer() {
    let d = Daemon::start().await;
    let root = d.root_iam();
    let document = r#"{"Version": "2012-10-17", "Statement": {"Sid": "", "Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}}"#;
    let policy = root.create_policy().policy_name("put").policy_document(document).send().await.unwrap();
    let policy_arn = policy.policy.unwrap().arn.unwrap();
    create_user(&d, "u").await;
    root.attach_user_policy().user_name("u").policy_arn(&policy_arn).send().await.unwrap();
    let group = root.create_group().group_name("g").send().await.unwrap().group.unwrap();
    root.attach_group_policy().group_name("g").policy_arn(&policy_arn).send().await.unwrap();
    let trust = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"apigateway.amazonaws.com"},"Action":"sts:AssumeRole"}}"#;
    let role = root.create_role().role_name("r").assume_role_policy_document(trust).send().await.unwrap();
    root.attach_role_policy().role_name("r").policy_arn(&policy_arn).send().await.unwrap();

    for source in [user_arn("u"), group.arn, role.role.unwrap().arn] {
        let out = root
            .simulate_principal_policy()
            .policy_source_arn(&source)
            .action_names("s3:PutObject")
            .action_names("s3:GetObjectVersion")
            .resource_arns("arn:aws:s3:::bucket")
            .send()
            .await
            .unwrap();
        let [put, get] = out.evaluation_results() else { panic!("two results for {source}") };
        assert_eq!((put.eval_action_name(), decision(put)), ("s3:PutObject", "allowed"));
        // Managed policies are named by their name, not their ARN, in AWS's simulator output.
        let statement = ("put".to_owned(), "IAM Policy".to_owned(), (1, 41), (1, 113));
        assert_eq!(put.matched_statements().iter().map(located).collect::<Vec<_>>(), std::slice::from_ref(&statement));
        assert_eq!(
            put.resource_specific_results()[0].matched_statements().iter().map(located).collect::<Vec<_>>(),
            [statement]
        );
        assert!(put.eval_decision_details().is_some_and(|m| m.is_empty()));
        assert_eq!((get.eval_action_name(), decision(get)), ("s3:GetObjectVersion", "implicitDeny"));
        assert!(get.matched_statements().is_empty() && get.missing_context_values().is_empty());
        assert_eq!(get.resource_specific_results()[0].eval_resource_decision().as_str(), "implicitDeny");
        assert!(!out.is_truncated());
    }
}

#[tokio::test]
async fn context_entries_answer_conditions_and_missing_keys_are_reported() {
    let d = Daemon::start().await;
    create_user(&d, "lister").await;
    put_user_policy(
        &d,
        "lister",
        "list-p1",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::data","Condition":{"StringLike":{"s3:prefix":"projects/p1/*"}}}]}"#,
    )
    .await;
    let simulate = |prefix: Option<&str>| {
        let mut req = d
            .root_iam()
            .simulate_principal_policy()
            .policy_source_arn(user_arn("lister"))
            .action_names("s3:ListBucket")
            .resource_arns("arn:aws:s3:::data");
        if let Some(p) = prefix {
            req = req.context_entries(entry("s3:prefix", ContextKeyTypeEnum::String, &[p]));
        }
        req.send()
    };

    let out = simulate(Some("projects/p1/a")).await.unwrap();
    let r = &out.evaluation_results()[0];
    assert_eq!(decision(r), "allowed");
    assert!(r.missing_context_values().is_empty());

    let out = simulate(Some("projects/p2/")).await.unwrap();
    let r = &out.evaluation_results()[0];
    assert_eq!(decision(r), "implicitDeny");
    assert!(r.missing_context_values().is_empty());

    let out = simulate(None).await.unwrap();
    let r = &out.evaluation_results()[0];
    assert_eq!(decision(r), "implicitDeny");
    assert_eq!(r.missing_context_values(), ["s3:prefix"]);
    assert_eq!(r.resource_specific_results()[0].missing_context_values(), ["s3:prefix"]);

    let keys = d
        .root_iam()
        .get_context_keys_for_principal_policy()
        .policy_source_arn(user_arn("lister"))
        .send()
        .await
        .unwrap();
    assert_eq!(keys.context_key_names(), ["s3:prefix"]);
}

#[tokio::test]
async fn username_variable_scopes_home_directories() {
    let d = Daemon::start().await;
    let home = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::bucket/home/${aws:username}/*"}]}"#;
    for name in ["alice", "bob"] {
        create_user(&d, name).await;
    }
    let group = d.root_iam().create_group().group_name("staff").send().await.unwrap().group.unwrap();
    d.root_iam().put_group_policy().group_name("staff").policy_name("home").policy_document(home).send().await.unwrap();
    for name in ["alice", "bob"] {
        d.root_iam().add_user_to_group().group_name("staff").user_name(name).send().await.unwrap();
    }

    let out = d
        .root_iam()
        .simulate_principal_policy()
        .policy_source_arn(user_arn("alice"))
        .action_names("s3:PutObject")
        .resource_arns("arn:aws:s3:::bucket/home/alice/notes.txt")
        .resource_arns("arn:aws:s3:::bucket/home/bob/notes.txt")
        .send()
        .await
        .unwrap();
    let [own, other] = out.evaluation_results() else { panic!("two resources") };
    assert_eq!(decision(own), "allowed");
    // Inline policies are `{kind}_{entity}_{policy}`, all of type "IAM Policy", in AWS's output.
    assert_eq!(located(&own.matched_statements()[0]).0, "group_staff_home");
    assert_eq!(located(&own.matched_statements()[0]).1, "IAM Policy");
    assert_eq!(decision(other), "implicitDeny");

    // CallerArn: simulate bob calling with alice's policies.
    let out = d
        .root_iam()
        .simulate_principal_policy()
        .policy_source_arn(user_arn("alice"))
        .caller_arn(user_arn("bob"))
        .action_names("s3:GetObject")
        .resource_arns("arn:aws:s3:::bucket/home/alice/notes.txt")
        .resource_arns("arn:aws:s3:::bucket/home/bob/notes.txt")
        .send()
        .await
        .unwrap();
    let decisions: Vec<&str> = out.evaluation_results().iter().map(decision).collect();
    assert_eq!(decisions, ["implicitDeny", "allowed"]);

    // A group names no user: the variable has no value unless the request supplies one.
    let out = d
        .root_iam()
        .simulate_principal_policy()
        .policy_source_arn(&group.arn)
        .action_names("s3:GetObject")
        .resource_arns("arn:aws:s3:::bucket/home/alice/notes.txt")
        .send()
        .await
        .unwrap();
    let r = &out.evaluation_results()[0];
    assert_eq!(decision(r), "implicitDeny");
    assert_eq!(r.missing_context_values(), ["aws:username"]);
    let out = d
        .root_iam()
        .simulate_principal_policy()
        .policy_source_arn(&group.arn)
        .action_names("s3:GetObject")
        .resource_arns("arn:aws:s3:::bucket/home/alice/notes.txt")
        .context_entries(entry("aws:username", ContextKeyTypeEnum::String, &["alice"]))
        .send()
        .await
        .unwrap();
    assert_eq!(decision(&out.evaluation_results()[0]), "allowed");
}

/// An allow and a deny both match: the deny decides and is the statement reported.
const DENY_DELETE: &str = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Sid\": \"NoDelete\",\n      \"Effect\": \"Deny\",\n      \"Action\": \"s3:DeleteObject\",\n      \"Resource\": \"*\"\n    }\n  ]\n}";
const ALLOW_S3: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;

#[tokio::test]
async fn explicit_deny_wins_and_names_the_deny_statement() {
    let d = Daemon::start().await;
    create_user(&d, "carol").await;
    put_user_policy(&d, "carol", "s3-all", ALLOW_S3).await;
    put_user_policy(&d, "carol", "no-delete", DENY_DELETE).await;

    let out = d
        .root_iam()
        .simulate_principal_policy()
        .policy_source_arn(user_arn("carol"))
        .action_names("s3:DeleteObject")
        .action_names("s3:GetObject")
        .send()
        .await
        .unwrap();
    let [delete, get] = out.evaluation_results() else { panic!("two actions") };
    assert_eq!(decision(delete), "explicitDeny");
    assert_eq!(delete.eval_resource_name(), Some("*"));
    // The statement's `{` is on line 4 at column 5 and its `}` on line 9 at column 5.
    assert_eq!(
        delete.matched_statements().iter().map(located).collect::<Vec<_>>(),
        [("user_carol_no-delete".to_owned(), "IAM Policy".to_owned(), (4, 6), (9, 6))]
    );
    // No ResourceArns: no per-resource results and no decision details.
    assert!(delete.resource_specific_results().is_empty());
    assert!(delete.eval_decision_details().is_none());
    assert_eq!(decision(get), "allowed");
    assert_eq!(located(&get.matched_statements()[0]).0, "user_carol_s3-all");

    // A deny passed in PolicyInputList counts as one of the principal's policies.
    let out = d
        .root_iam()
        .simulate_principal_policy()
        .policy_source_arn(user_arn("carol"))
        .policy_input_list(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:Get*","Resource":"*"}}"#,
        )
        .action_names("s3:GetObject")
        .send()
        .await
        .unwrap();
    let r = &out.evaluation_results()[0];
    assert_eq!(decision(r), "explicitDeny");
    assert_eq!(r.matched_statements().iter().map(|s| located(s).0).collect::<Vec<_>>(), ["PolicyInputList.1"]);
}

#[tokio::test]
async fn group_managed_policy_counts_for_members_only() {
    let d = Daemon::start().await;
    let root = d.root_iam();
    let policy = root
        .create_policy()
        .policy_name("Reader")
        .path("/team/")
        .policy_document(P1_OBJECTS)
        .send()
        .await
        .unwrap()
        .policy
        .unwrap();
    let policy_arn = policy.arn.unwrap();
    root.create_group().group_name("readers").send().await.unwrap();
    root.attach_group_policy().group_name("readers").policy_arn(&policy_arn).send().await.unwrap();
    create_user(&d, "member").await;
    create_user(&d, "outsider").await;
    root.add_user_to_group().group_name("readers").user_name("member").send().await.unwrap();

    let simulate = |who: String| {
        root.simulate_principal_policy()
            .policy_source_arn(who)
            .action_names("s3:GetObject")
            .resource_arns("arn:aws:s3:::data/projects/p1/report.csv")
            .send()
    };
    let out = simulate(user_arn("member")).await.unwrap();
    let r = &out.evaluation_results()[0];
    assert_eq!(decision(r), "allowed");
    let (id, kind, _, _) = located(&r.matched_statements()[0]);
    assert_eq!((id.as_str(), kind.as_str()), ("Reader", "IAM Policy"));
    assert!(policy_arn.ends_with("/Reader"));

    let out = simulate(user_arn("outsider")).await.unwrap();
    assert_eq!(decision(&out.evaluation_results()[0]), "implicitDeny");
    let out = simulate(format!("arn:aws:iam::{ACCOUNT}:group/readers")).await.unwrap();
    assert_eq!(decision(&out.evaluation_results()[0]), "allowed");

    root.detach_group_policy().group_name("readers").policy_arn(&policy_arn).send().await.unwrap();
    let out = simulate(user_arn("member")).await.unwrap();
    assert_eq!(decision(&out.evaluation_results()[0]), "implicitDeny", "a detached policy stops counting");
}

#[tokio::test]
async fn permissions_boundary_narrows_and_can_be_replaced() {
    let d = Daemon::start().await;
    let root = d.root_iam();
    create_user(&d, "dave").await;
    put_user_policy(&d, "dave", "s3-all", ALLOW_S3).await;
    let boundary = root
        .create_policy()
        .policy_name("ReadOnlyBoundary")
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}]}"#,
        )
        .send()
        .await
        .unwrap()
        .policy
        .unwrap()
        .arn
        .unwrap();
    root.put_user_permissions_boundary().user_name("dave").permissions_boundary(&boundary).send().await.unwrap();

    let out = root
        .simulate_principal_policy()
        .policy_source_arn(user_arn("dave"))
        .action_names("s3:GetObject")
        .action_names("s3:PutObject")
        .resource_arns("arn:aws:s3:::bucket/key")
        .send()
        .await
        .unwrap();
    let [get, put] = out.evaluation_results() else { panic!("two actions") };
    assert_eq!(decision(get), "allowed");
    assert_eq!(get.permissions_boundary_decision_detail().map(|b| b.allowed_by_permissions_boundary()), Some(true));
    let sources: Vec<String> = get.matched_statements().iter().map(|s| located(s).0).collect();
    assert!(sources.contains(&"user_dave_s3-all".to_owned()), "{sources:?}");
    assert_eq!(decision(put), "implicitDeny");
    assert_eq!(put.permissions_boundary_decision_detail().map(|b| b.allowed_by_permissions_boundary()), Some(false));
    let specific = &put.resource_specific_results()[0];
    assert_eq!(
        specific.permissions_boundary_decision_detail().map(|b| b.allowed_by_permissions_boundary()),
        Some(false)
    );

    // PermissionsBoundaryPolicyInputList replaces the user's boundary for the simulation.
    let out = root
        .simulate_principal_policy()
        .policy_source_arn(user_arn("dave"))
        .permissions_boundary_policy_input_list(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"*"}]}"#,
        )
        .action_names("s3:GetObject")
        .action_names("s3:PutObject")
        .send()
        .await
        .unwrap();
    let decisions: Vec<&str> = out.evaluation_results().iter().map(decision).collect();
    assert_eq!(decisions, ["implicitDeny", "allowed"]);

    // SimulateCustomPolicy takes a boundary the same way; an explicit deny in it still decides.
    let out = root
        .simulate_custom_policy()
        .policy_input_list(ALLOW_S3)
        .permissions_boundary_policy_input_list(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"}]}"#,
        )
        .action_names("s3:DeleteBucket")
        .action_names("s3:ListBucket")
        .send()
        .await
        .unwrap();
    let decisions: Vec<&str> = out.evaluation_results().iter().map(decision).collect();
    assert_eq!(decisions, ["explicitDeny", "allowed"]);
    let deny = &out.evaluation_results()[0].matched_statements()[0];
    assert_eq!(located(deny).0, "PermissionsBoundaryPolicyInputList.1");
}

#[tokio::test]
async fn custom_policy_combines_its_documents() {
    let d = Daemon::start().await;
    let read = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::data/*"}]}"#;
    let write = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject","s3:GetObject"],"Resource":"arn:aws:s3:::data/*"},{"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::data/secret/*"}]}"#;
    let out = d
        .root_iam()
        .simulate_custom_policy()
        .policy_input_list(read)
        .policy_input_list(write)
        .action_names("s3:GetObject")
        .action_names("s3:PutObject")
        .action_names("s3:DeleteObject")
        .resource_arns("arn:aws:s3:::data/public/a")
        .resource_arns("arn:aws:s3:::data/secret/b")
        .send()
        .await
        .unwrap();
    let got: Vec<(&str, &str, &str)> = out
        .evaluation_results()
        .iter()
        .map(|r| (r.eval_action_name(), r.eval_resource_name().unwrap(), decision(r)))
        .collect();
    assert_eq!(
        got,
        [
            ("s3:GetObject", "arn:aws:s3:::data/public/a", "allowed"),
            ("s3:GetObject", "arn:aws:s3:::data/secret/b", "explicitDeny"),
            ("s3:PutObject", "arn:aws:s3:::data/public/a", "allowed"),
            ("s3:PutObject", "arn:aws:s3:::data/secret/b", "explicitDeny"),
            ("s3:DeleteObject", "arn:aws:s3:::data/public/a", "implicitDeny"),
            ("s3:DeleteObject", "arn:aws:s3:::data/secret/b", "explicitDeny"),
        ]
    );
    // Both documents' allows matched the read; each is labelled by its place in the list.
    let get = &out.evaluation_results()[0];
    let first = read.find("{\"Effect\"").unwrap();
    let second = write.find("{\"Effect\"").unwrap();
    let second_end = write.find("},{").unwrap();
    assert_eq!(
        get.matched_statements().iter().map(located).collect::<Vec<_>>(),
        [
            ("PolicyInputList.1".to_owned(), "IAM Policy".to_owned(), after(read, first), after(read, read.len() - 3)),
            ("PolicyInputList.2".to_owned(), "IAM Policy".to_owned(), after(write, second), after(write, second_end)),
        ]
    );
    let deny = &out.evaluation_results()[1].matched_statements()[0];
    let deny_at = write.find("{\"Effect\":\"Deny\"").unwrap();
    assert_eq!(
        located(deny),
        ("PolicyInputList.2".to_owned(), "IAM Policy".to_owned(), after(write, deny_at), after(write, write.len() - 3))
    );
}

#[tokio::test]
async fn typed_context_entries_reach_their_operators() {
    let d = Daemon::start().await;
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{
        "NumericLessThanEquals":{"s3:max-keys":"10"},
        "DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"},
        "IpAddress":{"aws:SourceIp":"10.0.0.0/8"},
        "Bool":{"aws:SecureTransport":"true"},
        "ForAllValues:StringEquals":{"aws:TagKeys":["team","env"]}}}]}"#;
    let simulate = |entries: Vec<ContextEntry>| {
        d.root_iam()
            .simulate_custom_policy()
            .policy_input_list(policy)
            .action_names("s3:ListBucket")
            .set_context_entries(Some(entries))
            .send()
    };
    let good = || {
        vec![
            entry("s3:max-keys", ContextKeyTypeEnum::Numeric, &["5"]),
            entry("aws:CurrentTime", ContextKeyTypeEnum::Date, &["2019-04-25T11:00:00Z"]),
            entry("aws:SourceIp", ContextKeyTypeEnum::Ip, &["10.1.2.3"]),
            entry("aws:SecureTransport", ContextKeyTypeEnum::Boolean, &["true"]),
            entry("aws:TagKeys", ContextKeyTypeEnum::StringList, &["team", "env"]),
        ]
    };
    let out = simulate(good()).await.unwrap();
    assert_eq!(decision(&out.evaluation_results()[0]), "allowed");

    let mut changes: Vec<(usize, ContextEntry)> = vec![
        (0, entry("s3:max-keys", ContextKeyTypeEnum::Numeric, &["50"])),
        (1, entry("aws:CurrentTime", ContextKeyTypeEnum::Date, &["2017-01-01T00:00:00Z"])),
        (2, entry("aws:SourceIp", ContextKeyTypeEnum::Ip, &["192.168.0.1"])),
        (3, entry("aws:SecureTransport", ContextKeyTypeEnum::Boolean, &["false"])),
        (4, entry("aws:TagKeys", ContextKeyTypeEnum::StringList, &["team", "owner"])),
    ];
    for (i, changed) in changes.drain(..) {
        let mut entries = good();
        let key = changed.context_key_name().unwrap().to_owned();
        entries[i] = changed;
        let out = simulate(entries).await.unwrap();
        assert_eq!(decision(&out.evaluation_results()[0]), "implicitDeny", "{key}");
    }

    // Nothing from the real request fills the hypothetical one: every key is missing.
    let out = simulate(Vec::new()).await.unwrap();
    let r = &out.evaluation_results()[0];
    assert_eq!(decision(r), "implicitDeny");
    for key in ["s3:max-keys", "aws:CurrentTime", "aws:SourceIp", "aws:SecureTransport"] {
        assert!(r.missing_context_values().iter().any(|k| k == key), "{key} in {:?}", r.missing_context_values());
    }

    // A value that is not of its declared type is refused.
    let err = simulate(vec![entry("aws:SourceIp", ContextKeyTypeEnum::Ip, &["not-an-ip"])]).await.unwrap_err();
    assert_eq!(aws_error(&err).0, "InvalidInput");
    assert_eq!(http_status(&err), 400);
}

#[tokio::test]
async fn resource_policy_grants_the_named_caller() {
    let d = Daemon::start().await;
    create_user(&d, "erin").await;
    let bucket_policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{}"}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::shared/*"}}]}}"#,
        user_arn("erin")
    );
    let nothing =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"*"}]}"#;
    let simulate = |caller: Option<String>| {
        d.root_iam()
            .simulate_custom_policy()
            .policy_input_list(nothing)
            .resource_policy(&bucket_policy)
            .set_caller_arn(caller)
            .action_names("s3:GetObject")
            .resource_arns("arn:aws:s3:::shared/doc")
            .send()
    };
    // Same account, the caller named directly: the bucket policy alone allows.
    let out = simulate(Some(user_arn("erin"))).await.unwrap();
    let r = &out.evaluation_results()[0];
    assert_eq!(decision(r), "allowed");
    assert_eq!(located(&r.matched_statements()[0]).0, "ResourcePolicy");
    assert_eq!(located(&r.matched_statements()[0]).1, "Resource Policy");

    let out = simulate(Some(user_arn("frank"))).await.unwrap();
    assert_eq!(decision(&out.evaluation_results()[0]), "implicitDeny", "the policy names another user");

    // CallerArn is required with a resource policy when no user is simulated.
    let err = simulate(None).await.unwrap_err();
    assert_eq!(aws_error(&err).0, "InvalidInput");
}

#[tokio::test]
async fn context_keys_come_from_conditions_and_variables() {
    let d = Daemon::start().await;
    let conditional = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}/*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},"StringEquals":{"s3:x-amz-acl":"private","AWS:SourceIp":"x"}}}]}"#;
    let second = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}}]}"#;
    let out = d
        .root_iam()
        .get_context_keys_for_custom_policy()
        .policy_input_list(conditional)
        .policy_input_list(second)
        .send()
        .await
        .unwrap();
    let mut keys = out.context_key_names().to_vec();
    keys.sort();
    assert_eq!(keys, ["aws:MultiFactorAuthPresent", "aws:SourceIp", "aws:username", "s3:x-amz-acl"]);

    create_user(&d, "gina").await;
    put_user_policy(&d, "gina", "c", second).await;
    let out = d
        .root_iam()
        .get_context_keys_for_principal_policy()
        .policy_source_arn(user_arn("gina"))
        .policy_input_list(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"eu-west-1"}}}]}"#)
        .send()
        .await
        .unwrap();
    let mut keys = out.context_key_names().to_vec();
    keys.sort();
    assert_eq!(keys, ["aws:MultiFactorAuthPresent", "aws:RequestedRegion"]);

    let out = d.root_iam().get_context_keys_for_custom_policy().policy_input_list(ALLOW_S3).send().await.unwrap();
    assert!(out.context_key_names().is_empty());
}

#[tokio::test]
async fn bad_input_is_refused_as_aws_refuses_it() {
    let d = Daemon::start().await;
    let root = d.root_iam();
    create_user(&d, "hal").await;

    // A document that is not JSON, and one with an identity-policy fault.
    for document in
        ["{not json", r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject"}]}"#]
    {
        let err = root.simulate_custom_policy().policy_input_list(document).action_names("s3:GetObject").send().await;
        let err = err.unwrap_err();
        assert_eq!(aws_error(&err).0, "MalformedPolicyDocument", "{document}");
        assert_eq!(http_status(&err), 400);
        let err = root
            .simulate_principal_policy()
            .policy_source_arn(user_arn("hal"))
            .policy_input_list(document)
            .action_names("s3:GetObject")
            .send()
            .await
            .unwrap_err();
        assert_eq!(aws_error(&err).0, "MalformedPolicyDocument");
        let err = root.get_context_keys_for_custom_policy().policy_input_list(document).send().await.unwrap_err();
        assert_eq!(aws_error(&err).0, "MalformedPolicyDocument");
    }
    let err = root.simulate_custom_policy().policy_input_list("{not json").action_names("s3:X").send().await;
    assert_eq!(aws_error(&err.unwrap_err()).1, {
        let e = iamd::policy::PolicyDocument::parse("{not json", iamd::policy::PolicyKind::Identity).unwrap_err();
        e.message().to_owned()
    });

    // A source that is not a user, group or role.
    let session = format!("arn:aws:sts::{ACCOUNT}:assumed-role/r/s");
    let err = root.simulate_principal_policy().policy_source_arn(&session).action_names("s3:GetObject").send().await;
    let err = err.unwrap_err();
    assert_eq!(
        aws_error(&err),
        ("InvalidInput".into(), format!("Invalid Entity Arn: {session} does not clearly define entity type and name."))
    );
    assert_eq!(http_status(&err), 400);

    // A user that does not exist.
    let err = root
        .simulate_principal_policy()
        .policy_source_arn(user_arn("nobody"))
        .action_names("s3:GetObject")
        .send()
        .await
        .unwrap_err();
    assert_eq!(aws_error(&err), ("NoSuchEntity".into(), "The user with name nobody cannot be found.".into()));
    assert_eq!(http_status(&err), 404);
    let err = root
        .get_context_keys_for_principal_policy()
        .policy_source_arn(format!("arn:aws:iam::{ACCOUNT}:group/none"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(aws_error(&err).0, "NoSuchEntity");

    // The service model's constraints.
    let err = root.simulate_custom_policy().policy_input_list(ALLOW_S3).action_names("s3").send().await.unwrap_err();
    assert_eq!(
        aws_error(&err),
        (
            "ValidationError".into(),
            "1 validation error detected: Value 's3' at 'actionNames.1.member' failed to satisfy constraint: \
             Member must have length greater than or equal to 3"
                .into()
        )
    );
    let err = root
        .simulate_custom_policy()
        .policy_input_list(ALLOW_S3)
        .action_names("s3:GetObject")
        .context_entries(entry("k", ContextKeyTypeEnum::String, &["v"]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_error(&err).1,
        "1 validation error detected: Value 'k' at 'contextEntries.1.member.contextKeyName' failed to satisfy \
         constraint: Member must have length greater than or equal to 5"
    );
}

#[tokio::test]
async fn results_paginate_with_max_items() {
    let d = Daemon::start().await;
    let root = d.root_iam();
    let request = || {
        root.simulate_custom_policy()
            .policy_input_list(ALLOW_S3)
            .action_names("s3:GetObject")
            .action_names("s3:PutObject")
            .action_names("ec2:RunInstances")
            .resource_arns("arn:aws:s3:::a/1")
            .resource_arns("arn:aws:s3:::a/2")
    };
    let first = request().max_items(4).send().await.unwrap();
    assert_eq!(first.evaluation_results().len(), 4);
    assert!(first.is_truncated());
    let marker = first.marker().unwrap().to_owned();
    let second = request().max_items(4).marker(marker).send().await.unwrap();
    assert!(!second.is_truncated());
    assert!(second.marker().is_none());
    let rest: Vec<(&str, &str)> =
        second.evaluation_results().iter().map(|r| (r.eval_action_name(), decision(r))).collect();
    assert_eq!(rest, [("ec2:RunInstances", "implicitDeny"), ("ec2:RunInstances", "implicitDeny")]);

    let all = request().send().await.unwrap();
    assert_eq!(all.evaluation_results().len(), 6);
    assert!(!all.is_truncated());

    let err = request().marker("bm90LWEtbWFya2Vy").send().await.unwrap_err();
    assert_eq!(aws_error(&err).0, "ValidationError");
}

#[tokio::test]
async fn simulation_needs_its_own_permissions() {
    let d = Daemon::start().await;
    let (id, secret) = d.user_with_key("ivan").await;
    create_user(&d, "judy").await;
    let ivan = d.iam(&id, &secret);
    let simulate_judy =
        || ivan.simulate_principal_policy().policy_source_arn(user_arn("judy")).action_names("s3:GetObject").send();
    let err = simulate_judy().await.unwrap_err();
    assert_eq!(
        aws_error(&err),
        (
            "AccessDenied".into(),
            format!(
                "User: {} is not authorized to perform: iam:SimulatePrincipalPolicy on resource: {} because no \
                 identity-based policy allows the iam:SimulatePrincipalPolicy action",
                user_arn("ivan"),
                user_arn("judy")
            )
        )
    );
    let err = ivan.simulate_custom_policy().policy_input_list(ALLOW_S3).action_names("s3:X1").send().await;
    assert_eq!(aws_error(&err.unwrap_err()).0, "AccessDenied");

    let judy_only = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":["iam:SimulatePrincipalPolicy","iam:GetContextKeysForPrincipalPolicy"],"Resource":"{}"}},{{"Effect":"Allow","Action":"iam:*CustomPolicy","Resource":"*"}}]}}"#,
        user_arn("judy")
    );
    put_user_policy(&d, "ivan", "simulator", &judy_only).await;
    let out = simulate_judy().await.unwrap();
    assert_eq!(decision(&out.evaluation_results()[0]), "implicitDeny");
    ivan.get_context_keys_for_principal_policy().policy_source_arn(user_arn("judy")).send().await.unwrap();
    ivan.simulate_custom_policy().policy_input_list(ALLOW_S3).action_names("s3:GetObject").send().await.unwrap();
    ivan.get_context_keys_for_custom_policy().policy_input_list(ALLOW_S3).send().await.unwrap();
    // Another user's policies stay out of reach.
    let err =
        ivan.get_context_keys_for_principal_policy().policy_source_arn(user_arn("ivan")).send().await.unwrap_err();
    assert_eq!(aws_error(&err).0, "AccessDenied");
}

#[tokio::test]
async fn a_huge_simulation_is_answered_page_by_page_in_action_major_order() {
    // 400 actions × 400 resources is 160,000 pairs; each call decides its page only.
    let d = Daemon::start().await;
    let allow = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/even-*"}]}"#;
    let actions: Vec<String> =
        (0..400).map(|i| if i == 0 { "s3:GetObject".into() } else { format!("s3:Act{i}") }).collect();
    let resources: Vec<String> =
        (0..400).map(|i| format!("arn:aws:s3:::b/{}-{i}", if i % 2 == 0 { "even" } else { "odd" })).collect();
    let call = |marker: Option<String>| {
        d.root_iam()
            .simulate_custom_policy()
            .policy_input_list(allow)
            .set_action_names(Some(actions.clone()))
            .set_resource_arns(Some(resources.clone()))
            .max_items(3)
            .set_marker(marker)
            .send()
    };
    let first = call(None).await.unwrap();
    let got: Vec<(&str, &str, &str)> = first
        .evaluation_results()
        .iter()
        .map(|r| (r.eval_action_name(), r.eval_resource_name().unwrap(), decision(r)))
        .collect();
    assert_eq!(
        got,
        [
            ("s3:GetObject", "arn:aws:s3:::b/even-0", "allowed"),
            ("s3:GetObject", "arn:aws:s3:::b/odd-1", "implicitDeny"),
            ("s3:GetObject", "arn:aws:s3:::b/even-2", "allowed"),
        ]
    );
    assert!(first.is_truncated());
    let second = call(first.marker().map(str::to_owned)).await.unwrap();
    let names: Vec<&str> = second.evaluation_results().iter().map(|r| r.eval_resource_name().unwrap()).collect();
    assert_eq!(names, ["arn:aws:s3:::b/odd-3", "arn:aws:s3:::b/even-4", "arn:aws:s3:::b/odd-5"]);
    assert_eq!(aws_error(&call(Some("bm90LWEtbWFya2Vy".into())).await.unwrap_err()).0, "ValidationError");
}

/// A policy of `patterns` Resource patterns `*aaa…ab` (1,000 `a`s). Against `arn:aws:s3:::aaa…`
/// (2,000 `a`s) each costs about a million steps to fail: the `*` is retried at every position,
/// and each retry compares the thousand `a`s again.
fn costly_policy(patterns: usize) -> String {
    let pattern = format!("\"arn:aws:s3:::*{}b\"", "a".repeat(1000));
    let resources = vec![pattern; patterns].join(",");
    format!(r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:*","Resource":[{resources}]}}]}}"#)
}

#[tokio::test]
async fn simulation_work_is_bounded_per_call_pages_end_early_and_resume() {
    let d = Daemon::start().await;
    let long_arn = format!("arn:aws:s3:::{}", "a".repeat(2000));
    let actions: Vec<String> = (0..12).map(|i| format!("s3:Act{i}")).collect();
    let call = |policy: String, marker: Option<String>| {
        d.root_iam()
            .simulate_custom_policy()
            .policy_input_list(policy)
            .set_action_names(Some(actions.clone()))
            .resource_arns(long_arn.clone())
            .max_items(100)
            .set_marker(marker)
            .send()
    };
    // Each pair costs a large part of one call's budget: a page holds a few pairs, not 100, and
    // following the markers decides every pair exactly once.
    let policy = costly_policy(15);
    let (mut seen, mut pages, mut marker) = (Vec::new(), 0, None);
    loop {
        let page = call(policy.clone(), marker).await.unwrap();
        pages += 1;
        assert!(page.evaluation_results().len() < actions.len(), "page {pages} was not cut");
        for r in page.evaluation_results() {
            assert_eq!(decision(r), "implicitDeny");
            seen.push(r.eval_action_name().to_owned());
        }
        marker = page.marker().map(str::to_owned);
        assert_eq!(page.is_truncated(), marker.is_some());
        if marker.is_none() {
            break;
        }
    }
    assert_eq!(seen, actions);
    assert!(pages >= 3, "{pages} pages");
    // One pair alone over the budget is refused rather than decided on a cut-short match.
    let err = call(costly_policy(60), None).await.unwrap_err();
    let (code, message) = aws_error(&err);
    assert_eq!((http_status(&err), code.as_str()), (409, "LimitExceeded"), "{message}");
    assert!(message.contains("s3:Act0"), "{message}");
    // The daemon is not worn out: an ordinary simulation answers in full.
    let ordinary = call(costly_policy(1), None).await.unwrap();
    assert_eq!(ordinary.evaluation_results().len(), actions.len());
}

#[tokio::test]
async fn a_request_with_too_many_parameters_is_refused() {
    let d = Daemon::start().await;
    // 10,001 action names: refused before the simulation, with the daemon's ValidationError.
    let actions: Vec<String> = (0..10_001).map(|i| format!("s3:A{i}")).collect();
    let err = d
        .root_iam()
        .simulate_custom_policy()
        .policy_input_list(costly_policy(1))
        .set_action_names(Some(actions))
        .send()
        .await
        .unwrap_err();
    let (code, message) = aws_error(&err);
    assert_eq!((http_status(&err), code.as_str()), (400, "ValidationError"), "{message}");
    assert!(message.contains("more than 10000 parameters"), "{message}");
    // 9,990 fit (with Action, Version, the policy and MaxItems-free defaults).
    let actions: Vec<String> = (0..9_990).map(|i| format!("s3:A{i}")).collect();
    let page = d
        .root_iam()
        .simulate_custom_policy()
        .policy_input_list(costly_policy(1))
        .set_action_names(Some(actions))
        .max_items(5)
        .send()
        .await
        .unwrap();
    assert_eq!(page.evaluation_results().len(), 5);
}
