"""The AWS SDK for JavaScript v3 against one iamd: conformance/js/*.test.mjs under `node --test`.

The SDK (@aws-sdk/client-iam and @aws-sdk/client-sts, pinned in conformance/js/package-lock.json)
is installed by conformance/run with `npm ci`. When node or npm is missing, or that install
failed (IAMD_JS_SDK_ERROR names npm's output), or node_modules does not match the lock, the
test raises harness.Skip with the reason: it is reported SKIPPED, never passed. Everything after
that (node's run, iamd's answers) fails the test.
"""

import glob
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile

import daemon
from harness import Skip

HERE = os.path.dirname(os.path.abspath(__file__))
JS_DIR = os.path.join(HERE, "js")
# Set by conformance/run when `npm ci` failed or node/npm is missing: a file saying why.
INSTALL_ERROR_LOG = os.environ.get("IAMD_JS_SDK_ERROR")

# The pinned SDK's "engines" say node >= 20; --test-timeout came in 20.11.
NODE_MIN = (20, 11)
NODE_TIMEOUT = 240  # the whole `node --test` run
PER_TEST_TIMEOUT_MS = 60_000  # one JS test


def _require_sdk():
    """Returns the node executable, or raises Skip saying what is not installed."""
    if INSTALL_ERROR_LOG:
        try:
            with open(INSTALL_ERROR_LOG, errors="replace") as f:
                tail = f.read()[-1500:]
        except OSError as e:
            tail = f"(cannot read {INSTALL_ERROR_LOG}: {e})"
        raise Skip(f"the AWS SDK for JavaScript could not be installed (conformance/run): {tail}")
    node = shutil.which("node")
    if node is None:
        raise Skip("node is not installed")
    version = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    m = re.fullmatch(r"v(\d+)\.(\d+)\..*", version)
    if not m or (int(m.group(1)), int(m.group(2))) < NODE_MIN:
        raise Skip(f"node {version or '(no version)'} is older than {'.'.join(map(str, NODE_MIN))}, "
                   "which these tests need")
    # node_modules must hold exactly what the lock pins (a stale or partial install is not the SDK
    # this suite was written against).
    with open(os.path.join(JS_DIR, "package-lock.json")) as f:
        lock = json.load(f)
    wrong = []
    for path, entry in lock["packages"].items():
        if not path.startswith("node_modules/"):
            continue
        try:
            with open(os.path.join(JS_DIR, path, "package.json")) as f:
                installed = json.load(f).get("version")
        except (OSError, ValueError):
            installed = None
        if installed != entry["version"]:
            wrong.append(f"{path[len('node_modules/'):]} {installed or 'missing'} (lock: {entry['version']})")
    if wrong:
        raise Skip("conformance/js/node_modules does not match package-lock.json (conformance/run runs "
                   "`npm ci` there): " + ", ".join(wrong[:5]))
    return node


def _summary(tap):
    """The counts of node's TAP summary ("# pass 23" ...), or None without one."""
    counts = dict(re.findall(r"^# (tests|suites|pass|fail|cancelled|skipped|todo) (\d+)$", tap, re.M))
    keys = ("tests", "pass", "fail", "cancelled", "skipped", "todo")
    if not all(k in counts for k in keys):
        return None
    return {k: int(counts[k]) for k in keys}


def test_js_sdk(d):
    node = _require_sdk()
    files = sorted(os.path.basename(p) for p in glob.glob(os.path.join(JS_DIR, "*.test.mjs")))
    assert files, f"no *.test.mjs in {JS_DIR}"

    scratch = tempfile.mkdtemp(prefix="iamd-conf-js-")
    try:
        # Empty AWS config and credentials files and no AWS_* from the host: the SDK may read
        # nothing but what the tests hand it.
        empty = os.path.join(scratch, "empty")
        open(empty, "w").close()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "IAMD_", "NODE_"))}
        env.update(
            IAMD_ENDPOINT=d.url,
            IAMD_REGION=daemon.REGION,
            IAMD_ACCOUNT=daemon.ACCOUNT,
            IAMD_ROOT_ACCESS_KEY_ID=daemon.ROOT_KEY_ID,
            IAMD_ROOT_SECRET_ACCESS_KEY=daemon.ROOT_SECRET,
            AWS_CONFIG_FILE=empty,
            AWS_SHARED_CREDENTIALS_FILE=empty,
            AWS_EC2_METADATA_DISABLED="true",
            # The pinned SDK warns that SDKs published after January 2027 need node 22; that
            # is about future versions, not this one, and only clutters the output.
            AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED="true",
            NO_COLOR="1",
        )
        cmd = [node, "--test", "--test-reporter=tap", f"--test-timeout={PER_TEST_TIMEOUT_MS}", *files]
        # Its own process group, so a timeout also ends the per-file child processes.
        proc = subprocess.Popen(cmd, cwd=JS_DIR, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True)
        try:
            out, _ = proc.communicate(timeout=NODE_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
            raise AssertionError(f"node --test took longer than {NODE_TIMEOUT}s:\n{out}") from None
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    counts = _summary(out)
    assert counts is not None, f"node --test printed no TAP summary (exit {proc.returncode}):\n{out}"
    print(f"    node --test ({', '.join(files)}): {counts['pass']} passed, {counts['fail']} failed, "
          f"{counts['cancelled']} cancelled, {counts['skipped']} skipped, {counts['todo']} todo "
          f"of {counts['tests']}", flush=True)
    passed_all = (counts["fail"] == 0 and counts["cancelled"] == 0 and counts["skipped"] == 0
                  and counts["todo"] == 0 and counts["pass"] > 0 and counts["pass"] == counts["tests"])
    assert passed_all and proc.returncode == 0, f"node --test exited {proc.returncode}, {counts}:\n{out}"


test_js_sdk.timeout = NODE_TIMEOUT + 60
