"""Export of trained models (issue #5): GET /api/v1/models/{name}/versions/{v}/export
?format=onnx|safetensors. Small real models are trained by the server on Debian's
scikit-learn datasets; their ONNX export must pass ONNX's own checker (full_check) and,
pushed back as an `onnx` version, answer the same KServe v2 request exactly as the
`native` version does (labels equal, floats within 1e-5); the safetensors file is read in
Python by hand (json + numpy) into an equivalent torch.nn model. Plus the refusals, the
permissions of shared models, and `aiaas models export`.
"""

import csv
import io
import json
import os
import struct
import subprocess
import tempfile
import time

from common import E2ETestCase
from server import Server, get, post_json, post_multipart, push_model, run_cli
from test_datasets import SKLEARN_DATA, digits_csv_gz, iris_csv
from test_training import diabetes_csv, table_of

SERVER = None
TMP = None
JOBS = {}  # output model -> job id, submitted together in setUpModule
TOLERANCE = 1e-5
PYTHON = "/usr/bin/python3"


def iris_int_csv():
    """iris.csv with the class index (0, 1, 2) as an integer target."""
    with open(os.path.join(SKLEARN_DATA, "iris.csv")) as f:
        rows = list(csv.reader(f))
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["sepal_length", "sepal_width", "petal_length", "petal_width", "species"])
    for r in rows[1:]:
        w.writerow(r[:5])
    return out.getvalue().encode()


def colors_csv():
    """A numeric and a categorical feature, an integer label."""
    lines = ["x,color,label"]
    for i in range(60):
        color = ("red", "green", "blue")[i % 3]
        lines.append("%s,%s,%d" % (i / 10.0, color, (i + (i % 3)) % 2))
    return ("\n".join(lines) + "\n").encode()


def features_of(csv_bytes):
    return table_of(csv_bytes)[0]


def spec(dataset, target, task, model, output, epochs, **extra):
    s = {"type": "train", "dataset": dataset, "target": target, "task": task,
         "model": model, "optimizer": {"name": "adam", "lr": 0.01}, "epochs": epochs,
         "batch_size": 32, "seed": 7, "split": {"validation": 0.1, "test": 0.2},
         "output_model": output}
    s.update(extra)
    return s


# Small and fast: the answers are compared, not the accuracy.
SPECS = [
    spec("iris-int", "species", "classification", {"architecture": "mlp", "hidden": [16, 8]},
         "iris-mlp", 30, preprocess={"scale": "standard"}),
    spec("iris", "species", "classification", {"architecture": "mlp", "hidden": [8]},
         "iris-strings", 5, preprocess={"scale": "standard"}),
    spec("colors", "label", "classification", {"architecture": "mlp", "hidden": [4]},
         "colors-mlp", 2),
    spec("digits", "label", "classification",
         {"architecture": "cnn", "filters": [4, 8], "dense": [16]}, "digits-cnn", 2,
         preprocess={"scale": "minmax", "reshape": [1, 8, 8]}),
    spec("digits", "label", "classification",
         {"architecture": "rnn_classifier", "cell": "lstm", "units": 12, "bidirectional": True},
         "digits-lstm", 2, preprocess={"scale": "minmax", "reshape": [8, 8]}),
    spec("diabetes", "target", "regression", {"architecture": "mlp", "hidden": [16]},
         "diabetes-mlp", 20, preprocess={"scale": "standard"}, loss="mse"),
    spec("iris-int", "species", "reconstruction",
         {"architecture": "autoencoder", "encoder": [8], "latent": 2}, "iris-ae", 10,
         preprocess={"scale": "minmax"}, loss="mse"),
]


