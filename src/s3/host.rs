//! Which bucket a request's `Host` names. With `[s3_gateway] domain`, `bucket.domain[:port]` is
//! virtual-host style; every other host (the domain itself, an IP address, any other name) is
//! path style. s3s's `SingleDomain` compares the host with its port and takes any other name
//! for a bucket (CNAME style), which would break path style on `127.0.0.1:port`.

use s3s::S3Result;
use s3s::host::{S3Host, VirtualHost};

pub struct Domain {
    domain: String,
}

impl Domain {
    /// `None` for a domain that is not a host name (empty, or a character DNS does not allow).
    #[must_use]
    pub fn new(domain: &str) -> Option<Self> {
        let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
        crate::config::is_host_name(&domain).then_some(Self { domain })
    }

    /// The bucket `host` names, if it is a name under the domain.
    fn bucket<'a>(&self, host: &'a str) -> Option<&'a str> {
        let name = strip_port(host);
        let bucket = name.len().checked_sub(self.domain.len() + 1).map(|n| &name[..n])?;
        let rest = &name[bucket.len()..];
        (rest.starts_with('.') && rest[1..].eq_ignore_ascii_case(&self.domain) && !bucket.is_empty()).then_some(bucket)
    }
}

/// `host` without `:port` (an IPv6 literal keeps its brackets).
fn strip_port(host: &str) -> &str {
    match host.rfind(':') {
        Some(i) if !host[i..].contains(']') && host[i + 1..].bytes().all(|b| b.is_ascii_digit()) => &host[..i],
        _ => host,
    }
}

impl S3Host for Domain {
    fn parse_host_header<'a>(&'a self, host: &'a str) -> S3Result<VirtualHost<'a>> {
        Ok(match self.bucket(host) {
            Some(bucket) => VirtualHost::new(self.domain.as_str()).with_bucket(bucket),
            None => VirtualHost::new(host),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_under_the_domain_are_buckets_and_everything_else_is_path_style() {
        let d = Domain::new("s3.example.org").unwrap();
        assert_eq!(d.bucket("data.s3.example.org"), Some("data"));
        assert_eq!(d.bucket("data.s3.example.org:9000"), Some("data"));
        assert_eq!(d.bucket("my.dotted.bucket.S3.Example.org:9000"), Some("my.dotted.bucket"));
        assert_eq!(d.bucket("s3.example.org:9000"), None);
        assert_eq!(d.bucket(".s3.example.org"), None);
        assert_eq!(d.bucket("127.0.0.1:9000"), None);
        assert_eq!(d.bucket("[::1]:9000"), None);
        assert_eq!(d.bucket("datas3.example.org"), None);
        assert_eq!(d.bucket("example.org"), None);
        assert!(Domain::new("").is_none());
        assert!(Domain::new("bad_domain").is_none());
    }
}
