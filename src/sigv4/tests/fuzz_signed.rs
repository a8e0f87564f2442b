//! Differential: requests signed by the real `aws-sigv4` crate (smithy-rs, what the Rust SDK
//! runs) verify, header form and presigned, IAM's double encoding and S3's single; and one change
//! to a signed part afterwards is always refused with `SignatureDoesNotMatch`.
//!
//! Two corners are left out on purpose, because the signers themselves disagree there and iamd
//! follows botocore (`encoding.rs`): a path ending in `/.` or `/..` (aws-sigv4 keeps a trailing
//! slash, botocore does not), and non-ASCII header values (aws-sigv4 refuses to sign them).

use std::time::{Duration as StdDuration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation as SdkLocation, SigningSettings,
    UriPathNormalizationMode, sign,
};
use aws_sigv4::sign::v4;
use proptest::prelude::*;
use proptest::sample::Index;
use time::{Duration, OffsetDateTime};

use super::support::{Req, authenticate};
use crate::fuzzing::run;
use crate::sigv4::{Settings, SignatureLocation, UriEncoding, format_amz_date};

const HOST: &str = "iam.amazonaws.com";

#[derive(Debug, Clone)]
enum Segment {
    Word(String),
    Dot,
    DotDot,
    Empty,
    /// Any text, percent-encoded as the signers send it.
    Encoded(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mutation {
    SignatureDigit,
    Body,
    Path,
    QueryValue,
    HeaderValue,
    DateSecond,
    Region,
    Method,
    Token,
    SignedHeaders,
    Expires,
}

const MUTATIONS: [Mutation; 11] = [
    Mutation::SignatureDigit,
    Mutation::Body,
    Mutation::Path,
    Mutation::QueryValue,
    Mutation::HeaderValue,
    Mutation::DateSecond,
    Mutation::Region,
    Mutation::Method,
    Mutation::Token,
    Mutation::SignedHeaders,
    Mutation::Expires,
];

#[derive(Debug, Clone)]
struct Case {
    post: bool,
    segments: Vec<Segment>,
    trailing_slash: bool,
    query: Vec<(String, String)>,
    meta: Vec<String>,
    body: Vec<u8>,
    region: String,
    service: &'static str,
    akid: String,
    secret: String,
    token: Option<String>,
    unix_time: u64,
    offset: i64,
    presigned: bool,
    expires: u64,
    single: bool,
    /// Which mutation to try first, and where within the part it changes.
    mutation: Index,
    at: Index,
}

/// SigV4's strict encoding, written here rather than taken from the verifier.
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

fn segment() -> impl Strategy<Value = Segment> {
    prop_oneof![
        6 => "[A-Za-z0-9]{1,8}".prop_map(Segment::Word),
        1 => Just(Segment::Dot),
        1 => Just(Segment::DotDot),
        1 => Just(Segment::Empty),
        2 => any::<String>().prop_map(Segment::Encoded),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    let request = (
        any::<bool>(),
        prop::collection::vec(segment(), 0..6),
        any::<bool>(),
        prop::collection::vec(
            ("[a-z][a-zA-Z0-9]{0,6}", ("[A-Za-z0-9]{1,6}", prop_oneof![Just(String::new()), any::<String>()])),
            0..5,
        ),
        prop::collection::vec(("[A-Za-z0-9]{1,6}", "[ -~]{0,20}"), 0..4),
        prop::collection::vec(any::<u8>(), 0..200),
    );
    let signer = (
        "[a-z]{2}-[a-z]{4,9}-[1-9]",
        prop::sample::select(vec!["iam", "sts", "s3"]),
        "[A-Z0-9]{16,24}",
        "[A-Za-z0-9/+]{40}",
        prop::option::weighted(0.3, "[A-Za-z0-9]{8,60}"),
        946_684_800_u64..4_102_444_800,
    );
    let form =
        (-880_i64..880, prop::bool::weighted(0.4), 60_u64..604_000, any::<bool>(), any::<Index>(), any::<Index>());
    (request, signer, form).prop_map(
        |(
            (post, segments, trailing_slash, query, meta, body),
            (region, service, akid, secret, token, unix_time),
            form,
        )| {
            let (offset, presigned, expires, single, mutation, at) = form;
            Case {
                post: post && !presigned,
                segments,
                trailing_slash,
                query: query.into_iter().map(|(k, (head, tail))| (k, head + &tail)).collect(),
                meta: meta.into_iter().map(|(head, tail)| head + &tail).collect(),
                body,
                region,
                service,
                akid,
                secret,
                token,
                unix_time,
                // A presigned URL is checked at most `expires` after its date; the margin
                // leaves room for the date mutation, which moves the date by up to 9 s.
                offset: if presigned { offset.min(i64::try_from(expires).unwrap_or(i64::MAX) - 10) } else { offset },
                presigned,
                expires,
                single,
                mutation,
                at,
            }
        },
    )
}

impl Case {
    fn path(&self) -> String {
        let mut path = String::new();
        for s in &self.segments {
            path.push('/');
            match s {
                Segment::Word(w) => path.push_str(w),
                Segment::Dot => path.push('.'),
                Segment::DotDot => path.push_str(".."),
                Segment::Empty => {}
                Segment::Encoded(t) => path.push_str(&encode(t)),
            }
        }
        // A final word keeps the path out of the corner where the signers disagree.
        path.push_str("/end");
        if self.trailing_slash {
            path.push('/');
        }
        path
    }

    fn encoding(&self) -> UriEncoding {
        if self.single { UriEncoding::Single } else { UriEncoding::Double }
    }

    fn body_is_signed(&self) -> bool {
        !(self.presigned && self.single)
    }

    /// The request as aws-sigv4 signs it, then as it arrives.
    fn signed(&self) -> Req {
        let path = self.path();
        let query = self.query.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect::<Vec<_>>().join("&");
        let mut headers = vec![("host".to_owned(), HOST.to_owned())];
        if self.post {
            headers.push(("content-type".into(), "application/x-www-form-urlencoded; charset=utf-8".into()));
        }
        for (i, v) in self.meta.iter().enumerate() {
            headers.push((format!("x-amz-meta-{i}"), v.clone()));
        }
        let identity = Credentials::new(&self.akid, &self.secret, self.token.clone(), None, "fuzz").into();
        let mut settings = SigningSettings::default();
        if self.single {
            settings.percent_encoding_mode = PercentEncodingMode::Single;
            settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        }
        if self.presigned {
            settings.signature_location = SdkLocation::QueryParams;
            settings.expires_in = Some(StdDuration::from_secs(self.expires));
        }
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name(self.service)
            .time(SystemTime::UNIX_EPOCH + StdDuration::from_secs(self.unix_time))
            .settings(settings)
            .build()
            .expect("every field is set")
            .into();
        let url =
            if query.is_empty() { format!("https://{HOST}{path}") } else { format!("https://{HOST}{path}?{query}") };
        let body = if self.body_is_signed() { SignableBody::Bytes(&self.body) } else { SignableBody::UnsignedPayload };
        let method = if self.post { "POST" } else { "GET" };
        let signable = SignableRequest::new(method, &url, headers.iter().map(|(n, v)| (n.as_str(), v.as_str())), body)
            .expect("a well-formed request");
        let (instructions, _) = sign(signable, &params).expect("aws-sigv4 signs it").into_parts();
        let (added_headers, added_params) = instructions.into_parts();
        for h in added_headers {
            headers.push((h.name().to_owned(), h.value().to_owned()));
        }
        let mut query = query;
        for (k, v) in added_params {
            if !query.is_empty() {
                query.push('&');
            }
            query.push_str(&format!("{k}={}", encode(&v)));
        }
        Req { method: method.into(), path, query, headers, body: self.body.clone() }
    }

    fn settings(&self) -> Settings {
        let now =
            OffsetDateTime::UNIX_EPOCH + Duration::seconds(i64::try_from(self.unix_time).unwrap_or(0) + self.offset);
        Settings::new(now, self.encoding())
    }

    /// Indexes of the path's word segments that survive dot-segment removal (RFC 3986 5.2.4),
    /// the only ones whose change must change the signature when the path is normalised.
    fn kept_words(&self) -> Vec<usize> {
        let mut kept: Vec<usize> = Vec::new();
        for (i, s) in self.segments.iter().enumerate() {
            // What the segment is on the wire: encoding leaves `.`, `..` and `` as they are.
            let text = match s {
                Segment::Word(w) => w.clone(),
                Segment::Dot => ".".into(),
                Segment::DotDot => "..".into(),
                Segment::Empty => String::new(),
                Segment::Encoded(t) => encode(t),
            };
            match text.as_str() {
                _ if self.single => kept.push(i),
                "" | "." => {}
                ".." => {
                    kept.pop();
                }
                _ => kept.push(i),
            }
        }
        kept.retain(|&i| matches!(self.segments[i], Segment::Word(_)));
        kept
    }
}

/// A different character of the same class, so the result stays well formed.
fn other_alnum(c: char, at: &Index) -> char {
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let start = at.index(ALNUM.len());
    (0..ALNUM.len()).map(|k| char::from(ALNUM[(start + k) % ALNUM.len()])).find(|&d| d != c).unwrap_or('x')
}

fn header_mut<'r>(req: &'r mut Req, name: &str) -> Option<&'r mut String> {
    req.headers.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v)
}

