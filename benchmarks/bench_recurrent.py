"""Do the recurrent models learn? Training settings compared on simulated tasks (test AUROC).

Every task is ``deepmotif simulate`` data (4000 sequences of 101 bp, 2 decoys); nothing here
reads an ENCODE ``_B`` file. Each (task, setting, seed) trains one run with
``deepmotif.training.train`` and appends a row to ``OUT/results.csv`` at once (so an interrupted
study keeps what finished, and a rerun skips the rows it has); at the end ``OUT/results.md``
holds the per-task means and the gap to the CNN.

``--study screen``: candidate fixes on FOXA2 and SOX10, one seed, 15 epochs.
``--study confirm``: the chosen defaults against the CNN on five single-TF tasks and two
grammar tasks, seeds 1-3, at the default number of epochs.
``--study grammar``: CNN-RNN regularisation and learning-rate candidates on the two grammar
tasks (fresh seeds 11 and 12), chosen on validation AUROC; ``--study grammar-check``: the
chosen setting against none on single-motif tasks (FOXA2, SOX10, seed 11).
``--study stopping``: the recurrent models trained over their whole cosine schedule
(``min_epochs`` = the 30 default epochs, so early stopping never ends them) on the confirm
study's tasks and seeds, to compare with its rows on validation AUROC.
``--study l2``: the CNN-RNN's L2 penalty (1e-4, the default, against 3e-4 and 1e-3) on the
confirm study's seven tasks at a fresh simulation seed (11), chosen on validation AUROC: the
stopping study showed its best epochs at 5-13 of 30, i.e. overfitting, not early stopping.
``--study cnn-lr``: the CNN's learning rate (1e-3, the default, against 3e-3) and batch size
(256 against 64) on the same tasks and seed 11, chosen on validation AUROC: the CNN the
recurrent models are measured against must itself be at its best.
``--study rnn``: the RNN's settings on the same tasks and seed 11, on validation AUROC: float32
(``dtype="auto"``'s choice, first made on an ENCODE test file) against bf16 autocast, and a
lower peak rate (5e-3) or tighter gradient clipping (1) against the runs whose validation
AUROC collapsed mid-training in the stopping study (FOXA2 seed 3 from 0.75 to 0.60 at epoch 7,
CTCF-REST seed 3 from 0.74 to 0.65 at epoch 9, never to recover).
``--replay DIR [DIR ...]``: early-stopping rules replayed on the whole-schedule validation
curves that ``--study stopping`` wrote to ``DIR/histories.jsonl`` (with the package's own
:class:`~deepmotif.training.schedule.EarlyStopping`): the validation AUROC each rule keeps and
the epochs it costs, so a rule is chosen on validation curves without training again.
``--study patience``: patience 10 for all three architectures on seeds 1-3 (the RNN with bf16
and clipping at 1).
``--summarise DIR [DIR ...]``: the results of several study folders joined into one table (for
example a candidate study beside the confirm study's default rows), without training.
``--study rnn-epochs``: the RNN (bf16, clipping at 1) at 30 epochs, the default until then,
against 60 (the default since), on the confirm study's seven tasks at seed 11, then seeds 1-3,
chosen on validation AUROC. The studies above pin the RNN's 30 epochs of their time.
``--study rnn-stall``: the RNN stalled above chance (RQ4's CTCF-REST at simulation seeds 0 and
5): no stop before epoch 20, half the peak learning rate, or ``lr_drops`` 2 (patience halves the
rate instead of stopping while it is above half its peak), against the default; first on those
two draws (``--tasks CTCF-REST --seeds 0,5``), then on the confirm study's tasks.
``--study rnn-options``: the RNN's architectural options (``pool`` max, ``layers`` 2,
``hidden`` 64) against its default on the confirm study's tasks at seed 11, on validation AUROC.
``--study cnn-rnn-stall``: the CNN-RNN with the RNN's ``lr_drops`` 2, its 60 epochs, or both,
against its default and the CNN, on the confirm study's tasks at seed 11 (then ``--seeds
1,2,3``), chosen on validation AUROC.
``--study cnn-rnn-reg``: the CNN and the CNN-RNN under its budget (the default since 614cbd4)
against a stronger L2 penalty (``weight_decay`` 3e-4) and dropout 0.2 after its convolution, on the
confirm study's tasks at seed 11, on validation AUROC; its rows add ``train_auroc`` (the best
weights on their own training split), which tells overfitting from underfitting. Every study
above pins the CNN-RNN's budget of its time (30 epochs, no ``lr_drops``), and every study
above its undropped convolution (``conv_dropout`` 0, the default until 9980506).
``--study rnn-reg``: the RNN's dropout on its LSTM outputs, the paper's 0.5 against 0.25 and 0,
on the confirm study's tasks at seed 11, with ``train_auroc``: does the RNN overfit or underfit?
``--study cnn-rnn-epochs``: the CNN-RNN at today's defaults (60 epochs) against 100 epochs (its
cosine schedule stretched over them, early stopping as before), batch 64 (twice the steps per
epoch) and patience 10, with the CNN beside them, chosen on validation AUROC: on SOX2-POU5F1
its training loss stays near ln 2 for 10-15 epochs and some runs were still improving when the
60-epoch limit ended them (``still_learning``). Run on SOX2-POU5F1 at seeds 11 and 12, then 1
and 2 (docs/training.md, "SOX2-POU5F1: a slow start"); ``histories.jsonl`` keeps each run's
validation AUROC and training loss per epoch, the curves that section quotes. Its last two
settings, ``drop_rewind`` at 60 epochs and at 100, were then screened on all seven confirm
tasks (``--tasks FOXA2,CTCF-REST,SOX10,SOX2-POU5F1,CTCF,GATA1,REST --seeds 11``), and the
100-epoch one confirmed against the default at ``--seeds 1,2,3`` (docs/training.md, "A longer
limit with the rewind").
``--study rewind``: ``drop_rewind`` (each drop of ``lr_drops`` goes back to the best epoch's
weights and optimiser state) against the default, for the RNN on the confirm study's tasks at
seed 11, then seeds 1-3, chosen on validation AUROC: runs that collapsed at their peak rate
(SOX10 seed 1: validation AUROC 0.75 at epoch 7, 0.50 at epoch 9, 0.72 at the end) went on
from the collapsed weights after each drop. Runs in which no drop fires are identical in both.
``--study cost``: seconds per epoch of the old and new recurrent settings, side by side.

Usage::

    nice -n 10 env OMP_NUM_THREADS=1 python benchmarks/bench_recurrent.py --study screen \\
        --out /tmp/bench-recurrent-screen
"""

