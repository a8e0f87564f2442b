//! Hostile input: every truncation of a good signature and odd bytes in every part of a
//! request. Each input gets the error its class calls for, decided here from the input alone;
//! a panic, a success where an error is due, or the wrong error fails the test.

use crate::sigv4::{AuthError, CanonicalRequest, SignatureLocation, UriEncoding, canonical_uri};

use super::aws_examples::iam_list_users;
use super::checks::{double, presigned_vanilla, with_authorization};
use super::support::{DOC_SECRET, Req, authenticate};

/// What an input must get.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Expect {
    Ok,
    /// This code, and a message starting with this text.
    Err(&'static str, String),
}

fn missing_token() -> Expect {
    Expect::Err("MissingAuthenticationToken", "Request is missing Authentication Token".into())
}

fn mismatch() -> Expect {
    Expect::Err("SignatureDoesNotMatch", AuthError::signature_mismatch().message().to_owned())
}

fn incomplete(start: impl Into<String>) -> Expect {
    Expect::Err("IncompleteSignature", start.into())
}

fn check(req: &Req, expect: &Expect, what: &str) {
    let got = authenticate(req, DOC_SECRET, &double("20150830T123600Z"));
    match (expect, &got) {
        (Expect::Ok, Ok(_)) => {}
        (Expect::Err(code, start), Err(e)) if e.code() == *code && e.message().starts_with(start.as_str()) => {}
        _ => panic!("{what}: expected {expect:?}, got {got:?}"),
    }
}

/// The pieces of an Authorization header after its first word, as AWS splits them.
fn pieces(rest: &str) -> Vec<&str> {
    rest.split(|c: char| c == ',' || c.is_ascii_whitespace()).filter(|p| !p.is_empty()).collect()
}

/// A header whose components are all named (`key=value`) but lack a signature: the
/// missing-parts message; one bare word among them: that word is named.
fn incomplete_header(auth: &str) -> Expect {
    let trimmed = auth.trim();
    let rest = trimmed.split_once(|c: char| c.is_ascii_whitespace()).map_or("", |(_, r)| r);
    match pieces(rest).into_iter().find(|p| !p.contains('=')) {
        Some(bare) => incomplete(format!("'{bare}' not a valid key=value pair (missing equal-sign)")),
        None => incomplete("Authorization header requires '"),
    }
}

#[test]
fn every_truncation_of_a_valid_authorization_gets_the_error_of_what_is_left() {
    let full = iam_list_users().header("Authorization").unwrap().to_owned();
    check(&with_authorization(&full), &Expect::Ok, "the whole header");
    let mut counts = [0_usize; 3];
    for (i, _) in full.char_indices() {
        let cut = &full[..i];
        let sig = cut.split_once("Signature=").map(|(_, s)| s);
        // Too short to name the scheme: no SigV4 signature. Everything up to the first digit of
        // the signature: incomplete. A partial signature: every part is there and it is wrong.
        let expect = if !cut.starts_with("AWS4-") {
            counts[0] += 1;
            missing_token()
        } else if sig.is_some_and(|s| !s.is_empty()) {
            counts[2] += 1;
            mismatch()
        } else {
            counts[1] += 1;
            incomplete_header(cut)
        };
        check(&with_authorization(cut), &expect, &format!("Authorization: {cut:?}"));
    }
    // Each class was reached: 5 prefixes of "AWS4-", the 64 hex digits less the last.
    assert_eq!((counts[0], counts[2]), (5, 63), "{counts:?}");
    assert!(counts[1] > 100, "{counts:?}");
}

#[test]
fn every_truncation_of_a_presigned_query_gets_the_error_of_what_is_left() {
    let full = presigned_vanilla().query;
    check(&presigned_vanilla(), &Expect::Ok, "the whole query");
    let algorithm = "X-Amz-Algorithm";
    for (i, _) in full.char_indices() {
        let mut req = presigned_vanilla();
        req.query.truncate(i);
        let sig = req.query.split_once("X-Amz-Signature=").map(|(_, s)| s);
        // Until `X-Amz-Algorithm` is named there is no presigned signature; from then on the
        // signature, the last parameter, is missing until its first digit, then wrong.
        let expect = if i < algorithm.len() {
            missing_token()
        } else if sig.is_some_and(|s| !s.is_empty()) {
            mismatch()
        } else {
            incomplete("AWS query-string parameters must include '")
        };
        check(&req, &expect, &format!("query {:?}", req.query));
    }
}

const ODD: [&str; 25] = [
    "",
    "%",
    "%%",
    "%zz",
    "=",
    "&",
    "&=&=",
    "\u{0}",
    "\u{1234}",
    " ",
    "\t\r\n",
    "/",
    "//..//..",
    "+",
    ";",
    ",",
    "'",
    "Credential=",
    "Signature==",
    "AWS4-",
    "AWS4-HMAC-SHA256 ",
    "00000101T000000Z",
    "99991231T235959Z",
    "-1",
    "18446744073709551616",
];

/// The only two odd strings that are well-formed request dates.
const LONG_AGO: &str = "00000101T000000Z";
const FAR_AHEAD: &str = "99991231T235959Z";

fn bad_date(o: &str) -> Expect {
    incomplete(format!("Date must be in ISO-8601 'basic format'. Got '{o}'."))
}

