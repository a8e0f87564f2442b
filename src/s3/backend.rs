//! The backend: an AWS SDK S3 client with the backend's own key, path style, adding no checksum
//! of its own, and mending what some S3 servers answer that s3s-aws cannot convert.

use aws_sdk_s3::config::interceptors::FinalizerInterceptorContextMut;
use aws_sdk_s3::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_s3::operation::complete_multipart_upload::CompleteMultipartUploadOutput;

use crate::config::S3GatewaySettings;

/// The S3 client that talks to the backend with the backend's key.
pub fn client(g: &S3GatewaySettings) -> aws_sdk_s3::Client {
    use aws_sdk_s3::config::{
        BehaviorVersion, Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
    };
    let creds = Credentials::new(&g.backend_access_key_id, g.backend_secret.expose(), None, None, "iamd-s3-backend");
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(g.region.clone()))
        .endpoint_url(&g.backend)
        .credentials_provider(creds)
        .force_path_style(true)
        // Checksums the client asked for travel as its headers; the gateway adds none.
        .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
        .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
        .interceptor(EmptyEtagIsAbsent)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

/// Ceph RGW 16 completes a multipart upload with `<ETag></ETag>` (Red Hat BZ 2266579). s3s-aws
/// refuses to convert an empty ETag and would answer the client 500 for an upload that was
/// stored: an empty ETag is taken as none.
#[derive(Debug)]
struct EmptyEtagIsAbsent;

impl Intercept for EmptyEtagIsAbsent {
    fn name(&self) -> &'static str {
        "EmptyEtagIsAbsent"
    }

    fn modify_before_completion(
        &self,
        context: &mut FinalizerInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        if let Some(Ok(output)) = context.output_or_error_mut()
            && let Some(done) = output.downcast_mut::<CompleteMultipartUploadOutput>()
            && done.e_tag.as_deref().is_some_and(|e| e.trim_matches('"').is_empty())
        {
            done.e_tag = None;
        }
        Ok(())
    }
}