from __future__ import annotations

import argparse
import csv
import json
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

#: The training settings before the recurrent-training changes (the "old" rows).
OLD = {
    "lr_schedule": "exponential",
    "warmup_epochs": 0.0,
    "plateau_epochs": 0,
    "min_epochs": 0,
    "batch_size": 256,
}
#: The screen's starting point: the old batch size and the reference LSTM initialisation.
BASE_T = {"batch_size": 256}
#: The CNN-RNN's dropout after its convolution before 0.2 became its default (the outcome of
#: ``--study cnn-rnn-reg``); every study made before pins it (:func:`_cnn_rnn_before`).
CNN_RNN_MODEL_BEFORE = {"conv_dropout": 0.0}
BASE_M = {"rnn": {"input_std": None}, "cnn-rnn": dict(CNN_RNN_MODEL_BEFORE), "cnn": {}}


def _s(arch: str, model: dict | None = None, training: dict | None = None):
    """A screen setting: the old batch size and initialisation unless overridden."""
    return (arch, {**BASE_M[arch], **(model or {})}, {**BASE_T, **(training or {})})


#: name -> (arch, model overrides, training overrides); "warmup+cosine" is the recurrent
#: schedule of ``lr_schedule="auto"`` with min_epochs 10 and the plateau rule.
SCREEN: dict[str, tuple[str, dict, dict]] = {
    "rnn old": _s("rnn", {}, OLD),
    "rnn warmup+cosine": _s("rnn"),
    "rnn warmup+cosine batch 64": _s("rnn", {}, {"batch_size": 64}),
    "rnn warmup+cosine input_std 1": _s("rnn", {"input_std": 1.0}),
    "rnn warmup+cosine pool max": _s("rnn", {"pool": "max"}),
    "cnn-rnn old": _s("cnn-rnn", {}, OLD),
    "rnn warmup+cosine lr 3e-2": _s("rnn", {}, {"lr": 3e-2}),
    "rnn warmup+cosine batch 128 input_std 1": _s("rnn", {"input_std": 1.0}, {"batch_size": 128}),
    "cnn-rnn warmup+cosine": _s("cnn-rnn"),
    "cnn-rnn warmup+cosine conv_norm": _s("cnn-rnn", {"conv_norm": True}),
    "cnn": _s("cnn"),
    "rnn warmup+cosine batch 128": _s("rnn", {}, {"batch_size": 128}),
}

CONFIRM: dict[str, tuple[str, dict, dict]] = {
    "cnn": ("cnn", {}, {}),
    "rnn": ("rnn", {}, {}),
    "cnn-rnn": ("cnn-rnn", {}, {}),
}

