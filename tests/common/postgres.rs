//! A real PostgreSQL server for a test: Debian's `postgresql` binaries, `initdb` on a temporary
//! directory and `postgres` on a free loopback port, run as an unprivileged user when the tests
//! run as root (PostgreSQL refuses to run as root). Stopped (fast shutdown) and removed on drop.
//! Without the binaries a test says SKIPPED loudly (`.ci/install-postgres` installs them); a
//! server that does not start fails the test with its log.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const READY_TIMEOUT: Duration = Duration::from_secs(60);

pub struct Postgres {
    child: Option<Child>,
    pub port: u16,
    /// The database and role the server was made with (trust authentication on loopback).
    pub user: &'static str,
    bin: PathBuf,
    dir: tempfile::TempDir,
    /// More `postgres` arguments (TLS settings).
    extra: Vec<String>,
}

/// The directory holding `initdb` and `postgres`: `IAMD_PG_BIN`, the one `pg_config` names,
/// or the newest `/usr/lib/postgresql/*/bin`.
fn bin_dir() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("IAMD_PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path().join("bin")).filter(|p| p.join("initdb").exists()).collect())
        .unwrap_or_default();
    found.sort_by_key(|p| {
        p.parent().and_then(|v| v.file_name()).and_then(|v| v.to_str()).and_then(|v| v.parse::<u32>().ok())
    });
    if let Some(newest) = found.pop() {
        return Ok(newest);
    }
    let out = Command::new("pg_config").arg("--bindir").output().map_err(|e| format!("no pg_config: {e}"))?;
    let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    if dir.join("initdb").exists() { Ok(dir) } else { Err(format!("no initdb in {}", dir.display())) }
}

/// The uid and gid to run PostgreSQL as: ours, or `postgres`'s (else `nobody`'s) when root.
fn run_as() -> Option<(u32, u32)> {
    let id = |flag: &str, user: &str| -> Option<u32> {
        let out = Command::new("id").args([flag, user]).output().ok()?;
        if !out.status.success() {
            return None;
        }
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    };
    let me = Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&me.stdout).trim() != "0" {
        return None;
    }
    ["postgres", "nobody"].into_iter().find_map(|u| Some((id("-u", u)?, id("-g", u)?)))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn command(bin: &Path, name: &str, owner: Option<(u32, u32)>) -> Command {
    use std::os::unix::process::CommandExt;
    let mut cmd = Command::new(bin.join(name));
    if let Some((uid, gid)) = owner {
        cmd.uid(uid).gid(gid);
    }
    cmd.env("LC_ALL", "C").env_remove("PGDATA");
    cmd
}

impl Postgres {
    /// Starts a new server, panicking with the reason when it cannot. Without PostgreSQL's
    /// binaries on the machine, says SKIPPED loudly (naming `test`) and returns `None`.
    pub fn start(test: &str) -> Option<Self> {
        Self::start_with(test, false)
    }

    fn start_with(test: &str, tls: bool) -> Option<Self> {
        let bin = match bin_dir() {
            Ok(bin) => bin,
            Err(e) => {
                eprintln!("SKIPPED {test}: PostgreSQL is not installed ({e}); run .ci/install-postgres");
                return None;
            }
        };
        Some(Self::try_start(bin, tls).unwrap_or_else(|e| panic!("PostgreSQL could not be started for {test}: {e}")))
    }

    /// [`Postgres::start`] for a server that takes TLS connections only, with a certificate
    /// for 127.0.0.1 and localhost from a CA of its own ([`Postgres::ca_file`]), made with
    /// `openssl` (SKIPPED loudly without it).
    pub fn start_tls(test: &str) -> Option<Self> {
        if Command::new("openssl").arg("version").output().is_err() {
            eprintln!("SKIPPED {test}: openssl is not installed: cannot make a test CA, TLS NOT TESTED");
            return None;
        }
        Self::start_with(test, true)
    }

