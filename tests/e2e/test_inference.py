"""Inference against PyTorch's own answers, KServe v2 metadata and health, the v1 style.

One server for the whole module (nothing here changes state after set-up)."""

import unittest

import common
from common import E2ETestCase, case, model, model_path
from server import Server

SERVER = None
CLI_PUSH = {}  # what happened when pushing "mlp" with the CLI

# name on the server -> manifest model
PUSHED = {
    "mlp": "mlp",
    "cnn": "cnn",
    "two-io": "two_io",
    "control-flow": "control_flow",
    "embed-int64": "embed_int64",
}

VALID_DATATYPES = {"BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32",
                   "INT64", "FP16", "BF16", "FP32", "FP64", "BYTES"}


def setUpModule():
    global SERVER
    SERVER = Server(name="inference").start()
    try:
        # The MLP goes through the CLI; if the CLI fails, push it over HTTP so the other
        # tests still run, and let test_cli_push report the failure.
        proc = SERVER.cli("models", "push", "mlp", model_path("mlp"))
        CLI_PUSH.update(returncode=proc.returncode, stdout=proc.stdout, stderr=proc.stderr)
        if proc.returncode != 0:
            SERVER.push("mlp", model_path("mlp"))
        for name, ref in PUSHED.items():
            if name == "mlp":
                continue
            resp = SERVER.push(name, model_path(ref))
            if resp[0] != 201:
                raise AssertionError("push %s failed: %s" % (name, resp.describe()))
    except BaseException:
        SERVER.stop()
        raise
    InferenceTest.server = SERVER
    MetadataTest.server = SERVER


def tearDownModule():
    if SERVER is not None:
        SERVER.stop()


class InferenceTest(E2ETestCase):
    server = None

    def infer(self, name, body, version=None, **kw):
        path = "/v2/models/%s%s/infer" % (name, "" if version is None else "/versions/%s" % version)
        return self.server.post(path, body, **kw)

    def check_all_cases(self, name):
        ref = PUSHED[name]
        for i, c in enumerate(model(ref)["cases"]):
            with self.subTest(case=c["name"]):
                rid = "req-%s-%d" % (name, i)
                resp = self.infer(name, common.infer_body(c, request_id=rid))
                self.assertInferResponse(resp, c, name, 1, request_id=rid)

    def test_cli_push(self):
        self.assertEqual(CLI_PUSH.get("returncode"), 0, "aiaas models push failed: %r" % CLI_PUSH)
        self.assertEqual(CLI_PUSH["stdout"].strip(), "mlp version 1", CLI_PUSH)
        status, body = self.server.get("/api/v1/models/mlp/versions/1")
        self.assertEqual(status, 200, body)
        self.assertEqual(body.get("format"), "torchscript")
        self.assertEqual(body.get("size_bytes"), len(common.read_bytes("mlp")))

    def test_mlp(self):
        self.check_all_cases("mlp")

    def test_cnn(self):
        self.check_all_cases("cnn")

    def test_two_inputs_tuple_outputs(self):
        self.check_all_cases("two-io")

    def test_control_flow_both_branches(self):
        # positive_branch takes `if`, negative_branch the `else`, *_large loops many times.
        self.check_all_cases("control-flow")
        pos = case("control_flow", "positive_branch")["outputs"][0]["data"]
        neg = case("control_flow", "negative_branch")["outputs"][0]["data"]
        self.assertNotEqual(pos, neg)

    def test_int64_input_and_output(self):
        self.check_all_cases("embed-int64")

    def test_inputs_in_other_order(self):
        c = case("two_io", "batch3")
        body = common.infer_body(c)
        body["inputs"].reverse()  # inputs are matched by name, not position
        self.assertOutputs(self.infer("two-io", body), c)

    def test_nested_data(self):
        for ref, name, case_name in (("mlp", "mlp", "batch3"), ("cnn", "cnn", "batch2"),
                                     ("embed_int64", "embed-int64", "batch2")):
            with self.subTest(model=name):
                c = case(ref, case_name)
                self.assertOutputs(self.infer(name, common.infer_body(c, nested=True)), c)

    def test_requested_output_subset(self):
        c = case("two_io", "batch3")
        body = common.infer_body(c, request_id="subset")
        body["outputs"] = [{"name": "output_1"}]
        resp = self.infer("two-io", body)
        self.assertInferResponse(resp, c, "two-io", 1, request_id="subset", names=["output_1"])

    def test_without_id(self):
        c = case("mlp", "batch1")
        resp = self.infer("mlp", common.infer_body(c))
        self.assertOutputs(resp, c)
        self.assertIn(resp[1].get("id", ""), ("", None), "no id was sent, none should be echoed")

    def test_parameters_accepted(self):
        c = case("mlp", "batch1")
        body = common.infer_body(c, request_id="p")
        body["parameters"] = {}
        self.assertOutputs(self.infer("mlp", body), c)

    def test_version_by_number(self):
        c = case("cnn", "batch1")
        resp = self.infer("cnn", common.infer_body(c, request_id="v1"), version=1)
        self.assertInferResponse(resp, c, "cnn", 1, request_id="v1")

    def test_v1_predict(self):
        c = case("mlp", "batch3")
        x = c["inputs"][0]
        rows = common.nest(x["data"], x["shape"])
        status, body = self.server.post("/v1/models/mlp:predict", {"instances": rows})
        self.assertEqual(status, 200, body)
        self.assertIsInstance(body, dict)
        preds = body.get("predictions")
        self.assertIsInstance(preds, list, body)
        self.assertEqual(len(preds), 3)
        want = c["outputs"][0]
        problems = common.compare_tensor(
            {"name": "output_0", "datatype": "FP32", "shape": [len(preds), len(preds[0])],
             "data": preds}, want)
        self.assertEqual(problems, [])

    def test_v1_predict_cnn_instances(self):
        c = case("cnn", "batch2")
        x = c["inputs"][0]
        instances = common.nest(x["data"], x["shape"])  # 2 instances of [1, 28, 28]
        status, body = self.server.post("/v1/models/cnn:predict", {"instances": instances})
        self.assertEqual(status, 200, body)
        preds = body.get("predictions")
        self.assertEqual(len(preds), 2, body)
        problems = common.compare_tensor(
            {"name": "output_0", "datatype": "FP32", "shape": [2, 10], "data": preds},
            c["outputs"][0])
        self.assertEqual(problems, [])


