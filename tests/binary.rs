//! The real `iamd` binary: `serve --print-env`, SIGTERM and `kill -9` on the same data dir.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use aws_credential_types::Credentials;
use aws_sdk_iam::config::{BehaviorVersion, Region};
use aws_smithy_http_client::Builder as HttpBuilder;

struct Running {
    child: Child,
    env: std::collections::HashMap<String, String>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the binary on a free port and reads the `--print-env` lines.
fn start(data_dir: &std::path::Path, root: Option<(&str, &str)>) -> Running {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_iamd"));
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--print-env", "--data-dir"])
        .arg(data_dir)
        .env_remove("IAMD_ROOT_ACCESS_KEY_ID")
        .env_remove("IAMD_ROOT_SECRET_ACCESS_KEY")
        .env("IAMD_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some((id, secret)) = root {
        cmd.env("IAMD_ROOT_ACCESS_KEY_ID", id).env("IAMD_ROOT_SECRET_ACCESS_KEY", secret);
    }
    let mut child = cmd.spawn().unwrap();
    let mut env = std::collections::HashMap::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // AWS_DEFAULT_REGION is the last line --print-env writes.
    while !env.contains_key("AWS_DEFAULT_REGION") {
        let Some(Ok(line)) = lines.next() else { break };
        if let Some((k, v)) = line.split_once('=') {
            env.insert(k.to_owned(), v.to_owned());
        }
    }
    Running { child, env }
}

fn iam(endpoint: &str, id: &str, secret: &str) -> aws_sdk_iam::Client {
    let conf = aws_sdk_iam::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(id, secret, None, None, "test"))
        .http_client(HttpBuilder::new().build_http())
        .build();
    aws_sdk_iam::Client::from_conf(conf)
}

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
        d.child.kill().unwrap();
        d.child.wait().unwrap();
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
    let pid = d.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status = d.child.wait().unwrap();
    assert!(status.success(), "{status}");
}
