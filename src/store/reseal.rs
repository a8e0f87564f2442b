//! Re-sealing every secret of a store under a new master key (`iamd rotate-master-key`), in one
//! transaction: the store holds its secrets under the old key or under the new one, never a mix.
//! The check value of the key the secrets are under (`master_check` in the metadata tree) moves
//! in the same transaction, so that a start can tell which key file is the right one.

use super::aad;
use super::codec::{decode, encode};
use super::crypto::{MasterKey, SealedSecret, Sealer};
use super::engine::{Engine, Table, Write};
use super::records::{AccessKeyRecord, AccountRecord, CredentialRecord, UserRecord};
use crate::error::AwsError;

/// Where the check value of the master key the secrets are sealed under is kept.
pub(super) const MASTER_CHECK: &str = "master_check";

/// Which of `keys` the secrets of the store whose metadata is `meta` are sealed under. A store
/// without a check value (older, or new) is judged by its first session-token key, which every
/// started store has; the check value is then recorded.
///
/// # Errors
/// None of them is that key.
pub(super) fn which_master_key(engine: &dyn Engine, keys: &[&MasterKey]) -> Result<usize, String> {
    let wrong = || {
        "the master key is not the one this data dir's secrets are sealed under (a wrong or replaced \
         master key file): iamd will not start with it"
            .to_owned()
    };
    let failed = |e: AwsError| format!("cannot read the store's metadata: {}", e.message());
    let meta = |k: &str| engine.get(Table::Meta, k.as_bytes()).map_err(failed);
    if keys.is_empty() {
        return Err(wrong());
    }
    let known = |stored: &[u8]| keys.iter().position(|k| k.check_value().as_bytes() == stored).ok_or_else(wrong);
    if let Some(stored) = meta(MASTER_CHECK)? {
        return known(&stored);
    }
    let current = meta("token_key_current")?;
    let id = current.as_deref().map_or_else(|| "1".into(), String::from_utf8_lossy);
    let which = match meta(&format!("token_key/{id}"))? {
        None => 0,
        Some(v) => {
            let sealed: SealedSecret = decode(&v).map_err(|e| e.to_string())?;
            keys.iter().position(|k| Sealer::new(k).open(&aad::token_key(&id), &sealed).is_ok()).ok_or_else(wrong)?
        }
    };
    // Replicas starting together on a new database race here: the first check value stays.
    if !engine.insert_new(Table::Meta, MASTER_CHECK.as_bytes(), keys[which].check_value().as_bytes()).map_err(failed)? {
        return known(&meta(MASTER_CHECK)?.unwrap_or_default());
    }
    Ok(which)
}

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

/// The new values of every record that holds a secret, re-sealed under another key, to be
/// written in one transaction: the store holds its secrets under the old key or under the new
/// one, never a mix.
pub(super) struct Plan {
    pub(super) writes: Vec<Write>,
    pub(super) secrets: usize,
}

/// Re-seals every secret (access keys, Keystone credentials, MFA seeds, service-credential
/// passwords, server-certificate keys, outbound federation keys, session-token keys) of `t`
/// from `from` to `to`, in memory, and moves the check value to `to`'s.
///
/// # Errors
/// A secret `from` does not open, or a record that does not decode.
pub(super) fn plan(engine: &dyn Engine, from: &Sealer, to: &MasterKey) -> Result<Plan, AwsError> {
    let mut m = Mover { from, to: Sealer::new(to), count: 0 };
    let mut writes = Vec::new();
    engine.scan(Table::Meta, b"token_key/", b"", &mut |k, v| {
        let id = String::from_utf8_lossy(&k["token_key/".len()..]).into_owned();
        let mut sealed: SealedSecret = decode(v)?;
        m.reseal(&aad::token_key(&id), &mut sealed)?;
        writes.push((Table::Meta, k.to_vec(), Some(encode(&sealed)?)));
        Ok(true)
    })?;
    writes.push((Table::Meta, MASTER_CHECK.as_bytes().to_vec(), Some(to.check_value().into_bytes())));
    each(engine, Table::Accounts, &mut writes, |a: &mut AccountRecord| {
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
    each(engine, Table::Users, &mut writes, |u: &mut UserRecord| {
        for c in &mut u.keys_and_certs.service_credentials {
            m.reseal(&aad::service_credential(&c.id), &mut c.password)?;
        }
        Ok(())
    })?;
    each(engine, Table::AccessKeys, &mut writes, |k: &mut AccessKeyRecord| m.reseal(&k.id.clone(), &mut k.secret))?;
    each(engine, Table::Credentials, &mut writes, |c: &mut CredentialRecord| {
        m.reseal(&aad::credential(&c.id), &mut c.blob)
    })?;
    Ok(Plan { writes, secrets: m.count })
}

/// Decodes every record of `table`, lets `f` change it, and adds the new values to `out`.
fn each<T: serde::de::DeserializeOwned + serde::Serialize>(
    engine: &dyn Engine,
    table: Table,
    out: &mut Vec<Write>,
    mut f: impl FnMut(&mut T) -> Result<(), AwsError>,
) -> Result<(), AwsError> {
    engine.scan(table, b"", b"", &mut |k, v| {
        let mut record: T = decode(v)?;
        f(&mut record)?;
        out.push((table, k.to_vec(), Some(encode(&record)?)));
        Ok(true)
    })
}
