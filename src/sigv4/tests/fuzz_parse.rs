//! Step one (`parse`) against generated input: arbitrary requests, and near-valid
//! `Authorization` headers and presigned queries whose every part is either right or wrong in a
//! known way. For the near-valid ones a small model, written from the order of checks documented
//! in `parse.rs`, says which error code AWS gives (or success), and the parser must agree.

use proptest::prelude::*;
use time::{Duration, OffsetDateTime};

use super::support::Req;
use crate::fuzzing::run;
use crate::sigv4::{
    AuthError, CanonicalRequest, SecretKey, Settings, SignatureLocation, SigningKeyCache, UriEncoding, canonical_query,
    canonical_uri, format_amz_date, parse, verify,
};

const INCOMPLETE: &str = "IncompleteSignature";
const MISMATCH: &str = "SignatureDoesNotMatch";
const SKEW: i64 = 900;

/// Request times from 2000 to 2100, whole seconds.
fn request_time() -> impl Strategy<Value = OffsetDateTime> {
    (946_684_800_i64..4_102_444_800).prop_map(|s| OffsetDateTime::UNIX_EPOCH + Duration::seconds(s))
}

/// SigV4's strict encoding (everything but `A-Za-z0-9-._~`), written here rather than taken from
/// the verifier.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A credential scope, right or wrong in one of the ways parse tells apart.
#[derive(Debug, Clone)]
enum Cred {
    Valid,
    WrongCount(usize),
    WrongTerminator,
    WrongDate,
}

fn credential(akid: &str, t: OffsetDateTime, shape: &Cred, trailing_slash: bool) -> String {
    let ymd = format_amz_date(t)[..8].to_owned();
    let mut parts = vec![akid.to_owned(), ymd, "us-east-1".into(), "iam".into(), "aws4_request".into()];
    match shape {
        Cred::Valid => {}
        Cred::WrongCount(n) => parts.resize(*n, "x".into()),
        Cred::WrongTerminator => parts[4] = "aws4_reques".into(),
        Cred::WrongDate => parts[1] = format_amz_date(t + Duration::days(1))[..8].to_owned(),
    }
    let mut out = parts.join("/");
    if trailing_slash {
        out.push('/');
    }
    out
}

fn cred_shape() -> impl Strategy<Value = Cred> {
    prop_oneof![
        4 => Just(Cred::Valid),
        1 => prop_oneof![0usize..5, 6usize..8].prop_map(Cred::WrongCount),
        1 => Just(Cred::WrongTerminator),
        1 => Just(Cred::WrongDate),
    ]
}

/// The credential check's verdict (the last check of both forms).
fn cred_verdict(shape: &Cred) -> Result<(), &'static str> {
    match shape {
        Cred::Valid => Ok(()),
        Cred::WrongCount(_) => Err(INCOMPLETE),
        Cred::WrongTerminator | Cred::WrongDate => Err(MISMATCH),
    }
}

fn signed_headers() -> impl Strategy<Value = Vec<&'static str>> {
    prop::sample::subsequence(vec!["content-type", "Host", "host", "x-amz-date", "x-host", "hostx"], 0..=4)
}

fn has_host(names: &[&str]) -> bool {
    names.iter().any(|n| n.eq_ignore_ascii_case("host"))
}

fn algorithm() -> impl Strategy<Value = &'static str> {
    prop_oneof![4 => Just("AWS4-HMAC-SHA256"), 1 => prop::sample::select(vec!["AWS4-HMAC-SHA1", "AWS4-", "AWS4-hmac-sha256", "AWS4-HMAC-SHA256x"])]
}

fn signature() -> impl Strategy<Value = String> {
    prop_oneof!["[0-9a-f]{64}", "[0-9A-Za-z]{0,70}"]
}

/// Checks what an accepted request must satisfy and that a random signature never verifies.
fn accepted_then_refused(req: &Req, settings: &Settings, akid: &str) -> Result<(), TestCaseError> {
    let parsed = parse(&req.parts(), settings).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&parsed.access_key_id, akid);
    prop_assert!(parsed.signed_headers.iter().any(|h| h.eq_ignore_ascii_case("host")));
    let r = verify(&req.parts(), &parsed, &SecretKey::new("s".into()), settings, &SigningKeyCache::new());
    prop_assert_eq!(r.map_err(|e| e.code()), Err(MISMATCH));
    Ok(())
}

