"""Did a run learn, and did it finish learning? Two checks over a run's validation history.

A recurrent model can sit at chance for its first epochs and, when early stopping ends it
there, the run looks finished but has learnt nothing: its test AUROC then says something about
the optimiser, not about the architecture. :func:`never_left_plateau` names such a run from its
history alone, so the CLI, ``metrics.json``, the quickstart and the dashboard can say so.

The other end: a run that used up its epoch budget while its validation AUROC was still rising
was cut short by ``epochs``, not ended by early stopping. Its test AUROC then measures the
budget as much as the model (a slow learner compared at equal epochs with a fast one loses by
the budget). :func:`still_learning` names such a run.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

__all__ = [
    "PLATEAU_MARGIN",
    "PLATEAU_ADVICE",
    "PLATEAU_P",
    "chance_margin",
    "never_left_plateau",
    "plateau_advice",
    "STILL_LEARNING_RISE",
    "still_learning",
    "still_learning_note",
]

#: A run never left its start-up plateau when every validation AUROC lies within this margin
#: of chance (0.5).
PLATEAU_MARGIN = 0.05

#: One-sided p-value a validation AUROC must beat to count as having left chance in early
#: stopping (:func:`chance_margin`).
PLATEAU_P = 1e-3


def chance_margin(
    n_positive: int, n_negative: int, *, p: float = PLATEAU_P, floor: float = PLATEAU_MARGIN
) -> float:
    """Half-width of the chance band for a validation split of this size.

    Under the null (scores unrelated to labels) the AUROC of ``n_positive`` positives and
    ``n_negative`` negatives is about normal with mean 1/2 and variance
    ``(n0 + n1 + 1) / (12 n0 n1)`` (the Mann-Whitney statistic;
    :func:`deepmotif.evaluation.metrics.null_auroc_margin`). The margin is its upper ``p``
    point minus 1/2, and at least ``floor`` (default :data:`PLATEAU_MARGIN`): with 200
    positives and 200 negatives 0.089 (an AUROC of 0.55 there is noise, p = 0.04), with 1000 of
    each 0.05. ``floor`` when a class is empty.
    """
    from deepmotif.evaluation.metrics import null_auroc_margin

    if int(n_positive) <= 0 or int(n_negative) <= 0:
        return floor
    return max(floor, null_auroc_margin(n_positive, n_negative, p))


#: What to try when a run never left its plateau (the general advice; see
#: :func:`plateau_advice` for the advice that fits a run).
PLATEAU_ADVICE = (
    "train longer with more patience (--epochs, --patience), try another --seed, or lower --lr"
)


def never_left_plateau(valid_aurocs: Iterable[float], *, margin: float = PLATEAU_MARGIN) -> bool:
    """True when every validation AUROC of a run lies within ``margin`` of 0.5.

    Parameters
    ----------
    valid_aurocs : iterable of float
        One validation AUROC per epoch (NaN entries, e.g. a one-class validation split, are
        ignored).
    margin : float
        Half-width of the chance band.

    Returns
    -------
    bool
        False for an empty or all-NaN history (nothing to judge).
    """
    values = np.asarray(list(valid_aurocs), dtype=np.float64)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return False
    return bool(np.all(np.abs(values - 0.5) <= margin))


def plateau_advice(arch: str, history: list[dict]) -> str:
    """Advice for a run that never left its plateau, from its architecture and history.

    ``history`` holds one dict per epoch with ``"epoch"`` and ``"train_loss"`` (as in
    ``history.csv``). A run that ended early (its training loss still falling, or stopped by
    patience) is told to train longer; a recurrent run whose training loss stayed at chance
    (ln 2) is told about the learning rate and the documented architectural options; a CNN on
    its plateau most likely has data without a learnable signal.
    """
    losses = [float(h["train_loss"]) for h in history if "train_loss" in h]
    tips = []
    flat = bool(losses) and min(losses) > 0.68  # ln 2 = 0.693: the loss of a constant output
    if len(history) < 15:
        tips.append(f"it ran only {len(history)} epochs: train longer (--epochs, --patience)")
    if arch in ("rnn", "cnn-rnn"):
        if flat:
            tips.append(
                "a lower --lr (the training loss never fell below chance) or another --seed"
            )
        tips.append(
            "a recurrent variant from docs/training.md (config 'model' table: "
            "pool 'max' or layers 2, the options that measured best) or compare with --arch cnn"
        )
    else:
        tips.append(
            "check that the labels carry a signal (deepmotif inspect; a shuffled-label "
            "control) or try another --seed"
        )
    return "; ".join(tips)


#: How much the validation AUROC must have risen over a run's last epochs (its last quarter,
#: at least ``patience`` epochs) for :func:`still_learning` to call the run cut short.
STILL_LEARNING_RISE = 0.01


def still_learning(
    valid_aurocs: Iterable[float], epochs: int, patience: int, *, rise: float = STILL_LEARNING_RISE
) -> dict | None:
    """Was a run still learning when its epoch budget ended it?

    True (a dict) when the run ran all ``epochs`` epochs, its best validation AUROC came in its
    last ``patience`` epochs (so early stopping had not run out of patience), and that best
    beats every epoch before its last quarter (at least ``patience`` epochs) by ``rise`` or more.
    The best epoch is the first at the highest AUROC, as early stopping keeps it.

    Returns
    -------
    dict or None
        ``best_epoch``, ``epochs``, ``window`` (the epochs counted as the end) and ``rise`` (the
        best AUROC minus the best before the window); None when the run was not cut short, or
        has fewer than 4 finite AUROCs.
    """
    values = np.asarray(list(valid_aurocs), dtype=np.float64)
    n = values.size
    if n < max(4, int(epochs)) or np.isfinite(values).sum() < 4:
        return None
    scores = np.where(np.isfinite(values), values, -np.inf)
    best = int(np.argmax(scores))
    window = min(n - 1, max(int(patience), -(-n // 4)))
    if best < n - max(1, int(patience)):
        return None
    gain = float(scores[best] - scores[: n - window].max())
    if not gain >= rise:
        return None
    return {"best_epoch": best + 1, "epochs": n, "window": window, "rise": round(gain, 4)}


def still_learning_note(info: dict) -> str:
    """The warning for a run :func:`still_learning` names (``info`` is its result); training
    stores it in ``metrics.json`` as ``still_learning.note``, which the dashboard and the report
    show after the architecture's name."""
    return (
        "still learning when its epoch budget ended (best validation AUROC at epoch "
        f"{info['best_epoch']} of {info['epochs']}, up {info['rise']:.3f} over the last "
        f"{info['window']} epochs): its test AUROC is limited by --epochs; train longer to "
        "compare it with other runs"
    )
