//! Actions of features a standalone account does not have: AWS Organizations, delegation
//! requests, role templates. Each answers the clean error AWS
//! gives an account without the feature, after the usual authorization, never `InvalidAction`:
//! tools that probe for a feature then see it is off.

use crate::error::AwsError;
use crate::operation::{Ctx, Operation, Service};
use crate::protocol::Params;

/// The message of every Organizations-only action.
const NO_ORGANIZATION: &str = "The request failed because your account is not a member of an organization.";

macro_rules! unavailable {
    ($($ty:ident: $service:ident, $answer:expr;)*) => {$(
        pub struct $ty(Params);

        impl Operation for $ty {
            const NAME: &'static str = stringify!($ty);
            const SERVICE: Service = Service::$service;
            const MUTATES: bool = false;
            type Output = ();

            fn parse(p: &Params) -> Result<Self, AwsError> {
                Ok(Self(p.clone()))
            }

            fn resource(&self, _ctx: &Ctx<'_>) -> Result<String, AwsError> {
                Ok("*".into())
            }

            fn run(self, _ctx: &Ctx<'_>) -> Result<(), AwsError> {
                let answer: fn(&Params) -> AwsError = $answer;
                Err(answer(&self.0))
            }
        }
    )*};
}

fn member<'a>(p: &'a Params, name: &str) -> &'a str {
    p.get(name).unwrap_or("")
}

fn no_organization(_: &Params) -> AwsError {
    AwsError::OrganizationNotFound(NO_ORGANIZATION.into())
}

fn no_delegation_request(p: &Params) -> AwsError {
    AwsError::NoSuchEntity(format!(
        "The delegation request with id {} cannot be found.",
        member(p, "DelegationRequestId")
    ))
}

fn no_role_template(p: &Params) -> AwsError {
    AwsError::NoSuchEntity(format!("The role template with ARN {} cannot be found.", member(p, "TemplateArn")))
}

unavailable! {
    EnableOrganizationsRootCredentialsManagement: Iam, no_organization;
    DisableOrganizationsRootCredentialsManagement: Iam, no_organization;
    EnableOrganizationsRootSessions: Iam, no_organization;
    DisableOrganizationsRootSessions: Iam, no_organization;
    ListOrganizationsFeatures: Iam, no_organization;
    GenerateOrganizationsAccessReport: Iam, no_organization;
    GetOrganizationsAccessReport: Iam, |p| AwsError::NoSuchEntity(format!(
        "No organizations access report with job id {} exists.",
        member(p, "JobId")
    ));
    CreateDelegationRequest: Iam, |_| AwsError::InvalidInput(
        "Delegation requests are not available in this account.".into()
    );
    GetDelegationRequest: Iam, no_delegation_request;
    AcceptDelegationRequest: Iam, no_delegation_request;
    AssociateDelegationRequest: Iam, no_delegation_request;
    RejectDelegationRequest: Iam, no_delegation_request;
    SendDelegationToken: Iam, no_delegation_request;
    UpdateDelegationRequest: Iam, no_delegation_request;
    PutAccountProperties: Iam, |_| AwsError::InvalidInput(
        "No account property can be set outside AWS Organizations.".into()
    );
    AcquireRole: Iam, no_role_template;
    GetRoleTemplateVersion: Iam, no_role_template;
    AssumeRoot: Sts, |_| AwsError::AccessDenied(
        "AssumeRoot is available only to member accounts of an organization with centralized root access.".into()
    );
    GetDelegatedAccessToken: Sts, |_| AwsError::InvalidParameterValue(
        "The trade-in token is not valid: this account has no delegation requests.".into()
    );
}
