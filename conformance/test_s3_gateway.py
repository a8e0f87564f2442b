"""iamd's S3 gateway in front of moto's S3 server (s3_backend.py).

The gateway verifies iamd's keys (AKIA, and ASIA with their session token), evaluates iamd's
policies with S3 actions on arn:aws:s3:::bucket and arn:aws:s3:::bucket/key, and forwards what
they allow re-signed with the backend's key. moto checks nothing, so every refusal seen here is
the gateway's: each one asserts the S3 error code and status, and where it matters that nothing
was written, by listing as root through the gateway.

Each test starts its own moto and iamd.
"""

import datetime
import hashlib
import json
import os
import re
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import boto3
import botocore.config
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

import clients
from clients import error_of, iam, sts
from daemon import ACCOUNT, REGION, ROOT_KEY_ID, ROOT_SECRET
from s3_backend import gateway

MiB = 1024 * 1024


# -- clients -------------------------------------------------------------------------------------

def s3(d, key_id=ROOT_KEY_ID, secret=ROOT_SECRET, token=None, signature_version="s3v4"):
    """boto3 S3 through the gateway: path-style, one attempt, boto3's default checksums."""
    cfg = botocore.config.Config(
        signature_version=signature_version, s3={"addressing_style": "path"},
        retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=60)
    return boto3.client("s3", endpoint_url=d.s3_url, region_name=REGION,
                        aws_access_key_id=key_id, aws_secret_access_key=secret,
                        aws_session_token=token, config=cfg)


def s3_as(d, creds, **kw):
    """`creds`: an AccessKey dict (IAM) or a Credentials dict (STS)."""
    return s3(d, creds["AccessKeyId"], creds["SecretAccessKey"], creds.get("SessionToken"), **kw)


def refused(call, *args, **kwargs):
    """(code, status) of an S3 call that must fail."""
    code, _message, status = error_of(call, *args, **kwargs)
    return code, status


def assert_denied(call, *args, **kwargs):
    got = refused(call, *args, **kwargs)
    assert got == ("AccessDenied", 403), f"{call.__name__}{kwargs}: expected AccessDenied 403, got {got}"


def assert_head_denied(c, **kwargs):
    # HEAD answers carry no body: botocore reports the status as the code.
    got = refused(c.head_object, **kwargs)
    assert got == ("403", 403), f"head_object{kwargs}: expected 403, got {got}"


def keys(d, bucket, prefix=""):
    """Every key of `bucket` (under `prefix`), listed as root through the gateway."""
    out = []
    for page in s3(d).get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        out += [o["Key"] for o in page.get("Contents", [])]
    return out


def http(method, url, data=None, headers=None):
    """(status, body) of a plain HTTP request (urllib, no signing of its own)."""
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def xml_code(body):
    m = re.search(rb"<Code>([^<]*)</Code>", body or b"")
    return m.group(1).decode() if m else None


# -- the registry recipe -------------------------------------------------------------------------

def role_arn(name):
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


# What the role may do at most: everything in bucket `data`.
REGISTRY_ROLE_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{
        "Effect": "Allow",
        "Action": "s3:*",
        "Resource": ["arn:aws:s3:::data", "arn:aws:s3:::data/*"],
    }],
}


P1 = "projects/p1/"

# The recipe: a session policy (AssumeRole's Policy) that keeps a role session to one key
# prefix of one bucket, read-write. Objects under the prefix may be read, written and deleted;
# the bucket may be listed only with a Prefix under it (s3:prefix is the ListObjects Prefix,
# "" without one). The session gets what both this and the role's own policy allow.
P1_READ_WRITE = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "ObjectsUnderThePrefix",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            "Resource": "arn:aws:s3:::data/projects/p1/*",
        },
        {
            "Sid": "ListOnlyUnderThePrefix",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": "arn:aws:s3:::data",
            "Condition": {"StringLike": {"s3:prefix": "projects/p1/*"}},
        },
    ],
}

