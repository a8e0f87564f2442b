//! GetCallerIdentity: who signed this request. Needs no permission, as in AWS.

use crate::error::AwsError;
use crate::operation::{Ctx, Operation, Service};
use crate::protocol::{Params, WriteXml, XmlOut};

pub struct GetCallerIdentity;

pub struct GetCallerIdentityResult {
    user_id: String,
    account: String,
    arn: String,
}

impl WriteXml for GetCallerIdentityResult {
    fn write(&self, w: &mut XmlOut) {
        w.text("UserId", &self.user_id);
        w.text("Account", &self.account);
        w.text("Arn", &self.arn);
    }
}

impl Operation for GetCallerIdentity {
    const NAME: &'static str = "GetCallerIdentity";
    const SERVICE: Service = Service::Sts;
    const MUTATES: bool = false;
    const NEEDS_PERMISSION: bool = false;
    type Output = GetCallerIdentityResult;

    fn parse(_: &Params) -> Result<Self, AwsError> {
        Ok(Self)
    }

    fn resource(&self, _: &Ctx<'_>) -> Result<String, AwsError> {
        Ok("*".into())
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<GetCallerIdentityResult, AwsError> {
        let p = &ctx.caller.principal;
        Ok(GetCallerIdentityResult { user_id: p.user_id(), account: p.account().to_owned(), arn: p.arn() })
    }
}
