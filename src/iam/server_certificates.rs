//! UploadServerCertificate, GetServerCertificate, ListServerCertificates,
//! UpdateServerCertificate, DeleteServerCertificate and their tags: an account's TLS
//! certificates (at most 20). The private key must match the certificate; it is sealed under
//! the master key and never returned.

use super::key_material;
use super::pagination::{Page, PageRequest};
use super::signing_certificates::CERTIFICATE_BODY;
use super::tagging::Taggable;
use super::tags;
use crate::error::AwsError;
use crate::ids::{IdKind, new_id};
use crate::operation::{Ctx, Operation, Service};
use crate::protocol::rules::{PATH, PATH_PREFIX, StrRule};
use crate::protocol::{Params, Tag, WriteXml, XmlOut};
use crate::sigv4::SecretKey;
use crate::state::State;
use crate::store::{ServerCertificateRecord, Tx, TxResult};

/// IAM's quota of server certificates per account.
pub const MAX_PER_ACCOUNT: usize = 20;

pub const SERVER_CERTIFICATE_NAME: StrRule = StrRule {
    min: 1,
    max: 128,
    pattern: r"[\w+=,.@-]+",
    matches: |s| s.chars().all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)),
};
const PRIVATE_KEY: StrRule = StrRule { max: 16384, ..CERTIFICATE_BODY };
const CERTIFICATE_CHAIN: StrRule = StrRule { max: 2_097_152, ..CERTIFICATE_BODY };

fn no_such_certificate(name: &str) -> AwsError {
    AwsError::NoSuchEntity(format!("The Server Certificate with name {name} cannot be found."))
}

fn position(certs: &[ServerCertificateRecord], name: &str) -> Option<usize> {
    certs.iter().position(|c| c.name.eq_ignore_ascii_case(name))
}

/// The certificate, read outside a transaction.
fn load(app: &State, account: &str, name: &str) -> Result<ServerCertificateRecord, AwsError> {
    let a = app.store.account(account)?.unwrap_or_default();
    let i = position(&a.server_certificates, name).ok_or_else(|| no_such_certificate(name))?;
    Ok(a.server_certificates[i].clone())
}

/// Loads the account's certificates, lets `f` change them, saves the account.
fn update<T>(
    tx: &Tx<'_>,
    account: &str,
    f: impl FnOnce(&mut Vec<ServerCertificateRecord>) -> Result<T, AwsError>,
) -> TxResult<T> {
    let mut a = tx.account_or_new(account)?;
    let out = f(&mut a.server_certificates)?;
    tx.put_account(&a)?;
    Ok(out)
}

/// The ARN of the stored certificate `name`, or of that name under `/`.
fn resource_of(app: &State, account: &str, name: &str) -> Result<String, AwsError> {
    Ok(match load(app, account, name) {
        Ok(c) => c.arn(account),
        Err(AwsError::NoSuchEntity(_)) => format!("arn:aws:iam::{account}:server-certificate/{name}"),
        Err(e) => return Err(e),
    })
}

fn write_metadata(w: &mut XmlOut, account: &str, c: &ServerCertificateRecord) {
    w.text("Path", &c.path);
    w.text("ServerCertificateName", &c.name);
    w.text("ServerCertificateId", &c.id);
    w.text("Arn", &c.arn(account));
    w.time("UploadDate", c.upload_date);
    w.time("Expiration", c.expiration);
}

pub struct UploadServerCertificate {
    name: String,
    path: String,
    body: String,
    private_key: SecretKey,
    chain: Option<String>,
    tags: Vec<Tag>,
}

pub struct UploadServerCertificateResult {
    account: String,
    certificate: ServerCertificateRecord,
}

impl WriteXml for UploadServerCertificateResult {
    fn write(&self, w: &mut XmlOut) {
        w.elem("ServerCertificateMetadata", |w| write_metadata(w, &self.account, &self.certificate));
        if !self.certificate.tags.is_empty() {
            tags::write(w, &self.certificate.tags);
        }
    }
}

