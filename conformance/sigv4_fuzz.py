"""Random SigV4 requests signed by botocore, and single-byte mutations of them, for
test_sigv4_differential.py.

A case is generated from `random.Random(f"{seed}:{index}")` alone, so any one case can be
regenerated from the seed and its index (`SIGV4_FUZZ_SEED`, `SIGV4_FUZZ_ONLY`). Signing uses
botocore's own signers (`SigV4Auth`, `SigV4QueryAuth`) on an `AWSRequest`; the wire request is
taken from what botocore produced (its URL, its header list, its body) and sent byte for byte
with http.client, so what iamd sees is exactly what botocore signed.

Where iamd's answer shows that the signature was checked:
- only GET and POST reach signature verification; any other method is answered InvalidAction
  before it (`app.rs`), so other methods are probed apart, not fuzzed;
- the Action must be known before verification (unknown actions are InvalidAction first), so
  mutations never touch the Action or Version parameters;
- `/v3...` goes to the Keystone front end and GET `/healthz`, `/metrics` are answered before
  authentication, so generated paths avoid them;
- hyper refuses raw non-ASCII, space, `<`, `>` and backtick in the path (and `"` in the query)
  with a bare 400, so those travel percent-encoded;
- botocore's presigner keeps one value per query key, so repeated keys are header-form only.

Mutations (one per valid request): the method (GET<->POST, only when the parameters are in the
query), a path byte, a query key or value byte, a signed header's value, the body (appended to, or
a byte changed past the Action and Version), X-Amz-Date (mostly its seconds digit, which stays well
formed), the credential scope (key id, date, region, service, terminator), the session token, a
signature hex digit, SignedHeaders, the algorithm, and another principal's key id, token, or both
(a valid pair) under the same signature. A mutation whose canonical form equals the original
(a byte inside a `..`-removed segment, a `%2f` for `%2F` in the query) is not a change and is
never chosen. Controls: an unsigned header changed or added must still verify.

Non-ASCII header values are sent as UTF-8, the encoding botocore hashes; AWS itself does not
promise anything for non-ASCII header bytes, so this part is iamd's own consistency.
"""

import copy
import hashlib
import http.client
import re
import string
from urllib.parse import quote, unquote_to_bytes, urlencode, urlsplit

from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

# Codes that mean "the request was not authenticated" (what a mutated request must get); the
# ones iamd answers are SignatureDoesNotMatch, IncompleteSignature, InvalidClientTokenId,
# MissingAuthenticationToken, RequestExpired, AuthorizationQueryParametersError and
# XAmzContentSHA256Mismatch.
AUTH_CODES = {
    "SignatureDoesNotMatch", "IncompleteSignature", "InvalidClientTokenId", "MissingAuthenticationToken",
    "RequestExpired", "AuthorizationQueryParametersError", "XAmzContentSHA256Mismatch", "ExpiredToken",
    "AuthFailure", "InvalidSignatureException", "MissingAuthenticationTokenException",
}

STS_REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2", "sa-east-1"]

UNRESERVED = string.ascii_letters + string.digits + "-._~"
ALNUM = string.ascii_letters + string.digits
# Path bytes hyper accepts raw (it refuses space, controls, `<`, `>`, backtick and non-ASCII).
PATH_RAW_RESERVED = "!$&'()*+,;=:@[]{}|^\\\"~"
UNICODE_WORDS = ["ü", "ß", "日本語", "Ωμέγα", "😀", "é\u0301", "\u200b", "\ufeff", "кириллица", "١٢٣"]
# Whitespace by both Python's str.split() and Rust's char::is_whitespace (botocore and iamd trim).
UNICODE_SPACES = ["\u00a0", "\u2003", "\u3000", "\u0085", "\u2028", "\u202f", "\u1680", "\u205f"]
# Header names botocore never signs (SIGNED_HEADERS_BLACKLIST): sent, but unsigned.
UNSIGNED_HEADER = "User-Agent"
# iamd's body limit (src/server/http.rs MAX_BODY_BYTES).
MAX_BODY = 1 << 20


