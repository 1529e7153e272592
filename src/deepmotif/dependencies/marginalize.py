"""In-silico marginalisation of a motif pair: does the model score A and B together as more (or
less) than the sum of their parts, and at which order, orientation and spacing?

Two motifs are planted (as consensus strings) into ``n`` background sequences. For every order
(``AB``: A first from the left; ``BA``: B first), every relative orientation (``++``, ``+-``,
``-+``, ``--``: the first and second motif's strands) and every spacing ``s`` (bases between the
end of the first motif and the start of the second) the model's logit is computed for the
background alone (``f0``), with the first motif alone (``f1``), with the second alone (``f2``)
and with both (``f12``). The first motif always starts at the same position (the widest
arrangement centred in the sequence), the second ``s`` bases after it, so a single motif's
effect never changes with the spacing through its own position. Per background

    effect_first = f1 - f0,  effect_second = f2 - f0,  effect_both = f12 - f0,
    cooperativity = f12 - f1 - f2 + f0

on the logit scale: 0 when the two motifs add up, positive when together they count for more
(a dependency the model has learnt), negative when they count for less (e.g. saturation).

Every arrangement is one row of a batch, so the whole grid costs one forward pass per distinct
input: ``n * (1 + 2 * 2 + 2 * S * 2 + 2 * S * 4)`` sequences for S spacings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import torch

from deepmotif._device import model_on, resolve_device
from deepmotif.archs import default_batch_size
from deepmotif.errors import DeepMotifError

__all__ = [
    "ORDERS",
    "ORIENTATIONS",
    "PairEffects",
    "GridEffects",
    "batched_logits",
    "cpu_workers",
    "first_start",
    "grid_effects",
    "pair_effects",
    "plant",
    "reverse_complement",
]

ORDERS = ("AB", "BA")
ORIENTATIONS = ("++", "+-", "-+", "--")
_COMPLEMENT = str.maketrans("ACGTN", "TGCAN")


def reverse_complement(seq: str) -> str:
    """The reverse complement of a DNA string."""
    return seq.translate(_COMPLEMENT)[::-1]


def _encode(motif: str) -> torch.Tensor:
    """(4, k) float32 one-hot of an ACGT string (N columns stay 0 and are not planted)."""
    idx = {"A": 0, "C": 1, "G": 2, "T": 3}
    out = torch.zeros(4, len(motif))
    for j, c in enumerate(motif.upper()):
        if c in idx:
            out[idx[c], j] = 1.0
        elif c != "N":
            raise DeepMotifError(f"motif {motif!r}: {c!r} is not a DNA letter (A, C, G, T, N)")
    return out


def plant(X: torch.Tensor, motif: str, start: int) -> torch.Tensor:
    """A copy of ``X`` (n, 4, L) with ``motif`` written at ``start`` in every sequence.

    An ``N`` in the motif keeps the background's base there (as tangermeme's ``substitute``).
    """
    m = _encode(motif)
    k = m.shape[1]
    if start < 0 or start + k > X.shape[-1]:
        raise DeepMotifError(
            f"motif of {k} bp at position {start} does not fit sequences of {X.shape[-1]} bp"
        )
    out = X.clone()
    keep = m.sum(0) > 0
    cols = torch.arange(start, start + k)[keep]
    out[:, :, cols] = m[:, keep].to(out.dtype)
    return out


def first_start(length: int, first: int, second: int, spacings: Sequence[int]) -> int:
    """Where the first motif starts: the widest arrangement centred in the sequence."""
    widest = first + second + max(spacings)
    if widest > length:
        raise DeepMotifError(
            f"a {first} bp and a {second} bp motif {max(spacings)} bp apart need {widest} bp; "
            f"the sequences have {length} (use a smaller spacing range)"
        )
    return (length - widest) // 2


class PairEffects(NamedTuple):
    """Logits of one ordered pair of motif strings in every background (float64 numpy).

    Attributes
    ----------
    base : (n,)
        The backgrounds alone.
    first : (n,)
        With the first motif alone at ``start``.
    second : (S, n)
        With the second motif alone at ``start + len(first) + s``, one row per spacing.
    both : (S, n)
        With both.
    start : int
        Where the first motif starts.
    """

    base: np.ndarray
    first: np.ndarray
    second: np.ndarray
    both: np.ndarray
    start: int


#: Batches in flight per worker thread (bounds the memory of planted inputs waiting).
_IN_FLIGHT = 4


def cpu_workers(device) -> int:
    """Worker threads for forward passes on ``device``: on a CPU, torch's thread count (which
    honours ``OMP_NUM_THREADS``; at most 8), each running whole batches on one torch thread;
    elsewhere 1.

    Whole batches side by side, not one batch split over OpenMP threads: an LSTM over a batch
    of 64 sequences runs on 2 intra-op threads at a fraction of one thread's speed when the cores
    are busy (measured 119-431 sequences/s against 1273-1895 on one thread, with other jobs on
    both cores), while two batch workers gave 1.1-1.5x one thread on the same busy machine.
    """
    if torch.device(device).type != "cpu":
        return 1
    return max(1, min(8, torch.get_num_threads()))


def _forward(model, xb: torch.Tensor, device) -> np.ndarray:
    with torch.inference_mode():  # grad mode is per thread: set it in the worker
        return model(xb.to(device, torch.float32)).float().reshape(-1).cpu().numpy()


def batched_logits(
    model, batches, device, batch_size: int | None, workers: int | None = None
) -> np.ndarray:
    """Logits of every sequence yielded by ``batches`` (tensors (m, 4, L)), in order
    (``batch_size`` None: the prediction batch of :data:`deepmotif.archs.BATCH_SIZES`;
    ``workers`` None: :func:`cpu_workers`). A sequence's logit depends only on its own batch,
    so the result does not depend on ``workers``."""
    batch_size = batch_size or default_batch_size("predict", getattr(model, "arch", None))
    chunks = (X[s : s + batch_size] for X in batches for s in range(0, len(X), batch_size))
    workers = cpu_workers(device) if workers is None else max(1, int(workers))
    out: list[np.ndarray] = []
    with model_on(model, device):
        if workers == 1:
            out = [_forward(model, xb, device) for xb in chunks]
        else:
            from collections import deque
            from concurrent.futures import ThreadPoolExecutor

            from deepmotif._device import torch_threads

            with torch_threads(1), ThreadPoolExecutor(workers) as pool:
                pending: deque = deque()
                for xb in chunks:
                    pending.append(pool.submit(_forward, model, xb, device))
                    if len(pending) >= workers * _IN_FLIGHT:
                        out.append(pending.popleft().result())
                out.extend(f.result() for f in pending)
    return np.concatenate(out).astype(np.float64) if out else np.zeros(0)


def pair_effects(
    model,
    X,
    first: str,
    second: str,
    spacings: Sequence[int],
    *,
    start: int | None = None,
    batch_size: int | None = None,
    device=None,
) -> PairEffects:
    """The model's logits with ``first`` and ``second`` planted alone and together.

    Parameters
    ----------
    model : torch.nn.Module
        Maps (n, 4, L) float one-hot inputs to logits (n,).
    X : array or Tensor, shape (n, 4, L)
        One-hot backgrounds.
    first, second : str
        Motif strings, already in the orientation to plant.
    spacings : sequence of int
        Bases between the end of ``first`` and the start of ``second``.
    start : int, optional
        Where ``first`` starts (default :func:`first_start`).
    """
    X = torch.as_tensor(np.asarray(X), dtype=torch.float32)
    n, L = X.shape[0], X.shape[-1]
    spacings = [int(s) for s in spacings]
    if start is None:
        start = first_start(L, len(first), len(second), spacings)
    dev = resolve_device(device)
    with_first = plant(X, first, start)

    def seconds_planted(base: torch.Tensor):
        for s in spacings:
            yield plant(base, second, start + len(first) + s)

    base = batched_logits(model, [X], dev, batch_size)
    one = batched_logits(model, [with_first], dev, batch_size)
    two = batched_logits(model, seconds_planted(X), dev, batch_size).reshape(len(spacings), n)
    both = batched_logits(model, seconds_planted(with_first), dev, batch_size).reshape(
        len(spacings), n
    )
    return PairEffects(base, one, two, both, int(start))


class GridEffects(NamedTuple):
    """Logits over the whole order x orientation x spacing grid (float64 numpy).

    ``base`` (n,); ``first[(order, o1)]`` (n,); ``second[(order, o2)]`` (S, n);
    ``both[(order, orientation)]`` (S, n); ``starts[order]``: where the first motif starts.
    """

    base: np.ndarray
    first: dict
    second: dict
    both: dict
    starts: dict


def _oriented(seq: str, strand: str) -> str:
    return seq if strand == "+" else reverse_complement(seq)


def grid_effects(
    model,
    X,
    motif_a: str,
    motif_b: str,
    spacings: Sequence[int],
    *,
    batch_size: int | None = None,
    device=None,
    verbose: bool = False,
) -> GridEffects:
    """:func:`pair_effects` for both orders and all four orientations, each distinct input once.

    A motif alone is evaluated once per order, strand (and spacing, for the second), not once
    per orientation pair.
    """
    X = torch.as_tensor(np.asarray(X), dtype=torch.float32)
    n, L = X.shape[0], X.shape[-1]
    spacings = [int(s) for s in spacings]
    S = len(spacings)
    dev = resolve_device(device)
    pairs = {"AB": (motif_a, motif_b), "BA": (motif_b, motif_a)}
    starts = {o: first_start(L, len(p[0]), len(p[1]), spacings) for o, p in pairs.items()}
    total = n * (1 + 4 + 4 * S + 8 * S)
    bar = None
    if verbose:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, desc="marginalise", unit="seq")

    def run(batches) -> np.ndarray:
        out = batched_logits(model, batches, dev, batch_size)
        if bar is not None:
            bar.update(len(out))
        return out

    try:
        base = run([X])
        first, second, both = {}, {}, {}
        for order, (m1, m2) in pairs.items():
            start = starts[order]
            planted_first = {}
            for o1 in "+-":
                planted_first[o1] = plant(X, _oriented(m1, o1), start)
                first[(order, o1)] = run([planted_first[o1]])
            for o2 in "+-":
                m2o = _oriented(m2, o2)
                at = [start + len(m1) + s for s in spacings]
                second[(order, o2)] = run(plant(X, m2o, p) for p in at).reshape(S, n)
                for o1 in "+-":
                    rows = (plant(planted_first[o1], m2o, p) for p in at)
                    both[(order, o1 + o2)] = run(rows).reshape(S, n)
    finally:
        if bar is not None:
            bar.close()
    return GridEffects(base, first, second, both, starts)
