"""conformance/bench keystone — the Keystone-compatible API under load: what a storage server
asks per S3 request. Starts target/release/iamd (ephemeral, fixed root key) with a service user,
sets up a user with a key and a login profile through boto3, then replays with wrk:

  k1  POST /v3/s3tokens, SigV4 string to sign (Swift's s3token and RGW: every S3 request)
  k2  POST /v3/auth/tokens, service user password (RGW with its token cache off: every S3 request)
  k3  GET  /v3/users/{id}/credentials/OS-EC2/{access}, as the service (RGW after s3tokens)
  k4  POST /v3/auth/tokens, IAM user password (Argon2id; the openstack CLI's login)
  s1  POST / GetCallerIdentity (IAM user key), for reference on the same daemon

Prints one markdown table. Usage: conformance/bench keystone [--duration SECS].
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench  # noqa: E402  (reuses its process handling and wrk parsing)

SERVICE_PASSWORD = "bench-service-password"
USER_PASSWORD = "Bench-Password-1!"


def lua(method, path, headers, body):
    lines = [f"wrk.method = {bench.lua_string(method)}", f"wrk.path = {bench.lua_string(path)}"]
    if body is not None:
        lines.append(f"wrk.body = {bench.lua_string(body)}")
    for k, v in headers.items():
        lines.append(f"wrk.headers[{bench.lua_string(k)}] = {bench.lua_string(v)}")
    return "\n".join(lines) + "\n"


def http(url, method, path, headers, body):
    req = urllib.request.Request(url + path, method=method, headers=headers,
                                 data=body.encode() if body is not None else None)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


def main():
    ap = argparse.ArgumentParser(prog="conformance/bench keystone")
    ap.add_argument("--duration", type=float, default=8)
    ap.add_argument("--tool", help=argparse.SUPPRESS)
    args = ap.parse_args()
    binary = os.path.join(bench.ROOT, "target", "release", "iamd")
    subprocess.run(["cargo", "build", "--release", "--locked", "--quiet"], cwd=bench.ROOT, check=True)
    scratch = tempfile.mkdtemp(prefix="iamd-bench-ks-")
    config = os.path.join(scratch, "iamd.toml")
    with open(config, "w") as f:
        f.write(f'[[keystone.service_users]]\nname = "svc"\npassword = "{SERVICE_PASSWORD}"\n')
    p = bench.Proc("iamd", [binary, "serve", "--listen", "127.0.0.1:0", "--ephemeral", "--print-env",
                           "--config", config], bench.iamd_env(), scratch)
    try:
        url = bench.wait_for_env_url(p)
        iam, sts = bench.clients(url, bench.ROOT_KEY_ID, bench.ROOT_SECRET)
        uid = iam.create_user(UserName="bench-ks")["User"]["UserId"]
        key = iam.create_access_key(UserName="bench-ks")["AccessKey"]
        iam.create_login_profile(UserName="bench-ks", Password=USER_PASSWORD)
        ak, sk = key["AccessKeyId"], key["SecretAccessKey"]

        svc_login = json.dumps({"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": "svc", "password": SERVICE_PASSWORD, "domain": {"id": "default"}}}},
            "scope": {"project": {"name": "service", "domain": {"id": "default"}}}}})
        user_login = json.dumps({"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": "bench-ks", "password": USER_PASSWORD, "domain": {"name": "Default"}}}},
            "scope": {"project": {"name": "000000000000", "domain": {"name": "Default"}}}}})
        jh = {"Content-Type": "application/json"}
        status, headers, _ = http(url, "POST", "/v3/auth/tokens", jh, svc_login)
        assert status == 201, status
        token = headers.get("X-Subject-Token") or headers.get("x-subject-token")

        # A SigV4 S3 GET's string to sign, signed with the user's secret (now, so it is fresh).
        date = time.strftime("%Y%m%d")
        sts_text = (f"AWS4-HMAC-SHA256\n{date}T000000Z\n{date}/us-east-1/s3/aws4_request\n"
                    + hashlib.sha256(b"GET\n/bucket/key\n\nhost:s3\n\nhost\nUNSIGNED-PAYLOAD").hexdigest())
        k = ("AWS4" + sk).encode()
        for part in (date, "us-east-1", "s3", "aws4_request"):
            k = hmac.new(k, part.encode(), hashlib.sha256).digest()
        sig = hmac.new(k, sts_text.encode(), hashlib.sha256).hexdigest()
        s3tokens = json.dumps({"credentials": {"access": ak, "signature": sig,
                                               "token": base64.urlsafe_b64encode(sts_text.encode()).decode()}})
        th = {**jh, "X-Auth-Token": token}
        sigv4_headers, body = bench.sign(url, "sts", bench.form_body("GetCallerIdentity", "2011-06-15", {}),
                                         bench.creds(ak, sk))
        cases = [
            ("k1", "POST /v3/s3tokens (SigV4)", "POST", "/v3/s3tokens", th, s3tokens),
            ("k2", "POST /v3/auth/tokens, service user", "POST", "/v3/auth/tokens", jh, svc_login),
            ("k3", "GET OS-EC2 credential, as the service", "GET", f"/v3/users/{uid}/credentials/OS-EC2/{ak}", th, None),
            ("k4", "POST /v3/auth/tokens, IAM user (Argon2id)", "POST", "/v3/auth/tokens", jh, user_login),
            ("s1", "POST / GetCallerIdentity (reference)", "POST", "/", sigv4_headers, body),
        ]
        rows = []
        for cid, title, method, path, headers, body in cases:
            status, _, text = http(url, method, path, headers, body)
            assert status in (200, 201), f"{cid}: {status} {text[:200]}"
            script = os.path.join(scratch, f"{cid}.lua")
            with open(script, "w") as f:
                f.write(lua(method, path, headers, body))
            duration = int(args.duration) if float(args.duration).is_integer() else args.duration
            proc = subprocess.run(["wrk", f"-t{bench.THREADS}", f"-c{bench.CONNECTIONS}", f"-d{duration}s",
                                   "--timeout", "5s", "--latency", "-s", script, url],
                                  capture_output=True, text=True, timeout=args.duration + 60)
            r = bench.parse_wrk(proc.stdout)
            if r["rps"] is None:
                bench.loud(f"{cid}: wrk printed no result: {proc.stdout[-300:]} {proc.stderr[-300:]}")
            rows.append((cid, title, r))
        print(f"\nKeystone API, {bench.THREADS} wrk threads, {bench.CONNECTIONS} connections, {args.duration:g} s each\n")
        print("| case | req/s | p50 ms | p99 ms | non-2xx |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for cid, title, r in rows:
            print(f"| {cid} {title} | {bench.fmt(r['rps'], 0)} | {bench.fmt(r['p50'], 3)} | {bench.fmt(r['p99'], 3)} "
                  f"| {r['non2xx']} |")
        print(f"\niamd RSS after the runs: {p.rss_mib():.1f} MiB")
    finally:
        bench.stop_all()


if __name__ == "__main__":
    main()
