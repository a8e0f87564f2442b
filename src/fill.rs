//! Benchmark seeding (`iamd fill-keys`): many synthetic users with two access keys each, written
//! straight into a data dir so a large store can be measured without a million API calls.

use std::time::Instant;

use crate::clock::Clock;
use crate::config::Settings;
use crate::ids::{IdKind, new_id, new_key_id, new_secret};
use crate::sigv4::SecretKey;
use crate::state::State;
use crate::store::{AccessKeyRecord, KeyStatus, PolicyHolding, UserRecord};

/// Users written per transaction.
const USERS_PER_BATCH: usize = 500;

/// Adds `count` access keys (two per new user `fill-…`) to the data dir of `settings`.
///
/// # Errors
/// When the data dir cannot be opened or written.
pub fn fill_keys(settings: Settings, count: usize) -> Result<(), String> {
    let (state, _) = State::open(settings, Clock::system())?;
    let account = state.settings.account_id.clone();
    let now = state.clock.now().replace_millisecond(0).unwrap_or_else(|_| state.clock.now());
    let started = Instant::now();
    let prefix = &new_id(IdKind::User)[4..12];
    let mut written = 0;
    let mut user_no = 0;
    while written < count {
        let mut batch = Vec::with_capacity(USERS_PER_BATCH);
        while batch.len() < USERS_PER_BATCH && written < count {
            let name = format!("fill-{prefix}-{user_no}");
            user_no += 1;
            let keys: Vec<AccessKeyRecord> = (0..2.min(count - written))
                .map(|_| {
                    let id = new_key_id(IdKind::AccessKey, &account);
                    let secret = state.store.sealer().seal(&id, &SecretKey::new(new_secret()))?;
                    Ok(AccessKeyRecord {
                        id,
                        account: account.clone(),
                        user: Some(name.clone()),
                        status: KeyStatus::Active,
                        create_date: now,
                        secret,
                    })
                })
                .collect::<Result<_, crate::error::AwsError>>()
                .map_err(|e| e.to_string())?;
            written += keys.len();
            let user = UserRecord {
                account: account.clone(),
                name,
                id: new_id(IdKind::User),
                path: "/".into(),
                create_date: now,
                tags: Vec::new(),
                access_keys: keys.iter().map(|k| k.id.clone()).collect(),
                groups: Vec::new(),
                policies: PolicyHolding::default(),
                permissions_boundary: None,
                login_profile: None,
                credentials: Vec::new(),
                keys_and_certs: crate::store::UserKeysAndCerts::default(),
            };
            batch.push((user, keys));
        }
        state
            .store
            .transact(|tx| {
                for (user, keys) in &batch {
                    let mut user = user.clone();
                    for k in keys {
                        // A random id that collides is dropped, never overwritten.
                        if !tx.insert_access_key(k)? {
                            user.access_keys.retain(|id| *id != k.id);
                        }
                    }
                    tx.put_user(&user)?;
                }
                Ok(())
            })
            .map_err(|e| e.to_string())?;
    }
    state.store.flush_blocking().map_err(|e| e.to_string())?;
    eprintln!("iamd: stored {written} access keys for {user_no} users in {:.1?}", started.elapsed());
    Ok(())
}
