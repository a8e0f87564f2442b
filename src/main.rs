//! The `iamd` binary: command line → settings → server. Nothing else lives here.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use iamd::app::App;
use iamd::clock::Clock;
use iamd::config::{Overrides, Settings};

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
    /// Keep state in a temporary directory removed at exit.
    #[arg(long)]
    ephemeral: bool,
    /// Print AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION once serving.
    #[arg(long)]
    print_env: bool,
}

fn main() -> std::process::ExitCode {
    let Command::Serve(args) = Cli::parse().command;
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
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
    };
    let mut settings = match Settings::resolve(overrides, args.ephemeral) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("iamd: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    init_logging(&settings.log);
    // Held until exit: dropping it removes the ephemeral data dir.
    let ephemeral_dir = if settings.ephemeral {
        match tempfile::Builder::new().prefix("iamd-").tempdir() {
            Ok(d) => {
                settings.data_dir = d.path().to_path_buf();
                Some(d)
            }
            Err(e) => {
                eprintln!("iamd: cannot create a temporary data dir: {e}");
                return std::process::ExitCode::FAILURE;
            }
        }
    } else {
        None
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("iamd: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(run(settings, args.print_env));
    drop(ephemeral_dir);
    code
}

async fn run(settings: Settings, print_env: bool) -> std::process::ExitCode {
    let listen = settings.listen;
    let region = settings.region.clone();
    let configured_root = settings.root.clone();
    let (app, generated) = match App::open(settings, Clock::system()) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("iamd: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::bind(listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("iamd: cannot listen on {listen}: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let addr = listener.local_addr().map_or(listen, |a| a);
    tracing::info!(%addr, data_dir = %app.settings.data_dir.display(), account = %app.settings.account_id, "serving IAM and STS");
    let mut out = std::io::stdout().lock();
    if let Some(g) = generated.as_ref().filter(|_| !print_env) {
        eprintln!("iamd: generated root credentials for account {} (shown once, keep them):", app.settings.account_id);
        let _ = writeln!(out, "AWS_ACCESS_KEY_ID={}\nAWS_SECRET_ACCESS_KEY={}", g.access_key_id, g.secret.expose());
    }
    if print_env {
        let _ = writeln!(out, "AWS_ENDPOINT_URL=http://{addr}");
        let creds = generated
            .as_ref()
            .map(|g| (g.access_key_id.clone(), g.secret.clone()))
            .or_else(|| configured_root.as_ref().map(|r| (r.access_key_id.clone(), r.secret.clone())));
        match creds {
            Some((id, secret)) => {
                let _ = writeln!(out, "AWS_ACCESS_KEY_ID={id}\nAWS_SECRET_ACCESS_KEY={}", secret.expose());
            }
            None => {
                eprintln!("iamd: root credentials were shown when this data dir was created and are not shown again")
            }
        }
        let _ = writeln!(out, "AWS_REGION={region}");
    }
    let _ = out.flush();
    drop(out);
    iamd::server::serve(listener, Arc::new(app), shutdown_signal()).await;
    std::process::ExitCode::SUCCESS
}

/// Resolves on SIGTERM or SIGINT.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("signal received");
}

fn init_logging(filter: &str) {
    let filter =
        tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}
