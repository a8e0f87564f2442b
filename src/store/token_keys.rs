//! The keyring that seals session tokens (and Keystone tokens, encoded authorization messages):
//! one current key seals, older ones still open what they sealed until every token they could
//! have sealed has expired. Kept in the metadata tree, each key sealed under the master key:
//! `token_key/{id}` the key, `token_key_current` the id that seals, `token_key_retired/{id}`
//! when a key stopped sealing (Unix seconds). A store of before the keyring holds key `1` only.

use super::Store;
use super::codec::{decode, encode};
use super::crypto::SealedSecret;
use super::engine::Table;
use crate::error::AwsError;
use crate::sigv4::SecretKey;

const FIRST: &str = "1";
const CURRENT: &str = "token_key_current";

/// The keys tokens are sealed and opened with.
pub struct TokenKeys {
    /// The id and key new tokens are sealed with.
    pub current: (String, SecretKey),
    /// Retired keys still within `retain` of their retirement: they only open.
    pub older: Vec<(String, SecretKey)>,
}

use super::aad::token_key as aad;

impl Store {
    /// The keyring, creating its first key on first use. Keys retired more than `retain`
    /// seconds before `now` are left out (and removed at the next rotation).
    ///
    /// # Errors
    /// `ServiceFailure` on engine failure or a key the master key does not open.
    pub fn token_keys(&self, now: i64, retain: i64) -> Result<TokenKeys, AwsError> {
        let current = match self.engine().get(Table::Meta, CURRENT.as_bytes())? {
            Some(id) => String::from_utf8_lossy(&id).into_owned(),
            None => FIRST.to_owned(),
        };
        let key = match self.read_token_key(&current)? {
            Some(k) => k,
            None if current == FIRST => self.create_first_token_key()?,
            None => return Err(AwsError::internal(&format!("the current token key {current} is missing"))),
        };
        let mut older = Vec::new();
        for id in self.token_key_ids()? {
            if id == current {
                continue;
            }
            if self.retired_at(&id)?.is_some_and(|at| at + retain < now) {
                continue;
            }
            if let Some(k) = self.read_token_key(&id)? {
                older.push((id, k));
            }
        }
        Ok(TokenKeys { current: (current, key), older })
    }

    /// Makes a new current key; the one before it is retired at `now` and opens tokens for
    /// `retain` seconds more. Keys retired longer ago than that are removed. Returns the new id.
    /// Every step is one write: a run interrupted at any point leaves a usable keyring (at
    /// worst an unused extra key).
    ///
    /// # Errors
    /// `ServiceFailure` on engine failure.
    pub fn rotate_token_key(&self, now: i64, retain: i64) -> Result<String, AwsError> {
        let keys = self.token_keys(now, retain)?;
        let ids = self.token_key_ids()?;
        let next = ids.iter().filter_map(|id| id.parse::<u64>().ok()).max().unwrap_or(1) + 1;
        let id = next.to_string();
        let fresh = SecretKey::new(crate::ids::new_secret() + &crate::ids::new_secret());
        let sealed = self.sealer().seal(&aad(&id), &fresh)?;
        let put = |k: &str, v: &[u8]| self.apply(&[(Table::Meta, k.as_bytes().to_vec(), Some(v.to_vec()))]);
        put(&format!("token_key/{id}"), &encode(&sealed)?)?;
        put(&format!("token_key_retired/{}", keys.current.0), now.to_string().as_bytes())?;
        put(CURRENT, id.as_bytes())?;
        for old in ids {
            if self.retired_at(&old)?.is_some_and(|at| at + retain < now) {
                self.apply(&[
                    (Table::Meta, format!("token_key/{old}").into_bytes(), None),
                    (Table::Meta, format!("token_key_retired/{old}").into_bytes(), None),
                ])?;
            }
        }
        self.flush_blocking()?;
        Ok(id)
    }

    fn token_key_ids(&self) -> Result<Vec<String>, AwsError> {
        let mut ids = Vec::new();
        self.engine().scan(Table::Meta, b"token_key/", b"", &mut |k, _| {
            ids.push(String::from_utf8_lossy(&k["token_key/".len()..]).into_owned());
            Ok(true)
        })?;
        Ok(ids)
    }

    fn retired_at(&self, id: &str) -> Result<Option<i64>, AwsError> {
        let v = self.engine().get(Table::Meta, format!("token_key_retired/{id}").as_bytes())?;
        Ok(v.and_then(|v| std::str::from_utf8(&v).ok().and_then(|s| s.parse().ok())))
    }

    /// Token key `id`, opened (`None`: there is no such key).
    ///
    /// # Errors
    /// `ServiceFailure` on engine failure or a key the master key does not open.
    pub fn read_token_key(&self, id: &str) -> Result<Option<SecretKey>, AwsError> {
        match self.engine().get(Table::Meta, format!("token_key/{id}").as_bytes())? {
            Some(v) => {
                let sealed: SealedSecret = decode(&v)?;
                Ok(Some(self.sealer().open(&aad(id), &sealed)?))
            }
            None => Ok(None),
        }
    }

    /// Key `1`, made once: another store on this directory may race us, and whichever landed
    /// first is kept.
    fn create_first_token_key(&self) -> Result<SecretKey, AwsError> {
        let fresh = SecretKey::new(crate::ids::new_secret() + &crate::ids::new_secret());
        let sealed = self.sealer().seal(&aad(FIRST), &fresh)?;
        let value = encode(&sealed)?;
        let key = format!("token_key/{FIRST}");
        let won = self.writing(|| {
            let won = self.engine().insert_new(Table::Meta, key.as_bytes(), &value)?;
            Ok((won, won))
        })?;
        if !won {
            return self.read_token_key(FIRST)?.ok_or_else(|| AwsError::internal(&"the token key vanished"));
        }
        self.flush_blocking()?;
        Ok(fresh)
    }
}
