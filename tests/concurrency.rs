//! Many requests at once and many entities: 32 clients writing and reading side by side, and 250
//! users listed page by page. Every answer is checked, not only the absence of errors.

mod common;

use std::collections::{BTreeSet, HashMap};

use aws_sdk_iam::types::Tag;
use common::{ACCOUNT, Daemon};

const TASKS: usize = 32;
const ROUNDS: usize = 6;

/// One client's life: its own user, key and policy, changed and read back every round, while
/// 31 others do the same and list everything.
async fn one_client(d: &Daemon, t: usize) -> usize {
    let iam = d.root_iam();
    let user = format!("conc-{t:02}");
    let created = iam.create_user().user_name(&user).send().await.unwrap().user.unwrap();
    assert_eq!(created.user_name, user);
    let key = iam.create_access_key().user_name(&user).send().await.unwrap().access_key.unwrap();
    // The new secret signs at once, and is this user's.
    let me = d.sts(&key.access_key_id, &key.secret_access_key).get_caller_identity().send().await.unwrap();
    assert_eq!(me.arn.as_deref(), Some(format!("arn:aws:iam::{ACCOUNT}:user/{user}").as_str()));
    let policy = format!("conc-policy-{t:02}");
    let doc = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::{ACCOUNT}:user/{user}"}}]}}"#
    );
    let arn = iam.create_policy().policy_name(&policy).policy_document(&doc).send().await.unwrap().policy.unwrap().arn;
    let arn = arn.unwrap();
    iam.attach_user_policy().user_name(&user).policy_arn(&arn).send().await.unwrap();
    let mut checked = 4;
    for round in 0..ROUNDS {
        let value = format!("{t}-{round}");
        iam.tag_user()
            .user_name(&user)
            .tags(Tag::builder().key("round").value(&value).build().unwrap())
            .send()
            .await
            .unwrap();
        // A read straight after the write sees it, whatever the others are doing.
        let tags = iam.list_user_tags().user_name(&user).send().await.unwrap().tags;
        assert_eq!(tags.len(), 1, "{user}: {tags:?}");
        assert_eq!((tags[0].key.as_str(), tags[0].value.as_str()), ("round", value.as_str()));
        let keys = iam.list_access_keys().user_name(&user).send().await.unwrap().access_key_metadata;
        let ids: Vec<_> = keys.iter().filter_map(|k| k.access_key_id.clone()).collect();
        assert_eq!(ids, std::slice::from_ref(&key.access_key_id), "{user}");
        let attached = iam.list_attached_user_policies().user_name(&user).send().await.unwrap();
        let attached: Vec<_> = attached.attached_policies().iter().filter_map(|p| p.policy_arn.clone()).collect();
        assert_eq!(attached, std::slice::from_ref(&arn), "{user}");
        // The user's own key is allowed its own GetUser by the policy, and nothing else.
        let own = d.iam(&key.access_key_id, &key.secret_access_key);
        assert_eq!(own.get_user().user_name(&user).send().await.unwrap().user.unwrap().user_name, user);
        let other = format!("conc-{:02}", (t + 1) % TASKS);
        let denied = own.get_user().user_name(&other).send().await.unwrap_err();
        assert_eq!(common::aws_error(&denied).0, "AccessDenied", "{user} read {other}");
        // A list while others create: it holds only whole users of this test, each once.
        let listed = iam.list_users().send().await.unwrap().users;
        let names: Vec<_> = listed.iter().map(|u| u.user_name.clone()).collect();
        let unique: BTreeSet<_> = names.iter().collect();
        assert_eq!(unique.len(), names.len(), "a user listed twice: {names:?}");
        assert!(names.iter().all(|n| n.starts_with("conc-")), "{names:?}");
        assert!(names.contains(&user), "{user} missing from {names:?}");
        checked += 7;
    }
    checked
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_clients_at_once_each_get_the_right_answers() {
    let d = std::sync::Arc::new(Daemon::start().await);
    let started = std::time::Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|t| {
            let d = d.clone();
            tokio::spawn(async move { one_client(&d, t).await })
        })
        .collect();
    let mut checked = 0;
    for task in tasks {
        checked += task.await.expect("a client task failed");
    }
    println!("{TASKS} concurrent clients: {checked} checked answers in {:?}", started.elapsed());
    let iam = d.root_iam();
    let users = iam.list_users().send().await.unwrap().users;
    assert_eq!(users.len(), TASKS);
    let policies = iam.list_policies().scope(aws_sdk_iam::types::PolicyScopeType::Local).send().await.unwrap();
    assert_eq!(policies.policies().len(), TASKS);
}

const MANY: usize = 250;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_fifty_users_come_back_once_each_page_by_page() {
    let d = std::sync::Arc::new(Daemon::start().await);
    // Created by 10 clients at once, in an order that is not the listing's.
    let tasks: Vec<_> = (0..10)
        .map(|c| {
            let d = d.clone();
            tokio::spawn(async move {
                let iam = d.root_iam();
                let mut ids = HashMap::new();
                for i in (c..MANY).step_by(10).rev() {
                    let name = format!("many-{i:03}");
                    let user = iam.create_user().user_name(&name).path("/many/").send().await.unwrap().user.unwrap();
                    ids.insert(name, user.user_id);
                }
                ids
            })
        })
        .collect();
    let mut ids = HashMap::new();
    for task in tasks {
        ids.extend(task.await.unwrap());
    }
    assert_eq!(ids.len(), MANY);
    let expected: Vec<String> = (0..MANY).map(|i| format!("many-{i:03}")).collect();

    // By hand with a small page: every Marker leads on, the last page says it is the last.
    let iam = d.root_iam();
    for page_size in [1, 7, 100, 1000] {
        let mut seen = Vec::new();
        let mut marker = None;
        let mut pages = 0;
        loop {
            let page = iam.list_users().max_items(page_size).set_marker(marker.take()).send().await.unwrap();
            pages += 1;
            assert!(page.users.len() <= usize::try_from(page_size).unwrap());
            for u in &page.users {
                assert_eq!(Some(&u.user_id), ids.get(&u.user_name), "{}", u.user_name);
                assert_eq!(u.path, "/many/");
                seen.push(u.user_name.clone());
            }
            if !page.is_truncated {
                assert!(page.marker.is_none(), "a last page with a marker");
                break;
            }
            assert_eq!(page.users.len(), usize::try_from(page_size).unwrap(), "a truncated page short of MaxItems");
            marker = Some(page.marker.expect("a truncated page carries a marker"));
        }
        // Each exactly once, in name order (IAM lists users by name).
        assert_eq!(seen, expected, "page size {page_size}");
        assert_eq!(pages, MANY.div_ceil(usize::try_from(page_size).unwrap()).max(1), "page size {page_size}");
    }
    // The SDK's paginator, and a path prefix that holds them all.
    let paged: Vec<_> = iam
        .list_users()
        .path_prefix("/many/")
        .max_items(33)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.user_name)
        .collect();
    assert_eq!(paged, expected);
    // They stay after a restart.
    let d = std::sync::Arc::into_inner(d).unwrap().restart().await;
    let after = d.root_iam().list_users().max_items(1000).send().await.unwrap().users;
    assert_eq!(after.iter().map(|u| u.user_name.clone()).collect::<Vec<_>>(), expected);
    println!("{MANY} users listed in pages of 1, 7, 33, 100 and 1000");
}
