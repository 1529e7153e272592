"""Putting PWMs side by side for display: the most informative window of a long matrix, and a
query with its matched targets padded onto one frame so their logos line up.

Matrices are ``(4, length)`` with rows A, C, G, T, as everywhere in :mod:`deepmotif.motifs.pwm`
(which defines their information content); offsets follow Tomtom's convention described there.
"""

from __future__ import annotations

import numpy as np

from deepmotif.motifs.pwm import information_content

__all__ = ["align_logos", "informative_window"]


def informative_window(pwm: np.ndarray, width: int) -> tuple[int, int]:
    """``(start, end)`` of the ``width`` consecutive columns of ``pwm`` with the most information.

    Information of a column is :func:`~deepmotif.motifs.pwm.information_content` (bits against a
    uniform background). Among equally informative windows the middle one is taken, so a short
    motif sits in the window's centre.
    """
    pwm = np.asarray(pwm, dtype=float)
    L = pwm.shape[1]
    if L <= width:
        return 0, L
    ic = information_content(pwm)
    sums = np.convolve(ic, np.ones(width), mode="valid")
    best = np.flatnonzero(sums >= sums.max() - 1e-9)
    start = int(best[len(best) // 2])  # among equally informative windows, the middle one
    return start, start + width


def align_logos(query: np.ndarray, targets: list) -> tuple[np.ndarray, list]:
    """Pad a query PWM and its matched targets onto one frame, so their logos line up.

    Parameters
    ----------
    query : numpy.ndarray, shape (4, Lq)
    targets : list of (pwm, offset)
        Each target already in its matched orientation, with the Tomtom offset: query column
        ``j`` lies over target column ``j + offset``.

    Returns
    -------
    query, targets
        All of the same length; padding columns are uniform (0 bits, blank in a logo).
    """
    q = np.asarray(query, dtype=np.float32)
    starts = [-int(off) for _, off in targets]  # target start in query coordinates
    lo = min([0, *starts])
    hi = max([q.shape[1], *[s + np.asarray(t).shape[1] for (t, _), s in zip(targets, starts)]])

    def place(pwm, start):
        out = np.full((4, hi - lo), 0.25, dtype=np.float32)
        pwm = np.asarray(pwm, dtype=np.float32)
        out[:, start - lo : start - lo + pwm.shape[1]] = pwm
        return out

    return place(q, 0), [place(t, s) for (t, _), s in zip(targets, starts)]
