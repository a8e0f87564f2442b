//! Authorization of every S3 request with iamd's policy engine: the operation's IAM action on
//! the bucket or object ARN, with S3's condition keys, exactly as IAM calls are decided
//! (identity policies, boundaries, session policies; the root may do everything).

use std::sync::Arc;

use s3s::access::{S3Access, S3AccessContext};
use s3s::dto::{DeleteObjectsInput, PutObjectInput, StreamingBlob, UploadPartInput};
use s3s::path::S3Path;
use s3s::{S3Request, S3Result, s3_error};

use super::actions::{condition_keys, copy_source, iam_action, resource_arn, version_id};
use super::auth::{caller, counted, internal};
use super::body::{Complete, Guarded, Refusal, TrailingChecksum, Underneath};
use crate::authz::{RequestFacts, authorize};
use crate::error::AwsError;
use crate::principal::Caller;
use crate::state::State;

/// The client's address and whether it connected over TLS (the listener puts it in the
/// request's extensions), for `aws:SourceIp` and `aws:SecureTransport`.
#[derive(Clone, Copy, Debug)]
pub struct Peer {
    pub addr: std::net::SocketAddr,
    pub tls: bool,
}

/// Who `check` authenticated, for the per-operation checks that follow.
#[derive(Clone)]
struct Decided {
    caller: Caller,
    peer: Option<Peer>,
}

/// Decides S3 requests for s3s.
pub struct IamdAccess(pub Arc<State>);

/// Asks the policy engine whether `caller` may do `action` on `resource`.
fn allow(
    state: &State,
    d: &Decided,
    action: &str,
    resource: &str,
    extra_keys: Vec<(&'static str, String)>,
) -> S3Result<()> {
    let caller = &d.caller;
    let facts = RequestFacts {
        action,
        resource,
        now: state.clock.now(),
        source_ip: d.peer.map(|p| p.addr.ip()),
        secure_transport: d.peer.is_some_and(|p| p.tls),
        region: &caller.region,
        request_tags: None,
        tag_keys: None,
        extra_keys,
    };
    match authorize(state, caller, &facts) {
        Ok(()) => {
            tracing::debug!(principal = %caller.principal.arn(), action, resource, "s3 gateway: allowed");
            Ok(())
        }
        Err(e @ (AwsError::AccessDenied(_) | AwsError::AccessDeniedEncoded(_))) => {
            tracing::info!(principal = %caller.principal.arn(), action, resource, "s3 gateway: denied");
            Err(s3_error!(AccessDenied, "{}", e.message()))
        }
        Err(e) => Err(internal(e)),
    }
}

fn query_param<'a>(query: &'a str, name: &str) -> Option<std::borrow::Cow<'a, str>> {
    form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v)
}

#[async_trait::async_trait]
impl S3Access for IamdAccess {
    async fn check(&self, cx: &mut S3AccessContext<'_>) -> S3Result<()> {
        if let Some(seen) = cx.extensions_mut().get::<Operation>().cloned() {
            let _ = seen.0.set(cx.s3_op().name().to_owned());
        }
        counted(&self.0, decide(&self.0, cx))
    }

    async fn delete_objects(&self, req: &mut S3Request<DeleteObjectsInput>) -> S3Result<()> {
        counted(&self.0, decide_each_deletion(&self.0, req))
    }

    async fn put_object(&self, req: &mut S3Request<PutObjectInput>) -> S3Result<()> {
        let input = &mut req.input;
        input.body = guard_aws_chunked(&req.headers, &req.extensions, req.trailing_headers.clone(), input.body.take())?;
        input.content_encoding = without_aws_chunked(input.content_encoding.take());
        Ok(())
    }

    async fn upload_part(&self, req: &mut S3Request<UploadPartInput>) -> S3Result<()> {
        let input = &mut req.input;
        input.body = guard_aws_chunked(&req.headers, &req.extensions, req.trailing_headers.clone(), input.body.take())?;
        Ok(())
    }
}

/// The request's operation, for `/metrics` (`s3::call` puts an empty one in the extensions).
#[derive(Clone, Default)]
pub struct Operation(pub Arc<std::sync::OnceLock<String>>);

