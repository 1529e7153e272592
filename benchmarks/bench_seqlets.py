"""Which seqlet caller the ``saliency`` motif source uses, chosen on simulated data.

Usage::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_seqlets.py --out WORK
    .venv/bin/python benchmarks/bench_seqlets.py --out WORK --tasks CTCF --archs cnn --n 400 --epochs 1

The ``saliency`` source cuts attribution maps of correctly classified positives into seqlets
with one of tangermeme's two callers (``tfmodisco``: TF-MoDISco's, ``recursive``) and
aggregates them into motifs (docs/motifs.md). This script compares the two on data whose answer
is known, so that the default is not chosen on a benchmark's test files:

* **Tasks** (``--tasks``): ``deepmotif simulate`` data, one per entry: single planted JASPAR
  motifs of different lengths and information (CTCF 19 columns, REST 21, HNF4A 13 and FOXA2
  12, the last two of low information), and ``CTCF+SOX2``, where every positive carries a site
  of each, so a caller can also find the weaker co-factor. ``--n`` sequences (half bound),
  101 bp, simulation seed ``--seed``.
* **Runs**: each task x architecture trained once with the package defaults (``--epochs``
  caps the epochs; default: the package's) into ``OUT/<task>/<arch>``; finished runs are kept
  and reused when the script is run again.
* **Motifs**: ``run_motifs(sources="saliency")`` on the run's own test split (simulated data,
  so choosing on it is allowed), everything at its default except the caller.

Per run and caller it prints: whether the planted motif is recovered strictly (a JASPAR
matrix of the TF among a motif's top 5 Tomtom matches at q < 0.05, as in BENCHMARKS.md's RQ5),
the co-factor's recovery for ``CTCF+SOX2``, the best Pearson r of a saliency motif with the
planted PWM (best alignment, either strand) beside that metric's chance level for a random PWM
of the same length (median and 95th percentile of 200 flat-Dirichlet PWMs), the number of
motifs, and the extraction time. The summary counts recoveries per caller and architecture.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from bench_explain_quality import best_alignment_correlation_any, chance
from deepmotif.archs import ARCHS

TASKS = ("CTCF", "REST", "HNF4A", "FOXA2", "CTCF+SOX2")
CALLERS = ("tfmodisco", "recursive")


def train_task(task: str, arch: str, out: Path, *, n: int, seed: int, epochs: int | None):
    """The simulation of ``task`` (planted motifs by name) and its run in ``out`` (trained
    unless a finished run is already there)."""
    from deepmotif.data.simulate import simulate
    from deepmotif.training import run_is_finished, train

    sim = simulate(task.split("+"), n=n, length=101, seed=seed)
    if not run_is_finished(out):
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            train(sim.dataset, None, arch=arch, out=out, verbose=False, force=True,
                  config={"epochs": epochs} if epochs else None)  # fmt: skip
        print(f"# trained {task} {arch} in {time.perf_counter() - t0:.0f} s", flush=True)
    return sim


def compare(run_dir: Path, sim, task: str, caller: str, work: Path) -> dict:
    """One caller's saliency motifs of one run, scored against the planted motifs."""
    from deepmotif.errors import DeepMotifError
    from deepmotif.motifs.recovery import recovery
    from deepmotif.motifs.run import run_motifs

    tfs = task.split("+")
    auroc = json.loads((run_dir / "metrics.json").read_text())["test"]["auroc"]
    row = {"task": task, "arch": run_dir.name, "caller": caller, "test_auroc": round(auroc, 3)}
    t0 = time.perf_counter()
    try:
        res = run_motifs(
            run_dir, sources="saliency", out=work / task / run_dir.name / caller, force=True,
            verbose=False, figures=False, options={"saliency": {"seqlets": caller}},
        )  # fmt: skip
    except DeepMotifError as exc:  # e.g. no signal: the source is not run
        row.update(error=str(exc).splitlines()[0])
        return row
    row["seconds"] = round(time.perf_counter() - t0, 1)
    motifs = res["motifs"]
    row["n_motifs"] = len(motifs)
    if not motifs:
        row["no_motif"] = str(res["no_motif"].get("saliency", ""))[:80]
    for i, tf in enumerate(tfs):
        key = "recovered" if i == 0 else f"{tf} recovered"
        row[key] = bool(motifs) and recovery(res["matches"], tf)["recovered"]
    planted = np.asarray(sim.motifs[tfs[0]].pwm, dtype=np.float64)
    if motifs:
        rs = [best_alignment_correlation_any(np.asarray(m.pwm), planted) for m in motifs]
        best = int(np.argmax(rs))
        med, p95 = chance(planted, motifs[best].pwm.shape[1], 200)
        row.update(r=round(rs[best], 2), chance_median=round(med, 2), chance_p95=round(p95, 2))
    return row


def summary(rows: list[dict]) -> str:
    """Markdown: per caller and architecture, strict recoveries and the mean best r."""
    lines = [
        "| caller | arch | planted motif recovered | co-factor recovered | mean best r | "
        "r above chance p95 |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for caller in CALLERS:
        for arch in [*ARCHS, "all"]:
            mine = [r for r in rows if r["caller"] == caller and arch in (r["arch"], "all")]
            if not mine:
                continue
            rec = sum(bool(r.get("recovered")) for r in mine)
            co = [r for r in mine if any(k.endswith(" recovered") for k in r)]
            co_rec = sum(any(v for k, v in r.items() if k.endswith(" recovered")) for r in co)
            rs = [r["r"] for r in mine if "r" in r]
            above = sum(r["r"] > r["chance_p95"] for r in mine if "r" in r)
            lines.append(
                f"| {caller} | {arch} | {rec}/{len(mine)} | {co_rec}/{len(co)} | "
                f"{np.mean(rs) if rs else float('nan'):.2f} | {above}/{len(mine)} |"
            )
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True, help="runs and motif results go here")
    ap.add_argument("--tasks", default=",".join(TASKS),
                    help="comma-separated; planted motifs of one task joined by '+'")  # fmt: skip
    ap.add_argument("--archs", default=",".join(ARCHS))
    ap.add_argument("--callers", default=",".join(CALLERS))
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--epochs", type=int, help="cap on the epochs (default: the package's)")
    args = ap.parse_args(argv)

    import pandas as pd

    rows = []
    for task in args.tasks.split(","):
        for arch in args.archs.split(","):
            run_dir = args.out / "runs" / task / arch
            sim = train_task(task, arch, run_dir, n=args.n, seed=args.seed, epochs=args.epochs)
            for caller in args.callers.split(","):
                row = compare(run_dir, sim, task, caller, args.out / "motifs")
                print(json.dumps(row), flush=True)
                rows.append(row)
    pd.set_option("display.width", 200)
    print(pd.DataFrame(rows).to_string(index=False))
    print()
    print(summary(rows))
    print()
    print(
        "Strict recovery: a JASPAR matrix of the TF among a motif's top 5 Tomtom matches at "
        "q < 0.05. r: the best saliency motif's Pearson r with the planted PWM (best alignment, "
        "either strand); chance: random PWMs of that motif's length (200 flat-Dirichlet draws)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
