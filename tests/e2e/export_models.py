#!/usr/bin/python3
"""Exports the TorchScript models and reference data used by the e2e tests.

Usage: /usr/bin/python3 tests/e2e/export_models.py OUT_DIR

Needs the real PyTorch (Debian's python3-torch, importable from /usr/bin/python3).
Writes into OUT_DIR:
  *.pt / *.bin / *.txt   the artifacts to push
  manifest.json          per model: file, input/output names and datatypes, and
                         reference cases {"inputs": [tensor], "outputs": [tensor]}
                         where tensor = {"name", "datatype", "shape", "data" (flat)}
  stress.json            {"mlp": [case], "cnn": [case]}: many batch-1 cases for the
                         concurrency test

Every number is computed by PyTorch itself from the saved module, so the tests
compare the server's answers with PyTorch's.
"""

import json
import os
import random
import sys
from typing import Tuple

import torch
from torch import Tensor, nn

STRESS_CASES = 320  # 16 clients x 20 requests, every one with its own input

DTYPE_NAMES = {
    torch.float32: "FP32",
    torch.float64: "FP64",
    torch.int64: "INT64",
    torch.int32: "INT32",
    torch.bool: "BOOL",
}


# ---------------------------------------------------------------- models


class Mlp(nn.Module):
    """784 -> 128 -> 10."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


class Cnn(nn.Module):
    """[N,1,28,28] -> conv -> relu -> maxpool -> linear -> [N,10]."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, kernel_size=3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(4 * 14 * 14, 10)

    def forward(self, x):
        x = self.pool(torch.relu(self.conv(x)))
        return self.fc(torch.flatten(x, 1))


class TwoInTwoOut(nn.Module):
    """x: [N,4], y: [N,4] -> (linear(x) + y: [N,4], sum(x*y): [N,1])."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x: Tensor, y: Tensor) -> Tuple[Tensor, Tensor]:
        return self.fc(x) + y, (x * y).sum(dim=1, keepdim=True)


class ControlFlow(nn.Module):
    """Data-dependent branch, a fixed loop and a data-dependent while loop."""

    def __init__(self):
        super().__init__()
        self.pos = nn.Linear(8, 8)
        self.neg = nn.Linear(8, 8)

    def forward(self, x: Tensor) -> Tensor:
        if bool(x.sum() > 0):
            y = self.pos(x)
        else:
            y = -2.0 * self.neg(x)
        for i in range(3):
            y = y + 0.25 * float(i + 1) * torch.tanh(y)
        n = 0
        while bool(y.abs().max() > 1.0) and n < 64:
            y = y * 0.5
            n += 1
        return y


class Embed(nn.Module):
    """ids: INT64 [N,L] -> (sum of embeddings: FP32 [N,8], sum of ids: INT64 [N])."""

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(100, 8)

    def forward(self, ids: Tensor) -> Tuple[Tensor, Tensor]:
        return self.emb(ids).sum(dim=1), ids.sum(dim=1)


class Slow(nn.Module):
    """x: FP32 [N,64], steps: INT64 [1] -> x after `steps` rounds of tanh(x @ w).

    The tests pick `steps` so that one request takes a couple of seconds (graceful stop)."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(64, 64) / 8.0)

    def forward(self, x: Tensor, steps: Tensor) -> Tensor:
        n = int(steps[0].item())
        for _ in range(n):
            x = torch.tanh(torch.matmul(x, self.w))
        return x


# ---------------------------------------------------------------- helpers


def tensor_json(name, t):
    t = t.detach().contiguous()
    return {
        "name": name,
        "datatype": DTYPE_NAMES[t.dtype],
        "shape": list(t.shape),
        "data": t.reshape(-1).tolist(),
    }


def outputs_json(result):
    if isinstance(result, (tuple, list)):
        return [tensor_json("output_%d" % i, r) for i, r in enumerate(result)]
    return [tensor_json("output_0", result)]


def make_case(module, case_name, named_inputs):
    with torch.no_grad():
        result = module(*[t for _, t in named_inputs])
    return {
        "name": case_name,
        "inputs": [tensor_json(n, t) for n, t in named_inputs],
        "outputs": outputs_json(result),
    }


def save(module, out_dir, file_name):
    path = os.path.join(out_dir, file_name)
    module.save(path)
    # Reload what was written and use the reloaded module for every reference value,
    # so the references come from exactly the bytes the server will load.
    return torch.jit.load(path)


def model_entry(file_name, how, inputs, outputs, cases):
    return {
        "file": file_name,
        "export": how,
        "inputs": [{"name": n, "datatype": d} for n, d in inputs],
        "outputs": [{"name": n, "datatype": d} for n, d in outputs],
        "cases": cases,
    }


