//! `iamd rotate-token-key`: a new key seals session tokens from the next start on; the previous
//! one keeps opening the tokens it sealed until they have all expired. Offline, like an export:
//! the daemon must be stopped (its data dir is locked while it serves). On a shared PostgreSQL
//! store the replicas may keep serving; each seals with the new key once restarted.

use crate::config::Settings;

/// Rotates the token key of `settings.data_dir`; returns the new key's id.
///
/// # Errors
/// A data dir in use, missing or unreadable, or the wrong master key.
pub fn rotate_token_key(settings: &Settings) -> Result<String, String> {
    if settings.store.is_none() && !settings.data_dir.join("db").exists() {
        return Err(format!("{} holds no iamd database", settings.data_dir.display()));
    }
    let (store, _) = crate::master_key::open_store(settings, std::time::Duration::from_secs(3))
        .map_err(|e| format!("{e}; stop it before rotating the token key"))?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    store.rotate_token_key(now, crate::state::token_retention(settings)).map_err(|e| e.to_string())
}
