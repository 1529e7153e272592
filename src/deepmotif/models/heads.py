"""The classification head shared by every architecture."""

from __future__ import annotations

import torch
from torch import nn


class ClassificationHead(nn.Module):
    """Dropout then one linear unit: features ``(n, d)`` -> positive-class logits ``(n,)``."""

    def __init__(self, in_features: int, dropout: float = 0.5):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.linear = nn.Linear(in_features, 1)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.linear(self.dropout(h)).squeeze(-1)