def main(argv):
    if len(argv) != 2:
        print("usage: export_models.py OUT_DIR", file=sys.stderr)
        return 2
    out_dir = argv[1]
    os.makedirs(out_dir, exist_ok=True)
    torch.set_num_threads(1)
    manifest = {"torch_version": torch.__version__, "models": {}}
    models = manifest["models"]

    # Shared inputs (seeded) so that mlp and mlp_v2 answer the very same requests.
    torch.manual_seed(1234)
    x1 = torch.randn(1, 784)
    x3 = torch.randn(3, 784)
    img1 = torch.rand(1, 1, 28, 28)
    img2 = torch.rand(2, 1, 28, 28)

    # (a) MLP, traced; two versions with different weights for the alias tests.
    for name, seed in (("mlp", 0), ("mlp_v2", 1)):
        torch.manual_seed(seed)
        m = Mlp().eval()
        traced = save(torch.jit.trace(m, torch.randn(2, 784)), out_dir, name + ".pt")
        models[name] = model_entry(
            name + ".pt", "trace", [("x", "FP32")], [("output_0", "FP32")],
            [make_case(traced, "batch1", [("x", x1)]),
             make_case(traced, "batch3", [("x", x3)])])

    # (b) CNN, traced.
    torch.manual_seed(2)
    cnn = save(torch.jit.trace(Cnn().eval(), torch.rand(2, 1, 28, 28)), out_dir, "cnn.pt")
    models["cnn"] = model_entry(
        "cnn.pt", "trace", [("x", "FP32")], [("output_0", "FP32")],
        [make_case(cnn, "batch1", [("x", img1)]), make_case(cnn, "batch2", [("x", img2)])])

    # (c) two inputs, tuple of two outputs, scripted.
    torch.manual_seed(3)
    two = save(torch.jit.script(TwoInTwoOut().eval()), out_dir, "two_io.pt")
    models["two_io"] = model_entry(
        "two_io.pt", "script", [("x", "FP32"), ("y", "FP32")],
        [("output_0", "FP32"), ("output_1", "FP32")],
        [make_case(two, "batch1", [("x", torch.randn(1, 4)), ("y", torch.randn(1, 4))]),
         make_case(two, "batch3", [("x", torch.randn(3, 4)), ("y", torch.randn(3, 4))])])

    # (d) data-dependent control flow, scripted.
    torch.manual_seed(4)
    cf = save(torch.jit.script(ControlFlow().eval()), out_dir, "control_flow.pt")
    pos = torch.rand(2, 8) + 0.1
    neg = -(torch.rand(2, 8) + 0.1)
    big = torch.rand(1, 8) * 100.0 + 1.0
    assert pos.sum() > 0 and neg.sum() < 0 and big.sum() > 0
    cases = [make_case(cf, "positive_branch", [("x", pos)]),
             make_case(cf, "negative_branch", [("x", neg)]),
             make_case(cf, "positive_branch_large", [("x", big)])]
    models["control_flow"] = model_entry(
        "control_flow.pt", "script", [("x", "FP32")], [("output_0", "FP32")], cases)

    # (e) INT64 input (embedding lookup), INT64 second output.
    torch.manual_seed(5)
    emb = save(torch.jit.script(Embed().eval()), out_dir, "embed_int64.pt")
    models["embed_int64"] = model_entry(
        "embed_int64.pt", "script", [("ids", "INT64")], [("output_0", "FP32"), ("output_1", "INT64")],
        [make_case(emb, "batch2", [("ids", torch.randint(0, 100, (2, 5), dtype=torch.int64))]),
         make_case(emb, "batch1", [("ids", torch.tensor([[0, 99, 7]], dtype=torch.int64))])])

    # A slow model for the graceful-stop test (references for a few steps only).
    torch.manual_seed(6)
    slow = save(torch.jit.script(Slow().eval()), out_dir, "slow.pt")
    models["slow"] = model_entry(
        "slow.pt", "script", [("x", "FP32"), ("steps", "INT64")], [("output_0", "FP32")],
        [make_case(slow, "steps3", [("x", torch.randn(4, 64)),
                                    ("steps", torch.tensor([3], dtype=torch.int64))])])

    # (f) files that are not TorchScript.
    with open(os.path.join(out_dir, "random.bin"), "wb") as f:
        f.write(random.Random(8).randbytes(4096))
    with open(os.path.join(out_dir, "not_a_model.txt"), "w") as f:
        f.write("this is a text file, not a TorchScript archive\n" * 20)
    # A real PyTorch zip archive that is not TorchScript (a pickled state_dict).
    torch.save(Mlp().state_dict(), os.path.join(out_dir, "state_dict.pt"))
    manifest["bad_files"] = ["random.bin", "not_a_model.txt", "state_dict.pt"]

    # Stress inputs: batch-1 cases, each with its own input, computed one by one.
    torch.manual_seed(7)
    mlp_mod = torch.jit.load(os.path.join(out_dir, "mlp.pt"))
    stress = {
        "mlp": [make_case(mlp_mod, "stress%d" % i, [("x", torch.randn(1, 784))])
                for i in range(STRESS_CASES)],
        "cnn": [make_case(cnn, "stress%d" % i, [("x", torch.rand(1, 1, 28, 28))])
                for i in range(STRESS_CASES)],
    }

    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f)
    with open(os.path.join(out_dir, "stress.json"), "w") as f:
        json.dump(stress, f)
    print("exported %d models to %s" % (len(models), out_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
