"""Class optimization: the input the model finds most typical of a bound sequence.

Gradient ascent on a free input ``X`` (restarts, 4, length), maximising

    logit(X) - l2 * ||X||^2

(Simonyan et al. 2014; Lanchantin et al. 2017, section 3.3: lambda = 0.009, RMSprop, 1000 steps).
All restarts are one batch: every restart's objective depends only on its own input and RMSprop
keeps per-element statistics, so the batched run is the same computation as running the
restarts one at a time (up to float rounding in the model's batched kernels).

Turning the optimised input into a position weight matrix:

``pwm``
    the paper's clamp-and-normalise: negative entries set to 0, each position divided by its
    sum; a position with no positive entry becomes uniform (0.25 each).
``pwm_softmax``
    a softmax over the four bases at each position.

Both come from the best restart (highest final ``logit``). With ``window=(start, end)`` only
positions ``start .. end-1`` are free and the rest stay 0 (``N``); the PWMs still span the whole
input, with uniform columns outside the window.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch

from deepmotif._device import autocast, model_on, resolve_autocast, resolve_device
from deepmotif.errors import DeepMotifError, check_positive_int
from deepmotif.explain._common import (
    as_onehot,
    for_each_batch,
    gradient_twin,
    resolve_batch_size,
    run_model_checked,
    worker_batch_size,
)


class OptimizationResult(NamedTuple):
    """What :func:`class_optimization` returns (float32 numpy arrays).

    Attributes
    ----------
    inputs : ndarray, shape (restarts, 4, length)
        The optimised inputs.
    scores : ndarray, shape (restarts,)
        The positive-class logit of each optimised input.
    best : int
        Index of the restart with the highest score.
    pwm : ndarray, shape (4, length)
        Clamp-and-normalise PWM of the best input (columns sum to 1).
    pwm_softmax : ndarray, shape (4, length)
        Softmax-over-bases PWM of the best input.
    """

    inputs: np.ndarray
    scores: np.ndarray
    best: int
    pwm: np.ndarray
    pwm_softmax: np.ndarray


def clamp_normalise(x: np.ndarray) -> np.ndarray:
    """The paper's PWM: clamp ``x`` (..., 4, L) at 0 and normalise each position to sum 1.

    Positions without a positive entry become uniform (0.25).
    """
    pos = np.clip(np.asarray(x, dtype=np.float64), 0.0, None)
    total = pos.sum(axis=-2, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        pwm = np.where(total > 0, pos / np.where(total > 0, total, 1.0), 0.25)
    return pwm.astype(np.float32)


def softmax_pwm(x: np.ndarray) -> np.ndarray:
    """Softmax of ``x`` (..., 4, L) over the four bases at each position."""
    z = np.asarray(x, dtype=np.float64)
    z = np.exp(z - z.max(axis=-2, keepdims=True))
    return (z / z.sum(axis=-2, keepdims=True)).astype(np.float32)


def _window(window, length: int) -> tuple[int, int]:
    if window is None:
        return 0, length
    try:
        start, end = (int(v) for v in window)
    except (TypeError, ValueError) as exc:
        raise DeepMotifError(f"window must be a pair (start, end), got {window!r}") from exc
    if not 0 <= start < end <= length:
        raise DeepMotifError(
            f"window ({start}, {end}) must satisfy 0 <= start < end <= length ({length})"
        )
    return start, end


def _start_inputs(X, n_restarts: int, length, start: str, random_state) -> torch.Tensor:
    if X is not None:
        if isinstance(X, np.ndarray | torch.Tensor) and np.ndim(X) == 2:
            X = X[None]
        X0 = as_onehot(X).to(torch.float32)
        if X0.shape[0] == 1:
            X0 = X0.expand(n_restarts, -1, -1)
        elif X0.shape[0] != n_restarts:
            raise DeepMotifError(
                f"X holds {X0.shape[0]} starting inputs; expected 1 or n_restarts ({n_restarts})"
            )
        if length is not None and int(length) != X0.shape[-1]:
            raise DeepMotifError(f"length {length} does not match X's length {X0.shape[-1]}")
        return X0.clone()
    if length is None:
        raise DeepMotifError("class_optimization needs X (starting inputs) or length")
    length = check_positive_int("length", length)
    if start == "uniform":
        return torch.full((n_restarts, 4, length), 0.25)
    if start == "random":
        gen = torch.Generator().manual_seed(_seed(random_state))
        u = torch.rand((n_restarts, 4, length), generator=gen)
        return u / u.sum(dim=1, keepdim=True)  # a random point of the simplex at each position
    raise DeepMotifError(f"start must be 'random' or 'uniform', got {start!r}")


def _seed(random_state) -> int:
    if random_state is None:
        return int(np.random.default_rng().integers(2**63 - 1))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**63 - 1))
    return int(random_state)


def class_optimization(
    model,
    X=None,
    *,
    length: int | None = None,
    n_restarts: int = 16,
    steps: int = 1000,
    lr: float = 0.01,
    l2: float = 0.009,
    start: str = "random",
    window: tuple[int, int] | None = None,
    batch_size: int | None = None,
    device=None,
    dtype=None,
    random_state=None,
    verbose: bool = False,
) -> OptimizationResult:
    """Optimise inputs to maximise the positive-class logit minus ``l2 * ||X||^2``.

    Parameters
    ----------
    model : torch.nn.Module
        Maps (n, 4, length) to logits (n,). Device and mode are restored afterwards; its
        parameters are never changed.
    X : array or Tensor, shape (4, length), (1, 4, length) or (n_restarts, 4, length), optional
        Starting inputs (e.g. real sequences). Without it, ``length`` and ``start`` decide.
    length : int, optional
        Input length when ``X`` is not given (use the length the model was trained on).
    n_restarts : int
        Independent restarts, optimised together as one batch.
    steps : int
        RMSprop steps.
    lr : float
        RMSprop learning rate (``torch.optim.RMSprop`` defaults otherwise).
    l2 : float
        Weight of the squared L2 norm penalty (0.009 in the paper).
    start : {"random", "uniform"}
        ``"random"``: each position a random point of the simplex (uniform Dirichlet), seeded by
        ``random_state``; ``"uniform"``: 0.25 everywhere (every restart then follows the same
        path, so one restart is enough).
    window : (start, end), optional
        Only positions ``start .. end-1`` are optimised; the rest are held at 0.
    batch_size : int or None
        Restarts per batch (restarts beyond it run as further batches); ``None`` = 64
        (:data:`deepmotif.archs.BATCH_SIZES`, task ``optimize``). The result does not depend
        on it.
    device, dtype
        As everywhere (``dtype`` = autocast dtype; default float32).
    random_state : int, numpy Generator or None
        Seed of the random start; the same seed gives the same result.
    verbose : bool
        Progress bar over steps.

    Returns
    -------
    OptimizationResult
        ``inputs`` (restarts, 4, length), ``scores`` (restarts,), ``best``, ``pwm`` (4, length),
        ``pwm_softmax`` (4, length).
    """
    n_restarts = check_positive_int("n_restarts", n_restarts)
    steps = check_positive_int("steps", steps, allow_zero=True)
    batch_size = resolve_batch_size(batch_size, model, "optimize")
    if not (isinstance(lr, int | float) and lr > 0):
        raise DeepMotifError(f"lr must be a number above 0, got {lr!r}")
    if not (isinstance(l2, int | float) and l2 >= 0):
        raise DeepMotifError(f"l2 must be a number of at least 0, got {l2!r}")
    X0 = _start_inputs(X, n_restarts, length, start, random_state)
    L = X0.shape[-1]
    w0, w1 = _window(window, L)
    free = torch.zeros(1, 1, L)
    free[..., w0:w1] = 1.0
    X0 = X0 * free
    dev = resolve_device(device)
    cast = resolve_autocast(dtype)
    out = np.empty((n_restarts, 4, L), dtype=np.float32)
    scores = np.empty(n_restarts, dtype=np.float32)
    with model_on(model, dev):
        with torch.no_grad():
            run_model_checked(model, X0[:1].to(dev))
        per_batch = worker_batch_size(n_restarts, batch_size, dev)
        net = gradient_twin(model, per_batch) if cast is None else model

        def work(s: int, e: int) -> None:
            x = X0[s:e].to(dev).clone().requires_grad_(True)
            mask = free.to(dev)
            opt = torch.optim.RMSprop([x], lr=lr)
            for _ in _steps(steps, verbose and s == 0):
                with torch.enable_grad(), autocast(dev, cast):
                    free_x = x * mask
                    objective = run_model_checked(net, free_x).float() - l2 * free_x.pow(2).sum(
                        dim=(1, 2)
                    )
                    # autograd.grad, not backward(): the model's parameters never receive .grad
                    (x.grad,) = torch.autograd.grad(-objective.sum(), x)
                opt.step()
            with torch.no_grad():
                final = (x * mask).detach()
                scores[s:e] = run_model_checked(model, final).float().cpu().numpy()
            out[s:e] = final.cpu().numpy()

        for_each_batch(work, n_restarts, batch_size, device=dev, verbose=False, desc="restarts")
    best = int(np.argmax(scores))
    free_np = free[0].numpy().astype(bool)[0]
    pwm = clamp_normalise(out[best])
    pwm_soft = softmax_pwm(out[best])
    pwm[:, ~free_np] = 0.25
    pwm_soft[:, ~free_np] = 0.25
    return OptimizationResult(inputs=out, scores=scores, best=best, pwm=pwm, pwm_softmax=pwm_soft)


def _steps(steps: int, verbose: bool):
    if verbose:
        from tqdm.auto import trange

        return trange(steps, desc="class optimization", unit="step", leave=False)
    return range(steps)
