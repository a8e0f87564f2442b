"""An all-in-one OpenStack Swift (proxy + account + container + object server) for one test.

Swift and the openstack CLI live in a second venv (`conformance/.venv-openstack`, made by
`conformance/run` from the pinned `openstack-requirements.txt`); `IAMD_OPENSTACK_VENV` names it.
Nothing is installed here: when that venv is missing or broken, `require_openstack_venv()` raises
`harness.Skip`, so the test is reported as skipped (loudly), never as passed.

`SwiftCluster(keystone=...)` writes its configs into a scratch directory, builds the three rings
(one device each, replica count 1) with Swift's own RingBuilder, and starts the four servers on
free 127.0.0.1 ports, in the foreground (`workers = 0`), each dying with the test process
(PR_SET_PDEATHSIG). The proxy's pipeline is `s3api` followed by either `tempauth` (a cluster with
no Keystone at all, to test the cluster itself) or, as Swift's s3api documentation gives it,
`authtoken s3api s3token keystoneauth` pointed at iamd's `/v3` with the service user's
credentials (authtoken, from keystonemiddleware, validates X-Auth-Token on Swift's own API). The cluster registers itself with daemon.py's
bookkeeping, so the harness kills it after the test and prints its logs under a failure.
"""

import contextlib
import ctypes
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.error
import urllib.request

import daemon

HERE = os.path.dirname(os.path.abspath(__file__))
VENV = os.environ.get("IAMD_OPENSTACK_VENV") or os.path.join(HERE, ".venv-openstack")
# Set by conformance/run when it could not make the venv: the file holding pip's output.
INSTALL_ERROR_LOG = os.environ.get("IAMD_OPENSTACK_VENV_ERROR")

START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0

# The S3 region Swift's s3api answers for (its `location`); clients must sign for it.
REGION = "us-east-1"

# The Keystone service user Swift's s3token authenticates as, from iamd's config file.
SERVICE_USER = "swift"
SERVICE_PASSWORD = "swift-service-password"
KEYSTONE_CONFIG = f"""\
[[keystone.service_users]]
name = "{SERVICE_USER}"
password = "{SERVICE_PASSWORD}"
project = "service"
roles = ["admin"]
"""


def venv_bin(name):
    return os.path.join(VENV, "bin", name)


_venv_checked = None


def require_openstack_venv():
    """Raises harness.Skip, with the reason, when the second venv could not be installed.

    Only a missing or unimportable third-party install is a reason to skip; everything after
    that (configs, starting, iamd's answers) fails the test."""
    global _venv_checked
    from harness import Skip

    if _venv_checked is None:
        why = None
        if INSTALL_ERROR_LOG:
            tail = ""
            try:
                with open(INSTALL_ERROR_LOG, errors="replace") as f:
                    tail = f.read()[-1500:]
            except OSError:
                pass
            why = f"conformance/run could not install {VENV} (see {INSTALL_ERROR_LOG}):\n{tail}"
        elif not all(os.access(venv_bin(b), os.X_OK) for b in ("python", "openstack", "swift-proxy-server")):
            why = f"no usable Swift / openstack CLI venv at {VENV} (conformance/run makes it)"
        else:
            probe = subprocess.run(
                [venv_bin("python"), "-c", "import swift.proxy.server, swift.common.middleware.s3api.s3token, "
                 "swift.common.middleware.keystoneauth, keystonemiddleware.auth_token, openstackclient.shell, pyeclib, xattr"],
                capture_output=True, text=True, timeout=60)
            if probe.returncode != 0:
                why = f"Swift / openstack CLI in {VENV} do not import:\n{probe.stderr[-1500:]}"
        _venv_checked = why or ""
    if _venv_checked:
        raise Skip(_venv_checked)


def _die_with_parent():
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)


def free_ports(n):
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def check_xattrs(directory):
    """Swift keeps object metadata in user xattrs (split into chunks of 254 bytes)."""
    probe = os.path.join(directory, ".xattr-probe")
    with open(probe, "w"):
        pass
    try:
        os.setxattr(probe, "user.swift.metadata", b"x" * 254)
        os.setxattr(probe, "user.swift.metadata1", b"y" * 254)
        assert os.getxattr(probe, "user.swift.metadata1") == b"y" * 254
    except OSError as e:
        raise RuntimeError(f"{directory} does not keep user xattrs ({e}); Swift needs them: "
                           "point TMPDIR at an ext4/xfs directory") from e
    finally:
        os.unlink(probe)