/// Applies `m` to the signed request; `None` when it does not apply to this case.
fn mutate(case: &Case, req: &Req, m: Mutation) -> Option<Req> {
    let mut r = req.clone();
    let at = &case.at;
    let applied = match m {
        Mutation::SignatureDigit => {
            let sig_text = if case.presigned { &mut r.query } else { header_mut(&mut r, "authorization")? };
            let start = sig_text.find("Signature=")? + "Signature=".len();
            let i = start + at.index(64);
            let old = sig_text.as_bytes()[i];
            let hex = b"0123456789abcdef";
            let new = (1..16).map(|k| hex[(usize::from(old) + k) % 16]).find(|h| !h.eq_ignore_ascii_case(&old))?;
            sig_text.replace_range(i..=i, &char::from(new).to_string());
            true
        }
        Mutation::Body if case.body_is_signed() => {
            if r.body.is_empty() {
                r.body.push(b'x');
            } else {
                let i = at.index(r.body.len());
                r.body[i] ^= 0x20;
            }
            true
        }
        Mutation::Path => {
            let kept = case.kept_words();
            let &i = kept.get(at.index(kept.len().max(1)))?;
            let mut segments = case.segments.clone();
            if let Segment::Word(w) = &mut segments[i] {
                let c = w.chars().next()?;
                w.replace_range(0..1, &other_alnum(c, at).to_string());
            }
            r.path = Case { segments, ..case.clone() }.path();
            true
        }
        Mutation::QueryValue => {
            let (k, v) = case.query.get(at.index(case.query.len().max(1)))?;
            // Values start with a letter or digit, so `k=` is followed by it, not by an escape.
            let old = format!("{k}={}", encode(v));
            let new = format!("{k}={}{}", other_alnum(v.chars().next()?, at), &encode(v)[1..]);
            r.query = req.query.replacen(&old, &new, 1);
            true
        }
        Mutation::HeaderValue => {
            let i = at.index(case.meta.len().max(1));
            let value = header_mut(&mut r, &format!("x-amz-meta-{i}"))?;
            let c = value.chars().next()?;
            value.replace_range(0..1, &other_alnum(c, at).to_string());
            true
        }
        Mutation::DateSecond => {
            let amz =
                format_amz_date(OffsetDateTime::UNIX_EPOCH + Duration::seconds(i64::try_from(case.unix_time).ok()?));
            let ones = amz.as_bytes()[14];
            let new_digit = b'0' + (ones - b'0' + 1 + u8::try_from(at.index(8)).ok()?) % 10;
            let mut changed = amz.clone();
            changed.replace_range(14..15, &char::from(new_digit).to_string());
            if case.presigned {
                r.query = r.query.replacen(&format!("X-Amz-Date={amz}"), &format!("X-Amz-Date={changed}"), 1);
            } else {
                *header_mut(&mut r, "x-amz-date")? = changed;
            }
            true
        }
        Mutation::Region => {
            let text = if case.presigned { &mut r.query } else { header_mut(&mut r, "authorization")? };
            let sep = if case.presigned { "%2F" } else { "/" };
            let changed = format!("{}{}", other_alnum(case.region.chars().next()?, at), &case.region[1..]);
            *text = text.replacen(&format!("{sep}{}{sep}", case.region), &format!("{sep}{changed}{sep}"), 1);
            true
        }
        Mutation::Method => {
            r.method = if case.post { "GET".into() } else { "POST".into() };
            true
        }
        Mutation::Token => {
            let token = case.token.as_ref()?;
            let changed = format!("{}{}", other_alnum(token.chars().next()?, at), &token[1..]);
            if case.presigned {
                r.query = r.query.replacen(
                    &format!("X-Amz-Security-Token={token}"),
                    &format!("X-Amz-Security-Token={changed}"),
                    1,
                );
            } else {
                *header_mut(&mut r, "x-amz-security-token")? = changed;
            }
            true
        }
        Mutation::SignedHeaders if !case.meta.is_empty() => {
            let (text, sep) =
                if case.presigned { (&mut r.query, "%3B") } else { (header_mut(&mut r, "authorization")?, ";") };
            let dropped = format!("{sep}x-amz-meta-0");
            let before = text.len();
            *text = text.replacen(&dropped, "", 1);
            text.len() < before
        }
        Mutation::Expires if case.presigned => {
            let old = format!("X-Amz-Expires={}", case.expires);
            let before = r.query.clone();
            r.query = r.query.replacen(&old, &format!("X-Amz-Expires={}", case.expires + 1), 1);
            r.query != before
        }
        Mutation::Body | Mutation::SignedHeaders | Mutation::Expires => false,
    };
    applied.then_some(r)
}

