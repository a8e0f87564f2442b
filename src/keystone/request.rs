//! What a Keystone handler sees of a request, and what it answers.

use serde_json::Value;
use time::OffsetDateTime;

use super::error::{KeystoneError, KsResult};
use super::identity;
use super::token::{self, TokenClaims};
use crate::state::State;

/// One request as the handlers see it.
pub struct Req<'a> {
    pub state: &'a State,
    pub method: &'a str,
    /// Path segments after `/v3`, percent-decoded.
    pub segments: Vec<String>,
    pub query: Vec<(String, String)>,
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
    pub now: OffsetDateTime,
}

impl Req<'_> {
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    #[must_use]
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The catalog's identity endpoint and the base of links: `keystone.public_url`, else
    /// `http://host/v3` as the client reached us.
    #[must_use]
    pub fn base_url(&self) -> String {
        if let Some(u) = &self.state.settings.keystone.public_url {
            return u.clone();
        }
        let host = self.header("host").map_or_else(|| self.state.settings.listen.to_string(), str::to_owned);
        format!("http://{host}/v3")
    }

    /// The JSON body, or Keystone's 400.
    ///
    /// # Errors
    /// 400 for a body that is not a JSON object.
    pub fn json(&self) -> KsResult<Value> {
        match serde_json::from_slice::<Value>(self.body) {
            Ok(v) if v.is_object() => Ok(v),
            _ => Err(KeystoneError::bad_request("The request body is not a valid JSON object.")),
        }
    }

    /// The claims of the caller's `X-Auth-Token`, re-checked against the store (a deleted user's
    /// token stops working at once).
    ///
    /// # Errors
    /// 401 without a valid, unexpired token of ours.
    pub fn caller(&self) -> KsResult<TokenClaims> {
        let token = self.header("x-auth-token").ok_or_else(KeystoneError::need_token)?;
        self.check_token(token)
    }

    /// Opens `token` and checks its subject still exists.
    ///
    /// # Errors
    /// 401 for a token that is not ours, expired, or names a user that is gone.
    pub fn check_token(&self, token: &str) -> KsResult<TokenClaims> {
        let claims = token::open(&self.state.tokens, token, self.now).ok_or_else(KeystoneError::need_token)?;
        match &claims.subject {
            token::Subject::User { account, name, id } => {
                let user = self.state.store.user_arc(account, name)?;
                if user.is_none_or(|u| &u.id != id) {
                    return Err(KeystoneError::need_token());
                }
            }
            token::Subject::Service { name } => {
                if identity::service_user(self.state, name).is_none() {
                    return Err(KeystoneError::need_token());
                }
            }
            token::Subject::Root { .. } | token::Subject::RoleSession { .. } => {}
        }
        Ok(claims)
    }
}

/// What a handler answers.
pub struct Reply {
    pub status: u16,
    pub body: Option<Value>,
    pub headers: Vec<(&'static str, String)>,
}

impl Reply {
    #[must_use]
    pub fn json(status: u16, body: Value) -> Self {
        Self { status, body: Some(body), headers: Vec::new() }
    }

    #[must_use]
    pub fn empty(status: u16) -> Self {
        Self { status, body: None, headers: Vec::new() }
    }
}
