//! Policy enforcement through the official AWS SDK for Rust: inline, group and managed policies,
//! explicit denies, policy variables, boundaries, versions, and malformed documents.

mod common;

use common::{ACCOUNT, Daemon, aws_error, http_status};

const ALLOW_LIST_USERS: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}"#;
const DENY_LIST_USERS: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Sid":"NoList","Effect":"Deny","Action":"iam:List*","Resource":"*"}]}"#;
const ALLOW_IAM: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}"#;

fn decode(document: &str) -> String {
    percent_encoding::percent_decode_str(document).decode_utf8().unwrap().into_owned()
}

#[tokio::test]
async fn inline_policy_grants_on_the_next_request_and_explicit_deny_removes() {
    let d = Daemon::start().await;
    let (id, secret) = d.user_with_key("alice").await;
    let alice = d.iam(&id, &secret);
    let root = d.root_iam();
    assert_eq!(aws_error(&alice.list_users().send().await.unwrap_err()).0, "AccessDenied");

    root.put_user_policy()
        .user_name("alice")
        .policy_name("list")
        .policy_document(ALLOW_LIST_USERS)
        .send()
        .await
        .unwrap();
    let users = alice.list_users().send().await.unwrap().users;
    assert_eq!(users.len(), 1);
    // The grant is exactly what it says: other actions stay refused.
    let err = alice.list_groups().send().await.unwrap_err();
    assert!(aws_error(&err).1.ends_with("because no identity-based policy allows the iam:ListGroups action"));

    let got = root.get_user_policy().user_name("alice").policy_name("list").send().await.unwrap();
    assert_eq!(decode(&got.policy_document), ALLOW_LIST_USERS);
    assert!(got.policy_document.starts_with("%7B%22Version%22"), "documents come back URL-encoded");

    root.put_user_policy()
        .user_name("alice")
        .policy_name("deny")
        .policy_document(DENY_LIST_USERS)
        .send()
        .await
        .unwrap();
    let err = alice.list_users().send().await.unwrap_err();
    assert_eq!(
        aws_error(&err),
        (
            "AccessDenied".into(),
            format!(
                "User: arn:aws:iam::{ACCOUNT}:user/alice is not authorized to perform: iam:ListUsers on resource: \
                 arn:aws:iam::{ACCOUNT}:user/ with an explicit deny in an identity-based policy"
            )
        )
    );
    assert_eq!(http_status(&err), 403);
    let names = root.list_user_policies().user_name("alice").send().await.unwrap().policy_names;
    assert_eq!(names, ["deny", "list"]);
    root.delete_user_policy().user_name("alice").policy_name("deny").send().await.unwrap();
    alice.list_users().send().await.unwrap();
}

#[tokio::test]
async fn managed_policy_through_a_group_grants_to_members_only() {
    let d = Daemon::start().await;
    let root = d.root_iam();
    let (id, secret) = d.user_with_key("bob").await;
    let bob = d.iam(&id, &secret);
    let policy = root
        .create_policy()
        .policy_name("Lister")
        .path("/team/")
        .policy_document(ALLOW_LIST_USERS)
        .send()
        .await
        .unwrap()
        .policy
        .unwrap();
    let arn = policy.arn.unwrap();
    assert_eq!(arn, format!("arn:aws:iam::{ACCOUNT}:policy/team/Lister"));
    assert_eq!(policy.default_version_id.as_deref(), Some("v1"));
    root.create_group().group_name("readers").send().await.unwrap();
    root.attach_group_policy().group_name("readers").policy_arn(&arn).send().await.unwrap();
    assert!(bob.list_users().send().await.is_err());

    root.add_user_to_group().group_name("readers").user_name("bob").send().await.unwrap();
    bob.list_users().send().await.unwrap();
    let entities = root.list_entities_for_policy().policy_arn(&arn).send().await.unwrap();
    assert_eq!(entities.policy_groups().iter().filter_map(|g| g.group_name()).collect::<Vec<_>>(), ["readers"]);
    assert_eq!(root.get_policy().policy_arn(&arn).send().await.unwrap().policy.unwrap().attachment_count, Some(1));
    let group = root.get_group().group_name("readers").send().await.unwrap();
    assert_eq!(group.users.iter().map(|u| u.user_name.as_str()).collect::<Vec<_>>(), ["bob"]);

    // Attached policies block deletion; so does membership.
    let err = root.delete_policy().policy_arn(&arn).send().await.unwrap_err();
    assert_eq!(aws_error(&err), ("DeleteConflict".into(), "Cannot delete a policy attached to entities.".into()));
    let err = root.delete_group().group_name("readers").send().await.unwrap_err();
    assert_eq!(aws_error(&err).0, "DeleteConflict");

    root.remove_user_from_group().group_name("readers").user_name("bob").send().await.unwrap();
    assert_eq!(aws_error(&bob.list_users().send().await.unwrap_err()).0, "AccessDenied");
    root.detach_group_policy().group_name("readers").policy_arn(&arn).send().await.unwrap();
    root.delete_group().group_name("readers").send().await.unwrap();
    root.delete_policy().policy_arn(&arn).send().await.unwrap();
    let err = root.get_policy().policy_arn(&arn).send().await.unwrap_err();
    assert_eq!(aws_error(&err), ("NoSuchEntity".into(), format!("Policy {arn} was not found.")));
}

