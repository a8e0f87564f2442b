//! The only file that touches hyper: accept loop, limits, `/healthz`, graceful shutdown.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

use crate::app::{App, HttpRequest};
use crate::error::AwsError;
use crate::protocol::xml;

/// Largest request body accepted; IAM's largest documents fit well inside.
pub const MAX_BODY_BYTES: usize = 1 << 20;
/// Connections served at once; more wait in the kernel's backlog.
pub const MAX_CONNECTIONS: usize = 1024;
/// How long a client may take to send its headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(30);
/// How long shutdown waits for in-flight requests.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);
/// How often last-used data reaches disk.
const PERSIST_EVERY: Duration = Duration::from_secs(5);

/// A server running in the background (tests, embedding).
pub struct RunningServer {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl RunningServer {
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`, for SDK endpoint settings.
    #[must_use]
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, drains in-flight requests, flushes, and waits for all of it.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Binds `addr` and serves `app` on a background task until [`RunningServer::shutdown`].
///
/// # Errors
/// When the address cannot be bound.
pub async fn spawn(app: Arc<App>, addr: SocketAddr) -> std::io::Result<RunningServer> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (stop, mut stopped) = watch::channel(false);
    let task = tokio::spawn(async move {
        serve(listener, app, async move {
            let _ = stopped.wait_for(|s| *s).await;
        })
        .await;
    });
    Ok(RunningServer { addr, stop, task })
}

/// Serves until `shutdown` completes, then drains connections and persists state.
pub async fn serve(listener: TcpListener, app: Arc<App>, shutdown: impl Future<Output = ()>) {
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut persist_tick = tokio::time::interval(PERSIST_EVERY);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            _ = persist_tick.tick() => {
                let app = app.clone();
                let _ = tokio::task::spawn_blocking(move || app.last_used.persist(&app.store)).await;
            }
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let Ok(permit) = slots.clone().acquire_owned().await else { break };
                let app = app.clone();
                let service = service_fn(move |req| handle(app.clone(), req, peer));
                let conn = http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(HEADER_TIMEOUT)
                    .max_buf_size(64 * 1024)
                    .serve_connection(TokioIo::new(stream), service);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                    drop(permit);
                });
            }
        }
    }
    drop(listener);
    tracing::info!("shutting down: draining in-flight requests");
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown()).await.is_err() {
        tracing::warn!("drain timed out; closing remaining connections");
    }
    let persisted = tokio::task::spawn_blocking(move || app.persist()).await;
    if !matches!(persisted, Ok(Ok(()))) {
        tracing::error!("final flush failed");
    }
    tracing::info!("stopped");
}

async fn handle(app: Arc<App>, req: Request<Incoming>, peer: SocketAddr) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.uri().path() == "/healthz" && req.method() == hyper::Method::GET {
        return Ok(plain(StatusCode::OK, "ok\n"));
    }
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => {
            let err = if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() {
                AwsError::RequestEntityTooLarge(format!("Request body must be at most {MAX_BODY_BYTES} bytes."))
            } else {
                AwsError::InvalidHttpRequest("The request body could not be read.".into())
            };
            return Ok(error_only(&err));
        }
    };
    let headers = parts
        .headers
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    let request = HttpRequest {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or_default().to_owned(),
        headers,
        body,
        peer: Some(peer),
    };
    let out = app.handle(request).await;
    let mut resp = Response::new(Full::new(Bytes::from(out.body)));
    *resp.status_mut() = StatusCode::from_u16(out.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = resp.headers_mut();
    h.insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static("text/xml"));
    if let Ok(v) = hyper::header::HeaderValue::from_str(&out.request_id) {
        h.insert("x-amzn-requestid", v);
    }
    Ok(resp)
}

fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *r.status_mut() = status;
    r.headers_mut().insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static("text/plain"));
    r
}

/// An error answered before the request reached the app (body too large or unreadable).
fn error_only(err: &AwsError) -> Response<Full<Bytes>> {
    let body =
        xml::error_response(err, crate::dispatch::Service::Iam.namespace(), "00000000-0000-0000-0000-000000000000");
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::BAD_REQUEST);
    r.headers_mut().insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static("text/xml"));
    r
}
