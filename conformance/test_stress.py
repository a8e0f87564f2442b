"""Concurrent writers and readers on fresh daemons: iamd never hangs, /healthz keeps answering,
every acknowledged write survives `kill -9`, and SIGTERM still stops it promptly afterwards.

STRESS_ROUNDS (default 10) is how many fresh daemons the main test goes through. A hang fails a
round within about ten seconds (every request has a read timeout, every phase a deadline), with
the number of writes acknowledged before it.

Only acknowledged writes count: a write whose connection failed (the daemon was killed, or it
timed out) may or may not have happened, so it is neither required nor forbidden afterwards. Each
writer owns its names and stops at its first unanswered write, so at most its last write is such
an unknown. Every thread has its own boto3 session and clients (sessions are not thread-safe).
"""

import bisect
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter

import boto3
import botocore.config
import botocore.session
from botocore.exceptions import BotoCoreError, ClientError

from clients import INVALID_TOKEN, error_of, iam, sts, user_arn
from daemon import ACCOUNT, REGION, ROOT_KEY_ID, ROOT_SECRET, STOP_TIMEOUT, Daemon, _die_with_parent

ROUNDS = int(os.environ.get("STRESS_ROUNDS", "10"))
WRITERS = 64
READERS = 8
# One attempt per request, and a request that gets no answer in 10 s fails instead of waiting.
CONFIG = botocore.config.Config(connect_timeout=5, read_timeout=10, retries={"total_max_attempts": 1},
                                max_pool_connections=2)
PHASE_DEADLINE = 60.0  # for all writers of one phase to finish
HEALTH_EVERY = 0.05
HEALTH_TIMEOUT = 2.0
SIGTERM_PROMPT = 5.0
PATH = "/stress/"
KEY_LIMIT = ("LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2", 409)


# --- clients -------------------------------------------------------------------------------

class Sessions:
    """One boto3 session per thread, made in the main thread; they share one botocore loader so
    that the service models are parsed once, not once per thread."""

    def __init__(self, n):
        first = botocore.session.Session()
        loader = first.get_component("data_loader")
        warm = boto3.session.Session(botocore_session=first)
        for service in ("iam", "sts"):  # loads (and caches) everything a client needs
            warm.client(service, endpoint_url="http://127.0.0.1:9", region_name=REGION,
                        aws_access_key_id="x", aws_secret_access_key="y", config=CONFIG)
        paths = list(loader.search_paths)
        self.sessions = []
        for _ in range(n):
            bs = botocore.session.Session()
            bs.register_component("data_loader", loader)
            self.sessions.append(boto3.session.Session(botocore_session=bs))
            loader.search_paths[:] = paths  # each boto3 Session appends its data path again

    def __getitem__(self, i):
        return self.sessions[i]


def client(session, service, d, key_id=ROOT_KEY_ID, secret=ROOT_SECRET):
    return session.client(service, endpoint_url=d.url, region_name=REGION, aws_access_key_id=key_id,
                          aws_secret_access_key=secret, config=CONFIG)


def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def code_of(e):
    return (e.response["Error"].get("Code"), e.response["Error"].get("Message"),
            e.response["ResponseMetadata"]["HTTPStatusCode"])


# --- shared bookkeeping --------------------------------------------------------------------

class Unanswered(Exception):  # noqa: N818 - a control-flow signal: this thread stops
    pass


class Progress:
    """What all threads of one phase have seen, for the diagnosis."""

    def __init__(self):
        self.lock = threading.Lock()
        self.started = time.monotonic()
        self.acked = 0
        self.by_op = Counter()
        self.last_ack = None
        self.ack_times = []
        self.reads = 0
        self.unanswered = []  # (seconds, op, who, exception) of writes and reads with no answer
        self.errors = []  # unexpected errors and failed checks, as text
        self.limit_errors = 0
        self.kill_after = self.victim = self.killed_at = None
        self.users = []  # acknowledged user names, for the readers
        self.stable_keys = []  # (user, key id, secret) never deleted in this phase, for the readers

    def now(self):
        return time.monotonic() - self.started

    def ack(self, op):
        with self.lock:
            self.acked += 1
            self.by_op[op] += 1
            self.last_ack = self.now()
            self.ack_times.append(self.last_ack)
            if self.kill_after is not None and self.acked >= self.kill_after:
                self._kill()

    def kill_at(self, acked, pid):
        """SIGKILL to `pid` from the thread that sees the `acked`th acknowledgement, so that
        the kill lands while the other writers are in the middle of theirs."""
        self.kill_after, self.victim = acked, pid

    def kill(self):
        with self.lock:
            self._kill()

    def _kill(self):
        # The time is taken before the signal: taken after, it can come late (the killing thread
        # waits for the GIL among 70 others), and a failure the kill caused would count as early.
        if self.killed_at is None:
            self.killed_at = self.now()
            os.kill(self.victim, signal.SIGKILL)

    def read(self):
        with self.lock:
            self.reads += 1

    def no_answer(self, op, who, e):
        with self.lock:
            self.unanswered.append((self.now(), op, who, f"{type(e).__name__}: {e}"))

    def error(self, text):
        with self.lock:
            self.errors.append(text)