#[derive(Debug, Clone)]
struct HeaderCase {
    time: OffsetDateTime,
    offset: i64,
    algorithm: &'static str,
    akid: String,
    cred: Option<(Cred, bool)>,
    signed: Option<Vec<&'static str>>,
    signature: String,
    /// `None`: no date header; `Some(true)`: `X-Amz-Date`; `Some(false)`: an unparseable one.
    date: Option<bool>,
    junk: Option<&'static str>,
    separators: Vec<&'static str>,
    also_presigned: bool,
}

fn header_case() -> impl Strategy<Value = HeaderCase> {
    let parts = (
        request_time(),
        -1200_i64..1200,
        algorithm(),
        "[A-Z0-9]{1,20}",
        prop::option::weighted(0.9, (cred_shape(), any::<bool>())),
    );
    let more = (
        prop::option::weighted(0.9, signed_headers()),
        signature(),
        prop::option::weighted(0.9, prop::option::weighted(0.9, Just(()))).prop_map(|d| d.map(|x| x.is_some())),
        prop::option::weighted(0.1, prop::sample::select(vec!["Foo=bar", "junk", "=", "Credential"])),
        prop::collection::vec(prop::sample::select(vec![", ", ",", " ", ",\t", ",,"]), 4),
        prop::bool::weighted(0.05),
    );
    (parts, more).prop_map(
        |((time, offset, algorithm, akid, cred), (signed, signature, date, junk, separators, also_presigned))| {
            HeaderCase {
                time,
                offset,
                algorithm,
                akid,
                cred,
                signed,
                signature,
                date,
                junk,
                separators,
                also_presigned,
            }
        },
    )
}

impl HeaderCase {
    fn request(&self) -> Req {
        let mut components = Vec::new();
        if let Some((shape, slash)) = &self.cred {
            components.push(format!("Credential={}", credential(&self.akid, self.time, shape, *slash)));
        }
        if let Some(names) = &self.signed {
            components.push(format!("SignedHeaders={}", names.join(";")));
        }
        components.push(format!("Signature={}", self.signature));
        if let Some(j) = self.junk {
            components.push(j.to_owned());
        }
        let mut auth = format!("{} ", self.algorithm);
        for (i, c) in components.iter().enumerate() {
            if i > 0 {
                auth.push_str(self.separators[i % self.separators.len()]);
            }
            auth.push_str(c);
        }
        let mut headers = vec![("Host", "iam.amazonaws.com".to_owned()), ("Authorization", auth)];
        match self.date {
            Some(true) => headers.push(("X-Amz-Date", format_amz_date(self.time))),
            Some(false) => headers.push(("X-Amz-Date", format_amz_date(self.time).replace('T', "t"))),
            None => {}
        }
        let query = if self.also_presigned { "X-Amz-Algorithm=AWS4-HMAC-SHA256" } else { "" };
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        Req::new("POST", "/", query, &headers, b"Action=ListUsers&Version=2010-05-08")
    }

    /// The model: parse's checks in order.
    fn verdict(&self) -> Result<(), &'static str> {
        if self.also_presigned {
            return Err(MISMATCH);
        }
        if matches!(self.junk, Some("junk" | "Credential")) {
            return Err(INCOMPLETE);
        }
        let credential_given = self.cred.as_ref().is_some_and(|(shape, slash)| {
            // An empty credential is a missing one.
            !credential(&self.akid, self.time, shape, *slash).is_empty()
        });
        if !credential_given || self.signature.is_empty() || self.signed.is_none() || self.date.is_none() {
            return Err(INCOMPLETE);
        }
        if self.date == Some(false) {
            return Err(INCOMPLETE);
        }
        if self.offset.abs() > SKEW {
            return Err(MISMATCH);
        }
        if !self.signed.as_deref().is_some_and(has_host) {
            return Err(MISMATCH);
        }
        if self.algorithm != "AWS4-HMAC-SHA256" {
            return Err(INCOMPLETE);
        }
        self.cred.as_ref().map_or(Err(INCOMPLETE), |(shape, _)| cred_verdict(shape))
    }
}

#[test]
fn near_valid_authorization_headers_get_the_modelled_answer() {
    run("sigv4 near-valid Authorization headers", 12_000, header_case(), |case| {
        let req = case.request();
        let settings = Settings::new(case.time + Duration::seconds(case.offset), UriEncoding::Double);
        let got = parse(&req.parts(), &settings);
        prop_assert_eq!(got.as_ref().map(|_| ()).map_err(AuthError::code), case.verdict(), "{:?}", req);
        if got.is_ok() {
            accepted_then_refused(&req, &settings, &case.akid)?;
        }
        Ok(())
    });
}

