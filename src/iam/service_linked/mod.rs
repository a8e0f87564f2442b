//! Service-linked roles: CreateServiceLinkedRole, DeleteServiceLinkedRole,
//! GetServiceLinkedRoleDeletionStatus. Each AWS service has its role's name and the AWS managed
//! policies attached to it (`services.tsv`, from recorded AWS answers); the role lives under
//! `/aws-service-role/SERVICE/` and trusts only that service. Deletion happens at once; its task
//! id is remembered so the status call can answer it.

use std::sync::LazyLock;

use super::managed_policies::find_attachable;
use super::not_found::no_such_role;
use super::roles::{RoleResult, write_role_result};
use crate::error::AwsError;
use crate::ids::{IdKind, new_id};
use crate::operation::{Ctx, Operation, Service};
use crate::protocol::rules::{ROLE_DESCRIPTION, ROLE_NAME, StrRule};
use crate::protocol::{Params, WriteXml, XmlOut};
use crate::store::{Attachment, EntityKind, PolicyHolding, RoleRecord, abort};

const SERVICE_NAME: StrRule = StrRule { min: 1, max: 128, pattern: r"[\w+=,.@-]+", matches: |s| !s.is_empty() };
const CUSTOM_SUFFIX: StrRule = StrRule { min: 1, max: 64, pattern: r"[\w+=,.@-]+", matches: |s| !s.is_empty() };
const DELETION_TASK_ID: StrRule = StrRule { min: 1, max: 1000, pattern: "", matches: |_| true };
/// Deletion tasks an account remembers (the oldest are forgotten first).
const REMEMBERED_TASKS: usize = 100;

/// One service's linked role, as AWS names and equips it.
struct Linked {
    service: String,
    role: String,
    policies: Vec<String>,
    suffix_allowed: bool,
}

static SERVICES: LazyLock<Vec<Linked>> = LazyLock::new(|| {
    include_str!("services.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| {
            let mut f = l.split('\t');
            let (service, role, policies, suffix) = (f.next()?, f.next()?, f.next()?, f.next()?);
            Some(Linked {
                service: service.into(),
                role: role.into(),
                policies: policies.split(',').filter(|p| !p.is_empty()).map(Into::into).collect(),
                suffix_allowed: suffix != "no",
            })
        })
        .collect()
});

/// The linked role of a service AWS's table does not list: named as AWS names the others
/// (`AWSServiceRoleFor` + the service's words), with no policy attached.
fn unlisted(service: &str) -> Option<Linked> {
    let labels: Vec<&str> = service.strip_suffix(".amazonaws.com")?.split('.').collect();
    let pascal = |s: &str| -> String {
        s.split('-')
            .map(|w| {
                let mut c = w.chars();
                c.next().map(|f| f.to_uppercase().chain(c).collect::<String>()).unwrap_or_default()
            })
            .collect()
    };
    let main = pascal(labels.last()?);
    let role = match labels.len() {
        1 => format!("AWSServiceRoleFor{main}"),
        _ => format!("AWSServiceRoleFor{main}_{}", pascal(labels[0])),
    };
    Some(Linked { service: service.into(), role, policies: Vec::new(), suffix_allowed: true })
}

fn trust_policy(service: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{{"Service":"{service}"}}}}]}}"#
    )
}

pub struct CreateServiceLinkedRole {
    service: String,
    description: Option<String>,
    suffix: Option<String>,
}

impl Operation for CreateServiceLinkedRole {
    const NAME: &'static str = "CreateServiceLinkedRole";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = RoleResult;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let service = f.str("AWSServiceName", &SERVICE_NAME);
        let description = f.opt_str("Description", &ROLE_DESCRIPTION);
        let suffix = f.opt_str("CustomSuffix", &CUSTOM_SUFFIX);
        f.finish()?;
        Ok(Self { service, description, suffix })
    }

    fn condition_keys(&self) -> Vec<(&'static str, String)> {
        vec![("iam:AWSServiceName", self.service.clone())]
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Ok(format!("arn:aws:iam::{}:role/aws-service-role/{}/", ctx.account(), self.service))
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<RoleResult, AwsError> {
        let linked = SERVICES
            .iter()
            .find(|l| l.service == self.service)
            .map(|l| Linked {
                service: l.service.clone(),
                role: l.role.clone(),
                policies: l.policies.clone(),
                suffix_allowed: l.suffix_allowed,
            })
            .or_else(|| unlisted(&self.service))
            .ok_or_else(|| AwsError::InvalidInput(format!("Unrecognized service principal name: {}", self.service)))?;
        let name = match &self.suffix {
            Some(_) if !linked.suffix_allowed => {
                return Err(AwsError::InvalidInput(format!("Custom suffix is not allowed for {}", self.service)));
            }
            Some(s) => format!("{}_{s}", linked.role),
            None => linked.role.clone(),
        };
        if ROLE_NAME.max < name.len() {
            return Err(AwsError::InvalidInput(format!("The role name {name} is longer than 64 characters.")));
        }
        let account = ctx.account();
        let role = RoleRecord {
            account: account.to_owned(),
            name,
            id: new_id(IdKind::Role),
            path: format!("/aws-service-role/{}/", linked.service),
            create_date: ctx.now.replace_millisecond(0).unwrap_or(ctx.now),
            trust_policy: trust_policy(&linked.service),
            description: self.description,
            max_session_duration: 3600,
            tags: Vec::new(),
            policies: PolicyHolding::default(),
            permissions_boundary: None,
            instance_profiles: Vec::new(),
        };
        let role = ctx.app.store.transact(|tx| {
            if tx.role(account, &role.name)?.is_some() {
                return abort(AwsError::InvalidInput(format!(
                    "Service role name {} has been taken in this account, please try a different suffix.",
                    role.name
                )));
            }
            let mut role = role.clone();
            for arn in &linked.policies {
                // A policy the built-in catalogue lacks is left out rather than failing the role.
                if let Some(mut policy) = find_attachable(tx, account, arn)? {
                    policy.attachments.push(Attachment { kind: EntityKind::Role, name: role.name.clone() });
                    role.policies.attached.push(policy.arn());
                    tx.put_policy(&policy)?;
                }
            }
            tx.put_role(&role)?;
            Ok(role)
        })?;
        Ok(write_role_result(role))
    }
}

