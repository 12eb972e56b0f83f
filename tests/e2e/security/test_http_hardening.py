"""Hostile HTTP over raw sockets (docs/security.md "HTTP limits"): a 1 GiB chunked body
against the default 64 MiB --max-body-bytes is a quick 413 with the server's memory flat;
a million one-byte chunks hit --max-body-chunks (413); an unknown Host is 421 for every
method; a slowloris client (header bytes trickling in) and a stalled body are dropped
at --idle-timeout-s."""

import os
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from security import support  # noqa: E402
from security.support import json_body, raw_exchange, read_response, readable  # noqa: E402

from common import E2ETestCase  # noqa: E402
from server import HOST, Server  # noqa: E402

MIB = 1 << 20
DEFAULT_MAX_BODY = 64 * MIB   # --max-body-bytes default
DEFAULT_MAX_CHUNKS = 100000   # --max-body-chunks default
IDLE_TIMEOUT_S = 2

DEFAULTS = None  # a server with the default limits
SLOW = None      # a server with --idle-timeout-s 2


def setUpModule():
    global DEFAULTS, SLOW
    DEFAULTS = Server(name="sec-http-defaults").start()
    SLOW = Server(name="sec-http-idle", extra_args=["--idle-timeout-s", str(IDLE_TIMEOUT_S)]).start()


def tearDownModule():
    for srv in (DEFAULTS, SLOW):
        if srv is not None:
            srv.stop()


def chunked_head(srv, path="/v2/models/none/infer"):
    return ("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%sContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n" % (path, srv.auth_header_lines())).encode()


def stream(srv, pieces, on_piece=None, timeout=60):
    """Sends the chunked request head and then `pieces` (an iterator of bytes) until the
    server answers or closes. Returns (status, headers, body, bytes sent, pieces sent)."""
    sent = count = 0
    with socket.create_connection((HOST, srv.port), timeout=timeout) as sock:
        sock.sendall(chunked_head(srv))
        try:
            for piece in pieces:
                if readable(sock):
                    break  # the answer is there: stop sending
                sock.sendall(piece)
                sent += len(piece)
                count += 1
                if on_piece is not None:
                    on_piece()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed while the body was still coming
        status, headers, body = read_response(sock, timeout)
    return status, headers, body, sent, count