#: The CNN-RNN on grammars (where it fell behind the CNN by overfitting: training loss falling,
#: validation AUROC flat): regularisation and learning-rate candidates, chosen on validation
#: AUROC of fresh simulation seeds (11, 12), never on a test split.
GRAMMAR_STUDY: dict[str, tuple[str, dict, dict]] = {
    "cnn": ("cnn", {}, {}),
    "cnn-rnn weight_decay 0": ("cnn-rnn", {}, {"weight_decay": 0.0}),
    "cnn-rnn lr 3e-3": ("cnn-rnn", {}, {"lr": 3e-3, "weight_decay": 0.0}),
    "cnn-rnn conv_dropout 0.2": ("cnn-rnn", {"conv_dropout": 0.2}, {"weight_decay": 0.0}),
    "cnn-rnn weight_decay 1e-4": ("cnn-rnn", {}, {"weight_decay": 1e-4}),
    "cnn-rnn batch 64": ("cnn-rnn", {}, {"batch_size": 64, "weight_decay": 0.0}),
}
#: The chosen setting (weight_decay 1e-4, the CNN-RNN's default since) on single-motif tasks:
#: no loss where there is no grammar to overfit.
GRAMMAR_CHECK = {
    k: GRAMMAR_STUDY[k] for k in ("cnn-rnn weight_decay 0", "cnn-rnn weight_decay 1e-4")
}

#: The whole schedule: no early stop before the default 30 epochs (the best epoch is kept).
STOPPING: dict[str, tuple[str, dict, dict]] = {
    "rnn full schedule": ("rnn", {}, {"min_epochs": 30}),
    "cnn-rnn full schedule": ("cnn-rnn", {}, {"min_epochs": 30}),
}

#: The CNN-RNN's L2 penalty (Adam ``weight_decay``) around its default.
L2_STUDY: dict[str, tuple[str, dict, dict]] = {
    f"cnn-rnn weight_decay {wd}": ("cnn-rnn", {}, {"weight_decay": float(wd)})
    for wd in ("1e-4", "3e-4", "1e-3")
}

#: The CNN's learning rate and batch size around its defaults.
CNN_LR_STUDY: dict[str, tuple[str, dict, dict]] = {
    "cnn": ("cnn", {}, {}),
    "cnn lr 3e-3": ("cnn", {}, {"lr": 3e-3}),
    "cnn batch 64": ("cnn", {}, {"batch_size": 64}),
}

#: The RNN's training precision, peak learning rate and gradient clipping.
RNN_STUDY: dict[str, tuple[str, dict, dict]] = {
    "rnn": ("rnn", {}, {}),
    "rnn bf16": ("rnn", {}, {"dtype": "bf16"}),
    "rnn lr 5e-3": ("rnn", {}, {"lr": 5e-3}),
    "rnn grad_clip 1": ("rnn", {}, {"grad_clip": 1.0}),
}

#: The RNN's precision and clipping before bf16 autocast and clipping at 1 became its defaults
#: (the outcome of ``--study rnn-confirm``). The studies made before that change pin them (see
#: :func:`_before_bundle`), so each reruns as recorded in BENCHMARKS.md.
RNN_BEFORE = {"dtype": "fp32", "grad_clip": 5.0}
#: The RNN's epoch budget before it became 60 (``--study rnn-epochs``); every study made before
#: pins it.
RNN_EPOCHS_BEFORE = 30
#: The CNN-RNN's budget before 60 epochs with ``lr_drops`` 2 became its default (the outcome of
#: ``--study cnn-rnn-stall``); every study made before pins it (:func:`_cnn_rnn_before`).
CNN_RNN_BEFORE = {"epochs": 30, "lr_drops": 0}


def _pinned(
    settings: dict[str, tuple[str, dict, dict]], arch: str, before: dict, model: dict | None = None
) -> dict:
    """``settings`` with every ``arch`` setting on the training settings ``before`` and the
    model settings ``model`` unless it sets its own."""
    pinned = {}
    for name, (a, m, t) in settings.items():
        pinned[name] = (a, {**(model or {}), **m}, {**before, **t}) if a == arch else (a, m, t)
    return pinned


def _before_bundle(settings: dict[str, tuple[str, dict, dict]]) -> dict:
    """``settings`` with the RNN on :data:`RNN_BEFORE` and :data:`RNN_EPOCHS_BEFORE`."""
    return _pinned(settings, "rnn", {**RNN_BEFORE, "epochs": RNN_EPOCHS_BEFORE})


def _cnn_rnn_before(settings: dict[str, tuple[str, dict, dict]]) -> dict:
    """``settings`` with the CNN-RNN on :data:`CNN_RNN_BEFORE` and
    :data:`CNN_RNN_MODEL_BEFORE`."""
    return _pinned(settings, "cnn-rnn", CNN_RNN_BEFORE, CNN_RNN_MODEL_BEFORE)


