"""Management API (/api/v1): models, versions, artifacts, aliases.

One server for the module; every test uses its own model names."""

import hashlib
import unittest

import common
from common import RFC3339, E2ETestCase, case, model_path
from server import Server

SERVER = None


def setUpModule():
    global SERVER
    SERVER = Server(name="management").start()
    ManagementTest.server = SERVER
    AliasTest.server = SERVER


def tearDownModule():
    if SERVER is not None:
        SERVER.stop()


class ManagementTest(E2ETestCase):
    server = None

    def push_ok(self, name, ref, **kw):
        resp = self.server.push(name, model_path(ref), **kw)
        self.assertStatus(resp, 201, "pushing %s as %s" % (ref, name))
        return resp[1]

    def check_model_object(self, m, name):
        self.assertIsInstance(m, dict)
        for key in ("name", "description", "labels", "created_at", "updated_at",
                    "latest_version", "aliases"):
            self.assertIn(key, m, m)
        self.assertEqual(m["name"], name)
        self.assertRegex(m["created_at"], RFC3339)
        self.assertRegex(m["updated_at"], RFC3339)
        self.assertIsInstance(m["labels"], dict)
        self.assertIsInstance(m["aliases"], dict)

    def check_version_object(self, v, name, number, ref):
        data = common.read_bytes(ref)
        self.assertEqual(v.get("model"), name, v)
        self.assertEqual(v.get("version"), number, v)
        self.assertEqual(v.get("format"), "torchscript", v)
        self.assertEqual(v.get("digest"), "sha256:" + hashlib.sha256(data).hexdigest(), v)
        self.assertEqual(v.get("size_bytes"), len(data), v)
        self.assertIn("description", v)
        self.assertIsInstance(v.get("signature"), dict, v)
        self.assertRegex(v.get("created_at", ""), RFC3339)

    # ---- models

    def test_create_show_and_conflict(self):
        resp = self.server.post("/api/v1/models", {"name": "m-create", "description": "hello",
                                                   "labels": {"team": "vision"}})
        self.assertStatus(resp, 201)
        m = resp[1]
        self.check_model_object(m, "m-create")
        self.assertEqual(m["description"], "hello")
        self.assertEqual(m["labels"], {"team": "vision"})
        self.assertIsNone(m["latest_version"])
        self.assertEqual(m["aliases"], {})

        status, shown = self.server.get("/api/v1/models/m-create")
        self.assertEqual(status, 200, shown)
        self.assertEqual(shown, m)

        self.assertError(self.server.post("/api/v1/models", {"name": "m-create"}), 409,
                         mentions=["m-create"])

    def test_list_models_and_pagination(self):
        names = ["m-list-%d" % i for i in range(3)]
        for n in names:
            self.assertStatus(self.server.post("/api/v1/models", {"name": n}), 201)
        status, body = self.server.get("/api/v1/models")
        self.assertEqual(status, 200, body)
        self.assertIn("next_page_token", body)
        listed = [m["name"] for m in body["models"]]
        for n in names:
            self.assertIn(n, listed)

        # Walk pages of one: every model exactly once.
        seen, token, pages = [], "", 0
        while True:
            status, page = self.server.get("/api/v1/models?page_size=1&page_token=" + token)
            self.assertEqual(status, 200, page)
            self.assertLessEqual(len(page["models"]), 1, page)
            seen += [m["name"] for m in page["models"]]
            token = page.get("next_page_token") or ""
            pages += 1
            if not token or pages > 1000:
                break
        self.assertEqual(sorted(seen), sorted(listed), "paging must list every model once")
        self.assertEqual(len(seen), len(set(seen)))

    def test_patch_model(self):
        self.assertStatus(self.server.post("/api/v1/models", {"name": "m-patch"}), 201)
        status, before = self.server.get("/api/v1/models/m-patch")
        resp = self.server.patch("/api/v1/models/m-patch",
                                 {"description": "new text", "labels": {"a": "b"}})
        self.assertStatus(resp, 200)
        self.check_model_object(resp[1], "m-patch")
        self.assertEqual(resp[1]["description"], "new text")
        self.assertEqual(resp[1]["labels"], {"a": "b"})
        self.assertGreaterEqual(resp[1]["updated_at"], before["updated_at"])
        self.assertEqual(resp[1]["created_at"], before["created_at"])
        status, after = self.server.get("/api/v1/models/m-patch")
        self.assertEqual(after["description"], "new text")
        self.assertEqual(after["labels"], {"a": "b"})
        # Only the fields given change.
        resp = self.server.patch("/api/v1/models/m-patch", {"description": "again"})
        self.assertStatus(resp, 200)
        self.assertEqual(resp[1]["labels"], {"a": "b"})
        self.assertError(self.server.patch("/api/v1/models/no-such-model", {"description": "x"}),
                         404)

    def test_delete_model(self):
        self.push_ok("m-delete", "mlp")
        resp = self.server.delete("/api/v1/models/m-delete")
        self.assertStatus(resp, 204)
        self.assertError(self.server.get("/api/v1/models/m-delete"), 404, mentions=["m-delete"])
        self.assertError(self.server.get("/api/v1/models/m-delete/versions"), 404)
        self.assertError(self.server.get("/v2/models/m-delete"), 404)
        self.assertError(self.server.post("/v2/models/m-delete/infer",
                                          common.infer_body(case("mlp", "batch1"))), 404)
        status, body = self.server.get("/api/v1/models")
        self.assertNotIn("m-delete", [m["name"] for m in body["models"]])
        self.assertError(self.server.delete("/api/v1/models/m-delete"), 404)

    def test_push_creates_model(self):
        v = self.push_ok("m-push", "cnn", description="first cnn")
        self.check_version_object(v, "m-push", 1, "cnn")
        self.assertEqual(v["description"], "first cnn")
        status, m = self.server.get("/api/v1/models/m-push")
        self.assertEqual(status, 200, m)
        self.check_model_object(m, "m-push")
        self.assertEqual(m["latest_version"], 1)

    # ---- versions

    def test_versions_list_show_delete(self):
        self.check_version_object(self.push_ok("m-versions", "mlp"), "m-versions", 1, "mlp")
        self.check_version_object(self.push_ok("m-versions", "mlp_v2"), "m-versions", 2, "mlp_v2")
        status, body = self.server.get("/api/v1/models/m-versions/versions")
        self.assertEqual(status, 200, body)
        self.assertEqual([v["version"] for v in body["versions"]], [1, 2])
        self.check_version_object(body["versions"][0], "m-versions", 1, "mlp")

        status, v2 = self.server.get("/api/v1/models/m-versions/versions/2")
        self.assertEqual(status, 200, v2)
        self.check_version_object(v2, "m-versions", 2, "mlp_v2")
        status, m = self.server.get("/api/v1/models/m-versions")
        self.assertEqual(m["latest_version"], 2)
        status, meta = self.server.get("/v2/models/m-versions")
        self.assertEqual(meta.get("versions"), ["1", "2"], meta)

        self.assertStatus(self.server.delete("/api/v1/models/m-versions/versions/1"), 204)
        status, body = self.server.get("/api/v1/models/m-versions/versions")
        self.assertEqual([v["version"] for v in body["versions"]], [2])
        self.assertError(self.server.get("/api/v1/models/m-versions/versions/1"), 404)
        self.assertError(self.server.get("/api/v1/models/m-versions/versions/1/artifact"), 404)
        self.assertError(self.server.post("/v2/models/m-versions/versions/1/infer",
                                          common.infer_body(case("mlp", "batch1"))), 404)
        self.assertError(self.server.delete("/api/v1/models/m-versions/versions/1"), 404)
        c = case("mlp_v2", "batch1")
        self.assertInferResponse(self.server.post("/v2/models/m-versions/infer",
                                                  common.infer_body(c)), c, "m-versions", 2)

    def test_artifact_download(self):
        self.push_ok("m-artifact", "mlp")
        self.push_ok("m-artifact", "control_flow")
        for number, ref in ((1, "mlp"), (2, "control_flow")):
            with self.subTest(version=number):
                resp = self.server.get("/api/v1/models/m-artifact/versions/%d/artifact" % number)
                self.assertStatus(resp, 200)
                self.assertIn("application/octet-stream", resp.content_type)
                self.assertEqual(resp.raw, common.read_bytes(ref),
                                 "artifact must be the pushed file byte for byte")


