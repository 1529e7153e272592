"""Speed of the explanation methods against the references, on the same models and inputs.

Usage::

    OMP_NUM_THREADS=1 nice .venv/bin/python benchmarks/bench_explain.py          # everything
    OMP_NUM_THREADS=1 nice .venv/bin/python benchmarks/bench_explain.py --only saliency --n 2048
    OMP_NUM_THREADS=1 nice .venv/bin/python benchmarks/bench_explain.py --only temporal --threads 2
    OMP_NUM_THREADS=1 nice .venv/bin/python benchmarks/bench_explain.py --only optimize --steps 200

Models: the three architectures at the paper's sizes (``build_model(arch)``, seed 0; speed does
not depend on training), random one-hot inputs of ``--length`` bp, on the CPU. Every
configuration runs ``--rounds`` times, interleaved with the others, and its best time counts
(the machine is shared). Two ratios per comparison (reference time / ours):

* **fair**: both sides with ``--threads`` torch threads (``torch.set_num_threads``; deepmotif
  spreads batches over that many single-threaded workers, the references use that many OpenMP
  threads), float32, each at its best batch size among those tried, results checked equal (the
  largest absolute difference from ours at its default is printed);
* **as called**: both sides with their defaults (torch's default thread count, which is
  ``OMP_NUM_THREADS`` when set).

Comparisons:

* **saliency** (``--n`` sequences): ``deepmotif.explain.saliency`` (one backward pass gives all
  four maps) vs Captum's ``Saliency(abs=False)`` (our ``gradient``) and ``InputXGradient`` (our
  ``grad_x_input``), Captum fed in batches of several sizes; "as called" is Captum's one
  ``attribute`` call on all sequences with its default ``abs=True`` (our ``|gradient|``). Also
  tangermeme's ``saliency`` (gradient-corrected input x gradient, our ``corrected``), as called
  at its default batch of 32. The forward pass alone (no gradient, batch 256) is printed as a floor.
* **temporal** (``--temporal-n`` sequences): ``deepmotif.explain.temporal_scores`` vs the naive
  loop written batched: one model call per prefix and per suffix (``2 * length`` calls), each
  over a batch of sequences, inputs built once (the recurrent models' features computed once, as
  the paper's loop does; the CNN's masked copies). The paper's loop, one sequence at a time, is
  timed on ``--naive-n`` sequences and extrapolated, for reference only (not a fair baseline).
  The arithmetic limit of the speed-up is printed: for the recurrent models a BiLSTM over every
  prefix and suffix costs ``2 L (L + 1)`` cell updates in the loop, each with its input
  projection; ours still needs the ``L (L + 1)`` recurrent updates of the restarted directions
  (each prefix's backward run starts afresh at its end, each suffix's forward run too) but
  projects every input once, so the limit is ~2.2x for the RNN (4 inputs) and ~9x for the
  CNN-RNN (128 inputs); the CNN's masked analogue needs the same ``2 L`` full forward passes
  either way (limit 1x, batching only).
* **optimize** (seconds, ``--steps`` steps, 16 restarts): all restarts as one call vs one
  restart at a time (16 calls), both at ``--threads``.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings

import numpy as np
import torch

from bench_attributions import best_times  # same folder: the scripts run from benchmarks/

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


def report(times, results, refs, ours, theirs, as_called, n) -> dict:
    """One line per configuration (``refs[name]``: the array its result is compared with), the
    fair ratio (best of ``theirs`` over best of ``ours``) and the as-called one; returns the
    fair ratios by label."""
    for name in times:
        res = results[name]
        diff = "" if refs.get(name) is None else f"max |diff| {np.abs(res - refs[name]).max():.2e}"
        print(f"  {name:<50s} {times[name]:8.3f} s {n / times[name]:9.1f} seq/s  {diff}")
    best_ours = min(ours, key=times.get)
    fair = {}
    for label, group in theirs.items():
        best = min(group, key=times.get)
        fair[label] = times[best] / times[best_ours]
        print(f"  fair ratio {label}: {fair[label]:.2f}x  ({best_ours} vs {best})")
    for o, t in as_called:
        print(f"  as-called ratio: {times[t] / times[o]:.2f}x  ({o} vs {t})")
    return fair


class _TwoD(torch.nn.Module):
    """The model's logit as an (n, 1) output, the shape tangermeme expects."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, x):
        return self.m(x).unsqueeze(-1)


