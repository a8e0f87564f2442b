//! IAM OpenID Connect providers: Create/Get/List/Delete, client ids, thumbprints (tags in
//! `tagging`). A provider is named by its URL without the scheme (`HOST[:PORT]/PATH`), which is
//! also its ARN's resource part and the prefix of its trust-policy condition keys. They live in
//! the account record (at most 100 per account, as in AWS), so they change in its transactions.

use super::tags;
use crate::error::AwsError;
use crate::operation::{Ctx, Operation, Service};
use crate::protocol::rules::{ARN, StrRule};
use crate::protocol::{Params, Tag, WriteXml, XmlOut};
use crate::store::{OidcProviderRecord, Tx, TxResult, abort};

pub const MAX_CLIENT_IDS: usize = 100;
pub const MAX_THUMBPRINTS: usize = 5;
pub const MAX_PROVIDERS: usize = 100;

pub const PROVIDER_URL: StrRule = StrRule { min: 1, max: 255, pattern: "", matches: |_| true };
pub const CLIENT_ID: StrRule = StrRule { min: 1, max: 255, pattern: "", matches: |_| true };
pub const THUMBPRINT: StrRule =
    StrRule { min: 40, max: 40, pattern: "", matches: |t| t.bytes().all(|b| b.is_ascii_hexdigit()) };

/// The provider's name (`HOST[:PORT]/PATH`) for its URL. `https://` as in AWS; `http://` only
/// for a loopback host, so tests and CI can run an issuer locally.
///
/// # Errors
/// `InvalidInput` for any other URL.
pub fn provider_id(url: &str) -> Result<String, AwsError> {
    let invalid = || AwsError::InvalidInput(format!("Invalid URL: {url}"));
    let (scheme, rest) = url.split_once("://").ok_or_else(invalid)?;
    let host_port = rest.split('/').next().unwrap_or_default();
    if host_port.is_empty() || rest.contains(['?', '#', ' ']) {
        return Err(invalid());
    }
    let host = match host_port.rsplit_once(':') {
        Some((h, port)) if !h.ends_with(']') || host_port.starts_with('[') => {
            if !port.bytes().all(|b| b.is_ascii_digit()) || port.is_empty() {
                return Err(invalid());
            }
            h
        }
        _ => host_port,
    };
    match scheme.to_ascii_lowercase().as_str() {
        "https" => Ok(rest.to_owned()),
        "http" if matches!(host, "127.0.0.1" | "localhost" | "[::1]") => Ok(rest.to_owned()),
        _ => Err(invalid()),
    }
}

#[must_use]
pub fn provider_arn(account: &str, id: &str) -> String {
    format!("arn:aws:iam::{account}:oidc-provider/{id}")
}

fn not_found(arn: &str) -> AwsError {
    AwsError::NoSuchEntity(format!("OpenIDConnect Provider not found for arn {arn}"))
}

/// The account and provider id an ARN names.
fn parse_arn(arn: &str) -> Result<(&str, &str), AwsError> {
    let rest =
        arn.strip_prefix("arn:aws:iam::").ok_or_else(|| AwsError::InvalidInput(format!("Invalid ARN: {arn}")))?;
    let (account, id) = rest
        .split_once(":oidc-provider/")
        .filter(|(a, id)| a.len() == 12 && !id.is_empty())
        .ok_or_else(|| AwsError::InvalidInput(format!("Invalid ARN: {arn}")))?;
    Ok((account, id))
}

/// The stored provider `arn` names, if it is in `account`.
///
/// # Errors
/// `InvalidInput` for a malformed ARN; store failures.
pub fn find(providers: &[OidcProviderRecord], account: &str, arn: &str) -> Result<Option<usize>, AwsError> {
    let (owner, id) = parse_arn(arn)?;
    Ok((owner == account).then(|| providers.iter().position(|p| p.id == id)).flatten())
}

/// Loads the account, lets `f` change the provider `arn` names, saves it.
pub fn update(
    tx: &Tx<'_>,
    account: &str,
    arn: &str,
    f: impl FnOnce(&mut OidcProviderRecord) -> Result<(), AwsError>,
) -> TxResult<()> {
    let mut a = tx.account(account)?.unwrap_or_default();
    let Some(i) = find(&a.oidc_providers, account, arn)? else { return abort(not_found(arn)) };
    f(&mut a.oidc_providers[i])?;
    tx.put_account(&a)
}

/// The provider `arn` names, read outside a transaction.
///
/// # Errors
/// `NoSuchEntity`, `InvalidInput`.
pub fn load(ctx_app: &crate::state::State, account: &str, arn: &str) -> Result<OidcProviderRecord, AwsError> {
    let a = ctx_app.store.account(account)?.unwrap_or_default();
    let i = find(&a.oidc_providers, account, arn)?.ok_or_else(|| not_found(arn))?;
    Ok(a.oidc_providers[i].clone())
}