# Swift logs to syslog (UDP to localhost:514 when /dev/log is missing) plus, with -v, stderr.
# This hook (log_custom_handlers) drops the syslog handler, so each server's stderr file is its
# whole log.
_LOG_HOOK = '''\
def stderr_only(conf, name, log_to_console, log_route, fmt, logger, adapted_logger):
    from swift.common.utils import logs
    handler = getattr(logs.get_swift_logger, "handler4logger", {}).get(logger)
    if handler is not None:
        logger.removeHandler(handler)
'''

_RINGS = '''\
import sys
from swift.common.ring import RingBuilder
swift_dir = sys.argv[1]
for name, port in zip(("account", "container", "object"), sys.argv[2:5]):
    b = RingBuilder(6, 1, 1)  # 2^6 partitions, 1 replica, min_part_hours 1
    b.add_dev({"id": 0, "region": 1, "zone": 1, "ip": "127.0.0.1", "port": int(port),
               "device": "sdb1", "weight": 100, "meta": ""})
    b.rebalance()
    b.save(f"{swift_dir}/{name}.builder")
    b.get_ring().save(f"{swift_dir}/{name}.ring.gz")
'''


class SwiftCluster:
    def __init__(self, keystone=None, secret_cache_duration=0, memcache_servers=None, s3api_options=None):
        """`keystone`: None for tempauth (user `test:tester`, secret `testing`, account AUTH_test),
        or a dict with `url` (iamd's base URL, without /v3), `username`, `password` and optionally
        `project_name` (default "service") of the service user s3token authenticates as.

        s3token asks iamd about every request unless both `secret_cache_duration` (seconds) and
        `memcache_servers` ("host:port", the proxy's `cache` middleware) are given: then it
        fetches the key's secret once (GET /v3/users/{id}/credentials/OS-EC2/{access}, with the
        service user's token) and checks later signatures itself."""
        self.keystone = keystone
        self.secret_cache_duration = secret_cache_duration
        self.memcache_servers = memcache_servers
        self.s3api_options = s3api_options or {}
        self.scratch = tempfile.mkdtemp(prefix="iamd-conf-swift-")
        self.procs = {}
        self.logs = {}
        self.url = None
        daemon.CREATED.append(self)

    # -- configuration --------------------------------------------------------------------------

    def _common(self, name, port):
        return textwrap.dedent(f"""\
            [DEFAULT]
            bind_ip = 127.0.0.1
            bind_port = {port}
            workers = 0
            user = {pwd.getpwuid(os.getuid()).pw_name}
            swift_dir = {self.scratch}
            devices = {self.devices}
            mount_check = false
            disable_fallocate = true
            log_name = {name}
            log_level = DEBUG
            log_custom_handlers = swift_conf_logging.stderr_only
            eventlet_debug = false
            """)

    def _storage_conf(self, kind, port):
        return self._common(f"{kind}-server", port) + textwrap.dedent(f"""\
            [pipeline:main]
            pipeline = {kind}-server

            [app:{kind}-server]
            use = egg:swift#{kind}

            [{kind}-replicator]
            [{kind}-auditor]
            """) + ("[container-updater]\n[container-sync]\n" if kind == "container" else "") + \
            ("[object-updater]\n" if kind == "object" else "")

    def _proxy_conf(self, port):
        s3api = {"location": REGION, "s3_acl": "false", "auth_pipeline_check": "true"}
        s3api.update(self.s3api_options)
        s3api_lines = "".join(f"{k} = {v}\n" for k, v in s3api.items())
        if self.keystone is None:
            auth = "tempauth"
            auth_filters = textwrap.dedent("""\
                [filter:tempauth]
                use = egg:swift#tempauth
                user_test_tester = testing .admin
                reseller_prefix = AUTH
                """)
        else:
            ks = self.keystone
            v3 = ks["url"].rstrip("/") + "/v3"
            # As Swift's s3api docs give it: authtoken (delay_auth_decision) before s3api, so
            # requests with an X-Auth-Token from iamd (Swift's own API) work too.
            auth = "s3token keystoneauth"
            auth_filters = textwrap.dedent(f"""\
                [filter:authtoken]
                paste.filter_factory = keystonemiddleware.auth_token:filter_factory
                www_authenticate_uri = {v3}
                auth_url = {v3}
                auth_type = password
                username = {ks["username"]}
                password = {ks["password"]}
                project_name = {ks.get("project_name", "service")}
                user_domain_id = {ks.get("user_domain_id", "default")}
                project_domain_id = {ks.get("project_domain_id", "default")}
                delay_auth_decision = true
                include_service_catalog = false
                token_cache_time = -1
                http_connect_timeout = 10

                [filter:s3token]
                use = egg:swift#s3token
                auth_uri = {v3}
                reseller_prefix = AUTH_
                delay_auth_decision = false
                http_timeout = 10
                secret_cache_duration = {self.secret_cache_duration}
                auth_type = password
                auth_url = {v3}
                username = {ks["username"]}
                password = {ks["password"]}
                project_name = {ks.get("project_name", "service")}
                user_domain_id = {ks.get("user_domain_id", "default")}
                project_domain_id = {ks.get("project_domain_id", "default")}

                [filter:keystoneauth]
                use = egg:swift#keystoneauth
                operator_roles = admin, member
                reseller_prefix = AUTH_
                """)
        cache = "cache " if self.memcache_servers else ""
        authtoken = "" if self.keystone is None else "authtoken "
        return self._common("proxy-server", port) + textwrap.dedent(f"""\
            [pipeline:main]
            pipeline = catch_errors gatekeeper healthcheck proxy-logging {cache}listing_formats {authtoken}s3api {auth} copy slo dlo versioned_writes proxy-logging proxy-server

            [app:proxy-server]
            use = egg:swift#proxy
            account_autocreate = true
            allow_account_management = false

            [filter:catch_errors]
            use = egg:swift#catch_errors
            [filter:gatekeeper]
            use = egg:swift#gatekeeper
            [filter:healthcheck]
            use = egg:swift#healthcheck
            [filter:proxy-logging]
            use = egg:swift#proxy_logging
            [filter:cache]
            use = egg:swift#memcache
            memcache_servers = {self.memcache_servers or "127.0.0.1:11211"}
            [filter:listing_formats]
            use = egg:swift#listing_formats
            [filter:copy]
            use = egg:swift#copy
            [filter:slo]
            use = egg:swift#slo
            [filter:dlo]
            use = egg:swift#dlo
            [filter:versioned_writes]
            use = egg:swift#versioned_writes

            [filter:s3api]
            use = egg:swift#s3api
            """) + s3api_lines + "\n" + auth_filters

    # -- life -----------------------------------------------------------------------------------

    def start(self):
        require_openstack_venv()
        self.devices = os.path.join(self.scratch, "srv")
        os.makedirs(os.path.join(self.devices, "sdb1"))
        check_xattrs(os.path.join(self.devices, "sdb1"))
        with open(os.path.join(self.scratch, "swift.conf"), "w") as f:
            f.write(textwrap.dedent("""\
                [swift-hash]
                swift_hash_path_suffix = iamd-conformance
                swift_hash_path_prefix = iamd

                [storage-policy:0]
                name = gold
                default = yes
                """))
        with open(os.path.join(self.scratch, "swift_conf_logging.py"), "w") as f:
            f.write(_LOG_HOOK)
        proxy_port, account_port, container_port, object_port = free_ports(4)
        ring = subprocess.run([venv_bin("python"), "-c", _RINGS, self.scratch,
                               str(account_port), str(container_port), str(object_port)],
                              capture_output=True, text=True, timeout=60)
        if ring.returncode != 0:
            raise RuntimeError(f"building the rings failed:\n{ring.stdout}{ring.stderr}")
        confs = {
            "account": (self._storage_conf("account", account_port), account_port),
            "container": (self._storage_conf("container", container_port), container_port),
            "object": (self._storage_conf("object", object_port), object_port),
            "proxy": (self._proxy_conf(proxy_port), proxy_port),
        }
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "OS_", "IAMD_"))}
        env["PYTHONPATH"] = self.scratch
        env["PYTHONUNBUFFERED"] = "1"
        for kind, (text, port) in confs.items():
            path = os.path.join(self.scratch, f"{kind}-server.conf")
            with open(path, "w") as f:
                f.write(text)
            log = os.path.join(self.scratch, f"{kind}-server.log")
            self.logs[kind] = log
            with open(log, "wb") as out:
                self.procs[kind] = subprocess.Popen(
                    [venv_bin(f"swift-{kind}-server"), path, "-v"],
                    stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env,
                    cwd=self.scratch, preexec_fn=_die_with_parent)
        daemon.LIVE.add(self)
        self.url = f"http://127.0.0.1:{proxy_port}"
        deadline = time.monotonic() + START_TIMEOUT
        pending = dict((k, p) for k, (_, p) in confs.items())
        while pending:
            for kind, port in list(pending.items()):
                if self.procs[kind].poll() is not None:
                    raise RuntimeError(f"swift-{kind}-server exited with {self.procs[kind].returncode}:\n"
                                       + self.log_tail())
                if self._answers(kind, port):
                    del pending[kind]
            if pending and time.monotonic() > deadline:
                raise RuntimeError(f"Swift servers {sorted(pending)} did not answer in {START_TIMEOUT}s:\n"
                                   + self.log_tail())
            time.sleep(0.1)
        return self

    def _answers(self, kind, port):
        if kind != "proxy":
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return True
            except OSError:
                return False
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthcheck", timeout=2) as r:
                return r.status == 200
        except (OSError, urllib.error.URLError):
            return False

    def stop(self, sig=signal.SIGTERM):
        for p in self.procs.values():
            if p.poll() is None:
                p.send_signal(sig)
        for p in self.procs.values():
            try:
                p.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        daemon.LIVE.discard(self)

    # The two methods daemon.clean_up_test() calls on what it created.
    def log_tail(self, chars=6000):
        text = ""
        for kind in ("proxy", "account", "container", "object"):
            path = self.logs.get(kind)
            if not path:
                continue
            try:
                with open(path, errors="replace") as f:
                    body = f.read()
            except OSError:
                continue
            limit = chars if kind == "proxy" else chars // 4
            text += f"--- swift-{kind}-server log ---\n" + body[-limit:]
        return text

    def remove_files(self):
        shutil.rmtree(self.scratch, ignore_errors=True)

    def proxy_log(self):
        try:
            with open(self.logs["proxy"], errors="replace") as f:
                return f.read()
        except (OSError, KeyError):
            return ""