impl Operation for UploadServerCertificate {
    const NAME: &'static str = "UploadServerCertificate";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = UploadServerCertificateResult;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let path = f.opt_str("Path", &PATH).unwrap_or_else(|| "/".into());
        let name = f.str("ServerCertificateName", &SERVER_CERTIFICATE_NAME);
        let body = f.str("CertificateBody", &CERTIFICATE_BODY);
        let private_key = SecretKey::new(f.secret("PrivateKey", &PRIVATE_KEY));
        let chain = f.opt_str("CertificateChain", &CERTIFICATE_CHAIN);
        let tags = f.tags("Tags").unwrap_or_default();
        f.finish()?;
        tags::check_request(&tags)?;
        Ok(Self { name, path, body, private_key, chain, tags })
    }

    fn request_tags(&self) -> Option<&[Tag]> {
        Some(&self.tags)
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Ok(format!("arn:aws:iam::{}:server-certificate{}{}", ctx.account(), self.path, self.name))
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<UploadServerCertificateResult, AwsError> {
        let account = ctx.account();
        let cert = key_material::certificate(&self.body, ctx.now)?;
        key_material::check_private_key(self.private_key.expose(), &cert)?;
        if let Some(chain) = &self.chain {
            key_material::certificate_chain(chain)?;
        }
        let id = new_id(IdKind::ServerCertificate);
        let certificate = ServerCertificateRecord {
            private_key: ctx.app.store.sealer().seal(&crate::store::aad::server_certificate(&id), &self.private_key)?,
            id,
            name: self.name.clone(),
            path: self.path.clone(),
            body: self.body.clone(),
            chain: self.chain.clone(),
            upload_date: ctx.now.replace_millisecond(0).unwrap_or(ctx.now),
            expiration: cert.not_after,
            tags: self.tags.clone(),
        };
        ctx.app.store.transact(|tx| {
            update(tx, account, |certs| {
                if let Some(i) = position(certs, &self.name) {
                    return Err(AwsError::EntityAlreadyExists(format!(
                        "The Server Certificate with name {} already exists.",
                        certs[i].name
                    )));
                }
                if certs.len() >= MAX_PER_ACCOUNT {
                    return Err(AwsError::LimitExceeded(format!(
                        "Cannot exceed quota for ServerCertificatesPerAccount: {MAX_PER_ACCOUNT}"
                    )));
                }
                certs.push(certificate.clone());
                Ok(())
            })
        })?;
        Ok(UploadServerCertificateResult { account: account.to_owned(), certificate })
    }
}

pub struct GetServerCertificate {
    name: String,
}

pub struct GetServerCertificateResult {
    account: String,
    certificate: ServerCertificateRecord,
}

impl WriteXml for GetServerCertificateResult {
    fn write(&self, w: &mut XmlOut) {
        let c = &self.certificate;
        w.elem("ServerCertificate", |w| {
            w.elem("ServerCertificateMetadata", |w| write_metadata(w, &self.account, c));
            w.text("CertificateBody", &c.body);
            w.opt_text("CertificateChain", c.chain.as_deref());
            if !c.tags.is_empty() {
                tags::write(w, &c.tags);
            }
        });
    }
}

impl Operation for GetServerCertificate {
    const NAME: &'static str = "GetServerCertificate";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = false;
    type Output = GetServerCertificateResult;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let name = f.str("ServerCertificateName", &SERVER_CERTIFICATE_NAME);
        f.finish()?;
        Ok(Self { name })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        resource_of(ctx.app, ctx.account(), &self.name)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<GetServerCertificateResult, AwsError> {
        let certificate = load(ctx.app, ctx.account(), &self.name)?;
        Ok(GetServerCertificateResult { account: ctx.account().to_owned(), certificate })
    }
}

pub struct ListServerCertificates {
    path_prefix: String,
    page: PageRequest,
}

pub struct ListServerCertificatesResult {
    account: String,
    page: Page<ServerCertificateRecord>,
}

impl WriteXml for ListServerCertificatesResult {
    fn write(&self, w: &mut XmlOut) {
        w.list("ServerCertificateMetadataList", &self.page.items, |w, c| write_metadata(w, &self.account, c));
        self.page.write_tail(w);
    }
}