SINGLE = ["FOXA2", "SOX10", "CTCF", "GATA1", "REST"]
GRAMMARS = {"CTCF-REST": ("CTCF", "REST", "2-10"), "SOX2-POU5F1": ("SOX2", "POU5F1", "0-4")}
#: The RNN candidates of ``--study rnn`` (best on its validation AUROC), on the confirm study's
#: seeds 1-3 (its ``rnn`` rows are the default's).
RNN_CONFIRM: dict[str, tuple[str, dict, dict]] = {
    "rnn bf16": RNN_STUDY["rnn bf16"],
    "rnn grad_clip 1": RNN_STUDY["rnn grad_clip 1"],
    "rnn bf16 grad_clip 1": ("rnn", {}, {"dtype": "bf16", "grad_clip": 1.0}),
}

#: Patience 10 (the replay's choice for the RNN) for every architecture, the RNN with its best
#: candidates, on the confirm study's seeds 1-3: every stall in the studies above was a run
#: ended by patience 5 while still rising.
PATIENCE_STUDY: dict[str, tuple[str, dict, dict]] = {
    "cnn patience 10": ("cnn", {}, {"patience": 10}),
    "rnn bf16 grad_clip 1 patience 10": (
        "rnn",
        {},
        {**RNN_CONFIRM["rnn bf16 grad_clip 1"][2], "patience": 10},
    ),
    "cnn-rnn patience 10": ("cnn-rnn", {}, {"patience": 10}),
}

#: The RNN's epoch budget: its runs at the default 30 epochs nearly all ran to the end (598
#: epochs over 21 runs of ``--study patience``), so 60 (the cosine schedule stretched over them).
RNN_EPOCHS_STUDY: dict[str, tuple[str, dict, dict]] = {
    "rnn epochs 30": ("rnn", {}, {"epochs": RNN_EPOCHS_BEFORE}),
    "rnn epochs 60": ("rnn", {}, {"epochs": 60}),
}

#: The RNN stalled above chance: RQ4's CTCF-REST runs (simulation seeds 0 and 5) sat at validation
#: AUROC 0.64-0.68 while the 60-epoch schedule's rate was still near its peak, and patience ended
#: them at epoch 11 (the 30-epoch schedule, whose rate had decayed by then, learnt seed 0). The
#: candidates: no stop before epoch 20, half the peak rate, or halving the rate (up to twice)
#: where patience would end a run whose rate is still above half its peak (``lr_drops``).
RNN_STALL_STUDY: dict[str, tuple[str, dict, dict]] = {
    "rnn": ("rnn", {}, {}),
    "rnn min_epochs 20": ("rnn", {}, {"min_epochs": 20}),
    "rnn lr 5e-3": ("rnn", {}, {"lr": 5e-3}),
    "rnn lr_drops 2": ("rnn", {}, {"lr_drops": 2}),
}

#: The CNN-RNN's best epochs come early (7-14 of 30 in the confirm study) and patience ends it
#: about halfway through its cosine schedule: the RNN's ``lr_drops`` (halve the rate instead of
#: stopping, up to twice) and its 60-epoch budget, tried on the CNN-RNN.
CNN_RNN_STALL_STUDY: dict[str, tuple[str, dict, dict]] = {
    "cnn": ("cnn", {}, {}),
    "cnn-rnn": ("cnn-rnn", {}, {}),
    "cnn-rnn lr_drops 2": ("cnn-rnn", {}, {"lr_drops": 2}),
    "cnn-rnn epochs 60": ("cnn-rnn", {}, {"epochs": 60}),
    "cnn-rnn epochs 60 lr_drops 2": ("cnn-rnn", {}, {"epochs": 60, "lr_drops": 2}),
}

#: The CNN-RNN under its budget (60 epochs, ``lr_drops`` 2) still trails the CNN on GATA1 and
#: SOX2-POU5F1 while fitting its training split better (seed 1: training AUROC 0.92 and 0.98
#: against the CNN's 0.91 and 0.97, validation 0.88 and 0.93 against 0.90 and 0.95): it
#: overfits. Two regularisers: a stronger L2 penalty and dropout after the convolution.
CNN_RNN_REG_STUDY: dict[str, tuple[str, dict, dict]] = {
    "cnn": ("cnn", {}, {}),
    "cnn-rnn": ("cnn-rnn", {}, {}),
    "cnn-rnn weight_decay 3e-4": ("cnn-rnn", {}, {"weight_decay": 3e-4}),
    "cnn-rnn conv_dropout 0.2": ("cnn-rnn", {"conv_dropout": 0.2}, {}),
}

#: The RNN trails the CNN by 0.02-0.09 test AUROC on five of the seven tasks. Whether it
#: overfits or underfits (``train_auroc`` against ``valid_auroc``), and the paper's dropout of
#: 0.5 on every LSTM output (before the mean over time) against less.
RNN_REG_STUDY: dict[str, tuple[str, dict, dict]] = {
    "cnn": ("cnn", {}, {}),
    "rnn": ("rnn", {}, {}),
    "rnn dropout 0.25": ("rnn", {"dropout": 0.25}, {}),
    "rnn dropout 0": ("rnn", {"dropout": 0.0}, {}),
}

