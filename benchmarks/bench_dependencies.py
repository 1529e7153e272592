"""RQ4 on data with a known answer: which architectures capture a planted motif grammar?

Usage::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_dependencies.py --out /tmp/rq4
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_dependencies.py --out /tmp/rq4 --quick
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_dependencies.py --out /tmp/rq4 --speed

Tasks (``deepmotif simulate``, 4000 sequences of 101 bp, 2 decoys, seed per task):

* grammar tasks: positives carry A then B on one strand, ``lo..hi`` bases apart; negatives the
  swapped order, a larger gap, or one motif alone (so only the arrangement separates them);
* a single-motif task (A only) as the null: there is no dependency to find.

Each architecture is trained with the package defaults (``deepmotif train``: 30 epochs,
patience 5, seed 0), then ``deepmotif dependencies`` runs on all three with the task's pair
and spacing 0-20, 500 backgrounds (dinucleotide shuffles of the run's test positives). A run
**captures** the grammar when its strongest significant configuration has the planted order and
orientation (``AB ++``, or ``BA --``, the same arrangement read on the other strand) and a
spacing inside ``lo..hi``. Two columns say what a run that misses this learnt instead:
``arrangement`` (its strongest significant configuration has the planted order and orientation,
at any spacing) and ``planted_spacings`` (the spacings at which the planted arrangement is
significant, in either reading). On the single-motif task no configuration should be
significant.

``--speed`` times the issue's size instead: 1000 backgrounds x 50 spacings x 2 orders x 4
orientations on one CNN-RNN run (with the null), and reports sequences per second.

Prints a Markdown table (and writes ``OUT/rq4.csv``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from deepmotif.dependencies.run import captured_grammar

ARCHS = ("cnn", "rnn", "cnn-rnn")
#: (A, B, lo, hi, seed); the last has no B: the single-motif null task.
TASKS = [
    ("CTCF", "REST", 2, 10, 0),
    ("SOX2", "POU5F1", 0, 4, 1),
    ("FOXA2", "HNF4A", 5, 12, 2),
    ("CTCF", None, None, None, 3),
    # fresh seeds, run after the significance rule was revised on the tasks above
    ("CTCF", "REST", 2, 10, 5),
    ("CTCF", None, None, None, 6),
]
QUICK_TASKS = [("CTCF", "REST", 2, 10, 0), ("CTCF", None, None, None, 3)]


def _cli(*args: str) -> None:
    cmd = [sys.executable, "-m", "deepmotif.cli", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")


def _task_name(a, b, lo, hi, seed) -> str:
    return f"{a}-{b}-{lo}-{hi}-s{seed}".replace("::", "_") if b else f"{a}-only-s{seed}"


def run_task(
    out: Path,
    a,
    b,
    lo,
    hi,
    seed,
    n: int,
    epochs: int | None,
    pair: tuple,
    backgrounds: int = 500,
    archs=ARCHS,
) -> list[dict]:
    name = _task_name(a, b, lo, hi, seed)
    folder = out / name
    fasta = folder / "data.fa"
    if not fasta.is_file():
        args = ["simulate", "--n", str(n), "--length", "101", "--seed", str(seed)]
        if b:
            args += ["--grammar", f"{a},{b}", "--spacing", f"{lo}-{hi}"]
        else:
            args += ["--motifs", a]
        _cli(*args, "--out", str(fasta))
    rows = []
    for arch in archs:
        run = folder / "runs" / arch
        if not (run / "metrics.json").is_file():
            extra = ["--epochs", str(epochs)] if epochs else []
            _cli(
                "train", str(fasta), "--arch", arch, "--out", str(run), "--quiet", "--force", *extra
            )
    dep = folder / "dependencies"
    if not (dep / "dependencies.json").is_file():
        t0 = time.perf_counter()
        _cli(
            "dependencies", *[str(folder / "runs" / x) for x in archs],
            "--motifs", ",".join(pair), "--spacing", "0-20", "--out", str(dep), "--quiet", "--force",
            "--n", str(backgrounds),
        )  # fmt: skip
        print(f"{name}: dependencies in {time.perf_counter() - t0:.0f} s", flush=True)
    info = json.loads((dep / "dependencies.json").read_text())
    table = pd.read_csv(dep / "dependencies.tsv", sep="\t")
    for arch in archs:
        metrics = json.loads((folder / "runs" / arch / "metrics.json").read_text())
        summary = info["runs"][arch]
        sig = table[(table["arch"] == arch) & table["significant"]]
        row = {
            "task": name,
            "arch": arch,
            "test_auroc": round(metrics["test"]["auroc"], 3),
            "significant": summary["significant"],
            "n_significant": summary["n_significant"],
            "null": round(summary["null_threshold"], 2),
        }
        if len(sig):
            top = sig.loc[sig["cooperativity"].idxmax()]
            row.update(
                best=f"{top['order']} {top['orientation']} {int(top['spacing'])}",
                cooperativity=round(float(top["cooperativity"]), 2),
                ci=f"[{top['ci_low']:.2f}, {top['ci_high']:.2f}]",
            )
        else:
            best = summary["best"]
            row.update(
                best=f"({best['order']} {best['orientation']} {best['spacing']})",
                cooperativity=round(best["cooperativity"], 2),
                ci=f"[{best['ci_low']:.2f}, {best['ci_high']:.2f}]",
            )
        # without a significant configuration captured_grammar says False, False, ""
        got = captured_grammar(table, arch, (lo, hi)) if b else {}
        row.update(
            captured=got.get("captured", False),
            arrangement=got.get("arrangement", False),
            planted_spacings=got.get("spacings") or "-",
        )
        rows.append(row)
    return rows


def speed(out: Path) -> None:
    """The issue's size on one CNN-RNN run: 1000 backgrounds x 50 spacings, both orders, all
    orientations, with the null."""
    import torch

    from deepmotif.dependencies.run import dependencies

    folder = out / _task_name(*TASKS[0])
    run = folder / "runs" / "cnn-rnn"
    if not (run / "metrics.json").is_file():
        raise SystemExit(f"{run}: train the first task first (run without --speed)")
    t0 = time.perf_counter()
    res = dependencies(
        [run], motifs="CTCF,REST", spacing="0-49", n=1000, out=out / "speed", force=True,
        figures=False, verbose=False,
    )  # fmt: skip
    seconds = time.perf_counter() - t0
    n_seq = 1000 * (1 + 4 + 12 * 50) + 2 * 200 * (1 + 4 + 12 * 50)
    print(
        f"1000 backgrounds x 50 spacings x 2 orders x 4 orientations, one cnn-rnn run, with the "
        f"null: {seconds:.1f} s ({n_seq / seconds:.0f} sequences/s; torch threads "
        f"{torch.get_num_threads()}); table rows {len(res['table'])}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--n", type=int, default=4000, help="sequences per task")
    ap.add_argument("--epochs", type=int, help="training epochs (default: the package's)")
    ap.add_argument("--quick", action="store_true", help="one grammar task and the null task")
    ap.add_argument("--archs", default=",".join(ARCHS), help="comma-separated (default: all)")
    ap.add_argument(
        "--backgrounds", type=int, default=500, help="backgrounds per configuration (default 500)"
    )
    ap.add_argument("--speed", action="store_true", help="time the 1000 x 50 grid instead")
    ap.add_argument(
        "--tasks",
        help="comma-separated task numbers (0-based, of TASKS) to run; several processes with "
        "disjoint --tasks and one --out share the work, and a last run without it prints the "
        "whole table from their results",
    )
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.speed:
        speed(args.out)
        return
    rows = []
    tasks = QUICK_TASKS if args.quick else TASKS
    if args.tasks:
        tasks = [tasks[int(i)] for i in args.tasks.split(",")]
    for a, b, lo, hi, seed in tasks:
        pair = (a, b) if b else (a, "REST")  # the null task asks about a motif it never saw
        rows += run_task(
            args.out, a, b, lo, hi, seed, args.n, args.epochs, pair, args.backgrounds,
            archs=tuple(args.archs.split(",")),
        )  # fmt: skip
        print(pd.DataFrame(rows).tail(3).to_string(index=False), flush=True)
    table = pd.DataFrame(rows)
    table.to_csv(args.out / "rq4.csv", index=False)
    from deepmotif.benchmark import markdown_table

    rows_md = [[str(v) for v in r] for r in table.itertuples(index=False)]
    print("\n".join(markdown_table(list(table.columns), rows_md)))


if __name__ == "__main__":
    main()
