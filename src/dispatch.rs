//! The one table from action name to handler. Each entry knows its service, whether it changes
//! state (so the server flushes before answering), and, through [`Operation`], how to parse its
//! input, which permission and resource it needs, and how to run.

use time::OffsetDateTime;

use crate::app::App;
use crate::authz;
use crate::error::AwsError;
use crate::iam;
use crate::iam::holders::{Groups, Roles, Users};
use crate::principal::Caller;
use crate::protocol::{Params, WriteXml, xml};
use crate::sts;

/// The AWS services this endpoint serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    pub app: &'a App,
    pub caller: &'a Caller,
    pub now: OffsetDateTime,
    /// The region the request was signed for.
    pub region: &'a str,
    /// The client's address (`aws:SourceIp`).
    pub source_ip: Option<std::net::IpAddr>,
}

impl Ctx<'_> {
    /// The caller's account: every entity a request names lives there.
    #[must_use]
    pub fn account(&self) -> &str {
        self.caller.principal.account()
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

/// A row of the dispatch table.
pub struct Entry {
    pub name: &'static str,
    pub service: Service,
    pub mutates: bool,
    pub execute: fn(&Ctx<'_>, &Params, &str) -> Result<Vec<u8>, AwsError>,
}

const fn entry<O: Operation>() -> Entry {
    Entry { name: O::NAME, service: O::SERVICE, mutates: O::MUTATES, execute: execute::<O> }
}

/// Parse, authorize, run, encode.
fn execute<O: Operation>(ctx: &Ctx<'_>, params: &Params, request_id: &str) -> Result<Vec<u8>, AwsError> {
    let input = O::parse(params)?;
    if O::NEEDS_PERMISSION {
        let action = format!("{}:{}", O::SERVICE.name(), O::NAME);
        let resource = input.resource(ctx)?;
        let facts = authz::RequestFacts {
            action: &action,
            resource: &resource,
            now: ctx.now,
            source_ip: ctx.source_ip,
            region: ctx.region,
            request_tags: input.request_tags(),
            tag_keys: input.tag_keys(),
            extra_keys: input.condition_keys(),
        };
        authz::authorize(ctx.app, ctx.caller, &facts)?;
    }
    let output = input.run(ctx)?;
    Ok(xml::response(O::NAME, O::SERVICE.namespace(), request_id, &output))
}

/// Every action served, IAM then STS.
pub static TABLE: &[Entry] = &[
    entry::<iam::users::CreateUser>(),
    entry::<iam::users::GetUser>(),
    entry::<iam::listing::ListEntities<iam::listing::UserList>>(),
    entry::<iam::users::UpdateUser>(),
    entry::<iam::users::DeleteUser>(),
    entry::<iam::tagging::TagResource<iam::tagging::UserTags>>(),
    entry::<iam::tagging::UntagResource<iam::tagging::UserTags>>(),
    entry::<iam::tagging::ListResourceTags<iam::tagging::UserTags>>(),
    entry::<iam::access_keys::CreateAccessKey>(),
    entry::<iam::access_keys::DeleteAccessKey>(),
    entry::<iam::access_keys::ListAccessKeys>(),
    entry::<iam::access_keys::UpdateAccessKey>(),
    entry::<iam::access_keys::GetAccessKeyLastUsed>(),
    entry::<iam::inline_policies::PutInlinePolicy<Users>>(),
    entry::<iam::inline_policies::GetInlinePolicy<Users>>(),
    entry::<iam::inline_policies::DeleteInlinePolicy<Users>>(),
    entry::<iam::inline_policies::ListInlinePolicies<Users>>(),
    entry::<iam::attached_policies::AttachPolicy<Users>>(),
    entry::<iam::attached_policies::DetachPolicy<Users>>(),
    entry::<iam::attached_policies::ListAttachedPolicies<Users>>(),
    entry::<iam::boundaries::PutPermissionsBoundary<Users>>(),
    entry::<iam::boundaries::DeletePermissionsBoundary<Users>>(),
    entry::<iam::groups::CreateGroup>(),
    entry::<iam::groups::GetGroup>(),
    entry::<iam::listing::ListEntities<iam::listing::GroupList>>(),
    entry::<iam::groups::UpdateGroup>(),
    entry::<iam::groups::DeleteGroup>(),
    entry::<iam::groups::AddUserToGroup>(),
    entry::<iam::groups::RemoveUserFromGroup>(),
    entry::<iam::groups::ListGroupsForUser>(),
    entry::<iam::inline_policies::PutInlinePolicy<Groups>>(),
    entry::<iam::inline_policies::GetInlinePolicy<Groups>>(),
    entry::<iam::inline_policies::DeleteInlinePolicy<Groups>>(),
    entry::<iam::inline_policies::ListInlinePolicies<Groups>>(),
    entry::<iam::attached_policies::AttachPolicy<Groups>>(),
    entry::<iam::attached_policies::DetachPolicy<Groups>>(),
    entry::<iam::attached_policies::ListAttachedPolicies<Groups>>(),
    entry::<iam::managed_policies::CreatePolicy>(),
    entry::<iam::managed_policies::GetPolicy>(),
    entry::<iam::managed_policies::ListPolicies>(),
    entry::<iam::managed_policies::DeletePolicy>(),
    entry::<iam::managed_policies::ListEntitiesForPolicy>(),
    entry::<iam::policy_versions::CreatePolicyVersion>(),
    entry::<iam::policy_versions::SetDefaultPolicyVersion>(),
    entry::<iam::policy_versions::GetPolicyVersion>(),
    entry::<iam::policy_versions::ListPolicyVersions>(),
    entry::<iam::policy_versions::DeletePolicyVersion>(),
    entry::<iam::tagging::TagResource<iam::tagging::PolicyTags>>(),
    entry::<iam::tagging::UntagResource<iam::tagging::PolicyTags>>(),
    entry::<iam::tagging::ListResourceTags<iam::tagging::PolicyTags>>(),
    entry::<iam::roles::CreateRole>(),
    entry::<iam::roles::GetRole>(),
    entry::<iam::listing::ListEntities<iam::listing::RoleList>>(),
    entry::<iam::roles::UpdateRole>(),
    entry::<iam::roles::UpdateRoleDescription>(),
    entry::<iam::roles::UpdateAssumeRolePolicy>(),
    entry::<iam::roles::DeleteRole>(),
    entry::<iam::inline_policies::PutInlinePolicy<Roles>>(),
    entry::<iam::inline_policies::GetInlinePolicy<Roles>>(),
    entry::<iam::inline_policies::DeleteInlinePolicy<Roles>>(),
    entry::<iam::inline_policies::ListInlinePolicies<Roles>>(),
    entry::<iam::attached_policies::AttachPolicy<Roles>>(),
    entry::<iam::attached_policies::DetachPolicy<Roles>>(),
    entry::<iam::attached_policies::ListAttachedPolicies<Roles>>(),
    entry::<iam::boundaries::PutPermissionsBoundary<Roles>>(),
    entry::<iam::boundaries::DeletePermissionsBoundary<Roles>>(),
    entry::<iam::tagging::TagResource<iam::tagging::RoleTags>>(),
    entry::<iam::tagging::UntagResource<iam::tagging::RoleTags>>(),
    entry::<iam::tagging::ListResourceTags<iam::tagging::RoleTags>>(),
    // The policy simulator.
    entry::<iam::simulate::SimulatePrincipalPolicy>(),
    entry::<iam::simulate::SimulateCustomPolicy>(),
    entry::<iam::simulate::GetContextKeysForPrincipalPolicy>(),
    entry::<iam::simulate::GetContextKeysForCustomPolicy>(),
    entry::<sts::caller_identity::GetCallerIdentity>(),
    entry::<sts::assume_role::AssumeRole>(),
    entry::<sts::session_token::GetSessionToken>(),
    entry::<sts::session_token::GetAccessKeyInfo>(),
];

/// The entry for `action` in `service`.
#[must_use]
pub fn lookup(service: Service, action: &str) -> Option<&'static Entry> {
    TABLE.iter().find(|e| e.service == service && e.name == action)
}

/// The service that serves `action`, for requests that do not say (unsigned ones).
#[must_use]
pub fn service_of(action: &str) -> Option<Service> {
    TABLE.iter().find(|e| e.name == action).map(|e| e.service)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_names_are_unique_per_service() {
        for (i, a) in TABLE.iter().enumerate() {
            assert!(TABLE[i + 1..].iter().all(|b| a.name != b.name || a.service != b.service), "{}", a.name);
        }
    }
}
