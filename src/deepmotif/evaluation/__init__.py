"""Evaluation: predictions and metrics (:mod:`.metrics`), and scoring a labelled file with a
finished run (:mod:`.run`, ``deepmotif evaluate``)."""

from deepmotif.evaluation.metrics import binary_metrics, curves, predict
from deepmotif.evaluation.run import evaluate_run

__all__ = ["binary_metrics", "curves", "evaluate_run", "predict"]
