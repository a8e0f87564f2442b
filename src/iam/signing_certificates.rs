//! UploadSigningCertificate, ListSigningCertificates, UpdateSigningCertificate,
//! DeleteSigningCertificate: a user's X.509 signing certificates (at most 2 per user; one
//! certificate belongs to at most one user of the account).

use super::key_material;
use super::key_owner::{self, target_user, user_resource};
use super::pagination::{Page, PageRequest};
use crate::error::AwsError;
use crate::ids::{IdKind, new_id};
use crate::operation::{Ctx, Operation, Service};
use crate::protocol::rules::{EXISTING_USER_NAME, KEY_STATUS, StrRule};
use crate::protocol::{Params, WriteXml, XmlOut};
use crate::store::{KeyStatus, SigningCertificateRecord};

/// IAM's quota of signing certificates per user.
pub const MAX_CERTIFICATES_PER_USER: usize = 2;

/// `certificateBodyType`.
pub const CERTIFICATE_BODY: StrRule = StrRule {
    min: 1,
    max: 16384,
    pattern: r"[\u0009\u000A\u000D\u0020-\u00FF]+",
    matches: |s| s.chars().all(|c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{FF}')),
};
const CERTIFICATE_ID: StrRule = StrRule {
    min: 24,
    max: 128,
    pattern: r"[\w]+",
    matches: |s| s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
};

fn no_such_certificate(id: &str) -> AwsError {
    AwsError::NoSuchEntity(format!("The Certificate with id {id} cannot be found."))
}

fn write_certificate(w: &mut XmlOut, user: &str, c: &SigningCertificateRecord) {
    w.text("UserName", user);
    w.text("CertificateId", &c.id);
    w.text("CertificateBody", &c.body);
    w.text("Status", c.status.as_str());
    w.time("UploadDate", c.upload_date);
}

pub struct UploadSigningCertificate {
    user: Option<String>,
    body: String,
}

pub struct UploadSigningCertificateResult {
    user: String,
    certificate: SigningCertificateRecord,
}

impl WriteXml for UploadSigningCertificateResult {
    fn write(&self, w: &mut XmlOut) {
        w.elem("Certificate", |w| write_certificate(w, &self.user, &self.certificate));
    }
}

impl Operation for UploadSigningCertificate {
    const NAME: &'static str = "UploadSigningCertificate";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = UploadSigningCertificateResult;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let user = f.opt_str("UserName", &EXISTING_USER_NAME);
        let body = f.str("CertificateBody", &CERTIFICATE_BODY);
        f.finish()?;
        Ok(Self { user, body })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        user_resource(ctx, &target_user(ctx, self.user.as_deref())?)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<UploadSigningCertificateResult, AwsError> {
        let name = target_user(ctx, self.user.as_deref())?;
        let parsed = key_material::certificate(&self.body, ctx.now)?;
        let certificate = SigningCertificateRecord {
            id: new_id(IdKind::SigningCertificate),
            body: self.body.clone(),
            der_sha256: parsed.fingerprint(),
            status: KeyStatus::Active,
            upload_date: ctx.now.replace_millisecond(0).unwrap_or(ctx.now),
        };
        let duplicate = || {
            AwsError::DuplicateCertificate(
                "The same certificate is already associated with an IAM user in the account.".into(),
            )
        };
        // A missing user is named before a duplicate certificate.
        key_owner::load_user(ctx, &name)?;
        // The account-wide check reads outside the transaction (the store has no index by
        // certificate); the user's own certificates are checked again inside it.
        let held_elsewhere = ctx.app.store.users(ctx.account(), None, usize::MAX, |u| {
            u.keys_and_certs.signing_certificates.iter().any(|c| c.der_sha256 == certificate.der_sha256)
        })?;
        if !held_elsewhere.is_empty() {
            return Err(duplicate());
        }
        let user = ctx.app.store.transact(|tx| {
            key_owner::update(tx, ctx.account(), &name, |user, held| {
                if held.signing_certificates.iter().any(|c| c.der_sha256 == certificate.der_sha256) {
                    return Err(duplicate());
                }
                if held.signing_certificates.len() >= MAX_CERTIFICATES_PER_USER {
                    return Err(AwsError::LimitExceeded(format!(
                        "Cannot exceed quota for CertificatesPerUser: {MAX_CERTIFICATES_PER_USER}"
                    )));
                }
                held.signing_certificates.push(certificate.clone());
                Ok(user.name.clone())
            })
        })?;
        Ok(UploadSigningCertificateResult { user, certificate })
    }
}

pub struct ListSigningCertificates {
    user: Option<String>,
    page: PageRequest,
}

pub struct ListSigningCertificatesResult {
    user: String,
    page: Page<SigningCertificateRecord>,
}

impl WriteXml for ListSigningCertificatesResult {
    fn write(&self, w: &mut XmlOut) {
        w.list("Certificates", &self.page.items, |w, c| write_certificate(w, &self.user, c));
        self.page.write_tail(w);
    }
}

impl Operation for ListSigningCertificates {
    const NAME: &'static str = "ListSigningCertificates";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = false;
    type Output = ListSigningCertificatesResult;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let user = f.opt_str("UserName", &EXISTING_USER_NAME);
        let page = PageRequest::read(&mut f);
        f.finish()?;
        Ok(Self { user, page })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        user_resource(ctx, &target_user(ctx, self.user.as_deref())?)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<ListSigningCertificatesResult, AwsError> {
        let user = key_owner::load_user(ctx, &target_user(ctx, self.user.as_deref())?)?;
        let page = self.page.page(user.keys_and_certs.signing_certificates.clone())?;
        Ok(ListSigningCertificatesResult { user: user.name.clone(), page })
    }
}

pub struct UpdateSigningCertificate {
    user: Option<String>,
    id: String,
    status: String,
}

impl Operation for UpdateSigningCertificate {
    const NAME: &'static str = "UpdateSigningCertificate";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let user = f.opt_str("UserName", &EXISTING_USER_NAME);
        let id = f.str("CertificateId", &CERTIFICATE_ID);
        let status = f.enum_value("Status", KEY_STATUS);
        f.finish()?;
        Ok(Self { user, id, status })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        user_resource(ctx, &target_user(ctx, self.user.as_deref())?)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        let name = target_user(ctx, self.user.as_deref())?;
        let status = key_owner::status(&self.status);
        ctx.app.store.transact(|tx| {
            key_owner::update(tx, ctx.account(), &name, |_, held| {
                let c = held
                    .signing_certificates
                    .iter_mut()
                    .find(|c| c.id == self.id)
                    .ok_or_else(|| no_such_certificate(&self.id))?;
                c.status = status;
                Ok(())
            })
        })
    }
}

pub struct DeleteSigningCertificate {
    user: Option<String>,
    id: String,
}

impl Operation for DeleteSigningCertificate {
    const NAME: &'static str = "DeleteSigningCertificate";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let user = f.opt_str("UserName", &EXISTING_USER_NAME);
        let id = f.str("CertificateId", &CERTIFICATE_ID);
        f.finish()?;
        Ok(Self { user, id })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        user_resource(ctx, &target_user(ctx, self.user.as_deref())?)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        let name = target_user(ctx, self.user.as_deref())?;
        ctx.app.store.transact(|tx| {
            key_owner::update(tx, ctx.account(), &name, |_, held| {
                let before = held.signing_certificates.len();
                held.signing_certificates.retain(|c| c.id != self.id);
                if held.signing_certificates.len() == before {
                    return Err(no_such_certificate(&self.id));
                }
                Ok(())
            })
        })
    }
}
