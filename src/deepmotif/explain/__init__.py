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

from __future__ import annotations

from deepmotif._lazy import lazy_exports

_M = "deepmotif.explain."
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "DeepLiftShapResult": _M + "deepliftshap",
        "deep_lift_shap": _M + "deepliftshap",
        "IGResult": _M + "integrated_gradients",
        "integrated_gradients": _M + "integrated_gradients",
        "ISMResult": _M + "ism",
        "ism": _M + "ism",
        "OptimizationResult": _M + "optimize",
        "class_optimization": _M + "optimize",
        "SaliencyResult": _M + "saliency",
        "saliency": _M + "saliency",
        "TemporalResult": _M + "temporal",
        "temporal_scores": _M + "temporal",
    },
)

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
