//! The checks around the signature: clock skew, presigned expiry, malformed
//! and missing parts, canonicalisation rules, the key cache, and hostile
//! input (which must give an error, never a panic).

use std::sync::Arc;

use time::Duration;

use crate::sigv4::{
    AuthError, RequestParts, Scope, SecretKey, Settings, SignatureLocation, SigningKeyCache, UriEncoding,
    canonical_headers, canonical_query, canonical_uri, check_region, parse, parse_http_date, payload_hash, signing_key,
    verify, verify_string_to_sign,
};

use super::aws_examples::iam_list_users;
use super::support::{DOC_SECRET, Req, at, authenticate, err_of, settings};

const IAM_SIGNATURE: &str = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";

/// aws-c-auth's get-vanilla, presigned for 3600 s at 20150830T123600Z.
pub(super) fn presigned_vanilla() -> Req {
    Req::new(
        "GET",
        "/",
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request\
         &X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Expires=3600\
         &X-Amz-Signature=e93c787ed7f371d5c6b165c1b38ede9550f4dce4144713e844b25b7192d3865d",
        &[("Host", "example.amazonaws.com")],
        b"",
    )
}

/// A presigned query with a placeholder signature, for checks `parse` makes.
fn presigned_query(date: &str, expires: Option<&str>) -> Req {
    let mut query = format!(
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F{}%2Fus-east-1%2Fsts%2Faws4_request\
         &X-Amz-Date={date}&X-Amz-SignedHeaders=host&X-Amz-Signature=00",
        &date[..8]
    );
    if let Some(e) = expires {
        query.push_str("&X-Amz-Expires=");
        query.push_str(e);
    }
    Req::new("GET", "/", &query, &[("Host", "sts.amazonaws.com")], b"")
}

pub(super) fn with_authorization(auth: &str) -> Req {
    let mut req = iam_list_users();
    req.set_header("Authorization", auth);
    req
}

pub(super) fn double(now: &str) -> Settings {
    settings(now, UriEncoding::Double)
}

// --- Clock skew (header form) ----------------------------------------------

#[test]
fn skew_is_fifteen_minutes_each_way_boundary_included() {
    let req = iam_list_users();
    for now in ["20150830T123600Z", "20150830T125100Z", "20150830T122100Z"] {
        authenticate(&req, DOC_SECRET, &double(now)).unwrap_or_else(|e| panic!("{now}: {e}"));
    }
    assert_eq!(
        err_of(authenticate(&req, DOC_SECRET, &double("20150830T125101Z"))),
        (
            "SignatureDoesNotMatch",
            "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z (20150830T125101Z - 15 min.)"
                .into()
        )
    );
    assert_eq!(
        err_of(authenticate(&req, DOC_SECRET, &double("20150830T122059Z"))),
        (
            "SignatureDoesNotMatch",
            "Signature not yet current: 20150830T123600Z is still later than 20150830T123559Z (20150830T122059Z + 15 min.)"
                .into()
        )
    );
}

#[test]
fn skew_follows_the_setting() {
    let req = iam_list_users();
    let mut s = double("20150830T124100Z");
    s.max_skew = Duration::minutes(5);
    authenticate(&req, DOC_SECRET, &s).unwrap();
    s.now = at("20150830T124101Z");
    assert_eq!(
        err_of(authenticate(&req, DOC_SECRET, &s)).1,
        "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z (20150830T124101Z - 5 min.)"
    );
}

#[test]
fn the_clock_counts_whole_seconds() {
    // AWS's messages are in whole seconds; a clock with a fraction is
    // judged by its second, so the boundary second is still accepted.
    let req = iam_list_users();
    let mut s = double("20150830T125100Z");
    s.now += Duration::milliseconds(999);
    authenticate(&req, DOC_SECRET, &s).unwrap();
    s.now = at("20150830T125101Z") + Duration::milliseconds(1);
    assert_eq!(
        err_of(authenticate(&req, DOC_SECRET, &s)).1,
        "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z (20150830T125101Z - 15 min.)"
    );
}

// --- Presigned expiry ------------------------------------------------------

