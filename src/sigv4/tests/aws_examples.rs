//! AWS's own worked examples, stage by stage. Every expected value below is
//! typed in from AWS material, never produced by this code:
//! - the IAM `ListUsers` example of the SigV4 guide ("Create a canonical
//!   request", "Create a string to sign", "Calculate the signature";
//!   docs.aws.amazon.com/general/latest/gr/sigv4-*.html, now the IAM user
//!   guide's "Create a signed AWS API request");
//! - the S3 API reference's SigV4 examples ("Signature Calculations for the
//!   Authorization Header", "Authenticating Requests: Using Query
//!   Parameters"), with their own example key;
//! - the aws-c-auth signing test suite (awslabs/aws-c-auth
//!   tests/aws-signing-test-suite/v4, as vendored in aws-sigv4 1.6.4): the
//!   expected `header-signature.txt` / `query-signature.txt` of each case.

use crate::sigv4::{
    CanonicalRequest, Scope, SecretKey, SignatureLocation, StringToSign, UriEncoding, canonical_uri, signature_hex,
    signing_key,
};

use super::support::{DOC_SECRET, Req, at, authenticate, settings};

const IAM_LIST_USERS_CANONICAL: &str = "GET
/
Action=ListUsers&Version=2010-05-08
content-type:application/x-www-form-urlencoded; charset=utf-8
host:iam.amazonaws.com
x-amz-date:20150830T123600Z

content-type;host;x-amz-date
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

const IAM_LIST_USERS_STRING_TO_SIGN: &str = "AWS4-HMAC-SHA256
20150830T123600Z
20150830/us-east-1/iam/aws4_request
f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59";

pub(super) fn iam_list_users() -> Req {
    Req::new(
        "GET",
        "/",
        "Action=ListUsers&Version=2010-05-08",
        &[
            ("Host", "iam.amazonaws.com"),
            ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
            ("X-Amz-Date", "20150830T123600Z"),
            (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, \
                 SignedHeaders=content-type;host;x-amz-date, \
                 Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
            ),
        ],
        b"",
    )
}

fn iam_scope() -> Scope {
    Scope { date: "20150830".into(), region: "us-east-1".into(), service: "iam".into() }
}

#[test]
fn iam_list_users_canonical_request() {
    let req = iam_list_users();
    let signed: Vec<String> = ["content-type", "host", "x-amz-date"].map(String::from).to_vec();
    let creq = CanonicalRequest::new(&req.parts(), &signed, SignatureLocation::Header, UriEncoding::Double).unwrap();
    assert_eq!(creq.to_string(), IAM_LIST_USERS_CANONICAL);
    assert_eq!(creq.hash(), "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59");
}

#[test]
fn iam_list_users_string_to_sign() {
    let req = iam_list_users();
    let signed: Vec<String> = ["content-type", "host", "x-amz-date"].map(String::from).to_vec();
    let creq = CanonicalRequest::new(&req.parts(), &signed, SignatureLocation::Header, UriEncoding::Double).unwrap();
    let sts = StringToSign::new(at("20150830T123600Z"), &iam_scope(), &creq);
    assert_eq!(sts.to_string(), IAM_LIST_USERS_STRING_TO_SIGN);
}

#[test]
fn iam_list_users_signing_key_and_signature() {
    let secret = SecretKey::new(DOC_SECRET.into());
    let key = signing_key(&secret, "20150830", "us-east-1", "iam");
    assert_eq!(hex::encode(key), "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
    assert_eq!(
        signature_hex(&key, IAM_LIST_USERS_STRING_TO_SIGN),
        "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
    );
}

#[test]
fn iam_list_users_verifies() {
    let parsed =
        authenticate(&iam_list_users(), DOC_SECRET, &settings("20150830T123600Z", UriEncoding::Double)).unwrap();
    assert_eq!(parsed.access_key_id, "AKIDEXAMPLE");
    assert_eq!(parsed.scope, iam_scope());
    assert_eq!(parsed.signed_headers, ["content-type", "host", "x-amz-date"]);
    assert_eq!(parsed.location, SignatureLocation::Header);
    assert_eq!(parsed.security_token, None);
}

// --- S3 API reference examples (single encoding) ---------------------------

const S3_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn s3_request(
    method: &str,
    path: &str,
    query: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    signed: &str,
    sig: &str,
) -> Req {
    let mut all = vec![("Host", "examplebucket.s3.amazonaws.com"), ("x-amz-date", "20130524T000000Z")];
    all.extend_from_slice(headers);
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders={signed},Signature={sig}"
    );
    all.push(("Authorization", &auth));
    Req::new(method, path, query, &all, body)
}

