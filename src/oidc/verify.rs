//! Verifying an OpenID Connect ID token against a provider registered in IAM: the algorithm is
//! an asymmetric one (never `none`, never HMAC, whose "secret" could be the provider's public
//! key), the signature verifies with the provider's key for the token's `kid`, `iss` names the
//! provider, `aud` (or `azp`) is one of its client ids, and `exp`/`nbf`/`iat` hold with a small
//! leeway.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, errors::ErrorKind};
use serde_json::Value;

use super::keys::{KeyError, ProviderKeys};
use crate::error::AwsError;
use crate::store::OidcProviderRecord;

/// How far token times may be off.
pub const LEEWAY_SECONDS: u64 = 60;

const ALGORITHMS: &[Algorithm] =
    &[Algorithm::RS256, Algorithm::RS384, Algorithm::RS512, Algorithm::PS256, Algorithm::ES256, Algorithm::ES384];

/// What a verified token says.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The provider's name (`HOST[:PORT]/PATH`), the condition keys' prefix.
    pub provider_id: String,
    pub issuer: String,
    pub subject: String,
    /// The client id the token was issued to (its `aud`, or `azp`).
    pub audience: String,
    /// Every audience the token names (`oaud` in trust conditions).
    pub audiences: Vec<String>,
    pub amr: Vec<String>,
    /// The `https://aws.amazon.com/tags` claim's `principal_tags`, flattened to one value each.
    pub principal_tags: Vec<(String, String)>,
    pub transitive_tag_keys: Vec<String>,
    /// The `https://aws.amazon.com/source_identity` claim.
    pub source_identity: Option<String>,
}

fn invalid(message: &str) -> AwsError {
    AwsError::InvalidIdentityToken(message.to_owned())
}

/// The unverified claims, to find the issuer before the key.
fn peek_claims(token: &str) -> Result<Value, AwsError> {
    let not_jwt =
        || invalid("The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)");
    let mut parts = token.split('.');
    let (Some(_), Some(payload), Some(_), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(not_jwt());
    };
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).map_err(|_| not_jwt())?;
    serde_json::from_slice(&bytes).map_err(|_| not_jwt())
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        _ => Vec::new(),
    }
}

/// The provider a token's `iss` names among `providers`: its URL as created (scheme included,
/// a trailing slash aside).
fn provider_for<'a>(providers: &'a [OidcProviderRecord], iss: &str) -> Option<&'a OidcProviderRecord> {
    let iss = iss.trim_end_matches('/');
    providers.iter().find(|p| p.url.trim_end_matches('/') == iss)
}