#[test]
fn presigned_is_valid_until_date_plus_expires_inclusive() {
    let req = presigned_vanilla();
    for now in ["20150830T123600Z", "20150830T133600Z", "20150830T122100Z"] {
        authenticate(&req, DOC_SECRET, &double(now)).unwrap_or_else(|e| panic!("{now}: {e}"));
    }
    assert_eq!(
        err_of(authenticate(&req, DOC_SECRET, &double("20150830T133601Z"))),
        ("RequestExpired", "Request has expired.".into())
    );
    assert_eq!(
        err_of(authenticate(&req, DOC_SECRET, &double("20150830T122059Z"))),
        (
            "SignatureDoesNotMatch",
            "Signature not yet current: 20150830T123600Z is still later than 20150830T123559Z (20150830T122059Z + 15 min.)"
                .into()
        )
    );
}

#[test]
fn x_amz_expires_accepts_one_second_to_seven_days() {
    let date = "20150830T123600Z";
    for expires in ["1", "60", "900", "3600", "604800"] {
        let parsed = parse(&presigned_query(date, Some(expires)).parts(), &double(date)).unwrap();
        assert_eq!(parsed.expires, Some(expires.parse().unwrap()));
    }
    // One second after the date, a one-second URL is still good; two, not.
    parse(&presigned_query(date, Some("1")).parts(), &double("20150830T123601Z")).unwrap();
    assert_eq!(
        err_of(parse(&presigned_query(date, Some("1")).parts(), &double("20150830T123602Z"))).0,
        "RequestExpired"
    );
    // A week-long URL on its last second, and after.
    parse(&presigned_query(date, Some("604800")).parts(), &double("20150906T123600Z")).unwrap();
    assert_eq!(
        err_of(parse(&presigned_query(date, Some("604800")).parts(), &double("20150906T123601Z"))).0,
        "RequestExpired"
    );
    // Zero is a number AWS allows; it is only good at the signing second.
    parse(&presigned_query(date, Some("0")).parts(), &double(date)).unwrap();
    assert_eq!(
        err_of(parse(&presigned_query(date, Some("0")).parts(), &double("20150830T123601Z"))).0,
        "RequestExpired"
    );
}

#[test]
fn x_amz_expires_out_of_range_is_rejected() {
    let date = "20150830T123600Z";
    let cases = [
        (
            "604801",
            "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds",
        ),
        ("99999999999999999999", "X-Amz-Expires should be a number"),
        ("-1", "X-Amz-Expires must be non-negative"),
        ("abc", "X-Amz-Expires should be a number"),
        ("", "X-Amz-Expires should be a number"),
        ("1.5", "X-Amz-Expires should be a number"),
    ];
    for (expires, message) in cases {
        assert_eq!(
            err_of(parse(&presigned_query(date, Some(expires)).parts(), &double(date))),
            ("AuthorizationQueryParametersError", message.to_owned()),
            "{expires}"
        );
    }
}

#[test]
fn presigned_without_expires_gets_the_skew_window() {
    let date = "20150830T123600Z";
    parse(&presigned_query(date, None).parts(), &double("20150830T125100Z")).unwrap();
    assert_eq!(
        err_of(parse(&presigned_query(date, None).parts(), &double("20150830T125101Z"))).1,
        "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z (20150830T125101Z - 15 min.)"
    );
}

#[test]
fn presigned_token_comes_from_the_query() {
    let mut req = presigned_query("20150830T123600Z", Some("60"));
    req.query.push_str("&X-Amz-Security-Token=a%2Bb%2Fc%3D");
    let parsed = parse(&req.parts(), &double("20150830T123600Z")).unwrap();
    assert_eq!(parsed.security_token.as_deref(), Some("a+b/c="));
    assert_eq!(parsed.location, SignatureLocation::Query);
}

// --- Missing or malformed signatures ---------------------------------------

