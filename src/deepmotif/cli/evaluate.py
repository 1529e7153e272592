"""``deepmotif evaluate``: score another labelled file with a trained run."""

from __future__ import annotations

ORDER = 35


def register(sub) -> None:
    p = sub.add_parser(
        "evaluate",
        help="score a labelled file with a trained run (AUROC, AUPRC, accuracy)",
        description="Predict every sequence of DATA with the run's model and report metrics.",
    )
    p.add_argument("run_dir", metavar="RUN", help="a run directory written by 'deepmotif train'")
    p.add_argument("data", metavar="DATA", help="labelled sequences (any supported format)")
    p.add_argument(
        "--out", metavar="DIR", help="also write metrics.json, predictions.tsv, roc/pr figures here"
    )
    p.add_argument("--device", help="cpu, cuda or cuda:N (default: CUDA when available)")
    p.add_argument("--force", action="store_true", help="overwrite files in --out")
    p.add_argument("--json", action="store_true", help="print the metrics as one JSON object")
    from deepmotif.cli._data import add_data_arguments

    add_data_arguments(p)
    p.set_defaults(run=run)


def run(args) -> int:
    import json

    from deepmotif.cli._data import dataset_from_args
    from deepmotif.evaluation import evaluate_run
    from deepmotif.rundir import read_config

    config = read_config(args.run_dir)
    ds = dataset_from_args(args, args.data, length=args.length or config["data"].get("length"))
    result = evaluate_run(args.run_dir, ds, out=args.out, device=args.device, force=args.force)
    m = result["metrics"]
    if args.json:
        print(json.dumps(m))
    else:
        print(
            f"{ds.path}: AUROC {m['auroc']:.4f}, AUPRC {m['auprc']:.4f}, accuracy {m['accuracy']:.4f} (n={m['n']})"
        )
        if args.out:
            print(f"written to {args.out}")
    return 0
