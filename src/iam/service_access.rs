//! Which services an identity's policies reach, and when it last used them:
//! ListPoliciesGrantingServiceAccess, GenerateServiceLastAccessedDetails,
//! GetServiceLastAccessedDetails, GetServiceLastAccessedDetailsWithEntities. A service is
//! "granted" when an Allow statement names an action of its namespace (`s3:GetObject`,
//! `s3:*`); last access comes from the access keys' last-used records iamd keeps, so it is known
//! for users (roles and their sessions are not tracked). A job is computed when it is fetched.

use std::collections::BTreeSet;

use time::OffsetDateTime;

use super::managed_policies::load_policy;
use super::pagination::{Page, PageRequest};
use super::policy_docs::{parse_aws_managed, parse_identity};
use crate::arn::Arn;
use crate::error::AwsError;
use crate::operation::{Ctx, Operation, Service};
use crate::policy::Effect;
use crate::protocol::rules::{ARN, StrRule};
use crate::protocol::{Params, WriteXml, XmlOut};
use crate::state::State;
use crate::store::{PolicyHolding, abort};

const NAMESPACE: StrRule = StrRule { min: 1, max: 64, pattern: r"[\w-]*", matches: |s| !s.is_empty() };
const JOB_ID: StrRule = StrRule { min: 36, max: 36, pattern: "", matches: |_| true };
/// Jobs an account remembers (the oldest are forgotten first).
const REMEMBERED_JOBS: usize = 100;

