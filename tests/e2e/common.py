"""Reference models/data and assertions shared by the e2e tests.

AIAAS_E2E_MODELS_DIR points at the output of export_models.py (run.py exports once per
run). When it is unset (e.g. running one test file by hand) the models are exported
into a temp dir on first use.
"""

import json
import math
import os
import re
import subprocess
import tempfile
import unittest

import server as srvmod

TOLERANCE = 1e-5  # absolute, per element, against PyTorch's own output

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")

_models_dir = None
_manifest = None
_stress = None


def models_dir():
    global _models_dir
    if _models_dir is None:
        d = os.environ.get("AIAAS_E2E_MODELS_DIR")
        if not d or not os.path.exists(os.path.join(d, "manifest.json")):
            d = d or tempfile.mkdtemp(prefix="models-", dir=srvmod.work_dir())
            export(d)
            os.environ["AIAAS_E2E_MODELS_DIR"] = d
        _models_dir = d
    return _models_dir


def export(out_dir):
    """Runs export_models.py with the torch-enabled interpreter."""
    script = os.path.join(srvmod.HERE, "export_models.py")
    proc = subprocess.run([srvmod.PYTHON, script, out_dir], capture_output=True, text=True,
                          timeout=300)
    if proc.returncode != 0:
        raise RuntimeError("export_models.py failed (%d):\n%s\n%s"
                           % (proc.returncode, proc.stdout, proc.stderr))
    return proc


def manifest():
    global _manifest
    if _manifest is None:
        with open(os.path.join(models_dir(), "manifest.json")) as f:
            _manifest = json.load(f)
    return _manifest


def model(name):
    return manifest()["models"][name]


def model_path(name):
    """Artifact of a manifest model, or any file in the models dir (e.g. random.bin)."""
    models = manifest()["models"]
    return os.path.join(models_dir(), models[name]["file"] if name in models else name)


def read_bytes(name):
    with open(model_path(name), "rb") as f:
        return f.read()


def case(model_name, case_name):
    for c in model(model_name)["cases"]:
        if c["name"] == case_name:
            return c
    raise KeyError("%s/%s" % (model_name, case_name))


def stress():
    global _stress
    if _stress is None:
        with open(os.path.join(models_dir(), "stress.json")) as f:
            _stress = json.load(f)
    return _stress


def infer_body(c, request_id=None, nested=False):
    """A KServe v2 inference request for reference case `c`."""
    inputs = []
    for t in c["inputs"]:
        data = nest(t["data"], t["shape"]) if nested else t["data"]
        inputs.append({"name": t["name"], "shape": t["shape"], "datatype": t["datatype"],
                       "data": data})
    body = {"inputs": inputs}
    if request_id is not None:
        body["id"] = request_id
    return body


def nest(flat, shape):
    if len(shape) <= 1:
        return list(flat)
    step = len(flat) // shape[0] if shape[0] else 0
    return [nest(flat[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])]


def flatten(data):
    """Flattens nested lists (the API allows nested `data`)."""
    if isinstance(data, list):
        out = []
        for d in data:
            out.extend(flatten(d))
        return out
    return [data]


def compare_tensor(actual, expected, tol=TOLERANCE):
    """Returns a list of problems (empty if `actual` matches the reference tensor)."""
    problems = []
    name = expected["name"]
    if not isinstance(actual, dict):
        return ["output %s is not an object: %r" % (name, actual)]
    if actual.get("datatype") != expected["datatype"]:
        problems.append("output %s datatype %r, expected %r"
                        % (name, actual.get("datatype"), expected["datatype"]))
    if actual.get("shape") != expected["shape"]:
        problems.append("output %s shape %r, expected %r"
                        % (name, actual.get("shape"), expected["shape"]))
    data = flatten(actual.get("data"))
    want = expected["data"]
    if len(data) != len(want):
        problems.append("output %s has %d values, expected %d" % (name, len(data), len(want)))
        return problems
    bad = []
    for i, (a, w) in enumerate(zip(data, want)):
        if isinstance(w, bool) or isinstance(a, bool):
            ok = a == w
        elif isinstance(w, int) and expected["datatype"].startswith(("INT", "UINT")):
            ok = isinstance(a, int) and a == w
        else:
            ok = isinstance(a, (int, float)) and not math.isnan(a) and abs(a - w) <= tol
        if not ok:
            bad.append((i, a, w))
    if bad:
        shown = ", ".join("[%d] got %r want %r" % b for b in bad[:5])
        problems.append("output %s: %d/%d values differ by more than %g from PyTorch: %s"
                        % (name, len(bad), len(want), tol, shown))
    return problems


