"""A throw-away Ceph cluster with a RADOS Gateway, for conformance/test_rgw.py.

One ceph-mon, one ceph-osd on memstore (objects in RAM) and one radosgw (beast frontend),
all on 127.0.0.1 free ports, run as the current user with every file (config, mon store,
sockets, logs) in one temp directory. cephx is off (`auth_*_required = none`; RGW's own S3
authentication is what is tested) and the messenger's client modes are `crc`, without which
radosgw loops on "get_initial_auth_request returned -13" with auth off.

    cluster = RgwCluster(rgw_options={"rgw_keystone_url": "http://127.0.0.1:9500", ...})
    cluster.start()          # raises Unavailable if Ceph is not installed or cannot come up
    ... cluster.url ...      # http://127.0.0.1:PORT, radosgw's S3 endpoint
    cluster.stop()           # SIGTERM, then SIGKILL; removes the temp dir unless keep=True

Every process gets PR_SET_PDEATHSIG (SIGKILL), so none outlives the test process.
`log_tail()` gives the end of every daemon's log, for a failing test's report.
"""

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid

BINARIES = ("ceph-mon", "ceph-osd", "radosgw", "ceph", "monmaptool")
START_TIMEOUT = float(os.environ.get("RGW_START_TIMEOUT", "180"))
STOP_TIMEOUT = 10.0

# Every cluster still running, so a harness can kill leftovers.
LIVE = set()


class Unavailable(Exception):
    """Ceph is not installed here, or the cluster could not come up for an environmental reason."""


def missing_binaries():
    return [b for b in BINARIES if not shutil.which(b)]


