"""Explanations of a trained model: saliency maps, temporal output scores, class optimization.

Every function takes ``(model, X, *, batch_size=..., device=None, dtype=None,
random_state=None, verbose=False)`` where ``X`` is a float one-hot array or tensor of shape
(n, 4, length), returns a named tuple of CPU numpy arrays, does not depend on the batch size,
and restores the model's device and train/eval mode. See ``docs/explain.md``.

* :func:`saliency` -> :class:`SaliencyResult` (gradient, saliency, grad_x_input, corrected)
* :func:`temporal_scores` -> :class:`TemporalResult` (forward, backward)
* :func:`class_optimization` -> :class:`OptimizationResult` (inputs, scores, best, pwm,
  pwm_softmax)
* :func:`deepmotif.explain.run.explain_run` explains a run directory into an ``.npz`` file
  and figures (the library side of ``deepmotif explain``).
"""

from deepmotif.explain.optimize import OptimizationResult, class_optimization
from deepmotif.explain.saliency import SaliencyResult, saliency
from deepmotif.explain.temporal import TemporalResult, temporal_scores

__all__ = [
    "OptimizationResult",
    "SaliencyResult",
    "TemporalResult",
    "class_optimization",
    "saliency",
    "temporal_scores",
]
