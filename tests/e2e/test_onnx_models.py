"""Real sequence and attention models as ONNX: an LSTM tagger, a transformer encoder and a
fully convolutional network, exported by PyTorch with symbolic batch, sequence and spatial
axes, pushed as format onnx and served; every output equals PyTorch's within 1e-4 at
several batch sizes and sequence lengths through one loaded model, and the metadata reports
-1 for every symbolic dim.

The ONNX files and PyTorch's reference outputs are exported once per models dir by running
this file with `--export DIR` under /usr/bin/python3 (Debian's PyTorch).
"""

import json
import os
import subprocess
import sys
import threading

import common
from common import E2ETestCase
from server import Server, post_multipart

SERVER = None
TOLERANCE = 1e-4
ARTIFACTS = ("lstm.onnx", "bilstm.onnx", "encoder.onnx", "masked_encoder.onnx", "fcn.onnx",
             "manifest.json")
MANIFEST_FORMAT = 2  # bump when export() changes, so a kept models dir is exported again


# ---------------------------------------------------------------- export (run by PyTorch)


def tensor_json(name, t):
    datatype = {"torch.float32": "FP32", "torch.int64": "INT64", "torch.bool": "BOOL"}[str(t.dtype)]
    return {"name": name, "datatype": datatype, "shape": list(t.shape),
            "data": t.reshape(-1).tolist()}


def make_input(spec):
    """Random input for a shape, or for ("pad", batch, seq) a key padding mask: each row
    pads (True) a random tail and keeps at least its first position."""
    import torch

    if spec[0] != "pad":
        return torch.randn(*spec)
    _, batch, seq = spec
    lengths = torch.randint(1, seq + 1, (batch,))
    return torch.arange(seq).unsqueeze(0) >= lengths.unsqueeze(1)


def build_models():
    """The PyTorch modules, in eval mode: file name -> (module, opset, input names, output
    names, dynamic axes, example input shapes, input shapes of each reference case)."""
    import torch
    from torch import nn

    class Tagger(nn.Module):
        """LSTM over the sequence, a Linear head on every step (batch-first)."""

        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(input_size=6, hidden_size=12, num_layers=2, batch_first=True)
            self.head = nn.Linear(12, 5)

        def forward(self, tokens):
            steps, _ = self.lstm(tokens)
            return self.head(steps)

    class BiTagger(nn.Module):
        """Bidirectional LSTM, sequence-first layout, a Linear head on every step; the final
        hidden states of both directions as a second output."""

        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(input_size=4, hidden_size=8, bidirectional=True)
            self.head = nn.Linear(16, 3)

        def forward(self, seq):
            steps, (h, _) = self.lstm(seq)
            return self.head(steps), h

    class Encoder(nn.Module):
        """A Linear projection to d_model 32, 2 encoder layers (2 heads, GELU), LayerNorm."""

        def __init__(self):
            super().__init__()
            layer = nn.TransformerEncoderLayer(d_model=32, nhead=2, dim_feedforward=64,
                                               dropout=0.0, activation="gelu", batch_first=True)
            self.encoder = nn.TransformerEncoder(layer, num_layers=2,
                                                 enable_nested_tensor=False)
            self.norm = nn.LayerNorm(32)
            self.proj = nn.Linear(8, 32)

        def forward(self, x):
            return self.norm(self.encoder(self.proj(x)))

    class MaskedEncoder(Encoder):
        """The encoder over padded batches: attention ignores keys where `padding` is true."""

        def forward(self, x, padding):
            return self.norm(self.encoder(self.proj(x), src_key_padding_mask=padding))

    class Fcn(nn.Module):
        """Fully convolutional: the output keeps symbolic height and width."""

        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                                      nn.Conv2d(8, 4, 3, stride=2, padding=1), nn.Sigmoid())

        def forward(self, image):
            return self.body(image)

    torch.manual_seed(7)
    return {
        "lstm.onnx": (Tagger().eval(), 13, ["tokens"], ["tags"],
                      {"tokens": {0: "batch", 1: "seq"}, "tags": {0: "batch", 1: "seq"}},
                      [(2, 5, 6)], [[(1, 3, 6)], [(4, 7, 6)], [(3, 1, 6)], [(2, 20, 6)]]),
        "bilstm.onnx": (BiTagger().eval(), 14, ["seq"], ["scores", "hidden"],
                        {"seq": {0: "seq", 1: "batch"}, "scores": {0: "seq", 1: "batch"},
                         "hidden": {1: "batch"}},
                        [(5, 2, 4)], [[(4, 1, 4)], [(9, 3, 4)], [(2, 6, 4)]]),
        "encoder.onnx": (Encoder().eval(), 17, ["x"], ["encoded"],
                         {"x": {0: "batch", 1: "seq"}, "encoded": {0: "batch", 1: "seq"}},
                         [(2, 6, 8)], [[(1, 4, 8)], [(3, 9, 8)], [(2, 1, 8)]]),
        "masked_encoder.onnx": (MaskedEncoder().eval(), 17, ["x", "padding"], ["encoded"],
                                {"x": {0: "batch", 1: "seq"}, "padding": {0: "batch", 1: "seq"},
                                 "encoded": {0: "batch", 1: "seq"}},
                                [(2, 6, 8), ("pad", 2, 6)],
                                [[(1, 4, 8), ("pad", 1, 4)], [(3, 9, 8), ("pad", 3, 9)],
                                 [(4, 5, 8), ("pad", 4, 5)]]),
        "fcn.onnx": (Fcn().eval(), 15, ["image"], ["mask"],
                     {"image": {0: "batch", 2: "height", 3: "width"},
                      "mask": {0: "batch", 2: "height_out", 3: "width_out"}},
                     [(1, 3, 8, 8)], [[(1, 3, 8, 8)], [(2, 3, 5, 11)], [(3, 3, 16, 7)]]),
    }


