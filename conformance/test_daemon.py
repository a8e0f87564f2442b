"""The process contract: --print-env, /healthz, SIGTERM, --ephemeral, generated root keys."""

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

from clients import ACCOUNT, AWS, error_of, iam, sts
from daemon import IAMD, ROOT_KEY_ID, ROOT_SECRET, Daemon


def test_print_env_and_healthz(d):
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", d.env["AWS_ENDPOINT_URL"]), d.env
    assert int(d.env["AWS_ENDPOINT_URL"].rsplit(":", 1)[1]) > 0
    assert d.env["AWS_ACCESS_KEY_ID"] == ROOT_KEY_ID
    assert d.env["AWS_SECRET_ACCESS_KEY"] == ROOT_SECRET
    assert d.env["AWS_REGION"] == "us-east-1"
    assert d.healthz() == 200


def test_sigterm_stops_promptly_and_cleanly(d):
    iam(d).list_users()  # leave a keep-alive connection open
    started = time.monotonic()
    assert d.stop() == 0
    assert time.monotonic() - started < 5
    try:
        urllib.request.urlopen(d.url + "/healthz", timeout=2)
        raise AssertionError("iamd still answers after SIGTERM")
    except (urllib.error.URLError, ConnectionError):
        pass


def test_unsigned_requests_are_refused(d):
    body = urllib.parse.urlencode({"Action": "ListUsers", "Version": "2010-05-08"}).encode()
    req = urllib.request.Request(d.url + "/", data=body, method="POST",
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        urllib.request.urlopen(req, timeout=5)
        raise AssertionError("an unsigned ListUsers was answered")
    except urllib.error.HTTPError as e:
        assert e.code == 403
        assert "<Code>MissingAuthenticationToken</Code>" in e.read().decode()


def test_ephemeral_starts_empty_every_time():
    for _ in range(2):
        d = Daemon(ephemeral=True).start()
        try:
            c = iam(d)
            assert c.list_users()["Users"] == []
            c.create_user(UserName="temp")
            assert d.stop() == 0
        finally:
            d.close()


def test_generated_root_credentials_work():
    d = Daemon(fixed_root=False).start()
    try:
        key_id, secret = d.env["AWS_ACCESS_KEY_ID"], d.env["AWS_SECRET_ACCESS_KEY"]
        assert key_id != ROOT_KEY_ID and re.fullmatch(r"AKIA[A-Z2-7]{16}", key_id), key_id
        assert len(secret) == 40
        assert sts(d, key_id, secret).get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"
        assert iam(d, key_id, secret).list_users()["Users"] == []
        assert error_of(sts(d).get_caller_identity)[0] == "InvalidClientTokenId"
    finally:
        d.close()


def _only(env_lines, home):
    """An environment with nothing AWS-related but what iamd printed: no ~/.aws (HOME is an
    empty directory), no AWS_* or IAMD_* of the harness."""
    env = {"PATH": os.environ["PATH"], "HOME": home, "LANG": "C.UTF-8"}
    env.update(env_lines)
    return env


def _dotenv(text):
    return dict(l.split("=", 1) for l in text.splitlines() if "=" in l)


def test_clients_work_with_only_the_printed_environment():
    """The README's CI recipe: the printed lines, and nothing else, configure the aws CLI v1 and
    boto3 (botocore reads AWS_DEFAULT_REGION and the per-service AWS_ENDPOINT_URL_IAM/_STS)."""
    d = Daemon(ephemeral=True, fixed_root=False).start()
    try:
        for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_IAM", "AWS_ENDPOINT_URL_STS"):
            assert d.env[name] == d.url, d.env
        assert d.env["AWS_DEFAULT_REGION"] == d.env["AWS_REGION"] == "us-east-1", d.env
        with tempfile.TemporaryDirectory() as home:
            env = _only(d.env, home)
            r = subprocess.run([AWS, "iam", "create-user", "--user-name", "ci"], env=env,
                               capture_output=True, text=True, timeout=60)
            assert r.returncode == 0, r.stderr
            assert json.loads(r.stdout)["User"]["UserName"] == "ci"
            script = ("import boto3\n"
                      "print(boto3.client('sts').get_caller_identity()['Arn'])\n"
                      "print([u['UserName'] for u in boto3.client('iam').list_users()['Users']])\n")
            r = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
            assert r.returncode == 0, r.stderr
            assert r.stdout.splitlines() == [f"arn:aws:iam::{ACCOUNT}:root", "['ci']"], r.stdout
    finally:
        d.stop()
        d.close()


def _spawn(args, env_file=None):
    """iamd serve --ephemeral with `args`; returns the process and its stdout file."""
    out = tempfile.NamedTemporaryFile(delete=False)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "IAMD_"))}
    proc = subprocess.Popen([IAMD, "serve", "--ephemeral", "--listen", "127.0.0.1:0", *args],
                            stdout=out, stderr=subprocess.PIPE, env=env, stdin=subprocess.DEVNULL)
    return proc, out.name