class Principal:
    """One set of credentials and what GetCallerIdentity / GetUser must say for it."""

    def __init__(self, name, key, secret, token, arn, iam_ok):
        self.name, self.key, self.secret, self.token, self.arn, self.iam_ok = name, key, secret, token, arn, iam_ok


# ---------------------------------------------------------------------------------------------
# Generation


def _word(rng, alphabet=ALNUM, lo=1, hi=8):
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(lo, hi)))


def _text(rng):
    """A query key or value: mixes plain, reserved, unicode and space characters."""
    parts = []
    for _ in range(rng.randint(0, 4)):
        r = rng.random()
        if r < 0.35:
            parts.append(_word(rng))
        elif r < 0.6:
            parts.append(_word(rng, " !\"#$%&'()*+,/:;<=>?@[\\]^`{|}~", 1, 3))
        elif r < 0.85:
            parts.append(rng.choice(UNICODE_WORDS))
        else:
            parts.append(rng.choice([" ", "  ", "+", "%", "%20", "%2B", "&=", "=="]))
    return "".join(parts)


def _path_segment(rng):
    r = rng.random()
    if r < 0.3:
        return _word(rng, UNRESERVED)
    if r < 0.45:
        return _word(rng, PATH_RAW_RESERVED + ALNUM, 1, 6)
    if r < 0.6:
        return quote(rng.choice(UNICODE_WORDS) + _word(rng, " ", 0, 1), safe="")
    if r < 0.7:
        return rng.choice(["%2F", "%20", "%3F", "%23", "%25", "%2e", "%2E%2E", "%zz", "a%2Fb", "%7E"])
    if r < 0.8:
        return rng.choice([".", "..", "..;", "...", ".a"])
    if r < 0.9:
        return ""  # an empty segment: a double slash
    return "..;=+!*'()"


def gen_path(rng):
    if rng.random() < 0.15:
        return "/"
    segs = [_path_segment(rng) for _ in range(rng.randint(1, 7))]
    path = "/" + "/".join(segs)
    if rng.random() < 0.2:
        path += "/"
    if path == "/v3" or path.startswith("/v3/") or path in ("/healthz", "/metrics"):
        path = "/x" + path
    return path


def gen_header_value(rng):
    parts = []
    if rng.random() < 0.4:
        parts.append(rng.choice([" ", "  ", "\t", " \t ", rng.choice(UNICODE_SPACES)]))
    for i in range(rng.randint(0, 5)):
        if i:
            r = rng.random()
            parts.append(
                " " if r < 0.4 else "   " if r < 0.6 else "\t" if r < 0.7 else " \t  " if r < 0.8
                else rng.choice(UNICODE_SPACES))
        r = rng.random()
        if r < 0.6:
            parts.append(_word(rng, string.ascii_letters + string.digits + string.punctuation, 1, 12))
        else:
            parts.append(rng.choice(UNICODE_WORDS))
    if rng.random() < 0.4:
        parts.append(rng.choice([" ", "   ", "\t", rng.choice(UNICODE_SPACES)]))
    return "".join(parts)


def _body_size(rng):
    r = rng.random()
    if r < 0.4:
        return 0
    if r < 0.75:
        return rng.randint(1, 300)
    if r < 0.97:
        return rng.randint(301, 64 * 1024)
    if r < 0.995:
        return rng.randint(64 * 1024, 1 << 20)
    return MAX_BODY  # the largest body iamd takes


