"""``deepmotif benchmark``: every dataset of a folder x every architecture, one table."""

from __future__ import annotations

import sys
from pathlib import Path

from deepmotif.cli._common import BATCH_SIZE_HELP, LR_HELP, positive_float, positive_int

ORDER = 40


def register(sub) -> None:
    p = sub.add_parser(
        "benchmark",
        help="train every dataset in a folder under every architecture; one AUROC/AUPRC table",
        description="Train each dataset of DATA_DIR (DeepBind _AC/_B pairs, Zeng folders, other files) "
        "under each architecture (and --seeds seeds) into OUT/<dataset>/<arch>/seed<S>, then write OUT/benchmark.csv and "
        "OUT/benchmark.md beside DeepBind's published AUROC. Finished runs are skipped on rerun.",
    )
    p.add_argument("data_dir", metavar="DATA_DIR", help="folder of datasets")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument(
        "--archs",
        default="cnn,rnn,cnn-rnn",
        help="comma-separated architectures (default: all three)",
    )
    p.add_argument("--datasets", help="comma-separated name fragments: keep only matching datasets")
    p.add_argument(
        "--epochs",
        type=positive_int,
        help="maximum epochs per run (default: 30 for the CNN, 60 for the recurrent models)",
    )
    p.add_argument("--batch-size", type=positive_int, help=BATCH_SIZE_HELP)
    p.add_argument(
        "--lr",
        type=positive_float,
        help=LR_HELP,
    )
    p.add_argument("--patience", type=positive_int, help="early-stopping patience (default 5)")
    p.add_argument("--seed", type=int, help="first random seed (default 0)")
    p.add_argument(
        "--seeds",
        type=positive_int,
        default=1,
        metavar="K",
        help="runs per dataset x architecture, seeds SEED..SEED+K-1, each in "
        "OUT/<dataset>/<arch>/seed<S>; the tables give mean, sd and 95%% CIs (default 1)",
    )
    p.add_argument(
        "--jobs",
        type=positive_int,
        help="runs trained at once (default: 1 with --engine local; with --engine ray and no "
        "--address, the local Ray instance's CPUs, default all cores, are JOBS x --cpus-per-run)",
    )
    p.add_argument(
        "--engine",
        choices=("local", "ray"),
        default="local",
        help="where the runs and --motifs happen: this machine's process pool (default) or Ray "
        "tasks, one per run (pip install 'deepmotif[ray]'; see docs/distributed.md)",
    )
    p.add_argument(
        "--address",
        metavar="HOST:PORT",
        help="--engine ray: a running Ray cluster (`ray start --head`; or auto); default: a "
        "private Ray instance on this machine, stopped at the end",
    )
    p.add_argument(
        "--cpus-per-run",
        type=positive_int,
        help="--engine ray: CPUs (and threads) per task (default 1)",
    )
    p.add_argument(
        "--gpus-per-run",
        type=positive_float,
        help="--engine ray: GPUs per task, e.g. 1 or 0.5 (default 0: CPU only)",
    )
    p.add_argument(
        "--ship-data",
        action="store_true",
        help="--engine ray: send input files and run folders through Ray's object store (for "
        "nodes without a filesystem shared with this one); default: read by path",
    )
    p.add_argument("--device", help="cpu, cuda or cuda:N (default: CUDA when available)")
    p.add_argument(
        "--reference",
        metavar="CSV",
        help="published AUCs (default: reference/deepbind_encode_aucs.csv beside DATA_DIR)",
    )
    p.add_argument(
        "--motifs",
        action="store_true",
        help="also extract motifs, match them to JASPAR and write recovery.csv / recovery.md",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(run=run)


def run(args) -> int:
    from deepmotif.benchmark import run_benchmark, wide_table
    from deepmotif.engines import make_engine

    config = {
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "patience": args.patience,
        "seed": args.seed,
    }
    archs = [a.strip() for a in args.archs.split(",") if a.strip()]
    engine = make_engine(
        args.engine,
        jobs=args.jobs or (1 if args.engine == "local" else None),
        address=args.address,
        cpus_per_run=args.cpus_per_run,
        gpus_per_run=args.gpus_per_run,
        ship_data=args.ship_data,
    )
    with engine:
        table = run_benchmark(
            args.data_dir,
            args.out,
            archs=archs,
            datasets=[s for s in (args.datasets or "").split(",") if s] or None,
            config={k: v for k, v in config.items() if v is not None},
            jobs=args.jobs or 1,
            engine=engine,
            device=args.device,
            reference=args.reference,
            motifs=args.motifs,
            seeds=args.seeds,
            verbose=not args.quiet,
        )
    wide = wide_table(table, archs)
    if not wide.empty:
        cols = [c for c in wide.columns if c.endswith("AUROC")]
        print(wide[cols].to_string(float_format=lambda v: f"{v:.3f}"))
    print(
        f"tables: {args.out}/benchmark.csv, {args.out}/benchmark_summary.csv, "
        f"{args.out}/benchmark_comparisons.csv, {args.out}/benchmark.md"
    )
    if (Path(args.out) / "benchmark.png").is_file():
        print(f"figure: {args.out}/benchmark.png")
    if args.motifs:
        print(f"motif recovery: {args.out}/recovery.csv, {args.out}/recovery.md")
    if "error" in table.columns and table["error"].notna().any():
        n = int(table["error"].notna().sum())
        print(
            f"deepmotif benchmark: {n} run(s) failed (the error column of benchmark.csv); "
            "rerun the same command to retry them",
            file=sys.stderr,
        )
        return 1
    return 0