def export(out_dir):
    """Writes each model as ONNX plus manifest.json with PyTorch's outputs for each case."""
    import onnx
    import torch

    os.makedirs(out_dir, exist_ok=True)
    torch.set_num_threads(1)
    manifest = {"format": MANIFEST_FORMAT, "torch_version": torch.__version__, "models": {}}
    for file_name, (module, opset, in_names, out_names, axes, example, case_shapes) in \
            build_models().items():
        examples = tuple(make_input(s) for s in example)
        # Grad stays on during export: with it off, nn.TransformerEncoder takes its fused
        # fast path (aten::_transformer_encoder_layer_fwd), which has no ONNX export.
        torch.onnx.export(module, examples, os.path.join(out_dir, file_name),
                          input_names=in_names, output_names=out_names, dynamic_axes=axes,
                          opset_version=opset)
        cases = []
        for shapes in case_shapes:
            inputs = tuple(make_input(s) for s in shapes)
            with torch.no_grad():
                outputs = module(*inputs)
            if not isinstance(outputs, tuple):
                outputs = (outputs,)
            cases.append({"name": "x".join(str(d) for d in shapes[0]),
                          "inputs": [tensor_json(n, t) for n, t in zip(in_names, inputs)],
                          "outputs": [tensor_json(n, t) for n, t in zip(out_names, outputs)]})
        graph = onnx.load(os.path.join(out_dir, file_name)).graph
        manifest["models"][file_name] = {
            "opset": opset, "cases": cases,
            "symbolic": {name: sorted(dims) for name, dims in axes.items()},
            "op_types": sorted({node.op_type for node in graph.node})}
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f)


_onnx_dir = None


def onnx_dir():
    """The exported files, beside the other e2e models (exported on first use)."""
    global _onnx_dir
    if _onnx_dir is None:
        d = os.path.join(common.models_dir(), "onnx-models")
        if not (all(os.path.exists(os.path.join(d, f)) for f in ARTIFACTS)
                and read_json(os.path.join(d, "manifest.json")).get("format") == MANIFEST_FORMAT):
            proc = subprocess.run([common.srvmod.PYTHON, os.path.abspath(__file__), "--export", d],
                                  capture_output=True, text=True, timeout=600)
            if proc.returncode != 0:
                raise RuntimeError("ONNX export failed:\n%s\n%s" % (proc.stdout, proc.stderr))
        _onnx_dir = d
    return _onnx_dir


_manifest = None


def read_json(path):
    with open(path) as f:
        return json.load(f)


def manifest():
    global _manifest
    if _manifest is None:
        _manifest = read_json(os.path.join(onnx_dir(), "manifest.json"))
    return _manifest


def push_onnx(server, name, file_name, config=None):
    with open(os.path.join(onnx_dir(), file_name), "rb") as f:
        data = f.read()
    fields = [("file", data, file_name), ("format", "onnx")]
    if config is not None:
        fields.append(("config", json.dumps(config), None, "application/json"))
    return post_multipart("%s/api/v1/models/%s/versions" % (server.url, name), fields)


def model_name(file_name):
    return "onnx-" + file_name[:-len(".onnx")]


def declared_shape(tensor, symbolic_dims):
    """The shape the metadata must report: a case's concrete shape with -1 on each dim the
    export declared dynamic."""
    return [-1 if i in symbolic_dims else d for i, d in enumerate(tensor["shape"])]


# ---------------------------------------------------------------- tests


def setUpModule():
    global SERVER
    manifest()  # export before the server starts (PyTorch takes a while to import)
    SERVER = Server(name="onnx-models").start()
    OnnxModelsTest.server = SERVER
    for file_name in manifest()["models"]:
        resp = push_onnx(SERVER, model_name(file_name), file_name)
        if resp[0] != 201:
            OnnxModelsTest.push_failures[file_name] = resp.describe()


def tearDownModule():
    if SERVER is not None:
        SERVER.stop()


