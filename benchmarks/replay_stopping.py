"""Would early stopping's chance band by validation size have stopped a recorded run elsewhere?

Usage::

    .venv/bin/python benchmarks/replay_stopping.py RUNS_ROOT [RUNS_ROOT ...]

Every finished recurrent run (RNN or CNN-RNN) under the given folders is replayed: its recorded
validation AUROC per epoch (``history.csv``) goes through the package's
:class:`~deepmotif.training.schedule.EarlyStopping` with the run's own patience, ``min_epochs``
and ``plateau_epochs`` (``config.json``), once with the fixed band of 0.05 and once with
:func:`~deepmotif.training.health.chance_margin` of its validation split. A run whose stopping
epoch differs would train differently today; the others are unchanged up to their stop, since
training is seeded. The validation split is stratified by label, so half of its recorded size
is taken as positives. CNN runs are skipped (they count patience from the first epoch either
way).
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path


def stop_epoch(values, training: dict, margin: float) -> int | None:
    from deepmotif.training.schedule import EarlyStopping

    es = EarlyStopping(
        training["patience"],
        min_epochs=training["min_epochs"],
        plateau_epochs=training["plateau_epochs"],
        margin=margin,
    )
    for epoch, v in enumerate(values, 1):
        es.update(v)
        if es.stop:
            return epoch
    return None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("roots", nargs="+", type=Path, help="folders holding run directories")
    args = ap.parse_args(argv)

    from deepmotif.rundir import read_config, run_is_finished
    from deepmotif.training.health import PLATEAU_MARGIN, chance_margin

    runs = sorted({p.parent for root in args.roots for p in root.rglob("config.json")})
    n, changed = 0, []
    for run in runs:
        if not run_is_finished(run) or not (run / "history.csv").is_file():
            continue
        config = read_config(run)
        if config.get("arch") not in ("rnn", "cnn-rnn"):
            continue
        with (run / "history.csv").open() as fh:
            values = [float(row["valid_auroc"]) for row in csv.DictReader(fh)]
        n_valid = int(config["data"]["splits"]["n_valid"])
        margin = chance_margin(n_valid // 2, n_valid - n_valid // 2)
        before = stop_epoch(values, config["training"], PLATEAU_MARGIN)
        now = stop_epoch(values, config["training"], margin)
        n += 1
        if before != now:
            changed.append((run, len(values), before, now, margin))
    print(f"{n} recurrent runs read; the stopping epoch changes for {len(changed)}")
    for run, epochs, before, now, margin in changed:
        print(f"  {run}: {epochs} epochs recorded, stopped at {before} with the band 0.05, "
              f"{now or 'not within them'} with {margin:.3f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
