"""The conformance suite on PostgreSQL: `IAMD_CONFORMANCE_STORE=postgres conformance/run`.

One real server (Debian's `postgresql` binaries, `initdb` on a temporary directory, a free
loopback port, run as `postgres` when the harness runs as root, since PostgreSQL refuses root)
serves the whole run; every data dir a test's daemons use gets a database of its own, so a
daemon restarted on its data dir finds its store again. The server dies with the harness
(PR_SET_PDEATHSIG) and its files are removed at exit. A run that asked for PostgreSQL and
cannot start it fails loudly: it never falls back to sled.
"""

import atexit
import ctypes
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time

STORE = os.environ.get("IAMD_CONFORMANCE_STORE", "sled")
if STORE not in ("sled", "postgres"):
    raise SystemExit(f"IAMD_CONFORMANCE_STORE must be sled or postgres, not {STORE!r}")

USER = "iamd"
_server = None
_databases = {}  # data dir -> database name


def _bin_dir():
    if os.environ.get("IAMD_PG_BIN"):
        return os.environ["IAMD_PG_BIN"]
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    if not found:
        raise RuntimeError("IAMD_CONFORMANCE_STORE=postgres but PostgreSQL is not installed "
                           "(no /usr/lib/postgresql/*/bin/initdb): run .ci/install-postgres")
    return os.path.dirname(found[-1])


def _owner():
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            p = pwd.getpwnam(name)
            return p.pw_uid, p.pw_gid
        except KeyError:
            pass
    raise RuntimeError("running as root with neither a postgres nor a nobody user to run PostgreSQL as")


def _as(owner):
    def demote():
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)
        if owner:
            os.setgid(owner[1])
            os.setuid(owner[0])
    return demote


class _Server:
    def __init__(self):
        self.bin = _bin_dir()
        owner = _owner()
        self.dir = tempfile.mkdtemp(prefix="iamd-conf-pg-")
        if owner:
            os.chown(self.dir, *owner)
        data = os.path.join(self.dir, "data")
        env = dict(os.environ, LC_ALL="C")
        env.pop("PGDATA", None)
        out = subprocess.run([os.path.join(self.bin, "initdb"), "-D", data, "-U", USER, "--auth=trust",
                              "-E", "UTF8", "--no-instructions"],
                             capture_output=True, text=True, env=env, preexec_fn=_as(owner))
        if out.returncode != 0:
            raise RuntimeError(f"initdb failed: {out.stderr}")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.log = os.path.join(self.dir, "postgres.log")
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [os.path.join(self.bin, "postgres"), "-D", data, "-h", "127.0.0.1", "-p", str(self.port),
                 "-k", self.dir, "-c", "max_connections=400"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log, env=env,
                preexec_fn=_as(owner))
        deadline = time.monotonic() + 60
        while subprocess.run([os.path.join(self.bin, "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port),
                              "-U", USER, "-d", "postgres"], capture_output=True).returncode != 0:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL did not start: {self.log_tail()}")
            time.sleep(0.05)
        atexit.register(self.stop)
        print(f"conformance: on PostgreSQL at 127.0.0.1:{self.port} ({self.bin})", flush=True)

    def log_tail(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()[-3000:]
        except OSError:
            return ""

    def url(self, db):
        return f"postgres://{USER}@127.0.0.1:{self.port}/{db}"

    def psql(self, sql):
        out = subprocess.run([os.path.join(self.bin, "psql"), "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                              "-d", self.url("postgres"), "-c", sql], capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError(f"psql {sql!r}: {out.stderr}")
        return out.stdout.strip()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # fast shutdown
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def store_url(data_dir):
    """The database that holds the store of `data_dir` (made on first use)."""
    global _server
    if _server is None:
        _server = _Server()
    key = os.path.realpath(data_dir)
    if key not in _databases:
        name = f"conf{len(_databases) + 1}"
        _server.psql(f"CREATE DATABASE {name}")
        _databases[key] = name
    return _server.url(_databases[key])

