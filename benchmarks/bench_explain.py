"""Speed of the explanation methods against the references, on the same models and inputs.

Usage::

    .venv/bin/python benchmarks/bench_explain.py                       # everything
    .venv/bin/python benchmarks/bench_explain.py --only saliency --n 2048
    .venv/bin/python benchmarks/bench_explain.py --only temporal --naive-n 3
    .venv/bin/python benchmarks/bench_explain.py --only optimize --steps 200

Models: the three architectures at the paper's sizes (``build_model(arch)``; speed does not
depend on training), random one-hot inputs of 101 bp.

* **saliency** (sequences/s, ``--n`` sequences): ``deepmotif.explain.saliency`` (default
  settings) beside Captum's ``Saliency`` and tangermeme's ``saliency`` (batch 64 and 256) and
  beside the forward pass alone (no gradient, batch 256). The references run with torch's
  default threads and, as a second row, with ``torch.set_num_threads(1)`` (ours works in
  single-threaded batch workers, so this row isolates the thread policy from the rest). Every
  method runs ``--rounds`` times, interleaved, and the best time counts (the machine is shared).
* **temporal** (sequences/s, ``--temporal-n`` x 101 bp): the batched scores vs the naive loop
  (one model call per prefix and per suffix, batch of 1, as in the paper), timed on
  ``--naive-n`` sequences and extrapolated, with default threads and with one thread.
* **optimize** (seconds, ``--steps`` steps, 16 restarts): all restarts as one call vs one
  restart at a time (16 calls).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import warnings

import numpy as np
import torch

ARCHS = ("cnn", "rnn", "cnn-rnn")


def onehot(n: int, length: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    idx = torch.randint(0, 4, (n, length), generator=g)
    return torch.nn.functional.one_hot(idx, 4).permute(0, 2, 1).float().contiguous()


class threads:
    """Context manager: torch intra-op threads set to ``k`` (None = unchanged)."""

    def __init__(self, k):
        self.k = k

    def __enter__(self):
        self.before = torch.get_num_threads()
        if self.k:
            torch.set_num_threads(self.k)

    def __exit__(self, *exc):
        torch.set_num_threads(self.before)


def best_of(fns: dict, rounds: int) -> dict:
    """Best wall time of each zero-argument function over interleaved rounds."""
    best = {k: float("inf") for k in fns}
    for _ in range(rounds):
        for k, f in fns.items():
            t0 = time.perf_counter()
            f()
            best[k] = min(best[k], time.perf_counter() - t0)
    return best


class _TwoD(torch.nn.Module):
    """tangermeme wants (n, targets) outputs."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, x):
        return self.m(x).unsqueeze(-1)


def saliency_row(arch: str, X: torch.Tensor, rounds: int) -> dict:
    """Sequences per second of every method on one architecture."""
    from captum.attr import Saliency
    from tangermeme.saliency import saliency as tangermeme_saliency

    from deepmotif.explain import saliency
    from deepmotif.models import build_model

    n = len(X)
    torch.manual_seed(0)
    model = build_model(arch).eval()
    sal = Saliency(model)
    wrapped = _TwoD(model)
    # agreement first: our gradient equals Captum's
    ref = sal.attribute(X[:64].clone().requires_grad_(), abs=False).detach().numpy()
    ours = saliency(model, X[:64]).gradient
    max_rel = float(np.abs(ours - ref).max() / np.abs(ref).max())

    def forward(k=None):
        def run():
            with torch.no_grad(), threads(k):
                for i in range(0, n, 256):
                    model(X[i : i + 256])

        return run

    def captum(bs, k=None):
        def run():
            with threads(k):
                for i in range(0, n, bs):
                    sal.attribute(X[i : i + bs].clone().requires_grad_(), abs=False)

        return run

    def tangermeme(bs, k=None):
        def run():
            with threads(k):
                tangermeme_saliency(wrapped, X, batch_size=bs, device="cpu")

        return run

    fns = {
        "forward (no grad)": forward(),
        "forward (no grad), 1 thread": forward(1),
        "deepmotif saliency": lambda: saliency(model, X),
        "captum b64": captum(64),
        "captum b256": captum(256),
        "tangermeme b64": tangermeme(64),
        "tangermeme b256": tangermeme(256),
        "captum b64, 1 thread": captum(64, 1),
        "captum b256, 1 thread": captum(256, 1),
        "tangermeme b64, 1 thread": tangermeme(64, 1),
        "tangermeme b256, 1 thread": tangermeme(256, 1),
    }
    best = best_of(fns, rounds)
    rate = {k: n / v for k, v in best.items()}
    ours_rate = rate["deepmotif saliency"]
    ref_default = max(rate[k] for k in rate if k.startswith("captum") and "thread" not in k)
    ref_single = max(rate[k] for k in rate if k.startswith("captum") and "thread" in k)
    best_forward = max(rate["forward (no grad)"], rate["forward (no grad), 1 thread"])
    return {
        "arch": arch,
        "seq_per_s": {k: round(v) for k, v in rate.items()},
        "x_best_captum_default_threads": round(ours_rate / ref_default, 2),
        "x_best_captum_1_thread": round(ours_rate / ref_single, 2),
        "best_forward_over_saliency": round(best_forward / ours_rate, 2),
        "max_rel_diff_vs_captum": max_rel,
    }


