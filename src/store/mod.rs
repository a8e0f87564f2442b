//! Persistent state behind a small typed API, over a storage [`engine`]: sled (embedded, the
//! default) or PostgreSQL (one database shared by a fleet of replicas). Nothing outside this
//! module names either.
//!
//! Layout: one table per record kind; keys lead with the account id so accounts never mix.
//! Every change goes through [`Store::transact`]. On sled, changes run one at a time under the
//! commit lock (see `commit`) and a request that changed anything waits for
//! [`Store::durable`] before it is acknowledged; PostgreSQL's commit is durable when it returns.
//! Reads come from the in-memory view (`view`), which every commit invalidates for what it
//! touched, in this process and (through the engine's announcements) in the others.

pub mod aad;
mod codec;
mod commit;
mod credentials;
mod crypto;
mod disk;
pub mod dump;
pub mod engine;
mod integrity;
mod migrate;
pub mod postgres;
pub mod records;
mod reseal;
mod sled_engine;
pub mod token_keys;
mod tx;
pub mod view;

use std::cell::RefCell;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use codec::{decode, encode};
pub use commit::{Committer, take_thread_commit};
pub use crypto::{MasterKey, SealedSecret, Sealer};
use engine::{Engine, Table, Write};
pub use engine::{OpenError, TxError};
pub use records::{
    AccessKeyRecord, AccountRecord, Attachment, CredentialRecord, EntityKind, GroupRecord, InlinePolicy,
    InstanceProfileRecord, KeyLastUsed, KeyStatus, LoginProfile, ManagedPolicyRecord, OidcProviderRecord,
    OutboundFederationRecord, PasswordPolicy, PolicyHolding, PolicyVersionRecord, RoleRecord, SamlProviderRecord,
    TemporaryKeyRecord, UserRecord,
};
pub use records::{
    ServerCertificateRecord, ServiceCredentialRecord, SigningCertificateRecord, SshPublicKeyRecord, UserKeysAndCerts,
};
pub use reseal::Resealed;
use sled_engine::SledEngine;
pub use tx::{Tx, TxResult, abort};
use view::{Invalidation, RecordCache};

use crate::error::AwsError;
use crate::sigv4::SecretKey;

/// The record format this build writes; older formats are migrated on open.
pub const FORMAT_VERSION: u32 = 2;

/// Records of each kind kept decoded in memory; past this the least useful are dropped.
const VIEW_CAPACITY: usize = 100_000;
/// How long opening waits for a previous handle on the same directory to let go of its lock.
pub const LOCK_WAIT: Duration = Duration::from_secs(10);

/// The database, the key that seals secrets in it, and the in-memory view of it. Cloning is
/// cheap and shares everything.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    // Dropped first: stops the flusher (which flushes what is left) before the engine closes.
    _flusher: Option<commit::Flusher>,
    committer: Arc<Committer>,
    engine: Arc<dyn Engine>,
    sealer: Sealer,
    stale: Arc<Invalidation>,
    view: View,
}

/// The decoded records of the read view.
struct View {
    accounts: RecordCache<String, AccountRecord>,
    users: RecordCache<Vec<u8>, UserRecord>,
    groups: RecordCache<Vec<u8>, GroupRecord>,
    policies: RecordCache<Vec<u8>, ManagedPolicyRecord>,
    roles: RecordCache<Vec<u8>, RoleRecord>,
    keys: RecordCache<String, StoredKey>,
}

/// A stored access key with its secret already opened.
pub struct StoredKey {
    pub record: AccessKeyRecord,
    pub secret: SecretKey,
}

/// Hit and miss counts of the read view, for `/metrics`.
pub struct ViewStats {
    pub kind: &'static str,
    pub hits: u64,
    pub misses: u64,
    pub entries: usize,
}

impl Store {
    /// Opens (or creates) the database in `dir`, sealing secrets with `master`.
    ///
    /// # Errors
    /// When the directory cannot be used or holds data of a newer format.
    pub fn open(dir: &Path, master: &MasterKey) -> Result<Self, OpenError> {
        Self::open_waiting(dir, master, LOCK_WAIT)
    }

