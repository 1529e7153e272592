"""Temporal output scores: where along the sequence the model makes its decision.

For each sequence and position ``t`` (Lanchantin et al. 2017, section 3.2):

``forward[:, t]``
    the positive-class **probability** of the model on the prefix ending at ``t``
    (``X[:, :, :t+1]``): how sure the model is after reading up to ``t`` left to right;
``backward[:, t]``
    the same on the suffix starting at ``t`` (``X[:, :, t:]``), reading right to left.

What "the model on a prefix" means per architecture:

RNN
    The whole model on the prefix: a fresh bidirectional LSTM run over ``X[:, :, :t+1]``, its
    outputs averaged over the ``t + 1`` positions, then the head.
CNN-RNN
    As in the paper: the convolution runs over the whole sequence (so features near ``t`` see
    their full receptive field), and the recurrent part reads the prefix (suffix) of the feature
    sequence.
CNN (and any other model)
    A convolutional network reads the whole window at once, so its analogue keeps the input
    length and masks the rest of the sequence: the prefix ending at ``t`` is ``X`` with every
    position after ``t`` set to zero (an ``N``), the suffix starting at ``t`` has every position
    before ``t`` zeroed.

How it is computed (all results equal the one-call-per-prefix loop to float32 rounding; the
tests check 1e-5):

* The forward LSTM direction of every prefix ending at ``t`` is the forward direction of the
  whole sequence up to ``t``, so one pass and a cumulative sum give all of them; likewise the
  backward direction of every suffix.
* The backward direction of a prefix starts afresh at the prefix's end, so it differs for every
  ``t``: all ``length`` restarted runs of a batch advance together, one matrix product per step
  (:func:`deepmotif.explain._lstm.restarted_run_sums`), and the input projection of the
  CNN-RNN's features is computed once, not once per prefix. Same for the forward direction of
  every suffix.
* The CNN's masked inputs (``2 * length`` per sequence) are run as large batches.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch

from deepmotif._device import autocast, model_on, resolve_autocast, resolve_device
from deepmotif.explain._common import (
    as_onehot,
    for_each_batch,
    resolve_batch_size,
    run_model_checked,
)
from deepmotif.explain._lstm import restarted_run_sums, supports_fast_lstm


class TemporalResult(NamedTuple):
    """Temporal output scores, each a float32 array of shape (n, length) of probabilities."""

    forward: np.ndarray
    backward: np.ndarray


def is_prefix_model(model) -> bool:
    """True when ``model`` is a recurrent model whose prefixes are computed exactly (RNN, CNN-RNN).

    Requires ``model.trunk.features``, ``model.trunk.pool_recurrent``, a bidirectional
    single-layer ``model.trunk.lstm`` pooled by its mean and ``model.head``; other models use the
    masked analogue.
    """
    trunk = getattr(model, "trunk", None)
    lstm = getattr(trunk, "lstm", None)
    return (
        hasattr(trunk, "features")
        and hasattr(trunk, "pool_recurrent")
        and getattr(trunk, "pool", "mean") == "mean"
        and hasattr(model, "head")
        and isinstance(lstm, torch.nn.LSTM)
        and supports_fast_lstm(lstm)
        and lstm.bidirectional
    )


@torch.no_grad()
def _recurrent_scores(model, xb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Prefix and suffix probabilities ``(b, L)`` of a recurrent model on one batch."""
    trunk = model.trunk
    lstm = trunk.lstm
    H = lstm.hidden_size
    feats = trunk.features(xb)  # (b, C, L): the CNN-RNN's convolution sees the whole sequence
    seq = feats.transpose(1, 2).float().contiguous()  # (b, L, C)
    b, L, _ = seq.shape
    out, _ = lstm(seq)  # the un-restarted directions: forward of prefixes, backward of suffixes
    out = out.float()
    fwd_of_prefix = out[..., :H].cumsum(1)
    bwd_of_suffix = out[..., H:].flip(1).cumsum(1).flip(1)
    with torch.autocast(seq.device.type, enabled=False):  # the hand-written loop runs in float32
        bwd_of_prefix = restarted_run_sums(seq, lstm, 1)
        fwd_of_suffix = restarted_run_sums(seq, lstm, 0)
    n_prefix = torch.arange(1, L + 1, device=seq.device, dtype=seq.dtype).view(1, L, 1)
    n_suffix = n_prefix.flip(1)
    prefix = torch.cat([fwd_of_prefix, bwd_of_prefix], -1) / n_prefix
    suffix = torch.cat([fwd_of_suffix, bwd_of_suffix], -1) / n_suffix
    pooled = torch.cat([prefix, suffix]).reshape(2 * b * L, 2 * H)
    prob = torch.sigmoid(model.head(pooled).float()).view(2, b, L)
    return prob[0], prob[1]


