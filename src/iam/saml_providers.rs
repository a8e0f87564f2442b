//! IAM SAML providers: Create/Get/Update/Delete/List (tags in `tagging`). A provider holds an
//! IdP's metadata; AssumeRoleWithSAML checks assertions against its signing certificates. They
//! live in the account record (at most 100 per account, as in AWS), so they change in its
//! transactions. Assertion encryption needs private keys, which iamd does not keep: mode
//! `Allowed` is accepted (plain assertions are then taken, as AWS takes them), `Required` and
//! `AddPrivateKey` are refused.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::Rng;

use super::tags;
use crate::error::AwsError;
use crate::operation::{Ctx, Operation, Service};
use crate::protocol::rules::{ARN, StrRule};
use crate::protocol::{Params, Tag, WriteXml, XmlOut};
use crate::saml::metadata::{self, IdpMetadata};
use crate::store::{SamlProviderRecord, Tx, TxResult, abort};

pub const MAX_PROVIDERS: usize = 100;

pub const PROVIDER_NAME: StrRule = StrRule {
    min: 1,
    max: 128,
    pattern: r"[\w._-]+",
    matches: |n| n.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '-')),
};
pub const METADATA_DOCUMENT: StrRule = StrRule { min: 1000, max: 10_000_000, pattern: "", matches: |_| true };
const PRIVATE_KEY: StrRule = StrRule {
    min: 1,
    max: 16384,
    pattern: r"[\u0009\u000A\u000D\u0020-\u00FF]+",
    matches: |k| k.chars().all(|c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{ff}')),
};
const PRIVATE_KEY_ID: StrRule = StrRule {
    min: 22,
    max: 64,
    pattern: "[A-Z0-9]+",
    matches: |k| k.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()),
};
const ENCRYPTION_MODES: &[&str] = &["Required", "Allowed"];

#[must_use]
pub fn provider_arn(account: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:saml-provider/{name}")
}

fn not_found(arn: &str) -> AwsError {
    AwsError::NoSuchEntity(format!("SAMLProvider not found for arn {arn}"))
}

/// The account and provider name an ARN names.
///
/// # Errors
/// `InvalidInput` for anything but `arn:aws:iam::ACCOUNT:saml-provider/NAME`.
pub fn parse_arn(arn: &str) -> Result<(&str, &str), AwsError> {
    let invalid = || AwsError::InvalidInput(format!("Invalid ARN: {arn}"));
    let rest = arn.strip_prefix("arn:aws:iam::").ok_or_else(invalid)?;
    rest.split_once(":saml-provider/")
        .filter(|(a, name)| a.len() == 12 && !name.is_empty() && !name.contains('/'))
        .ok_or_else(invalid)
}

/// The position of the provider `arn` names among `providers`, if it is in `account`.
///
/// # Errors
/// `InvalidInput` for a malformed ARN.
pub fn find(providers: &[SamlProviderRecord], account: &str, arn: &str) -> Result<Option<usize>, AwsError> {
    let (owner, name) = parse_arn(arn)?;
    Ok((owner == account).then(|| providers.iter().position(|p| p.name == name)).flatten())
}

/// Loads the account, lets `f` change the provider `arn` names, saves it.
pub fn update(
    tx: &Tx<'_>,
    account: &str,
    arn: &str,
    f: impl FnOnce(&mut SamlProviderRecord) -> Result<(), AwsError>,
) -> TxResult<()> {
    let mut a = tx.account(account)?.unwrap_or_default();
    let Some(i) = find(&a.saml_providers, account, arn)? else { return abort(not_found(arn)) };
    f(&mut a.saml_providers[i])?;
    tx.put_account(&a)
}

/// The provider `arn` names, read outside a transaction.
///
/// # Errors
/// `NoSuchEntity`, `InvalidInput`.
pub fn load(app: &crate::state::State, account: &str, arn: &str) -> Result<SamlProviderRecord, AwsError> {
    let a = app.store.account(account)?.unwrap_or_default();
    let i = find(&a.saml_providers, account, arn)?.ok_or_else(|| not_found(arn))?;
    Ok(a.saml_providers[i].clone())
}

/// Parses a metadata document, worded as AWS refuses one.
fn parse_metadata(text: &str) -> Result<IdpMetadata, AwsError> {
    metadata::parse(text).map_err(|e| {
        tracing::debug!(reason = %e.0, "SAML metadata refused");
        AwsError::InvalidInput("Could not parse metadata".into())
    })
}

fn apply_metadata(p: &mut SamlProviderRecord, text: &str, m: IdpMetadata) {
    text.clone_into(&mut p.metadata);
    p.entity_id = m.entity_id;
    p.certificates = m.certificates.iter().map(|c| STANDARD.encode(c)).collect();
    p.valid_until = m.valid_until;
}

