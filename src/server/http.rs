//! The only file that touches hyper: accept loop, limits and deadlines, `/healthz`,
//! `/metrics`, graceful shutdown.

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

use crate::app::{self, HttpRequest};
use crate::config::Limits;
use crate::error::AwsError;
use crate::keystone;
use crate::operation::Service;
use crate::outbound;
use crate::protocol::xml;
use crate::state::State;

/// Largest request body accepted; IAM's largest documents fit well inside.
pub const MAX_BODY_BYTES: usize = 1 << 20;

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
pub async fn spawn(app: Arc<State>, addr: SocketAddr) -> std::io::Result<RunningServer> {
    let limits = app.settings.limits;
    spawn_with(app, addr, limits).await
}

/// [`spawn`] with other limits than the settings'.
///
/// # Errors
/// When the address cannot be bound.
pub async fn spawn_with(app: Arc<State>, addr: SocketAddr, limits: Limits) -> std::io::Result<RunningServer> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (stop, mut stopped) = watch::channel(false);
    let task = tokio::spawn(async move {
        let _ = serve(listener, app, limits, None, async move {
            let _ = stopped.wait_for(|s| *s).await;
        })
        .await;
    });
    Ok(RunningServer { addr, stop, task })
}

/// Serves (over TLS with `tls`) until `shutdown` completes, then drains connections and
/// persists state.
///
/// # Errors
/// When the final flush fails: what was acknowledged may not be on disk, and the exit status
/// must say so.
pub async fn serve(
    listener: TcpListener,
    app: Arc<State>,
    limits: Limits,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), String> {
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let in_flight = Arc::new(Semaphore::new(limits.max_in_flight));
    let mut persist_tick = tokio::time::interval(PERSIST_EVERY);
    tokio::pin!(shutdown);
    loop {
        // A free slot first, then a connection: while every slot is taken, new clients wait in
        // the backlog, and shutdown and the persist tick still get through.
        let next = async {
            let permit = slots.clone().acquire_owned().await;
            (permit, listener.accept().await)
        };
        tokio::select! {
            () = &mut shutdown => break,
            _ = persist_tick.tick() => {
                let app = app.clone();
                let _ = tokio::task::spawn_blocking(move || app.housekeeping()).await;
            }
            (permit, accepted) = next => {
                let Ok(permit) = permit else { break };
                let (stream, peer) = match accepted {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let app = app.clone();
                let secure = tls.is_some();
                let in_flight = in_flight.clone();
                let service = service_fn(move |req| {
                    handle(app.clone(), req, peer, secure, limits.request_deadline, in_flight.clone())
                });
                let builder = {
                    let mut b = http1::Builder::new();
                    b.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout).max_buf_size(64 * 1024);
                    b
                };
                match &tls {
                    None => {
                        let conn = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
                        tokio::spawn(async move {
                            if let Err(e) = conn.await {
                                tracing::debug!(error = %e, "connection ended with an error");
                            }
                            drop(permit);
                        });
                    }
                    Some(acceptor) => {
                        // The handshake runs in the connection's task, bounded like a request's
                        // headers, so a slow or silent client holds only its own slot.
                        let acceptor = acceptor.clone();
                        let watcher = graceful.watcher();
                        tokio::spawn(async move {
                            let Some(stream) =
                                super::tls::handshake(&acceptor, stream, peer, limits.header_timeout).await
                            else {
                                return;
                            };
                            let conn = watcher.watch(builder.serve_connection(TokioIo::new(stream), service));
                            if let Err(e) = conn.await {
                                tracing::debug!(error = %e, "connection ended with an error");
                            }
                            drop(permit);
                        });
                    }
                }
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
        return Err("the final flush failed: the data dir may lack the last changes".into());
    }
    tracing::info!("stopped");
    Ok(())
}

/// [`answer`], with a panic anywhere in it turned into this request's 500 `InternalFailure`
/// (in the front end's shape): the connection and the daemon keep serving.
async fn handle(
    app: Arc<State>,
    req: Request<Incoming>,
    peer: SocketAddr,
    secure: bool,
    deadline: Duration,
    in_flight: Arc<Semaphore>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let keystone = keystone::routes(req.uri().path());
    let mut answering = Box::pin(answer(app, req, peer, secure, deadline, in_flight));
    std::future::poll_fn(move |cx| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| answering.as_mut().poll(cx)))
            .unwrap_or_else(|_| std::task::Poll::Ready(Ok(error_only(&AwsError::panicked(), keystone))))
    })
    .await
}

