//! Signing keys of OpenID Connect providers: fetched from each provider's discovery document
//! (`/.well-known/openid-configuration`) and its `jwks_uri`, cached per provider by `kid`. A
//! `kid` not in the cache refetches, at most once per [`REFRESH_EVERY`] per provider, so forged
//! tokens with random `kid`s cannot make iamd hammer the provider. Every fetch is bounded by
//! [`FETCH_TIMEOUT`]; requests that need a provider's keys while they are being fetched wait for
//! that one fetch (a lock per provider), and no other lock is held across it: a slow provider
//! delays only the requests that need its keys.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use jsonwebtoken::jwk::{Jwk, JwkSet};

/// The shortest time between two fetches of one provider's keys.
pub const REFRESH_EVERY: Duration = Duration::from_secs(2);
/// How long one fetch (discovery document, then JWKS) may take.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest discovery document or JWKS read.
const MAX_DOCUMENT: usize = 256 * 1024;

/// Why no key was found.
#[derive(Debug, PartialEq, Eq)]
pub enum KeyError {
    /// The provider could not be reached, answered badly, or too slowly.
    Unreachable(String),
    /// The provider's keys (just fetched, or fetched too recently to fetch again) lack the kid.
    UnknownKey,
}

struct Cached {
    jwks: Option<Arc<JwkSet>>,
    /// When the last fetch ended.
    last_fetch: Option<Instant>,
    /// Fetches ended so far: a request that waited on one uses its result.
    fetches: u64,
}

type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Empty<bytes::Bytes>>;

/// The key cache of every provider, and the client that fills it.
pub struct ProviderKeys {
    /// Providers whose keys the config gives: never fetched.
    pinned: HashMap<String, Arc<JwkSet>>,
    cache: Mutex<HashMap<String, Cached>>,
    /// One fetch at a time per provider.
    fetching: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    client: HttpsClient,
}

impl Default for ProviderKeys {
    fn default() -> Self {
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(Arc::new(tokio_rustls::rustls::crypto::ring::default_provider()))
            .expect("ring supports the default protocol versions")
            .https_or_http()
            .enable_http1()
            .build();
        Self {
            pinned: HashMap::new(),
            cache: Mutex::new(HashMap::new()),
            fetching: Mutex::new(HashMap::new()),
            client: Client::builder(TokioExecutor::new()).build(https),
        }
    }
}

/// Whether `url` may be fetched: https, or http to a loopback host (tests and CI run issuers
/// locally; nothing else may be reached in the clear).
fn fetchable(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else { return url.starts_with("https://") };
    let host = rest.split(['/', '?']).next().unwrap_or_default();
    let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
    matches!(host, "127.0.0.1" | "localhost" | "[::1]")
}

impl ProviderKeys {
    /// Keys for the providers (by URL) whose JWKS documents the config pins.
    ///
    /// # Errors
    /// A document that is not a JWKS.
    pub fn with_pinned(pinned: &[(String, String)]) -> Result<Self, String> {
        let mut keys = Self::default();
        for (provider, text) in pinned {
            let set: JwkSet =
                serde_json::from_str(text).map_err(|e| format!("the pinned JWKS of {provider} is not a JWKS: {e}"))?;
            keys.pinned.insert(provider.trim_end_matches('/').to_owned(), Arc::new(set));
        }
        Ok(keys)
    }

