//! Re-sealing every secret of a store under a new master key (`iamd rotate-master-key`), in one
//! transaction: the store holds its secrets under the old key or under the new one, never a mix.
//! The check value of the key the secrets are under (`master_check` in the metadata tree) moves
//! in the same transaction, so that a start can tell which key file is the right one.

use sled::Transactional;

use super::aad;
use super::codec::{decode, encode};
use super::crypto::{MasterKey, SealedSecret, Sealer};
use super::records::{AccessKeyRecord, AccountRecord, CredentialRecord, UserRecord};
use super::trees::Trees;
use crate::error::AwsError;

/// Where the check value of the master key the secrets are sealed under is kept.
pub(super) const MASTER_CHECK: &str = "master_check";

/// Which of `keys` the secrets of the store whose metadata is `meta` are sealed under. A store
/// without a check value (older, or new) is judged by its first session-token key, which every
/// started store has; the check value is then recorded.
///
/// # Errors
/// None of them is that key.
pub(super) fn which_master_key(meta: &sled::Tree, keys: &[&MasterKey]) -> Result<usize, String> {
    let wrong = || {
        "the master key is not the one this data dir's secrets are sealed under (a wrong or replaced \
         master key file): iamd will not start with it"
            .to_owned()
    };
    let engine = |e: sled::Error| format!("cannot read the store's metadata: {e}");
    if keys.is_empty() {
        return Err(wrong());
    }
    if let Some(stored) = meta.get(MASTER_CHECK).map_err(engine)? {
        return keys.iter().position(|k| k.check_value().as_bytes() == &stored[..]).ok_or_else(wrong);
    }
    let current = meta.get("token_key_current").map_err(engine)?;
    let id = current.as_deref().map_or_else(|| "1".into(), String::from_utf8_lossy);
    let which = match meta.get(format!("token_key/{id}")).map_err(engine)? {
        None => 0,
        Some(v) => {
            let sealed: SealedSecret = decode(&v).map_err(|e| e.to_string())?;
            keys.iter().position(|k| Sealer::new(k).open(&aad::token_key(&id), &sealed).is_ok()).ok_or_else(wrong)?
        }
    };
    meta.insert(MASTER_CHECK, keys[which].check_value().as_bytes()).map_err(engine)?;
    Ok(which)
}

/// New values for one tree.
type Updates = Vec<(sled::IVec, Vec<u8>)>;

/// How many secrets a re-seal moved.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Resealed {
    pub secrets: usize,
}

struct Mover<'a> {
    from: &'a Sealer,
    to: Sealer,
    count: usize,
}

impl Mover<'_> {
    fn reseal(&mut self, aad: &str, sealed: &mut SealedSecret) -> Result<(), AwsError> {
        let secret = self.from.open(aad, sealed)?;
        *sealed = self.to.seal(aad, &secret)?;
        self.count += 1;
        Ok(())
    }
}

/// The new values of every record that holds a secret, re-sealed under another key.
pub(super) struct Plan {
    meta: Updates,
    accounts: Updates,
    users: Updates,
    keys: Updates,
    credentials: Updates,
    pub(super) secrets: usize,
}

/// Re-seals every secret (access keys, Keystone credentials, MFA seeds, service-credential
/// passwords, server-certificate keys, outbound federation keys, session-token keys) of `t`
/// from `from` to `to`, in memory, and moves the check value to `to`'s.
///
/// # Errors
/// A secret `from` does not open, or a record that does not decode.
pub(super) fn plan(t: &Trees, from: &Sealer, to: &MasterKey) -> Result<Plan, AwsError> {
    let mut m = Mover { from, to: Sealer::new(to), count: 0 };
    let mut meta = Updates::new();
    for entry in t.meta.scan_prefix("token_key/") {
        let (k, v) = entry.map_err(|e| AwsError::internal(&e))?;
        let id = String::from_utf8_lossy(&k["token_key/".len()..]).into_owned();
        let mut sealed: SealedSecret = decode(&v)?;
        m.reseal(&aad::token_key(&id), &mut sealed)?;
        meta.push((k, encode(&sealed)?));
    }
    meta.push((MASTER_CHECK.into(), to.check_value().into_bytes()));
    let accounts = each(&t.accounts, |a: &mut AccountRecord| {
        for c in &mut a.server_certificates {
            m.reseal(&aad::server_certificate(&c.id), &mut c.private_key)?;
        }
        for d in &mut a.mfa_devices {
            m.reseal(&aad::mfa_serial(&a.id, &d.path, &d.name), &mut d.seed)?;
        }
        if let Some(f) = &mut a.outbound_federation {
            m.reseal(&aad::outbound_key(&a.id, "RS256"), &mut f.rsa_key)?;
            m.reseal(&aad::outbound_key(&a.id, "ES384"), &mut f.ec_key)?;
        }
        Ok(())
    })?;
    let users = each(&t.users, |u: &mut UserRecord| {
        for c in &mut u.keys_and_certs.service_credentials {
            m.reseal(&aad::service_credential(&c.id), &mut c.password)?;
        }
        Ok(())
    })?;
    let keys = each(&t.access_keys, |k: &mut AccessKeyRecord| m.reseal(&k.id.clone(), &mut k.secret))?;
    let credentials = each(&t.credentials, |c: &mut CredentialRecord| m.reseal(&aad::credential(&c.id), &mut c.blob))?;
    Ok(Plan { meta, accounts, users, keys, credentials, secrets: m.count })
}

impl Plan {
    /// Writes every new value in one sled transaction: the store holds its secrets under the
    /// old key or under the new one, never a mix. The caller holds the commit lock and flushes.
    ///
    /// # Errors
    /// When the transaction fails (nothing is written then).
    pub(super) fn write(&self, t: &Trees) -> Result<(), AwsError> {
        let all = [&self.meta, &self.accounts, &self.users, &self.keys, &self.credentials];
        (&t.meta, &t.accounts, &t.users, &t.access_keys, &t.credentials)
            .transaction(|(tm, ta, tu, tk, tc)| {
                for (tree, updates) in [tm, ta, tu, tk, tc].into_iter().zip(all) {
                    for (k, v) in updates {
                        tree.insert(k.clone(), v.clone())?;
                    }
                }
                Ok::<_, sled::transaction::ConflictableTransactionError<()>>(())
            })
            .map_err(|e| AwsError::internal(&format!("re-sealing failed: {e:?}")))
    }
}

/// Decodes every record of `tree`, lets `f` change it, and returns the new values.
fn each<T: serde::de::DeserializeOwned + serde::Serialize>(
    tree: &sled::Tree,
    mut f: impl FnMut(&mut T) -> Result<(), AwsError>,
) -> Result<Updates, AwsError> {
    let mut out = Updates::new();
    for entry in tree.iter() {
        let (k, v) = entry.map_err(|e| AwsError::internal(&e))?;
        let mut record: T = decode(&v)?;
        f(&mut record)?;
        out.push((k, encode(&record)?));
    }
    Ok(out)
}
