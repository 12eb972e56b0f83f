"""Declared signatures: pushed with the version, shown in metadata, enforced on requests."""

import json
import unittest

import common
from common import E2ETestCase, case, model_path
from server import Server

SERVER = None
SIGNATURE = {"inputs": [{"name": "x", "datatype": "FP32", "shape": [-1, 784]}],
             "outputs": [{"name": "output_0"}]}


def setUpModule():
    global SERVER
    SERVER = Server(name="signature").start()
    try:
        resp = SERVER.push("sig-mlp", model_path("mlp"), signature=SIGNATURE)
        SignatureTest.push_response = resp
    except BaseException:
        SERVER.stop()
        raise
    SignatureTest.server = SERVER


def tearDownModule():
    if SERVER is not None:
        SERVER.stop()


class SignatureTest(E2ETestCase):
    server = None
    push_response = None

    def infer(self, body):
        return self.server.post("/v2/models/sig-mlp/infer", body)

    def test_push_keeps_signature(self):
        self.assertStatus(self.push_response, 201)
        sig = self.push_response[1].get("signature")
        self.assertEqual(sig.get("inputs"), SIGNATURE["inputs"], sig)
        self.assertEqual([o.get("name") for o in sig.get("outputs", [])], ["output_0"], sig)
        status, v = self.server.get("/api/v1/models/sig-mlp/versions/1")
        self.assertEqual(status, 200, v)
        self.assertEqual(v["signature"]["inputs"], SIGNATURE["inputs"])

    def test_metadata_shows_signature(self):
        status, body = self.server.get("/v2/models/sig-mlp")
        self.assertEqual(status, 200, body)
        self.assertEqual(body.get("inputs"), SIGNATURE["inputs"], body)
        self.assertEqual([o.get("name") for o in body.get("outputs", [])], ["output_0"])

    def test_matching_request(self):
        for name in ("batch1", "batch3"):
            with self.subTest(case=name):
                c = case("mlp", name)
                self.assertInferResponse(self.infer(common.infer_body(c, request_id=name)), c,
                                         "sig-mlp", 1, request_id=name)

    def test_wrong_shape(self):
        body = {"inputs": [{"name": "x", "shape": [1, 10], "datatype": "FP32",
                            "data": [0.5] * 10}]}
        err = self.assertError(self.infer(body), 400, mentions=["784", "x"])
        self.assertRegex(err, r"-1\s*,\s*784", "should quote the declared shape [-1, 784]")

    def test_wrong_rank(self):
        body = {"inputs": [{"name": "x", "shape": [784], "datatype": "FP32", "data": [0.5] * 784}]}
        self.assertError(self.infer(body), 400, mentions=["784"])

    def test_wrong_datatype(self):
        for dtype, value in (("INT32", 1), ("FP64", 0.5), ("INT64", 2)):
            with self.subTest(datatype=dtype):
                body = {"inputs": [{"name": "x", "shape": [1, 784], "datatype": dtype,
                                    "data": [value] * 784}]}
                self.assertError(self.infer(body), 400, mentions=["FP32", dtype])

    def test_wrong_input_name(self):
        body = {"inputs": [{"name": "z", "shape": [1, 784], "datatype": "FP32",
                            "data": [0.5] * 784}]}
        self.assertError(self.infer(body), 400, mentions=["z"])

    def test_invalid_signature_rejected(self):
        for sig in ("{not json", json.dumps({"inputs": [{"name": "x", "datatype": "FP99"}]}),
                    json.dumps({"inputs": "x"})):
            with self.subTest(signature=sig):
                resp = self.server.push("sig-bad", model_path("mlp"), signature=sig)
                self.assertError(resp, 400,
                                 mentions=[("signature", "json", "FP99", "datatype", "inputs")])
                status, body = self.server.get("/api/v1/models/sig-bad/versions")
                if status == 200:
                    self.assertEqual(body["versions"], [], "a rejected push must leave no version")
                else:
                    self.assertEqual(status, 404, body)


if __name__ == "__main__":
    unittest.main()
