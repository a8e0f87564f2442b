//! What Keystone's side needs from the store besides IAM's records: users by id, stored
//! credentials, and the temporary keys STS issued (services such as Swift's s3token forward a
//! signature without the session token, so the key id alone must lead to its secret).

use std::sync::Arc;

use super::Store;
use super::codec::{decode, encode};
use super::engine::Table;
use super::records::{CredentialRecord, TemporaryKeyRecord, UserRecord};
use crate::error::AwsError;

impl Store {
    /// The user whose IAM user id (`AIDA…`) is `id`, from any account.
    ///
    /// # Errors
    /// `ServiceFailure` on engine or decoding failure.
    pub fn user_by_id(&self, id: &str) -> Result<Option<Arc<UserRecord>>, AwsError> {
        let Some(key) = self.engine().get(Table::UserIds, id.as_bytes())? else {
            return Ok(None);
        };
        let key = String::from_utf8_lossy(&key).into_owned();
        let Some((account, name)) = key.split_once('/') else { return Ok(None) };
        // The index names the user in lower case; the record has the stored spelling.
        Ok(self.user_arc(account, name)?.filter(|u| u.id == id))
    }

    /// The account that holds `alias`, if any.
    ///
    /// # Errors
    /// `ServiceFailure` on engine failure.
    pub fn alias_owner(&self, alias: &str) -> Result<Option<String>, AwsError> {
        let v = self.engine().get(Table::Aliases, alias.as_bytes())?;
        Ok(v.map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    /// One Keystone credential by id.
    ///
    /// # Errors
    /// `ServiceFailure` on engine or decoding failure.
    pub fn credential(&self, id: &str) -> Result<Option<CredentialRecord>, AwsError> {
        self.get(Table::Credentials, id.as_bytes())
    }

    /// The Keystone credentials of `account` that `keep` accepts, in id order.
    ///
    /// # Errors
    /// `ServiceFailure` on engine or decoding failure.
    pub fn credentials(
        &self,
        account: &str,
        keep: impl Fn(&CredentialRecord) -> bool,
    ) -> Result<Vec<CredentialRecord>, AwsError> {
        let mut out = Vec::new();
        self.engine().scan(Table::Credentials, b"", b"", &mut |_, value| {
            let c: CredentialRecord = decode(value)?;
            if c.account == account && keep(&c) {
                out.push(c);
            }
            Ok(true)
        })?;
        Ok(out)
    }

    /// Records a temporary key STS issued. Durable with the request's own commit.
    ///
    /// # Errors
    /// `ServiceFailure` on engine failure.
    pub fn put_temporary_key(&self, id: &str, record: &TemporaryKeyRecord) -> Result<(), AwsError> {
        // Both in one write: a record the expiry index does not name would never be pruned.
        self.apply(&[
            (Table::TemporaryExpiry, expiry_key(record.expires_at, id), Some(Vec::new())),
            (Table::TemporaryKeys, id.as_bytes().to_vec(), Some(encode(record)?)),
        ])
    }

    /// The record of temporary key `id`, if it was issued and not yet pruned.
    ///
    /// # Errors
    /// `ServiceFailure` on engine or decoding failure.
    pub fn temporary_key(&self, id: &str) -> Result<Option<TemporaryKeyRecord>, AwsError> {
        self.get(Table::TemporaryKeys, id.as_bytes())
    }

    /// Removes the records of temporary keys that expired before `now` (Unix seconds); returns
    /// how many went. Reads only the expired part of the expiry index.
    ///
    /// # Errors
    /// `ServiceFailure` on engine failure.
    pub fn prune_temporary_keys(&self, now: i64) -> Result<usize, AwsError> {
        let end = expiry_key(now, "");
        let mut writes = Vec::new();
        self.engine().scan(Table::TemporaryExpiry, b"", b"", &mut |key, _| {
            if key >= end.as_slice() {
                return Ok(false);
            }
            writes.push((Table::TemporaryKeys, key[8..].to_vec(), None));
            writes.push((Table::TemporaryExpiry, key.to_vec(), None));
            Ok(true)
        })?;
        if !writes.is_empty() {
            self.apply(&writes)?;
        }
        Ok(writes.len() / 2)
    }
}

/// Big-endian expiry then id: the index sorts by expiry.
fn expiry_key(expires_at: i64, id: &str) -> Vec<u8> {
    let mut k = u64::try_from(expires_at.max(0)).unwrap_or(0).to_be_bytes().to_vec();
    k.extend_from_slice(id.as_bytes());
    k
}