# Read-only: the same without PutObject and DeleteObject.
P1_READ_ONLY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::data/projects/p1/*",
        },
        {
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": "arn:aws:s3:::data",
            "Condition": {"StringLike": {"s3:prefix": "projects/p1/*"}},
        },
    ],
}


def p1_session_policy(*actions):
    """P1_READ_WRITE with other object actions."""
    policy = json.loads(json.dumps(P1_READ_WRITE))
    policy["Statement"][0]["Action"] = list(actions)
    return policy


def set_up_registry(d):
    """Root creates buckets `data` and `other` (through the gateway), the role `registry`
    (s3:* on bucket data) trusted by user `registry-svc`, who may sts:AssumeRole it.
    Returns registry-svc's access key."""
    root = s3(d)
    root.create_bucket(Bucket="data")
    root.create_bucket(Bucket="other")
    c = iam(d)
    c.create_user(UserName="registry-svc")  # before the trust policy that names it
    c.create_role(RoleName="registry", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                       "Principal": {"AWS": clients.user_arn("registry-svc")}}],
    }))
    c.put_role_policy(RoleName="registry", PolicyName="data-bucket",
                      PolicyDocument=json.dumps(REGISTRY_ROLE_POLICY))
    c.put_user_policy(UserName="registry-svc", PolicyName="assume-registry", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arn("registry")}],
    }))
    return c.create_access_key(UserName="registry-svc")["AccessKey"]


def assume(d, svc_key, policy=None, name="push"):
    kw = {"Policy": json.dumps(policy)} if policy is not None else {}
    creds = clients.as_key(sts, d, svc_key).assume_role(
        RoleArn=role_arn("registry"), RoleSessionName=name, **kw)["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA"), creds["AccessKeyId"]
    return creds


# -- tests ---------------------------------------------------------------------------------------

def test_registry_session_policy_scopes_a_prefix():
    with gateway() as (d, _moto):
        svc = set_up_registry(d)
        root = s3(d)
        root.put_object(Bucket="data", Key="projects/p2/secret", Body=b"p2's")
        root.put_object(Bucket="data", Key="top-level", Body=b"root's")
        root.put_object(Bucket="other", Key="thing", Body=b"other's")

        c = s3_as(d, assume(d, svc, P1_READ_WRITE))
        key = P1 + "blobs/sha256/ab12"
        c.put_object(Bucket="data", Key=key, Body=b"layer bytes")
        assert c.get_object(Bucket="data", Key=key)["Body"].read() == b"layer bytes"
        assert c.head_object(Bucket="data", Key=key)["ContentLength"] == len(b"layer bytes")
        listed = c.list_objects_v2(Bucket="data", Prefix=P1)
        assert [o["Key"] for o in listed["Contents"]] == [key], listed
        listed = c.list_objects_v2(Bucket="data", Prefix=P1 + "blobs/", Delimiter="/")
        assert [p["Prefix"] for p in listed.get("CommonPrefixes", [])] == [P1 + "blobs/sha256/"], listed
        listed = c.list_objects(Bucket="data", Prefix=P1)  # ListObjects (v1): s3:ListBucket too
        assert [o["Key"] for o in listed["Contents"]] == [key], listed

        # Outside the prefix, and in another bucket: the gateway refuses.
        assert_denied(c.put_object, Bucket="data", Key="projects/p2/intruder", Body=b"x")
        assert_denied(c.put_object, Bucket="data", Key="projects/p1", Body=b"x")  # no trailing /
        assert_denied(c.get_object, Bucket="data", Key="projects/p2/secret")
        assert_denied(c.get_object, Bucket="data", Key="top-level")
        assert_head_denied(c, Bucket="data", Key="projects/p2/secret")
        assert_denied(c.delete_object, Bucket="data", Key="projects/p2/secret")
        assert_denied(c.put_object, Bucket="other", Key=P1 + "x", Body=b"x")
        assert_denied(c.get_object, Bucket="other", Key="thing")
        assert_denied(c.list_objects_v2, Bucket="other", Prefix=P1)
        assert_denied(c.list_objects_v2, Bucket="data")
        assert_denied(c.list_objects_v2, Bucket="data", Prefix="projects/p2/")
        assert_denied(c.list_objects_v2, Bucket="data", Prefix="projects/")
        assert_denied(c.list_objects, Bucket="data")
        assert_denied(c.list_buckets)
        assert_denied(c.create_bucket, Bucket="made-by-session")

        # Dot segments are part of the key, never a way out of the prefix.
        assert refused(c.get_object, Bucket="data", Key=P1 + "../p2/secret") == ("NoSuchKey", 404)
        c.put_object(Bucket="data", Key=P1 + "../p2/dots", Body=b"x")
        assert "projects/p2/dots" not in keys(d, "data")
        c.delete_object(Bucket="data", Key=P1 + "../p2/dots")

        # CopyObject needs s3:GetObject on its source: nothing is copied out of projects/p2/.
        c.copy_object(Bucket="data", Key=P1 + "copy", CopySource={"Bucket": "data", "Key": key})
        assert c.get_object(Bucket="data", Key=P1 + "copy")["Body"].read() == b"layer bytes"
        assert_denied(c.copy_object, Bucket="data", Key=P1 + "stolen",
                      CopySource={"Bucket": "data", "Key": "projects/p2/secret"})
        assert_denied(c.copy_object, Bucket="data", Key=P1 + "stolen", CopySource={"Bucket": "other", "Key": "thing"})
        # DeleteObjects is decided per key: a batch reaching outside the prefix deletes nothing
        # there (refused whole, or with a per-key AccessDenied).
        try:
            out = c.delete_objects(Bucket="data", Delete={"Objects": [{"Key": P1 + "copy"}, {"Key": "top-level"}]})
            assert [e["Key"] for e in out.get("Errors", []) if e["Code"] == "AccessDenied"] == ["top-level"], out
        except ClientError as e:
            assert e.response["Error"]["Code"] == "AccessDenied", e.response
        assert "top-level" in keys(d, "data")
        c.delete_objects(Bucket="data", Delete={"Objects": [{"Key": P1 + "copy"}]})

        c.delete_object(Bucket="data", Key=key)
        assert keys(d, "data") == ["projects/p2/secret", "top-level"], keys(d, "data")
        assert keys(d, "other") == ["thing"]
        assert [b["Name"] for b in root.list_buckets()["Buckets"]] == ["data", "other"]

        # A session policy only narrows: granting `other` does not reach past the role's policy.
        wider = s3_as(d, assume(d, svc, {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}, name="wider"))
        wider.put_object(Bucket="data", Key="projects/p9/ok", Body=b"x")
        assert_denied(wider.put_object, Bucket="other", Key="x", Body=b"x")
        assert_denied(wider.list_buckets)

        # Read-only sessions read and list, and cannot write or delete.
        ro = s3_as(d, assume(d, svc, P1_READ_ONLY, name="pull"))
        root.put_object(Bucket="data", Key=P1 + "manifest", Body=b"{}")
        assert ro.get_object(Bucket="data", Key=P1 + "manifest")["Body"].read() == b"{}"
        assert [o["Key"] for o in ro.list_objects_v2(Bucket="data", Prefix=P1)["Contents"]] == [P1 + "manifest"]
        assert_denied(ro.put_object, Bucket="data", Key=P1 + "pushed", Body=b"x")
        assert_denied(ro.delete_object, Bucket="data", Key=P1 + "manifest")
        assert keys(d, "data", P1) == [P1 + "manifest"], keys(d, "data", P1)
        assert keys(d, "other") == ["thing"]


def test_long_term_keys():
    with gateway() as (d, _moto):
        root = s3(d)
        root.create_bucket(Bucket="alpha")
        root.create_bucket(Bucket="beta")
        root.put_object(Bucket="beta", Key="b", Body=b"beta's")
        _, key = clients.user_with_key(d, "alice")
        assert key["AccessKeyId"].startswith("AKIA")
        iam(d).put_user_policy(UserName="alice", PolicyName="alpha", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                 "Resource": "arn:aws:s3:::alpha/*"},
                {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::alpha"},
            ]}))
        c = s3_as(d, key)
        c.put_object(Bucket="alpha", Key="dir/a", Body=b"alice's")
        assert c.get_object(Bucket="alpha", Key="dir/a")["Body"].read() == b"alice's"
        assert [o["Key"] for o in c.list_objects_v2(Bucket="alpha")["Contents"]] == ["dir/a"]
        assert_denied(c.put_object, Bucket="beta", Key="a", Body=b"x")
        assert_denied(c.get_object, Bucket="beta", Key="b")
        assert_denied(c.list_objects_v2, Bucket="beta")
        assert_denied(c.delete_object, Bucket="beta", Key="b")
        assert_denied(c.create_bucket, Bucket="gamma")

        # ListBuckets needs s3:ListAllMyBuckets (on "*" / arn:aws:s3:::*), from the next request on.
        assert_denied(c.list_buckets)
        iam(d).put_user_policy(UserName="alice", PolicyName="list-all", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]}))
        assert [b["Name"] for b in c.list_buckets()["Buckets"]] == ["alpha", "beta"]
        assert_denied(c.create_bucket, Bucket="gamma")
        iam(d).put_user_policy(UserName="alice", PolicyName="create", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:CreateBucket", "Resource": "arn:aws:s3:::gamma"}]}))
        c.create_bucket(Bucket="gamma")
        assert_denied(c.create_bucket, Bucket="delta")

        # An explicit Deny wins over the Allow.
        iam(d).put_user_policy(UserName="alice", PolicyName="no-secrets", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::alpha/secret/*"}]}))
        assert_denied(c.put_object, Bucket="alpha", Key="secret/x", Body=b"x")
        c.put_object(Bucket="alpha", Key="public/x", Body=b"x")

        # Keys that need encoding: the signature, the ARN and the forwarded path agree.
        odd = ["a b+c/\u00fc.txt", "x%2Fy", "q?x=1&y", "~tilde!*'()", "sp  ace"]
        for k in odd:
            c.put_object(Bucket="alpha", Key="odd/" + k, Body=k.encode())
            assert c.get_object(Bucket="alpha", Key="odd/" + k)["Body"].read() == k.encode()
            c.delete_object(Bucket="alpha", Key="odd/" + k)
        assert_denied(c.put_object, Bucket="alpha", Key="secret/" + odd[0], Body=b"x")

        assert sorted(keys(d, "alpha")) == ["dir/a", "public/x"]
        assert keys(d, "beta") == ["b"]
        assert [b["Name"] for b in root.list_buckets()["Buckets"]] == ["alpha", "beta", "gamma"]

        # The root may do everything.
        root.put_object(Bucket="beta", Key="by-root", Body=b"r")
        assert root.get_object(Bucket="alpha", Key="dir/a")["Body"].read() == b"alice's"
        root.delete_object(Bucket="alpha", Key="dir/a")

        # Keys the gateway does not know, wrong secrets, no signature at all.
        got = refused(s3(d, "AKIAZZZZZZZZZZZZZZZZ", "x" * 40).get_object, Bucket="alpha", Key="public/x")
        assert got == ("InvalidAccessKeyId", 403), got
        got = refused(s3(d, key["AccessKeyId"], "wrong" + key["SecretAccessKey"][5:]).get_object,
                      Bucket="alpha", Key="public/x")
        assert got == ("SignatureDoesNotMatch", 403), got
        got = refused(s3(d, key["AccessKeyId"], "wrong" + key["SecretAccessKey"][5:]).put_object,
                      Bucket="alpha", Key="forged", Body=b"x")
        assert got == ("SignatureDoesNotMatch", 403), got
        # A request signed 20 minutes off is refused (S3 allows 15).
        import botocore.auth
        real_now = botocore.auth.get_current_datetime
        for minutes in (20, -20):
            botocore.auth.get_current_datetime = lambda m=minutes: real_now() - datetime.timedelta(minutes=m)
            try:
                got = refused(s3_as(d, key).put_object, Bucket="alpha", Key=f"skewed{minutes}", Body=b"x")
            finally:
                botocore.auth.get_current_datetime = real_now
            assert got == ("RequestTimeTooSkewed", 403), (minutes, got)
        # GetSessionToken's temporary keys carry the user's permissions.
        temp = s3_as(d, clients.as_key(sts, d, key).get_session_token()["Credentials"])
        temp.put_object(Bucket="alpha", Key="temp", Body=b"t")
        assert_denied(temp.put_object, Bucket="beta", Key="temp", Body=b"t")
        temp.delete_object(Bucket="alpha", Key="temp")

        status, body = http("GET", f"{d.s3_url}/alpha/public/x")
        assert status == 403, (status, body)
        status, body = http("PUT", f"{d.s3_url}/alpha/anonymous", data=b"x")
        assert status == 403, (status, body)
        status, body = http("GET", f"{d.s3_url}/")
        assert status == 403, (status, body)
        assert keys(d, "alpha") == ["public/x"], keys(d, "alpha")


def test_global_condition_keys():
    """The global condition keys and policy variables iamd supports for IAM apply to S3 too:
    aws:SourceIp is the client's address, ${aws:username} the caller's name."""
    with gateway() as (d, _moto):
        s3(d).create_bucket(Bucket="data")
        c = iam(d)

        def user(name, statement):
            c.create_user(UserName=name)
            c.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [statement]}))
            return s3_as(d, c.create_access_key(UserName=name)["AccessKey"])

        put_data = {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::data/*"}
        local = user("local", dict(put_data, Condition={"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}))
        local.put_object(Bucket="data", Key="from-loopback", Body=b"x")
        remote = user("remote", dict(put_data, Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))
        assert_denied(remote.put_object, Bucket="data", Key="from-10", Body=b"x")
        fenced = user("fenced", put_data)
        c.put_user_policy(UserName="fenced", PolicyName="fence", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*",
                           "Condition": {"NotIpAddress": {"aws:SourceIp": "127.0.0.1/32"}}}]}))
        fenced.put_object(Bucket="data", Key="fenced", Body=b"x")

        home = user("carol", {"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"],
                              "Resource": "arn:aws:s3:::data/home/${aws:username}/*"})
        home.put_object(Bucket="data", Key="home/carol/notes", Body=b"x")
        assert_denied(home.put_object, Bucket="data", Key="home/dave/notes", Body=b"x")
        assert sorted(keys(d, "data")) == ["fenced", "from-loopback", "home/carol/notes"], keys(d, "data")


def test_revocation_applies_to_the_next_request():
    with gateway() as (d, _moto):
        svc = set_up_registry(d)
        c = iam(d)

        # Long-term keys: inactive, active again, deleted.
        c.create_user(UserName="bob")
        c.put_user_policy(UserName="bob", PolicyName="data", PolicyDocument=json.dumps(REGISTRY_ROLE_POLICY))
        key = c.create_access_key(UserName="bob")["AccessKey"]
        bob = s3_as(d, key)
        bob.put_object(Bucket="data", Key="bob/1", Body=b"1")
        c.update_access_key(UserName="bob", AccessKeyId=key["AccessKeyId"], Status="Inactive")
        got = refused(bob.put_object, Bucket="data", Key="bob/inactive", Body=b"x")
        assert got == ("InvalidAccessKeyId", 403), got
        c.update_access_key(UserName="bob", AccessKeyId=key["AccessKeyId"], Status="Active")
        bob.put_object(Bucket="data", Key="bob/2", Body=b"2")
        c.delete_user_policy(UserName="bob", PolicyName="data")
        assert_denied(bob.put_object, Bucket="data", Key="bob/no-policy", Body=b"x")
        c.put_user_policy(UserName="bob", PolicyName="data", PolicyDocument=json.dumps(REGISTRY_ROLE_POLICY))
        bob.put_object(Bucket="data", Key="bob/3", Body=b"3")
        c.delete_access_key(UserName="bob", AccessKeyId=key["AccessKeyId"])
        got = refused(bob.put_object, Bucket="data", Key="bob/deleted", Body=b"x")
        assert got == ("InvalidAccessKeyId", 403), got
        got = refused(bob.get_object, Bucket="data", Key="bob/1")
        assert got == ("InvalidAccessKeyId", 403), got
        assert keys(d, "data") == ["bob/1", "bob/2", "bob/3"], keys(d, "data")

        # A role session: the role's policy is read on every request.
        creds = assume(d, svc, P1_READ_WRITE)
        session = s3_as(d, creds)
        session.put_object(Bucket="data", Key=P1 + "before", Body=b"x")
        c.delete_role_policy(RoleName="registry", PolicyName="data-bucket")
        assert_denied(session.put_object, Bucket="data", Key=P1 + "after", Body=b"x")
        assert_denied(session.get_object, Bucket="data", Key=P1 + "before")
        c.put_role_policy(RoleName="registry", PolicyName="data-bucket",
                          PolicyDocument=json.dumps(REGISTRY_ROLE_POLICY))
        assert session.get_object(Bucket="data", Key=P1 + "before")["Body"].read() == b"x"
        c.put_role_policy(RoleName="registry", PolicyName="deny-p1", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Deny", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::data/*"}]}))
        assert_denied(session.put_object, Bucket="data", Key=P1 + "denied", Body=b"x")
        c.delete_role_policy(RoleName="registry", PolicyName="deny-p1")
        session.put_object(Bucket="data", Key=P1 + "again", Body=b"x")

        # Temporary keys need their own session token.
        other = assume(d, svc, P1_READ_WRITE, name="other")
        token = creds["SessionToken"]
        tampered = token[:20] + ("A" if token[20] != "A" else "B") + token[21:]
        for what, tok in [("another session's token", other["SessionToken"]),
                          ("no token", None),
                          ("an altered token", tampered),
                          ("a truncated token", token[:-8])]:
            bad = s3(d, creds["AccessKeyId"], creds["SecretAccessKey"], tok)
            code, status = refused(bad.put_object, Bucket="data", Key=P1 + "bad-token", Body=b"x")
            assert (code, status) in [("InvalidToken", 400), ("InvalidAccessKeyId", 403)], \
                f"{what}: expected InvalidToken 400 or InvalidAccessKeyId 403, got {code} {status}"
            code, status = refused(bad.get_object, Bucket="data", Key=P1 + "before")
            assert (code, status) in [("InvalidToken", 400), ("InvalidAccessKeyId", 403)], \
                f"{what} (GET): got {code} {status}"
        # The session itself still works, and nothing was written by the refused requests.
        assert session.get_object(Bucket="data", Key=P1 + "before")["Body"].read() == b"x"
        assert keys(d, "data", P1) == [P1 + "again", P1 + "before"], keys(d, "data", P1)

        # Deleting the user who assumed the role does not end the session (as in AWS), but
        # deleting the role does.
        c.delete_role_policy(RoleName="registry", PolicyName="data-bucket")
        c.delete_role(RoleName="registry")
        code, status = refused(session.get_object, Bucket="data", Key=P1 + "before")
        assert (code, status) in [("AccessDenied", 403), ("InvalidAccessKeyId", 403), ("InvalidToken", 400)], \
            f"a session of a deleted role: got {code} {status}"


def test_multipart_upload():
    with gateway() as (d, _moto):
        svc = set_up_registry(d)
        c = s3_as(d, assume(d, svc, P1_READ_WRITE))
        data = os.urandom(13 * MiB)
        cfg = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB,
                             max_concurrency=3, use_threads=True)
        key = P1 + "blobs/big"
        with tempfile.TemporaryFile() as f:
            f.write(data)
            f.seek(0)
            c.upload_fileobj(f, "data", key, Config=cfg)
        head = s3(d).head_object(Bucket="data", Key=key)
        assert head["ContentLength"] == len(data)
        assert head["ETag"].strip('"').endswith("-3"), head["ETag"]  # three parts, so multipart
        with tempfile.TemporaryFile() as f:
            c.download_fileobj("data", key, f, Config=cfg)  # ranged GETs, concurrent
            f.seek(0)
            assert hashlib.sha256(f.read()).digest() == hashlib.sha256(data).digest()
        assert s3(d).get_object(Bucket="data", Key=key)["Body"].read() == data

        # Outside the prefix the upload is refused at CreateMultipartUpload.
        with tempfile.TemporaryFile() as f:
            f.write(data)
            f.seek(0)
            try:
                c.upload_fileobj(f, "data", "projects/p2/big", Config=cfg)
            except ClientError as e:
                assert e.response["Error"]["Code"] == "AccessDenied", e.response
            else:
                raise AssertionError("a multipart upload outside the prefix was accepted")
        assert_denied(c.create_multipart_upload, Bucket="data", Key="projects/p2/big")

        # ListParts and AbortMultipartUpload are actions of their own.
        up = c.create_multipart_upload(Bucket="data", Key=P1 + "partial")["UploadId"]
        c.upload_part(Bucket="data", Key=P1 + "partial", UploadId=up, PartNumber=1, Body=b"x" * (5 * MiB))
        assert_denied(c.list_parts, Bucket="data", Key=P1 + "partial", UploadId=up)
        assert_denied(c.abort_multipart_upload, Bucket="data", Key=P1 + "partial", UploadId=up)
        manager = s3_as(d, assume(d, svc, p1_session_policy(
            "s3:PutObject", "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload"), name="mpu"))
        try:
            parts = manager.list_parts(Bucket="data", Key=P1 + "partial", UploadId=up)["Parts"]
            assert [p["PartNumber"] for p in parts] == [1], parts
        except ClientError as e:
            # moto answers ListParts with a <ListPartsResponse> root (S3: <ListPartsResult>),
            # which the AWS SDK for Rust behind the gateway refuses to parse: past the
            # gateway's authorization, then, but not an answer. Anything else is a failure.
            assert e.response["Error"]["Code"] == "InternalError", e.response
            print("    ListParts: allowed by the gateway; moto's ListPartsResponse XML not parsed (InternalError)")
        manager.abort_multipart_upload(Bucket="data", Key=P1 + "partial", UploadId=up)
        assert s3(d).list_multipart_uploads(Bucket="data").get("Uploads", []) == []
        assert keys(d, "data") == [key], keys(d, "data")


def test_presigned_urls_sigv4():
    with gateway() as (d, _moto):
        svc = set_up_registry(d)
        root = s3(d)
        root.put_object(Bucket="data", Key=P1 + "blob", Body=b"presigned bytes")
        root.put_object(Bucket="data", Key=P1 + "other-blob", Body=b"other bytes")
        root.put_object(Bucket="data", Key="projects/p2/blob", Body=b"p2")
        creds = assume(d, svc, P1_READ_WRITE)
        c = s3_as(d, creds)

        url = c.generate_presigned_url("get_object", Params={"Bucket": "data", "Key": P1 + "blob"}, ExpiresIn=300)
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
        assert q["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"] and "X-Amz-Security-Token" in q, url
        assert http("GET", url) == (200, b"presigned bytes")

        # The signature covers the key, and the session token must be its own.
        status, body = http("GET", url.replace("/blob?", "/other-blob?"))
        assert (status, xml_code(body)) == (403, "SignatureDoesNotMatch"), (status, body)
        no_token = re.sub(r"&X-Amz-Security-Token=[^&]*", "", url)
        status, body = http("GET", no_token)
        assert status == 403, (status, body)
        # Outside the prefix: a valid signature, no permission.
        url = c.generate_presigned_url("get_object", Params={"Bucket": "data", "Key": "projects/p2/blob"})
        status, body = http("GET", url)
        assert (status, xml_code(body)) == (403, "AccessDenied"), (status, body)

        # A presigned PUT.
        url = c.generate_presigned_url("put_object", Params={"Bucket": "data", "Key": P1 + "uploaded"}, ExpiresIn=300)
        # (An explicit Content-Type, as curl -T sends: urllib's default form type makes moto
        # itself store an empty object, gateway or not.)
        assert http("PUT", url, data=b"put by url", headers={"Content-Type": "application/octet-stream"})[0] == 200
        assert root.get_object(Bucket="data", Key=P1 + "uploaded")["Body"].read() == b"put by url"
        url = c.generate_presigned_url("put_object", Params={"Bucket": "data", "Key": "projects/p2/uploaded"})
        status, body = http("PUT", url, data=b"x", headers={"Content-Type": "application/octet-stream"})
        assert (status, xml_code(body)) == (403, "AccessDenied"), (status, body)

        # Long-term keys, and a URL past its expiry.
        _, key = clients.user_with_key(d, "reader")
        iam(d).put_user_policy(UserName="reader", PolicyName="read", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"}]}))
        reader = s3_as(d, key)
        url = reader.generate_presigned_url("get_object", Params={"Bucket": "data", "Key": "projects/p2/blob"})
        assert http("GET", url) == (200, b"p2")
        short = reader.generate_presigned_url("get_object", Params={"Bucket": "data", "Key": "projects/p2/blob"},
                                              ExpiresIn=1)
        time.sleep(2.5)
        status, body = http("GET", short)
        assert status == 403, (status, body)
        iam(d).delete_access_key(UserName="reader", AccessKeyId=key["AccessKeyId"])
        status, body = http("GET", url)
        assert (status, xml_code(body)) == (403, "InvalidAccessKeyId"), (status, body)
        assert keys(d, "data") == [P1 + "blob", P1 + "other-blob", P1 + "uploaded", "projects/p2/blob"]


def _aws_s3(d, config_file, creds, *args, endpoint_flag=False):
    env = dict(os.environ)
    env.update(AWS_CONFIG_FILE=config_file, AWS_ACCESS_KEY_ID=creds["AccessKeyId"],
               AWS_SECRET_ACCESS_KEY=creds["SecretAccessKey"], AWS_SESSION_TOKEN=creds["SessionToken"],
               AWS_DEFAULT_REGION=REGION, AWS_MAX_ATTEMPTS="1")
    argv = [clients.AWS, *args]
    if endpoint_flag:
        argv += ["--endpoint-url", d.s3_url]
    else:
        env["AWS_ENDPOINT_URL_S3"] = d.s3_url
    return subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=180)


def test_aws_cli_cp_20mb():
    with gateway() as (d, _moto), tempfile.TemporaryDirectory() as tmp:
        svc = set_up_registry(d)
        creds = assume(d, svc, P1_READ_WRITE)
        config_file = os.path.join(tmp, "config")
        open(config_file, "w").close()
        r = subprocess.run([clients.AWS, "configure", "set", "default.s3.addressing_style", "path"],
                           env=dict(os.environ, AWS_CONFIG_FILE=config_file), capture_output=True, text=True,
                           timeout=60)
        assert r.returncode == 0, r.stderr
        assert "addressing_style = path" in open(config_file).read()

        src = os.path.join(tmp, "big.bin")
        data = os.urandom(20 * MiB)
        with open(src, "wb") as f:
            f.write(data)
        r = _aws_s3(d, config_file, creds, "s3", "cp", src, "s3://data/" + P1 + "big.bin")
        assert r.returncode == 0, f"aws s3 cp up exited {r.returncode}: {r.stderr}"
        r = _aws_s3(d, config_file, creds, "s3", "ls", "s3://data/" + P1, endpoint_flag=True)
        assert r.returncode == 0 and "big.bin" in r.stdout and str(20 * MiB) in r.stdout, (r.stdout, r.stderr)
        dst = os.path.join(tmp, "back.bin")
        r = _aws_s3(d, config_file, creds, "s3", "cp", "s3://data/" + P1 + "big.bin", dst, endpoint_flag=True)
        assert r.returncode == 0, f"aws s3 cp down exited {r.returncode}: {r.stderr}"
        with open(dst, "rb") as f:
            assert hashlib.sha256(f.read()).digest() == hashlib.sha256(data).digest(), "downloaded bytes differ"
        head = s3(d).head_object(Bucket="data", Key=P1 + "big.bin")
        assert head["ContentLength"] == 20 * MiB
        assert head["ETag"].strip('"').endswith("-3"), head["ETag"]  # the CLI's 8 MiB parts: multipart

        # Refusals reach the CLI as AccessDenied, and nothing is written.
        r = _aws_s3(d, config_file, creds, "s3", "cp", src, "s3://data/projects/p2/big.bin")
        assert r.returncode != 0 and "AccessDenied" in r.stderr, (r.returncode, r.stderr)
        r = _aws_s3(d, config_file, creds, "s3", "ls", "s3://data/")
        assert r.returncode != 0 and "AccessDenied" in r.stderr, (r.returncode, r.stdout, r.stderr)
        assert keys(d, "data") == [P1 + "big.bin"], keys(d, "data")


test_aws_cli_cp_20mb.timeout = 300


def test_sigv2_presigned_and_signed():
    """boto3's SigV2 forms (signature_version "s3"): not in the gateway's contract, so this test
    reports what the gateway does, and fails only if SigV2 gets through unverified or unauthorized."""
    with gateway() as (d, _moto):
        root = s3(d)
        root.create_bucket(Bucket="data")
        root.put_object(Bucket="data", Key="pub/blob", Body=b"v2 bytes")
        root.put_object(Bucket="data", Key="priv/blob", Body=b"secret")
        _, key = clients.user_with_key(d, "v2user")
        iam(d).put_user_policy(UserName="v2user", PolicyName="read", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/pub/*"}]}))
        v2 = s3_as(d, key, signature_version="s3")
        url = v2.generate_presigned_url("get_object", Params={"Bucket": "data", "Key": "pub/blob"}, ExpiresIn=300)
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
        assert "Signature" in q and "AWSAccessKeyId" in q, url
        status, body = http("GET", url)
        if status == 200:
            assert body == b"v2 bytes"
            print(f"    SigV2 presigned GET: works (200)")
        else:
            assert status in (400, 403) and xml_code(body), (status, body)
            print(f"    SigV2 presigned GET: refused, {status} {xml_code(body)}")
        # Whatever the gateway does with SigV2, a forged or unauthorized one must not pass.
        status, body = http("GET", url.replace("/pub/blob?", "/priv/blob?"))
        assert status in (400, 403), ("a SigV2 URL with another key's path was served", status, body)
        url = v2.generate_presigned_url("get_object", Params={"Bucket": "data", "Key": "priv/blob"})
        status, body = http("GET", url)
        assert status in (400, 403), ("SigV2 presigned GET without permission was served", status, body)
        forged = s3(d, key["AccessKeyId"], "x" * 40, signature_version="s3")
        url = forged.generate_presigned_url("get_object", Params={"Bucket": "data", "Key": "pub/blob"})
        status, body = http("GET", url)
        assert status in (400, 403), ("SigV2 URL with a wrong secret was served", status, body)

        # SigV2 in the Authorization header ("AWS AKIA...:signature").
        try:
            got = v2.get_object(Bucket="data", Key="pub/blob")["Body"].read()
            assert got == b"v2 bytes"
            print("    SigV2 header-signed GetObject: works")
        except ClientError as e:
            err = e.response["Error"]
            assert e.response["ResponseMetadata"]["HTTPStatusCode"] in (400, 403), e.response
            print(f"    SigV2 header-signed GetObject: refused, {err.get('Code')}")
        code, status = refused(v2.get_object, Bucket="data", Key="priv/blob")
        assert status in (400, 403), (code, status)
        code, status = refused(forged.get_object, Bucket="data", Key="pub/blob")
        assert status in (400, 403), (code, status)
        code, status = refused(forged.put_object, Bucket="data", Key="pub/forged", Body=b"x")
        assert status in (400, 403), (code, status)
        assert keys(d, "data") == ["priv/blob", "pub/blob"]


def _read_response(sock):
    """(status line, headers dict, body) of one HTTP/1.1 response with a Content-Length; None at
    EOF before a status line."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buf += chunk
    head, body = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
    while len(body) < int(headers.get("content-length", "0")):
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return lines[0], headers, body


def test_refused_upload_leaves_the_connection_usable_or_says_close():
    """botocore sends PutObject with `Expect: 100-continue`: a refusal answered before the body
    is read must either say `Connection: close` or keep serving that connection; closing it
    silently makes the client's next request on its pooled connection fail (RemoteDisconnected)."""
    import socket
    with gateway() as (d, _moto):
        svc = set_up_registry(d)
        s3(d).put_object(Bucket="data", Key=P1 + "blob", Body=b"blob")
        c = s3_as(d, assume(d, svc, P1_READ_WRITE))
        put = c.generate_presigned_url("put_object", Params={"Bucket": "data", "Key": "projects/p2/x"})
        get = c.generate_presigned_url("get_object", Params={"Bucket": "data", "Key": P1 + "blob"})
        host = d.s3_url[len("http://"):]
        for send_body in (False, True):
            with socket.create_connection(tuple(host.rsplit(":", 1)), timeout=10) as sock:
                sock.sendall((f"PUT {put[len(d.s3_url):]} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 4\r\n"
                              "Content-Type: application/octet-stream\r\nExpect: 100-continue\r\n\r\n").encode())
                first = _read_response(sock)
                assert first is not None, "no answer to the refused PUT"
                if first[0].split()[1] == "100":
                    raise AssertionError("the gateway asked for the body of a request it refuses")
                assert first[0].split()[1] == "403" and xml_code(first[2]) == "AccessDenied", first
                if first[1].get("connection", "").lower() == "close":
                    continue  # announced: the client will not reuse it
                try:
                    if send_body:  # a client may send the body anyway (RFC 9110 §10.1.1)
                        sock.sendall(b"data")
                    sock.sendall(f"GET {get[len(d.s3_url):]} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
                    second = _read_response(sock)
                except OSError as e:
                    second = e
                assert second is not None and not isinstance(second, OSError), (
                    f"body sent: {send_body}: the refused PUT was answered without 'Connection: close' "
                    f"({first[1]}), then the connection was closed under the next request ({second!r})")
                assert second[0].split()[1] == "200" and second[2] == b"blob", second
        assert keys(d, "data", "projects/p2/") == []


def test_virtual_host_style_with_a_domain():
    """With `[s3_gateway] domain`, `bucket.domain` names the bucket (boto3's virtual addressing);
    path style keeps working. Names under the domain resolve to 127.0.0.1 in this process only
    (socket.getaddrinfo is wrapped), so no resolver is needed."""
    import socket
    from s3_backend import MotoS3, gateway_daemon
    domain = "s3.iamd.test"
    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):
        if isinstance(host, str) and (host == domain or host.endswith("." + domain)):
            host = "127.0.0.1"
        return real(host, *args, **kwargs)

    moto = MotoS3().start()
    d = gateway_daemon(moto.url, config=f'[s3_gateway]\ndomain = "{domain}"\n').start()
    socket.getaddrinfo = resolve
    try:
        port = d.s3_url.rsplit(":", 1)[1]
        svc = set_up_registry(d)
        creds = assume(d, svc, P1_READ_WRITE)
        cfg = botocore.config.Config(s3={"addressing_style": "virtual"}, retries={"total_max_attempts": 1})
        vh = boto3.client("s3", endpoint_url=f"http://{domain}:{port}", region_name=REGION,
                          aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                          aws_session_token=creds["SessionToken"], config=cfg)
        seen = []
        vh.meta.events.register("before-send.s3", lambda request, **_: seen.append(request.url))
        vh.put_object(Bucket="data", Key=P1 + "vh", Body=b"virtual")
        assert seen[-1].startswith(f"http://data.{domain}:{port}/projects/"), seen
        assert vh.get_object(Bucket="data", Key=P1 + "vh")["Body"].read() == b"virtual"
        listed = vh.list_objects_v2(Bucket="data", Prefix=P1)
        assert [o["Key"] for o in listed["Contents"]] == [P1 + "vh"], listed
        # The policy is decided on the bucket the host names.
        assert_denied(vh.put_object, Bucket="other", Key=P1 + "vh", Body=b"x")
        assert_denied(vh.put_object, Bucket="data", Key="projects/p2/vh", Body=b"x")
        # Path style on the same gateway.
        assert s3_as(d, creds).get_object(Bucket="data", Key=P1 + "vh")["Body"].read() == b"virtual"
        assert keys(d, "other") == [] and keys(d, "data", "projects/p2/") == []
    finally:
        socket.getaddrinfo = real
        d.stop()
        moto.stop()


def test_object_versions_need_the_version_actions():
    """`?versionId=` asks for s3:GetObjectVersion / s3:DeleteObjectVersion (AWS's Service
    Authorization Reference): a session allowed GetObject and DeleteObject reads and deletes
    the current object, not an older version of it, nor copies from one."""
    with gateway() as (d, _moto):
        svc = set_up_registry(d)
        root = s3(d)
        root.put_bucket_versioning(Bucket="data", VersioningConfiguration={"Status": "Enabled"})
        old = root.put_object(Bucket="data", Key=P1 + "v", Body=b"old")["VersionId"]
        root.put_object(Bucket="data", Key=P1 + "v", Body=b"new")
        plain = s3_as(d, assume(d, svc, P1_READ_WRITE))
        assert plain.get_object(Bucket="data", Key=P1 + "v")["Body"].read() == b"new"
        assert_denied(plain.get_object, Bucket="data", Key=P1 + "v", VersionId=old)
        assert_head_denied(plain, Bucket="data", Key=P1 + "v", VersionId=old)
        assert_denied(plain.delete_object, Bucket="data", Key=P1 + "v", VersionId=old)
        assert_denied(plain.copy_object, Bucket="data", Key=P1 + "copy",
                      CopySource={"Bucket": "data", "Key": P1 + "v", "VersionId": old})
        # (AWS answers DeleteObjects 200 with a per-key AccessDenied; the gateway refuses the
        # whole request when any key is denied.)
        assert_denied(plain.delete_objects, Bucket="data", Delete={"Objects": [{"Key": P1 + "v", "VersionId": old}]})
        versions = root.list_object_versions(Bucket="data", Prefix=P1 + "v")["Versions"]
        assert old in [v["VersionId"] for v in versions], versions
        # With the version actions in the session policy, the same calls work.
        both = p1_session_policy("s3:GetObject", "s3:PutObject", "s3:GetObjectVersion", "s3:DeleteObjectVersion")
        versioned = s3_as(d, assume(d, svc, both, name="versions"))
        assert versioned.get_object(Bucket="data", Key=P1 + "v", VersionId=old)["Body"].read() == b"old"
        versioned.delete_object(Bucket="data", Key=P1 + "v", VersionId=old)
        versions = root.list_object_versions(Bucket="data", Prefix=P1 + "v")["Versions"]
        assert old not in [v["VersionId"] for v in versions], versions
