//! Step one: find the signature in a request and check everything that needs
//! no secret.
//!
//! The checks run in the order AWS's front end runs them (as recorded in
//! dynalite's notes), so a request with several faults gets AWS's error:
//! missing parts, then the date, then `host` signed, then the algorithm, the
//! credential's shape, and last the scope.

use std::fmt;

use time::{Duration, OffsetDateTime};

use super::dates::{format_amz_date, parse_amz_date, parse_http_date};
use super::encoding::decode_query_component;
use super::error::AuthError;
use super::error::{
    EXPIRES_NEGATIVE, EXPIRES_NOT_A_NUMBER, EXPIRES_TOO_LONG, FOUND_BOTH, HOST_NOT_SIGNED, MISSING_TOKEN,
    REQUEST_EXPIRED,
};
use super::request::{RequestParts, Settings, SignatureLocation, UriEncoding, header};
use super::string_to_sign::Scope;
use super::string_to_sign::{ALGORITHM, TERMINATOR};

/// The longest validity a presigned URL may claim: seven days, in seconds.
const MAX_EXPIRES: i64 = 604_800;

/// Everything parsed out of the request's signature; no secret needed yet.
#[derive(Clone)]
pub struct ParsedAuth {
    /// The access key id from the credential; the caller looks its secret up.
    pub access_key_id: String,
    /// The credential scope (its terminator is already checked).
    pub scope: Scope,
    /// `SignedHeaders`, in the order given.
    pub signed_headers: Vec<String>,
    /// The signature as sent (hex).
    pub signature: String,
    /// The request time the signature covers (`X-Amz-Date`, else `Date`).
    pub amz_date: OffsetDateTime,
    /// `X-Amz-Security-Token` (query parameter for presigned requests, else
    /// header); what it means is the caller's to decide.
    pub security_token: Option<String>,
    /// Where the signature was.
    pub location: SignatureLocation,
    /// `X-Amz-Expires` of a presigned request, in seconds.
    pub expires: Option<u32>,
    /// Whether the body is left out of the signature (`UNSIGNED-PAYLOAD`);
    /// the caller may refuse such requests where the body matters.
    pub unsigned_payload: bool,
}

impl fmt::Debug for ParsedAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParsedAuth")
            .field("access_key_id", &self.access_key_id)
            .field("scope", &self.scope)
            .field("signed_headers", &self.signed_headers)
            .field("signature", &self.signature)
            .field("amz_date", &self.amz_date)
            // A session token is a bearer credential: keep it out of logs.
            .field("security_token", &self.security_token.as_ref().map(|_| "[REDACTED]"))
            .field("location", &self.location)
            .field("expires", &self.expires)
            .field("unsigned_payload", &self.unsigned_payload)
            .finish()
    }
}

/// Finds and parses the signature (`Authorization` header or `X-Amz-*` query
/// parameters) and checks what needs no secret: algorithm
/// `AWS4-HMAC-SHA256`, a five-part credential ending in `aws4_request`,
/// `host` among the signed headers, the request date within
/// `settings.max_skew` of now (header form) or within `X-Amz-Expires` of
/// `X-Amz-Date` and not in the future beyond the skew (presigned), and the
/// scope's date equal to the request date.
///
/// # Errors
/// The [`AuthError`] AWS would answer with; see the variants.
pub fn parse(req: &RequestParts<'_>, settings: &Settings) -> Result<ParsedAuth, AuthError> {
    // Request dates have whole seconds and AWS's messages show whole
    // seconds, so the clock is judged by its second too.
    let settings = &Settings { now: settings.now.replace_nanosecond(0).unwrap_or(settings.now), ..*settings };
    let authorization = header(req.headers, "authorization");
    let query = QueryParams::new(req.query);
    match (authorization, query.get("X-Amz-Algorithm")) {
        (Some(_), Some(_)) => Err(AuthError::SignatureDoesNotMatch(FOUND_BOTH.to_owned())),
        (Some(auth), None) if auth.trim_start().starts_with("AWS4-") => parse_header(req, auth, settings),
        (None, Some(_)) => parse_query(req, &query, settings),
        _ => Err(AuthError::MissingAuthenticationToken(MISSING_TOKEN.to_owned())),
    }
}

