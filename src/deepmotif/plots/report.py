"""The static report's figures: test AUROC per dataset, ROC / precision-recall / training
curves of one dataset, and the explanations of one sequence by every architecture.

Every function returns a matplotlib Figure; :mod:`deepmotif.dashboard.static` renders them to
PNG for the report. Architectures keep their colours from :mod:`deepmotif.plots.colors`.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from deepmotif.plots.colors import arch_color  # noqa: E402

__all__ = ["auroc_figure", "curves_figure", "explanation_figure"]


def auroc_figure(summary: pd.DataFrame):
    """Grouped bars of test AUROC per dataset and architecture, DeepBind* as black diamonds.

    ``summary``: columns ``dataset, arch, status, auroc, deepbind_star`` and optionally
    ``auroc_ci_low`` and ``auroc_ci_high`` (an interval, drawn as error bars) or else
    ``auroc_sd`` (the spread over seeds, drawn as error bars around the mean); several rows of
    one dataset and architecture are averaged.
    """
    done = summary[summary["status"] == "finished"]
    datasets = sorted(done["dataset"].unique())
    archs = list(dict.fromkeys(done["arch"]))
    fig, ax = plt.subplots(
        figsize=(max(4.5, 0.9 * len(datasets) * max(1, len(archs)) / 2 + 2), 3.2)
    )
    width = 0.8 / max(1, len(archs))
    xs = np.arange(len(datasets))
    for i, arch in enumerate(archs):
        part = done[done["arch"] == arch].groupby("dataset", sort=False)
        mean = part["auroc"].mean()
        heights = np.array([float(mean.get(d, np.nan)) for d in datasets])
        ax.bar(
            xs + (i - (len(archs) - 1) / 2) * width,
            heights,
            width,
            yerr=_error_bars(part, set(done.columns), datasets, heights),
            capsize=2,
            label=arch,
            color=arch_color(arch, i),
        )
    ref = done.groupby("dataset")["deepbind_star"].first().reindex(datasets)
    if ref.notna().any():
        ax.scatter(
            xs,
            ref.to_numpy(dtype=float),
            marker="D",
            color="#1f2933",
            zorder=3,
            s=22,
            label="DeepBind* (published)",
        )
    ax.set_xticks(xs)
    ax.set_xticklabels(
        datasets,
        rotation=30 if len(datasets) > 3 else 0,
        ha="right" if len(datasets) > 3 else "center",
        fontsize=8,
    )
    low = np.nanmin(done["auroc"].to_numpy(dtype=float)) if done["auroc"].notna().any() else 0.5
    ax.set_ylim(min(0.5, max(0.0, low - 0.05)), 1.0)
    ax.set_ylabel("test AUROC")
    ax.legend(fontsize=8, ncol=4, loc="lower left", bbox_to_anchor=(0, 1.0), frameon=False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    return fig


def _error_bars(part, columns: set, datasets: list, heights: np.ndarray):
    """Error bars for :func:`auroc_figure` (``part``: one architecture's rows by dataset, of a
    frame with ``columns``): below and above each bar from an interval's ``auroc_ci_low`` /
    ``auroc_ci_high``, else symmetric from ``auroc_sd``, else none."""
    if {"auroc_ci_low", "auroc_ci_high"} <= columns:
        low, high = (part[c].first() for c in ("auroc_ci_low", "auroc_ci_high"))
        return np.array(
            [
                heights - [float(low.get(d, np.nan)) for d in datasets],
                np.array([float(high.get(d, np.nan)) for d in datasets]) - heights,
            ]
        )
    if "auroc_sd" in columns:
        sd = part["auroc_sd"].first()
        return [float(sd.get(d, np.nan)) for d in datasets]
    return None


def curves_figure(curves: dict, metrics: dict, histories: dict):
    """ROC, precision-recall and validation-AUROC curves of one dataset, side by side.

    ``curves``: arch -> ``{"roc": DataFrame(fpr, tpr), "pr": DataFrame(recall, precision)}``;
    ``metrics``: arch -> test metrics dict; ``histories``: arch -> history DataFrame.
    """
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.2))
    for i, (arch, c) in enumerate(curves.items()):
        color = arch_color(arch, i)
        m = metrics.get(arch, {})
        axes[0].plot(
            c["roc"]["fpr"],
            c["roc"]["tpr"],
            color=color,
            label=f"{arch} ({m.get('auroc', np.nan):.3f})",
        )
        axes[1].step(
            c["pr"]["recall"],
            c["pr"]["precision"],
            color=color,
            where="post",
            label=f"{arch} ({m.get('auprc', np.nan):.3f})",
        )
    for i, (arch, h) in enumerate(histories.items()):
        if "valid_auroc" in h.columns:
            axes[2].plot(
                h["epoch"],
                h["valid_auroc"],
                marker="o",
                ms=3,
                color=arch_color(arch, i),
                label=arch,
            )
    axes[0].plot([0, 1], [0, 1], color="#bcccdc", ls="--", lw=0.8)
    for ax, (xl, yl, title) in zip(
        axes,
        [
            ("false positive rate", "true positive rate", "ROC (test)"),
            ("recall", "precision", "Precision-recall (test)"),
            ("epoch", "validation AUROC", "Training"),
        ],
    ):
        ax.set_xlabel(xl, fontsize=9)
        ax.set_ylabel(yl, fontsize=9)
        ax.set_title(title, fontsize=10, loc="left")
        ax.tick_params(labelsize=8)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7, frameon=False)
    for ax in axes[:2]:
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
    fig.tight_layout()
    return fig


def explanation_figure(explanations: dict, title: str = ""):
    """Saliency (each row scaled to its maximum) and temporal scores of every architecture.

    The static counterpart of the dashboard's Plotly explanation figure.
    """
    from matplotlib.colors import LinearSegmentedColormap

    archs = list(explanations)
    seq = next(iter(explanations.values())).sequence
    L = len(seq)
    sal = [a for a in archs if explanations[a].saliency is not None]
    tmp = [
        a
        for a in archs
        if explanations[a].forward is not None and explanations[a].backward is not None
    ]
    n_rows = [len(sal), 2 * len(tmp)]
    ratios = [max(n, 0.01) for n in n_rows]
    fig, axes = plt.subplots(
        2,
        1,
        figsize=(min(16, max(7, 0.11 * L + 1.5)), 0.42 * sum(n_rows) + 1.6),
        gridspec_kw={"height_ratios": ratios},
        sharex=True,
        squeeze=False,
    )
    ax_s, ax_t = axes[0, 0], axes[1, 0]
    cmap = LinearSegmentedColormap.from_list("sal", ["#ffffff", "#fde0c5", "#f59e5b", "#b42318"])
    if sal:
        raw = np.vstack([np.asarray(explanations[a].saliency).sum(0) for a in sal])
        peak = np.abs(raw).max(1, keepdims=True)
        z = np.divide(raw, peak, out=np.zeros_like(raw), where=peak > 0)
        im_s = ax_s.imshow(
            z,
            aspect="auto",
            cmap=cmap,
            vmin=0,
            vmax=1,
            interpolation="nearest",
            extent=(0.5, L + 0.5, len(sal) - 0.5, -0.5),
        )
        fig.colorbar(im_s, ax=ax_s, fraction=0.02, pad=0.01).ax.tick_params(labelsize=7)
        ax_s.set_yticks(range(len(sal)))
        ax_s.set_yticklabels(
            [
                f"{a} ({explanations[a].score:.2f})" if explanations[a].score is not None else a
                for a in sal
            ],
            fontsize=8,
        )
        if L <= 120:
            for r in range(len(sal)):
                for i, b in enumerate(seq):
                    ax_s.text(i + 1, r, b, ha="center", va="center", fontsize=5.5, color="#1f2933")
        ax_s.set_title(
            "saliency |gradient| × input (each row scaled to its maximum)", fontsize=9, loc="left"
        )
    else:
        ax_s.set_axis_off()
    if tmp:
        z = np.vstack([v for a in tmp for v in (explanations[a].forward, explanations[a].backward)])
        im = ax_t.imshow(
            z,
            aspect="auto",
            cmap="RdBu_r",
            vmin=0,
            vmax=1,
            interpolation="nearest",
            extent=(0.5, L + 0.5, len(z) - 0.5, -0.5),
        )
        ax_t.set_yticks(range(len(z)))
        ax_t.set_yticklabels([f"{a} {d}" for a in tmp for d in ("→", "←")], fontsize=8)
        ax_t.set_title(
            "temporal output scores P(bound) reading forward (→) / backward (←)",
            fontsize=9,
            loc="left",
        )
        fig.colorbar(im, ax=ax_t, fraction=0.02, pad=0.01).ax.tick_params(labelsize=7)
    else:
        ax_t.set_axis_off()
    last = ax_t if tmp else ax_s
    last.set_xlabel("position", fontsize=9)
    last.tick_params(axis="x", labelsize=8)
    if title:
        fig.suptitle(title, fontsize=10, x=0.01, ha="left")
    fig.tight_layout()
    return fig
