"""iamd_pytest: a real iamd (IAM + STS) for your tests, one file, nothing to install but pytest.

Copy this file next to your tests and enable it in conftest.py::

    pytest_plugins = ["iamd_pytest"]

(or paste the whole file into conftest.py, or run ``pytest -p iamd_pytest``). Then::

    @pytest.mark.iamd_seed("seed.toml")          # optional: IAM entities to start with
    def test_ci_user(iamd):
        sts = iamd.client("sts", aws_access_key_id="AKIAI44QH2DHBEXAMPLE",
                          aws_secret_access_key="je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY")
        assert sts.get_caller_identity()["Arn"].endswith(":user/ci/ci")

Fixtures: ``iamd`` starts a fresh daemon for each test (and stops it after); ``iamd_session``
one daemon for the whole session. Both yield an ``IamdServer``: ``.env`` (the variables iamd
printed), ``.endpoint_url``, ``.region``, ``.access_key_id`` / ``.secret_access_key`` (the
root key), ``.client(service, **kw)`` and ``.resource(service, **kw)`` (boto3, configured
for this daemon; keywords override, ``credentials=`` takes an STS ``Credentials`` dict),
``.boto3_kwargs(service=None)`` (the keywords for ``boto3.client(...)``), ``.apply_env(
monkeypatch)`` (exports the printed variables, so code that builds its own clients finds
iamd) and ``.log()`` (iamd's stderr so far).

Seeds (TOML: see iamd's config/seed.example.toml): ``@pytest.mark.iamd_seed(*seeds)`` on a
test, class or module (all that apply are applied, outermost first), ``@pytest.mark.
parametrize("iamd", [seed], indirect=True)``, or for every daemon the fixtures start the
``--iamd-seed FILE`` option (repeatable) / the ``iamd_seed`` ini setting (paths, relative to
the ini file). A seed is a path, TOML text (a string holding a newline, ``=`` or ``[`` that is
not an existing file) or a list of those. A relative path in a marker is looked up in the
current directory, then beside the test file.

The binary: ``--iamd-bin PATH``, else the ``iamd_bin`` ini setting, else ``$IAMD_BIN``, else
``iamd`` on ``$PATH``.

Without pytest, ``with iamd_server(seed=...) as srv:`` does the same for any code. iamd runs
``serve --ephemeral --listen 127.0.0.1:0 --print-env``: its own free port and a temporary
state that iamd removes when it stops. It inherits this process's environment (so
``IAMD_ROOT_ACCESS_KEY_ID`` / ``IAMD_ROOT_SECRET_ACCESS_KEY``, ``IAMD_ACCOUNT_ID``,
``IAMD_REGION``, ``IAMD_LOG`` set there, or passed in ``env=``, apply). On Linux it gets
SIGTERM when the thread that started it dies (PR_SET_PDEATHSIG), so a killed test run leaves
no daemon behind (and, once iamd serves, no files): start servers from a thread that outlives
them (pytest's main thread does). Leaving the ``with`` block sends SIGTERM, waits (SIGKILL
after ``timeout`` seconds) and raises ``IamdError`` with iamd's log if it had to be killed,
had exited on its own or exited non-zero; a start that fails raises ``IamdStartError`` with
iamd's stderr.
"""

import atexit
import ctypes
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

try:
    import pytest
except ImportError:  # iamd_server() works without pytest
    pytest = None

__all__ = ["IamdError", "IamdStartError", "IamdServer", "iamd_server", "find_binary"]

_LOG_TAIL = 8000  # characters of iamd's stderr put into an error message

# Servers started and not yet stopped: stopped at interpreter exit if still running.
_LIVE = set()
_LIVE_LOCK = threading.Lock()


class IamdError(RuntimeError):
    """iamd could not be found, did not start, or did not stop cleanly. ``.log`` holds its
    stderr, ``.returncode`` its exit status (None if unknown, negative: killed by a signal)."""

    def __init__(self, message, log="", returncode=None):
        super().__init__(message)
        self.log = log
        self.returncode = returncode


