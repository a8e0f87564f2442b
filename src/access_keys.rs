//! The lifecycle of long-term access keys, shared by IAM's actions and Keystone's EC2
//! credentials (one key, two APIs: the same 2-key quota, the same records). Each change is one
//! transaction; reads come from the store's view.

use time::OffsetDateTime;

use crate::error::AwsError;
use crate::iam::not_found::no_such_user;
use crate::ids::{IdKind, new_key_id, new_secret};
use crate::sigv4::SecretKey;
use crate::store::{AccessKeyRecord, KeyStatus, Store, Tx, TxResult, abort};

/// IAM's quota of access keys per user (and per root).
pub const MAX_KEYS_PER_USER: usize = 2;

/// Whose keys a request is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyOwner {
    Root,
    User(String),
}

impl KeyOwner {
    /// The owner's key ids, or NoSuchEntity for a user that does not exist.
    fn key_ids(&self, tx: &Tx<'_>, account: &str) -> TxResult<Vec<String>> {
        Ok(match self {
            Self::Root => tx.account(account)?.map(|a| a.root_access_keys).unwrap_or_default(),
            Self::User(name) => tx.user(account, name)?.ok_or_else(|| no_such_user(name))?.access_keys,
        })
    }

    /// Stores the owner's new list of key ids.
    fn set_key_ids(&self, tx: &Tx<'_>, account: &str, ids: Vec<String>) -> TxResult<()> {
        match self {
            Self::Root => {
                let mut a = tx.account_or_new(account)?;
                a.root_access_keys = ids;
                tx.put_account(&a)
            }
            Self::User(name) => {
                let mut u = tx.user(account, name)?.ok_or_else(|| no_such_user(name))?;
                u.access_keys = ids;
                tx.put_user(&u)
            }
        }
    }
}

#[must_use]
pub fn no_such_key(id: &str) -> AwsError {
    AwsError::NoSuchEntity(format!("The Access Key with id {id} cannot be found."))
}

/// The owner's key `id`, or NoSuchEntity when it is not theirs.
fn owned_key(tx: &Tx<'_>, account: &str, owner: &KeyOwner, id: &str) -> TxResult<AccessKeyRecord> {
    let ids = owner.key_ids(tx, account)?;
    if !ids.iter().any(|k| k == id) {
        return abort(no_such_key(id));
    }
    Ok(tx.access_key(id)?.ok_or_else(|| no_such_key(id))?)
}

/// Creates an active key for `owner`, within the quota; returns it with its secret.
///
/// # Errors
/// `LimitExceeded` past the quota, `NoSuchEntity` for a missing user, `ServiceFailure`.
pub fn create(
    store: &Store,
    account: &str,
    owner: &KeyOwner,
    now: OffsetDateTime,
) -> Result<(AccessKeyRecord, SecretKey), AwsError> {
    create_with(store, account, owner, now, None)
}

/// Like [`create`], but with an id and secret chosen elsewhere (Keystone lets a client bring an
/// existing EC2 credential's pair); `preset` = `None` draws fresh ones.
///
/// # Errors
/// As [`create`]; `EntityAlreadyExists` when a preset id is taken.
pub fn create_with(
    store: &Store,
    account: &str,
    owner: &KeyOwner,
    now: OffsetDateTime,
    preset: Option<(String, SecretKey)>,
) -> Result<(AccessKeyRecord, SecretKey), AwsError> {
    let fixed = preset.is_some();
    let (first_id, secret) = match preset {
        Some((id, secret)) => (Some(id), secret),
        None => (None, SecretKey::new(new_secret())),
    };
    let mut first_id = first_id;
    let key = store.transact_with_new_key(
        || first_id.take().unwrap_or_else(|| new_key_id(IdKind::AccessKey, account)),
        |tx, id| {
            if fixed && tx.access_key(id)?.is_some() {
                return abort(AwsError::EntityAlreadyExists(format!("Access key {id} already exists.")));
            }
            let mut ids = owner.key_ids(tx, account)?;
            if ids.len() >= MAX_KEYS_PER_USER {
                return abort(AwsError::LimitExceeded(format!(
                    "Cannot exceed quota for AccessKeysPerUser: {MAX_KEYS_PER_USER}"
                )));
            }
            let user = match owner {
                KeyOwner::Root => None,
                // The stored spelling of the name, whatever case the request used.
                KeyOwner::User(name) => Some(tx.user(account, name)?.ok_or_else(|| no_such_user(name))?.name),
            };
            let key = AccessKeyRecord {
                id: id.to_owned(),
                account: account.to_owned(),
                user,
                status: KeyStatus::Active,
                create_date: now.replace_millisecond(0).unwrap_or(now),
                secret: tx.sealer().seal(id, &secret)?,
            };
            if !tx.insert_access_key(&key)? {
                return Ok(None);
            }
            ids.push(id.to_owned());
            owner.set_key_ids(tx, account, ids)?;
            Ok(Some(key))
        },
    )?;
    Ok((key, secret))
}

/// Deletes `owner`'s key `id` (revoked for the very next request).
///
/// # Errors
/// `NoSuchEntity` when the key is not the owner's, `ServiceFailure`.
pub fn delete(store: &Store, account: &str, owner: &KeyOwner, id: &str) -> Result<(), AwsError> {
    store.transact(|tx| {
        owned_key(tx, account, owner, id)?;
        let ids = owner.key_ids(tx, account)?.into_iter().filter(|k| k != id).collect();
        owner.set_key_ids(tx, account, ids)?;
        tx.remove_access_key(id)
    })
}

/// Activates or deactivates `owner`'s key `id`.
///
/// # Errors
/// `NoSuchEntity` when the key is not the owner's, `ServiceFailure`.
pub fn set_status(store: &Store, account: &str, owner: &KeyOwner, id: &str, status: KeyStatus) -> Result<(), AwsError> {
    store.transact(|tx| {
        let mut key = owned_key(tx, account, owner, id)?;
        key.status = status;
        tx.put_access_key(&key)
    })
}

/// The owner's keys in creation order.
///
/// # Errors
/// `NoSuchEntity` for a missing user, `ServiceFailure`.
pub fn list(store: &Store, account: &str, owner: &KeyOwner) -> Result<Vec<AccessKeyRecord>, AwsError> {
    // Plain reads: a key deleted between the two reads is simply not listed.
    let ids = match owner {
        KeyOwner::Root => store.account(account)?.map(|a| a.root_access_keys).unwrap_or_default(),
        KeyOwner::User(name) => store.user_arc(account, name)?.ok_or_else(|| no_such_user(name))?.access_keys.clone(),
    };
    let mut keys = Vec::new();
    for id in ids {
        keys.extend(store.access_key(&id)?);
    }
    Ok(keys)
}