fn check_client_ids(n: usize) -> Result<(), AwsError> {
    if n > MAX_CLIENT_IDS {
        return Err(AwsError::LimitExceeded(format!(
            "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: {MAX_CLIENT_IDS}"
        )));
    }
    Ok(())
}

fn check_thumbprints(n: usize) -> Result<(), AwsError> {
    if n > MAX_THUMBPRINTS {
        return Err(AwsError::InvalidInput(format!("Thumbprint list must contain at most {MAX_THUMBPRINTS} entries.")));
    }
    Ok(())
}

fn dedup(items: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

pub struct CreateOpenIdConnectProvider {
    url: String,
    id: String,
    client_ids: Vec<String>,
    thumbprints: Vec<String>,
    tags: Vec<Tag>,
}

pub struct CreatedProvider {
    arn: String,
    tags: Vec<Tag>,
}

impl WriteXml for CreatedProvider {
    fn write(&self, w: &mut XmlOut) {
        w.text("OpenIDConnectProviderArn", &self.arn);
        if !self.tags.is_empty() {
            tags::write(w, &self.tags);
        }
    }
}

impl Operation for CreateOpenIdConnectProvider {
    const NAME: &'static str = "CreateOpenIDConnectProvider";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = CreatedProvider;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let url = f.str("Url", &PROVIDER_URL);
        let client_ids = f.str_list("ClientIDList", &CLIENT_ID, usize::MAX).unwrap_or_default();
        let thumbprints = f.str_list("ThumbprintList", &THUMBPRINT, usize::MAX).unwrap_or_default();
        let tags = f.tags("Tags").unwrap_or_default();
        f.finish()?;
        tags::check_request(&tags)?;
        let id = provider_id(&url)?;
        check_client_ids(client_ids.len())?;
        check_thumbprints(thumbprints.len())?;
        Ok(Self { url, id, client_ids: dedup(client_ids), thumbprints: dedup(thumbprints), tags })
    }

    fn request_tags(&self) -> Option<&[Tag]> {
        Some(&self.tags)
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Ok(provider_arn(ctx.account(), &self.id))
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<CreatedProvider, AwsError> {
        let account = ctx.account();
        let now = ctx.now.replace_millisecond(0).unwrap_or(ctx.now);
        ctx.app.store.transact(|tx| {
            let mut a = tx.account_or_new(account)?;
            if a.oidc_providers.iter().any(|p| p.id == self.id) {
                return abort(AwsError::EntityAlreadyExists(format!("Provider with url {} already exists.", self.url)));
            }
            if a.oidc_providers.len() >= MAX_PROVIDERS {
                return abort(AwsError::LimitExceeded(format!(
                    "Cannot exceed quota for OpenIdConnectProvidersPerAccount: {MAX_PROVIDERS}"
                )));
            }
            a.oidc_providers.push(OidcProviderRecord {
                id: self.id.clone(),
                url: self.url.clone(),
                client_ids: self.client_ids.clone(),
                thumbprints: self.thumbprints.clone(),
                create_date: now,
                tags: self.tags.clone(),
            });
            tx.put_account(&a)
        })?;
        Ok(CreatedProvider { arn: provider_arn(account, &self.id), tags: self.tags })
    }
}

/// Reads `OpenIDConnectProviderArn` (and nothing else unless `more` reads it).
fn arn_member(p: &Params, more: impl FnOnce(&mut crate::protocol::Fields<'_>)) -> Result<String, AwsError> {
    let mut f = p.fields();
    let arn = f.str("OpenIDConnectProviderArn", &ARN);
    more(&mut f);
    f.finish()?;
    Ok(arn)
}

pub struct GetOpenIdConnectProvider {
    arn: String,
}

pub struct ProviderResult(OidcProviderRecord);

impl WriteXml for ProviderResult {
    fn write(&self, w: &mut XmlOut) {
        let p = &self.0;
        // AWS answers the URL without its scheme.
        w.text("Url", &p.id);
        w.list("ClientIDList", &p.client_ids, |w, c| w.text_only(c));
        w.list("ThumbprintList", &p.thumbprints, |w, t| w.text_only(t));
        w.time("CreateDate", p.create_date);
        tags::write(w, &p.tags);
    }
}

impl Operation for GetOpenIdConnectProvider {
    const NAME: &'static str = "GetOpenIDConnectProvider";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = false;
    type Output = ProviderResult;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let arn = arn_member(p, |_| {})?;
        parse_arn(&arn)?;
        Ok(Self { arn })
    }

    fn resource(&self, _ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Ok(self.arn.clone())
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<ProviderResult, AwsError> {
        load(ctx.app, ctx.account(), &self.arn).map(ProviderResult)
    }
}

pub struct ListOpenIdConnectProviders;

pub struct ProviderList(Vec<String>);

impl WriteXml for ProviderList {
    fn write(&self, w: &mut XmlOut) {
        w.list("OpenIDConnectProviderList", &self.0, |w, arn| w.text("Arn", arn));
    }
}

impl Operation for ListOpenIdConnectProviders {
    const NAME: &'static str = "ListOpenIDConnectProviders";
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
        let mut arns: Vec<String> = a.oidc_providers.iter().map(|p| provider_arn(account, &p.id)).collect();
        arns.sort();
        Ok(ProviderList(arns))
    }
}

pub struct DeleteOpenIdConnectProvider {
    arn: String,
}

impl Operation for DeleteOpenIdConnectProvider {
    const NAME: &'static str = "DeleteOpenIDConnectProvider";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let arn = arn_member(p, |_| {})?;
        parse_arn(&arn)?;
        Ok(Self { arn })
    }

    fn resource(&self, _ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Ok(self.arn.clone())
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        let account = ctx.account();
        ctx.app.store.transact(|tx| {
            let mut a = tx.account(account)?.unwrap_or_default();
            let Some(i) = find(&a.oidc_providers, account, &self.arn)? else { return abort(not_found(&self.arn)) };
            a.oidc_providers.remove(i);
            tx.put_account(&a)
        })
    }
}

