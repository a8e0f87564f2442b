//! CreateServiceSpecificCredential, ListServiceSpecificCredentials,
//! UpdateServiceSpecificCredential, ResetServiceSpecificCredential,
//! DeleteServiceSpecificCredential: user name + password pairs for one service (CodeCommit's
//! Git over HTTPS, Amazon Keyspaces), at most 2 per user per service. The password is shown
//! once, when made or reset, and kept sealed under the master key.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use rand::RngCore;
use rand::rngs::OsRng;
use time::OffsetDateTime;

use super::key_owner::{self, target_user, user_resource};
use super::not_found::no_such_user;
use super::pagination::{Page, PageRequest};
use crate::error::AwsError;
use crate::ids::{IdKind, new_id};
use crate::operation::{Ctx, Operation, Service};
use crate::protocol::rules::{KEY_STATUS, StrRule, USER_NAME};
use crate::protocol::{Params, WriteXml, XmlOut};
use crate::sigv4::SecretKey;
use crate::store::{KeyStatus, Sealer, ServiceCredentialRecord};

/// IAM's quota per user and service.
pub const MAX_PER_USER_PER_SERVICE: usize = 2;

/// The services IAM makes such credentials for.
pub const SERVICES: &[&str] = &["codecommit.amazonaws.com", "cassandra.amazonaws.com"];

const SERVICE_NAME: StrRule = StrRule { min: 0, max: usize::MAX, pattern: "", matches: |_| true };
const CREDENTIAL_ID: StrRule = StrRule {
    min: 20,
    max: 128,
    pattern: r"[\w]+",
    matches: |s| s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
};
const CREDENTIAL_AGE_DAYS: crate::protocol::rules::IntRule = crate::protocol::rules::IntRule { min: 1, max: 36600 };

/// AWS's answer (recorded) for a service without service-specific credentials.
fn unsupported(service: &str) -> AwsError {
    AwsError::NoSuchEntity(format!("No such service {service} is supported for Service Specific Credentials"))
}

fn no_such_credential(id: &str) -> AwsError {
    AwsError::NoSuchEntity(format!("No such credential {id} exists"))
}

/// A fresh password: 33 random bytes, 44 characters of base64.
fn new_password() -> SecretKey {
    let mut bytes = zeroize::Zeroizing::new([0u8; 33]);
    OsRng.fill_bytes(bytes.as_mut());
    SecretKey::new(B64.encode(bytes.as_ref()))
}

fn seal(sealer: &Sealer, id: &str, password: &SecretKey) -> Result<crate::store::SealedSecret, AwsError> {
    sealer.seal(&crate::store::aad::service_credential(id), password)
}

fn write_metadata(w: &mut XmlOut, user: &str, c: &ServiceCredentialRecord) {
    w.text("UserName", user);
    w.text("Status", c.status.as_str());
    w.text("ServiceUserName", &c.service_user_name);
    w.time("CreateDate", c.create_date);
    w.text("ServiceSpecificCredentialId", &c.id);
    w.text("ServiceName", &c.service_name);
}

/// Output shape `{ ServiceSpecificCredential }`, with the password.
pub struct CredentialWithPassword {
    user: String,
    credential: ServiceCredentialRecord,
    password: SecretKey,
}

impl WriteXml for CredentialWithPassword {
    fn write(&self, w: &mut XmlOut) {
        let c = &self.credential;
        w.elem("ServiceSpecificCredential", |w| {
            w.time("CreateDate", c.create_date);
            w.text("ServiceName", &c.service_name);
            w.text("ServiceUserName", &c.service_user_name);
            w.text("ServicePassword", self.password.expose());
            w.text("ServiceSpecificCredentialId", &c.id);
            w.text("UserName", &self.user);
            w.text("Status", c.status.as_str());
        });
    }
}

pub struct CreateServiceSpecificCredential {
    user: String,
    service: String,
    age_days: Option<i64>,
}

