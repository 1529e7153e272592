"""Training throughput (sequences/s): a plain PyTorch loop vs deepmotif's training loop.

Both train the same architecture on the same one-hot data (batch 256, Adam) in one process,
alternating, so machine noise hits both alike. The plain loop is the textbook one: float32,
``DataLoader(TensorDataset(X, y), shuffle=True)``. deepmotif's loop is ``train_epoch`` with the
package defaults (bf16 autocast where the CPU runs it natively, except float32 for the RNN;
reverse-complement augmentation).

Usage::

    python benchmarks/bench_training.py [--n 8192] [--repeats 3] [--archs cnn,rnn,cnn-rnn]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from deepmotif._device import training_autocast
from deepmotif.models import build_model
from deepmotif.training.train import train_epoch


def random_one_hot(n, length, seed=0):
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, 4, size=(n, length))
    X = np.zeros((n, 4, length), dtype=np.int8)
    X[np.arange(n)[:, None], idx, np.arange(length)] = 1
    y = rng.integers(0, 2, size=n).astype(np.float32)
    return torch.from_numpy(X), torch.from_numpy(y)


def plain_epoch(model, opt, X, y, batch_size=256):
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(X.float(), y), batch_size=batch_size, shuffle=True
    )
    loss_fn = torch.nn.BCEWithLogitsLoss()
    model.train()
    for xb, yb in loader:
        loss = loss_fn(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()


def ours_epoch(model, opt, X, y, gen, cast, batch_size=256):
    train_epoch(model, opt, X, y, batch_size=batch_size, generator=gen, cast=cast)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=8192)
    ap.add_argument("--length", type=int, default=101)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--archs", default="cnn,rnn,cnn-rnn")
    args = ap.parse_args()
    X, y = random_one_hot(args.n, args.length)
    print(
        f"torch {torch.__version__}, threads {torch.get_num_threads()}, n={args.n} x {args.length} bp, "
        "batch 256"
    )
    print(
        f"{'arch':8s} {'autocast':>9s} {'plain seq/s':>12s} {'deepmotif seq/s':>16s} {'ratio':>6s}"
    )
    for arch in args.archs.split(","):
        # the package default for this architecture (float32 for the RNN)
        cast = training_autocast("auto", torch.device("cpu"), arch)
        torch.manual_seed(0)
        m_plain, m_ours = build_model(arch), build_model(arch)
        o_plain = torch.optim.Adam(m_plain.parameters(), 1e-3)
        o_ours = torch.optim.Adam(m_ours.parameters(), 1e-3)
        gen = torch.Generator().manual_seed(0)
        small = slice(0, 512)
        plain_epoch(m_plain, o_plain, X[small], y[small])  # warm-up
        ours_epoch(m_ours, o_ours, X[small], y[small], gen, cast)
        t_plain, t_ours = [], []
        for _ in range(args.repeats):
            t = time.perf_counter()
            plain_epoch(m_plain, o_plain, X, y)
            t_plain.append(time.perf_counter() - t)
            t = time.perf_counter()
            ours_epoch(m_ours, o_ours, X, y, gen, cast)
            t_ours.append(time.perf_counter() - t)
        sp, so = args.n / np.median(t_plain), args.n / np.median(t_ours)
        name = str(cast).replace("torch.", "") if cast else "fp32"
        print(f"{arch:8s} {name:>9s} {sp:12.0f} {so:16.0f} {so / sp:6.2f}", flush=True)


if __name__ == "__main__":
    main()
