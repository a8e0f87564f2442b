"""A test OpenID Connect issuer, served by the test itself on 127.0.0.1 (a free port).

    issuer = Issuer(path="/realm")        # http://127.0.0.1:PORT/realm
    issuer.url, issuer.provider_id        # "http://127.0.0.1:PORT/realm", "127.0.0.1:PORT/realm"
    issuer.token(sub="alice", aud="storage")             # an RS256 ID token
    issuer.token(sub="alice", aud="storage", alg="ES256")
    issuer.rotate()                       # a new RSA key (new kid); drop=True also drops the old one
    issuer.hang(30)                       # every endpoint sleeps 30 s before answering
    issuer.requests["/realm/jwks"]        # hits per path
    issuer.stop()

It serves `PATH/.well-known/openid-configuration` (issuer, jwks_uri, the signing algorithms)
and `PATH/jwks` (the public keys, each with its kid). Keys are made at start with
`cryptography`: RSA 2048 (RS256/RS384/RS512/PS256/PS384/PS512), EC P-256 (ES256) and P-384
(ES384). Tokens are signed with PyJWT. Forgeries for the negative tests: `none_token` (alg
none, no signature), `hs256_with_public_key` (HMAC keyed with the RSA public key's PEM, the
classic key-confusion attack), `bad_signature` (one byte of a valid signature flipped) and
`foreign_key_token` (a well-formed token whose kid is not published, signed with a key the
issuer never shows).
"""

import base64
import collections
import hashlib
import hmac
import http.server
import json
import threading
import time

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

RSA_ALGS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512")
EC_ALGS = {"ES256": ec.SECP256R1, "ES384": ec.SECP384R1}
ALGS = RSA_ALGS + tuple(EC_ALGS)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _json_part(obj):
    return b64url(json.dumps(obj, separators=(",", ":")).encode())


class Key:
    """One signing key: `kid`, `kty` ("RSA" or "EC"), `private` (a cryptography key)."""

    def __init__(self, kid, kty, private):
        self.kid, self.kty, self.private = kid, kty, private

    def fits(self, alg):
        if self.kty == "RSA":
            return alg in RSA_ALGS
        return alg in EC_ALGS and isinstance(self.private.curve, EC_ALGS[alg])

    def jwk(self):
        pub = self.private.public_key()
        jwk = json.loads(RSAAlgorithm.to_jwk(pub) if self.kty == "RSA" else ECAlgorithm.to_jwk(pub))
        jwk.update(kid=self.kid, use="sig")
        if self.kty == "EC":
            jwk["alg"] = "ES256" if jwk["crv"] == "P-256" else "ES384"
        # An RSA key carries no "alg": the same key signs RS256 and PS256 tokens here.
        return jwk

    def public_pem(self):
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def new_key(kid, kty="RSA", curve=ec.SECP256R1):
    if kty == "RSA":
        return Key(kid, "RSA", rsa.generate_private_key(public_exponent=65537, key_size=2048))
    return Key(kid, "EC", ec.generate_private_key(curve()))


