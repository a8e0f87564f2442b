//! The policy simulator: SimulatePrincipalPolicy, SimulateCustomPolicy,
//! GetContextKeysForPrincipalPolicy and GetContextKeysForCustomPolicy. Every action × resource
//! pair is decided by the same engine that authorizes real requests, against a hypothetical
//! request whose condition keys are the `ContextEntries` (plus the simulated caller's identity
//! keys): nothing of the real request that carries the simulation leaks into it, so keys such as
//! `aws:CurrentTime` or `aws:SourceIp` are reported in `MissingContextValues` unless supplied.

mod input;
mod output;

pub use input::EntityArn;
use input::{ContextEntry, Simulation, SimulationRequest, parse_inputs, read_policy_inputs};
pub use output::{ContextKeyNames, SimulationResult, SimulationResults};

use super::not_found::{no_such_group, no_such_role, no_such_user};
use super::pagination::{Page, encode_marker};
use crate::authz::{self, LoadedPolicy, PrincipalPolicies};
use crate::error::AwsError;
use crate::operation::{Ctx, Operation, Service};
use crate::policy::{
    PolicyRef, PrincipalRef, PrincipalType, RequestContext, ResourcePolicyMode, ResourcePolicyRef, bounded_work,
    context_keys, evaluate,
};
use crate::protocol::Params;
use crate::protocol::rules::ARN;
use crate::store::{EntityKind, UserRecord};

/// The identity a `PolicySourceArn` names, with its policies.
struct Source {
    policies: PrincipalPolicies,
    /// The user, when the source is one: the default simulated caller.
    user: Option<UserRecord>,
}

/// Loads the user, group or role `arn` names in the caller's account.
fn load_source(ctx: &Ctx<'_>, arn: &EntityArn) -> Result<Source, AwsError> {
    let app = ctx.app;
    let here = arn.account == ctx.account();
    match arn.kind {
        EntityKind::User => {
            let user = if here { app.store.user(&arn.account, &arn.name)? } else { None };
            let user = user.filter(|u| u.path == arn.path).ok_or_else(|| no_such_user(&arn.name))?;
            Ok(Source { policies: authz::user_policies(&app.loader(), &user)?, user: Some(user) })
        }
        EntityKind::Group => {
            let group = if here { app.store.group(&arn.account, &arn.name)? } else { None };
            let group = group.filter(|g| g.path == arn.path).ok_or_else(|| no_such_group(&arn.name))?;
            Ok(Source { policies: authz::group_policies(&app.loader(), &group)?, user: None })
        }
        EntityKind::Role => {
            let role = if here { app.store.role(&arn.account, &arn.name)? } else { None };
            let role = role.filter(|r| r.path == arn.path).ok_or_else(|| no_such_role(&arn.name))?;
            Ok(Source { policies: authz::role_policies(&app.loader(), &role)?, user: None })
        }
    }
}

/// The simulated caller: always an IAM user, whether or not it exists.
struct SimCaller {
    arn: String,
    account: String,
    name: String,
    /// The user's unique id, when the user exists here.
    id: Option<String>,
}

impl SimCaller {
    fn of_user(user: &UserRecord) -> Self {
        Self { arn: user.arn(), account: user.account.clone(), name: user.name.clone(), id: Some(user.id.clone()) }
    }

    fn named(ctx: &Ctx<'_>, arn: &EntityArn) -> Result<Self, AwsError> {
        let user = if arn.account == ctx.account() { ctx.app.store.user(&arn.account, &arn.name)? } else { None };
        Ok(match user.filter(|u| u.path == arn.path) {
            Some(u) => Self::of_user(&u),
            None => Self {
                arn: crate::arn::user_arn(&arn.account, &arn.path, &arn.name),
                account: arn.account.clone(),
                name: arn.name.clone(),
                id: None,
            },
        })
    }
}