#[derive(Debug, Clone)]
struct QueryCase {
    time: OffsetDateTime,
    offset: i64,
    algorithm: Option<&'static str>,
    akid: String,
    cred: Option<(Cred, bool)>,
    signed: Option<Vec<&'static str>>,
    signature: Option<String>,
    date: Option<bool>,
    expires: Option<String>,
    token: Option<String>,
    order: Vec<usize>,
}

fn expires() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (0u32..=604_800).prop_map(|n| n.to_string()),
        1 => prop::sample::select(vec!["604801", "-1", "abc", "", "1.5", "99999999999999999999", "0x10"]).prop_map(str::to_owned),
    ]
}

fn query_case() -> impl Strategy<Value = QueryCase> {
    let parts = (
        request_time(),
        prop_oneof![-1200_i64..1200, 0_i64..700_000],
        prop::option::weighted(0.95, algorithm()),
        "[A-Z0-9]{1,20}",
        prop::option::weighted(0.95, (cred_shape(), any::<bool>())),
        prop::option::weighted(0.95, signed_headers()),
    );
    let more = (
        prop::option::weighted(0.95, signature()),
        prop::option::weighted(0.95, prop::bool::weighted(0.9)),
        prop::option::weighted(0.8, expires()),
        prop::option::weighted(0.2, "[A-Za-z0-9+/=]{0,40}"),
        Just((0..8).collect::<Vec<usize>>()).prop_shuffle(),
    );
    (parts, more).prop_map(
        |((time, offset, algorithm, akid, cred, signed), (signature, date, expires, token, order))| QueryCase {
            time,
            offset,
            algorithm,
            akid,
            cred,
            signed,
            signature,
            date,
            expires,
            token,
            order,
        },
    )
}

impl QueryCase {
    fn request(&self) -> Req {
        let date = self
            .date
            .map(|ok| if ok { format_amz_date(self.time) } else { format_amz_date(self.time).replace('Z', "") });
        let params: [(&str, Option<String>); 8] = [
            ("X-Amz-Algorithm", self.algorithm.map(str::to_owned)),
            (
                "X-Amz-Credential",
                self.cred.as_ref().map(|(shape, slash)| credential(&self.akid, self.time, shape, *slash)),
            ),
            ("X-Amz-Date", date),
            ("X-Amz-SignedHeaders", self.signed.as_ref().map(|n| n.join(";"))),
            ("X-Amz-Signature", self.signature.clone()),
            ("X-Amz-Expires", self.expires.clone()),
            ("X-Amz-Security-Token", self.token.clone()),
            ("Action", Some("ListUsers".into())),
        ];
        let query: Vec<String> = self
            .order
            .iter()
            .filter_map(|&i| params[i].1.as_ref().map(|v| format!("{}={}", params[i].0, encode(v))))
            .collect();
        Req::new("GET", "/", &query.join("&"), &[("Host", "iam.amazonaws.com")], b"")
    }

    fn verdict(&self) -> Result<(), &'static str> {
        // Without X-Amz-Algorithm the query does not claim a signature at all.
        if self.algorithm.is_none() {
            return Err("MissingAuthenticationToken");
        }
        let present = |v: Option<&str>| v.is_some_and(|s| !s.is_empty());
        let cred = self.cred.as_ref().map(|(shape, slash)| credential(&self.akid, self.time, shape, *slash));
        if !present(self.algorithm)
            || !present(cred.as_deref())
            || !present(self.signature.as_deref())
            || self.signed.as_ref().is_none_or(Vec::is_empty)
            || self.date.is_none()
        {
            return Err(INCOMPLETE);
        }
        if self.date == Some(false) {
            return Err(INCOMPLETE);
        }
        match &self.expires {
            Some(raw) => {
                let Some(seconds) = raw.parse::<u64>().ok().filter(|_| raw.bytes().all(|b| b.is_ascii_digit())) else {
                    return Err("AuthorizationQueryParametersError");
                };
                if seconds > 604_800 {
                    return Err("AuthorizationQueryParametersError");
                }
                if self.offset < -SKEW {
                    return Err(MISMATCH);
                }
                if self.offset > i64::try_from(seconds).unwrap_or(i64::MAX) {
                    return Err("RequestExpired");
                }
            }
            None if self.offset.abs() > SKEW => return Err(MISMATCH),
            None => {}
        }
        if !self.signed.as_deref().is_some_and(has_host) {
            return Err(MISMATCH);
        }
        if self.algorithm != Some("AWS4-HMAC-SHA256") {
            return Err(INCOMPLETE);
        }
        self.cred.as_ref().map_or(Err(INCOMPLETE), |(shape, _)| cred_verdict(shape))
    }
}

