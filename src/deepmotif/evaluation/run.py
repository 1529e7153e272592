"""Scoring another labelled file with a trained run."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from deepmotif import rundir as runs
from deepmotif.errors import DeepMotifError
from deepmotif.evaluation.metrics import binary_metrics, curves, predict


def evaluate_run(run_dir, data, *, out=None, device=None, force: bool = False) -> dict:
    """Predict ``data`` (a SequenceDataset) with the run at ``run_dir``.

    Returns ``{"metrics": ..., "scores": ndarray}``; with ``out``, also writes metrics.json,
    predictions.tsv and roc/pr figures there (refusing to overwrite without ``force``).
    """
    import pandas as pd

    from deepmotif.plots.curves import curve_figure, save_figure

    model, config = runs.load_run(run_dir)
    if len(data) == 0:
        raise DeepMotifError(f"{data.path}: no sequences to evaluate")
    if out is not None:
        out = Path(out)
        if out.exists() and not out.is_dir():
            raise DeepMotifError(f"--out {out}: exists and is a file")
        targets = [out / f for f in ("metrics.json", "predictions.tsv", "roc.png", "pr.png")]
        if not force and any(t.exists() for t in targets):
            raise DeepMotifError(
                f"--out {out}: already holds evaluation results; pass --force to overwrite"
            )
    scores = predict(model, data.one_hot(dtype=np.int8), device=device)
    metrics = binary_metrics(data.labels, scores)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        runs.write_json(out / "metrics.json", {"run": str(run_dir), "data": data.path, **metrics})
        with runs.atomic_path(out / "predictions.tsv") as tmp:
            pd.DataFrame({"id": data.ids, "label": data.labels, "score": scores}).to_csv(
                tmp, sep="\t", index=False, float_format="%.6g"
            )
        if metrics["n_positive"] and metrics["n_negative"]:
            res = {"data": {**curves(data.labels, scores), "metrics": metrics}}
            for kind in ("roc", "pr"):
                save_figure(
                    curve_figure(res, kind, title=f"{config['arch']} {kind.upper()}"), out / kind
                )
    return {"metrics": metrics, "scores": scores}