/// The hypothetical request every pair starts from: the caller and its identity keys, then the
/// `ContextEntries`, which override them.
fn base_context(account: &str, caller: Option<&SimCaller>, entries: Vec<ContextEntry>) -> RequestContext {
    let mut b = RequestContext::builder("", "");
    match caller {
        Some(c) => {
            b = b
                .principal(PrincipalRef::new(PrincipalType::User, c.arn.as_str(), c.account.as_str()))
                .value("aws:username", c.name.as_str())
                .value("aws:PrincipalArn", c.arn.as_str())
                .value("aws:PrincipalAccount", c.account.as_str());
            if let Some(id) = &c.id {
                b = b.value("aws:userid", id.as_str());
            }
        }
        // Identity policies need a caller of the account to apply to; no resource policy is
        // evaluated without a CallerArn, so it needs no name.
        None => b = b.principal(PrincipalRef::new(PrincipalType::User, "", account)),
    }
    let mut context = b.build();
    for entry in entries {
        context.set(&entry.name, entry.values);
    }
    context
}

/// The account a resource belongs to, for a simulation with a resource-based policy: the ARN's
/// own account field, else `ResourceOwner`, else the caller's.
fn resource_account<'a>(resource: &'a str, owner: Option<&'a str>) -> Option<&'a str> {
    match resource.split(':').nth(4) {
        Some(account) if !account.is_empty() => Some(account),
        _ => owner,
    }
}

/// Matching steps one simulation call may take (about a tenth of a second): hundreds of times
/// what a page of ordinary policies needs, far below what crafted patterns against long ARNs
/// could ask for.
pub const MAX_SIMULATION_WORK: u64 = 50_000_000;

/// Decides the requested page of the actions × resources, and only it: one call's memory is
/// bounded by MaxItems, however long the lists (the Marker is the position), and its work by
/// [`MAX_SIMULATION_WORK`]: a page that reaches it ends early, truncated, as AWS allows pages to.
fn simulate(
    ctx: &Ctx<'_>,
    mut policies: PrincipalPolicies,
    caller: Option<&SimCaller>,
    sim: Simulation,
) -> Result<SimulationResults, AwsError> {
    if sim.resource_policy.is_some() && caller.is_none() {
        return Err(AwsError::InvalidInput("Invalid caller - Caller cannot be null or empty.".into()));
    }
    if let Some(boundary) = sim.boundary {
        policies.boundary = Some(boundary);
    }
    let base = base_context(ctx.account(), caller, sim.context);
    let per_resource = sim.resources.is_some();
    let resources = sim.resources.unwrap_or_else(|| vec!["*".to_owned()]);
    let resource_policy = sim.resource_policy.as_ref().map(|p| ResourcePolicyRef {
        policy: PolicyRef { source_id: &p.source_id, source_type: &p.source_type, document: &p.document },
        mode: ResourcePolicyMode::Additive,
    });
    let (positions, marker) = sim.page.window(sim.actions.len().saturating_mul(resources.len()))?;
    let (mut items, mut marker) = (Vec::with_capacity(positions.len()), marker);
    let mut spent = 0;
    for i in positions {
        let (action, resource) = (&sim.actions[i / resources.len()], &resources[i % resources.len()]);
        let context = base.with_request(action.as_str(), resource.as_str());
        let mut input = policies.input(&context);
        if resource_policy.is_some() {
            input.resource_policy = resource_policy;
            input.resource_account = resource_account(resource, sim.resource_owner.as_deref());
        }
        let (evaluation, cost) = match bounded_work(MAX_SIMULATION_WORK - spent, || evaluate(&input)) {
            Ok(done) => done,
            // The next page starts here, with the whole budget.
            Err(_) if !items.is_empty() => {
                marker = Some(encode_marker(&i.to_string()));
                break;
            }
            Err(_) => {
                return Err(AwsError::LimitExceeded(format!(
                    "Simulating {action} on {resource} needs more than {MAX_SIMULATION_WORK} steps of policy \
                     matching, the most one request may take. Simplify the policies' wildcard patterns."
                )));
            }
        };
        spent += cost;
        items.push(SimulationResult { action: action.clone(), resource: resource.clone(), evaluation, per_resource });
    }
    Ok(SimulationResults(Page { items, marker }))
}

pub struct SimulatePrincipalPolicy {
    source_arn: String,
    source: EntityArn,
    inputs: Vec<LoadedPolicy>,
    sim: Simulation,
}

