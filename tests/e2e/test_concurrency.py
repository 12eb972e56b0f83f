"""16 concurrent clients, 20 requests each, every one with its own input: all answers right."""

import threading
import time
import unittest

import common
from common import E2ETestCase, model_path
from server import Server

CLIENTS = 16
REQUESTS_PER_CLIENT = 20
SERVER = None


def setUpModule():
    global SERVER
    SERVER = Server(name="concurrency").start()
    try:
        for name in ("mlp", "cnn"):
            resp = SERVER.push(name, model_path(name))
            if resp[0] != 201:
                raise AssertionError("push %s failed: %s" % (name, resp.describe()))
    except BaseException:
        SERVER.stop()
        raise
    ConcurrencyTest.server = SERVER


def tearDownModule():
    if SERVER is not None:
        SERVER.stop()


class ConcurrencyTest(E2ETestCase):
    server = None

    def run_clients(self, pick):
        """pick(client, i) -> (model name, reference case). Returns list of problems."""
        problems = []
        lock = threading.Lock()
        start = threading.Barrier(CLIENTS)

        def client(k):
            try:
                start.wait(timeout=30)
                for i in range(REQUESTS_PER_CLIENT):
                    name, c = pick(k, i)
                    rid = "c%d-r%d" % (k, i)
                    resp = self.server.post("/v2/models/%s/infer" % name,
                                            common.infer_body(c, request_id=rid), timeout=120)
                    errs = []
                    if resp[0] != 200:
                        errs.append(resp.describe())
                    else:
                        errs = common.compare_outputs(resp[1], c)
                        if resp[1].get("id") != rid:
                            errs.append("id %r, expected %r" % (resp[1].get("id"), rid))
                        if resp[1].get("model_name") != name:
                            errs.append("model_name %r, expected %r"
                                        % (resp[1].get("model_name"), name))
                    if errs:
                        with lock:
                            problems.append("client %d request %d (%s %s): %s"
                                            % (k, i, name, c["name"], "; ".join(errs)))
            except Exception as e:  # noqa: BLE001 - reported as a test failure
                with lock:
                    problems.append("client %d: %r" % (k, e))

        threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=150)
        self.assertFalse(any(t.is_alive() for t in threads), "clients still running after 150 s")
        return problems, time.monotonic() - t0

    def test_mixed_mlp_and_cnn(self):
        stress = common.stress()

        def pick(k, i):
            n = k * REQUESTS_PER_CLIENT + i  # every request has its own input
            name = "mlp" if (k + i) % 2 == 0 else "cnn"
            return name, stress[name][n]

        problems, elapsed = self.run_clients(pick)
        if problems:
            self.fail("%d of %d requests wrong (%.1fs):\n%s"
                      % (len(problems), CLIENTS * REQUESTS_PER_CLIENT, elapsed,
                         "\n".join(problems[:20])))


if __name__ == "__main__":
    unittest.main()
