"""Shared pieces of the explanation methods: input checks, batching, and the gradient twin.

The *gradient twin* of a model is a shallow copy that shares its parameters but swaps two kinds
of layers for exact, faster equivalents when only input gradients are wanted:

* ``nn.LSTM`` (single layer, batch first, input wider than the hidden state, batches of at least
  :data:`FAST_LSTM_MIN_BATCH`) -> :class:`deepmotif.explain._lstm.FastLSTM`, whose backward
  computes only d/d input (the fused oneDNN backward also computes the input-projection weight
  gradient, which dominates for the CNN-RNN's 128 input features);
* ``nn.MaxPool1d`` with ``stride == kernel_size`` and no padding -> :class:`FastMaxPool1d`,
  which pools without materialising indices (``max_pool1d_with_indices`` is ~15x slower than
  the plain max pool on a CPU) and routes the gradient to the first maximum of each window,
  exactly as ``MaxPool1d`` does.

Everything else is the model's own code, so the twin computes the same function.
"""

from __future__ import annotations

import contextlib
import copy
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch
from torch import nn

from deepmotif import archs
from deepmotif.archs import FAST_LSTM_MIN_BATCH
from deepmotif.errors import DeepMotifError, check_positive_int
from deepmotif.explain._lstm import FastLSTM, supports_fast_lstm


def as_onehot(X, name: str = "X") -> torch.Tensor:
    """Validate ``X`` (numpy array or tensor, shape (n, 4, length)) and return it as a CPU tensor.

    The dtype is kept (int8 one-hot saves memory); batches are cast to float32 on the device.
    """
    if isinstance(X, torch.Tensor):
        T = X.detach().cpu()
    else:
        try:
            T = torch.from_numpy(np.ascontiguousarray(X))
        except TypeError as exc:
            raise DeepMotifError(
                f"{name} must be a numeric array of shape (n, 4, length), got {type(X).__name__}"
            ) from exc
    if T.dim() == 2 and T.shape[0] == 4:
        raise DeepMotifError(
            f"{name} must have shape (n, 4, length), got {tuple(T.shape)} (add a batch axis: X[None])"
        )
    if T.dim() != 3 or T.shape[1] != 4:
        raise DeepMotifError(f"{name} must have shape (n, 4, length), got {tuple(T.shape)}")
    if T.shape[0] == 0:
        raise DeepMotifError(f"{name} holds no sequences (shape {tuple(T.shape)})")
    if T.shape[2] == 0:
        raise DeepMotifError(
            f"{name} holds sequences of length 0; the model needs at least 1 position"
        )
    if T.dtype == torch.bool or not (
        T.is_floating_point()
        or T.dtype in (torch.int8, torch.uint8, torch.int16, torch.int32, torch.int64)
    ):
        T = T.to(torch.float32)
    return T


def batch_size_arg(batch_size) -> int:
    """Validate ``batch_size``."""
    return check_positive_int("batch_size", batch_size)


_THREADS_LOCK = threading.Lock()
_THREADS_STATE = {"users": 0, "before": 1}


@contextlib.contextmanager
def _single_threaded_ops() -> Iterator[None]:
    """Run torch ops single-threaded inside the block, restoring the thread count afterwards.

    Reference-counted, so concurrent callers (e.g. a threaded web server explaining two
    sequences at once) restore the count the first of them found, when the last one leaves.
    """
    with _THREADS_LOCK:
        if _THREADS_STATE["users"] == 0:
            _THREADS_STATE["before"] = torch.get_num_threads()
            if _THREADS_STATE["before"] > 1:
                torch.set_num_threads(1)
        _THREADS_STATE["users"] += 1
    try:
        yield
    finally:
        with _THREADS_LOCK:
            _THREADS_STATE["users"] -= 1
            if _THREADS_STATE["users"] == 0 and torch.get_num_threads() != _THREADS_STATE["before"]:
                torch.set_num_threads(_THREADS_STATE["before"])


def worker_count() -> int:
    """Worker threads on a CPU: torch's intra-op thread count (as found before any explanation)."""
    with _THREADS_LOCK:
        return _THREADS_STATE["before"] if _THREADS_STATE["users"] else torch.get_num_threads()