impl Operation for CreateServiceSpecificCredential {
    const NAME: &'static str = "CreateServiceSpecificCredential";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = CredentialWithPassword;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let user = f.str("UserName", &USER_NAME);
        let service = f.str("ServiceName", &SERVICE_NAME);
        let age_days = f.opt_int("CredentialAgeDays", &CREDENTIAL_AGE_DAYS);
        f.finish()?;
        Ok(Self { user, service, age_days })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        user_resource(ctx, &self.user)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<CredentialWithPassword, AwsError> {
        let account = ctx.account();
        let id = new_id(IdKind::ServiceSpecificCredential);
        let password = new_password();
        let sealed = seal(ctx.app.store.sealer(), &id, &password)?;
        let now: OffsetDateTime = ctx.now.replace_millisecond(0).unwrap_or(ctx.now);
        let (user, credential) = ctx.app.store.transact(|tx| {
            key_owner::update(tx, account, &self.user, |user, held| {
                // The user is looked up first: AWS names a missing user before a bad service.
                if !SERVICES.contains(&self.service.as_str()) {
                    return Err(unsupported(&self.service));
                }
                if self.age_days.is_some() {
                    // Only services with long-term API keys take an expiry; none served here does.
                    return Err(AwsError::InvalidInput(format!(
                        "CredentialAgeDays is not supported for service {}",
                        self.service
                    )));
                }
                let count = held.service_credentials.iter().filter(|c| c.service_name == self.service).count();
                if count >= MAX_PER_USER_PER_SERVICE {
                    return Err(AwsError::LimitExceeded(format!(
                        "Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: {MAX_PER_USER_PER_SERVICE}"
                    )));
                }
                let credential = ServiceCredentialRecord {
                    id: id.clone(),
                    service_name: self.service.clone(),
                    service_user_name: format!("{}-at-{account}", user.name),
                    password: sealed.clone(),
                    status: KeyStatus::Active,
                    create_date: now,
                };
                held.service_credentials.push(credential.clone());
                Ok((user.name.clone(), credential))
            })
        })?;
        Ok(CredentialWithPassword { user, credential, password })
    }
}

pub struct ListServiceSpecificCredentials {
    user: Option<String>,
    service: Option<String>,
    all_users: bool,
    page: PageRequest,
}

pub struct ListServiceSpecificCredentialsResult(Page<(String, ServiceCredentialRecord)>);

impl WriteXml for ListServiceSpecificCredentialsResult {
    fn write(&self, w: &mut XmlOut) {
        w.list("ServiceSpecificCredentials", &self.0.items, |w, (user, c)| write_metadata(w, user, c));
        self.0.write_tail(w);
    }
}

impl Operation for ListServiceSpecificCredentials {
    const NAME: &'static str = "ListServiceSpecificCredentials";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = false;
    type Output = ListServiceSpecificCredentialsResult;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let user = f.opt_str("UserName", &USER_NAME);
        let service = f.opt_str("ServiceName", &SERVICE_NAME);
        let all_users = f.opt_bool("AllUsers").unwrap_or(false);
        let page = PageRequest::read(&mut f);
        f.finish()?;
        if all_users && user.is_some() {
            return Err(AwsError::InvalidInput("AllUsers cannot be specified together with UserName.".into()));
        }
        Ok(Self { user, service, all_users, page })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        if self.all_users {
            return Ok(format!("arn:aws:iam::{}:user/", ctx.account()));
        }
        user_resource(ctx, &target_user(ctx, self.user.as_deref())?)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<ListServiceSpecificCredentialsResult, AwsError> {
        let users = if self.all_users {
            ctx.app
                .store
                .users(ctx.account(), None, usize::MAX, |u| !u.keys_and_certs.service_credentials.is_empty())?
        } else {
            let name = target_user(ctx, self.user.as_deref())?;
            vec![ctx.app.store.user(ctx.account(), &name)?.ok_or_else(|| no_such_user(&name))?]
        };
        if let Some(service) = &self.service
            && !SERVICES.contains(&service.as_str())
        {
            return Err(unsupported(service));
        }
        let all = users
            .into_iter()
            .flat_map(|u| {
                let name = u.name;
                u.keys_and_certs.service_credentials.into_iter().map(move |c| (name.clone(), c))
            })
            .filter(|(_, c)| self.service.as_ref().is_none_or(|s| *s == c.service_name))
            .collect();
        Ok(ListServiceSpecificCredentialsResult(self.page.page(all)?))
    }
}

