//! State survives a restart: users, keys (which still sign), key status and last-used data.

mod common;

use aws_sdk_iam::types::StatusType;
use common::Daemon;

#[tokio::test]
async fn keys_survive_a_restart_and_still_sign() {
    let d = Daemon::start().await;
    let (id, secret) = d.user_with_key("keeper").await;
    let (id2, secret2) = d.user_with_key("sleeper").await;
    d.root_iam()
        .update_access_key()
        .user_name("sleeper")
        .access_key_id(&id2)
        .status(StatusType::Inactive)
        .send()
        .await
        .unwrap();
    d.sts(&id, &secret).get_caller_identity().send().await.unwrap();

    let d = d.restart().await;
    let me = d.sts(&id, &secret).get_caller_identity().send().await.unwrap();
    assert!(me.arn().unwrap().ends_with(":user/keeper"));
    let err = d.sts(&id2, &secret2).get_caller_identity().send().await.unwrap_err();
    assert_eq!(
        err.as_service_error().and_then(|e| aws_sdk_sts::error::ProvideErrorMetadata::code(e)),
        Some("InvalidClientTokenId")
    );
    let used =
        d.root_iam().get_access_key_last_used().access_key_id(&id).send().await.unwrap().access_key_last_used.unwrap();
    assert_eq!(used.service_name, "sts");
}

#[tokio::test]
async fn secrets_are_not_stored_in_plaintext() {
    let d = Daemon::start().await;
    let (_, secret) = d.user_with_key("hidden").await;
    let dir = d.data_dir().to_path_buf();
    let d = d.restart().await;
    let mut found = false;
    for entry in walk(&dir) {
        let bytes = std::fs::read(&entry).unwrap();
        if bytes.windows(secret.len()).any(|w| w == secret.as_bytes()) {
            found = true;
        }
    }
    assert!(!found, "the secret access key appears in plaintext under {}", dir.display());
    drop(d);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