class IamdStartError(IamdError):
    """iamd exited or printed no environment before serving."""


def find_binary(binary=None):
    """The iamd executable: `binary`, else $IAMD_BIN, else `iamd` on PATH (an absolute path)."""
    candidate = binary or os.environ.get("IAMD_BIN")
    if candidate:
        candidate = os.fspath(candidate)
        if os.sep not in candidate and not os.path.exists(candidate):
            found = shutil.which(candidate)
            if found:
                return os.path.abspath(found)
        if not (os.path.isfile(candidate) and os.access(candidate, os.X_OK)):
            raise IamdError(f"iamd binary {candidate!r} does not exist or is not executable")
        return os.path.abspath(candidate)
    found = shutil.which("iamd")
    if not found:
        raise IamdError("no iamd binary: pass binary=, set $IAMD_BIN (pytest: --iamd-bin or the "
                        "iamd_bin ini setting) or put iamd on $PATH")
    return os.path.abspath(found)


class _SeedText(str):
    """A seed already known to be TOML text (not a path)."""


def _looks_like_toml(text):
    return "\n" in text or "=" in text or "[" in text


def _seed_items(seed):
    """`seed` as a flat list of ("path", p) / ("text", toml) items."""
    if seed is None:
        return []
    if isinstance(seed, (list, tuple)):
        items = []
        for s in seed:
            items += _seed_items(s)
        return items
    if isinstance(seed, _SeedText):
        return [("text", str(seed))]
    if isinstance(seed, bytes):
        return [("text", seed.decode())]
    if isinstance(seed, os.PathLike):
        return [("path", os.fspath(seed))]
    if isinstance(seed, str):
        if os.path.isfile(seed) or not _looks_like_toml(seed):
            return [("path", seed)]
        return [("text", seed)]
    raise TypeError(f"a seed is a path, TOML text or a list of those, not {type(seed).__name__}")


_libc = None


def _prctl():
    """libc's prctl, looked up in the parent (nothing is imported or loaded after fork)."""
    global _libc
    if _libc is None:
        try:
            _libc = ctypes.CDLL(None, use_errno=True)
            _libc.prctl  # noqa: B018 - AttributeError without it
        except (OSError, AttributeError):
            _libc = False
    return _libc.prctl if _libc else None


