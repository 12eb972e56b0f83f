"""Roles and narrowing (docs/security.md, permission table): a viewer cannot push, an
inference-only key cannot read metadata but can infer, /metrics needs the `metrics`
permission (admin only), a key narrowed to some models cannot use the others, and a tenant
admin cannot reach beyond its tenant."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from security import support  # noqa: E402
from security.support import create_key, create_tenant  # noqa: E402

from common import E2ETestCase, case  # noqa: E402
from server import Server  # noqa: E402

SERVER = None
KEYS = {}


def setUpModule():
    global SERVER
    SERVER = Server(name="sec-roles").start()
    support.push(SERVER, "m", "two_io")
    support.push(SERVER, "m2", "two_io")
    create_tenant(SERVER, "other")
    for role in ("admin", "editor", "viewer", "inference"):
        KEYS[role] = create_key(SERVER, role, tenant="default", name=role)["key"]
    KEYS["inference-m"] = create_key(SERVER, "inference", models=["m"])["key"]


def tearDownModule():
    if SERVER is not None:
        SERVER.stop()


class RolesTest(E2ETestCase):
    server = property(lambda self: SERVER)

    def versions(self, name):
        status, body = SERVER.get("/api/v1/models/%s/versions" % name)
        self.assertEqual(status, 200)
        return [v["version"] for v in body["versions"]]

    def test_viewer_cannot_push_or_change_models(self):
        key = KEYS["viewer"]
        self.assertError(support.push_raw(SERVER, "m", "two_io", api_key=key), 403)
        self.assertError(support.push_raw(SERVER, "new-model", "two_io", api_key=key), 403)
        self.assertError(SERVER.post("/api/v1/models", {"name": "made-by-viewer"}, api_key=key),
                         403)
        self.assertError(SERVER.delete("/api/v1/models/m", api_key=key), 403)
        self.assertError(SERVER.delete("/api/v1/models/m/versions/1", api_key=key), 403)
        self.assertError(SERVER.put("/api/v1/models/m/aliases/production", {"version": 1},
                                    api_key=key), 403)
        self.assertError(SERVER.patch("/api/v1/models/m", {"description": "x"}, api_key=key),
                         403)
        self.assertError(SERVER.patch("/api/v1/models/m", {"visibility": "public"}, api_key=key),
                         403)
        self.assertError(SERVER.post("/api/v1/keys", {"role": "viewer"}, api_key=key), 403)
        # Nothing changed.
        self.assertEqual(self.versions("m"), [1])
        self.assertStatus(SERVER.get("/api/v1/models/new-model"), 404)
        self.assertStatus(SERVER.get("/api/v1/models/made-by-viewer"), 404)
        self.assertEqual(SERVER.get("/api/v1/models/m/aliases").body["aliases"], [])
        # What a viewer may do: read metadata and infer.
        self.assertStatus(SERVER.get("/api/v1/models/m", api_key=key), 200)
        self.assertStatus(SERVER.get("/v2/models/m", api_key=key), 200)
        c = case("two_io", "batch1")
        self.assertOutputs(support.infer(SERVER, "m", c, key), c)

    def test_editor_may_push(self):
        # The positive control of the viewer's 403.
        resp = support.push_raw(SERVER, "by-editor", "two_io", api_key=KEYS["editor"])
        self.assertStatus(resp, 201)
        self.assertError(SERVER.post("/api/v1/keys", {"role": "viewer"}, api_key=KEYS["editor"]),
                         403)

    def test_inference_key_cannot_read_metadata_but_can_infer(self):
        key = KEYS["inference"]
        for path in ("/api/v1/models", "/api/v1/models/m", "/api/v1/models/m/versions",
                     "/api/v1/models/m/versions/1", "/api/v1/models/m/versions/1/artifact",
                     "/api/v1/models/m/aliases", "/v2/models/m", "/v2/models/m/versions/1",
                     "/v2/models/m/ready", "/v2/models/m/stats"):
            with self.subTest(path=path):
                self.assertError(SERVER.get(path, api_key=key), 403)
        self.assertError(SERVER.request("POST", "/v2/repository/index", api_key=key), 403)
        self.assertError(support.push_raw(SERVER, "m", "two_io", api_key=key), 403)
        c = case("two_io", "batch3")
        self.assertOutputs(support.infer(SERVER, "m", c, key), c)
        self.assertOutputs(support.infer(SERVER, "m/versions/1", c, key), c)

    def test_metrics_needs_the_metrics_permission(self):
        for role in ("viewer", "inference", "editor"):
            with self.subTest(role=role):
                self.assertError(SERVER.get("/metrics", api_key=KEYS[role]), 403,
                                 mentions=("metrics",))
        for who, key in (("tenant admin", KEYS["admin"]), ("bootstrap admin", SERVER.api_key)):
            with self.subTest(who=who):
                resp = SERVER.get("/metrics", api_key=key)
                self.assertStatus(resp, 200)
                self.assertIn(b"# TYPE", resp.raw)

    def test_key_narrowed_to_a_model_cannot_use_another(self):
        key = KEYS["inference-m"]
        c = case("two_io", "batch1")
        self.assertOutputs(support.infer(SERVER, "m", c, key), c)
        self.assertError(support.infer(SERVER, "m2", c, key), 403)
        self.assertOutputs(support.infer(SERVER, "m2", c, KEYS["inference"]), c)

    def test_tenant_admin_stays_in_its_tenant(self):
        key = KEYS["admin"]
        self.assertError(SERVER.post("/api/v1/tenants", {"name": "made-by-tenant-admin"},
                                     api_key=key), 403)
        self.assertError(SERVER.post("/api/v1/keys", {"tenant": "other", "role": "admin"},
                                     api_key=key), 403)
        self.assertError(SERVER.get("/api/v1/tenants", api_key=key), 403)
        tenants = [t["name"] for t in SERVER.get("/api/v1/tenants").body["tenants"]]
        self.assertNotIn("made-by-tenant-admin", tenants)
        # Its own tenant it manages (the positive control).
        made = create_key(SERVER, "viewer", api_key=key)
        self.assertEqual(made["tenant"], "default")
        self.assertFalse(made["server_admin"])


if __name__ == "__main__":
    unittest.main()
