//! ARNs, parsed once into their parts: `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`, and
//! IAM's `TYPE/PATH/NAME` resources.

/// The six parts of an ARN. Only the shape is checked; each user judges the parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    /// Splits `text`; `None` unless it starts with `arn:` and has six parts.
    #[must_use]
    pub fn parse(text: &'a str) -> Option<Self> {
        let mut parts = text.splitn(6, ':');
        let (Some("arn"), Some(partition), Some(service), Some(region), Some(account), Some(resource)) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        Some(Self { partition, service, region, account, resource })
    }

    /// An IAM resource of type `kind` (`user`, `role`, `group`, `policy`): its path and name.
    #[must_use]
    pub fn iam_entity(&self, kind: &str) -> Option<(String, &'a str)> {
        let rest = self.resource.strip_prefix(kind)?.strip_prefix('/')?;
        Some(split_path_name(rest))
    }

    /// The resource's type and the path and name after it (`user/a/b` → `user`, `/a/`, `b`).
    #[must_use]
    pub fn iam_typed(&self) -> Option<(&'a str, String, &'a str)> {
        let (kind, rest) = self.resource.split_once('/')?;
        let (path, name) = split_path_name(rest);
        Some((kind, path, name))
    }
}

/// Splits the part of an IAM ARN after `user/`, `role/`, `policy/`… into path and name:
/// `a/b/name` → (`/a/b/`, `name`), `name` → (`/`, `name`).
#[must_use]
pub fn split_path_name(rest: &str) -> (String, &str) {
    match rest.rfind('/') {
        Some(i) => (format!("/{}/", &rest[..i]), &rest[i + 1..]),
        None => ("/".to_owned(), rest),
    }
}

/// The ARN of a user that may not exist yet.
#[must_use]
pub fn user_arn(account: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:user{path}{name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_split_into_their_parts() {
        let a = Arn::parse("arn:aws:iam::123456789012:user/team/a/alice").unwrap();
        assert_eq!((a.partition, a.service, a.region, a.account), ("aws", "iam", "", "123456789012"));
        assert_eq!(a.iam_entity("user"), Some(("/team/a/".to_owned(), "alice")));
        assert_eq!(a.iam_entity("role"), None);
        assert_eq!(a.iam_typed(), Some(("user", "/team/a/".to_owned(), "alice")));
        let s3 = Arn::parse("arn:aws:s3:::bucket/key:with:colons").unwrap();
        assert_eq!(s3.resource, "bucket/key:with:colons");
        assert_eq!(Arn::parse("arn:aws:iam::1"), None);
        assert_eq!(Arn::parse("urn:aws:iam::1:root"), None);
        assert_eq!(split_path_name("name"), ("/".to_owned(), "name"));
    }
}
