"""Forward-pass throughput by batch size: where the ``predict`` batch sizes of
:data:`deepmotif.archs.BATCH_SIZES` come from.

Every forward-only task (evaluation, validation during training, the marginalisation of
``deepmotif dependencies``) runs the model over many sequences in batches; the result does not
depend on the batch size (tested), the speed does: a batch whose activations no longer fit in
the CPU's caches runs slower per sequence. This script times each architecture, built with the
package defaults (untrained: the speed of a forward pass does not depend on the weights), on
random one-hot sequences of 101 bp at each batch size, best of ``--rounds``.

Usage::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_batch_sizes.py
    OMP_NUM_THREADS=2 .venv/bin/python benchmarks/bench_batch_sizes.py --threads 2

Prints a Markdown table of sequences per second (the fastest per architecture in bold) and the
current default.
"""

from __future__ import annotations

import argparse
import time

import torch

from deepmotif.archs import ARCHS, default_batch_size
from deepmotif.benchmark import markdown_table
from deepmotif.models import build_model

SIZES = (32, 64, 128, 256, 512, 1024)


def throughput(model, X: torch.Tensor, batch_size: int, rounds: int) -> float:
    """Sequences per second of ``model`` over ``X`` in batches of ``batch_size`` (best round)."""
    best = float("inf")
    with torch.inference_mode():
        model(X[:batch_size])  # warm-up: allocations and kernel choice
        for _ in range(rounds):
            t0 = time.perf_counter()
            for s in range(0, len(X), batch_size):
                model(X[s : s + batch_size])
            best = min(best, time.perf_counter() - t0)
    return len(X) / best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=4096, help="sequences per round (default 4096)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--sizes", default=",".join(map(str, SIZES)))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    sizes = [int(s) for s in args.sizes.split(",")]
    X = torch.nn.functional.one_hot(torch.randint(0, 4, (args.n, 101)), 4).permute(0, 2, 1)
    X = X.float().contiguous()
    rows = []
    for arch in ARCHS:
        model = build_model(arch).eval()
        speeds = [throughput(model, X, bs, args.rounds) for bs in sizes]
        top = max(speeds)
        cells = [f"**{v:.0f}**" if v == top else f"{v:.0f}" for v in speeds]
        rows.append([arch, *cells, str(default_batch_size("predict", arch))])
    print(
        f"Forward passes, sequences per second, {args.threads} thread(s), {args.n} sequences of 101 bp:\n"
    )
    print("\n".join(markdown_table(["arch", *map(str, sizes), "default"], rows)))


if __name__ == "__main__":
    main()
