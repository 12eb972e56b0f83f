#!/usr/bin/python3
"""Runs the aiaas end-to-end tests.

    /usr/bin/python3 tests/e2e/run.py --build-dir build [-k PATTERN] [--keep] [-q]

Exports the reference models once (export_models.py, real PyTorch), then discovers and
runs tests/e2e/test_*.py against the real `<build-dir>/aiaas serve`. The last line of
output is `N passed, N failed` (plus `, N skipped`); the exit code is non-zero if any
test failed or errored. Logs and data dirs are kept (path printed) when something fails.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = "/usr/bin/python3"


class CountingResult(unittest.TextTestResult):
    """Counts tests by outcome; a failing subtest makes its test fail once."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.passed = 0
        self.failed_ids = set()
        self.skipped_ids = set()
        self.durations = []
        self._t0 = {}

    def startTest(self, test):
        self._t0[test.id()] = time.monotonic()
        super().startTest(test)

    def stopTest(self, test):
        t0 = self._t0.pop(test.id(), None)
        if t0 is not None:
            self.durations.append((time.monotonic() - t0, test.id()))
        super().stopTest(test)

    def addSuccess(self, test):
        super().addSuccess(test)
        if test.id() not in self.failed_ids:
            self.passed += 1

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.failed_ids.add(test.id())

    def addError(self, test, err):
        super().addError(test, err)
        self.failed_ids.add(test.id())  # also module/class set-up errors (_ErrorHolder)

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self.skipped_ids.add(test.id())

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self.passed += 1

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self.failed_ids.add(test.id())

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            self.failed_ids.add(test.id())


def summary(passed, failed, skipped):
    line = "%d passed, %d failed" % (passed, failed)
    if skipped:
        line += ", %d skipped" % skipped
    return line


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build-dir", default="build", help="directory with the aiaas binary")
    parser.add_argument("--models-dir", help="reuse models exported earlier by export_models.py")
    parser.add_argument("-k", dest="patterns", action="append",
                        help="only run tests whose id contains this (unittest -k)")
    parser.add_argument("--keep", action="store_true", help="keep logs and data dirs")
    parser.add_argument("-q", "--quiet", action="store_true", help="less output")
    args = parser.parse_args()

    build_dir = os.path.abspath(args.build_dir)
    binary = os.path.join(build_dir, "aiaas")
    if not os.access(binary, os.X_OK):
        print("e2e: %s not found or not executable; build first (make build)" % binary)
        print(summary(0, 1, 0))
        return 1

    work = tempfile.mkdtemp(prefix="aiaas-e2e-")
    os.environ["AIAAS_E2E_BUILD_DIR"] = build_dir
    os.environ["AIAAS_E2E_WORK_DIR"] = work

    t0 = time.monotonic()
    if args.models_dir:
        models = os.path.abspath(args.models_dir)
    else:
        models = os.path.join(work, "models")
        proc = subprocess.run([PYTHON, os.path.join(HERE, "export_models.py"), models],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            print("e2e: export_models.py failed:\n%s%s" % (proc.stdout, proc.stderr))
            print(summary(0, 1, 0))
            return 1
        print("e2e: %s (%.1fs)" % (proc.stdout.strip(), time.monotonic() - t0))
    os.environ["AIAAS_E2E_MODELS_DIR"] = models

    sys.path.insert(0, HERE)
    loader = unittest.TestLoader()
    if args.patterns:
        loader.testNamePatterns = ["*%s*" % p for p in args.patterns]
    suite = loader.discover(start_dir=HERE, pattern="test_*.py", top_level_dir=HERE)
    runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=1 if args.quiet else 2,
                                     resultclass=CountingResult)
    result = runner.run(suite)

    failed = len(result.failed_ids)
    skipped = len(result.skipped_ids)
    slow = sorted(result.durations, reverse=True)[:5]
    print("e2e: slowest: " + ", ".join("%s %.1fs" % (i.split(".", 1)[-1], d) for d, i in slow))
    print("e2e: total %.1fs" % (time.monotonic() - t0))
    if failed or args.keep:
        print("e2e: logs and data kept in %s" % work)
    else:
        shutil.rmtree(work, ignore_errors=True)
    sys.stdout.flush()
    print(summary(result.passed, failed, skipped))
    return 1 if failed or not result.wasSuccessful() else 0


if __name__ == "__main__":
    sys.exit(main())
