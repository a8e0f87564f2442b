//! Enable/Disable/GetOutboundWebIdentityFederation: turns the account's JWT issuer on and off.
//! The first Enable makes the issuer's id and signing keys; they stay across Disable, so the
//! issuer URL external services trust does not change.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

use crate::error::AwsError;
use crate::operation::{Ctx, Operation, Service};
use crate::outbound;
use crate::protocol::{Params, WriteXml, XmlOut};
use crate::sigv4::SecretKey;
use crate::store::{OutboundFederationRecord, Store};

const ALREADY_ENABLED: &str = "Outbound identity federation is already enabled for this account.";
const ALREADY_DISABLED: &str = "Outbound identity federation is already disabled for this account.";
const DISABLED: &str = "Outbound identity federation is disabled for this account.";

/// What the sealed keys are bound to: a key sealed for one account never opens for another.
#[must_use]
pub fn sealed_key_name(account: &str, algorithm: &str) -> String {
    crate::store::aad::outbound_key(account, algorithm)
}

/// A new issuer for `account`, its private keys sealed.
fn new_issuer(store: &Store, account: &str) -> Result<OutboundFederationRecord, AwsError> {
    let keys = outbound::keys::generate().map_err(|e| AwsError::internal(&e))?;
    let seal = |algorithm: &str, der: &[u8]| {
        store.sealer().seal(&sealed_key_name(account, algorithm), &SecretKey::new(B64.encode(der)))
    };
    Ok(OutboundFederationRecord {
        issuer_id: outbound::new_issuer_id(account),
        enabled: true,
        rsa_key: seal("RS256", &keys.rsa_pkcs1_der)?,
        ec_key: seal("ES384", &keys.ec_pkcs8_der)?,
        rsa_kid: keys.rsa_kid,
        ec_kid: keys.ec_kid,
        jwks: keys.jwks,
    })
}

pub struct Issuer(String);

impl WriteXml for Issuer {
    fn write(&self, w: &mut XmlOut) {
        w.text("IssuerIdentifier", &self.0);
    }
}

pub struct EnableOutboundWebIdentityFederation;

impl Operation for EnableOutboundWebIdentityFederation {
    const NAME: &'static str = "EnableOutboundWebIdentityFederation";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = Issuer;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        p.fields().finish()?;
        Ok(Self)
    }

    fn resource(&self, _ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Ok("*".into())
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<Issuer, AwsError> {
        let account = ctx.account();
        let store = &ctx.app.store;
        // Key generation is slow and must not repeat when the transaction retries.
        let fresh = match store.account(account)?.and_then(|a| a.outbound_federation) {
            Some(o) if o.enabled => return Err(AwsError::FeatureEnabled(ALREADY_ENABLED.into())),
            Some(_) => None,
            None => Some(new_issuer(store, account)?),
        };
        let issuer_id = store.transact(|tx| {
            let mut a = tx.account_or_new(account)?;
            let record = match (a.outbound_federation.take(), &fresh) {
                (Some(o), _) if o.enabled => {
                    return crate::store::abort(AwsError::FeatureEnabled(ALREADY_ENABLED.into()));
                }
                (Some(o), _) => OutboundFederationRecord { enabled: true, ..o },
                (None, Some(f)) => f.clone(),
                // Made and then lost to a concurrent Disable of a concurrent Enable: retry.
                (None, None) => {
                    return crate::store::abort(AwsError::ConcurrentModification(
                        "The account's outbound federation changed during the request; retry it.".into(),
                    ));
                }
            };
            let id = record.issuer_id.clone();
            a.outbound_federation = Some(record);
            tx.put_account(&a)?;
            Ok(id)
        })?;
        Ok(Issuer(outbound::issuer_url(&ctx.public_base_url(), &issuer_id)))
    }
}

pub struct DisableOutboundWebIdentityFederation;

impl Operation for DisableOutboundWebIdentityFederation {
    const NAME: &'static str = "DisableOutboundWebIdentityFederation";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        p.fields().finish()?;
        Ok(Self)
    }

    fn resource(&self, _ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Ok("*".into())
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        let account = ctx.account();
        ctx.app.store.transact(|tx| {
            let mut a = tx.account_or_new(account)?;
            match &mut a.outbound_federation {
                Some(o) if o.enabled => o.enabled = false,
                _ => return crate::store::abort(AwsError::FeatureDisabled(ALREADY_DISABLED.into())),
            }
            tx.put_account(&a)
        })
    }
}

pub struct GetOutboundWebIdentityFederationInfo;

pub struct Info {
    issuer: String,
    enabled: bool,
}

impl WriteXml for Info {
    fn write(&self, w: &mut XmlOut) {
        w.text("IssuerIdentifier", &self.issuer);
        w.bool("JwtVendingEnabled", self.enabled);
    }
}

impl Operation for GetOutboundWebIdentityFederationInfo {
    const NAME: &'static str = "GetOutboundWebIdentityFederationInfo";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = false;
    type Output = Info;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        p.fields().finish()?;
        Ok(Self)
    }

    fn resource(&self, _ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Ok("*".into())
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<Info, AwsError> {
        // Never enabled: there is no issuer to describe. Enabled once: its URL, on or off.
        let o = ctx
            .app
            .store
            .account(ctx.account())?
            .and_then(|a| a.outbound_federation)
            .ok_or_else(|| AwsError::FeatureDisabled(DISABLED.into()))?;
        Ok(Info { issuer: outbound::issuer_url(&ctx.public_base_url(), &o.issuer_id), enabled: o.enabled })
    }
}