/// The `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…,
/// Signature=…` form.
fn parse_header(req: &RequestParts<'_>, auth: &str, settings: &Settings) -> Result<ParsedAuth, AuthError> {
    let trimmed = auth.trim();
    let (algorithm, rest) = trimmed.split_once(|c: char| c.is_ascii_whitespace()).unwrap_or((trimmed, ""));
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    // Components are separated by commas and/or spaces (AWS accepts both).
    for piece in rest.split(|c: char| c == ',' || c.is_ascii_whitespace()).filter(|p| !p.is_empty()) {
        let Some((key, value)) = piece.split_once('=') else {
            return Err(AuthError::IncompleteSignature(format!(
                "'{piece}' not a valid key=value pair (missing equal-sign) in Authorization header: '{auth}'."
            )));
        };
        match key {
            "Credential" => credential = Some(value),
            "SignedHeaders" => signed_headers = Some(value),
            "Signature" => signature = Some(value),
            _ => {}
        }
    }
    let credential = credential.filter(|c| !c.is_empty());
    let signature = signature.filter(|s| !s.is_empty());
    let amz_date = header(req.headers, "x-amz-date");
    let date = amz_date.or_else(|| header(req.headers, "date"));

    let mut missing = String::new();
    if credential.is_none() {
        missing.push_str("Authorization header requires 'Credential' parameter. ");
    }
    if signature.is_none() {
        missing.push_str("Authorization header requires 'Signature' parameter. ");
    }
    // An empty SignedHeaders passes here and fails the `host` check below.
    if signed_headers.is_none() {
        missing.push_str("Authorization header requires 'SignedHeaders' parameter. ");
    }
    if date.is_none() {
        missing.push_str("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ");
    }
    let (Some(credential), Some(signed_headers), Some(signature), Some(date)) =
        (credential, signed_headers, signature, date)
    else {
        return Err(AuthError::IncompleteSignature(format!("{missing}Authorization={auth}")));
    };

    let request_time =
        if amz_date.is_some() { parse_amz_date(date) } else { parse_http_date(date) }.ok_or_else(|| bad_date(date))?;
    check_skew(request_time, settings)?;
    let signed_headers = split_signed_headers(signed_headers)?;
    check_algorithm(algorithm)?;
    let (access_key_id, scope) = parse_credential(credential, request_time)?;

    Ok(ParsedAuth {
        access_key_id,
        scope,
        signed_headers,
        signature: signature.to_owned(),
        amz_date: request_time,
        security_token: header(req.headers, "x-amz-security-token").map(str::to_owned),
        location: SignatureLocation::Header,
        expires: None,
        unsigned_payload: unsigned_payload(req, SignatureLocation::Header, settings.uri_encoding),
    })
}

/// The presigned form: `X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`,
/// `X-Amz-SignedHeaders`, `X-Amz-Signature` and optionally `X-Amz-Expires`
/// and `X-Amz-Security-Token` in the query string.
fn parse_query(req: &RequestParts<'_>, query: &QueryParams, settings: &Settings) -> Result<ParsedAuth, AuthError> {
    const REQUIRED: [&str; 5] =
        ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date"];
    let mut missing = String::new();
    for name in REQUIRED {
        if query.get(name).is_none_or(str::is_empty) {
            missing.push_str("AWS query-string parameters must include '");
            missing.push_str(name);
            missing.push_str("'. ");
        }
    }
    let (Some(algorithm), Some(credential), Some(signature), Some(signed_headers), Some(date)) = (
        query.get("X-Amz-Algorithm"),
        query.get("X-Amz-Credential"),
        query.get("X-Amz-Signature"),
        query.get("X-Amz-SignedHeaders"),
        query.get("X-Amz-Date"),
    ) else {
        return Err(incomplete_query(missing));
    };
    if !missing.is_empty() {
        return Err(incomplete_query(missing));
    }

    let request_time = parse_amz_date(date).ok_or_else(|| bad_date(date))?;
    let expires = query.get("X-Amz-Expires").map(parse_expires).transpose()?;
    check_presigned_time(request_time, expires, settings)?;
    let signed_headers = split_signed_headers(signed_headers)?;
    check_algorithm(algorithm)?;
    let (access_key_id, scope) = parse_credential(credential, request_time)?;

    let security_token =
        query.get("X-Amz-Security-Token").or_else(|| header(req.headers, "x-amz-security-token")).map(str::to_owned);
    Ok(ParsedAuth {
        access_key_id,
        scope,
        signed_headers,
        signature: signature.to_owned(),
        amz_date: request_time,
        security_token,
        location: SignatureLocation::Query,
        expires,
        unsigned_payload: unsigned_payload(req, SignatureLocation::Query, settings.uri_encoding),
    })
}

fn incomplete_query(mut missing: String) -> AuthError {
    missing.push_str("Re-examine the query-string parameters.");
    AuthError::IncompleteSignature(missing)
}

fn bad_date(date: &str) -> AuthError {
    AuthError::IncompleteSignature(format!(
        "Date must be in ISO-8601 'basic format'. Got '{date}'. See http://en.wikipedia.org/wiki/ISO_8601"
    ))
}

fn check_algorithm(algorithm: &str) -> Result<(), AuthError> {
    if algorithm == ALGORITHM {
        Ok(())
    } else {
        Err(AuthError::IncompleteSignature(format!(
            "Unsupported AWS 'algorithm': '{algorithm}' (only {ALGORITHM} for now). "
        )))
    }
}

/// Splits `SignedHeaders` on `;` and insists on `host` being one of them:
/// without it a signature could be replayed against another endpoint.
fn split_signed_headers(list: &str) -> Result<Vec<String>, AuthError> {
    let names: Vec<String> = list.split(';').map(str::to_owned).collect();
    if names.iter().any(|n| n.eq_ignore_ascii_case("host")) {
        Ok(names)
    } else {
        Err(AuthError::SignatureDoesNotMatch(HOST_NOT_SIGNED.to_owned()))
    }
}

