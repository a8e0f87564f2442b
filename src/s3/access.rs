//! Authorization of every S3 request with iamd's policy engine: the operation's IAM action on
//! the bucket or object ARN, with S3's condition keys, exactly as IAM calls are decided
//! (identity policies, boundaries, session policies; the root may do everything).

use std::sync::Arc;

use s3s::access::{S3Access, S3AccessContext};
use s3s::dto::DeleteObjectsInput;
use s3s::path::S3Path;
use s3s::{S3Request, S3Result, s3_error};

use super::actions::{condition_keys, copy_source, iam_action, resource_arn};
use super::auth::{caller, internal};
use crate::authz::{RequestFacts, authorize};
use crate::error::AwsError;
use crate::principal::Caller;
use crate::state::State;

/// The client's address (the listener puts it in the request's extensions), for `aws:SourceIp`.
#[derive(Clone, Copy, Debug)]
pub struct Peer(pub std::net::SocketAddr);

/// Who `check` authenticated, for the per-operation checks that follow.
#[derive(Clone)]
struct Decided {
    caller: Caller,
    source_ip: Option<std::net::IpAddr>,
}

/// Decides S3 requests for s3s.
pub struct IamdAccess(pub Arc<State>);

/// Asks the policy engine whether `caller` may do `action` on `resource`.
fn allow(
    state: &State,
    caller: &Caller,
    source_ip: Option<std::net::IpAddr>,
    action: &str,
    resource: &str,
    keys: Vec<(&'static str, String)>,
) -> S3Result<()> {
    let mut extra_keys = keys;
    // The gateway listens on plain HTTP (a TLS terminator in front says so itself).
    extra_keys.push(("aws:SecureTransport", "false".into()));
    let facts = RequestFacts {
        action,
        resource,
        now: state.clock.now(),
        source_ip,
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
        Err(AwsError::AccessDenied(m)) => {
            tracing::info!(principal = %caller.principal.arn(), action, resource, "s3 gateway: denied");
            Err(s3_error!(AccessDenied, "{m}"))
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
        let state = &self.0;
        let source_ip = cx.extensions_mut().get::<Peer>().map(|p| p.0.ip());
        let access_key = cx.credentials().map(|c| c.access_key.clone()).ok_or_else(|| s3_error!(AccessDenied))?;
        let query = cx.uri().query().unwrap_or_default().to_owned();
        let header = |name: &str| cx.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let token = header("x-amz-security-token")
            .or_else(|| query_param(&query, "X-Amz-Security-Token").map(|t| t.into_owned()));
        let region = state.settings.s3_gateway.as_ref().map_or("us-east-1", |g| g.region.as_str()).to_owned();
        let who = caller(state, &access_key, token.as_deref(), &region)?;
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
            allow(state, &who, source_ip, &iam_action(&op), &resource, keys)?;
        }
        if matches!(op.as_str(), "CopyObject" | "UploadPartCopy") {
            let source = header("x-amz-copy-source")
                .and_then(|h| copy_source(&h))
                .ok_or_else(|| s3_error!(InvalidArgument, "Invalid copy source"))?;
            allow(state, &who, source_ip, "s3:GetObject", &resource_arn(Some(&source.0), Some(&source.1)), Vec::new())?;
        }
        cx.extensions_mut().insert(Decided { caller: who, source_ip });
        Ok(())
    }

    async fn delete_objects(&self, req: &mut S3Request<DeleteObjectsInput>) -> S3Result<()> {
        let state = &self.0;
        let d = req.extensions.get::<Decided>().cloned().ok_or_else(|| s3_error!(AccessDenied))?;
        for object in &req.input.delete.objects {
            let resource = resource_arn(Some(&req.input.bucket), Some(&object.key));
            allow(state, &d.caller, d.source_ip, "s3:DeleteObject", &resource, Vec::new())?;
        }
        Ok(())
    }
}
