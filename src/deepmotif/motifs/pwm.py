"""Position weight matrices: normalising, information content, trimming, reverse complement,
ungapped alignment and similarity.

Every matrix here is a numpy array of shape ``(4, length)`` with rows A, C, G, T (the layout of
:func:`deepmotif.data.one_hot`, memelite and :mod:`deepmotif.jaspar`). A PWM's columns sum to 1.

Alignment convention
--------------------
An alignment of ``b`` to ``a`` is ``(offset, strand)``: with ``strand == "+"``, column ``j`` of
``b`` lies over column ``j + offset`` of ``a``; with ``strand == "-"`` the same holds for the
reverse complement of ``b``. ``offset`` may be negative (``b`` starts before ``a``). This is the
convention of memelite's Tomtom offsets too (query column ``j`` over target column
``j + offset``, in the target's reverse-complement frame for the ``-`` strand).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = [
    "Alignment",
    "align",
    "aligned_columns",
    "information_content",
    "informative_segments",
    "normalize",
    "reverse_complement",
    "similarity",
    "trim",
    "trim_bounds",
]


def _as_matrix(pwm, name: str = "pwm") -> np.ndarray:
    arr = np.asarray(pwm, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[0] != 4:
        raise ValueError(f"{name} must have shape (4, length), got {arr.shape}")
    return arr


def normalize(counts, pseudocount: float = 0.0) -> np.ndarray:
    """Column-normalise a count (or weight) matrix into a PWM.

    Parameters
    ----------
    counts : array-like, shape (4, length)
        Non-negative counts; an all-zero column becomes uniform.
    pseudocount : float
        Weight of the uniform distribution mixed into every column, as in
        :mod:`deepmotif.jaspar`: ``(1 - pseudocount) * freqs + pseudocount / 4``.

    Returns
    -------
    numpy.ndarray of float64, shape (4, length)
    """
    counts = _as_matrix(counts, "counts")
    if (counts < 0).any():
        raise ValueError("counts must be non-negative")
    totals = counts.sum(axis=0, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        freqs = np.where(totals > 0, counts / np.where(totals > 0, totals, 1.0), 0.25)
    return (1.0 - pseudocount) * freqs + pseudocount / 4.0


def information_content(pwm, background=None) -> np.ndarray:
    """Information content of each column in bits (relative entropy to the background).

    Parameters
    ----------
    pwm : array-like, shape (4, length)
        Probabilities; each column is renormalised to sum to 1.
    background : array-like of 4 floats, optional
        Background letter probabilities (default uniform: then a column holds at most 2 bits).

    Returns
    -------
    numpy.ndarray of float64, shape (length,)
    """
    p = normalize(pwm)
    bg = np.full(4, 0.25) if background is None else np.asarray(background, dtype=np.float64)
    bg = bg / bg.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log2(p / bg[:, None]), 0.0)
    return terms.sum(axis=0)


def trim_bounds(pwm, min_ic: float = 0.5, flank: int = 0) -> tuple[int, int]:
    """The informative core of a PWM: from the first to the last column with IC >= ``min_ic``.

    Parameters
    ----------
    pwm : array-like, shape (4, length)
    min_ic : float
        Information content threshold in bits.
    flank : int
        Columns kept on each side of the core (clipped to the matrix).

    Returns
    -------
    (start, end) : tuple of int
        The core is ``pwm[:, start:end]``; ``(0, 0)`` when no column reaches ``min_ic``.
    """
    ic = information_content(pwm)
    keep = np.nonzero(ic >= min_ic)[0]
    if len(keep) == 0:
        return 0, 0
    start = max(int(keep[0]) - flank, 0)
    end = min(int(keep[-1]) + 1 + flank, len(ic))
    return start, end


def trim(pwm, min_ic: float = 0.5, flank: int = 0) -> np.ndarray:
    """``pwm`` cut to its informative core (see :func:`trim_bounds`); shape (4, end - start)."""
    pwm = _as_matrix(pwm)
    start, end = trim_bounds(pwm, min_ic, flank)
    return pwm[:, start:end].copy()


def informative_segments(
    pwm,
    min_ic: float = 0.5,
    *,
    gap: int = 2,
    min_length: int = 5,
    max_length: int = 25,
    weights=None,
) -> list[tuple[int, int]]:
    """Runs of informative columns in a long PWM (e.g. a class-optimised sequence).

    Columns with IC >= ``min_ic`` are grouped into runs; runs separated by at most ``gap``
    uninformative columns are joined. A run longer than ``max_length`` gives its best
    ``max_length``-column window (highest total ``weights``: by default the IC), then the best
    window of what is left on each side, and so on. Runs (or pieces) shorter than ``min_length``
    are dropped.

    Parameters
    ----------
    pwm : array-like, shape (4, length)
    min_ic : float
        Bits.
    gap, min_length, max_length : int
    weights : array-like, shape (length,), optional
        What a long run's best window maximises (e.g. how much a model depends on each column);
        default the information content.

    Returns
    -------
    list of (start, end)
        Half-open column ranges, highest total IC first.
    """
    ic = information_content(pwm)
    w = ic if weights is None else np.asarray(weights, dtype=np.float64)
    hot = np.nonzero(ic >= min_ic)[0]
    runs: list[tuple[int, int]] = []
    for i in hot:
        if runs and i - runs[-1][1] <= gap:
            runs[-1] = (runs[-1][0], int(i) + 1)
        else:
            runs.append((int(i), int(i) + 1))
    pieces: list[tuple[int, int]] = []
    while runs:
        s, e = runs.pop()
        if e - s < min_length:
            continue
        if e - s <= max_length:
            pieces.append((s, e))
            continue
        sums = np.convolve(w[s:e], np.ones(max_length), mode="valid")
        best = s + int(np.argmax(sums))
        pieces.append((best, best + max_length))
        for a, b in ((s, best), (best + max_length, e)):
            while a < b and ic[a] < min_ic:
                a += 1
            while b > a and ic[b - 1] < min_ic:
                b -= 1
            if b > a:
                runs.append((a, b))
    pieces.sort(key=lambda se: (-float(ic[se[0] : se[1]].sum()), se[0]))
    return pieces


def reverse_complement(pwm) -> np.ndarray:
    """The reverse complement of a (4, length) ACGT matrix: columns reversed, A<->T, C<->G."""
    return _as_matrix(pwm)[::-1, ::-1].copy()


class Alignment(NamedTuple):
    """The best ungapped alignment of one matrix to another (see the module docstring).

    Attributes
    ----------
    offset : int
        Column of ``a`` over which column 0 of ``b`` (or of its reverse complement) lies.
    strand : str
        ``"+"`` or ``"-"`` (``b`` reverse-complemented).
    score : float
        Sum of the column similarities over the overlap divided by the length of the shorter
        matrix: 1.0 when the shorter matrix lies wholly inside the longer one, column for column
        identical; 0 for no relation.
    overlap : int
        Number of overlapping columns.
    """

    offset: int
    strand: str
    score: float
    overlap: int


def _column_correlations(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson correlation of every column of ``a`` with every column of ``b``: (La, Lb).

    A constant (uniform) column correlates 0 with everything.
    """
    ac = a - a.mean(axis=0, keepdims=True)
    bc = b - b.mean(axis=0, keepdims=True)
    na = np.sqrt((ac**2).sum(axis=0))
    nb = np.sqrt((bc**2).sum(axis=0))
    num = ac.T @ bc
    den = np.outer(na, nb)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 1e-12, num / np.where(den > 1e-12, den, 1.0), 0.0)


