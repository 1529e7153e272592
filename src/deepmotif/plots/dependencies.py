"""Figures of a motif-pair marginalisation: cooperativity against spacing, and a heatmap."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import TwoSlopeNorm  # noqa: E402

__all__ = ["cooperativity_figure", "dependency_map_figure", "heatmap_figure"]

_ORDERS = ("AB", "BA")
_ORIENTATIONS = ("++", "+-", "-+", "--")


def cooperativity_figure(table):
    """One panel per order x orientation: cooperativity (with its 95% interval) against
    spacing, one line per run; significant configurations are marked with a dot."""
    fig, axes = plt.subplots(2, 4, figsize=(14, 5.5), sharex=True, sharey=True)
    runs = list(dict.fromkeys(table["run"]))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    a, b = table["motif_a"].iloc[0], table["motif_b"].iloc[0]
    for i, order in enumerate(_ORDERS):
        for j, orient in enumerate(_ORIENTATIONS):
            ax = axes[i, j]
            ax.axhline(0, color="0.6", lw=0.8)
            for k, run in enumerate(runs):
                sub = table[
                    (table["run"] == run)
                    & (table["order"] == order)
                    & (table["orientation"] == orient)
                ].sort_values("spacing")
                c = colors[k % len(colors)]
                ax.plot(sub["spacing"], sub["cooperativity"], color=c, lw=1.5, label=run)
                ax.fill_between(sub["spacing"], sub["ci_low"], sub["ci_high"], color=c, alpha=0.2)
                sig = sub[sub["significant"]]
                ax.plot(sig["spacing"], sig["cooperativity"], "o", color=c, ms=3)
            first, second = (a, b) if order == "AB" else (b, a)
            ax.set_title(f"{first}{orient[0]} then {second}{orient[1]}", fontsize=9)
            if i == 1:
                ax.set_xlabel("spacing (bp)")
            if j == 0:
                ax.set_ylabel("cooperativity (logit)")
    axes[0, 0].legend(fontsize=8, frameon=False)
    fig.suptitle(f"{a} and {b}: logit(both) - logit(A) - logit(B) + logit(background)")
    fig.tight_layout()
    return fig


def heatmap_figure(table, title: str = ""):
    """Cooperativity of one run: rows order x orientation, columns spacing."""
    spacings = sorted(table["spacing"].unique())
    labels, grid = [], []
    for order in _ORDERS:
        for orient in _ORIENTATIONS:
            sub = table[(table["order"] == order) & (table["orientation"] == orient)]
            values = sub.set_index("spacing")["cooperativity"].reindex(spacings)
            grid.append(values.to_numpy(dtype=float))
            labels.append(f"{order} {orient}")
    grid = np.asarray(grid)
    top = float(np.nanmax(np.abs(grid))) if np.isfinite(grid).any() else 1.0
    top = top if top > 0 else 1.0
    fig, ax = plt.subplots(figsize=(max(5.0, 0.25 * len(spacings) + 2), 3.6))
    im = ax.imshow(grid, aspect="auto", cmap="RdBu_r", norm=TwoSlopeNorm(0, -top, top))
    ax.set_yticks(range(len(labels)), labels)
    step = max(1, len(spacings) // 15)
    ax.set_xticks(range(0, len(spacings), step), [str(s) for s in spacings[::step]])
    ax.set_xlabel("spacing (bp)")
    ax.set_title(title)
    fig.colorbar(im, ax=ax, label="cooperativity (logit)")
    fig.tight_layout()
    return fig


def dependency_map_figure(dmap, sequence: str | None = None, *, start: int = 0, title: str = ""):
    """A dependency map (L, W): substituted position on x, affected position on y; the
    diagonal (a base's effect on itself) is blanked so the off-diagonal blocks show."""
    dmap = np.array(dmap, dtype=float)
    rows, cols = dmap.shape
    for k in range(cols):
        if 0 <= start + k < rows:
            dmap[start + k, k] = np.nan
    size = min(12.0, max(4.0, 0.08 * rows + 2))
    fig, ax = plt.subplots(figsize=(size * max(cols, 1) / max(rows, 1) + 1.5, size))
    im = ax.imshow(dmap, cmap="viridis", aspect="equal", origin="upper",
                   extent=(start - 0.5, start + cols - 0.5, rows - 0.5, -0.5))  # fmt: skip
    ax.set_xlabel("substituted position")
    ax.set_ylabel("position whose ISM effect changes")
    if sequence is not None and rows <= 60:
        ax.set_yticks(range(rows), list(sequence[:rows]), fontsize=6, family="monospace")
    ax.set_title(title)
    fig.colorbar(im, ax=ax, label="mean |change of ISM effect| (logit)", shrink=0.8)
    fig.tight_layout()
    return fig