def _wait_for(path, pattern, proc, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(path) as f:
            text = f.read()
        if re.search(pattern, text, re.M):
            return text
        assert proc.poll() is None, proc.stderr.read().decode()
        time.sleep(0.01)
    raise AssertionError(f"{pattern!r} never appeared in {path}")


def test_print_env_shell_and_env_file():
    """`--print-env=shell` prints export lines a shell evaluates; `--env-file` appends the
    NAME=value lines to a file, keeping what it held ($GITHUB_ENV); SIGTERM stops iamd within a
    second and removes its ephemeral data dir."""
    with tempfile.TemporaryDirectory() as tmp:
        env_file = os.path.join(tmp, "github_env")
        with open(env_file, "w") as f:
            f.write("EARLIER=kept\n")
        proc, out = _spawn(["--print-env=shell", "--env-file", env_file])
        try:
            printed = _wait_for(out, r"^export AWS_DEFAULT_REGION=", proc)
            appended = _wait_for(env_file, r"^AWS_DEFAULT_REGION=", proc)
            assert appended.startswith("EARLIER=kept\n"), appended
            from_file = _dotenv(appended)
            assert from_file["AWS_ACCESS_KEY_ID"].startswith("AKIA"), from_file
            # The shell form says the same: evaluate it and print what it set.
            r = subprocess.run(["bash", "-c", f'eval "$(cat {out})"; echo "$AWS_ENDPOINT_URL_IAM $AWS_ACCESS_KEY_ID"'],
                               capture_output=True, text=True, timeout=10)
            assert r.stdout.split() == [from_file["AWS_ENDPOINT_URL_IAM"], from_file["AWS_ACCESS_KEY_ID"]], (printed, r)
            # The variables from the file drive the aws CLI.
            with tempfile.TemporaryDirectory() as home:
                r = subprocess.run([AWS, "sts", "get-caller-identity"], env=_only(from_file, home),
                                   capture_output=True, text=True, timeout=60)
                assert r.returncode == 0, r.stderr
            # Where the ephemeral state lives (the start-up log names it).
            os.kill(proc.pid, signal.SIGTERM)
            started = time.monotonic()
            proc.wait(10)
            took = time.monotonic() - started
            log = proc.stderr.read().decode()
            assert proc.returncode == 0, log
            assert took < 1.0, f"SIGTERM to exit took {took:.2f} s"
            data_dir = re.search(r"data_dir=(\S+)", log).group(1)
            assert not os.path.exists(data_dir), f"{data_dir} is still there"
        finally:
            if proc.poll() is None:
                proc.kill()
            os.unlink(out)


def test_json_logs():
    """IAMD_LOG_FORMAT=json: every log line is one JSON object (the request line's fields too)."""
    d = Daemon(ephemeral=True, extra_env={"IAMD_LOG_FORMAT": "json"}).start()
    try:
        iam(d).list_users()
    finally:
        d.stop()
    with open(d.logs[-1]) as f:
        lines = [l for l in f.read().splitlines() if l.strip()]
    events = [json.loads(l) for l in lines]
    requests = [e for e in events if e.get("fields", {}).get("action") == "ListUsers"]
    assert requests and requests[0]["fields"]["status"] == 200, lines
    assert all("timestamp" in e and "level" in e for e in events), lines
    d.close()


def test_version_and_check_config():
    r = subprocess.run([IAMD, "--version"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 0 and re.fullmatch(r"iamd \d+\.\d+\.\d+\n", r.stdout), (r.stdout, r.stderr)
    here = os.path.dirname(os.path.abspath(__file__))
    shipped = os.path.join(here, "..", "config", "iamd.toml")
    seed = os.path.join(here, "..", "config", "seed.example.toml")
    r = subprocess.run([IAMD, "check-config", "--config", shipped, "--seed", seed], capture_output=True, text=True,
                       timeout=10)
    assert r.returncode == 0, r.stderr
    with tempfile.TemporaryDirectory() as tmp:
        bad = os.path.join(tmp, "bad.toml")
        with open(bad, "w") as f:
            f.write('listen = "127.0.0.1:1"\nunknown_key = 1\n')
        r = subprocess.run([IAMD, "check-config", "--config", bad], capture_output=True, text=True, timeout=10)
        assert r.returncode == 2 and "unknown_key" in r.stderr, (r.returncode, r.stderr)
        with open(bad, "w") as f:
            f.write('[[users]]\nname = "ci"\n[[users.access_keys]]\nid = "AKIA-NOT-VALID"\nsecret = "x"\n')
        r = subprocess.run([IAMD, "check-config", "--config", bad], capture_output=True, text=True, timeout=10)
        assert r.returncode == 2 and 'user "ci"' in r.stderr, (r.returncode, r.stderr)
