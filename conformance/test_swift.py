"""OpenStack Swift accepts iamd's keys: S3 requests to Swift's s3api, authenticated by its
s3token middleware asking iamd's Keystone API (`POST /v3/s3tokens`, with a service token the
middleware got from `POST /v3/auth/tokens` as the configured `swift` service user), authorized by
keystoneauth (operator roles admin, member) on the account `AUTH_<project id>`.

Each test gets its own iamd (with the service user in its config file) and its own all-in-one
Swift 2.38 (swift_cluster.py), from the second venv conformance/run makes; when that venv could
not be installed the tests are SKIPPED, loudly. Clients: boto3, SigV4 (and SigV2 in one test),
path-style addressing, endpoint = the Swift proxy.

What is expected follows Keystone's s3tokens contract as Swift uses it: a valid signature by an
active key gives the key owner's project and roles; a signature that does not match, or a call
without a valid service token, is 401, an unknown access key 404 ("EC2 access key not found.",
as keystone/api/_shared/EC2_S3_Resource.py answers); s3token turns any of them into a refusal
(S3 SignatureDoesNotMatch or AccessDenied). Refusals are checked to come from iamd's answer, read
in the proxy's DEBUG log ("Keystone reply error: status=N").
"""

import base64
import json
import socketserver
import threading
import urllib.error
import urllib.request

from botocore.exceptions import ClientError

import swift_cluster
from clients import ACCOUNT, as_key, iam, sts
from swift_cluster import iamd_with_swift, s3_client

SWIFT_ACCOUNT = f"AUTH_{ACCOUNT}"
PASSWORD = "Correct-Horse-Battery-9"  # a login profile's
REFUSED = {"AccessDenied", "SignatureDoesNotMatch", "InvalidAccessKeyId"}


def refused(cluster, call, *args, **kwargs):
    """Runs an S3 call Swift must refuse because iamd refused it: s3token logs "Keystone reply
    error: status=N" for a non-2xx answer to POST /v3/s3tokens (Keystone answers 401 for a bad
    signature, 404 "EC2 access key not found." for an unknown key; s3token turns both into a
    refusal). Returns (S3 code, HTTP status, iamd's status)."""
    marker = "Keystone reply error: status="
    before = cluster.proxy_log().count(marker)
    try:
        result = call(*args, **kwargs)
    except ClientError as e:
        code = e.response["Error"].get("Code")
        status = e.response["ResponseMetadata"]["HTTPStatusCode"]
        assert code in REFUSED and status in (401, 403), (code, status, e.response)
        log = cluster.proxy_log()
        assert log.count(marker) == before + 1, \
            "Swift refused, but not because iamd refused s3tokens:\n" + log[-4000:]
        return code, status, int(log.rsplit(marker, 1)[1][:3])
    raise AssertionError(f"Swift accepted a request it had to refuse: {result!r}")


def swift_s3(cluster, key, **kw):
    return s3_client(cluster, key["AccessKeyId"], key["SecretAccessKey"], token=key.get("SessionToken"), **kw)


def round_trip(s3, bucket, key="dir/hello.txt", body=b"hello from iamd's key\n"):
    """Creates `bucket`, puts, lists, heads and gets one object."""
    s3.create_bucket(Bucket=bucket)
    assert bucket in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    put = s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="text/plain")
    listed = s3.list_objects_v2(Bucket=bucket)
    assert [(o["Key"], o["Size"]) for o in listed["Contents"]] == [(key, len(body))], listed
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="dir/")["Contents"]] == [key]
    head = s3.head_object(Bucket=bucket, Key=key)
    assert head["ContentLength"] == len(body) and head["ETag"] == put["ETag"]
    got = s3.get_object(Bucket=bucket, Key=key)
    assert got["Body"].read() == body
    assert got["ContentType"] == "text/plain"


def in_swift_account(cluster, bucket):
    """Whether the proxy stored `bucket` in the Swift account of iamd's account (project)."""
    return f"/v1/{SWIFT_ACCOUNT}/{bucket}" in cluster.proxy_log()


