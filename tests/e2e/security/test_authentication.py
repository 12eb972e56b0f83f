"""Authentication against the real server: every route but the two health checks needs a
key; a missing, malformed, unknown, revoked or expired key gets one identical 401; both
header forms work; revocation and rotation take effect within 1 s; --auth=off never on a
network address."""

import os
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from security import support  # noqa: E402
from security.support import UNAUTHENTICATED_BODY, create_key  # noqa: E402

from common import E2ETestCase, case, infer_body  # noqa: E402
import server as srvmod  # noqa: E402
from server import Server  # noqa: E402

SERVER = None


def setUpModule():
    global SERVER
    SERVER = Server(name="sec-authn").start()
    support.push(SERVER, "m", "two_io")


def tearDownModule():
    if SERVER is not None:
        SERVER.stop()


class AuthenticationTest(E2ETestCase):
    server = property(lambda self: SERVER)

    def assertUnauthenticated(self, resp, what):
        self.assertStatus(resp, 401, what)
        self.assertEqual(resp.headers.get("WWW-Authenticate"), "Bearer", what)
        self.assertIn("application/json", resp.content_type.lower(), what)
        self.assertEqual(resp.body, UNAUTHENTICATED_BODY, what)

    def test_health_routes_need_no_key(self):
        for path in ("/v2/health/live", "/v2/health/ready"):
            with self.subTest(path=path):
                self.assertStatus(SERVER.get(path, api_key=None), 200)

    def test_every_other_route_needs_a_key(self):
        routes = [
            ("GET", "/v2", None), ("GET", "/v2/models/m", None), ("GET", "/v2/models/m/ready", None),
            ("POST", "/v2/models/m/infer", {"inputs": []}),
            ("POST", "/v1/models/m:predict", {"instances": [[1.0]]}),
            ("POST", "/v2/repository/index", {}), ("POST", "/v2/repository/models/m/load", {}),
            ("GET", "/api/v1/models", None), ("POST", "/api/v1/models", {"name": "x"}),
            ("GET", "/api/v1/models/m", None), ("DELETE", "/api/v1/models/m", None),
            ("GET", "/api/v1/models/m/versions/1/artifact", None),
            ("GET", "/api/v1/keys", None), ("POST", "/api/v1/keys", {"role": "admin"}),
            ("POST", "/api/v1/tenants", {"name": "intruder"}), ("GET", "/metrics", None),
        ]
        for method, path, body in routes:
            with self.subTest(method=method, path=path):
                resp = SERVER.request(method, path, json_body=body, api_key=None)
                self.assertUnauthenticated(resp, "%s %s" % (method, path))
        # Nothing of the above happened.
        status, body = SERVER.get("/api/v1/models/m/versions")
        self.assertEqual(status, 200)
        self.assertEqual(len(body["versions"]), 1)
        self.assertStatus(SERVER.get("/api/v1/models/x"), 404)

    def test_bad_keys_get_one_identical_401(self):
        expiring = create_key(SERVER, "viewer", name="expiring", expires_in_s=1)
        created = time.monotonic()
        self.assertIsNotNone(expiring["expires_at"])
        revoked = create_key(SERVER, "viewer", name="revoked")
        self.assertStatus(SERVER.get("/api/v1/models", api_key=revoked["key"]), 200)
        self.assertStatus(SERVER.delete("/api/v1/keys/" + revoked["id"]), 200)
        good = create_key(SERVER, "viewer")["key"]
        key_id = good.split("_")[1]
        wrong_secret = good[:-1] + ("A" if good[-1] != "A" else "B")
        unknown = "aiaas_%s_%s" % ("0123456789abcdef", "A" * 32)
        cases = {
            "no header": {},
            "empty bearer": {"Authorization": "Bearer "},
            "bearer garbage": {"Authorization": "Bearer garbage"},
            "basic scheme": {"Authorization": "Basic dXNlcjpwYXNzd29yZA=="},
            "key without scheme": {"Authorization": good},
            "truncated key": {"Authorization": "Bearer " + good[:-1]},
            "uppercase id": {"Authorization": "Bearer aiaas_%s_%s" % (key_id.upper(),
                                                                     good.split("_")[2])},
            "unknown key": {"Authorization": "Bearer " + unknown},
            "known id, wrong secret": {"Authorization": "Bearer " + wrong_secret},
            "revoked key": {"Authorization": "Bearer " + revoked["key"]},
            "x-api-key garbage": {"x-api-key": "garbage"},
            "x-api-key unknown": {"x-api-key": unknown},
            "x-api-key revoked": {"x-api-key": revoked["key"]},
        }
        cases["expired key"] = {"Authorization": "Bearer " + expiring["key"]}
        cases["x-api-key expired"] = {"x-api-key": expiring["key"]}
        # Well past the expiring key's 1 s lifetime (and the 1 s key cache).
        time.sleep(max(0.0, created + 2.2 - time.monotonic()))
        raws = {}
        for what, headers in cases.items():
            with self.subTest(what=what):
                resp = SERVER.get("/api/v1/models", headers=headers, api_key=None)
                self.assertUnauthenticated(resp, what)
                raws[what] = (resp.raw, resp.headers.get("WWW-Authenticate"))
        # The same refusal on an inference route.
        resp = SERVER.post("/v2/models/m/infer", {"inputs": []}, api_key=expiring["key"])
        self.assertUnauthenticated(resp, "expired key on inference")
        raws["expired key on inference"] = (resp.raw, resp.headers.get("WWW-Authenticate"))
        # Byte-identical answers, whatever the reason.
        self.assertEqual(len(set(raws.values())), 1, raws)

    def test_credentials_only_from_headers(self):
        key = create_key(SERVER, "viewer")["key"]
        for what, path, headers in (
                ("query api_key", "/api/v1/models?api_key=" + key, {}),
                ("query access_token", "/api/v1/models?access_token=" + key, {}),
                ("cookie", "/api/v1/models", {"Cookie": "api_key=%s; x-api-key=%s" % (key, key)})):
            with self.subTest(what=what):
                self.assertUnauthenticated(SERVER.get(path, headers=headers, api_key=None), what)

    def test_bearer_and_x_api_key_both_work(self):
        key = create_key(SERVER, "viewer")["key"]
        c = case("two_io", "batch1")
        for headers in ({"Authorization": "Bearer " + key}, {"x-api-key": key}):
            with self.subTest(headers=list(headers)):
                self.assertStatus(SERVER.get("/api/v1/models/m", headers=headers, api_key=None),
                                  200)
                resp = SERVER.post("/v2/models/m/infer", infer_body(c), headers=headers,
                                   api_key=None)
                self.assertOutputs(resp, c)