#[test]
fn no_signature_is_a_missing_token() {
    let mut req = iam_list_users();
    req.remove_header("Authorization");
    let missing = ("MissingAuthenticationToken", "Request is missing Authentication Token".to_owned());
    assert_eq!(err_of(parse(&req.parts(), &double("20150830T123600Z"))), missing);
    // Another scheme, or SigV2, is not a SigV4 signature either.
    for auth in ["Basic dXNlcjpwYXNz", "AWS AKIDEXAMPLE:c2lnbmF0dXJl", ""] {
        assert_eq!(err_of(parse(&with_authorization(auth).parts(), &double("20150830T123600Z"))), missing);
    }
    // X-Amz-* parameters without X-Amz-Algorithm do not make a presigned URL.
    let mut req = presigned_vanilla();
    req.query = req.query.replace("X-Amz-Algorithm=AWS4-HMAC-SHA256&", "");
    assert_eq!(err_of(parse(&req.parts(), &double("20150830T123600Z"))), missing);
}

#[test]
fn header_and_query_signatures_together_are_refused() {
    let mut req = presigned_vanilla();
    req.headers.push(("Authorization".into(), "AWS4-HMAC-SHA256 Credential=x".into()));
    assert_eq!(
        err_of(parse(&req.parts(), &double("20150830T123600Z"))),
        (
            "SignatureDoesNotMatch",
            "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.".into()
        )
    );
}

#[test]
fn incomplete_authorization_header_lists_every_missing_part() {
    let mut req = with_authorization("AWS4-HMAC-SHA256");
    req.remove_header("X-Amz-Date");
    assert_eq!(
        err_of(parse(&req.parts(), &double("20150830T123600Z"))),
        (
            "IncompleteSignature",
            "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. \
             Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either \
             a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256"
                .into()
        )
    );
    let auth = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=host";
    assert_eq!(
        err_of(parse(&with_authorization(auth).parts(), &double("20150830T123600Z"))).1,
        format!("Authorization header requires 'Signature' parameter. Authorization={auth}")
    );
}

#[test]
fn incomplete_query_lists_every_missing_parameter() {
    let req = Req::new("GET", "/", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=", &[("Host", "h")], b"");
    assert_eq!(
        err_of(parse(&req.parts(), &double("20150830T123600Z"))),
        (
            "IncompleteSignature",
            "AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string parameters must include \
             'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. AWS query-string \
             parameters must include 'X-Amz-Date'. Re-examine the query-string parameters."
                .into()
        )
    );
}

#[test]
fn a_component_without_equals_sign_is_named() {
    let auth = "AWS4-HMAC-SHA256 Signature=b,    Credential,    SignedHeaders";
    assert_eq!(
        err_of(parse(&with_authorization(auth).parts(), &double("20150830T123600Z"))),
        (
            "IncompleteSignature",
            format!("'Credential' not a valid key=value pair (missing equal-sign) in Authorization header: '{auth}'.")
        )
    );
}

#[test]
fn commas_alone_separate_components() {
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request,SignedHeaders=content-type;host;x-amz-date,Signature={IAM_SIGNATURE}"
    );
    authenticate(&with_authorization(&auth), DOC_SECRET, &double("20150830T123600Z")).unwrap();
}

#[test]
fn only_aws4_hmac_sha256_is_supported() {
    let auth = format!(
        "AWS4-HMAC-SHA512 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=host, Signature={IAM_SIGNATURE}"
    );
    assert_eq!(
        err_of(parse(&with_authorization(&auth).parts(), &double("20150830T123600Z"))),
        (
            "IncompleteSignature",
            "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512' (only AWS4-HMAC-SHA256 for now). ".into()
        )
    );
    let mut req = presigned_vanilla();
    req.query = req.query.replace("X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256");
    assert_eq!(err_of(parse(&req.parts(), &double("20150830T123600Z"))).0, "IncompleteSignature");
}

#[test]
fn credential_must_have_five_parts() {
    for credential in [
        "AKIDEXAMPLE/20150830/us-east-1/iam",
        "AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request/extra",
        "AKIDEXAMPLE",
        "////",
    ] {
        let auth = format!("AWS4-HMAC-SHA256 Credential={credential}, SignedHeaders=host, Signature={IAM_SIGNATURE}");
        assert_eq!(
            err_of(parse(&with_authorization(&auth).parts(), &double("20150830T123600Z"))),
            (
                "IncompleteSignature",
                format!(
                    "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'"
                )
            )
        );
    }
    // Trailing slashes are ignored.
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request//, SignedHeaders=content-type;host;x-amz-date, Signature={IAM_SIGNATURE}"
    );
    authenticate(&with_authorization(&auth), DOC_SECRET, &double("20150830T123600Z")).unwrap();
}

