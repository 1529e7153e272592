"""``deepmotif train``: train one architecture into a run directory."""

from __future__ import annotations

import argparse
import sys

from deepmotif.archs import ARCHS
from deepmotif.cli._common import (
    BATCH_SIZE_HELP,
    LR_HELP,
    fraction,
    nonneg_int,
    positive_float,
    positive_int,
)

ORDER = 30


def register(sub) -> None:
    p = sub.add_parser(
        "train",
        help="train a CNN / RNN / CNN-RNN classifier into a run directory",
        description="Train one architecture on labelled sequences and write a run directory "
        "(config.json, model.safetensors, metrics.json, history.csv, curves).",
    )
    p.add_argument("train", metavar="TRAIN", help="training sequences (any supported format)")
    p.add_argument("--test", metavar="TEST", help="held-out test file (otherwise a seeded split)")
    p.add_argument("--arch", choices=ARCHS, help="architecture (default: cnn)")
    p.add_argument("--out", required=True, metavar="RUN", help="run directory to create")
    p.add_argument(
        "--epochs",
        type=positive_int,
        help="maximum epochs (default: 30 for the CNN, 60 for the recurrent models)",
    )
    p.add_argument(
        "--batch-size",
        type=positive_int,
        help=BATCH_SIZE_HELP,
    )
    p.add_argument(
        "--lr",
        type=positive_float,
        help=LR_HELP,
    )
    p.add_argument(
        "--patience", type=positive_int, help="early-stopping patience in epochs (default 5)"
    )
    p.add_argument("--seed", type=nonneg_int, help="random seed (default 0)")
    p.add_argument("--valid-fraction", type=fraction, help="validation fraction (default 0.1)")
    p.add_argument(
        "--test-fraction", type=fraction, help="test fraction without --test (default 0.1)"
    )
    p.add_argument(
        "--dtype", choices=["auto", "fp32", "bf16"], help="training precision (default auto)"
    )
    p.add_argument(
        "--rc-augment",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="random reverse-complement augmentation (default on)",
    )
    p.add_argument(
        "--threads",
        type=positive_int,
        help="CPU threads for training (default: 1 for rnn/cnn-rnn, torch's default for cnn)",
    )
    p.add_argument("--device", help="cpu, cuda or cuda:N (default: CUDA when available)")
    p.add_argument(
        "--config", metavar="FILE", help="JSON/TOML config: training keys, arch, model table"
    )
    p.add_argument("--force", action="store_true", help="overwrite an existing run directory")
    p.add_argument(
        "--resume", action="store_true", help="continue an interrupted run from its checkpoint"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    from deepmotif.cli._data import add_data_arguments

    add_data_arguments(p)
    p.set_defaults(run=run)


def training_overrides(args) -> dict:
    """The training settings given on the command line (None = not given)."""
    return {
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "patience": args.patience,
        "seed": args.seed,
        "valid_fraction": args.valid_fraction,
        "test_fraction": args.test_fraction,
        "dtype": args.dtype,
        "rc_augment": args.rc_augment,
        "threads": args.threads,
    }


def run(args) -> int:
    from deepmotif.cli._data import dataset_from_args
    from deepmotif.training import load_config_file, train

    file_cfg = load_config_file(args.config) if args.config else {}
    arch = args.arch or file_cfg.get("arch", "cnn")
    overrides = {k: v for k, v in file_cfg.items() if k not in ("arch", "model")}
    overrides.update({k: v for k, v in training_overrides(args).items() if v is not None})
    train_ds = dataset_from_args(args, args.train)
    test_ds = dataset_from_args(args, args.test, length=train_ds.length) if args.test else None
    result = train(
        train_ds,
        test_ds,
        arch=arch,
        out=args.out,
        model_config=file_cfg.get("model"),
        config=overrides,
        device=args.device,
        force=args.force,
        resume=args.resume,
        verbose=not args.quiet,
        extra_config={"command": "deepmotif " + " ".join(sys.argv[1:])} if sys.argv else None,
    )
    m = result.metrics
    print(
        f"{arch}: test AUROC {m['test']['auroc']:.4f}, AUPRC {m['test']['auprc']:.4f}, "
        f"accuracy {m['test']['accuracy']:.4f} (n={m['test']['n']}); best epoch {m['best_epoch']} "
        f"of {m['epochs_run']}; {result.seconds:.0f} s"
        + (f"; learning rate halved {m['lr_drops']}x (lr_drops)" if m.get("lr_drops") else "")
    )
    print(f"run directory: {result.path}")
    return 0
