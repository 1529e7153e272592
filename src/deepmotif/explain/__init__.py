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

import importlib

#: Where each public name lives. The modules are imported on first use (PEP 562), so that
#: ``deepmotif --help`` and the registry's method table do not load torch.
_WHERE = {
    "DeepLiftShapResult": "deepliftshap",
    "deep_lift_shap": "deepliftshap",
    "IGResult": "integrated_gradients",
    "integrated_gradients": "integrated_gradients",
    "ISMResult": "ism",
    "ism": "ism",
    "OptimizationResult": "optimize",
    "class_optimization": "optimize",
    "SaliencyResult": "saliency",
    "saliency": "saliency",
    "TemporalResult": "temporal",
    "temporal_scores": "temporal",
}


def __getattr__(name: str):
    if name in _WHERE:
        value = getattr(importlib.import_module(f"deepmotif.explain.{_WHERE[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'deepmotif.explain' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])


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