#[tokio::test]
async fn username_variable_lets_users_manage_only_their_own_keys() {
    let d = Daemon::start().await;
    let root = d.root_iam();
    let own_keys = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":["iam:CreateAccessKey","iam:ListAccessKeys","iam:DeleteAccessKey"],"Resource":"arn:aws:iam::{ACCOUNT}:user/${{aws:username}}"}}]}}"#
    );
    let policy =
        root.create_policy().policy_name("OwnKeys").policy_document(&own_keys).send().await.unwrap().policy.unwrap();
    root.create_group().group_name("everyone").send().await.unwrap();
    root.attach_group_policy().group_name("everyone").policy_arn(policy.arn.unwrap()).send().await.unwrap();
    let (id, secret) = d.user_with_key("carol").await;
    root.create_user().user_name("dave").send().await.unwrap();
    root.add_user_to_group().group_name("everyone").user_name("carol").send().await.unwrap();
    root.add_user_to_group().group_name("everyone").user_name("dave").send().await.unwrap();
    let carol = d.iam(&id, &secret);

    let key = carol.create_access_key().send().await.unwrap().access_key.unwrap();
    assert_eq!(key.user_name, "carol");
    assert_eq!(carol.list_access_keys().send().await.unwrap().access_key_metadata.len(), 2);
    let err = carol.create_access_key().user_name("dave").send().await.unwrap_err();
    assert_eq!(
        aws_error(&err).1,
        format!(
            "User: arn:aws:iam::{ACCOUNT}:user/carol is not authorized to perform: iam:CreateAccessKey on resource: \
             arn:aws:iam::{ACCOUNT}:user/dave because no identity-based policy allows the iam:CreateAccessKey action"
        )
    );
    assert_eq!(aws_error(&carol.list_access_keys().user_name("dave").send().await.unwrap_err()).0, "AccessDenied");
    carol.delete_access_key().access_key_id(key.access_key_id).send().await.unwrap();
}

#[tokio::test]
async fn a_permissions_boundary_narrows_what_policies_grant() {
    let d = Daemon::start().await;
    let root = d.root_iam();
    let (id, secret) = d.user_with_key("erin").await;
    let erin = d.iam(&id, &secret);
    root.put_user_policy().user_name("erin").policy_name("admin").policy_document(ALLOW_IAM).send().await.unwrap();
    erin.list_groups().send().await.unwrap();

    let boundary =
        root.create_policy().policy_name("OnlyListUsers").policy_document(ALLOW_LIST_USERS).send().await.unwrap();
    let boundary_arn = boundary.policy.unwrap().arn.unwrap();
    root.put_user_permissions_boundary().user_name("erin").permissions_boundary(&boundary_arn).send().await.unwrap();
    let user = root.get_user().user_name("erin").send().await.unwrap().user.unwrap();
    assert_eq!(user.permissions_boundary.unwrap().permissions_boundary_arn.as_deref(), Some(boundary_arn.as_str()));

    erin.list_users().send().await.unwrap();
    let err = erin.list_groups().send().await.unwrap_err();
    assert!(
        aws_error(&err).1.ends_with("because no permissions boundary allows the iam:ListGroups action"),
        "{:?}",
        aws_error(&err)
    );
    let used = root.get_policy().policy_arn(&boundary_arn).send().await.unwrap().policy.unwrap();
    assert_eq!(used.permissions_boundary_usage_count, Some(1));

    root.delete_user_permissions_boundary().user_name("erin").send().await.unwrap();
    erin.list_groups().send().await.unwrap();
}