pub struct DeleteServiceLinkedRole {
    name: String,
}

pub struct DeletionTask(String);

impl WriteXml for DeletionTask {
    fn write(&self, w: &mut XmlOut) {
        w.text("DeletionTaskId", &self.0);
    }
}

impl Operation for DeleteServiceLinkedRole {
    const NAME: &'static str = "DeleteServiceLinkedRole";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = DeletionTask;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let name = f.str("RoleName", &ROLE_NAME);
        f.finish()?;
        Ok(Self { name })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        use super::holders::{Holder, Roles};
        Roles::resource(ctx.app, ctx.account(), &self.name)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<DeletionTask, AwsError> {
        let account = ctx.account();
        let uuid = uuid_v4();
        ctx.app.store.transact(|tx| {
            let role = tx.role(account, &self.name)?.ok_or_else(|| no_such_role(&self.name))?;
            if !role.path.starts_with("/aws-service-role/") {
                return abort(AwsError::InvalidInput(format!("The role {} is not a service-linked role.", role.name)));
            }
            if !role.instance_profiles.is_empty() {
                return abort(AwsError::DeleteConflict(
                    "Cannot delete entity, must remove roles from instance profile first.".into(),
                ));
            }
            for arn in &role.policies.attached {
                if let Some(mut policy) = find_attachable(tx, account, arn)? {
                    policy.attachments.retain(|a| !(a.kind == EntityKind::Role && a.name == role.name));
                    tx.put_policy(&policy)?;
                }
            }
            let task = format!("task{}{}/{uuid}", role.path, role.name);
            let mut a = tx.account_or_new(account)?;
            a.deletion_tasks.push(task.clone());
            let excess = a.deletion_tasks.len().saturating_sub(REMEMBERED_TASKS);
            a.deletion_tasks.drain(..excess);
            tx.put_account(&a)?;
            tx.remove_role(account, &role.name)?;
            Ok(DeletionTask(task))
        })
    }
}

/// A random UUID (version 4), as AWS's task and job ids are.
#[must_use]
pub fn uuid_v4() -> String {
    use rand::RngCore;
    let mut b = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

pub struct GetServiceLinkedRoleDeletionStatus {
    task: String,
}

pub struct DeletionStatus;

impl WriteXml for DeletionStatus {
    fn write(&self, w: &mut XmlOut) {
        w.text("Status", "SUCCEEDED");
    }
}

impl Operation for GetServiceLinkedRoleDeletionStatus {
    const NAME: &'static str = "GetServiceLinkedRoleDeletionStatus";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = false;
    type Output = DeletionStatus;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let task = f.str("DeletionTaskId", &DELETION_TASK_ID);
        f.finish()?;
        Ok(Self { task })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        // The task id carries the role's path and name: the permission is on that role.
        let role = self.task.strip_prefix("task").and_then(|r| r.rsplit_once('/')).map_or("", |(r, _)| r);
        Ok(format!("arn:aws:iam::{}:role{role}", ctx.account()))
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<DeletionStatus, AwsError> {
        let tasks = ctx.app.store.account(ctx.account())?.map(|a| a.deletion_tasks).unwrap_or_default();
        if tasks.contains(&self.task) {
            Ok(DeletionStatus)
        } else {
            Err(AwsError::NoSuchEntity(format!("Deletion task {} cannot be found.", self.task)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_aws_names_and_unlisted_services_follow_them() {
        let ecs = SERVICES.iter().find(|l| l.service == "ecs.amazonaws.com").expect("ecs");
        assert_eq!(ecs.role, "AWSServiceRoleForECS");
        assert_eq!(ecs.policies, ["arn:aws:iam::aws:policy/aws-service-role/AmazonECSServiceRolePolicy"]);
        assert_eq!(
            unlisted("elasticmapreduce.amazonaws.com").map(|l| l.role).as_deref(),
            Some("AWSServiceRoleForElasticmapreduce")
        );
        assert_eq!(
            unlisted("replication.dynamodb.amazonaws.com").map(|l| l.role).as_deref(),
            Some("AWSServiceRoleForDynamodb_Replication")
        );
        assert!(unlisted("example.com").is_none());
    }
}