/// One policy and the namespaces it grants.
struct Grant {
    name: String,
    arn: Option<String>,
    entity: Option<(&'static str, String)>,
    namespaces: BTreeSet<String>,
}

fn namespaces(text: &str, aws: bool) -> BTreeSet<String> {
    let parsed = if aws { parse_aws_managed(text) } else { parse_identity(text, false) };
    let mut out = BTreeSet::new();
    for s in parsed.iter().flat_map(|d| d.statements()) {
        let (actions, not) = s.actions();
        if s.effect() != Effect::Allow || not {
            continue;
        }
        for a in actions {
            if let Some((ns, _)) = a.split_once(':') {
                out.insert(ns.to_ascii_lowercase());
            }
        }
    }
    out
}

fn held_grants(app: &State, account: &str, held: &PolicyHolding, entity: (&'static str, &str)) -> Vec<Grant> {
    let mut out: Vec<Grant> = held
        .inline
        .iter()
        .map(|p| Grant {
            name: p.name.clone(),
            arn: None,
            entity: Some((entity.0, entity.1.to_owned())),
            namespaces: namespaces(&p.document, false),
        })
        .collect();
    for arn in &held.attached {
        if let Ok(p) = load_policy(app, account, arn) {
            out.push(Grant {
                name: p.name.clone(),
                arn: Some(arn.clone()),
                entity: None,
                namespaces: namespaces(p.default_document(), p.aws_managed),
            });
        }
    }
    out
}

/// The policies that apply to the entity `arn` names (a user's include its groups').
fn grants(app: &State, account: &str, arn: &str) -> Result<Vec<Grant>, AwsError> {
    let invalid = || AwsError::InvalidInput(format!("ARN {arn} is not valid."));
    let parsed = Arn::parse(arn).filter(|a| a.service == "iam").ok_or_else(invalid)?;
    let store = &app.store;
    let (kind, name) = parsed.resource.split_once('/').ok_or_else(invalid)?;
    let name = name.rsplit('/').next().unwrap_or(name);
    let missing = || AwsError::NoSuchEntity(format!("The entity {arn} cannot be found."));
    Ok(match kind {
        "user" => {
            let u = store.user(account, name)?.ok_or_else(missing)?;
            let mut out = held_grants(app, account, &u.policies, ("USER", &u.name));
            for g in &u.groups {
                if let Some(g) = store.group(account, g)? {
                    out.extend(held_grants(app, account, &g.policies, ("GROUP", &g.name)));
                }
            }
            out
        }
        "group" => {
            let g = store.group(account, name)?.ok_or_else(missing)?;
            held_grants(app, account, &g.policies, ("GROUP", &g.name))
        }
        "role" => {
            let r = store.role(account, name)?.ok_or_else(missing)?;
            held_grants(app, account, &r.policies, ("ROLE", &r.name))
        }
        "policy" => {
            let p = load_policy(app, account, arn).map_err(|_| missing())?;
            vec![Grant {
                name: p.name.clone(),
                arn: Some(arn.to_owned()),
                entity: None,
                namespaces: namespaces(p.default_document(), p.aws_managed),
            }]
        }
        _ => return Err(invalid()),
    })
}

pub struct ListPoliciesGrantingServiceAccess {
    arn: String,
    namespaces: Vec<String>,
}

pub struct Granting(Vec<(String, Vec<Grant>)>);

impl WriteXml for Granting {
    fn write(&self, w: &mut XmlOut) {
        w.list("PoliciesGrantingServiceAccess", &self.0, |w, (ns, grants)| {
            w.text("ServiceNamespace", ns);
            w.list("Policies", grants, |w, g| {
                w.text("PolicyName", &g.name);
                w.text("PolicyType", if g.arn.is_some() { "MANAGED" } else { "INLINE" });
                w.opt_text("PolicyArn", g.arn.as_deref());
                if let Some((kind, name)) = &g.entity {
                    w.text("EntityType", kind);
                    w.text("EntityName", name);
                }
            });
        });
        w.bool("IsTruncated", false);
    }
}

impl Operation for ListPoliciesGrantingServiceAccess {
    const NAME: &'static str = "ListPoliciesGrantingServiceAccess";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = false;
    type Output = Granting;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let arn = f.str("Arn", &ARN);
        let namespaces = f.str_list("ServiceNamespaces", &NAMESPACE, 200).unwrap_or_default();
        f.opt_str("Marker", &crate::protocol::rules::MARKER);
        f.finish()?;
        if namespaces.is_empty() {
            return Err(AwsError::ValidationError(
                "1 validation error detected: Value null at 'serviceNamespaces' failed to satisfy constraint: \
                 Member must not be null"
                    .into(),
            ));
        }
        Ok(Self { arn, namespaces })
    }

    fn resource(&self, _ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Ok(self.arn.clone())
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<Granting, AwsError> {
        let all = grants(ctx.app, ctx.account(), &self.arn)?;
        let mut out = Vec::new();
        for ns in self.namespaces {
            let ns = ns.to_ascii_lowercase();
            let matching = all
                .iter()
                .filter(|g| g.namespaces.contains(&ns))
                .map(|g| Grant {
                    name: g.name.clone(),
                    arn: g.arn.clone(),
                    entity: g.entity.clone(),
                    namespaces: BTreeSet::new(),
                })
                .collect();
            out.push((ns, matching));
        }
        Ok(Granting(out))
    }
}

pub struct GenerateServiceLastAccessedDetails {
    arn: String,
    granularity: String,
}

pub struct JobId(String);

impl WriteXml for JobId {
    fn write(&self, w: &mut XmlOut) {
        w.text("JobId", &self.0);
    }
}

impl Operation for GenerateServiceLastAccessedDetails {
    const NAME: &'static str = "GenerateServiceLastAccessedDetails";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = JobId;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let arn = f.str("Arn", &ARN);
        let granularity =
            f.opt_enum("Granularity", &["SERVICE_LEVEL", "ACTION_LEVEL"]).unwrap_or_else(|| "SERVICE_LEVEL".into());
        f.finish()?;
        Ok(Self { arn, granularity })
    }

    fn resource(&self, _ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Ok(self.arn.clone())
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<JobId, AwsError> {
        let account = ctx.account();
        grants(ctx.app, account, &self.arn)?;
        let id = super::service_linked::uuid_v4();
        let job = crate::store::records::AccessJob {
            id: id.clone(),
            arn: self.arn.clone(),
            granularity: self.granularity.clone(),
            created: ctx.now,
        };
        ctx.app.store.transact(|tx| {
            let mut a = tx.account_or_new(account)?;
            if a.access_jobs.iter().any(|j| j.id == job.id) {
                return abort(AwsError::internal(&"job id collision"));
            }
            a.access_jobs.push(job.clone());
            let excess = a.access_jobs.len().saturating_sub(REMEMBERED_JOBS);
            a.access_jobs.drain(..excess);
            tx.put_account(&a)
        })?;
        Ok(JobId(id))
    }
}

/// One entity's use of a service: its kind, name, id, ARN and when.
type EntityUse = (&'static str, String, String, String, Option<OffsetDateTime>);

/// A service's last use by the users a job covers.
struct Accessed {
    namespace: String,
    last: Option<(OffsetDateTime, String, String)>,
    entities: Vec<EntityUse>,
}

fn job(app: &State, account: &str, id: &str) -> Result<crate::store::records::AccessJob, AwsError> {
    let record = app.store.account(account)?.unwrap_or_default();
    record
        .access_jobs
        .into_iter()
        .find(|j| j.id == id)
        .ok_or_else(|| AwsError::NoSuchEntity(format!("Job with id {id} was not found.")))
}

/// The users whose key use counts for the job's entity: the user, a group's members.
fn users_of(app: &State, account: &str, arn: &str) -> Result<Vec<crate::store::UserRecord>, AwsError> {
    let Some(parsed) = Arn::parse(arn) else { return Ok(Vec::new()) };
    let name = parsed.resource.rsplit('/').next().unwrap_or_default().to_owned();
    Ok(match parsed.resource.split_once('/').map(|(k, _)| k) {
        Some("user") => app.store.user(account, &name)?.into_iter().collect(),
        Some("group") => app
            .store
            .users(account, None, usize::MAX - 1, |u| u.groups.iter().any(|g| g.eq_ignore_ascii_case(&name)))?,
        _ => Vec::new(),
    })
}

fn accessed(app: &State, account: &str, arn: &str) -> Result<Vec<Accessed>, AwsError> {
    let granted: BTreeSet<String> = grants(app, account, arn)?.into_iter().flat_map(|g| g.namespaces).collect();
    let users = users_of(app, account, arn)?;
    let mut uses = Vec::new();
    for u in &users {
        for key in &u.access_keys {
            if let Some(used) = app.last_used.get(&app.store, key)? {
                uses.push((u, used));
            }
        }
    }
    Ok(granted
        .into_iter()
        .map(|ns| {
            let mut entities = Vec::new();
            let mut last: Option<(OffsetDateTime, String, String)> = None;
            for (u, used) in uses.iter().filter(|(_, used)| used.service == ns) {
                if last.as_ref().is_none_or(|(d, _, _)| used.date > *d) {
                    last = Some((used.date, u.arn(), used.region.clone()));
                }
                entities.push(("USER", u.name.clone(), u.id.clone(), u.arn(), Some(used.date)));
            }
            Accessed { namespace: ns, last, entities }
        })
        .collect())
}

pub struct GetServiceLastAccessedDetails {
    id: String,
    page: PageRequest,
}

pub struct LastAccessed {
    job: crate::store::records::AccessJob,
    services: Page<Accessed>,
    now: OffsetDateTime,
}

impl WriteXml for LastAccessed {
    fn write(&self, w: &mut XmlOut) {
        w.text("JobStatus", "COMPLETED");
        w.text("JobType", &self.job.granularity);
        w.time("JobCreationDate", self.job.created);
        w.list("ServicesLastAccessed", &self.services.items, |w, s| {
            w.text("ServiceName", &s.namespace);
            if let Some((at, who, region)) = &s.last {
                w.time("LastAuthenticated", *at);
                w.text("LastAuthenticatedEntity", who);
                w.text("LastAuthenticatedRegion", region);
            }
            w.text("ServiceNamespace", &s.namespace);
            w.int("TotalAuthenticatedEntities", i64::try_from(s.entities.len()).unwrap_or(i64::MAX));
        });
        w.time("JobCompletionDate", self.now);
        self.services.write_tail(w);
    }
}

impl Operation for GetServiceLastAccessedDetails {
    const NAME: &'static str = "GetServiceLastAccessedDetails";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = false;
    type Output = LastAccessed;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let id = f.str("JobId", &JOB_ID);
        let page = PageRequest::read(&mut f);
        f.finish()?;
        Ok(Self { id, page })
    }

    fn resource(&self, _ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Ok("*".into())
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<LastAccessed, AwsError> {
        let job = job(ctx.app, ctx.account(), &self.id)?;
        let services = self.page.page(accessed(ctx.app, ctx.account(), &job.arn)?)?;
        Ok(LastAccessed { job, services, now: ctx.now })
    }
}

pub struct GetServiceLastAccessedDetailsWithEntities {
    id: String,
    namespace: String,
    page: PageRequest,
}

pub struct Entities {
    job: crate::store::records::AccessJob,
    entities: Page<EntityUse>,
    now: OffsetDateTime,
}

impl WriteXml for Entities {
    fn write(&self, w: &mut XmlOut) {
        w.text("JobStatus", "COMPLETED");
        w.time("JobCreationDate", self.job.created);
        w.time("JobCompletionDate", self.now);
        w.list("EntityDetailsList", &self.entities.items, |w, (kind, name, id, arn, at)| {
            w.elem("EntityInfo", |w| {
                w.text("Arn", arn);
                w.text("Name", name);
                w.text("Type", kind);
                w.text("Id", id);
            });
            if let Some(at) = at {
                w.time("LastAuthenticated", *at);
            }
        });
        self.entities.write_tail(w);
    }
}

impl Operation for GetServiceLastAccessedDetailsWithEntities {
    const NAME: &'static str = "GetServiceLastAccessedDetailsWithEntities";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = false;
    type Output = Entities;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let id = f.str("JobId", &JOB_ID);
        let namespace = f.str("ServiceNamespace", &NAMESPACE);
        let page = PageRequest::read(&mut f);
        f.finish()?;
        Ok(Self { id, namespace, page })
    }

    fn resource(&self, _ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Ok("*".into())
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<Entities, AwsError> {
        let job = job(ctx.app, ctx.account(), &self.id)?;
        let ns = self.namespace.to_ascii_lowercase();
        let entities = accessed(ctx.app, ctx.account(), &job.arn)?
            .into_iter()
            .find(|s| s.namespace == ns)
            .map(|s| s.entities)
            .unwrap_or_default();
        Ok(Entities { job, entities: self.page.page(entities)?, now: ctx.now })
    }
}