#: The RNN's architectural options at today's training defaults: max over time instead of the
#: mean, two stacked layers, 64 units per direction (options, not defaults: the paper's BiLSTM
#: of 32 units averaged over time stays the default).
RNN_OPTIONS_STUDY: dict[str, tuple[str, dict, dict]] = {
    "rnn": ("rnn", {}, {}),
    "rnn pool max": ("rnn", {"pool": "max"}, {}),
    "rnn layers 2": ("rnn", {"layers": 2}, {}),
    "rnn hidden 64": ("rnn", {"hidden": 64}, {}),
}

#: The CNN-RNN's epoch limit at today's defaults: 60 (the default) against 100.
CNN_RNN_EPOCHS_STUDY: dict[str, tuple[str, dict, dict]] = {
    "cnn": ("cnn", {}, {}),
    "cnn-rnn": ("cnn-rnn", {}, {}),
    "cnn-rnn epochs 100": ("cnn-rnn", {}, {"epochs": 100}),
    "cnn-rnn batch 64": ("cnn-rnn", {}, {"batch_size": 64}),
    "cnn-rnn patience 10": ("cnn-rnn", {}, {"patience": 10}),
    "cnn-rnn drop_rewind": ("cnn-rnn", {}, {"drop_rewind": True}),
    "cnn-rnn epochs 100 drop_rewind": ("cnn-rnn", {}, {"epochs": 100, "drop_rewind": True}),
}

#: ``drop_rewind`` against the default, for the RNN (and the CNN-RNN, by ``--settings``).
REWIND_STUDY: dict[str, tuple[str, dict, dict]] = {
    "cnn": ("cnn", {}, {}),
    # the RNN's default until drop_rewind became its default (the outcome of this study)
    "rnn": ("rnn", {}, {"drop_rewind": False}),
    "rnn drop_rewind": ("rnn", {}, {"drop_rewind": True}),
    "cnn-rnn": ("cnn-rnn", {}, {}),
    "cnn-rnn drop_rewind": ("cnn-rnn", {}, {"drop_rewind": True}),
}

#: Single TFs and grammars interleaved, so a partial study has both kinds.
CONFIRM_TASKS = ["FOXA2", "CTCF-REST", "SOX10", "SOX2-POU5F1", "CTCF", "GATA1", "REST"]

#: Each study: its settings and its default tasks, seeds and epochs (None: the package's). All
#: but ``rnn-reg`` were made before the CNN-RNN's dropout after its convolution, and all but
#: ``cnn-rnn-reg`` and ``rnn-reg`` before its budget changed; each pins the settings of its
#: time. ``--study cost`` times the old and new defaults instead.
STUDIES: dict[str, tuple[dict[str, tuple[str, dict, dict]], list[str], list[int], int | None]] = {
    "screen": (_cnn_rnn_before(_before_bundle(SCREEN)), ["FOXA2", "SOX10"], [1], 15),
    "confirm": (_cnn_rnn_before(_before_bundle(CONFIRM)), CONFIRM_TASKS, [1, 2, 3], None),
    "grammar": (_cnn_rnn_before(GRAMMAR_STUDY), list(GRAMMARS), [11, 12], None),
    "grammar-check": (_cnn_rnn_before(GRAMMAR_CHECK), ["FOXA2", "SOX10"], [11], None),
    "stopping": (_cnn_rnn_before(_before_bundle(STOPPING)), CONFIRM_TASKS, [1, 2, 3], None),
    "l2": (_cnn_rnn_before(L2_STUDY), CONFIRM_TASKS, [11], None),
    "cnn-lr": (_cnn_rnn_before(CNN_LR_STUDY), CONFIRM_TASKS, [11], None),
    "rnn": (_cnn_rnn_before(_before_bundle(RNN_STUDY)), CONFIRM_TASKS, [11], None),
    "rnn-confirm": (_cnn_rnn_before(_before_bundle(RNN_CONFIRM)), CONFIRM_TASKS, [1, 2, 3], None),
    "patience": (_cnn_rnn_before(_before_bundle(PATIENCE_STUDY)), CONFIRM_TASKS, [1, 2, 3], None),
    "rnn-epochs": (_cnn_rnn_before(RNN_EPOCHS_STUDY), CONFIRM_TASKS, [11], None),
    "rnn-stall": (_cnn_rnn_before(RNN_STALL_STUDY), CONFIRM_TASKS, [11], None),
    "cnn-rnn-stall": (_cnn_rnn_before(CNN_RNN_STALL_STUDY), CONFIRM_TASKS, [11], None),
    "rnn-options": (_cnn_rnn_before(RNN_OPTIONS_STUDY), CONFIRM_TASKS, [11], None),
    "rnn-reg": (RNN_REG_STUDY, CONFIRM_TASKS, [11], None),
    # made under the budget, before the dropout: pins only the latter
    "cnn-rnn-reg": (
        _pinned(CNN_RNN_REG_STUDY, "cnn-rnn", {}, CNN_RNN_MODEL_BEFORE),
        CONFIRM_TASKS,
        [11],
        None,
    ),
    "rewind": (REWIND_STUDY, CONFIRM_TASKS, [11], None),
    # run on SOX2-POU5F1 at fresh seeds 11 and 12, then at 1 and 2 (docs/training.md)
    "cnn-rnn-epochs": (CNN_RNN_EPOCHS_STUDY, ["SOX2-POU5F1"], [11, 12, 1, 2], None),
}

