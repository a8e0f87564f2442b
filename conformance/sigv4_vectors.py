#!/usr/bin/env python3
"""Generate SigV4 test vectors from botocore for iamd's verifier.

Pinned: botocore==1.44.5 (Python 3.11). Regenerate with:

    python3 -m venv /tmp/vecenv
    /tmp/vecenv/bin/pip install botocore==1.44.5
    /tmp/vecenv/bin/python conformance/sigv4_vectors.py

It writes tests/data/sigv4/botocore_vectors.json (relative to the repository
root): a list of requests exactly as botocore signed them, with what botocore
logged for each stage (canonical request, string to sign, signature). The Rust
unit tests in src/sigv4/ check that every vector verifies and that mutating
any signed part makes it fail.

Nothing here talks to the network: the client-level vectors stop at the
`before-send` event, after signing and before any connection is made.
"""

import datetime
import hashlib
import json
import logging
import os
import sys
from urllib.parse import urlsplit

import botocore
import botocore.auth
import botocore.endpoint
import botocore.session
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

PINNED_BOTOCORE = "1.44.5"

ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
# The session token from AWS's own SigV4 documentation example: it holds
# '/', '+' and '=' so its encoding in a query string is exercised.
SESSION_TOKEN = (
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKW"
    "HGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4I"
    "C1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8"
    "YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8"
    "fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="
)

OUT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)),
    "..",
    "tests",
    "data",
    "sigv4",
    "botocore_vectors.json",
)


class _Clock:
    """Stands in for botocore's clock so every signature is reproducible."""

    now = datetime.datetime(2015, 8, 30, 12, 36, 0)

    @classmethod
    def get_current_datetime(cls, remove_tzinfo=True):
        if remove_tzinfo:
            return cls.now
        return cls.now.replace(tzinfo=datetime.timezone.utc)


botocore.auth.get_current_datetime = _Clock.get_current_datetime


class _FixedUuid:
    """Makes the unsigned amz-sdk-invocation-id header reproducible too."""

    @staticmethod
    def uuid4():
        return "00000000-0000-4000-8000-000000000000"


botocore.endpoint.uuid = _FixedUuid


class _StageLog(logging.Handler):
    """Collects the stages botocore's SigV4 signer logs at debug level."""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.stages = {}

    def emit(self, record):
        msg = record.getMessage()
        for prefix, key in (
            ("CanonicalRequest:\n", "canonical_request"),
            ("StringToSign:\n", "string_to_sign"),
            ("Signature:\n", "signature"),
        ):
            if msg.startswith(prefix):
                self.stages[key] = msg[len(prefix):]


STAGES = _StageLog()
_auth_logger = logging.getLogger("botocore.auth")
_auth_logger.setLevel(logging.DEBUG)
_auth_logger.addHandler(STAGES)
_auth_logger.propagate = False


class _StreamingS3Auth(S3SigV4Auth):
    """botocore's S3 signer with the payload marker of a chunked upload (aws-chunked with
    chunk signatures), as the AWS SDKs for Java and Go send it: the seed signature is what a
    storage server forwards to Keystone's s3tokens."""

    def payload(self, request):
        return "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"


def _credentials(token):
    return Credentials(ACCESS_KEY, SECRET_KEY, token)


def _with_host(url, headers):
    """Adds the Host header the HTTP client puts on the wire (botocore signs
    it from the URL but leaves sending it to urllib3)."""
    if not any(name.lower() == "host" for name, _ in headers):
        headers = [("Host", botocore.auth._host_from_url(url))] + headers
    return headers


def _record(name, description, method, url, headers, body, token, region,
            service, uri_encoding, location, expires=None):
    parts = urlsplit(url)
    if isinstance(body, str):
        body = body.encode("utf-8")
    body = body or b""
    headers = _with_host(url, [(str(k), str(v)) for k, v in headers])
    content_sha = next(
        (v for k, v in headers if k.lower() == "x-amz-content-sha256"), None
    )
    if content_sha is not None:
        # Chunked uploads sign their chunks, not the body as one hash.
        payload_signed = not (content_sha == "UNSIGNED-PAYLOAD" or content_sha.startswith("STREAMING-"))
    else:
        # botocore's S3 presigner signs the constant UNSIGNED-PAYLOAD.
        payload_signed = not (location == "query" and uri_encoding == "single")
    stages = dict(STAGES.stages)
    STAGES.stages.clear()
    return {
        "name": name,
        "description": description,
        "method": method,
        "path": parts.path or "/",
        "query": parts.query,
        "headers": [[k, v] for k, v in headers],
        "body": body.decode("utf-8"),
        "access_key_id": ACCESS_KEY,
        "secret_access_key": SECRET_KEY,
        "session_token": token,
        "signing_time": _Clock.now.strftime("%Y%m%dT%H%M%SZ"),
        "region": region,
        "service": service,
        "uri_encoding": uri_encoding,
        "location": location,
        "expires": expires,
        "payload_signed": payload_signed,
        "body_sha256": hashlib.sha256(body).hexdigest(),
        "expected_canonical_request": stages.get("canonical_request"),
        "expected_string_to_sign": stages.get("string_to_sign"),
        "expected_signature": stages.get("signature"),
    }


