"""Saliency maps: the gradient of the positive-class logit with respect to the one-hot input.

The score differentiated is the model's **logit** (the input of the final sigmoid), as in
Simonyan et al. (2014) and Lanchantin et al. (2017): the probability's gradient is the logit's
times ``p (1 - p)`` and so vanishes for confident predictions, which would hide the strongest
sites. Four maps are returned, all from one backward pass per batch:

``gradient``
    d logit / d X, shape (n, 4, length): the effect of (infinitesimally) adding each base.
``saliency``
    ``|gradient| * X``: the Deep Motif Dashboard's map (Lanchantin et al. 2017, eq. 2), the
    magnitude of the gradient at the base actually present.
``grad_x_input``
    ``gradient * X``: signed; negative where the base present pushes the prediction down.
``corrected``
    ``(gradient - mean over the 4 bases) * X``: the gradient correction of Majdandzic et al.
    (Genome Biology 2023), which removes the component of the gradient pointing off the
    one-hot simplex, projected onto the present base (tangermeme's default ``saliency``).
    The uncorrected-but-centred hypothetical map is ``gradient - gradient.mean(1, keepdims=True)``.

Columns that are all zero in ``X`` (``N``) get zero in the three input-weighted maps.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch

from deepmotif._device import autocast, model_on, resolve_autocast, resolve_device
from deepmotif.explain._common import (
    as_onehot,
    for_each_batch,
    gradient_twin,
    resolve_batch_size,
    run_model_checked,
    worker_batch_size,
)


class SaliencyResult(NamedTuple):
    """Saliency maps, each a float32 array of shape (n, 4, length) (see the module docstring)."""

    gradient: np.ndarray
    saliency: np.ndarray
    grad_x_input: np.ndarray
    corrected: np.ndarray


def input_gradients(net, xb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """d logit / d ``xb`` for one batch already on the model's device, and the logits.

    ``net`` is the model or its gradient twin (:func:`deepmotif.explain._common.gradient_twin`),
    in eval mode. Returns ``(gradient (n, 4, L), logits (n,))``.
    """
    x = xb.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        logits = run_model_checked(net, x)
        (grad,) = torch.autograd.grad(logits.sum(), x)
    return grad, logits.detach()


def saliency(
    model,
    X,
    *,
    batch_size: int | None = None,
    device=None,
    dtype=None,
    random_state=None,
    verbose: bool = False,
) -> SaliencyResult:
    """Saliency maps of ``model`` on one-hot sequences.

    Parameters
    ----------
    model : torch.nn.Module
        Maps (n, 4, length) float one-hot to positive-class logits (n,) (e.g. any
        :class:`deepmotif.models.DeepMotifModel`). Run in eval mode; its device and mode are
        restored afterwards.
    X : numpy.ndarray or torch.Tensor, shape (n, 4, length)
        One-hot sequences (any numeric dtype; cast to float32 batch by batch).
    batch_size : int or None
        Sequences per backward pass; ``None`` picks the fastest for the architecture
        (:data:`deepmotif.archs.BATCH_SIZES`, task ``saliency``). The result does not depend on
        it (up to float32 rounding).
    device : str or None
        ``None`` = CUDA when available, else CPU.
    dtype : {None, "fp32", "bf16", "fp16"}
        ``None``/``"fp32"`` (default) computes in float32 with the fast exact path.
        ``"bf16"``/``"fp16"`` run the model's own layers under autocast; measured to deviate
        by up to ~30 % of the largest gradient on the CNN (see docs/explain.md), so not
        recommended for anything but a quick look.
    random_state : ignored
        Saliency is deterministic; accepted for the shared signature.
    verbose : bool
        Show a progress bar.

    Returns
    -------
    SaliencyResult
        ``gradient``, ``saliency`` (|gradient| x input), ``grad_x_input``, ``corrected``; each
        float32 numpy, shape (n, 4, length).
    """
    del random_state
    batch_size = resolve_batch_size(batch_size, model, "saliency")
    X = as_onehot(X)
    dev = resolve_device(device)
    cast = resolve_autocast(dtype)
    grad_all = np.empty(tuple(X.shape), dtype=np.float32)
    with model_on(model, dev):
        per_batch = worker_batch_size(X.shape[0], batch_size, dev)
        net = gradient_twin(model, per_batch) if cast is None else model

        def work(start: int, stop: int) -> None:
            xb = X[start:stop].to(dev, torch.float32)
            with autocast(dev, cast):
                g, _ = input_gradients(net, xb)
            grad_all[start:stop] = g.float().cpu().numpy()

        for_each_batch(work, X.shape[0], batch_size, device=dev, verbose=verbose, desc="saliency")
    return maps_from_gradient(grad_all, X)


def maps_from_gradient(gradient: np.ndarray, X) -> SaliencyResult:
    """The four maps from raw gradients ``(n, 4, L)`` and the one-hot input ``X`` ``(n, 4, L)``."""
    x = X.numpy() if isinstance(X, torch.Tensor) else np.asarray(X)
    x = x.astype(np.float32, copy=False)
    gradient = np.asarray(gradient, dtype=np.float32)
    centred = gradient - gradient.mean(axis=1, keepdims=True)
    return SaliencyResult(
        gradient=gradient,
        saliency=np.abs(gradient) * x,
        grad_x_input=gradient * x,
        corrected=centred * x,
    )
