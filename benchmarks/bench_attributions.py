"""Speed of ISM, integrated gradients and DeepLIFT-SHAP against tangermeme and Captum.

Usage::

    OMP_NUM_THREADS=1 nice .venv/bin/python benchmarks/bench_attributions.py
    OMP_NUM_THREADS=1 nice .venv/bin/python benchmarks/bench_attributions.py --only ism --ism-n 32

Models: the three architectures at the paper's sizes (``build_model(arch)``, seed 0; speed does
not depend on training); random one-hot inputs of ``--length`` bp. Both sides run with the same
number of torch threads (``torch.set_num_threads(--threads)``, default 1) in float32, on the CPU.
Every configuration runs ``--rounds`` times, interleaved with the others, and its best time
counts (the machine is shared). Two ratios per comparison:

* **fair**: each side at its best batch size among those tried, results checked identical
  (the largest absolute difference is printed);
* **as called**: both sides with their defaults.

Comparisons:

* **ism** (all three architectures): ``deepmotif.explain.ism.ism`` vs tangermeme's
  ``saturation_mutagenesis(..., raw_outputs=True)`` on the logit (a one-line wrapper returning
  ``(n, 1)``). tangermeme is tried with ``fast=False`` and with its own ``fast=True``
  (fastISM), which it only attempts for jobs that would take more than 30 s; the row
  ``fast=True (forced)`` lowers that threshold to 0 so fastISM is used at these sizes too.
* **integrated-gradients** (all three): ours vs Captum's ``IntegratedGradients`` (all-N
  baseline, 50 Gauss-Legendre steps), Captum at several ``internal_batch_size``.
* **deepliftshap** (CNN): ours vs tangermeme's ``deep_lift_shap`` on the same wrapper
  (:class:`deepmotif.explain.deepliftshap.DeepLiftCNN`) and the same 20 shuffled references
  per sequence; "as called" lets tangermeme draw its own (seeded) references at its default
  batch size of 32 pairs.
"""

from __future__ import annotations

import argparse
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


