//! UploadSSHPublicKey, GetSSHPublicKey, ListSSHPublicKeys, UpdateSSHPublicKey,
//! DeleteSSHPublicKey: a user's SSH public keys for CodeCommit (at most 5 per user).

use super::key_material;
use super::key_owner::{self, target_user, user_resource};
use super::pagination::{Page, PageRequest};
use crate::error::AwsError;
use crate::ids::{IdKind, new_id};
use crate::operation::{Ctx, Operation, Service};
use crate::protocol::rules::{KEY_STATUS, StrRule, USER_NAME};
use crate::protocol::{Params, WriteXml, XmlOut};
use crate::store::SshPublicKeyRecord;

/// IAM's quota of SSH public keys per user.
pub const MAX_KEYS_PER_USER: usize = 5;

const KEY_BODY: StrRule = StrRule {
    min: 1,
    max: 16384,
    pattern: r"[\u0009\u000A\u000D\u0020-\u00FF]+",
    matches: |s| s.chars().all(|c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{FF}')),
};
const KEY_ID: StrRule = StrRule {
    min: 20,
    max: 128,
    pattern: r"[\w]+",
    matches: |s| s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
};
const ENCODINGS: &[&str] = &["SSH", "PEM"];

fn no_such_key(id: &str) -> AwsError {
    AwsError::NoSuchEntity(format!("The Public Key with id {id} cannot be found."))
}

/// Output shape `{ SSHPublicKey }`, the body in the encoding asked for.
pub struct SshKeyResult {
    user: String,
    key: SshPublicKeyRecord,
    pem: bool,
}

impl WriteXml for SshKeyResult {
    fn write(&self, w: &mut XmlOut) {
        w.elem("SSHPublicKey", |w| {
            w.text("UserName", &self.user);
            w.text("SSHPublicKeyId", &self.key.id);
            w.text("Fingerprint", &self.key.fingerprint);
            w.text("SSHPublicKeyBody", if self.pem { &self.key.pem_body } else { &self.key.ssh_body });
            w.text("Status", self.key.status.as_str());
            w.time("UploadDate", self.key.upload_date);
        });
    }
}

pub struct UploadSshPublicKey {
    user: String,
    body: String,
}

impl Operation for UploadSshPublicKey {
    const NAME: &'static str = "UploadSSHPublicKey";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = SshKeyResult;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let user = f.str("UserName", &USER_NAME);
        let body = f.str("SSHPublicKeyBody", &KEY_BODY);
        f.finish()?;
        Ok(Self { user, body })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        user_resource(ctx, &self.user)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<SshKeyResult, AwsError> {
        let parsed = key_material::ssh_public_key(&self.body)?;
        let key = SshPublicKeyRecord {
            id: new_id(IdKind::SshPublicKey),
            ssh_body: parsed.ssh_body,
            pem_body: parsed.pem_body,
            fingerprint: parsed.fingerprint,
            status: crate::store::KeyStatus::Active,
            upload_date: ctx.now.replace_millisecond(0).unwrap_or(ctx.now),
        };
        let pem = self.body.trim_start().starts_with("-----BEGIN");
        let user = ctx.app.store.transact(|tx| {
            key_owner::update(tx, ctx.account(), &self.user, |user, held| {
                if held.ssh_public_keys.iter().any(|k| k.fingerprint == key.fingerprint) {
                    return Err(AwsError::DuplicateSshPublicKey(
                        "The SSH public key is already associated with the specified IAM user.".into(),
                    ));
                }
                if held.ssh_public_keys.len() >= MAX_KEYS_PER_USER {
                    return Err(AwsError::LimitExceeded(format!(
                        "Cannot exceed quota for PublicKeysPerUser: {MAX_KEYS_PER_USER}"
                    )));
                }
                held.ssh_public_keys.push(key.clone());
                Ok(user.name.clone())
            })
        })?;
        Ok(SshKeyResult { user, key, pem })
    }
}

pub struct GetSshPublicKey {
    user: String,
    id: String,
    pem: bool,
}

impl Operation for GetSshPublicKey {
    const NAME: &'static str = "GetSSHPublicKey";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = false;
    type Output = SshKeyResult;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let user = f.str("UserName", &USER_NAME);
        let id = f.str("SSHPublicKeyId", &KEY_ID);
        let encoding = f.enum_value("Encoding", ENCODINGS);
        f.finish()?;
        Ok(Self { user, id, pem: encoding == "PEM" })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        user_resource(ctx, &self.user)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<SshKeyResult, AwsError> {
        let user = key_owner::load_user(ctx, &self.user)?;
        let key = user
            .keys_and_certs
            .ssh_public_keys
            .iter()
            .find(|k| k.id == self.id)
            .ok_or_else(|| no_such_key(&self.id))?;
        Ok(SshKeyResult { user: user.name.clone(), key: key.clone(), pem: self.pem })
    }
}

pub struct ListSshPublicKeys {
    user: Option<String>,
    page: PageRequest,
}

pub struct ListSshPublicKeysResult {
    user: String,
    page: Page<SshPublicKeyRecord>,
}

impl WriteXml for ListSshPublicKeysResult {
    fn write(&self, w: &mut XmlOut) {
        w.list("SSHPublicKeys", &self.page.items, |w, k| {
            w.text("UserName", &self.user);
            w.text("SSHPublicKeyId", &k.id);
            w.text("Status", k.status.as_str());
            w.time("UploadDate", k.upload_date);
        });
        self.page.write_tail(w);
    }
}

impl Operation for ListSshPublicKeys {
    const NAME: &'static str = "ListSSHPublicKeys";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = false;
    type Output = ListSshPublicKeysResult;

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let user = f.opt_str("UserName", &USER_NAME);
        let page = PageRequest::read(&mut f);
        f.finish()?;
        Ok(Self { user, page })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        user_resource(ctx, &target_user(ctx, self.user.as_deref())?)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<ListSshPublicKeysResult, AwsError> {
        let user = key_owner::load_user(ctx, &target_user(ctx, self.user.as_deref())?)?;
        let page = self.page.page(user.keys_and_certs.ssh_public_keys.clone())?;
        Ok(ListSshPublicKeysResult { user: user.name.clone(), page })
    }
}

pub struct UpdateSshPublicKey {
    user: String,
    id: String,
    status: String,
}

impl Operation for UpdateSshPublicKey {
    const NAME: &'static str = "UpdateSSHPublicKey";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let user = f.str("UserName", &USER_NAME);
        let id = f.str("SSHPublicKeyId", &KEY_ID);
        let status = f.enum_value("Status", KEY_STATUS);
        f.finish()?;
        Ok(Self { user, id, status })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        user_resource(ctx, &self.user)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        let status = key_owner::status(&self.status);
        ctx.app.store.transact(|tx| {
            key_owner::update(tx, ctx.account(), &self.user, |_, held| {
                let key =
                    held.ssh_public_keys.iter_mut().find(|k| k.id == self.id).ok_or_else(|| no_such_key(&self.id))?;
                key.status = status;
                Ok(())
            })
        })
    }
}

pub struct DeleteSshPublicKey {
    user: String,
    id: String,
}

impl Operation for DeleteSshPublicKey {
    const NAME: &'static str = "DeleteSSHPublicKey";
    const SERVICE: Service = Service::Iam;
    const MUTATES: bool = true;
    type Output = ();

    fn parse(p: &Params) -> Result<Self, AwsError> {
        let mut f = p.fields();
        let user = f.str("UserName", &USER_NAME);
        let id = f.str("SSHPublicKeyId", &KEY_ID);
        f.finish()?;
        Ok(Self { user, id })
    }

    fn resource(&self, ctx: &Ctx<'_>) -> Result<String, AwsError> {
        user_resource(ctx, &self.user)
    }

    fn run(self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        ctx.app.store.transact(|tx| {
            key_owner::update(tx, ctx.account(), &self.user, |_, held| {
                let before = held.ssh_public_keys.len();
                held.ssh_public_keys.retain(|k| k.id != self.id);
                if held.ssh_public_keys.len() == before {
                    return Err(no_such_key(&self.id));
                }
                Ok(())
            })
        })
    }
}
