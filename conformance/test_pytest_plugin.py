"""iamd_pytest.py, the pytest plugin users copy next to their tests: its iamd_server() context
manager used directly (seeds as files, TOML text and lists, the printed settings, boto3 clients,
start failures showing iamd's stderr, a crash reported on exit, the daemon dying with the process
that started it), and the plugin under real pytest in a subprocess (the `iamd` and
`iamd_session` fixtures, the `iamd_seed` marker, indirect parameters, apply_env, --iamd-bin, the
ini settings, `pytest_plugins` in conftest.py and the file pasted in as conftest.py; a test
that asserts something false fails the run, a bad seed is a setup error showing iamd's message)."""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.parse

import daemon
import iamd_pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = os.path.join(daemon.ROOT, "config", "seed.example.toml")
CI_KEY = "AKIAI44QH2DHBEXAMPLE"
CI_SECRET = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"
CI_ARN = f"arn:aws:iam::{daemon.ACCOUNT}:user/ci/ci"


def _names(server):
    return sorted(u["UserName"] for u in server.client("iam").list_users()["Users"])


def _alive(pid):
    """Whether `pid` is a running (not zombie) iamd."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmdline = f.read()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state != "Z" and b"iamd" in cmdline


def _refuses(url):
    u = urllib.parse.urlsplit(url)
    try:
        socket.create_connection((u.hostname, u.port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


def _wait_gone(pid, url, within=5.0):
    deadline = time.monotonic() + within
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid), f"iamd {pid} still runs"
    assert _refuses(url), f"{url} still accepts connections"


def test_iamd_server_with_a_seed_file():
    with iamd_pytest.iamd_server(binary=daemon.IAMD, seed=SEED) as srv:
        pid, url = srv.pid, srv.endpoint_url
        assert _alive(pid)
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url), srv.env
        assert srv.env["AWS_ENDPOINT_URL_IAM"] == srv.env["AWS_ENDPOINT_URL_STS"] == url, srv.env
        assert srv.region == srv.env["AWS_DEFAULT_REGION"] == "us-east-1", srv.env
        assert re.fullmatch(r"AKIA[A-Z2-7]{16}", srv.access_key_id), srv.env  # generated root key
        assert srv.secret_access_key == srv.env["AWS_SECRET_ACCESS_KEY"]
        assert srv.boto3_kwargs() == {"endpoint_url": url, "region_name": "us-east-1",
                                      "aws_access_key_id": srv.access_key_id,
                                      "aws_secret_access_key": srv.secret_access_key}
        sts = srv.client("sts", aws_access_key_id=CI_KEY, aws_secret_access_key=CI_SECRET)
        assert sts.get_caller_identity()["Arn"] == CI_ARN
        assert _names(srv) == ["ci", "deploy-bot"]  # root
        import boto3
        root = boto3.client("sts", **srv.boto3_kwargs())
        assert root.get_caller_identity()["Arn"] == f"arn:aws:iam::{daemon.ACCOUNT}:root"
        # credentials= takes AssumeRole's Credentials (the seeded role trusts the ci user).
        creds = sts.assume_role(RoleArn=f"arn:aws:iam::{daemon.ACCOUNT}:role/deployer",
                                RoleSessionName="job")["Credentials"]
        assert srv.client("sts", credentials=creds).get_caller_identity()["Arn"] == \
            f"arn:aws:sts::{daemon.ACCOUNT}:assumed-role/deployer/job"
        assert "serving IAM and STS" in srv.log()
        assert srv._scratch is None  # its files are removed once it serves: a SIGKILL leaks none
    assert srv.returncode == 0
    assert srv.proc is None
    # Gone at once: waited for by stop(), so not even a zombie; nobody listens on the port.
    assert not _alive(pid), f"iamd {pid} still runs after the with block"
    assert _refuses(url), f"{url} still accepts connections"
    assert "stopped" in srv.log()  # the whole log is kept after stop


def test_iamd_server_seed_text_list_and_env():
    text = '[[users]]\nname = "extra"\n'
    env = {"IAMD_ROOT_ACCESS_KEY_ID": daemon.ROOT_KEY_ID,
           "IAMD_ROOT_SECRET_ACCESS_KEY": daemon.ROOT_SECRET}
    with iamd_pytest.iamd_server(binary=daemon.IAMD, seed=[SEED, text], env=env) as srv:
        assert (srv.access_key_id, srv.secret_access_key) == (daemon.ROOT_KEY_ID, daemon.ROOT_SECRET)
        assert _names(srv) == ["ci", "deploy-bot", "extra"]
    # TOML text alone; $IAMD_BIN when no binary is given.
    old = os.environ.get("IAMD_BIN")
    os.environ["IAMD_BIN"] = daemon.IAMD
    try:
        with iamd_pytest.iamd_server(seed=text) as srv:
            assert _names(srv) == ["extra"]
    finally:
        if old is None:
            os.environ.pop("IAMD_BIN", None)
        else:
            os.environ["IAMD_BIN"] = old


def test_iamd_server_start_failures_show_stderr():
    try:
        iamd_pytest.iamd_server(binary=daemon.IAMD, seed="this is = = not toml").start()
        raise AssertionError("iamd started with a broken seed")
    except iamd_pytest.IamdStartError as e:
        message = str(e)
        assert "exited with status 2 before serving" in message, message
        assert "TOML parse error" in message, message  # iamd's own stderr
        assert "TOML parse error" in e.log and e.returncode == 2, (e.log, e.returncode)
    # A seed iamd refuses (a malformed key id): its explanation is in the error too.
    bad = '[[users]]\nname = "x"\n[[users.access_keys]]\nid = "AKIABAD"\nsecret = "s"\n'
    try:
        with iamd_pytest.iamd_server(binary=daemon.IAMD, seed=bad):
            raise AssertionError("iamd started with a refused seed")
    except iamd_pytest.IamdStartError as e:
        assert 'access key id "AKIABAD" is not AKIA followed by 16 characters' in str(e), str(e)
    for seed in ("/nonexistent/seed.toml", ["/nonexistent/seed.toml"]):
        try:
            iamd_pytest.iamd_server(binary=daemon.IAMD, seed=seed).start()
            raise AssertionError("a missing seed file was accepted")
        except iamd_pytest.IamdStartError as e:
            assert "/nonexistent/seed.toml" in str(e) and "does not exist" in str(e), str(e)
    try:
        iamd_pytest.iamd_server(binary="/nonexistent/iamd")
        raise AssertionError("a missing binary was accepted")
    except iamd_pytest.IamdError as e:
        assert "/nonexistent/iamd" in str(e), str(e)


def test_iamd_server_reports_a_crash_on_exit():
    # iamd killed under the test: leaving the block raises with its status and log.
    try:
        with iamd_pytest.iamd_server(binary=daemon.IAMD) as srv:
            os.kill(srv.pid, signal.SIGKILL)
            srv.proc.wait(5)
        raise AssertionError("a killed iamd went unreported")
    except iamd_pytest.IamdError as e:
        assert "exited on its own with status -9" in str(e), str(e)
        assert "serving IAM and STS" in str(e), str(e)  # the log
        assert e.returncode == -9
    # When the block failed already, its error propagates, with iamd's trouble noted on it.
    try:
        with iamd_pytest.iamd_server(binary=daemon.IAMD) as srv:
            os.kill(srv.pid, signal.SIGKILL)
            srv.proc.wait(5)
            raise KeyError("the test's own failure")
    except KeyError as e:
        notes = "\n".join(getattr(e, "__notes__", []))
        assert "exited on its own with status -9" in notes, notes


def test_iamd_server_dies_with_the_process_that_started_it():
    """A test process killed with SIGKILL (no teardown runs) leaves no iamd behind."""
    script = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {HERE!r})
        import iamd_pytest
        with iamd_pytest.iamd_server(binary={daemon.IAMD!r}) as srv:
            print(srv.pid, srv.endpoint_url, flush=True)
            time.sleep(120)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        pid, url = int(line.split()[0]), line.split()[1]
        assert _alive(pid)
        proc.kill()
        proc.wait(10)
        _wait_gone(pid, url)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# -- under real pytest -----------------------------------------------------------------------

EXAMPLE = '''
import os

import boto3
import pytest

SEED = @SEED@
KEY, SECRET = "AKIAI44QH2DHBEXAMPLE", "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"


def record(server):
    with open(os.environ["IAMD_EXAMPLE_PIDS"], "a") as f:
        f.write(f"{server.pid} {server.endpoint_url}\\n")


def names(server):
    return sorted(u["UserName"] for u in server.client("iam").list_users()["Users"])


def test_plain(iamd):
    record(iamd)
    assert names(iamd) == []
    assert iamd.client("sts").get_caller_identity()["Arn"] == "arn:aws:iam::000000000000:root"


@pytest.mark.iamd_seed(SEED)
def test_seed_marker(iamd):
    record(iamd)
    sts = iamd.client("sts", aws_access_key_id=KEY, aws_secret_access_key=SECRET)
    assert sts.get_caller_identity()["Arn"] == "arn:aws:iam::000000000000:user/ci/ci"
    assert names(iamd) == ["ci", "deploy-bot"]


@pytest.mark.iamd_seed('[[users]]\\nname = "alice"\\n')
class TestSeedText:
    @pytest.mark.iamd_seed(SEED)
    def test_class_and_function_markers(self, iamd):
        record(iamd)
        assert names(iamd) == ["alice", "ci", "deploy-bot"]


@pytest.mark.parametrize("iamd", [SEED], indirect=True)
def test_indirect_parameter(iamd):
    record(iamd)
    creds = iamd.client("sts", aws_access_key_id=KEY, aws_secret_access_key=SECRET).assume_role(
        RoleArn="arn:aws:iam::000000000000:role/deployer", RoleSessionName="job")["Credentials"]
    arn = iamd.client("sts", credentials=creds).get_caller_identity()["Arn"]
    assert arn == "arn:aws:sts::000000000000:assumed-role/deployer/job"


def test_session_first(iamd_session):
    record(iamd_session)
    iamd_session.client("iam").create_user(UserName="shared")


def test_session_second(iamd_session, iamd):
    record(iamd)
    assert "shared" in names(iamd_session)
    assert iamd.endpoint_url != iamd_session.endpoint_url
    assert names(iamd) == []


def test_apply_env(iamd, monkeypatch):
    record(iamd)
    iamd.apply_env(monkeypatch)
    assert os.environ["AWS_ENDPOINT_URL"] == iamd.endpoint_url
    assert boto3.client("sts").get_caller_identity()["Arn"] == "arn:aws:iam::000000000000:root"


def test_boto3_kwargs(iamd):
    record(iamd)
    assert boto3.client("iam", **iamd.boto3_kwargs()).list_users()["Users"] == []
'''
EXAMPLE_PASSED = 8

FAILING = '''
import pytest


def test_passes(iamd):
    assert iamd.client("iam").list_users()["Users"] == []


def test_asserts_something_false(iamd):
    users = iamd.client("iam").list_users()["Users"]
    assert users, "no users: this assertion is false on purpose"


@pytest.mark.iamd_seed("this is = = not toml")
def test_with_a_broken_seed(iamd):
    pass
'''


def _pytest_env(tmp, with_conformance=True, iamd_bin=True):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IAMD_", "PYTEST_", "PYTHON"))}
    # Only the plugins asked for; iamd must not be found on PATH unless we say so.
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if p and not os.path.exists(os.path.join(p, "iamd")))
    if with_conformance:
        env["PYTHONPATH"] = HERE
    if iamd_bin:
        env["IAMD_BIN"] = daemon.IAMD
    env["IAMD_EXAMPLE_PIDS"] = os.path.join(tmp, "pids")
    return env


def _pytest(args, cwd, env, timeout=90):
    started = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
                       cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    out = r.stdout + r.stderr
    summary = out.strip().splitlines()[-1] if out.strip() else ""
    print(f"    pytest {' '.join(args[-1:])}: exit {r.returncode}, {summary!r} "
          f"({time.monotonic() - started:.1f}s)", flush=True)
    return r.returncode, out, summary


def _recorded(tmp):
    with open(os.path.join(tmp, "pids")) as f:
        return [(int(pid), url) for pid, url in (line.split() for line in f if line.strip())]


def test_pytest_fixtures_marker_and_session():
    with tempfile.TemporaryDirectory(prefix="iamd-pytest-example-") as tmp:
        path = os.path.join(tmp, "test_example.py")
        with open(path, "w") as f:
            f.write(EXAMPLE.replace("@SEED@", repr(SEED)))
        code, out, summary = _pytest(["-p", "iamd_pytest", path], tmp, _pytest_env(tmp))
        assert code == 0, out
        assert re.fullmatch(rf"{EXAMPLE_PASSED} passed in [\d.]+s( \([\d:]+\))?", summary), out
        servers = _recorded(tmp)
        # One daemon per function-scoped use, one for the session (recorded once).
        assert len(servers) == EXAMPLE_PASSED, servers
        # Distinct processes. URLs may repeat: the kernel can hand a freed port to a later daemon.
        assert len({pid for pid, _ in servers}) == len(servers), servers
        for pid, url in servers:
            _wait_gone(pid, url, within=1.0)


def test_pytest_run_fails_when_a_test_asserts_something_false():
    with tempfile.TemporaryDirectory(prefix="iamd-pytest-failing-") as tmp:
        path = os.path.join(tmp, "test_example.py")
        with open(path, "w") as f:
            f.write(FAILING)
        code, out, summary = _pytest(["-p", "iamd_pytest", path], tmp, _pytest_env(tmp))
        assert code == 1, out
        assert re.fullmatch(r"1 failed, 1 passed, 1 error in [\d.]+s( \([\d:]+\))?", summary), out
        assert "FAILED test_example.py::test_asserts_something_false" in out, out
        assert "this assertion is false on purpose" in out, out
        # The broken seed is a setup error that shows iamd's own complaint.
        assert "ERROR test_example.py::test_with_a_broken_seed" in out, out
        assert "IamdStartError" in out and "TOML parse error" in out, out


CONFTEST_TESTS = '''
import pytest


def names(server):
    return sorted(u["UserName"] for u in server.client("iam").list_users()["Users"])


def test_ini_seed(iamd, iamd_session):
    assert names(iamd) == ["from-ini"]
    assert names(iamd_session) == ["from-ini"]


@pytest.mark.iamd_seed("beside.toml")
def test_marker_path_beside_the_test_file(iamd):
    assert names(iamd) == ["beside", "from-ini"]
'''


def test_pytest_conftest_options_and_ini():
    """`pytest_plugins = ["iamd_pytest"]` in conftest.py with --iamd-bin (no $IAMD_BIN, no iamd
    on PATH); then the file itself pasted in as conftest.py (not importable otherwise), the
    binary from the iamd_bin ini setting (relative to the ini file). Both with a seed from the
    iamd_seed ini setting and a marker path found beside the test file."""
    with tempfile.TemporaryDirectory(prefix="iamd-pytest-conftest-") as tmp:
        for variant in ("pytest_plugins", "pasted"):
            proj = os.path.join(tmp, variant)
            os.makedirs(os.path.join(proj, "seeds"))
            os.makedirs(os.path.join(proj, "tests"))
            with open(os.path.join(proj, "seeds", "base.toml"), "w") as f:
                f.write('[[users]]\nname = "from-ini"\n')
            with open(os.path.join(proj, "tests", "beside.toml"), "w") as f:
                f.write('[[users]]\nname = "beside"\n')
            with open(os.path.join(proj, "tests", "test_conftest.py"), "w") as f:
                f.write(CONFTEST_TESTS)
            ini = "[pytest]\niamd_seed = seeds/base.toml\n"
            if variant == "pytest_plugins":
                with open(os.path.join(proj, "conftest.py"), "w") as f:
                    f.write('pytest_plugins = ["iamd_pytest"]\n')
                args = ["--iamd-bin", daemon.IAMD]
                env = _pytest_env(tmp, with_conformance=True, iamd_bin=False)
            else:
                shutil.copy(os.path.join(HERE, "iamd_pytest.py"), os.path.join(proj, "conftest.py"))
                os.makedirs(os.path.join(proj, "bin"))
                os.symlink(daemon.IAMD, os.path.join(proj, "bin", "iamd"))
                ini += "iamd_bin = bin/iamd\n"
                args = []
                env = _pytest_env(tmp, with_conformance=False, iamd_bin=False)
            with open(os.path.join(proj, "pytest.ini"), "w") as f:
                f.write(ini)
            code, out, summary = _pytest([*args, "tests/test_conftest.py"], proj, env)
            assert code == 0, f"{variant}:\n{out}"
            assert re.fullmatch(r"2 passed in [\d.]+s( \([\d:]+\))?", summary), f"{variant}:\n{out}"
        # Without any way to find iamd, the fixture's error says how to give one.
        code, out, _ = _pytest(["tests/test_conftest.py"], os.path.join(tmp, "pytest_plugins"),
                               _pytest_env(tmp, iamd_bin=False))
        assert code == 1 and "no iamd binary" in out and "--iamd-bin" in out, out
