//! The `iamd` binary: command line → settings → [`iamd::server::run`]. Nothing else lives here.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use iamd::config::{Overrides, Settings};

// glibc's allocator serialises threads on its arena locks under this many small allocations.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[derive(Parser)]
#[command(name = "iamd", version, about = "An AWS-compatible IAM/STS daemon")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve IAM and STS on one port.
    Serve(ServeArgs),
    /// Check the settings (config file, flags, environment, seed files) and exit: 0 when valid.
    CheckConfig(ServeArgs),
    /// Write the data dir's whole store, secrets still sealed under the master key, as one JSON
    /// file (to stdout unless --output). The daemon must be stopped: an export is one snapshot.
    Export(BackupArgs),
    /// Load a backup written by `iamd export` into an empty data dir, which needs the master
    /// key the backup was sealed under (IAMD_MASTER_KEY_FILE or DATA_DIR/master.key).
    Import(ImportArgs),
    /// Make a new session-token key (the daemon must be stopped). From the next start it seals
    /// new tokens; the previous key still opens the ones it sealed until they have all expired.
    RotateTokenKey(OfflineArgs),
    /// Re-seal every secret under a new master key, which then replaces the key file (the daemon
    /// must be stopped). Crash-safe: the next start finishes or undoes an interrupted run. Keep
    /// the old key while you keep backups made before: they are sealed under it.
    RotateMasterKey(OfflineArgs),
    /// Benchmarks only: store COUNT access keys of synthetic users (two each, secrets random and
    /// never shown) straight into a data dir, offline, then exit.
    #[command(hide = true)]
    FillKeys(FillArgs),
}

#[derive(clap::Args)]
struct ServeArgs {
    /// TOML settings file (see config/iamd.toml).
    #[arg(long, env = "IAMD_CONFIG")]
    config: Option<PathBuf>,
    /// Address to listen on; port 0 picks a free one.
    #[arg(long, env = "IAMD_LISTEN")]
    listen: Option<String>,
    /// Directory holding the database.
    #[arg(long, env = "IAMD_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Keep state in a PostgreSQL database shared by replicas (postgres://user@host/db)
    /// instead of sled in the data dir.
    #[arg(long = "store", env = "IAMD_STORE_URL", value_name = "URL")]
    store: Option<String>,
    /// Keep state in a temporary directory removed at exit.
    #[arg(long)]
    ephemeral: bool,
    /// Once serving, print the client environment: AWS_ENDPOINT_URL (and _IAM, _STS, and _S3
    /// with the gateway), the root key when known, AWS_REGION and AWS_DEFAULT_REGION. As
    /// NAME=value lines (`dotenv`, the default) or `export NAME='value'` (`shell`).
    #[arg(long, value_enum, num_args = 0..=1, require_equals = true, default_missing_value = "dotenv")]
    print_env: Option<iamd::server::EnvFormat>,
    /// A seed file of IAM entities to hold (see config/seed.example.toml), applied at start,
    /// idempotently; repeatable.
    #[arg(long = "seed", value_name = "FILE")]
    seeds: Vec<PathBuf>,
    /// Append the same NAME=value lines to this file once serving (e.g. "$GITHUB_ENV").
    #[arg(long)]
    env_file: Option<PathBuf>,
    /// Serve HTTPS with this PEM certificate chain (with --tls-key); aws:SecureTransport is
    /// then true.
    #[arg(long, env = "IAMD_TLS_CERT")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, env = "IAMD_TLS_KEY")]
    tls_key: Option<PathBuf>,
    /// Also serve the S3 gateway on this address (port 0 picks a free one).
    #[arg(long, env = "IAMD_S3_LISTEN")]
    s3_listen: Option<String>,
    /// The S3 server the gateway forwards to (its key: IAMD_S3_BACKEND_ACCESS_KEY_ID and
    /// IAMD_S3_BACKEND_SECRET_ACCESS_KEY; its region: IAMD_S3_BACKEND_REGION).
    #[arg(long, env = "IAMD_S3_BACKEND")]
    s3_backend: Option<String>,
}

#[derive(clap::Args)]
struct BackupArgs {
    /// TOML settings file (see config/iamd.toml).
    #[arg(long, env = "IAMD_CONFIG")]
    config: Option<PathBuf>,
    /// Directory holding the database.
    #[arg(long, env = "IAMD_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Write here instead of stdout.
    #[arg(long)]
    output: Option<PathBuf>,
}

#[derive(clap::Args)]
struct ImportArgs {
    /// The file `iamd export` wrote.
    file: PathBuf,
    /// TOML settings file (see config/iamd.toml).
    #[arg(long, env = "IAMD_CONFIG")]
    config: Option<PathBuf>,
    /// Directory to create the database in (must hold none).
    #[arg(long, env = "IAMD_DATA_DIR")]
    data_dir: Option<PathBuf>,
}

#[derive(clap::Args)]
struct OfflineArgs {
    /// TOML settings file (see config/iamd.toml).
    #[arg(long, env = "IAMD_CONFIG")]
    config: Option<PathBuf>,
    /// Directory holding the database.
    #[arg(long, env = "IAMD_DATA_DIR")]
    data_dir: Option<PathBuf>,
}