#[test]
fn host_must_be_signed() {
    for signed in ["content-type;x-amz-date", "", "hostx;x-amz-date"] {
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders={signed}, Signature={IAM_SIGNATURE}"
        );
        assert_eq!(
            err_of(parse(&with_authorization(&auth).parts(), &double("20150830T123600Z"))),
            (
                "SignatureDoesNotMatch",
                "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.".into()
            ),
            "{signed}"
        );
    }
    let mut req = presigned_vanilla();
    req.query = req.query.replace("X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders=x-amz-date");
    assert_eq!(err_of(parse(&req.parts(), &double("20150830T123600Z"))).0, "SignatureDoesNotMatch");
}

#[test]
fn scope_date_must_be_the_request_date() {
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150831/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature={IAM_SIGNATURE}"
    );
    assert_eq!(
        err_of(parse(&with_authorization(&auth).parts(), &double("20150830T123600Z"))),
        (
            "SignatureDoesNotMatch",
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20150831' != \
             '20150830', from '20150830T123600Z'."
                .into()
        )
    );
}

#[test]
fn terminator_and_date_problems_are_reported_together() {
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/b/us-east-1/iam/x, SignedHeaders=content-type;host;x-amz-date, Signature={IAM_SIGNATURE}"
    );
    assert_eq!(
        err_of(parse(&with_authorization(&auth).parts(), &double("20150830T123600Z"))),
        (
            "SignatureDoesNotMatch",
            "Credential should be scoped with a valid terminator: 'aws4_request', not 'x'. Date in Credential scope does \
             not match YYYYMMDD from ISO-8601 version of date from HTTP: 'b' != '20150830', from '20150830T123600Z'."
                .into()
        )
    );
}

#[test]
fn region_and_service_are_the_callers_to_check() {
    let parsed = parse(&iam_list_users().parts(), &double("20150830T123600Z")).unwrap();
    check_region(&parsed.scope, |r| r == "us-east-1").unwrap();
    let mut other = parsed.scope.clone();
    other.region = "us-west-2".into();
    assert_eq!(
        check_region(&other, |r| r == "us-east-1"),
        Err(AuthError::SignatureDoesNotMatch(
            "Credential should be scoped to a valid region, not 'us-west-2'. ".into()
        ))
    );
    assert_eq!(
        crate::sigv4::check_service(&parsed.scope, "sts"),
        Err(AuthError::SignatureDoesNotMatch("Credential should be scoped to correct service: 'sts'. ".into()))
    );
}

#[test]
fn a_date_not_in_basic_format_is_incomplete() {
    for bad in
        ["2015-08-30T12:36:00Z", "20150830T123600", "20150830T126000Z", "20151330T123600Z", "2015083OT123600Z", "ሴሴሴሴ"]
    {
        let mut req = iam_list_users();
        req.set_header("X-Amz-Date", bad);
        assert_eq!(
            err_of(parse(&req.parts(), &double("20150830T123600Z"))),
            (
                "IncompleteSignature",
                format!(
                    "Date must be in ISO-8601 'basic format'. Got '{bad}'. See http://en.wikipedia.org/wiki/ISO_8601"
                )
            ),
            "{bad}"
        );
    }
}

#[test]
fn the_date_header_stands_in_for_x_amz_date() {
    let mut req = iam_list_users();
    req.remove_header("X-Amz-Date");
    req.headers.push(("Date".into(), "Sun, 30 Aug 2015 12:36:00 GMT".into()));
    let parsed = parse(&req.parts(), &double("20150830T123600Z")).unwrap();
    assert_eq!(parsed.amz_date, at("20150830T123600Z"));
    // X-Amz-Date wins when both are sent.
    let mut both = iam_list_users();
    both.headers.push(("Date".into(), "Mon, 31 Aug 2015 00:00:00 GMT".into()));
    assert_eq!(parse(&both.parts(), &double("20150830T123600Z")).unwrap().amz_date, at("20150830T123600Z"));
}

