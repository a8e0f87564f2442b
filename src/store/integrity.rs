//! The start-up check that every record decodes: a record damaged on disk (or by hand) stops the
//! daemon with its tree and key named, rather than failing requests one by one later or being
//! overwritten by a write that could not read it first.

use super::codec::decode;
use super::engine::{Engine, Table};
use super::records::{
    AccessKeyRecord, AccountRecord, CredentialRecord, GroupRecord, InstanceProfileRecord, KeyLastUsed,
    ManagedPolicyRecord, RoleRecord, TemporaryKeyRecord, UserRecord,
};

/// Decodes every record; returns how many there are.
///
/// # Errors
/// The first record that does not decode, by tree and key.
pub(super) fn check(e: &dyn Engine) -> Result<usize, String> {
    let mut n = 0;
    n += all::<AccountRecord>(e, Table::Accounts)?;
    n += all::<UserRecord>(e, Table::Users)?;
    n += all::<AccessKeyRecord>(e, Table::AccessKeys)?;
    n += all::<GroupRecord>(e, Table::Groups)?;
    n += all::<ManagedPolicyRecord>(e, Table::Policies)?;
    n += all::<RoleRecord>(e, Table::Roles)?;
    n += all::<KeyLastUsed>(e, Table::LastUsed)?;
    n += all::<CredentialRecord>(e, Table::Credentials)?;
    n += all::<InstanceProfileRecord>(e, Table::InstanceProfiles)?;
    n += all::<TemporaryKeyRecord>(e, Table::TemporaryKeys)?;
    Ok(n)
}

fn all<T: serde::de::DeserializeOwned>(engine: &dyn Engine, table: Table) -> Result<usize, String> {
    let name = table.name();
    let mut n = 0;
    let mut corrupt = None;
    engine
        .scan(table, b"", b"", &mut |k, v| {
            if let Err(e) = decode::<T>(v) {
                corrupt = Some(format!(
                    "the record {name}/{} is corrupt ({}): restore the store from a backup (iamd import); \
                     iamd does not repair or drop records",
                    String::from_utf8_lossy(k),
                    e.message().trim_start_matches("corrupt record: ")
                ));
                return Ok(false);
            }
            n += 1;
            Ok(true)
        })
        .map_err(|e| format!("cannot read the {name} tree: {}", e.message()))?;
    corrupt.map_or(Ok(n), Err)
}
