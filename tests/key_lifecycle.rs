//! The access-key lifecycle through the official AWS SDK for Rust: create a user and keys, sign
//! with them, deactivate, delete, hit the limits.

mod common;

use aws_sdk_iam::types::{StatusType, Tag};
use common::{ACCOUNT, Daemon, aws_error, http_status};

#[tokio::test]
async fn a_created_key_signs_requests_until_deactivated_or_deleted() {
    let d = Daemon::start().await;
    let iam = d.root_iam();
    let user = iam.create_user().user_name("alice").path("/team/").send().await.unwrap().user.unwrap();
    assert_eq!(user.arn, format!("arn:aws:iam::{ACCOUNT}:user/team/alice"));
    assert!(user.user_id.starts_with("AIDA") && user.user_id.len() == 21, "{}", user.user_id);

    let key = iam.create_access_key().user_name("alice").send().await.unwrap().access_key.unwrap();
    assert!(key.access_key_id.starts_with("AKIA") && key.access_key_id.len() == 20);
    assert_eq!(key.secret_access_key.len(), 40);
    assert_eq!(key.status, StatusType::Active);
    assert_eq!(key.user_name, "alice");

    // The new key signs requests and identifies alice.
    let alice_sts = d.sts(&key.access_key_id, &key.secret_access_key);
    let me = alice_sts.get_caller_identity().send().await.unwrap();
    assert_eq!(me.arn(), Some(format!("arn:aws:iam::{ACCOUNT}:user/team/alice").as_str()));
    assert_eq!(me.user_id(), Some(user.user_id.as_str()));
    assert_eq!(me.account(), Some(ACCOUNT));

    // Deactivated: refused at once; reactivated: accepted again.
    iam.update_access_key()
        .user_name("alice")
        .access_key_id(&key.access_key_id)
        .status(StatusType::Inactive)
        .send()
        .await
        .unwrap();
    let err = alice_sts.get_caller_identity().send().await.unwrap_err();
    let meta = err.as_service_error().map(aws_sdk_sts::error::ProvideErrorMetadata::meta).unwrap();
    assert_eq!(meta.code(), Some("InvalidClientTokenId"));
    assert_eq!(meta.message(), Some("The security token included in the request is invalid."));
    assert_eq!(err.raw_response().unwrap().status().as_u16(), 403);
    let listed = iam.list_access_keys().user_name("alice").send().await.unwrap();
    assert_eq!(listed.access_key_metadata[0].status, Some(StatusType::Inactive));
    iam.update_access_key()
        .user_name("alice")
        .access_key_id(&key.access_key_id)
        .status(StatusType::Active)
        .send()
        .await
        .unwrap();
    alice_sts.get_caller_identity().send().await.unwrap();

    // Deleted: refused at once.
    iam.delete_access_key().user_name("alice").access_key_id(&key.access_key_id).send().await.unwrap();
    let err = alice_sts.get_caller_identity().send().await.unwrap_err();
    let meta = err.as_service_error().map(aws_sdk_sts::error::ProvideErrorMetadata::meta).unwrap();
    assert_eq!(meta.code(), Some("InvalidClientTokenId"));
    let err = iam.delete_access_key().user_name("alice").access_key_id(&key.access_key_id).send().await.unwrap_err();
    assert_eq!(
        aws_error(&err),
        ("NoSuchEntity".into(), format!("The Access Key with id {} cannot be found.", key.access_key_id))
    );
    assert_eq!(http_status(&err), 404);
}

#[tokio::test]
async fn two_keys_per_user_and_no_deleting_a_user_with_keys() {
    let d = Daemon::start().await;
    let iam = d.root_iam();
    iam.create_user().user_name("bob").send().await.unwrap();
    let k1 = iam.create_access_key().user_name("bob").send().await.unwrap().access_key.unwrap();
    let k2 = iam.create_access_key().user_name("bob").send().await.unwrap().access_key.unwrap();
    assert_ne!(k1.access_key_id, k2.access_key_id);
    let err = iam.create_access_key().user_name("bob").send().await.unwrap_err();
    assert_eq!(aws_error(&err), ("LimitExceeded".into(), "Cannot exceed quota for AccessKeysPerUser: 2".into()));
    assert_eq!(http_status(&err), 409);

    let err = iam.delete_user().user_name("bob").send().await.unwrap_err();
    assert_eq!(aws_error(&err).0, "DeleteConflict");
    assert_eq!(http_status(&err), 409);

    let ids: Vec<String> = iam
        .list_access_keys()
        .user_name("bob")
        .send()
        .await
        .unwrap()
        .access_key_metadata
        .into_iter()
        .filter_map(|k| k.access_key_id)
        .collect();
    assert_eq!(ids, vec![k1.access_key_id.clone(), k2.access_key_id.clone()]);
    for id in ids {
        iam.delete_access_key().user_name("bob").access_key_id(id).send().await.unwrap();
    }
    iam.delete_user().user_name("bob").send().await.unwrap();
    let err = iam.get_user().user_name("bob").send().await.unwrap_err();
    assert_eq!(aws_error(&err), ("NoSuchEntity".into(), "The user with name bob cannot be found.".into()));
}