def _die_with_parent_fn():
    """A preexec_fn giving iamd SIGTERM when the thread that starts it dies (Linux only)."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = _prctl()
    if prctl is None:
        return None
    parent = os.getpid()

    def die_with_parent():  # runs in the child between fork and exec
        PR_SET_PDEATHSIG = 1
        prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM))
        if os.getppid() != parent:  # the parent died before prctl
            os._exit(1)

    return die_with_parent


class IamdServer:
    """One `iamd serve --ephemeral` process. A context manager: entering starts it (unless
    started), leaving stops it. Prefer ``iamd_server(...)`` to build one."""

    def __init__(self, binary=None, seed=None, extra_args=(), env=None, timeout=10):
        self.binary = find_binary(binary)
        self.seed = seed
        self.extra_args = [os.fspath(a) for a in extra_args]
        self.extra_env = dict(env or {})
        self.timeout = timeout
        self.proc = None
        self.env = {}
        self.returncode = None
        self._scratch = None
        self._stderr = None  # iamd's stderr file, open for reading, once its directory is gone
        self._log_text = None

    # -- the printed settings ---------------------------------------------------------------
    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    @property
    def endpoint_url(self):
        return self.env.get("AWS_ENDPOINT_URL")

    @property
    def s3_endpoint_url(self):
        """The S3 gateway's URL (with ``extra_args=["--s3-listen", "127.0.0.1:0", ...]``)."""
        return self.env.get("AWS_ENDPOINT_URL_S3")

    @property
    def region(self):
        return self.env.get("AWS_REGION") or self.env.get("AWS_DEFAULT_REGION")

    @property
    def access_key_id(self):
        return self.env.get("AWS_ACCESS_KEY_ID")

    @property
    def secret_access_key(self):
        return self.env.get("AWS_SECRET_ACCESS_KEY")

    def boto3_kwargs(self, service=None, **overrides):
        """Keywords for ``boto3.client(service, **kw)``: endpoint_url (the S3 gateway's for
        "s3" when it runs), region_name and the root key; `overrides` win. ``credentials=``
        takes a dict with AccessKeyId / SecretAccessKey / SessionToken (AssumeRole's)."""
        endpoint = self.endpoint_url
        if service == "s3" and self.s3_endpoint_url:
            endpoint = self.s3_endpoint_url
        kw = {"endpoint_url": endpoint, "region_name": self.region,
              "aws_access_key_id": self.access_key_id,
              "aws_secret_access_key": self.secret_access_key}
        creds = overrides.pop("credentials", None)
        if creds is not None:
            kw.update(aws_access_key_id=creds["AccessKeyId"],
                      aws_secret_access_key=creds["SecretAccessKey"],
                      aws_session_token=creds.get("SessionToken"))
        kw.update(overrides)
        return kw

    def client(self, service, **kw):
        """A boto3 client for this daemon (boto3 is imported here, not before)."""
        import boto3
        return boto3.session.Session().client(service, **self.boto3_kwargs(service, **kw))

    def resource(self, service, **kw):
        """A boto3 resource (e.g. "iam") for this daemon."""
        import boto3
        return boto3.session.Session().resource(service, **self.boto3_kwargs(service, **kw))

    def apply_env(self, monkeypatch=None):
        """Exports the printed variables (AWS_ENDPOINT_URL, _IAM, _STS, the root key, AWS_REGION,
        AWS_DEFAULT_REGION) and removes AWS_SESSION_TOKEN, AWS_SECURITY_TOKEN, AWS_PROFILE and
        AWS_DEFAULT_PROFILE, through pytest's `monkeypatch` (undone after the test) or, without
        one, straight into os.environ (for good)."""
        for name in ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
            if monkeypatch is not None:
                monkeypatch.delenv(name, raising=False)
            else:
                os.environ.pop(name, None)
        for name, value in self.env.items():
            if monkeypatch is not None:
                monkeypatch.setenv(name, value)
            else:
                os.environ[name] = value
        return dict(self.env)

    def log(self):
        """iamd's stderr so far (after stop: all of it)."""
        if self._log_text is not None:
            return self._log_text
        try:
            if self._stderr is not None:
                self._stderr.seek(0)
                return self._stderr.read().decode(errors="replace")
            if self._scratch is not None:
                with open(os.path.join(self._scratch, "stderr"), errors="replace") as f:
                    return f.read()
        except (OSError, ValueError):
            pass
        return ""

    def _tail(self):
        text = self.log()
        return text if len(text) <= _LOG_TAIL else "...\n" + text[-_LOG_TAIL:]

    # -- start / stop ----------------------------------------------------------------------
    def start(self):
        """Starts iamd and waits for its --print-env block; returns self."""
        if self.proc is not None:
            raise IamdError("this iamd is already started")
        self._scratch = tempfile.mkdtemp(prefix="iamd-pytest-")
        self._log_text = None
        self.returncode = None
        try:
            args = [self.binary, "serve", "--ephemeral", "--listen", "127.0.0.1:0", "--print-env"]
            for n, (kind, value) in enumerate(_seed_items(self.seed)):
                if kind == "text":
                    value_path = os.path.join(self._scratch, f"seed-{n}.toml")
                    with open(value_path, "w") as f:
                        f.write(value)
                    value = value_path
                elif not os.path.isfile(value):
                    raise IamdStartError(f"seed file {value!r} does not exist")
                args += ["--seed", os.path.abspath(value)]
            args += self.extra_args
            env = dict(os.environ)
            env.setdefault("NO_COLOR", "1")
            for k, v in self.extra_env.items():
                if v is None:
                    env.pop(k, None)
                else:
                    env[k] = str(v)
            out_path = os.path.join(self._scratch, "stdout")
            err_path = os.path.join(self._scratch, "stderr")
            # Files, not pipes: a full pipe can never stall iamd.
            with open(out_path, "wb") as out, open(err_path, "wb") as err:
                self.proc = subprocess.Popen(
                    args, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env,
                    start_new_session=True,  # a Ctrl-C of the test run is not iamd's
                    preexec_fn=_die_with_parent_fn(),
                )
            with _LIVE_LOCK:
                _LIVE.add(self)
            self._wait_for_env(out_path, " ".join(args))
            # Serving: the seeds are applied and the settings read. Keep the log open and remove
            # the directory now, so that not even a SIGKILL of this process leaves files behind.
            self._stderr = open(err_path, "rb")
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None
        except BaseException:
            self._abort()
            raise
        return self

    def _wait_for_env(self, out_path, cmdline):
        deadline = time.monotonic() + self.timeout
        while True:
            with open(out_path, errors="replace") as f:
                text = f.read()
            # Whole lines only: the last one may still be being written.
            lines = text.splitlines() if text.endswith("\n") else text.splitlines()[:-1]
            env = dict(line.split("=", 1) for line in lines if "=" in line)
            if "AWS_DEFAULT_REGION" in env:  # the block's last line, written in one go
                self.env = env
                return
            code = self.proc.poll()
            if code is not None:
                self.returncode = code
                raise IamdStartError(
                    f"iamd exited with status {code} before serving\n  command: {cmdline}\n"
                    f"  stderr:\n{self._tail()}", self.log(), code)
            if time.monotonic() > deadline:
                raise IamdStartError(
                    f"iamd printed no environment within {self.timeout} s\n  command: {cmdline}\n"
                    f"  stderr:\n{self._tail()}", self.log())
            time.sleep(0.01)

    def _abort(self):
        """Start failed: kill what runs, keep the log for the error, remove the files."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        if self.proc is not None:
            self.proc.wait()
            if self.returncode is None:
                self.returncode = self.proc.returncode
        self._finish()

    def _finish(self):
        self._log_text = self.log()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        with _LIVE_LOCK:
            _LIVE.discard(self)
        self.proc = None
        if self._scratch:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    def stop(self, check=True):
        """SIGTERM, then waits `timeout` seconds (SIGKILL after). Returns the exit status.
        With `check`, raises IamdError if iamd had exited on its own, had to be killed or
        exited non-zero (the log is in the message)."""
        if self.proc is None:
            return self.returncode
        problem = None
        if self.proc.poll() is not None:
            problem = f"iamd (pid {self.proc.pid}) exited on its own with status {self.proc.returncode}"
        else:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(self.timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                problem = f"iamd (pid {self.proc.pid}) did not stop within {self.timeout} s of SIGTERM: killed"
            else:
                if self.proc.returncode != 0:
                    problem = f"iamd (pid {self.proc.pid}) exited with status {self.proc.returncode} on SIGTERM"
        self.returncode = self.proc.returncode
        self._finish()
        if problem and check:
            raise IamdError(f"{problem}\n  stderr:\n{self._tail()}", self.log(), self.returncode)
        return self.returncode

    def __enter__(self):
        if self.proc is None:
            self.start()
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is None:
            self.stop()
            return False
        # The block failed already: report iamd's trouble with that error, do not replace it.
        try:
            self.stop()
        except IamdError as e:
            if hasattr(exc, "add_note"):
                exc.add_note(str(e))
            else:
                sys.stderr.write(f"iamd_pytest: {e}\n")
        return False

    def __repr__(self):
        return f"<IamdServer pid={self.pid} endpoint_url={self.endpoint_url!r}>"


def iamd_server(binary=None, seed=None, extra_args=(), env=None, timeout=10):
    """A context manager running one iamd: ``with iamd_server(seed="seed.toml") as srv:``.

    `binary`: the executable (default $IAMD_BIN, else `iamd` on PATH). `seed`: a path, TOML
    text, or a list of those (each becomes a ``--seed``). `extra_args`: more ``iamd serve``
    arguments. `env`: environment variables for iamd on top of this process's (None removes
    one). `timeout`: seconds to wait for it to serve, and for it to stop on SIGTERM."""
    return IamdServer(binary=binary, seed=seed, extra_args=extra_args, env=env, timeout=timeout)


@atexit.register
def _stop_leftovers():
    with _LIVE_LOCK:
        live = list(_LIVE)
    for server in live:
        try:
            server.stop(check=False)
        except Exception:  # noqa: BLE001
            pass


# -- the pytest plugin -------------------------------------------------------------------------
if pytest is not None:

    def pytest_addoption(parser):
        group = parser.getgroup("iamd", "iamd (a local IAM/STS daemon)")
        group.addoption("--iamd-bin", dest="iamd_bin", default=None, metavar="PATH",
                        help="the iamd executable (default: the iamd_bin ini setting, $IAMD_BIN, "
                             "iamd on $PATH)")
        group.addoption("--iamd-seed", dest="iamd_seed", action="append", default=[], metavar="FILE",
                        help="a seed file for every iamd the fixtures start (repeatable)")
        parser.addini("iamd_bin", "the iamd executable (relative to the ini file)", default="")
        parser.addini("iamd_seed", "seed files for every iamd the fixtures start (relative to the "
                      "ini file)", type="paths", default=[])

    def pytest_configure(config):
        config.addinivalue_line(
            "markers", "iamd_seed(*seeds): seed files or TOML texts for the `iamd` fixture's daemon")

    def _binary(config):
        opt = config.getoption("iamd_bin", None)
        if opt:
            return opt
        ini = config.getini("iamd_bin")
        if ini:
            ini = os.path.expanduser(ini)
            if os.sep not in ini:
                return ini  # a name looked up on $PATH (or a file in the current directory)
            base = os.path.dirname(str(config.inipath)) if config.inipath else str(config.rootpath)
            return os.path.join(base, ini)
        return None  # $IAMD_BIN, then PATH

    def _default_seeds(config):
        return [pathlib.Path(p) for p in config.getini("iamd_seed")] + \
            [pathlib.Path(p) for p in config.getoption("iamd_seed", None) or []]

    def _marker_seeds(request):
        items = []
        for marker in reversed(list(request.node.iter_markers("iamd_seed"))):  # outermost first
            items += _seed_items(list(marker.args))
        path = getattr(request.node, "path", None)
        here = os.path.dirname(os.fspath(path)) if path is not None else None
        seeds = []
        for kind, value in items:
            if kind == "text":
                seeds.append(_SeedText(value))
                continue
            if not os.path.isabs(value) and not os.path.exists(value) and here:
                beside = os.path.join(here, value)
                if os.path.exists(beside):
                    value = beside
            seeds.append(pathlib.Path(value))
        return seeds

    @pytest.fixture
    def iamd(request):
        """A fresh iamd for this test (an IamdServer); seeds from @pytest.mark.iamd_seed, an
        indirect parameter, --iamd-seed and the iamd_seed ini setting."""
        seeds = _default_seeds(request.config) + _marker_seeds(request)
        param = getattr(request, "param", None)
        if param is not None:
            seeds += [_SeedText(v) if kind == "text" else pathlib.Path(v) for kind, v in _seed_items(param)]
        with iamd_server(binary=_binary(request.config), seed=seeds) as server:
            yield server

    @pytest.fixture(scope="session")
    def iamd_session(request):
        """One iamd for the whole session (seeds: --iamd-seed and the iamd_seed ini setting)."""
        with iamd_server(binary=_binary(request.config), seed=_default_seeds(request.config)) as server:
            yield server
