"""Sequence logos of a PWM with letter heights in bits, as drawn on the dashboard and in the
static report (compact, coloured bases, positions numbered from 1).

Letter heights are each column's probabilities times its information content
(:func:`deepmotif.motifs.pwm.information_content`, at most 2 bits against a uniform background).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from deepmotif.plots.colors import BASE_COLORS  # noqa: E402

__all__ = ["information_heights", "logo_figure"]


def information_heights(pwm) -> np.ndarray:
    """Letter heights in bits, shape (4, L): each column's probabilities times its information.

    ``pwm`` (4, L) is renormalised column by column; an all-zero column has no height.
    """
    from deepmotif.motifs.pwm import information_content

    pwm = np.asarray(pwm, dtype=np.float64)
    if pwm.ndim != 2 or pwm.shape[0] != 4:
        raise ValueError(f"pwm must have shape (4, length), got {pwm.shape}")
    p = pwm / np.maximum(pwm.sum(axis=0, keepdims=True), 1e-12)
    return p * np.maximum(information_content(pwm), 0.0)


def logo_figure(
    pwm,
    *,
    title: str | None = None,
    height: float = 1.5,
    col_width: float = 0.24,
    min_width: float = 2.4,
):
    """A sequence logo (information content, bits) of a PWM ``(4, L)``; columns are 1..L.

    Drawn with logomaker; returns the matplotlib Figure.
    """
    import logomaker
    import pandas as pd

    heights = information_heights(pwm)
    df = pd.DataFrame(heights.T, columns=list("ACGT"))
    L = heights.shape[1]
    fig, ax = plt.subplots(figsize=(max(min_width, col_width * L + 0.6), height))
    logomaker.Logo(df, ax=ax, color_scheme=BASE_COLORS, font_name="DejaVu Sans", vpad=0.02)
    ax.set_ylim(0, 2)
    ax.set_yticks([0, 1, 2])
    ax.set_ylabel("bits", fontsize=8)
    step = 1 if L <= 25 else 5 if L <= 80 else 10
    ticks = [i for i in range(L) if (i + 1) % step == 0 or i == 0]
    ax.set_xticks(ticks)
    ax.set_xticklabels([str(i + 1) for i in ticks], fontsize=7)
    ax.tick_params(axis="y", labelsize=7)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if title:
        ax.set_title(title, fontsize=9, loc="left")
    fig.tight_layout()
    return fig