#[derive(clap::Args)]
struct FillArgs {
    /// Directory holding the database.
    #[arg(long, env = "IAMD_DATA_DIR")]
    data_dir: PathBuf,
    /// How many access keys to add.
    #[arg(long)]
    count: usize,
}

/// What to do once the settings are resolved.
enum Job {
    Serve(iamd::server::EnvOutput),
    CheckConfig,
    Export(Option<PathBuf>),
    Import(PathBuf),
    RotateTokenKey,
    RotateMasterKey,
    Fill(usize),
}

fn offline(config: Option<PathBuf>, data_dir: Option<PathBuf>) -> ServeArgs {
    ServeArgs {
        config,
        listen: None,
        data_dir,
        store: None,
        ephemeral: false,
        print_env: None,
        seeds: Vec::new(),
        env_file: None,
        s3_listen: None,
        s3_backend: None,
        tls_cert: None,
        tls_key: None,
    }
}

fn main() -> std::process::ExitCode {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let (args, job) = match Cli::parse().command {
        Command::Serve(args) => {
            let output = iamd::server::EnvOutput { print: args.print_env, file: args.env_file.clone() };
            (args, Job::Serve(output))
        }
        Command::CheckConfig(args) => (args, Job::CheckConfig),
        Command::Export(b) => (offline(b.config, b.data_dir), Job::Export(b.output)),
        Command::Import(i) => (offline(i.config, i.data_dir), Job::Import(i.file)),
        Command::RotateTokenKey(o) => (offline(o.config, o.data_dir), Job::RotateTokenKey),
        Command::RotateMasterKey(o) => (offline(o.config, o.data_dir), Job::RotateMasterKey),
        Command::FillKeys(f) => (offline(None, Some(f.data_dir)), Job::Fill(f.count)),
    };
    let overrides = Overrides {
        config: args.config,
        listen: args.listen,
        data_dir: args.data_dir,
        account_id: env("IAMD_ACCOUNT_ID"),
        root_access_key_id: env("IAMD_ROOT_ACCESS_KEY_ID"),
        root_secret_access_key: env("IAMD_ROOT_SECRET_ACCESS_KEY"),
        master_key_file: env("IAMD_MASTER_KEY_FILE").map(PathBuf::from),
        region: env("IAMD_REGION"),
        log: env("IAMD_LOG"),
        s3_listen: args.s3_listen,
        s3_backend: args.s3_backend,
        s3_backend_access_key_id: env("IAMD_S3_BACKEND_ACCESS_KEY_ID"),
        s3_backend_secret_access_key: env("IAMD_S3_BACKEND_SECRET_ACCESS_KEY"),
        s3_backend_region: env("IAMD_S3_BACKEND_REGION"),
        seeds: args.seeds,
        tls_cert: args.tls_cert,
        tls_key: args.tls_key,
        log_format: env("IAMD_LOG_FORMAT"),
        // Offline commands (export, import, rotations) read the variable too.
        store_url: args.store.or_else(|| env("IAMD_STORE_URL")),
    };
    let settings = match Settings::resolve(overrides, args.ephemeral) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("iamd: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    init_logging(&settings.log, settings.log_json);
    let result = match job {
        Job::Serve(output) => iamd::server::run(settings, output).map_err(|e| e.to_string()),
        Job::CheckConfig => {
            println!("iamd: the settings are valid");
            Ok(())
        }
        Job::Export(output) => export(&settings, output),
        Job::Import(file) => std::fs::File::open(&file)
            .map_err(|e| format!("cannot read {}: {e}", file.display()))
            .and_then(|f| iamd::backup::import(&settings, std::io::BufReader::new(f)))
            .map(|n| eprintln!("iamd: imported {n} records into {}", settings.data_dir.display())),
        Job::RotateTokenKey => iamd::rotate::rotate_token_key(&settings)
            .map(|id| eprintln!("iamd: token key {id} seals new tokens from the next start")),
        Job::RotateMasterKey => iamd::master_key::rotate(&settings).map(|r| {
            eprintln!("iamd: {} secrets re-sealed under a new master key, now in the key file", r.secrets);
        }),
        Job::Fill(count) => iamd::fill::fill_keys(settings, count).map_err(|e| e.to_string()),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("iamd: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn export(settings: &Settings, output: Option<PathBuf>) -> Result<(), String> {
    let n = match &output {
        Some(path) => {
            let file = std::fs::File::create(path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            let mut out = std::io::BufWriter::new(file);
            let n = iamd::backup::export(settings, &mut out)?;
            out.into_inner().map_err(|e| e.to_string())?.sync_all().map_err(|e| e.to_string())?;
            n
        }
        None => iamd::backup::export(settings, &mut std::io::stdout().lock())?,
    };
    eprintln!("iamd: exported {n} records from {}", settings.data_dir.display());
    Ok(())
}

fn init_logging(filter: &str, json: bool) {
    // s3s logs every refused S3 request at ERROR; the gateway logs its own decisions.
    let with_s3s = if filter.contains("s3s") { filter.to_owned() } else { format!("{filter},s3s=off") };
    let filter = with_s3s.as_str();
    let filter =
        tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false);
    if json {
        logs.json().init();
    } else {
        logs.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())).init();
    }
}