/// Private keys (for encrypted assertions) are not kept, so nothing may ask for them.
fn check_encryption(mode: Option<&str>, add_key: Option<&String>) -> Result<(), AwsError> {
    if add_key.is_some() {
        return Err(AwsError::InvalidInput(
            "Invalid private key. This server does not decrypt SAML assertions, so it keeps no private keys.".into(),
        ));
    }
    if mode == Some("Required") {
        return Err(AwsError::InvalidInput(
            "Unable to set assertion encryption mode to Required because no private key is provided.".into(),
        ));
    }
    Ok(())
}

fn new_uuid() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut rng = rand::thread_rng();
    (0..26).map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())])).collect()
}

pub struct CreateSamlProvider {
    name: String,
    metadata: String,
    parsed: IdpMetadata,
    encryption_mode: Option<String>,
    tags: Vec<Tag>,
}

pub struct CreatedProvider {
    arn: String,
    tags: Vec<Tag>,
}

impl WriteXml for CreatedProvider {
    fn write(&self, w: &mut XmlOut) {
        w.text("SAMLProviderArn", &self.arn);
        if !self.tags.is_empty() {
            tags::write(w, &self.tags);
        }
    }
}

impl Operation for CreateSamlProvider {
    const NAME: &'static str = "CreateSAMLProvider";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = CreatedProvider;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let metadata = f.str("SAMLMetadataDocument", &METADATA_DOCUMENT);
        let name = f.str("Name", &PROVIDER_NAME);
        let tags = f.tags("Tags").unwrap_or_default();
        let encryption_mode = f.opt_enum("AssertionEncryptionMode", ENCRYPTION_MODES);
        let add_key = f.opt_secret("AddPrivateKey", &PRIVATE_KEY);
        f.finish()?;
        tags::check_request(&tags)?;
        check_encryption(encryption_mode.as_deref(), add_key.as_ref())?;
        let parsed = parse_metadata(&metadata)?;
        Ok(Self { name, metadata, parsed, encryption_mode, tags })
    }

    fn request_tags(&self) -> Option<&[Tag]> {
        Some(&self.tags)
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Ok(provider_arn(ctx.account(), &self.name))
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<CreatedProvider, AwsError> {
        let account = ctx.account();
        let now = ctx.now.replace_millisecond(0).unwrap_or(ctx.now);
        let arn = provider_arn(account, &self.name);
        ctx.app.store.transact(|tx| {
            let mut a = tx.account_or_new(account)?;
            if a.saml_providers.iter().any(|p| p.name == self.name) {
                return abort(AwsError::EntityAlreadyExists(format!("SAMLProvider {} already exists", self.name)));
            }
            if a.saml_providers.len() >= MAX_PROVIDERS {
                return abort(AwsError::LimitExceeded(format!(
                    "Cannot exceed quota for SamlProvidersPerAccount: {MAX_PROVIDERS}"
                )));
            }
            let mut p = SamlProviderRecord {
                name: self.name.clone(),
                uuid: new_uuid(),
                metadata: String::new(),
                entity_id: String::new(),
                certificates: Vec::new(),
                valid_until: None,
                create_date: now,
                assertion_encryption_mode: self.encryption_mode.clone(),
                tags: self.tags.clone(),
            };
            apply_metadata(&mut p, &self.metadata, self.parsed.clone());
            a.saml_providers.push(p);
            tx.put_account(&a)
        })?;
        Ok(CreatedProvider { arn, tags: self.tags })
    }
}

