"""Class optimization: the input the model finds most typical of a bound sequence.

Three objectives (``objective=``), all optimising ``n_restarts`` inputs of shape (4, length) as
one batch (each restart's objective depends only on its own input and the optimisers keep
per-element statistics, so the batched run is the same computation as the restarts run one at
a time, up to float rounding in the model's batched kernels):

``"softmax"`` (the default)
    Free per-position logits ``theta`` (restarts, 4, length; 32 restarts), started at seeded
    normal values of standard deviation 2; the model sees ``P = softmax(theta / temperature)``
    over the four bases of each position, so every input is a distribution per position (never
    outside the one-hot simplex). Maximised: ``logit(P) - l2 * ||theta||^2`` with Adam. The penalty pulls positions
    the model does not care about back to ``theta = 0`` (uniform), so the PWM (``P`` of the best
    restart) is sharp only where the model's score depends on the base. The best *discrete*
    sequence is the consensus of every restart's PWM scored by the model, the highest kept
    (``sequence``, ``sequence_score``). The temperature is 0.5 for the RNN and 1 for the other
    models (:data:`TEMPERATURE_AUTO`). Defaults chosen on simulated data (docs/explain.md).

    With ``samples=k`` (the CNN-RNN's default, k = 1: :data:`SAMPLES_AUTO`) the model sees,
    instead of ``P``, k one-hot sequences drawn from ``P`` at every step, and the mean of their
    logits is maximised; the gradient is passed straight through the draw (``d onehot / d P``
    taken as the identity), as in sequence design by straight-through sampling (Fast SeqProp;
    Linder & Seelig, BMC Bioinformatics 2021). A model whose logit saturates on soft inputs
    then still has to place the bases, since a diffuse ``P`` draws random sequences. Restart
    i's draws come from its own generator, seeded from ``random_state`` and i, so batching
    does not change them.
``"paper"``
    The original Deep Motif Dashboard method, exactly (QData/DeepMotif, ``class_optimization.lua``):
    minimise ``NLL(positive class | log-softmax output) + 0.009 * ||X||^2`` with RMSprop
    (learning rate 0.05, alpha 0.99, epsilon 1e-8: torch7's ``optim.rmsprop``, which ignores
    the ``momentum`` entry of the Lua config), 1000 iterations, one start ``torch.rand``
    (uniform in [0, 1) at every entry). Our models output one logit ``z`` for the positive
    class; a two-class model with log-softmax over ``(0, z)`` gives the same class
    probabilities, so the NLL of the positive class is ``-log sigmoid(z) = softplus(-z)``. The
    PWM is the Lua transform (:func:`paper_pwm`): clamp to [0, 1], divide by the input's
    global maximum, add 0.01 to every entry, normalise each position.
``"logit"``
    This package's earlier default, kept for comparison: maximise the raw logit
    ``- 0.009 * ||X||^2`` with RMSprop (lr 0.01), starts drawn uniformly from the simplex of
    each position; PWM by :func:`clamp_normalise`.

With ``window=(start, end)`` only positions ``start .. end-1`` are free and the rest stay 0
(``N``); the PWMs still span the whole input, with uniform columns outside the window.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F

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

__all__ = [
    "OBJECTIVES",
    "OptimizationResult",
    "SAMPLES_AUTO",
    "TEMPERATURE_AUTO",
    "best_logit",
    "class_optimization",
    "clamp_normalise",
    "paper_pwm",
    "softmax_pwm",
]

#: Settings per objective (``None`` in a call means the objective's value here).
OBJECTIVES = {
    "softmax": {
        "n_restarts": 32,
        "steps": 300,
        "lr": 0.1,
        "l2": 0.01,
        "start": "normal",
        "start_std": 2.0,
        "temperature": "auto",
        "samples": "auto",
    },
    "paper": {"n_restarts": 1, "steps": 1000, "lr": 0.05, "l2": 0.009, "start": "rand"},
    "logit": {"n_restarts": 16, "steps": 1000, "lr": 0.01, "l2": 0.009, "start": "random"},
}


#: What the ``softmax`` objective's ``samples="auto"`` means per architecture (0 for any other
#: model). The CNN-RNN's logit saturates: on simulated CTCF its 32 restarts all reached the same
#: logit (17.0) from nearly uniform inputs, with no column above 0.5 bits, so the distributions
#: carry no motif. Scored on one-hot draws it must place the bases (docs/explain.md, "One-hot
#: draws"); the CNN and the RNN lost recovery with draws, so they keep the distributions.
SAMPLES_AUTO = {"cnn-rnn": 1}

#: What the ``softmax`` objective's ``temperature="auto"`` means per architecture (1 for any
#: other model). The RNN's optimised inputs at temperature 1 hold the TF's core: on simulated
#: CTCF, REST and HNF4A its kept motifs reached r >= 0.8 with the planted motif in 16 of 18
#: cells but named the TF (top 5 JASPAR matches, q < 0.05) in 3; at 0.5, 17 and 11, with no
#: label-shuffled RNN keeping a motif (docs/explain.md, "A temperature per architecture").
TEMPERATURE_AUTO = {"rnn": 0.5}


class OptimizationResult(NamedTuple):
    """What :func:`class_optimization` returns (float32 numpy arrays).

    Attributes
    ----------
    inputs : ndarray, shape (restarts, 4, length)
        The optimised inputs as the model saw them (``softmax``: the per-position
        distributions; ``paper``, ``logit``: the free input ``X``).
    scores : ndarray, shape (restarts,)
        The model's positive-class logit of each optimised input.
    best : int
        Index of the restart with the highest score.
    pwm : ndarray, shape (4, length)
        The best restart's PWM (columns sum to 1): ``softmax``: its distributions;
        ``paper``: :func:`paper_pwm`; ``logit``: :func:`clamp_normalise`.
    pwm_softmax : ndarray, shape (4, length)
        Softmax over the bases of the best input (``softmax``: the same as ``pwm``).
    sequence : str
        The best discrete sequence: the consensus (most probable base per position) of every
        restart's PWM, the one the model scores highest.
    sequence_score : float
        The model's logit for ``sequence`` (one-hot).
    objective : str
        ``"softmax"``, ``"paper"`` or ``"logit"``.
    samples : int
        One-hot draws per restart and step (0: the model saw the distributions).
    temperature : float
        ``softmax``: the temperature the logits were divided by (1 for the other objectives).
    """

    inputs: np.ndarray
    scores: np.ndarray
    best: int
    pwm: np.ndarray
    pwm_softmax: np.ndarray
    sequence: str = ""
    sequence_score: float = float("nan")
    objective: str = "softmax"
    samples: int = 0
    temperature: float = 1.0


def clamp_normalise(x: np.ndarray) -> np.ndarray:
    """Clamp ``x`` (..., 4, L) at 0 and normalise each position to sum 1 (the ``logit``
    objective's PWM). Positions without a positive entry become uniform (0.25)."""
    pos = np.clip(np.asarray(x, dtype=np.float64), 0.0, None)
    total = pos.sum(axis=-2, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        pwm = np.where(total > 0, pos / np.where(total > 0, total, 1.0), 0.25)
    return pwm.astype(np.float32)


def paper_pwm(x: np.ndarray, pseudocount: float = 0.01) -> np.ndarray:
    """The original PWM transform of ``class_optimization.lua`` (QData/DeepMotif).

    For each input (4, L) of ``x`` (..., 4, L): clamp every entry to [0, 1]; divide by the
    largest entry of the whole input (positions whose clamped entries are all 0 stay 0); add
    ``pseudocount`` (0.01) to every entry; divide each position by its sum.
    """
    c = np.clip(np.asarray(x, dtype=np.float64), 0.0, 1.0)
    top = c.max(axis=(-2, -1), keepdims=True)
    c = np.where(top > 0, c / np.where(top > 0, top, 1.0), 0.0) + pseudocount
    return (c / c.sum(axis=-2, keepdims=True)).astype(np.float32)


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
    """The starting free variables: ``X`` as given, or drawn by ``start``."""
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
    shape = (n_restarts, 4, length)
    if start == "uniform":
        return torch.full(shape, 0.25)
    gen = torch.Generator().manual_seed(_seed(random_state))
    if start == "random":
        u = torch.rand(shape, generator=gen)
        return u / u.sum(dim=1, keepdim=True)  # a random point of the simplex at each position
    if start == "rand":
        return torch.rand(shape, generator=gen)  # torch.rand, as the Lua original
    if start == "normal":
        return torch.randn(shape, generator=gen)
    raise DeepMotifError(f"start must be 'normal', 'rand', 'random' or 'uniform', got {start!r}")


def _seed(random_state) -> int:
    if random_state is None:
        return int(np.random.default_rng().integers(2**63 - 1))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**63 - 1))
    return int(random_state)