async fn answer(
    app: Arc<State>,
    req: Request<Incoming>,
    peer: SocketAddr,
    secure: bool,
    deadline: Duration,
    in_flight: Arc<Semaphore>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.method() == hyper::Method::GET {
        match req.uri().path() {
            // A store that refuses writes is not healthy: a supervisor should restart it.
            "/healthz" if app.store.refusing_writes() => {
                let text = b"unhealthy: a write to disk failed; restart iamd\n";
                return Ok(plain(StatusCode::SERVICE_UNAVAILABLE, Bytes::from_static(text)));
            }
            "/healthz" => {
                // A shared database that does not answer makes every replica on it unhealthy.
                let store = app.store.clone();
                if !tokio::task::spawn_blocking(move || store.healthy()).await.unwrap_or(false) {
                    let text = b"unhealthy: the database cannot be reached\n";
                    return Ok(plain(StatusCode::SERVICE_UNAVAILABLE, Bytes::from_static(text)));
                }
                return Ok(plain(StatusCode::OK, Bytes::from_static(b"ok\n")));
            }
            "/metrics" => return Ok(plain(StatusCode::OK, Bytes::from(app.render_metrics()))),
            path if path.starts_with(outbound::PATH_PREFIX) => return Ok(issuer_document(&app, &req, secure)),
            _ => {}
        }
    }
    let (parts, body) = req.into_parts();
    let keystone = keystone::routes(parts.uri.path());
    let body = match tokio::time::timeout(deadline, Limited::new(body, MAX_BODY_BYTES).collect()).await {
        Ok(Ok(b)) => b.to_bytes(),
        Ok(Err(e)) => {
            let err = if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() {
                AwsError::RequestEntityTooLarge(format!("Request body must be at most {MAX_BODY_BYTES} bytes."))
            } else {
                AwsError::InvalidHttpRequest("The request body could not be read.".into())
            };
            return Ok(error_only(&err, keystone));
        }
        Err(_) => {
            let mut r = error_only(
                &AwsError::RequestTimeout(
                    "Your socket connection to the server was not read from or written to within the timeout period."
                        .into(),
                ),
                keystone,
            );
            // The rest of the body will not be read: the connection cannot carry another request.
            r.headers_mut().insert(hyper::header::CONNECTION, hyper::header::HeaderValue::from_static("close"));
            return Ok(r);
        }
    };
    // Past the limit, shed load at once rather than queue without bound: SDKs retry a 503 with
    // backoff. Taken once the body is in, so a client slow to send it holds only its connection.
    let Ok(_busy) = in_flight.try_acquire_owned() else {
        let err = AwsError::ServiceUnavailable("Service is overloaded; retry the request later.".into());
        return Ok(error_only(&err, keystone));
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
        secure,
    };
    let out = if keystone { keystone::handle(&app, request).await } else { app::handle(&app, request).await };
    let mut resp = Response::new(Full::new(Bytes::from(out.body)));
    *resp.status_mut() = StatusCode::from_u16(out.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = resp.headers_mut();
    h.insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static(out.content_type));
    if !out.request_id.is_empty()
        && let Ok(v) = hyper::header::HeaderValue::from_str(&out.request_id)
    {
        h.insert("x-amzn-requestid", v);
    }
    for (name, value) in out.headers {
        if let Ok(v) = hyper::header::HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    }
    Ok(resp)
}

/// An outbound federation issuer's public document (its OIDC discovery or its JWKS), or 404.
fn issuer_document(app: &State, req: &Request<Incoming>, secure: bool) -> Response<Full<Bytes>> {
    let host = req.headers().get(hyper::header::HOST).and_then(|h| h.to_str().ok());
    let base = app.settings.public_base_url(secure, host);
    let Some(doc) = outbound::discovery::document(app, req.uri().path(), &base) else {
        return plain(StatusCode::NOT_FOUND, Bytes::from_static(b"not found\n"));
    };
    let mut r = Response::new(Full::new(Bytes::from(doc)));
    r.headers_mut().insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static("application/json"));
    r
}

fn plain(status: StatusCode, text: Bytes) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(text));
    *r.status_mut() = status;
    r.headers_mut().insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static("text/plain"));
    r
}

/// An error answered before the request reached a front end (body too large or unreadable, the
/// server overloaded), in the shape of the front end it was for.
fn error_only(err: &AwsError, keystone: bool) -> Response<Full<Bytes>> {
    let (body, content_type) = if keystone {
        (keystone::error::KeystoneError::from(err.clone()).to_json(), "application/json")
    } else {
        (xml::error_response(err, Service::Iam.namespace(), "00000000-0000-0000-0000-000000000000"), "text/xml")
    };
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::BAD_REQUEST);
    r.headers_mut().insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static(content_type));
    r
}