#[test]
fn aws_sigv4_requests_verify_and_any_signed_change_is_refused() {
    // How often each mutation ran: one that never applies would leave its part untested.
    let tally = std::sync::Mutex::new([0u32; MUTATIONS.len()]);
    run("sigv4 aws-sigv4 signed + one mutation", 8000, case(), |case| {
        let req = case.signed();
        let settings = case.settings();
        let parsed = authenticate(&req, &case.secret, &settings)
            .map_err(|e| TestCaseError::fail(format!("aws-sigv4's signature refused: {e}\n{req:?}")))?;
        prop_assert_eq!(&parsed.access_key_id, &case.akid);
        prop_assert_eq!(parsed.security_token.as_deref(), case.token.as_deref());
        prop_assert_eq!(
            parsed.location,
            if case.presigned { SignatureLocation::Query } else { SignatureLocation::Header }
        );
        prop_assert_eq!(
            (parsed.scope.region.as_str(), parsed.scope.service.as_str()),
            (case.region.as_str(), case.service)
        );

        let first = case.mutation.index(MUTATIONS.len());
        let (kind, mutated) = (0..MUTATIONS.len())
            .map(|k| MUTATIONS[(first + k) % MUTATIONS.len()])
            .find_map(|m| mutate(&case, &req, m).map(|r| (m, r)))
            .ok_or_else(|| TestCaseError::fail("no mutation applies"))?;
        if let Ok(mut t) = tally.lock()
            && let Some(n) = MUTATIONS.iter().position(|m| *m == kind).and_then(|i| t.get_mut(i))
        {
            *n += 1;
        }
        let refused = authenticate(&mutated, &case.secret, &settings);
        prop_assert_eq!(
            refused.as_ref().map(|_| ()).map_err(|e| e.code()),
            Err("SignatureDoesNotMatch"),
            "{:?} was accepted or refused oddly\n{:?}",
            kind,
            mutated
        );
        Ok(())
    });
    let tally = tally.into_inner().unwrap_or_default();
    eprintln!("fuzz sigv4 mutations: {:?}", MUTATIONS.iter().zip(tally).collect::<Vec<_>>());
    assert!(tally.iter().all(|n| *n > 0), "a mutation never ran: {tally:?}");
}
