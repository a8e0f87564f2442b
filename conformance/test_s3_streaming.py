"""Uploads through iamd's S3 gateway in the streaming forms (aws-chunked, signed per chunk or
with a trailing checksum) and with a signed SHA-256 of the body: the forms boto3 and the aws CLI
switch to over HTTPS, built by hand here because the gateway listens on plain HTTP (see
aws_chunked.py).

What is checked is what the signature vouches for. A body whose chunk signature, trailing
checksum or signed SHA-256 is wrong is refused with S3's error, and nothing is stored at the
backend. That is read from moto directly with the backend's key, since the gateway holds back
the end of a body until it is verified and moto stores nothing it did not receive whole.
"""

import os
import re
import urllib.request

import boto3
import botocore.config
from botocore.exceptions import ClientError

import aws_chunked as ac
from daemon import REGION, ROOT_KEY_ID, ROOT_SECRET
from s3_backend import BACKEND_KEY_ID, BACKEND_SECRET, gateway
from test_s3_gateway import P1, P1_READ_WRITE, assume, s3, set_up_registry, xml_code

KiB = 1024


def backend(moto):
    """moto itself, with the backend's key: what was really stored."""
    return boto3.client("s3", endpoint_url=moto.url, region_name=REGION, aws_access_key_id=BACKEND_KEY_ID,
                        aws_secret_access_key=BACKEND_SECRET,
                        config=botocore.config.Config(s3={"addressing_style": "path"}))


def stored(moto, key, bucket="data"):
    """The object's bytes and Content-Encoding at the backend, or None."""
    try:
        o = backend(moto).get_object(Bucket=bucket, Key=key)
    except ClientError as e:
        assert e.response["Error"]["Code"] == "NoSuchKey", e.response
        return None
    return o["Body"].read(), o.get("ContentEncoding")


def root_signer():
    return ac.Signer(ROOT_KEY_ID, ROOT_SECRET, region=REGION)


def session_signer(creds):
    return ac.Signer(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"], region=REGION)


def data(n):
    return os.urandom(n)


def test_signed_chunks_are_verified_and_forwarded_decoded():
    with gateway() as (d, moto):
        svc = set_up_registry(d)
        body = data(3 * 64 * KiB + 1234)
        status, _, resp = ac.put_signed_chunks(d.s3_url, "/data/" + P1 + "chunked", root_signer(),
                                               ac.split(body, 64 * KiB))
        assert status == 200, (status, resp)
        # The backend holds the decoded bytes, and no aws-chunked encoding of them.
        assert stored(moto, P1 + "chunked") == (body, None)
        assert s3(d).get_object(Bucket="data", Key=P1 + "chunked")["Body"].read() == body

        # A role session's temporary key, in and out of its prefix.
        creds = assume(d, svc, P1_READ_WRITE)
        small = data(20 * KiB)
        status, _, resp = ac.put_signed_chunks(d.s3_url, "/data/" + P1 + "by-session", session_signer(creds),
                                               ac.split(small, 8 * KiB))
        assert status == 200, (status, resp)
        assert stored(moto, P1 + "by-session") == (small, None)
        status, _, resp = ac.put_signed_chunks(d.s3_url, "/data/projects/p2/by-session", session_signer(creds),
                                               ac.split(small, 8 * KiB))
        assert (status, xml_code(resp)) == (403, "AccessDenied"), (status, resp)
        assert stored(moto, "projects/p2/by-session") is None


def test_a_bad_chunk_signature_aborts_the_upload_and_nothing_is_stored():
    with gateway() as (d, moto):
        set_up_registry(d)
        chunks = ac.split(data(4 * 16 * KiB), 16 * KiB)
        # Chunk 2 of 4 (chunk 0 has already gone to the backend by then), and the final, empty
        # chunk (every byte of data verified, only the end of the stream is forged).
        for forge, key in ((2, "mid"), (len(chunks), "end")):
            status, headers, resp = ac.put_signed_chunks(d.s3_url, "/data/" + P1 + key, root_signer(), chunks,
                                                         forge=forge)
            assert (status, xml_code(resp)) == (403, "SignatureDoesNotMatch"), (key, status, resp)
            assert headers.get("connection", "").lower() == "close", headers
            assert stored(moto, P1 + key) is None, f"{key}: a refused upload was stored"
        # The same chunks, correctly signed, are stored: the refusals were the forged signatures.
        status, _, resp = ac.put_signed_chunks(d.s3_url, "/data/" + P1 + "mid", root_signer(), chunks)
        assert status == 200, (status, resp)
        assert stored(moto, P1 + "mid") == (b"".join(chunks), None)

        # /metrics counts the gateway's requests by operation and its refusals by code.
        with urllib.request.urlopen(d.url + "/metrics", timeout=5) as r:
            metrics = r.read().decode()
        assert 'iamd_s3_refusals_total{code="SignatureDoesNotMatch"} 2\n' in metrics, metrics
        m = re.search(r'iamd_s3_request_duration_seconds_count\{operation="PutObject",outcome="success"\} (\d+)', metrics)
        assert m and int(m.group(1)) >= 1, metrics
        assert 'iamd_s3_request_duration_seconds_count{operation="PutObject",outcome="client_error"} 2\n' in metrics, metrics


def test_unsigned_chunks_with_a_trailing_checksum():
    with gateway() as (d, moto):
        svc = set_up_registry(d)
        creds = assume(d, svc, P1_READ_WRITE)
        body = data(100 * KiB + 7)
        status, _, resp = ac.put_unsigned_with_trailer(d.s3_url, "/data/" + P1 + "trailer", session_signer(creds),
                                                       ac.split(body, 64 * KiB))
        assert status == 200, (status, resp)
        assert stored(moto, P1 + "trailer") == (body, None)

        # The checksum of other bytes: S3's BadDigest, and nothing stored.
        status, headers, resp = ac.put_unsigned_with_trailer(
            d.s3_url, "/data/" + P1 + "bad-trailer", session_signer(creds), ac.split(body, 64 * KiB),
            checksum=ac.crc32_b64(body + b"x"))
        assert (status, xml_code(resp)) == (400, "BadDigest"), (status, resp)
        assert b"CRC32" in resp, resp
        assert stored(moto, P1 + "bad-trailer") is None
        # Unsigned chunks do not lift the policy: outside the prefix is refused before the body.
        status, _, resp = ac.put_unsigned_with_trailer(d.s3_url, "/data/projects/p2/trailer", session_signer(creds),
                                                       ac.split(body, 64 * KiB))
        assert (status, xml_code(resp)) == (403, "AccessDenied"), (status, resp)
        assert stored(moto, "projects/p2/trailer") is None


def test_a_body_that_does_not_match_its_signed_sha256_is_refused():
    with gateway() as (d, moto):
        set_up_registry(d)
        good = data(200 * KiB)
        status, _, resp = ac.put_with_sha256(d.s3_url, "/data/" + P1 + "hashed", root_signer(), good)
        assert status == 200, (status, resp)
        assert stored(moto, P1 + "hashed") == (good, None)
        # The signature (over the header claiming good's hash) is valid; the body is not good.
        tampered = good[:-1] + bytes([good[-1] ^ 1])
        status, _, resp = ac.put_with_sha256(d.s3_url, "/data/" + P1 + "tampered", root_signer(), tampered,
                                             claimed=good)
        assert (status, xml_code(resp)) == (400, "XAmzContentSHA256Mismatch"), (status, resp)
        assert stored(moto, P1 + "tampered") is None
