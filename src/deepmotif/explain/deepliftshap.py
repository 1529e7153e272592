"""DeepLIFT-SHAP with dinucleotide-shuffled references, or expected gradients for LSTMs.

Both explain the positive-class logit against ``n_shuffles`` dinucleotide shuffles of each
sequence (tangermeme's ``ersatz.dinucleotide_shuffle``, seeded) and return **hypothetical
contributions**: for every position and base ``b``, the contribution base ``b`` would make there,
``mean over references r of sum_c m[c, i] (e_b - r)[c, i]`` with the multipliers ``m``;
``attributions * X`` is the contribution of the observed base.

``deeplift`` (convolutional models)
    DeepLIFT's rescale rule on every ReLU and Captum's max-pool rule on every max pool, as
    tangermeme's ``deep_lift_shap`` applies them. For the CNN with its classification head
    they are computed layer by layer without hooks (:mod:`._deeplift_cnn`: each sequence's
    activations once for all its references, the backward pass for the sequence half only, no
    pooling indices), equal to tangermeme's result (tests: 1e-6) and about 2.5x faster; any
    other convolutional model goes through tangermeme itself. The CNN's global max over positions is a function call in its
    ``forward``, which tangermeme's hooks would not see (its gradient would be the plain
    gradient, breaking completeness), so the model is run through a wrapper that applies the
    same layers with the global max as an ``nn.MaxPool1d`` module over the whole length and
    returns the logit as a (n, 1) output.
``expected-gradients`` (RNN, CNN-RNN)
    DeepLIFT's rules are not defined for the LSTM's multiplicative gates, so the LSTM models get
    expected gradients (GradientSHAP, Erion et al. 2021): ``m`` is the gradient at a random point
    ``r + a (x - r)`` of the path from each reference, ``a`` uniform in [0, 1] (one draw per
    reference, seeded, the same for every sequence). Its completeness holds only in expectation.

``delta`` is the convergence delta per sequence: ``logit(x) - mean logit(r)`` minus the sum of
the observed bases' contributions (0 for exact DeepLIFT up to rounding, except at ``N`` columns,
whose contribution ``attributions * X`` drops).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch
from torch import nn

from deepmotif._device import model_on, resolve_device
from deepmotif.errors import DeepMotifError, check_positive_int
from deepmotif.explain import _deeplift_cnn
from deepmotif.explain._common import (
    as_onehot,
    for_each_batch,
    gradient_twin,
    resolve_batch_size,
    run_model_checked,
    worker_batch_size,
)
from deepmotif.explain._references import dinucleotide_shuffles

ALGORITHMS = ("deeplift", "expected-gradients")
#: Interpolated points per backward pass at most (expected gradients).
ROWS = 1024
#: Sequence-reference pairs per DeepLIFT pass at most (whole sequences with all their
#: references per pass; tangermeme's ``batch_size`` on its path): the fastest measured for the
#: CNN at 101 bp with 20 references (40 pairs: 18 s per 1000 sequences, 128: 21 s, 640: 24 s).
PAIRS = 40


class DeepLiftShapResult(NamedTuple):
    """``attributions`` (n, 4, L) hypothetical; ``delta``, ``logits``, ``reference_logits`` (n,)."""

    attributions: np.ndarray
    delta: np.ndarray
    logits: np.ndarray
    reference_logits: np.ndarray
    algorithm: str


class DeepLiftCNN(nn.Module):
    """The CNN with its global max as a module, returning (n, 1) logits (for tangermeme's hooks)."""

    def __init__(self, model, length: int):
        super().__init__()
        self.convs = model.trunk.convs
        self.head = model.head
        with torch.no_grad():
            p = next(model.parameters())
            n_last = self.convs(torch.zeros(1, 4, length, device=p.device, dtype=p.dtype)).shape[-1]
        self.global_max = nn.MaxPool1d(n_last)
        # in eval mode like the model: tangermeme restores the wrapper's mode afterwards, and a
        # wrapper left in training mode would switch the shared layers' dropout on
        self.train(model.training)

        #: When a list, every forward pass appends its (detached) outputs to it: tangermeme
        #: runs the sequences and their references in one batch, so their logits come free.
        self.record: list | None = None

    def forward(self, X):  # noqa: D102
        y = self.head(self.global_max(self.convs(X))[..., 0])[:, None]
        if self.record is not None:
            self.record.append(y.detach()[:, 0])
        return y


def default_algorithm(model) -> str:
    """``deeplift`` for the CNN (a :class:`~deepmotif.models.trunks.CNNTrunk`), else
    ``expected-gradients``."""
    from deepmotif.models.trunks import CNNTrunk

    trunk = getattr(model, "trunk", None)
    return (
        "deeplift" if type(trunk) is CNNTrunk and hasattr(model, "head") else "expected-gradients"
    )


def deep_lift_shap(
    model,
    X,
    *,
    n_shuffles: int = 20,
    batch_size: int | None = None,
    device=None,
    dtype=None,
    random_state: int | None = 0,
    verbose: bool = False,
    algorithm: str | None = None,
) -> DeepLiftShapResult:
    """DeepLIFT-SHAP (CNN) or expected gradients (LSTM models) on one-hot ``X`` (n, 4, L).

    Parameters
    ----------
    n_shuffles : int
        Dinucleotide-shuffled references per sequence (default 20, tangermeme's).
    batch_size : int or None
        Sequences per batch (``None``: per architecture); the result does not depend on it.
    random_state : int or None
        Seed of the shuffles (and of the path points of expected gradients).
    algorithm : {None, "deeplift", "expected-gradients"}
        ``None`` picks by architecture (:func:`default_algorithm`); ``deeplift`` needs a
        :class:`~deepmotif.models.trunks.CNNTrunk`.
    dtype : None or "fp32"
        Float32 only.

    Returns
    -------
    DeepLiftShapResult
        ``attributions`` (n, 4, L) hypothetical contributions, ``delta`` (n,) convergence
        delta, ``logits`` (n,), ``reference_logits`` (n,) mean over references, ``algorithm``.
    """
    n_shuffles = check_positive_int("n_shuffles", n_shuffles)
    if dtype not in (None, "fp32", torch.float32):
        raise DeepMotifError(
            f"deepliftshap computes in float32 only; dtype {dtype!r} is not supported"
        )
    auto = default_algorithm(model)
    algorithm = auto if algorithm is None else algorithm
    if algorithm not in ALGORITHMS:
        raise DeepMotifError(f"algorithm must be one of {', '.join(ALGORITHMS)}, got {algorithm!r}")
    if algorithm == "deeplift" and auto != "deeplift":
        raise DeepMotifError(
            "deeplift needs a convolutional model (its rules do not hold for LSTMs)"
        )
    batch_size = resolve_batch_size(batch_size, model, "deepliftshap")
    X = as_onehot(X)
    n, _, L = X.shape
    dev = resolve_device(device)
    seed = 0 if random_state is None else int(random_state)
    hyp = np.empty((n, 4, L), dtype=np.float32)
    logits = np.empty(n, dtype=np.float32)
    ref_logits = np.empty(n, dtype=np.float32)
    with model_on(model, dev):

        def finish(start, stop, xb, R, h, y=None, yr=None):
            if y is None:
                with torch.no_grad():
                    y = run_model_checked(model, xb).float()
                    B, J = R.shape[:2]
                    yr = run_model_checked(model, R.reshape(B * J, 4, L)).float()
                    yr = yr.view(B, J).mean(1)
            hyp[start:stop] = h.cpu().numpy()
            logits[start:stop] = y.cpu().numpy()
            ref_logits[start:stop] = yr.cpu().numpy()

        layers = _deeplift_cnn.supported_layers(model) if algorithm == "deeplift" else None
        if layers is not None:
            _deeplift_fast(model, layers, X, n_shuffles, seed, batch_size, dev, verbose, finish)
        elif algorithm == "deeplift":
            _deeplift(model, X, n_shuffles, seed, batch_size, dev, verbose, finish)
        else:
            _expected_gradients(model, X, n_shuffles, seed, batch_size, dev, verbose, finish)
    projected = (hyp * X.numpy().astype(np.float32)).sum(axis=(1, 2), dtype=np.float64)
    delta = (logits - ref_logits) - projected
    return DeepLiftShapResult(hyp, delta.astype(np.float32), logits, ref_logits, algorithm)


def _deeplift_fast(model, layers, X, n_shuffles, seed, batch_size, dev, verbose, finish) -> None:
    """DeepLIFT's rules computed layer by layer (:mod:`._deeplift_cnn`), batches on workers."""
    n, _, L = X.shape
    per_pass = max(1, PAIRS // n_shuffles)  # sequences whose pairs go through one pass

    def work(start: int, stop: int) -> None:
        with torch.no_grad():  # grad mode is per thread: batches may run on worker threads
            R_all = dinucleotide_shuffles(X[start:stop], n_shuffles, seed)
            h = torch.empty(stop - start, 4, L, device=dev)
            y = torch.empty(stop - start, device=dev)
            yr = torch.empty(stop - start, device=dev)
            for s0 in range(0, stop - start, per_pass):
                s1 = min(s0 + per_pass, stop - start)
                xb = X[start + s0 : start + s1].to(dev, torch.float32)
                R = R_all[s0:s1].to(dev)
                m, y[s0:s1], yr_b = _deeplift_cnn.multipliers(model, layers, xb, R)
                # hypothetical: sum_c m[c] (e_b - r)[c] = m[b] - sum_c m[c] r[c]
                h[s0:s1] = (m - (m * R).sum(2, keepdim=True)).mean(1)
                yr[s0:s1] = yr_b.mean(1)
            finish(start, stop, None, None, h, y, yr)

    for_each_batch(work, n, batch_size, device=dev, verbose=verbose, desc="deepliftshap")


def _deeplift(model, X, n_shuffles, seed, batch_size, dev, verbose, finish) -> None:
    """tangermeme's deep_lift_shap, one batch of sequences at a time on this thread.

    tangermeme keeps per-module caches in its hooks, so batches are not run concurrently. All
    (sequence, reference) pairs of a batch go through one forward pass, whose outputs (the
    sequences' and the references' logits) are recorded for the convergence delta.
    """
    import warnings

    from tangermeme.deep_lift_shap import deep_lift_shap as tm_deep_lift_shap

    n, _, L = X.shape
    wrapper = DeepLiftCNN(model, L)
    bar = None
    if verbose:
        from tqdm.auto import tqdm

        bar = tqdm(total=n, desc="deepliftshap", unit="seq", leave=False)
    try:
        for start in range(0, n, batch_size):
            stop = min(start + batch_size, n)
            xb = X[start:stop].to(torch.float32)
            R = dinucleotide_shuffles(X[start:stop], n_shuffles, seed)
            wrapper.record = []
            with warnings.catch_warnings():
                # the convergence delta is computed and returned below; N columns (all zero)
                # are accepted (only_warn) and their warning silenced here
                warnings.simplefilter("ignore")
                h = tm_deep_lift_shap(
                    wrapper,
                    xb,
                    references=R,
                    hypothetical=True,
                    batch_size=min(PAIRS, (stop - start) * n_shuffles),
                    device=dev,
                    warning_threshold=float("inf"),
                    only_warn=True,
                )
            # every pass holds p pairs: their sequences first, then their references
            passes, wrapper.record = wrapper.record, None
            B = stop - start
            if sum(len(y) for y in passes) == 2 * B * n_shuffles:
                xs = torch.cat([y[: len(y) // 2] for y in passes]).view(B, n_shuffles)
                rs = torch.cat([y[len(y) // 2 :] for y in passes]).view(B, n_shuffles)
                finish(start, stop, None, None, h, xs[:, 0], rs.mean(1))
            else:
                finish(start, stop, xb.to(dev), R.to(dev), h)
            if bar is not None:
                bar.update(stop - start)
    finally:
        if bar is not None:
            bar.close()


def path_alphas(n_shuffles: int, seed: int) -> np.ndarray:
    """The expected-gradients path points, one per reference (the same for every sequence)."""
    return np.random.default_rng(seed).uniform(size=n_shuffles).astype(np.float32)


def _expected_gradients(model, X, n_shuffles, seed, batch_size, dev, verbose, finish) -> None:
    from deepmotif.explain.saliency import input_gradients

    n, _, L = X.shape
    per_batch = worker_batch_size(n, batch_size, dev)
    net = gradient_twin(model, min(ROWS, per_batch * n_shuffles))
    a = torch.as_tensor(path_alphas(n_shuffles, seed), device=dev)

    def work(start: int, stop: int) -> None:
        xb = X[start:stop].to(dev, torch.float32)
        R = dinucleotide_shuffles(X[start:stop], n_shuffles, seed).to(dev)
        B, J = R.shape[:2]
        pts = (R + a[None, :, None, None] * (xb[:, None] - R)).reshape(B * J, 4, L)
        grads = torch.empty_like(pts)
        for r0 in range(0, len(pts), ROWS):
            grads[r0 : r0 + ROWS], _ = input_gradients(net, pts[r0 : r0 + ROWS])
        g = grads.view(B, J, 4, L)
        # hypothetical: sum_c g[c] (e_b - r)[c] = g[b] - sum_c g[c] r[c]
        h = (g - (g * R).sum(2, keepdim=True)).mean(1)
        finish(start, stop, xb, R, h)

    for_each_batch(work, n, batch_size, device=dev, verbose=verbose, desc="deepliftshap")
