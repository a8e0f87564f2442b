"""kill -9 at many points of a mixed write load, on one data dir: after every restart each
acknowledged create is there (an access key's secret still signs) and each acknowledged delete
stays deleted.

Each cycle starts iamd on the same data dir, runs WRITERS threads that create and delete users,
access keys, managed policies, roles, Keystone EC2 credentials (/v3/users/{id}/credentials/OS-EC2)
and Keystone credentials (/v3/credentials, sealed blobs), and SIGKILLs the daemon after a random
delay. The model of what was acknowledged carries over all cycles, so a later crash cannot undo
an earlier acknowledgement unnoticed.

CRASH_KILL_POINTS (default 20) sets the number of cycles; CRASH_SEED repeats a run's delays.
A write whose request got no answer (the kill) may or may not have happened: it is neither
required nor forbidden afterwards. Each writer stops at its first unanswered request.
"""

import http.client
import json
import os
import random
import signal
import threading
from collections import Counter
import time
import urllib.error
import urllib.request

import botocore.config
from botocore.exceptions import BotoCoreError, ClientError

from daemon import ACCOUNT, REGION, ROOT_KEY_ID, ROOT_SECRET, Daemon
from test_stress import Sessions

KILL_POINTS = int(os.environ.get("CRASH_KILL_POINTS", "20"))
WRITERS = 12
PATH = "/crash/"
SERVICE = ("crash-svc", "crash-service-password-0123")
CONFIG = f"""
[[keystone.service_users]]
name = "{SERVICE[0]}"
password = "{SERVICE[1]}"
project = "service"
roles = ["admin"]
"""
BOTO = botocore.config.Config(connect_timeout=5, read_timeout=10, retries={"total_max_attempts": 1})
# Delays before the kill, in seconds: from the first writes to well into the load.
DELAYS = (0.02, 1.2)


class Unanswered(Exception):  # noqa: N818 - control flow: the daemon is gone
    pass