    /// The PEM file of the CA that signed a TLS server's certificate.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// A CA and a server certificate signed by it, in the server's directory.
    fn make_certificates(&self, owner: Option<(u32, u32)>) -> Result<Vec<String>, String> {
        let dir = self.dir.path();
        let openssl = |args: &[&str]| -> Result<(), String> {
            let out = Command::new("openssl").args(args).current_dir(dir).output().map_err(|e| e.to_string())?;
            if out.status.success() { Ok(()) } else { Err(String::from_utf8_lossy(&out.stderr).into_owned()) }
        };
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=iamd test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
        ])?;
        openssl(&[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ])?;
        std::fs::write(dir.join("san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n")
            .map_err(|e| e.to_string())?;
        openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "san.ext",
            "-out",
            "server.pem",
        ])?;
        let key = dir.join("server.key");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).map_err(|e| e.to_string())?;
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::chown(&key, Some(uid), Some(gid)).map_err(|e| format!("chown: {e}"))?;
        }
        // TLS connections only: a client in the clear is turned away.
        let hba = dir.join("data").join("pg_hba.conf");
        std::fs::write(&hba, "local all all trust\nhostssl all all 127.0.0.1/32 trust\n").map_err(|e| e.to_string())?;
        Ok([
            "ssl=on".to_owned(),
            format!("ssl_cert_file={}", dir.join("server.pem").display()),
            format!("ssl_key_file={}", key.display()),
        ]
        .into_iter()
        .flat_map(|c| ["-c".to_owned(), c])
        .collect())
    }

    fn try_start(bin: PathBuf, tls: bool) -> Result<Self, String> {
        let owner = run_as();
        let dir = tempfile::Builder::new().prefix("iamd-pg-").tempdir().map_err(|e| e.to_string())?;
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).map_err(|e| format!("chown: {e}"))?;
        }
        let data = dir.path().join("data");
        let user = "iamd";
        let out = command(&bin, "initdb", owner)
            .arg("-D")
            .arg(&data)
            .args(["-U", user, "--auth=trust", "-E", "UTF8", "--no-instructions"])
            .output()
            .map_err(|e| format!("cannot run initdb: {e}"))?;
        if !out.status.success() {
            return Err(format!("initdb failed: {}", String::from_utf8_lossy(&out.stderr)));
        }
        let mut pg = Self { child: None, port: free_port(), user, bin, dir, extra: Vec::new() };
        if tls {
            pg.extra = pg.make_certificates(owner)?;
        }
        pg.child = Some(pg.spawn()?);
        pg.wait_ready()?;
        Ok(pg)
    }

    fn spawn(&self) -> Result<Child, String> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("postgres.log"))
            .map_err(|e| e.to_string())?;
        command(&self.bin, "postgres", run_as())
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-k"])
            .arg(self.dir.path())
            .args(&self.extra)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot run postgres: {e}"))
    }

    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            // Over the socket directory: a TLS-only server refuses plain TCP.
            let ready = Command::new(self.bin.join("pg_isready"))
                .args([
                    "-h",
                    self.dir.path().to_str().unwrap_or("127.0.0.1"),
                    "-p",
                    &self.port.to_string(),
                    "-U",
                    self.user,
                    "-d",
                    "postgres",
                ])
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if ready {
                return Ok(());
            }
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                return Err(format!("postgres exited ({status}): {}", self.log()));
            }
            if Instant::now() > deadline {
                return Err(format!("postgres not ready within {READY_TIMEOUT:?}: {}", self.log()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("postgres.log")).unwrap_or_default()
    }

    /// A connection URL for database `db`.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://{}@127.0.0.1:{}/{db}", self.user, self.port)
    }

    /// Runs one SQL command with `psql` against database `db`; returns its output rows.
    pub fn psql(&self, db: &str, sql: &str) -> Result<String, String> {
        let out = Command::new(self.bin.join("psql"))
            .args(["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", &self.url(db), "-c", sql])
            .output()
            .map_err(|e| format!("cannot run psql: {e}"))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    /// Stops the server the way an operator's restart would (fast shutdown: clients are
    /// disconnected, everything committed is kept), waiting for it to exit.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SIGINT is PostgreSQL's fast shutdown.
            let _ = Command::new("kill").args(["-INT", &child.id().to_string()]).status();
            let deadline = Instant::now() + READY_TIMEOUT;
            while child.try_wait().ok().flatten().is_none() {
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("postgres did not stop within {READY_TIMEOUT:?}");
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    /// Starts the stopped server again on the same port and data.
    pub fn restart(&mut self) {
        self.stop();
        self.child = Some(self.spawn().expect("postgres restarts"));
        self.wait_ready().unwrap_or_else(|e| panic!("postgres did not come back: {e}"));
    }
}

/// One server for every test of this process: what the whole suite runs on with
/// `IAMD_TEST_STORE=postgres`. A static is never dropped, so a watchdog stops the server, and
/// removes its files, once this process has exited. Panics when PostgreSQL is missing: a run
/// that asked for it must not pass on sled.
pub fn shared() -> &'static Postgres {
    static SHARED: std::sync::OnceLock<Postgres> = std::sync::OnceLock::new();
    SHARED.get_or_init(|| {
        let pg = Postgres::start("the suite on PostgreSQL (IAMD_TEST_STORE=postgres)")
            .unwrap_or_else(|| panic!("IAMD_TEST_STORE=postgres needs PostgreSQL: run .ci/install-postgres"));
        let server = pg.child.as_ref().map_or(0, Child::id);
        let script = format!(
            "while kill -0 {me} 2>/dev/null; do sleep 0.5; done; kill -INT {server}; sleep 5; \
             kill -KILL {server} 2>/dev/null; rm -rf '{dir}'",
            me = std::process::id(),
            dir = pg.dir.path().display()
        );
        // Never waited for: it must outlive this process.
        #[allow(clippy::zombie_processes)]
        Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the watchdog of the shared PostgreSQL starts");
        pg
    })
}

impl Postgres {
    /// The URL of database `name`, created when it does not exist yet.
    pub fn database(&self, name: &str) -> String {
        let exists = self.psql("postgres", &format!("SELECT 1 FROM pg_database WHERE datname = '{name}'"));
        if exists.as_deref() != Ok("1") {
            self.psql("postgres", &format!("CREATE DATABASE {name}")).unwrap_or_else(|e| panic!("{e}"));
        }
        self.url(name)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