impl Operation for ListServerCertificates {
    const NAME: &'static str = "ListServerCertificates";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = false;
    type Output = ListServerCertificatesResult;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let path_prefix = f.opt_str("PathPrefix", &PATH_PREFIX).unwrap_or_else(|| "/".into());
        let page = PageRequest::read(&mut f);
        f.finish()?;
        Ok(Self { path_prefix, page })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        Ok(format!("arn:aws:iam::{}:server-certificate/", ctx.account()))
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<ListServerCertificatesResult, AwsError> {
        let a = ctx.app.store.account(ctx.account())?.unwrap_or_default();
        let mut all: Vec<_> =
            a.server_certificates.into_iter().filter(|c| c.path.starts_with(&self.path_prefix)).collect();
        all.sort_by_key(|c| c.name.to_lowercase());
        Ok(ListServerCertificatesResult { account: ctx.account().to_owned(), page: self.page.page(all)? })
    }
}

pub struct UpdateServerCertificate {
    name: String,
    new_name: Option<String>,
    new_path: Option<String>,
}

impl Operation for UpdateServerCertificate {
    const NAME: &'static str = "UpdateServerCertificate";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let name = f.str("ServerCertificateName", &SERVER_CERTIFICATE_NAME);
        let new_path = f.opt_str("NewPath", &PATH);
        let new_name = f.opt_str("NewServerCertificateName", &SERVER_CERTIFICATE_NAME);
        f.finish()?;
        Ok(Self { name, new_name, new_path })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        resource_of(ctx.app, ctx.account(), &self.name)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        ctx.app.store.transact(|tx| {
            update(tx, ctx.account(), |certs| {
                let i = position(certs, &self.name).ok_or_else(|| no_such_certificate(&self.name))?;
                if let Some(new_name) = &self.new_name {
                    if position(certs, new_name).is_some_and(|j| j != i) {
                        return Err(AwsError::EntityAlreadyExists(format!(
                            "The Server Certificate with name {new_name} already exists."
                        )));
                    }
                    certs[i].name.clone_from(new_name);
                }
                if let Some(path) = &self.new_path {
                    certs[i].path.clone_from(path);
                }
                Ok(())
            })
        })
    }
}

pub struct DeleteServerCertificate {
    name: String,
}

impl Operation for DeleteServerCertificate {
    const NAME: &'static str = "DeleteServerCertificate";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let name = f.str("ServerCertificateName", &SERVER_CERTIFICATE_NAME);
        f.finish()?;
        Ok(Self { name })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        resource_of(ctx.app, ctx.account(), &self.name)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        ctx.app.store.transact(|tx| {
            update(tx, ctx.account(), |certs| {
                let i = position(certs, &self.name).ok_or_else(|| no_such_certificate(&self.name))?;
                certs.remove(i);
                Ok(())
            })
        })
    }
}

/// TagServerCertificate, UntagServerCertificate, ListServerCertificateTags.
pub struct ServerCertificateTags;

impl Taggable for ServerCertificateTags {
    const TAG: &'static str = "TagServerCertificate";
    const UNTAG: &'static str = "UntagServerCertificate";
    const LIST_TAGS: &'static str = "ListServerCertificateTags";
    const ID_MEMBER: &'static str = "ServerCertificateName";
    const ID_RULE: &'static StrRule = &SERVER_CERTIFICATE_NAME;

    fn resource(app: &State, account: &str, id: &str) -> Result<String, AwsError> {
        resource_of(app, account, id)
    }

    fn read(app: &State, account: &str, id: &str) -> Result<Vec<Tag>, AwsError> {
        Ok(load(app, account, id)?.tags)
    }

    fn update(
        tx: &Tx<'_>,
        account: &str,
        id: &str,
        f: impl FnOnce(&mut Vec<Tag>) -> Result<(), AwsError>,
    ) -> TxResult<()> {
        update(tx, account, |certs| {
            let i = position(certs, id).ok_or_else(|| no_such_certificate(id))?;
            f(&mut certs[i].tags)
        })
    }
}
