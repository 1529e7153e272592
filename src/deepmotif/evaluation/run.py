"""Scoring another labelled file with a trained run."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from deepmotif import rundir as runs
from deepmotif.errors import DeepMotifError
from deepmotif.evaluation.metrics import binary_metrics, curves, predict

#: What ``evaluate --out DIR`` writes; ``metrics.json`` (written last) marks it complete.
OUTPUT_FILES = ("metrics.json", "predictions.tsv", "roc.png", "pr.png")


def evaluate_run(run_dir, data, *, out=None, device=None, force: bool = False) -> dict:
    """Predict ``data`` (a SequenceDataset) with the run at ``run_dir``.

    Returns ``{"metrics": ..., "scores": ndarray}``; with ``out``, also writes metrics.json,
    predictions.tsv and roc/pr figures there as one unit (a temporary sibling folder renamed
    into place, ``metrics.json`` written last), refusing to replace results without ``force``
    and a folder holding other files at all.
    """
    import pandas as pd

    from deepmotif.plots.curves import curve_figure, save_figure

    model, config = runs.load_run(run_dir)
    if len(data) == 0:
        raise DeepMotifError(f"{data.path}: no sequences to evaluate")
    if out is not None:
        out = Path(out)
        runs.clean_stale(out)  # first: an old result a killed replacement set aside comes back
        if out.exists() and not out.is_dir():
            raise DeepMotifError(f"--out {out}: exists and is a file")
        foreign = runs.foreign_entries(out, lambda name: name in OUTPUT_FILES)
        if foreign:
            raise DeepMotifError(
                f"--out {out}: holds files that are not evaluation results ({foreign[0]}); "
                "choose a new or empty folder"
            )
        if not force and (out / OUTPUT_FILES[0]).exists():
            raise DeepMotifError(
                f"--out {out}: already holds evaluation results; pass --force to overwrite"
            )
    scores = predict(model, data.one_hot(dtype=np.int8), device=device)
    metrics = binary_metrics(data.labels, scores)
    if out is not None:
        with runs.atomic_dir(out, marker=OUTPUT_FILES[0]) as stage:
            with runs.atomic_path(stage / "predictions.tsv") as tmp:
                pd.DataFrame({"id": data.ids, "label": data.labels, "score": scores}).to_csv(
                    tmp, sep="\t", index=False, float_format="%.6g"
                )
            if metrics["n_positive"] and metrics["n_negative"]:
                res = {"data": {**curves(data.labels, scores), "metrics": metrics}}
                for kind in ("roc", "pr"):
                    save_figure(
                        curve_figure(res, kind, title=f"{config['arch']} {kind.upper()}"),
                        stage / kind,
                    )
            # last: marks the results complete
            runs.write_json(
                stage / OUTPUT_FILES[0], {"run": str(run_dir), "data": data.path, **metrics}
            )
    return {"metrics": metrics, "scores": scores}
