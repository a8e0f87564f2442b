"""conformance/bench gateway — the S3 gateway's overhead: the same GetObject of a 1 KB and an
8 MB object, straight from the backend and through iamd's gateway (signature check, policy
decision, re-signing, streaming). Backends: moto's S3 server (from bench.d's venv; slow, Python)
and, where Ceph is installed (.ci/install-ceph), a Ceph RGW on memstore started like the RGW
tests' (conformance/rgw_cluster.py), which is fast enough to show the gateway's own cost. Each
run replays one presigned SigV4 GET URL with wrk (2 threads, 16 connections for 1 KB; 4
connections for 8 MB). The caller through the gateway is an IAM user allowed s3:GetObject by an
inline policy, so the full policy path runs. Prints one markdown table per backend.

Usage: conformance/bench gateway [--duration SECS] [--backend moto|rgw|all].
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench  # noqa: E402  (process handling and wrk parsing)


def wait_http(url, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} never answered")


def wrk_get(url, duration, connections, scratch, name):
    u = urllib.parse.urlsplit(url)
    script = os.path.join(scratch, f"{name}.lua")
    with open(script, "w") as f:
        f.write(f'wrk.method = "GET"\nwrk.path = {bench.lua_string(u.path + "?" + u.query)}\n')
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "--latency",
                          "-s", script, f"{u.scheme}://{u.netloc}"], capture_output=True, text=True,
                         timeout=duration + 60).stdout
    r = bench.parse_wrk(out)
    import re
    m = re.search(r"Transfer/sec:\s+([\d.]+)(\w+)", out)
    unit = {"B": 1 / 1e6, "KB": 1024 / 1e6, "MB": 1024 * 1024 / 1e6, "GB": 1024 ** 3 / 1e6}
    r["mbps"] = float(m.group(1)) * unit.get(m.group(2), 0) if m else None
    if r["rps"] is None:
        bench.loud(f"{name}: wrk printed no result: {out[-300:]}")
    return r


def main():
    ap = argparse.ArgumentParser(prog="conformance/bench gateway")
    ap.add_argument("--duration", type=int, default=8)
    ap.add_argument("--backend", choices=("moto", "rgw", "all"), default="all")
    ap.add_argument("--tool", help=argparse.SUPPRESS)
    args = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "--locked", "--quiet"], cwd=bench.ROOT, check=True)
    binary = os.path.join(bench.ROOT, "target", "release", "iamd")
    scratch = tempfile.mkdtemp(prefix="iamd-bench-gw-")
    try:
        if args.backend in ("moto", "all"):
            moto_port = bench.free_port()
            moto_url = f"http://127.0.0.1:{moto_port}"
            bench.Proc("moto", [os.path.join(os.path.dirname(sys.executable), "moto_server"), "-H", "127.0.0.1",
                                "-p", str(moto_port)], bench.clean_env(), scratch)
            wait_http(moto_url + "/moto-api/")
            run_backend("moto", moto_url, "backend", "backend-secret", binary, scratch, args.duration)
        if args.backend in ("rgw", "all"):
            sys.path.insert(0, os.path.dirname(HERE))
            import rgw_cluster
            cluster = rgw_cluster.RgwCluster()
            try:
                cluster.start()
            except rgw_cluster.Unavailable as e:
                bench.loud(f"NO CEPH RGW: the gateway was not measured against RGW: {e}")
                cluster = None
            if cluster is not None:
                try:
                    key_id, secret = "BENCHRGWACCESSKEY000", "bench-rgw-secret-key-0123456789abcdefghij"
                    cluster.admin("user", "create", "--uid=bench", "--display-name=bench",
                                  f"--access-key={key_id}", f"--secret-key={secret}")
                    run_backend("Ceph RGW (memstore)", cluster.url, key_id, secret, binary, scratch, args.duration)
                finally:
                    cluster.stop()
    finally:
        bench.stop_all()


def run_backend(name, backend_url, backend_key, backend_secret, binary, scratch, duration):
    """Starts an iamd whose gateway fronts `backend_url`, measures, prints the table, stops it."""
    env = bench.iamd_env()
    env.update(IAMD_S3_BACKEND_ACCESS_KEY_ID=backend_key, IAMD_S3_BACKEND_SECRET_ACCESS_KEY=backend_secret)
    p = bench.Proc("iamd", [binary, "serve", "--listen", "127.0.0.1:0", "--ephemeral", "--print-env",
                           "--s3-listen", "127.0.0.1:0", "--s3-backend", backend_url], env, scratch)
    try:
        p.url = bench.wait_for_env_url(p)
        gw = None
        deadline = time.monotonic() + 10
        while gw is None and time.monotonic() < deadline:
            for line in p.stdout().splitlines():
                if line.startswith("AWS_ENDPOINT_URL_S3="):
                    gw = line.split("=", 1)[1]
            time.sleep(0.01)
        import boto3
        import botocore.config
        cfg = botocore.config.Config(s3={"addressing_style": "path"}, signature_version="s3v4")
        iam, _ = bench.clients(p.url, bench.ROOT_KEY_ID, bench.ROOT_SECRET)
        iam.create_user(UserName="bench-gw")
        iam.put_user_policy(UserName="bench-gw", PolicyName="get", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bench/*"}]}))
        key = iam.create_access_key(UserName="bench-gw")["AccessKey"]
        root_s3 = boto3.client("s3", endpoint_url=gw, region_name="us-east-1", config=cfg,
                               aws_access_key_id=bench.ROOT_KEY_ID, aws_secret_access_key=bench.ROOT_SECRET)
        root_s3.create_bucket(Bucket="bench")
        root_s3.put_object(Bucket="bench", Key="small", Body=os.urandom(1024))
        root_s3.put_object(Bucket="bench", Key="large", Body=os.urandom(8 * 1024 * 1024))
        via = boto3.client("s3", endpoint_url=gw, region_name="us-east-1", config=cfg,
                           aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
        direct = boto3.client("s3", endpoint_url=backend_url, region_name="us-east-1", config=cfg,
                              aws_access_key_id=backend_key, aws_secret_access_key=backend_secret)
        rows = []
        for obj, conns in (("small", 16), ("large", 4)):
            for label, client in ((f"{name} directly", direct), ("through the gateway", via)):
                url = client.generate_presigned_url("get_object", Params={"Bucket": "bench", "Key": obj},
                                                    ExpiresIn=3600)
                with urllib.request.urlopen(url) as r:
                    assert r.status == 200
                rows.append((obj, label, conns, wrk_get(url, duration, conns, scratch, f"{obj}-{label[:3]}")))
        print(f"\nS3 gateway overhead: presigned GetObject replayed by wrk -t2 for {duration} s; backend {name}\n")
        print("| object | path | connections | req/s | p50 ms | p99 ms | MB/s | non-2xx |")
        print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for obj, label, conns, r in rows:
            size = "1 KB" if obj == "small" else "8 MB"
            print(f"| {size} | {label} | {conns} | {bench.fmt(r['rps'], 0)} | {bench.fmt(r['p50'], 2)} "
                  f"| {bench.fmt(r['p99'], 2)} | {bench.fmt(r['mbps'], 1)} | {r['non2xx']} |")
        print(f"\niamd RSS after the runs: {p.rss_mib():.1f} MiB")
    finally:
        p.stop()


if __name__ == "__main__":
    main()
