#!/usr/bin/env python3
"""Time LeNet-5 training epochs on MNIST with PyTorch on the CPU.

The network is LeNet-5 in its usual PyTorch shape, the same as gotn's
lenet5-torch architecture (gtn mnist bench --arch lenet5-torch):

    32x32 input -> conv 6@5x5, tanh -> 2x2 average pooling
                -> conv 16@5x5 (all maps), tanh -> 2x2 average pooling
                -> linear 400->120, tanh -> linear 120->84, tanh
                -> linear 84->10 -> cross-entropy

trained with SGD (momentum 0.9, rate 0.01) on the 60,000 training digits in
shuffled batches. The digits are padded to 32x32 and scaled to LeNet's levels
(background -0.1, ink 1.175) once, before timing; an epoch is the loop over
the batches (indexing, forward, loss, backward, optimizer step), as gotn's
bench times it. Prints the fastest epoch, as JSON with --json.

Needs only PyTorch (Debian: apt-get install python3-torch); no numpy.
"""

import argparse
import gzip
import json
import os
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(path):
    """Returns (dims, bytes) of an IDX file, gzip-compressed or not."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, kind, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or kind != 0x08:
        sys.exit(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * ndim, data[4 : 4 + 4 * ndim])
    return dims, data[4 + 4 * ndim :]


def find(directory, name):
    for candidate in (name + ".gz", name):
        path = os.path.join(directory, candidate)
        if os.path.exists(path):
            return path
    sys.exit(f"no {name} or {name}.gz in {directory}")


def load_train(directory, limit):
    dims, pixels = read_idx(find(directory, "train-images-idx3-ubyte"))
    _, labels = read_idx(find(directory, "train-labels-idx1-ubyte"))
    n, rows, cols = dims
    x = torch.frombuffer(bytearray(pixels), dtype=torch.uint8).view(n, 1, rows, cols)
    y = torch.frombuffer(bytearray(labels), dtype=torch.uint8).long()
    if limit:
        x, y = x[:limit], y[:limit]
    x = x.float() * ((1.175 + 0.1) / 255) - 0.1
    x = F.pad(x, (2, 2, 2, 2), value=-0.1)  # 28x28 -> 32x32
    return x.contiguous(), y


def lenet5(classes=10):
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2),
        nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.Tanh(),
        nn.Linear(120, 84), nn.Tanh(),
        nn.Linear(84, classes),
    )


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, help="directory of the MNIST files")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=2, help="epochs to time (the fastest is reported)")
    ap.add_argument("--limit", type=int, default=0, help="use only the first N training images")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    x, y = load_train(args.data, args.limit)
    n = len(y)
    model = lenet5()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    best, loss_sum = float("inf"), 0.0
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        order = torch.randperm(n)
        loss_sum = 0.0
        for lo in range(0, n, args.batch):
            idx = order[lo : lo + args.batch]
            opt.zero_grad()
            loss = F.cross_entropy(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(idx)
        sec = time.perf_counter() - start
        best = min(best, sec)
        if not args.json:
            print(f"epoch {epoch}: {sec:.2f} s ({n / sec:,.0f} img/s), loss {loss_sum / n:.4g}")
    result = {
        "framework": f"pytorch {torch.__version__}",
        "batch": args.batch,
        "threads": torch.get_num_threads(),
        "images": n,
        "epochs": args.epochs,
        "seconds_per_epoch": round(best, 3),
        "images_per_second": round(n / best),
        "loss": loss_sum / n,
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"pytorch {torch.__version__}, batch {args.batch}, {result['threads']} threads: "
              f"{best:.2f} s per {n:,}-image epoch ({n / best:,.0f} img/s)")


if __name__ == "__main__":
    main()
