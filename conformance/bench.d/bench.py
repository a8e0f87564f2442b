"""The driver of conformance/bench (run it through that script, which prepares the venv,
wrk and bench-tool): starts iamd, the ceiling server, moto (and fakecloud when given), sets
up the same entities in each through boto3, replays requests pre-signed with botocore
through wrk, runs the CreateAccessKey/DeleteAccessKey load generator, measures iamd's
memory and start-up, and prints one markdown report.

Every process it starts listens on 127.0.0.1 on a free port, gets SIGKILL if this driver
dies (PR_SET_PDEATHSIG) and is stopped on exit; all data lives in one temporary directory
removed on exit.
"""

import argparse
import ctypes
import datetime
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

ROOT_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
ROOT_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
REGION = "us-east-1"
CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8"
# fakecloud's reserved root identity (it exempts keys starting with "test" from verification).
FAKECLOUD_ROOT = ("test", "test")

THREADS, CONNECTIONS, WRITE_CLIENTS = 2, 16, 16
START_TIMEOUT = 300.0  # a 1M-key data dir may take a while to open
LOUD = "!" * 78

PROCS = []   # every process started, stopped at exit
STAGES = []  # (name, seconds)
NOTES = []   # lines printed under the tables


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def loud(msg):
    print(f"\n{LOUD}\n!! {msg}\n{LOUD}\n", file=sys.stderr, flush=True)


class Stage:
    """Times one stage and records it for the report."""

    def __init__(self, name):
        self.name = name

    def __enter__(self):
        log(f"--- {self.name}")
        self.t0 = time.monotonic()
        return self

    def __exit__(self, *exc):
        dt = time.monotonic() - self.t0
        STAGES.append((self.name, dt))
        log(f"--- {self.name}: {dt:.1f} s{' (failed)' if exc[0] else ''}")
        return False


def _die_with_parent():
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IAMD_", "AWS_", "MOTO_", "FAKECLOUD_"))}
    env.update(NO_COLOR="1", **extra)
    return env


def iamd_env():
    return clean_env(IAMD_ROOT_ACCESS_KEY_ID=ROOT_KEY_ID, IAMD_ROOT_SECRET_ACCESS_KEY=ROOT_SECRET, IAMD_LOG="warn")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proc:
    """A background process with stdout/stderr in files of the scratch dir."""

    def __init__(self, name, argv, env, scratch, stdin_data=None):
        self.name = name
        self.out_path = os.path.join(scratch, f"{name}.out")
        self.err_path = os.path.join(scratch, f"{name}.err")
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.t0 = time.monotonic()
            self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin_data is not None else subprocess.DEVNULL,
                                         stdout=out, stderr=err, env=env, preexec_fn=_die_with_parent)
        PROCS.append(self)
        if stdin_data is not None:
            self.proc.stdin.write(stdin_data.encode())
            self.proc.stdin.close()
        self.url = None

    @property
    def pid(self):
        return self.proc.pid

    def stdout(self):
        with open(self.out_path, errors="replace") as f:
            return f.read()

    def stderr_tail(self, chars=2000):
        try:
            with open(self.err_path, errors="replace") as f:
                return f.read()[-chars:]
        except OSError:
            return ""

    def check_alive(self):
        if self.proc.poll() is not None:
            raise RuntimeError(f"{self.name} exited with {self.proc.returncode}: {self.stderr_tail()}")

    def rss_mib(self):
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self in PROCS:
            PROCS.remove(self)


def stop_all():
    for p in list(PROCS):
        try:
            p.stop()
        except Exception:  # noqa: BLE001
            pass


def wait_for_env_url(p, timeout=START_TIMEOUT):
    """Waits (polling every 1 ms) for AWS_ENDPOINT_URL on p's stdout; returns it."""
    deadline = time.monotonic() + timeout
    while True:
        m = re.search(r"^AWS_ENDPOINT_URL=(\S+)$", p.stdout(), re.M)
        if m:
            return m.group(1)
        p.check_alive()
        if time.monotonic() > deadline:
            raise RuntimeError(f"{p.name} printed no AWS_ENDPOINT_URL in {timeout}s: {p.stderr_tail()}")
        time.sleep(0.001)


def http_status(url, path="/healthz", timeout=1.0):
    u = urllib.parse.urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        c.request("GET", path)
        r = c.getresponse()
        r.read()
        return r.status
    finally:
        c.close()