#[tokio::test]
async fn policy_versions_switch_the_effective_document() {
    let d = Daemon::start().await;
    let root = d.root_iam();
    let (id, secret) = d.user_with_key("frank").await;
    let frank = d.iam(&id, &secret);
    let arn = root
        .create_policy()
        .policy_name("P")
        .policy_document(ALLOW_LIST_USERS)
        .send()
        .await
        .unwrap()
        .policy
        .unwrap()
        .arn
        .unwrap();
    root.attach_user_policy().user_name("frank").policy_arn(&arn).send().await.unwrap();
    frank.list_users().send().await.unwrap();

    let deny_all = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#;
    let v2 = root
        .create_policy_version()
        .policy_arn(&arn)
        .policy_document(deny_all)
        .send()
        .await
        .unwrap()
        .policy_version
        .unwrap();
    assert_eq!(v2.version_id.as_deref(), Some("v2"));
    assert!(!v2.is_default_version);
    frank.list_users().send().await.unwrap();
    root.set_default_policy_version().policy_arn(&arn).version_id("v2").send().await.unwrap();
    assert_eq!(aws_error(&frank.list_users().send().await.unwrap_err()).0, "AccessDenied");

    for _ in 0..3 {
        root.create_policy_version().policy_arn(&arn).policy_document(ALLOW_LIST_USERS).send().await.unwrap();
    }
    let err = root.create_policy_version().policy_arn(&arn).policy_document(ALLOW_LIST_USERS).send().await.unwrap_err();
    assert_eq!(aws_error(&err).0, "LimitExceeded");
    assert_eq!(http_status(&err), 409);
    let versions = root.list_policy_versions().policy_arn(&arn).send().await.unwrap().versions.unwrap();
    assert_eq!(
        versions.iter().filter_map(|v| v.version_id.as_deref()).collect::<Vec<_>>(),
        ["v5", "v4", "v3", "v2", "v1"]
    );
    let err = root.delete_policy_version().policy_arn(&arn).version_id("v2").send().await.unwrap_err();
    assert_eq!(aws_error(&err), ("DeleteConflict".into(), "Cannot delete the default version of a policy.".into()));
    root.delete_policy_version().policy_arn(&arn).version_id("v1").send().await.unwrap();
    let v1 = root.get_policy_version().policy_arn(&arn).version_id("v2").send().await.unwrap().policy_version.unwrap();
    assert_eq!(decode(v1.document.as_deref().unwrap()), deny_all);
    assert!(v1.is_default_version);
}

#[tokio::test]
async fn malformed_documents_and_deletion_conflicts_are_refused() {
    let d = Daemon::start().await;
    let root = d.root_iam();
    root.create_user().user_name("gina").send().await.unwrap();
    let put = |doc: &str| root.put_user_policy().user_name("gina").policy_name("p").policy_document(doc).send();
    let err = put("{not json").await.unwrap_err();
    assert_eq!(aws_error(&err), ("MalformedPolicyDocument".into(), "This policy contains invalid Json".into()));
    assert_eq!(http_status(&err), 400);
    let err = put(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Resource":"*"}]}"#).await.unwrap_err();
    assert_eq!(aws_error(&err), ("MalformedPolicyDocument".into(), "Policy statement must contain actions.".into()));
    let err = put(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"s3:*","Resource":"*"}]}"#)
        .await
        .unwrap_err();
    assert_eq!(aws_error(&err).0, "MalformedPolicyDocument");
    let err = root.create_policy().policy_name("big").policy_document(format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::{}"}}]}}"#,
        "a".repeat(7000)
    ))
    .send()
    .await
    .unwrap_err();
    assert_eq!(aws_error(&err).0, "LimitExceeded");

    put(ALLOW_LIST_USERS).await.unwrap();
    let err = root.delete_user().user_name("gina").send().await.unwrap_err();
    assert_eq!(aws_error(&err), ("DeleteConflict".into(), "Cannot delete entity, must delete policies first.".into()));
    root.delete_user_policy().user_name("gina").policy_name("p").send().await.unwrap();
    root.create_group().group_name("g").send().await.unwrap();
    root.add_user_to_group().group_name("g").user_name("gina").send().await.unwrap();
    assert_eq!(aws_error(&root.delete_user().user_name("gina").send().await.unwrap_err()).0, "DeleteConflict");
    root.remove_user_from_group().group_name("g").user_name("gina").send().await.unwrap();
    root.delete_user().user_name("gina").send().await.unwrap();

    let err =
        root.attach_user_policy().user_name("x").policy_arn("this-is-not-an-arn-at-all").send().await.unwrap_err();
    assert_eq!(aws_error(&err), ("ValidationError".into(), "Invalid ARN:  Could not be parsed!".into()));
    let missing = format!("arn:aws:iam::{ACCOUNT}:policy/nope");
    root.create_user().user_name("x").send().await.unwrap();
    let err = root.attach_user_policy().user_name("x").policy_arn(&missing).send().await.unwrap_err();
    assert_eq!(
        aws_error(&err),
        ("NoSuchEntity".into(), format!("Policy {missing} does not exist or is not attachable."))
    );
}

