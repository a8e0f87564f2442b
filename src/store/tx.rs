//! Typed reads and writes inside one transaction.

use std::cell::RefCell;

use sled::transaction::{ConflictableTransactionError, TransactionalTree};

use super::codec::{decode, encode};
use super::crypto::Sealer;
use super::records::{
    AccessKeyRecord, AccountRecord, CredentialRecord, GroupRecord, InstanceProfileRecord, ManagedPolicyRecord,
    RoleRecord, UserRecord, entity_key,
};
use crate::error::AwsError;

/// What a transaction step returns; `?` on an [`AwsError`] aborts the transaction with it.
pub type TxResult<T> = Result<T, ConflictableTransactionError<AwsError>>;

impl From<AwsError> for ConflictableTransactionError<AwsError> {
    fn from(e: AwsError) -> Self {
        Self::Abort(e)
    }
}

/// Aborts the transaction with `e`.
///
/// # Errors
/// Always.
pub fn abort<T>(e: AwsError) -> TxResult<T> {
    Err(ConflictableTransactionError::Abort(e))
}

/// One transaction's view of the trees.
pub struct Tx<'a> {
    pub(super) accounts: &'a TransactionalTree,
    pub(super) users: &'a TransactionalTree,
    pub(super) access_keys: &'a TransactionalTree,
    pub(super) groups: &'a TransactionalTree,
    pub(super) policies: &'a TransactionalTree,
    pub(super) roles: &'a TransactionalTree,
    pub(super) credentials: &'a TransactionalTree,
    pub(super) user_ids: &'a TransactionalTree,
    pub(super) aliases: &'a TransactionalTree,
    pub(super) instance_profiles: &'a TransactionalTree,
    pub(super) sealer: &'a Sealer,
    pub(super) touched: &'a RefCell<Touched>,
}

/// What a transaction changed, so the read view can drop what it no longer matches.
#[derive(Default)]
pub(super) struct Touched {
    pub accounts: Vec<String>,
    /// Whether any access key changed.
    pub keys: bool,
}

impl Touched {
    fn account(&mut self, account: &str) {
        if !self.accounts.iter().any(|a| a == account) {
            self.accounts.push(account.to_owned());
        }
    }
}