def _die_with_parent():
    # PR_SET_PDEATHSIG = 1: the daemon gets SIGKILL when the process that started it dies.
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)
    os.setsid()  # its own process group: a ^C to the harness does not reach it half-way


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RgwCluster:
    def __init__(self, rgw_options=None, debug_rgw=None, keep=False):
        """`rgw_options`: extra `[client.rgw.a]` settings (e.g. the rgw_keystone_* ones);
        `debug_rgw`: RGW's log level (env RGW_DEBUG overrides, default 1; 20 logs the
        Keystone requests). `keep`: leave the temp dir behind after stop()."""
        self.rgw_options = dict(rgw_options or {})
        self.debug_rgw = os.environ.get("RGW_DEBUG") or debug_rgw or "1"
        self.keep = keep or bool(os.environ.get("RGW_KEEP"))
        self.dir = None
        self.procs = {}  # name -> Popen
        self.url = None
        self.timings = {}

    # --- files ---------------------------------------------------------------------------

    def _path(self, *parts):
        return os.path.join(self.dir, *parts)

    def _write_conf(self):
        self.fsid = str(uuid.uuid4())
        self.mon_port = free_port()
        self.rgw_port = free_port()
        d = self.dir
        glob = {
            "fsid": self.fsid,
            "mon_host": f"v2:127.0.0.1:{self.mon_port}",
            "public_addr": "127.0.0.1",
            "cluster_addr": "127.0.0.1",
            "ms_bind_msgr1": "false",
            "ms_bind_msgr2": "true",
            "auth_cluster_required": "none",
            "auth_service_required": "none",
            "auth_client_required": "none",
            "ms_mon_client_mode": "crc",
            "ms_client_mode": "crc",
            # The mon refuses to start (exit 28, ENOSPC) when its disk has under 5 % free; the
            # test cluster holds a few MB, so a nearly full CI disk must not skip the RGW tests.
            "mon_data_avail_crit": "0",
            "mon_data_avail_warn": "0",
            "run_dir": f"{d}/run",
            "admin_socket": f"{d}/run/$name.asok",
            "pid_file": f"{d}/run/$name.pid",
            "log_file": f"{d}/log/$name.log",
            "mon_cluster_log_file": f"{d}/log/cluster.log",
            "crash_dir": f"{d}/crash",
            "exec_dir": f"{d}/run",
            "keyring": f"{d}/keyring",
            "mon_data": f"{d}/$name",
            "osd_data": f"{d}/$name",
            "rgw_data": f"{d}/$name",
            "osd_objectstore": "memstore",
            "memstore_device_bytes": str(1 << 30),
            "osd_pool_default_size": "1",
            "osd_pool_default_min_size": "1",
            "mon_allow_pool_size_one": "true",
            "mon_warn_on_pool_no_redundancy": "false",
            "osd_pool_default_pg_num": "8",
            "osd_pool_default_pgp_num": "8",
            "osd_pool_default_pg_autoscale_mode": "off",
            "mon_max_pg_per_osd": "1000",
            "osd_crush_chooseleaf_type": "0",
            "osd_crush_update_on_start": "true",
            "mon_osd_min_in_ratio": "0",
            "osd_memory_target": str(512 << 20),
            "osd_op_num_shards": "1",
            "osd_op_num_threads_per_shard": "2",
            "mon_compact_on_start": "false",
            # Proposals every 0.1 s instead of 1 s: RGW creates its pools one by one at start-up.
            "paxos_propose_interval": "0.1",
            "paxos_min_wait": "0.01",
            "log_to_stderr": "false",
            "err_to_stderr": "true",
            "debug_ms": "0",
        }
        rgw = {
            "rgw_frontends": f"beast endpoint=127.0.0.1:{self.rgw_port}",
            "rgw_enable_usage_log": "false",
            "rgw_dns_name": "",
            "debug_rgw": str(self.debug_rgw),
        }
        rgw.update({k: str(v) for k, v in self.rgw_options.items()})
        lines = ["[global]"] + [f"{k} = {v}" for k, v in glob.items()]
        lines += ["", "[client.rgw.a]"] + [f"{k} = {v}" for k, v in rgw.items()]
        self.conf = self._path("ceph.conf")
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        open(self._path("keyring"), "w").close()

    # --- processes -----------------------------------------------------------------------

    def _run(self, *args, timeout=60, check=True):
        """A short-lived command (monmaptool, mkfs, the ceph CLI); its output goes to cmd.log."""
        with open(self._path("log", "cmd.log"), "a") as log:
            log.write(f"$ {' '.join(args)}\n")
            log.flush()
            try:
                p = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                   timeout=timeout, preexec_fn=_die_with_parent)
            except subprocess.TimeoutExpired as e:
                log.write(f"(timed out after {timeout}s)\n")
                raise Unavailable(f"`{' '.join(args[:3])} …` took more than {timeout}s") from e
            log.write(p.stdout + p.stderr + f"(exit {p.returncode})\n")
        if check and p.returncode != 0:
            raise Unavailable(f"`{' '.join(args)}` exited {p.returncode}: {(p.stderr or p.stdout)[-800:]}")
        return p

    def _ceph(self, *args, timeout=30, check=True):
        return self._run("ceph", "-c", self.conf, "--connect-timeout", str(int(timeout)), *args,
                         timeout=timeout + 10, check=check)

    def admin(self, *args, timeout=60):
        """`radosgw-admin ARGS` against this cluster (e.g. "user", "create", "--uid=u", ...), as
        `client.admin` (its log in log/client.admin.log); the CompletedProcess, output in cmd.log.
        Raises RuntimeError when it exits non-zero."""
        p = self._run("radosgw-admin", "-c", self.conf, *args, timeout=timeout, check=False)
        if p.returncode != 0:
            raise RuntimeError(f"`radosgw-admin {' '.join(args)}` exited {p.returncode}: "
                               f"{(p.stderr or p.stdout)[-800:]}")
        return p

    def _spawn(self, name, *args):
        out = open(self._path("log", f"{name}.out"), "wb")
        try:
            self.procs[name] = subprocess.Popen(
                args, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent, cwd=self.dir)
        finally:
            out.close()

    def _check_alive(self):
        for name, p in self.procs.items():
            if p.poll() is not None:
                raise Unavailable(f"{name} exited with {p.returncode} during start-up")

    def _wait(self, what, ready, deadline, interval=0.5):
        while True:
            self._check_alive()
            if ready():
                return
            if time.monotonic() > deadline:
                raise Unavailable(f"{what} not ready within {START_TIMEOUT:.0f}s")
            time.sleep(interval)

    def start(self):
        missing = missing_binaries()
        if missing:
            raise Unavailable(f"Ceph is not installed (no {', '.join(missing)}; run .ci/install-ceph)")
        t0 = time.monotonic()
        deadline = t0 + START_TIMEOUT
        self.dir = tempfile.mkdtemp(prefix="iamd-rgw-")
        for sub in ("run", "log", "crash", "mon.a", "osd.0", "client.rgw.a"):
            os.makedirs(self._path(sub), exist_ok=True)
        LIVE.add(self)
        try:
            self._write_conf()
            monmap = self._path("monmap")
            self._run("monmaptool", "--create", "--fsid", self.fsid,
                      "--addv", "a", f"[v2:127.0.0.1:{self.mon_port}]", monmap)
            self._run("ceph-mon", "-c", self.conf, "-i", "a", "--mkfs", "--monmap", monmap)
            self._spawn("mon.a", "ceph-mon", "-c", self.conf, "-i", "a", "-f")
            self._wait("ceph-mon", lambda: self._ceph("mon", "stat", timeout=5, check=False).returncode == 0,
                       deadline)
            self.timings["mon"] = time.monotonic() - t0

            osd_uuid = str(uuid.uuid4())
            osd_id = self._ceph("osd", "new", osd_uuid).stdout.strip()
            if osd_id != "0":
                raise Unavailable(f"`ceph osd new` gave id {osd_id!r}, expected 0")
            self._run("ceph-osd", "-c", self.conf, "-i", "0", "--mkfs", "--osd-uuid", osd_uuid)
            self._spawn("osd.0", "ceph-osd", "-c", self.conf, "-i", "0", "-f")
            # radosgw waits for the OSD by itself: started now, its start-up overlaps the OSD's.
            self._spawn("client.rgw.a", "radosgw", "-c", self.conf, "-n", "client.rgw.a", "-f")
            self.url = f"http://127.0.0.1:{self.rgw_port}"
            self._wait("ceph-osd", self._osd_up, deadline)
            self.timings["osd"] = time.monotonic() - t0
            self._wait("radosgw", self._rgw_ready, deadline)
            self.timings["rgw"] = time.monotonic() - t0
        except BaseException:
            self.stop(remove=False)
            raise
        return self

    def _osd_up(self):
        p = self._ceph("osd", "stat", "--format", "json", timeout=5, check=False)
        return p.returncode == 0 and '"num_up_osds":1' in p.stdout.replace(" ", "")

    def _rgw_ready(self):
        """An anonymous GET / is answered with an (empty) bucket list."""
        try:
            with urllib.request.urlopen(self.url + "/", timeout=5) as r:
                body = r.read().decode(errors="replace")
        except urllib.error.HTTPError as e:
            body = e.read().decode(errors="replace")
        except (OSError, ValueError):
            return False
        return "ListAllMyBucketsResult" in body

    def stop(self, remove=None):
        """SIGTERM to radosgw, then the OSD, then the mon, each waited for in turn (all at
        once, radosgw and the OSD spend seconds looking for the gone mon); SIGKILL after
        STOP_TIMEOUT."""
        for name in reversed(list(self.procs)):
            p = self.procs[name]
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        LIVE.discard(self)
        if remove is None:
            remove = not self.keep
        if remove and self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def remove_files(self):
        if self.dir and not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def log(self, name):
        """The whole log of one daemon ("client.rgw.a", "osd.0", "mon.a") or "cmd"."""
        if not self.dir:
            return ""
        text = ""
        for p in (self._path("log", f"{name}.log"), self._path("log", f"{name}.out")):
            try:
                with open(p, errors="replace") as f:
                    text += f.read()
            except OSError:
                pass
        return text

    def log_tail(self, chars=6000):
        if not self.dir:
            return ""
        text = f"--- ceph cluster in {self.dir} ---\n"
        for name, share in (("cmd", 1500), ("mon.a", 1500), ("osd.0", 1500), ("client.rgw.a", chars)):
            t = self.log(name)
            if t:
                text += f"--- {name} log (tail) ---\n{t[-share:]}\n"
        return text


def kill_leftovers():
    for c in list(LIVE):
        try:
            c.stop()
        except Exception:  # noqa: BLE001
            pass


if __name__ == "__main__":
    # Manual check: starts a cluster, prints its URL and timings, stops on Enter / after N s.
    import sys
    c = RgwCluster(keep=True)
    t = time.monotonic()
    try:
        c.start()
    except Unavailable as e:
        print("unavailable:", e)
        print(c.log_tail())
        sys.exit(1)
    print(f"up in {time.monotonic() - t:.1f}s at {c.url} ({c.timings}); dir {c.dir}", flush=True)
    time.sleep(float(sys.argv[1]) if len(sys.argv) > 1 else 5)
    c.stop()
