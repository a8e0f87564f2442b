//! The start-up check that every record decodes: a record damaged on disk (or by hand) stops the
//! daemon with its tree and key named, rather than failing requests one by one later or being
//! overwritten by a write that could not read it first.

use super::codec::decode;
use super::records::{
    AccessKeyRecord, AccountRecord, CredentialRecord, GroupRecord, InstanceProfileRecord, KeyLastUsed,
    ManagedPolicyRecord, RoleRecord, TemporaryKeyRecord, UserRecord,
};
use super::trees::Trees;

/// Decodes every record; returns how many there are.
///
/// # Errors
/// The first record that does not decode, by tree and key.
pub(super) fn check(t: &Trees) -> Result<usize, String> {
    let mut n = 0;
    n += all::<AccountRecord>("accounts", &t.accounts)?;
    n += all::<UserRecord>("users", &t.users)?;
    n += all::<AccessKeyRecord>("access_keys", &t.access_keys)?;
    n += all::<GroupRecord>("groups", &t.groups)?;
    n += all::<ManagedPolicyRecord>("managed_policies", &t.policies)?;
    n += all::<RoleRecord>("roles", &t.roles)?;
    n += all::<KeyLastUsed>("access_key_last_used", &t.last_used)?;
    n += all::<CredentialRecord>("credentials", &t.credentials)?;
    n += all::<InstanceProfileRecord>("instance_profiles", &t.instance_profiles)?;
    n += all::<TemporaryKeyRecord>("temporary_keys", &t.temporary_keys)?;
    Ok(n)
}

fn all<T: serde::de::DeserializeOwned>(name: &str, tree: &sled::Tree) -> Result<usize, String> {
    let mut n = 0;
    for entry in tree.iter() {
        let (k, v) = entry.map_err(|e| format!("cannot read the {name} tree: {e}"))?;
        decode::<T>(&v).map_err(|e| {
            format!(
                "the record {name}/{} is corrupt ({}): restore the data dir from a backup (iamd import); \
                 iamd does not repair or drop records",
                String::from_utf8_lossy(&k),
                e.message().trim_start_matches("corrupt record: ")
            )
        })?;
        n += 1;
    }
    Ok(n)
}