    /// The key `kid` (or, without one, the only key) of the provider whose issuer URL is `url`.
    ///
    /// # Errors
    /// [`KeyError`].
    pub async fn key(&self, url: &str, kid: Option<&str>) -> Result<Jwk, KeyError> {
        if let Some(set) = self.pinned.get(url.trim_end_matches('/')) {
            return pick(set, kid).ok_or(KeyError::UnknownKey);
        }
        let (cached, _, seen) = self.cached(url);
        if let Some(jwk) = cached.as_deref().and_then(|set| pick(set, kid)) {
            return Ok(jwk);
        }
        let lock = {
            let mut fetching = self.fetching.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            fetching.entry(url.to_owned()).or_default().clone()
        };
        let _one_fetch = lock.lock().await;
        // A fetch that finished while this request waited may have brought the key.
        let (cached, may_fetch, fetches) = self.cached(url);
        if let Some(jwk) = cached.as_deref().and_then(|set| pick(set, kid)) {
            return Ok(jwk);
        }
        if !may_fetch || fetches != seen {
            return Err(if cached.is_some() {
                KeyError::UnknownKey
            } else {
                KeyError::Unreachable("the provider's keys were fetched moments ago and failed".into())
            });
        }
        let fetched = tokio::time::timeout(FETCH_TIMEOUT, self.fetch(url))
            .await
            .unwrap_or_else(|_| Err(format!("no answer within {} s", FETCH_TIMEOUT.as_secs())));
        match fetched {
            Ok(set) => {
                let set = Arc::new(set);
                self.note_fetch(url, Some(set.clone()));
                pick(&set, kid).ok_or(KeyError::UnknownKey)
            }
            Err(e) => {
                self.note_fetch(url, None);
                tracing::warn!(provider = url, error = %e, "fetching an OpenID Connect provider's keys failed");
                Err(KeyError::Unreachable(e))
            }
        }
    }

    /// The provider's cached keys, whether they may be fetched again now, and how many
    /// fetches have ended.
    fn cached(&self, url: &str) -> (Option<Arc<JwkSet>>, bool, u64) {
        let cache = self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match cache.get(url) {
            Some(c) => (c.jwks.clone(), c.last_fetch.is_none_or(|t| t.elapsed() >= REFRESH_EVERY), c.fetches),
            None => (None, true, 0),
        }
    }

    fn note_fetch(&self, url: &str, jwks: Option<Arc<JwkSet>>) {
        let mut cache = self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry = cache.entry(url.to_owned()).or_insert(Cached { jwks: None, last_fetch: None, fetches: 0 });
        entry.last_fetch = Some(Instant::now());
        entry.fetches += 1;
        if jwks.is_some() {
            entry.jwks = jwks;
        }
    }

    async fn fetch(&self, url: &str) -> Result<JwkSet, String> {
        let discovery = format!("{}/.well-known/openid-configuration", url.trim_end_matches('/'));
        let doc: serde_json::Value = serde_json::from_slice(&self.get(&discovery).await?)
            .map_err(|e| format!("{discovery}: not a JSON document: {e}"))?;
        let jwks_uri = doc
            .get("jwks_uri")
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| format!("{discovery}: no jwks_uri"))?;
        if !fetchable(jwks_uri) {
            return Err(format!("{discovery}: jwks_uri {jwks_uri} is neither https nor on a loopback host"));
        }
        serde_json::from_slice(&self.get(jwks_uri).await?).map_err(|e| format!("{jwks_uri}: not a JWKS: {e}"))
    }

    async fn get(&self, url: &str) -> Result<bytes::Bytes, String> {
        let uri: hyper::Uri = url.parse().map_err(|e| format!("{url}: {e}"))?;
        let req = hyper::Request::get(uri)
            .header(hyper::header::ACCEPT, "application/json")
            .body(Empty::new())
            .map_err(|e| format!("{url}: {e}"))?;
        let resp = self.client.request(req).await.map_err(|e| format!("{url}: {e}"))?;
        if !resp.status().is_success() {
            return Err(format!("{url}: HTTP {}", resp.status()));
        }
        let body = Limited::new(resp.into_body(), MAX_DOCUMENT).collect().await.map_err(|e| format!("{url}: {e}"))?;
        Ok(body.to_bytes())
    }
}

/// The key named `kid`; without a kid, the set's only key.
fn pick(set: &JwkSet, kid: Option<&str>) -> Option<Jwk> {
    match kid {
        Some(kid) => set.find(kid).cloned(),
        None if set.keys.len() == 1 => set.keys.first().cloned(),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_loopback_http_is_fetched() {
        assert!(fetchable("https://idp.example.org/jwks"));
        assert!(fetchable("http://127.0.0.1:8080/jwks"));
        assert!(fetchable("http://localhost/jwks"));
        assert!(fetchable("http://[::1]:9/jwks"));
        assert!(!fetchable("http://idp.example.org/jwks"));
        assert!(!fetchable("http://127.0.0.1.evil.org/jwks"));
        assert!(!fetchable("file:///etc/passwd"));
    }
}
