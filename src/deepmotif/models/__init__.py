"""The three Deep Motif Dashboard architectures: a trunk per architecture, one shared head.

Every model maps a float one-hot tensor ``X`` of shape ``(n, 4, length)`` to positive-class
logits of shape ``(n,)``. See :func:`build_model`.
"""

from deepmotif.models.build import (
    ARCHS,
    LEGACY_MODEL_DEFAULTS,
    MODEL_DEFAULTS,
    build_model,
    resolve_model_config,
)
from deepmotif.models.heads import ClassificationHead
from deepmotif.models.network import DeepMotifModel
from deepmotif.models.trunks import BiLSTMTrunk, CNNTrunk, ConvBiLSTMTrunk

__all__ = [
    "ARCHS",
    "LEGACY_MODEL_DEFAULTS",
    "MODEL_DEFAULTS",
    "BiLSTMTrunk",
    "CNNTrunk",
    "ClassificationHead",
    "ConvBiLSTMTrunk",
    "DeepMotifModel",
    "build_model",
    "resolve_model_config",
]
