"""End to end: a real Ceph RADOS Gateway authenticating S3 requests against iamd's Keystone API.

iamd runs with a Keystone service user `rgw` (project `service`, role admin); radosgw runs
with `rgw_s3_auth_use_keystone` pointed at iamd (v3). For every S3 request RGW logs in as
that service user (`POST /v3/auth/tokens`, password method), hands the request's access key,
string to sign and signature to `POST /v3/s3tokens` and then fetches the secret with
`GET /v3/users/{user_id}/credentials/OS-EC2/{access}`. Caches are off
(`rgw_keystone_token_cache_size = 0`), so each request reaches iamd and a change in iamd
(a deleted or deactivated key) applies to the very next S3 request.

The cluster (rgw_cluster.py: ceph-mon, a memstore OSD, radosgw) needs Debian's Ceph packages
(`.ci/install-ceph`). Without them, or when the cluster cannot come up, the tests are reported
SKIPPED, never passed. RGW_DEBUG=20 puts the Keystone exchanges in RGW's log (printed under
a failing test); RGW_KEEP=1 keeps the cluster's directory.
"""

import contextlib
import io
import json
import os
import re
import time
import uuid

import boto3
import boto3.s3.transfer
import botocore.config
from botocore.exceptions import ClientError

import clients
import daemon
import rgw_cluster
from harness import Skip

SERVICE_PASSWORD = "rgw-service-password"
CONFIG = f"""
[[keystone.service_users]]
name = "rgw"
password = "{SERVICE_PASSWORD}"
project = "service"
roles = ["admin"]
"""

_S3_CONFIG = botocore.config.Config(
    signature_version="s3v4",
    s3={"addressing_style": "path"},
    retries={"total_max_attempts": 1},
    connect_timeout=5,
    read_timeout=60,
    # Pacific's RGW predates the flexible checksums (and aws-chunked trailers) that botocore
    # now sends by default; only what S3 requires is what an older S3 server understands.
    request_checksum_calculation="when_required",
    response_checksum_validation="when_required",
)


def rgw_options(iamd_url):
    return {
        "rgw_s3_auth_use_keystone": "true",
        "rgw_keystone_api_version": "3",
        "rgw_keystone_url": iamd_url,
        "rgw_keystone_admin_user": "rgw",
        "rgw_keystone_admin_password": SERVICE_PASSWORD,
        "rgw_keystone_admin_project": "service",
        "rgw_keystone_admin_domain": "Default",
        "rgw_keystone_accepted_roles": "member,admin",
        "rgw_keystone_token_cache_size": "0",
        "rgw_keystone_verify_ssl": "false",
    }


class RgwTestFailure(AssertionError):
    pass


def _keystone_lines(c, limit=80):
    """RGW's log lines about its Keystone exchanges (debug_rgw 20 shows requests and bodies)."""
    pat = re.compile(r"keystone|s3tokens|OS-EC2|auth/tokens|X-Subject-Token|received response|"
                     r"signature|get_access_token|ERROR|denied|failed", re.I)
    lines = [l for l in c.log("client.rgw.a").splitlines() if pat.search(l)]
    return "\n".join(l[:600] for l in lines[-limit:])


@contextlib.contextmanager
def iamd_and_rgw(**extra_rgw_options):
    """iamd with the `rgw` service user, and a cluster whose RGW asks it; yields (d, cluster).
    `extra_rgw_options` override rgw_options().

    A cluster that cannot start is a Skip (it does not involve iamd: readiness is an
    anonymous request). A failure after that carries RGW's Keystone log lines."""
    d = daemon.Daemon(config=CONFIG).start()
    c = rgw_cluster.RgwCluster(rgw_options={**rgw_options(d.url), **extra_rgw_options}, debug_rgw=20)
    t = time.monotonic()
    try:
        c.start()
    except rgw_cluster.Unavailable as e:
        tail = c.log_tail()
        c.remove_files()
        raise Skip(f"no Ceph RGW cluster: {e}\n{tail}") from None
    print(f"    (ceph cluster up in {time.monotonic() - t:.1f}s: "
          + ", ".join(f"{k} {v:.1f}s" for k, v in c.timings.items()) + ")", flush=True)
    try:
        yield d, c
    except Exception as e:
        raise RgwTestFailure(
            f"{type(e).__name__}: {e}\n--- RGW keystone-related log lines ---\n{_keystone_lines(c)}\n"
            f"{c.log_tail(3000)}") from e
    finally:
        c.stop()


def s3(c, key_id, secret, token=None):
    return boto3.client("s3", endpoint_url=c.url, region_name="us-east-1",
                        aws_access_key_id=key_id, aws_secret_access_key=secret,
                        aws_session_token=token, config=_S3_CONFIG)