def bench_saliency(args) -> list[dict]:
    X = onehot(args.n, args.length)
    rows = []
    for arch in ARCHS:
        row = saliency_row(arch, X, args.rounds)
        print(json.dumps(row), flush=True)
        rows.append(row)
    return rows


def naive_temporal(model, X) -> None:
    """The paper's loop: one model call per prefix and per suffix, one sequence at a time."""
    with torch.no_grad():
        for i in range(len(X)):
            x = X[i : i + 1]
            L = x.shape[-1]
            if model.is_recurrent:
                F = model.trunk.features(x)
                for t in range(L):
                    model.head(model.trunk.pool_recurrent(F[:, :, : t + 1]))
                    model.head(model.trunk.pool_recurrent(F[:, :, t:]))
            else:
                for t in range(L):
                    pre, suf = x.clone(), x.clone()
                    pre[:, :, t + 1 :] = 0
                    suf[:, :, :t] = 0
                    model(pre)
                    model(suf)


def bench_temporal(args) -> list[dict]:
    from deepmotif.explain import temporal_scores
    from deepmotif.models import build_model

    X = onehot(args.temporal_n, args.length, seed=1)
    rows = []
    for arch in ARCHS:
        torch.manual_seed(0)
        model = build_model(arch).eval()
        t0 = time.perf_counter()
        temporal_scores(model, X)
        batched = time.perf_counter() - t0
        naive = {}
        for label, k in (("default threads", None), ("1 thread", 1)):
            sub = X[: args.naive_n]
            with threads(k):
                t0 = time.perf_counter()
                naive_temporal(model, sub)
                naive[label] = (time.perf_counter() - t0) / len(sub)
        row = {
            "arch": arch,
            "n": len(X),
            "batched_s": round(batched, 2),
            "batched_seq_per_s": round(len(X) / batched, 1),
            "naive_seq_per_s": {k: round(1 / v, 2) for k, v in naive.items()},
            "naive_extrapolated_s": {k: round(v * len(X), 1) for k, v in naive.items()},
            "speedup_vs_fastest_naive": round(min(naive.values()) * len(X) / batched, 1),
            "naive_timed_on": args.naive_n,
        }
        print(json.dumps(row), flush=True)
        rows.append(row)
    return rows


def bench_optimize(args) -> list[dict]:
    from deepmotif.explain import class_optimization
    from deepmotif.models import build_model

    rows = []
    for arch in ARCHS:
        torch.manual_seed(0)
        model = build_model(arch).eval()
        kw = dict(length=args.length, steps=args.steps, device="cpu")
        t0 = time.perf_counter()
        class_optimization(model, n_restarts=16, random_state=0, **kw)
        batched = time.perf_counter() - t0
        t0 = time.perf_counter()
        for r in range(16):
            class_optimization(model, n_restarts=1, random_state=r, **kw)
        sequential = time.perf_counter() - t0
        row = {
            "arch": arch,
            "steps": args.steps,
            "batched_16_s": round(batched, 2),
            "one_at_a_time_16_s": round(sequential, 2),
            "speedup": round(sequential / batched, 1),
        }
        print(json.dumps(row), flush=True)
        rows.append(row)
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", default="saliency,temporal,optimize")
    ap.add_argument("--n", type=int, default=1024, help="saliency: sequences (default %(default)s)")
    ap.add_argument("--length", type=int, default=101)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--temporal-n", type=int, default=1000)
    ap.add_argument("--naive-n", type=int, default=5)
    ap.add_argument("--steps", type=int, default=200)
    args = ap.parse_args(argv)
    warnings.filterwarnings("ignore")
    print(
        json.dumps(
            {
                "torch": torch.__version__,
                "threads": torch.get_num_threads(),
                "cpus": os.cpu_count(),
                "machine": platform.processor() or platform.machine(),
                "load_average": os.getloadavg(),
            }
        ),
        flush=True,
    )
    only = args.only.split(",")
    if "saliency" in only:
        bench_saliency(args)
    if "temporal" in only:
        bench_temporal(args)
    if "optimize" in only:
        bench_optimize(args)
    print(json.dumps({"load_average_after": os.getloadavg()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