def setUpModule():
    global SERVER, TMP
    TMP = tempfile.TemporaryDirectory(prefix="aiaas-export-")
    SERVER = Server(name="export", extra_args=["--training-threads", "1",
                                               "--tenant-max-concurrent-jobs", "16"]).start()
    for name, data, filename in (("iris-int", iris_int_csv(), "iris.csv"),
                                 ("iris", iris_csv(), "iris.csv"),
                                 ("colors", colors_csv(), "colors.csv"),
                                 ("digits", digits_csv_gz(), "digits.csv.gz"),
                                 ("diabetes", diabetes_csv(), "diabetes.csv")):
        resp = post_multipart(SERVER.url + "/api/v1/datasets",
                              [("name", name), ("file", data, filename)])
        if resp[0] != 201:
            raise RuntimeError("dataset upload failed: %s" % resp.describe())
    for s in SPECS:
        resp = post_json(SERVER.url + "/api/v1/jobs", s)
        if resp[0] != 202:
            raise RuntimeError("job submit failed: %s" % resp.describe())
        JOBS[s["output_model"]] = resp[1]["id"]


def tearDownModule():
    if SERVER is not None:
        SERVER.stop()
    if TMP is not None:
        TMP.cleanup()


def export_url(model, version, fmt=None):
    url = "%s/api/v1/models/%s/versions/%s/export" % (SERVER.url, model, version)
    return url if fmt is None else url + "?format=" + fmt


def load_safetensors(data):
    """(tensors by name as numpy arrays, metadata) of a safetensors file, by hand."""
    import numpy as np
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    metadata = header.pop("__metadata__")
    base = 8 + length
    dtypes = {"F32": np.float32, "I64": np.int64}
    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(data[base + begin:base + end],
                                      dtype=dtypes[entry["dtype"]]).reshape(entry["shape"])
    return tensors, metadata


