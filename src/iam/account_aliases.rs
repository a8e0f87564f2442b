//! CreateAccountAlias, ListAccountAliases, DeleteAccountAlias. An account has at most one alias,
//! unique across accounts; a new one replaces the old. The alias is also the account's Keystone
//! project name.

use super::pagination::{Page, PageRequest};
use crate::error::AwsError;
use crate::operation::{Ctx, Operation, Service};
use crate::protocol::rules::ACCOUNT_ALIAS;
use crate::protocol::{Params, WriteXml, XmlOut};
use crate::store::abort;

/// The one member of CreateAccountAlias and DeleteAccountAlias.
fn alias_member(p: &Params) -> Result<String, AwsError> {
    let mut f = p.fields();
    let alias = f.str("AccountAlias", &ACCOUNT_ALIAS);
    f.finish()?;
    Ok(alias)
}

pub struct CreateAccountAlias {
    alias: String,
}

impl Operation for CreateAccountAlias {
    const NAME: &'static str = "CreateAccountAlias";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        Ok(Self { alias: alias_member(p)? })
    }

    fn resource(&self, _ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Ok("*".into())
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        let account = ctx.account();
        ctx.app.store.transact(|tx| {
            match tx.alias_owner(&self.alias)? {
                Some(owner) if owner == account => return Ok(()),
                Some(_) => {
                    return abort(AwsError::EntityAlreadyExists(format!(
                        "The account alias {} already exists.",
                        self.alias
                    )));
                }
                None => {}
            }
            let mut a = tx.account_or_new(account)?;
            if let Some(old) = a.alias.replace(self.alias.clone()) {
                tx.remove_alias(&old)?;
            }
            tx.put_alias(&self.alias, account)?;
            tx.put_account(&a)
        })
    }
}

pub struct ListAccountAliases {
    page: PageRequest,
}

pub struct ListAccountAliasesResult(Page<String>);

impl WriteXml for ListAccountAliasesResult {
    fn write(&self, w: &mut XmlOut) {
        w.list("AccountAliases", &self.0.items, |w, a| w.text_only(a));
        self.0.write_tail(w);
    }
}

impl Operation for ListAccountAliases {
    const NAME: &'static str = "ListAccountAliases";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = false;
    type Output = ListAccountAliasesResult;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let page = PageRequest::read(&mut f);
        f.finish()?;
        Ok(Self { page })
    }

    fn resource(&self, _ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Ok("*".into())
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<ListAccountAliasesResult, AwsError> {
        let alias = ctx.app.store.account(ctx.account())?.and_then(|a| a.alias);
        Ok(ListAccountAliasesResult(self.page.page(alias.into_iter().collect())?))
    }
}

pub struct DeleteAccountAlias {
    alias: String,
}

impl Operation for DeleteAccountAlias {
    const NAME: &'static str = "DeleteAccountAlias";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        Ok(Self { alias: alias_member(p)? })
    }

    fn resource(&self, _ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Ok("*".into())
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        let account = ctx.account();
        ctx.app.store.transact(|tx| {
            let Some(mut a) = tx.account(account)?.filter(|a| a.alias.as_deref() == Some(self.alias.as_str())) else {
                return abort(AwsError::NoSuchEntity(format!("The account alias {} cannot be found.", self.alias)));
            };
            a.alias = None;
            tx.remove_alias(&self.alias)?;
            tx.put_account(&a)
        })
    }
}
