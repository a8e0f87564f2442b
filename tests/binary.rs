//! The real `iamd` binary: `serve --print-env`, SIGTERM and `kill -9` on the same data dir.

mod common;

use common::binary::{EXIT_TIMEOUT, iam, run_to_exit, start, sts};

#[tokio::test]
async fn generated_root_credentials_are_printed_once_and_keep_working() {
    let dir = tempfile::tempdir().unwrap();
    let first = start(dir.path(), None);
    let id = first.env["AWS_ACCESS_KEY_ID"].clone();
    let secret = first.env["AWS_SECRET_ACCESS_KEY"].clone();
    assert!(id.starts_with("AKIA"));
    assert_eq!(first.env["AWS_REGION"], "us-east-1");
    iam(&first.env["AWS_ENDPOINT_URL"], &id, &secret).create_user().user_name("u1").send().await.unwrap();
    drop(first);

    let second = start(dir.path(), None);
    assert!(!second.env.contains_key("AWS_SECRET_ACCESS_KEY"), "a generated secret is shown only once");
    let client = iam(&second.env["AWS_ENDPOINT_URL"], &id, &secret);
    assert_eq!(client.get_user().user_name("u1").send().await.unwrap().user.unwrap().user_name, "u1");
}

#[tokio::test]
async fn kill_9_loses_no_acknowledged_change() {
    let dir = tempfile::tempdir().unwrap();
    let root = ("AKIAROOTROOTROOTROOT", "root-secret-root-secret-root-secret-0000");
    let mut created = Vec::new();
    {
        let d = start(dir.path(), Some(root));
        let client = iam(&d.env["AWS_ENDPOINT_URL"], root.0, root.1);
        for i in 0..20 {
            let name = format!("crash{i}");
            client.create_user().user_name(&name).send().await.unwrap();
            let key = client.create_access_key().user_name(&name).send().await.unwrap().access_key.unwrap();
            created.push((name, key.access_key_id, key.secret_access_key));
        }
        let mut d = d;
        // SIGKILL straight after the last acknowledged response: no shutdown path runs.
        d.kill9();
    }
    let d = start(dir.path(), Some(root));
    let endpoint = d.env["AWS_ENDPOINT_URL"].clone();
    for (name, id, secret) in &created {
        let user = iam(&endpoint, id, secret);
        // The user's own key authenticates (and is refused only for lack of policy).
        let err = user.list_users().send().await.unwrap_err();
        let code = err.as_service_error().and_then(aws_sdk_iam::error::ProvideErrorMetadata::code);
        assert_eq!(code, Some("AccessDenied"), "key of {name} lost");
    }
}

#[tokio::test]
async fn sigterm_stops_the_daemon_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = start(dir.path(), Some(("AKIAROOTROOTROOTROOT", "root-secret-root-secret-root-secret-0000")));
    d.sigterm();
    let status = d.wait_exit(EXIT_TIMEOUT);
    assert!(status.success(), "{status}");
}

/// Runs `iamd serve` on `data_dir` to its exit (within the deadline) and returns its exit code
/// and what it wrote to stderr.
fn serve_to_exit(data_dir: &std::path::Path) -> (Option<i32>, String) {
    run_to_exit(&["serve", "--listen", "127.0.0.1:0"], data_dir)
}

#[test]
fn a_second_daemon_on_a_data_dir_in_use_exits_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let first = start(dir.path(), None);
    assert!(first.env.contains_key("AWS_ENDPOINT_URL"));
    let (code, stderr) = serve_to_exit(dir.path());
    assert!(code.is_some_and(|c| c != 0), "exit code {code:?}");
    assert!(stderr.contains("is in use by another iamd process"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn a_master_key_open_to_others_stops_the_start() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    drop(start(dir.path(), None));
    let key = dir.path().join("master.key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, stderr) = serve_to_exit(dir.path());
    assert!(code.is_some_and(|c| c != 0), "exit code {code:?}");
    assert!(stderr.contains("(mode 644)") && stderr.contains("chmod 600"), "{stderr}");
}

#[tokio::test]
async fn a_rotated_token_key_seals_new_sessions_and_still_opens_old_ones() {
    let dir = tempfile::tempdir().unwrap();
    let root = ("AKIAROTATEROTATE0001", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    let first = start(dir.path(), Some(root));
    let endpoint = first.env["AWS_ENDPOINT_URL"].clone();
    let before = sts(&endpoint, root.0, root.1, None).get_session_token().send().await.unwrap().credentials.unwrap();
    assert!(before.session_token.starts_with("iamd1."), "{}", before.session_token);
    drop(first);

    let (code, stderr) = run_to_exit(&["rotate-token-key"], dir.path());
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("token key 2 seals new tokens"), "{stderr}");

    let second = start(dir.path(), Some(root));
    let endpoint = second.env["AWS_ENDPOINT_URL"].clone();
    let old = sts(&endpoint, &before.access_key_id, &before.secret_access_key, Some(before.session_token.clone()));
    old.get_caller_identity().send().await.expect("a token of the retired key still opens");
    let after = sts(&endpoint, root.0, root.1, None).get_session_token().send().await.unwrap().credentials.unwrap();
    assert!(after.session_token.starts_with("iamd2."), "{}", after.session_token);
    let new = sts(&endpoint, &after.access_key_id, &after.secret_access_key, Some(after.session_token));
    new.get_caller_identity().send().await.unwrap();
}