class ExportTest(E2ETestCase):
    def trained(self, model):
        """The version the job for `model` produced (waits for it)."""
        job_id = JOBS[model]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            resp = get(SERVER.url + "/api/v1/jobs/" + job_id)
            self.assertStatus(resp, 200)
            job = resp[1]
            if job["state"] in ("succeeded", "failed", "cancelled"):
                self.assertEqual(job["state"], "succeeded", job.get("error"))
                return job["output"]["version"]
            time.sleep(0.1)
        self.fail("job for %s did not finish" % model)

    def infer(self, model, rows, version=None):
        body = {"inputs": [{"name": "features", "datatype": "FP32",
                            "shape": [len(rows), len(rows[0])],
                            "data": [v for r in rows for v in r]}]}
        path = "/v2/models/%s%s/infer" % (model, "" if version is None else "/versions/%s" % version)
        resp = post_json(SERVER.url + path, body)
        self.assertStatus(resp, 200)
        return {o["name"]: o for o in resp[1]["outputs"]}

    def export(self, model, version, fmt):
        resp = get(export_url(model, version, fmt))
        self.assertStatus(resp, 200)
        self.assertIn("%s-v%s." % (model, version), resp.headers.get("Content-Disposition", ""))
        return resp.raw

    def check_onnx(self, path):
        code = ("import onnx, sys\n"
                "m = onnx.load(sys.argv[1])\n"
                "onnx.checker.check_model(m, full_check=True)\n"
                "print(m.opset_import[0].version)\n")
        done = subprocess.run([PYTHON, "-c", code, path], capture_output=True, text=True,
                              timeout=60)
        self.assertEqual(done.returncode, 0, done.stderr[-2000:])
        self.assertLessEqual(int(done.stdout.strip()), 17)

    def assertSameAnswers(self, native, onnx, rows):
        a = self.infer(native[0], rows, native[1])
        b = self.infer(onnx[0], rows, onnx[1])
        self.assertEqual(list(a), list(b))
        for name in a:
            self.assertEqual(a[name]["datatype"], b[name]["datatype"], name)
            self.assertEqual(a[name]["shape"], b[name]["shape"], name)
            if a[name]["datatype"] in ("INT64", "BYTES"):
                self.assertEqual(a[name]["data"], b[name]["data"], name)
                continue
            worst = max(abs(x - y) / max(1.0, abs(x)) for x, y in zip(a[name]["data"],
                                                                     b[name]["data"]))
            self.assertLessEqual(worst, TOLERANCE, name)
        return a

    def roundtrip(self, model, csv_bytes):
        """Exports `model`'s trained version as ONNX, checks it, pushes it as `<model>-onnx`
        and compares both versions' answers on the version's test rows."""
        version = self.trained(model)
        data = self.export(model, version, "onnx")
        path = os.path.join(TMP.name, "%s.onnx" % model)
        with open(path, "wb") as f:
            f.write(data)
        self.check_onnx(path)
        resp = push_model(SERVER.url, model + "-onnx", path, fmt="onnx")
        self.assertStatus(resp, 201)
        pushed = resp[1]
        native = get(SERVER.url + "/api/v1/models/%s/versions/%d" % (model, version))[1]
        self.assertEqual(native["signature"]["outputs"], pushed["signature"]["outputs"])
        self.assertEqual(native["signature"]["inputs"], pushed["signature"]["inputs"])
        features = features_of(csv_bytes)
        test_rows = native["lineage"].get("test_row_indices") or list(range(40))
        rows = [features[i] for i in test_rows]
        return self.assertSameAnswers((model, version), (model + "-onnx", pushed["version"]), rows)

    def test_mlp_classifier_onnx_answers_like_the_native_version(self):
        out = self.roundtrip("iris-mlp", iris_int_csv())
        self.assertEqual(out["label"]["datatype"], "INT64")

    def test_string_labels_come_back_as_bytes(self):
        out = self.roundtrip("iris-strings", iris_csv())
        self.assertEqual(out["label"]["datatype"], "BYTES")
        self.assertTrue(set(out["label"]["data"]) <= {"setosa", "versicolor", "virginica"})

    def test_cnn_on_reshaped_digits(self):
        self.roundtrip("digits-cnn", digits_csv_gz())

    def test_bidirectional_lstm_on_digit_rows(self):
        self.roundtrip("digits-lstm", digits_csv_gz())

    def test_regression_prediction_is_unscaled(self):
        out = self.roundtrip("diabetes-mlp", diabetes_csv())
        self.assertEqual(out["prediction"]["shape"][1], 1)
        self.assertGreater(max(out["prediction"]["data"]), 25.0)  # in the target's units

    def test_autoencoder_reconstruction(self):
        self.roundtrip("iris-ae", iris_int_csv())

    def test_safetensors_rebuild_an_mlp_in_torch(self):
        import numpy as np
        import torch
        version = self.trained("iris-mlp")
        tensors, meta = load_safetensors(self.export("iris-mlp", version, "safetensors"))
        self.assertEqual(meta["format"], "aiaas.safetensors.v1")
        self.assertEqual(meta["architecture"], "mlp")
        # The model as documented in docs/training.md: metadata "layers" + the tensors.
        activations = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh,
                       "sigmoid": torch.nn.Sigmoid, "gelu": torch.nn.GELU}
        modules = []
        for layer in json.loads(meta["layers"]):
            if layer["type"] == "dense":
                linear = torch.nn.Linear(layer["input_shape"][-1], layer["units"])
                linear.weight.data = torch.from_numpy(
                    tensors[layer["module"] + ".linear.weight"].copy())
                linear.bias.data = torch.from_numpy(tensors[layer["module"] + ".linear.bias"].copy())
                modules.append(linear)
                if layer["activation"] in activations:
                    modules.append(activations[layer["activation"]]())
            elif layer["type"] == "dropout":
                modules.append(torch.nn.Dropout(layer["rate"]))
            else:
                self.fail("unexpected layer %r" % layer)
        net = torch.nn.Sequential(*modules).eval()
        prep = json.loads(meta["preprocessor"])
        labels = json.loads(meta["labels"])

        rows = features_of(iris_int_csv())[::7]
        x = np.array(rows, dtype=np.float32).astype(np.float64)
        for i, f in enumerate(prep["features"]):
            x[np.isnan(x[:, i]), i] = f.get("impute", np.nan)
            if prep["scale"] == "standard":
                std = f["std"] if f["std"] > 0 and f["min"] != f["max"] else 1.0
                x[:, i] = (x[:, i] - f["mean"]) / std
        with torch.no_grad():
            probabilities = torch.softmax(net(torch.from_numpy(x.astype(np.float32))), dim=1)
        predicted = [labels[i] for i in probabilities.argmax(dim=1).tolist()]

        served = self.infer("iris-mlp", rows, version)
        self.assertEqual(predicted, served["label"]["data"])
        worst = np.abs(probabilities.numpy().ravel() -
                       np.array(served["probabilities"]["data"])).max()
        self.assertLessEqual(worst, TOLERANCE)

    def test_refusals(self):
        version = self.trained("iris-mlp")
        self.assertError(get(export_url("iris-mlp", version)), 400, ["format", "missing"])
        self.assertError(get(export_url("iris-mlp", version, "pt")), 400, ["onnx", "safetensors"])
        self.assertError(get(export_url("iris-mlp", 99, "onnx")), 404, ["99"])
        self.assertError(get(export_url("no-such-model", 1, "onnx")), 404, ["no-such-model"])
        colors = self.trained("colors-mlp")
        self.assertError(get(export_url("colors-mlp", colors, "onnx")), 400,
                         ["categorical", "color"])
        self.assertStatus(get(export_url("colors-mlp", colors, "safetensors")), 200)
        # A version that was not trained by aiaas (the pushed ONNX export of another test
        # or, here, one pushed now).
        data = self.export("iris-mlp", version, "onnx")
        path = os.path.join(TMP.name, "refusal.onnx")
        with open(path, "wb") as f:
            f.write(data)
        resp = push_model(SERVER.url, "pushed-onnx", path, fmt="onnx")
        self.assertStatus(resp, 201)
        self.assertError(get(export_url("pushed-onnx", resp[1]["version"], "onnx")), 400,
                         ["native"])

    def test_permissions_follow_the_artifact_route(self):
        version = self.trained("iris-mlp")
        self.assertStatus(SERVER.post("/api/v1/tenants", {"name": "other"}), 201)
        key = SERVER.post("/api/v1/keys", {"role": "viewer", "tenant": "other"})
        self.assertStatus(key, 201)
        other = key[1]["key"]
        shared = "%s/api/v1/models/default/iris-mlp/versions/%s/export?format=onnx" % (
            SERVER.url, version)
        artifact = "%s/api/v1/models/default/iris-mlp/versions/%s/artifact" % (SERVER.url, version)
        self.assertStatus(get(artifact, api_key=other), 404)
        self.assertStatus(get(shared, api_key=other), 404)
        self.assertStatus(SERVER.post("/api/v1/models/iris-mlp/grants",
                                      {"tenant": "other", "permission": "read"}), 201)
        self.assertStatus(get(artifact, api_key=other), 200)
        self.assertStatus(get(shared, api_key=other), 200)
        infer_only = SERVER.post("/api/v1/keys", {"role": "inference"})
        self.assertStatus(infer_only, 201)
        self.assertStatus(get(export_url("iris-mlp", version, "onnx"),
                              api_key=infer_only[1]["key"]), 403)
        self.assertStatus(get(export_url("iris-mlp", version, "onnx"), api_key=None), 401)

    def test_cli_writes_the_same_file(self):
        version = self.trained("iris-mlp")
        path = os.path.join(TMP.name, "cli.onnx")
        done = run_cli(SERVER.url, "models", "export", "iris-mlp:%s" % version, "--format",
                       "onnx", "-o", path)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("exported iris-mlp version", done.stdout)
        with open(path, "rb") as f:
            self.assertEqual(f.read(), self.export("iris-mlp", version, "onnx"))
        self.trained("colors-mlp")
        done = run_cli(SERVER.url, "models", "export", "colors-mlp", "--format", "onnx",
                       "-o", path + ".x")
        self.assertEqual(done.returncode, 1)
        self.assertIn("categorical", done.stderr)
        self.assertFalse(os.path.exists(path + ".x"))
