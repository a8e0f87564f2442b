//! botocore's signatures (tests/data/sigv4/botocore_vectors.json, written by
//! conformance/sigv4_vectors.py): each must verify, each stage must equal
//! what botocore logged, and changing any signed part must fail with the
//! right error.

use serde_json::Value;

use crate::sigv4::{
    AuthError, CanonicalRequest, SecretKey, SignatureLocation, StringToSign, UriEncoding, check_service, parse,
    signature_hex, signing_key,
};

use super::support::{Req, at, authenticate, settings};

const VECTORS: &str = include_str!("../../../tests/data/sigv4/botocore_vectors.json");

/// One vector, read out of the JSON.
struct Vector {
    name: String,
    req: Req,
    secret: String,
    token: Option<String>,
    signing_time: String,
    region: String,
    service: String,
    encoding: UriEncoding,
    location: SignatureLocation,
    expires: Option<u64>,
    payload_signed: bool,
    canonical_request: String,
    string_to_sign: String,
    signature: String,
}

fn text(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_else(|| panic!("vector field {key} missing")).to_owned()
}

fn vectors() -> Vec<Vector> {
    let all: Value = serde_json::from_str(VECTORS).expect("vector file is JSON");
    all.as_array()
        .expect("a list of vectors")
        .iter()
        .map(|v| {
            let headers: Vec<(String, String)> = v["headers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| (h[0].as_str().unwrap().to_owned(), h[1].as_str().unwrap().to_owned()))
                .collect();
            Vector {
                name: text(v, "name"),
                req: Req {
                    method: text(v, "method"),
                    path: text(v, "path"),
                    query: text(v, "query"),
                    headers,
                    body: text(v, "body").into_bytes(),
                },
                secret: text(v, "secret_access_key"),
                token: v["session_token"].as_str().map(str::to_owned),
                signing_time: text(v, "signing_time"),
                region: text(v, "region"),
                service: text(v, "service"),
                encoding: match v["uri_encoding"].as_str() {
                    Some("single") => UriEncoding::Single,
                    _ => UriEncoding::Double,
                },
                location: match v["location"].as_str() {
                    Some("query") => SignatureLocation::Query,
                    _ => SignatureLocation::Header,
                },
                expires: v["expires"].as_u64(),
                payload_signed: v["payload_signed"].as_bool().unwrap(),
                canonical_request: text(v, "expected_canonical_request"),
                string_to_sign: text(v, "expected_string_to_sign"),
                signature: text(v, "expected_signature"),
            }
        })
        .collect()
}

fn run(v: &Vector, req: &Req) -> Result<(), AuthError> {
    authenticate(req, &v.secret, &settings(&v.signing_time, v.encoding)).map(|_| ())
}

fn mismatch() -> Result<(), AuthError> {
    Err(AuthError::signature_mismatch())
}

#[test]
fn there_are_vectors_of_every_kind() {
    let all = vectors();
    assert!(all.len() >= 20);
    assert!(all.iter().any(|v| v.location == SignatureLocation::Query && v.token.is_some()));
    assert!(all.iter().any(|v| v.location == SignatureLocation::Header && v.token.is_some()));
    assert!(all.iter().any(|v| v.encoding == UriEncoding::Single));
    assert!(all.iter().any(|v| !v.payload_signed));
}

#[test]
fn every_vector_verifies() {
    for v in vectors() {
        let parsed = authenticate(&v.req, &v.secret, &settings(&v.signing_time, v.encoding))
            .unwrap_or_else(|e| panic!("{}: {e}", v.name));
        assert_eq!(parsed.access_key_id, "AKIDEXAMPLE", "{}", v.name);
        assert_eq!(parsed.scope.region, v.region, "{}", v.name);
        assert_eq!(parsed.scope.service, v.service, "{}", v.name);
        assert_eq!(parsed.location, v.location, "{}", v.name);
        assert_eq!(parsed.security_token, v.token, "{}", v.name);
        assert_eq!(parsed.expires.map(u64::from), v.expires, "{}", v.name);
        assert_eq!(parsed.unsigned_payload, !v.payload_signed, "{}", v.name);
        assert_eq!(parsed.amz_date, at(&v.signing_time), "{}", v.name);
        check_service(&parsed.scope, &v.service).unwrap();
    }
}

#[test]
fn every_stage_matches_botocore() {
    for v in vectors() {
        let s = settings(&v.signing_time, v.encoding);
        let parsed = parse(&v.req.parts(), &s).unwrap();
        let creq = CanonicalRequest::new(&v.req.parts(), &parsed.signed_headers, parsed.location, v.encoding).unwrap();
        assert_eq!(creq.to_string(), v.canonical_request, "{}: canonical request", v.name);
        let sts = StringToSign::new(parsed.amz_date, &parsed.scope, &creq);
        assert_eq!(sts.to_string(), v.string_to_sign, "{}: string to sign", v.name);
        let key = signing_key(&SecretKey::new(v.secret.clone()), &parsed.scope.date, &v.region, &v.service);
        assert_eq!(signature_hex(&key, &v.string_to_sign), v.signature, "{}: signature", v.name);
        assert_eq!(parsed.signature, v.signature, "{}: signature sent", v.name);
    }
}

#[test]
fn changing_the_method_fails() {
    for v in vectors() {
        let mut req = v.req.clone();
        req.method = if req.method == "GET" { "POST".into() } else { "GET".into() };
        assert_eq!(run(&v, &req), mismatch(), "{}", v.name);
    }
}

#[test]
fn changing_the_path_fails() {
    for v in vectors() {
        let mut req = v.req.clone();
        req.path.push_str(if req.path.ends_with('/') { "x" } else { "/x" });
        assert_eq!(run(&v, &req), mismatch(), "{}", v.name);
    }
}

#[test]
fn adding_or_changing_a_query_parameter_fails() {
    for v in vectors() {
        let mut req = v.req.clone();
        req.query = if req.query.is_empty() { "zz=1".into() } else { format!("{}&zz=1", req.query) };
        assert_eq!(run(&v, &req), mismatch(), "{}: added", v.name);

        // The first operation parameter (the X-Amz-* ones have own tests).
        let pairs: Vec<&str> = v.req.query.split('&').collect();
        if let Some(i) = pairs.iter().position(|p| !p.is_empty() && !p.starts_with("X-Amz-")) {
            let mut changed: Vec<String> = pairs.iter().map(|p| (*p).to_owned()).collect();
            changed[i].push('x');
            let mut req = v.req.clone();
            req.query = changed.join("&");
            assert_eq!(run(&v, &req), mismatch(), "{}: changed {}", v.name, pairs[i]);
        }
    }
}

#[test]
fn changing_x_amz_expires_fails() {
    for v in vectors() {
        let Some(expires) = v.expires else { continue };
        let other = if expires == 1 { 2 } else { expires - 1 };
        let mut req = v.req.clone();
        req.query = req.query.replace(&format!("X-Amz-Expires={expires}"), &format!("X-Amz-Expires={other}"));
        assert_ne!(req.query, v.req.query, "{}", v.name);
        assert_eq!(run(&v, &req), mismatch(), "{}", v.name);
    }
}

#[test]
fn changing_a_signed_header_fails() {
    for v in vectors() {
        let parsed = parse(&v.req.parts(), &settings(&v.signing_time, v.encoding)).unwrap();
        for name in &parsed.signed_headers {
            // The date and the declared body hash have their own tests.
            if ["x-amz-date", "date", "x-amz-content-sha256"].contains(&name.as_str()) {
                continue;
            }
            let mut req = v.req.clone();
            let value = req.header(name).unwrap().to_owned();
            req.set_header(name, &format!("{value}x"));
            assert_eq!(run(&v, &req), mismatch(), "{}: header {name}", v.name);
        }
    }
}

#[test]
fn an_unsigned_header_may_change() {
    for v in vectors() {
        let mut req = v.req.clone();
        req.headers.push(("X-Unsigned".into(), "anything".into()));
        assert_eq!(run(&v, &req), Ok(()), "{}", v.name);
    }
}

#[test]
fn changing_the_body_fails_unless_unsigned() {
    for v in vectors() {
        let mut req = v.req.clone();
        req.body.extend_from_slice(b"&x=1");
        let declared =
            v.req.header("x-amz-content-sha256").filter(|h| *h != "UNSIGNED-PAYLOAD" && !h.starts_with("STREAMING-"));
        let expected = if !v.payload_signed {
            Ok(())
        } else if declared.is_some() {
            Err(AuthError::XAmzContentSha256Mismatch(
                "The provided 'x-amz-content-sha256' header does not match what was computed.".into(),
            ))
        } else {
            mismatch()
        };
        assert_eq!(run(&v, &req), expected, "{}", v.name);
    }
}

/// The request date moved by one second, wherever it is carried.
fn shift_date(v: &Vector) -> Req {
    let mut req = v.req.clone();
    let earlier = crate::sigv4::format_amz_date(at(&v.signing_time) - time::Duration::seconds(1));
    match v.location {
        SignatureLocation::Query => {
            req.query = req.query.replace(&format!("X-Amz-Date={}", v.signing_time), &format!("X-Amz-Date={earlier}"));
        }
        SignatureLocation::Header if req.header("x-amz-date").is_some() => {
            req.set_header("x-amz-date", &earlier);
        }
        SignatureLocation::Header => {
            let t = at(&earlier);
            let date = format!(
                "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
                &t.weekday().to_string()[..3],
                t.day(),
                &t.month().to_string()[..3],
                t.year(),
                t.hour(),
                t.minute(),
                t.second()
            );
            req.set_header("date", &date);
        }
    }
    req
}

#[test]
fn changing_the_date_fails() {
    for v in vectors() {
        let req = shift_date(&v);
        assert_ne!((&req.query, &req.headers), (&v.req.query, &v.req.headers), "{}: date not found", v.name);
        assert_eq!(run(&v, &req), mismatch(), "{}", v.name);
    }
}

/// The request with its credential's five parts passed through `edit`.
fn with_credential(v: &Vector, edit: impl Fn(&mut [String; 5])) -> Req {
    let mut req = v.req.clone();
    let old = format!("AKIDEXAMPLE/{}/{}/{}/aws4_request", &v.signing_time[..8], v.region, v.service);
    let mut parts: [String; 5] =
        ["AKIDEXAMPLE".into(), v.signing_time[..8].into(), v.region.clone(), v.service.clone(), "aws4_request".into()];
    edit(&mut parts);
    let new = parts.join("/");
    match v.location {
        SignatureLocation::Header => {
            let auth = req.header("authorization").unwrap().replace(&old, &new);
            req.set_header("authorization", &auth);
        }
        SignatureLocation::Query => {
            let encode = |s: &str| s.replace('/', "%2F");
            req.query = req.query.replace(&encode(&old), &encode(&new));
        }
    }
    assert_ne!((&req.query, &req.headers), (&v.req.query, &v.req.headers), "{}: credential not found", v.name);
    req
}

#[test]
fn changing_the_scope_date_fails() {
    for v in vectors() {
        let req = with_credential(&v, |p| p[1] = "20150829".into());
        let expected = format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20150829' != '{}', from '{}'.",
            &v.signing_time[..8],
            v.signing_time
        );
        assert_eq!(run(&v, &req), Err(AuthError::SignatureDoesNotMatch(expected)), "{}", v.name);
    }
}