impl Tx<'_> {
    #[must_use]
    pub fn sealer(&self) -> &Sealer {
        self.sealer
    }

    fn touch(&self, account: &str) {
        self.touched.borrow_mut().account(account);
    }

    pub fn account(&self, id: &str) -> TxResult<Option<AccountRecord>> {
        read(self.accounts, id.as_bytes())
    }

    /// The account's record, or a new one when the account has none yet.
    pub fn account_or_new(&self, id: &str) -> TxResult<AccountRecord> {
        Ok(self.account(id)?.unwrap_or_else(|| AccountRecord { id: id.to_owned(), ..AccountRecord::default() }))
    }

    pub fn put_account(&self, account: &AccountRecord) -> TxResult<()> {
        self.touch(&account.id);
        self.accounts.insert(account.id.as_bytes(), encode(account)?)?;
        Ok(())
    }

    pub fn user(&self, account: &str, name: &str) -> TxResult<Option<UserRecord>> {
        read(self.users, &entity_key(account, name))
    }

    pub fn put_user(&self, user: &UserRecord) -> TxResult<()> {
        self.touch(&user.account);
        let key = entity_key(&user.account, &user.name);
        self.user_ids.insert(user.id.as_bytes(), key.as_slice())?;
        self.users.insert(key, encode(user)?)?;
        Ok(())
    }

    pub fn remove_user(&self, account: &str, name: &str) -> TxResult<()> {
        self.touch(account);
        let key = entity_key(account, name);
        if let Some(old) = read::<UserRecord>(self.users, &key)? {
            // A rename puts the new name after removing the old one: the index follows.
            if self.user_ids.get(old.id.as_bytes())?.is_some_and(|k| *k == *key) {
                self.user_ids.remove(old.id.as_bytes())?;
            }
        }
        self.users.remove(key)?;
        Ok(())
    }

    /// The user whose IAM user id is `id`.
    pub fn user_by_id(&self, id: &str) -> TxResult<Option<UserRecord>> {
        match self.user_ids.get(id.as_bytes())? {
            Some(key) => read(self.users, &key),
            None => Ok(None),
        }
    }

    /// The account that holds `alias`.
    pub fn alias_owner(&self, alias: &str) -> TxResult<Option<String>> {
        Ok(self.aliases.get(alias.as_bytes())?.map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    pub fn put_alias(&self, alias: &str, account: &str) -> TxResult<()> {
        self.touch(account);
        self.aliases.insert(alias.as_bytes(), account.as_bytes())?;
        Ok(())
    }

    pub fn remove_alias(&self, alias: &str) -> TxResult<()> {
        if let Some(account) = self.alias_owner(alias)? {
            self.touch(&account);
        }
        self.aliases.remove(alias.as_bytes())?;
        Ok(())
    }

    pub fn credential(&self, id: &str) -> TxResult<Option<CredentialRecord>> {
        read(self.credentials, id.as_bytes())
    }

    pub fn put_credential(&self, credential: &CredentialRecord) -> TxResult<()> {
        self.touch(&credential.account);
        self.credentials.insert(credential.id.as_bytes(), encode(credential)?)?;
        Ok(())
    }

    pub fn remove_credential(&self, id: &str) -> TxResult<()> {
        if let Some(old) = self.credential(id)? {
            self.touch(&old.account);
        }
        self.credentials.remove(id.as_bytes())?;
        Ok(())
    }

    pub fn access_key(&self, id: &str) -> TxResult<Option<AccessKeyRecord>> {
        read(self.access_keys, id.as_bytes())
    }

    /// Replaces an existing key's record (status changes, renames of its user).
    pub fn put_access_key(&self, key: &AccessKeyRecord) -> TxResult<()> {
        self.touch(&key.account);
        self.touched.borrow_mut().keys = true;
        self.access_keys.insert(key.id.as_bytes(), encode(key)?)?;
        Ok(())
    }

    /// Stores a new key; `false` (and nothing written) when its id is already taken, so a
    /// random id that collides never overwrites another key.
    pub fn insert_access_key(&self, key: &AccessKeyRecord) -> TxResult<bool> {
        if self.access_keys.get(key.id.as_bytes())?.is_some() {
            return Ok(false);
        }
        self.put_access_key(key)?;
        Ok(true)
    }

    pub fn remove_access_key(&self, id: &str) -> TxResult<()> {
        if let Some(old) = self.access_key(id)? {
            self.touch(&old.account);
        }
        self.touched.borrow_mut().keys = true;
        self.access_keys.remove(id.as_bytes())?;
        Ok(())
    }

    pub fn group(&self, account: &str, name: &str) -> TxResult<Option<GroupRecord>> {
        read(self.groups, &entity_key(account, name))
    }

    pub fn put_group(&self, group: &GroupRecord) -> TxResult<()> {
        self.touch(&group.account);
        self.groups.insert(entity_key(&group.account, &group.name), encode(group)?)?;
        Ok(())
    }

    pub fn remove_group(&self, account: &str, name: &str) -> TxResult<()> {
        self.touch(account);
        self.groups.remove(entity_key(account, name))?;
        Ok(())
    }

    pub fn policy(&self, account: &str, name: &str) -> TxResult<Option<ManagedPolicyRecord>> {
        read(self.policies, &entity_key(account, name))
    }

    pub fn put_policy(&self, policy: &ManagedPolicyRecord) -> TxResult<()> {
        self.touch(&policy.account);
        self.policies.insert(entity_key(&policy.account, &policy.store_name()), encode(policy)?)?;
        Ok(())
    }

    pub fn role(&self, account: &str, name: &str) -> TxResult<Option<RoleRecord>> {
        read(self.roles, &entity_key(account, name))
    }

    pub fn put_role(&self, role: &RoleRecord) -> TxResult<()> {
        self.touch(&role.account);
        self.roles.insert(entity_key(&role.account, &role.name), encode(role)?)?;
        Ok(())
    }

    pub fn remove_role(&self, account: &str, name: &str) -> TxResult<()> {
        self.touch(account);
        self.roles.remove(entity_key(account, name))?;
        Ok(())
    }

    pub fn instance_profile(&self, account: &str, name: &str) -> TxResult<Option<InstanceProfileRecord>> {
        read(self.instance_profiles, &entity_key(account, name))
    }

    pub fn put_instance_profile(&self, profile: &InstanceProfileRecord) -> TxResult<()> {
        self.touch(&profile.account);
        self.instance_profiles.insert(entity_key(&profile.account, &profile.name), encode(profile)?)?;
        Ok(())
    }

    pub fn remove_instance_profile(&self, account: &str, name: &str) -> TxResult<()> {
        self.touch(account);
        self.instance_profiles.remove(entity_key(account, name))?;
        Ok(())
    }

    pub fn remove_policy(&self, account: &str, name: &str) -> TxResult<()> {
        self.touch(account);
        self.policies.remove(entity_key(account, name))?;
        Ok(())
    }
}

fn read<T: serde::de::DeserializeOwned>(tree: &TransactionalTree, key: &[u8]) -> TxResult<Option<T>> {
    match tree.get(key)? {
        Some(v) => Ok(Some(decode(&v)?)),
        None => Ok(None),
    }
}
