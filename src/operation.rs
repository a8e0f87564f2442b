//! What every action is: the [`Operation`] trait, the context its handler runs in, and the
//! services. Handlers import this, never the dispatch table that names them.

use time::OffsetDateTime;

use crate::error::AwsError;
use crate::principal::Caller;
use crate::protocol::{Params, WriteXml};
use crate::state::State;

/// The AWS services this endpoint serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    Iam,
    Sts,
}

impl Service {
    /// The SigV4 service name and IAM action prefix.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Iam => "iam",
            Self::Sts => "sts",
        }
    }

    #[must_use]
    pub fn version(self) -> &'static str {
        match self {
            Self::Iam => "2010-05-08",
            Self::Sts => "2011-06-15",
        }
    }

    #[must_use]
    pub fn namespace(self) -> &'static str {
        match self {
            Self::Iam => "https://iam.amazonaws.com/doc/2010-05-08/",
            Self::Sts => "https://sts.amazonaws.com/doc/2011-06-15/",
        }
    }

    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "iam" => Some(Self::Iam),
            "sts" => Some(Self::Sts),
            _ => None,
        }
    }

    #[must_use]
    pub fn from_version(version: &str) -> Option<Self> {
        [Self::Iam, Self::Sts].into_iter().find(|s| s.version() == version)
    }
}

/// What a handler sees of the request besides its input.
pub struct Ctx<'a> {
    pub app: &'a State,
    pub caller: &'a Caller,
    pub now: OffsetDateTime,
    /// The region the request was signed for.
    pub region: &'a str,
    /// The client's address (`aws:SourceIp`).
    pub source_ip: Option<std::net::IpAddr>,
    /// Whether the request came over TLS.
    pub secure_transport: bool,
    /// The permission the action needs (`iam:CreateUser`).
    pub permission: &'static str,
    /// The request's `Host` header.
    pub host: Option<&'a str>,
}

impl Ctx<'_> {
    /// The caller's account: every entity a request names lives there.
    #[must_use]
    pub fn account(&self) -> &str {
        self.caller.principal.account()
    }

    /// Where clients reach this daemon (`http://127.0.0.1:9500`): the configured base URL, or
    /// the scheme and `Host` of this request.
    #[must_use]
    pub fn public_base_url(&self) -> String {
        self.app.settings.public_base_url(self.secure_transport, self.host)
    }
}

/// One API action: typed input parsed from the query parameters, and its handler.
pub trait Operation: Sized {
    const NAME: &'static str;
    const SERVICE: Service;
    /// Whether success changes stored state (and must be flushed before the response).
    const MUTATES: bool;
    /// Whether the action needs a permission at all (GetCallerIdentity does not).
    const NEEDS_PERMISSION: bool = true;
    /// Whether the request is unsigned, as AWS takes it (AssumeRoleWithWebIdentity: the token
    /// is the credential). Such an action decides everything itself.
    const UNSIGNED: bool = false;
    type Output: WriteXml;

    /// Reads and validates the input.
    ///
    /// # Errors
    /// `ValidationError` and friends, as AWS words them.
    fn parse(params: &Params) -> Result<Self, AwsError>;

    /// Tags the request asks to set (`aws:RequestTag/…`, `aws:TagKeys`).
    fn request_tags(&self) -> Option<&[crate::protocol::Tag]> {
        None
    }

    /// Tag keys the request asks to remove (`aws:TagKeys`).
    fn tag_keys(&self) -> Option<&[String]> {
        None
    }

    /// Service-specific condition keys the request sets (`iam:PolicyARN`, `iam:PermissionsBoundary`).
    fn condition_keys(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }

    /// The resource ARN the permission applies to.
    ///
    /// # Errors
    /// When resolving it needs the store and the store fails.
    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError>;

    /// Performs the action.
    ///
    /// # Errors
    /// The AWS error the action ends in.
    fn run(self, ctx: &Ctx<'_>) -> Result<Self::Output, AwsError>;
}