@contextlib.contextmanager
def iamd_with_swift(service_password=SERVICE_PASSWORD, **swift_kw):
    """A fresh iamd with the Swift service user configured, and a Swift cluster whose s3token
    asks it (as that user, with `service_password`); yields (daemon, cluster) and stops both
    afterwards. Skips (harness.Skip) before starting anything when Swift is not installed."""
    require_openstack_venv()
    d = daemon.Daemon(config=KEYSTONE_CONFIG).start()
    cluster = None
    try:
        cluster = SwiftCluster(keystone={"url": d.url, "username": SERVICE_USER,
                                         "password": service_password}, **swift_kw).start()
        yield d, cluster
    finally:
        if cluster is not None:
            cluster.stop()
        d.stop()


def s3_client(cluster, key_id, secret, token=None, signature_version="s3v4"):
    """A boto3 S3 client signing for Swift's s3api (path-style, one attempt, no checksum
    trailers unless S3 requires them)."""
    import boto3
    import botocore.config
    cfg = botocore.config.Config(
        signature_version=signature_version, s3={"addressing_style": "path"},
        retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=30)
    return boto3.client("s3", endpoint_url=cluster.url, region_name=REGION,
                        aws_access_key_id=key_id, aws_secret_access_key=secret,
                        aws_session_token=token, config=cfg)


if __name__ == "__main__":
    # A manual check: `python swift_cluster.py` starts a tempauth cluster and prints its URL.
    sys.path.insert(0, HERE)
    c = SwiftCluster().start()
    print(c.url, c.scratch, flush=True)
    try:
        signal.pause()
    finally:
        c.stop()