/// AddClientIDToOpenIDConnectProvider (`add`) and RemoveClientIDFromOpenIDConnectProvider:
/// adding a listed id, or removing an unlisted one, changes nothing and succeeds, as in AWS.
pub struct ChangeClientId<const ADD: bool> {
    arn: String,
    client_id: String,
}

impl<const ADD: bool> Operation for ChangeClientId<ADD> {
    const NAME: &'static str =
        if ADD { "AddClientIDToOpenIDConnectProvider" } else { "RemoveClientIDFromOpenIDConnectProvider" };
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut client_id = String::new();
        let arn = arn_member(p, |f| client_id = f.str("ClientID", &CLIENT_ID))?;
        parse_arn(&arn)?;
        Ok(Self { arn, client_id })
    }

    fn resource(&self, _ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Ok(self.arn.clone())
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        ctx.app.store.transact(|tx| {
            update(tx, ctx.account(), &self.arn, |p| {
                let listed = p.client_ids.contains(&self.client_id);
                if ADD && !listed {
                    check_client_ids(p.client_ids.len() + 1)?;
                    p.client_ids.push(self.client_id.clone());
                } else if !ADD && listed {
                    p.client_ids.retain(|c| c != &self.client_id);
                }
                Ok(())
            })
        })
    }
}

pub struct UpdateOpenIdConnectProviderThumbprint {
    arn: String,
    thumbprints: Vec<String>,
}

impl Operation for UpdateOpenIdConnectProviderThumbprint {
    const NAME: &'static str = "UpdateOpenIDConnectProviderThumbprint";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut thumbprints = Vec::new();
        let arn =
            arn_member(p, |f| thumbprints = f.str_list("ThumbprintList", &THUMBPRINT, usize::MAX).unwrap_or_default())?;
        parse_arn(&arn)?;
        check_thumbprints(thumbprints.len())?;
        Ok(Self { arn, thumbprints: dedup(thumbprints) })
    }

    fn resource(&self, _ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Ok(self.arn.clone())
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        ctx.app.store.transact(|tx| {
            update(tx, ctx.account(), &self.arn, |p| {
                p.thumbprints.clone_from(&self.thumbprints);
                Ok(())
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_names_are_the_url_without_its_scheme() {
        assert_eq!(
            provider_id("https://token.actions.githubusercontent.com").unwrap(),
            "token.actions.githubusercontent.com"
        );
        assert_eq!(provider_id("https://idp.example.org:8443/realms/x").unwrap(), "idp.example.org:8443/realms/x");
        assert_eq!(provider_id("http://127.0.0.1:9000/issuer").unwrap(), "127.0.0.1:9000/issuer");
        assert_eq!(provider_id("http://localhost:8080").unwrap(), "localhost:8080");
        assert_eq!(provider_id("http://[::1]:8080/x").unwrap(), "[::1]:8080/x");
        for bad in
            ["http://idp.example.org", "ftp://x", "idp.example.org", "https://", "https://x/?a=1", "https://x:port"]
        {
            assert!(matches!(provider_id(bad), Err(AwsError::InvalidInput(_))), "{bad}");
        }
        assert_eq!(provider_arn("123456789012", "x.org/p"), "arn:aws:iam::123456789012:oidc-provider/x.org/p");
        assert_eq!(parse_arn("arn:aws:iam::123456789012:oidc-provider/x.org/p").unwrap(), ("123456789012", "x.org/p"));
        assert!(parse_arn("arn:aws:iam::123456789012:role/x").is_err());
    }
}