class RevocationTest(E2ETestCase):
    server = property(lambda self: SERVER)

    def first_401_after(self, key, t0, limit_s=5.0):
        """Seconds after `t0` at which the first request that got 401 with `key` was sent
        (requests sent in a loop); None if none did within limit_s."""
        while time.monotonic() - t0 < limit_s:
            sent = time.monotonic() - t0
            if SERVER.get("/api/v1/models", api_key=key).status == 401:
                return sent
            time.sleep(0.02)
        return None

    def test_revoked_key_gets_401_within_1s(self):
        created = create_key(SERVER, "viewer", name="to-revoke")
        key = created["key"]
        # Used a few times first, so that the server has it cached.
        for _ in range(3):
            self.assertStatus(SERVER.get("/api/v1/models", api_key=key), 200)
        resp = SERVER.delete("/api/v1/keys/" + created["id"])
        self.assertStatus(resp, 200)
        t0 = time.monotonic()
        self.assertEqual(resp.body.get("id"), created["id"])
        self.assertIsNotNone(resp.body.get("revoked_at"))
        after = self.first_401_after(key, t0)
        self.assertIsNotNone(after, "revoked key still accepted 5 s after DELETE")
        self.assertLessEqual(after, 1.0, "revoked key accepted for %.2f s" % after)
        # For good: also on inference and with x-api-key.
        resp = SERVER.post("/v2/models/m/infer", {"inputs": []}, headers={"x-api-key": key},
                           api_key=None)
        self.assertStatus(resp, 401)
        listed = {k["id"]: k for k in SERVER.get("/api/v1/keys").body["keys"]}
        self.assertIsNotNone(listed[created["id"]]["revoked_at"])

    def test_rotate_revokes_the_old_key_and_issues_a_working_one(self):
        old = create_key(SERVER, "viewer", name="to-rotate")
        for _ in range(3):
            self.assertStatus(SERVER.get("/api/v1/models", api_key=old["key"]), 200)
        resp = SERVER.request("POST", "/api/v1/keys/%s/rotate" % old["id"])
        self.assertStatus(resp, 201)
        t0 = time.monotonic()
        new = resp.body
        self.assertNotEqual(new["key"], old["key"])
        self.assertNotEqual(new["id"], old["id"])
        self.assertEqual((new["tenant"], new["role"]), (old["tenant"], old["role"]))
        self.assertTrue(new["key"].startswith(new["prefix"] + "_"), new)
        after = self.first_401_after(old["key"], t0)
        self.assertIsNotNone(after, "rotated-out key still accepted 5 s later")
        self.assertLessEqual(after, 1.0, "rotated-out key accepted for %.2f s" % after)
        self.assertStatus(SERVER.get("/api/v1/models", api_key=new["key"]), 200)
        self.assertStatus(SERVER.get("/api/v1/models/m", api_key=new["key"]), 200)
        # The new key has no more rights than the old one (a viewer).
        self.assertStatus(SERVER.delete("/api/v1/models/m", api_key=new["key"]), 403)
        # A revoked key cannot be rotated back to life.
        resp = SERVER.request("POST", "/api/v1/keys/%s/rotate" % old["id"])
        self.assertTrue(400 <= resp.status < 500 and resp.status != 201, resp.describe())


class AuthOffTest(unittest.TestCase):
    def test_auth_off_refuses_a_non_loopback_host(self):
        data_dir = tempfile.mkdtemp(prefix="data-auth-off-", dir=srvmod.work_dir())
        cmd = [srvmod.binary(), "serve", "--auth=off", "--host", "0.0.0.0",
               "--port", str(srvmod.free_port()), "--data-dir", data_dir]
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            out, _ = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
            self.fail("aiaas serve --auth=off --host 0.0.0.0 kept running:\n%s"
                      % out.decode("utf-8", "replace")[-2000:])
        self.assertEqual(proc.returncode, 2, out.decode("utf-8", "replace")[-2000:])
        self.assertIn("loopback", out.decode("utf-8", "replace"))
        self.assertFalse(os.path.exists(os.path.join(data_dir, "admin.key")))


if __name__ == "__main__":
    unittest.main()
