"""In-silico saturation mutagenesis (ISM): the change in logit for every single-base substitution.

For every sequence, position ``i`` and base ``b`` the model's positive-class **logit** is
computed on the sequence with ``b`` written at ``i`` (the column set to the one-hot of ``b``),
and

``delta[b, i] = logit(mutant) - logit(sequence)``

so the observed base's own entry is exactly 0 (substituting a base by itself changes nothing;
those mutants are not run). An ``N`` (all-zero column) has no observed base: all four entries
are real substitutions. This is tangermeme's ``saturation_mutagenesis(..., raw_outputs=True)``
(``y_hat - y0``).

``attributions`` is ``delta`` minus its mean over the four bases at each position, the
hypothetical map of tangermeme's ``saturation_mutagenesis(..., hypothetical=True)``; its value
at the observed base (``attributions * X``, tangermeme's default output) is minus the mean effect
of substituting it, large where any change hurts the prediction.

Exact and fast where the architecture allows (``fast=True``, the default):

* CNN: only the stretch of each layer a substitution reaches is recomputed, from cached
  reference activations (:mod:`deepmotif.explain._ism_cnn`);
* RNN and CNN-RNN: the forward LSTM states before the substituted stretch and the backward
  states after it are reused (:mod:`deepmotif.explain._ism_lstm`);
* anything else: every mutant is a full forward pass, many mutants per call.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch

from deepmotif._device import model_on, resolve_device
from deepmotif.explain._common import (
    as_onehot,
    for_each_batch,
    resolve_batch_size,
    run_model_checked,
)

#: Mutants per forward call on the generic path.
GENERIC_ROWS = 1024


class ISMResult(NamedTuple):
    """ISM maps; ``delta`` and ``attributions`` (n, 4, L) float32, ``logits`` (n,) float32."""

    attributions: np.ndarray
    delta: np.ndarray
    logits: np.ndarray


def _mutants(Xb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(seq, pos, base)`` of every substitution that changes ``Xb``, sorted by position."""
    identity = (Xb == 1) & (Xb.sum(1, keepdim=True) == 1)
    seq, base, pos = torch.nonzero(~identity, as_tuple=True)
    order = torch.argsort(pos * Xb.shape[0] + seq, stable=True)
    return seq[order], pos[order], base[order]


def _generic_logits(model, Xb: torch.Tensor, muts) -> torch.Tensor:
    seq, pos, base = muts
    out = torch.empty(len(seq), device=Xb.device, dtype=torch.float32)
    for r0 in range(0, len(seq), GENERIC_ROWS):
        s, p, b = (
            seq[r0 : r0 + GENERIC_ROWS],
            pos[r0 : r0 + GENERIC_ROWS],
            base[r0 : r0 + GENERIC_ROWS],
        )
        Xm = Xb[s].clone()
        rows = torch.arange(len(s), device=Xb.device)
        Xm[rows, :, p] = 0
        Xm[rows, b, p] = 1
        out[r0 : r0 + len(s)] = run_model_checked(model, Xm).float()
    return out


def mutant_logits_fn(model, fast: bool = True):
    """The function ``(Xb, muts) -> logits`` used for ``model`` (fast path or generic)."""
    from deepmotif.explain import _ism_cnn, _ism_lstm

    if fast:
        layers = _ism_cnn.supported_layers(model)
        if layers is not None:
            return lambda Xb, muts: _ism_cnn.ism_cnn_batch(model, layers, Xb, muts)
        if _ism_lstm.supported(model):
            return lambda Xb, muts: _ism_lstm.ism_lstm_batch(model, Xb, muts)
    return lambda Xb, muts: _generic_logits(model, Xb, muts)


def ism(
    model,
    X,
    *,
    batch_size: int | None = None,
    device=None,
    dtype=None,
    random_state=None,
    verbose: bool = False,
    fast: bool = True,
) -> ISMResult:
    """Saturation mutagenesis of ``model`` on one-hot sequences.

    Parameters
    ----------
    model : torch.nn.Module
        Maps (n, 4, length) one-hot to positive-class logits (n,). Run in eval mode; its device
        and mode are restored afterwards.
    X : numpy.ndarray or torch.Tensor, shape (n, 4, length)
        One-hot sequences; all-zero columns (``N``) get four substitutions.
    batch_size : int or None
        Sequences whose mutants are computed together (``None``: per architecture,
        :data:`deepmotif.archs.BATCH_SIZES` task ``ism``). The result does not depend on it.
    device : str or None
        ``None`` = CUDA when available, else CPU.
    dtype : None or "fp32"
        Float32 only (accepted for the shared signature).
    random_state : ignored
        ISM is deterministic.
    verbose : bool
        Progress bar over sequences.
    fast : bool
        Use the architecture's incremental path (exact); ``False`` runs every mutant as a full
        forward pass (the reference the tests compare with).

    Returns
    -------
    ISMResult
        ``attributions`` (n, 4, L): ``delta`` centred over the four bases; ``delta`` (n, 4, L):
        logit(mutant) - logit(sequence), 0 at the observed base; ``logits`` (n,).
    """
    del random_state
    if dtype not in (None, "fp32", torch.float32):
        from deepmotif.errors import DeepMotifError

        raise DeepMotifError(f"ism computes in float32 only; dtype {dtype!r} is not supported")
    batch_size = resolve_batch_size(batch_size, model, "ism")
    X = as_onehot(X)
    n, _, L = X.shape
    dev = resolve_device(device)
    delta = np.zeros((n, 4, L), dtype=np.float32)
    logits = np.empty(n, dtype=np.float32)
    with model_on(model, dev), torch.no_grad():
        mutant_logits = mutant_logits_fn(model, fast)

        def work(start: int, stop: int) -> None:
            with torch.no_grad():  # grad mode is per thread: batches may run on worker threads
                _work(start, stop)

        def _work(start: int, stop: int) -> None:
            Xb = X[start:stop].to(dev, torch.float32)
            y0 = run_model_checked(model, Xb).float()
            muts = _mutants(Xb)
            y = mutant_logits(Xb, muts)
            d = torch.zeros(stop - start, 4, L, device=dev)
            d[muts[0], muts[2], muts[1]] = y - y0[muts[0]]
            delta[start:stop] = d.cpu().numpy()
            logits[start:stop] = y0.cpu().numpy()

        for_each_batch(work, n, batch_size, device=dev, verbose=verbose, desc="ism")
    attributions = delta - delta.mean(axis=1, keepdims=True)
    return ISMResult(attributions=attributions.astype(np.float32), delta=delta, logits=logits)