def _as_model_input(objective: str, x: torch.Tensor, mask: torch.Tensor, temperature: float):
    """What the model sees for the free variables ``x``."""
    if objective == "softmax":
        return torch.softmax(x / temperature, dim=1) * mask
    return x * mask


def _sampled_input(P: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """Straight-through one-hot draws from the per-position distributions ``P`` (r, 4, L):
    ``u`` (k, r, L) uniform in [0, 1) picks each draw's base by inverse CDF. The forward
    value is one-hot (k * r, 4, L); the gradient flows to ``P`` as if the model had seen ``P``."""
    k = u.shape[0]
    idx = (P.cumsum(dim=1).unsqueeze(0) < u.unsqueeze(2)).sum(dim=2).clamp(max=3)  # (k, r, L)
    onehot = F.one_hot(idx, 4).permute(0, 1, 3, 2).to(P.dtype)
    return (onehot + (P - P.detach())).reshape(k * P.shape[0], *P.shape[1:])


def _draws(seed: int, first: int, count: int, steps: int, samples: int, length: int):
    """Uniform noise (steps, samples, count, length) for restarts ``first .. first+count-1``:
    restart i's noise comes from its own generator (seed, i), so it does not depend on how
    restarts are batched."""
    out = torch.empty(steps, samples, count, length)
    for j in range(count):
        gen = torch.Generator().manual_seed((seed * 1_000_003 + first + j + 1) % 2**63)
        out[:, :, j] = torch.rand((steps, samples, length), generator=gen)
    return out


def _objective(objective: str, logit: torch.Tensor, free: torch.Tensor, l2: float):
    """Per-restart value to maximise (``free``: the masked free variables)."""
    penalty = l2 * free.pow(2).sum(dim=(1, 2))
    if objective == "paper":
        return -F.softplus(-logit) - penalty  # -(NLL of the positive class) - l2 ||X||^2
    return logit - penalty


def class_optimization(
    model,
    X=None,
    *,
    length: int | None = None,
    objective: str = "softmax",
    n_restarts: int | None = None,
    steps: int | None = None,
    lr: float | None = None,
    l2: float | None = None,
    temperature: float | None = None,
    start: str | None = None,
    start_std: float | None = None,
    samples: int | None = None,
    window: tuple[int, int] | None = None,
    batch_size: int | None = None,
    device=None,
    dtype=None,
    random_state=None,
    verbose: bool = False,
) -> OptimizationResult:
    """Optimise inputs the model scores as bound (see the module docstring for the objectives).

    Parameters
    ----------
    model : torch.nn.Module
        Maps (n, 4, length) to positive-class logits (n,). Device and mode are restored
        afterwards; its parameters are never changed.
    X : array or Tensor, shape (4, length), (1, 4, length) or (n_restarts, 4, length), optional
        Starting values of the free variables (``softmax``: per-position logits; otherwise the
        input itself). Without it, ``length`` and ``start`` decide.
    length : int, optional
        Input length when ``X`` is not given (use the length the model was trained on).
    objective : {"softmax", "paper", "logit"}
        See the module docstring; :data:`OBJECTIVES` holds each one's defaults.
    n_restarts, steps, lr, l2, start
        ``None``: the objective's value in :data:`OBJECTIVES`. ``steps``: optimiser steps (Adam
        for ``softmax``, RMSprop otherwise); ``l2``: weight of the squared L2 norm of the free
        variables; ``start``: ``"normal"`` (standard normal), ``"rand"`` (uniform in [0, 1),
        as ``torch.rand``), ``"random"`` (a uniform random point of each position's simplex) or
        ``"uniform"`` (0.25 everywhere: every restart follows the same path).
    start_std : float or None
        ``start="normal"`` only: the standard deviation of the starting values (``None``: the
        objective's, 2 for ``softmax``, used only for a drawn normal start). A wider start makes
        each position start sharper, as a lower temperature does, without changing the steps or
        the penalty's pull (docs/explain.md, "Choosing the default").
    temperature : float, "auto" or None
        ``softmax`` only: the logits are divided by it before the softmax. ``"auto"`` (``None``:
        the objective's value, ``"auto"``): the model's architecture's value in
        :data:`TEMPERATURE_AUTO` (0.5 for the RNN, 1 otherwise).
    samples : int, "auto" or None
        ``softmax`` only: 0 feeds the model the distributions themselves; k > 0 feeds it k
        one-hot sequences drawn from them at every step (seeded per restart) and maximises their
        mean logit, with the gradient passed straight through the draw (see the module
        docstring); each restart's ``scores`` entry is then the logit of its consensus
        sequence. ``"auto"`` (``None``: the objective's value, ``"auto"``): the model's
        architecture's value in :data:`SAMPLES_AUTO` (1 for the CNN-RNN, 0 otherwise).
    window : (start, end), optional
        Only positions ``start .. end-1`` are optimised; the rest are held at 0.
    batch_size : int or None
        Restarts per batch; ``None`` = 64 (:data:`deepmotif.archs.BATCH_SIZES`, task
        ``optimize``). The result does not depend on it.
    device, dtype
        As everywhere (``dtype`` = autocast dtype; default float32).
    random_state : int, numpy Generator or None
        Seed of the random start; the same seed gives the same result.
    verbose : bool
        Progress bar over steps.

    Returns
    -------
    OptimizationResult
    """
    if objective not in OBJECTIVES:
        raise DeepMotifError(f"objective must be one of {', '.join(OBJECTIVES)}, got {objective!r}")
    defaults = OBJECTIVES[objective]
    n_restarts = check_positive_int(
        "n_restarts", defaults["n_restarts"] if n_restarts is None else n_restarts
    )
    steps = check_positive_int(
        "steps", defaults["steps"] if steps is None else steps, allow_zero=True
    )
    lr = defaults["lr"] if lr is None else lr
    l2 = defaults["l2"] if l2 is None else l2
    start = defaults["start"] if start is None else start
    if temperature is not None and "temperature" not in defaults:
        raise DeepMotifError(
            f"temperature applies to the softmax objective only, not to {objective!r}"
        )
    temperature = defaults.get("temperature", 1.0) if temperature is None else temperature
    if temperature == "auto":
        temperature = TEMPERATURE_AUTO.get(getattr(model, "arch", None), 1.0)
    if samples is not None and "samples" not in defaults:
        raise DeepMotifError(f"samples applies to the softmax objective only, not to {objective!r}")
    samples = defaults.get("samples", 0) if samples is None else samples
    if samples == "auto":
        samples = SAMPLES_AUTO.get(getattr(model, "arch", None), 0)
    samples = check_positive_int("samples", samples, allow_zero=True)
    batch_size = resolve_batch_size(batch_size, model, "optimize")
    if not (isinstance(lr, int | float) and lr > 0):
        raise DeepMotifError(f"lr must be a number above 0, got {lr!r}")
    if not (isinstance(l2, int | float) and l2 >= 0):
        raise DeepMotifError(f"l2 must be a number of at least 0, got {l2!r}")
    if not (isinstance(temperature, int | float) and temperature > 0):
        raise DeepMotifError(f"temperature must be a number above 0, got {temperature!r}")
    if start_std is not None:
        if X is not None:
            raise DeepMotifError("start_std applies to a drawn start, not to given starting X")
        if start != "normal":
            raise DeepMotifError(f"start_std applies to start='normal' only, not to {start!r}")
        if not (isinstance(start_std, int | float) and start_std > 0):
            raise DeepMotifError(f"start_std must be a number above 0, got {start_std!r}")
    elif X is None and start == "normal":
        start_std = defaults.get("start_std")
    X0 = _start_inputs(X, n_restarts, length, start, random_state)
    noise_seed = _seed(random_state) if samples else 0
    if start_std is not None:
        X0 = X0 * float(start_std)
    L = X0.shape[-1]
    w0, w1 = _window(window, L)
    free = torch.zeros(1, 1, L)
    free[..., w0:w1] = 1.0
    X0 = X0 * free
    dev = resolve_device(device)
    cast = resolve_autocast(dtype)
    out = np.empty((n_restarts, 4, L), dtype=np.float32)
    raw = np.empty((n_restarts, 4, L), dtype=np.float32)
    scores = np.empty(n_restarts, dtype=np.float32)
    with model_on(model, dev):
        with torch.no_grad():
            run_model_checked(model, X0[:1].to(dev))
        per_batch = worker_batch_size(n_restarts, batch_size, dev)
        net = gradient_twin(model, per_batch) if cast is None else model

        def work(s: int, e: int) -> None:
            x = X0[s:e].to(dev).clone().requires_grad_(True)
            mask = free.to(dev)
            if objective == "softmax":
                opt = torch.optim.Adam([x], lr=lr)
            else:
                opt = torch.optim.RMSprop([x], lr=lr, alpha=0.99, eps=1e-8)
            if samples:
                noise = _draws(noise_seed, s, e - s, steps, samples, L).to(dev)
            for t in _steps(steps, verbose and s == 0):
                with torch.enable_grad(), autocast(dev, cast):
                    seen = _as_model_input(objective, x, mask, temperature)
                    if samples:
                        seen = _sampled_input(seen, noise[t]) * mask
                    logit = run_model_checked(net, seen).float()
                    if samples:
                        logit = logit.reshape(samples, e - s).mean(dim=0)
                    value = _objective(objective, logit, x * mask, l2)
                    # autograd.grad, not backward(): the model's parameters never receive .grad
                    (x.grad,) = torch.autograd.grad(-value.sum(), x)
                opt.step()
            with torch.no_grad():
                final = _as_model_input(objective, x.detach(), mask, temperature)
                # with draws, the consensus (one-hot): the model was optimised on one-hot inputs
                scored = _consensus_onehot(final, mask) if samples else final
                scores[s:e] = run_model_checked(model, scored).float().cpu().numpy()
            out[s:e] = final.cpu().numpy()
            raw[s:e] = (x.detach() * mask).cpu().numpy()

        for_each_batch(work, n_restarts, batch_size, device=dev, verbose=False, desc="restarts")
        best = int(np.argmax(scores))
        outside = ~free[0, 0].numpy().astype(bool)
        if objective == "softmax":
            pwms = softmax_pwm(raw / temperature)
        elif objective == "paper":
            pwms = paper_pwm(raw)
        else:
            pwms = clamp_normalise(raw)
        pwms[:, :, outside] = 0.25
        pwm_soft = softmax_pwm(raw[best])
        pwm_soft[:, outside] = 0.25
        sequence, sequence_score = _best_consensus(model, pwms, free, dev)
    return OptimizationResult(
        inputs=out,
        scores=scores,
        best=best,
        pwm=pwms[best],
        pwm_softmax=pwm_soft,
        sequence=sequence,
        sequence_score=sequence_score,
        objective=objective,
        samples=samples,
        temperature=float(temperature),
    )


def _consensus_onehot(P: torch.Tensor, free: torch.Tensor) -> torch.Tensor:
    """The most probable base of each column of ``P`` (r, 4, L), one-hot, 0 where ``free`` is 0."""
    return F.one_hot(P.argmax(dim=1), 4).permute(0, 2, 1).to(torch.float32) * free.to(P.device)


def _best_consensus(model, pwms: np.ndarray, free: torch.Tensor, dev) -> tuple[str, float]:
    """The consensus of each PWM (4, L) as one-hot (0 outside the window), scored by the
    model; the best one and its logit."""
    onehot = _consensus_onehot(torch.as_tensor(pwms), free)
    with torch.no_grad():
        logits = run_model_checked(model, onehot.to(dev)).float().cpu().numpy().reshape(-1)
    k = int(np.argmax(logits))
    inside = free[0, 0].numpy().astype(bool)
    bases = onehot[k].argmax(dim=0).tolist()
    seq = "".join("ACGT"[i] if inside[j] else "N" for j, i in enumerate(bases))
    return seq, float(logits[k])


def best_logit(model, X, device=None, batch_size: int = 256) -> float:
    """The model's highest logit over the sequences ``X`` (n, 4, L): the best real positive
    beside which the optimised sequence's score is shown. NaN when ``X`` is None or empty."""
    if X is None or len(X) == 0:
        return float("nan")
    dev = resolve_device(device)
    best = -np.inf
    with torch.no_grad(), model_on(model, dev, train=False) as m:
        for s in range(0, len(X), batch_size):
            xb = torch.as_tensor(np.asarray(X[s : s + batch_size], dtype=np.float32), device=dev)
            best = max(best, float(m(xb).float().max().cpu()))
    return best


def _steps(steps: int, verbose: bool):
    if verbose:
        from tqdm.auto import trange

        return trange(steps, desc="class optimization", unit="step", leave=False)
    return range(steps)
