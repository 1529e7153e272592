"""Motif similarity and the decoy pool of a simulation (the rule is in
:mod:`deepmotif.data.simulate`)."""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

from deepmotif.jaspar import Motif

__all__ = ["choose_decoys", "motif_similarity"]

DECOY_POOL_SIZE = 10
DECOY_LENGTH = (6, 20)
DECOY_MIN_IC = 8.0
DECOY_MAX_SIMILARITY = 0.5
MIN_OVERLAP = 6


def _rc(pwm: np.ndarray) -> np.ndarray:
    return pwm[::-1, ::-1]


def motif_similarity(a: Motif | np.ndarray, b: Motif | np.ndarray, *, min_overlap=MIN_OVERLAP):
    """Largest Pearson correlation between two PWMs over all alignments and both strands.

    For every offset where the motifs overlap by at least ``min(min_overlap, len(a), len(b))``
    positions, and for ``b`` and its reverse complement, the overlapping columns of both PWMs are
    flattened to vectors of ``4 * overlap`` probabilities and correlated. A quick, Tomtom-free
    measure used to keep decoys unlike the targets.

    Parameters
    ----------
    a, b : Motif or numpy.ndarray of shape (4, length)

    Returns
    -------
    float
        In [-1, 1]; 1 for identical motifs (or a motif and its reverse complement).
    """
    pa = np.asarray(a.pwm if isinstance(a, Motif) else a, dtype=np.float64)
    pb0 = np.asarray(b.pwm if isinstance(b, Motif) else b, dtype=np.float64)
    la, lb = pa.shape[1], pb0.shape[1]
    k_min = min(min_overlap, la, lb)
    # Window sums from prefix sums; the cross term of an alignment is one diagonal of a.T @ b.
    ca = np.concatenate([[0.0], np.cumsum(pa.sum(axis=0))])
    qa = np.concatenate([[0.0], np.cumsum((pa * pa).sum(axis=0))])
    best = -1.0
    for pb in (pb0, _rc(pb0)):
        cb = np.concatenate([[0.0], np.cumsum(pb.sum(axis=0))])
        qb = np.concatenate([[0.0], np.cumsum((pb * pb).sum(axis=0))])
        dots = pa.T @ pb  # (la, lb)
        for offset in range(-(lb - k_min), la - k_min + 1):
            i0, j0 = max(0, offset), max(0, -offset)
            k = min(la - i0, lb - j0)
            size = 4 * k
            sx, sy = ca[i0 + k] - ca[i0], cb[j0 + k] - cb[j0]
            sxx, syy = qa[i0 + k] - qa[i0], qb[j0 + k] - qb[j0]
            sxy = np.trace(dots, offset=-offset)
            vx, vy = sxx - sx * sx / size, syy - sy * sy / size
            if vx > 1e-12 and vy > 1e-12:
                best = max(best, float((sxy - sx * sy / size) / np.sqrt(vx * vy)))
    return best


def _name_parts(name: str) -> set[str]:
    return {part.upper() for part in name.split("::")}


def choose_decoys(
    targets: Sequence[Motif], *, release: str | None = None, k: int = DECOY_POOL_SIZE
) -> list[Motif]:
    """The decoy pool for ``targets`` (deterministic; the rule is in the module docstring).

    Returns
    -------
    list of Motif
        Up to ``k`` CORE vertebrates motifs of ``release``, in order of matrix id. Cached per
        targets (names and PWMs), release and ``k``.
    """
    from deepmotif.jaspar import _resolve_release

    key = tuple((t.name, t.matrix_id, t.pwm.shape[1], t.pwm.tobytes()) for t in targets)
    return list(_decoy_pool(key, _resolve_release(release), k))


@functools.lru_cache(maxsize=32)
def _decoy_pool(key: tuple, release: str, k: int) -> tuple[Motif, ...]:
    from deepmotif.jaspar import load_motifs

    names = [name for name, *_ in key]
    ids = {matrix_id for _, matrix_id, *_ in key}
    pwms = [np.frombuffer(raw, dtype=np.float64).reshape(4, n) for *_, n, raw in key]
    target_names = set().union(*(_name_parts(name) for name in names)) if names else set()
    pool: list[Motif] = []
    for motif in sorted(load_motifs(release), key=lambda m: m.matrix_id):
        if len(pool) >= k:
            break
        if not DECOY_LENGTH[0] <= motif.length <= DECOY_LENGTH[1] or motif.matrix_id in ids:
            continue
        if motif.information_content < DECOY_MIN_IC or _name_parts(motif.name) & target_names:
            continue
        if any(_name_parts(motif.name) & _name_parts(p.name) for p in pool):
            continue
        others = pwms + [p.pwm for p in pool]
        if all(motif_similarity(motif, o) < DECOY_MAX_SIMILARITY for o in others):
            pool.append(motif)
    return tuple(pool)