#: Every study was made before ``drop_rewind`` became the RNN's default (the outcome of
#: ``--study rewind``), so each pins it off for the RNN unless a setting turns it on.
STUDIES = {
    name: (_pinned(settings, "rnn", {"drop_rewind": False}), *rest)
    for name, (settings, *rest) in STUDIES.items()
}

FIELDS = [
    "study",
    "task",
    "setting",
    "arch",
    "seed",
    "test_auroc",
    "valid_auroc",
    "best_epoch",
    "epochs_run",
    "plateau",
    "sec_per_epoch",
    "train_auroc",
    "still_learning",
]


def _task_data(task: str, seed: int):
    from deepmotif.data.simulate import simulate

    if task in GRAMMARS:
        a, b, spacing = GRAMMARS[task]
        return simulate(None, grammar=(a, b), spacing=spacing, n=4000, seed=seed).dataset
    return simulate([task], n=4000, seed=seed).dataset


def _train_auroc(res, ds) -> float:
    """AUROC of the run's best weights on its own training split: far above the validation
    AUROC is overfitting, close to it and low is underfitting."""
    from deepmotif.data.splits import make_splits
    from deepmotif.evaluation.metrics import binary_metrics, predict

    cfg = res.config["training"]
    part = make_splits(
        ds, None, valid_fraction=cfg["valid_fraction"], test_fraction=cfg["test_fraction"],
        seed=cfg["seed"],
    ).train  # fmt: skip
    scores = predict(res.model, part.one_hot(dtype=np.int8), device="cpu")
    return binary_metrics(part.labels, scores)["auroc"]


