#!/usr/bin/python3
"""Exports the same PyTorch models as TorchScript and as ONNX for bench/onnx.

Run with Debian's interpreter (/usr/bin/python3, which has python3-torch and python3-onnx):

    /usr/bin/python3 bench/onnx/export_models.py OUT_DIR [--opset 17]

Writes, for each model NAME in (mlp, cnn, lstm, transformer):
  OUT_DIR/NAME.pt     torch.jit.trace of the eval-mode model (forward argument `x`)
  OUT_DIR/NAME.onnx   torch.onnx.export of the same module: input `x` and output `y`, both
                      with a dynamic batch axis (dim 0); constant folding on (the exporter
                      folds BatchNorm into the preceding Conv in eval mode)
  OUT_DIR/models.tsv  NAME<TAB>row shape (comma-separated, without the batch dim)<TAB>
                      parameters<TAB>ONNX nodes<TAB>ONNX op types (sorted, with counts)

Weights come from a fixed seed, so every run measures the same models. Each export is
checked with onnx.checker and, in Python, against the eager module at batch 3 (a batch size
the example did not use, so the dynamic axis is exercised).
"""
import argparse
import collections
import math
import os

import onnx
import torch
from torch import nn


class Mlp(nn.Module):
    """784-256-256-10 with ReLU."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                                 nn.Linear(256, 10))

    def forward(self, x):
        return self.net(x)


class Cnn(nn.Module):
    """1x28x28 -> (conv-bn-relu-pool) x 2 -> linear 10."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Linear(32 * 7 * 7, 10)

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


class LstmClassifier(nn.Module):
    """[batch, 32 steps, 64 features] -> one LSTM layer (hidden 128) -> linear 10 on the
    last hidden state."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(input_size=64, hidden_size=128, batch_first=True)
        self.head = nn.Linear(128, 10)

    def forward(self, x):
        _, (h, _) = self.lstm(x)
        return self.head(h[-1])


class EncoderLayer(nn.Module):
    """Pre-norm transformer encoder layer written out (self-attention with 4 heads,
    LayerNorm, GELU feed-forward), so that both formats see the same arithmetic rather than
    nn.TransformerEncoderLayer's fused inference path, which the ONNX exporter cannot use."""

    def __init__(self, dim=64, heads=4, ff=256):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        self.ff1 = nn.Linear(dim, ff)
        self.ff2 = nn.Linear(ff, dim)
        self.act = nn.GELU()

    def forward(self, x):
        b, s, d = x.shape
        h = self.heads
        q, k, v = self.qkv(self.norm1(x)).chunk(3, dim=-1)
        q = q.reshape(b, s, h, d // h).transpose(1, 2)
        k = k.reshape(b, s, h, d // h).transpose(1, 2)
        v = v.reshape(b, s, h, d // h).transpose(1, 2)
        attention = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(d // h), dim=-1)
        context = (attention @ v).transpose(1, 2).reshape(b, s, d)
        x = x + self.proj(context)
        return x + self.ff2(self.act(self.ff1(self.norm2(x))))


class Transformer(nn.Module):
    """[batch, 32 tokens, 64] -> 2 encoder layers -> final LayerNorm -> mean over tokens ->
    linear 10."""

    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([EncoderLayer(), EncoderLayer()])
        self.norm = nn.LayerNorm(64)
        self.head = nn.Linear(64, 10)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return self.head(self.norm(x).mean(dim=1))


# name -> (constructor, shape of one row)
MODELS = {
    "mlp": (Mlp, [784]),
    "cnn": (Cnn, [1, 28, 28]),
    "lstm": (LstmClassifier, [32, 64]),
    "transformer": (Transformer, [32, 64]),
}


def randomize_batchnorm(model):
    """Fresh BatchNorm layers are the identity; give them statistics so folding matters."""
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            with torch.no_grad():
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 1.5)
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.2, 0.2)


def export(name, build, row_shape, out, opset):
    model = build().eval()
    randomize_batchnorm(model)
    example = torch.rand([2] + row_shape)
    with torch.no_grad():
        traced = torch.jit.trace(model, example)
    traced.save(os.path.join(out, name + ".pt"))
    onnx_path = os.path.join(out, name + ".onnx")
    with torch.no_grad():
        torch.onnx.export(model, (example,), onnx_path, opset_version=opset,
                          input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}},
                          do_constant_folding=True)
    proto = onnx.load(onnx_path)
    onnx.checker.check_model(proto)
    # The traced module must agree with the eager one at another batch size.
    check = torch.rand([3] + row_shape)
    with torch.no_grad():
        diff = (torch.jit.load(os.path.join(out, name + ".pt"))(check) - model(check)).abs().max()
    if diff > 1e-4:
        raise SystemExit(f"{name}: traced module differs from eager by {diff}")
    ops = collections.Counter(node.op_type for node in proto.graph.node)
    params = sum(p.numel() for p in model.parameters())
    op_text = " ".join(f"{op}:{count}" for op, count in sorted(ops.items()))
    return f"{name}\t{','.join(map(str, row_shape))}\t{params}\t{len(proto.graph.node)}\t{op_text}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out")
    parser.add_argument("--opset", type=int, default=17, choices=range(13, 18))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(1234)
    rows = [export(name, build, shape, args.out, args.opset)
            for name, (build, shape) in MODELS.items()]
    with open(os.path.join(args.out, "models.tsv"), "w") as f:
        f.write("\n".join(rows) + "\n")
    for row in rows:
        print(row)


if __name__ == "__main__":
    main()
