"""Motif recovery on the ten shared DeepBind ENCODE TFs, and the time of ``deepmotif motifs``.

Three steps, each resumable (finished runs and motif results are kept and skipped)::

    # 1. train one run per TF x architecture from the _AC (train) and _B (test) files
    .venv/bin/python benchmarks/bench_motifs.py train --runs /tmp/deepmotif-motif-runs
    # 2. extract motifs from every run, match them to JASPAR and print the recovery table
    .venv/bin/python benchmarks/bench_motifs.py recover --runs /tmp/deepmotif-motif-runs
    # 3. time 'deepmotif motifs' on one run (extraction and matching separately)
    .venv/bin/python benchmarks/bench_motifs.py time --runs /tmp/deepmotif-motif-runs --tf REST --arch cnn

Training keeps epochs modest (the CNN at a learning rate of 3e-3, the recurrent models at their
defaults; ``--package-defaults`` trains every architecture as ``deepmotif train`` does, with
its own epochs, rate and early stopping; ``--model-config`` sets architecture options) and,
for the large sets, uses a random subset of the training positives (with their shuffled
negatives); the settings are printed and written beside the runs (``bench_settings.json``).
Runs are trained one after the other (the benchmark machine has two cores). The data are
read from ``../shared/data/deepbind_encode`` (override with ``--data``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parent.parent / "shared" / "data" / "deepbind_encode"
DEFAULT_RUNS = Path("/tmp/deepmotif-motif-runs")
ARCHS = ("cnn", "cnn-rnn", "rnn")
EPOCHS = {"cnn": 12, "cnn-rnn": 10, "rnn": 10}
#: the CNN's learning rate, faster than its 1e-3 default, so modest epoch counts reach a useful
#: model; the recurrent models train at their own defaults (1e-2, with warm-up and schedule)
LEARNING_RATE = {"cnn": 3e-3}
MAX_POSITIVES = 4000


def tf_files(data_dir: Path) -> dict[str, tuple[Path, Path]]:
    """TF name -> (train _AC file, test _B file)."""
    out = {}
    for ac in sorted(data_dir.glob("*_AC.seq.gz")):
        b = ac.with_name(ac.name.replace("_AC.seq.gz", "_B.seq.gz"))
        if b.is_file():
            out[ac.name.split("_")[0]] = (ac, b)
    return out


def _subsample(ds, max_positives: int, seed: int = 0):
    """At most ``max_positives`` positives, each with its shuffled negative(s)."""
    pos_ids = [i for i, y in zip(ds.ids, ds.labels) if y == 1]
    if len(pos_ids) <= max_positives:
        return ds
    rng = np.random.default_rng(seed)
    keep = set(rng.choice(pos_ids, size=max_positives, replace=False).tolist())
    index = [
        i for i, (name, y) in enumerate(zip(ds.ids, ds.labels))
        if (name if y == 1 else name.removesuffix("_shuf")) in keep
    ]  # fmt: skip
    sub = ds.subset(np.array(index))
    sub.meta["subsample"] = {"max_positives": max_positives, "seed": seed, "of": len(pos_ids)}
    return sub


def cmd_train(args) -> int:
    from deepmotif.data import read_dataset
    from deepmotif.training import run_is_finished, train

    files = tf_files(Path(args.data))
    if not files:
        print(f"no DeepBind files in {args.data}; nothing to train", file=sys.stderr)
        return 1
    runs = Path(args.runs)
    runs.mkdir(parents=True, exist_ok=True)
    tfs = args.tf or list(files)
    epochs = dict(EPOCHS)
    for item in (args.epochs or "").split(","):
        if item.strip():
            arch, _, n = item.partition("=")
            epochs[arch.strip()] = int(n)
    lrs = dict(LEARNING_RATE)
    if args.package_defaults:  # every architecture's own epochs, rate and early stopping
        epochs = {arch: "auto" for arch in ARCHS}
        lrs = {}
    settings = {
        "epochs": epochs,
        "lr": lrs,
        "max_positives": args.max_positives,
        "model_config": args.model_config,
        "seed": args.seed,
        "tfs": tfs,
        "archs": args.arch,
    }
    # finished runs are skipped, so a folder must hold runs of one training setting only (the
    # TFs and architectures may differ between calls)
    record = runs / "bench_settings.json"
    before = json.loads(record.read_text()) if record.is_file() else None
    if before:  # records written before --model-config and --seed meant their defaults
        before = {"model_config": None, "seed": 0, **before}
    same = ("epochs", "lr", "max_positives", "model_config", "seed")
    if before and any(before.get(k) != settings[k] for k in same):
        print(
            f"{record}: runs of other settings are in {runs} "
            f"({ {k: before.get(k) for k in same} }); use another --runs folder",
            file=sys.stderr,
        )
        return 2
    record.write_text(json.dumps(settings, indent=2) + "\n")
    print(f"settings: {settings}", flush=True)
    for arch in args.arch:  # every TF's CNN first: the most useful runs when time is short
        for tf in tfs:
            out = runs / f"{tf}-{arch}"
            if run_is_finished(out):
                print(f"{out.name}: finished, skipped", flush=True)
                continue
            ac, b = files[tf]
            t0 = time.perf_counter()
            train_ds = _subsample(read_dataset(ac), args.max_positives)
            test_ds = read_dataset(b)
            resume = (out / "checkpoint.pt").is_file()
            config = {"epochs": epochs[arch], "seed": args.seed}
            if arch in lrs:
                config["lr"] = lrs[arch]
            res = train(
                train_ds, test_ds, arch=arch, out=out, config=config, model_config=args.model_config,
                force=not resume, resume=resume, verbose=False,
            )  # fmt: skip
            m = res.metrics["test"]
            print(
                f"{out.name}: test AUROC {m['auroc']:.4f}, {len(res.history)} epochs, "
                f"{time.perf_counter() - t0:.0f} s",
                flush=True,
            )
    return 0


def _run_dirs(runs: Path, tfs=None, archs=ARCHS) -> list[Path]:
    from deepmotif.training import run_is_finished

    out = []
    for d in sorted(runs.iterdir()) if runs.is_dir() else []:
        if not d.is_dir() or not run_is_finished(d):
            continue
        tf, _, arch = d.name.partition("-")
        if arch in archs and (not tfs or tf in tfs):
            out.append(d)
    return out


#: Beside each run's motifs: the package code and settings they were made with. Motifs are
#: reused only when both match, so a table rebuilt after a change of the motif code is made
#: from motifs of that code (``--force`` extracts again regardless).
MADE_BY = "bench_made_by.json"


def _code_fingerprint() -> str:
    """SHA-256 of the installed deepmotif package's Python sources (path and content)."""
    import hashlib

    import deepmotif

    root = Path(deepmotif.__file__).resolve().parent
    h = hashlib.sha256()
    for f in sorted(root.rglob("*.py")):
        h.update(str(f.relative_to(root)).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def _made_by(out: Path):
    try:
        return json.loads((out / MADE_BY).read_text())
    except (OSError, ValueError):
        return None


def _label(run: Path) -> str:
    """``REST-cnn`` for our runs; for a 'deepmotif benchmark' run ``OUT/<dataset>/<arch>/seed<S>``
    ``REST-cnn-seed<S>``."""
    if run.name.startswith("seed") and run.parent.name in ARCHS:
        return f"{run.parent.parent.name.split('_')[0]}-{run.parent.name}-{run.name}"
    if run.name in ARCHS:
        return f"{run.parent.name.split('_')[0]}-{run.name}"
    return run.name


def cmd_recover(args) -> int:
    import pandas as pd

    from deepmotif.errors import DeepMotifError
    from deepmotif.motifs.base import SOURCES
    from deepmotif.motifs.extract import resolve_sources
    from deepmotif.motifs.recovery import recovery_summary, recovery_table
    from deepmotif.motifs.run import run_motifs
    from deepmotif.training import load_run

    runs = Path(args.runs)
    dirs = [Path(d) for d in args.run_dir] if args.run_dir else _run_dirs(runs, args.tf, args.arch)
    if not dirs:
        print(f"no finished runs in {runs}; run the 'train' step first", file=sys.stderr)
        return 1
    code = _code_fingerprint()
    results = []
    for d in dirs:
        out = Path(args.out) / _label(d) if args.out else d / "motifs"
        t0 = time.perf_counter()
        options = {"saliency": {"seqlets": args.seqlets}} if args.seqlets else {}
        if args.start_std is not None:
            options.setdefault("optimize", {})["start_std"] = args.start_std
        if args.restarts is not None:
            options.setdefault("optimize", {})["n_restarts"] = args.restarts
        if args.window:
            window = tuple(int(v) for v in args.window.split(","))
            options.setdefault("optimize", {})["window"] = window
        chosen = args.sources.split(",") if args.sources else None
        made_by = {
            "code": code, "sources": chosen, "options": options, "top_k": args.top_k,
            "temperature": args.temperature,
        }  # fmt: skip
        if (out / "motifs.json").is_file() and not args.force:
            if _made_by(out) == made_by:
                results.append(out)
                print(f"{_label(d)}: motifs already in {out}", flush=True)
                continue
            print(
                f"{_label(d)}: motifs in {out} were made by other code or settings; extracting "
                "again",
                flush=True,
            )
        # run_motifs refuses a folder holding files it did not write; this record is written
        # again once the motifs are
        (out / MADE_BY).unlink(missing_ok=True)
        try:
            res = run_motifs(
                d, out=out, top_k=args.top_k, force=True, verbose=False, options=options,
                temperature=args.temperature, sources=chosen,
            )  # fmt: skip
        except DeepMotifError as exc:
            # e.g. an untrained model with no positive scored >= 0.5: saliency cannot run. The
            # other sources still do, and saliency is recorded as run and not recovered.
            print(f"{_label(d)}: {exc}; running the other sources", flush=True)
            sources = [s for s in resolve_sources(chosen, load_run(d).model) if s != "saliency"]
            res = run_motifs(d, out=out, top_k=args.top_k, force=True, verbose=False,
                             sources=sources, temperature=args.temperature,
                             options=options)  # fmt: skip
            info = json.loads((out / "motifs.json").read_text())
            info["sources"] = [s for s in SOURCES if s in sources or s == "saliency"]
            info["skipped"] = {"saliency": str(exc)}
            (out / "motifs.json").write_text(json.dumps(info, indent=2) + "\n")
        (out / MADE_BY).write_text(json.dumps(made_by, indent=2) + "\n")
        results.append(out)
        best = {s: (b["target_name"], f"{b['q_value']:.2g}") for s, b in res["best"].items() if b}
        print(f"{_label(d)}: {time.perf_counter() - t0:.0f} s, best {best}", flush=True)
    table = recovery_table(results, top_k=args.top_k)
    pd.set_option("display.width", 200)
    print(table.to_string(index=False))
    print()
    print("Recovered (the TF itself, or a dimer naming it, in a motif's top k at q < 0.05):")
    print(markdown(recovery_summary(table)))
    print()
    print("Recovered or a paralog (same name stem, e.g. FOXA2 for FOXA1):")
    print(markdown(recovery_summary(table, paralogs=True)))
    print()
    print("Recovered, or the TF's own matrix significant (q < 0.05) at any rank:")
    print(markdown(recovery_summary(table, any_rank=True)))
    if args.table:
        table.to_csv(args.table, sep="\t", index=False)
    return 0


def markdown(frame) -> str:
    """A pandas DataFrame as a GitHub markdown table (no tabulate needed)."""
    cols = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(str(v) for v in row) + " |")
    return "\n".join(lines)


