//! Account-wide settings and the calls tools probe: SetSecurityTokenServicePreferences,
//! GetAccountProperties, ListDelegationRequests (none can exist here), GetHumanReadableSummary.

use super::pagination::PageRequest;
use crate::error::AwsError;
use crate::operation::{Ctx, Operation, Service};
use crate::protocol::rules::{ARN, StrRule};
use crate::protocol::{Params, WriteXml, XmlOut};

const FREE_TEXT: StrRule = StrRule { min: 1, max: 2048, pattern: "", matches: |_| true };

pub struct SetSecurityTokenServicePreferences {
    version: String,
}

impl Operation for SetSecurityTokenServicePreferences {
    const NAME: &'static str = "SetSecurityTokenServicePreferences";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let version = f.enum_value("GlobalEndpointTokenVersion", &["v1Token", "v2Token"]);
        f.finish()?;
        Ok(Self { version })
    }

    fn resource(&self, _ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Ok("*".into())
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        let account = ctx.account();
        ctx.app.store.transact(|tx| {
            let mut a = tx.account_or_new(account)?;
            a.sts_token_version = Some(self.version.clone());
            tx.put_account(&a)
        })
    }
}

pub struct GetAccountProperties;

pub struct Properties;

impl WriteXml for Properties {
    fn write(&self, w: &mut XmlOut) {
        // No property is defined for an account outside AWS Organizations.
        w.elem("Properties", |_| {});
    }
}

impl Operation for GetAccountProperties {
    const NAME: &'static str = "GetAccountProperties";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = false;
    type Output = Properties;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        p.fields().finish()?;
        Ok(Self)
    }

    fn resource(&self, _ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Ok("*".into())
    }

    fn run(self, _ctx: &Ctx<'_>) -> Result<Properties, AwsError> {
        Ok(Properties)
    }
}

pub struct ListDelegationRequests;

pub struct NoDelegationRequests;

impl WriteXml for NoDelegationRequests {
    fn write(&self, w: &mut XmlOut) {
        w.list("DelegationRequests", &[] as &[()], |_, ()| {});
        // The model spells this member in lower camel case.
        w.bool("isTruncated", false);
    }
}

impl Operation for ListDelegationRequests {
    const NAME: &'static str = "ListDelegationRequests";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = false;
    type Output = NoDelegationRequests;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        f.opt_str("OwnerId", &FREE_TEXT);
        PageRequest::read(&mut f);
        f.finish()?;
        Ok(Self)
    }

    fn resource(&self, _ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Ok("*".into())
    }

    fn run(self, _ctx: &Ctx<'_>) -> Result<NoDelegationRequests, AwsError> {
        Ok(NoDelegationRequests)
    }
}

pub struct GetHumanReadableSummary {
    arn: String,
}

pub struct NoSummary;

impl WriteXml for NoSummary {
    fn write(&self, w: &mut XmlOut) {
        w.text("Locale", "en");
        w.text("SummaryState", "NOT_SUPPORTED");
    }
}

impl Operation for GetHumanReadableSummary {
    const NAME: &'static str = "GetHumanReadableSummary";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = false;
    type Output = NoSummary;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let arn = f.str("EntityArn", &ARN);
        f.opt_str("Locale", &FREE_TEXT);
        f.finish()?;
        Ok(Self { arn })
    }

    fn resource(&self, _ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Ok(self.arn.clone())
    }

    fn run(self, _ctx: &Ctx<'_>) -> Result<NoSummary, AwsError> {
        // Summaries are written by AWS's own models; iamd has none to give.
        Ok(NoSummary)
    }
}