def gen_case(rng, principals, host):
    """A request description (not yet signed)."""
    p = rng.choice(principals)
    service = "iam" if p.iam_ok and rng.random() < 0.45 else "sts"
    region = "us-east-1" if service == "iam" else rng.choice(STS_REGIONS)
    form = "presigned" if rng.random() < 0.35 else "header"
    method = rng.choice(["GET", "POST"])
    if service == "iam":
        action = [("Action", "GetUser"), ("UserName", "fuzz"), ("Version", "2010-05-08")]
    else:
        action = [("Action", "GetCallerIdentity"), ("Version", "2011-06-15")]
    # Where the operation parameters travel: the form body (POST, header form) or the query.
    params_in = "body" if method == "POST" and form == "header" and rng.random() < 0.6 else "query"
    extra = []
    for _ in range(rng.choice([0, 0, 1, 2, 3, 5, 8, 40 if rng.random() < 0.2 else 4])):
        if extra and rng.random() < 0.25:
            k = rng.choice(extra)[0]  # a repeated key
        else:
            r = rng.random()
            k = "" if r < 0.08 else _word(rng, ALNUM, 1, 6) if r < 0.5 else "q" + _text(rng)
        v = "" if rng.random() < 0.2 else _text(rng)
        extra.append((k, v))
    # How the query reaches botocore: as `params` (botocore encodes it) or already in the URL
    # ("raw": strictly encoded, some keys without `=`).
    query_mode = "params" if rng.random() < 0.6 else "raw"
    query_pairs, body_pairs = [], []
    if params_in == "query":
        query_pairs = list(action)
        for e in extra:
            query_pairs.insert(rng.randint(0, len(query_pairs)), e)
    else:
        body_pairs = list(action) + extra
        query_pairs = [e for e in extra if rng.random() < 0.3]
    if params_in == "body":
        body = urlencode(body_pairs).encode()
        size = _body_size(rng)
        if size > len(body) + 5:
            alphabet = b"abcdefghijklmnopqrstuvwxyz0123456789"
            body += b"&Pad=" + bytes(rng.choice(alphabet) for _ in range(min(size - len(body) - 5, 300)))
            body += b"x" * max(0, size - len(body))
    elif form == "presigned" or rng.random() < 0.5:
        body = b""  # botocore's presigner moves any body into the query
    else:
        body = rng.randbytes(_body_size(rng))
    headers = [("Host", host)]
    if method == "POST" and rng.random() < 0.7:
        headers.append(("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"))
    for _ in range(rng.choice([0, 1, 1, 2, 3, 6])):
        r = rng.random()
        if r < 0.4:
            name = "X-Amz-Meta-" + _word(rng)
        elif r < 0.7:
            name = "x-fuzz-" + _word(rng, string.ascii_lowercase + string.digits + "-_")
        else:
            name = _word(rng, string.ascii_letters) + "-Custom"
        headers.append((name, gen_header_value(rng)))
        if rng.random() < 0.15:  # the same header again, maybe in other letter case
            headers.append((rng.choice([name, name.lower(), name.upper()]), gen_header_value(rng)))
    if rng.random() < 0.1:
        headers.append(("Content-Length", str(len(body))))  # signed, as some SDKs do
    if rng.random() < 0.03:
        headers.append(("X-Amz-Meta-Long", " ".join(_word(rng, ALNUM, 1, 30) for _ in range(rng.randint(50, 300)))))
    if rng.random() < 0.8:
        headers.append((UNSIGNED_HEADER, "fuzz/" + _word(rng)))
    date_form = "x-amz-date"
    if form == "header" and rng.random() < 0.1:
        date_form = "date"
        headers.append(("Date", "placeholder"))  # botocore replaces it with the signing time
    if form == "header" and rng.random() < 0.12:
        digest = hashlib.sha256(body).hexdigest()
        headers.append(("X-Amz-Content-SHA256", digest.upper() if rng.random() < 0.3 else digest))
    rng.shuffle(headers)
    return {
        "principal": p, "service": service, "region": region, "form": form, "method": method,
        "path": gen_path(rng), "query_mode": query_mode, "query_pairs": query_pairs, "body": body,
        "headers": headers, "params_in": params_in, "date_form": date_form,
        "expires": rng.choice([60, 300, 3600, 86400, 604800]),
    }


