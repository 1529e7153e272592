"""Figures of explanations: saliency heatmaps and logos, temporal heatmaps, class-optimization logos.

Every function returns a matplotlib Figure (write it with
:func:`deepmotif.plots.curves.save_figure`). Sequences are drawn with their letters along the x
axis (up to :data:`MAX_LETTERS` positions; longer ones get numbered ticks).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import TwoSlopeNorm  # noqa: E402

from deepmotif.archs import ARCHS  # noqa: E402
from deepmotif.data.encoding import ALPHABET  # noqa: E402
from deepmotif.plots.logos import information_heights  # noqa: E402

__all__ = [
    "MAX_LETTERS",
    "architecture_panel",
    "information_heights",
    "optimization_logo",
    "saliency_heatmap",
    "saliency_logo",
    "temporal_heatmap",
]

#: Sequences up to this long get one letter per x tick.
MAX_LETTERS = 200
#: Order of the architectures in :func:`architecture_panel`.
ARCH_ORDER = ARCHS


def _width(length: int) -> float:
    return float(min(40.0, max(5.0, 0.12 * length + 1.8)))


def _letter_axis(ax, sequence: str | None, length: int) -> None:
    """Letters of ``sequence`` as x tick labels (or numbered ticks when long or absent)."""
    if sequence is not None and length <= MAX_LETTERS:
        ax.set_xticks(np.arange(length))
        ax.set_xticklabels(
            list(sequence), fontsize=max(4.0, min(8.0, 900 / max(length, 1))), family="monospace"
        )
        ax.tick_params(axis="x", length=0, pad=1)
    else:
        step = max(1, int(round(length / 10 / 10)) * 10) if length > 20 else 5
        ticks = np.arange(0, length, step)
        ax.set_xticks(ticks)
        ax.set_xticklabels([str(t) for t in ticks], fontsize=7)
        ax.set_xlabel("position")


def _check_map(values, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[0] != 4:
        raise ValueError(f"{name} must have shape (4, length), got {arr.shape}")
    return arr


def _check_sequence(sequence, length: int) -> str | None:
    if sequence is None:
        return None
    if len(sequence) != length:
        raise ValueError(f"sequence has {len(sequence)} letters but the map has {length} positions")
    return str(sequence).upper()


def _draw_saliency(
    ax, values: np.ndarray, sequence: str | None, *, signed: bool | None, cbar_label: str, fig
):
    L = values.shape[1]
    if signed is None:
        signed = bool((values < 0).any())
    if signed:
        vmax = float(np.abs(values).max()) or 1.0
        im = ax.imshow(
            values, aspect="auto", cmap="RdBu_r", vmin=-vmax, vmax=vmax, interpolation="nearest"
        )
    else:
        vmax = float(values.max()) or 1.0
        im = ax.imshow(
            values, aspect="auto", cmap="Reds", vmin=0.0, vmax=vmax, interpolation="nearest"
        )
    if sequence is not None:  # outline the base present at each position
        rows = np.array([ALPHABET.find(c) for c in sequence])
        cols = np.nonzero(rows >= 0)[0]
        ax.scatter(
            cols,
            rows[cols],
            s=min(12.0, 1200 / max(L, 1)),
            facecolors="none",
            edgecolors="k",
            linewidths=0.4,
        )
    ax.set_yticks(range(4))
    ax.set_yticklabels(list(ALPHABET), fontsize=8, family="monospace")
    _letter_axis(ax, sequence, L)
    cb = fig.colorbar(im, ax=ax, fraction=0.025, pad=0.01)
    cb.set_label(cbar_label, fontsize=7)
    cb.ax.tick_params(labelsize=6)
    return im


def saliency_heatmap(
    values,
    sequence: str | None = None,
    *,
    title: str = "",
    signed: bool | None = None,
    label: str = "saliency",
):
    """A 4 x length heatmap of a saliency map, the sequence's letters along x, and a colour bar.

    Parameters
    ----------
    values : array, shape (4, length)
        A map from :func:`deepmotif.explain.saliency` (rows A, C, G, T), e.g. ``|gradient|``
        (all four bases) or ``saliency`` (|gradient| x input).
    sequence : str, optional
        The sequence (same length); its bases are outlined in the heatmap.
    signed : bool, optional
        Diverging colours around 0 (default: when ``values`` has negative entries).
    label : str
        Colour bar label.
    """
    values = _check_map(values, "values")
    sequence = _check_sequence(sequence, values.shape[1])
    fig, ax = plt.subplots(figsize=(_width(values.shape[1]), 1.9))
    _draw_saliency(ax, values, sequence, signed=signed, cbar_label=label, fig=fig)
    if title:
        ax.set_title(title, fontsize=9, loc="left")
    fig.tight_layout()
    return fig


def _logo_frame(values: np.ndarray):
    import pandas as pd

    return pd.DataFrame(values.T, columns=list(ALPHABET))


def saliency_logo(
    values, sequence: str | None = None, *, title: str = "", label: str = "gradient x input"
):
    """A sequence logo whose letters are scaled by their attribution (logomaker).

    ``values`` (4, length) is typically ``grad_x_input`` or ``corrected`` (signed: letters below
    the axis push the prediction down) or ``saliency`` (non-negative).
    """
    import logomaker

    values = _check_map(values, "values")
    sequence = _check_sequence(sequence, values.shape[1])
    L = values.shape[1]
    fig, ax = plt.subplots(figsize=(_width(L), 1.9))
    logomaker.Logo(
        _logo_frame(values), ax=ax, color_scheme="classic", show_spines=False, flip_below=False
    )
    ax.axhline(0, color="0.6", lw=0.5)
    ax.set_xlim(-0.5, L - 0.5)
    ax.set_ylabel(label, fontsize=7)
    _letter_axis(ax, sequence, L)
    if title:
        ax.set_title(title, fontsize=9, loc="left")
    fig.tight_layout()
    return fig


def _draw_temporal(
    ax, forward: np.ndarray, backward: np.ndarray, sequence: str | None, fig, cbar: bool = True
):
    grid = np.vstack([forward, backward])
    im = ax.imshow(
        grid,
        aspect="auto",
        cmap="RdBu_r",
        norm=TwoSlopeNorm(vcenter=0.5, vmin=0.0, vmax=1.0),
        interpolation="nearest",
    )
    ax.set_yticks([0, 1])
    ax.set_yticklabels(["forward", "backward"], fontsize=7)
    _letter_axis(ax, sequence, grid.shape[1])
    if cbar:
        cb = fig.colorbar(im, ax=ax, fraction=0.025, pad=0.01, ticks=[0, 0.5, 1])
        cb.set_label("P(bound)", fontsize=7)
        cb.ax.tick_params(labelsize=6)
    return im


def temporal_heatmap(forward, backward, sequence: str | None = None, *, title: str = ""):
    """Forward and backward temporal output scores as a 2 x length heatmap.

    Colour = probability (0..1, blue below 0.5, red above); letters along x. ``forward[t]`` is
    the score of the prefix ending at ``t``, ``backward[t]`` of the suffix starting at ``t``.
    """
    forward = np.asarray(forward, dtype=np.float64).ravel()
    backward = np.asarray(backward, dtype=np.float64).ravel()
    if forward.shape != backward.shape:
        raise ValueError(f"forward {forward.shape} and backward {backward.shape} differ in length")
    sequence = _check_sequence(sequence, forward.shape[0])
    fig, ax = plt.subplots(figsize=(_width(forward.shape[0]), 1.4))
    _draw_temporal(ax, forward, backward, sequence, fig)
    if title:
        ax.set_title(title, fontsize=9, loc="left")
    fig.tight_layout()
    return fig


def optimization_logo(pwm, *, title: str = "class optimization"):
    """A logo of a class-optimization PWM (4, length); letter heights in bits (logomaker)."""
    import logomaker

    heights = information_heights(pwm)
    L = heights.shape[1]
    fig, ax = plt.subplots(figsize=(_width(L), 1.9))
    logomaker.Logo(_logo_frame(heights), ax=ax, color_scheme="classic", show_spines=False)
    ax.set_ylim(0, 2)
    ax.set_xlim(-0.5, L - 0.5)
    ax.set_ylabel("bits", fontsize=8)
    _letter_axis(ax, None, L)
    if title:
        ax.set_title(title, fontsize=9, loc="left")
    fig.tight_layout()
    return fig


def architecture_panel(sequence: str, panels: dict, *, title: str = ""):
    """The paper's figure layout: for one sequence, each architecture's saliency and temporal rows.

    Parameters
    ----------
    sequence : str
        The sequence (length L).
    panels : dict
        ``{arch: {"saliency": (4, L) map, "forward": (L,), "backward": (L,)}}`` for any of
        ``cnn``, ``rnn``, ``cnn-rnn`` (drawn in that order, others after them); ``saliency`` or
        the temporal pair may be missing.
    """
    L = len(sequence)
    order = [a for a in ARCH_ORDER if a in panels] + [a for a in panels if a not in ARCH_ORDER]
    rows, ratios = [], []
    for arch in order:
        p = panels[arch]
        if p.get("saliency") is not None:
            rows.append((arch, "saliency"))
            ratios.append(4)
        if p.get("forward") is not None and p.get("backward") is not None:
            rows.append((arch, "temporal"))
            ratios.append(2)
    if not rows:
        raise ValueError("architecture_panel needs at least one saliency map or temporal score")
    fig, axes = plt.subplots(
        len(rows),
        1,
        figsize=(_width(L), 0.42 * sum(ratios) + 0.8),
        gridspec_kw={"height_ratios": ratios},
        squeeze=False,
    )
    seq = _check_sequence(sequence, L)
    labelled: set[str] = set()
    for ax, (arch, kind) in zip(axes[:, 0], rows):
        p = panels[arch]
        if kind == "saliency":
            values = _check_map(p["saliency"], f"{arch} saliency")
            _draw_saliency(ax, values, seq, signed=None, cbar_label="saliency", fig=fig)
        else:
            fwd = np.asarray(p["forward"], dtype=np.float64).ravel()
            bwd = np.asarray(p["backward"], dtype=np.float64).ravel()
            _draw_temporal(ax, fwd, bwd, seq, fig)
        if arch not in labelled:  # the architecture's name beside its first row
            ax.set_ylabel(arch, fontsize=9, rotation=0, ha="right", va="center", labelpad=14)
            labelled.add(arch)
    if title:
        fig.suptitle(title, fontsize=10, x=0.01, ha="left")
    fig.tight_layout()
    return fig
