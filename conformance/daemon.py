"""Start and stop a real `iamd serve` process for one test.

Each Daemon listens on 127.0.0.1:0 (a free port), keeps its data in a
directory of its own (or one handed in, for restart tests) and uses fixed
root credentials passed through the environment. stdout (the --print-env
lines) and stderr (logs) go to files in a scratch directory so that a full
pipe can never stall the daemon; the harness prints the log when a test fails.
"""

import ctypes
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request

import postgres

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IAMD = os.environ.get("IAMD_BIN", os.path.join(ROOT, "target", "release", "iamd"))

ROOT_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
ROOT_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
ACCOUNT = "000000000000"
REGION = "us-east-1"

START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0

# Every daemon still running, so the harness can kill leftovers, and every
# daemon made during the current test, whose logs and files it handles after.
LIVE = set()
CREATED = []


def _die_with_parent():
    # PR_SET_PDEATHSIG = 1: the daemon gets SIGKILL if the harness dies.
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)


class Daemon:
    def __init__(self, data_dir=None, ephemeral=False, fixed_root=True, config=None,
                 extra_args=None, extra_env=None):
        """`config`: the text of a TOML config file (`--config`), e.g. a `[keystone]` section.
        `extra_args`: more `iamd serve` arguments (e.g. `--s3-listen 127.0.0.1:0 --s3-backend
        URL`); `extra_env`: more environment variables, set after the scrubbed IAMD_*/AWS_*.
        With `--s3-listen`, start() also waits for the AWS_ENDPOINT_URL_S3 line (`s3_url`)."""
        self.scratch = tempfile.mkdtemp(prefix="iamd-conf-")
        self.config_path = None
        if config is not None:
            self.config_path = os.path.join(self.scratch, "iamd.toml")
            with open(self.config_path, "w") as f:
                f.write(config)
        self.data_dir = None if ephemeral else (data_dir or os.path.join(self.scratch, "data"))
        self.fixed_root = fixed_root
        self.extra_args = list(extra_args or [])
        self.extra_env = dict(extra_env or {})
        self.proc = None
        self.url = None
        self.s3_url = None
        self.env = {}
        self.last_env = {}
        self.logs = []  # stderr files of every start, oldest first
        self.exit_codes = []
        CREATED.append(self)

    def start(self):
        """Starts iamd and waits for its --print-env lines."""
        assert self.proc is None, "already running"
        n = len(self.logs)
        out_path = os.path.join(self.scratch, f"stdout.{n}")
        err_path = os.path.join(self.scratch, f"stderr.{n}")
        self.logs.append(err_path)
        env = dict(os.environ)
        for k in list(env):
            if k.startswith("IAMD_") or k.startswith("AWS_"):
                del env[k]
        env.update(IAMD_LOG="info", NO_COLOR="1")
        if self.fixed_root:
            env.update(IAMD_ROOT_ACCESS_KEY_ID=ROOT_KEY_ID, IAMD_ROOT_SECRET_ACCESS_KEY=ROOT_SECRET)
        env.update(self.extra_env)
        if postgres.STORE == "postgres" and self.data_dir is not None and "IAMD_STORE_URL" not in env \
                and "--store" not in self.extra_args:
            env["IAMD_STORE_URL"] = postgres.store_url(self.data_dir)
        self.last_env = env  # for a test that runs other iamd commands on the same data dir
        where = ["--ephemeral"] if self.data_dir is None else ["--data-dir", self.data_dir]
        if self.config_path:
            where += ["--config", self.config_path]
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            self.proc = subprocess.Popen(
                [IAMD, "serve", "--listen", "127.0.0.1:0", *where, *self.extra_args, "--print-env"],
                stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env,
                preexec_fn=_die_with_parent,
            )
        LIVE.add(self)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            with open(out_path) as f:
                text = f.read()
            # Only whole lines: the last one may still be being written.
            lines = text.splitlines() if text.endswith("\n") else text.splitlines()[:-1]
            self.env = dict(l.split("=", 1) for l in lines if "=" in l)
            # AWS_DEFAULT_REGION is the block's last line (written in one go).
            if "AWS_DEFAULT_REGION" in self.env:
                break
            if self.proc.poll() is not None:
                raise RuntimeError(f"iamd exited with {self.proc.returncode} before serving: {self.log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"iamd printed no environment in {START_TIMEOUT}s: {self.log_tail()}")
            time.sleep(0.02)
        self.url = self.env["AWS_ENDPOINT_URL"]
        self.s3_url = self.env.get("AWS_ENDPOINT_URL_S3")
        return self

    def stop(self, sig=signal.SIGTERM):
        """Sends `sig` (SIGTERM by default) and waits; SIGKILL if it hangs.

        Returns the exit status (negative: killed by that signal)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self.exit_codes.append("hung")
                self.proc = None
                LIVE.discard(self)
                raise RuntimeError(f"iamd did not stop within {STOP_TIMEOUT}s of signal {sig}")
        code = self.proc.returncode
        self.exit_codes.append(code)
        self.proc = None
        LIVE.discard(self)
        return code

    def kill9(self):
        return self.stop(signal.SIGKILL)

    def restart(self, sig=signal.SIGTERM):
        self.stop(sig)
        return self.start()

    def close(self):
        """Stops the daemon if running; the harness removes its files later."""
        self.stop()

    def remove_files(self):
        shutil.rmtree(self.scratch, ignore_errors=True)

    def healthz(self):
        with urllib.request.urlopen(self.url + "/healthz", timeout=5) as r:
            return r.status

    def log_tail(self, chars=4000):
        text = ""
        for p in self.logs:
            try:
                with open(p, errors="replace") as f:
                    text += f"--- {os.path.basename(p)} ---\n" + f.read()
            except OSError:
                pass
        return text[-chars:]


def kill_leftovers():
    for d in list(LIVE):
        try:
            d.stop(signal.SIGKILL)
        except Exception:  # noqa: BLE001
            pass


def clean_up_test():
    """Kills what the last test left running, removes its files; returns
    the log tails of its daemons."""
    kill_leftovers()
    logs = "".join(d.log_tail() for d in CREATED)
    for d in CREATED:
        d.remove_files()
    CREATED.clear()
    return logs