/// `AKID/YYYYMMDD/region/service/aws4_request` into the key id and scope,
/// checking the terminator and that the date is the request's.
fn parse_credential(credential: &str, request_time: OffsetDateTime) -> Result<(String, Scope), AuthError> {
    // AWS ignores trailing slashes here.
    let parts: Vec<&str> = credential.trim_end_matches('/').split('/').collect();
    let [access_key_id, date, region, service, terminator] = parts[..] else {
        return Err(AuthError::IncompleteSignature(format!(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'"
        )));
    };
    let iso = format_amz_date(request_time);
    let ymd = &iso[..8];
    let mut problems = Vec::new();
    if terminator != TERMINATOR {
        problems
            .push(format!("Credential should be scoped with a valid terminator: '{TERMINATOR}', not '{terminator}'. "));
    }
    if date != ymd {
        problems.push(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{date}' != '{ymd}', from '{iso}'."
        ));
    }
    if !problems.is_empty() {
        return Err(AuthError::SignatureDoesNotMatch(problems.concat()));
    }
    Ok((
        access_key_id.to_owned(),
        Scope { date: date.to_owned(), region: region.to_owned(), service: service.to_owned() },
    ))
}

/// `X-Amz-Expires`: whole seconds, 0 to 604800.
fn parse_expires(raw: &str) -> Result<u32, AuthError> {
    let seconds: i64 =
        raw.parse().map_err(|_| AuthError::AuthorizationQueryParametersError(EXPIRES_NOT_A_NUMBER.to_owned()))?;
    if seconds < 0 {
        return Err(AuthError::AuthorizationQueryParametersError(EXPIRES_NEGATIVE.to_owned()));
    }
    if seconds > MAX_EXPIRES {
        return Err(AuthError::AuthorizationQueryParametersError(EXPIRES_TOO_LONG.to_owned()));
    }
    u32::try_from(seconds).map_err(|_| AuthError::AuthorizationQueryParametersError(EXPIRES_TOO_LONG.to_owned()))
}

/// The request must be dated within `max_skew` of now, either way. The
/// boundary itself is still valid.
fn check_skew(request_time: OffsetDateTime, settings: &Settings) -> Result<(), AuthError> {
    check_not_in_future(request_time, settings)?;
    let skew = settings.max_skew;
    if let Some(earliest) = settings.now.checked_sub(skew)
        && request_time < earliest
    {
        return Err(AuthError::SignatureDoesNotMatch(format!(
            "Signature expired: {} is now earlier than {} ({} - {}.)",
            format_amz_date(request_time),
            format_amz_date(earliest),
            format_amz_date(settings.now),
            describe(skew)
        )));
    }
    Ok(())
}

fn check_not_in_future(request_time: OffsetDateTime, settings: &Settings) -> Result<(), AuthError> {
    let skew = settings.max_skew;
    if let Some(latest) = settings.now.checked_add(skew)
        && request_time > latest
    {
        return Err(AuthError::SignatureDoesNotMatch(format!(
            "Signature not yet current: {} is still later than {} ({} + {}.)",
            format_amz_date(request_time),
            format_amz_date(latest),
            format_amz_date(settings.now),
            describe(skew)
        )));
    }
    Ok(())
}

/// A presigned request is good from its date (less the skew, for clients
/// whose clocks run ahead) until `X-Amz-Date + X-Amz-Expires` inclusive.
/// Without `X-Amz-Expires` it is held to the header form's skew window.
fn check_presigned_time(
    request_time: OffsetDateTime,
    expires: Option<u32>,
    settings: &Settings,
) -> Result<(), AuthError> {
    let Some(expires) = expires else {
        return check_skew(request_time, settings);
    };
    check_not_in_future(request_time, settings)?;
    // Past the end of time nothing expires; checked_add only fails there.
    if let Some(end) = request_time.checked_add(Duration::seconds(i64::from(expires)))
        && settings.now > end
    {
        return Err(AuthError::RequestExpired(REQUEST_EXPIRED.to_owned()));
    }
    Ok(())
}

/// "15 min." as AWS writes the skew in its messages.
fn describe(skew: Duration) -> String {
    let seconds = skew.whole_seconds();
    if seconds % 60 == 0 { format!("{} min", seconds / 60) } else { format!("{seconds} sec") }
}

fn unsigned_payload(req: &RequestParts<'_>, location: SignatureLocation, encoding: UriEncoding) -> bool {
    match header(req.headers, "x-amz-content-sha256") {
        Some(declared) => super::canonical::is_unsigned_marker(declared),
        None => location == SignatureLocation::Query && encoding == UriEncoding::Single,
    }
}

/// Decoded query parameters, for finding the `X-Amz-*` ones by exact name.
struct QueryParams(Vec<(String, String)>);

impl QueryParams {
    fn new(raw: &str) -> Self {
        Self(
            raw.split('&')
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (k, v) = p.split_once('=').unwrap_or((p, ""));
                    (
                        String::from_utf8_lossy(&decode_query_component(k)).into_owned(),
                        String::from_utf8_lossy(&decode_query_component(v)).into_owned(),
                    )
                })
                .collect(),
        )
    }

    /// The first value of `name`.
    fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}