#[test]
fn http_dates_in_the_forms_clients_send() {
    let t = at("20150830T123600Z");
    for s in [
        "Sun, 30 Aug 2015 12:36:00 GMT",
        "Sun, 30 Aug 2015 12:36:00 -0000",
        "Sun, 30 Aug 2015 12:36:00 +0000",
        "30 Aug 2015 12:36:00 UTC",
        "Sun, 30 Aug 2015 14:36:00 +0200",
        "Sun, 30 aug 2015 12:36:00 gmt",
    ] {
        assert_eq!(parse_http_date(s), Some(t), "{s}");
    }
    for s in [
        "",
        "Sun, 30 Aug 2015",
        "Sun, 30 Foo 2015 12:36:00 GMT",
        "Sun, 31 Sep 2015 12:36:00 GMT",
        "Sun, 30 Aug 2015 12:36:00 +99",
        "Sun, 30 Aug 2015 12:36:00 GMT extra",
    ] {
        assert_eq!(parse_http_date(s), None, "{s}");
    }
}

// --- Canonicalisation rules --------------------------------------------------

#[test]
fn iam_and_sts_double_encode_s3_does_not() {
    let cases = [
        ("/a%20b/./c/../d//e", "/a%2520b/d/e", "/a%20b/./c/../d//e"),
        ("", "/", "/"),
        ("/", "/", "/"),
        ("/\u{1234}", "/%E1%88%B4", "/%E1%88%B4"),
        ("/a b", "/a%20b", "/a%20b"),
        ("/a+b=c", "/a%2Bb%3Dc", "/a+b=c"),
        ("/%2E%2E/x", "/%252E%252E/x", "/%2E%2E/x"),
        ("/a/..", "/", "/a/.."),
        ("/../../x/", "/x/", "/../../x/"),
        ("/~user/Ab-1_.", "/~user/Ab-1_.", "/~user/Ab-1_."),
    ];
    for (path, double, single) in cases {
        assert_eq!(canonical_uri(path, UriEncoding::Double), double, "double {path}");
        assert_eq!(canonical_uri(path, UriEncoding::Single), single, "single {path}");
    }
}

#[test]
fn canonical_query_decodes_reencodes_and_sorts() {
    let cases = [
        ("b=2&a=1&a=0&c", "a=0&a=1&b=2&c="),
        ("a=b+c", "a=b%20c"),
        ("a=%2B&b=%7E&c=%2f", "a=%2B&b=~&c=%2F"),
        ("a=%zz&b=%4", "a=%25zz&b=%254"),
        ("&&a=1&", "a=1"),
        ("=v&k=", "=v&k="),
        ("Z=1&a=1&_=1", "Z=1&_=1&a=1"),
        ("k=a=b", "k=a%3Db"),
        ("%E1%88%B4=\u{e9}", "%E1%88%B4=%C3%A9"),
        ("a=%FF", "a=%FF"),
    ];
    for (raw, canonical) in cases {
        assert_eq!(canonical_query(raw, false), canonical, "{raw}");
    }
    let with_signature = "X-Amz-Signature=abc&Action=ListUsers";
    assert_eq!(canonical_query(with_signature, true), "Action=ListUsers");
    assert_eq!(canonical_query(with_signature, false), "Action=ListUsers&X-Amz-Signature=abc");
}

#[test]
fn duplicate_headers_join_in_arrival_order_across_cases() {
    let headers: Vec<(String, String)> =
        [("My-Header", " b "), ("host", "h"), ("my-header", "a\t\tc"), ("MY-HEADER", "")]
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect();
    let signed = vec!["host".to_owned(), "my-header".to_owned(), "x-absent".to_owned()];
    assert_eq!(
        canonical_headers(&headers, &signed),
        vec![
            ("host".to_owned(), "h".to_owned()),
            ("my-header".to_owned(), "b,a c,".to_owned()),
            ("x-absent".to_owned(), String::new())
        ]
    );
}

fn hash_with(declared: Option<&str>, location: SignatureLocation, encoding: UriEncoding) -> Result<String, AuthError> {
    let headers: Vec<(String, String)> =
        declared.map(|d| ("X-Amz-Content-Sha256".to_owned(), d.to_owned())).into_iter().collect();
    let parts = RequestParts { method: "POST", path: "/", query: "", headers: &headers, body: b"Action=ListUsers" };
    payload_hash(&parts, location, encoding)
}

