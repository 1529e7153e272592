"""Reference sequences for the attribution methods that compare an input with a background.

Dinucleotide shuffles come from tangermeme (:func:`tangermeme.ersatz.dinucleotide_shuffle`),
drawn per sequence with the same seed, so a sequence's references depend only on the sequence
and the seed, never on which batch or chunk it is explained in.
"""

from __future__ import annotations

import numpy as np
import torch

from deepmotif.errors import DeepMotifError

BASELINES = ("zeros", "shuffle")


def check_baseline(baseline: str) -> str:
    """``baseline`` validated (one of :data:`BASELINES`)."""
    if baseline not in BASELINES:
        raise DeepMotifError(f"baseline must be one of {', '.join(BASELINES)}, got {baseline!r}")
    return baseline


def dinucleotide_shuffles(Xb: torch.Tensor, n: int, seed: int) -> torch.Tensor:
    """``n`` dinucleotide shuffles of every sequence of ``Xb`` (B, 4, L): (B, n, 4, L) float32.

    ``N`` columns are shuffled as a letter of their own (the count of every dinucleotide kept).
    """
    from tangermeme.ersatz import dinucleotide_shuffle

    Xi = Xb.detach().cpu().round().to(torch.int8)
    if Xb.shape[-1] < 3:  # too short to shuffle: the sequence is its own only shuffle
        return Xb.detach().cpu().float()[:, None].expand(-1, n, -1, -1).clone()
    out = dinucleotide_shuffle(Xi, n=n, random_state=[int(seed)] * Xi.shape[0], allow_N=True)
    return out.to(torch.float32)


def references(Xb: torch.Tensor, baseline: str, n_shuffles: int, seed) -> torch.Tensor:
    """(B, J, 4, L) float32 references: all-``N`` (J = 1) or ``n_shuffles`` shuffles."""
    if baseline == "zeros":
        return torch.zeros(Xb.shape[0], 1, *Xb.shape[1:])
    return dinucleotide_shuffles(Xb, n_shuffles, 0 if seed is None else int(seed))


def gauss_legendre(steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Points in [0, 1] and weights of the ``steps``-point Gauss-Legendre rule (Captum's default)."""
    x, w = np.polynomial.legendre.leggauss(steps)
    return 0.5 * (x + 1.0), 0.5 * w