def _raw_query(rng, pairs):
    out = []
    for k, v in pairs:
        ek, ev = quote(k, safe="-_.~"), quote(v, safe="-_.~")
        # A key without `=` (but never an empty piece: botocore would sign `=` for `&&`, which
        # no client sends since botocore builds its URLs from params).
        if v == "" and k not in ("Action", "Version", "") and rng.random() < 0.5:
            out.append(ek)
        else:
            out.append(f"{ek}={ev}")
    return "&".join(out)


def sign(case, rng, base_url):
    """Signs the case with botocore and returns the wire request:
    {method, path, query (None: no `?`), headers [(name, value)], body}."""
    p = case["principal"]
    url = base_url + case["path"]
    params = None
    if case["query_pairs"]:
        if case["query_mode"] == "params":
            params = list(case["query_pairs"])
        else:
            url += "?" + _raw_query(rng, case["query_pairs"])
    req = AWSRequest(method=case["method"], url=url, data=case["body"], params=params or {})
    for name, value in case["headers"]:
        req.headers[name] = value
    creds = Credentials(p.key, p.secret, p.token)
    if case["form"] == "presigned":
        signer = _QuerySigner(creds, case["service"], case["region"], expires=case["expires"])
    else:
        signer = _HeaderSigner(creds, case["service"], case["region"])
    signer.add_auth(req)
    canonical = signer.canonical
    prepared = req.prepare()
    parts = urlsplit(prepared.url)
    target = prepared.url[len(base_url):]
    path, sep, query = target.partition("?")
    assert path == case["path"] and parts.path == path, (path, case["path"])
    return {
        "method": case["method"], "path": path, "query": query if sep else None,
        "headers": list(req.headers.items()), "body": prepared.body or b"", "canonical": canonical,
    }


class _Recording:
    """Keeps the canonical request botocore's signer built (for failure reports); signing itself
    is botocore's, unchanged."""

    canonical = None

    def canonical_request(self, request):
        self.canonical = super().canonical_request(request)
        return self.canonical


class _HeaderSigner(_Recording, SigV4Auth):
    pass


class _QuerySigner(_Recording, SigV4QueryAuth):
    pass


def features(case, wire):
    """Labels of what a valid request exercised, for the coverage summary."""
    out = {f"{case['principal'].name}/{case['service']}", f"{case['form']} {case['method']}",
           f"params-in-{case['params_in']}", f"query-{case['query_mode']}"}
    n = len(wire["body"])
    out.add("body-0" if n == 0 else "body<=64KiB" if n <= 65536 else "body-1MiB" if n == MAX_BODY else "body>64KiB")
    names = [h.lower() for h, _ in case["headers"]]
    if len(names) != len(set(names)):
        out.add("repeated-header")
    values = "".join(v for _, v in case["headers"])
    if any(c in values for c in UNICODE_SPACES):
        out.add("unicode-space-in-header")
    if re.search(r"\S(  |\t)+\S", values):
        out.add("inner-whitespace-run")
    if any(v != v.strip() for _, v in case["headers"]):
        out.add("leading/trailing-space")
    for label, name in (("signed-content-length", "content-length"), ("date-header", "date"),
                        ("x-amz-content-sha256", "x-amz-content-sha256")):
        if name in names:
            out.add(label)
    # From the wire: botocore's presigner keeps one value per key.
    pairs = [p.partition("=") for p in (wire["query"] or "").split("&") if p]
    keys = [k for k, _, _ in pairs if not k.startswith("X-Amz-")]
    if len(keys) != len(set(keys)):
        out.add("repeated-query-key")
    if "" in keys:
        out.add("empty-query-key")
    if any(v == "" for _, _, v in pairs):
        out.add("empty-query-value")
    if any(not eq for _, eq, _ in pairs):
        out.add("query-key-without-=")
    if "//" in case["path"] or "/./" in case["path"] or "/../" in case["path"] or case["path"].endswith("/.."):
        out.add("path-dot-or-empty-segments")
    if "%" in case["path"]:
        out.add("path-percent-escapes")
    return out


# ---------------------------------------------------------------------------------------------
# Mutation