impl Operation for SimulatePrincipalPolicy {
    const NAME: &'static str = "SimulatePrincipalPolicy";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = false;
    type Output = SimulationResults;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let source_arn = f.str("PolicySourceArn", &ARN);
        let inputs = read_policy_inputs(&mut f, "PolicyInputList").unwrap_or_default();
        let request = SimulationRequest::read(&mut f);
        f.finish()?;
        let inputs = parse_inputs("PolicyInputList", &inputs)?;
        let sim = request.validate()?;
        let source = EntityArn::source(&source_arn)?;
        Ok(Self { source_arn, source, inputs, sim })
    }

    fn resource(&self, _: &Ctx<'_>) -> Result<String, AwsError> {
        Ok(self.source_arn.clone())
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<SimulationResults, AwsError> {
        let Source { mut policies, user } = load_source(ctx, &self.source)?;
        policies.identity.extend(self.inputs);
        // CallerArn "defaults to the ARN of the user that you specify in PolicySourceArn, if you
        // specified a user".
        let caller = match &self.sim.caller {
            Some(arn) => Some(SimCaller::named(ctx, arn)?),
            None => user.as_ref().map(SimCaller::of_user),
        };
        simulate(ctx, policies, caller.as_ref(), self.sim)
    }
}

pub struct SimulateCustomPolicy {
    inputs: Vec<LoadedPolicy>,
    sim: Simulation,
}

impl Operation for SimulateCustomPolicy {
    const NAME: &'static str = "SimulateCustomPolicy";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = false;
    type Output = SimulationResults;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let inputs = read_policy_inputs(&mut f, "PolicyInputList").unwrap_or_else(|| {
            f.null("PolicyInputList");
            Vec::new()
        });
        let request = SimulationRequest::read(&mut f);
        f.finish()?;
        let inputs = parse_inputs("PolicyInputList", &inputs)?;
        Ok(Self { inputs, sim: request.validate()? })
    }

    fn resource(&self, _: &Ctx<'_>) -> Result<String, AwsError> {
        Ok("*".into())
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<SimulationResults, AwsError> {
        let policies = PrincipalPolicies { identity: self.inputs, ..PrincipalPolicies::default() };
        let caller = self.sim.caller.as_ref().map(|arn| SimCaller::named(ctx, arn)).transpose()?;
        simulate(ctx, policies, caller.as_ref(), self.sim)
    }
}

pub struct GetContextKeysForPrincipalPolicy {
    source_arn: String,
    source: EntityArn,
    inputs: Vec<LoadedPolicy>,
}

impl Operation for GetContextKeysForPrincipalPolicy {
    const NAME: &'static str = "GetContextKeysForPrincipalPolicy";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = false;
    type Output = ContextKeyNames;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let source_arn = f.str("PolicySourceArn", &ARN);
        let inputs = read_policy_inputs(&mut f, "PolicyInputList").unwrap_or_default();
        f.finish()?;
        let inputs = parse_inputs("PolicyInputList", &inputs)?;
        let source = EntityArn::source(&source_arn)?;
        Ok(Self { source_arn, source, inputs })
    }

    fn resource(&self, _: &Ctx<'_>) -> Result<String, AwsError> {
        Ok(self.source_arn.clone())
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<ContextKeyNames, AwsError> {
        let Source { policies, .. } = load_source(ctx, &self.source)?;
        let documents = policies.identity.iter().chain(&policies.boundary).chain(&self.inputs).map(|p| &*p.document);
        Ok(ContextKeyNames(context_keys(documents)))
    }
}

pub struct GetContextKeysForCustomPolicy {
    inputs: Vec<LoadedPolicy>,
}

impl Operation for GetContextKeysForCustomPolicy {
    const NAME: &'static str = "GetContextKeysForCustomPolicy";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = false;
    type Output = ContextKeyNames;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let inputs = read_policy_inputs(&mut f, "PolicyInputList").unwrap_or_else(|| {
            f.null("PolicyInputList");
            Vec::new()
        });
        f.finish()?;
        Ok(Self { inputs: parse_inputs("PolicyInputList", &inputs)? })
    }

    fn resource(&self, _: &Ctx<'_>) -> Result<String, AwsError> {
        Ok("*".into())
    }

    fn run(self, _: &Ctx<'_>) -> Result<ContextKeyNames, AwsError> {
        Ok(ContextKeyNames(context_keys(self.inputs.iter().map(|p| &*p.document))))
    }
}
