//! The state every front end's handlers share: the store (with its read view), the token
//! sealer, the last-used tracker, settings, the clock and the metrics. Low in the module graph:
//! it knows nothing of HTTP, dispatch or handlers.

use crate::authz::policy_set::{AuthzCache, Loader};
use crate::clock::Clock;
use crate::config::Settings;
use crate::error::AwsError;
use crate::ids::{IdKind, new_key_id, new_secret};
use crate::last_used::LastUsedTracker;
use crate::metrics::Registry;
use crate::sigv4::{SecretKey, SigningKeyCache};
use crate::store::{AccessKeyRecord, AccountRecord, KeyStatus, Store};
use crate::sts::token::TokenSealer;

/// How long a retired token key still opens tokens: the longest a token it sealed can live (a
/// GetSessionToken session's 36 hours, or the Keystone token lifetime when longer).
#[must_use]
pub fn token_retention(settings: &Settings) -> i64 {
    let keystone = i64::try_from(settings.keystone.token_ttl.as_secs()).unwrap_or(i64::MAX);
    keystone.max(crate::protocol::rules::SESSION_DURATION.max)
}

/// The daemon's state, shared by every request.
pub struct State {
    pub settings: Settings,
    pub store: Store,
    pub clock: Clock,
    pub signing_keys: SigningKeyCache,
    pub last_used: LastUsedTracker,
    /// Seals and opens session tokens.
    pub tokens: TokenSealer,
    pub metrics: Registry,
    /// The S3 gateway's requests.
    pub s3_metrics: crate::metrics::ByOperation,
    /// OpenID Connect providers' signing keys, for AssumeRoleWithWebIdentity.
    pub oidc_keys: crate::oidc::keys::ProviderKeys,
    /// Loaded policy sets and parsed documents.
    pub authz: AuthzCache,
}

/// A root key generated on the first start of a data dir, to be shown once.
pub struct GeneratedRoot {
    pub access_key_id: String,
    pub secret: SecretKey,
}

impl State {
    /// The session-token sealer of `keys`. On a shared store it also learns keys other replicas
    /// made after this one started (a rotation followed by their restart).
    fn token_sealer(store: &crate::store::Store, keys: &crate::store::token_keys::TokenKeys) -> TokenSealer {
        let sealer = TokenSealer::with_older(&keys.current.0, &keys.current.1, &keys.older);
        if !store.is_shared() {
            return sealer;
        }
        let store = store.clone();
        sealer.learning(Box::new(move |id| store.read_token_key(id).ok().flatten()))
    }

    /// Opens the data dir and prepares the default account, generating its root key on first
    /// start when configuration gives none.
    ///
    /// # Errors
    /// A message naming what could not be opened or written.
    pub fn open(settings: Settings, clock: Clock) -> Result<(Self, Option<GeneratedRoot>), String> {
        std::fs::create_dir_all(&settings.data_dir)
            .map_err(|e| format!("cannot create data dir {}: {e}", settings.data_dir.display()))?;
        let (store, _) = crate::master_key::open_store(&settings, crate::store::LOCK_WAIT)?;
        let keys = store
            .token_keys(clock.now().unix_timestamp(), token_retention(&settings))
            .map_err(|e| format!("cannot prepare the token keys: {e}"))?;
        let oidc_keys = crate::oidc::keys::ProviderKeys::with_pinned(&settings.pinned_jwks)?;
        let tokens = Self::token_sealer(&store, &keys);
        let app = Self {
            settings,
            store,
            clock,
            signing_keys: SigningKeyCache::new(),
            last_used: LastUsedTracker::default(),
            tokens,
            metrics: Registry::default(),
            s3_metrics: crate::metrics::ByOperation::default(),
            oidc_keys,
            authz: AuthzCache::default(),
        };
        let generated = app.bootstrap_root().map_err(|e| format!("cannot prepare the root account: {e}"))?;
        app.bootstrap_accounts().map_err(|e| format!("cannot prepare the [[accounts]]: {e}"))?;
        Ok((app, generated))
    }

    /// Makes sure each `[[accounts]]` account exists (their root keys come from configuration).
    fn bootstrap_accounts(&self) -> Result<(), AwsError> {
        let now = self.clock.now().replace_millisecond(0).unwrap_or_else(|_| self.clock.now());
        let mut created = false;
        for a in &self.settings.accounts {
            if self.store.account(&a.id)?.is_some() {
                continue;
            }
            self.store.transact(|tx| {
                let mut record = tx.account_or_new(&a.id)?;
                record.create_date.get_or_insert(now);
                tx.put_account(&record)
            })?;
            created = true;
        }
        if created {
            self.store.flush_blocking()?;
        }
        Ok(())
    }