/// The header form with `o` in each part it is made of.
fn header_variants(o: &str) -> Vec<(&'static str, Req, Expect)> {
    let mut out = Vec::new();
    let mut r = iam_list_users();
    r.path = o.to_owned();
    // The path is signed: one that canonicalises to the signed "/" still verifies.
    let path = if canonical_uri(o, UriEncoding::Double) == "/" { Expect::Ok } else { mismatch() };
    out.push(("path", r, path));
    let mut r = iam_list_users();
    r.query = o.to_owned();
    out.push(("query", r, mismatch()));
    let mut r = iam_list_users();
    r.set_header("X-Amz-Date", o);
    let date = match o {
        LONG_AGO => Expect::Err("SignatureDoesNotMatch", "Signature expired: ".into()),
        FAR_AHEAD => Expect::Err("SignatureDoesNotMatch", "Signature not yet current: ".into()),
        _ => bad_date(o),
    };
    out.push(("X-Amz-Date", r, date));
    let mut r = iam_list_users();
    r.set_header("Content-Type", o);
    out.push(("Content-Type (signed)", r, mismatch()));
    let mut r = iam_list_users();
    r.headers.push((o.to_owned(), o.to_owned()));
    out.push(("an unsigned header", r, Expect::Ok));
    let auth = format!("AWS4-HMAC-SHA256 {o}");
    out.push(("Authorization components", with_authorization(&auth), incomplete_header(&auth)));
    let auth = format!("AWS4-HMAC-SHA256 Credential={o}/{o}/{o}/{o}/{o}, SignedHeaders={o};host, Signature={o}");
    // Empty: no signature. A comma or blank splits the components so a bare word appears. A
    // slash changes the number of credential elements. Otherwise the scope is checked: its
    // terminator (and date) are `o`, not AWS's.
    let credential = if o.is_empty() {
        incomplete("Authorization header requires 'Signature' parameter.")
    } else if o.contains(|c: char| c == ',' || c.is_ascii_whitespace()) {
        incomplete_header(&auth)
    } else if o.contains('/') {
        incomplete("Credential must have exactly 5 slash-delimited elements")
    } else {
        Expect::Err(
            "SignatureDoesNotMatch",
            format!("Credential should be scoped with a valid terminator: 'aws4_request', not '{o}'. "),
        )
    };
    out.push(("a credential of `o`", with_authorization(&auth), credential));
    out
}

/// What a presigned request gets when parameter `name` has the raw value `o`.
fn presigned_expect(name: &str, o: &str) -> Expect {
    // A `&` ends the value; an empty value is a missing parameter, if the parameter is required
    // (X-Amz-Expires is not: empty, it is not a number).
    let value = o.split('&').next().unwrap_or_default();
    if value.is_empty() && name != "X-Amz-Expires" {
        return incomplete(format!("AWS query-string parameters must include '{name}'."));
    }
    match name {
        "X-Amz-Date" => match o {
            LONG_AGO => Expect::Err("RequestExpired", "Request has expired.".into()),
            FAR_AHEAD => Expect::Err("SignatureDoesNotMatch", "Signature not yet current: ".into()),
            _ => incomplete("Date must be in ISO-8601 'basic format'."),
        },
        "X-Amz-Expires" if value == "-1" => {
            Expect::Err("AuthorizationQueryParametersError", "X-Amz-Expires must be non-negative".into())
        }
        // No odd string is a number in range.
        "X-Amz-Expires" => Expect::Err("AuthorizationQueryParametersError", "X-Amz-Expires should be a number".into()),
        "X-Amz-Credential" if value.trim_end_matches('/').split('/').count() == 5 => Expect::Err(
            "SignatureDoesNotMatch",
            "Credential should be scoped with a valid terminator: 'aws4_request', not ".into(),
        ),
        "X-Amz-Credential" => incomplete("Credential must have exactly 5 slash-delimited elements"),
        // No odd string names `host`.
        "X-Amz-SignedHeaders" => Expect::Err(
            "SignatureDoesNotMatch",
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.".into(),
        ),
        "X-Amz-Signature" => mismatch(),
        "X-Amz-Algorithm" => incomplete("Unsupported AWS 'algorithm': '"),
        other => unreachable!("{other}"),
    }
}

#[test]
fn odd_bytes_anywhere_get_the_error_of_the_part_they_spoil() {
    let mut checked = 0;
    for o in ODD {
        for (part, req, expect) in header_variants(o) {
            check(&req, &expect, &format!("{o:?} in {part}"));
            // Without a declared payload hash, building the canonical request cannot fail.
            let canonical =
                CanonicalRequest::new(&req.parts(), &[o.to_owned()], SignatureLocation::Query, UriEncoding::Single);
            assert!(canonical.is_ok(), "{o:?} in {part}: {canonical:?}");
            checked += 1;
        }
        for name in [
            "X-Amz-Date",
            "X-Amz-Expires",
            "X-Amz-Credential",
            "X-Amz-SignedHeaders",
            "X-Amz-Signature",
            "X-Amz-Algorithm",
        ] {
            let mut r = presigned_vanilla();
            let pairs: Vec<String> = r
                .query
                .split('&')
                .map(|p| if p.starts_with(&format!("{name}=")) { format!("{name}={o}") } else { p.to_owned() })
                .collect();
            r.query = pairs.join("&");
            check(&r, &presigned_expect(name, o), &format!("{o:?} as {name}"));
            checked += 1;
        }
    }
    assert_eq!(checked, ODD.len() * 13);
}
