//! What the typed store needs of a database: named tables of byte keys to byte values, read one
//! key at a time or in key order, and changed in atomic transactions. sled (embedded, the
//! default) and PostgreSQL (shared by replicas) implement it; nothing above `store` sees which.

use crate::error::AwsError;

/// The tables of a store. Their names are the sled trees' and what `iamd export` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    Meta,
    Accounts,
    Users,
    AccessKeys,
    Groups,
    Policies,
    Roles,
    LastUsed,
    /// Keystone credentials other than access keys, by id.
    Credentials,
    /// IAM user id → the user's entity key (Keystone names users by id).
    UserIds,
    /// Account alias → account id.
    Aliases,
    InstanceProfiles,
    /// Temporary key id → its session token, until it expires.
    TemporaryKeys,
    /// Expiry (big-endian seconds) ‖ temporary key id, for pruning.
    TemporaryExpiry,
}

impl Table {
    pub const ALL: [Self; 14] = [
        Self::Meta,
        Self::Accounts,
        Self::Users,
        Self::AccessKeys,
        Self::Groups,
        Self::Policies,
        Self::Roles,
        Self::LastUsed,
        Self::Credentials,
        Self::UserIds,
        Self::Aliases,
        Self::InstanceProfiles,
        Self::TemporaryKeys,
        Self::TemporaryExpiry,
    ];

    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Meta => "meta",
            Self::Accounts => "accounts",
            Self::Users => "users",
            Self::AccessKeys => "access_keys",
            Self::Groups => "groups",
            Self::Policies => "managed_policies",
            Self::Roles => "roles",
            Self::LastUsed => "access_key_last_used",
            Self::Credentials => "credentials",
            Self::UserIds => "user_ids",
            Self::Aliases => "account_aliases",
            Self::InstanceProfiles => "instance_profiles",
            Self::TemporaryKeys => "temporary_keys",
            Self::TemporaryExpiry => "temporary_key_expiry",
        }
    }

    /// The table's number: its index in [`Table::ALL`] (PostgreSQL keys rows by it).
    #[must_use]
    pub fn number(self) -> i16 {
        Self::ALL.iter().position(|t| *t == self).and_then(|i| i16::try_from(i).ok()).unwrap_or(i16::MAX)
    }

    #[must_use]
    pub fn named(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }
}

/// Why a transaction step stopped.
#[derive(Debug)]
pub enum TxError {
    /// The transaction is abandoned with this answer; nothing it wrote is kept.
    Abort(AwsError),
    /// It collided with a concurrent one: the engine runs it again from the start.
    Retry,
}

impl From<AwsError> for TxError {
    fn from(e: AwsError) -> Self {
        Self::Abort(e)
    }
}

/// One transaction's access to the tables. Reads see the transaction's own writes.
pub trait TxOps {
    /// # Errors
    /// [`TxError::Retry`] on a conflict, else the engine's failure as an abort.
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, TxError>;
    /// # Errors
    /// As [`TxOps::get`].
    fn put(&self, table: Table, key: &[u8], value: &[u8]) -> Result<(), TxError>;
    /// # Errors
    /// As [`TxOps::get`].
    fn remove(&self, table: Table, key: &[u8]) -> Result<(), TxError>;
}

/// A failure to open a store.
#[derive(Debug)]
pub struct OpenError(pub String);

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for OpenError {}

/// One change outside a transaction's closure: a value put, or (`None`) a key removed.
pub type Write = (Table, Vec<u8>, Option<Vec<u8>>);

/// What a visit of a scan says: go on to the next pair, or stop.
pub type Visit<'a> = dyn FnMut(&[u8], &[u8]) -> Result<bool, AwsError> + 'a;

/// What a snapshot hands over: each pair with its table.
pub type Pair<'a> = dyn FnMut(Table, &[u8], &[u8]) + 'a;

