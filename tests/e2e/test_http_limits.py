"""HTTP-level defences against hostile clients, on the real server over raw sockets: the
Host allowlist (DNS rebinding) and chunked bodies (too many chunks, too many bytes)."""

import json
import socket
import time
import unittest

from common import E2ETestCase
from server import Server

SERVER = None
MAX_BODY_BYTES = 1 << 20  # small, so the oversized-body case stays quick
MAX_BODY_CHUNKS = 1000


def setUpModule():
    global SERVER
    SERVER = Server(name="http-limits",
                    extra_args=["--max-body-bytes", str(MAX_BODY_BYTES),
                                "--max-body-chunks", str(MAX_BODY_CHUNKS)]).start()


def tearDownModule():
    if SERVER is not None:
        SERVER.stop()


def exchange(head, body_parts=(), timeout=30):
    """Sends a hand-written request (head without the final blank line is completed here)
    and the body parts; returns (status, body bytes) of the answer. Stops sending when the
    server answers early or closes the connection."""
    with socket.create_connection(("127.0.0.1", SERVER.port), timeout=timeout) as sock:
        sock.sendall(head.encode() + b"\r\n")
        try:
            for part in body_parts:
                sock.sendall(part)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before the whole body went out
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        head_bytes, _, rest = data.partition(b"\r\n\r\n")
        status = int(head_bytes.split(b" ", 2)[1])
        length = 0
        for line in head_bytes.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        while len(rest) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            rest += chunk
        return status, rest


class HostAllowlistTest(E2ETestCase):
    def test_unknown_host_is_refused_for_every_method(self):
        for method in ("GET", "POST", "PUT", "DELETE"):
            head = ("%s /api/v1/models/x HTTP/1.1\r\nHost: evil.example\r\n%s"
                    "Content-Length: 0\r\n" % (method, SERVER.auth_header_lines()))
            status, body = exchange(head)
            self.assertEqual(status, 421, method)
            self.assertIn("Host", json.loads(body)["error"], method)

    def test_missing_host_is_refused(self):
        status, _ = exchange("GET /v2/health/live HTTP/1.1\r\n")
        self.assertEqual(status, 421)

    def test_loopback_names_with_and_without_port_are_served(self):
        for host in ("127.0.0.1:%d" % SERVER.port, "localhost", "LOCALHOST:1", "[::1]:%d"
                     % SERVER.port):
            status, _ = exchange("GET /v2/health/live HTTP/1.1\r\nHost: %s\r\n" % host)
            self.assertEqual(status, 200, host)


class ChunkedBodyTest(E2ETestCase):
    def head(self):
        return ("POST /v2/models/none/infer HTTP/1.1\r\nHost: 127.0.0.1\r\n%s"
                "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                % SERVER.auth_header_lines())

    def test_too_many_one_byte_chunks_are_413(self):
        chunks = [b"1\r\n \r\n"] * (MAX_BODY_CHUNKS + 50) + [b"0\r\n\r\n"]
        status, body = exchange(self.head(), [b"".join(chunks)])
        self.assertEqual(status, 413)
        self.assertIn("chunks", json.loads(body)["error"])

    def test_chunked_body_beyond_the_byte_limit_is_413(self):
        piece = b"x" * 65536
        chunk = b"%x\r\n" % len(piece) + piece + b"\r\n"
        count = MAX_BODY_BYTES // len(piece) + 4
        status, body = exchange(self.head(), [chunk] * count + [b"0\r\n\r\n"])
        self.assertEqual(status, 413)
        self.assertIn("--max-body-bytes", json.loads(body)["error"])

    def test_server_still_serves_after_hostile_bodies(self):
        self.assertStatus(SERVER.get("/v2/health/ready"), 200)


class SlowClientTest(E2ETestCase):
    """A client trickling its header bytes (slowloris) is dropped at --header-timeout-s."""

    @classmethod
    def setUpClass(cls):
        cls.server = Server(name="slow-client", extra_args=["--header-timeout-s", "1"]).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_trickled_header_is_dropped_at_the_header_timeout(self):
        started = time.monotonic()
        closed_after = None
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as sock:
            sock.sendall(b"GET /v2/health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            try:
                for _ in range(40):  # 12 s of trickling if never dropped
                    sock.sendall(b"X")
                    time.sleep(0.3)
                    sock.setblocking(False)
                    try:
                        if sock.recv(1) == b"":
                            closed_after = time.monotonic() - started
                            break
                    except BlockingIOError:
                        pass
                    finally:
                        sock.setblocking(True)
            except (BrokenPipeError, ConnectionResetError):
                closed_after = time.monotonic() - started
        self.assertIsNotNone(closed_after, "the slow client was never dropped")
        self.assertLess(closed_after, 4.0)
        self.assertStatus(self.server.get("/v2/health/live"), 200)  # others still served

    def test_idle_keep_alive_connection_is_closed(self):
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as sock:
            sock.sendall(b"GET /v2/health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            self.assertIn(b"200", sock.recv(65536).split(b"\r\n", 1)[0])
            started = time.monotonic()
            sock.settimeout(6)
            self.assertEqual(sock.recv(1), b"")  # closed by the server, not by the timeout
            self.assertLess(time.monotonic() - started, 4.0)


if __name__ == "__main__":
    unittest.main()
