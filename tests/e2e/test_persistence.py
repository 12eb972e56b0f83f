"""Restarting on the same data dir keeps every model, version, alias and answer."""

import hashlib
import os
import time
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

    def test_a_restart_removes_old_blobs_nothing_refers_to(self):
        """A crash between a blob's commit and its row leaves a blob no row names; the next
        start removes it once it is older than --orphan-blob-min-age-s, and keeps the ones
        that are referenced or younger."""
        self.assertStatus(self.server.push("kept", model_path("mlp")), 201)
        blobs = os.path.join(self.server.data_dir, "blobs", "sha256")

        def plant(content, age_s):
            hexdigest = hashlib.sha256(content).hexdigest()
            folder = os.path.join(blobs, hexdigest[:2])
            os.makedirs(folder, exist_ok=True)
            path = os.path.join(folder, hexdigest[2:])
            with open(path, "wb") as f:
                f.write(content)
            when = time.time() - age_s
            os.utime(path, (when, when))
            return path

        old = plant(b"checkpoint of a job killed before its row was written", 3600)
        young = plant(b"an upload committing in a replica right now", 0)
        referenced_before = self.blob_files(blobs) - {old, young}
        self.assertEqual(len(referenced_before), 1)
        # An old blob that a row does refer to stays: make the model's own blob old.
        for path in referenced_before:
            os.utime(path, (time.time() - 7200, time.time() - 7200))

        self.server.restart()
        self.assertFalse(os.path.exists(old), "the old orphan blob is still there")
        self.assertTrue(os.path.exists(young), "a blob younger than the minimum age was removed")
        self.assertEqual(self.blob_files(blobs) - {young}, referenced_before)
        self.assertIn("removed a blob nothing refers to", self.server.log_tail())
        c = model("mlp")["cases"][0]
        self.assertInferResponse(self.server.post("/v2/models/kept/infer", common.infer_body(c)),
                                 c, "kept", 1)

        self.server.restart(["--orphan-blob-min-age-s", "0"])
        self.assertFalse(os.path.exists(young))
        self.assertEqual(self.blob_files(blobs), referenced_before)

    @staticmethod
    def blob_files(root):
        return {os.path.join(d, f) for d, _, files in os.walk(root) for f in files}


if __name__ == "__main__":
    unittest.main()
