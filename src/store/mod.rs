//! Persistent state behind a small typed API. sled is the embedded engine; nothing outside this
//! module names it, so a shared database can take its place for a fleet.
//!
//! Layout: one tree per record kind; keys lead with the account id so accounts never mix.
//! Every change goes through [`Store::transact`], and the server calls [`Store::flush`] before
//! acknowledging a mutating request.

mod crypto;
mod last_used;
pub mod records;
mod tx;

use std::path::Path;

pub use crypto::{MasterKey, SealedSecret, Sealer};
pub use last_used::LastUsedTracker;
pub use records::{
    AccessKeyRecord, AccountRecord, Attachment, EntityKind, GroupRecord, InlinePolicy, KeyLastUsed, KeyStatus,
    ManagedPolicyRecord, PolicyHolding, PolicyVersionRecord, RoleRecord, UserRecord,
};
pub use tx::{Tx, TxResult, abort};

use crate::error::AwsError;
use crate::sigv4::SecretKey;

/// The record format this build writes; older formats are migrated on open.
pub const FORMAT_VERSION: u32 = 1;

/// The database and the key that seals secrets in it.
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    trees: Trees,
    sealer: Sealer,
}

#[derive(Clone)]
struct Trees {
    meta: sled::Tree,
    accounts: sled::Tree,
    users: sled::Tree,
    access_keys: sled::Tree,
    groups: sled::Tree,
    policies: sled::Tree,
    roles: sled::Tree,
    last_used: sled::Tree,
}

/// A failure to open the data directory.
#[derive(Debug)]
pub struct OpenError(pub String);

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for OpenError {}

impl Store {
    /// Opens (or creates) the database in `dir`, sealing secrets with `master`.
    ///
    /// # Errors
    /// When the directory cannot be used or holds data of a newer format.
    pub fn open(dir: &Path, master: &MasterKey) -> Result<Self, OpenError> {
        let db = sled::Config::new()
            .path(dir.join("db"))
            .open()
            .map_err(|e| OpenError(format!("cannot open database in {}: {e}", dir.display())))?;
        let tree = |name: &str| db.open_tree(name).map_err(|e| OpenError(format!("cannot open tree {name}: {e}")));
        let trees = Trees {
            meta: tree("meta")?,
            accounts: tree("accounts")?,
            users: tree("users")?,
            access_keys: tree("access_keys")?,
            groups: tree("groups")?,
            policies: tree("managed_policies")?,
            roles: tree("roles")?,
            last_used: tree("access_key_last_used")?,
        };
        let store = Self { db, trees, sealer: Sealer::new(master) };
        store.check_format()?;
        Ok(store)
    }

    fn check_format(&self) -> Result<(), OpenError> {
        let meta = &self.trees.meta;
        match meta.get("format_version").map_err(|e| OpenError(e.to_string()))? {
            None => {
                meta.insert("format_version", FORMAT_VERSION.to_string().as_bytes())
                    .map_err(|e| OpenError(e.to_string()))?;
                self.db.flush().map_err(|e| OpenError(e.to_string()))?;
                Ok(())
            }
            Some(v) => {
                let found: u32 = std::str::from_utf8(&v).ok().and_then(|s| s.parse().ok()).unwrap_or(u32::MAX);
                if found > FORMAT_VERSION {
                    return Err(OpenError(format!(
                        "data format {found} is newer than this build understands ({FORMAT_VERSION})"
                    )));
                }
                Ok(())
            }
        }
    }