    /// Makes sure the default account exists and has a root key: the configured one, else one
    /// generated now (returned so it can be shown once).
    fn bootstrap_root(&self) -> Result<Option<GeneratedRoot>, AwsError> {
        let account = self.settings.account_id.clone();
        let now = self.clock.now().replace_millisecond(0).unwrap_or_else(|_| self.clock.now());
        let existing = self.store.account(&account)?;
        let needs_key = self.settings.root.is_none() && existing.as_ref().is_none_or(|a| a.root_access_keys.is_empty());
        if existing.is_some() && !needs_key {
            return Ok(None);
        }
        let secret = needs_key.then(|| SecretKey::new(new_secret()));
        let generated = self.store.transact_with_new_key(
            || new_key_id(IdKind::AccessKey, &account),
            |tx, id| {
                let mut a = tx.account(&account)?.unwrap_or_else(|| AccountRecord {
                    id: account.clone(),
                    create_date: Some(now),
                    ..AccountRecord::default()
                });
                let generated = match &secret {
                    None => None,
                    Some(secret) => {
                        let key = AccessKeyRecord {
                            id: id.to_owned(),
                            account: account.clone(),
                            user: None,
                            status: KeyStatus::Active,
                            create_date: now,
                            secret: tx.sealer().seal(id, secret)?,
                        };
                        if !tx.insert_access_key(&key)? {
                            return Ok(None);
                        }
                        a.root_access_keys.push(id.to_owned());
                        Some(GeneratedRoot { access_key_id: id.to_owned(), secret: secret.clone() })
                    }
                };
                tx.put_account(&a)?;
                Ok(Some(generated))
            },
        )?;
        self.store.flush_blocking()?;
        Ok(generated)
    }

    /// The periodic chores: last-used data to disk, expired temporary keys out of the store.
    pub fn housekeeping(&self) {
        if let Err(e) = self.last_used.persist(&self.store) {
            tracing::warn!(error = %e, "could not save last-used data");
        }
        match self.store.prune_temporary_keys(self.clock.now().unix_timestamp()) {
            Ok(0) => {}
            Ok(n) => tracing::debug!(pruned = n, "expired temporary keys removed"),
            Err(e) => tracing::warn!(error = %e, "could not prune temporary keys"),
        }
    }

    /// Writes in-memory state (last-used data) and flushes; for periodic ticks and shutdown.
    ///
    /// # Errors
    /// `ServiceFailure` when the store cannot be written.
    pub fn persist(&self) -> Result<(), AwsError> {
        self.last_used.persist(&self.store)?;
        self.store.flush_blocking()
    }

    /// Where authorization loads policies from.
    #[must_use]
    pub fn loader(&self) -> Loader<'_> {
        self.authz.loader(&self.store)
    }

    /// Everything `/metrics` shows, in Prometheus's text format.
    #[must_use]
    pub fn render_metrics(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        self.metrics.render(&mut out);
        if self.settings.s3_gateway.is_some() {
            self.s3_metrics.render(&mut out, "iamd_s3", "S3 gateway");
        }
        crate::metrics::header(&mut out, "iamd_store_flush_duration_seconds", "histogram", "Group-commit flushes.");
        self.store.flush_histogram().render(&mut out, "iamd_store_flush_duration_seconds", "");
        if let Some(n) = self.store.round_trips() {
            crate::metrics::header(
                &mut out,
                "iamd_store_round_trips_total",
                "counter",
                "Flights of statements sent to the database server for requests.",
            );
            let _ = writeln!(out, "iamd_store_round_trips_total {n}");
        }
        crate::metrics::header(&mut out, "iamd_cache_hits_total", "counter", "Read-view lookups answered from memory.");
        let stats = self.store.view_stats();
        for s in &stats {
            let _ = writeln!(out, "iamd_cache_hits_total{{cache=\"{}\"}} {}", s.kind, s.hits);
        }
        crate::metrics::header(
            &mut out,
            "iamd_cache_misses_total",
            "counter",
            "Read-view lookups that read the store.",
        );
        for s in &stats {
            let _ = writeln!(out, "iamd_cache_misses_total{{cache=\"{}\"}} {}", s.kind, s.misses);
        }
        crate::metrics::header(&mut out, "iamd_cache_entries", "gauge", "Records held by the read view.");
        for s in &stats {
            let _ = writeln!(out, "iamd_cache_entries{{cache=\"{}\"}} {}", s.kind, s.entries);
        }
        out
    }
}
