"""The end of a training run: evaluate the best weights and write the run directory's weights,
tables, curves and, last, ``metrics.json`` (with what :mod:`deepmotif.training.health` says
about how training went)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from deepmotif import rundir as runs
from deepmotif.errors import DeepMotifWarning
from deepmotif.evaluation import binary_metrics, curves, predict
from deepmotif.training.health import (
    PLATEAU_MARGIN,
    never_left_plateau,
    plateau_advice,
    still_learning,
    still_learning_note,
)


def finish_run(
    out: Path,
    model,
    splits,
    history: list[dict],
    best_epoch: int,
    *,
    device=None,
    name=None,
    extra: dict | None = None,
    budget: tuple[int, int] | None = None,
) -> dict:
    """Evaluate the best model (on ``device``, the training device) and write weights, tables,
    curves and, last, metrics.json (``name``: the run folder as the user knows it; ``extra``:
    more keys for it; ``budget``: the run's ``epochs`` and ``patience``, for
    :func:`~deepmotif.training.health.still_learning`)."""
    import pandas as pd
    from safetensors.torch import save_file

    from deepmotif.plots.curves import curve_figure, save_figure

    with runs.atomic_path(out / runs.WEIGHTS) as tmp:
        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(tmp))
    with runs.atomic_path(out / runs.HISTORY) as tmp:
        pd.DataFrame(history).to_csv(tmp, index=False)

    results, metrics = {}, {}
    for split in ("valid", "test"):  # not ``name``: the warnings below name the run with it
        part = getattr(splits, split)
        p = predict(model, part.one_hot(dtype=np.int8), device=device)
        metrics[split] = binary_metrics(part.labels, p)
        results[split] = {**curves(part.labels, p), "metrics": metrics[split]}
        if split == "test":
            table = pd.DataFrame(
                {"id": part.ids, "sequence": part.sequences, "label": part.labels, "score": p}
            )
            with runs.atomic_path(out / runs.TEST_TABLE) as tmp:
                table.to_csv(tmp, sep="\t", index=False, float_format="%.6g")
    for kind, cols in (
        ("roc", ("fpr", "tpr", "threshold")),
        ("pr", ("recall", "precision", "threshold")),
    ):
        frames = [
            pd.DataFrame({"split": s, **{c: r[kind][c] for c in cols}}) for s, r in results.items()
        ]
        with runs.atomic_path(out / f"{kind}.csv") as tmp:
            pd.concat(frames).to_csv(tmp, index=False, float_format="%.6g")
        save_figure(curve_figure(results, kind, title=f"{model.arch} {kind.upper()}"), out / kind)
    metrics["best_epoch"] = best_epoch
    metrics["epochs_run"] = len(history)
    metrics["plateau"] = never_left_plateau(h["valid_auroc"] for h in history)
    metrics.update(extra or {})
    if metrics["plateau"]:
        advice = plateau_advice(model.arch, history)
        metrics["plateau_advice"] = advice
        warnings.warn(
            f"{name or out}: the validation AUROC never left {0.5 - PLATEAU_MARGIN:.2f}-"
            f"{0.5 + PLATEAU_MARGIN:.2f} (chance): the model did not learn; {advice}",
            DeepMotifWarning,
            stacklevel=3,
        )
    cut = budget and still_learning([h["valid_auroc"] for h in history], *budget)
    metrics["still_learning"] = cut or False
    if cut:
        cut["note"] = still_learning_note(cut)
        warnings.warn(f"{name or out}: {model.arch}: {cut['note']}", DeepMotifWarning, stacklevel=3)
    runs.write_json(out / runs.METRICS, metrics)
    (out / runs.CHECKPOINT).unlink(missing_ok=True)
    return metrics