    /// [`Store::open`], waiting at most `wait` for another handle to let go of the directory.
    ///
    /// # Errors
    /// As [`Store::open`]; a directory still locked after `wait` is "in use".
    pub fn open_waiting(dir: &Path, master: &MasterKey, wait: Duration) -> Result<Self, OpenError> {
        Self::open_with_keys(dir, &[master], wait).map(|(store, _)| store)
    }

    /// Opens the store with whichever of `keys` its secrets are sealed under, and says which
    /// (its index): an interrupted `rotate-master-key` leaves two key files, and the store's
    /// check value tells them apart.
    ///
    /// # Errors
    /// As [`Store::open`]; none of `keys` opens its secrets.
    pub fn open_with_keys(dir: &Path, keys: &[&MasterKey], wait: Duration) -> Result<(Self, usize), OpenError> {
        let engine = SledEngine::open(dir, wait)?;
        Self::on_engine(Arc::new(engine), Arc::default(), keys)
    }

    /// Opens the store in the PostgreSQL database `settings` names (applying its schema
    /// migrations), with whichever of the keys `keys` gives its secrets are sealed under; `keys`
    /// is told whether the store is new (no replica has opened it yet). Returns the store, the
    /// index of its key, and the keys.
    ///
    /// # Errors
    /// A database that cannot be reached or migrated, what `keys` fails with, or as
    /// [`Store::open_with_keys`].
    pub fn open_postgres(
        settings: &postgres::Settings,
        keys: impl FnOnce(bool) -> Result<Vec<MasterKey>, String>,
    ) -> Result<(Self, usize, Vec<MasterKey>), OpenError> {
        let stale = Arc::new(Invalidation::leased());
        let engine = postgres::PgEngine::connect(settings, stale.clone())?;
        let fresh =
            engine.get(Table::Meta, b"format_version").map_err(|e| OpenError(e.message().to_owned()))?.is_none();
        let keys = keys(fresh).map_err(OpenError)?;
        let refs: Vec<&MasterKey> = keys.iter().collect();
        let (store, which) = Self::on_engine(Arc::new(engine), stale, &refs)?;
        Ok((store, which, keys))
    }

    fn on_engine(
        engine: Arc<dyn Engine>,
        stale: Arc<Invalidation>,
        keys: &[&MasterKey],
    ) -> Result<(Self, usize), OpenError> {
        let e = &*engine;
        let format = check_format(e)?;
        integrity::check(e).map_err(OpenError)?;
        // Format 2 records which master key the secrets are under; a format-1 store gets it here.
        let which = reseal::which_master_key(e, keys).map_err(OpenError)?;
        let master = keys[which];
        migrate::index_user_ids(e).map_err(OpenError)?;
        if format < FORMAT_VERSION {
            migrate::set_format(e, FORMAT_VERSION).map_err(OpenError)?;
        }
        let committer = Committer::new();
        let flusher = if e.durable_on_commit() {
            None
        } else {
            let flush_engine = engine.clone();
            Some(committer.start_flusher(move || flush_engine.flush()))
        };
        let view = View {
            accounts: RecordCache::new(VIEW_CAPACITY),
            users: RecordCache::new(VIEW_CAPACITY),
            groups: RecordCache::new(VIEW_CAPACITY),
            policies: RecordCache::new(VIEW_CAPACITY),
            roles: RecordCache::new(VIEW_CAPACITY),
            keys: RecordCache::new(VIEW_CAPACITY),
        };
        let inner = Inner { _flusher: flusher, committer, engine, sealer: Sealer::new(master), stale, view };
        Ok((Self { inner: Arc::new(inner) }, which))
    }

    fn engine(&self) -> &dyn Engine {
        &*self.inner.engine
    }

    /// Runs `write` as the store's one writer when the engine needs its commits serialized and
    /// flushed in groups (sled): under the commit lock, counted as a commit to flush when it
    /// answers that it changed something. Refused once a flush has failed.
    fn writing<T>(&self, write: impl FnOnce() -> Result<(T, bool), AwsError>) -> Result<T, AwsError> {
        if self.engine().durable_on_commit() {
            // The commit is the flush: its time is what the flush histogram shows.
            let started = std::time::Instant::now();
            let (out, wrote) = write()?;
            if wrote {
                self.inner.committer.flushes.observe(started.elapsed());
            }
            return Ok(out);
        }
        let mut guard = self.inner.committer.write();
        if self.inner.committer.broken() {
            return Err(AwsError::writes_refused());
        }
        let (out, wrote) = write()?;
        if wrote {
            guard.wrote();
        }
        Ok(out)
    }

