//! Which IAM permission an S3 operation needs, on which resource, with which S3 condition keys:
//! the names of AWS's Service Authorization Reference. Pure.

/// The IAM action (`s3:…`) of an S3 operation as s3s names it (`GetObject`, `ListObjectsV2`).
#[must_use]
pub fn iam_action(op: &str) -> String {
    let mapped = match op {
        "HeadObject" => "GetObject",
        "HeadBucket" | "ListObjects" | "ListObjectsV2" => "ListBucket",
        "ListObjectVersions" => "ListBucketVersions",
        "ListBuckets" => "ListAllMyBuckets",
        "CreateMultipartUpload" | "UploadPart" | "CompleteMultipartUpload" | "UploadPartCopy" | "CopyObject" => {
            "PutObject"
        }
        "ListParts" => "ListMultipartUploadParts",
        "ListMultipartUploads" => "ListBucketMultipartUploads",
        "DeleteObjects" => "DeleteObject",
        "GetObjectAttributes" => "GetObject",
        "DeleteBucketPolicy" => "DeleteBucketPolicy",
        "GetBucketLifecycleConfiguration" => "GetLifecycleConfiguration",
        "PutBucketLifecycleConfiguration" => "PutLifecycleConfiguration",
        "DeleteBucketLifecycle" => "PutLifecycleConfiguration",
        "GetBucketEncryption" => "GetEncryptionConfiguration",
        "PutBucketEncryption" | "DeleteBucketEncryption" => "PutEncryptionConfiguration",
        "DeleteBucketTagging" => "PutBucketTagging",
        "DeleteBucketCors" => "PutBucketCORS",
        "GetBucketCors" => "GetBucketCORS",
        "PutBucketCors" => "PutBucketCORS",
        "DeleteBucketWebsite" => "DeleteBucketWebsite",
        "DeleteObjectTagging" => "DeleteObjectTagging",
        other => other,
    };
    format!("s3:{mapped}")
}

/// `arn:aws:s3:::bucket`, `arn:aws:s3:::bucket/key`, or `*` for the service itself.
#[must_use]
pub fn resource_arn(bucket: Option<&str>, key: Option<&str>) -> String {
    match (bucket, key) {
        (Some(b), Some(k)) => format!("arn:aws:s3:::{b}/{k}"),
        (Some(b), None) => format!("arn:aws:s3:::{b}"),
        _ => "*".to_owned(),
    }
}

/// The S3 condition keys a request carries in its query and headers.
#[must_use]
pub fn condition_keys(op: &str, query: &str, header: impl Fn(&str) -> Option<String>) -> Vec<(&'static str, String)> {
    let mut keys = Vec::new();
    if matches!(op, "ListObjects" | "ListObjectsV2" | "ListObjectVersions" | "ListMultipartUploads") {
        // A listing without a prefix lists from the root: `s3:prefix` is then "" (as in AWS, a
        // policy with StringLike "projects/p1/*" does not match it).
        let mut prefix = String::new();
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            match k.as_ref() {
                "prefix" => prefix = v.into_owned(),
                "delimiter" => keys.push(("s3:delimiter", v.into_owned())),
                "max-keys" => keys.push(("s3:max-keys", v.into_owned())),
                _ => {}
            }
        }
        keys.push(("s3:prefix", prefix));
    }
    for (name, key) in [
        ("x-amz-acl", "s3:x-amz-acl"),
        ("x-amz-copy-source", "s3:x-amz-copy-source"),
        ("x-amz-server-side-encryption", "s3:x-amz-server-side-encryption"),
        ("x-amz-storage-class", "s3:x-amz-storage-class"),
        ("x-amz-metadata-directive", "s3:x-amz-metadata-directive"),
    ] {
        if let Some(v) = header(name) {
            keys.push((key, v));
        }
    }
    keys
}

/// The bucket and key an `x-amz-copy-source` header names (`/bucket/key` or `bucket/key`,
/// percent-encoded, optionally `?versionId=…`).
#[must_use]
pub fn copy_source(header: &str) -> Option<(String, String)> {
    let path = header.split('?').next().unwrap_or_default().trim_start_matches('/');
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8().ok()?;
    let (bucket, key) = decoded.split_once('/')?;
    (!bucket.is_empty() && !key.is_empty()).then(|| (bucket.to_owned(), key.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_map_to_the_service_authorization_reference() {
        assert_eq!(iam_action("GetObject"), "s3:GetObject");
        assert_eq!(iam_action("HeadObject"), "s3:GetObject");
        assert_eq!(iam_action("ListObjectsV2"), "s3:ListBucket");
        assert_eq!(iam_action("ListBuckets"), "s3:ListAllMyBuckets");
        assert_eq!(iam_action("UploadPart"), "s3:PutObject");
        assert_eq!(iam_action("ListParts"), "s3:ListMultipartUploadParts");
        assert_eq!(iam_action("AbortMultipartUpload"), "s3:AbortMultipartUpload");
        assert_eq!(iam_action("DeleteObjects"), "s3:DeleteObject");
        assert_eq!(resource_arn(Some("b"), Some("a/b c")), "arn:aws:s3:::b/a/b c");
        assert_eq!(resource_arn(Some("b"), None), "arn:aws:s3:::b");
        assert_eq!(resource_arn(None, None), "*");
    }

    #[test]
    fn listings_carry_their_prefix_even_when_empty() {
        let none = |_: &str| None;
        let k = condition_keys("ListObjectsV2", "list-type=2&prefix=projects%2Fp1%2F&delimiter=%2F&max-keys=10", none);
        assert!(k.contains(&("s3:prefix", "projects/p1/".into())));
        assert!(k.contains(&("s3:delimiter", "/".into())));
        assert!(k.contains(&("s3:max-keys", "10".into())));
        assert_eq!(condition_keys("ListObjectsV2", "list-type=2", none), vec![("s3:prefix", String::new())]);
        assert!(condition_keys("GetObject", "prefix=x", none).is_empty());
        let acl = condition_keys("PutObject", "", |h| (h == "x-amz-acl").then(|| "private".to_owned()));
        assert_eq!(acl, vec![("s3:x-amz-acl", "private".into())]);
    }

    #[test]
    fn copy_sources_name_a_bucket_and_key() {
        assert_eq!(copy_source("/src/a%20b.txt"), Some(("src".into(), "a b.txt".into())));
        assert_eq!(copy_source("src/dir/k?versionId=3"), Some(("src".into(), "dir/k".into())));
        assert_eq!(copy_source("/onlybucket"), None);
    }
}
