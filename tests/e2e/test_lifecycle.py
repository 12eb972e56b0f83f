"""Model lifecycle against the real server: Triton's repository extension (index, load,
unload), load/unload churn under inference traffic without memory growth, and a queued
request dropped when its client disconnects."""

import json
import re
import socket
import threading
import time
import unittest

import common
import server as srvmod
import test_engine  # the slow model's helpers (push_with_config, slow_body, steps_for)
from common import E2ETestCase, model_path
from server import Server

# Churn test.
CYCLES = 200
WARM_CYCLES = 20
CLIENTS = 4
CHURN_TIME_LIMIT_S = 45  # the whole file must stay under 60 s on a loaded 2-core machine
# Allowed VmRSS growth from the warm point (after WARM_CYCLES) to the end. One loaded MLP
# holds ~0.4 MB of weights plus its batcher, module and thread: leaking one per cycle over
# the remaining 180 cycles would grow RSS by well over 70 MiB, while allocator noise
# (glibc arenas per thread, LibTorch caches settling) stays at a few MiB. 25 MiB tells
# the two apart with room for a loaded machine.
MAX_RSS_GROWTH_MIB = 25
# Threads a leaked batcher would leave behind; a little slack for the HTTP/worker pools.
MAX_THREAD_GROWTH = 4

SERVER = None  # shared by the repository and disconnect tests


def setUpModule():
    global SERVER
    SERVER = Server(name="lifecycle").start()
    try:
        resp = test_engine.push_with_config(SERVER, "slow", model_path("slow"),
                                            {"max_batch_size": 0, "instance_count": 1})
        if resp.status != 201:
            raise AssertionError("push slow failed: %s" % resp.describe())
    except BaseException:
        SERVER.stop()
        raise


def tearDownModule():
    if SERVER is not None:
        SERVER.stop()


def proc_status(pid):
    """(VmRSS in KiB, thread count) of a process, from /proc/<pid>/status."""
    with open("/proc/%d/status" % pid) as f:
        text = f.read()
    rss = int(re.search(r"^VmRSS:\s+(\d+) kB", text, re.M).group(1))
    threads = int(re.search(r"^Threads:\s+(\d+)", text, re.M).group(1))
    return rss, threads


def metric_sum(text, name, labels):
    """Sum of the Prometheus samples of `name` whose label text contains `labels`."""
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") and labels in line:
            total += float(line.split()[-1])
    return total


def index_entry(server, name):
    resp = server.post("/v2/repository/index", {})
    if resp.status != 200 or not isinstance(resp.body, list):
        raise AssertionError("index: %s" % resp.describe())
    found = [e for e in resp.body if e.get("name") == name]
    return found[0] if found else None


class RepositoryTest(E2ETestCase):
    def setUp(self):
        self.server = SERVER

    def test_index_load_unload(self):
        name = "repo-mlp"
        self.assertStatus(self.server.push(name, model_path("mlp")), 201)
        c = common.case("mlp", "batch1")

        entry = index_entry(self.server, name)
        self.assertIsNotNone(entry, "the pushed model is not in the index")
        self.assertEqual(sorted(entry), ["name", "reason", "state", "version"])
        self.assertEqual((entry["version"], entry["state"]), ("1", "UNAVAILABLE"),
                         "a pushed model is not loaded before its first use: %s" % entry)
        resp = self.server.post("/v2/repository/index", {"ready": True})
        self.assertStatus(resp, 200)
        self.assertNotIn(name, [e["name"] for e in resp.body], "ready=true lists loaded only")

        resp = self.server.post("/v2/repository/models/%s/load" % name, {})
        self.assertStatus(resp, 200)
        self.assertEqual(resp.body, {})
        self.assertEqual(index_entry(self.server, name)["state"], "READY")
        resp = self.server.post("/v2/repository/index", {"ready": True})
        self.assertIn(name, [e["name"] for e in resp.body])
        self.assertOutputs(self.server.post("/v2/models/%s/infer" % name, common.infer_body(c)), c)

        resp = self.server.post("/v2/repository/models/%s/unload" % name, {})
        self.assertStatus(resp, 200)
        self.assertEqual(resp.body, {})
        self.assertEqual(index_entry(self.server, name)["state"], "UNAVAILABLE")
        # The next inference loads it again, lazily.
        self.assertOutputs(self.server.post("/v2/models/%s/infer" % name, common.infer_body(c)), c)
        self.assertEqual(index_entry(self.server, name)["state"], "READY")
        # Unloading twice is fine (nothing left to unload).
        for _ in range(2):
            self.assertStatus(self.server.post("/v2/repository/models/%s/unload" % name, {}), 200)

    def test_unknown_models_are_404(self):
        self.assertError(self.server.post("/v2/repository/models/no-such-model/unload", {}), 404,
                         ["no-such-model"])
        self.assertError(self.server.post("/v2/repository/models/no-such-model/load", {}), 404,
                         ["no-such-model"])
        self.assertIsNone(index_entry(self.server, "no-such-model"))

    def test_model_without_versions(self):
        self.assertStatus(self.server.post("/api/v1/models", {"name": "repo-empty"}), 201)
        entry = index_entry(self.server, "repo-empty")
        self.assertEqual((entry["version"], entry["state"]), ("", "UNAVAILABLE"))
        self.assertTrue(entry["reason"], entry)
        self.assertError(self.server.post("/v2/repository/models/repo-empty/load", {}), 404,
                         ["no versions"])

    def test_bad_requests(self):
        self.assertError(self.server.post("/v2/repository/index", {"ready": "yes"}), 400,
                         ["ready"])
        self.assertError(self.server.get("/v2/repository/index"), 405)


