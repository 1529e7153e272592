"""Benchmark engines: four small simulated datasets, 1 worker vs 2 workers of one thread each.

Every mode trains the same jobs (4 simulated datasets x ``--archs``, one thread per run) into
its own fresh folder, one mode after the other in one process, so machine noise hits all
alike; the modes are repeated ``--repeats`` times in turn and the best wall time is kept.

* ``local x1``: the local engine in this process (``--jobs 1``);
* ``local x2``: the local engine's pool of 2 spawned processes (``--jobs 2``);
* ``ray x1`` / ``ray x2``: a private Ray instance with 1 / 2 CPUs, one task per run
  (``--engine ray --jobs N``); Ray's start-up and shut-down are timed separately and left out.

Ray's per-task overhead is measured two ways: the round trip of trivial tasks on a warm
instance, and (``ray x1`` - ``local x1``) / jobs on the real ones. Each mode's
``benchmark.csv`` is compared with ``local x1``'s (identical results are part of the claim).

Usage::

    OMP_NUM_THREADS=1 nice python benchmarks/bench_engine.py [--n 2000] [--epochs 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path


def make_data(root: Path, n: int, length: int) -> None:
    from deepmotif.data.simulate import simulate, write_simulation

    for i, tf in enumerate(["CTCF", "REST", "GATA1", "SPI1"]):
        _, sites = write_simulation(simulate([tf], n=n, length=length, seed=i), root / f"{tf}.fa")
        sites.unlink()


def _noop(job: dict) -> int:
    return job["i"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000, help="sequences per dataset")
    ap.add_argument("--length", type=int, default=101)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--archs", default="cnn")
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--noop-tasks", type=int, default=40)
    args = ap.parse_args()

    import torch

    from deepmotif.benchmark import run_benchmark
    from deepmotif.engines import make_engine

    torch.set_num_threads(1)
    archs = args.archs.split(",")
    config = {"epochs": args.epochs, "patience": args.epochs}
    tmp = Path(tempfile.mkdtemp(prefix="bench-engine-"))
    try:
        make_data(tmp / "data", args.n, args.length)
        n_jobs = 4 * len(archs)
        print(
            f"{n_jobs} runs: 4 simulated datasets (n={args.n}, length {args.length}) x {archs}, "
            f"{args.epochs} epochs, 1 thread per run; cores: {os.cpu_count()}; "
            f"load before: {os.getloadavg()[0]:.1f}"
        )
        modes = [("local", 1), ("local", 2), ("ray", 1), ("ray", 2)]
        best: dict[str, float] = {}
        startup: list[float] = []
        for rep in range(args.repeats):
            for name, jobs in modes:
                label = f"{name} x{jobs}"
                out = tmp / f"{name}{jobs}-{rep}"
                engine = make_engine(
                    name, jobs=jobs, **({"cpus_per_run": 1} if name == "ray" else {})
                )
                t0 = time.perf_counter()
                engine.start()
                if name == "ray":
                    startup.append(time.perf_counter() - t0)
                try:
                    t0 = time.perf_counter()
                    run_benchmark(
                        tmp / "data", out, archs=archs, config=config, jobs=jobs,
                        engine=engine, verbose=False,
                    )  # fmt: skip
                    wall = time.perf_counter() - t0
                finally:
                    engine.stop()
                best[label] = min(best.get(label, float("inf")), wall)
                ref = tmp / "local1-0" / "benchmark.csv"
                same = (out / "benchmark.csv").read_bytes() == ref.read_bytes()
                print(
                    f"  {label:9s} {wall:7.1f} s   benchmark.csv identical to local x1: {same}   "
                    f"load: {os.getloadavg()[0]:.1f}",
                    flush=True,
                )

        # Ray's round trip per task on a warm instance (workers already started)
        engine = make_engine("ray", jobs=2, cpus_per_run=1)
        engine.start()
        try:
            jobs = [{"i": i} for i in range(args.noop_tasks)]
            engine.run(_noop, jobs[:2], verbose=False)  # warm the workers
            t0 = time.perf_counter()
            engine.run(_noop, jobs, verbose=False)
            noop = (time.perf_counter() - t0) / len(jobs)
        finally:
            engine.stop()

        print()
        print(
            f"speed-up, 2 workers vs 1 (fair: 1 thread per run, identical results, best of {args.repeats}):"
        )
        for name in ("local", "ray"):
            a, b = best[f"{name} x1"], best[f"{name} x2"]
            print(f"  {name:5s}: {a:6.1f} s -> {b:6.1f} s   {a / b:.2f}x")
        print(
            f"Ray start-up (private instance, ray.init): {min(startup):.1f} s (max {max(startup):.1f} s)"
        )
        print(
            f"Ray overhead per task: {noop * 1000:.0f} ms round trip of a trivial task (warm); "
            f"{(best['ray x1'] - best['local x1']) / n_jobs:+.2f} s per run vs the local engine "
            "(1 worker; includes starting the worker process)"
        )
        print(f"load after: {os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