def s3tokens_requests(cluster):
    """The credentials s3token sent to POST /v3/s3tokens, from the proxy's DEBUG log."""
    marker = "Connecting to Keystone sending this JSON: "
    out = []
    for line in cluster.proxy_log().splitlines():
        if marker in line:
            text = line.split(marker, 1)[1]
            out.append(json.JSONDecoder().raw_decode(text)[0]["credentials"])
    return out


def test_swift_accepts_an_iam_access_key():
    with iamd_with_swift() as (d, cluster):
        c = iam(d)
        c.create_user(UserName="alice")
        key = c.create_access_key(UserName="alice")["AccessKey"]
        s3 = swift_s3(cluster, key)
        round_trip(s3, "alice-bucket")
        assert in_swift_account(cluster, "alice-bucket"), cluster.proxy_log()[-3000:]
        # Another user of the same account has the same project: the same Swift account.
        c.create_user(UserName="bob")
        bob = swift_s3(cluster, c.create_access_key(UserName="bob")["AccessKey"])
        assert bob.get_object(Bucket="alice-bucket", Key="dir/hello.txt")["Body"].read() == \
            b"hello from iamd's key\n"
        bob.delete_object(Bucket="alice-bucket", Key="dir/hello.txt")
        assert s3.list_objects_v2(Bucket="alice-bucket")["KeyCount"] == 0
        s3.delete_bucket(Bucket="alice-bucket")
        assert "alice-bucket" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
        # The root's own key works too (Keystone role admin).
        root = s3_client(cluster, d.env["AWS_ACCESS_KEY_ID"], d.env["AWS_SECRET_ACCESS_KEY"])
        round_trip(root, "root-bucket")


def test_swift_refuses_a_wrong_secret_and_an_unknown_key():
    with iamd_with_swift() as (d, cluster):
        c = iam(d)
        c.create_user(UserName="alice")
        key = c.create_access_key(UserName="alice")["AccessKey"]
        swift_s3(cluster, key).create_bucket(Bucket="alice-bucket")
        wrong = dict(key, SecretAccessKey=key["SecretAccessKey"][:-1] + ("A" if key["SecretAccessKey"][-1] != "A" else "B"))
        # As Keystone: a signature that does not match is 401 ...
        assert refused(cluster, swift_s3(cluster, wrong).list_buckets)[2] == 401
        assert refused(cluster, swift_s3(cluster, wrong).put_object, Bucket="alice-bucket", Key="x", Body=b"x")[2] == 401
        # ... and an access key it does not know 404 ("EC2 access key not found.").
        unknown = {"AccessKeyId": "AKIAZZZZZZZZZZZZZZZZ", "SecretAccessKey": key["SecretAccessKey"]}
        assert refused(cluster, swift_s3(cluster, unknown).list_buckets)[2] == 404
        # The right key still works after the refusals.
        assert swift_s3(cluster, key).list_objects_v2(Bucket="alice-bucket")["KeyCount"] == 0


def test_swift_refuses_a_deactivated_or_deleted_key_on_the_next_request():
    with iamd_with_swift() as (d, cluster):
        c = iam(d)
        c.create_user(UserName="alice")
        key = c.create_access_key(UserName="alice")["AccessKey"]
        s3 = swift_s3(cluster, key)
        s3.create_bucket(Bucket="alice-bucket")
        s3.put_object(Bucket="alice-bucket", Key="k", Body=b"v")

        c.update_access_key(UserName="alice", AccessKeyId=key["AccessKeyId"], Status="Inactive")
        refused(cluster, s3.get_object, Bucket="alice-bucket", Key="k")
        refused(cluster, s3.list_buckets)
        c.update_access_key(UserName="alice", AccessKeyId=key["AccessKeyId"], Status="Active")
        assert s3.get_object(Bucket="alice-bucket", Key="k")["Body"].read() == b"v"

        c.delete_access_key(UserName="alice", AccessKeyId=key["AccessKeyId"])
        refused(cluster, s3.get_object, Bucket="alice-bucket", Key="k")
        refused(cluster, s3.put_object, Bucket="alice-bucket", Key="k2", Body=b"v2")
        # What the deleted key stored is still there for the account's other keys.
        other = swift_s3(cluster, c.create_access_key(UserName="alice")["AccessKey"])
        assert other.get_object(Bucket="alice-bucket", Key="k")["Body"].read() == b"v"


