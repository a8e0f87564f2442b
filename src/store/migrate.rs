//! What a store of an older format gets when it opens: indexes added since, and its format
//! version moved on (format 1 → 2: the master key check value, recorded by `reseal`).

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

/// Records the store's format version and makes it durable.
pub(super) fn set_format(db: &sled::Db, meta: &sled::Tree, version: u32) -> Result<(), String> {
    let err = |e: sled::Error| format!("cannot record the data format: {e}");
    meta.insert("format_version", version.to_string().as_bytes()).map_err(err)?;
    db.flush().map_err(err)?;
    Ok(())
}