def compare_outputs(body, c, names=None, tol=TOLERANCE):
    """Problems comparing an inference response body with reference case `c`.
    `names`: the outputs expected in the response (default: all, in order)."""
    if not isinstance(body, dict):
        return ["response is not a JSON object: %r" % (body[:300] if isinstance(body, bytes) else body)]
    outputs = body.get("outputs")
    if not isinstance(outputs, list):
        return ["response has no outputs list: %r" % (body,)]
    expected = [t for t in c["outputs"] if names is None or t["name"] in names]
    got_names = [o.get("name") if isinstance(o, dict) else None for o in outputs]
    problems = []
    if got_names != [t["name"] for t in expected]:
        problems.append("output names %r, expected %r" % (got_names, [t["name"] for t in expected]))
    by_name = {o.get("name"): o for o in outputs if isinstance(o, dict)}
    for t in expected:
        if t["name"] in by_name:
            problems.extend(compare_tensor(by_name[t["name"]], t, tol))
    return problems


class E2ETestCase(unittest.TestCase):
    maxDiff = 4000

    def assertStatus(self, resp, status, msg=""):
        got = resp[0]
        if isinstance(status, (tuple, list)):
            ok = got in status
        else:
            ok = got == status
        if not ok:
            detail = resp.describe() if hasattr(resp, "describe") else repr(resp)
            self.fail("expected HTTP %s, got %s %s\n%s" % (status, detail, msg, self._server_hint()))

    def assertError(self, resp, status, mentions=(), msg=""):
        """HTTP `status`, JSON body {"error": "<non-empty string>"}, and the message contains
        each of `mentions` (a string, or a tuple of alternatives; case-insensitive)."""
        self.assertStatus(resp, status, msg)
        body = resp[1]
        ctype = resp.content_type if hasattr(resp, "content_type") else ""
        self.assertIn("application/json", ctype.lower(),
                      "error response must be JSON, Content-Type %r body %r %s" % (ctype, body, msg))
        self.assertIsInstance(body, dict, "error body is not a JSON object: %r %s" % (body, msg))
        err = body.get("error")
        self.assertIsInstance(err, str, "error body has no 'error' string: %r %s" % (body, msg))
        self.assertTrue(err.strip(), "empty error message %s" % msg)
        for m in mentions:
            alts = m if isinstance(m, (tuple, list)) else (m,)
            self.assertTrue(any(a.lower() in err.lower() for a in alts),
                            "error message %r should mention %s %s"
                            % (err, " or ".join(repr(a) for a in alts), msg))
        return err

    def assertOutputs(self, resp, c, names=None, msg=""):
        self.assertStatus(resp, 200, msg)
        problems = compare_outputs(resp[1], c, names)
        if problems:
            self.fail("%s\n  %s" % (msg, "\n  ".join(problems)))

    def assertInferResponse(self, resp, c, model_name, version, request_id=None, names=None):
        """Full check of an inference response: status, echoed fields, outputs."""
        self.assertOutputs(resp, c, names, "(%s v%s case %s)" % (model_name, version, c["name"]))
        body = resp[1]
        self.assertEqual(body.get("model_name"), model_name, body.keys())
        self.assertEqual(body.get("model_version"), str(version),
                         "model_version should be the version that answered, as a string")
        if request_id is not None:
            self.assertEqual(body.get("id"), request_id, "request id must be echoed")

    def _server_hint(self):
        srv = getattr(self, "server", None)
        if srv is None:
            return ""
        return "server log %s (tail):\n%s" % (srv.log_path, srv.log_tail(1500))