@torch.no_grad()
def _masked_scores(model, xb: torch.Tensor, sub_batch: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Masked-prefix and masked-suffix probabilities ``(b, L)`` of any model on one batch."""
    b, _, L = xb.shape
    pos = torch.arange(L, device=xb.device)
    keep_prefix = (pos.view(1, L) <= pos.view(L, 1)).to(xb.dtype)  # [t, p] = p <= t
    keep_suffix = keep_prefix.t().contiguous()  # [t, p] = p >= t
    out = torch.empty(2, b * L, device=xb.device)
    for k, keep in enumerate((keep_prefix, keep_suffix)):
        for s in range(0, b * L, sub_batch):  # (sequence, t) pairs, built one chunk at a time
            j = torch.arange(s, min(s + sub_batch, b * L), device=xb.device)
            masked = xb[j // L] * keep[j % L].unsqueeze(1)
            out[k, s : s + len(j)] = torch.sigmoid(run_model_checked(model, masked).float())
    out = out.view(2, b, L)
    return out[0], out[1]


def temporal_scores(
    model,
    X,
    *,
    batch_size: int | None = None,
    device=None,
    dtype=None,
    random_state=None,
    verbose: bool = False,
) -> TemporalResult:
    """Positive-class probability of ``model`` on every prefix and every suffix of ``X``.

    Parameters
    ----------
    model : torch.nn.Module
        A :class:`deepmotif.models.DeepMotifModel`. Recurrent models (``rnn``, ``cnn-rnn``) get
        exact prefix/suffix scores; any other model mapping (n, 4, length) to logits (n,) gets
        the masked analogue (see the module docstring). Device and mode are restored.
    X : numpy.ndarray or torch.Tensor, shape (n, 4, length)
        One-hot sequences.
    batch_size : int or None
        Sequences per batch (a CNN runs ``2 * length`` masked copies of each); ``None`` = 16
        (:data:`deepmotif.archs.BATCH_SIZES`, task ``temporal``), which keeps a batch's
        restarted LSTM states in cache. The result does not depend on it.
    device : str or None
        ``None`` = CUDA when available, else CPU.
    dtype : {None, "fp32", "bf16", "fp16"}
        Autocast dtype for the model's own layers (the restarted LSTM runs stay float32);
        ``None`` (float32) for results equal to the naive loop.
    random_state : ignored
        Deterministic; accepted for the shared signature.
    verbose : bool
        Show a progress bar.

    Returns
    -------
    TemporalResult
        ``forward`` (n, length): probability on the prefix ending at ``t``; ``backward``
        (n, length): probability on the suffix starting at ``t``. float32.
    """
    del random_state
    batch_size = resolve_batch_size(batch_size, model, "temporal")
    X = as_onehot(X)
    dev = resolve_device(device)
    cast = resolve_autocast(dtype)
    n, _, L = X.shape
    fwd = np.empty((n, L), dtype=np.float32)
    bwd = np.empty((n, L), dtype=np.float32)
    with model_on(model, dev):
        exact = is_prefix_model(model)
        if not exact:  # fail early, with one clear line, on a length the model cannot take
            with torch.no_grad():
                run_model_checked(model, X[:1].to(dev, torch.float32))

        def work(start: int, stop: int) -> None:
            xb = X[start:stop].to(dev, torch.float32)
            with autocast(dev, cast):
                if exact:
                    f, b = _recurrent_scores(model, xb)
                else:
                    f, b = _masked_scores(model, xb, sub_batch=max(256, batch_size))
            fwd[start:stop] = f.float().cpu().numpy()
            bwd[start:stop] = b.float().cpu().numpy()

        for_each_batch(work, n, batch_size, device=dev, verbose=verbose, desc="temporal scores")
    return TemporalResult(forward=fwd, backward=bwd)