_SIGNER = SigV4Auth(None, "x", "x")


def canonical_path(path):
    return _SIGNER._normalize_url_path(path)  # botocore's own rule


def canonical_query_server(query, presigned):
    """The canonical query as AWS (and iamd) rebuild it: decode, re-encode strictly, sort."""
    if query is None:
        return ""
    pairs = []
    for piece in query.split("&"):
        if not piece:
            continue
        k, _, v = piece.partition("=")
        ek = quote(unquote_to_bytes(k.replace("+", " ")), safe="-_.~")
        ev = quote(unquote_to_bytes(v.replace("+", " ")), safe="-_.~")
        if presigned and ek == "X-Amz-Signature":
            continue
        pairs.append((ek, ev))
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))


def _replace(s, i, c):
    return s[:i] + c + s[i + 1:]


def _other(rng, alphabet, old):
    choices = [c for c in alphabet if c.lower() != old.lower()]
    return rng.choice(choices)


def _query_pairs_raw(query):
    """[(start, end, key_raw, value_start)] of each piece of the raw query."""
    out, pos = [], 0
    for piece in query.split("&"):
        k = piece.partition("=")[0]
        out.append((pos, pos + len(piece), k, pos + len(k) + 1 if "=" in piece else None))
        pos += len(piece) + 1
    return out


def _decoded(raw):
    return unquote_to_bytes(raw.replace("+", " ")).decode("utf-8", "replace")


def _mutate_query_piece(rng, wire, names):
    """Changes one alphanumeric byte of a query parameter whose decoded key is in `names`
    (or, with names=None, any parameter but Action/Version/X-Amz-*)."""
    q = wire["query"] or ""
    pieces = []
    for start, end, k, vstart in _query_pairs_raw(q):
        key = _decoded(k)
        if names is None:
            if key in ("Action", "Version") or key.startswith("X-Amz-"):
                continue
        elif key not in names:
            continue
        pieces.append((start, end, k, vstart))
    if names is None and not pieces:
        return None
    rng.shuffle(pieces)
    for start, end, k, vstart in pieces:
        span = list(range(start, end)) if names is None else list(range(vstart or end, end))
        cand = [i for i in span if q[i] in ALNUM]
        if not cand:
            continue
        for _ in range(10):
            i = rng.choice(cand)
            new = _replace(q, i, _other(rng, ALNUM, q[i]))
            pres = "X-Amz-Signature=" in q
            if canonical_query_server(new, pres) != canonical_query_server(q, pres) or (
                    names and "X-Amz-Signature" in names):
                w = copy.deepcopy(wire)
                w["query"] = new
                return w
    return None


def _auth_header_index(wire):
    for i, (n, _) in enumerate(wire["headers"]):
        if n.lower() == "authorization":
            return i
    return None


def _mutate_auth_field(rng, wire, field, alphabet):
    i = _auth_header_index(wire)
    name, value = wire["headers"][i]
    m = re.search(field + r"=([^,\s]*)", value)
    cand = [j for j in range(m.start(1), m.end(1)) if value[j] in alphabet]
    j = rng.choice(cand)
    w = copy.deepcopy(wire)
    w["headers"][i] = (name, _replace(value, j, _other(rng, alphabet, value[j])))
    return w


def _signed_header_names(wire):
    i = _auth_header_index(wire)
    if i is not None:
        return re.search(r"SignedHeaders=([^,\s]*)", wire["headers"][i][1]).group(1).split(";")
    for start, end, k, vstart in _query_pairs_raw(wire["query"]):
        if k == "X-Amz-SignedHeaders":
            return _decoded(wire["query"][vstart:end]).split(";")
    return []


