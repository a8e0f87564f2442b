//! Which IAM permission an S3 operation needs, on which resource, with which S3 condition keys:
//! the names of AWS's Service Authorization Reference. Pure.

/// The IAM action (`s3:…`) of an S3 operation as s3s names it (`GetObject`, `ListObjectsV2`),
/// on a specific object version (`?versionId=`) or not: AWS asks for `s3:GetObjectVersion`,
/// `s3:DeleteObjectVersion`, … for those.
#[must_use]
pub fn iam_action(op: &str, on_version: bool) -> String {
    let action = current_version_action(op);
    if !on_version {
        return format!("s3:{action}");
    }
    let versioned = match action {
        "GetObject" if op == "GetObjectAttributes" => "GetObjectVersionAttributes",
        "GetObject" => "GetObjectVersion",
        "DeleteObject" => "DeleteObjectVersion",
        "GetObjectTagging" => "GetObjectVersionTagging",
        "PutObjectTagging" => "PutObjectVersionTagging",
        "DeleteObjectTagging" => "DeleteObjectVersionTagging",
        "GetObjectAcl" => "GetObjectVersionAcl",
        "PutObjectAcl" => "PutObjectVersionAcl",
        other => other,
    };
    format!("s3:{versioned}")
}

fn current_version_action(op: &str) -> &str {
    match op {
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
    }
}

/// The `versionId` a request's query names, if any (also the `s3:versionid` condition key).
#[must_use]
pub fn version_id(query: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "versionId").map(|(_, v)| v.into_owned())
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
    if let Some(v) = version_id(query) {
        keys.push(("s3:versionid", v));
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

/// What an `x-amz-copy-source` header names (`/bucket/key` or `bucket/key`, percent-encoded,
/// optionally `?versionId=…`).
#[derive(Debug, PartialEq, Eq)]
pub struct CopySource {
    pub bucket: String,
    pub key: String,
    pub version_id: Option<String>,
}

#[must_use]
pub fn copy_source(header: &str) -> Option<CopySource> {
    let (path, query) = header.split_once('?').unwrap_or((header, ""));
    let decoded = percent_encoding::percent_decode_str(path.trim_start_matches('/')).decode_utf8().ok()?;
    let (bucket, key) = decoded.split_once('/')?;
    (!bucket.is_empty() && !key.is_empty()).then(|| CopySource {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        version_id: version_id(query),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_map_to_the_service_authorization_reference() {
        assert_eq!(iam_action("GetObject", false), "s3:GetObject");
        assert_eq!(iam_action("HeadObject", false), "s3:GetObject");
        assert_eq!(iam_action("ListObjectsV2", false), "s3:ListBucket");
        assert_eq!(iam_action("ListBuckets", false), "s3:ListAllMyBuckets");
        assert_eq!(iam_action("UploadPart", false), "s3:PutObject");
        assert_eq!(iam_action("ListParts", false), "s3:ListMultipartUploadParts");
        assert_eq!(iam_action("AbortMultipartUpload", false), "s3:AbortMultipartUpload");
        assert_eq!(iam_action("DeleteObjects", false), "s3:DeleteObject");
        // On a version (`?versionId=`), AWS's *Version actions.
        assert_eq!(iam_action("GetObject", true), "s3:GetObjectVersion");
        assert_eq!(iam_action("HeadObject", true), "s3:GetObjectVersion");
        assert_eq!(iam_action("GetObjectAttributes", true), "s3:GetObjectVersionAttributes");
        assert_eq!(iam_action("DeleteObject", true), "s3:DeleteObjectVersion");
        assert_eq!(iam_action("PutObjectTagging", true), "s3:PutObjectVersionTagging");
        assert_eq!(iam_action("GetObjectAcl", true), "s3:GetObjectVersionAcl");
        assert_eq!(iam_action("PutObject", true), "s3:PutObject");
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
        let source = |b: &str, k: &str, v: Option<&str>| {
            Some(CopySource { bucket: b.into(), key: k.into(), version_id: v.map(Into::into) })
        };
        assert_eq!(copy_source("/src/a%20b.txt"), source("src", "a b.txt", None));
        assert_eq!(copy_source("src/dir/k?versionId=3"), source("src", "dir/k", Some("3")));
        assert_eq!(copy_source("/onlybucket"), None);
        assert_eq!(version_id("versionId=a%2Bb&x=1").as_deref(), Some("a+b"));
    }
}