def keystone(d, method, path, token=None, body=None):
    """One /v3 request; (status, JSON body or None, headers). No answer: Unanswered."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["X-Auth-Token"] = token
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(d.url + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            raw = r.read()
            return r.status, (json.loads(raw) if raw else None), r.headers
    except urllib.error.HTTPError as e:
        raw = e.read()
        return e.code, (json.loads(raw) if raw else None), e.headers
    except (urllib.error.URLError, OSError, http.client.HTTPException) as e:
        raise Unanswered from e


def service_token(d):
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": SERVICE[0], "password": SERVICE[1], "domain": {"name": "Default"}}}},
        "scope": {"project": {"name": "service", "domain": {"name": "Default"}}}}}
    status, _, headers = keystone(d, "POST", "/v3/auth/tokens", body=body)
    assert status == 201, status
    return headers["X-Subject-Token"]


class Model:
    """What one writer had acknowledged, over all cycles. `maybe` is the write of the current
    cycle that got no answer: (kind, name)."""

    def __init__(self, w):
        self.w = w
        self.n = 0
        self.users = set()
        self.policies = set()
        self.roles = set()
        self.keys = {}  # IAM access keys of the key user: id -> secret
        self.ec2 = {}  # OS-EC2 credentials of the Keystone user: access -> secret
        self.blobs = {}  # /v3/credentials: id -> blob
        self.deleted = {"user": set(), "policy": set(), "role": set(), "key": {}, "ec2": {}, "blob": set()}
        self.deleted_now = []  # (kind, id, secret) deleted in this cycle, to check by signing
        self.maybe = None
        self.acked = 0
        self.by_kind = Counter()  # acknowledged writes per kind of entity

    def name(self, kind):
        self.n += 1
        return f"{kind}-w{self.w:02d}-{self.n:05d}"


class Writer:
    def __init__(self, model, session, d, token, key_user, ks_user_id, rng):
        self.m = model
        self.d = d
        self.token = token
        self.key_user = key_user
        self.ks_user_id = ks_user_id
        self.rng = rng
        self.iam = session.client("iam", endpoint_url=d.url, region_name=REGION, aws_access_key_id=ROOT_KEY_ID,
                                  aws_secret_access_key=ROOT_SECRET, config=BOTO)
        self.error = None

    def call(self, kind, name, f, **kw):
        self.m.maybe = (kind, name)
        try:
            out = f(**kw)
        except (BotoCoreError, OSError) as e:
            raise Unanswered from e
        self.m.maybe = None
        self.m.acked += 1
        self.m.by_kind[kind] += 1
        return out

    def ks(self, kind, name, method, path, body=None, want=201):
        self.m.maybe = (kind, name)
        status, out, _ = keystone(self.d, method, path, self.token, body)
        assert status == want, f"{method} {path}: {status} {out}"
        self.m.maybe = None
        self.m.acked += 1
        self.m.by_kind[kind] += 1
        return out

    def step(self):
        m, c = self.m, self.iam
        op = self.rng.choice(("user", "key", "policy", "role", "ec2", "blob"))
        # Create while fewer than two are held, else delete one: every kind is both created and
        # deleted all along, and the held set stays small.
        if op == "user":
            if len(m.users) < 2:
                n = m.name("u")
                self.call("user", n, c.create_user, UserName=n, Path=PATH)
                m.users.add(n)
            else:
                n = self.rng.choice(sorted(m.users))
                self.call("user", n, c.delete_user, UserName=n)
                m.users.discard(n)
                m.deleted["user"].add(n)
        elif op == "key":
            if len(m.keys) < 2:
                k = self.call("key", None, c.create_access_key, UserName=self.key_user)["AccessKey"]
                m.keys[k["AccessKeyId"]] = k["SecretAccessKey"]
            else:
                kid = self.rng.choice(sorted(m.keys))
                self.call("key", kid, c.delete_access_key, UserName=self.key_user, AccessKeyId=kid)
                m.deleted["key"][kid] = m.keys.pop(kid)
                m.deleted_now.append(("key", kid, m.deleted["key"][kid]))
        elif op == "policy":
            if len(m.policies) < 2:
                n = m.name("p")
                document = {"Version": "2012-10-17",
                            "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]}
                self.call("policy", n, c.create_policy, PolicyName=n, Path=PATH, PolicyDocument=json.dumps(document))
                m.policies.add(n)
            else:
                n = self.rng.choice(sorted(m.policies))
                self.call("policy", n, c.delete_policy, PolicyArn=f"arn:aws:iam::{ACCOUNT}:policy{PATH}{n}")
                m.policies.discard(n)
                m.deleted["policy"].add(n)
        elif op == "role":
            if len(m.roles) < 2:
                n = m.name("r")
                trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
                    "AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}]}
                self.call("role", n, c.create_role, RoleName=n, Path=PATH, AssumeRolePolicyDocument=json.dumps(trust))
                m.roles.add(n)
            else:
                n = self.rng.choice(sorted(m.roles))
                self.call("role", n, c.delete_role, RoleName=n)
                m.roles.discard(n)
                m.deleted["role"].add(n)
        elif op == "ec2":
            base = f"/v3/users/{self.ks_user_id}/credentials/OS-EC2"
            if len(m.ec2) < 2:
                cred = self.ks("ec2", None, "POST", base, {"tenant_id": ACCOUNT})["credential"]
                m.ec2[cred["access"]] = cred["secret"]
            else:
                access = self.rng.choice(sorted(m.ec2))
                self.ks("ec2", access, "DELETE", f"{base}/{access}", want=204)
                m.deleted["ec2"][access] = m.ec2.pop(access)
                m.deleted_now.append(("ec2", access, m.deleted["ec2"][access]))
        else:
            if len(m.blobs) < 2:
                blob = json.dumps({"writer": m.w, "n": m.name("b")})
                body = {"credential": {"type": "cert", "blob": blob, "user_id": self.ks_user_id}}
                cred = self.ks("blob", None, "POST", "/v3/credentials", body)["credential"]
                m.blobs[cred["id"]] = blob
            else:
                cid = self.rng.choice(sorted(m.blobs))
                self.ks("blob", cid, "DELETE", f"/v3/credentials/{cid}", want=204)
                m.blobs.pop(cid)
                m.deleted["blob"].add(cid)

    def run(self, stop):
        try:
            while not stop.is_set():
                self.step()
        except Unanswered:
            pass
        except Exception as e:  # noqa: BLE001 - reported by the main thread
            self.error = f"writer {self.m.w}: {type(e).__name__}: {e}"


def listed(c, method, key, field, **kw):
    return {x[field] for page in c.get_paginator(method).paginate(**kw) for x in page[key]}


def check_set(problems, what, got, acked, deleted, maybe):
    """acked ⊆ got ⊆ acked ∪ maybe, and no acknowledged delete is back (`maybe`: the names of
    writes without an answer, which may or may not have happened)."""
    lost = acked - got - maybe
    back = (got & deleted) - maybe
    extra = got - acked - deleted - maybe
    if lost:
        problems.append(f"{what}: acknowledged creates lost: {sorted(lost)[:10]}")
    if back:
        problems.append(f"{what}: acknowledged deletes back: {sorted(back)[:10]}")
    if extra:
        problems.append(f"{what}: never acknowledged nor tried: {sorted(extra)[:10]}")


def settle_named(m, kind, held, got):
    """After the checks: a named write without an answer (a create of a known name, or a
    delete) is decided by what the daemon holds, so later cycles hold the outcome to the rules."""
    if not (m.maybe and m.maybe[0] == kind and m.maybe[1] is not None):
        return
    name = m.maybe[1]
    if name in got and isinstance(held, set):
        held.add(name)
    elif name not in got and name in held:
        if isinstance(held, set):
            held.discard(name)
            m.deleted[kind].add(name)
        else:
            value = held.pop(name)
            target = m.deleted[kind]
            if isinstance(target, set):
                target.add(name)
            else:
                target[name] = value


class Verifier:
    def __init__(self, d, session):
        self.d = d
        self.session = session
        self.c = session.client("iam", endpoint_url=d.url, region_name=REGION, aws_access_key_id=ROOT_KEY_ID,
                                aws_secret_access_key=ROOT_SECRET, config=BOTO)
        self.clients = {}
        self.problems = []
        self.signed = 0

    def signs_as(self, key_id, secret):
        """The ARN the key signs as, or the error code it gets."""
        if key_id not in self.clients:
            self.clients[key_id] = self.session.client("sts", endpoint_url=self.d.url, region_name=REGION,
                                                       aws_access_key_id=key_id, aws_secret_access_key=secret,
                                                       config=BOTO)
        self.signed += 1
        try:
            return self.clients[key_id].get_caller_identity()["Arn"]
        except ClientError as e:
            return e.response["Error"]["Code"]

    def entities(self, models, homes):
        home_names = {n for h in homes.values() for n in h[:2]}
        for kind, method, key, field, extra in (
                ("user", "list_users", "Users", "UserName", {}),
                ("policy", "list_policies", "Policies", "PolicyName", {"Scope": "Local"}),
                ("role", "list_roles", "Roles", "RoleName", {})):
            got = listed(self.c, method, key, field, PathPrefix=PATH, **extra) - home_names
            attr = {"user": "users", "policy": "policies", "role": "roles"}[kind]
            maybe = {m.maybe[1] for m in models if m.maybe and m.maybe[0] == kind}
            check_set(self.problems, f"{kind}s", got, set().union(*(getattr(m, attr) for m in models)),
                      set().union(*(m.deleted[kind] for m in models)), maybe)
            for m in models:
                settle_named(m, kind, getattr(m, attr), got)

    def keys(self, m, kind, held, user):
        """IAM keys or EC2 credentials of one user: the listing, each held key signing as its user,
        each key deleted in this cycle refused."""
        got = {k["AccessKeyId"] for k in self.c.list_access_keys(UserName=user)["AccessKeyMetadata"]}
        mine = m.maybe is not None and m.maybe[0] == kind
        maybe = {m.maybe[1]} if mine and m.maybe[1] else set()
        lost = set(held) - got - maybe
        back = (got & set(m.deleted[kind])) - maybe
        unknown = got - set(held) - set(m.deleted[kind])
        if lost or back or len(unknown) > (1 if mine and m.maybe[1] is None else 0):
            self.problems.append(f"writer {m.w} {kind}s: acknowledged creates lost {sorted(lost)}, acknowledged "
                                 f"deletes back {sorted(back)}, never acknowledged {sorted(unknown)}")
        for key_id, secret in held.items():
            if key_id in maybe and key_id not in got:
                continue
            arn = self.signs_as(key_id, secret)
            if arn != f"arn:aws:iam::{ACCOUNT}:user{PATH}{user}":
                self.problems.append(f"writer {m.w}: acknowledged {kind} {key_id} signs as {arn}")
        for k, key_id, secret in m.deleted_now:
            if k == kind:
                code = self.signs_as(key_id, secret)
                if code != "InvalidClientTokenId":
                    self.problems.append(f"writer {m.w}: deleted {kind} {key_id} answers {code}")
        settle_named(m, kind, held, got)
        # A create without an answer may have made a key whose secret nobody saw: delete it, so the
        # two-key quota stays the model's.
        for key_id in unknown:
            self.c.delete_access_key(UserName=user, AccessKeyId=key_id)
            m.deleted[kind][key_id] = None

    def blobs(self, m, token, user_id):
        status, body, _ = keystone(self.d, "GET", f"/v3/credentials?user_id={user_id}&type=cert", token)
        assert status == 200, (status, body)
        got = {x["id"]: x["blob"] for x in body["credentials"]}
        mine = m.maybe is not None and m.maybe[0] == "blob"
        maybe = {m.maybe[1]} if mine and m.maybe[1] else set()
        for cid, blob in m.blobs.items():
            if cid not in maybe and got.get(cid) != blob:
                self.problems.append(f"writer {m.w}: credential {cid} is {got.get(cid)!r}, acknowledged {blob!r}")
        unknown = set(got) - set(m.blobs) - m.deleted["blob"] - maybe
        back = (set(got) & m.deleted["blob"]) - maybe
        if back or len(unknown) > (1 if mine and m.maybe[1] is None else 0):
            self.problems.append(f"writer {m.w} credentials: deleted but back {sorted(back)}, unknown {sorted(unknown)}")
        settle_named(m, "blob", m.blobs, got)
        for cid in unknown:  # a create that landed without an answer: held from now on
            m.blobs[cid] = got[cid]


def verify(d, session, models, homes):
    """Every model's acknowledged state against the restarted daemon: (problems, keys signed)."""
    v = Verifier(d, session)
    v.entities(models, homes)
    token = service_token(d)
    for m in models:
        key_user, ks_user, ks_id = homes[m.w]
        v.keys(m, "key", m.keys, key_user)
        v.keys(m, "ec2", m.ec2, ks_user)
        v.blobs(m, token, ks_id)
    return v.problems, v.signed


