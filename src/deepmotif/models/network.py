"""A trunk plus the shared classification head."""

from __future__ import annotations

import torch
from torch import nn

from deepmotif.models.heads import ClassificationHead


class DeepMotifModel(nn.Module):
    """``X`` (n, 4, length) float one-hot -> positive-class logits (n,).

    Attributes
    ----------
    arch : str
        ``"cnn"``, ``"rnn"`` or ``"cnn-rnn"``.
    config : dict
        The resolved hyperparameters the model was built from (see :func:`build_model`).
    trunk, head : nn.Module
    """

    def __init__(self, arch: str, trunk: nn.Module, head: ClassificationHead, config: dict):
        super().__init__()
        self.arch = arch
        self.trunk = trunk
        self.head = head
        self.config = dict(config)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.head(self.trunk(X))

    @property
    def is_recurrent(self) -> bool:
        return hasattr(self.trunk, "pool_recurrent")

    @property
    def first_conv(self) -> nn.Conv1d | None:
        """The first-layer convolution (None for the RNN)."""
        return getattr(self.trunk, "first_conv", None)