fn s3_canonical_hash(req: &Req) -> String {
    let parsed = crate::sigv4::parse(&req.parts(), &settings("20130524T000000Z", UriEncoding::Single)).unwrap();
    CanonicalRequest::new(&req.parts(), &parsed.signed_headers, parsed.location, UriEncoding::Single).unwrap().hash()
}

#[test]
fn s3_get_object() {
    let req = s3_request(
        "GET",
        "/test.txt",
        "",
        &[("Range", "bytes=0-9"), ("x-amz-content-sha256", EMPTY_SHA256)],
        b"",
        "host;range;x-amz-content-sha256;x-amz-date",
        "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
    );
    assert_eq!(s3_canonical_hash(&req), "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
    authenticate(&req, S3_SECRET, &settings("20130524T000000Z", UriEncoding::Single)).unwrap();
}

#[test]
fn s3_put_object_with_date_header() {
    let req = s3_request(
        "PUT",
        "/test%24file.text",
        "",
        &[
            ("Date", "Fri, 24 May 2013 00:00:00 GMT"),
            ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            ("x-amz-content-sha256", "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"),
        ],
        b"Welcome to Amazon S3.",
        "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
        "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd",
    );
    assert_eq!(s3_canonical_hash(&req), "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d");
    authenticate(&req, S3_SECRET, &settings("20130524T000000Z", UriEncoding::Single)).unwrap();
}

#[test]
fn s3_get_bucket_lifecycle_key_without_value() {
    let req = s3_request(
        "GET",
        "/",
        "lifecycle",
        &[("x-amz-content-sha256", EMPTY_SHA256)],
        b"",
        "host;x-amz-content-sha256;x-amz-date",
        "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543",
    );
    authenticate(&req, S3_SECRET, &settings("20130524T000000Z", UriEncoding::Single)).unwrap();
}

#[test]
fn s3_list_objects_query_out_of_order() {
    let req = s3_request(
        "GET",
        "/",
        "prefix=J&max-keys=2",
        &[("x-amz-content-sha256", EMPTY_SHA256)],
        b"",
        "host;x-amz-content-sha256;x-amz-date",
        "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
    );
    authenticate(&req, S3_SECRET, &settings("20130524T000000Z", UriEncoding::Single)).unwrap();
}

#[test]
fn s3_presigned_get_object() {
    let req = Req::new(
        "GET",
        "/test.txt",
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request\
         &X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\
         &X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
        &[("Host", "examplebucket.s3.amazonaws.com")],
        b"",
    );
    let s = settings("20130524T000000Z", UriEncoding::Single);
    let parsed = crate::sigv4::parse(&req.parts(), &s).unwrap();
    let creq =
        CanonicalRequest::new(&req.parts(), &parsed.signed_headers, parsed.location, UriEncoding::Single).unwrap();
    assert_eq!(
        creq.to_string(),
        "GET
/test.txt
X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host
host:examplebucket.s3.amazonaws.com

host
UNSIGNED-PAYLOAD"
    );
    assert_eq!(creq.hash(), "3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04");
    let parsed = authenticate(&req, S3_SECRET, &s).unwrap();
    assert_eq!(parsed.expires, Some(86400));
    assert!(parsed.unsigned_payload);
}

// --- aws-c-auth signing test suite (v4) ------------------------------------

/// One case of the suite: the request as in its `request.txt`, and the
/// signatures its `header-signature.txt` and `query-signature.txt` give.
struct SuiteCase {
    name: &'static str,
    method: &'static str,
    path: &'static str,
    query: &'static str,
    headers: &'static [(&'static str, &'static str)],
    body: &'static str,
    /// `normalize: true` cases are the non-S3 (double-encoding) rules.
    encoding: UriEncoding,
    token: Option<&'static str>,
    /// `omit_session_token`: the token is sent but not signed.
    token_unsigned: bool,
    /// `sign_body`: the header form adds `x-amz-content-sha256`.
    sign_body: bool,
    header_signature: &'static str,
    /// `None` where the query form needs a rule IAM does not have.
    query_signature: Option<&'static str>,
}

const STS_TOKEN: &str = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";
const HOST: (&str, &str) = ("Host", "example.amazonaws.com");
const FORM: &str = "application/x-www-form-urlencoded";

#[allow(clippy::too_many_arguments, reason = "one argument per column of the suite table")]
const fn case(
    name: &'static str,
    method: &'static str,
    path: &'static str,
    query: &'static str,
    headers: &'static [(&'static str, &'static str)],
    encoding: UriEncoding,
    header_signature: &'static str,
    query_signature: &'static str,
) -> SuiteCase {
    SuiteCase {
        name,
        method,
        path,
        query,
        headers,
        body: "",
        encoding,
        token: None,
        token_unsigned: false,
        sign_body: false,
        header_signature,
        query_signature: Some(query_signature),
    }
}

use UriEncoding::{Double, Single};

// Kept as a table: one case per entry, laid out like the suite's files.
#[rustfmt::skip]
const SUITE: &[SuiteCase] = &[
    case("get-vanilla", "GET", "/", "", &[HOST], Double,
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        "e93c787ed7f371d5c6b165c1b38ede9550f4dce4144713e844b25b7192d3865d"),
    case("get-header-key-duplicate", "GET", "/", "",
        &[HOST, ("My-Header1", "value2"), ("My-Header1", "value2"), ("My-Header1", "value1")], Double,
        "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea",
        "3349ee0b81b4b589da0ff28a395c3591e04de515651dd74f298fa992d1507a97"),
    case("get-header-value-multiline", "GET", "/", "",
        &[HOST, ("My-Header1", "value1\n  value2\n     value3")], Double,
        "cfd34249e4b1c8d6b91ef74165d41a32e5fab3306300901bb65a51a73575eefd",
        "e6f5def831211aca02987a44b96826706278c7bc078112ae0263659c5b2f2d56"),
    case("get-header-value-order", "GET", "/", "",
        &[HOST, ("My-Header1", "value4"), ("My-Header1", "value1"), ("My-Header1", "value3"), ("My-Header1", "value2")], Double,
        "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01",
        "313720e71ca6202fdcfa9b20f88de01a4eb0638a83c833b1c184359a4eda864e"),
    case("get-header-value-trim", "GET", "/", "",
        &[HOST, ("My-Header1", " value1"), ("My-Header2", " \"a   b   c\"")], Double,
        "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
        "e7bb0fd515e125e1aec2ecc4c0c17484fb06f6846b927c35e46005dd3df3acd4"),
    case("get-relative-normalized", "GET", "/example/..", "", &[HOST], Double,
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        "e93c787ed7f371d5c6b165c1b38ede9550f4dce4144713e844b25b7192d3865d"),
    case("get-relative-relative-normalized", "GET", "/example1/example2/../..", "", &[HOST], Double,
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        "e93c787ed7f371d5c6b165c1b38ede9550f4dce4144713e844b25b7192d3865d"),
    case("get-relative-relative-unnormalized", "GET", "/example1/example2/../..", "", &[HOST], Single,
        "dc33e0856fd4baca4d7aa2146c38958283844764f38c74252a333df5e613003b",
        "b45db0bfd1cf15003493b733e33aa208dd981bd0e63037a6ed953f71d2118a16"),
    case("get-relative-unnormalized", "GET", "/example/..", "", &[HOST], Single,
        "eca7ead57bb5aa5c8e28007acd4ff04e1ff9a0ff3b237ec1554a184887ff9282",
        "cbcb213b928a077e43275df47b500f1dfaa864ab3f5a18f6b95f4ff0938167ee"),
    case("get-slash-dot-slash-normalized", "GET", "/./", "", &[HOST], Double,
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        "e93c787ed7f371d5c6b165c1b38ede9550f4dce4144713e844b25b7192d3865d"),
    case("get-slash-dot-slash-unnormalized", "GET", "/./", "", &[HOST], Single,
        "68714168e6557f8f2de0ef956fc24dc2593a4bd2961f8df51898d8a134695145",
        "a9b13e8f3484d9505bf1a6f347219f8f35b0fe8f128ceea597efc146a3dfe90c"),
    case("get-slash-normalized", "GET", "//", "", &[HOST], Double,
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        "e93c787ed7f371d5c6b165c1b38ede9550f4dce4144713e844b25b7192d3865d"),
    case("get-slash-pointless-dot-normalized", "GET", "/./example", "", &[HOST], Double,
        "ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5",
        "35034b1a0bdd969f346975386daf8aedfd4976573b8348cf4f67eaa41c5857de"),
    case("get-slash-pointless-dot-unnormalized", "GET", "/./example", "", &[HOST], Single,
        "beb03f223f7deae4146464f06e29eebbee9c8afbe15c290cf07aa8b119e14cff",
        "72b11f16d9530b18204bfb71f2d6ab085894c0ed8d352730a6e76234c58b5e10"),
    case("get-slash-unnormalized", "GET", "//", "", &[HOST], Single,
        "c88bcd3d312d75078c0cd961d6deae3f4c754924b01669efcfcb439fd5e5b76e",
        "b2a9542809db687769200f56a844a03f2bd0291d6eb90232d5101c6a579446cd"),
    case("get-slashes-normalized", "GET", "//example//", "", &[HOST], Double,
        "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84",
        "c1834e8fb0307243711f0f907f6ab7311ed300d87f13792d7ee4da89ab93e082"),
    case("get-slashes-unnormalized", "GET", "//example//", "", &[HOST], Single,
        "87cca117541a147f6df867677d98a7d80dff226d2bfca9e4ffa899665623c7e5",
        "822a5a9ba28072c5ab2bb4a6307d0c88276d40e49fec6b724c03fb4d4ba60fc2"),
    // The suite signs this encoded path without re-encoding it (single
    // encoding), which is what `Single` does; `Double` gives `%2520`.
    case("get-space-normalized", "GET", "/example%20space/", "", &[HOST], Single,
        "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741",
        "7a1f416954786484c9824d93c1f26ef64acb9b1b6c9154d08c9f07d0e394abf6"),
    // A raw space cannot be sent, but both encodings agree on how to sign it.
    case("get-space-unnormalized", "GET", "/example space/", "", &[HOST], Double,
        "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741",
        "7a1f416954786484c9824d93c1f26ef64acb9b1b6c9154d08c9f07d0e394abf6"),
    case("get-unreserved", "GET", "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", "", &[HOST], Double,
        "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f",
        "95968482db1b9e0fadef6efc1bd24689f77c77d9ef56919c96a28cc92e0d6005"),
    case("get-utf8", "GET", "/\u{1234}", "", &[HOST], Double,
        "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85",
        "10eae3f14a260bd3911cc6d008d3c576d143b05b62f09782a7a4b37f52178e44"),
    case("get-vanilla-empty-query-key", "GET", "/", "Param1=value1", &[HOST], Double,
        "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb",
        "49096700cbbaa5753443850f40df10f904fc2fdb544dc9512203cc77c471a9de"),
    case("get-vanilla-query-order-encoded", "GET", "/", "Param-3=Value3&Param=Value2&%E1%88%B4=Value1", &[HOST], Double,
        "371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac",
        "c5f1848ceec943ac2ca68ee720460c23aaae30a2300586597ada94c4a65e4787"),
    case("get-vanilla-query-order-key-case", "GET", "/", "Param2=value2&Param1=value1", &[HOST], Double,
        "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
        "86012e2c9ad4d77369f5d81c11f75158aae4f895a085212cc6d3f923d300bed5"),
    case("get-vanilla-query-unreserved", "GET", "/",
        "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
        &[HOST], Double,
        "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197",
        "8e76a88a7433637b12778d5592799b29ad21ecd6cf6325051c21d86f0acda2bf"),
    case("get-vanilla-utf8-query", "GET", "/", "\u{1234}=bar", &[HOST], Double,
        "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04",
        "0bdd809b1519ac4f0c1dc3540e2cc46bd0c7f778eda408b2ebf3b913d21ff600"),
    SuiteCase {
        token: Some("6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"),
        ..case("get-vanilla-with-session-token", "GET", "/", "", &[HOST], Double,
            "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8",
            "7ff2b50b376cb4d151970630573d6291dc128cc5c2a12ffb237f73cc53f67b6c")
    },
    case("post-header-key-case", "POST", "/", "", &[HOST], Double,
        "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
        "2ce6e6d2e0cf2f9d1b55fafec88cd20574c31dc2e7631979f71ba2310083e95b"),
    case("post-header-key-sort", "POST", "/", "", &[HOST, ("My-Header1", "value1")], Double,
        "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c",
        "c09d07e0d55871f10f2a6d350d994acf6825a3cae70673d7def55616e6119dd7"),
    case("post-header-value-case", "POST", "/", "", &[HOST, ("My-Header1", "VALUE1")], Double,
        "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d",
        "0698bc9e4f7f9139065ba2909c0e99da257e8e2a42492a097bcd46d792391fed"),
    // The token goes on after signing; the query form of this case leaves it
    // out of the canonical query, which IAM and STS never do.
    SuiteCase {
        token: Some(STS_TOKEN),
        token_unsigned: true,
        query_signature: None,
        ..case("post-sts-header-after", "POST", "/", "", &[HOST], Double,
            "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b", "")
    },
    SuiteCase {
        token: Some(STS_TOKEN),
        ..case("post-sts-header-before", "POST", "/", "", &[HOST], Double,
            "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead",
            "46c2e3c63c1dbe7d39f8ada16fe7f001c1f56c5791441565323677f96308871c")
    },
    case("post-vanilla", "POST", "/", "", &[HOST], Double,
        "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
        "2ce6e6d2e0cf2f9d1b55fafec88cd20574c31dc2e7631979f71ba2310083e95b"),
    case("post-vanilla-empty-query-value", "POST", "/", "Param1=value1", &[HOST], Double,
        "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11",
        "a9ef26247f293bffe40eeff86a0480ba8c14d31503b2e0c3399e3a16bf1a3682"),
    SuiteCase {
        body: "Param1=value1",
        sign_body: true,
        ..case("post-x-www-form-urlencoded", "POST", "/", "",
            &[("Content-Type", FORM), HOST, ("Content-Length", "13")], Double,
            "d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b",
            "89a40deed0f26f9461242825a082d2222717248abc7ab41f552ad84a94ad46e9")
    },
    SuiteCase {
        body: "Param1=value1",
        sign_body: true,
        ..case("post-x-www-form-urlencoded-parameters", "POST", "/", "",
            &[("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"), HOST, ("Content-Length", "13")], Double,
            "328d1b9eaadca9f5818ef05e8392801e091653bafec24fcab71e7344e7f51422",
            "0dbeb9b026c7b6675f266b8427efec9b4fa8b1f6ef1477d717aea231106eab4d")
    },
];

/// Sorted, lowercased, deduplicated names of the request's own headers.
fn own_header_names(case: &SuiteCase) -> Vec<String> {
    let mut names: Vec<String> = case.headers.iter().map(|(n, _)| n.to_ascii_lowercase()).collect();
    names.sort();
    names.dedup();
    names
}

/// The request as the suite's `header-signed-request.txt` shows it.
fn header_signed(case: &SuiteCase) -> Req {
    let mut req = Req::new(case.method, case.path, case.query, case.headers, case.body.as_bytes());
    let mut signed = own_header_names(case);
    signed.push("x-amz-date".into());
    req.headers.push(("X-Amz-Date".into(), "20150830T123600Z".into()));
    if let Some(token) = case.token {
        req.headers.push(("X-Amz-Security-Token".into(), token.into()));
        if !case.token_unsigned {
            signed.push("x-amz-security-token".into());
        }
    }
    if case.sign_body {
        let hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(case.body.as_bytes()));
        req.headers.push(("x-amz-content-sha256".into(), hash));
        signed.push("x-amz-content-sha256".into());
    }
    signed.sort();
    req.headers.push((
        "Authorization".into(),
        format!(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders={}, Signature={}",
            signed.join(";"),
            case.header_signature
        ),
    ));
    req
}