def saliency_arch(arch: str, X: torch.Tensor, args) -> None:
    from captum.attr import InputXGradient, Saliency
    from tangermeme.saliency import saliency as tangermeme_saliency

    from deepmotif.explain import saliency
    from deepmotif.models import build_model

    n, k, k0 = len(X), args.threads, args.default_threads
    torch.manual_seed(0)
    model = build_model(arch).eval()
    sal, ixg = Saliency(model), InputXGradient(model)

    def forward():
        with torch.no_grad(), threads(k):
            return np.concatenate([model(X[i : i + 256]).numpy() for i in range(0, n, 256)])

    def ours(bs, t=k, what="gradient"):
        def run():
            with threads(t):
                return getattr(saliency(model, X, batch_size=bs), what)

        return run

    def captum(method, bs, t=k, **kw):
        def run():
            with threads(t):
                return np.concatenate(
                    [
                        method.attribute(X[i : i + bs].clone().requires_grad_(), **kw)
                        .detach()
                        .numpy()
                        for i in range(0, n, bs)
                    ]
                )

        return run

    wrapped = _TwoD(model).eval()  # tangermeme restores the wrapper's mode, so it must be eval

    def tangermeme(bs, t=k):
        def run():
            with threads(t):
                return tangermeme_saliency(wrapped, X, batch_size=bs, device="cpu").numpy()

        return run

    configs = {"forward only (no grad), batch 256": forward}
    for bs in args.sal_batch_sizes:
        configs[f"ours batch {bs}"] = ours(bs)
    configs["ours default"] = ours(None)
    for bs in args.captum_batch_sizes:
        configs[f"captum Saliency batch {bs}"] = captum(sal, bs, abs=False)
    for bs in args.captum_batch_sizes:
        configs[f"captum InputXGradient batch {bs}"] = captum(ixg, bs)
    for bs in args.captum_batch_sizes:
        configs[f"tangermeme saliency batch {bs}"] = tangermeme(bs)
    configs["ours default, as called (|gradient|)"] = ours(None, None, "saliency")
    configs["captum Saliency as called (one call, abs=True)"] = captum(sal, n, None)
    configs["ours default, as called (corrected)"] = ours(None, None, "corrected")
    configs["tangermeme saliency as called (batch 32)"] = tangermeme(32, None)
    times, results = best_times(configs, args.rounds)
    ref = results["ours default"]
    x = X.numpy()
    refs = {name: ref for name in configs if name.startswith(("ours batch", "ours default", "captum Saliency batch"))}  # fmt: skip
    refs.update({name: ref * x for name in configs if "InputXGradient" in name})
    refs["ours default, as called (|gradient|)"] = np.abs(ref) * x
    refs["captum Saliency as called (one call, abs=True)"] = np.abs(ref)
    corrected = (ref - ref.mean(1, keepdims=True)) * x  # tangermeme's gradient correction
    refs.update(
        {name: corrected for name in configs if "corrected" in name or "tangermeme" in name}
    )
    print(f"\n## saliency, {arch}: {n} sequences x {X.shape[-1]} bp, fair rows at {k} thread(s)")
    print("  (ours: one backward pass per batch gives the gradient and all three input-weighted")
    print("  maps; the as-called rows compare ours' |gradient| x input with Captum's |gradient|,")
    print("  each differing from the other only where the input is 0)")
    report(
        times,
        results,
        refs,
        [c for c in configs if c.startswith("ours batch") or c == "ours default"],
        {
            "vs Saliency": [c for c in configs if c.startswith("captum Saliency batch")],
            "vs InputXGradient": [c for c in configs if c.startswith("captum InputXGradient")],
            "vs tangermeme": [c for c in configs if c.startswith("tangermeme saliency batch")],
        },
        [
            (
                "ours default, as called (|gradient|)",
                "captum Saliency as called (one call, abs=True)",
            ),
            ("ours default, as called (corrected)", "tangermeme saliency as called (batch 32)"),
        ],
        n,
    )
    print(f"  as-called threads: {k0} each (torch's default)")