class Logit(torch.nn.Module):
    """The model's logit as an (n, 1) output, the shape tangermeme expects."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x)[:, None]


def best_times(configs: dict, rounds: int) -> tuple[dict, dict]:
    """Run every ``name -> fn`` ``rounds`` times interleaved; best time and last result each."""
    times = {k: float("inf") for k in configs}
    results = {}
    for _ in range(rounds):
        for name, fn in configs.items():
            t0 = time.perf_counter()
            results[name] = fn()
            times[name] = min(times[name], time.perf_counter() - t0)
    return times, results


def report(
    title: str,
    times: dict,
    results: dict,
    ours: list,
    theirs: list,
    ours_default: str,
    theirs_default: str,
    unit_n: int,
) -> None:
    print(f"\n## {title}")
    ref = results[ours_default]
    for name in times:
        diff = float(np.abs(np.asarray(results[name]) - ref).max())
        print(
            f"  {name:<48s} {times[name]:8.3f} s  {unit_n / times[name]:9.2f} seq/s  "
            f"max |diff| {diff:.2e}"
        )
    best_ours = min(ours, key=times.get)
    best_theirs = min(theirs, key=times.get)
    print(
        f"  fair ratio:      {times[best_theirs] / times[best_ours]:.2f}x  "
        f"({best_ours} vs {best_theirs})"
    )
    print(
        f"  as-called ratio: {times[theirs_default] / times[ours_default]:.2f}x  "
        f"({ours_default} vs {theirs_default})"
    )


def bench_ism(archs, n, length, rounds, batch_sizes, tm_batch_sizes):

    X = onehot(n, length, seed=1)
    for arch in archs:
        _ism_arch(arch, X, n, length, rounds, batch_sizes, tm_batch_sizes)


def _ism_arch(arch, X, n, length, rounds, batch_sizes, tm_batch_sizes):
    import tangermeme.saturation_mutagenesis as tsm

    from deepmotif.explain.ism import ism
    from deepmotif.models import build_model

    torch.manual_seed(0)
    model = build_model(arch).eval()
    wrapped = Logit(model)

    def ours(bs):
        return lambda: ism(model, X, batch_size=bs, device="cpu").delta

    def theirs(bs, fast, forced=False):
        def run():
            before = tsm._FAST_MIN_SECONDS
            if forced:
                tsm._FAST_MIN_SECONDS = 0.0
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    y0, y_hat = tsm.saturation_mutagenesis(
                        wrapped, X, batch_size=bs, raw_outputs=True, device="cpu", fast=fast
                    )
            finally:
                tsm._FAST_MIN_SECONDS = before
            return (y_hat[..., 0] - y0[:, None, None, 0]).numpy()

        return run

    configs = {f"ours batch {bs}": ours(bs) for bs in batch_sizes}
    configs["ours default"] = ours(None)
    for bs in tm_batch_sizes:
        configs[f"tangermeme batch {bs} fast=False"] = theirs(bs, False)
    # fastISM's capture (torch.export) costs seconds per call: tried at one batch size
    configs[f"tangermeme batch {tm_batch_sizes[0]} fast=True (forced)"] = theirs(
        tm_batch_sizes[0], True, True
    )
    configs["tangermeme default (batch 32, fast=True)"] = theirs(32, True)
    times, results = best_times(configs, rounds)
    ours_names = [k for k in configs if k.startswith("ours")]
    theirs_names = [k for k in configs if k.startswith("tangermeme")]
    report(
        f"ism, {arch}: {n} sequences x {length} bp",
        times,
        results,
        ours_names,
        theirs_names,
        "ours default",
        "tangermeme default (batch 32, fast=True)",
        n,
    )


def bench_ig(archs, n, length, rounds, batch_sizes, captum_batch_sizes, steps):

    X = onehot(n, length, seed=2)
    for arch in archs:
        _ig_arch(arch, X, n, length, rounds, batch_sizes, captum_batch_sizes, steps)


def _ig_arch(arch, X, n, length, rounds, batch_sizes, captum_batch_sizes, steps):
    from captum.attr import IntegratedGradients

    from deepmotif.explain.integrated_gradients import integrated_gradients
    from deepmotif.models import build_model

    torch.manual_seed(0)
    model = build_model(arch).eval()
    ig = IntegratedGradients(model)

    def ours(bs):
        return lambda: (
            integrated_gradients(model, X, steps=steps, batch_size=bs, device="cpu").attributions
        )

    def theirs(ibs):
        return lambda: (
            ig.attribute(X, baselines=torch.zeros_like(X), n_steps=steps, internal_batch_size=ibs)
            .detach()
            .numpy()
        )

    configs = {f"ours batch {bs}": ours(bs) for bs in batch_sizes}
    configs["ours default"] = ours(None)
    for ibs in captum_batch_sizes:
        configs[f"captum internal_batch_size {ibs}"] = theirs(ibs)
    configs["captum default (one pass over all points)"] = theirs(None)
    times, results = best_times(configs, rounds)
    report(
        f"integrated gradients, {arch}: {n} sequences x {length} bp, {steps} steps",
        times,
        results,
        [k for k in configs if k.startswith("ours")],
        [k for k in configs if k.startswith("captum")],
        "ours default",
        "captum default (one pass over all points)",
        n,
    )


def bench_dls(n, length, rounds, batch_sizes, tm_batch_sizes, n_shuffles):
    from tangermeme.deep_lift_shap import deep_lift_shap as tm_dls

    from deepmotif.explain._references import dinucleotide_shuffles
    from deepmotif.explain.deepliftshap import DeepLiftCNN, deep_lift_shap
    from deepmotif.models import build_model

    X = onehot(n, length, seed=3)
    torch.manual_seed(0)
    model = build_model("cnn").eval()
    wrapper = DeepLiftCNN(model, length)

    def ours(bs):
        return lambda: (
            deep_lift_shap(
                model, X, n_shuffles=n_shuffles, batch_size=bs, random_state=0, device="cpu"
            ).attributions
        )

    def theirs(bs, own=False):
        def run():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                # the same references, drawn inside the timed call as ours are
                if own:
                    kw = {"random_state": 0}
                else:
                    kw = {"references": dinucleotide_shuffles(X, n_shuffles, 0)}
                return tm_dls(
                    wrapper,
                    X,
                    hypothetical=True,
                    batch_size=bs,
                    device="cpu",
                    n_shuffles=n_shuffles,
                    **kw,
                ).numpy()

        return run

    configs = {f"ours batch {bs}": ours(bs) for bs in batch_sizes}
    configs["ours default"] = ours(None)
    for bs in tm_batch_sizes:
        configs[f"tangermeme batch {bs} pairs"] = theirs(bs)
    configs["tangermeme default (batch 32, own references)"] = theirs(32, own=True)
    times, results = best_times(configs, rounds)
    print("  (the 'own references' row draws other shuffles, so its difference is not 0)")
    report(
        f"deepliftshap, cnn: {n} sequences x {length} bp, {n_shuffles} references",
        times,
        results,
        [k for k in configs if k.startswith("ours")],
        [k for k in configs if k.startswith("tangermeme batch")],
        "ours default",
        "tangermeme default (batch 32, own references)",
        n,
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", choices=("ism", "ig", "dls"), action="append")
    p.add_argument("--archs", default=",".join(ARCHS))
    p.add_argument("--length", type=int, default=101)
    p.add_argument("--ism-n", type=int, default=16)
    p.add_argument("--ig-n", type=int, default=32)
    p.add_argument("--dls-n", type=int, default=32)
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    archs = [a for a in args.archs.split(",") if a]
    print(
        f"# attribution speed: torch {torch.__version__}, {platform.processor() or platform.machine()}, "
        f"threads {torch.get_num_threads()} (OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}), "
        f"float32, CPU, best of {args.rounds} interleaved rounds"
    )
    only = set(args.only or ("ism", "ig", "dls"))
    if "ism" in only:
        bench_ism(archs, args.ism_n, args.length, args.rounds, (4, 16, 64), (256, 1024))
    if "ig" in only:
        # Captum at 100 rows too: the RNN's LSTM backward is fastest on small passes
        bench_ig(
            archs, args.ig_n, args.length, args.rounds, (2, 8, 32), (100, 256, 1024), args.steps
        )
    if "dls" in only and "cnn" in archs:
        bench_dls(args.dls_n, args.length, args.rounds, (8, 32), (40, 128, 640), 20)


if __name__ == "__main__":
    main()
