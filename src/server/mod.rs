//! The daemon's life: open the state, bind, tell the caller where it serves, serve until a
//! signal, stop. `http` holds the hyper side.

pub mod client_env;
pub mod http;
pub mod tls;

use std::io::Write;
use std::sync::Arc;

pub use crate::config::Limits;
pub use http::{RunningServer, serve, spawn, spawn_with};

pub use client_env::Format as EnvFormat;

use crate::clock::Clock;
use crate::config::Settings;
use crate::state::State;

/// Why the daemon could not run.
#[derive(Debug)]
pub struct RunError(pub String);

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where the client environment goes once serving (`--print-env[=FORMAT]`, `--env-file PATH`).
#[derive(Clone, Debug, Default)]
pub struct EnvOutput {
    pub print: Option<EnvFormat>,
    pub file: Option<std::path::PathBuf>,
}

/// Runs the daemon until SIGTERM or SIGINT: opens the data dir (a temporary one with
/// `--ephemeral`, removed at exit), binds, prints generated root credentials or the client
/// environment, then serves and drains.
///
/// # Errors
/// When the data dir, the runtime or the listener cannot be set up, or the env file cannot be
/// written.
pub fn run(mut settings: Settings, env_output: EnvOutput) -> Result<(), RunError> {
    // Held until exit: dropping it removes the ephemeral data dir.
    let ephemeral_dir = if settings.ephemeral {
        let d = tempfile::Builder::new()
            .prefix("iamd-")
            .tempdir()
            .map_err(|e| RunError(format!("cannot create a temporary data dir: {e}")))?;
        settings.data_dir = d.path().to_path_buf();
        Some(d)
    } else {
        None
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| RunError(format!("cannot start the runtime: {e}")))?;
    let result = runtime.block_on(serve_until_signal(settings, env_output));
    // The state (and sled) is gone once the runtime has stopped; only then remove the dir.
    drop(runtime);
    drop(ephemeral_dir);
    result
}

async fn serve_until_signal(settings: Settings, env_output: EnvOutput) -> Result<(), RunError> {
    let listen = settings.listen;
    let region = settings.region.clone();
    let configured_root = settings.root.clone();
    let (state, generated) = State::open(settings, Clock::system()).map_err(RunError)?;
    let state = apply_seed(state).await?;
    let tls = state.settings.tls.as_ref().map(tls::acceptor).transpose().map_err(RunError)?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let listener =
        tokio::net::TcpListener::bind(listen).await.map_err(|e| RunError(format!("cannot listen on {listen}: {e}")))?;
    let addr = listener.local_addr().map_or(listen, |a| a);
    tracing::info!(%addr, data_dir = %state.settings.data_dir.display(), account = %state.settings.account_id, "serving IAM and STS");
    let gateway_settings = state.settings.s3_gateway.clone();
    let state = Arc::new(state);
    let gateway = match &gateway_settings {
        Some(g) => Some(
            crate::s3::spawn(state.clone(), g, tls.clone())
                .await
                .map_err(|e| RunError(format!("cannot listen on {} for the S3 gateway: {e}", g.listen)))?,
        ),
        None => None,
    };
    let wants_env = env_output.print.is_some() || env_output.file.is_some();
    if let Some(g) = generated.as_ref().filter(|_| !wants_env) {
        eprintln!(
            "iamd: generated root credentials for account {} (shown once, keep them):",
            state.settings.account_id
        );
        print_once(&format!("AWS_ACCESS_KEY_ID={}\nAWS_SECRET_ACCESS_KEY={}\n", g.access_key_id, g.secret.expose()));
    }
    if wants_env {
        let root = generated
            .as_ref()
            .map(|g| (g.access_key_id.clone(), g.secret.clone()))
            .or_else(|| configured_root.as_ref().map(|r| (r.access_key_id.clone(), r.secret.clone())));
        if root.is_none() {
            eprintln!("iamd: root credentials were shown when this data dir was created and are not shown again");
        }
        let env = client_env::ClientEnv {
            endpoint: format!("{scheme}://{addr}"),
            s3_endpoint: gateway.as_ref().map(|g| format!("{scheme}://{}", g.local_addr())),
            root_key: root.as_ref().map(|(id, secret)| (id.as_str(), secret.expose())),
            region: &region,
        };
        if let Some(path) = &env_output.file {
            append(path, &env.render(EnvFormat::Dotenv))
                .map_err(|e| RunError(format!("cannot append to the env file {}: {e}", path.display())))?;
        }
        if let Some(format) = env_output.print {
            print_once(&env.render(format));
        }
    }
    let limits = state.settings.limits;
    let served = serve(listener, state, limits, tls, shutdown_signal()).await.map_err(RunError);
    if let Some(g) = gateway {
        g.shutdown().await;
    }
    served
}

/// Applies the settings' seed before serving (on a blocking thread: it writes the store).
async fn apply_seed(state: State) -> Result<State, RunError> {
    if state.settings.seed.is_empty() && state.settings.accounts.iter().all(|a| a.seed.is_empty()) {
        return Ok(state);
    }
    let (state, applied) = tokio::task::spawn_blocking(move || {
        let applied = crate::seed::apply_configured(&state);
        (state, applied)
    })
    .await
    .map_err(|e| RunError(format!("applying the seed: {e}")))?;
    let applied = applied.map_err(RunError)?;
    tracing::info!(changes = applied.steps, "seed applied");
    Ok(state)
}

/// Writes `text` to stdout in one write, so a reader never sees half of it.
fn print_once(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// Appends `text` to `path` (created if missing), as `$GITHUB_ENV` expects.
fn append(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
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