def bench_saliency(args) -> None:
    X = onehot(args.n, args.length)
    for arch in args.archs:
        saliency_arch(arch, X, args)


def naive_batched(model, X: torch.Tensor, bs: int) -> np.ndarray:
    """The naive loop batched: ``2 * length`` model calls per batch of ``bs`` sequences.

    Returns ``(2, n, length)`` probabilities (prefix ending at t, suffix starting at t)."""
    n, _, L = X.shape
    out = np.empty((2, n, L), dtype=np.float32)
    with torch.no_grad():
        for i in range(0, n, bs):
            x = X[i : i + bs]
            if model.is_recurrent:
                F = model.trunk.features(x)  # the convolution sees the whole sequence
                for t in range(L):
                    pre = model.head(model.trunk.pool_recurrent(F[:, :, : t + 1]))
                    suf = model.head(model.trunk.pool_recurrent(F[:, :, t:]))
                    out[0, i : i + bs, t] = torch.sigmoid(pre).numpy()
                    out[1, i : i + bs, t] = torch.sigmoid(suf).numpy()
            else:
                pos = torch.arange(L)
                for t in range(L):
                    out[0, i : i + bs, t] = torch.sigmoid(model(x * (pos <= t))).numpy()
                    out[1, i : i + bs, t] = torch.sigmoid(model(x * (pos >= t))).numpy()
    return out


def naive_one_at_a_time(model, X: torch.Tensor) -> np.ndarray:
    """The paper's loop: one model call per prefix and per suffix, one sequence at a time."""
    return np.concatenate([naive_batched(model, X[i : i + 1], 1) for i in range(len(X))], axis=1)


def temporal_limit(model, L: int) -> tuple[str, float]:
    """The arithmetic limit of the temporal scores' speed-up over the batched naive loop."""
    if not model.is_recurrent:
        return f"2L = {2 * L} full forward passes per sequence either way: limit 1x", 1.0
    lstm = model.trunk.lstm
    hh, ih = 4 * lstm.hidden_size**2, 4 * lstm.hidden_size * lstm.input_size  # per cell update
    loop = 2 * L * (L + 1) * (hh + ih)
    ours = L * (L + 1) * hh + 2 * L * (hh + ih)
    return (
        f"LSTM multiply-adds per sequence (hidden {lstm.hidden_size}, input {lstm.input_size}): "
        f"the loop runs 2L(L+1) = {2 * L * (L + 1)} cell updates, each with its input "
        f"projection, = {loop / 1e6:.1f} M; ours needs the L(L+1) = {L * (L + 1)} updates of the "
        f"restarted directions (each prefix's backward run restarts at its end, each suffix's "
        f"forward run too) but projects the inputs once, = {ours / 1e6:.1f} M: limit "
        f"{loop / ours:.2f}x"
    ), loop / ours


def temporal_arch(arch: str, X: torch.Tensor, args) -> None:
    from deepmotif.explain import temporal_scores
    from deepmotif.models import build_model

    n, L, k, k0 = len(X), X.shape[-1], args.threads, args.default_threads
    torch.manual_seed(0)
    model = build_model(arch).eval()

    def ours(bs, t=k):
        def run():
            with threads(t):
                r = temporal_scores(model, X, batch_size=bs, device="cpu")
            return np.stack([r.forward, r.backward])

        return run

    def naive(bs, t=k):
        def run():
            with threads(t):
                return naive_batched(model, X, bs)

        return run

    configs = {f"ours batch {bs}": ours(bs) for bs in args.temporal_batch_sizes}
    configs["ours default"] = ours(None)
    for bs in args.naive_batch_sizes:
        configs[f"naive loop batched, batch {min(bs, n)}"] = naive(min(bs, n))
    configs["ours default, as called"] = ours(None, None)
    configs[f"naive loop batched as called (batch {n})"] = naive(n, None)
    times, results = best_times(configs, args.rounds)
    ref = results["ours default"]
    print(
        f"\n## temporal scores, {arch}: {n} sequences x {L} bp "
        f"(2 x {L} probabilities each), fair rows at {k} thread(s)"
    )
    text, limit = temporal_limit(model, L)
    print(f"  arithmetic: {text}")
    fair = report(
        times,
        results,
        {name: ref for name in configs},
        [c for c in configs if c.startswith("ours batch") or c == "ours default"],
        {"vs naive batched": [c for c in configs if c.startswith("naive loop batched, ")]},
        [("ours default, as called", f"naive loop batched as called (batch {n})")],
        n,
    )
    print(f"  as-called threads: {k0} each (torch's default)")
    if fair["vs naive batched"] > 1.1 * limit:
        print(
            "  (fair ratio above the arithmetic limit: the loop's batches are too small to "
            "amortise its per-call overhead; time more sequences)"
        )
    sub = X[: args.naive_n]
    with threads(k):
        t0 = time.perf_counter()
        one = naive_one_at_a_time(model, sub)
        per_seq = (time.perf_counter() - t0) / len(sub)
    diff = np.abs(one - ref[:, : len(sub)]).max()
    print(
        f"  reference only: the paper's loop one sequence at a time, {1 / per_seq:.2f} seq/s "
        f"(timed on {len(sub)}, max |diff| {diff:.2e}): {per_seq * n / times['ours default']:.0f}x "
        "slower than ours (not a fair baseline: unbatched)"
    )


