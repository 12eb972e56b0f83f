"""The Python peer of the training benchmark: a plain PyTorch training loop, as a user writes it.

    /usr/bin/python3 bench/training/peer_torch.py --model mlp --threads 1 --rows 1257 \
        --epochs 20 --batch-size 32 --lr 0.001 --seed 7 [--loader slice|dataloader]

Same data as the aiaas job (sklearn's digits, /usr/lib/python3/dist-packages/sklearn/datasets/
data/digits.csv.gz), same model as aiaas builds from the job spec (see MODELS below), Adam,
cross-entropy, the same batch size, epochs and `torch.set_num_threads`. `--rows` is the size
of aiaas's train split, so both sides do the same number of steps per epoch.

The loop per epoch: `model.train()`, a shuffle, then per batch `zero_grad`, forward, loss,
`backward`, `step` and `loss.item()` for the running epoch loss (aiaas reads every batch's
loss too, to stop on NaN). Two ways of batching:
  slice       (default) `perm = torch.randperm(n)`, `x[perm[i:i + b]]`: tensor indexing,
              no DataLoader; the faster of the two, so the baseline the ratio is taken on;
  dataloader  `DataLoader(TensorDataset(x, y), batch_size=b, shuffle=True)`, the tutorial way.

What is timed, per epoch, with time.perf_counter(): from the shuffle to the end of the last
optimizer step (the same span aiaas's `train_seconds` covers). Data loading, preprocessing,
model construction and evaluation are outside. Prints one JSON object on stdout:
{"model", "threads", "loader", "rows", "batch_size", "epochs": [{"epoch", "train_seconds",
"samples_per_s", "train_loss"}, ...]}.
"""

import argparse
import gzip
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

DIGITS = "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz"


def mlp(hidden=(128, 64), classes=10):
    """aiaas `{"architecture": "mlp", "hidden": [128, 64]}` on 64 features: dense+relu per
    hidden width, then the output dense layer the task appends."""
    layers, width = [], 64
    for units in hidden:
        layers += [nn.Linear(width, units), nn.ReLU()]
        width = units
    layers.append(nn.Linear(width, classes))
    return nn.Sequential(*layers)


def cnn(filters=(32, 64), dense=(64,), kernel=3, pool=2, classes=10):
    """aiaas `{"architecture": "cnn", "filters": [32, 64], "dense": [64]}` on 1x8x8
    (model_plan.cc ExpandArchitecture): per filter count a conv2d (kernel 3, "same" padding,
    stride 1) + relu and a maxpool2d (pool 2, stride 2); flatten; per dense width a dense +
    relu; then the output dense layer. aiaas pads explicitly (constant_pad_nd, then a conv
    without padding), which computes the same as Conv2d(padding=1) written here, as a user
    would write it."""
    layers, channels, side = [], 1, 8
    for f in filters:
        layers += [nn.Conv2d(channels, f, kernel, padding=kernel // 2), nn.ReLU(),
                   nn.MaxPool2d(pool, pool)]
        channels, side = f, side // pool
    layers.append(nn.Flatten())
    width = channels * side * side
    for units in dense:
        layers += [nn.Linear(width, units), nn.ReLU()]
        width = units
    layers.append(nn.Linear(width, classes))
    return nn.Sequential(*layers)


def load_digits(model, rows, seed):
    """(x, y) of `rows` digits rows, scaled as the aiaas spec says (mlp: standard, cnn:
    minmax and reshaped to 1x8x8)."""
    with gzip.open(DIGITS, "rt") as f:
        data = np.loadtxt(f, delimiter=",", dtype=np.float64)
    order = np.random.default_rng(seed).permutation(len(data))[:rows]
    x, y = data[order, :64], data[order, 64].astype(np.int64)
    if model == "mlp":
        std = x.std(axis=0)
        x = (x - x.mean(axis=0)) / np.where(std > 0, std, 1.0)
    else:
        lo, hi = x.min(axis=0), x.max(axis=0)
        x = (x - lo) / np.where(hi > lo, hi - lo, 1.0)
        x = x.reshape(-1, 1, 8, 8)
    return torch.from_numpy(x.astype(np.float32)), torch.from_numpy(y)


def train_epoch_slice(model, optimizer, x, y, batch_size):
    model.train()
    n = x.shape[0]
    perm = torch.randperm(n)
    total = 0.0
    for begin in range(0, n, batch_size):
        idx = perm[begin:begin + batch_size]
        xb, yb = x[idx], y[idx]
        optimizer.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(idx)
    return total / n


def train_epoch_loader(model, optimizer, loader, n):
    model.train()
    total = 0.0
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(yb)
    return total / n


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", choices=("mlp", "cnn"), required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rows", type=int, required=True)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=0.001)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--loader", choices=("slice", "dataloader"), default="slice")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    x, y = load_digits(args.model, args.rows, args.seed)
    model = mlp() if args.model == "mlp" else cnn()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    loader = None
    if args.loader == "dataloader":
        loader = DataLoader(TensorDataset(x, y), batch_size=args.batch_size, shuffle=True)

    epochs = []
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        if loader is None:
            loss = train_epoch_slice(model, optimizer, x, y, args.batch_size)
        else:
            loss = train_epoch_loader(model, optimizer, loader, len(y))
        seconds = time.perf_counter() - start
        epochs.append({"epoch": epoch, "train_seconds": seconds,
                       "samples_per_s": len(y) / seconds, "train_loss": loss})
    json.dump({"model": args.model, "threads": torch.get_num_threads(), "loader": args.loader,
               "rows": len(y), "batch_size": args.batch_size, "torch": torch.__version__,
               "epochs": epochs}, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
