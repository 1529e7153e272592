"""The attribution audit's figure: each measure per method, with its chance level."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

__all__ = ["PANELS", "audit_figure"]

#: (column, chance column, axis label) of each panel.
PANELS = (
    ("interpretation_auroc", "auroc_chance", "interpretation AUROC"),
    ("interpretation_auprc", "auprc_chance", "interpretation AUPRC"),
    ("hit_fraction", "hit_fraction_chance", "attribution in motif hits"),
    ("agreement", None, "agreement (median Spearman)"),
    ("seconds_per_1000", None, "seconds per 1000 sequences"),
)


def audit_figure(table: pd.DataFrame, *, title: str | None = None):
    """Bars per method for every measure ``audit.tsv`` holds a value for; chance levels as
    dashed lines. ``table``: the rows of ``audit.tsv`` (one per method, or one per run and
    method with a ``run`` column, shown as groups)."""
    panels = [p for p in PANELS if p[0] in table.columns and table[p[0]].notna().any()] or PANELS[
        -1:
    ]
    groups = list(dict.fromkeys(table["run"])) if "run" in table.columns else [None]
    methods = list(dict.fromkeys(table["method"]))
    fig, axes = plt.subplots(
        1, len(panels), figsize=(2.2 + 2.0 * len(panels) * max(1, len(groups)) ** 0.5, 3.0)
    )
    axes = np.atleast_1d(axes)
    cmap = plt.get_cmap("tab10")
    width = 0.8 / max(1, len(methods))
    xs = np.arange(len(groups))
    for ax, (col, chance, label) in zip(axes, panels):
        for j, m in enumerate(methods):
            sub = table[table["method"] == m]
            vals = []
            for g in groups:
                rows = sub if g is None else sub[sub["run"] == g]
                vals.append(float(rows[col].iloc[0]) if len(rows) else np.nan)
            ax.bar(xs + (j - (len(methods) - 1) / 2) * width, vals, width, color=cmap(j % 10),
                   label=m)  # fmt: skip
        if chance and chance in table.columns and table[chance].notna().any():
            level = float(table[chance].dropna().iloc[0])
            ax.axhline(level, color="#1f2933", ls="--", lw=1, label="chance")
        if col in ("interpretation_auroc", "interpretation_auprc", "hit_fraction", "agreement"):
            ax.set_ylim(min(0.0, np.nanmin(table[col].to_numpy(dtype=float)) - 0.05), 1.0)
        ax.set_xticks(xs)
        ax.set_xticklabels([g or "" for g in groups], fontsize=8)
        ax.set_title(label, fontsize=9)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    handles, labels = axes[0].get_legend_handles_labels()
    for ax in axes[1:]:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    fig.legend(handles, labels, fontsize=8, ncol=min(6, len(labels)), loc="upper center",
               bbox_to_anchor=(0.5, 1.08), frameon=False)  # fmt: skip
    if title:
        fig.suptitle(title, y=1.15, fontsize=10)
    fig.tight_layout()
    return fig