class OnnxModelsTest(E2ETestCase):
    server = None
    push_failures = {}

    def infer(self, model, c):
        return self.server.post("/v2/models/%s/infer" % model, common.infer_body(c), timeout=120)

    def check_served_like_pytorch(self, file_name):
        """Every reference case of `file_name` through the one loaded model."""
        self.assertNotIn(file_name, self.push_failures,
                         "push refused: %s" % self.push_failures.get(file_name))
        cases = manifest()["models"][file_name]["cases"]
        self.assertGreaterEqual(len(cases), 3)
        for c in cases:
            with self.subTest(model=file_name, case=c["name"]):
                resp = self.infer(model_name(file_name), c)
                self.assertStatus(resp, 200, "(case %s)" % c["name"])
                problems = common.compare_outputs(resp[1], c, tol=TOLERANCE)
                self.assertEqual(problems, [], "\n".join(problems))

    def test_lstm_batch_first_equals_pytorch_at_several_batches_and_lengths(self):
        self.check_served_like_pytorch("lstm.onnx")

    def test_bidirectional_lstm_sequence_first_equals_pytorch(self):
        self.check_served_like_pytorch("bilstm.onnx")

    def test_transformer_encoder_equals_pytorch(self):
        self.check_served_like_pytorch("encoder.onnx")

    def test_transformer_encoder_with_key_padding_mask_equals_pytorch(self):
        self.check_served_like_pytorch("masked_encoder.onnx")

    def test_fully_convolutional_with_symbolic_height_and_width_equals_pytorch(self):
        self.check_served_like_pytorch("fcn.onnx")

    def test_the_exported_graphs_hold_the_layers_under_test(self):
        """Recurrence, attention, normalization and GELU are in the graphs as exported, not
        fused away or replaced by a constant."""
        want = {"lstm.onnx": {"LSTM", "MatMul"},
                "bilstm.onnx": {"LSTM", "Transpose"},
                "encoder.onnx": {"MatMul", "Softmax", "LayerNormalization", "Erf"},
                "masked_encoder.onnx": {"Where", "Softmax", "LayerNormalization", "Erf"},
                "fcn.onnx": {"Conv", "Relu", "Sigmoid"}}
        for file_name, op_types in want.items():
            entry = manifest()["models"][file_name]
            self.assertLessEqual(op_types, set(entry["op_types"]), file_name)

    def test_the_reference_cases_really_vary_the_symbolic_axes(self):
        for file_name, entry in manifest()["models"].items():
            symbolic = entry["symbolic"]
            for name, dims in symbolic.items():
                for dim in dims:
                    sizes = set()
                    for c in entry["cases"]:
                        for t in c["inputs"] + c["outputs"]:
                            if t["name"] == name:
                                sizes.add(t["shape"][int(dim)])
                    self.assertGreaterEqual(len(sizes), 2, "%s: %s dim %s takes one size %s"
                                            % (file_name, name, dim, sizes))

    def test_metadata_reports_minus_one_for_every_symbolic_dim(self):
        for file_name, entry in manifest()["models"].items():
            with self.subTest(model=file_name):
                self.assertNotIn(file_name, self.push_failures)
                status, body = self.server.get("/v2/models/%s" % model_name(file_name))
                self.assertEqual(status, 200, body)
                symbolic = {name: [int(d) for d in dims]
                            for name, dims in entry["symbolic"].items()}
                c = entry["cases"][0]
                for key, tensors in (("inputs", c["inputs"]), ("outputs", c["outputs"])):
                    want = [{"name": t["name"], "datatype": t["datatype"],
                             "shape": declared_shape(t, symbolic.get(t["name"], []))}
                            for t in tensors]
                    self.assertEqual(body.get(key), want, "%s of %s" % (key, file_name))

    def test_batched_lstm_mixes_sequence_lengths_correctly(self):
        """Concurrent requests of different lengths through the batcher: only requests of
        equal trailing shape may merge, and each still gets its own PyTorch result."""
        config = {"max_batch_size": 8, "max_queue_delay_us": 20000, "instance_count": 1}
        self.assertStatus(push_onnx(self.server, "onnx-lstm-batched", "lstm.onnx", config), 201)
        cases = [c for c in manifest()["models"]["lstm.onnx"]["cases"]
                 if c["inputs"][0]["shape"][0] <= 4]
        work = [cases[i % len(cases)] for i in range(24)]
        results = [None] * len(work)

        def client(i):
            results[i] = self.infer("onnx-lstm-batched", work[i])

        threads = [threading.Thread(target=client, args=(i,)) for i in range(len(work))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        for i, resp in enumerate(results):
            self.assertIsNotNone(resp, "client %d got no answer" % i)
            self.assertStatus(resp, 200, "(client %d)" % i)
            problems = common.compare_outputs(resp[1], work[i], tol=TOLERANCE)
            self.assertEqual(problems, [], "client %d (%s): %s" % (i, work[i]["name"], problems))
        status, stats = self.server.get("/v2/models/onnx-lstm-batched/stats")
        self.assertEqual(status, 200, stats)
        model_stats = stats["model_stats"][0]
        self.assertEqual(model_stats["inference_stats"]["success"]["count"], len(work), stats)
        rows = sum(c["inputs"][0]["shape"][0] for c in work)
        self.assertEqual(model_stats["inference_count"], rows, "inference_count counts rows")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--export":
        export(sys.argv[2])
        sys.exit(0)
    print("usage: test_onnx_models.py --export DIR (the tests run through tests/e2e/run.py)",
          file=sys.stderr)
    sys.exit(2)