#[test]
fn declared_payload_hash_must_match_the_body() {
    use SignatureLocation::{Header, Query};
    use UriEncoding::{Double, Single};
    let real = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(b"Action=ListUsers"));
    assert_eq!(hash_with(Some(&real), Header, Double).unwrap(), real);
    assert_eq!(hash_with(Some(&real.to_uppercase()), Header, Double).unwrap(), real.to_uppercase());
    let mut other = real.clone();
    other.replace_range(0..1, if real.starts_with('0') { "1" } else { "0" });
    // S3's chunked-upload markers are signed as written (chunks carry their own signatures);
    // IAM and STS refuse them as they refuse UNSIGNED-PAYLOAD.
    for marker in ["STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"] {
        assert_eq!(hash_with(Some(marker), Header, Double).unwrap(), marker);
    }
    for bad in [other.as_str(), "streaming-aws4-hmac-sha256-payload", "", "unsigned-payload"] {
        assert_eq!(
            hash_with(Some(bad), Header, Double),
            Err(AuthError::XAmzContentSha256Mismatch(
                "The provided 'x-amz-content-sha256' header does not match what was computed.".into()
            )),
            "{bad}"
        );
    }
    assert_eq!(hash_with(Some("UNSIGNED-PAYLOAD"), Header, Double).unwrap(), "UNSIGNED-PAYLOAD");
    // No header: the body's hash, but S3 presigned URLs sign the constant.
    assert_eq!(hash_with(None, Header, Single).unwrap(), real);
    assert_eq!(hash_with(None, Query, Double).unwrap(), real);
    assert_eq!(hash_with(None, Query, Single).unwrap(), "UNSIGNED-PAYLOAD");
}

#[test]
fn signature_hex_is_compared_case_insensitively() {
    let req = with_authorization(&format!(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature={}",
        IAM_SIGNATURE.to_uppercase()
    ));
    authenticate(&req, DOC_SECRET, &double("20150830T123600Z")).unwrap();
    for bad in ["", "zz", &IAM_SIGNATURE[..62], &format!("{IAM_SIGNATURE}00")] {
        let req = with_authorization(&format!(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature={bad}"
        ));
        let r = authenticate(&req, DOC_SECRET, &double("20150830T123600Z"));
        assert!(matches!(r, Err(AuthError::SignatureDoesNotMatch(_) | AuthError::IncompleteSignature(_))), "{bad}");
    }
}

#[test]
fn a_forwarded_string_to_sign_verifies() {
    let sts = "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\nf536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59";
    let scope = Scope { date: "20150830".into(), region: "us-east-1".into(), service: "iam".into() };
    let secret = SecretKey::new(DOC_SECRET.into());
    let cache = SigningKeyCache::new();
    verify_string_to_sign(sts, IAM_SIGNATURE, &secret, &scope, "AKIDEXAMPLE", &cache).unwrap();
    assert_eq!(
        verify_string_to_sign(&sts.replace("iam/", "sts/"), IAM_SIGNATURE, &secret, &scope, "AKIDEXAMPLE", &cache),
        Err(AuthError::signature_mismatch())
    );
    let wrong = SecretKey::new("other".into());
    assert_eq!(
        verify_string_to_sign(sts, IAM_SIGNATURE, &wrong, &scope, "AKIDEXAMPLE", &cache),
        Err(AuthError::signature_mismatch())
    );
}

// --- Secrets and the key cache ---------------------------------------------

#[test]
fn secrets_do_not_print() {
    let secret = SecretKey::new(DOC_SECRET.into());
    assert_eq!(format!("{secret:?}"), "[REDACTED]");
    assert_eq!(secret.expose(), DOC_SECRET);
    assert_eq!(secret, SecretKey::new(DOC_SECRET.into()));
    assert_ne!(secret, SecretKey::new("x".into()));

    let mut req = iam_list_users();
    req.headers.push(("X-Amz-Security-Token".into(), "token-value-123".into()));
    let parsed = parse(&req.parts(), &double("20150830T123600Z")).unwrap();
    assert_eq!(parsed.security_token.as_deref(), Some("token-value-123"));
    assert!(!format!("{parsed:?}").contains("token-value-123"));
}

