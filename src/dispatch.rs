//! The one table from action name to handler. Each entry knows its service, whether it changes
//! state (so the server flushes before answering), and, through [`Operation`], how to parse its
//! input, which permission and resource it needs, and how to run.

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::authz;
use crate::error::AwsError;
use crate::iam;
use crate::iam::holders::{Groups, Roles, Users};
use crate::operation::{Ctx, Operation, Service};
use crate::protocol::{Params, xml};
use crate::sts;
use crate::unavailable;

/// A row of the dispatch table.
pub struct Entry {
    pub name: &'static str,
    pub service: Service,
    pub mutates: bool,
    /// Taken without a signature (see [`Operation::UNSIGNED`]).
    pub unsigned: bool,
    pub execute: fn(&Ctx<'_>, &Params, &str) -> Result<Vec<u8>, AwsError>,
}

const fn entry<O: Operation>() -> Entry {
    // An unsigned request has no caller to authorize: the action must decide by itself.
    assert!(!O::UNSIGNED || !O::NEEDS_PERMISSION, "an unsigned action cannot need a permission");
    Entry { name: O::NAME, service: O::SERVICE, mutates: O::MUTATES, unsigned: O::UNSIGNED, execute: execute::<O> }
}

/// Parse, authorize, run, encode.
fn execute<O: Operation>(ctx: &Ctx<'_>, params: &Params, request_id: &str) -> Result<Vec<u8>, AwsError> {
    let input = O::parse(params)?;
    if O::NEEDS_PERMISSION {
        let resource = input.resource(ctx)?;
        let facts = authz::RequestFacts {
            action: ctx.permission,
            resource: &resource,
            now: ctx.now,
            source_ip: ctx.source_ip,
            secure_transport: ctx.secure_transport,
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
    entry::<iam::login_profiles::CreateLoginProfile>(),
    entry::<iam::login_profiles::GetLoginProfile>(),
    entry::<iam::login_profiles::UpdateLoginProfile>(),
    entry::<iam::login_profiles::DeleteLoginProfile>(),
    entry::<iam::login_profiles::ChangePassword>(),
    entry::<iam::password_policy::GetAccountPasswordPolicy>(),
    entry::<iam::password_policy::UpdateAccountPasswordPolicy>(),
    entry::<iam::password_policy::DeleteAccountPasswordPolicy>(),
    entry::<iam::account_aliases::CreateAccountAlias>(),
    entry::<iam::account_aliases::ListAccountAliases>(),
    entry::<iam::account_aliases::DeleteAccountAlias>(),
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
    entry::<iam::oidc_providers::CreateOpenIdConnectProvider>(),
    entry::<iam::oidc_providers::GetOpenIdConnectProvider>(),
    entry::<iam::oidc_providers::ListOpenIdConnectProviders>(),
    entry::<iam::oidc_providers::DeleteOpenIdConnectProvider>(),
    entry::<iam::oidc_providers::ChangeClientId<true>>(),
    entry::<iam::oidc_providers::ChangeClientId<false>>(),
    entry::<iam::oidc_providers::UpdateOpenIdConnectProviderThumbprint>(),
    entry::<iam::tagging::TagResource<iam::tagging::OidcProviderTags>>(),
    entry::<iam::tagging::UntagResource<iam::tagging::OidcProviderTags>>(),
    entry::<iam::tagging::ListResourceTags<iam::tagging::OidcProviderTags>>(),
    // SSH public keys (CodeCommit).
    entry::<iam::ssh_keys::UploadSshPublicKey>(),
    entry::<iam::ssh_keys::GetSshPublicKey>(),
    entry::<iam::ssh_keys::ListSshPublicKeys>(),
    entry::<iam::ssh_keys::UpdateSshPublicKey>(),
    entry::<iam::ssh_keys::DeleteSshPublicKey>(),
    // X.509 signing certificates.
    entry::<iam::signing_certificates::UploadSigningCertificate>(),
    entry::<iam::signing_certificates::ListSigningCertificates>(),
    entry::<iam::signing_certificates::UpdateSigningCertificate>(),
    entry::<iam::signing_certificates::DeleteSigningCertificate>(),
    // Service-specific credentials (CodeCommit, Keyspaces).
    entry::<iam::service_credentials::CreateServiceSpecificCredential>(),
    entry::<iam::service_credentials::ListServiceSpecificCredentials>(),
    entry::<iam::service_credentials::UpdateServiceSpecificCredential>(),
    entry::<iam::service_credentials::ResetServiceSpecificCredential>(),
    entry::<iam::service_credentials::DeleteServiceSpecificCredential>(),
    // Server certificates.
    entry::<iam::server_certificates::UploadServerCertificate>(),
    entry::<iam::server_certificates::GetServerCertificate>(),
    entry::<iam::server_certificates::ListServerCertificates>(),
    entry::<iam::server_certificates::UpdateServerCertificate>(),
    entry::<iam::server_certificates::DeleteServerCertificate>(),
    entry::<iam::tagging::TagResource<iam::server_certificates::ServerCertificateTags>>(),
    entry::<iam::tagging::UntagResource<iam::server_certificates::ServerCertificateTags>>(),
    entry::<iam::tagging::ListResourceTags<iam::server_certificates::ServerCertificateTags>>(),
    // MFA devices
    entry::<iam::mfa_devices::CreateVirtualMfaDevice>(),
    entry::<iam::mfa_devices::DeleteVirtualMfaDevice>(),
    entry::<iam::mfa_devices::ListVirtualMfaDevices>(),
    entry::<iam::mfa_devices::EnableMfaDevice>(),
    entry::<iam::mfa_devices::DeactivateMfaDevice>(),
    entry::<iam::mfa_devices::ResyncMfaDevice>(),
    entry::<iam::mfa_devices::ListMfaDevices>(),
    entry::<iam::mfa_devices::GetMfaDevice>(),
    entry::<iam::tagging::TagResource<iam::tagging::MfaDeviceTags>>(),
    entry::<iam::tagging::UntagResource<iam::tagging::MfaDeviceTags>>(),
    entry::<iam::tagging::ListResourceTags<iam::tagging::MfaDeviceTags>>(),
    // SAML providers (AssumeRoleWithSAML checks assertions against their metadata).
    entry::<iam::saml_providers::CreateSamlProvider>(),
    entry::<iam::saml_providers::GetSamlProvider>(),
    entry::<iam::saml_providers::UpdateSamlProvider>(),
    entry::<iam::saml_providers::DeleteSamlProvider>(),
    entry::<iam::saml_providers::ListSamlProviders>(),
    entry::<iam::tagging::TagResource<iam::tagging::SamlProviderTags>>(),
    entry::<iam::tagging::UntagResource<iam::tagging::SamlProviderTags>>(),
    entry::<iam::tagging::ListResourceTags<iam::tagging::SamlProviderTags>>(),
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
    entry::<iam::instance_profiles::CreateInstanceProfile>(),
    entry::<iam::instance_profiles::GetInstanceProfile>(),
    entry::<iam::instance_profiles::ListInstanceProfiles>(),
    entry::<iam::instance_profiles::DeleteInstanceProfile>(),
    entry::<iam::instance_profiles::ChangeProfileRole<true>>(),
    entry::<iam::instance_profiles::ChangeProfileRole<false>>(),
    entry::<iam::instance_profiles::ListInstanceProfilesForRole>(),
    entry::<iam::tagging::TagResource<iam::tagging::InstanceProfileTags>>(),
    entry::<iam::tagging::UntagResource<iam::tagging::InstanceProfileTags>>(),
    entry::<iam::tagging::ListResourceTags<iam::tagging::InstanceProfileTags>>(),
    entry::<iam::service_linked::CreateServiceLinkedRole>(),
    entry::<iam::service_linked::DeleteServiceLinkedRole>(),
    entry::<iam::service_linked::GetServiceLinkedRoleDeletionStatus>(),
    entry::<iam::account_summary::GetAccountSummary>(),
    entry::<iam::service_access::ListPoliciesGrantingServiceAccess>(),
    entry::<iam::service_access::GenerateServiceLastAccessedDetails>(),
    entry::<iam::service_access::GetServiceLastAccessedDetails>(),
    entry::<iam::service_access::GetServiceLastAccessedDetailsWithEntities>(),
    entry::<iam::authorization_details::GetAccountAuthorizationDetails>(),
    entry::<iam::credential_report::GenerateCredentialReport>(),
    entry::<iam::credential_report::GetCredentialReport>(),
    entry::<iam::account_settings::SetSecurityTokenServicePreferences>(),
    entry::<iam::account_settings::GetAccountProperties>(),
    entry::<iam::account_settings::ListDelegationRequests>(),
    entry::<iam::account_settings::GetHumanReadableSummary>(),
    // Outbound web identity federation (the account's JWT issuer).
    entry::<iam::outbound_federation::EnableOutboundWebIdentityFederation>(),
    entry::<iam::outbound_federation::DisableOutboundWebIdentityFederation>(),
    entry::<iam::outbound_federation::GetOutboundWebIdentityFederationInfo>(),
    // The policy simulator.
    entry::<iam::simulate::SimulatePrincipalPolicy>(),
    entry::<iam::simulate::SimulateCustomPolicy>(),
    entry::<iam::simulate::GetContextKeysForPrincipalPolicy>(),
    entry::<iam::simulate::GetContextKeysForCustomPolicy>(),
    entry::<sts::caller_identity::GetCallerIdentity>(),
    entry::<sts::assume_role::AssumeRole>(),
    entry::<sts::web_identity::AssumeRoleWithWebIdentity>(),
    // SAML federation (unsigned: the signed SAML Response is the credential).
    entry::<sts::saml::AssumeRoleWithSaml>(),
    entry::<sts::session_token::GetSessionToken>(),
    entry::<sts::session_token::GetAccessKeyInfo>(),
    entry::<sts::federation_token::GetFederationToken>(),
    entry::<sts::decode_message::DecodeAuthorizationMessage>(),
    entry::<sts::web_identity_token::GetWebIdentityToken>(),
    // Features a standalone account does not have: clean errors, never InvalidAction.
    entry::<unavailable::EnableOrganizationsRootCredentialsManagement>(),
    entry::<unavailable::DisableOrganizationsRootCredentialsManagement>(),
    entry::<unavailable::EnableOrganizationsRootSessions>(),
    entry::<unavailable::DisableOrganizationsRootSessions>(),
    entry::<unavailable::ListOrganizationsFeatures>(),
    entry::<unavailable::GenerateOrganizationsAccessReport>(),
    entry::<unavailable::GetOrganizationsAccessReport>(),
    entry::<unavailable::CreateDelegationRequest>(),
    entry::<unavailable::GetDelegationRequest>(),
    entry::<unavailable::AcceptDelegationRequest>(),
    entry::<unavailable::AssociateDelegationRequest>(),
    entry::<unavailable::RejectDelegationRequest>(),
    entry::<unavailable::SendDelegationToken>(),
    entry::<unavailable::UpdateDelegationRequest>(),
    entry::<unavailable::PutAccountProperties>(),
    entry::<unavailable::AcquireRole>(),
    entry::<unavailable::GetRoleTemplateVersion>(),
    entry::<unavailable::AssumeRoot>(),
    entry::<unavailable::GetDelegatedAccessToken>(),
];

/// The table indexed by service and name, and each action's permission string.
struct Index {
    by_name: HashMap<(Service, &'static str), usize>,
    service_by_name: HashMap<&'static str, Service>,
    permissions: Vec<&'static str>,
}

static INDEX: LazyLock<Index> = LazyLock::new(|| Index {
    by_name: TABLE.iter().enumerate().map(|(i, e)| ((e.service, e.name), i)).collect(),
    service_by_name: TABLE.iter().rev().map(|e| (e.name, e.service)).collect(),
    // Built once; leaked on purpose, as the table itself lives for the whole process.
    permissions: TABLE.iter().map(|e| &*format!("{}:{}", e.service.name(), e.name).leak()).collect(),
});

/// The entry for `action` in `service`, with its position in [`TABLE`].
#[must_use]
pub fn lookup(service: Service, action: &str) -> Option<(usize, &'static Entry)> {
    let i = *INDEX.by_name.get(&(service, action))?;
    Some((i, &TABLE[i]))
}

/// The permission (`iam:CreateUser`) of the entry at `index`.
#[must_use]
pub fn permission(index: usize) -> &'static str {
    INDEX.permissions[index]
}

/// The service that serves `action`, for requests that do not say (unsigned ones).
#[must_use]
pub fn service_of(action: &str) -> Option<Service> {
    INDEX.service_by_name.get(action).copied()
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

    #[test]
    fn the_table_fits_below_the_keystone_metrics_rows() {
        assert!(TABLE.len() <= crate::metrics::KEYSTONE_ROWS, "{} actions", TABLE.len());
    }
}
