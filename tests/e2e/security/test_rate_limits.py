"""Rate limits (docs/security.md "Rate limits", docs/operations.md flags): a burst over a
key's management bucket gets 429 with an integer Retry-After and the RateLimit-* headers;
buckets are per key; a key's own rate_limit_rps replaces its inference rate; one tenant
hammering inference gets 429s while another tenant's requests in the same period all pass."""

import os
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from security import support  # noqa: E402
from security.support import create_key, create_tenant  # noqa: E402

from common import E2ETestCase, case, infer_body  # noqa: E402
from server import Server  # noqa: E402

KEY_MGMT_RPS = 0.5
KEY_MGMT_BURST = 10
TENANT_INFER_RPS = 5
TENANT_INFER_BURST = 5

SERVER = None
KEYS = {}


def setUpModule():
    global SERVER
    SERVER = Server(name="sec-ratelimit", extra_args=[
        "--key-management-rps", str(KEY_MGMT_RPS),
        "--key-management-burst", str(KEY_MGMT_BURST),
        "--tenant-inference-rps", str(TENANT_INFER_RPS),
        "--tenant-inference-burst", str(TENANT_INFER_BURST)]).start()
    # The bootstrap key spends 2 + 4 + 1 of its 10 management tokens here.
    for tenant in ("team-a", "team-b"):
        create_tenant(SERVER, tenant)
        KEYS[tenant] = create_key(SERVER, "admin", tenant=tenant)["key"]
    KEYS["burst"] = create_key(SERVER, "viewer", tenant="default")["key"]
    KEYS["own-rate"] = create_key(SERVER, "inference", tenant="team-b", rate_limit_rps=1)["key"]
    support.push(SERVER, "m", "two_io")
    for tenant in ("team-a", "team-b"):
        support.push(SERVER, "m", "two_io", api_key=KEYS[tenant])


def tearDownModule():
    if SERVER is not None:
        SERVER.stop()


class RateLimitTest(E2ETestCase):
    server = property(lambda self: SERVER)

    def assertRateLimited(self, resp, limit):
        self.assertError(resp, 429, mentions=("rate limit",))
        retry = resp.headers.get("Retry-After")
        self.assertIsNotNone(retry, "429 without Retry-After")
        self.assertRegex(retry, r"^[0-9]+$", "Retry-After must be whole seconds")
        self.assertGreaterEqual(int(retry), 1)
        for name in ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"):
            value = resp.headers.get(name)
            self.assertIsNotNone(value, "429 without %s" % name)
            self.assertRegex(value, r"^[0-9]+$", "%s: %r" % (name, value))
        self.assertEqual(int(resp.headers["RateLimit-Limit"]), limit)
        self.assertEqual(int(resp.headers["RateLimit-Remaining"]), 0)
        self.assertGreaterEqual(int(resp.headers["RateLimit-Reset"]), 1)
        return int(retry)

    def test_management_burst_gets_429_with_retry_after(self):
        key = KEYS["burst"]
        t0 = time.monotonic()
        answers = [SERVER.get("/api/v1/models", api_key=key) for _ in range(KEY_MGMT_BURST + 10)]
        elapsed = time.monotonic() - t0
        statuses = [r.status for r in answers]
        self.assertIn(429, statuses, statuses)
        ok = statuses.count(200)
        self.assertEqual(ok + statuses.count(429), len(statuses), statuses)
        # The burst, plus what 0.5/s refills while the loop runs.
        self.assertGreaterEqual(ok, KEY_MGMT_BURST, statuses)
        self.assertLessEqual(ok, KEY_MGMT_BURST + KEY_MGMT_RPS * elapsed + 1, statuses)
        limited = [r for r in answers if r.status == 429]
        retry = max(self.assertRateLimited(r, KEY_MGMT_BURST) for r in limited)
        self.assertLessEqual(retry, 10)
        # Buckets are per key: another key of the same server is not limited ...
        self.assertStatus(SERVER.get("/api/v1/models", api_key=KEYS["team-a"]), 200)
        # ... and inference is a separate bucket of the same key.
        c = case("two_io", "batch1")
        self.assertOutputs(support.infer(SERVER, "m", c, key), c)
        # Retry-After tells the truth.
        time.sleep(retry + 0.2)
        self.assertStatus(SERVER.get("/api/v1/models", api_key=key), 200)

    def test_key_rate_limit_rps_replaces_its_inference_rate(self):
        key = KEYS["own-rate"]
        c = case("two_io", "batch1")
        first = support.infer(SERVER, "m", c, key)
        self.assertOutputs(first, c)
        resp = support.infer(SERVER, "m", c, key)
        self.assertRateLimited(resp, 1)
        self.assertIn("this API key", resp.body["error"])

    def test_noisy_tenant_does_not_starve_another(self):
        c = case("two_io", "batch1")
        body = infer_body(c)
        time.sleep(1.2)  # both tenants' inference buckets full again
        stop = threading.Event()
        noisy = []
        lock = threading.Lock()

        def hammer():
            while not stop.is_set():
                resp = SERVER.post("/v2/models/m/infer", body, api_key=KEYS["team-a"])
                with lock:
                    noisy.append(resp)

        threads = [threading.Thread(target=hammer) for _ in range(3)]
        for t in threads:
            t.start()
        quiet = []
        t0 = time.monotonic()
        try:
            time.sleep(0.3)  # team-a has emptied its bucket
            for _ in range(6):  # team-b: 2 requests per second, within its own limit
                quiet.append(SERVER.post("/v2/models/m/infer", body, api_key=KEYS["team-b"]))
                time.sleep(0.5)
        finally:
            stop.set()
            for t in threads:
                t.join(30)
        elapsed = time.monotonic() - t0
        statuses = [r.status for r in noisy]
        self.assertIn(429, statuses)
        self.assertEqual(statuses.count(200) + statuses.count(429), len(statuses),
                         sorted(set(statuses)))
        self.assertLessEqual(statuses.count(200), TENANT_INFER_BURST + TENANT_INFER_RPS * elapsed
                             + 2, "team-a got more than its tenant's rate")
        limited = next(r for r in noisy if r.status == 429)
        self.assertRateLimited(limited, TENANT_INFER_BURST)
        self.assertIn("tenant 'team-a'", limited.body["error"])
        for resp in quiet:
            self.assertOutputs(resp, c, msg="team-b's request while team-a was flooding")


if __name__ == "__main__":
    unittest.main()