    /// Runs `f` atomically over every tree. `f` may run more than once when transactions
    /// conflict, so it must not have side effects outside `tx` (draw random ids before calling).
    ///
    /// # Errors
    /// The error `f` aborted with, or `ServiceFailure` when the engine fails.
    pub fn transact<T>(&self, f: impl Fn(&Tx<'_>) -> TxResult<T>) -> Result<T, AwsError> {
        use sled::Transactional;
        let t = &self.trees;
        (&t.accounts, &t.users, &t.access_keys, &t.groups, &t.policies, &t.roles)
            .transaction(|(accounts, users, access_keys, groups, policies, roles)| {
                f(&Tx { accounts, users, access_keys, groups, policies, roles, sealer: &self.sealer })
            })
            .map_err(|e| match e {
                sled::transaction::TransactionError::Abort(e) => e,
                sled::transaction::TransactionError::Storage(e) => AwsError::internal(&e),
            })
    }

    /// Makes every change so far durable. Concurrent callers share one disk flush.
    ///
    /// # Errors
    /// `ServiceFailure` when the disk write fails.
    pub async fn flush(&self) -> Result<(), AwsError> {
        self.db.flush_async().await.map(|_| ()).map_err(|e| AwsError::internal(&e))
    }

    /// Synchronous flush for shutdown paths.
    ///
    /// # Errors
    /// `ServiceFailure` when the disk write fails.
    pub fn flush_blocking(&self) -> Result<(), AwsError> {
        self.db.flush().map(|_| ()).map_err(|e| AwsError::internal(&e))
    }

    #[must_use]
    pub fn sealer(&self) -> &Sealer {
        &self.sealer
    }

    /// One user by name (names are unique regardless of case, as in IAM).
    ///
    /// # Errors
    /// `ServiceFailure` on engine or decoding failure.
    pub fn user(&self, account: &str, name: &str) -> Result<Option<UserRecord>, AwsError> {
        get(&self.trees.users, &records::entity_key(account, name))
    }

    /// One access key by id, from any account (ids are globally unique).
    ///
    /// # Errors
    /// `ServiceFailure` on engine or decoding failure.
    pub fn access_key(&self, id: &str) -> Result<Option<AccessKeyRecord>, AwsError> {
        get(&self.trees.access_keys, id.as_bytes())
    }

    /// An account's record, if it has been created.
    ///
    /// # Errors
    /// `ServiceFailure` on engine or decoding failure.
    pub fn account(&self, id: &str) -> Result<Option<AccountRecord>, AwsError> {
        get(&self.trees.accounts, id.as_bytes())
    }

    /// Users of `account` in name order; see [`list`].
    ///
    /// # Errors
    /// `ServiceFailure` on engine or decoding failure.
    pub fn users(
        &self,
        account: &str,
        from: Option<&str>,
        limit: usize,
        keep: impl Fn(&UserRecord) -> bool,
    ) -> Result<Vec<UserRecord>, AwsError> {
        list(&self.trees.users, account, from, limit, keep)
    }

    /// Groups of `account` in name order; see [`list`].
    ///
    /// # Errors
    /// `ServiceFailure` on engine or decoding failure.
    pub fn groups(
        &self,
        account: &str,
        from: Option<&str>,
        limit: usize,
        keep: impl Fn(&GroupRecord) -> bool,
    ) -> Result<Vec<GroupRecord>, AwsError> {
        list(&self.trees.groups, account, from, limit, keep)
    }

    /// Managed policies of `account` in name order; see [`list`].
    ///
    /// # Errors
    /// `ServiceFailure` on engine or decoding failure.
    pub fn policies(
        &self,
        account: &str,
        from: Option<&str>,
        limit: usize,
        keep: impl Fn(&ManagedPolicyRecord) -> bool,
    ) -> Result<Vec<ManagedPolicyRecord>, AwsError> {
        list(&self.trees.policies, account, from, limit, keep)
    }

    /// Roles of `account` in name order; see [`list`].
    ///
    /// # Errors
    /// `ServiceFailure` on engine or decoding failure.
    pub fn roles(
        &self,
        account: &str,
        from: Option<&str>,
        limit: usize,
        keep: impl Fn(&RoleRecord) -> bool,
    ) -> Result<Vec<RoleRecord>, AwsError> {
        list(&self.trees.roles, account, from, limit, keep)
    }

    /// One role by name.
    ///
    /// # Errors
    /// `ServiceFailure` on engine or decoding failure.
    pub fn role(&self, account: &str, name: &str) -> Result<Option<RoleRecord>, AwsError> {
        get(&self.trees.roles, &records::entity_key(account, name))
    }

    /// The key that seals session tokens, created on first use and kept (sealed under the master
    /// key) in the metadata tree so tokens survive restarts. Returns its id and bytes.
    ///
    /// # Errors
    /// `ServiceFailure` on engine failure.
    pub fn token_key(&self) -> Result<(String, SecretKey), AwsError> {
        const ID: &str = "1";
        let record_key = format!("token_key/{ID}");
        let aad = format!("token-key/{ID}");
        if let Some(v) = self.trees.meta.get(&record_key).map_err(|e| AwsError::internal(&e))? {
            let sealed: SealedSecret = decode(&v)?;
            return Ok((ID.to_owned(), self.sealer.open(&aad, &sealed)?));
        }
        let fresh = SecretKey::new(crate::ids::new_secret() + &crate::ids::new_secret());
        let sealed = self.sealer.seal(&aad, &fresh)?;
        // Another thread may have raced us: keep whichever landed first.
        let won = self
            .trees
            .meta
            .compare_and_swap(&record_key, None as Option<&[u8]>, Some(encode(&sealed)?))
            .map_err(|e| AwsError::internal(&e))?
            .is_ok();
        if !won {
            return self.token_key();
        }
        self.db.flush().map_err(|e| AwsError::internal(&e))?;
        Ok((ID.to_owned(), fresh))
    }

    /// One group by name.
    ///
    /// # Errors
    /// `ServiceFailure` on engine or decoding failure.
    pub fn group(&self, account: &str, name: &str) -> Result<Option<GroupRecord>, AwsError> {
        get(&self.trees.groups, &records::entity_key(account, name))
    }

    /// One managed policy by name.
    ///
    /// # Errors
    /// `ServiceFailure` on engine or decoding failure.
    pub fn policy(&self, account: &str, name: &str) -> Result<Option<ManagedPolicyRecord>, AwsError> {
        get(&self.trees.policies, &records::entity_key(account, name))
    }

    /// Last-use records persisted so far.
    ///
    /// # Errors
    /// `ServiceFailure` on engine or decoding failure.
    pub fn key_last_used(&self, id: &str) -> Result<Option<KeyLastUsed>, AwsError> {
        get(&self.trees.last_used, id.as_bytes())
    }

    /// Persists a batch of last-use records (from memory, not on the request path).
    ///
    /// # Errors
    /// `ServiceFailure` on engine failure.
    pub fn save_last_used(&self, batch: &[(String, KeyLastUsed)]) -> Result<(), AwsError> {
        let mut b = sled::Batch::default();
        for (id, used) in batch {
            b.insert(id.as_bytes(), encode(used)?);
        }
        self.trees.last_used.apply_batch(b).map_err(|e| AwsError::internal(&e))
    }

    /// Drops last-use data of keys that no longer exist.
    ///
    /// # Errors
    /// `ServiceFailure` on engine failure.
    pub fn forget_last_used(&self, id: &str) -> Result<(), AwsError> {
        self.trees.last_used.remove(id.as_bytes()).map(|_| ()).map_err(|e| AwsError::internal(&e))
    }
}

/// Records of `account` in lowercased-name order, starting at the name `from`, keeping those
/// `keep` accepts; stops after `limit` + 1 so the caller can tell whether more remain.
fn list<T: serde::de::DeserializeOwned>(
    tree: &sled::Tree,
    account: &str,
    from: Option<&str>,
    limit: usize,
    keep: impl Fn(&T) -> bool,
) -> Result<Vec<T>, AwsError> {
    let prefix = records::entity_key(account, "");
    let start = from.map_or_else(|| prefix.clone(), |f| records::entity_key(account, f));
    let mut out = Vec::new();
    for item in tree.range(start..) {
        let (k, v) = item.map_err(|e| AwsError::internal(&e))?;
        if !k.starts_with(&prefix) {
            break;
        }
        let record: T = decode(&v)?;
        if keep(&record) {
            out.push(record);
            if out.len() > limit {
                break;
            }
        }
    }
    Ok(out)
}

fn get<T: serde::de::DeserializeOwned>(tree: &sled::Tree, key: &[u8]) -> Result<Option<T>, AwsError> {
    match tree.get(key).map_err(|e| AwsError::internal(&e))? {
        Some(v) => decode(&v).map(Some),
        None => Ok(None),
    }
}

pub(crate) fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, AwsError> {
    serde_json::from_slice(bytes).map_err(|e| AwsError::internal(&format!("corrupt record: {e}")))
}

pub(crate) fn encode<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, AwsError> {
    serde_json::to_vec(value).map_err(|e| AwsError::internal(&e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Tag;

    fn user(account: &str, name: &str) -> UserRecord {
        UserRecord {
            account: account.into(),
            name: name.into(),
            id: crate::ids::new_id(crate::ids::IdKind::User),
            path: "/".into(),
            create_date: time::OffsetDateTime::UNIX_EPOCH,
            tags: vec![Tag { key: "k".into(), value: account.into() }],
            access_keys: vec![],
            groups: vec![],
            policies: PolicyHolding::default(),
            permissions_boundary: None,
        }
    }

    #[test]
    fn accounts_never_see_each_others_records() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), &MasterKey::from_bytes([1; 32])).unwrap();
        store.transact(|tx| tx.put_user(&user("111111111111", "alice"))).unwrap();
        store.transact(|tx| tx.put_user(&user("222222222222", "alice"))).unwrap();
        store.transact(|tx| tx.put_user(&user("222222222222", "bob"))).unwrap();
        let a = store.users("111111111111", None, 100, |_| true).unwrap();
        assert_eq!(
            a.iter().map(|u| (u.name.as_str(), u.tags[0].value.as_str())).collect::<Vec<_>>(),
            [("alice", "111111111111")]
        );
        assert_eq!(store.users("222222222222", None, 100, |_| true).unwrap().len(), 2);
        assert!(store.user("333333333333", "alice").unwrap().is_none());
        // An account id that is a prefix of another's sees nothing of it.
        assert!(store.users("22222222222", None, 100, |_| true).unwrap().is_empty());
    }

    #[test]
    fn records_survive_reopening_and_the_format_is_checked() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path(), &MasterKey::from_bytes([1; 32])).unwrap();
            store.transact(|tx| tx.put_user(&user("111111111111", "alice"))).unwrap();
            store.flush_blocking().unwrap();
        }
        let store = Store::open(dir.path(), &MasterKey::from_bytes([1; 32])).unwrap();
        assert!(store.user("111111111111", "ALICE").unwrap().is_some(), "names compare without case");
        store.trees.meta.insert("format_version", b"99").unwrap();
        drop(store);
        assert!(Store::open(dir.path(), &MasterKey::from_bytes([1; 32])).is_err());
    }
}