#[test]
fn changing_the_scope_region_fails() {
    for v in vectors() {
        let req = with_credential(&v, |p| p[2] = "ap-south-2".into());
        assert_eq!(run(&v, &req), mismatch(), "{}", v.name);
    }
}

#[test]
fn changing_the_scope_service_fails() {
    for v in vectors() {
        let req = with_credential(&v, |p| p[3] = "ec2".into());
        assert_eq!(run(&v, &req), mismatch(), "{}", v.name);
        let parsed = parse(&req.parts(), &settings(&v.signing_time, v.encoding)).unwrap();
        assert_eq!(
            check_service(&parsed.scope, &v.service),
            Err(AuthError::SignatureDoesNotMatch(format!(
                "Credential should be scoped to correct service: '{}'. ",
                v.service
            )))
        );
    }
}

#[test]
fn changing_the_scope_terminator_fails() {
    for v in vectors() {
        let req = with_credential(&v, |p| p[4] = "aws5_request".into());
        assert_eq!(
            run(&v, &req),
            Err(AuthError::SignatureDoesNotMatch(
                "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. ".into()
            )),
            "{}",
            v.name
        );
    }
}

#[test]
fn changing_the_signature_fails() {
    for v in vectors() {
        let flipped: String = v
            .signature
            .chars()
            .enumerate()
            .map(|(i, c)| if i == 10 { if c == '0' { '1' } else { '0' } } else { c })
            .collect();
        let mut req = v.req.clone();
        match v.location {
            SignatureLocation::Header => {
                let auth = req.header("authorization").unwrap().replace(&v.signature, &flipped);
                req.set_header("authorization", &auth);
            }
            SignatureLocation::Query => req.query = req.query.replace(&v.signature, &flipped),
        }
        assert_eq!(run(&v, &req), mismatch(), "{}", v.name);
    }
}

#[test]
fn a_wrong_secret_fails() {
    for v in vectors() {
        let r =
            authenticate(&v.req, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEz", &settings(&v.signing_time, v.encoding));
        assert_eq!(r.map(|_| ()), mismatch(), "{}", v.name);
    }
}