/// The optional user and required id every per-credential action takes.
struct CredentialRef {
    user: Option<String>,
    id: String,
}

impl CredentialRef {
    fn read(f: &mut crate::protocol::Fields<'_>) -> Self {
        let user = f.opt_str("UserName", &USER_NAME);
        // Read as `secret` only so a bad id is not echoed: AWS's message (recorded) omits it.
        let id = f.secret("ServiceSpecificCredentialId", &CREDENTIAL_ID);
        Self { user, id }
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        user_resource(ctx, &target_user(ctx, self.user.as_deref())?)
    }

    /// Runs `f` on the credential inside a transaction and saves the user.
    fn change<T>(
        &self,
        ctx: &Ctx<'_>,
        f: impl Fn(&mut Vec<ServiceCredentialRecord>, usize) -> Result<T, AwsError>,
    ) -> Result<(String, T), AwsError> {
        let name = target_user(ctx, self.user.as_deref())?;
        ctx.app.store.transact(|tx| {
            key_owner::update(tx, ctx.account(), &name, |user, held| {
                let i = held
                    .service_credentials
                    .iter()
                    .position(|c| c.id == self.id)
                    .ok_or_else(|| no_such_credential(&self.id))?;
                Ok((user.name.clone(), f(&mut held.service_credentials, i)?))
            })
        })
    }
}

pub struct UpdateServiceSpecificCredential {
    credential: CredentialRef,
    status: String,
}

impl Operation for UpdateServiceSpecificCredential {
    const NAME: &'static str = "UpdateServiceSpecificCredential";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let credential = CredentialRef::read(&mut f);
        let status = f.enum_value("Status", KEY_STATUS);
        f.finish()?;
        Ok(Self { credential, status })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        self.credential.resource(ctx)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        let status = key_owner::status(&self.status);
        self.credential.change(ctx, |all, i| {
            all[i].status = status;
            Ok(())
        })?;
        Ok(())
    }
}

pub struct ResetServiceSpecificCredential {
    credential: CredentialRef,
}

impl Operation for ResetServiceSpecificCredential {
    const NAME: &'static str = "ResetServiceSpecificCredential";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = CredentialWithPassword;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let credential = CredentialRef::read(&mut f);
        f.finish()?;
        Ok(Self { credential })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        self.credential.resource(ctx)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<CredentialWithPassword, AwsError> {
        let password = new_password();
        let sealed = seal(ctx.app.store.sealer(), &self.credential.id, &password)?;
        let (user, credential) = self.credential.change(ctx, |all, i| {
            all[i].password = sealed.clone();
            Ok(all[i].clone())
        })?;
        Ok(CredentialWithPassword { user, credential, password })
    }
}

pub struct DeleteServiceSpecificCredential {
    credential: CredentialRef,
}

impl Operation for DeleteServiceSpecificCredential {
    const NAME: &'static str = "DeleteServiceSpecificCredential";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let credential = CredentialRef::read(&mut f);
        f.finish()?;
        Ok(Self { credential })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        self.credential.resource(ctx)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        self.credential.change(ctx, |all, i| {
            all.remove(i);
            Ok(())
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MasterKey;

    #[test]
    fn passwords_are_fresh_and_sealed_to_their_credential() {
        let sealer = Sealer::new(&MasterKey::from_bytes([3; 32]));
        let a = new_password();
        assert_eq!(a.expose().len(), 44);
        assert_ne!(a.expose(), new_password().expose());
        let sealed = seal(&sealer, "ACCAAAAAAAAAAAAAAAAAA", &a).unwrap();
        assert!(!serde_json::to_string(&sealed).unwrap().contains(a.expose()));
        assert_eq!(sealer.open("service-credential/ACCAAAAAAAAAAAAAAAAAA", &sealed).unwrap().expose(), a.expose());
        assert!(sealer.open("service-credential/ACCABBBBBBBBBBBBBBBBB", &sealed).is_err());
    }
}