def assumed_role_credentials(d, user="alice"):
    """Temporary credentials of role `storage` (trusting the account root; inline policy s3:*),
    assumed by a new `user`, whom an inline policy allows sts:AssumeRole on it."""
    c = iam(d)
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}]}
    role = c.create_role(RoleName="storage", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    c.put_role_policy(RoleName="storage", PolicyName="s3", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
    c.create_user(UserName=user)
    c.put_user_policy(UserName=user, PolicyName="assume", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role["Arn"]}]}))
    key = c.create_access_key(UserName=user)["AccessKey"]
    return as_key(sts, d, key).assume_role(RoleArn=role["Arn"], RoleSessionName="swift")["Credentials"]


def test_swift_accepts_assume_role_credentials():
    with iamd_with_swift() as (d, cluster):
        creds = assumed_role_credentials(d)
        assert creds["AccessKeyId"].startswith("ASIA")
        s3 = swift_s3(cluster, creds)
        round_trip(s3, "role-bucket")
        assert in_swift_account(cluster, "role-bucket"), cluster.proxy_log()[-3000:]
        # A temporary key signing with a wrong secret is refused like any other.
        refused(cluster, swift_s3(cluster, dict(creds, SecretAccessKey="x" * 40)).list_buckets)


def test_swift_accepts_sigv2():
    """boto3's signature_version='s3' (AWS signature version 2, HMAC-SHA1): s3token sends
    Keystone the V2 string to sign and its base64 signature. Object requests only: for a
    bucket (CreateBucket, ListObjects) botocore signs the resource "/bucket/" while Swift's s3api
    computes "/bucket", so those fail with any auth (tempauth too), nothing to do with iamd."""
    with iamd_with_swift() as (d, cluster):
        c = iam(d)
        c.create_user(UserName="alice")
        key = c.create_access_key(UserName="alice")["AccessKey"]
        swift_s3(cluster, key).create_bucket(Bucket="v2-bucket")  # SigV4
        v2 = swift_s3(cluster, key, signature_version="s3")
        v2.put_object(Bucket="v2-bucket", Key="dir/v2.txt", Body=b"signed with HMAC-SHA1", ContentType="text/plain")
        assert v2.head_object(Bucket="v2-bucket", Key="dir/v2.txt")["ContentLength"] == 21
        got = v2.get_object(Bucket="v2-bucket", Key="dir/v2.txt")
        assert got["Body"].read() == b"signed with HMAC-SHA1" and got["ContentType"] == "text/plain"
        # iamd was asked about V2 strings to sign (s3token logs what it sends at DEBUG).
        sent = s3tokens_requests(cluster)
        assert any(base64.urlsafe_b64decode(c["token"]).startswith(b"GET\n") for c in sent), sent
        refused(cluster, swift_s3(cluster, dict(key, SecretAccessKey="x" * 40), signature_version="s3").get_object,
                Bucket="v2-bucket", Key="dir/v2.txt")
        c.update_access_key(UserName="alice", AccessKeyId=key["AccessKeyId"], Status="Inactive")
        refused(cluster, v2.get_object, Bucket="v2-bucket", Key="dir/v2.txt")


def test_swift_needs_its_service_user():
    """s3token calls /v3/s3tokens with the token of its service user (Keystone has required
    one since 2025, s3token warns "New versions of keystone require service auth"): with a
    wrong service password it gets no token, and iamd must not vouch for the request."""
    with iamd_with_swift(service_password="not-the-service-password") as (d, cluster):
        c = iam(d)
        c.create_user(UserName="alice")
        key = c.create_access_key(UserName="alice")["AccessKey"]
        assert refused(cluster, swift_s3(cluster, key).list_buckets)[2] == 401
        assert "Failed to get service token" in cluster.proxy_log(), cluster.proxy_log()[-5000:]


