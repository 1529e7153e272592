"""Streaming: 'deepmotif explain' on 100 000 sequences keeps its memory flat.

Usage::

    .venv/bin/python benchmarks/bench_explain_stream.py                  # 10 000 and 100 000
    .venv/bin/python benchmarks/bench_explain_stream.py --n 1000,100000 --arch cnn --method saliency

Trains a small run once (simulated CTCF, 1 epoch; speed does not depend on how well it is
trained), writes FASTA files of N random 101-bp sequences, and runs
``deepmotif explain RUN SEQS --method M --out OUT.npz --quiet`` in a child process for each N.
Reports wall time, sequences/s, the child's peak resident memory (``ru_maxrss``) and the size
of OUT.npz, then checks the npz opens with ``allow_pickle=False`` and holds N rows.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", default="10000,100000")
    ap.add_argument("--arch", default="cnn")
    ap.add_argument("--method", default="saliency", choices=("saliency", "temporal"))
    ap.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="where to put the run and files (default: a temp dir)",
    )
    args = ap.parse_args(argv)

    from deepmotif.data.simulate import simulate
    from deepmotif.training import train

    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench_explain_stream_"))
    work.mkdir(parents=True, exist_ok=True)
    run_dir = work / f"run_{args.arch}"
    if not (run_dir / "metrics.json").exists():
        sim = simulate(["CTCF"], n=1000, length=101, seed=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            train(
                sim.dataset,
                None,
                arch=args.arch,
                out=run_dir,
                config={"epochs": 1},
                verbose=False,
                force=True,
            )
    # the child reports its own peak resident memory on its last stderr line
    child = (
        "import resource, sys\n"
        "from deepmotif.cli import main\n"
        "rc = main(sys.argv[1:])\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
        "sys.exit(rc)\n"
    )
    rng = np.random.default_rng(0)
    for n in (int(v) for v in args.n.split(",")):
        fasta = work / f"random_{n}.fa"
        if not fasta.exists():
            letters = np.frombuffer(b"ACGT", dtype=np.uint8)[rng.integers(0, 4, size=(n, 101))]
            with open(fasta, "w") as fh:
                for i in range(n):
                    fh.write(f">r{i}\n{letters[i].tobytes().decode()}\n")
        out = work / f"{args.method}_{n}.npz"
        t0 = time.perf_counter()
        proc = subprocess.run(
            [
                sys.executable,
                "-c",
                child,
                "explain",
                str(run_dir),
                str(fasta),
                "--method",
                args.method,
                "--out",
                str(out),
                "--quiet",
                "--force",
            ],
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - t0
        if proc.returncode != 0:
            print(proc.stderr, file=sys.stderr)
            return 1
        with np.load(out, allow_pickle=False) as z:
            key = "saliency" if args.method == "saliency" else "forward"
            rows = z[key].shape[0]
        print(
            json.dumps(
                {
                    "n": n,
                    "arch": args.arch,
                    "method": args.method,
                    "seconds": round(seconds, 1),
                    "seq_per_s": round(n / seconds),
                    "peak_rss_mb": round(
                        int(proc.stderr.strip().splitlines()[-1]) / 1024
                    ),  # KiB on Linux
                    "npz_mb": round(out.stat().st_size / 2**20, 1),
                    "rows": rows,
                }
            ),
            flush=True,
        )
        out.unlink()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
