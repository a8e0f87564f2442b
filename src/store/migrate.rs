//! What a store of an older format gets when it opens: indexes added since, and its format
//! version moved on (format 1 → 2: the master key check value, recorded by `reseal`).

use super::codec::decode;
use super::engine::{Engine, Table};
use super::records::UserRecord;

/// Builds the user-id index of a store written before it existed.
pub(super) fn index_user_ids(engine: &dyn Engine) -> Result<(), String> {
    const DONE: &[u8] = b"user_id_index";
    let err = |e: crate::error::AwsError| format!("cannot index user ids: {}", e.message());
    if engine.get(Table::Meta, DONE).map_err(err)?.is_some() {
        return Ok(());
    }
    let mut writes = Vec::new();
    engine
        .scan(Table::Users, b"", b"", &mut |key, value| {
            let user: UserRecord = decode(value)?;
            writes.push((Table::UserIds, user.id.into_bytes(), Some(key.to_vec())));
            Ok(true)
        })
        .map_err(err)?;
    writes.push((Table::Meta, DONE.to_vec(), Some(b"1".to_vec())));
    engine.write(&writes).map_err(err)?;
    engine.flush()
}

/// Records the store's format version and makes it durable.
pub(super) fn set_format(engine: &dyn Engine, version: u32) -> Result<(), String> {
    let err = |e: crate::error::AwsError| format!("cannot record the data format: {}", e.message());
    engine.write(&[(Table::Meta, b"format_version".to_vec(), Some(version.to_string().into_bytes()))]).map_err(err)?;
    engine.flush().map_err(|e| format!("cannot record the data format: {e}"))
}