def _mutate_header_value(rng, wire, names):
    idx = [i for i, (n, v) in enumerate(wire["headers"])
           if n.lower() in names and any(c.isascii() and not c.isspace() for c in v)]
    if not idx:
        return None
    i = rng.choice(idx)
    name, value = wire["headers"][i]
    cand = [j for j, c in enumerate(value) if c.isascii() and not c.isspace()]
    j = rng.choice(cand)
    w = copy.deepcopy(wire)
    alphabet = ALNUM if name.lower() in ("x-amz-date", "x-amz-security-token", "date") else (
        string.ascii_letters + string.digits + string.punctuation)
    w["headers"][i] = (name, _replace(value, j, rng.choice([c for c in alphabet if c != value[j]])))
    return w


def mutate(rng, wire, case, kind, principals):
    """The wire request with one byte of a signed part changed, or None if this request has no
    such part that can change without leaving what iamd verifies."""
    presigned = case["form"] == "presigned"
    if kind == "method":
        if case["params_in"] != "query":
            return None  # GET would drop the form body, and with it the Action
        w = copy.deepcopy(wire)
        w["method"] = "POST" if wire["method"] == "GET" else "GET"
        return w
    if kind == "path":
        path = wire["path"]
        for _ in range(30):
            i = rng.randrange(len(path))
            new = _replace(path, i, rng.choice(ALNUM + "-._~!$&'()*+,;=:@%/"))
            if not new.startswith("/") or new.startswith("/v3") or new in ("/healthz", "/metrics"):
                continue
            if canonical_path(new) != canonical_path(path):
                w = copy.deepcopy(wire)
                w["path"] = new
                return w
        return None
    if kind == "query":
        return _mutate_query_piece(rng, wire, ["X-Amz-Algorithm", "X-Amz-Expires"] if presigned and rng.random() < 0.3
                                   else None)
    if kind == "header":
        names = set(_signed_header_names(wire)) - {"x-amz-date", "x-amz-security-token", "date", "content-length"}
        return _mutate_header_value(rng, wire, names)
    if kind == "body":
        w = copy.deepcopy(wire)
        body = wire["body"]
        prefix = 0
        if case["params_in"] == "body":
            prefix = body.index(b"Version=") + len(b"Version=2010-05-08")
        # Appending to a body of the largest size would be refused for its size instead.
        # A signed Content-Length must stay true, or the HTTP framing breaks, not the signature.
        fixed_length = any(n.lower() == "content-length" for n, _ in wire["headers"])
        if fixed_length and len(body) <= prefix:
            return None
        if len(body) > prefix and (rng.random() < 0.8 or len(body) >= MAX_BODY or fixed_length):
            i = rng.randrange(prefix, len(body))
            if case["params_in"] == "body":
                b = rng.choice([c for c in ALNUM.encode() if c != body[i]])
            else:
                b = (body[i] + rng.randint(1, 255)) % 256
            w["body"] = body[:i] + bytes([b]) + body[i + 1:]
        else:
            w["body"] = body + rng.choice([b"&", b"x", b"\0", b" "])
        return w
    if kind == "date":
        if rng.random() < 0.3:  # any byte: mostly a malformed date
            if presigned:
                return _mutate_query_piece(rng, wire, ["X-Amz-Date"])
            return _mutate_header_value(rng, wire, {"x-amz-date", "date"})
        return _mutate_date_second(rng, wire)
    if kind == "scope":
        component = rng.randrange(5)  # key id, date, region, service, terminator
        if presigned:
            pieces = [(s, e, k, v) for s, e, k, v in _query_pairs_raw(wire["query"]) if k == "X-Amz-Credential"]
            s, e, k, v = pieces[0]
            cred = _decoded(wire["query"][v:e])
        else:
            i = _auth_header_index(wire)
            cred = re.search(r"Credential=([^,\s]*)", wire["headers"][i][1]).group(1)
        comps = cred.split("/")
        c = comps[component]
        j = rng.randrange(len(c))
        comps[component] = _replace(c, j, _other(rng, string.digits if component == 1 else ALNUM, c[j]))
        new = "/".join(comps)
        w = copy.deepcopy(wire)
        if presigned:
            w["query"] = wire["query"][:v] + quote(new, safe="-_.~") + wire["query"][e:]
        else:
            name, value = w["headers"][i]
            w["headers"][i] = (name, value.replace("Credential=" + cred, "Credential=" + new, 1))
        return w
    if kind == "token":
        if case["principal"].token is None:
            return None
        if presigned:
            return _mutate_query_piece(rng, wire, ["X-Amz-Security-Token"])
        return _mutate_header_value(rng, wire, {"x-amz-security-token"})
    if kind == "signature":
        if presigned:
            return _mutate_query_piece_hex(rng, wire)
        return _mutate_auth_field(rng, wire, "Signature", "0123456789abcdef")
    if kind == "signed_headers":
        if presigned:
            return _mutate_query_piece(rng, wire, ["X-Amz-SignedHeaders"])
        return _mutate_auth_field(rng, wire, "SignedHeaders", string.ascii_lowercase)
    if kind == "algorithm":
        if presigned:
            return _mutate_query_piece(rng, wire, ["X-Amz-Algorithm"])
        i = _auth_header_index(wire)
        name, value = wire["headers"][i]
        j = rng.randrange(len("AWS4-HMAC-SHA256"))
        w = copy.deepcopy(wire)
        w["headers"][i] = (name, _replace(value, j, _other(rng, ALNUM, value[j])))
        return w
    if kind == "credential-swap":
        return _swap_credentials(rng, wire, case, principals)
    raise ValueError(kind)