/// Reads `SAMLProviderArn` (and what `more` reads), and checks its form.
fn arn_member(p: &Params, more: impl FnOnce(&mut crate::protocol::Fields<'_>)) -> Result<String, AwsError> {
    let mut f = p.fields();
    let arn = f.str("SAMLProviderArn", &ARN);
    more(&mut f);
    f.finish()?;
    parse_arn(&arn)?;
    Ok(arn)
}

pub struct GetSamlProvider {
    arn: String,
}

pub struct ProviderResult(SamlProviderRecord);

impl WriteXml for ProviderResult {
    fn write(&self, w: &mut XmlOut) {
        let p = &self.0;
        w.text("SAMLProviderUUID", &p.uuid);
        w.text("SAMLMetadataDocument", &p.metadata);
        w.time("CreateDate", p.create_date);
        if let Some(v) = p.valid_until {
            w.time("ValidUntil", v);
        }
        tags::write(w, &p.tags);
        w.opt_text("AssertionEncryptionMode", p.assertion_encryption_mode.as_deref());
    }
}

impl Operation for GetSamlProvider {
    const NAME: &'static str = "GetSAMLProvider";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = false;
    type Output = ProviderResult;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        Ok(Self { arn: arn_member(p, |_| {})? })
    }

    fn resource(&self, _ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Ok(self.arn.clone())
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<ProviderResult, AwsError> {
        load(ctx.app, ctx.account(), &self.arn).map(ProviderResult)
    }
}

pub struct UpdateSamlProvider {
    arn: String,
    metadata: Option<(String, IdpMetadata)>,
    encryption_mode: Option<String>,
    remove_key: Option<String>,
}

pub struct UpdatedProvider(String);

impl WriteXml for UpdatedProvider {
    fn write(&self, w: &mut XmlOut) {
        w.text("SAMLProviderArn", &self.0);
    }
}

impl Operation for UpdateSamlProvider {
    const NAME: &'static str = "UpdateSAMLProvider";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = UpdatedProvider;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let (mut metadata, mut encryption_mode, mut add_key, mut remove_key) = (None, None, None, None);
        let arn = arn_member(p, |f| {
            metadata = f.opt_str("SAMLMetadataDocument", &METADATA_DOCUMENT);
            encryption_mode = f.opt_enum("AssertionEncryptionMode", ENCRYPTION_MODES);
            add_key = f.opt_secret("AddPrivateKey", &PRIVATE_KEY);
            remove_key = f.opt_str("RemovePrivateKey", &PRIVATE_KEY_ID);
        })?;
        if add_key.is_some() && remove_key.is_some() {
            return Err(AwsError::InvalidInput(
                "Unable to add and remove private keys in the same request. Set a value for only one of the two parameters."
                    .into(),
            ));
        }
        check_encryption(encryption_mode.as_deref(), add_key.as_ref())?;
        if metadata.is_none() && encryption_mode.is_none() && remove_key.is_none() {
            return Err(AwsError::InvalidInput(
                "Unable to update identity provider. No updates are defined for metadata or encryption assertion."
                    .into(),
            ));
        }
        let metadata = metadata.map(|m| parse_metadata(&m).map(|parsed| (m, parsed))).transpose()?;
        Ok(Self { arn, metadata, encryption_mode, remove_key })
    }

    fn resource(&self, _ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Ok(self.arn.clone())
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<UpdatedProvider, AwsError> {
        ctx.app.store.transact(|tx| {
            update(tx, ctx.account(), &self.arn, |p| {
                // No private keys are ever kept, so no id can match one.
                if self.remove_key.is_some() {
                    return Err(AwsError::InvalidInput(
                        "Failed to remove private key because the Key ID does not match a private key.".into(),
                    ));
                }
                if let Some((text, parsed)) = &self.metadata {
                    apply_metadata(p, text, parsed.clone());
                }
                if let Some(mode) = &self.encryption_mode {
                    p.assertion_encryption_mode = Some(mode.clone());
                }
                Ok(())
            })
        })?;
        Ok(UpdatedProvider(self.arn))
    }
}

pub struct DeleteSamlProvider {
    arn: String,
}

impl Operation for DeleteSamlProvider {
    const NAME: &'static str = "DeleteSAMLProvider";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        Ok(Self { arn: arn_member(p, |_| {})? })
    }

    fn resource(&self, _ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Ok(self.arn.clone())
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        let account = ctx.account();
        ctx.app.store.transact(|tx| {
            let mut a = tx.account(account)?.unwrap_or_default();
            let Some(i) = find(&a.saml_providers, account, &self.arn)? else { return abort(not_found(&self.arn)) };
            a.saml_providers.remove(i);
            tx.put_account(&a)
        })
    }
}

pub struct ListSamlProviders;

pub struct ProviderList(Vec<(String, SamlProviderRecord)>);

impl WriteXml for ProviderList {
    fn write(&self, w: &mut XmlOut) {
        w.list("SAMLProviderList", &self.0, |w, (arn, p)| {
            w.text("Arn", arn);
            if let Some(v) = p.valid_until {
                w.time("ValidUntil", v);
            }
            w.time("CreateDate", p.create_date);
        });
    }
}

impl Operation for ListSamlProviders {
    const NAME: &'static str = "ListSAMLProviders";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = false;
    type Output = ProviderList;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        p.fields().finish()?;
        Ok(Self)
    }

    fn resource(&self, _ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Ok("*".into())
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<ProviderList, AwsError> {
        let account = ctx.account();
        let a = ctx.app.store.account(account)?.unwrap_or_default();
        let mut list: Vec<(String, SamlProviderRecord)> =
            a.saml_providers.into_iter().map(|p| (provider_arn(account, &p.name), p)).collect();
        list.sort_by(|x, y| x.0.cmp(&y.0));
        Ok(ProviderList(list))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_name_an_account_and_a_provider() {
        assert_eq!(provider_arn("123456789012", "okta"), "arn:aws:iam::123456789012:saml-provider/okta");
        assert_eq!(parse_arn("arn:aws:iam::123456789012:saml-provider/okta").unwrap(), ("123456789012", "okta"));
        for bad in [
            "arn:aws:iam::123456789012:oidc-provider/x",
            "arn:aws:iam::1234:saml-provider/x",
            "arn:aws:iam::123456789012:saml-provider/",
            "arn:aws:iam::123456789012:saml-provider/a/b",
        ] {
            assert!(matches!(parse_arn(bad), Err(AwsError::InvalidInput(_))), "{bad}");
        }
        assert!((PROVIDER_NAME.matches)("My_IdP.prod-1"));
        assert!(!(PROVIDER_NAME.matches)("a/b"));
        assert!(new_uuid().len() >= 22 && (PRIVATE_KEY_ID.matches)(&new_uuid()));
    }
}
