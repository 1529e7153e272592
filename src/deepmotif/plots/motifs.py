"""Sequence logos (logomaker): one motif, or an extracted motif above its best database match.

Letter heights are information content in bits: each column's probabilities times the
column's information content (at most 2 bits against a uniform background).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

__all__ = ["logo_axes", "match_figure", "motif_figure"]


def _bits_frame(pwm: np.ndarray, start: int = 0):
    """A logomaker-ready DataFrame (positions x A C G T) of information-scaled heights.

    NaN columns (no motif there) are drawn empty.
    """
    import pandas as pd

    from deepmotif.motifs.pwm import information_content

    pwm = np.asarray(pwm, dtype=np.float64)
    heights = np.zeros_like(pwm)
    filled = ~np.isnan(pwm).any(axis=0)
    if filled.any():
        part = pwm[:, filled]
        heights[:, filled] = part / part.sum(axis=0) * information_content(part)
    return pd.DataFrame(
        heights.T, columns=list("ACGT"), index=np.arange(start, start + pwm.shape[1])
    )


def logo_axes(ax, pwm, *, title: str = "", start: int = 0, ylim: float = 2.0):
    """Draw a logo of ``pwm`` (4, length), NaN columns blank, on the matplotlib axes ``ax``."""
    import logomaker

    frame = _bits_frame(pwm, start)
    logomaker.Logo(frame, ax=ax, color_scheme="classic", show_spines=False)
    ax.set_ylim(0, ylim)
    ax.set_ylabel("bits")
    ax.set_xlim(start - 0.5, start + frame.shape[0] - 0.5)
    if title:
        ax.set_title(title, fontsize=9, loc="left")
    return ax


def motif_figure(pwm, *, title: str = ""):
    """One motif's logo. ``pwm`` (4, length), rows A C G T."""
    pwm = np.asarray(pwm, dtype=np.float64)
    fig, ax = plt.subplots(figsize=(max(2.5, 0.35 * pwm.shape[1] + 1), 1.8))
    logo_axes(ax, pwm, title=title)
    ax.set_xticks([])
    fig.tight_layout()
    return fig


def match_figure(
    query_pwm,
    target_pwm,
    offset: int,
    orientation: str,
    *,
    query_title: str = "",
    target_title: str = "",
):
    """An extracted motif's logo above its match's logo, aligned column for column.

    Parameters
    ----------
    query_pwm, target_pwm : array-like, shape (4, length)
        The extracted motif and the database motif (as stored, forward strand).
    offset, orientation : int, {"+", "-"}
        From the Tomtom match table: query column ``j`` lies over column ``j + offset`` of the
        target, reverse-complemented when ``orientation == "-"``. The target is drawn in that
        orientation.
    query_title, target_title : str

    Returns
    -------
    matplotlib.figure.Figure
    """
    from deepmotif.motifs.pwm import Alignment, aligned_columns, reverse_complement

    target = np.asarray(target_pwm, dtype=np.float64)
    if orientation == "-":
        target = reverse_complement(target)
    elif orientation != "+":
        raise ValueError(f"orientation must be '+' or '-', got {orientation!r}")
    T, Q, _ = aligned_columns(target, query_pwm, Alignment(int(offset), "+", float("nan"), 0))
    width = T.shape[1]
    fig, axes = plt.subplots(2, 1, figsize=(max(3.0, 0.35 * width + 1.2), 3.4), sharex=True)
    logo_axes(axes[0], Q, title=query_title)
    logo_axes(
        axes[1], T, title=target_title + (" (reverse complement)" if orientation == "-" else "")
    )
    axes[1].set_xticks(range(width))
    axes[1].set_xticklabels([str(i + 1) for i in range(width)], fontsize=7)
    fig.tight_layout()
    return fig