def _set_token(wire, token, presigned):
    """The wire request with its session token set to `token` (None: removed)."""
    w = copy.deepcopy(wire)
    if presigned:
        pieces = [p for p in w["query"].split("&") if not p.startswith("X-Amz-Security-Token=")]
        if token is not None:
            pieces.insert(len(pieces) - 1, "X-Amz-Security-Token=" + quote(token, safe="-_.~"))
        w["query"] = "&".join(pieces)
        return w
    headers = [(n, v) for n, v in w["headers"] if n.lower() != "x-amz-security-token"]
    if token is not None:
        headers.append(("X-Amz-Security-Token", token))
    w["headers"] = headers
    return w


def _set_key_id(wire, key_id, presigned):
    w = copy.deepcopy(wire)
    if presigned:
        w["query"] = re.sub(r"(X-Amz-Credential=)[^%&]*", lambda m: m.group(1) + key_id, w["query"], count=1)
    else:
        i = _auth_header_index(w)
        name, value = w["headers"][i]
        w["headers"][i] = (name, re.sub(r"(Credential=)[^/]*", lambda m: m.group(1) + key_id, value, count=1))
    return w


def _swap_credentials(rng, wire, case, principals):
    """Another principal's key id, token, or both (a valid pair), under the same signature:
    the signature is bound to the secret, and the token to its key."""
    p, presigned = case["principal"], case["form"] == "presigned"
    others = [q for q in principals if q is not p and (q.iam_ok or case["service"] != "iam")]
    q = rng.choice(others)
    variant = rng.choice(["key", "token", "pair"])
    if variant == "token" and p.token is None and q.token is None:
        variant = "pair"
    if variant == "token" and q.token is None:
        q = rng.choice([o for o in principals if o is not p and o.token is not None])
    if variant == "key":
        w = _set_key_id(wire, q.key, presigned)
    elif variant == "token":
        w = _set_token(wire, q.token, presigned)
    else:
        w = _set_token(_set_key_id(wire, q.key, presigned), q.token, presigned)
    w["variant"] = f"{variant}-of-{q.name}"
    return w


def _mutate_date_second(rng, wire):
    """Changes the last digit of the request time's seconds: still a well-formed date within the
    allowed skew, with the same credential-scope day, so only the signature can notice."""
    w = copy.deepcopy(wire)
    for i, (n, v) in enumerate(w["headers"]):
        if n.lower() == "x-amz-date" or (n.lower() == "date" and not any(
                h.lower() == "x-amz-date" for h, _ in w["headers"])):
            j = len(v) - 2 if n.lower() == "x-amz-date" else v.rindex(":") + 2
            w["headers"][i] = (n, _replace(v, j, _other(rng, "0123456789", v[j])))
            return w
    q = w["query"]
    for s, e, k, v in _query_pairs_raw(q):
        if k == "X-Amz-Date":
            j = e - 2  # ...SSZ
            w["query"] = _replace(q, j, _other(rng, "0123456789", q[j]))
            return w
    return None