    /// Applies `writes` outside a transaction's closure (housekeeping, keyring steps).
    fn apply(&self, writes: &[Write]) -> Result<(), AwsError> {
        self.writing(|| self.engine().write(writes).map(|()| ((), !writes.is_empty())))
    }

    /// Runs `f` atomically over every table. `f` may run more than once (the engine re-runs
    /// it after a conflict), so it must have no side effects outside `tx` (draw random ids
    /// before calling). The change is applied, and visible to reads, when this returns; on
    /// sled it is durable only after [`Store::durable`]: a request waits for that before it
    /// answers. Blocking: call from a blocking context.
    ///
    /// # Errors
    /// The error `f` aborted with, or `ServiceFailure` when the engine fails.
    pub fn transact<T>(&self, f: impl Fn(&Tx<'_>) -> TxResult<T>) -> Result<T, AwsError> {
        let inner = &*self.inner;
        let touched = RefCell::new(tx::Touched::default());
        let out = RefCell::new(None);
        let run = |ops: &dyn engine::TxOps| {
            *touched.borrow_mut() = tx::Touched::default();
            let value = f(&Tx { ops, sealer: &inner.sealer, touched: &touched })?;
            *out.borrow_mut() = Some(value);
            Ok(())
        };
        let result = self.writing(|| {
            self.engine().transact(&run)?;
            let t = touched.borrow();
            Ok(((), !t.accounts.is_empty() || t.keys))
        });
        let touched = touched.into_inner();
        if result.is_ok() && (!touched.accounts.is_empty() || touched.keys) {
            inner.stale.changed(&touched.accounts, touched.keys);
            // Committed: the others' views must learn of it before this request is answered.
            self.engine().announce(&touched.accounts, touched.keys)?;
        }
        result?;
        out.into_inner().ok_or_else(|| AwsError::internal(&"a transaction ended without its result"))
    }

    /// Like [`Store::transact`] for a change that stores a new access key: `f` gets a fresh id
    /// from `draw` and must store the key with [`Tx::insert_access_key`], returning `None` when
    /// that reports the id taken; a new id is then drawn.
    ///
    /// # Errors
    /// What `f` aborts with; `ServiceFailure` if ids keep colliding.
    pub fn transact_with_new_key<T>(
        &self,
        mut draw: impl FnMut() -> String,
        f: impl Fn(&Tx<'_>, &str) -> TxResult<Option<T>>,
    ) -> Result<T, AwsError> {
        for _ in 0..8 {
            let id = draw();
            if let Some(out) = self.transact(|tx| f(tx, &id))? {
                return Ok(out);
            }
            tracing::warn!("a new access key id collided with a stored one; drawing another");
        }
        Err(AwsError::internal(&"new access key ids keep colliding"))
    }

    /// The change generation of `account`: caches built on the store's records tag what they
    /// load with it (read it before reading the records) and use them only while it is current.
    #[must_use]
    pub fn generation(&self, account: &str) -> u64 {
        self.inner.stale.account(account)
    }

    /// The number of the latest change: wait for [`Store::durable`] of it before acknowledging.
    #[must_use]
    pub fn commit_seq(&self) -> u64 {
        self.inner.committer.committed()
    }

    /// Resolves once change `seq` is on disk; concurrent requests share one flush.
    ///
    /// # Errors
    /// `ServiceFailure` when the disk write fails.
    pub async fn durable(&self, seq: u64) -> Result<(), AwsError> {
        self.inner.committer.durable(seq).await
    }

    /// Synchronous flush for start-up and shutdown paths.
    ///
    /// # Errors
    /// `ServiceFailure` when the disk write fails.
    pub fn flush_blocking(&self) -> Result<(), AwsError> {
        if self.engine().durable_on_commit() {
            return Ok(());
        }
        self.inner.committer.flush_now(|| self.engine().flush())
    }

    /// Whether a flush to disk has failed, so that writes are refused until a restart.
    #[must_use]
    pub fn refusing_writes(&self) -> bool {
        self.inner.committer.broken()
    }

    /// Whether the store is a database shared with other processes (PostgreSQL).
    #[must_use]
    pub fn is_shared(&self) -> bool {
        self.engine().durable_on_commit()
    }

    /// Round trips to the database server so far (`None`: an embedded engine).
    #[must_use]
    pub fn round_trips(&self) -> Option<u64> {
        self.engine().round_trips()
    }

    /// Whether the database answers (always, for an embedded one).
    #[must_use]
    pub fn healthy(&self) -> bool {
        self.engine().healthy()
    }

    /// Test builds: the next `n` fdatasyncs of the log fail, as on a failing disk.
    #[cfg(feature = "fault-injection")]
    pub fn fail_next_syncs(&self, n: u32) {
        self.engine().fail_next_syncs(n);
    }

    /// Flush latencies so far.
    #[must_use]
    pub fn flush_histogram(&self) -> &crate::metrics::Histogram {
        &self.inner.committer.flushes
    }

    /// Hit and miss counts of each cache of the read view.
    #[must_use]
    pub fn view_stats(&self) -> Vec<ViewStats> {
        fn stats<K: Eq + std::hash::Hash + Clone, T>(kind: &'static str, c: &RecordCache<K, T>) -> ViewStats {
            ViewStats { kind, hits: c.hits.get(), misses: c.misses.get(), entries: c.len() }
        }
        let v = &self.inner.view;
        vec![
            stats("access_key", &v.keys),
            stats("account", &v.accounts),
            stats("user", &v.users),
            stats("group", &v.groups),
            stats("role", &v.roles),
            stats("policy", &v.policies),
        ]
    }

    #[must_use]
    pub fn sealer(&self) -> &Sealer {
        &self.inner.sealer
    }

    /// Re-seals every secret under `to` in one transaction and makes it durable
    /// (`iamd rotate-master-key`). Offline only: the daemon must not be serving this store.
    ///
    /// # Errors
    /// A secret the current key does not open (nothing is changed then), or an engine failure.
    pub fn reseal_all(&self, to: &MasterKey) -> Result<Resealed, AwsError> {
        let plan = reseal::plan(self.engine(), self.sealer(), to)?;
        self.apply(&plan.writes)?;
        self.flush_blocking()?;
        Ok(Resealed { secrets: plan.secrets })
    }

    /// One user by name (names are unique regardless of case, as in IAM).
    ///
    /// # Errors
    /// `ServiceFailure` on engine or decoding failure.
    pub fn user(&self, account: &str, name: &str) -> Result<Option<UserRecord>, AwsError> {
        Ok(self.user_arc(account, name)?.map(|u| (*u).clone()))
    }

    /// One user, shared with the read view (no copy).
    ///
    /// # Errors
    /// `ServiceFailure` on engine or decoding failure.
    pub fn user_arc(&self, account: &str, name: &str) -> Result<Option<Arc<UserRecord>>, AwsError> {
        self.entity(account, name, &self.inner.view.users, Table::Users)
    }

    fn entity<T: serde::de::DeserializeOwned>(
        &self,
        account: &str,
        name: &str,
        cache: &RecordCache<Vec<u8>, T>,
        table: Table,
    ) -> Result<Option<Arc<T>>, AwsError> {
        let generation = self.inner.stale.account(account);
        let key = records::entity_key(account, name);
        cache.get_or_load(generation, key.as_slice(), || self.get(table, &key))
    }

    fn get<T: serde::de::DeserializeOwned>(&self, table: Table, key: &[u8]) -> Result<Option<T>, AwsError> {
        match self.engine().get(table, key)? {
            Some(v) => decode(&v).map(Some),
            None => Ok(None),
        }
    }

    /// One access key by id, from any account (ids are globally unique).
    ///
    /// # Errors
    /// `ServiceFailure` on engine or decoding failure.
    pub fn access_key(&self, id: &str) -> Result<Option<AccessKeyRecord>, AwsError> {
        Ok(self.stored_key(id)?.map(|k| k.record.clone()))
    }

    /// One access key with its secret opened, from the read view.
    ///
    /// # Errors
    /// `ServiceFailure` on engine or decoding failure, or when the secret cannot be opened.
    pub fn stored_key(&self, id: &str) -> Result<Option<Arc<StoredKey>>, AwsError> {
        let generation = self.inner.stale.keys();
        self.inner.view.keys.get_or_load(generation, id, || {
            let Some(record) = self.get::<AccessKeyRecord>(Table::AccessKeys, id.as_bytes())? else {
                return Ok(None);
            };
            let secret = self.inner.sealer.open(id, &record.secret)?;
            Ok(Some(StoredKey { record, secret }))
        })
    }

    /// An account's record, if it has been created.
    ///
    /// # Errors
    /// `ServiceFailure` on engine or decoding failure.
    pub fn account(&self, id: &str) -> Result<Option<AccountRecord>, AwsError> {
        let generation = self.inner.stale.account(id);
        let record =
            self.inner.view.accounts.get_or_load(generation, id, || self.get(Table::Accounts, id.as_bytes()))?;
        Ok(record.map(|a| (*a).clone()))
    }

    /// Users of `account` in name order; see [`Store::list`].
    ///
    /// # Errors
    /// `ServiceFailure` on engine or decoding failure.
    pub fn users(
        &self,
        account: &str,
        from: Option<&str>,
        limit: usize,
        keep: impl Fn(&UserRecord) -> bool,
    ) -> Result<Vec<UserRecord>, AwsError> {
        self.list(Table::Users, account, from, limit, keep)
    }

    /// Groups of `account` in name order; see [`Store::list`].
    ///
    /// # Errors
    /// `ServiceFailure` on engine or decoding failure.
    pub fn groups(
        &self,
        account: &str,
        from: Option<&str>,
        limit: usize,
        keep: impl Fn(&GroupRecord) -> bool,
    ) -> Result<Vec<GroupRecord>, AwsError> {
        self.list(Table::Groups, account, from, limit, keep)
    }

    /// Managed policies of `account` in name order; see [`Store::list`].
    ///
    /// # Errors
    /// `ServiceFailure` on engine or decoding failure.
    pub fn policies(
        &self,
        account: &str,
        from: Option<&str>,
        limit: usize,
        keep: impl Fn(&ManagedPolicyRecord) -> bool,
    ) -> Result<Vec<ManagedPolicyRecord>, AwsError> {
        self.list(Table::Policies, account, from, limit, keep)
    }

    /// Roles of `account` in name order; see [`Store::list`].
    ///
    /// # Errors
    /// `ServiceFailure` on engine or decoding failure.
    pub fn roles(
        &self,
        account: &str,
        from: Option<&str>,
        limit: usize,
        keep: impl Fn(&RoleRecord) -> bool,
    ) -> Result<Vec<RoleRecord>, AwsError> {
        self.list(Table::Roles, account, from, limit, keep)
    }

    /// Instance profiles of `account` in name order; see [`Store::list`].
    ///
    /// # Errors
    /// `ServiceFailure` on engine or decoding failure.
    pub fn instance_profiles(
        &self,
        account: &str,
        from: Option<&str>,
        limit: usize,
        keep: impl Fn(&InstanceProfileRecord) -> bool,
    ) -> Result<Vec<InstanceProfileRecord>, AwsError> {
        self.list(Table::InstanceProfiles, account, from, limit, keep)
    }

    /// One instance profile by name.
    ///
    /// # Errors
    /// `ServiceFailure` on engine or decoding failure.
    pub fn instance_profile(&self, account: &str, name: &str) -> Result<Option<InstanceProfileRecord>, AwsError> {
        self.get(Table::InstanceProfiles, &records::entity_key(account, name))
    }

    /// One role by name.
    ///
    /// # Errors
    /// `ServiceFailure` on engine or decoding failure.
    pub fn role(&self, account: &str, name: &str) -> Result<Option<RoleRecord>, AwsError> {
        Ok(self.role_arc(account, name)?.map(|r| (*r).clone()))
    }

    /// One role, shared with the read view.
    ///
    /// # Errors
    /// `ServiceFailure` on engine or decoding failure.
    pub fn role_arc(&self, account: &str, name: &str) -> Result<Option<Arc<RoleRecord>>, AwsError> {
        self.entity(account, name, &self.inner.view.roles, Table::Roles)
    }

    /// One group by name.
    ///
    /// # Errors
    /// `ServiceFailure` on engine or decoding failure.
    pub fn group(&self, account: &str, name: &str) -> Result<Option<GroupRecord>, AwsError> {
        Ok(self.group_arc(account, name)?.map(|g| (*g).clone()))
    }

    /// One group, shared with the read view.
    ///
    /// # Errors
    /// `ServiceFailure` on engine or decoding failure.
    pub fn group_arc(&self, account: &str, name: &str) -> Result<Option<Arc<GroupRecord>>, AwsError> {
        self.entity(account, name, &self.inner.view.groups, Table::Groups)
    }

    /// One managed policy by name.
    ///
    /// # Errors
    /// `ServiceFailure` on engine or decoding failure.
    pub fn policy(&self, account: &str, name: &str) -> Result<Option<ManagedPolicyRecord>, AwsError> {
        Ok(self.policy_arc(account, name)?.map(|p| (*p).clone()))
    }

    /// One managed policy, shared with the read view.
    ///
    /// # Errors
    /// `ServiceFailure` on engine or decoding failure.
    pub fn policy_arc(&self, account: &str, name: &str) -> Result<Option<Arc<ManagedPolicyRecord>>, AwsError> {
        self.entity(account, name, &self.inner.view.policies, Table::Policies)
    }

    /// Last-use records persisted so far.
    ///
    /// # Errors
    /// `ServiceFailure` on engine or decoding failure.
    pub fn key_last_used(&self, id: &str) -> Result<Option<KeyLastUsed>, AwsError> {
        self.get(Table::LastUsed, id.as_bytes())
    }

    /// Persists a batch of last-use records (from memory, not on the request path). A record
    /// already stored that is later (another replica's) is kept: the latest use wins.
    ///
    /// # Errors
    /// `ServiceFailure` on engine failure.
    pub fn save_last_used(&self, batch: &[(String, KeyLastUsed)]) -> Result<(), AwsError> {
        let encoded: Vec<(&str, Vec<u8>)> =
            batch.iter().map(|(id, used)| Ok((id.as_str(), encode(used)?))).collect::<Result<_, AwsError>>()?;
        self.transact_raw(|ops| {
            for ((id, used), (_, value)) in batch.iter().zip(&encoded) {
                if let Some(stored) = ops.get(Table::LastUsed, id.as_bytes())? {
                    let stored: KeyLastUsed = decode(&stored)?;
                    if stored.date > used.date {
                        continue;
                    }
                }
                ops.put(Table::LastUsed, id.as_bytes(), value)?;
            }
            Ok(())
        })
    }

    /// A transaction over the raw tables, for the store's own bookkeeping.
    fn transact_raw(&self, f: impl Fn(&dyn engine::TxOps) -> Result<(), TxError>) -> Result<(), AwsError> {
        self.writing(|| self.engine().transact(&f).map(|()| ((), true)))
    }

    /// Records of `account` in lowercased-name order, starting at the name `from`, keeping those
    /// `keep` accepts; stops after `limit` + 1 so the caller can tell whether more remain.
    fn list<T: serde::de::DeserializeOwned>(
        &self,
        table: Table,
        account: &str,
        from: Option<&str>,
        limit: usize,
        keep: impl Fn(&T) -> bool,
    ) -> Result<Vec<T>, AwsError> {
        let prefix = records::entity_key(account, "");
        let start = from.map_or_else(|| prefix.clone(), |f| records::entity_key(account, f));
        let mut out = Vec::new();
        self.engine().scan(table, &prefix, &start, &mut |_, v| {
            let record: T = decode(v)?;
            if keep(&record) {
                out.push(record);
            }
            Ok(out.len() <= limit)
        })?;
        Ok(out)
    }
}

/// The store's format version, refusing one newer than this build; a new store is written in
/// this build's.
fn check_format(engine: &dyn Engine) -> Result<u32, OpenError> {
    let found = match engine.get(Table::Meta, b"format_version").map_err(|e| OpenError(e.message().to_owned()))? {
        None => {
            migrate::set_format(engine, FORMAT_VERSION).map_err(OpenError)?;
            return Ok(FORMAT_VERSION);
        }
        Some(v) => std::str::from_utf8(&v).ok().and_then(|s| s.parse().ok()).unwrap_or(u32::MAX),
    };
    if found > FORMAT_VERSION {
        return Err(OpenError(format!("data format {found} is newer than this build understands ({FORMAT_VERSION})")));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Tag;

    fn user(account: &str, name: &str) -> UserRecord {
        UserRecord {
            account: account.into(),
            name: name.into(),
            id: crate::ids::new_id(crate::ids::IdKind::User),
            path: "/".into(),
            create_date: time::OffsetDateTime::UNIX_EPOCH,
            tags: vec![Tag { key: "k".into(), value: account.into() }],
            access_keys: vec![],
            groups: vec![],
            policies: PolicyHolding::default(),
            permissions_boundary: None,
            login_profile: None,
            credentials: Vec::new(),
            keys_and_certs: UserKeysAndCerts::default(),
        }
    }

    #[test]
    fn temporary_keys_are_kept_until_they_expire_then_pruned() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), &MasterKey::from_bytes([1; 32])).unwrap();
        let rec = |t: &str, e: i64| TemporaryKeyRecord { token: t.into(), expires_at: e };
        store.put_temporary_key("ASIAEARLY", &rec("a", 1_000)).unwrap();
        store.put_temporary_key("ASIALATE", &rec("b", 5_000)).unwrap();
        assert_eq!(store.prune_temporary_keys(999).unwrap(), 0);
        assert_eq!(store.temporary_key("ASIAEARLY").unwrap().unwrap().token, "a");
        assert_eq!(store.prune_temporary_keys(1_001).unwrap(), 1);
        assert!(store.temporary_key("ASIAEARLY").unwrap().is_none());
        assert_eq!(store.temporary_key("ASIALATE").unwrap().unwrap().token, "b");
        store.flush_blocking().unwrap();
        drop(store);
        let store = Store::open(dir.path(), &MasterKey::from_bytes([1; 32])).unwrap();
        assert_eq!(store.temporary_key("ASIALATE").unwrap().unwrap().expires_at, 5_000);
        assert_eq!(store.prune_temporary_keys(10_000).unwrap(), 1);
        assert!(store.temporary_key("ASIALATE").unwrap().is_none());
    }

