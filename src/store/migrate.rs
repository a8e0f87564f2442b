//! Indexes added after data dirs existed, built once when a store opens.

use super::codec::decode;
use super::records::UserRecord;

/// Builds the user-id index of a data dir written before it existed.
pub(super) fn index_user_ids(meta: &sled::Tree, users: &sled::Tree, user_ids: &sled::Tree) -> Result<(), String> {
    const DONE: &str = "user_id_index";
    let err = |e: sled::Error| format!("cannot index user ids: {e}");
    if meta.get(DONE).map_err(err)?.is_some() {
        return Ok(());
    }
    for entry in users.iter() {
        let (key, value) = entry.map_err(err)?;
        let user: UserRecord = decode(&value).map_err(|e| format!("cannot index user ids: {e}"))?;
        user_ids.insert(user.id.as_bytes(), key).map_err(err)?;
    }
    meta.insert(DONE, b"1").map_err(err)?;
    meta.flush().map_err(err)?;
    Ok(())
}