class DisconnectTest(E2ETestCase):
    def setUp(self):
        self.server = SERVER

    def stats(self, model):
        resp = self.server.get("/v2/models/%s/stats" % model)
        self.assertStatus(resp, 200)
        return resp.body["model_stats"][0]

    def in_flight(self, model):
        return metric_sum(self.server.get("/metrics").raw.decode(),
                          "aiaas_inference_in_flight_requests", 'model="%s"' % model)

    def wait_for(self, what, predicate, timeout_s):
        deadline = time.monotonic() + timeout_s
        while not predicate():
            if time.monotonic() > deadline:
                self.fail("timed out after %ss waiting for %s\n%s"
                          % (timeout_s, what, self._server_hint()))
            time.sleep(0.02)

    def test_client_disconnect_drops_the_queued_request(self):
        # TorchScript profiles the first runs, which are several times slower: calibrate
        # on a warm model.
        test_engine.EngineTest.steps_for(self, 0.1)
        # A valid run needs the long request to outlive the disconnect by a clear margin;
        # on a machine slowed down mid-test, retry with a longer one.
        for seconds in (3.0, 6.0, 12.0):
            outcome = self.disconnect_once(test_engine.EngineTest.steps_for(self, seconds))
            if outcome == "ok":
                return
        self.fail("the long request never outlived the disconnect by 0.5 s in 3 attempts")

    def disconnect_once(self, steps):
        before = self.stats("slow")
        busy = {}

        def long_request():
            busy["resp"] = self.server.post("/v2/models/slow/infer", test_engine.slow_body(steps),
                                            timeout=120)
            busy["done"] = time.monotonic()

        thread = threading.Thread(target=long_request)
        thread.start()
        self.wait_for("the long request to be in flight",
                      lambda: self.in_flight("slow") >= 1 or "done" in busy, 10)
        time.sleep(0.3)  # let the one instance take it

        body = json.dumps(test_engine.slow_body(1)).encode()
        head = ("POST /v2/models/slow/infer HTTP/1.1\r\nHost: %s:%d\r\n%s"
                "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                % (srvmod.HOST, self.server.port, self.server.auth_header_lines(),
                   len(body))).encode()
        sock = socket.create_connection((srvmod.HOST, self.server.port), timeout=10)
        try:
            sock.sendall(head + body)
            self.wait_for("the second request to reach the service",
                          lambda: self.in_flight("slow") >= 2 or "done" in busy, 10)
            time.sleep(0.1)  # from Infer() to the queue
            sock.setblocking(False)
            try:
                early = sock.recv(4096)
            except BlockingIOError:
                early = None
            if early is not None:
                # The long request was too short: the instance was free again. (Had the
                # second request run beside it, the execution count below would tell.)
                thread.join(120)
                return "retry"
        finally:
            sock.close()
        closed_at = time.monotonic()

        thread.join(120)
        self.assertFalse(thread.is_alive(), "the long request did not finish in 120 s")
        self.assertStatus(busy["resp"], 200)
        if busy["done"] - closed_at < 0.5:
            return "retry"

        # The dropped request is failed (cancelled) when the instance looks at its queue again.
        self.wait_for("the dropped request to be counted as failed",
                      lambda: self.stats("slow")["inference_stats"]["fail"]["count"]
                      > before["inference_stats"]["fail"]["count"], 10)
        after = self.stats("slow")
        self.assertEqual(after["execution_count"] - before["execution_count"], 1,
                         "the dropped request was executed: %s" % after)
        self.assertEqual(after["inference_stats"]["success"]["count"]
                         - before["inference_stats"]["success"]["count"], 1, after)
        self.assertEqual(after["inference_stats"]["fail"]["count"]
                         - before["inference_stats"]["fail"]["count"], 1, after)
        answered_499 = metric_sum(self.server.get("/metrics").raw.decode(),
                                  "aiaas_http_requests_total",
                                  'code="499",route="/v2/models/{model}/infer"')
        self.assertGreaterEqual(answered_499, 1,
                                "the disconnected request should be counted as HTTP 499")
        return "ok"