def spawn(target, name):
    t = threading.Thread(target=target, name=name, daemon=True)
    t.start()
    return t


class Worker:
    def __init__(self, name, session, d, progress):
        self.name = name
        self.session = session
        self.d = d
        self.progress = progress
        self.sts_clients = {}

    def run(self):
        try:
            self.body()
        except Unanswered:
            pass
        except ClientError as e:
            self.progress.error(f"{self.name}: unexpected {code_of(e)}\n{traceback.format_exc()}")
        except Exception:  # noqa: BLE001 - reported, fails the phase
            self.progress.error(f"{self.name}:\n{traceback.format_exc()}")

    def body(self):
        raise NotImplementedError

    def sts_as(self, key_id, secret):
        if key_id not in self.sts_clients:
            self.sts_clients[key_id] = client(self.session, "sts", self.d, key_id, secret)
        return self.sts_clients[key_id]

    def read(self, call, **kw):
        try:
            out = call(**kw)
        except (BotoCoreError, OSError) as e:
            self.progress.no_answer(f"read {call.__name__}", self.name, e)
            raise Unanswered from e
        self.progress.read()
        return out


class Writer(Worker):
    """Owns the user `name` and the policy, role and keys named after it. Records every
    acknowledged change; `maybe` is the write whose connection failed, if any."""

    def __init__(self, name, session, d, progress, script):
        super().__init__(name, session, d, progress)
        self.script = script
        self.maybe = None
        self.path = None  # set once CreateUser is acknowledged
        self.keys = {}  # acknowledged CreateAccessKey: id -> secret
        self.deleted = set()  # acknowledged DeleteAccessKey
        self.tags = {}
        self.inline = {}
        self.policies = {}  # arn -> name
        self.attached = set()
        self.roles = {}  # name -> trust policy
        self.role_tags = {}

    def write(self, op, call, detail=None, **kw):
        try:
            out = call(**kw)
        except (BotoCoreError, OSError) as e:
            self.maybe = (op, detail)
            self.progress.no_answer(op, self.name, e)
            raise Unanswered from e
        self.progress.ack(op)
        return out

    def body(self):
        self.script(self, client(self.session, "iam", self.d))

    def check_works(self, key, expect=True):
        signer = self.sts_as(key["AccessKeyId"], key["SecretAccessKey"])
        if expect:
            arn = self.read(signer.get_caller_identity)["Arn"]
            assert arn == user_arn(self.name, PATH), f"{key['AccessKeyId']} signs as {arn}"
        else:
            try:
                self.read(signer.get_caller_identity)
            except ClientError as e:
                assert code_of(e)[:1] == ("InvalidClientTokenId",), code_of(e)
            else:
                raise AssertionError(f"deleted key {key['AccessKeyId']} still signs")


