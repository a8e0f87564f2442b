//! The sled trees of one store, by what they hold.

#[derive(Clone)]
pub(super) struct Trees {
    pub(super) meta: sled::Tree,
    pub(super) accounts: sled::Tree,
    pub(super) users: sled::Tree,
    pub(super) access_keys: sled::Tree,
    pub(super) groups: sled::Tree,
    pub(super) policies: sled::Tree,
    pub(super) roles: sled::Tree,
    pub(super) last_used: sled::Tree,
    /// Keystone credentials other than access keys, by id.
    pub(super) credentials: sled::Tree,
    /// IAM user id → the user's entity key (Keystone names users by id).
    pub(super) user_ids: sled::Tree,
    /// Account alias → account id.
    pub(super) aliases: sled::Tree,
    pub(super) instance_profiles: sled::Tree,
    /// Temporary key id → its session token, until it expires.
    pub(super) temporary_keys: sled::Tree,
    /// Expiry (big-endian seconds) ‖ temporary key id, for pruning.
    pub(super) temporary_expiry: sled::Tree,
}
