"""Hostile ONNX files pushed over HTTP: each is refused with a 400 whose JSON error names
the problem, the server keeps serving, and nothing of the refused push is left behind (no
model, no stored artifact). A 10^6-node graph is refused without the server's memory
growing by more than the file's size.

The files are written here with the `onnx` package of /usr/bin/python3 (ONNX 1.12) or, for
the big graph, by encoding the protobuf wire format directly. The truncated file is covered
by test_onnx.py. The loader's unit tests check the same files in-process; this proves the
path from the HTTP upload to the loader and back.
"""

import os
import time

import common
from common import E2ETestCase
from server import Server, post_multipart

import test_onnx  # the PyTorch-exported MLP and its reference outputs

SERVER = None
MIB = 1 << 20
MILLION = 1000000
# VmRSS may grow by the file's size (the upload is held while loading) plus this much.
RSS_MARGIN_BYTES = 16 * MIB
PUSHES_OF_THE_BIG_FILE = 4
OPSET = 13


# ---------------------------------------------------------------- hostile files


def onnx_helpers():
    import onnx
    from onnx import TensorProto, helper
    return onnx, TensorProto, helper


def float_input(name, dims):
    _, TensorProto, helper = onnx_helpers()
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, dims)


def model_bytes(nodes, inputs, outputs, initializers=()):
    """A ModelProto serialized without running the ONNX checker (the files are invalid)."""
    _, _, helper = onnx_helpers()
    graph = helper.make_graph(nodes, "hostile", inputs, outputs, list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    return model.SerializeToString()


def cyclic_graph():
    """a = Add(x, b); b = Relu(a): each node waits for the other."""
    _, _, helper = onnx_helpers()
    return model_bytes([helper.make_node("Add", ["x", "b"], ["a"], name="add"),
                        helper.make_node("Relu", ["a"], ["b"], name="relu")],
                       [float_input("x", [4])], [float_input("b", [4])])


def undefined_input_graph():
    _, _, helper = onnx_helpers()
    return model_bytes([helper.make_node("Add", ["x", "ghost"], ["y"], name="adder")],
                       [float_input("x", [4])], [float_input("y", [4])])


def initializer_size_mismatch():
    """A 4x4 FLOAT initializer (64 bytes) carrying 10 bytes of raw_data."""
    onnx, TensorProto, helper = onnx_helpers()
    w = onnx.TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[4, 4], raw_data=b"\1" * 10)
    return model_bytes([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")],
                       [float_input("x", [1, 4])], [float_input("y", [1, 4])], [w])


def overflowing_dims():
    """An initializer of 2^31 x 2^31 x 2^31 floats: the element count overflows int64."""
    onnx, TensorProto, helper = onnx_helpers()
    big = 1 << 31
    w = onnx.TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[big, big, big],
                         raw_data=b"\0" * 16)
    return model_bytes([helper.make_node("Add", ["x", "w"], ["y"], name="add")],
                       [float_input("x", [4])], [float_input("y", [4])], [w])


def external_data(location):
    """An initializer whose bytes are said to live in the file at `location`."""
    onnx, TensorProto, helper = onnx_helpers()
    w = onnx.TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[64],
                         data_location=TensorProto.EXTERNAL)
    for key, value in (("location", location), ("offset", "0"), ("length", "256")):
        entry = w.external_data.add()
        entry.key, entry.value = key, value
    return model_bytes([helper.make_node("Add", ["x", "w"], ["y"], name="add")],
                       [float_input("x", [64])], [float_input("y", [64])], [w])


