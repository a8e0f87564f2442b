//! Put/Get/Delete/List of inline policies, for every [`Holder`] (PutUserPolicy, PutGroupPolicy, …).

use std::marker::PhantomData;

use super::holders::Holder;
use super::pagination::{Page, PageRequest};
use super::policy_docs;
use crate::error::AwsError;
use crate::operation::{Ctx, Operation, Service};
use crate::protocol::rules::{POLICY_DOCUMENT, POLICY_NAME};
use crate::protocol::{Params, WriteXml, XmlOut};
use crate::store::{InlinePolicy, abort};

fn no_such_policy<H: Holder>(policy: &str) -> AwsError {
    AwsError::NoSuchEntity(format!("The {} policy with name {policy} cannot be found.", H::NOUN))
}

pub struct PutInlinePolicy<H> {
    holder: String,
    name: String,
    document: String,
    _h: PhantomData<H>,
}

impl<H: Holder> Operation for PutInlinePolicy<H> {
    const NAME: &'static str = H::PUT_POLICY;
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let holder = f.str(H::NAME_MEMBER, H::NAME_RULE);
        let name = f.str("PolicyName", &POLICY_NAME);
        let document = f.str("PolicyDocument", &POLICY_DOCUMENT);
        f.finish()?;
        policy_docs::parse_identity(&document, false)?;
        Ok(Self { holder, name, document, _h: PhantomData })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        H::resource(ctx.app, ctx.account(), &self.holder)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        ctx.app.store.transact(|tx| {
            H::update(tx, ctx.account(), &self.holder, |held, stored_name| {
                match held.inline.iter_mut().find(|p| p.name.eq_ignore_ascii_case(&self.name)) {
                    Some(p) => p.document.clone_from(&self.document),
                    None => held.inline.push(InlinePolicy { name: self.name.clone(), document: self.document.clone() }),
                }
                policy_docs::check_inline_size(
                    H::INLINE_QUOTA,
                    stored_name,
                    held.inline.iter().map(|p| p.document.as_str()),
                )?;
                Ok(())
            })
        })
    }
}

pub struct GetInlinePolicy<H> {
    holder: String,
    name: String,
    _h: PhantomData<H>,
}

pub struct GetInlinePolicyResult<H> {
    holder: String,
    policy: InlinePolicy,
    _h: PhantomData<H>,
}

impl<H: Holder> WriteXml for GetInlinePolicyResult<H> {
    fn write(&self, w: &mut XmlOut) {
        w.text(H::NAME_MEMBER, &self.holder);
        w.text("PolicyName", &self.policy.name);
        w.text("PolicyDocument", &policy_docs::url_encode(&self.policy.document));
    }
}

impl<H: Holder> Operation for GetInlinePolicy<H> {
    const NAME: &'static str = H::GET_POLICY;
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = false;
    type Output = GetInlinePolicyResult<H>;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let holder = f.str(H::NAME_MEMBER, H::NAME_RULE);
        let name = f.str("PolicyName", &POLICY_NAME);
        f.finish()?;
        Ok(Self { holder, name, _h: PhantomData })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        H::resource(ctx.app, ctx.account(), &self.holder)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<GetInlinePolicyResult<H>, AwsError> {
        let held = H::read(ctx.app, ctx.account(), &self.holder)?;
        let policy = held.policies.inline_policy(&self.name).cloned().ok_or_else(|| no_such_policy::<H>(&self.name))?;
        Ok(GetInlinePolicyResult { holder: held.name, policy, _h: PhantomData })
    }
}

pub struct DeleteInlinePolicy<H> {
    holder: String,
    name: String,
    _h: PhantomData<H>,
}

impl<H: Holder> Operation for DeleteInlinePolicy<H> {
    const NAME: &'static str = H::DELETE_POLICY;
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let holder = f.str(H::NAME_MEMBER, H::NAME_RULE);
        let name = f.str("PolicyName", &POLICY_NAME);
        f.finish()?;
        Ok(Self { holder, name, _h: PhantomData })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        H::resource(ctx.app, ctx.account(), &self.holder)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        ctx.app.store.transact(|tx| {
            H::update(tx, ctx.account(), &self.holder, |held, _| {
                let before = held.inline.len();
                held.inline.retain(|p| !p.name.eq_ignore_ascii_case(&self.name));
                if held.inline.len() == before {
                    return abort(no_such_policy::<H>(&self.name));
                }
                Ok(())
            })
        })
    }
}

pub struct ListInlinePolicies<H> {
    holder: String,
    page: PageRequest,
    _h: PhantomData<H>,
}

pub struct PolicyNames(Page<String>);

impl WriteXml for PolicyNames {
    fn write(&self, w: &mut XmlOut) {
        w.list("PolicyNames", &self.0.items, |w, n| w.text_only(n));
        self.0.write_tail(w);
    }
}

impl<H: Holder> Operation for ListInlinePolicies<H> {
    const NAME: &'static str = H::LIST_POLICIES;
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = false;
    type Output = PolicyNames;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let holder = f.str(H::NAME_MEMBER, H::NAME_RULE);
        let page = PageRequest::read(&mut f);
        f.finish()?;
        Ok(Self { holder, page, _h: PhantomData })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        H::resource(ctx.app, ctx.account(), &self.holder)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<PolicyNames, AwsError> {
        let held = H::read(ctx.app, ctx.account(), &self.holder)?;
        let mut names: Vec<String> = held.policies.inline.into_iter().map(|p| p.name).collect();
        names.sort_by_key(|n| n.to_lowercase());
        Ok(PolicyNames(self.page.page(names)?))
    }
}
