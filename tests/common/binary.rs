//! The real `iamd` binary as a child process. Every wait has a deadline, so a daemon that hangs
//! fails its test instead of hanging `cargo test`.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use aws_credential_types::Credentials;
use aws_sdk_iam::config::{BehaviorVersion, Region};
use aws_smithy_http_client::Builder as HttpBuilder;
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;

/// How long a start may take before the test fails (a debug build on a busy 2-core machine).
pub const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a stopping daemon may take to exit.
pub const EXIT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long one SDK call may take, retries included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

pub struct Running {
    pub child: Child,
    pub env: HashMap<String, String>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Running {
    pub fn endpoint(&self) -> String {
        self.env["AWS_ENDPOINT_URL"].clone()
    }

    pub fn sigterm(&self) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    }

    /// SIGKILL: no shutdown path runs.
    pub fn kill9(&mut self) {
        self.child.kill().unwrap();
        self.wait_exit(EXIT_TIMEOUT);
    }

    /// Waits for the exit, failing the test after `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("iamd did not exit within {timeout:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Starts the binary on a free port and reads the `--print-env` lines, failing the test when
/// they do not all come within [`START_TIMEOUT`].
pub fn start(data_dir: &Path, root: Option<(&str, &str)>) -> Running {
    start_with_env(data_dir, root, &[])
}

/// [`start`] with more environment variables (`IAMD_STORE_URL`, say).
pub fn start_with_env(data_dir: &Path, root: Option<(&str, &str)>, vars: &[(&str, &str)]) -> Running {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_iamd"));
    cmd.envs(vars.iter().copied());
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--print-env", "--data-dir"])
        .arg(data_dir)
        .env_remove("IAMD_ROOT_ACCESS_KEY_ID")
        .env_remove("IAMD_ROOT_SECRET_ACCESS_KEY")
        .env("IAMD_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(if std::env::var_os("IAMD_TEST_STDERR").is_some() { Stdio::inherit() } else { Stdio::null() });
    if let Some((id, secret)) = root {
        cmd.env("IAMD_ROOT_ACCESS_KEY_ID", id).env("IAMD_ROOT_SECRET_ACCESS_KEY", secret);
    }
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut running = Running { child, env: HashMap::new() };
    let deadline = Instant::now() + START_TIMEOUT;
    // AWS_DEFAULT_REGION is the last line --print-env writes.
    while !running.env.contains_key("AWS_DEFAULT_REGION") {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                if let Some((k, v)) = line.split_once('=') {
                    running.env.insert(k.to_owned(), v.to_owned());
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                panic!("iamd did not print its environment within {START_TIMEOUT:?}")
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let status = running.wait_exit(EXIT_TIMEOUT);
                panic!("iamd exited ({status}) before printing its environment");
            }
        }
    }
    running
}

fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder().connect_timeout(Duration::from_secs(5)).operation_timeout(REQUEST_TIMEOUT).build()
}

/// An IAM client with a deadline per call and no retries: each answer is the daemon's own.
pub fn iam(endpoint: &str, id: &str, secret: &str) -> aws_sdk_iam::Client {
    let conf = aws_sdk_iam::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(id, secret, None, None, "test"))
        .http_client(HttpBuilder::new().build_http())
        .retry_config(RetryConfig::disabled())
        .timeout_config(timeouts())
        .build();
    aws_sdk_iam::Client::from_conf(conf)
}

/// An STS client like [`iam`].
pub fn sts(endpoint: &str, id: &str, secret: &str, token: Option<String>) -> aws_sdk_sts::Client {
    let conf = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(id, secret, token, None, "test"))
        .http_client(HttpBuilder::new().build_http())
        .retry_config(RetryConfig::disabled())
        .timeout_config(timeouts())
        .build();
    aws_sdk_sts::Client::from_conf(conf)
}

/// Runs an `iamd` command to its exit, failing the test after [`EXIT_TIMEOUT`]; returns the
/// exit code and what it wrote to stderr (read on a thread, so a full pipe cannot stall it).
pub fn run_to_exit(args: &[&str], data_dir: &Path) -> (Option<i32>, String) {
    run_to_exit_with_env(args, data_dir, &[])
}

/// [`run_to_exit`] with more environment variables.
pub fn run_to_exit_with_env(args: &[&str], data_dir: &Path, vars: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_iamd"))
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env("IAMD_LOG", "warn")
        .envs(vars.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
        text
    });
    let deadline = Instant::now() + EXIT_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("iamd {args:?} did not exit within {EXIT_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (status.code(), reader.join().unwrap())
}