def sign_header(name, description, method, url, headers=(), data=None,
                params=None, token=None, region="us-east-1", service="iam",
                uri_encoding="double", signer=SigV4Auth, context=None):
    """Signs an AWSRequest with the Authorization header."""
    request = AWSRequest(method=method, url=url, data=data, params=params)
    for key, value in headers:
        # HTTPHeaders appends on assignment, so repeated names stay repeated.
        request.headers[key] = value
    if context:
        request.context.update(context)
    signer(_credentials(token), service, region).add_auth(request)
    prepared = request.prepare()
    # request.headers keeps duplicates; the prepared dict would fold them.
    sent_headers = list(request.headers.items())
    return _record(name, description, method, prepared.url, sent_headers,
                   prepared.body, token, region, service, uri_encoding,
                   "header")


def sign_query(name, description, method, url, data=None, params=None,
               token=None, expires=3600, region="us-east-1", service="sts",
               uri_encoding="double", signer=SigV4QueryAuth, headers=()):
    """Presigns an AWSRequest (X-Amz-* query parameters)."""
    request = AWSRequest(method=method, url=url, data=data, params=params)
    for key, value in headers:
        request.headers[key] = value
    signer(_credentials(token), service, region, expires=expires).add_auth(
        request
    )
    prepared = request.prepare()
    return _record(name, description, method, prepared.url,
                   list(request.headers.items()), prepared.body, token,
                   region, service, uri_encoding, "query", expires)


class _Sent(Exception):
    def __init__(self, request):
        super().__init__("captured")
        self.request = request


def _capture(**kwargs):
    raise _Sent(kwargs["request"])


def client_call(name, description, service, operation, params, token=None,
                region="us-east-1"):
    """Runs a real botocore client operation up to the wire and records it."""
    session = botocore.session.get_session()
    client = session.create_client(
        service,
        region_name=region,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        aws_session_token=token,
        config=Config(retries={"max_attempts": 1}),
    )
    client.meta.events.register("before-send", _capture)
    try:
        getattr(client, operation)(**params)
    except _Sent as sent:
        request = sent.request
    else:
        raise RuntimeError("request was not captured")
    signing_region = client.meta.config.region_name
    if service == "iam":
        signing_region = "us-east-1"
    headers = [(k, v.decode() if isinstance(v, bytes) else v)
               for k, v in request.headers.items()]
    # The User-Agent names the host OS and an unordered feature set, so it
    # changes between runs; botocore never signs it, so pin it.
    headers = [(k, f"Botocore/{botocore.__version__}"
                if k.lower() == "user-agent" else v) for k, v in headers]
    return _record(name, description, request.method, request.url, headers,
                   request.body, token, signing_region, service, "double",
                   "header")


def presigned_url(name, description, service, operation, params, expires,
                  token=None, region="us-east-1"):
    session = botocore.session.get_session()
    client = session.create_client(
        service,
        region_name=region,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        aws_session_token=token,
    )
    url = client.generate_presigned_url(
        operation, Params=params, ExpiresIn=expires
    )
    # The presigner signs with the operation's HTTP method; read it back from
    # the canonical request it logged rather than guessing.
    method = STAGES.stages["canonical_request"].split("\n", 1)[0]
    return _record(name, description, method, url, [], b"", token, region,
                   service, "double", "query", expires)


