//! Keystone tokens: who, in which project, with which roles, until when. Like session tokens
//! they are sealed under the token key (as their own kind, so neither opens as the other), so
//! every replica sharing the data dir or its token key accepts them and they survive restarts.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::sts::token::TokenSealer;

/// The sealed kind: the token header is `iamdks{key id}`.
const KIND: &str = "iamdks";

/// Keystone's one domain.
pub const DOMAIN_ID: &str = "default";
pub const DOMAIN_NAME: &str = "Default";

/// Whom a token (or an s3tokens answer) speaks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub enum Subject {
    /// A service user from the config file (a storage server).
    Service { name: String },
    /// An IAM user.
    User { account: String, id: String, name: String },
    /// An account's root (through its access keys).
    Root { account: String },
    /// A role session (through its temporary key).
    RoleSession { account: String, role_id: String, role_name: String, session_name: String },
}

impl Subject {
    /// The Keystone user id.
    #[must_use]
    pub fn user_id(&self) -> String {
        match self {
            Self::Service { name } => service_user_id(name),
            Self::User { id, .. } => id.clone(),
            Self::Root { account } => account.clone(),
            Self::RoleSession { role_id, session_name, .. } => format!("{role_id}:{session_name}"),
        }
    }

    /// The Keystone user name.
    #[must_use]
    pub fn user_name(&self) -> String {
        match self {
            Self::Service { name } | Self::User { name, .. } => name.clone(),
            Self::Root { .. } => "root".into(),
            Self::RoleSession { role_name, session_name, .. } => format!("{role_name}/{session_name}"),
        }
    }

    /// The IAM account the subject belongs to; service users belong to none.
    #[must_use]
    pub fn account(&self) -> Option<&str> {
        match self {
            Self::Service { .. } => None,
            Self::User { account, .. } | Self::Root { account } | Self::RoleSession { account, .. } => Some(account),
        }
    }
}

/// A service user's stable Keystone id.
#[must_use]
pub fn service_user_id(name: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(&Sha256::digest(format!("iamd-service-user/{name}").as_bytes())[..16])
}

/// A Keystone project: an IAM account, or a service user's project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Project {
    pub id: String,
    pub name: String,
}

/// What a token carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenClaims {
    pub subject: Subject,
    /// `None` for an unscoped token.
    pub project: Option<Project>,
    pub roles: Vec<String>,
    pub methods: Vec<String>,
    pub issued_at: i64,
    pub expires_at: i64,
    pub audit_id: String,
}

impl TokenClaims {
    #[must_use]
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r.eq_ignore_ascii_case(role))
    }
}

#[must_use]
pub fn seal(sealer: &TokenSealer, claims: &TokenClaims) -> String {
    sealer.seal_json(KIND, claims)
}

/// The claims of a token we sealed, if it is not expired at `now`.
#[must_use]
pub fn open(sealer: &TokenSealer, token: &str, now: OffsetDateTime) -> Option<TokenClaims> {
    let claims: TokenClaims = sealer.open_json(KIND, token).ok()?;
    (now.unix_timestamp() < claims.expires_at).then_some(claims)
}

/// Keystone's timestamp form: `2026-12-01T10:00:00.000000Z`.
#[must_use]
pub fn keystone_time(unix: i64) -> String {
    let t = OffsetDateTime::from_unix_timestamp(unix).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let s = t.format(&Rfc3339).unwrap_or_default();
    // Rfc3339 writes whole seconds as `…:00Z`; Keystone always writes microseconds.
    s.trim_end_matches('Z').to_owned() + ".000000Z"
}

/// Stable role ids: Keystone clients show them but only match on names.
fn role_id(name: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(&Sha256::digest(format!("iamd-role/{name}").as_bytes())[..16])
}

fn domain() -> Value {
    json!({"id": DOMAIN_ID, "name": DOMAIN_NAME})
}

/// The v3 token body (`{"token": …}`); `identity_url` is the catalog's identity endpoint.
#[must_use]
pub fn body(claims: &TokenClaims, identity_url: &str, region: &str) -> Value {
    let mut token = json!({
        "methods": claims.methods,
        "user": {
            "id": claims.subject.user_id(),
            "name": claims.subject.user_name(),
            "domain": domain(),
            "password_expires_at": null,
        },
        "audit_ids": [claims.audit_id],
        "issued_at": keystone_time(claims.issued_at),
        "expires_at": keystone_time(claims.expires_at),
    });
    if let Some(p) = &claims.project {
        token["project"] = json!({"id": p.id, "name": p.name, "domain": domain()});
        token["is_domain"] = json!(false);
        token["roles"] = claims.roles.iter().map(|r| json!({"id": role_id(r), "name": r})).collect();
        let endpoints: Vec<Value> = ["public", "internal", "admin"]
            .iter()
            .map(|interface| {
                json!({
                    "id": role_id(&format!("endpoint/{interface}")),
                    "interface": interface,
                    "region": region,
                    "region_id": region,
                    "url": identity_url,
                })
            })
            .collect();
        token["catalog"] = json!([{
            "type": "identity",
            "name": "keystone",
            "id": role_id("catalog/identity"),
            "endpoints": endpoints,
        }]);
    }
    json!({ "token": token })
}