class ChurnTest(E2ETestCase):
    def test_load_unload_200_times_under_traffic_rss_stays_flat(self):
        with Server(name="churn") as server:
            self.server = server
            self.assertStatus(server.push("mlp", model_path("mlp")), 201)
            cases = common.stress()["mlp"]
            stop = threading.Event()
            lock = threading.Lock()
            counts = {"ok": 0, "unloading": 0}
            problems = []

            def client(k):
                i = k
                while not stop.is_set():
                    c = cases[i % len(cases)]
                    i += CLIENTS
                    try:
                        resp = server.post("/v2/models/mlp/infer", common.infer_body(c),
                                           timeout=30)
                    except Exception as e:  # noqa: BLE001 - reported as a failure
                        with lock:
                            problems.append("client %d: %r" % (k, e))
                        return
                    if resp.status == 200:
                        errs = common.compare_outputs(resp.body, c)
                        kind = "ok"
                    elif resp.status == 503:
                        err = resp.body.get("error", "") if isinstance(resp.body, dict) else ""
                        errs = [] if "being unloaded" in err else [resp.describe()]
                        kind = "unloading"
                    else:
                        errs = [resp.describe()]
                    with lock:
                        if errs:
                            problems.append("client %d: %s" % (k, "; ".join(errs)))
                            return
                        counts[kind] += 1

            threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
            for t in threads:
                t.start()
            try:
                t0 = time.monotonic()
                warm = None
                for cycle in range(CYCLES):
                    self.assertStatus(server.post("/v2/repository/models/mlp/unload", {}), 200,
                                      "(unload, cycle %d)" % cycle)
                    self.assertStatus(server.post("/v2/repository/models/mlp/load", {}), 200,
                                      "(load, cycle %d)" % cycle)
                    if cycle + 1 == WARM_CYCLES:
                        warm = proc_status(server.pid)
                        warm_at = time.monotonic() - t0
                    elapsed = time.monotonic() - t0
                    if elapsed > CHURN_TIME_LIMIT_S:
                        self.fail("only %d of %d load/unload cycles in %.0f s"
                                  % (cycle + 1, CYCLES, elapsed))
                end = proc_status(server.pid)
                churn_s = time.monotonic() - t0
            finally:
                stop.set()
                for t in threads:
                    t.join(60)
            self.assertFalse(any(t.is_alive() for t in threads), "clients still running")
            self.assertEqual(problems, [], "unexpected answers:\n" + "\n".join(problems[:10]))

            growth_mib = (end[0] - warm[0]) / 1024.0
            print("\n  churn: %d cycles in %.1f s (warm after %.1f s); VmRSS warm %.1f MiB, "
                  "end %.1f MiB (+%.1f MiB); threads %d -> %d; inferences ok %d, "
                  "503 unloading %d" % (CYCLES, churn_s, warm_at, warm[0] / 1024.0,
                                        end[0] / 1024.0, growth_mib, warm[1], end[1],
                                        counts["ok"], counts["unloading"]), flush=True)
            self.assertLess(growth_mib, MAX_RSS_GROWTH_MIB,
                            "VmRSS grew by %.1f MiB over %d load/unload cycles"
                            % (growth_mib, CYCLES - WARM_CYCLES))
            self.assertLessEqual(end[1] - warm[1], MAX_THREAD_GROWTH,
                                 "threads %d -> %d: batchers leak threads" % (warm[1], end[1]))
            # With one instance and back-to-back cycles, each unload fails the requests
            # queued at that moment (up to CLIENTS - 1): about half of all requests are such
            # 503s (measured 40-70% ok on 2 cores). Ask for at least a quarter, and on average
            # at least one success per cycle.
            total = counts["ok"] + counts["unloading"]
            self.assertGreaterEqual(counts["ok"], CYCLES, counts)
            self.assertGreaterEqual(4 * counts["ok"], total,
                                    "too few requests succeeded between unloads: %s" % counts)

            # The cycles really dropped and reloaded the model (not just answered 200).
            text = server.get("/metrics").raw.decode()
            loads = metric_sum(text, "aiaas_model_loads_total", 'model="mlp",result="ok"')
            unloads = metric_sum(text, "aiaas_model_unloads_total", 'model="mlp"')
            self.assertGreaterEqual(unloads, CYCLES, "unloads counted")
            self.assertGreaterEqual(loads, CYCLES, "loads counted")

            # Still healthy and correct afterwards.
            self.assertStatus(server.get("/v2/health/ready"), 200)
            c = common.case("mlp", "batch3")
            self.assertOutputs(server.post("/v2/models/mlp/infer", common.infer_body(c)), c)
            self.assertEqual(index_entry(server, "mlp")["state"], "READY")


if __name__ == "__main__":
    unittest.main()