#[test]
fn the_cache_never_serves_a_key_from_another_secret() {
    let cache = SigningKeyCache::new();
    let scope = Scope { date: "20150830".into(), region: "us-east-1".into(), service: "iam".into() };
    let a = SecretKey::new("secret-a".into());
    let b = SecretKey::new("secret-b".into());
    let key_a = cache.get("AKID", &scope, &a);
    assert_eq!(*key_a, signing_key(&a, "20150830", "us-east-1", "iam"));
    assert_eq!(*cache.get("AKID", &scope, &b), signing_key(&b, "20150830", "us-east-1", "iam"));
    assert_eq!(*cache.get("AKID", &scope, &a), *key_a);
    assert_eq!(cache.len(), 1);

    // Through verify: a good request, then the same key id with a wrong
    // secret, then the right one again.
    let req = iam_list_users();
    let s = double("20150830T123600Z");
    let parsed = parse(&req.parts(), &s).unwrap();
    let good = SecretKey::new(DOC_SECRET.into());
    let bad = SecretKey::new("not-the-secret".into());
    verify(&req.parts(), &parsed, &good, &s, &cache).unwrap();
    assert_eq!(verify(&req.parts(), &parsed, &bad, &s, &cache), Err(AuthError::signature_mismatch()));
    verify(&req.parts(), &parsed, &good, &s, &cache).unwrap();
}

#[test]
fn the_cache_is_bounded() {
    let cache = SigningKeyCache::new();
    let secret = SecretKey::new("s".into());
    for i in 0..10_050 {
        let scope = Scope { date: "20150830".into(), region: "us-east-1".into(), service: "iam".into() };
        let _ = cache.get(&format!("AKID{i}"), &scope, &secret);
        assert!(cache.len() <= 10_000);
    }
    assert!(!cache.is_empty());
    cache.clear();
    assert!(cache.is_empty());
}

#[test]
fn the_cache_is_shared_between_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<SigningKeyCache>();
    let cache = Arc::new(SigningKeyCache::new());
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let cache = Arc::clone(&cache);
            std::thread::spawn(move || {
                let req = iam_list_users();
                let s = double("20150830T123600Z");
                let parsed = parse(&req.parts(), &s).unwrap();
                let secret = SecretKey::new(if t % 2 == 0 { DOC_SECRET.into() } else { "wrong".into() });
                for _ in 0..50 {
                    let r = verify(&req.parts(), &parsed, &secret, &s, &cache);
                    assert_eq!(r.is_ok(), t % 2 == 0);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

#[test]
fn errors_carry_code_status_and_message() {
    let cases = [
        (AuthError::MissingAuthenticationToken("m".into()), "MissingAuthenticationToken", 403),
        (AuthError::IncompleteSignature("m".into()), "IncompleteSignature", 400),
        (AuthError::SignatureDoesNotMatch("m".into()), "SignatureDoesNotMatch", 403),
        (AuthError::RequestExpired("m".into()), "RequestExpired", 400),
        (AuthError::AuthorizationQueryParametersError("m".into()), "AuthorizationQueryParametersError", 400),
        (AuthError::XAmzContentSha256Mismatch("m".into()), "XAmzContentSHA256Mismatch", 400),
    ];
    for (e, code, status) in cases {
        assert_eq!((e.code(), e.http_status(), e.message()), (code, status, "m"));
        assert_eq!(e.to_string(), format!("{code}: m"));
    }
    assert_eq!(
        AuthError::signature_mismatch().message(),
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key \
         and signing method. Consult the service documentation for details."
    );
}

// --- Extreme clocks --------------------------------------------------------

#[test]
fn extreme_clocks_do_not_overflow() {
    let req = presigned_query("99991231T235959Z", Some("604800"));
    let mut s = double("99991231T235959Z");
    parse(&req.parts(), &s).unwrap();
    // A skew past the end of the calendar bounds nothing: every date is inside it.
    s.max_skew = Duration::days(100_000_000);
    parse(&req.parts(), &s).unwrap();
    parse(&presigned_query("00000101T000000Z", None).parts(), &s).unwrap();
    parse(&iam_list_users().parts(), &s).unwrap();
}
