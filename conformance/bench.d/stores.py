"""conformance/bench stores — iamd on its embedded sled store next to iamd on PostgreSQL
(issue 20): the signed read scenarios 1–5 of the main benchmark (wrk, 2 threads, 16
connections) and the durable writes of scenario 6 (bench-tool, 16 clients: CreateAccessKey +
DeleteAccessKey), each on a fresh daemon per store. PostgreSQL is a real server started here
(conformance/postgres.py: Debian's binaries, fsync and synchronous_commit on, as shipped). For
PostgreSQL it also counts the store's round trips per request during each run, from iamd's
`iamd_store_round_trips_total` (flights of statements sent for requests; the listener's
hellos and confirmations travel on its own connection and are not counted).

Usage: conformance/bench stores [--duration SECS].
"""

import argparse
import os
import re
import sys
import tempfile
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import bench  # noqa: E402
import postgres  # noqa: E402  (conformance/postgres.py)

READS = ["s1", "s2", "s3", "s4", "s5"]


def round_trips(url):
    with urllib.request.urlopen(url + "/metrics", timeout=5) as r:
        m = re.search(r"^iamd_store_round_trips_total (\d+)$", r.read().decode(), re.M)
    return int(m.group(1)) if m else None


def measure(runner, binary, scratch, store):
    data = os.path.join(scratch, f"data-{store}")
    extra = ["--store", postgres.store_url(data)] if store == "postgres" else []
    p, _, ready = bench.start_iamd(binary, data, scratch, f"iamd-{store}", extra)
    target = bench.Target("iamd", p.url, (bench.ROOT_KEY_ID, bench.ROOT_SECRET))
    target.setup(READS + ["s6"])
    rows = {"ready_ms": ready * 1000}
    for sid in READS + ["s6"]:
        before = round_trips(p.url)
        if sid == "s6":
            r = runner.run_writes(target)
            requests = r and 2 * r["pairs"]
        else:
            r = runner.run_reads(sid, target, label=f"iamd on {store}")
            requests = r and r["requests"]
        after = round_trips(p.url)
        rows[sid] = r
        if r and before is not None and after is not None and requests:
            rows[f"{sid}_trips"] = (after - before) / requests
    rows["rss"] = p.rss_mib()
    p.stop()
    return rows


def main():
    ap = argparse.ArgumentParser(prog="conformance/bench stores")
    ap.add_argument("--duration", type=float, default=8, help="seconds per run (default 8)")
    ap.add_argument("--iamd", help="iamd binary (default target/release/iamd, built when stale)")
    ap.add_argument("--tool", default=os.path.join(HERE, "tool", "target", "release", "bench-tool"))
    args = ap.parse_args()
    args.duration = int(args.duration) if float(args.duration).is_integer() else args.duration
    binary = bench.build_iamd(args)
    scratch = tempfile.mkdtemp(prefix="iamd-bench-stores-")
    runner = bench.Runner(args, scratch)
    try:
        results = {store: measure(runner, binary, scratch, store) for store in ("sled", "postgres")}
    finally:
        bench.stop_all()
    titles = dict((s[0], s[1]) for s in bench.SCENARIOS)
    titles["s6"] = bench.TITLES["s6"]
    sled, pg = results["sled"], results["postgres"]
    print(f"\niamd on sled and on PostgreSQL, {args.duration} s per run; reads: wrk -t{bench.THREADS} "
          f"-c{bench.CONNECTIONS}; writes: bench-tool, {bench.WRITE_CLIENTS} clients\n")
    print("| scenario | sled req/s | PostgreSQL req/s | PostgreSQL ÷ sled | p50 ms sled / PostgreSQL "
          "| p99 ms sled / PostgreSQL | errors | PostgreSQL round trips per request |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for sid in READS + ["s6"]:
        a, b = sled.get(sid), pg.get(sid)
        if not a or not b:
            print(f"| {titles[sid]} | {bench.fmt(a and a.get('rps'), 0)} | {bench.fmt(b and b.get('rps'), 0)} "
                  "| — | — | — | — | — |")
            continue
        ra = a.get("rps") or a.get("creates_per_s")
        rb = b.get("rps") or b.get("creates_per_s")
        pa = (a.get("p50") or a.get("create_p50_ms"), a.get("p99") or a.get("create_p99_ms"))
        pb = (b.get("p50") or b.get("create_p50_ms"), b.get("p99") or b.get("create_p99_ms"))
        errors = (a.get("non2xx", 0) + a.get("socket_errors", 0) + a.get("errors", 0),
                  b.get("non2xx", 0) + b.get("socket_errors", 0) + b.get("errors", 0))
        trips = pg.get(f"{sid}_trips")
        print(f"| {titles[sid]} | {bench.fmt(ra, 0)} | {bench.fmt(rb, 0)} | {rb / ra:.2f} "
              f"| {bench.fmt(pa[0], 3)} / {bench.fmt(pb[0], 3)} | {bench.fmt(pa[1], 3)} / {bench.fmt(pb[1], 3)} "
              f"| {errors[0]} / {errors[1]} | {'—' if trips is None else f'{trips:.3f}'} |")
    print(f"\nstart → /healthz 200: sled {sled['ready_ms']:.0f} ms, PostgreSQL {pg['ready_ms']:.0f} ms; "
          f"RSS after the runs: sled {sled['rss']:.1f} MiB, PostgreSQL {pg['rss']:.1f} MiB")
    return 1 if runner.failed_iamd else 0


if __name__ == "__main__":
    sys.exit(main())