def worker_batch_size(n: int, batch_size: int, device: torch.device) -> int:
    """The batch size :func:`for_each_batch` uses: on a CPU, at least one batch per worker."""
    threads = worker_count()
    if device.type == "cpu" and threads > 1 and n > 1:
        return min(batch_size, -(-n // threads))
    return batch_size


def for_each_batch(
    work: Callable[[int, int], None],
    n: int,
    batch_size: int,
    *,
    device: torch.device,
    verbose: bool = False,
    desc: str = "",
) -> None:
    """Call ``work(start, stop)`` for every batch of ``range(n)``.

    On a CPU the batches are spread over ``torch.get_num_threads()`` worker threads, each
    running torch ops single-threaded (restored afterwards); batches are made smaller when there
    are fewer of them than workers. The explanation methods are
    sequences of many small operations (an LSTM step, a pooling window); splitting each of them
    over OpenMP threads costs a barrier per operation, which on a loaded machine made LSTM
    gradients 5 to 20 times slower (docs/benchmarks-explain.md). Batches are independent, so results do
    not depend on the number of workers. ``work`` must write its results in place.
    """
    threads = worker_count()
    parallel = device.type == "cpu" and threads > 1 and n > 1
    batch_size = worker_batch_size(n, batch_size, device)
    starts = list(range(0, n, batch_size))
    bar = None
    if verbose:
        from tqdm.auto import tqdm

        bar = tqdm(total=n, desc=desc, unit="seq", leave=False)

    def one(start: int) -> int:
        stop = min(start + batch_size, n)
        work(start, stop)
        return stop - start

    try:
        with _single_threaded_ops() if device.type == "cpu" else contextlib.nullcontext():
            if not parallel:
                for start in starts:
                    done = one(start)
                    if bar is not None:
                        bar.update(done)
                return
            with ThreadPoolExecutor(max_workers=min(threads, len(starts))) as pool:
                for done in pool.map(one, starts):
                    if bar is not None:
                        bar.update(done)
    finally:
        if bar is not None:
            bar.close()


def run_model_checked(model, xb: torch.Tensor) -> torch.Tensor:
    """``model(xb)`` as logits ``(n,)``, turning shape errors into a clear message."""
    try:
        out = model(xb)
    except RuntimeError as exc:
        first = str(exc).splitlines()[0]
        raise DeepMotifError(
            f"the model cannot take sequences of length {xb.shape[-1]} ({first})"
        ) from exc
    if out.dim() == 2 and out.shape[1] == 1:
        out = out[:, 0]
    if out.shape != (xb.shape[0],):
        raise DeepMotifError(
            f"the model must return one logit per sequence, shape ({xb.shape[0]},); got {tuple(out.shape)}"
        )
    return out


class _FirstMaxPool(torch.autograd.Function):
    """1-d max pooling with ``stride == kernel``; the gradient goes to each window's first maximum."""

    @staticmethod
    def forward(ctx, x, k, ceil_mode):  # noqa: D102
        out = nn.functional.max_pool1d(x, k, k, 0, 1, ceil_mode)
        ctx.k, ctx.length = k, x.shape[-1]
        if k == 2:  # the common case: remember which half of each full window won
            h = x.shape[-1] // 2
            ctx.save_for_backward(x[..., 0 : 2 * h : 2] >= x[..., 1 : 2 * h : 2])
        else:
            ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):  # noqa: D102
        k, L = ctx.k, ctx.length
        if k == 2:
            (first,) = ctx.saved_tensors
            h = first.shape[-1]
            gin = (
                grad.new_zeros(*grad.shape[:-1], L)
                if grad.shape[-1] == h and L > 2 * h
                else grad.new_empty(*grad.shape[:-1], L)
            )
            torch.mul(grad[..., :h], first, out=gin[..., 0 : 2 * h : 2])
            torch.mul(grad[..., :h], ~first, out=gin[..., 1 : 2 * h : 2])
            if L > 2 * h and grad.shape[-1] > h:  # ceil mode: the last window holds one value
                gin[..., 2 * h] = grad[..., h]
            return gin, None, None
        x, out = ctx.saved_tensors
        n, c, _ = x.shape
        m = out.shape[-1]
        if m * k > L:
            x = nn.functional.pad(x, (0, m * k - L), value=float("-inf"))
        win = x[..., : m * k].reshape(n, c, m, k)
        hit = win == out.unsqueeze(-1)
        found = hit[..., 0].clone()
        for j in range(1, k):  # keep only the first maximum of each window, as MaxPool1d does
            hit[..., j] &= ~found
            if j < k - 1:
                found |= hit[..., j]
        gin = (hit * grad.unsqueeze(-1)).reshape(n, c, m * k)
        if m * k >= L:
            return gin[..., :L], None, None
        return nn.functional.pad(gin, (0, L - m * k)), None, None


class FastMaxPool1d(nn.Module):
    """Same values and gradients as ``nn.MaxPool1d(k, ceil_mode=...)``, without index tensors."""

    def __init__(self, kernel_size: int, ceil_mode: bool):
        super().__init__()
        self.kernel_size = kernel_size
        self.ceil_mode = ceil_mode

    def forward(self, x):  # noqa: D102
        if not torch.is_grad_enabled() or not x.requires_grad:
            return nn.functional.max_pool1d(
                x, self.kernel_size, self.kernel_size, 0, 1, self.ceil_mode
            )
        return _FirstMaxPool.apply(x, self.kernel_size, self.ceil_mode)


def _one(v):
    return v[0] if isinstance(v, tuple | list) else v


def _wide_lstm(module: nn.Module) -> bool:
    return (
        type(module) is nn.LSTM
        and supports_fast_lstm(module)
        and module.input_size > module.hidden_size
    )


def _fast_substitute(module: nn.Module, batch_size: int) -> nn.Module | None:
    if type(module) is nn.MaxPool1d:
        k, s = _one(module.kernel_size), _one(module.stride)
        if (
            k == s
            and _one(module.padding) == 0
            and _one(module.dilation) == 1
            and not module.return_indices
        ):
            return FastMaxPool1d(k, module.ceil_mode)
    if _wide_lstm(module) and batch_size >= FAST_LSTM_MIN_BATCH:
        return FastLSTM(module)
    return None


def batch_arch(model: nn.Module) -> str:
    """The architecture whose batch sizes suit ``model``, judged from its layers.

    An LSTM over wide features (the CNN-RNN's) is ``cnn-rnn``, an LSTM over fewer features
    than its hidden state (the RNN's 4 bases) ``rnn``, anything else ``cnn``.
    """
    lstms = [m for m in model.modules() if isinstance(m, nn.LSTM)]
    if any(_wide_lstm(m) for m in lstms):
        return "cnn-rnn"
    if lstms:
        return "rnn"
    return "cnn"


def default_batch_size(model: nn.Module, task: str = "saliency") -> int:
    """The batch size of ``task`` for ``model`` (:data:`deepmotif.archs.BATCH_SIZES`)."""
    return archs.default_batch_size(task, batch_arch(model))


def resolve_batch_size(batch_size, model: nn.Module, task: str) -> int:
    """``batch_size`` validated, or ``None`` -> :func:`default_batch_size` of ``task``."""
    return default_batch_size(model, task) if batch_size is None else batch_size_arg(batch_size)


def gradient_twin(model: nn.Module, batch_size: int = FAST_LSTM_MIN_BATCH) -> nn.Module:
    """A copy of ``model`` sharing its parameters, with layers swapped for exact fast equivalents.

    Only for input gradients in float32 (parameter gradients are not computed through the
    swapped layers). The model itself is never modified. The LSTM is swapped only when its input
    is wider than its hidden state and batches hold at least :data:`FAST_LSTM_MIN_BATCH`
    sequences: the fused oneDNN backward also computes the input-projection weight gradient,
    which dominates for wide inputs (the CNN-RNN's 128 features), while for narrow inputs or
    small batches the hand-written recurrence's per-step overhead loses (measured in
    docs/benchmarks-explain.md).
    """

    def clone(module: nn.Module) -> nn.Module:
        sub = _fast_substitute(module, batch_size)
        if sub is not None:
            return sub
        if not module._modules:
            # A leaf is shared as it is: copying an LSTM runs its __getstate__, which may
            # rebuild its flat weights under a concurrent caller.
            return module
        twin = copy.copy(module)  # shares parameters and buffers; fresh child dict below
        twin._modules = {
            name: (clone(child) if child is not None else None)
            for name, child in module._modules.items()
        }
        return twin

    return clone(model)
