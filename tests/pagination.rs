//! Marker / MaxItems / IsTruncated, driven by the SDK's own paginators.

mod common;

use common::Daemon;

#[tokio::test]
async fn list_users_pages_through_every_user_once() {
    let d = Daemon::start().await;
    let iam = d.root_iam();
    for i in 0..7 {
        let path = if i % 2 == 0 { "/even/" } else { "/odd/" };
        iam.create_user().user_name(format!("user{i}")).path(path).send().await.unwrap();
    }
    let first = iam.list_users().max_items(3).send().await.unwrap();
    assert!(first.is_truncated);
    assert_eq!(first.users.len(), 3);
    let marker = first.marker.clone().unwrap();
    let second = iam.list_users().max_items(3).marker(marker).send().await.unwrap();
    assert_eq!(second.users[0].user_name, "user3");

    let all: Vec<String> = iam
        .list_users()
        .max_items(2)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.user_name)
        .collect();
    assert_eq!(all, (0..7).map(|i| format!("user{i}")).collect::<Vec<_>>());

    let even = iam.list_users().path_prefix("/even").send().await.unwrap();
    assert!(!even.is_truncated);
    assert_eq!(
        even.users.iter().map(|u| u.user_name.as_str()).collect::<Vec<_>>(),
        ["user0", "user2", "user4", "user6"]
    );
}

#[tokio::test]
async fn list_user_tags_pages() {
    let d = Daemon::start().await;
    let iam = d.root_iam();
    let mut req = iam.create_user().user_name("tagged");
    for i in 0..5 {
        req = req.tags(aws_sdk_iam::types::Tag::builder().key(format!("k{i}")).value("v").build().unwrap());
    }
    req.send().await.unwrap();
    let page = iam.list_user_tags().user_name("tagged").max_items(2).send().await.unwrap();
    assert!(page.is_truncated);
    let rest = iam.list_user_tags().user_name("tagged").marker(page.marker.unwrap()).send().await.unwrap();
    assert!(!rest.is_truncated);
    assert_eq!(page.tags.len() + rest.tags.len(), 5);
}