def bench_temporal(args) -> None:
    X = onehot(args.temporal_n, args.length, seed=1)
    for arch in args.archs:
        temporal_arch(arch, X, args)


def bench_optimize(args) -> None:
    from deepmotif.explain import class_optimization
    from deepmotif.models import build_model

    print(
        f"\n## class optimization: 16 restarts x {args.steps} steps, {args.threads} thread(s), "
        f"best of {args.rounds} rounds after a warm-up (one call vs 16 calls of our own function)"
    )
    for arch in args.archs:
        torch.manual_seed(0)
        model = build_model(arch).eval()
        kw = dict(length=args.length, steps=args.steps, device="cpu")
        with threads(args.threads):
            class_optimization(model, n_restarts=2, **{**kw, "steps": 1})  # warm-up
            times, _ = best_times(
                {
                    "batched": lambda m=model, kw=kw: class_optimization(
                        m, n_restarts=16, random_state=0, **kw
                    ),
                    "sequential": lambda m=model, kw=kw: [
                        class_optimization(m, n_restarts=1, random_state=r, **kw) for r in range(16)
                    ],
                },
                args.rounds,
            )
        batched, sequential = times["batched"], times["sequential"]
        print(
            f"  {arch:<8s} all 16 in one call {batched:7.2f} s, one at a time {sequential:7.2f} s: "
            f"{sequential / batched:.1f}x"
        )


def _sizes(text: str) -> list[int]:
    return [int(v) for v in text.split(",") if v]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", default="saliency,temporal,optimize")
    ap.add_argument("--archs", default=",".join(ARCHS))
    ap.add_argument("--n", type=int, default=1024, help="saliency: sequences (default %(default)s)")
    ap.add_argument("--length", type=int, default=101)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1, help="fair rows (default %(default)s)")
    ap.add_argument("--sal-batch-sizes", type=_sizes, default=[32, 128, 512])
    ap.add_argument("--captum-batch-sizes", type=_sizes, default=[32, 128, 512])
    ap.add_argument("--temporal-n", type=int, default=256)
    ap.add_argument("--temporal-batch-sizes", type=_sizes, default=[4, 64])
    ap.add_argument("--naive-batch-sizes", type=_sizes, default=[64, 256])
    ap.add_argument("--naive-n", type=int, default=2, help="sequences for the unbatched loop")
    ap.add_argument("--steps", type=int, default=200)
    args = ap.parse_args(argv)
    args.archs = [a for a in args.archs.split(",") if a]
    args.default_threads = torch.get_num_threads()
    warnings.filterwarnings("ignore")
    load = " ".join(f"{v:.1f}" for v in os.getloadavg())
    print(
        f"# explanation speed: torch {torch.__version__}, "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cpus, torch default "
        f"threads {args.default_threads} (OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}), "
        f"fair rows at {args.threads} thread(s), float32, CPU, best of {args.rounds} interleaved "
        f"rounds, load average {load}"
    )
    only = args.only.split(",")
    if "saliency" in only:
        bench_saliency(args)
    if "temporal" in only:
        bench_temporal(args)
    if "optimize" in only:
        bench_optimize(args)
    print(f"\n# load average after: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
