"""Learning speed of the CNN under different settings on simulated CTCF data (test AUROC).

Usage::

    OMP_NUM_THREADS=1 python benchmarks/bench_cnn_defaults.py [--epochs 6] [--n 2000]
"""

from __future__ import annotations

import argparse
import tempfile
import warnings

from deepmotif.data.simulate import simulate
from deepmotif.training import train

SETTINGS = {
    "conv_dropout 0.5": ({"conv_dropout": 0.5}, {}),
    "conv_dropout 0.1": ({"conv_dropout": 0.1}, {}),
    "conv_dropout 0.0 (default)": ({"conv_dropout": 0.0}, {}),
    "conv_dropout 0.0, lr 3e-3": ({"conv_dropout": 0.0}, {"lr": 3e-3}),
    "conv_dropout 0.0, batch 64": ({"conv_dropout": 0.0}, {"batch_size": 64}),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--n", type=int, default=2000, help="simulated sequences (default 2000)")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    ds = simulate(["CTCF"], n=args.n, length=101, seed=0).dataset
    with tempfile.TemporaryDirectory() as tmp:
        for i, (name, (model_cfg, train_cfg)) in enumerate(SETTINGS.items()):
            res = train(
                ds,
                arch="cnn",
                out=f"{tmp}/{i}",
                model_config=model_cfg,
                config={"epochs": args.epochs, "patience": 10, **train_cfg},
                verbose=False,
            )
            print(f"{name:30s} test AUROC {res.metrics['test']['auroc']:.3f}", flush=True)


if __name__ == "__main__":
    main()