def _best_shift(a: np.ndarray, b: np.ndarray, min_overlap: int) -> tuple[int, float, int]:
    la, lb = a.shape[1], b.shape[1]
    corr = _column_correlations(a, b)
    best = (0, -np.inf, 0)
    for offset in range(-(lb - min_overlap), la - min_overlap + 1):
        j0 = max(0, -offset)
        j1 = min(lb, la - offset)
        if j1 - j0 < min_overlap:
            continue
        js = np.arange(j0, j1)
        total = float(corr[js + offset, js].sum())
        if total > best[1] + 1e-12:
            best = (offset, total, j1 - j0)
    return best


def align(a, b, *, min_overlap: int | None = None, both_strands: bool = True) -> Alignment:
    """The best ungapped alignment of ``b`` to ``a`` by column Pearson correlation.

    Parameters
    ----------
    a, b : array-like, shape (4, length_a) and (4, length_b)
        PWMs (or any ACGT matrices).
    min_overlap : int, optional
        Fewest overlapping columns considered (default: half the shorter length, at least 1).
    both_strands : bool
        Also try the reverse complement of ``b``.

    Returns
    -------
    Alignment
        Ties go to the ``+`` strand and then to the smallest offset.
    """
    a = _as_matrix(a, "a")
    b = _as_matrix(b, "b")
    shorter = min(a.shape[1], b.shape[1])
    if shorter == 0:
        raise ValueError("cannot align an empty matrix")
    if min_overlap is None:
        min_overlap = max(1, shorter // 2)
    min_overlap = int(min(max(min_overlap, 1), shorter))
    strand, (offset, total, overlap) = "+", _best_shift(a, b, min_overlap)
    if both_strands:
        minus = _best_shift(a, reverse_complement(b), min_overlap)
        if minus[1] > total + 1e-12:
            strand, (offset, total, overlap) = "-", minus
    return Alignment(int(offset), strand, float(total) / shorter, int(overlap))


def similarity(a, b, **kwargs) -> float:
    """The score of :func:`align` (1.0 for a matrix and any part of it, on either strand)."""
    return align(a, b, **kwargs).score


def aligned_columns(a, b, alignment: Alignment) -> tuple[np.ndarray, np.ndarray, int]:
    """Place ``a`` and ``b`` (oriented as in ``alignment``) on one common column axis.

    Parameters
    ----------
    a, b : array-like, shape (4, length_a), (4, length_b)
    alignment : Alignment
        From :func:`align` (``b`` to ``a``).

    Returns
    -------
    (A, B, start_of_a) : numpy.ndarray (4, width), numpy.ndarray (4, width), int
        Both matrices padded with NaN columns to the union of their spans; ``start_of_a`` is the
        column of ``A`` where ``a`` begins.
    """
    a = _as_matrix(a, "a")
    b = _as_matrix(b, "b")
    if alignment.strand == "-":
        b = reverse_complement(b)
    off = alignment.offset
    start = min(0, off)
    end = max(a.shape[1], off + b.shape[1])
    width = end - start
    A = np.full((4, width), np.nan)
    B = np.full((4, width), np.nan)
    A[:, -start : -start + a.shape[1]] = a
    B[:, off - start : off - start + b.shape[1]] = b
    return A, B, -start
