"""Explanations of a trained model: saliency maps, temporal output scores, class optimization.

Every function takes ``(model, X, *, batch_size=..., device=None, dtype=None,
random_state=None, verbose=False)`` where ``X`` is a float one-hot array or tensor of shape
(n, 4, length), returns a named tuple of CPU numpy arrays, does not depend on the batch size,
and restores the model's device and train/eval mode. See ``docs/explain.md``.

* :func:`saliency` -> :class:`SaliencyResult` (gradient, saliency, grad_x_input, corrected)
* :func:`temporal_scores` -> :class:`TemporalResult` (forward, backward)
* :func:`class_optimization` -> :class:`OptimizationResult` (inputs, scores, best, pwm,
  pwm_softmax)
* :func:`ism` -> :class:`ISMResult` (attributions, delta, logits)
* :func:`integrated_gradients` -> :class:`IGResult` (attributions, delta, logits,
  baseline_logits)
* :func:`deep_lift_shap` -> :class:`DeepLiftShapResult` (attributions, delta, logits,
  reference_logits, algorithm)
* :func:`deepmotif.explain.run.explain_run` explains a run directory into an ``.npz`` file
  and figures (the library side of ``deepmotif explain``).
"""

from deepmotif.explain.deepliftshap import DeepLiftShapResult, deep_lift_shap
from deepmotif.explain.integrated_gradients import IGResult, integrated_gradients
from deepmotif.explain.ism import ISMResult, ism
from deepmotif.explain.optimize import OptimizationResult, class_optimization
from deepmotif.explain.saliency import SaliencyResult, saliency
from deepmotif.explain.temporal import TemporalResult, temporal_scores

__all__ = [
    "DeepLiftShapResult",
    "IGResult",
    "ISMResult",
    "OptimizationResult",
    "SaliencyResult",
    "TemporalResult",
    "class_optimization",
    "deep_lift_shap",
    "integrated_gradients",
    "ism",
    "saliency",
    "temporal_scores",
]