/// Authenticates the caller and decides the operation on its bucket or object (and, for copies,
/// `s3:GetObject` on the source).
fn decide(state: &State, cx: &mut S3AccessContext<'_>) -> S3Result<()> {
    let peer = cx.extensions_mut().get::<Peer>().copied();
    let access_key = cx.credentials().map(|c| c.access_key.clone()).ok_or_else(|| s3_error!(AccessDenied))?;
    let query = cx.uri().query().unwrap_or_default().to_owned();
    let header = |name: &str| cx.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let token =
        header("x-amz-security-token").or_else(|| query_param(&query, "X-Amz-Security-Token").map(|t| t.into_owned()));
    let region = state.settings.s3_gateway.as_ref().map_or("us-east-1", |g| g.region.as_str()).to_owned();
    let who = Decided { caller: caller(state, &access_key, token.as_deref(), &region)?, peer };
    let op = cx.s3_op().name().to_owned();
    let (bucket, key) = match cx.s3_path() {
        S3Path::Root => (None, None),
        S3Path::Bucket { bucket } => (Some(bucket.to_string()), None),
        S3Path::Object { bucket, key } => (Some(bucket.to_string()), Some(key.to_string())),
    };
    let keys = condition_keys(&op, &query, header);
    // DeleteObjects names its keys in the body: decided per key in `delete_objects`.
    if op != "DeleteObjects" {
        let resource = resource_arn(bucket.as_deref(), key.as_deref());
        let action = iam_action(&op, version_id(&query).is_some());
        allow(state, &who, &action, &resource, keys)?;
    }
    if matches!(op.as_str(), "CopyObject" | "UploadPartCopy") {
        let source = header("x-amz-copy-source")
            .and_then(|h| copy_source(&h))
            .ok_or_else(|| s3_error!(InvalidArgument, "Invalid copy source"))?;
        let action = iam_action("GetObject", source.version_id.is_some());
        let resource = resource_arn(Some(&source.bucket), Some(&source.key));
        allow(state, &who, &action, &resource, Vec::new())?;
    }
    cx.extensions_mut().insert(who);
    Ok(())
}

/// DeleteObjects names its keys in the body: `s3:DeleteObject` is decided for each.
fn decide_each_deletion(state: &State, req: &S3Request<DeleteObjectsInput>) -> S3Result<()> {
    let d = req.extensions.get::<Decided>().cloned().ok_or_else(|| s3_error!(AccessDenied))?;
    for object in &req.input.delete.objects {
        let resource = resource_arn(Some(&req.input.bucket), Some(&object.key));
        let action = iam_action("DeleteObject", object.version_id.is_some());
        allow(state, &d, &action, &resource, Vec::new())?;
    }
    Ok(())
}

/// An aws-chunked upload body, held back at its end until s3s has checked its last chunk's
/// signature and [`TrailingChecksum`] the checksum after it (s3s-aws would forward the upload
/// without either).
fn guard_aws_chunked(
    headers: &http::HeaderMap,
    extensions: &http::Extensions,
    trailers: Option<s3s::TrailingHeaders>,
    body: Option<StreamingBlob>,
) -> S3Result<Option<StreamingBlob>> {
    let streaming =
        headers.get("x-amz-content-sha256").and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("STREAMING-"));
    let body = match body {
        Some(body) if streaming => body,
        other => return Ok(other),
    };
    let check: Box<dyn super::body::Check> =
        match (headers.get("x-amz-trailer").and_then(|v| v.to_str().ok()), trailers) {
            (Some(name), Some(trailers)) => Box::new(TrailingChecksum::new(name, trailers).ok_or_else(|| {
                s3_error!(InvalidRequest, "The value specified in the x-amz-trailer header is not supported")
            })?),
            _ => Box::new(Complete),
        };
    let refusal = extensions.get::<Refusal>().cloned().unwrap_or_default();
    Ok(Some(StreamingBlob::new(Guarded::new(body, check, Underneath::AwsChunked, refusal))))
}

/// `Content-Encoding` without `aws-chunked`, which describes the request, not the object.
fn without_aws_chunked(encoding: Option<String>) -> Option<String> {
    let kept: Vec<&str> = encoding
        .as_deref()?
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty() && !e.eq_ignore_ascii_case("aws-chunked"))
        .collect();
    (!kept.is_empty()).then(|| kept.join(","))
}
