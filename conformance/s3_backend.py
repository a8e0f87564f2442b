"""moto's S3 server as the storage behind iamd's S3 gateway, and an iamd in front of it.

moto enforces nothing (any key, any signature, no policies): in these tests every refusal
must come from the gateway, which verifies iamd's keys, evaluates iamd's policies and
forwards what it allows re-signed with the backend's own key.

`MotoS3().start()` runs `moto_server -H 127.0.0.1 -p PORT` from the conformance venv on a
free port, killed if the harness dies (PR_SET_PDEATHSIG) and registered in daemon.CREATED /
daemon.LIVE like a Daemon, so the harness stops it after the test and prints its log under a
failing one. `gateway()` starts a moto and an iamd whose gateway fronts it.
"""

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import daemon

MOTO_SERVER = os.path.join(os.path.dirname(sys.executable), "moto_server")
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0

# The backend's own key, handed to iamd through the environment (moto accepts any).
BACKEND_KEY_ID = "backend"
BACKEND_SECRET = "backend-secret"


def _die_with_parent():
    # PR_SET_PDEATHSIG = 1: moto gets SIGKILL if the harness dies.
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MotoS3:
    def __init__(self):
        self.scratch = tempfile.mkdtemp(prefix="iamd-conf-moto-")
        self.log = os.path.join(self.scratch, "moto.log")
        self.proc = None
        self.url = None
        daemon.CREATED.append(self)

    def start(self):
        assert self.proc is None, "already running"
        if not os.access(MOTO_SERVER, os.X_OK):
            # moto is pinned in requirements.txt, so this is a broken venv, not a Skip.
            raise RuntimeError(f"no moto_server at {MOTO_SERVER}: is moto[server] in requirements.txt installed?")
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "IAMD_", "MOTO_"))}
        env["PYTHONUNBUFFERED"] = "1"
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [MOTO_SERVER, "-H", "127.0.0.1", "-p", str(port)],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env,
                cwd=self.scratch, preexec_fn=_die_with_parent)
        daemon.LIVE.add(self)
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT
        while not self._answers():
            if self.proc.poll() is not None:
                raise RuntimeError(f"moto_server exited with {self.proc.returncode}:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"moto_server did not answer in {START_TIMEOUT}s:\n{self.log_tail()}")
            time.sleep(0.1)
        return self

    def _answers(self):
        try:
            with urllib.request.urlopen(self.url + "/moto-api/", timeout=2) as r:
                return r.status == 200
        except (OSError, urllib.error.URLError):
            return False

    def stop(self, sig=signal.SIGTERM):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        code = self.proc.returncode
        self.proc = None
        daemon.LIVE.discard(self)
        return code

    def requests(self):
        """moto's access log (werkzeug's lines, e.g. '"PUT /data/k HTTP/1.1" 200'): what
        the gateway really forwarded."""
        try:
            with open(self.log, errors="replace") as f:
                return [l for l in f.read().splitlines() if '" ' in l and "HTTP/1." in l]
        except OSError:
            return []

    # The two methods daemon.clean_up_test() calls on what it created.
    def log_tail(self, chars=4000):
        try:
            with open(self.log, errors="replace") as f:
                return "--- moto_server log ---\n" + f.read()[-chars:]
        except OSError:
            return ""

    def remove_files(self):
        shutil.rmtree(self.scratch, ignore_errors=True)


def gateway_daemon(backend_url, region=None, key_id=BACKEND_KEY_ID, secret=BACKEND_SECRET, **kw):
    """An iamd (not started) whose S3 gateway listens on a free port and forwards to
    `backend_url` with the backend key (`key_id` / `secret`: moto's, which it ignores, unless
    the backend checks them, as RGW does)."""
    env = {"IAMD_S3_BACKEND_ACCESS_KEY_ID": key_id,
           "IAMD_S3_BACKEND_SECRET_ACCESS_KEY": secret}
    if region:
        env["IAMD_S3_BACKEND_REGION"] = region
    return daemon.Daemon(extra_args=["--s3-listen", "127.0.0.1:0", "--s3-backend", backend_url],
                         extra_env=env, **kw)


@contextlib.contextmanager
def gateway():
    """A fresh moto S3 server and an iamd fronting it; yields (iamd, moto), stops both after."""
    moto = MotoS3().start()
    d = None
    try:
        d = gateway_daemon(moto.url).start()
        assert d.s3_url and d.s3_url.startswith("http://127.0.0.1:"), d.env
        yield d, moto
    finally:
        if d is not None:
            d.stop()
        moto.stop()
