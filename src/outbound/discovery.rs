//! The issuer's public documents: `/.well-known/openid-configuration` and
//! `/.well-known/jwks.json`, served without a signature to anyone, for enabled issuers only.

use serde_json::json;

use crate::state::State;

/// The document at `path` (`/outbound-federation/{id}/.well-known/…`), or `None` when there is
/// none: not an issuer's path, an unknown issuer, or one disabled.
#[must_use]
pub fn document(app: &State, path: &str, base_url: &str) -> Option<String> {
    let rest = path.strip_prefix(super::PATH_PREFIX)?;
    let (issuer_id, doc) = rest.split_once('/')?;
    let (account, _) = issuer_id.split_once('-')?;
    let record =
        app.store.account(account).ok()??.outbound_federation.filter(|o| o.enabled && o.issuer_id == issuer_id)?;
    let issuer = super::issuer_url(base_url, issuer_id);
    match doc {
        ".well-known/jwks.json" => Some(record.jwks),
        ".well-known/openid-configuration" => Some(
            json!({
                "issuer": issuer,
                "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
                "response_types_supported": ["id_token"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": super::keys::ALGORITHMS,
                "claims_supported": ["iss", "aud", "sub", "iat", "exp", "jti", "https://sts.amazonaws.com/"],
            })
            .to_string(),
        ),
        _ => None,
    }
}
