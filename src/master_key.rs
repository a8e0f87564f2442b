//! The master key file of a data dir: where it is, made only for a new data dir, and the file
//! protocol that makes `iamd rotate-master-key` crash-safe. A rotation writes the new key to
//! `<key file>.new`, re-seals the store under it in one transaction, then renames the new file
//! over the old. Whoever opens the store next sees which key the store's check value names: an
//! interrupted rotation is finished (the store was re-sealed) or undone (it was not).

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::config::Settings;
use crate::store::{MasterKey, Resealed, Store};

/// Where the master key of `settings` is.
#[must_use]
pub fn path(settings: &Settings) -> PathBuf {
    settings.master_key_file.clone().unwrap_or_else(|| settings.data_dir.join("master.key"))
}

fn pending(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".new");
    PathBuf::from(name)
}

/// Loads the master key (made now, 0600, for a new store, wherever the key file is) and opens
/// the store with it: sled in the data dir, waiting at most `wait` for the directory's lock, or
/// the configured PostgreSQL database.
///
/// # Errors
/// A missing key for an existing store, a key that does not open it, a data dir in use, a
/// database that cannot be reached, or the store's own refusals (newer format, corrupt record).
pub fn open_store(settings: &Settings, wait: Duration) -> Result<(Store, MasterKey), String> {
    let path = path(settings);
    let next_path = pending(&path);
    // A new store gets a new key, at the configured path as at the default one (the first of
    // several replicas makes it, 0600); an existing store only ever reads its key. A `.new`
    // file that does not load was being written when a rotation stopped: the store cannot have
    // been re-sealed under it (that waits for the file to be on disk).
    let keys_for = |new_store: bool, holder: &str| -> Result<Vec<MasterKey>, String> {
        if !new_store && !path.exists() {
            return Err(format!(
                "the master key {} is missing, but {holder} holds a store whose secrets are sealed under it: \
                 restore the key file (iamd never makes a new key for an existing store)",
                path.display()
            ));
        }
        let current = MasterKey::load_or_create(&path, new_store)?;
        let next = next_path.exists().then(|| MasterKey::load_or_create(&next_path, false).ok()).flatten();
        Ok(std::iter::once(current).chain(next).collect())
    };
    let (store, which, keys) = match &settings.store {
        None => {
            let keys = keys_for(!settings.data_dir.join("db").exists(), &settings.data_dir.display().to_string())?;
            let refs: Vec<&MasterKey> = keys.iter().collect();
            let (store, which) = Store::open_with_keys(&settings.data_dir, &refs, wait)
                .map_err(|e| format!("{e} (master key {})", path.display()))?;
            (store, which, keys)
        }
        Some(pg) => {
            let holder = format!("the database at {}", pg.redacted_url());
            Store::open_postgres(pg, |new_store| keys_for(new_store, &holder))
                .map_err(|e| format!("{e} (master key {})", path.display()))?
        }
    };
    let mut keys = keys.into_iter();
    let current = keys.next().ok_or("no master key")?;
    match keys.next() {
        Some(next) if which == 1 => {
            replace(&next_path, &path)?;
            tracing::warn!(key = %path.display(), "finished an interrupted master key rotation");
            Ok((store, next))
        }
        _ => {
            if next_path.exists() {
                std::fs::remove_file(&next_path).map_err(|e| format!("cannot remove {}: {e}", next_path.display()))?;
                sync_dir(&path)?;
                tracing::warn!(key = %path.display(), "undid an interrupted master key rotation");
            }
            Ok((store, current))
        }
    }
}

/// `iamd rotate-master-key`: re-seals every secret of the (stopped) daemon's store under a new
/// master key, which then replaces the key file.
///
/// # Errors
/// A data dir in use or missing, the wrong key, or a failure to write (the store then stays
/// under the old key or, past the re-seal, the next start finishes the rotation).
pub fn rotate(settings: &Settings) -> Result<Resealed, String> {
    if settings.store.is_none() && !settings.data_dir.join("db").exists() {
        return Err(format!("{} holds no iamd database", settings.data_dir.display()));
    }
    let (store, _) = open_store(settings, Duration::from_secs(3))
        .map_err(|e| format!("{e}; stop the daemon before rotating the master key"))?;
    let path = path(settings);
    let next_path = pending(&path);
    let next = MasterKey::load_or_create(&next_path, true)?;
    let resealed = store.reseal_all(&next).map_err(|e| format!("re-sealing under the new master key: {e}"))?;
    replace(&next_path, &path)?;
    Ok(resealed)
}

/// Renames `from` over `to` and makes the rename durable.
fn replace(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::rename(from, to).map_err(|e| format!("cannot move {} to {}: {e}", from.display(), to.display()))?;
    sync_dir(to)
}

fn sync_dir(file: &Path) -> Result<(), String> {
    let dir = file.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or_else(|| Path::new("."));
    std::fs::File::open(dir).and_then(|f| f.sync_all()).map_err(|e| format!("cannot sync {}: {e}", dir.display()))
}