class BodyLimitTest(E2ETestCase):
    server = property(lambda self: DEFAULTS)

    def test_1gib_chunked_body_is_413_quickly_with_flat_memory(self):
        pid = DEFAULTS.pid
        self.assertStatus(DEFAULTS.get("/v2/health/ready"), 200)
        baseline = support.vm_rss_bytes(pid)
        peak = [baseline]
        piece = b"x" * MIB
        framed = b"%x\r\n" % len(piece) + piece + b"\r\n"

        def gigabyte():
            for _ in range(1024):
                yield framed
            yield b"0\r\n\r\n"

        def sample():
            peak[0] = max(peak[0], support.vm_rss_bytes(pid))

        t0 = time.monotonic()
        status, _, body, sent, _ = stream(DEFAULTS, gigabyte(), on_piece=sample)
        elapsed = time.monotonic() - t0
        sample()
        self.assertEqual(status, 413, body[:300])
        self.assertIn("--max-body-bytes", json_body(body)["error"])
        self.assertLess(elapsed, 30, "413 only after %.1f s" % elapsed)
        self.assertLess(sent, 256 * MIB, "the server kept reading %d bytes" % sent)
        grown = peak[0] - baseline
        self.assertLess(grown, 100 * MIB, "VmRSS grew by %.0f MiB (baseline %.0f MiB)"
                        % (grown / MIB, baseline / MIB))
        self.assertStatus(DEFAULTS.get("/v2/health/ready"), 200)

    def test_million_one_byte_chunks_are_413(self):
        batch = 10000

        def tiny_chunks():
            for _ in range(1000000 // batch):
                yield b"1\r\nx\r\n" * batch
            yield b"0\r\n\r\n"

        t0 = time.monotonic()
        status, _, body, _, pieces = stream(DEFAULTS, tiny_chunks())
        elapsed = time.monotonic() - t0
        self.assertEqual(status, 413, body[:300])
        self.assertIn("chunks", json_body(body)["error"])
        self.assertLess(elapsed, 30)
        self.assertStatus(DEFAULTS.get("/v2/health/ready"), 200)

    def test_management_body_limit_counts_chunked_bytes_too(self):
        # Same limit on a management route (POST /api/v1/models), 80 MiB sent at most.
        def eighty():
            piece = b"%x\r\n" % MIB + b" " * MIB + b"\r\n"
            for _ in range(80):
                yield piece
            yield b"0\r\n\r\n"

        with socket.create_connection((HOST, DEFAULTS.port), timeout=60) as sock:
            sock.sendall(chunked_head(DEFAULTS, "/api/v1/models"))
            try:
                for part in eighty():
                    if readable(sock):
                        break
                    sock.sendall(part)
            except (BrokenPipeError, ConnectionResetError):
                pass
            status, _, body = read_response(sock, 60)
        self.assertEqual(status, 413, body[:300])


class HostAllowlistTest(E2ETestCase):
    server = property(lambda self: SLOW)

    def test_unknown_host_is_421_for_every_method(self):
        body = b'{"name": "rebound", "version": 1}'
        for method, path in (("GET", "/api/v1/models"), ("POST", "/api/v1/models"),
                             ("PUT", "/api/v1/models/rebound/aliases/prod"),
                             ("DELETE", "/api/v1/models/rebound"), ("GET", "/v2/health/live"),
                             ("GET", "/metrics")):
            for host in ("evil.example", "evil.example:%d" % SLOW.port):
                for auth in (SLOW.auth_header_lines(), ""):
                    with self.subTest(method=method, path=path, host=host, key=bool(auth)):
                        head = ("%s %s HTTP/1.1\r\nHost: %s\r\n%sContent-Type: application/json"
                                "\r\nContent-Length: %d\r\n" % (method, path, host, auth,
                                                                 len(body)))
                        status, _, answer = raw_exchange(SLOW.port, head, body)
                        self.assertEqual(status, 421, answer[:300])
                        self.assertIn("Host", json_body(answer)["error"])
        # Nothing reached a handler.
        self.assertStatus(SLOW.get("/api/v1/models/rebound"), 404)
        # The allowed names are served (control).
        status, _, _ = raw_exchange(SLOW.port, "GET /v2/health/live HTTP/1.1\r\n"
                                    "Host: 127.0.0.1:%d\r\n" % SLOW.port)
        self.assertEqual(status, 200)


class SlowClientTest(E2ETestCase):
    server = property(lambda self: SLOW)

    def drip(self, prefix, drip_bytes, limit_s=10.0, interval=0.5):
        """Connects, sends `prefix`, then one byte of `drip_bytes` every `interval` s.
        Returns (seconds from connect until the server closed the connection, bytes the
        server sent), or (None, ...) if it did not close within limit_s."""
        sock = socket.create_connection((HOST, SLOW.port), timeout=limit_s)
        t0 = time.monotonic()
        received = b""
        try:
            if prefix:
                sock.sendall(prefix)
            i = 0
            while time.monotonic() - t0 < limit_s:
                if readable(sock, interval):
                    try:
                        data = sock.recv(65536)
                    except ConnectionResetError:
                        data = b""
                    if not data:
                        return time.monotonic() - t0, received
                    received += data
                    continue
                try:
                    sock.send(drip_bytes[i % len(drip_bytes):i % len(drip_bytes) + 1])
                except (BrokenPipeError, ConnectionResetError):
                    return time.monotonic() - t0, received
                i += 1
            return None, received
        finally:
            sock.close()

    def test_slowloris_headers_are_dropped_at_the_idle_timeout(self):
        closed, received = self.drip(b"", b"GET /v2/health/live HTTP/1.1\r\nX-Slow: "
                                     + b"a" * 1000)
        self.assertIsNotNone(closed, "a slowloris client was still connected after 10 s")
        self.assertLessEqual(closed, IDLE_TIMEOUT_S + 2.0, "dropped only after %.1f s" % closed)
        self.assertGreaterEqual(closed, IDLE_TIMEOUT_S - 0.5, "dropped after %.1f s" % closed)
        self.assertStatus(SLOW.get("/v2/health/ready"), 200)

    def test_stalled_body_is_dropped_at_the_idle_timeout(self):
        # The head arrives whole, then 10 of the 100000 announced body bytes, then nothing.
        head = ("POST /v2/models/none/infer HTTP/1.1\r\nHost: 127.0.0.1\r\n%s"
                "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
                % SLOW.auth_header_lines()).encode()
        with socket.create_connection((HOST, SLOW.port), timeout=10) as sock:
            sock.sendall(head + b"[" * 10)
            t0 = time.monotonic()
            closed = None
            while time.monotonic() - t0 < 10:
                if readable(sock, 0.1):
                    try:
                        data = sock.recv(65536)
                    except ConnectionResetError:
                        data = b""
                    if not data:
                        closed = time.monotonic() - t0
                        break
        self.assertIsNotNone(closed, "a stalled body was still being waited for after 10 s")
        self.assertLessEqual(closed, IDLE_TIMEOUT_S + 2.0, "dropped only after %.1f s" % closed)
        self.assertGreaterEqual(closed, IDLE_TIMEOUT_S - 0.5, "dropped after %.1f s" % closed)
        self.assertStatus(SLOW.get("/v2/health/ready"), 200)

if __name__ == "__main__":
    unittest.main()
