"""The chance level of motif recovery: random motifs of the same lengths through the same Tomtom
protocol.

Usage::

    .venv/bin/python benchmarks/bench_recovery_chance.py MOTIFS_DIR [MOTIFS_DIR ...] \\
        [--draws 200] [--alpha 1,0.25]

Each ``MOTIFS_DIR`` is the output of ``deepmotif motifs`` for one run (``motifs.json``,
``motifs.meme``, ``matches.tsv``; a run directory whose ``motifs/`` holds it also works). For every
draw, each of its motifs is replaced by a random PWM of the same length, columns drawn from a
Dirichlet with concentration ``--alpha`` (1: flat; smaller: sharper, more motif-like columns),
matched to JASPAR with Tomtom exactly as ``deepmotif motifs`` does, and scored with the strict
rule (:func:`deepmotif.motifs.recovery.recovery`: the run's TF among a motif's top-5 targets at
q < 0.05). Printed per architecture and source: the count the real motifs recover, and under
chance the mean count and its 95th percentile over draws (one draw = one random replacement of
every run's motifs, so the count is over the same runs).
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import numpy as np


def _motif_dir(path: Path) -> Path:
    from deepmotif.rundir import motifs_dir

    return path if (path / "motifs.json").is_file() else motifs_dir(path)


def main(argv=None) -> int:
    from deepmotif.motifs.match import load_database, tomtom_matches
    from deepmotif.motifs.meme import read_meme
    from deepmotif.motifs.recovery import _source_of, recovery, recovery_table

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dirs", nargs="+", type=Path, metavar="MOTIFS_DIR")
    ap.add_argument("--draws", type=int, default=200)
    ap.add_argument("--alpha", default="1,0.25", help="comma-separated Dirichlet concentrations")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    db = load_database()
    runs = []
    for d in args.dirs:
        d = _motif_dir(d)
        info = json.loads((d / "motifs.json").read_text())
        motifs = read_meme(d / "motifs.meme", allow_empty=True)
        runs.append({"dir": d, "tf": info.get("tf"), "arch": info["arch"], "motifs": motifs})
    observed = recovery_table([r["dir"] for r in runs])
    seen = defaultdict(int)
    for row in observed.itertuples():
        if row.source != "any":
            seen[(row.arch, row.source)] += bool(row.recovered)

    print(f"{len(runs)} runs, {args.draws} draws per concentration, JASPAR: {db.label}")
    print()
    print("| concentration | arch | source | real motifs | random motifs: mean | 95th percentile |")
    print("|---|---|---|---:|---:|---:|")
    rng = np.random.default_rng(args.seed)
    for alpha in (float(a) for a in args.alpha.split(",")):
        counts = defaultdict(lambda: np.zeros(args.draws, dtype=int))
        for run in runs:
            queries, owner = {}, {}
            for name, pwm in run["motifs"].items():
                for k in range(args.draws):
                    q = f"{k}:{name}"
                    queries[q] = rng.dirichlet(np.full(4, alpha), size=pwm.shape[1]).T
                    owner[q] = (k, _source_of(name))
            if not queries:
                continue
            matches = tomtom_matches(queries, db, top_k=5)
            matches["draw"] = [owner[q][0] for q in matches["query"]]
            matches["source"] = [owner[q][1] for q in matches["query"]]
            for (k, source), part in matches.groupby(["draw", "source"]):
                counts[(run["arch"], source)][k] += recovery(part, run["tf"])["recovered"]
        for (arch, source), c in sorted(counts.items()):
            print(
                f"| {alpha:g} | {arch} | {source} | {seen[(arch, source)]} | {c.mean():.2f} | "
                f"{np.percentile(c, 95):.0f} |"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