def s3_as(c, key):
    return s3(c, key["AccessKeyId"], key["SecretAccessKey"], key.get("SessionToken"))


def s3_error(call, *args, **kwargs):
    """(code, http status) of an S3 call that must fail."""
    try:
        result = call(*args, **kwargs)
    except ClientError as e:
        return e.response["Error"].get("Code"), e.response["ResponseMetadata"]["HTTPStatusCode"]
    raise AssertionError(f"expected S3 to refuse, got {result!r}")


REFUSALS = ("SignatureDoesNotMatch", "InvalidAccessKeyId", "AccessDenied")


def refused(call, what, **kwargs):
    """An S3 call RGW must refuse with 403 and one of REFUSALS; prints which code it was."""
    code, status = s3_error(call, **kwargs)
    print(f"    ({what}: {status} {code})", flush=True)
    assert status == 403 and code in REFUSALS, (what, code, status)
    return code


def _bucket():
    return f"iamd-e2e-{uuid.uuid4().hex[:12]}"


def test_rgw_keystone_s3_lifecycle():
    """An IAM user's key works for S3 on RGW (bucket, put, get, list); a wrong secret and an
    unknown key are refused; after DeleteAccessKey the very next S3 request is refused."""
    with iamd_and_rgw() as (d, c):
        _, key = clients.user_with_key(d, "rgw-alice")
        alice = s3_as(c, key)
        bucket = _bucket()
        alice.create_bucket(Bucket=bucket)
        body = b"hello from iamd via keystone\n" * 100
        alice.put_object(Bucket=bucket, Key="dir/hello.txt", Body=body, ContentType="text/plain")
        got = alice.get_object(Bucket=bucket, Key="dir/hello.txt")
        assert got["Body"].read() == body
        assert got["ContentType"] == "text/plain", got["ContentType"]
        listed = alice.list_objects_v2(Bucket=bucket)
        assert [o["Key"] for o in listed.get("Contents", [])] == ["dir/hello.txt"], listed
        assert listed["Contents"][0]["Size"] == len(body)
        names = [b["Name"] for b in alice.list_buckets()["Buckets"]]
        assert bucket in names, names
        # A multipart upload (create, 2 parts, complete): every part request is signed too.
        big = os.urandom(6 << 20)
        alice.upload_fileobj(io.BytesIO(big), bucket, "big.bin", Config=boto3.s3.transfer.TransferConfig(
            multipart_threshold=5 << 20, multipart_chunksize=5 << 20, use_threads=False))
        head = alice.head_object(Bucket=bucket, Key="big.bin")
        assert head["ContentLength"] == len(big) and head["ETag"].endswith('-2"'), head
        assert alice.get_object(Bucket=bucket, Key="big.bin")["Body"].read() == big
        alice.delete_object(Bucket=bucket, Key="big.bin")

        # The wrong secret for a real key, and a key iamd never issued. Keystone answers both
        # with 401 (RGW: SignatureDoesNotMatch); a 404 would make RGW say InvalidAccessKeyId.
        wrong = s3(c, key["AccessKeyId"], key["SecretAccessKey"][:-4] + "AAAA")
        refused(wrong.list_objects_v2, "wrong secret", Bucket=bucket)
        unknown = s3(c, "AKIA" + uuid.uuid4().hex[:16].upper(), key["SecretAccessKey"])
        refused(unknown.list_objects_v2, "unknown key", Bucket=bucket)
        # Still fine with the right secret after the refusals.
        assert alice.get_object(Bucket=bucket, Key="dir/hello.txt")["Body"].read() == body

        clients.iam(d).delete_access_key(UserName="rgw-alice", AccessKeyId=key["AccessKeyId"])
        refused(alice.get_object, "deleted key", Bucket=bucket, Key="dir/hello.txt")


test_rgw_keystone_s3_lifecycle.timeout = 300


def test_rgw_keystone_inactive_key_and_second_user():
    """A deactivated key is refused on the next request and works again once reactivated; a
    second user of the same account (same Keystone project) sees the same buckets."""
    with iamd_and_rgw() as (d, c):
        iam = clients.iam(d)
        _, key = clients.user_with_key(d, "rgw-bob")
        bob = s3_as(c, key)
        bucket = _bucket()
        bob.create_bucket(Bucket=bucket)
        bob.put_object(Bucket=bucket, Key="k", Body=b"v")

        iam.update_access_key(UserName="rgw-bob", AccessKeyId=key["AccessKeyId"], Status="Inactive")
        refused(bob.get_object, "inactive key", Bucket=bucket, Key="k")
        iam.update_access_key(UserName="rgw-bob", AccessKeyId=key["AccessKeyId"], Status="Active")
        assert bob.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"

        # Every IAM user of the account maps to one Keystone project, i.e. one RGW user.
        _, key2 = clients.user_with_key(d, "rgw-carol")
        carol = s3_as(c, key2)
        assert carol.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
        assert bucket in [b["Name"] for b in carol.list_buckets()["Buckets"]]

        # The account root's own key works too (root holds the admin role).
        root = s3(c, daemon.ROOT_KEY_ID, daemon.ROOT_SECRET)
        assert root.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"


