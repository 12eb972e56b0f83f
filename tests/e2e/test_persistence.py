"""Restarting on the same data dir keeps every model, version, alias and answer."""

import unittest

import common
from common import E2ETestCase, case, model, model_path
from server import Server

# name on the server -> manifest models pushed as versions 1, 2, ...
PUSHES = {
    "p-mlp": ["mlp", "mlp_v2"],
    "p-cnn": ["cnn"],
    "p-two-io": ["two_io"],
    "p-control-flow": ["control_flow"],
    "p-embed": ["embed_int64"],
}


class PersistenceTest(E2ETestCase):
    server = None

    def setUp(self):
        self.server = Server(name="persistence")
        self.server.start()
        self.addCleanup(self.server.stop)

    def snapshot(self):
        status, body = self.server.get("/api/v1/models?page_size=1000")
        self.assertEqual(status, 200, body)
        models = {m["name"]: m for m in body["models"]}
        versions = {}
        for name in PUSHES:
            status, vb = self.server.get("/api/v1/models/%s/versions" % name)
            self.assertEqual(status, 200, vb)
            versions[name] = vb["versions"]
        return models, versions

    def check_answers(self, default_version_of):
        """Every version of every model gives PyTorch's answers, addressed by number, and the
        default route goes to default_version_of[name]."""
        for name, refs in PUSHES.items():
            for number, ref in enumerate(refs, start=1):
                for c in model(ref)["cases"]:
                    with self.subTest(model=name, version=number, case=c["name"]):
                        resp = self.server.post("/v2/models/%s/versions/%d/infer" % (name, number),
                                                common.infer_body(c, request_id="p"))
                        self.assertInferResponse(resp, c, name, number, request_id="p")
            number = default_version_of[name]
            c = model(refs[number - 1])["cases"][0]
            with self.subTest(model=name, default_route=True):
                resp = self.server.post("/v2/models/%s/infer" % name, common.infer_body(c))
                self.assertInferResponse(resp, c, name, number)

    def test_restart_keeps_everything(self):
        for name, refs in PUSHES.items():
            for ref in refs:
                self.assertStatus(self.server.push(name, model_path(ref)), 201)
        self.assertStatus(self.server.put("/api/v1/models/p-mlp/aliases/production",
                                          {"version": 1}), 200)
        self.assertStatus(self.server.patch("/api/v1/models/p-cnn",
                                            {"description": "kept", "labels": {"k": "v"}}), 200)
        self.assertStatus(self.server.post("/api/v1/models", {"name": "p-empty"}), 201)
        defaults = {name: len(refs) for name, refs in PUSHES.items()}
        defaults["p-mlp"] = 1  # production alias
        self.check_answers(defaults)
        models_before, versions_before = self.snapshot()

        self.server.restart()

        models_after, versions_after = self.snapshot()
        self.assertEqual(sorted(models_after), sorted(models_before))
        for name in models_before:
            self.assertEqual(models_after[name], models_before[name], "model %s changed" % name)
        self.assertEqual(versions_after, versions_before)
        self.assertEqual(models_after["p-cnn"]["description"], "kept")
        self.assertEqual(models_after["p-mlp"]["aliases"], {"production": 1})
        self.assertIsNone(models_after["p-empty"]["latest_version"])
        self.check_answers(defaults)
        for name, refs in PUSHES.items():
            for number, ref in enumerate(refs, start=1):
                resp = self.server.get("/api/v1/models/%s/versions/%d/artifact" % (name, number))
                self.assertStatus(resp, 200)
                self.assertEqual(resp.raw, common.read_bytes(ref))
        status, meta = self.server.get("/v2/models/p-mlp")
        self.assertEqual(meta.get("versions"), ["1", "2"], meta)

        # Numbering continues after a restart.
        resp = self.server.push("p-mlp", model_path("mlp"))
        self.assertStatus(resp, 201)
        self.assertEqual(resp[1]["version"], 3)

    def test_deletes_survive_restart(self):
        self.assertStatus(self.server.push("p-del", model_path("mlp")), 201)
        self.assertStatus(self.server.push("p-del", model_path("mlp_v2")), 201)
        self.assertStatus(self.server.push("p-gone", model_path("two_io")), 201)
        self.assertStatus(self.server.delete("/api/v1/models/p-del/versions/2"), 204)
        self.assertStatus(self.server.delete("/api/v1/models/p-gone"), 204)
        self.server.restart()
        status, body = self.server.get("/api/v1/models/p-del/versions")
        self.assertEqual([v["version"] for v in body["versions"]], [1])
        self.assertError(self.server.get("/api/v1/models/p-gone"), 404)
        c = case("mlp", "batch1")
        self.assertInferResponse(self.server.post("/v2/models/p-del/infer", common.infer_body(c)),
                                 c, "p-del", 1)


if __name__ == "__main__":
    unittest.main()