/// Verifies `token` against the providers of the role's account.
///
/// # Errors
/// `InvalidIdentityToken` (also when the provider's keys cannot be fetched), `ExpiredTokenException`.
pub async fn verify(
    keys: &ProviderKeys,
    providers: &[OidcProviderRecord],
    token: &str,
    now: i64,
) -> Result<Verified, AwsError> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| {
        invalid("The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)")
    })?;
    if !ALGORITHMS.contains(&header.alg) {
        return Err(invalid(&format!("Unsupported token signing algorithm {:?}.", header.alg)));
    }
    let claims = peek_claims(token)?;
    let iss = claims.get("iss").and_then(Value::as_str).ok_or_else(|| invalid("The token has no issuer (iss)."))?;
    let provider = provider_for(providers, iss)
        .ok_or_else(|| invalid(&format!("No OpenIDConnect provider found in your account for {iss}")))?;
    let jwk = match keys.key(&provider.url, header.kid.as_deref()).await {
        Ok(jwk) => jwk,
        Err(KeyError::UnknownKey) => {
            return Err(invalid("The token's signing key (kid) is not among the provider's keys."));
        }
        // AWS's answer when a provider's keys cannot be fetched (unreachable, slower than its 5 s,
        // no keys) is this InvalidIdentityToken, two spaces and all, not IDPCommunicationError.
        Err(KeyError::Unreachable(_)) => {
            return Err(invalid(
                "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements",
            ));
        }
    };
    if jwk.common.key_algorithm.is_some_and(|a| a.to_string() != format!("{:?}", header.alg)) {
        return Err(invalid("The token's algorithm is not its key's."));
    }
    let key = DecodingKey::from_jwk(&jwk).map_err(|_| invalid("The provider's key cannot verify this token."))?;
    let mut validation = Validation::new(header.alg);
    validation.leeway = LEEWAY_SECONDS;
    validation.validate_nbf = true;
    validation.validate_aud = false;
    validation.set_required_spec_claims(&["exp", "iss", "sub"]);
    let data = jsonwebtoken::decode::<Value>(token, &key, &validation).map_err(|e| match e.kind() {
        ErrorKind::ExpiredSignature => AwsError::ExpiredTokenException(format!(
            "Token expired: current date/time {now} must be before the expiration date/time {}",
            claims.get("exp").and_then(Value::as_i64).unwrap_or_default()
        )),
        ErrorKind::ImmatureSignature => invalid("The token is not valid yet (nbf)."),
        ErrorKind::InvalidSignature => invalid("The signature of the token is invalid."),
        _ => invalid(&format!("The token could not be verified: {e}")),
    })?;
    let claims = data.claims;
    let leeway = i64::try_from(LEEWAY_SECONDS).unwrap_or(60);
    if claims.get("iat").and_then(Value::as_i64).is_some_and(|iat| iat > now + leeway) {
        return Err(invalid("The token was issued in the future (iat)."));
    }
    let audiences = strings(claims.get("aud"));
    let azp = claims.get("azp").and_then(Value::as_str);
    let audience = audiences
        .iter()
        .map(String::as_str)
        .chain(azp)
        .find(|a| provider.client_ids.iter().any(|c| c == a))
        .ok_or_else(|| invalid("Incorrect token audience"))?
        .to_owned();
    let subject = claims.get("sub").and_then(Value::as_str).unwrap_or_default().to_owned();
    let tags = claims.get("https://aws.amazon.com/tags");
    let principal_tags = tags
        .and_then(|t| t.get("principal_tags"))
        .and_then(Value::as_object)
        .map(|m| m.iter().filter_map(|(k, v)| strings(Some(v)).into_iter().next().map(|v| (k.clone(), v))).collect())
        .unwrap_or_default();
    Ok(Verified {
        provider_id: provider.id.clone(),
        issuer: iss.to_owned(),
        subject,
        audience,
        audiences,
        amr: strings(claims.get("amr")),
        principal_tags,
        transitive_tag_keys: strings(tags.and_then(|t| t.get("transitive_tag_keys"))),
        source_identity: claims
            .get("https://aws.amazon.com/source_identity")
            .and_then(Value::as_str)
            .map(str::to_owned),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuers_name_providers_with_or_without_scheme() {
        let p = |id: &str, url: &str| OidcProviderRecord {
            id: id.into(),
            url: url.into(),
            client_ids: vec![],
            thumbprints: vec![],
            create_date: time::OffsetDateTime::UNIX_EPOCH,
            tags: vec![],
        };
        let ps =
            [p("idp.example.org/realm", "https://idp.example.org/realm"), p("127.0.0.1:9/x", "http://127.0.0.1:9/x")];
        assert_eq!(provider_for(&ps, "https://idp.example.org/realm").unwrap().id, "idp.example.org/realm");
        assert_eq!(provider_for(&ps, "http://127.0.0.1:9/x").unwrap().id, "127.0.0.1:9/x");
        assert!(provider_for(&ps, "https://idp.example.org/other").is_none());
        assert!(provider_for(&ps, "https://127.0.0.1:9/x").is_none(), "another scheme is another issuer");
        assert_eq!(provider_for(&ps, "https://idp.example.org/realm/").unwrap().id, "idp.example.org/realm");
        assert!(peek_claims("a.b").is_err());
        assert!(peek_claims("a.!!!.c").is_err());
        assert_eq!(strings(Some(&serde_json::json!(["a", 1, "b"]))), ["a", "b"]);
    }
}
