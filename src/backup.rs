//! `iamd export` and `iamd import`: a data dir's whole store as one versioned JSON file. Values
//! are copied as stored, so secrets stay sealed under the master key, which is not in the file:
//! an import needs the same key (the file carries a check value to say so). Exports read a
//! stopped store (sled lets one process open a data dir), so each is one consistent snapshot; a
//! data dir a daemon is serving is refused with that reason.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};

use crate::config::Settings;
use crate::store::dump::TreeDump;
use crate::store::{MasterKey, Store};

const FORMAT: &str = "iamd-backup";
const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Backup {
    format: String,
    version: u32,
    created: String,
    account_id: String,
    /// [`MasterKey::check_value`] of the key the secrets are sealed under.
    master_key_check: String,
    /// Tree name → `[key, value]` pairs, base64.
    trees: BTreeMap<String, Vec<[String; 2]>>,
}

/// Writes the backup of `settings.data_dir` to `out`; returns how many records it holds.
///
/// # Errors
/// A data dir in use, missing or unreadable, or `out` failing.
pub fn export(settings: &Settings, out: &mut impl std::io::Write) -> Result<usize, String> {
    if settings.store.is_none() && !settings.data_dir.join("db").exists() {
        return Err(format!("{} holds no iamd database", settings.data_dir.display()));
    }
    // A daemon that is stopping lets go within moments; one that is serving never does. A
    // shared database needs no stop: the export reads one snapshot of it.
    let (store, master) = crate::master_key::open_store(settings, std::time::Duration::from_secs(3)).map_err(|e| {
        if settings.store.is_some() {
            e
        } else {
            format!(
                "{e}; stop it before exporting: an export is one consistent snapshot of a store no daemon is writing"
            )
        }
    })?;
    let dump = store.dump().map_err(|e| e.to_string())?;
    let mut records = 0;
    let trees = dump
        .into_iter()
        .map(|(name, pairs)| {
            records += pairs.len();
            (name, pairs.iter().map(|(k, v)| [B64.encode(k), B64.encode(v)]).collect())
        })
        .collect();
    let created =
        time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    let backup = Backup {
        format: FORMAT.into(),
        version: VERSION,
        created,
        account_id: settings.account_id.clone(),
        master_key_check: master.check_value(),
        trees,
    };
    serde_json::to_writer(&mut *out, &backup).map_err(|e| format!("writing the backup: {e}"))?;
    out.write_all(b"\n").and_then(|()| out.flush()).map_err(|e| format!("writing the backup: {e}"))?;
    Ok(records)
}

/// Loads a backup into `settings.data_dir`, which must hold no database yet, under the master
/// key the backup was sealed with; returns how many records it wrote.
///
/// # Errors
/// Not a backup (or a newer version), a data dir that is not empty, another master key.
pub fn import(settings: &Settings, input: impl std::io::Read) -> Result<usize, String> {
    let backup: Backup = serde_json::from_reader(input).map_err(|e| format!("not an iamd backup: {e}"))?;
    if backup.format != FORMAT {
        return Err(format!("not an iamd backup (format {:?})", backup.format));
    }
    if backup.version > VERSION {
        return Err(format!("backup version {} is newer than this build reads ({VERSION})", backup.version));
    }
    if settings.store.is_none() && settings.data_dir.join("db").exists() {
        return Err(format!("{} already holds a database: import into an empty data dir", settings.data_dir.display()));
    }
    let path = crate::master_key::path(settings);
    let master = MasterKey::load_or_create(&path, false).map_err(|e| {
        format!("{e}: an import needs the master key the backup's secrets are sealed under, at {}", path.display())
    })?;
    if !bool::from(subtle::ConstantTimeEq::ct_eq(master.check_value().as_bytes(), backup.master_key_check.as_bytes())) {
        return Err(format!(
            "the master key at {} is not the one the backup was sealed under: its secrets would not open",
            path.display()
        ));
    }
    let mut dump: Vec<TreeDump> = Vec::new();
    for (name, pairs) in backup.trees {
        let mut decoded = Vec::with_capacity(pairs.len());
        for [k, v] in pairs {
            let k = B64.decode(k).map_err(|e| format!("tree {name}: bad base64: {e}"))?;
            let v = B64.decode(v).map_err(|e| format!("tree {name}: bad base64: {e}"))?;
            decoded.push((k, v));
        }
        dump.push((name, decoded));
    }
    if let Some(pg) = &settings.store {
        // The database must hold no entity yet; a store under another key does not open.
        let (store, ..) = Store::open_postgres(pg, |_| Ok(vec![master])).map_err(|e| e.to_string())?;
        return store.load(&dump);
    }
    std::fs::create_dir_all(&settings.data_dir).map_err(|e| format!("{}: {e}", settings.data_dir.display()))?;
    let result =
        Store::open(&settings.data_dir, &master).map_err(|e| e.to_string()).and_then(|store| store.load(&dump));
    if result.is_err() {
        // Leave the data dir as it was found: empty.
        let _ = std::fs::remove_dir_all(settings.data_dir.join("db"));
    }
    result
}