def _mutate_query_piece_hex(rng, wire):
    q = wire["query"]
    for s, e, k, v in _query_pairs_raw(q):
        if k == "X-Amz-Signature":
            j = rng.randrange(v, e)
            w = copy.deepcopy(wire)
            w["query"] = _replace(q, j, _other(rng, "0123456789abcdef", q[j]))
            return w
    return None


MUTATION_KINDS = ["method", "path", "query", "header", "body", "date", "scope", "token", "signature",
                  "signed_headers", "algorithm", "credential-swap"]


def unsigned_mutation(rng, wire):
    """The wire request with an unsigned part changed: it must still verify."""
    w = copy.deepcopy(wire)
    signed = set(_signed_header_names(wire))
    idx = [i for i, (n, _) in enumerate(w["headers"]) if n.lower() not in signed and n.lower() != "authorization"]
    if idx and rng.random() < 0.5:
        i = rng.choice(idx)
        name, value = w["headers"][i]
        w["headers"][i] = (name, value + _word(rng))
        return w, f"changed unsigned header {name}"
    name = "X-Unsigned-" + _word(rng, string.ascii_letters)
    w["headers"].insert(rng.randint(0, len(w["headers"])), (name, gen_header_value(rng) or "v"))
    return w, f"added unsigned header {name}"


# ---------------------------------------------------------------------------------------------
# Sending


class Sender:
    """One keep-alive connection; sends a wire request exactly as given."""

    def __init__(self, host, port):
        self.host, self.port = host, port
        self.conn = None

    def send(self, wire):
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                return self._send(wire)
            except (http.client.HTTPException, ConnectionError, OSError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def _send(self, wire):
        c = self.conn
        target = wire["path"] + ("?" + wire["query"] if wire["query"] is not None else "")
        c.putrequest(wire["method"], target, skip_host=True, skip_accept_encoding=True)
        for name, value in wire["headers"]:
            c.putheader(name, value.encode("utf-8"))
        if not any(n.lower() == "content-length" for n, _ in wire["headers"]):
            c.putheader("Content-Length", str(len(wire["body"])))
        c.endheaders(wire["body"])
        r = c.getresponse()
        body = r.read()
        if r.getheader("connection", "").lower() == "close":
            c.close()
            self.conn = None
        return r.status, body


def error_code(body):
    m = re.search(rb"<Code>([^<]*)</Code>", body)
    return m.group(1).decode() if m else None


def accepted(case, status, body):
    """Whether the answer proves iamd authenticated the request as the case's principal."""
    if status != 200:
        return False
    if case["service"] == "iam":
        return b"<GetUserResult>" in body and b"<UserName>fuzz</UserName>" in body
    return f"<Arn>{case['principal'].arn}</Arn>".encode() in body


def describe(wire, status=None, body=None, limit=300):
    """The exact request (and answer) for a failure report."""
    target = wire["path"] + ("?" + wire["query"] if wire["query"] is not None else "")
    lines = [f"    {wire['method']} {target}"]
    for n, v in wire["headers"]:
        if n.lower() == "x-amz-security-token":
            v = f"{v[:24]}...({len(v)} chars)"
        lines.append(f"    {n}: {v!r}")
    b = wire["body"]
    lines.append(f"    body ({len(b)} bytes, sha256 {hashlib.sha256(b).hexdigest()[:16]}): {b[:limit]!r}")
    if status is not None:
        lines.append(f"    -> {status} {body[:600]!r}")
    if wire.get("canonical") is not None:
        lines.append("    botocore's canonical request (of the request as signed):")
        lines += [f"      {line!r}" for line in wire["canonical"].split("\n")]
    return "\n".join(lines)