def full_script(w, c):
    """Ten writes on the writer's own entities, with reads of each new key in between."""
    u = w.name
    w.write("CreateUser", c.create_user, UserName=u, Path=PATH)
    w.path = PATH
    w.progress.users.append(u)
    k1 = w.write("CreateAccessKey", c.create_access_key, UserName=u)["AccessKey"]
    w.keys[k1["AccessKeyId"]] = k1["SecretAccessKey"]
    w.check_works(k1)
    tags = {"writer": u, "n": str(len(u))}
    w.write("TagUser", c.tag_user, detail=tags, UserName=u,
            Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
    w.tags.update(tags)
    inline = doc({"Effect": "Allow", "Action": "iam:GetUser", "Resource": user_arn(u, PATH)})
    w.write("PutUserPolicy", c.put_user_policy, detail=("self", inline), UserName=u, PolicyName="self",
            PolicyDocument=json.dumps(inline))
    w.inline["self"] = inline
    managed = doc({"Effect": "Allow", "Action": ["iam:ListAccessKeys", "iam:GetUser"], "Resource": user_arn(u, PATH)})
    arn = w.write("CreatePolicy", c.create_policy, detail=f"p-{u}", PolicyName=f"p-{u}",
                  PolicyDocument=json.dumps(managed))["Policy"]["Arn"]
    assert arn == f"arn:aws:iam::{ACCOUNT}:policy/p-{u}", arn
    w.policies[arn] = f"p-{u}"
    w.write("AttachUserPolicy", c.attach_user_policy, detail=arn, UserName=u, PolicyArn=arn)
    w.attached.add(arn)
    trust = doc({"Effect": "Allow", "Principal": {"AWS": user_arn(u, PATH)}, "Action": "sts:AssumeRole"})
    w.write("CreateRole", c.create_role, detail=f"r-{u}", RoleName=f"r-{u}", AssumeRolePolicyDocument=json.dumps(trust))
    w.roles[f"r-{u}"] = trust
    k2 = w.write("CreateAccessKey", c.create_access_key, UserName=u)["AccessKey"]
    w.keys[k2["AccessKeyId"]] = k2["SecretAccessKey"]
    w.progress.stable_keys.append((u, k2["AccessKeyId"], k2["SecretAccessKey"]))
    w.write("DeleteAccessKey", c.delete_access_key, detail=k1["AccessKeyId"], UserName=u,
            AccessKeyId=k1["AccessKeyId"])
    w.deleted.add(k1["AccessKeyId"])
    w.check_works(k1, expect=False)
    w.check_works(k2)
    role_tags = {"owner": u}
    w.write("TagRole", c.tag_role, detail=(f"r-{u}", role_tags), RoleName=f"r-{u}", Tags=[{"Key": "owner", "Value": u}])
    w.role_tags[f"r-{u}"] = role_tags


def short_script(w, c):
    """Six writes, run while the daemon gets killed."""
    u = w.name
    w.write("CreateUser", c.create_user, UserName=u, Path=PATH)
    w.path = PATH
    k1 = w.write("CreateAccessKey", c.create_access_key, UserName=u)["AccessKey"]
    w.keys[k1["AccessKeyId"]] = k1["SecretAccessKey"]
    tags = {"phase": "kill"}
    w.write("TagUser", c.tag_user, detail=tags, UserName=u, Tags=[{"Key": "phase", "Value": "kill"}])
    w.tags.update(tags)
    k2 = w.write("CreateAccessKey", c.create_access_key, UserName=u)["AccessKey"]
    w.keys[k2["AccessKeyId"]] = k2["SecretAccessKey"]
    w.write("DeleteAccessKey", c.delete_access_key, detail=k1["AccessKeyId"], UserName=u,
            AccessKeyId=k1["AccessKeyId"])
    w.deleted.add(k1["AccessKeyId"])
    inline = doc({"Effect": "Deny", "Action": "iam:*", "Resource": "*"})
    w.write("PutUserPolicy", c.put_user_policy, detail=("deny", inline), UserName=u, PolicyName="deny",
            PolicyDocument=json.dumps(inline))
    w.inline["deny"] = inline


class Reader(Worker):
    """Reads what the writers have had acknowledged, until told to stop."""

    def __init__(self, name, session, d, progress, stop):
        super().__init__(name, session, d, progress)
        self.stop = stop
        self.rng = random.Random(name)

    def body(self):
        c = client(self.session, "iam", self.d)
        p = self.progress
        while not self.stop.is_set():
            if not p.users:
                time.sleep(0.005)
                continue
            u = self.rng.choice(p.users)
            assert self.read(c.get_user, UserName=u)["User"]["UserName"] == u
            keys = self.read(c.list_access_keys, UserName=u)["AccessKeyMetadata"]
            assert len(keys) <= 2, f"{u} has {len(keys)} keys"
            assert len(self.read(c.list_users, MaxItems=100)["Users"]) >= 1
            if p.stable_keys:
                who, key_id, secret = self.rng.choice(p.stable_keys)
                arn = self.read(self.sts_as(key_id, secret).get_caller_identity)["Arn"]
                assert arn == user_arn(who, PATH), (key_id, arn)


# The /healthz poller runs as a process of its own, so that what it measures is iamd and not
# how long 70 Python threads keep it waiting for the GIL. One line per poll:
# "ok|fail <monotonic start> <seconds taken> <error>".
_POLLER = """
import sys, time, urllib.request
url, every, timeout = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
while True:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            r.read()
            error = "" if r.status == 200 else f"status {r.status}"
    except Exception as e:
        error = f"{type(e).__name__}: {e}".replace(chr(10), " ")
    took = time.monotonic() - started
    print("fail" if error else "ok", started, took, error, flush=True)
    time.sleep(max(0.0, every - took))
"""


class Health:
    """Polls /healthz every HEALTH_EVERY seconds with a HEALTH_TIMEOUT timeout, from another
    process, until stop(); then `failures` holds (seconds into the phase, writes acknowledged by
    then, what went wrong)."""

    def __init__(self, d, progress):
        self.progress = progress
        self.out = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen([sys.executable, "-c", _POLLER, d.url + "/healthz", str(HEALTH_EVERY),
                                      str(HEALTH_TIMEOUT)], stdin=subprocess.DEVNULL, stdout=self.out,
                                     preexec_fn=_die_with_parent)
        self.failures = []
        self.polls = 0
        self.slowest = 0.0

    def stop(self, before=None):
        """Ends the polling; only polls that ended before `before` (seconds into the phase:
        the planned kill) count."""
        if self.proc is None:
            return
        self.proc.kill()
        self.proc.wait()
        self.proc = None
        self.out.seek(0)
        acks = sorted(self.progress.ack_times)
        for line in self.out.read().splitlines():
            parts = line.split(" ", 3)
            if len(parts) < 3:
                continue  # the line being written when it was killed
            status, started, took = parts[0], float(parts[1]), float(parts[2])
            if before is not None and started + took - self.progress.started >= before:
                continue
            self.polls += 1
            self.slowest = max(self.slowest, took)
            if status != "ok":
                at = started - self.progress.started
                self.failures.append((at, bisect.bisect(acks, at), parts[3] if len(parts) > 3 else ""))
        self.out.close()


# --- running a phase -----------------------------------------------------------------------

def start_writers(prefix, script, sessions, d, progress):
    writers = [Writer(f"{prefix}{i:02d}", sessions[i], d, progress, script) for i in range(WRITERS)]
    threads = [spawn(w.run, w.name) for w in writers]
    return writers, threads


def wait_for(threads, deadline, until=lambda: False):
    """Waits until every thread has ended, `until()` holds, or the deadline passes."""
    while time.monotonic() < deadline and any(t.is_alive() for t in threads) and not until():
        time.sleep(0.01)
    return [t.name for t in threads if t.is_alive()]


def stop_diagnosis(d):
    """Tries SIGTERM on a daemon that misbehaved, so the report says whether it still stops."""
    if d.proc is None or d.proc.poll() is not None:
        return "iamd was no longer running (killed as planned)"
    started = time.monotonic()
    try:
        code = d.stop()
    except RuntimeError:
        return f"SIGTERM was ignored for {STOP_TIMEOUT:.0f}s (killed)"
    return f"SIGTERM: exit {code} after {time.monotonic() - started:.1f}s"


def diagnosis(what, progress, planned, stuck, health, d):
    p = progress
    lines = [f"{what}: {p.acked} of {planned} writes acknowledged "
             f"(last at +{p.last_ack or 0:.2f}s of {p.now():.1f}s; {dict(p.by_op)}), {p.reads} reads"]
    if p.unanswered:
        first = min(p.unanswered)
        lines.append(f"{len(p.unanswered)} requests got no answer, the first given up on at +{first[0]:.2f}s: "
                     f"{first[1]} by {first[2]}: {first[3]}")
    if stuck:
        lines.append(f"{len(stuck)} threads still stuck at the deadline: {', '.join(stuck[:8])}")
    if health.failures:
        t, acked, e = health.failures[0]
        lines.append(f"/healthz failed {len(health.failures)} of {health.polls} times, first at +{t:.2f}s "
                     f"(after {acked} acknowledged writes): {e}")
    else:
        lines.append(f"/healthz answered all {health.polls} polls (slowest {health.slowest * 1000:.0f} ms)")
    lines.extend(p.errors[:5])
    lines.append(stop_diagnosis(d))
    return "\n".join(lines)


def settle(label, d, progress, health, threads, planned, kill_after=None, others=(), stop_others=None):
    """Waits for a phase's writers, then stops `others` (readers, watchers) and waits for them.
    Raises AssertionError with a diagnosis if a thread is stuck, a request went unanswered
    (before the planned kill), /healthz failed or a check failed. With `kill_after`, makes sure
    the daemon is killed (it is already unless the writers ended first). Returns the seconds the
    writers took."""
    stuck = wait_for(threads, time.monotonic() + PHASE_DEADLINE)
    elapsed = progress.now()
    if stop_others:
        stop_others()
    stuck += wait_for(others, time.monotonic() + CONFIG.read_timeout + 2)
    health.stop(before=progress.killed_at)
    early = [u for u in progress.unanswered if progress.killed_at is None or u[0] < progress.killed_at]
    if stuck or early or progress.errors or health.failures:
        raise AssertionError(diagnosis(label, progress, planned, stuck, health, d))
    if kill_after is not None:
        progress.kill()
        assert d.kill9() == -signal.SIGKILL
    return elapsed


def run_writers(label, prefix, script, sessions, d, readers=0, kill_after=None):
    """Runs WRITERS writers (and `readers` readers) with a /healthz watcher. With `kill_after`,
    SIGKILL once that many writes are acknowledged. See settle() for what fails."""
    progress = Progress()
    if kill_after is not None:
        progress.kill_at(kill_after, d.proc.pid)
    health = Health(d, progress)
    stop = threading.Event()
    reader_threads = [spawn(Reader(f"reader{i}", sessions[WRITERS + i], d, progress, stop).run, f"reader{i}")
                      for i in range(readers)]
    writers, threads = start_writers(prefix, script, sessions, d, progress)
    planned = WRITERS * (10 if script is full_script else 6)
    elapsed = settle(label, d, progress, health, threads, planned, kill_after, reader_threads, stop.set)
    return writers, progress, elapsed, health


# --- checking after a restart --------------------------------------------------------------

def missing(call, **kw):
    """The result of a read, or None when the entity does not exist."""
    try:
        return call(**kw)
    except ClientError as e:
        if code_of(e)[0] == "NoSuchEntity":
            return None
        raise


def verify_writer(w, c, sts_as):
    """Whether every change `w` had acknowledged is there (and nothing it never asked for)."""
    bad = []
    op, detail = w.maybe or (None, None)

    def check(ok, what):
        if not ok:
            bad.append(f"{w.name}: {what}")

    got = missing(c.get_user, UserName=w.name)
    if w.path is None:
        check(got is None or op == "CreateUser", "exists but CreateUser was never acknowledged nor tried")
        return bad
    check(got is not None, "acknowledged CreateUser lost")
    if got is None:
        return bad
    check(got["User"]["Path"] == w.path, f"path {got['User']['Path']}")

    listed = {k["AccessKeyId"]: k["Status"] for k in c.list_access_keys(UserName=w.name)["AccessKeyMetadata"]}
    check(len(listed) <= 2, f"{len(listed)} access keys")
    maybe_deleted = detail if op == "DeleteAccessKey" else None
    for key_id, secret in w.keys.items():
        if key_id in w.deleted:
            check(key_id not in listed, f"key {key_id} listed after an acknowledged DeleteAccessKey")
            try:
                sts_as(key_id, secret).get_caller_identity()
                check(False, f"deleted key {key_id} still signs")
            except ClientError as e:
                check(code_of(e) == ("InvalidClientTokenId", INVALID_TOKEN, 403), f"deleted key {key_id}: {code_of(e)}")
        elif key_id != maybe_deleted:
            check(listed.get(key_id) == "Active", f"acknowledged key {key_id} is {listed.get(key_id, 'missing')}")
            try:
                arn = sts_as(key_id, secret).get_caller_identity()["Arn"]
                check(arn == user_arn(w.name, w.path), f"key {key_id} signs as {arn}")
            except ClientError as e:
                check(False, f"acknowledged key {key_id} does not sign: {code_of(e)}")
    extra = set(listed) - set(w.keys)
    check(len(extra) <= (1 if op == "CreateAccessKey" else 0), f"keys nobody had acknowledged: {sorted(extra)}")

    tags = {t["Key"]: t["Value"] for t in c.list_user_tags(UserName=w.name)["Tags"]}
    allowed = [w.tags] + ([{**w.tags, **detail}] if op == "TagUser" else [])
    check(tags in allowed, f"tags {tags}, acknowledged {w.tags}")

    for name, document in w.inline.items():
        got = missing(c.get_user_policy, UserName=w.name, PolicyName=name)
        check(got is not None and got["PolicyDocument"] == document, f"inline policy {name}: {got}")
    inline_names = set(c.list_user_policies(UserName=w.name)["PolicyNames"])
    maybe_inline = {detail[0]} if op == "PutUserPolicy" else set()
    check(set(w.inline) <= inline_names <= set(w.inline) | maybe_inline, f"inline policies {inline_names}")

    for arn, name in w.policies.items():
        got = missing(c.get_policy, PolicyArn=arn)
        check(got is not None and got["Policy"]["PolicyName"] == name, f"managed policy {arn}: {got}")
    if w.attached or op == "AttachUserPolicy":
        attached = {p["PolicyArn"] for p in c.list_attached_user_policies(UserName=w.name)["AttachedPolicies"]}
        maybe_attached = {detail} if op == "AttachUserPolicy" else set()
        check(w.attached <= attached <= w.attached | maybe_attached, f"attached {attached}")

    for name, trust in w.roles.items():
        got = missing(c.get_role, RoleName=name)
        check(got is not None and got["Role"]["AssumeRolePolicyDocument"] == trust, f"role {name}: {got}")
        if got is not None:
            tags = {t["Key"]: t["Value"] for t in c.list_role_tags(RoleName=name)["Tags"]}
            want = w.role_tags.get(name, {})
            allowed = [want] + ([detail[1]] if op == "TagRole" and detail[0] == name else [])
            check(tags in allowed, f"role {name} tags {tags}, acknowledged {want}")
    return bad


def names(c, paginator, key, field, **kw):
    return {x[field] for page in c.get_paginator(paginator).paginate(**kw) for x in page[key]}


def verify(d, writers, sessions):
    """Checks every writer's acknowledged changes, in READERS threads; returns the problems."""
    problems = []
    chunks = [writers[i::READERS] for i in range(READERS)]

    def check_chunk(i):
        session = sessions[WRITERS + i]
        c = client(session, "iam", d)
        for w in chunks[i]:
            try:
                problems.extend(verify_writer(w, c, lambda k, s: client(session, "sts", d, k, s)))
            except Exception:  # noqa: BLE001 - reported as a problem
                problems.append(f"{w.name}: {traceback.format_exc()}")

    threads = [spawn(lambda i=i: check_chunk(i), f"verify{i}") for i in range(READERS)]
    stuck = wait_for(threads, time.monotonic() + PHASE_DEADLINE)
    if stuck:
        problems.append(f"verification stuck: {stuck}")

    c = client(sessions[0], "iam", d)
    users = names(c, "list_users", "Users", "UserName")
    acked = {w.name for w in writers if w.path}
    maybe = {w.name for w in writers if w.maybe and w.maybe[0] == "CreateUser"}
    if not acked <= users <= acked | maybe:
        problems.append(f"users: missing {sorted(acked - users)}, unexpected {sorted(users - acked - maybe)}")
    roles = names(c, "list_roles", "Roles", "RoleName")
    acked = {r for w in writers for r in w.roles}
    maybe = {w.maybe[1] for w in writers if w.maybe and w.maybe[0] == "CreateRole"}
    if not acked <= roles <= acked | maybe:
        problems.append(f"roles: missing {sorted(acked - roles)}, unexpected {sorted(roles - acked - maybe)}")
    policies = names(c, "list_policies", "Policies", "PolicyName", Scope="Local")
    acked = {p for w in writers for p in w.policies.values()}
    maybe = {w.maybe[1] for w in writers if w.maybe and w.maybe[0] == "CreatePolicy"}
    if not acked <= policies <= acked | maybe:
        problems.append(f"policies: missing {sorted(acked - policies)}, unexpected {sorted(policies - acked - maybe)}")
    return problems


def sigterm_promptly(d):
    started = time.monotonic()
    code = d.stop()  # raises if iamd ignores SIGTERM for STOP_TIMEOUT seconds
    took = time.monotonic() - started
    assert code == 0, f"iamd exited {code} on SIGTERM"
    assert took < SIGTERM_PROMPT, f"iamd took {took:.1f}s to stop on SIGTERM"
    return took


# --- the tests -----------------------------------------------------------------------------

def one_round(r, sessions, rng):
    """A fresh daemon: 64 writers (10 writes each) and 8 readers; then 64 writers (6 writes
    each) killed with SIGKILL part way; restart; every acknowledged change checked; SIGTERM."""
    d = Daemon().start()
    try:
        label = f"round {r} of {ROUNDS} ({r - 1} passed)"
        writers, progress, elapsed, health = run_writers(f"{label}, {WRITERS} writers + {READERS} readers",
                                                         "w", full_script, sessions, d, readers=READERS)
        rate = progress.acked / elapsed
        kill_after = rng.randint(WRITERS, WRITERS * 6 * 2 // 3)
        more, killed, _, _ = run_writers(f"{label}, writers until kill -9", "k", short_script, sessions, d,
                                         kill_after=kill_after)
        unknown = sum(1 for w in more if w.maybe)
        d.start()
        started = time.monotonic()
        problems = verify(d, writers + more, sessions)
        checked = time.monotonic() - started
        assert not problems, f"{label}: after kill -9 and restart:\n" + "\n".join(problems[:30])
        took = sigterm_promptly(d)
        print(f"    round {r}: {progress.acked} writes + {progress.reads} reads in {elapsed:.2f}s "
              f"({rate:.0f} writes/s), /healthz slowest {health.slowest * 1000:.0f} ms of {health.polls}; "
              f"kill -9 at write {kill_after} of phase 2 ({killed.acked} acknowledged, {unknown} unanswered); "
              f"verified in {checked:.1f}s; SIGTERM exit in {took:.2f}s", flush=True)
        return progress.acked, elapsed
    finally:
        d.close()


def seeded(what):
    """A random source for the kill points; STRESS_SEED repeats a run's."""
    seed = int(os.environ.get("STRESS_SEED", time.time_ns() % 10**6))
    print(f"    {what}, STRESS_SEED={seed}", flush=True)
    return random.Random(seed)


def test_64_writers_and_readers_no_hang_and_acknowledged_writes_survive_kill9():
    sessions = Sessions(WRITERS + READERS)
    rng = seeded(f"{ROUNDS} rounds")
    total = spent = 0
    for r in range(1, ROUNDS + 1):
        acked, elapsed = one_round(r, sessions, rng)
        total += acked
        spent += elapsed
    print(f"    {ROUNDS} rounds: {total} writes under load at {total / spent:.0f} writes/s", flush=True)


test_64_writers_and_readers_no_hang_and_acknowledged_writes_survive_kill9.timeout = 60 + 30 * ROUNDS


class Churner(Worker):
    """CreateAccessKey (then GetCallerIdentity with the new key, then DeleteAccessKey unless
    `keep`) on the shared user until `cycles` keys were made or `attempts` CreateAccessKey calls
    were made; LimitExceeded is expected."""

    def __init__(self, name, session, d, progress, cycles, attempts, keep):
        super().__init__(name, session, d, progress)
        self.cycles = cycles
        self.attempts = attempts
        self.keep = keep
        self.rng = random.Random(name)
        self.created = {}  # acknowledged: id -> secret
        self.deleted = set()  # acknowledged
        self.maybe = None

    write = Writer.write

    def body(self):
        c = client(self.session, "iam", self.d)
        for _ in range(self.attempts):
            if len(self.created) >= self.cycles:
                return
            try:
                key = self.write("CreateAccessKey", c.create_access_key, UserName="shared")["AccessKey"]
            except ClientError as e:
                assert code_of(e) == KEY_LIMIT, code_of(e)
                with self.progress.lock:
                    self.progress.limit_errors += 1
                time.sleep(self.rng.uniform(0.005, 0.02))  # let the holders of the two keys get on
                continue
            self.created[key["AccessKeyId"]] = key["SecretAccessKey"]
            arn = self.read(self.sts_as(key["AccessKeyId"], key["SecretAccessKey"]).get_caller_identity)["Arn"]
            assert arn == user_arn("shared"), arn
            if not self.keep:
                self.write("DeleteAccessKey", c.delete_access_key, detail=key["AccessKeyId"], UserName="shared",
                           AccessKeyId=key["AccessKeyId"])
                self.deleted.add(key["AccessKeyId"])


def churn(label, d, sessions, cycles, attempts, keep=False, kill_after=None):
    """64 Churners at once, a /healthz watcher and a thread listing the user's keys all along;
    with `kill_after`, SIGKILL once that many writes are acknowledged (or all churners ended)."""
    progress = Progress()
    if kill_after is not None:
        progress.kill_at(kill_after, d.proc.pid)
    health = Health(d, progress)
    seen = []
    done = threading.Event()

    def watch_keys():
        c = client(sessions[WRITERS], "iam", d)
        while not done.is_set():
            try:
                seen.append(len(c.list_access_keys(UserName="shared")["AccessKeyMetadata"]))
            except (BotoCoreError, OSError):
                return  # killed, or a hang the churners report
            time.sleep(0.01)

    watcher = spawn(watch_keys, "watch-keys")
    churners = [Churner(f"c{i:02d}", sessions[i], d, progress, cycles, attempts, keep) for i in range(WRITERS)]
    threads = [spawn(w.run, w.name) for w in churners]
    planned = WRITERS * cycles * (1 if keep else 2)
    settle(label, d, progress, health, threads, planned, kill_after, [watcher], done.set)
    assert max(seen, default=0) <= 2, f"{label}: ListAccessKeys showed {max(seen)} keys at once"
    return churners, progress, max(seen, default=0)


def shared_keys(d):
    return {k["AccessKeyId"]: k["Status"] for k in iam(d).list_access_keys(UserName="shared")["AccessKeyMetadata"]}


def check_keys(d, keys, work=True):
    for key_id, secret in keys.items():
        if work:
            assert sts(d, key_id, secret).get_caller_identity()["Arn"] == user_arn("shared"), key_id
        else:
            assert error_of(sts(d, key_id, secret).get_caller_identity) == \
                ("InvalidClientTokenId", INVALID_TOKEN, 403), key_id


def made(churners, deleted=None):
    """The acknowledged keys of `churners`: all, or only those (not) acknowledged deleted."""
    return {k: s for w in churners for k, s in w.created.items()
            if deleted is None or (k in w.deleted) == deleted}


def test_64_writers_churning_one_users_keys_keep_the_limit_of_two():
    sessions = Sessions(WRITERS + 1)
    d = Daemon().start()
    try:
        iam(d).create_user(UserName="shared")
        label = "64 writers on one user's keys"
        started = time.monotonic()
        churners, progress, most = churn(label, d, sessions, cycles=1, attempts=200)
        elapsed = time.monotonic() - started
        assert progress.limit_errors > 0, "64 writers on one user never hit the limit of 2 keys"
        assert shared_keys(d) == {}, "every acknowledged key was deleted"

        # All 64 at once try to make one key and keep it: exactly two can.
        keepers, last, _ = churn(f"{label}, keeping", d, sessions, cycles=1, attempts=1, keep=True)
        kept = made(keepers)
        assert len(kept) == 2 and last.limit_errors == WRITERS - 2, (sorted(kept), last.limit_errors)
        assert shared_keys(d) == {k: "Active" for k in kept}
        assert d.kill9() == -signal.SIGKILL
        d.start()
        assert shared_keys(d) == {k: "Active" for k in kept}
        check_keys(d, kept)
        check_keys(d, made(churners), work=False)

        # Again, killed part way: acknowledged creates without an acknowledged delete are there,
        # acknowledged deletes are not, and there are never more than 2.
        c = iam(d)
        for key_id in kept:
            c.delete_access_key(UserName="shared", AccessKeyId=key_id)
        kill_after = seeded("kill -9 point").randint(WRITERS // 2, WRITERS * 3 // 2)
        again, killed, _ = churn(f"{label}, until kill -9", d, sessions, cycles=2, attempts=200,
                                 kill_after=kill_after)
        d.start()
        listed = shared_keys(d)
        assert len(listed) <= 2, listed
        maybe_deleted = {w.maybe[1] for w in again if w.maybe and w.maybe[0] == "DeleteAccessKey"}
        must = {k: s for k, s in made(again, deleted=False).items() if k not in maybe_deleted}
        gone = made(again, deleted=True)
        assert set(must) <= set(listed), f"acknowledged keys lost: {sorted(set(must) - set(listed))}"
        assert not set(gone) & set(listed), f"deleted keys are back: {sorted(set(gone) & set(listed))}"
        unknown = sum(1 for w in again if w.maybe and w.maybe[0] == "CreateAccessKey")
        assert len(set(listed) - set(made(again))) <= unknown, (listed, unknown)
        check_keys(d, must)
        check_keys(d, {**gone, **kept, **made(churners)}, work=False)
        took = sigterm_promptly(d)
        print(f"    {progress.acked} writes ({progress.by_op['CreateAccessKey']} keys made and deleted), "
              f"{progress.limit_errors} LimitExceeded in {elapsed:.2f}s ({progress.acked / elapsed:.0f} writes/s), "
              f"at most {most} keys listed; 2 of 64 kept; kill -9 at write {kill_after} "
              f"({len(must)} keys to keep, {unknown + len(maybe_deleted)} unanswered); "
              f"SIGTERM exit in {took:.2f}s", flush=True)
    finally:
        d.close()


test_64_writers_churning_one_users_keys_keep_the_limit_of_two.timeout = 150