#[tokio::test]
async fn renaming_a_user_keeps_its_groups_and_attachments() {
    let d = Daemon::start().await;
    let root = d.root_iam();
    let (id, secret) = d.user_with_key("henry").await;
    let arn = root
        .create_policy()
        .policy_name("L")
        .policy_document(ALLOW_LIST_USERS)
        .send()
        .await
        .unwrap()
        .policy
        .unwrap()
        .arn
        .unwrap();
    root.create_group().group_name("crew").send().await.unwrap();
    root.add_user_to_group().group_name("crew").user_name("henry").send().await.unwrap();
    root.attach_user_policy().user_name("henry").policy_arn(&arn).send().await.unwrap();
    root.update_user().user_name("henry").new_user_name("hank").send().await.unwrap();

    d.iam(&id, &secret).list_users().send().await.unwrap();
    let members = root.get_group().group_name("crew").send().await.unwrap().users;
    assert_eq!(members.iter().map(|u| u.user_name.as_str()).collect::<Vec<_>>(), ["hank"]);
    let users = root.list_entities_for_policy().policy_arn(&arn).send().await.unwrap();
    assert_eq!(users.policy_users().iter().filter_map(|u| u.user_name()).collect::<Vec<_>>(), ["hank"]);
    let groups = root.list_groups_for_user().user_name("hank").send().await.unwrap().groups;
    assert_eq!(groups.iter().map(|g| g.group_name.as_str()).collect::<Vec<_>>(), ["crew"]);
}

#[tokio::test]
async fn target_tags_and_iam_condition_keys_reach_the_engine() {
    let d = Daemon::start().await;
    let root = d.root_iam();
    let (id, secret) = d.user_with_key("lead").await;
    let lead = d.iam(&id, &secret);
    let boundary = root.create_policy().policy_name("Bound").policy_document(ALLOW_LIST_USERS).send().await.unwrap();
    let boundary_arn = boundary.policy.unwrap().arn.unwrap();
    // IAM User Guide: delegate user creation only with a given boundary; read only blue users.
    let delegation = format!(
        r#"{{"Version":"2012-10-17","Statement":[
            {{"Effect":"Allow","Action":"iam:CreateUser","Resource":"*","Condition":{{"StringEquals":{{"iam:PermissionsBoundary":"{boundary_arn}"}}}}}},
            {{"Effect":"Allow","Action":"iam:GetUser","Resource":"*","Condition":{{"StringEquals":{{"aws:ResourceTag/team":"blue"}}}}}},
            {{"Effect":"Allow","Action":"iam:AttachUserPolicy","Resource":"*","Condition":{{"ArnEquals":{{"iam:PolicyARN":"{boundary_arn}"}}}}}}]}}"#
    );
    root.put_user_policy().user_name("lead").policy_name("delegate").policy_document(delegation).send().await.unwrap();

    assert_eq!(aws_error(&lead.create_user().user_name("free").send().await.unwrap_err()).0, "AccessDenied");
    lead.create_user().user_name("bounded").permissions_boundary(&boundary_arn).send().await.unwrap();

    let blue = aws_sdk_iam::types::Tag::builder().key("team").value("blue").build().unwrap();
    root.create_user().user_name("b1").tags(blue).send().await.unwrap();
    root.create_user().user_name("r1").send().await.unwrap();
    lead.get_user().user_name("b1").send().await.unwrap();
    assert_eq!(aws_error(&lead.get_user().user_name("r1").send().await.unwrap_err()).0, "AccessDenied");

    lead.attach_user_policy().user_name("r1").policy_arn(&boundary_arn).send().await.unwrap();
    let other = root.create_policy().policy_name("Other").policy_document(ALLOW_LIST_USERS).send().await.unwrap();
    let err = lead
        .attach_user_policy()
        .user_name("r1")
        .policy_arn(other.policy.unwrap().arn.unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(aws_error(&err).0, "AccessDenied");
}