class AliasTest(E2ETestCase):
    server = None
    NAME = "m-alias"

    @classmethod
    def setUpClass(cls):
        for ref in ("mlp", "mlp_v2"):  # version 1 = mlp, version 2 = mlp_v2
            resp = cls.server.push(cls.NAME, model_path(ref))
            if resp[0] != 201:
                raise AssertionError("push failed: " + resp.describe())

    def infer(self, version=None, ref_case=("mlp", "batch3")):
        c = case(*ref_case)
        path = "/v2/models/%s%s/infer" % (self.NAME, "" if version is None else
                                          "/versions/%s" % version)
        return self.server.post(path, common.infer_body(c, request_id="alias"))

    def expect(self, resp, number):
        ref = {1: "mlp", 2: "mlp_v2"}[number]
        self.assertInferResponse(resp, case(ref, "batch3"), self.NAME, number, request_id="alias")

    def test_alias_lifecycle(self):
        # No alias: the newest version answers.
        self.expect(self.infer(), 2)

        resp = self.server.put("/api/v1/models/%s/aliases/production" % self.NAME, {"version": 1})
        self.assertStatus(resp, 200)
        self.assertEqual(resp[1], {"alias": "production", "version": 1})
        status, body = self.server.get("/api/v1/models/%s/aliases" % self.NAME)
        self.assertEqual(status, 200, body)
        self.assertIn({"alias": "production", "version": 1}, body["aliases"])
        status, m = self.server.get("/api/v1/models/%s" % self.NAME)
        self.assertEqual(m["aliases"].get("production"), 1, m)

        # production alias wins over newest; numbers and aliases address versions.
        self.expect(self.infer(), 1)
        self.expect(self.infer("production"), 1)
        self.expect(self.infer(1), 1)
        self.expect(self.infer(2), 2)
        status, meta = self.server.get("/v2/models/%s/versions/production" % self.NAME)
        self.assertEqual(status, 200, meta)
        status, ready = self.server.get("/v2/models/%s/versions/production/ready" % self.NAME)
        self.assertEqual(status, 200, ready)

        # Move the alias.
        self.assertStatus(self.server.put("/api/v1/models/%s/aliases/production" % self.NAME,
                                          {"version": 2}), 200)
        self.expect(self.infer(), 2)
        self.expect(self.infer("production"), 2)
        self.assertStatus(self.server.put("/api/v1/models/%s/aliases/production" % self.NAME,
                                          {"version": 1}), 200)
        self.expect(self.infer(), 1)

        # Delete it: back to newest.
        self.assertStatus(self.server.delete("/api/v1/models/%s/aliases/production" % self.NAME),
                          204)
        self.expect(self.infer(), 2)
        status, body = self.server.get("/api/v1/models/%s/aliases" % self.NAME)
        self.assertNotIn("production", [a["alias"] for a in body["aliases"]])
        self.assertError(self.infer("production"), 404, mentions=["production"])

    def test_other_alias_does_not_change_default(self):
        self.assertStatus(self.server.put("/api/v1/models/%s/aliases/canary" % self.NAME,
                                          {"version": 1}), 200)
        try:
            self.expect(self.infer("canary"), 1)
            status, body = self.server.get("/api/v1/models/%s/aliases" % self.NAME)
            if "production" not in [a["alias"] for a in body["aliases"]]:
                self.expect(self.infer(), 2)
        finally:
            self.server.delete("/api/v1/models/%s/aliases/canary" % self.NAME)

    def test_alias_errors(self):
        base = "/api/v1/models/%s/aliases" % self.NAME
        self.assertError(self.server.put(base + "/123", {"version": 1}), 400,
                         mentions=[("number", "digit")])
        self.assertError(self.server.put(base + "/Prod", {"version": 1}), 400,
                         mentions=["[a-z0-9]"])
        self.assertError(self.server.put(base + "/ghost", {"version": 99}), 404, mentions=["99"])
        self.assertError(self.server.put("/api/v1/models/no-such-model/aliases/production",
                                         {"version": 1}), 404)
        self.assertError(self.server.put(base + "/prod2", {"version": "x"}), 400)
        self.assertError(self.server.put(base + "/prod2", {}), 400)
        self.assertError(self.server.delete(base + "/never-set"), 404)
        self.assertError(self.infer("never-set"), 404)


if __name__ == "__main__":
    unittest.main()