def cmd_time(args) -> int:
    import subprocess

    run = Path(args.runs) / f"{args.tf}-{args.arch}"
    out = Path(args.out or f"/tmp/deepmotif-motif-time/{run.name}")
    cmd = [
        str(HERE.parent / ".venv" / "bin" / "deepmotif"),
        "motifs",
        str(run),
        "--out",
        str(out),
        "--force",
    ]
    print("$", " ".join(cmd), flush=True)
    for rep in range(args.repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
        timings = json.loads((out / "motifs.json").read_text())["timings"]
        parts = ", ".join(f"{k} {v:.2f} s" for k, v in timings.items())
        print(f"repeat {rep + 1}: wall {wall:.1f} s ({parts})", flush=True)
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="step", required=True)
    for name in ("train", "recover", "time"):
        p = sub.add_parser(name)
        p.add_argument(
            "--runs", default=str(DEFAULT_RUNS), help="where the runs are (default %(default)s)"
        )
        p.add_argument("--data", default=os.environ.get("DEEPMOTIF_DEEPBIND", str(DEFAULT_DATA)))
    p = sub.choices["train"]
    p.add_argument("--tf", nargs="*", help="TFs (default: all ten)")
    p.add_argument("--arch", nargs="*", default=list(ARCHS), choices=ARCHS)
    p.add_argument("--max-positives", type=int, default=MAX_POSITIVES)
    budget = p.add_mutually_exclusive_group()
    budget.add_argument(
        "--epochs", help=f"per architecture, e.g. 'cnn=20,cnn-rnn=15' (default {EPOCHS})"
    )
    budget.add_argument(
        "--package-defaults",
        action="store_true",
        help="train every architecture at the package's defaults (its own epochs, learning "
        "rate and early stopping) instead of the modest budgets above",
    )
    p.add_argument(
        "--model-config",
        metavar="JSON",
        type=json.loads,
        help='architecture options for every run, e.g. \'{"pool": "max"}\' (an RNN\'s max '
        "over time); use a --runs folder of their own",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=0,
        help="training seed (default 0); the subsample of positives is the same for every seed, "
        "so runs of different seeds differ only in training; use a --runs folder per seed",
    )
    p.set_defaults(func=cmd_train)
    p = sub.choices["recover"]
    p.add_argument("--tf", nargs="*")
    p.add_argument("--arch", nargs="*", default=list(ARCHS), choices=ARCHS)
    p.add_argument(
        "--run-dir", nargs="*", help="explicit run directories instead of --runs (e.g. a "
        "'deepmotif benchmark' output's OUT/<dataset>/<arch>/seed<S>); use with --out",
    )  # fmt: skip
    p.add_argument("--top-k", type=int, default=5)
    p.add_argument("--out", help="where to write motif results (default RUN/motifs)")
    p.add_argument("--table", help="also write the per-run table here (TSV)")
    p.add_argument("--force", action="store_true", help="re-extract even when results exist")
    p.add_argument("--seqlets", choices=["recursive", "tfmodisco"], help="saliency seqlet caller")
    p.add_argument(
        "--temperature",
        type=float,
        help="the optimize source's temperature (default: the package's)",
    )
    p.add_argument(
        "--start-std",
        type=float,
        help="the optimize source's spread of starting logits (default: the package's)",
    )
    p.add_argument(
        "--restarts",
        type=int,
        help="the optimize source's restarts, for the model and its null (default: the package's)",
    )
    p.add_argument(
        "--window",
        metavar="START,END",
        help="the optimize source optimises only positions START..END-1 (the rest N), for the "
        "model and its null (default: the whole input)",
    )
    p.add_argument(
        "--sources", help="comma-separated motif sources (default: every one the model has)"
    )
    p.set_defaults(func=cmd_recover)
    p = sub.choices["time"]
    p.add_argument("--tf", default="REST")
    p.add_argument("--arch", default="cnn", choices=ARCHS)
    p.add_argument("--out")
    p.add_argument("--repeat", type=int, default=2)
    p.set_defaults(func=cmd_time)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
