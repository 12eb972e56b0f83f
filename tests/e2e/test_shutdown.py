"""Graceful stop: SIGTERM while requests are in flight -> they complete, exit code 0."""

import random
import signal
import threading
import time
import unittest

import common
from common import E2ETestCase, case, model_path
from server import Server

TARGET_SECONDS = 1.0  # how long one slow request should take
IN_FLIGHT = 3


def slow_body(steps, seed):
    rnd = random.Random(seed)
    return {"id": "slow-%d" % seed,
            "inputs": [{"name": "x", "shape": [64, 64], "datatype": "FP32",
                        "data": [round(rnd.uniform(-1, 1), 3) for _ in range(64 * 64)]},
                       {"name": "steps", "shape": [1], "datatype": "INT64", "data": [steps]}]}


class GracefulStopTest(E2ETestCase):
    server = None

    def setUp(self):
        self.server = Server(name="shutdown").start()
        self.addCleanup(self.server.stop)
        self.assertStatus(self.server.push("slow", model_path("slow")), 201)
        c = case("slow", "steps3")
        self.assertOutputs(self.server.post("/v2/models/slow/infer", common.infer_body(c)), c)

    def timed(self, steps):
        t0 = time.monotonic()
        resp = self.server.post("/v2/models/slow/infer", slow_body(steps, 0), timeout=120)
        self.assertStatus(resp, 200)
        return time.monotonic() - t0

    def calibrate(self):
        """Steps that make one request take about TARGET_SECONDS."""
        self.timed(50)  # warm-up (TorchScript profiles the first runs)
        steps = 200
        while True:
            t = self.timed(steps)
            if t >= 0.3 or steps >= 1000000:
                break
            steps *= 4
        return max(200, min(1000000, int(steps * TARGET_SECONDS / max(t, 1e-3))))

    def test_sigterm_drains_in_flight_requests(self):
        steps = self.calibrate()
        results = [None] * IN_FLIGHT
        done_at = [None] * IN_FLIGHT

        def client(k):
            try:
                results[k] = self.server.post("/v2/models/slow/infer", slow_body(steps, k + 1),
                                              timeout=120)
            except Exception as e:  # noqa: BLE001 - reported below
                results[k] = e
            done_at[k] = time.monotonic()

        threads = [threading.Thread(target=client, args=(k,)) for k in range(IN_FLIGHT)]
        for t in threads:
            t.start()
        time.sleep(0.3)  # requests sent and being computed
        sent_term = time.monotonic()
        self.server.signal(signal.SIGTERM)

        # While draining, the server must not claim to be ready (503 or refusing connections).
        time.sleep(0.2)
        if any(d is None for d in done_at):
            try:
                status, body = self.server.get("/v2/health/ready", timeout=5)
                self.assertNotEqual(status, 200, "ready while stopping: %r" % (body,))
                if status == 503:
                    self.assertEqual(body, {"ready": False})
            except OSError:
                pass  # listener already closed: fine

        for t in threads:
            t.join(timeout=120)
        rc = self.server.wait(timeout=30)

        for k, r in enumerate(results):
            with self.subTest(request=k):
                self.assertNotIsInstance(r, Exception, "in-flight request failed: %r" % (r,))
                self.assertStatus(r, 200)
                out = r[1]["outputs"][0]
                self.assertEqual(out["shape"], [64, 64])
                self.assertEqual(r[1].get("id"), "slow-%d" % (k + 1))
        self.assertTrue(any(d is not None and d > sent_term for d in done_at),
                        "no request was still in flight at SIGTERM (steps=%d); test inconclusive"
                        % steps)
        self.assertEqual(rc, 0, "exit code after SIGTERM; log:\n" + self.server.log_tail(2000))

    def test_sigterm_when_idle(self):
        self.server.signal(signal.SIGTERM)
        rc = self.server.wait(timeout=30)
        self.assertEqual(rc, 0, "exit code after SIGTERM; log:\n" + self.server.log_tail(2000))


if __name__ == "__main__":
    unittest.main()