class Issuer:
    def __init__(self, path="/realm"):
        self.path = "/" + path.strip("/") if path.strip("/") else ""
        self.requests = collections.Counter()  # path -> hits (any method)
        self._lock = threading.Lock()
        self._serial = 0
        self.keys = []  # published, oldest first
        self.all_keys = []  # every key made, dropped ones too (to sign with a dropped key)
        self._hang_for = 0.0
        self._released = threading.Event()
        self.add_key("RSA")
        self.add_key("EC", ec.SECP256R1)
        self.add_key("EC", ec.SECP384R1)

        issuer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802
                path = self.path.split("?", 1)[0]
                with issuer._lock:
                    issuer.requests[path] += 1
                    hang = issuer._hang_for
                if hang:
                    issuer._released.wait(hang)
                if path == issuer.path + "/.well-known/openid-configuration":
                    body = issuer.discovery()
                elif path == issuer.path + "/jwks":
                    body = issuer.jwks()
                else:
                    self._answer(404, {"error": "not found"})
                    return
                self._answer(200, body)

            def _answer(self, status, obj):
                data = json.dumps(obj).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a hang test)

            def log_message(self, *args):
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.url = self.base + self.path
        self.provider_id = self.url.split("://", 1)[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"oidc-issuer-{self.port}",
                                        daemon=True)
        self._thread.start()

    # --- what is served -------------------------------------------------------

    def discovery(self):
        return {
            "issuer": self.url,
            "jwks_uri": self.url + "/jwks",
            "authorization_endpoint": self.url + "/auth",
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": list(ALGS),
        }

    def jwks(self):
        with self._lock:
            return {"keys": [k.jwk() for k in self.keys]}

    @property
    def jwks_path(self):
        return self.path + "/jwks"

    @property
    def discovery_path(self):
        return self.path + "/.well-known/openid-configuration"

    def jwks_fetches(self):
        return self.requests[self.jwks_path]

    def discovery_fetches(self):
        return self.requests[self.discovery_path]

    # --- keys -----------------------------------------------------------------

    def add_key(self, kty="RSA", curve=ec.SECP256R1):
        with self._lock:
            self._serial += 1
            kind = "rsa" if kty == "RSA" else ("ec256" if curve is ec.SECP256R1 else "ec384")
            key = new_key(f"{kind}-{self._serial}", kty, curve)
            self.keys.append(key)
            self.all_keys.append(key)
        return key

    def rotate(self, kty="RSA", curve=ec.SECP256R1, drop=False):
        """Publishes a new key of `kty` (a new kid) and, with drop=True, stops publishing the
        older keys of that kind. Returns the new key's kid; token() signs with it from now on
        (token(kid=OLD) still signs with a dropped key)."""
        old = [k for k in self.keys if k.kty == kty and (kty == "RSA" or isinstance(k.private.curve, curve))]
        key = self.add_key(kty, curve)
        if drop:
            with self._lock:
                self.keys = [k for k in self.keys if k not in old]
        return key.kid

    def key_for(self, alg, kid=None):
        """The newest published key that signs `alg` (or the one named `kid`, published or
        dropped)."""
        if kid is not None:
            for k in self.all_keys:
                if k.kid == kid:
                    return k
            raise KeyError(kid)
        for k in reversed(self.keys):
            if k.fits(alg):
                return k
        raise KeyError(alg)

    # --- tokens ---------------------------------------------------------------

    def claims(self, sub="alice", aud="storage", exp_in=300, nbf=None, iat=None, iss=None, extra_claims=None):
        """The claims of an ID token. `exp_in`: seconds from now to `exp` (negative: already
        expired); `nbf`: seconds from now to `nbf` (None: no nbf claim); `iat`: seconds from now
        to `iat` (default: now, or 10 minutes before `exp` for an expired token); `extra_claims`:
        more claims, a value of None removing the claim (e.g. {"aud": None})."""
        now = int(time.time())
        exp = now + exp_in
        claims = {"iss": iss or self.url, "sub": sub, "aud": aud,
                  "iat": now + iat if iat is not None else (now if exp > now else exp - 600), "exp": exp}
        if nbf is not None:
            claims["nbf"] = now + nbf
        for k, v in (extra_claims or {}).items():
            if v is None:
                claims.pop(k, None)
            else:
                claims[k] = v
        return claims

    def token(self, sub="alice", aud="storage", alg="RS256", kid=None, exp_in=300, nbf=None, iss=None,
              extra_claims=None, iat=None, headers=None):
        """A signed ID token. `kid`: sign with that key (default: the newest key fitting
        `alg`); the header carries its kid."""
        key = self.key_for(alg, kid)
        claims = self.claims(sub=sub, aud=aud, exp_in=exp_in, nbf=nbf, iat=iat, iss=iss, extra_claims=extra_claims)
        return jwt.encode(claims, key.private, algorithm=alg, headers={"kid": key.kid, "typ": "JWT", **(headers or {})})

    # --- forgeries ------------------------------------------------------------

    def none_token(self, **claims_kw):
        """alg "none": no signature at all (header.payload.)."""
        kid = self.key_for("RS256").kid
        return f"{_json_part({'alg': 'none', 'typ': 'JWT', 'kid': kid})}.{_json_part(self.claims(**claims_kw))}."

    def hs256_with_public_key(self, **claims_kw):
        """HS256 keyed with the published RSA key's public PEM: a verifier that takes the alg
        from the token and uses the key material as an HMAC secret would accept it."""
        key = self.key_for("RS256")
        signing_input = f"{_json_part({'alg': 'HS256', 'typ': 'JWT', 'kid': key.kid})}." \
                        f"{_json_part(self.claims(**claims_kw))}"
        mac = hmac.new(key.public_pem(), signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{b64url(mac)}"

    def foreign_key_token(self, kid="ghost", alg="RS256", **claims_kw):
        """A properly signed token whose kid the issuer does not publish (signed with a key made
        here and never shown)."""
        key = new_key(kid, "RSA" if alg in RSA_ALGS else "EC")
        return jwt.encode(self.claims(**claims_kw), key.private, algorithm=alg, headers={"kid": kid, "typ": "JWT"})

    # --- behaviour ------------------------------------------------------------

    def hang(self, seconds):
        """From now on every request waits `seconds` (0: answer at once again; stop() releases
        the waiting ones)."""
        with self._lock:
            self._hang_for = float(seconds)
        if not seconds:
            self._released.set()
            self._released = threading.Event()

    def stop(self):
        self._released.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def bad_signature(token):
    """The token with one byte of its signature flipped (in the decoded bytes, so the change
    is never lost in base64's padding bits)."""
    head, payload, sig = token.split(".")
    raw = bytearray(b64url_decode(sig))
    raw[len(raw) // 2] ^= 0x01
    return f"{head}.{payload}.{b64url(bytes(raw))}"


def unverified_header(token):
    return json.loads(b64url_decode(token.split(".")[0]))
