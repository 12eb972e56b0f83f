#!/usr/bin/python3
"""Exports the serving benchmark's TorchScript models and their request bodies.

Run with Debian's interpreter (/usr/bin/python3, which has python3-torch):

    /usr/bin/python3 bench/serving/export_models.py OUT_DIR

Writes, for each model NAME in (mlp, cnn, wide):
  OUT_DIR/NAME.pt            torch.jit.trace of the eval-mode model (batch 1 example)
  OUT_DIR/NAME.body.json     KServe v2 JSON request at batch 1
  OUT_DIR/NAME.expect.json   the output of that request computed here (for correctness checks)
  OUT_DIR/models.json        name -> {path, row_shape, params, flops_per_row}

Weights and inputs come from a fixed seed, so every run serves the same numbers.
"""
import json
import os
import sys

import torch
from torch import nn


def mlp():
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                         nn.Linear(512, 10))


def cnn():
    return nn.Sequential(
        nn.Conv2d(1, 16, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # 16x14x14
        nn.Conv2d(16, 32, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 32x7x7
        nn.Flatten(), nn.Linear(32 * 7 * 7, 10))


def wide():
    return nn.Sequential(nn.Linear(4096, 4096), nn.ReLU(), nn.Linear(4096, 4096), nn.ReLU(),
                         nn.Linear(4096, 10))


# name -> (constructor, shape of one row, multiply-accumulates per row)
MODELS = {
    "mlp": (mlp, [784], 784 * 512 + 512 * 512 + 512 * 10),
    "cnn": (cnn, [1, 28, 28], 28 * 28 * 16 * 9 + 14 * 14 * 32 * 16 * 9 + 32 * 7 * 7 * 10),
    "wide": (wide, [4096], 4096 * 4096 * 2 + 4096 * 10),
}


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: export_models.py OUT_DIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(1234)
    index = {}
    for name, (build, row_shape, macs) in MODELS.items():
        model = build().eval()
        example = torch.rand([1] + row_shape)
        with torch.no_grad():
            traced = torch.jit.trace(model, example)
        path = os.path.join(out, name + ".pt")
        traced.save(path)
        # Six significant digits keep the body small and parse back to the same float32s
        # (to within 1e-6) on every server.
        data = [float("%.6g" % v) for v in example.flatten().tolist()]
        example = torch.tensor(data, dtype=torch.float32).reshape([1] + row_shape)
        with torch.no_grad():
            expected = traced(example)
        body = {"inputs": [{"name": "input", "shape": [1] + row_shape, "datatype": "FP32",
                            "data": data}]}
        with open(os.path.join(out, name + ".body.json"), "w") as f:
            json.dump(body, f, separators=(",", ":"))
        with open(os.path.join(out, name + ".expect.json"), "w") as f:
            json.dump({"shape": list(expected.shape), "data": expected.flatten().tolist()}, f)
        index[name] = {
            "path": path,
            "row_shape": row_shape,
            "params": sum(p.numel() for p in model.parameters()),
            "file_bytes": os.path.getsize(path),
            "flops_per_row": 2 * macs,
        }
    with open(os.path.join(out, "models.json"), "w") as f:
        json.dump(index, f, indent=1)
    for name, info in index.items():
        print("exported %-4s params=%d file=%d bytes" % (name, info["params"], info["file_bytes"]))


if __name__ == "__main__":
    main()
