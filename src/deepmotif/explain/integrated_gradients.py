"""Integrated gradients (Sundararajan et al. 2017) of the positive-class logit.

``IG(x)[c, i] = (x - r)[c, i] * integral over a in [0, 1] of d logit / d X[c, i] at r + a (x - r)``

for a baseline ``r``, the integral by the ``steps``-point Gauss-Legendre rule (Captum's default
``method="gausslegendre"``). Baselines:

``zeros``
    the all-``N`` sequence (every column zero); the attribution is then non-zero only at the
    observed bases.
``shuffle``
    ``n_shuffles`` dinucleotide shuffles of the sequence (tangermeme's
    ``ersatz.dinucleotide_shuffle``, seeded); the attributions are averaged over them.

**Completeness**: the attributions sum to ``logit(x) - mean over baselines of logit(r)`` up to
the quadrature error; ``delta`` is that difference minus the sum, per sequence.

All (sequence, baseline, step) points of a batch go through one backward pass of the model's
gradient twin (:func:`deepmotif.explain._common.gradient_twin`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch

from deepmotif._device import model_on, resolve_device
from deepmotif.errors import check_positive_int
from deepmotif.explain._common import (
    as_onehot,
    for_each_batch,
    gradient_twin,
    resolve_batch_size,
    run_model_checked,
    worker_batch_size,
)
from deepmotif.explain._references import check_baseline, gauss_legendre, references

#: Interpolated points per backward pass at most (bounds memory).
ROWS = 1024


class IGResult(NamedTuple):
    """``attributions`` (n, 4, L); ``delta``, ``logits``, ``baseline_logits`` (n,); float32."""

    attributions: np.ndarray
    delta: np.ndarray
    logits: np.ndarray
    baseline_logits: np.ndarray


def integrated_gradients(
    model,
    X,
    *,
    baseline: str = "zeros",
    steps: int = 50,
    n_shuffles: int = 8,
    batch_size: int | None = None,
    device=None,
    dtype=None,
    random_state: int | None = 0,
    verbose: bool = False,
) -> IGResult:
    """Integrated gradients of ``model``'s logit on one-hot sequences ``X`` (n, 4, L).

    Parameters
    ----------
    baseline : {"zeros", "shuffle"}
        All-``N`` baseline, or ``n_shuffles`` dinucleotide shuffles of each sequence.
    steps : int
        Gauss-Legendre points along the path (default 50, Captum's default).
    n_shuffles : int
        Shuffled baselines per sequence (``baseline="shuffle"`` only).
    batch_size : int or None
        Sequences per batch (``None``: per architecture); the result does not depend on it.
    random_state : int or None
        Seed of the shuffles (the same seed gives the same result).
    dtype : None or "fp32"
        Float32 only.

    Returns
    -------
    IGResult
        ``attributions`` (n, 4, L); ``delta`` (n,) = ``logits - baseline_logits`` minus the
        attributions' sum (completeness error); ``logits`` (n,); ``baseline_logits`` (n,), the
        mean logit of the baselines.
    """
    from deepmotif.explain.saliency import input_gradients

    baseline = check_baseline(baseline)
    steps = check_positive_int("steps", steps)
    n_shuffles = check_positive_int("n_shuffles", n_shuffles)
    _float32_only(dtype, "integrated-gradients")
    batch_size = resolve_batch_size(batch_size, model, "integrated-gradients")
    X = as_onehot(X)
    n, _, L = X.shape
    dev = resolve_device(device)
    alphas, weights = gauss_legendre(steps)
    attr = np.empty((n, 4, L), dtype=np.float32)
    logits = np.empty(n, dtype=np.float32)
    base_logits = np.empty(n, dtype=np.float32)
    with model_on(model, dev):
        per_batch = worker_batch_size(n, batch_size, dev)
        J = 1 if baseline == "zeros" else n_shuffles
        net = gradient_twin(model, min(ROWS, per_batch * J * steps))
        a = torch.as_tensor(alphas, dtype=torch.float32, device=dev)
        wts = torch.as_tensor(weights, dtype=torch.float32, device=dev)

        def work(start: int, stop: int) -> None:
            xb = X[start:stop].to(dev, torch.float32)
            R = references(X[start:stop], baseline, n_shuffles, random_state).to(dev)
            B, J = R.shape[:2]
            diff = xb[:, None] - R  # (B, J, 4, L)
            pts = R[:, :, None] + a[None, None, :, None, None] * diff[:, :, None]
            pts = pts.reshape(B * J * steps, 4, L)
            grads = torch.empty_like(pts)
            for r0 in range(0, len(pts), ROWS):
                grads[r0 : r0 + ROWS], _ = input_gradients(net, pts[r0 : r0 + ROWS])
            g = (grads.view(B, J, steps, 4, L) * wts[None, None, :, None, None]).sum(2)
            attr_b = (g * diff).mean(1)
            with torch.no_grad():
                y = run_model_checked(model, xb).float()
                yr = run_model_checked(model, R.reshape(B * J, 4, L)).float().view(B, J).mean(1)
            attr[start:stop] = attr_b.cpu().numpy()
            logits[start:stop] = y.cpu().numpy()
            base_logits[start:stop] = yr.cpu().numpy()

        for_each_batch(
            work, n, batch_size, device=dev, verbose=verbose, desc="integrated gradients"
        )
    delta = (logits - base_logits) - attr.sum(axis=(1, 2), dtype=np.float64)
    return IGResult(attr, delta.astype(np.float32), logits, base_logits)


def _float32_only(dtype, name: str) -> None:
    if dtype not in (None, "fp32", torch.float32):
        from deepmotif.errors import DeepMotifError

        raise DeepMotifError(f"{name} computes in float32 only; dtype {dtype!r} is not supported")