/// The request as the suite's `query-signed-request.txt` shows it.
fn query_signed(case: &SuiteCase, signature: &str) -> Req {
    let separator = if case.query.is_empty() { "" } else { "&" };
    let mut query = format!(
        "{}{separator}X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request\
         &X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders={}&X-Amz-Expires=3600",
        case.query,
        own_header_names(case).join("%3B")
    );
    if let Some(token) = case.token {
        query.push_str("&X-Amz-Security-Token=");
        query.push_str(&crate::sigv4::encoding::uri_encode(token.as_bytes()));
    }
    query.push_str("&X-Amz-Signature=");
    query.push_str(signature);
    Req::new(case.method, case.path, &query, case.headers, case.body.as_bytes())
}

#[test]
fn aws_c_auth_suite_header_signatures_verify() {
    for case in SUITE {
        let req = header_signed(case);
        let parsed = authenticate(&req, DOC_SECRET, &settings("20150830T123600Z", case.encoding))
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        assert_eq!(parsed.security_token.as_deref(), case.token, "{}", case.name);
    }
}

#[test]
fn aws_c_auth_suite_query_signatures_verify() {
    for case in SUITE {
        let Some(signature) = case.query_signature else {
            continue;
        };
        // `Single` means S3's rules here, and S3 presigned URLs sign
        // UNSIGNED-PAYLOAD where the suite's generic signer hashed the body.
        if case.encoding == Single {
            continue;
        }
        let req = query_signed(case, signature);
        let parsed = authenticate(&req, DOC_SECRET, &settings("20150830T123600Z", case.encoding))
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        assert_eq!(parsed.expires, Some(3600), "{}", case.name);
        assert_eq!(parsed.security_token.as_deref(), case.token, "{}", case.name);
    }
}

