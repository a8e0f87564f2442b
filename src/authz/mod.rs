//! Authorization, in two steps: load what the decision needs (`policy_set`, from the store's
//! read view) and decide (`decide`, a pure function of what was loaded).

pub mod decide;
pub mod denial;
pub mod documents;
pub mod policy_set;

pub use decide::{RequestFacts, decide, request_context, request_context_with};
pub use policy_set::{
    AuthzCache, CallerPolicies, IAM_POLICY, LoadedPolicy, Loader, PrincipalPolicies, Target, caller_policies,
    group_policies, role_policies, session_policies, session_tags, user_policies,
};

use crate::error::AwsError;
use crate::principal::{Caller, Principal};
use crate::state::State;

/// Loads what deciding needs and decides whether `caller` may perform the request `facts`
/// describes.
///
/// # Errors
/// `AccessDenied`, worded as AWS words the denial, with its encoded authorization message;
/// store failures.
pub fn authorize(app: &State, caller: &Caller, facts: &RequestFacts<'_>) -> Result<(), AwsError> {
    let decided = if let Principal::Root { .. } = &caller.principal {
        decide::decide_root(&caller.principal, facts)
    } else {
        let loader = app.loader();
        let policies = caller_policies(&loader, caller)?;
        let target = policy_set::load_target(&loader, caller.principal.account(), facts.resource)?;
        decide(caller, &policies, target.as_ref(), facts)
    };
    decided.map_err(|d| d.into_error(&app.tokens))
}