def build():
    v = []
    iam = "https://iam.amazonaws.com/"
    sts = "https://sts.amazonaws.com/"

    # --- Real clients, exactly as the SDK sends them -----------------------
    v.append(client_call(
        "iam-list-users-client", "IAM ListUsers through a botocore client",
        "iam", "list_users", {"PathPrefix": "/division_abc/"}))
    v.append(client_call(
        "iam-create-user-unicode-client",
        "IAM CreateUser with unicode and reserved characters in tag values",
        "iam", "create_user",
        {"UserName": "Bob",
         "Path": "/a b/",
         "Tags": [{"Key": "k ~*'()!", "Value": "ሴ é+&=/%"}]}))
    v.append(client_call(
        "sts-get-caller-identity-client",
        "STS GetCallerIdentity through a botocore client",
        "sts", "get_caller_identity", {}))
    v.append(client_call(
        "sts-assume-role-session-token-client",
        "STS AssumeRole signed with session credentials (X-Amz-Security-Token header)",
        "sts", "assume_role",
        {"RoleArn": "arn:aws:iam::123456789012:role/demo",
         "RoleSessionName": "s1"},
        token=SESSION_TOKEN))
    v.append(client_call(
        "sts-regional-client", "STS GetCallerIdentity on a regional endpoint",
        "sts", "get_caller_identity", {}, region="eu-west-1"))

    # --- POST form bodies, header signature ---------------------------------
    v.append(sign_header(
        "iam-post-form", "IAM POST with a form body",
        "POST", iam,
        headers=[("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
        data={"Action": "ListUsers", "Version": "2010-05-08"}))
    v.append(sign_header(
        "sts-post-form-token", "STS POST with a form body and session token",
        "POST", sts, service="sts",
        headers=[("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
        data={"Action": "GetCallerIdentity", "Version": "2011-06-15"},
        token=SESSION_TOKEN))

    # --- GET query strings --------------------------------------------------
    v.append(sign_header(
        "iam-get-params", "IAM GET ListUsers with params (sent with quote_plus)",
        "GET", iam,
        params={"Action": "ListUsers", "Version": "2010-05-08",
                "PathPrefix": "/división abc/+&=~*"}))
    v.append(sign_header(
        "iam-get-raw-query", "GET with a pre-encoded query in the URL: "
        "empty value, key without '=', encoded space and unicode",
        "GET", iam + "?Version=2010-05-08&Action=ListUsers&Empty=&Flag"
        "&Sp=a%20b&%E1%88%B4=%C3%A9"))
    v.append(sign_header(
        "iam-get-repeated-keys", "GET with repeated query keys, out of order",
        "GET", iam,
        params=[("Action", "ListUsers"), ("Tag", "b"), ("Tag", "a"),
                ("Tag", ""), ("Version", "2010-05-08")]))

    # --- Paths: unicode, reserved, dot segments -----------------------------
    v.append(sign_header(
        "path-encoded-unicode", "Pre-encoded path with unicode, %20 and %2F "
        "(IAM/STS double-encode it)",
        "GET", "https://iam.amazonaws.com/foo%20bar/%E1%88%B4/a%2Fb"))
    v.append(sign_header(
        "path-reserved", "Path with sub-delims sent raw",
        "GET", "https://iam.amazonaws.com/a!b$c&d'e(f)g*h+i,j;k=l:m@n~o"))
    v.append(sign_header(
        "path-dot-segments", "Path with dot segments and repeated slashes",
        "GET", "https://iam.amazonaws.com/a/./b/../c//d/"))

    # --- Headers ------------------------------------------------------------
    v.append(sign_header(
        "header-padded-multiline", "Padded, inner-spaced and multi-line header values",
        "GET", iam + "?Action=ListUsers&Version=2010-05-08",
        headers=[("My-Header1", "   value1   "),
                 ("My-Header2", '"a   b   c"'),
                 ("My-Header3", "value1\n  value2\n     value3")]))
    v.append(sign_header(
        "header-duplicates", "Duplicate header names, joined in arrival order",
        "GET", iam + "?Action=ListUsers&Version=2010-05-08",
        headers=[("My-Header1", "value2"), ("my-header1", "value2"),
                 ("MY-HEADER1", " value1 ")]))
    v.append(sign_header(
        "header-date", "Date header instead of X-Amz-Date",
        "POST", iam,
        headers=[("Date", "placeholder"),
                 ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
        data={"Action": "ListUsers", "Version": "2010-05-08"}))
    v.append(sign_header(
        "header-x-amz-content-sha256", "X-Amz-Content-Sha256 holds the body hash",
        "POST", iam,
        headers=[("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
                 ("X-Amz-Content-SHA256", hashlib.sha256(
                     b"Action=ListUsers&Version=2010-05-08").hexdigest())],
        data=b"Action=ListUsers&Version=2010-05-08"))
    v.append(sign_header(
        "header-unsigned-payload", "X-Amz-Content-Sha256: UNSIGNED-PAYLOAD "
        "(payload signing disabled over https)",
        "POST", iam,
        headers=[("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
        data=b"Action=ListUsers&Version=2010-05-08",
        context={"client_config": Config(s3={"payload_signing_enabled": False})}))

    # --- Presigned ----------------------------------------------------------
    v.append(sign_query(
        "presigned-sts-get", "Presigned STS GetCallerIdentity GET (EKS-token style)",
        "GET", sts, params={"Action": "GetCallerIdentity", "Version": "2011-06-15"},
        expires=60))
    v.append(sign_query(
        "presigned-sts-get-token", "Presigned STS GET with a session token",
        "GET", sts, params={"Action": "GetCallerIdentity", "Version": "2011-06-15"},
        token=SESSION_TOKEN, expires=900))
    v.append(sign_query(
        "presigned-iam-form-moved", "Presigned IAM request whose form body "
        "botocore moves into the query",
        "GET", iam, data={"Action": "ListUsers", "Version": "2010-05-08",
                          "PathPrefix": "/a b/ሴ"},
        service="iam", expires=604800))
    v.append(sign_query(
        "presigned-unicode-path", "Presigned GET with an encoded unicode path",
        "GET", "https://iam.amazonaws.com/x%20y/%E1%88%B4",
        params={"Action": "ListUsers", "Version": "2010-05-08"},
        service="iam", expires=1))
    v.append(presigned_url(
        "presigned-sts-client", "client.generate_presigned_url('get_caller_identity')",
        "sts", "get_caller_identity", {}, 900))
    v.append(presigned_url(
        "presigned-sts-client-token", "generate_presigned_url with session credentials",
        "sts", "get_caller_identity", {}, 3600, token=SESSION_TOKEN))

    # --- S3 rules (single encoding, no normalisation) -----------------------
    v.append(sign_query(
        "s3-presigned", "S3 presigned GET: path as sent, UNSIGNED-PAYLOAD",
        "GET", "https://examplebucket.s3.amazonaws.com/a%20b/./%E1%88%B4//c",
        service="s3", expires=86400, signer=S3SigV4QueryAuth,
        uri_encoding="single"))
    v.append(sign_header(
        "s3-header", "S3 PUT with the body hash in X-Amz-Content-Sha256",
        "PUT", "https://examplebucket.s3.amazonaws.com/a%20b/../c",
        data=b"Welcome to Amazon S3.", service="s3", signer=S3SigV4Auth,
        uri_encoding="single"))

    v.append(sign_header(
        "s3-unsigned-payload", "S3 GET over https with payload signing off: UNSIGNED-PAYLOAD",
        "GET", "https://examplebucket.s3.amazonaws.com/photos/2026/a%2Bb%20c.jpg",
        service="s3", signer=S3SigV4Auth, uri_encoding="single",
        context={"client_config": Config(s3={"payload_signing_enabled": False})}))
    v.append(sign_header(
        "s3-streaming-seed", "S3 chunked PUT: the seed signature over "
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "PUT", "https://examplebucket.s3.amazonaws.com/chunked/object.bin",
        headers=[("Content-Encoding", "aws-chunked"),
                 ("X-Amz-Decoded-Content-Length", "66560")],
        service="s3", signer=_StreamingS3Auth, uri_encoding="single"))

    # A second date: leap day, last second, another region.
    _Clock.now = datetime.datetime(2024, 2, 29, 23, 59, 59)
    v.append(sign_header(
        "leap-day-eu", "Signed at 2024-02-29T23:59:59Z in eu-central-1",
        "POST", "https://sts.eu-central-1.amazonaws.com/", service="sts",
        region="eu-central-1",
        headers=[("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
        data={"Action": "GetCallerIdentity", "Version": "2011-06-15"}))
    v.append(sign_query(
        "leap-day-presigned", "Presigned at 2024-02-29T23:59:59Z",
        "GET", "https://sts.eu-central-1.amazonaws.com/", region="eu-central-1",
        params={"Action": "GetCallerIdentity", "Version": "2011-06-15"},
        expires=900))
    return v


def main():
    if botocore.__version__ != PINNED_BOTOCORE:
        print(f"warning: botocore {botocore.__version__}, pinned "
              f"{PINNED_BOTOCORE}", file=sys.stderr)
    vectors = build()
    for vec in vectors:
        for key in ("expected_canonical_request", "expected_string_to_sign",
                    "expected_signature"):
            if vec[key] is None:
                raise RuntimeError(f"{vec['name']}: botocore logged no {key}")
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(vectors, f, indent=2, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {len(vectors)} vectors to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
