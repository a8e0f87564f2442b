//! Attach/Detach/ListAttached managed policies, for every [`Holder`] (AttachUserPolicy, …).
//! The policy record lists where it is attached, for AttachmentCount, ListEntitiesForPolicy and
//! DeleteConflict.

use std::marker::PhantomData;

use super::holders::Holder;
use super::managed_policies::find_attachable;
use super::pagination::{Page, PageRequest};
use super::policy_docs::{PolicyArn, not_attachable, policy_not_found};
use crate::error::AwsError;
use crate::operation::{Ctx, Operation, Service};
use crate::protocol::rules::{ARN, POLICY_PATH};
use crate::protocol::{Params, WriteXml, XmlOut};
use crate::store::{Attachment, abort};

/// Managed policies one identity may have attached.
pub const MAX_ATTACHED: usize = 10;

fn parse_input<H: Holder>(p: &Params) -> Result<(String, String), AwsError> {
    let mut f = p.fields();
    let holder = f.str(H::NAME_MEMBER, H::NAME_RULE);
    let arn = f.str("PolicyArn", &ARN);
    f.finish()?;
    PolicyArn::parse(&arn)?;
    Ok((holder, arn))
}

pub struct AttachPolicy<H> {
    holder: String,
    arn: String,
    _h: PhantomData<H>,
}

impl<H: Holder> Operation for AttachPolicy<H> {
    const NAME: &'static str = H::ATTACH;
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let (holder, arn) = parse_input::<H>(p)?;
        Ok(Self { holder, arn, _h: PhantomData })
    }

    fn condition_keys(&self) -> Vec<(&'static str, String)> {
        vec![("iam:PolicyARN", self.arn.clone())]
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        H::resource(ctx.app, ctx.account(), &self.holder)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        let account = ctx.account();
        ctx.app.store.transact(|tx| {
            let mut policy = find_attachable(tx, account, &self.arn)?.ok_or_else(|| not_attachable(&self.arn))?;
            let arn = policy.arn();
            H::update(tx, account, &self.holder, |held, stored_name| {
                if !held.attached.contains(&arn) {
                    if held.attached.len() >= MAX_ATTACHED {
                        return abort(AwsError::LimitExceeded(format!(
                            "Cannot exceed quota for PoliciesPer{}: {MAX_ATTACHED}",
                            H::QUOTA_NOUN
                        )));
                    }
                    held.attached.push(arn.clone());
                }
                let attachment = Attachment { kind: H::KIND, name: stored_name.to_owned() };
                if !policy.attachments.contains(&attachment) {
                    policy.attachments.push(attachment);
                }
                Ok(())
            })?;
            tx.put_policy(&policy)
        })
    }
}

pub struct DetachPolicy<H> {
    holder: String,
    arn: String,
    _h: PhantomData<H>,
}

impl<H: Holder> Operation for DetachPolicy<H> {
    const NAME: &'static str = H::DETACH;
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let (holder, arn) = parse_input::<H>(p)?;
        Ok(Self { holder, arn, _h: PhantomData })
    }

    fn condition_keys(&self) -> Vec<(&'static str, String)> {
        vec![("iam:PolicyARN", self.arn.clone())]
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        H::resource(ctx.app, ctx.account(), &self.holder)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        let account = ctx.account();
        ctx.app.store.transact(|tx| {
            let mut policy = find_attachable(tx, account, &self.arn)?.ok_or_else(|| policy_not_found(&self.arn))?;
            let arn = policy.arn();
            H::update(tx, account, &self.holder, |held, stored_name| {
                let before = held.attached.len();
                held.attached.retain(|a| *a != arn);
                if held.attached.len() == before {
                    return abort(policy_not_found(&self.arn));
                }
                policy.attachments.retain(|a| !(a.kind == H::KIND && a.name == stored_name));
                Ok(())
            })?;
            tx.put_policy(&policy)
        })
    }
}

pub struct ListAttachedPolicies<H> {
    holder: String,
    path_prefix: Option<String>,
    page: PageRequest,
    _h: PhantomData<H>,
}

/// `AttachedPolicies`: name and ARN of each.
pub struct AttachedPolicies(pub Page<String>);

impl WriteXml for AttachedPolicies {
    fn write(&self, w: &mut XmlOut) {
        w.list("AttachedPolicies", &self.0.items, |w, arn| {
            w.text("PolicyName", arn.rsplit('/').next().unwrap_or_default());
            w.text("PolicyArn", arn);
        });
        self.0.write_tail(w);
    }
}

impl<H: Holder> Operation for ListAttachedPolicies<H> {
    const NAME: &'static str = H::LIST_ATTACHED;
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = false;
    type Output = AttachedPolicies;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let holder = f.str(H::NAME_MEMBER, H::NAME_RULE);
        let path_prefix = f.opt_str("PathPrefix", &POLICY_PATH);
        let page = PageRequest::read(&mut f);
        f.finish()?;
        Ok(Self { holder, path_prefix, page, _h: PhantomData })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        H::resource(ctx.app, ctx.account(), &self.holder)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<AttachedPolicies, AwsError> {
        let held = H::read(ctx.app, ctx.account(), &self.holder)?;
        let arns: Vec<String> = held
            .policies
            .attached
            .into_iter()
            .filter(|arn| {
                self.path_prefix
                    .as_deref()
                    .is_none_or(|prefix| PolicyArn::parse(arn).is_ok_and(|a| a.path.starts_with(prefix)))
            })
            .collect();
        Ok(AttachedPolicies(self.page.page(arns)?))
    }
}