def _rows(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    with path.open() as fh:
        return list(csv.DictReader(fh))


def run(
    study: str,
    out: Path,
    tasks: list[str],
    seeds: list[int],
    epochs: int | None,
    only: list[str] | None = None,
) -> None:
    from deepmotif.training import train

    settings = STUDIES[study][0]
    if only:
        settings = {k: v for k, v in settings.items() if k in only}
    out.mkdir(parents=True, exist_ok=True)
    table = out / "results.csv"
    done = {(r["task"], r["setting"], r["seed"]) for r in _rows(table)}
    new = not table.is_file()
    # a table begun before a column was added keeps its header (the new column is left out)
    header = FIELDS
    if table.is_file():
        with table.open() as old:
            header = next(csv.reader(old), FIELDS)
    with table.open("a", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header, extrasaction="ignore")
        if new:
            writer.writeheader()
        for seed in seeds:  # seed-major: an interrupted study has every task at seed 1 first
            for task in tasks:
                ds = None
                for name, (arch, mcfg, tcfg) in settings.items():
                    if (task, name, str(seed)) in done:
                        continue
                    if ds is None:
                        # the data seed is the run seed: each seed is a fresh task draw too
                        ds = _task_data(task, seed)
                    cfg = {"seed": seed, **tcfg}
                    if epochs:
                        cfg["epochs"] = epochs
                    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        t0 = time.perf_counter()
                        res = train(
                            ds,
                            arch=arch,
                            out=Path(tmp) / "run",
                            model_config=mcfg,
                            config=cfg,
                            verbose=False,
                        )
                        secs = time.perf_counter() - t0
                    hist = res.history
                    per_epoch = (hist[-1]["seconds"] - hist[0]["seconds"]) / max(1, len(hist) - 1)
                    row = {
                        "study": study,
                        "task": task,
                        "setting": name,
                        "arch": arch,
                        "seed": seed,
                        "test_auroc": f"{res.metrics['test']['auroc']:.4f}",
                        "valid_auroc": f"{res.metrics['valid']['auroc']:.4f}",
                        "best_epoch": res.metrics["best_epoch"],
                        "epochs_run": res.metrics["epochs_run"],
                        "plateau": res.metrics["plateau"],
                        "sec_per_epoch": f"{per_epoch:.2f}",
                        "train_auroc": f"{_train_auroc(res, ds):.4f}",
                        "still_learning": bool(res.metrics.get("still_learning")),
                    }
                    writer.writerow(row)
                    fh.flush()
                    with (out / "histories.jsonl").open("a") as hf:  # for stopping rules
                        hf.write(
                            json.dumps(
                                {k: row[k] for k in ("task", "setting", "seed")}
                                | {
                                    k: [h.get(k) for h in hist]
                                    for k in ("valid_auroc", "train_loss")
                                }
                            )
                            + "\n"
                        )
                    print(
                        f"{task} seed {seed} {name}: test {row['test_auroc']} best epoch "
                        f"{row['best_epoch']}/{row['epochs_run']} ({secs:.0f} s)",
                        flush=True,
                    )
    print(summarise(out))


def cost(out: Path, repeats: int = 2) -> None:
    """Seconds per epoch of the old and the new recurrent defaults, side by side (interleaved,
    FOXA2 seed 1, 3 epochs per run, the first epoch left out), and of the CNN-RNN's defaults
    without its dropout after the convolution ("new, undropped"); ``OUT/cost.md``."""
    import statistics

    from deepmotif.training import train

    ds = _task_data("FOXA2", 1)
    times: dict[tuple[str, str], list[float]] = {}
    for _ in range(repeats):
        for arch in ("rnn", "cnn-rnn"):
            # "old": the settings when the recurrent-training work began (the RNN in float32)
            old = {**RNN_BEFORE, **OLD} if arch == "rnn" else OLD
            variants = [("old", old, BASE_M[arch]), ("new", {}, {})]
            if arch == "cnn-rnn":
                variants.append(("new, undropped", {}, CNN_RNN_MODEL_BEFORE))
            for label, tcfg, mcfg in variants:
                cfg = {"seed": 1, "epochs": 3, "min_epochs": 3, "patience": 3, **tcfg}
                if label == "old":
                    cfg["min_epochs"] = 0
                with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    res = train(
                        ds,
                        arch=arch,
                        out=Path(tmp) / "r",
                        model_config=mcfg,
                        config=cfg,
                        verbose=False,
                    )
                secs = [h["seconds"] for h in res.history]
                times.setdefault((arch, label), []).extend(
                    b - a for a, b in zip(secs[:-1], secs[1:])
                )
    lines = [
        "| arch | old s/epoch | new s/epoch | new / old "
        "| new, undropped s/epoch | new / undropped |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for arch in ("rnn", "cnn-rnn"):
        old = statistics.median(times[(arch, "old")])
        new = statistics.median(times[(arch, "new")])
        row = f"| {arch} | {old:.2f} | {new:.2f} | {new / old:.2f} |"
        if (arch, "new, undropped") in times:
            bare = statistics.median(times[(arch, "new, undropped")])
            row += f" {bare:.2f} | {new / bare:.2f} |"
        else:
            row += " | |"
        lines.append(row)
    out.mkdir(parents=True, exist_ok=True)
    (out / "cost.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


#: Early-stopping rules replayed by ``--replay``: name -> (patience, min_epochs).
RULES = {
    "patience 5, min 10 (default)": (5, 10),
    "patience 8, min 10": (8, 10),
    "patience 10, min 10": (10, 10),
    "patience 5, min 15": (5, 15),
    "patience 5, min 20": (5, 20),
    "whole schedule": (None, None),
}


def replay(dirs: list[Path]) -> str:
    """Markdown: per architecture and rule, the mean validation AUROC kept (the best epoch
    before the rule stops), the epochs run, and the runs left below their whole-schedule best."""
    from deepmotif.training.config import AUTO
    from deepmotif.training.schedule import EarlyStopping

    curves = {}
    for d in dirs:
        for line in (d / "histories.jsonl").read_text().splitlines():
            rec = json.loads(line)
            if rec["setting"].endswith("full schedule"):
                key = (rec["task"], rec["setting"], rec["seed"])
                curves.setdefault(key, rec["valid_auroc"])
    lines = [
        "| arch | rule | runs | mean valid AUROC kept | epochs run | runs below their best |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for arch in ("rnn", "cnn-rnn"):
        runs = [v for (_, s, _), v in curves.items() if s == f"{arch} full schedule"]
        for name, (patience, min_epochs) in RULES.items():
            kept, epochs, short = [], 0, 0
            for v in runs:
                if patience is None:
                    kept.append(max(v))
                    epochs += len(v)
                    continue
                rule = EarlyStopping(
                    patience, min_epochs=min_epochs, plateau_epochs=AUTO["plateau_epochs"][arch]
                )
                best = -1.0
                for a in v:
                    if rule.update(a):
                        best = a
                    if rule.stop:
                        break
                kept.append(best)
                epochs += rule.epochs
                short += best < max(v)
            if runs:
                mean = sum(kept) / len(kept)
                lines.append(f"| {arch} | {name} | {len(runs)} | {mean:.4f} | {epochs} | {short} |")
    return "\n".join(lines)


def summarise(out: Path, *more: Path, seeds: list[int] | None = None) -> str:
    """Markdown of ``results.csv`` in ``out`` (and ``more`` folders joined to it, e.g. a
    candidate study and the confirm study's default rows): per task and setting the mean
    validation and test AUROC, n seeds and the gap to the CNN; then per setting over all its
    runs. ``seeds``: only those seeds' rows (``--summarise DIR ... --seeds 1,2,3``). Written to
    ``out/results.md`` when ``out`` is the only folder and every seed is kept."""
    import pandas as pd

    df = pd.concat([pd.read_csv(d / "results.csv") for d in (out, *more)])
    if seeds:
        df = df[df["seed"].isin(seeds)]
    # a run met twice (the same task, setting and seed in two folders) is the same run
    df = df.drop_duplicates(["task", "setting", "seed"])
    g = (
        df.groupby(["task", "setting"], sort=False)
        .agg(
            auroc=("test_auroc", "mean"),
            valid=("valid_auroc", "mean"),
            lo=("test_auroc", "min"),
            n=("seed", "count"),
            best_epoch=("best_epoch", "mean"),
            plateau=("plateau", "sum"),
            sec_per_epoch=("sec_per_epoch", "median"),
        )
        .reset_index()
    )
    cnn = g[g.setting == "cnn"].set_index("task")["auroc"]
    g["vs_cnn"] = g.apply(lambda r: r.auroc - cnn.get(r.task, float("nan")), axis=1)
    lines = [
        "| task | setting | seeds | mean valid AUROC | mean test AUROC | min | minus CNN "
        "| mean best epoch | plateau runs | s/epoch |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in g.itertuples():
        lines.append(
            f"| {r.task} | {r.setting} | {r.n} | {r.valid:.3f} | {r.auroc:.3f} | {r.lo:.3f} "
            f"| {r.vs_cnn:+.3f} "
            f"| {r.best_epoch:.1f} | {int(r.plateau)} | {r.sec_per_epoch:.2f} |"
        )
    lines += [
        "",
        "| setting | runs | mean valid AUROC | mean test AUROC | lowest test | runs below 0.8 "
        "| epochs run | still learning at the limit |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in df.groupby("setting", sort=False):
        # rows written before the column existed say nothing either way
        cut = r["still_learning"].dropna() if "still_learning" in r else r.iloc[:0]
        lines.append(
            f"| {name} | {len(r)} | {r.valid_auroc.mean():.3f} | {r.test_auroc.mean():.3f} "
            f"| {r.test_auroc.min():.3f} | {int((r.test_auroc < 0.8).sum())} "
            f"| {int(r.epochs_run.sum())} "
            f"| {f'{int(cut.astype(bool).sum())} of {len(cut)}' if len(cut) else '–'} |"
        )
    text = "\n".join(lines)
    if not more and not seeds:
        (out / "results.md").write_text(text + "\n")
    return text


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--study", choices=[*STUDIES, "cost"])
    ap.add_argument("--out")
    ap.add_argument("--replay", nargs="+", type=Path, help="stopping-study folders to replay")
    ap.add_argument(
        "--summarise",
        nargs="+",
        type=Path,
        help="study folders whose results.csv are joined into one table (no training)",
    )
    ap.add_argument("--tasks", help="comma-separated tasks (default: the study's)")
    ap.add_argument("--seeds", default=None, help="comma-separated seeds")
    ap.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="default: screen 15, others the settings' (the package's unless pinned)",
    )
    ap.add_argument(
        "--settings", help="comma-separated settings of the study to run (default: all)"
    )
    args = ap.parse_args()
    if args.replay:
        print(replay(args.replay))
        return
    if args.summarise:
        seeds = [int(x) for x in args.seeds.split(",")] if args.seeds else None
        print(summarise(*args.summarise, seeds=seeds))
        return
    if not args.study or not args.out:
        ap.error("--study and --out are required (or --replay / --summarise)")
    if args.study == "cost":
        cost(Path(args.out))
        return
    _, tasks, seeds, epochs = STUDIES[args.study]
    if args.tasks:
        tasks = args.tasks.split(",")
    if args.seeds:
        seeds = [int(s) for s in args.seeds.split(",")]
    only = args.settings.split(",") if args.settings else None
    unknown = sorted(set(only or []) - set(STUDIES[args.study][0]))
    if unknown:
        ap.error(f"--settings: {', '.join(unknown)} not in --study {args.study}")
    run(args.study, Path(args.out), tasks, seeds, args.epochs or epochs, only)


if __name__ == "__main__":
    main()