#[test]
fn aws_c_auth_suite_wrong_signature_fails() {
    for case in SUITE {
        let mut req = header_signed(case);
        let auth = req.header("Authorization").unwrap().replace("Signature=", "Signature=f");
        req.set_header("Authorization", &auth[..auth.len() - 1]);
        let err = authenticate(&req, DOC_SECRET, &settings("20150830T123600Z", case.encoding)).unwrap_err();
        assert_eq!(err.code(), "SignatureDoesNotMatch", "{}", case.name);
    }
}

/// Canonical requests from the suite's `header-canonical-request.txt` and
/// `query-canonical-request.txt`, for the cases that exercise a rule.
#[test]
fn aws_c_auth_suite_canonical_requests() {
    let expected: &[(&str, SignatureLocation, &str)] = &[
        ("get-header-value-multiline", SignatureLocation::Header, "GET
/

host:example.amazonaws.com
my-header1:value1 value2 value3
x-amz-date:20150830T123600Z

host;my-header1;x-amz-date
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("get-header-key-duplicate", SignatureLocation::Header, "GET
/

host:example.amazonaws.com
my-header1:value2,value2,value1
x-amz-date:20150830T123600Z

host;my-header1;x-amz-date
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("get-header-value-trim", SignatureLocation::Header, "GET
/

host:example.amazonaws.com
my-header1:value1
my-header2:\"a b c\"
x-amz-date:20150830T123600Z

host;my-header1;my-header2;x-amz-date
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("get-vanilla-query-order-encoded", SignatureLocation::Header, "GET
/
%E1%88%B4=Value1&Param=Value2&Param-3=Value3
host:example.amazonaws.com
x-amz-date:20150830T123600Z

host;x-amz-date
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("get-utf8", SignatureLocation::Header, "GET
/%E1%88%B4

host:example.amazonaws.com
x-amz-date:20150830T123600Z

host;x-amz-date
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("get-slashes-normalized", SignatureLocation::Header, "GET
/example/

host:example.amazonaws.com
x-amz-date:20150830T123600Z

host;x-amz-date
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("post-x-www-form-urlencoded", SignatureLocation::Header, "POST
/

content-length:13
content-type:application/x-www-form-urlencoded
host:example.amazonaws.com
x-amz-content-sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e
x-amz-date:20150830T123600Z

content-length;content-type;host;x-amz-content-sha256;x-amz-date
9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"),
        ("post-x-www-form-urlencoded", SignatureLocation::Query, "POST
/
X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost
content-length:13
content-type:application/x-www-form-urlencoded
host:example.amazonaws.com

content-length;content-type;host
9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"),
        ("get-vanilla-with-session-token", SignatureLocation::Query, "GET
/
X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-Security-Token=6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267&X-Amz-SignedHeaders=host
host:example.amazonaws.com

host
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    ];
    for (name, location, text) in expected {
        let case = SUITE.iter().find(|c| c.name == *name).unwrap();
        let req = match location {
            SignatureLocation::Header => header_signed(case),
            SignatureLocation::Query => query_signed(case, case.query_signature.unwrap()),
        };
        let parsed = crate::sigv4::parse(&req.parts(), &settings("20150830T123600Z", case.encoding)).unwrap();
        let creq = CanonicalRequest::new(&req.parts(), &parsed.signed_headers, parsed.location, case.encoding).unwrap();
        assert_eq!(creq.to_string(), *text, "{name} {location:?}");
    }
}

/// The suite's two double-encoding cases, as canonical URIs (their full
/// requests carry mismatched dates, so only the URI is checked).
#[test]
fn aws_c_auth_suite_double_encoded_paths() {
    assert_eq!(
        canonical_uri("/test/@connections/JBDvjfGEIAMCERw%3D", UriEncoding::Double),
        "/test/%40connections/JBDvjfGEIAMCERw%253D"
    );
    assert_eq!(
        canonical_uri(
            "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-west-2%3A892717189312%3Afunction%3Amy-rusty-fun/invocations",
            UriEncoding::Double
        ),
        "/2015-03-31/functions/arn%253Aaws%253Alambda%253Aus-west-2%253A892717189312%253Afunction%253Amy-rusty-fun/invocations"
    );
}