    #[test]
    fn users_are_found_by_id_across_renames_and_gone_after_delete() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), &MasterKey::from_bytes([1; 32])).unwrap();
        let mut alice = user("111111111111", "Alice");
        store.transact(|tx| tx.put_user(&alice)).unwrap();
        assert_eq!(store.user_by_id(&alice.id).unwrap().unwrap().name, "Alice");
        // A rename removes the old name, then puts the new one (as UpdateUser does).
        store
            .transact(|tx| {
                tx.remove_user("111111111111", "Alice")?;
                let mut renamed = alice.clone();
                renamed.name = "alice2".into();
                tx.put_user(&renamed)
            })
            .unwrap();
        alice.name = "alice2".into();
        assert_eq!(store.user_by_id(&alice.id).unwrap().unwrap().name, "alice2");
        store.transact(|tx| tx.remove_user("111111111111", "alice2")).unwrap();
        assert!(store.user_by_id(&alice.id).unwrap().is_none());
    }

    #[test]
    fn a_data_dir_from_before_the_user_id_index_gets_one_on_open() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), &MasterKey::from_bytes([1; 32])).unwrap();
        let bob = user("111111111111", "bob");
        store.transact(|tx| tx.put_user(&bob)).unwrap();
        // What an older build left: users, no index, no marker.
        store
            .apply(&[
                (Table::UserIds, bob.id.as_bytes().to_vec(), None),
                (Table::Meta, b"user_id_index".to_vec(), None),
            ])
            .unwrap();
        store.flush_blocking().unwrap();
        assert!(store.user_by_id(&bob.id).unwrap().is_none());
        drop(store);
        let store = Store::open(dir.path(), &MasterKey::from_bytes([1; 32])).unwrap();
        assert_eq!(store.user_by_id(&bob.id).unwrap().unwrap().name, "bob");
    }

    #[test]
    fn accounts_never_see_each_others_records() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), &MasterKey::from_bytes([1; 32])).unwrap();
        store.transact(|tx| tx.put_user(&user("111111111111", "alice"))).unwrap();
        store.transact(|tx| tx.put_user(&user("222222222222", "alice"))).unwrap();
        store.transact(|tx| tx.put_user(&user("222222222222", "bob"))).unwrap();
        let a = store.users("111111111111", None, 100, |_| true).unwrap();
        assert_eq!(
            a.iter().map(|u| (u.name.as_str(), u.tags[0].value.as_str())).collect::<Vec<_>>(),
            [("alice", "111111111111")]
        );
        assert_eq!(store.users("222222222222", None, 100, |_| true).unwrap().len(), 2);
        assert!(store.user("333333333333", "alice").unwrap().is_none());
        // An account id that is a prefix of another's sees nothing of it.
        assert!(store.users("22222222222", None, 100, |_| true).unwrap().is_empty());
    }

    #[test]
    fn records_survive_reopening_and_the_format_is_checked() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path(), &MasterKey::from_bytes([1; 32])).unwrap();
            store.transact(|tx| tx.put_user(&user("111111111111", "alice"))).unwrap();
            store.flush_blocking().unwrap();
        }
        let store = Store::open(dir.path(), &MasterKey::from_bytes([1; 32])).unwrap();
        assert!(store.user("111111111111", "ALICE").unwrap().is_some(), "names compare without case");
        store.apply(&[(Table::Meta, b"format_version".to_vec(), Some(b"99".to_vec()))]).unwrap();
        drop(store);
        // The refusal must be the format's, not another (a lock still held, an I/O error).
        let err = Store::open(dir.path(), &MasterKey::from_bytes([1; 32])).err().expect("a newer format is refused");
        assert_eq!(err.to_string(), format!("data format 99 is newer than this build understands ({FORMAT_VERSION})"));
    }

    fn key(id: &str, user: &str) -> AccessKeyRecord {
        AccessKeyRecord {
            id: id.into(),
            account: "111111111111".into(),
            user: Some(user.into()),
            status: KeyStatus::Active,
            create_date: time::OffsetDateTime::UNIX_EPOCH,
            secret: Sealer::new(&MasterKey::from_bytes([1; 32])).seal(id, &SecretKey::new("s".repeat(40))).unwrap(),
        }
    }

    #[test]
    fn a_colliding_key_id_is_refused_and_another_drawn() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), &MasterKey::from_bytes([1; 32])).unwrap();
        store.transact(|tx| tx.insert_access_key(&key("AKIATAKEN", "alice"))).unwrap();
        assert!(!store.transact(|tx| tx.insert_access_key(&key("AKIATAKEN", "mallory"))).unwrap());
        let mut draws = vec!["AKIAFRESH".to_owned(), "AKIATAKEN".to_owned()];
        let drawn = store
            .transact_with_new_key(
                || draws.pop().unwrap(),
                |tx, id| Ok(tx.insert_access_key(&key(id, "bob"))?.then(|| id.to_owned())),
            )
            .unwrap();
        assert_eq!(drawn, "AKIAFRESH");
        assert_eq!(store.access_key("AKIATAKEN").unwrap().unwrap().user.as_deref(), Some("alice"), "not overwritten");
        assert_eq!(store.access_key("AKIAFRESH").unwrap().unwrap().user.as_deref(), Some("bob"));
        let always_taken = store.transact_with_new_key(
            || "AKIATAKEN".to_owned(),
            |tx, id| Ok(tx.insert_access_key(&key(id, "x"))?.then_some(())),
        );
        assert!(matches!(always_taken, Err(AwsError::ServiceFailure(_))));
    }

    #[test]
    fn a_store_reopens_at_once_after_the_previous_handle_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..20 {
            let store = Store::open(dir.path(), &MasterKey::from_bytes([1; 32])).unwrap();
            store.transact(|tx| tx.put_user(&user("111111111111", &format!("u{i}")))).unwrap();
            store.flush_blocking().unwrap();
            assert_eq!(store.users("111111111111", None, 100, |_| true).unwrap().len(), i + 1);
        }
    }

    #[test]
    fn writes_are_durable_only_after_their_flush_and_the_view_follows_them() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), &MasterKey::from_bytes([1; 32])).unwrap();
        let before = store.commit_seq();
        store.transact(|tx| tx.put_user(&user("111111111111", "alice"))).unwrap();
        assert!(store.commit_seq() > before);
        assert!(store.user("111111111111", "alice").unwrap().is_some());
        store.transact(|tx| tx.remove_user("111111111111", "alice")).unwrap();
        assert!(store.user("111111111111", "alice").unwrap().is_none(), "the cached user went with the change");
        // A transaction that aborts owes no flush.
        let seq = store.commit_seq();
        let _ = store.transact(|_| abort::<()>(AwsError::NoSuchEntity("x".into())));
        assert_eq!(store.commit_seq(), seq);
        store.flush_blocking().unwrap();
    }
}
