"""A tiny test runner for the conformance suite.

Runs every `test_*` function of every conformance/test_*.py, in file order
then definition order. A test that takes a parameter named `d` gets a fresh
running Daemon, stopped with SIGTERM afterwards; other tests manage their own
daemons. Usage: harness.py [SUBSTRING ...] keeps only tests whose
"file::name" contains one of the substrings. The last line printed is always
"N passed, M failed" (after "K skipped: NAMES" when a test raised Skip); the exit status
is 0 only if M == 0 and N > 0.

A test fails when it raises anything (SystemExit too), and when its daemon `d` exits with a
status other than 0 on SIGTERM. Ctrl-C stops the run, still printing the closing line. A full
run (no SUBSTRING) also checks the tests found against expected-tests.txt, so a test that
disappears, or one added without being listed, fails the run.
"""

import glob
import importlib
import inspect
import os
import signal
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import daemon  # noqa: E402

# Tests import Skip from "harness": make that this very module, not a second copy of it.
if __name__ == "__main__":
    sys.modules.setdefault("harness", sys.modules[__name__])

TEST_TIMEOUT = int(os.environ.get("CONFORMANCE_TEST_TIMEOUT", "120"))
# A test function may carry a `timeout` attribute (seconds) to get a larger budget than
# TEST_TIMEOUT; the budget of a test is the larger of the two.
_budget = TEST_TIMEOUT


class TestTimeout(Exception):  # noqa: N818
    pass


class Skip(Exception):  # noqa: N818
    """Raised by a test that cannot run on this machine (e.g. an external program is not
    installed): printed as "SKIP" with "SKIPPED: <message>", counted apart, never a pass."""


def _alarm(signum, frame):
    raise TestTimeout(f"test took longer than {_budget}s")


def collect(filters):
    tests = []
    for path in sorted(glob.glob(os.path.join(HERE, "test_*.py"))):
        try:
            mod = importlib.import_module(os.path.basename(path)[:-3])
        except Exception as e:  # noqa: BLE001 - reported as a failed test
            def broken(e=e):
                raise e
            tests.append((f"{os.path.basename(path)}::<import>", broken))
            continue
        funcs = [f for n, f in vars(mod).items()
                 if n.startswith("test_") and inspect.isfunction(f) and f.__module__ == mod.__name__]
        funcs.sort(key=lambda f: f.__code__.co_firstlineno)
        for f in funcs:
            name = f"{os.path.basename(path)}::{f.__name__}"
            if not filters or any(s in name for s in filters):
                tests.append((name, f))
    return tests


EXPECTED = os.path.join(HERE, "expected-tests.txt")


def unexpected(tests):
    """What a full run finds amiss against expected-tests.txt: listed tests that are gone, and
    tests found but not listed."""
    with open(EXPECTED) as f:
        expected = [line.strip() for line in f if line.strip() and not line.startswith("#")]
    found = [name for name, _ in tests]
    gone = [f"{n} (listed in expected-tests.txt, not found)" for n in expected if n not in found]
    new = [f"{n} (not listed in expected-tests.txt)" for n in found if n not in expected]
    return gone + new


def run_one(name, func):
    global _budget
    started = time.monotonic()
    _budget = max(TEST_TIMEOUT, int(getattr(func, "timeout", 0)))
    signal.alarm(_budget)
    try:
        if "d" in inspect.signature(func).parameters:
            d = daemon.Daemon().start()
            try:
                func(d)
            finally:
                code = d.stop()
            if code not in (0, None):
                raise AssertionError(f"iamd exited with status {code} on SIGTERM (expected 0)")
        else:
            func()
        ok, report = True, None
    except Skip as e:
        ok, report = None, f"SKIPPED: {e}"
    except KeyboardInterrupt:
        raise
    except BaseException:  # noqa: BLE001 - a failure of any kind: TestTimeout, SystemExit too
        ok, report = False, traceback.format_exc()
    finally:
        signal.alarm(0)
    logs = daemon.clean_up_test()
    if ok is False:
        report += logs
    return ok, report, time.monotonic() - started


def main():
    if not os.access(daemon.IAMD, os.X_OK):
        print(f"no iamd binary at {daemon.IAMD}")
        print("0 passed, 1 failed")
        return 1
    signal.signal(signal.SIGALRM, _alarm)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    passed = failed = 0
    failures = []
    skipped = []
    tests = collect(sys.argv[1:])
    if not sys.argv[1:]:
        for problem in unexpected(tests):
            print(f"FAIL {problem}", flush=True)
            failed += 1
            failures.append(problem)
    try:
        for name, func in tests:
            ok, report, secs = run_one(name, func)
            print(f"{'ok  ' if ok else 'SKIP' if ok is None else 'FAIL'} {name} ({secs:.1f}s)", flush=True)
            if ok is None:
                skipped.append(name)
                print("    " + report.rstrip().replace("\n", "\n    "), flush=True)
            elif ok:
                passed += 1
            else:
                failed += 1
                failures.append(name)
                print("    " + report.rstrip().replace("\n", "\n    "), flush=True)
    except KeyboardInterrupt:
        print("FAIL interrupted: the run stopped before its end", flush=True)
        failed += 1
        failures.append("<interrupted>")
    finally:
        daemon.kill_leftovers()
    if failures:
        print("failed: " + ", ".join(failures))
    if skipped:
        print(f"{len(skipped)} skipped: " + ", ".join(skipped))
    print(f"{passed} passed, {failed} failed", flush=True)
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
