//! Typed reads and writes inside one transaction.

use std::cell::RefCell;

use super::codec::{decode, encode};
use super::crypto::Sealer;
use super::engine::{Table, TxError, TxOps};
use super::records::{
    AccessKeyRecord, AccountRecord, CredentialRecord, GroupRecord, InstanceProfileRecord, ManagedPolicyRecord,
    RoleRecord, UserRecord, entity_key,
};
use crate::error::AwsError;

/// What a transaction step returns; `?` on an [`AwsError`] aborts the transaction with it.
pub type TxResult<T> = Result<T, TxError>;

/// Aborts the transaction with `e`.
///
/// # Errors
/// Always.
pub fn abort<T>(e: AwsError) -> TxResult<T> {
    Err(TxError::Abort(e))
}

/// One transaction's view of the tables.
pub struct Tx<'a> {
    pub(super) ops: &'a dyn TxOps,
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
        self.read(Table::Accounts, id.as_bytes())
    }

    /// The account's record, or a new one when the account has none yet.
    pub fn account_or_new(&self, id: &str) -> TxResult<AccountRecord> {
        Ok(self.account(id)?.unwrap_or_else(|| AccountRecord { id: id.to_owned(), ..AccountRecord::default() }))
    }

    pub fn put_account(&self, account: &AccountRecord) -> TxResult<()> {
        self.touch(&account.id);
        self.ops.put(Table::Accounts, account.id.as_bytes(), &encode(account)?)?;
        Ok(())
    }

    pub fn user(&self, account: &str, name: &str) -> TxResult<Option<UserRecord>> {
        self.read(Table::Users, &entity_key(account, name))
    }

    pub fn put_user(&self, user: &UserRecord) -> TxResult<()> {
        self.touch(&user.account);
        let key = entity_key(&user.account, &user.name);
        self.ops.put(Table::UserIds, user.id.as_bytes(), key.as_slice())?;
        self.ops.put(Table::Users, &key, &encode(user)?)?;
        Ok(())
    }

    pub fn remove_user(&self, account: &str, name: &str) -> TxResult<()> {
        self.touch(account);
        let key = entity_key(account, name);
        if let Some(old) = self.read::<UserRecord>(Table::Users, &key)? {
            // A rename puts the new name after removing the old one: the index follows.
            if self.ops.get(Table::UserIds, old.id.as_bytes())?.is_some_and(|k| k == key) {
                self.ops.remove(Table::UserIds, old.id.as_bytes())?;
            }
        }
        self.ops.remove(Table::Users, &key)?;
        Ok(())
    }

    /// The user whose IAM user id is `id`.
    pub fn user_by_id(&self, id: &str) -> TxResult<Option<UserRecord>> {
        match self.ops.get(Table::UserIds, id.as_bytes())? {
            Some(key) => self.read(Table::Users, &key),
            None => Ok(None),
        }
    }

    /// The account that holds `alias`.
    pub fn alias_owner(&self, alias: &str) -> TxResult<Option<String>> {
        Ok(self.ops.get(Table::Aliases, alias.as_bytes())?.map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    pub fn put_alias(&self, alias: &str, account: &str) -> TxResult<()> {
        self.touch(account);
        self.ops.put(Table::Aliases, alias.as_bytes(), account.as_bytes())?;
        Ok(())
    }

    pub fn remove_alias(&self, alias: &str) -> TxResult<()> {
        if let Some(account) = self.alias_owner(alias)? {
            self.touch(&account);
        }
        self.ops.remove(Table::Aliases, alias.as_bytes())?;
        Ok(())
    }

    pub fn credential(&self, id: &str) -> TxResult<Option<CredentialRecord>> {
        self.read(Table::Credentials, id.as_bytes())
    }

    pub fn put_credential(&self, credential: &CredentialRecord) -> TxResult<()> {
        self.touch(&credential.account);
        self.ops.put(Table::Credentials, credential.id.as_bytes(), &encode(credential)?)?;
        Ok(())
    }

    pub fn remove_credential(&self, id: &str) -> TxResult<()> {
        if let Some(old) = self.credential(id)? {
            self.touch(&old.account);
        }
        self.ops.remove(Table::Credentials, id.as_bytes())?;
        Ok(())
    }

    pub fn access_key(&self, id: &str) -> TxResult<Option<AccessKeyRecord>> {
        self.read(Table::AccessKeys, id.as_bytes())
    }

    /// Replaces an existing key's record (status changes, renames of its user).
    pub fn put_access_key(&self, key: &AccessKeyRecord) -> TxResult<()> {
        self.touch(&key.account);
        self.touched.borrow_mut().keys = true;
        self.ops.put(Table::AccessKeys, key.id.as_bytes(), &encode(key)?)?;
        Ok(())
    }

    /// Stores a new key; `false` (and nothing written) when its id is already taken, so a
    /// random id that collides never overwrites another key.
    pub fn insert_access_key(&self, key: &AccessKeyRecord) -> TxResult<bool> {
        if self.ops.get(Table::AccessKeys, key.id.as_bytes())?.is_some() {
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
        self.ops.remove(Table::AccessKeys, id.as_bytes())?;
        // Its last use goes with it, in the same commit.
        self.ops.remove(Table::LastUsed, id.as_bytes())?;
        Ok(())
    }

    pub fn group(&self, account: &str, name: &str) -> TxResult<Option<GroupRecord>> {
        self.read(Table::Groups, &entity_key(account, name))
    }

    pub fn put_group(&self, group: &GroupRecord) -> TxResult<()> {
        self.touch(&group.account);
        self.ops.put(Table::Groups, &entity_key(&group.account, &group.name), &encode(group)?)?;
        Ok(())
    }

    pub fn remove_group(&self, account: &str, name: &str) -> TxResult<()> {
        self.touch(account);
        self.ops.remove(Table::Groups, &entity_key(account, name))?;
        Ok(())
    }

    pub fn policy(&self, account: &str, name: &str) -> TxResult<Option<ManagedPolicyRecord>> {
        self.read(Table::Policies, &entity_key(account, name))
    }

    pub fn put_policy(&self, policy: &ManagedPolicyRecord) -> TxResult<()> {
        self.touch(&policy.account);
        self.ops.put(Table::Policies, &entity_key(&policy.account, &policy.store_name()), &encode(policy)?)?;
        Ok(())
    }

    pub fn role(&self, account: &str, name: &str) -> TxResult<Option<RoleRecord>> {
        self.read(Table::Roles, &entity_key(account, name))
    }

    pub fn put_role(&self, role: &RoleRecord) -> TxResult<()> {
        self.touch(&role.account);
        self.ops.put(Table::Roles, &entity_key(&role.account, &role.name), &encode(role)?)?;
        Ok(())
    }

    pub fn remove_role(&self, account: &str, name: &str) -> TxResult<()> {
        self.touch(account);
        self.ops.remove(Table::Roles, &entity_key(account, name))?;
        Ok(())
    }

    pub fn instance_profile(&self, account: &str, name: &str) -> TxResult<Option<InstanceProfileRecord>> {
        self.read(Table::InstanceProfiles, &entity_key(account, name))
    }

    pub fn put_instance_profile(&self, profile: &InstanceProfileRecord) -> TxResult<()> {
        self.touch(&profile.account);
        self.ops.put(Table::InstanceProfiles, &entity_key(&profile.account, &profile.name), &encode(profile)?)?;
        Ok(())
    }

    pub fn remove_instance_profile(&self, account: &str, name: &str) -> TxResult<()> {
        self.touch(account);
        self.ops.remove(Table::InstanceProfiles, &entity_key(account, name))?;
        Ok(())
    }

    pub fn remove_policy(&self, account: &str, name: &str) -> TxResult<()> {
        self.touch(account);
        self.ops.remove(Table::Policies, &entity_key(account, name))?;
        Ok(())
    }
}

impl Tx<'_> {
    fn read<T: serde::de::DeserializeOwned>(&self, table: Table, key: &[u8]) -> TxResult<Option<T>> {
        match self.ops.get(table, key)? {
            Some(v) => Ok(Some(decode(&v)?)),
            None => Ok(None),
        }
    }
}