/// A storage engine.
pub trait Engine: Send + Sync {
    /// # Errors
    /// `ServiceFailure` (or `ServiceUnavailable` while a database is unreachable).
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, AwsError>;

    /// The pairs of `table` whose key starts with `prefix` and is not before `from`, in key
    /// order, until `visit` answers `false`.
    ///
    /// # Errors
    /// As [`Engine::get`], or what `visit` fails with.
    fn scan(&self, table: Table, prefix: &[u8], from: &[u8], visit: &mut Visit<'_>) -> Result<(), AwsError>;

    /// Runs `f` in one atomic, serializable transaction over every table, again from the start
    /// as often as it asks for a [`TxError::Retry`]. Whether the change is durable on return is
    /// [`Engine::durable_on_commit`].
    ///
    /// # Errors
    /// What `f` aborted with, or the engine's failure.
    fn transact(&self, f: &dyn Fn(&dyn TxOps) -> Result<(), TxError>) -> Result<(), AwsError>;

    /// Applies `writes` atomically.
    ///
    /// # Errors
    /// As [`Engine::get`].
    fn write(&self, writes: &[Write]) -> Result<(), AwsError> {
        self.transact(&|tx| {
            for (table, key, value) in writes {
                match value {
                    Some(v) => tx.put(*table, key, v)?,
                    None => tx.remove(*table, key)?,
                }
            }
            Ok(())
        })
    }

    /// Stores `value` under `key` unless the key is present; whether it was stored.
    ///
    /// # Errors
    /// As [`Engine::get`].
    fn insert_new(&self, table: Table, key: &[u8], value: &[u8]) -> Result<bool, AwsError> {
        let stored = std::cell::Cell::new(false);
        self.transact(&|tx| {
            stored.set(false);
            if tx.get(table, key)?.is_none() {
                tx.put(table, key, value)?;
                stored.set(true);
            }
            Ok(())
        })?;
        Ok(stored.get())
    }

    /// Whether a commit is on stable storage when [`Engine::transact`] returns. When not, the
    /// store's group committer serializes writes and makes batches of them durable with
    /// [`Engine::flush`].
    fn durable_on_commit(&self) -> bool;

    /// Makes every write so far durable.
    ///
    /// # Errors
    /// The I/O failure, as text.
    fn flush(&self) -> Result<(), String>;

    /// Tells the other processes sharing this database which accounts a commit changed (and
    /// whether it changed access keys), so that their read views drop what it made stale.
    ///
    /// # Errors
    /// When the database cannot be told.
    fn announce(&self, _accounts: &[String], _keys: bool) -> Result<(), AwsError> {
        Ok(())
    }

    /// Every pair of every table as of one moment, even while other processes write (what
    /// `iamd export` reads). An embedded engine has no other writer: it scans each table.
    ///
    /// # Errors
    /// As [`Engine::scan`].
    fn snapshot(&self, visit: &mut Pair<'_>) -> Result<(), AwsError> {
        for table in Table::ALL {
            self.scan(table, b"", b"", &mut |k, v| {
                visit(table, k, v);
                Ok(true)
            })?;
        }
        Ok(())
    }

    /// Round trips to a database server so far, for `/metrics` (an embedded engine has none).
    fn round_trips(&self) -> Option<u64> {
        None
    }

    /// Whether the database answers, for `/healthz`.
    fn healthy(&self) -> bool {
        true
    }

    /// Test builds: the next `n` syncs fail, as on a failing disk.
    #[cfg(feature = "fault-injection")]
    fn fail_next_syncs(&self, _n: u32) {}
}

/// Whether `table` holds no pair.
///
/// # Errors
/// As [`Engine::scan`].
pub fn is_empty(engine: &dyn Engine, table: Table) -> Result<bool, AwsError> {
    let mut empty = true;
    engine.scan(table, b"", b"", &mut |_, _| {
        empty = false;
        Ok(false)
    })?;
    Ok(empty)
}