def write_seed(path):
    """A seed of 1,000 entities: 100 managed policies, 50 groups, 750 users (each with an access
    key, a group and an attached policy) and 100 roles (each with an attached policy)."""
    doc = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bench/*"}]})
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": "arn:aws:iam::000000000000:root"}}]})
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    out = []
    for i in range(100):
        out.append(f"[[policies]]\nname = \"p{i}\"\ndocument = '''{doc}'''\n")
    for i in range(50):
        out.append(f"[[groups]]\nname = \"g{i}\"\n")
    for i in range(750):
        key = "AKIA" + "".join(alphabet[(i >> (5 * k)) & 31] for k in range(16))
        out.append(f"[[users]]\nname = \"u{i}\"\ngroups = [\"g{i % 50}\"]\nattached_policies = [\"p{i % 100}\"]\n"
                   f"[[users.access_keys]]\nid = \"{key}\"\nsecret = \"bench-seed-secret-{i:06d}-0123456789abcdef\"\n")
    for i in range(100):
        out.append(f"[[roles]]\nname = \"r{i}\"\ntrust_policy = '''{trust}'''\nattached_policies = [\"p{i}\"]\n")
    with open(path, "w") as f:
        f.write("\n".join(out))


def start_iamd(binary, data_dir, scratch, name, extra=()):
    """Starts `iamd serve` and measures spawn → --print-env output and spawn → /healthz 200,
    polling every 1 ms. Returns (proc, print_env_seconds, healthz_seconds)."""
    p = Proc(name, [binary, "serve", "--listen", "127.0.0.1:0", "--data-dir", data_dir, "--print-env", *extra],
             iamd_env(), scratch)
    deadline = p.t0 + START_TIMEOUT
    while True:  # the whole --print-env block ends with AWS_REGION
        out = p.stdout()
        if re.search(r"^AWS_REGION=", out, re.M):
            t_env = time.monotonic() - p.t0
            break
        p.check_alive()
        if time.monotonic() > deadline:
            raise RuntimeError(f"iamd printed no environment in {START_TIMEOUT}s: {p.stderr_tail()}")
        time.sleep(0.001)
    p.url = re.search(r"^AWS_ENDPOINT_URL=(\S+)$", out, re.M).group(1)
    while True:
        try:
            if http_status(p.url) == 200:
                break
        except OSError:
            pass
        p.check_alive()
        if time.monotonic() > deadline:
            raise RuntimeError(f"iamd /healthz never answered 200: {p.stderr_tail()}")
        time.sleep(0.001)
    t_ready = time.monotonic() - p.t0
    return p, t_env, t_ready


def responsive(url, timeout=5.0):
    """Whether anything answers HTTP on url within timeout (iamd: /healthz)."""
    try:
        http_status(url, "/healthz", timeout=timeout)
        return True
    except OSError:
        return False


def wait_http(p, url, timeout=120.0):
    """Waits until something answers HTTP on url (any status)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            http_status(url, "/", timeout=2.0)
            return
        except OSError:
            pass
        p.check_alive()
        if time.monotonic() > deadline:
            raise RuntimeError(f"{p.name} did not answer HTTP in {timeout}s: {p.stderr_tail()}")
        time.sleep(0.05)


# ---------------------------------------------------------------------------------------------
# boto3 set-up of the entities each scenario signs with

def clients(url, key_id, secret, token=None):
    import boto3
    import botocore.config
    cfg = botocore.config.Config(retries={"total_max_attempts": 2}, connect_timeout=5, read_timeout=60)
    kw = dict(endpoint_url=url, region_name=REGION, aws_access_key_id=key_id, aws_secret_access_key=secret,
              aws_session_token=token, config=cfg)
    return boto3.client("iam", **kw), boto3.client("sts", **kw)


def creds(key_id, secret, token=None):
    from botocore.credentials import Credentials
    return Credentials(key_id, secret, token)


def key_creds(k):
    return creds(k["AccessKeyId"], k["SecretAccessKey"], k.get("SessionToken"))


def session_policy_1k():
    stmts = [{"Sid": "Reads", "Effect": "Allow", "Action": ["sts:GetCallerIdentity", "iam:Get*", "iam:List*"],
              "Resource": "*"}]
    doc = {"Version": "2012-10-17", "Statement": stmts}
    n = 0
    while len(json.dumps(doc, separators=(",", ":"))) < 960:
        stmts.append({"Sid": f"Bucket{n}", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
                      "Resource": [f"arn:aws:s3:::bench-bucket-{n}", f"arn:aws:s3:::bench-bucket-{n}/*"]})
        n += 1
    return json.dumps(doc, separators=(",", ":"))


class Target:
    """One server under test and the credentials its scenarios sign with."""

    def __init__(self, name, url, root):
        self.name = name
        self.url = url
        self.root = root  # (key id, secret)
        self.creds = {}   # scenario id → botocore Credentials
        self.extra = {}   # scenario id → extra request parameters
        self.unsupported = {}  # scenario id → why not (shown in the table)
        self.skip = set()  # scenario ids that make no sense here (not shown)
        self.notes = {}  # scenario id → caveat shown with the result

    def setup(self, scenario_ids):
        """Creates, through boto3 with root credentials, what the scenarios need. A step that
        fails marks its scenarios unsupported on this target (iamd: the caller raises)."""
        iam, sts = clients(self.url, *self.root)
        account = sts.get_caller_identity()["Account"]
        root = creds(*self.root)

        def step(ids, fn):
            ids = [i for i in ids if i in scenario_ids]
            if not ids:
                return
            try:
                fn()
            except Exception as e:  # noqa: BLE001
                if self.name == "iamd":
                    raise
                for i in ids:
                    self.unsupported[i] = f"set-up failed: {type(e).__name__}: {e}"[:200]

        def s1():
            iam.create_user(UserName="bench-user1")
            self.creds["s1"] = key_creds(iam.create_access_key(UserName="bench-user1")["AccessKey"])

        def s2():
            self.creds["s2"] = root

        def s3():
            list_policy = iam.create_policy(PolicyName="bench-group-list", PolicyDocument=json.dumps({
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "iam:List*", "Resource": "*"}]}))["Policy"]["Arn"]
            boundary = iam.create_policy(PolicyName="bench-boundary", PolicyDocument=json.dumps({
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
                              {"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"}]}))["Policy"]["Arn"]
            iam.create_group(GroupName="bench-group")
            iam.attach_group_policy(GroupName="bench-group", PolicyArn=list_policy)
            iam.create_user(UserName="bench-user3")
            iam.add_user_to_group(GroupName="bench-group", UserName="bench-user3")
            iam.put_user_policy(UserName="bench-user3", PolicyName="bench-inline", PolicyDocument=json.dumps({
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": ["iam:ListAccessKeys", "iam:GetUser"],
                     "Resource": f"arn:aws:iam::{account}:user/${{aws:username}}"},
                    {"Effect": "Deny", "Action": "iam:DeleteUser", "Resource": "*"}]}))
            try:
                iam.put_user_permissions_boundary(UserName="bench-user3", PermissionsBoundary=boundary)
            except Exception as e:  # noqa: BLE001
                if self.name == "iamd":
                    raise
                why = aws_error(str(e)) if "<Code>" in str(e) else ("HTTP 500" if "500 Internal" in str(e)
                                                                     else type(e).__name__)
                self.notes["s3"] = f"without the permissions boundary: PutUserPermissionsBoundary failed ({why})"
            key = iam.create_access_key(UserName="bench-user3")["AccessKey"]
            self.creds["s3"] = key_creds(key)
            self.extra["s3"] = {"UserName": "bench-user3"}

        def s4():
            iam.create_role(RoleName="bench-role", AssumeRolePolicyDocument=json.dumps({
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                               "Action": "sts:AssumeRole"}]}))
            # As in AWS, iamd refuses AssumeRole by an account's root ("Roles may not be assumed by
            # root accounts"): a user whose inline policy allows sts:AssumeRole on the role does it.
            role_arn = f"arn:aws:iam::{account}:role/bench-role"
            iam.create_user(UserName="bench-assumer")
            iam.put_user_policy(UserName="bench-assumer", PolicyName="assume", PolicyDocument=json.dumps({
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arn}]}))
            assumer = iam.create_access_key(UserName="bench-assumer")["AccessKey"]
            self.creds["assumer"] = key_creds(assumer)
            _, asts = clients(self.url, assumer["AccessKeyId"], assumer["SecretAccessKey"])
            c = asts.assume_role(RoleArn=role_arn, RoleSessionName="bench", DurationSeconds=3600)["Credentials"]
            self.creds["s4"] = key_creds(c)

        def s5():
            if "s4" not in self.creds:
                raise RuntimeError("needs the role of scenario 4")
            self.creds["s5"] = self.creds["assumer"]
            self.extra["s5"] = {"Policy": session_policy_1k(), "RoleArn": f"arn:aws:iam::{account}:role/bench-role",
                                "RoleSessionName": "bench-session-policy"}

        def s6():
            for i in range(WRITE_CLIENTS):
                iam.create_user(UserName=f"bench-w-{i}")

        step(["s1"], s1)
        step(["s2"], s2)
        step(["s3"], s3)
        step(["s4", "s5"], s4)
        step(["s5"], s5)
        step(["s6"], s6)


# ---------------------------------------------------------------------------------------------
# scenarios

SCENARIOS = [
    # id, title, service, action, version
    ("s1", "1. GetCallerIdentity, IAM user key", "sts", "GetCallerIdentity", "2011-06-15"),
    ("s2", "2. ListAccessKeys, root", "iam", "ListAccessKeys", "2010-05-08"),
    ("s3", "3. ListAccessKeys, user via group + inline + boundary", "iam", "ListAccessKeys", "2010-05-08"),
    ("s4", "4. GetCallerIdentity, AssumeRole session", "sts", "GetCallerIdentity", "2011-06-15"),
    ("s5", "5. AssumeRole + 1 KB session policy, IAM user key", "sts", "AssumeRole", "2011-06-15"),
    # scenario 1 again on a daemon whose data dir holds N keys (iamd fill-keys)
    ("s7", "7. GetCallerIdentity, IAM user key, N keys stored", "sts", "GetCallerIdentity", "2011-06-15"),
]
TITLES = {s[0]: s[1] for s in SCENARIOS}
TITLES["s6"] = "6. CreateAccessKey+DeleteAccessKey, 16 clients (acked creates/s)"


def form_body(action, version, extra):
    params = {"Action": action, "Version": version, **(extra or {})}
    return "&".join(f"{urllib.parse.quote(k, safe='-_.~')}={urllib.parse.quote(str(v), safe='-_.~')}"
                    for k, v in sorted(params.items()))


def sign(url, service, body, credentials):
    """A POST / with a form body, signed by botocore now; returns (headers, body)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    host = urllib.parse.urlsplit(url).netloc
    req = AWSRequest(method="POST", url=url.rstrip("/") + "/", data=body.encode(),
                     headers={"Content-Type": CONTENT_TYPE, "Host": host})
    SigV4Auth(credentials, service, REGION).add_auth(req)
    return {k: v for k, v in req.headers.items()}, body


def send_once(url, headers, body):
    u = urllib.parse.urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    try:
        c.request("POST", "/", body=body.encode(), headers=headers)
        r = c.getresponse()
        return r.status, r.read().decode(errors="replace")
    finally:
        c.close()


def aws_error(text):
    """`Code: Message` of an AWS XML error body, else its start."""
    code = re.search(r"<Code>(.*?)</Code>", text, re.S)
    msg = re.search(r"<Message>(.*?)</Message>", text, re.S)
    if code:
        return f"{code.group(1)}: {msg.group(1) if msg else ''}"[:200]
    return repr(text[:120])


def lua_string(s):
    out = []
    for ch in s.encode():
        c = chr(ch)
        if c in '"\\' or ch < 0x20 or ch > 0x7e:
            out.append(f"\\{ch:03d}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def wrk_script(path, headers, body):
    lines = ['wrk.method = "POST"', 'wrk.path = "/"', f"wrk.body = {lua_string(body)}"]
    for k, v in headers.items():
        lines.append(f"wrk.headers[{lua_string(k)}] = {lua_string(v)}")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def _ms(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    return float(m.group(1)) * _UNITS[m.group(2)] if m else None


def parse_wrk(out):
    """Requests/sec, p50/p99 (ms), request count, non-2xx count, socket errors from wrk --latency."""
    r = {}
    m = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.M)
    r["rps"] = float(m.group(1)) if m else None
    for pct, key in (("50", "p50"), ("99", "p99")):
        m = re.search(rf"^\s+{pct}(?:\.000)?%\s+(\S+)", out, re.M)
        r[key] = _ms(m.group(1)) if m else None
    m = re.search(r"^\s+(\d+) requests in", out, re.M)
    r["requests"] = int(m.group(1)) if m else None
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    r["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    r["socket_errors"] = sum(map(int, m.groups())) if m else 0
    return r


class Runner:
    def __init__(self, args, scratch):
        self.args = args
        self.scratch = scratch
        self.results = []  # dicts: scenario, target, rps, p50, p99, errors, note
        self.failed_iamd = False

    def record(self, scenario, target, **kw):
        row = dict(scenario=scenario, target=target, rps=None, p50=None, p99=None, errors=None, note="")
        row.update(kw)
        skipped = row.pop("skipped", False)
        self.results.append(row)
        if target.startswith("iamd") and not skipped and (row["rps"] is None or row["errors"]):
            self.failed_iamd = True
        if row["rps"] is None:
            log(f"    {target}: no result: {row['note']}")
        else:
            log(f"    {target}: {row['rps']:.0f} req/s, p50 {fmt(row['p50'], 3)} ms, p99 {fmt(row['p99'], 3)} ms, "
                f"errors {row['errors']}; {row['note']}")

    def wrk(self, sid, target_label, url, service, action, version, credentials, extra, note=""):
        """Signs the request now, checks it once, replays it with wrk."""
        body = form_body(action, version, extra)
        headers, body = sign(url, service, body, credentials)
        status, text = send_once(url, headers, body)
        if status != 200:
            self.record(sid, target_label, note=f"check request refused: HTTP {status} {aws_error(text)}")
            return None
        script = os.path.join(self.scratch, f"wrk-{sid}-{target_label}.lua".replace(" ", "_"))
        wrk_script(script, headers, body)
        argv = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{self.args.duration}s", "--timeout", "5s",
                "--latency", "-s", script, url]
        try:
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=self.args.duration + 60)
        except subprocess.TimeoutExpired:
            self.record(sid, target_label, note="wrk did not finish (server stuck?)")
            return None
        if proc.returncode != 0:
            self.record(sid, target_label, note=f"wrk exited {proc.returncode}: {proc.stderr[:160]}")
            return None
        r = parse_wrk(proc.stdout)
        with open(os.path.join(self.scratch, "wrk.log"), "a") as f:
            f.write(f"### {sid} {target_label}\n{proc.stdout}\n")
        errors = r["non2xx"] + r["socket_errors"]
        self.record(sid, target_label, rps=r["rps"], p50=r["p50"], p99=r["p99"], errors=errors,
                    note="; ".join(x for x in (f"{r['requests']} requests", note) if x))
        return r

    def run_reads(self, sid, target, label=None):
        label = label or target.name
        _, _, service, action, version = next(s for s in SCENARIOS if s[0] == sid)
        if sid in target.skip:
            return None
        if sid in target.unsupported:
            self.record(sid, label, note=target.unsupported[sid])
            return None
        return self.wrk(sid, label, target.url, service, action, version, target.creds[sid], target.extra.get(sid),
                        target.notes.get(sid, ""))

    def run_writes(self, target):
        if "s6" in target.unsupported:
            self.record("s6", target.name, note=target.unsupported["s6"])
            return
        argv = [self.args.tool, "writes", "--endpoint", target.url, "--clients", str(WRITE_CLIENTS),
                "--duration", str(self.args.duration), "--key-id", target.root[0], "--secret", target.root[1],
                "--user-prefix", "bench-w-", "--region", REGION]
        try:
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=self.args.duration + 120)
        except subprocess.TimeoutExpired:
            proc = None
        if not responsive(target.url):
            msg = (f"{target.name} STOPPED ANSWERING during scenario 6 ({WRITE_CLIENTS} concurrent "
                   f"CreateAccessKey/DeleteAccessKey clients): GET /healthz gets no answer")
            loud(msg)
            NOTES.append(msg)
            target.hung = True
        if proc is None:
            self.record("s6", target.name, note="bench-tool writes did not finish")
            return
        if proc.returncode != 0:
            self.record("s6", target.name, note=f"bench-tool writes exited {proc.returncode}: {proc.stderr[:160]}")
            return
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        note = f"{r['pairs_per_s']:.0f} pairs/s, {r['pairs']} pairs"
        if r["first_error"]:
            note += f"; first error: {r['first_error'][:120]}"
        if getattr(target, "hung", False):
            note = "HUNG: stopped answering; " + note
        self.record("s6", target.name, rps=r["creates_per_s"], p50=r["create_p50_ms"], p99=r["create_p99_ms"],
                    errors=r["errors"], note=note)
        return r


# ---------------------------------------------------------------------------------------------
# the steps

def build_iamd(args):
    if args.iamd:
        return os.path.abspath(args.iamd)
    binary = os.path.join(ROOT, "target", "release", "iamd")
    stale = not os.path.exists(binary)
    if not stale:
        t = os.path.getmtime(binary)
        for base in ("src", "Cargo.toml", "Cargo.lock"):
            p = os.path.join(ROOT, base)
            paths = [p] if os.path.isfile(p) else [os.path.join(d, f) for d, _, fs in os.walk(p) for f in fs]
            if any(os.path.getmtime(x) > t for x in paths):
                stale = True
                break
    if stale:
        with Stage("cargo build --release --locked (iamd)"):
            subprocess.run(["cargo", "build", "--release", "--locked"], cwd=ROOT, check=True)
    return binary


def fill_keys_available(binary):
    try:
        p = subprocess.run([binary, "fill-keys", "--help"], capture_output=True, text=True, timeout=30,
                           env=iamd_env())
    except (OSError, subprocess.TimeoutExpired) as e:
        return False, str(e)
    text = p.stdout + p.stderr
    if p.returncode != 0:
        return False, (text.strip().splitlines() or ["exit " + str(p.returncode)])[0]
    missing = [f for f in ("--data-dir", "--count") if f not in text]
    if missing:
        return False, f"`iamd fill-keys --help` does not mention {', '.join(missing)}"
    return True, ""


def dir_mib(path):
    total = 0
    for d, _, fs in os.walk(path):
        for f in fs:
            try:
                total += os.path.getsize(os.path.join(d, f))
            except OSError:
                pass
    return total / (1 << 20)


def fakecloud_argv(path, port):
    p = subprocess.run([path, "--help"], capture_output=True, text=True, timeout=30, env=clean_env())
    text = p.stdout + p.stderr
    if "--addr" in text:
        listen = ["--addr", f"127.0.0.1:{port}"]
    elif "--listen" in text:
        listen = ["--listen", f"127.0.0.1:{port}"]
    elif "--port" in text:
        listen = ["--port", str(port)]
        listen += ["--host", "127.0.0.1"] if "--host" in text else ["--bind", "127.0.0.1"] if "--bind" in text else []
    else:
        raise RuntimeError(f"cannot tell from `{path} --help` how to set the listen address:\n{text[:1000]}")
    return [path, *listen, "--verify-sigv4"]


def fill_and_measure(runner, binary, scratch, count, label, facts):
    """Fills a data dir with `count` keys offline, starts iamd on it, runs scenario 1."""
    data = os.path.join(scratch, f"data-{label}")
    with Stage(f"iamd fill-keys --count {count}"):
        t0 = time.monotonic()
        os.makedirs(data)
        p = subprocess.run([binary, "fill-keys", "--data-dir", data, "--count", str(count)], env=iamd_env(),
                           capture_output=True, text=True, timeout=3600)
        fill_s = time.monotonic() - t0
    if p.returncode != 0:
        loud(f"`iamd fill-keys --count {count}` failed (exit {p.returncode}): {(p.stderr or p.stdout)[-500:]}")
        runner.record("s7", f"iamd @ {label} keys", note=f"fill-keys failed (exit {p.returncode})")
        return None
    facts.append((f"fill-keys {count:,} keys: time, data dir size", f"{fill_s:.1f} s, {dir_mib(data):.0f} MiB"))
    with Stage(f"iamd on {label} keys: start, set-up, scenario 1"):
        d, t_env, t_ready = start_iamd(binary, data, scratch, f"iamd-{label}")
        rss_idle = d.rss_mib()
        facts.append((f"iamd start → --print-env, {label} keys", f"{t_env * 1000:.1f} ms"))
        facts.append((f"iamd start → /healthz 200, {label} keys", f"{t_ready * 1000:.1f} ms"))
        facts.append((f"iamd RSS idle after start, {label} keys", f"{rss_idle:.1f} MiB"))
        iam, _ = clients(d.url, ROOT_KEY_ID, ROOT_SECRET)
        iam.create_user(UserName="bench-flat")
        key = iam.create_access_key(UserName="bench-flat")["AccessKey"]
        t = Target("iamd", d.url, (ROOT_KEY_ID, ROOT_SECRET))
        t.creds["s7"] = key_creds(key)
        r = runner.run_reads("s7", t, label=f"iamd @ {label} keys")
        facts.append((f"iamd RSS after scenario 1, {label} keys", f"{d.rss_mib():.1f} MiB"))
        d.stop()
    shutil.rmtree(data, ignore_errors=True)
    return r


def fmt(v, digits=2):
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    return f"{v:,}"


def report(args, runner, facts, header):
    lines = list(header)
    lines += ["", "| scenario | target | req/s | p50 ms | p99 ms | errors | iamd ÷ target | notes |",
              "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    iamd_rps = {r["scenario"]: r["rps"] for r in runner.results if r["target"] == "iamd"}
    for r in runner.results:
        ratio = "—"
        base = iamd_rps.get(r["scenario"])
        if r["target"] != "iamd" and not r["target"].startswith("iamd @") and base and r["rps"]:
            ratio = f"{base / r['rps']:.2f}×"
        title = TITLES[r["scenario"]]
        lines.append(f"| {title} | {r['target']} | {fmt(r['rps'], 0)} | {fmt(r['p50'], 3)} | {fmt(r['p99'], 3)} "
                     f"| {fmt(r['errors'])} | {ratio} | {r['note']} |")
    lines += ["", "| iamd measurement | value |", "| --- | --- |"]
    lines += [f"| {k} | {v} |" for k, v in facts]
    lines += ["", "| stage | seconds |", "| --- | ---: |"]
    lines += [f"| {name} | {dt:.1f} |" for name, dt in STAGES]
    lines += [""] + [f"- {n}" for n in NOTES]
    text = "\n".join(lines) + "\n"
    print(text, flush=True)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
        log(f"report written to {args.out}")


def main():
    ap = argparse.ArgumentParser(prog="conformance/bench", description=(
        "Measures iamd (req/s, p50/p99, memory, start-up) next to a bare hyper+tokio server doing only "
        "the SigV4 work (the ceiling), moto and optionally fakecloud, on this machine, and prints one "
        "markdown report."))
    ap.add_argument("--duration", type=float, help="seconds per wrk run and per write run (default 8; --quick: 2)")
    ap.add_argument("--quick", action="store_true", help="smoke test: 2 s runs, 10,000-key fill")
    ap.add_argument("--fill", type=int, help="keys for the large fill (default 1,000,000; --quick: 10,000)")
    ap.add_argument("--out", help="also write the report to this file")
    ap.add_argument("--iamd", help="iamd binary to measure (default: target/release/iamd, built when stale)")
    ap.add_argument("--fakecloud", metavar="PATH", help="also measure this fakecloud binary (run with --verify-sigv4)")
    ap.add_argument("--no-moto", action="store_true", help="skip moto")
    ap.add_argument("--tool", required=True, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.duration is None:
        args.duration = 2 if args.quick else 8
    args.duration = int(args.duration) if float(args.duration).is_integer() else args.duration
    fill = args.fill or (10_000 if args.quick else 1_000_000)
    small = 1_000

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda s, f: sys.exit(128 + s))

    for name, secs in (x.split("=", 1) for x in os.environ.get("BENCH_SETUP_STAGES", "").split(",") if "=" in x):
        STAGES.append((name, float(secs)))

    scratch = tempfile.mkdtemp(prefix="iamd-bench-")
    started = datetime.datetime.now(datetime.timezone.utc)
    t_start = time.monotonic()
    load_before = os.getloadavg()
    facts = []
    runner = Runner(args, scratch)
    try:
        binary = build_iamd(args)
        version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.strip()
        commit = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"], capture_output=True,
                                text=True).stdout.strip()
        version = f"{version} (`{binary}`{', tree ' + commit if commit and not args.iamd else ''})"
        wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.splitlines()[0]

        # --- iamd on an empty data dir: start-up times (median of 3 fresh starts), then the scenarios
        with Stage("iamd start-up on empty data dirs (3 starts)"):
            envs, readies = [], []
            for i in range(3):
                d, t_env, t_ready = start_iamd(binary, os.path.join(scratch, f"data-empty-{i}"), scratch, f"iamd-empty-{i}")
                envs.append(t_env)
                readies.append(t_ready)
                if i == 2:
                    facts.append(("iamd RSS idle after start, empty data dir", f"{d.rss_mib():.1f} MiB"))
                d.stop()
            facts.append(("iamd start → --print-env, empty data dir (median of 3)",
                          f"{statistics.median(envs) * 1000:.1f} ms"))
            facts.append(("iamd start → /healthz 200, empty data dir (median of 3)",
                          f"{statistics.median(readies) * 1000:.1f} ms"))

        with Stage("iamd start-up with a 1,000-entity seed (first start applies it, second finds it applied)"):
            seed = os.path.join(scratch, "seed-1000.toml")
            write_seed(seed)
            data = os.path.join(scratch, "data-seeded")
            for label in ("first start, applies the seed", "second start, seed already applied"):
                d, t_env, t_ready = start_iamd(binary, data, scratch, "iamd-seeded", ["--seed", seed])
                d.stop()
                facts.append((f"iamd start → /healthz 200, 1,000-entity seed, {label}", f"{t_ready * 1000:.1f} ms"))

        ids = ["s1", "s2", "s3", "s4", "s5", "s6"]
        targets = []
        with Stage("start iamd and set up entities (boto3)"):
            d, _, _ = start_iamd(binary, os.path.join(scratch, "data-main"), scratch, "iamd")
            iamd = Target("iamd", d.url, (ROOT_KEY_ID, ROOT_SECRET))
            iamd.setup(ids)
            targets.append(iamd)
            facts.append(("iamd RSS after set-up, before load", f"{d.rss_mib():.1f} MiB"))

        with Stage("start the ceiling server (bench-tool ceiling)"):
            keys = "".join(f"{c.access_key} {c.secret_key}\n" for c in iamd.creds.values())
            cp = Proc("ceiling", [args.tool, "ceiling", "--listen", "127.0.0.1:0"], clean_env(), scratch,
                      stdin_data=keys)
            ceiling = Target("ceiling", wait_for_env_url(cp, 30), (ROOT_KEY_ID, ROOT_SECRET))
            ceiling.creds = dict(iamd.creds)
            ceiling.extra = dict(iamd.extra)
            ceiling.skip = {"s5", "s6"}  # not reads: the ceiling only models a signed read
            targets.append(ceiling)

        moto = None
        if not args.no_moto:
            with Stage("start moto_server and set up entities"):
                port = free_port()
                mp = Proc("moto", [os.path.join(os.path.dirname(sys.executable), "moto_server"), "-H", "127.0.0.1",
                                   "-p", str(port)], clean_env(), scratch)
                url = f"http://127.0.0.1:{port}"
                wait_http(mp, url)
                moto = Target("moto", url, (ROOT_KEY_ID, ROOT_SECRET))
                moto.setup(ids)
                targets.append(moto)
        fakecloud = None
        if args.fakecloud:
            with Stage("start fakecloud --verify-sigv4 and set up entities"):
                try:
                    port = free_port()
                    fp = Proc("fakecloud", fakecloud_argv(args.fakecloud, port), clean_env(), scratch)
                    url = f"http://127.0.0.1:{port}"
                    wait_http(fp, url)
                    fakecloud = Target("fakecloud", url, FAKECLOUD_ROOT)
                    fakecloud.setup(ids)
                    targets.append(fakecloud)
                    NOTES.append("fakecloud runs with --verify-sigv4; its root is the reserved test/test pair, "
                                 "which it exempts from signature verification (scenarios 2 and 6 there).")
                except Exception as e:  # noqa: BLE001
                    loud(f"fakecloud could not be started or set up: {e}")
                    runner.record("s1", "fakecloud", note=f"not started: {str(e)[:160]}")

        for sid, title, *_ in SCENARIOS[:5]:
            with Stage(title):
                for t in targets:
                    runner.run_reads(sid, t)
        with Stage(TITLES["s6"]):
            for t in targets:
                if t.name != "ceiling":
                    runner.run_writes(t)
        facts.append(("iamd RSS after scenarios 1–6", f"{d.rss_mib():.1f} MiB"))
        for t in list(PROCS):
            t.stop()

        # --- scenario 7: per-request cost with many keys stored
        ok, why = fill_keys_available(binary)
        if not ok:
            msg = (f"SKIPPED: scenario 7 ({fill:,} keys) and the 1k-vs-{fill:,} flatness ratio: "
                   f"`{binary} fill-keys` is missing ({why})")
            loud(msg)
            NOTES.append(msg)
            runner.record("s7", f"iamd @ {fill:,} keys", note="SKIPPED: `iamd fill-keys` is missing", skipped=True)
        else:
            small_r = fill_and_measure(runner, binary, scratch, small, f"{small:,}", facts)
            big_r = fill_and_measure(runner, binary, scratch, fill, f"{fill:,}", facts)
            if small_r and big_r and small_r["rps"] and big_r["rps"]:
                facts.append((f"flatness: req/s at {small:,} keys ÷ req/s at {fill:,} keys (1.00 = flat)",
                              f"{small_r['rps'] / big_r['rps']:.2f}"))
                if small_r["p50"] and big_r["p50"]:
                    facts.append((f"flatness: p50 at {fill:,} keys ÷ p50 at {small:,} keys",
                                  f"{big_r['p50'] / small_r['p50']:.2f}"))
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        stop_all()
        shutil.rmtree(scratch, ignore_errors=True)

    load_after = os.getloadavg()
    STAGES.append(("total (driver)", time.monotonic() - t_start))
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "")
    except OSError:
        pass
    header = [
        f"## iamd benchmark — {started:%Y-%m-%d %H:%M} UTC",
        "",
        f"{version}; {wrk_version.split(' Copyright')[0]} `-t{THREADS} -c{CONNECTIONS} -d{args.duration}s --latency` "
        f"replaying requests signed by botocore just before each run; writes: bench-tool, {WRITE_CLIENTS} clients, "
        f"{args.duration} s. iamd runs with IAMD_LOG=warn (no per-request log lines).",
        f"Machine: {os.cpu_count()} cores{', ' + cpu if cpu else ''}, {platform.system()} {platform.release()}; "
        f"load average {load_before[0]:.2f} at start, {load_after[0]:.2f} at end (the generator shares the cores).",
        "Latencies in ms. `iamd ÷ target`: iamd's req/s over the target's in the same scenario (for the ceiling: "
        "the share of a SigV4-only server's throughput iamd reaches). errors: non-2xx answers + socket errors.",
    ]
    report(args, runner, facts, header)
    if runner.failed_iamd:
        log("FAILED: at least one iamd scenario had errors or no result (see the table)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
