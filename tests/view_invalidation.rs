//! The in-memory read view never outlives a change: while readers hammer a key or a policy with
//! requests (so both are cached), a writer deletes, deactivates or changes them; no request that
//! starts after the change was acknowledged may still succeed.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use aws_sdk_iam::types::StatusType;
use common::Daemon;
use tokio::sync::Mutex;

/// Readers run `attempt` in a loop until stopped, remembering when each successful attempt began.
struct Readers {
    stop: Arc<AtomicBool>,
    successes: Arc<Mutex<Vec<Instant>>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Readers {
    fn start<F, Fut>(n: usize, attempt: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + Clone + 'static,
        Fut: std::future::Future<Output = bool> + Send,
    {
        let stop = Arc::new(AtomicBool::new(false));
        let successes = Arc::new(Mutex::new(Vec::new()));
        let tasks = (0..n)
            .map(|_| {
                let (stop, successes, attempt) = (stop.clone(), successes.clone(), attempt.clone());
                tokio::spawn(async move {
                    while !stop.load(Ordering::Relaxed) {
                        let began = Instant::now();
                        if attempt().await {
                            successes.lock().await.push(began);
                        }
                    }
                })
            })
            .collect();
        Self { stop, successes, tasks }
    }

    /// Stops the readers; returns how many successes began after `acked`, and how many in all.
    async fn finish(self, acked: Instant) -> (usize, usize) {
        // Keep reading for a while after the change, so late stale answers would show.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        self.stop.store(true, Ordering::Relaxed);
        for t in self.tasks {
            t.await.unwrap();
        }
        let s = self.successes.lock().await;
        (s.iter().filter(|b| **b > acked).count(), s.len())
    }
}

async fn warm_up() {
    // Let the readers fill the cache before the change.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_deleted_or_deactivated_key_is_refused_by_every_later_request() {
    let d = Daemon::start().await;
    let iam = d.root_iam();
    for (user, change) in [("deleted", "delete"), ("deactivated", "deactivate")] {
        let (id, secret) = d.user_with_key(user).await;
        let sts = d.sts(&id, &secret);
        let readers = Readers::start(8, move || {
            let sts = sts.clone();
            async move { sts.get_caller_identity().send().await.is_ok() }
        });
        warm_up().await;
        if change == "delete" {
            iam.delete_access_key().user_name(user).access_key_id(&id).send().await.unwrap();
        } else {
            iam.update_access_key()
                .user_name(user)
                .access_key_id(&id)
                .status(StatusType::Inactive)
                .send()
                .await
                .unwrap();
        }
        let acked = Instant::now();
        let (late, all) = readers.finish(acked).await;
        assert!(all > 50, "the key was used {all} times before the change: the test did not exercise the cache");
        assert_eq!(late, 0, "{late} requests with the {change}d key succeeded after the change was acknowledged");
    }
    let stats = d.app.store.view_stats();
    let keys = stats.iter().find(|s| s.kind == "access_key").unwrap();
    assert!(keys.hits > 50, "the key cache was not used: {} hits", keys.hits);
}

const ALLOW_LIST_USERS: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}"#;
const DENY_LIST_USERS: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:ListUsers","Resource":"*"}]}"#;

async fn create_policy(iam: &aws_sdk_iam::Client, name: &str, document: &str) -> String {
    let created = iam.create_policy().policy_name(name).policy_document(document).send().await.unwrap();
    created.policy.unwrap().arn.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_changed_policy_applies_to_every_later_request() {
    let d = Daemon::start().await;
    let iam = d.root_iam();
    let arn = create_policy(&iam, "lister", ALLOW_LIST_USERS).await;
    iam.create_group().group_name("listers").send().await.unwrap();
    iam.attach_group_policy().group_name("listers").policy_arn(&arn).send().await.unwrap();

    // Each way a user's permission can go away while it is cached.
    let changes = ["remove inline policy", "remove from group", "new default version", "boundary"];
    for (i, change) in changes.iter().enumerate() {
        let user = format!("u{i}");
        let (id, secret) = d.user_with_key(&user).await;
        match *change {
            "remove inline policy" => {
                iam.put_user_policy()
                    .user_name(&user)
                    .policy_name("p")
                    .policy_document(ALLOW_LIST_USERS)
                    .send()
                    .await
                    .unwrap();
            }
            _ => {
                iam.add_user_to_group().group_name("listers").user_name(&user).send().await.unwrap();
            }
        }
        let client = d.iam(&id, &secret);
        let readers = Readers::start(8, move || {
            let client = client.clone();
            async move { client.list_users().send().await.is_ok() }
        });
        warm_up().await;
        match *change {
            "remove inline policy" => {
                iam.delete_user_policy().user_name(&user).policy_name("p").send().await.unwrap();
            }
            "remove from group" => {
                iam.remove_user_from_group().group_name("listers").user_name(&user).send().await.unwrap();
            }
            "new default version" => {
                iam.create_policy_version()
                    .policy_arn(&arn)
                    .policy_document(DENY_LIST_USERS)
                    .set_as_default(true)
                    .send()
                    .await
                    .unwrap();
            }
            _ => {
                // A boundary that allows nothing the user does.
                let none = create_policy(&iam, "nothing", DENY_LIST_USERS).await;
                iam.put_user_permissions_boundary().user_name(&user).permissions_boundary(none).send().await.unwrap();
            }
        }
        let acked = Instant::now();
        let (late, all) = readers.finish(acked).await;
        assert!(all > 20, "{change}: only {all} allowed requests before the change");
        assert_eq!(late, 0, "{change}: {late} requests were still allowed after the change was acknowledged");
        if *change == "new default version" {
            // Back to the allowing version for the next case.
            iam.set_default_policy_version().policy_arn(&arn).version_id("v1").send().await.unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_renamed_user_is_named_anew_by_the_next_request() {
    let d = Daemon::start().await;
    let iam = d.root_iam();
    let (id, secret) = d.user_with_key("before").await;
    let sts = d.sts(&id, &secret);
    for _ in 0..20 {
        sts.get_caller_identity().send().await.unwrap();
    }
    iam.update_user().user_name("before").new_user_name("after").new_path("/moved/").send().await.unwrap();
    let me = sts.get_caller_identity().send().await.unwrap();
    assert_eq!(me.arn(), Some("arn:aws:iam::000000000000:user/moved/after"));
}