class MetadataTest(E2ETestCase):
    server = None

    def check_tensor_list(self, items, names):
        self.assertIsInstance(items, list)
        self.assertEqual([i.get("name") for i in items], names, items)
        for i in items:
            if "datatype" in i:
                self.assertIn(i["datatype"], VALID_DATATYPES, i)
            if "shape" in i:
                self.assertIsInstance(i["shape"], list, i)
                self.assertTrue(all(isinstance(d, int) for d in i["shape"]), i)

    def test_model_metadata(self):
        for name, ref in PUSHED.items():
            with self.subTest(model=name):
                status, body = self.server.get("/v2/models/%s" % name)
                self.assertEqual(status, 200, body)
                self.assertEqual(body.get("name"), name)
                self.assertEqual(body.get("versions"), ["1"])
                self.assertEqual(body.get("platform"), "pytorch_torchscript")
                self.check_tensor_list(body.get("inputs"), [i["name"] for i in model(ref)["inputs"]])
                self.check_tensor_list(body.get("outputs"),
                                       [o["name"] for o in model(ref)["outputs"]])

    def test_version_metadata(self):
        status, body = self.server.get("/v2/models/two-io/versions/1")
        self.assertEqual(status, 200, body)
        self.assertEqual(body.get("name"), "two-io")
        self.assertEqual(body.get("platform"), "pytorch_torchscript")
        self.check_tensor_list(body.get("inputs"), ["x", "y"])
        self.check_tensor_list(body.get("outputs"), ["output_0", "output_1"])

    def test_model_ready(self):
        for path in ("/v2/models/mlp/ready", "/v2/models/mlp/versions/1/ready",
                     "/v2/models/embed-int64/ready"):
            with self.subTest(path=path):
                status, body = self.server.get(path)
                self.assertEqual(status, 200, body)
                self.assertIs(body.get("ready"), True, body)
                self.assertEqual(body.get("name"), path.split("/")[3])

    def test_health_live(self):
        resp = self.server.get("/v2/health/live")
        self.assertEqual(resp[0], 200, resp.describe())
        self.assertEqual(resp[1], {"live": True})
        self.assertIn("application/json", resp.content_type)

    def test_health_ready(self):
        resp = self.server.get("/v2/health/ready")
        self.assertEqual(resp[0], 200, resp.describe())
        self.assertEqual(resp[1], {"ready": True})

    def test_server_metadata(self):
        status, body = self.server.get("/v2")
        self.assertEqual(status, 200, body)
        self.assertEqual(body.get("name"), "aiaas")
        self.assertEqual(body.get("version"), "0.1.0")
        self.assertIsInstance(body.get("extensions"), list)
        for extension in ("statistics", "model_repository", "binary_tensor_data"):
            self.assertIn(extension, body["extensions"])

    def test_version_shows_inferred_signature(self):
        status, body = self.server.get("/api/v1/models/two-io/versions/1")
        self.assertEqual(status, 200, body)
        sig = body.get("signature")
        self.assertIsInstance(sig, dict, body)
        self.assertEqual([i.get("name") for i in sig.get("inputs", [])], ["x", "y"], sig)
        self.assertEqual([o.get("name") for o in sig.get("outputs", [])],
                         ["output_0", "output_1"], sig)


if __name__ == "__main__":
    unittest.main()