#[tokio::test]
async fn a_user_without_policies_may_only_ask_who_it_is() {
    let d = Daemon::start().await;
    let (id, secret) = d.user_with_key("carol").await;
    let carol = d.iam(&id, &secret);
    let err = carol.list_users().send().await.unwrap_err();
    assert_eq!(
        aws_error(&err),
        (
            "AccessDenied".into(),
            format!(
                "User: arn:aws:iam::{ACCOUNT}:user/carol is not authorized to perform: iam:ListUsers on resource: \
                 arn:aws:iam::{ACCOUNT}:user/ because no identity-based policy allows the iam:ListUsers action"
            )
        )
    );
    assert_eq!(http_status(&err), 403);
    // Without a UserName, CreateAccessKey is about the caller's own user: still refused.
    let err = carol.create_access_key().send().await.unwrap_err();
    assert!(aws_error(&err).1.contains(&format!("iam:CreateAccessKey on resource: arn:aws:iam::{ACCOUNT}:user/carol")));
    d.sts(&id, &secret).get_caller_identity().send().await.unwrap();
}

#[tokio::test]
async fn unknown_keys_and_wrong_secrets_are_refused() {
    let d = Daemon::start().await;
    let err = d.iam("AKIAAAAAAAAAAAAAAAAA", "x".repeat(40).as_str()).list_users().send().await.unwrap_err();
    assert_eq!(
        aws_error(&err),
        ("InvalidClientTokenId".into(), "The security token included in the request is invalid.".into())
    );
    assert_eq!(http_status(&err), 403);

    let (id, secret) = d.user_with_key("dave").await;
    let mut wrong = secret.clone().into_bytes();
    wrong[0] = if wrong[0] == b'A' { b'B' } else { b'A' };
    let err = d.iam(&id, std::str::from_utf8(&wrong).unwrap()).get_user().send().await.unwrap_err();
    let (code, message) = aws_error(&err);
    assert_eq!(code, "SignatureDoesNotMatch");
    assert!(
        message.starts_with("The request signature we calculated does not match the signature you provided."),
        "{message}"
    );
    assert_eq!(http_status(&err), 403);
    // The right secret still works after the failures.
    d.sts(&id, &secret).get_caller_identity().send().await.unwrap();
}

#[tokio::test]
async fn root_creates_its_own_keys_and_identifies_as_root() {
    let d = Daemon::start().await;
    let iam = d.root_iam();
    let key = iam.create_access_key().send().await.unwrap().access_key.unwrap();
    let me = d.sts(&key.access_key_id, &key.secret_access_key).get_caller_identity().send().await.unwrap();
    assert_eq!(me.arn(), Some(format!("arn:aws:iam::{ACCOUNT}:root").as_str()));
    assert_eq!(me.user_id(), Some(ACCOUNT));
    let own = iam.list_access_keys().send().await.unwrap().access_key_metadata;
    assert!(own.iter().any(|k| k.access_key_id.as_deref() == Some(key.access_key_id.as_str())));
    let root_user = iam.get_user().send().await.unwrap().user.unwrap();
    assert_eq!(root_user.arn, format!("arn:aws:iam::{ACCOUNT}:root"));
    assert!(root_user.create_date.secs() > 1_700_000_000, "root's CreateDate is when the account was set up");
}

#[tokio::test]
async fn last_used_is_reported_after_use() {
    let d = Daemon::start().await;
    let (id, secret) = d.user_with_key("erin").await;
    let iam = d.root_iam();
    let before = iam.get_access_key_last_used().access_key_id(&id).send().await.unwrap();
    assert_eq!(before.user_name(), Some("erin"));
    let used = before.access_key_last_used.unwrap();
    assert_eq!((used.service_name.as_str(), used.region.as_str()), ("N/A", "N/A"));
    assert!(used.last_used_date.is_none());

    d.sts(&id, &secret).get_caller_identity().send().await.unwrap();
    let after = iam.get_access_key_last_used().access_key_id(&id).send().await.unwrap().access_key_last_used.unwrap();
    assert_eq!((after.service_name.as_str(), after.region.as_str()), ("sts", "eu-west-1"));
    assert!(after.last_used_date.is_some());
}

