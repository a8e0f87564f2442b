"""Hand-built S3 uploads in the wire forms the clients only send over HTTPS, for tests against
the gateway on plain HTTP: SigV4 with a hash or a streaming marker as x-amz-content-sha256, and
aws-chunked bodies with a signature per chunk (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) or with
unsigned chunks and a trailing checksum (STREAMING-UNSIGNED-PAYLOAD-TRAILER).

The signing follows AWS's "Signature Calculations for the Authorization Header: Transferring
Payload in Multiple Chunks" and "…: Including Trailing Headers"; every test that uses it also
sends the same upload correctly, so a mistake here fails the tests instead of hiding.
"""

import base64
import datetime
import hashlib
import hmac
import http.client
import urllib.parse
import zlib

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def _hmac(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


class Signer:
    def __init__(self, key_id, secret, token=None, region="us-east-1", service="s3"):
        self.key_id, self.secret, self.token = key_id, secret, token
        self.region, self.service = region, service
        self.amz_date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        self.scope = f"{self.amz_date[:8]}/{region}/{service}/aws4_request"
        k = _hmac(("AWS4" + secret).encode(), self.amz_date[:8])
        for part in (region, service, "aws4_request"):
            k = _hmac(k, part)
        self.key = k

    def sign(self, string_to_sign):
        return hmac.new(self.key, string_to_sign.encode(), hashlib.sha256).hexdigest()

    def headers(self, method, path, host, content_sha256, extra):
        """The request's headers, Authorization included; `extra` are signed too."""
        h = {"host": host, "x-amz-date": self.amz_date, "x-amz-content-sha256": content_sha256}
        if self.token:
            h["x-amz-security-token"] = self.token
        h.update({k.lower(): str(v) for k, v in extra.items()})
        names = sorted(h)
        canonical = "\n".join([
            method, urllib.parse.quote(path, safe="/-_.~"), "",
            "".join(f"{n}:{h[n].strip()}\n" for n in names), ";".join(names), content_sha256])
        to_sign = "\n".join(["AWS4-HMAC-SHA256", self.amz_date, self.scope,
                             hashlib.sha256(canonical.encode()).hexdigest()])
        self.seed = self.sign(to_sign)
        h["authorization"] = (f"AWS4-HMAC-SHA256 Credential={self.key_id}/{self.scope}, "
                              f"SignedHeaders={';'.join(names)}, Signature={self.seed}")
        return h

    def chunk_signature(self, previous, data):
        return self.sign("\n".join(["AWS4-HMAC-SHA256-PAYLOAD", self.amz_date, self.scope, previous,
                                    EMPTY_SHA256, hashlib.sha256(data).hexdigest()]))


def split(data, size):
    return [data[i:i + size] for i in range(0, len(data), size)]


def signed_chunks(signer, chunks, forge=None):
    """The body of a STREAMING-AWS4-HMAC-SHA256-PAYLOAD upload: each chunk (and the final empty
    one) signed over the previous signature. `forge`: index of the chunk whose signature is
    wrong (len(chunks) is the final, empty chunk)."""
    out, previous = b"", signer.seed
    for i, data in enumerate([*chunks, b""]):
        sig = signer.chunk_signature(previous, data)
        previous = sig
        if i == forge:
            sig = signer.chunk_signature(sig, data)  # well-formed, wrong
        out += f"{len(data):x};chunk-signature={sig}\r\n".encode() + data + b"\r\n"
    return out


def crc32_b64(data):
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def unsigned_chunks_with_trailer(chunks, checksum):
    """The body of a STREAMING-UNSIGNED-PAYLOAD-TRAILER upload with an x-amz-checksum-crc32
    trailer, as botocore writes it."""
    out = b"".join(f"{len(c):x}\r\n".encode() + c + b"\r\n" for c in chunks)
    return out + b"0\r\n" + f"x-amz-checksum-crc32:{checksum}\r\n".encode() + b"\r\n"


def put(base_url, path, signer, content_sha256, body, extra=None):
    """(status, headers, body) of one PUT of `body` (the encoded bytes) to `path`."""
    u = urllib.parse.urlsplit(base_url)
    headers = signer.headers("PUT", path, u.netloc, content_sha256, dict(extra or {}))
    headers["content-length"] = str(len(body))
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    try:
        try:
            conn.request("PUT", urllib.parse.quote(path, safe="/-_.~"), body=body, headers=headers)
        except (BrokenPipeError, ConnectionResetError):
            pass  # answered before the whole body was sent: read that answer
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def put_signed_chunks(base_url, path, signer, chunks, forge=None, content_type="application/octet-stream"):
    decoded = sum(len(c) for c in chunks)
    extra = {"content-encoding": "aws-chunked", "x-amz-decoded-content-length": decoded,
             "content-type": content_type}
    # The seed signature is over the headers; the chunks are signed after it.
    u = urllib.parse.urlsplit(base_url)
    signer.headers("PUT", path, u.netloc, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", extra)
    body = signed_chunks(signer, chunks, forge)
    return put(base_url, path, signer, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", body, extra)


def put_unsigned_with_trailer(base_url, path, signer, chunks, checksum=None):
    data = b"".join(chunks)
    extra = {"content-encoding": "aws-chunked", "x-amz-decoded-content-length": len(data),
             "x-amz-trailer": "x-amz-checksum-crc32", "x-amz-sdk-checksum-algorithm": "CRC32",
             "content-type": "application/octet-stream"}
    body = unsigned_chunks_with_trailer(chunks, checksum or crc32_b64(data))
    return put(base_url, path, signer, "STREAMING-UNSIGNED-PAYLOAD-TRAILER", body, extra)


def put_with_sha256(base_url, path, signer, body, claimed=None):
    """A PUT whose signed x-amz-content-sha256 is the SHA-256 of `claimed` (default: the body)."""
    sha = hashlib.sha256(body if claimed is None else claimed).hexdigest()
    return put(base_url, path, signer, sha, body, {"content-type": "application/octet-stream"})
