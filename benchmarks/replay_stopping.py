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

It also lists the runs that ``lr_drops`` would change, for the architectures whose default
(``AUTO["lr_drops"]``) uses it: those trained without it that stopped
before their last epoch with their last rate (``history.csv``'s ``lr``) above
:data:`~deepmotif.training.schedule.LR_DROP_ABOVE` of their base rate, where training would now
halve the rate and go on (:func:`would_drop`). The others train identically today.
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


def would_drop(rates, training: dict) -> bool:
    """True for a run trained without ``lr_drops`` (``training``: its config's settings) that
    stopped early with its last rate above ``LR_DROP_ABOVE`` of its base rate."""
    from deepmotif.training.schedule import LR_DROP_ABOVE

    if training.get("lr_drops", 0) or len(rates) >= training["epochs"]:
        return False
    return rates[-1] > LR_DROP_ABOVE * training["lr"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("roots", nargs="+", type=Path, help="folders holding run directories")
    args = ap.parse_args(argv)

    from deepmotif.rundir import read_config, run_is_finished
    from deepmotif.training.config import AUTO
    from deepmotif.training.health import PLATEAU_MARGIN, chance_margin

    runs = sorted({p.parent for root in args.roots for p in root.rglob("config.json")})
    n, changed, drops = 0, [], []
    for run in runs:
        if not run_is_finished(run) or not (run / "history.csv").is_file():
            continue
        config = read_config(run)
        if config.get("arch") not in ("rnn", "cnn-rnn"):
            continue
        with (run / "history.csv").open() as fh:
            rows = list(csv.DictReader(fh))
        values = [float(row["valid_auroc"]) for row in rows]
        if AUTO["lr_drops"][config["arch"]] and would_drop(
            [float(r["lr"]) for r in rows], config["training"]
        ):
            drops.append((run, len(values)))
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
    print(
        "runs that their architecture's lr_drops default would change (stopped early at a rate "
        f"above half): {len(drops)}"
    )
    for run, epochs in drops:
        print(f"  {run}: stopped after {epochs} epochs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