test_rgw_keystone_inactive_key_and_second_user.timeout = 300


def test_rgw_keystone_assume_role_credentials():
    """Temporary credentials (AssumeRole, ASIA…) on RGW. RGW's Keystone path sends only the
    access key, string to sign and signature to /v3/s3tokens (not the session token), so
    either iamd vouches for ASIA keys there or S3 refuses them; whichever it is, a tampered
    session token or a wrong secret must never get in, and nothing may answer 5xx."""
    with iamd_and_rgw() as (d, c):
        iam = clients.iam(d)
        _, ukey = clients.user_with_key(d, "rgw-dave")
        trust = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{daemon.ACCOUNT}:root"},
            "Action": "sts:AssumeRole"}]}
        role = iam.create_role(RoleName="rgw-s3", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
        iam.put_user_policy(UserName="rgw-dave", PolicyName="assume", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role["Arn"]}]}))
        creds = clients.as_key(clients.sts, d, ukey).assume_role(
            RoleArn=role["Arn"], RoleSessionName="rgw-test")["Credentials"]
        assert creds["AccessKeyId"].startswith("ASIA"), creds["AccessKeyId"]

        temp = s3_as(c, creds)
        bucket = _bucket()
        try:
            temp.create_bucket(Bucket=bucket)
            accepted = True
        except ClientError as e:
            accepted = False
            status = e.response["ResponseMetadata"]["HTTPStatusCode"]
            code = e.response["Error"].get("Code")
            assert status == 403, (code, status)
            print(f"    (AssumeRole credentials refused by RGW: {code} {status})", flush=True)
        if accepted:
            print("    (AssumeRole credentials accepted by RGW)", flush=True)
            temp.put_object(Bucket=bucket, Key="t", Body=b"temp")
            assert temp.get_object(Bucket=bucket, Key="t")["Body"].read() == b"temp"
            refused(s3(c, creds["AccessKeyId"], creds["SecretAccessKey"][:-4] + "AAAA",
                       creds["SessionToken"]).list_objects_v2, "temporary key, wrong secret", Bucket=bucket)
        # With a session token that is not this key's, never a success.
        _, other = clients.user_with_key(d, "rgw-erin")
        iam.put_user_policy(UserName="rgw-erin", PolicyName="assume", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role["Arn"]}]}))
        foreign = clients.as_key(clients.sts, d, other).assume_role(
            RoleArn=role["Arn"], RoleSessionName="rgw-other")["Credentials"]
        mixed = s3(c, creds["AccessKeyId"], creds["SecretAccessKey"], foreign["SessionToken"])
        try:
            mixed.list_buckets()
            mixed_ok = True
        except ClientError as e:
            mixed_ok = False
            assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 403, e.response
        # RGW does not pass the session token to Keystone, so with another key's token it
        # cannot tell; say so rather than fail (a limitation of RGW's keystone engine).
        if mixed_ok:
            print("    (note: RGW accepted an ASIA key with another session's token: RGW does not "
                  "send the session token to /v3/s3tokens)", flush=True)


test_rgw_keystone_assume_role_credentials.timeout = 300


def test_rgw_keystone_secret_cache():
    """With RGW's secret cache on, the secret iamd hands out at
    GET /v3/users/{user_id}/credentials/OS-EC2/{access} is what RGW checks later requests
    against locally: it must be the key's own secret, or every request is a cache miss."""
    with iamd_and_rgw(rgw_keystone_token_cache_size="100") as (d, c):
        _, key = clients.user_with_key(d, "rgw-frank")
        frank = s3_as(c, key)
        bucket = _bucket()
        frank.create_bucket(Bucket=bucket)
        for i in range(3):
            frank.put_object(Bucket=bucket, Key=f"k{i}", Body=b"v")
        assert len(frank.list_objects_v2(Bucket=bucket)["Contents"]) == 3
        log = c.log("client.rgw.a")
        wrong = log.count("Secret string does not correctly sign payload")
        misses = log.count("No stored secret string, cache miss")
        assert wrong == 0, f"{wrong} requests: the OS-EC2 secret from iamd does not sign them"
        assert misses == 1, f"{misses} secret cache misses for 5 requests with one key (expected 1)"


test_rgw_keystone_secret_cache.timeout = 300