def keystone_token(d, user, password, project=ACCOUNT):
    """POST /v3/auth/tokens (password method, Default domain, project-scoped); the X-Subject-Token."""
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": user, "password": password, "domain": {"name": "Default"}}}},
        "scope": {"project": {"name": project, "domain": {"name": "Default"}}}}}
    req = urllib.request.Request(f"{d.url}/v3/auth/tokens", data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.status == 201, r.status
        return r.headers["X-Subject-Token"]


def swift_api(cluster, method, path, token, body=None):
    """One request to Swift's own API (/v1/...) with X-Auth-Token; (status, body)."""
    req = urllib.request.Request(cluster.url + path, data=body, method=method,
                                 headers={"X-Auth-Token": token} if token else {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_swift_native_api_accepts_an_iamd_token():
    """Swift's own API with a Keystone token from iamd: keystonemiddleware's authtoken validates
    it (GET /v3/auth/tokens with X-Subject-Token, as the service user) and keystoneauth lets
    the project's member into AUTH_<project id>; the S3 side sees the same containers."""
    with iamd_with_swift() as (d, cluster):
        c = iam(d)
        c.create_user(UserName="alice")
        c.create_login_profile(UserName="alice", Password=PASSWORD)
        token = keystone_token(d, "alice", PASSWORD)
        account = f"/v1/{SWIFT_ACCOUNT}"
        assert swift_api(cluster, "PUT", f"{account}/native", token)[0] in (201, 202)
        assert swift_api(cluster, "PUT", f"{account}/native/obj.txt", token, b"via X-Auth-Token")[0] == 201
        assert swift_api(cluster, "GET", f"{account}/native/obj.txt", token) == (200, b"via X-Auth-Token")
        status, listing = swift_api(cluster, "GET", f"{account}/native?format=json", token)
        assert status == 200 and [o["name"] for o in json.loads(listing)] == ["obj.txt"], listing
        # The same account through S3 with one of alice's keys.
        s3 = swift_s3(cluster, c.create_access_key(UserName="alice")["AccessKey"])
        assert s3.get_object(Bucket="native", Key="obj.txt")["Body"].read() == b"via X-Auth-Token"
        # No token, a made-up token: 401. The service user's token is scoped to project
        # `service`: AUTH_service would be its account, not this one (403).
        assert swift_api(cluster, "GET", f"{account}/native", None)[0] == 401
        assert swift_api(cluster, "GET", f"{account}/native", "gAAAAABnot-a-token")[0] == 401
        service = keystone_token(d, swift_cluster.SERVICE_USER, swift_cluster.SERVICE_PASSWORD, project="service")
        assert swift_api(cluster, "GET", f"{account}/native", service)[0] == 403
        # What authtoken asked for the made-up token: Keystone answers an invalid X-Subject-Token
        # with 404 (TokenNotFound), keeping 401 for an invalid X-Auth-Token, the caller's own.
        # On a 401 authtoken takes its service token for the bad one: it logs in again
        # (POST /v3/auth/tokens) and repeats the check, for every request with a bad token.
        req = urllib.request.Request(f"{d.url}/v3/auth/tokens", method="GET",
                                     headers={"X-Auth-Token": service, "X-Subject-Token": "gAAAAABnot-a-token"})
        try:
            urllib.request.urlopen(req, timeout=10)
            raise AssertionError("iamd validated a made-up token")
        except urllib.error.HTTPError as e:
            assert e.code == 404, f"GET /v3/auth/tokens with an invalid X-Subject-Token: {e.code} {e.read()!r}, Keystone says 404"


# --- s3token's secret cache ----------------------------------------------------------------------


class _Memcached(socketserver.ThreadingTCPServer):
    """Just enough of memcached's text protocol (get, set, add, delete, incr, decr, touch) for
    Swift's memcache client, in this process, on a free 127.0.0.1 port."""
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        self.store = {}
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _MemcachedHandler)


class _MemcachedHandler(socketserver.StreamRequestHandler):
    def handle(self):
        store, lock = self.server.store, self.server.lock
        while True:
            line = self.rfile.readline()
            if not line:
                return
            parts = line.split()
            if not parts:
                continue
            cmd, args = parts[0].lower(), parts[1:]
            noreply = args[-1:] == [b"noreply"]
            if noreply:
                args = args[:-1]
            out = b""
            with lock:
                if cmd in (b"get", b"gets"):
                    for k in args:
                        if k in store:
                            flags, value = store[k]
                            out += b"VALUE %s %d %d\r\n%s\r\n" % (k, flags, len(value), value)
                    out += b"END\r\n"
                elif cmd in (b"set", b"add"):
                    k, flags, n = args[0], int(args[1]), int(args[3])  # args[2]: expiry, ignored
                    value = self.rfile.read(n + 2)[:n]
                    if cmd == b"add" and k in store:
                        out = b"NOT_STORED\r\n"
                    else:
                        store[k] = (flags, value)
                        out = b"STORED\r\n"
                elif cmd == b"delete":
                    out = b"DELETED\r\n" if store.pop(args[0], None) else b"NOT_FOUND\r\n"
                elif cmd in (b"incr", b"decr"):
                    if args[0] not in store:
                        out = b"NOT_FOUND\r\n"
                    else:
                        flags, value = store[args[0]]
                        n = int(value) + (int(args[1]) if cmd == b"incr" else -int(args[1]))
                        store[args[0]] = (flags, b"%d" % max(n, 0))
                        out = b"%d\r\n" % max(n, 0)
                elif cmd == b"touch":
                    out = b"TOUCHED\r\n" if args[0] in store else b"NOT_FOUND\r\n"
                else:
                    out = b"ERROR\r\n"
            if not noreply:
                self.wfile.write(out)


def test_swift_secret_cache_fetches_the_ec2_credential():
    """With a cache, s3token asks iamd once per key: POST /v3/s3tokens, then it fetches the key's
    secret with its service token (keystoneclient's ec2.get: GET
    /v3/users/{user_id}/credentials/OS-EC2/{access}) and checks later signatures itself."""
    swift_cluster.require_openstack_venv()
    mc = _Memcached()
    threading.Thread(target=mc.serve_forever, daemon=True).start()
    try:
        port = mc.server_address[1]
        with iamd_with_swift(secret_cache_duration=300, memcache_servers=f"127.0.0.1:{port}") as (d, cluster):
            c = iam(d)
            c.create_user(UserName="alice")
            key = c.create_access_key(UserName="alice")["AccessKey"]
            s3 = swift_s3(cluster, key)
            s3.create_bucket(Bucket="cached-bucket")
            log = cluster.proxy_log()
            assert "Cached keystone credentials" in log, \
                "s3token could not fetch the EC2 credential's secret from iamd:\n" + log[-5000:]
            assert "Unable to cache secret" not in log, log[-5000:]
            assert mc.store, "nothing was cached"
            # The cached secret checks the next signatures: they must still verify.
            s3.put_object(Bucket="cached-bucket", Key="k", Body=b"v")
            assert s3.get_object(Bucket="cached-bucket", Key="k")["Body"].read() == b"v"
            assert cluster.proxy_log().count("Cached creds valid") >= 2, cluster.proxy_log()[-5000:]
            refused(cluster, swift_s3(cluster, dict(key, SecretAccessKey="x" * 40)).list_buckets)

            # A temporary key's secret is fetched the same way (its user id is the role session's).
            temp = swift_s3(cluster, assumed_role_credentials(d, user="bob"))
            assert temp.get_object(Bucket="cached-bucket", Key="k")["Body"].read() == b"v"
            log = cluster.proxy_log()
            assert log.count("Cached keystone credentials") == 2 and "Unable to cache secret" not in log, log[-5000:]
            valid = log.count("Cached creds valid")
            assert temp.get_object(Bucket="cached-bucket", Key="k")["Body"].read() == b"v"
            assert cluster.proxy_log().count("Cached creds valid") == valid + 1, cluster.proxy_log()[-5000:]
    finally:
        mc.shutdown()
        mc.server_close()