def setup(d, session):
    """Per writer: an IAM user for access keys and one for Keystone EC2 credentials."""
    c = session.client("iam", endpoint_url=d.url, region_name=REGION, aws_access_key_id=ROOT_KEY_ID,
                       aws_secret_access_key=ROOT_SECRET, config=BOTO)
    homes = {}
    for w in range(WRITERS):
        key_user, ks_user = f"keys-w{w:02d}", f"ks-w{w:02d}"
        c.create_user(UserName=key_user, Path=PATH)
        ks_id = c.create_user(UserName=ks_user, Path=PATH)["User"]["UserId"]
        homes[w] = (key_user, ks_user, ks_id)
    return homes


def test_kill_9_at_20_points_across_users_keys_policies_roles_and_keystone_credentials():
    seed = int(os.environ.get("CRASH_SEED", time.time_ns() % 10**6))
    rng = random.Random(seed)
    print(f"    {KILL_POINTS} kill points, {WRITERS} writers, CRASH_SEED={seed}", flush=True)
    sessions = Sessions(WRITERS + 1)
    d = Daemon(config=CONFIG)
    d.start()
    homes = setup(d, sessions[WRITERS])
    models = [Model(w) for w in range(WRITERS)]
    total_acked = verified = 0
    started = time.monotonic()
    try:
        for point in range(1, KILL_POINTS + 1):
            token = service_token(d)
            stop = threading.Event()
            before = sum(m.acked for m in models)
            for m in models:
                m.maybe = None
                m.deleted_now = []
            writers = [Writer(m, sessions[m.w], d, token, homes[m.w][0], homes[m.w][2],
                              random.Random(rng.random())) for m in models]
            threads = [threading.Thread(target=w.run, args=(stop,), daemon=True) for w in writers]
            for t in threads:
                t.start()
            delay = rng.uniform(*DELAYS)
            time.sleep(delay)
            os.kill(d.proc.pid, signal.SIGKILL)
            stop.set()
            for t in threads:
                t.join(20)
            assert not any(t.is_alive() for t in threads), f"kill point {point}: a writer hung"
            errors = [w.error for w in writers if w.error]
            assert not errors, f"kill point {point}: " + "\n".join(errors)
            assert d.kill9() == -signal.SIGKILL
            acked = sum(m.acked for m in models) - before
            total_acked += acked
            d.start()
            problems, n = verify(d, sessions[WRITERS], models, homes)
            verified += n
            assert not problems, f"kill point {point} (after {delay:.2f}s, {acked} acknowledged):\n" + "\n".join(
                problems[:30])
            print(f"    kill point {point}: kill -9 after {delay:.2f}s, {acked} writes acknowledged, "
                  f"{sum(1 for m in models if m.maybe)} unanswered, 0 lost", flush=True)
        code = d.stop()
        assert code == 0, f"iamd exited {code} on SIGTERM after the last restart"
    finally:
        d.close()
    print(f"    {KILL_POINTS} kill points in {time.monotonic() - started:.0f}s: {total_acked} writes acknowledged, "
          f"0 lost; {verified} keys checked by signing; acknowledged by kind: "
          f"{dict(sum((m.by_kind for m in models), Counter()))}", flush=True)


test_kill_9_at_20_points_across_users_keys_policies_roles_and_keystone_credentials.timeout = 60 + 6 * KILL_POINTS
