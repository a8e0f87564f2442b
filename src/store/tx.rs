//! Typed reads and writes inside one transaction.

use sled::transaction::{ConflictableTransactionError, TransactionalTree};

use super::crypto::Sealer;
use super::records::{AccessKeyRecord, AccountRecord, UserRecord, user_key};
use super::{decode, encode};
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
    accounts: &'a TransactionalTree,
    users: &'a TransactionalTree,
    access_keys: &'a TransactionalTree,
    sealer: &'a Sealer,
}

impl<'a> Tx<'a> {
    pub(super) fn new(
        accounts: &'a TransactionalTree,
        users: &'a TransactionalTree,
        access_keys: &'a TransactionalTree,
        sealer: &'a Sealer,
    ) -> Self {
        Self {
            accounts,
            users,
            access_keys,
            sealer,
        }
    }

    #[must_use]
    pub fn sealer(&self) -> &Sealer {
        self.sealer
    }

    pub fn account(&self, id: &str) -> TxResult<Option<AccountRecord>> {
        read(self.accounts, id.as_bytes())
    }

    pub fn put_account(&self, account: &AccountRecord) -> TxResult<()> {
        self.accounts
            .insert(account.id.as_bytes(), encode(account)?)?;
        Ok(())
    }

    pub fn user(&self, account: &str, name: &str) -> TxResult<Option<UserRecord>> {
        read(self.users, &user_key(account, name))
    }

    pub fn put_user(&self, user: &UserRecord) -> TxResult<()> {
        self.users
            .insert(user_key(&user.account, &user.name), encode(user)?)?;
        Ok(())
    }

    pub fn remove_user(&self, account: &str, name: &str) -> TxResult<()> {
        self.users.remove(user_key(account, name))?;
        Ok(())
    }

    pub fn access_key(&self, id: &str) -> TxResult<Option<AccessKeyRecord>> {
        read(self.access_keys, id.as_bytes())
    }

    pub fn put_access_key(&self, key: &AccessKeyRecord) -> TxResult<()> {
        self.access_keys.insert(key.id.as_bytes(), encode(key)?)?;
        Ok(())
    }

    pub fn remove_access_key(&self, id: &str) -> TxResult<()> {
        self.access_keys.remove(id.as_bytes())?;
        Ok(())
    }
}

fn read<T: serde::de::DeserializeOwned>(
    tree: &TransactionalTree,
    key: &[u8],
) -> TxResult<Option<T>> {
    match tree.get(key)? {
        Some(v) => Ok(Some(decode(&v)?)),
        None => Ok(None),
    }
}