def varint(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def length_delimited(field, payload):
    return varint(field << 3 | 2) + varint(len(payload)) + payload


def million_node_graph(count=MILLION):
    """A chain v0 -> Relu -> v1 -> ... -> v<count>, encoded on the wire directly (building
    10^6 NodeProtos with onnx.helper takes far longer). Names have a fixed width, so every
    node is one byte pattern: GraphProto.node is field 1, NodeProto input 1, output 2,
    op_type 4; ModelProto.graph is field 7."""
    _, _, helper = onnx_helpers()
    width = len(str(count))
    name_fmt = b"v%%0%dd" % width
    name_len = 1 + width
    body_len = 2 * (2 + name_len) + 2 + len(b"Relu")
    assert body_len < 128
    node_fmt = (bytes([0x0A, body_len, 0x0A, name_len]) + name_fmt
                + bytes([0x12, name_len]) + name_fmt + length_delimited(4, b"Relu"))
    nodes = b"".join(node_fmt % (i, i + 1) for i in range(count))
    skeleton = helper.make_graph([], "million", [float_input("v%0*d" % (width, 0), [8])],
                                 [float_input("v%0*d" % (width, count), [8])])
    model = helper.make_model(helper.make_graph([], "", [], []),
                              opset_imports=[helper.make_opsetid("", OPSET)])
    model.ClearField("graph")
    return model.SerializeToString() + length_delimited(7, nodes + skeleton.SerializeToString())


# ---------------------------------------------------------------- server side


def vm_rss_bytes(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS for pid %d" % pid)


def stored_bytes(data_dir):
    """(file count, total bytes) of the artifact store under the data dir."""
    count = total = 0
    for root, _, files in os.walk(os.path.join(data_dir, "blobs")):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(root, name))
                count += 1
            except FileNotFoundError:
                pass
    return count, total


def push_bytes(server, name, data, timeout=120):
    fields = [("file", data, name + ".onnx"), ("format", "onnx")]
    return post_multipart("%s/api/v1/models/%s/versions" % (server.url, name), fields,
                          timeout=timeout)


def grows_with_request():
    """A valid model whose intermediate tensor is as large as the request asks: `n` (INT64
    [2]) -> ConstantOfShape(1.0) -> ReduceSum -> `total` [1, 1] = n[0] * n[1]."""
    onnx, TensorProto, helper = onnx_helpers()
    one = helper.make_tensor("one", TensorProto.FLOAT, [1], [1.0])
    nodes = [helper.make_node("ConstantOfShape", ["n"], ["ones"], name="fill", value=one),
             helper.make_node("ReduceSum", ["ones"], ["total"], name="sum", keepdims=1)]
    model = helper.make_model(
        helper.make_graph(nodes, "grows", [helper.make_tensor_value_info("n", TensorProto.INT64,
                                                                         [2])],
                          [float_input("total", [1, 1])]),
        opset_imports=[helper.make_opsetid("", OPSET)])
    onnx.checker.check_model(model, full_check=True)
    return model.SerializeToString()


def setUpModule():
    global SERVER
    test_onnx.onnx_dir()  # PyTorch export before the server starts
    SERVER = Server(name="onnx-hostile").start()
    OnnxHostileTest.server = SERVER
    resp = SERVER.push("onnx-good", test_onnx.onnx_path("mlp.onnx"), fmt="onnx")
    if resp[0] != 201:
        raise RuntimeError("valid ONNX push failed: %s" % resp.describe())


def tearDownModule():
    if SERVER is not None:
        SERVER.stop()


class OnnxHostileTest(E2ETestCase):
    server = None

    def assertServingAndClean(self, name, stored_before):
        """The server answers health and inference, `name` exists nowhere, and the artifact
        store holds exactly what it held before the refused push."""
        self.assertEqual(self.server.proc.poll(), None, "the server exited\n%s"
                         % self.server.log_tail())
        self.assertStatus(self.server.get("/v2/health/live"), 200)
        c = test_onnx.onnx_case("batch3")
        resp = self.server.post("/v2/models/onnx-good/infer", common.infer_body(c))
        self.assertStatus(resp, 200, "(valid model after the hostile push)")
        self.assertEqual(common.compare_outputs(resp[1], c, tol=test_onnx.TOLERANCE), [])
        status, _ = self.server.get("/api/v1/models/%s" % name)
        self.assertEqual(status, 404, "a refused push must not create the model %s" % name)
        status, body = self.server.get("/api/v1/models")
        self.assertEqual(status, 200, body)
        self.assertNotIn(name, [m["name"] for m in body["models"]])
        status, _ = self.server.get("/v2/models/%s" % name)
        self.assertEqual(status, 404, "a refused push must not be served")
        self.assertEqual(stored_bytes(self.server.data_dir), stored_before,
                         "the refused artifact was left in the store")

    def check_refused(self, name, data, mentions):
        stored_before = stored_bytes(self.server.data_dir)
        resp = push_bytes(self.server, name, data)
        err = self.assertError(resp, 400, mentions=["onnx"] + list(mentions),
                               msg="(%s, %d bytes)" % (name, len(data)))
        self.assertNotIn("Traceback", err)
        self.assertServingAndClean(name, stored_before)
        return err

    def test_graph_with_a_cycle(self):
        self.check_refused("hostile-cycle", cyclic_graph(), ["cycle"])

    def test_node_reading_an_undefined_value(self):
        self.check_refused("hostile-undefined", undefined_input_graph(), ["'ghost'", "'adder'"])

    def test_initializer_whose_raw_bytes_do_not_match_its_shape(self):
        self.check_refused("hostile-raw-size", initializer_size_mismatch(),
                           ["'w'", ("64", "16 elements", "bytes")])

    def test_dims_whose_product_overflows_int64(self):
        self.check_refused("hostile-overflow", overflowing_dims(), ["overflow"])

    def test_external_data_outside_the_model(self):
        for location in ("../../../../../../etc/passwd", "../weights.bin", "sub/../../w.bin"):
            with self.subTest(location=location):
                name = "hostile-external-%d" % len(location)
                err = self.check_refused(name, external_data(location), ["external"])
                self.assertNotIn("root:", err, "the error must not carry the file's contents")

    def test_million_node_graph_is_refused_without_memory_growth(self):
        """Pushed several times: the allocator must not keep the buffer of each refused
        file (a heap buffer stays resident from the second big file on, once per thread)."""
        t0 = time.monotonic()
        data = million_node_graph()
        generate_s = time.monotonic() - t0
        self.assertLess(generate_s, 10, "generating the file took %.1f s" % generate_s)
        self.assertGreater(len(data), 10 * MIB)
        rss_before = vm_rss_bytes(self.server.pid)
        stored_before = stored_bytes(self.server.data_dir)
        for attempt in range(PUSHES_OF_THE_BIG_FILE):
            t0 = time.monotonic()
            resp = push_bytes(self.server, "hostile-million", data)
            answer_s = time.monotonic() - t0
            self.assertError(resp, 400, mentions=["onnx", "200000 nodes"],
                             msg="(push %d)" % attempt)
            self.assertLess(answer_s, 30, "refusing %d MiB took %.1f s"
                            % (len(data) // MIB, answer_s))
            rss_after = vm_rss_bytes(self.server.pid)
            self.assertLessEqual(rss_after - rss_before, len(data) + RSS_MARGIN_BYTES,
                                 "VmRSS grew from %.1f to %.1f MiB after %d pushes of a %.1f MiB "
                                 "file" % (rss_before / MIB, rss_after / MIB, attempt + 1,
                                           len(data) / MIB))
        self.assertServingAndClean("hostile-million", stored_before)

    def test_million_node_file_is_well_formed_protobuf(self):
        """The big file is refused for its size, not for broken encoding: a small chain
        built the same way parses with ONNX and has the intended nodes."""
        onnx, _, _ = onnx_helpers()
        model = onnx.ModelProto()
        model.ParseFromString(million_node_graph(5))
        self.assertEqual([n.op_type for n in model.graph.node], ["Relu"] * 5)
        self.assertEqual([list(n.input) + list(n.output) for n in model.graph.node],
                         [["v%d" % i, "v%d" % (i + 1)] for i in range(5)])
        self.assertEqual(model.graph.output[0].name, "v5")
        onnx.checker.check_model(model)


class RequestMemoryTest(E2ETestCase):
    """A request whose tensors would outgrow --max-request-memory-bytes (default 4 GiB) is a
    413 before the memory is touched; the same model keeps serving reasonable requests."""
    server = property(lambda self: SERVER)

    def infer(self, rows, cols):
        return SERVER.post("/v2/models/grows/infer",
                           {"inputs": [{"name": "n", "shape": [2], "datatype": "INT64",
                                        "data": [rows, cols]}]})

    def test_a_request_needing_more_than_the_limit_is_413(self):
        self.assertStatus(push_bytes(SERVER, "grows", grows_with_request()), 201)
        ok = self.infer(1000, 1000)
        self.assertStatus(ok, 200)
        self.assertEqual(ok[1]["outputs"][0]["data"], [1000000.0])
        rss_before = vm_rss_bytes(SERVER.pid)
        t0 = time.monotonic()
        huge = self.infer(40000, 40000)  # 6.4 GB of float32
        elapsed = time.monotonic() - t0
        self.assertError(huge, 413, mentions=["memory limit", "--max-request-memory-bytes"])
        self.assertLess(elapsed, 10, "refusing took %.1f s" % elapsed)
        self.assertLess(vm_rss_bytes(SERVER.pid) - rss_before, 64 * MIB)
        again = self.infer(2000, 500)
        self.assertStatus(again, 200)
        self.assertEqual(again[1]["outputs"][0]["data"], [1000000.0])
