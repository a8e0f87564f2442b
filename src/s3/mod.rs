//! The S3 gateway, on its own listener: an S3 front end (s3s) whose authentication reads iamd's
//! keys and session tokens and whose authorization asks the policy engine with S3 actions, ARNs
//! and condition keys; allowed requests go on to the backend re-signed with its own key
//! (s3s-aws over the AWS SDK for Rust, bodies streamed both ways).

pub mod access;
pub mod actions;
pub mod auth;
pub mod backend;
pub mod body;
pub mod host;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

use crate::config::S3GatewaySettings;
use crate::state::State;

/// The s3s service: iamd's auth and access in front of a proxy to the backend.
#[must_use]
pub fn service(state: &Arc<State>, g: &S3GatewaySettings) -> s3s::service::S3Service {
    let proxy = s3s_aws::Proxy::from(backend::client(g));
    let mut b = s3s::service::S3ServiceBuilder::new(proxy);
    b.set_auth(auth::IamdAuth(state.clone()));
    b.set_access(access::IamdAccess(state.clone()));
    if let Some(domain) = &g.domain {
        match host::Domain::new(domain) {
            Some(h) => b.set_host(h),
            None => tracing::warn!(%domain, "s3 gateway: ignoring a domain that is not a host name"),
        }
    }
    b.build()
}

/// One request through s3s. A body whose signed `x-amz-content-sha256` is a hash is checked
/// against it as it streams ([`body::Guarded`]); a body refused on the way is answered with
/// that refusal rather than with the error of the backend upload it aborted. A refusal sent
/// before the body was read leaves that body on the connection: say `Connection: close`, so
/// clients (which send `Expect: 100-continue`) open a new one instead of reusing a connection
/// the server is about to drop.
///
/// Past `max_in_flight` requests being answered at once, one is answered `503 SlowDown` (S3's
/// code for it) before anything else, its body unread.
async fn call(
    svc: s3s::service::S3Service,
    state: Arc<State>,
    peer: access::Peer,
    in_flight: Arc<Semaphore>,
    req: hyper::Request<hyper::body::Incoming>,
) -> Result<s3s::HttpResponse, s3s::HttpError> {
    use hyper::body::Body as _;
    let started = std::time::Instant::now();
    let has_body = !req.body().is_end_stream();
    let Ok(_busy) = in_flight.try_acquire_owned() else {
        state.s3_metrics.refusal("SlowDown");
        state.s3_metrics.record("", 503, started.elapsed());
        let e = s3s::S3Error::with_message(s3s::S3ErrorCode::SlowDown, "Please reduce your request rate.");
        let mut resp = e.to_http_response().map_err(|e| s3s::HttpError::new(Box::new(e)))?;
        if has_body {
            resp.headers_mut().insert(hyper::header::CONNECTION, hyper::header::HeaderValue::from_static("close"));
        }
        return Ok(resp);
    };
    let refusal = body::Refusal::default();
    let sha256 = req.headers().get("x-amz-content-sha256").and_then(|v| v.to_str().ok());
    let check = if has_body { sha256.and_then(body::ContentSha256::from_header) } else { None };
    let mut req = req.map(|incoming| {
        let raw = s3s::Body::from(incoming);
        match check {
            Some(check) => {
                let guarded = body::Guarded::new(raw, Box::new(check), body::Underneath::Connection, refusal.clone());
                let stream: s3s::stream::DynByteStream = Box::pin(guarded);
                s3s::Body::from(stream)
            }
            None => raw,
        }
    });
    req.extensions_mut().insert(peer);
    req.extensions_mut().insert(refusal.clone());
    let operation = access::Operation::default();
    req.extensions_mut().insert(operation.clone());
    let mut resp = svc.call(req).await?;
    if let Some(refused) = refusal.take() {
        state.s3_metrics.refusal(refused.code().as_str());
        resp = refused.to_http_response().map_err(|e| s3s::HttpError::new(Box::new(e)))?;
    }
    let op = operation.0.get().map_or("", String::as_str);
    state.s3_metrics.record(op, resp.status().as_u16(), started.elapsed());
    if has_body && (resp.status().is_client_error() || resp.status().is_server_error()) {
        resp.headers_mut().insert(hyper::header::CONNECTION, hyper::header::HeaderValue::from_static("close"));
    }
    Ok(resp)
}

/// A gateway serving in the background.
pub struct RunningGateway {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl RunningGateway {
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, drains in-flight requests (up to 10 s), and returns.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Binds `g.listen` and serves the gateway until [`RunningGateway::shutdown`], under the
/// settings' `[limits]` (connections, requests in flight, header time), counted apart from the
/// IAM/STS listener's.
///
/// # Errors
/// When the address cannot be bound.
pub async fn spawn(
    state: Arc<State>,
    g: &S3GatewaySettings,
    tls: Option<tokio_rustls::TlsAcceptor>,
) -> std::io::Result<RunningGateway> {
    let listener = TcpListener::bind(g.listen).await?;
    let addr = listener.local_addr()?;
    let svc = service(&state, g);
    let limits = state.settings.limits;
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let in_flight = Arc::new(Semaphore::new(limits.max_in_flight));
    let (stop, mut stopped) = watch::channel(false);
    let task = tokio::spawn(async move {
        let graceful = GracefulShutdown::new();
        loop {
            // Past max_connections, new connections wait in the kernel's backlog.
            let slot = tokio::select! {
                _ = async { let _ = stopped.wait_for(|s| *s).await; } => break,
                slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            };
            tokio::select! {
                _ = async { let _ = stopped.wait_for(|s| *s).await; } => break,
                accepted = listener.accept() => {
                    let Ok((stream, peer)) = accepted else {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    };
                    let (svc, state, in_flight) = (svc.clone(), state.clone(), in_flight.clone());
                    let peer = access::Peer { addr: peer, tls: tls.is_some() };
                    let service = hyper::service::service_fn(move |req| {
                        call(svc.clone(), state.clone(), peer, in_flight.clone(), req)
                    });
                    let mut builder = http1::Builder::new();
                    builder.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout);
                    let (acceptor, watcher) = (tls.clone(), graceful.watcher());
                    tokio::spawn(async move {
                        let _slot = slot;
                        let ended = match acceptor {
                            None => watcher.watch(builder.serve_connection(TokioIo::new(stream), service)).await,
                            Some(acceptor) => {
                                let limit = limits.header_timeout;
                                let Some(s) = crate::server::tls::handshake(&acceptor, stream, peer.addr, limit).await
                                else {
                                    return;
                                };
                                watcher.watch(builder.serve_connection(TokioIo::new(s), service)).await
                            }
                        };
                        if let Err(e) = ended {
                            tracing::debug!(error = %e, "s3 gateway connection ended with an error");
                        }
                    });
                }
            }
        }
        let _ = tokio::time::timeout(Duration::from_secs(10), graceful.shutdown()).await;
    });
    tracing::info!(%addr, backend = %g.backend, "serving the S3 gateway");
    Ok(RunningGateway { addr, stop, task })
}