#[test]
fn near_valid_presigned_queries_get_the_modelled_answer() {
    run("sigv4 near-valid presigned queries", 12_000, query_case(), |case| {
        let req = case.request();
        let settings = Settings::new(case.time + Duration::seconds(case.offset), UriEncoding::Double);
        let got = parse(&req.parts(), &settings);
        prop_assert_eq!(got.as_ref().map(|_| ()).map_err(AuthError::code), case.verdict(), "{:?}", req);
        if let Ok(parsed) = &got {
            prop_assert_eq!(parsed.location, SignatureLocation::Query);
            prop_assert_eq!(parsed.security_token.as_deref(), case.token.as_deref());
            prop_assert_eq!(parsed.expires.map(|e| e.to_string()), case.expires.clone());
            accepted_then_refused(&req, &settings, &case.akid)?;
        }
        Ok(())
    });
}

/// Any text at all, and text made of the characters the parsers split on.
fn wild() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "AWS4-HMAC-SHA256",
        "AWS4-",
        " ",
        ",",
        "=",
        "/",
        ";",
        "&",
        "%",
        "%2F",
        "+",
        "Credential=",
        "SignedHeaders=",
        "Signature=",
        "X-Amz-Algorithm=",
        "X-Amz-Expires=",
        "aws4_request",
        "20150830T123600Z",
        "host",
        "\u{0}",
        "é",
        "..",
        "\u{85}",
        "\t",
    ]);
    prop_oneof![any::<String>(), prop::collection::vec(pieces, 0..20).prop_map(|v| v.concat())]
}

fn wild_request() -> impl Strategy<Value = Req> {
    let names = prop::sample::select(vec![
        "Authorization",
        "X-Amz-Date",
        "Date",
        "Host",
        "X-Amz-Content-Sha256",
        "x-amz-security-token",
        "é",
    ]);
    (wild(), wild(), prop::collection::vec((names, wild()), 0..5), any::<Vec<u8>>()).prop_map(
        |(path, query, headers, body)| {
            let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
            Req::new("POST", &path, &query, &headers, &body)
        },
    )
}

#[test]
fn arbitrary_requests_are_refused_with_a_sigv4_error() {
    let strategy = (wild_request(), request_time(), any::<bool>());
    run("sigv4 arbitrary requests", 15_000, strategy, |(req, now, single)| {
        let encoding = if single { UriEncoding::Single } else { UriEncoding::Double };
        let settings = Settings::new(now, encoding);
        let signs = req
            .headers
            .iter()
            .any(|(n, v)| n.eq_ignore_ascii_case("authorization") && v.trim_start().starts_with("AWS4-"));
        // Without a `%` the query cannot spell X-Amz-Algorithm in a disguise.
        let presigned = req.query.contains('%') || req.query.contains("X-Amz-Algorithm");
        match parse(&req.parts(), &settings) {
            Err(e) if !signs && !presigned => prop_assert_eq!(e.code(), "MissingAuthenticationToken"),
            Err(e) => prop_assert!(matches!(e.http_status(), 400 | 403) && !e.message().is_empty(), "{:?}", e),
            Ok(p) => return Err(TestCaseError::fail(format!("garbage accepted: {p:?}"))),
        }
        // The canonicalisation steps, on the same input, for what they promise whatever it is.
        let query = canonical_query(&req.query, false);
        prop_assert_eq!(canonical_query(&query, false), query.clone(), "canonical query is not stable");
        prop_assert!(query.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~%&=".contains(&b)), "{}", query);
        let uri = canonical_uri(&req.path, encoding);
        prop_assert!(uri.starts_with('/') || !req.path.is_empty(), "{}", uri);
        prop_assert!(uri.is_ascii(), "{}", uri);
        let names: Vec<String> = req.headers.iter().map(|(n, _)| n.clone()).collect();
        if let Err(e) = CanonicalRequest::new(&req.parts(), &names, SignatureLocation::Header, encoding) {
            prop_assert_eq!(e.code(), "XAmzContentSHA256Mismatch");
        }
        Ok(())
    });
}