#[tokio::test]
async fn users_are_renamed_moved_and_tagged() {
    let d = Daemon::start().await;
    let iam = d.root_iam();
    let (id, secret) = d.user_with_key("frank").await;
    iam.update_user().user_name("frank").new_user_name("francis").new_path("/ops/").send().await.unwrap();
    let err = iam.get_user().user_name("frank").send().await.unwrap_err();
    assert_eq!(aws_error(&err).0, "NoSuchEntity");
    let user = iam.get_user().user_name("francis").send().await.unwrap().user.unwrap();
    assert_eq!(user.arn, format!("arn:aws:iam::{ACCOUNT}:user/ops/francis"));
    // The key followed the user.
    let me = d.sts(&id, &secret).get_caller_identity().send().await.unwrap();
    assert_eq!(me.arn(), Some(user.arn.as_str()));
    let keys = iam.list_access_keys().user_name("francis").send().await.unwrap().access_key_metadata;
    assert_eq!(keys[0].user_name.as_deref(), Some("francis"));

    // Names are unique regardless of case.
    let err = iam.create_user().user_name("FRANCIS").send().await.unwrap_err();
    assert_eq!(aws_error(&err).0, "EntityAlreadyExists");
    assert_eq!(http_status(&err), 409);

    let tag = |k: &str, v: &str| Tag::builder().key(k).value(v).build().unwrap();
    iam.tag_user().user_name("francis").tags(tag("team", "ops")).tags(tag("cost", "1")).send().await.unwrap();
    iam.tag_user().user_name("francis").tags(tag("TEAM", "dev")).send().await.unwrap();
    let tags = iam.list_user_tags().user_name("francis").send().await.unwrap().tags;
    assert_eq!(
        tags.iter().map(|t| (t.key.as_str(), t.value.as_str())).collect::<Vec<_>>(),
        [("TEAM", "dev"), ("cost", "1")]
    );
    iam.untag_user().user_name("francis").tag_keys("team").send().await.unwrap();
    let tags = iam.list_user_tags().user_name("francis").send().await.unwrap().tags;
    assert_eq!(tags.len(), 1);
    let got = iam.get_user().user_name("francis").send().await.unwrap().user.unwrap();
    assert_eq!(got.tags().len(), 1);

    let err = iam.tag_user().user_name("francis").tags(tag("a", "1")).tags(tag("A", "2")).send().await.unwrap_err();
    assert_eq!(
        aws_error(&err),
        ("InvalidInput".into(), "Duplicate tag keys found. Please note that Tag keys are case insensitive.".into())
    );
    let mut req = iam.tag_user().user_name("francis");
    for i in 0..49 {
        req = req.tags(tag(&format!("k{i}"), "v"));
    }
    req.send().await.unwrap();
    let err = iam.tag_user().user_name("francis").tags(tag("one-too-many", "v")).send().await.unwrap_err();
    assert_eq!(aws_error(&err).0, "LimitExceeded");
}

#[tokio::test]
async fn invalid_input_gets_aws_validation_errors() {
    let d = Daemon::start().await;
    let iam = d.root_iam();
    let err = iam.create_user().user_name("no spaces").send().await.unwrap_err();
    assert_eq!(
        aws_error(&err),
        (
            "ValidationError".into(),
            "1 validation error detected: Value 'no spaces' at 'userName' failed to satisfy constraint: \
             Member must satisfy regular expression pattern: [\\w+=,.@-]+"
                .into()
        )
    );
    assert_eq!(http_status(&err), 400);
    let err = iam.create_user().user_name("x".repeat(65)).path("nopath").send().await.unwrap_err();
    assert!(aws_error(&err).1.starts_with("2 validation errors detected: "), "{:?}", aws_error(&err));
    let err = iam.list_users().max_items(1001).send().await.unwrap_err();
    assert!(aws_error(&err).1.contains("Member must have value less than or equal to 1000"));
    let err = iam.create_access_key().user_name("nobody").send().await.unwrap_err();
    assert_eq!(aws_error(&err), ("NoSuchEntity".into(), "The user with name nobody cannot be found.".into()));
}
