//! Checks on the text of `Resource` / `NotResource` entries, with AWS's messages. The rules and
//! wordings follow the cases moto verified against AWS `CreatePolicy` (`tests/test_iam/`
//! `test_iam_policies.py`) and `LocalStack`'s later revision of the same validator (which added
//! `root` to the IAM path message).

/// Partitions AWS knows; `*` is also accepted.
const PARTITIONS: &[&str] =
    &["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc", "*"];

/// How an IAM resource path may begin.
const IAM_PATH_STARTS: &[&str] = &[
    "user/",
    "federated-user/",
    "role/",
    "group/",
    "instance-profile/",
    "mfa/",
    "server-certificate/",
    "policy/",
    "sms-mfa/",
    "saml-provider/",
    "oidc-provider/",
    "report/",
    "access-report/",
];

/// The message for a resource entry AWS refuses outright, or `None` when its form is acceptable.
pub(crate) fn format_error(resource: &str) -> Option<String> {
    if resource == "*" {
        return None;
    }
    let Some((_, after_arn)) = resource.split_once(':') else {
        return Some(format!("Resource {resource} must be in ARN format or \"*\"."));
    };
    let (partition, after_partition) = match after_arn.split_once(':') {
        Some((p, rest)) => (p, Some(rest)),
        None => (after_arn, None),
    };
    if !PARTITIONS.contains(&partition) {
        return Some(partition_error(partition, after_partition.unwrap_or("")));
    }
    let Some(after_partition) = after_partition else {
        return Some(super::error::msg::VENDOR_NOT_QUALIFIED.to_owned());
    };
    let (service, after_service) = after_partition.split_once(':').unwrap_or((after_partition, ""));
    let has_region = !after_service.starts_with(':');
    let after_region = after_service.split_once(':').map_or("", |(_, r)| r);
    let resource_id = after_region.split_once(':').map_or("", |(_, r)| r);
    match service {
        "iam" if has_region => {
            return Some(format!("IAM resource {resource} cannot contain region information."));
        }
        "s3" if has_region && !resource_id.starts_with("accesspoint/") => {
            return Some(format!("Resource {resource} can not contain region information."));
        }
        "iam"
            if !(resource_id == "*"
                || resource_id == "root"
                || IAM_PATH_STARTS.iter().any(|s| resource_id.starts_with(s))) =>
        {
            return Some(format!(
                "IAM resource path must either be \"*\", root, or start with {}.",
                IAM_PATH_STARTS.join(", ")
            ));
        }
        _ => {}
    }
    None
}

/// `Partition "x" is not valid for resource "arn:x:a:b:c:d".`, the missing parts shown as `*`.
fn partition_error(partition: &str, rest: &str) -> String {
    let parts: Vec<&str> = rest.split(':').collect();
    let first = match parts.first() {
        Some(p) if !p.is_empty() || parts.len() > 1 => (*p).to_owned(),
        _ => "*".to_owned(),
    };
    let nth = |i: usize| parts.get(i).map_or_else(|| "*".to_owned(), |p| (*p).to_owned());
    let tail = if parts.len() > 3 { parts.get(3..).unwrap_or_default().join(":") } else { "*".to_owned() };
    format!(
        "Partition \"{partition}\" is not valid for resource \"arn:{partition}:{first}:{}:{}:{tail}\".",
        nth(1),
        nth(2)
    )
}

/// The older parser AWS still runs: an ARN with `::` must have all six parts, and the service
/// must be named. Failing it is `The policy failed legacy parsing`.
pub(crate) fn passes_legacy(resource: &str) -> bool {
    if resource == "*" {
        return true;
    }
    let colons = resource.matches(':').count();
    (colons >= 5 || !resource.contains("::")) && resource.split(':').nth(2).is_some_and(|s| !s.is_empty())
}
