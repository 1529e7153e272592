"""ROC / precision-recall curves and training curves."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def curve_figure(curves_by_split: dict, kind: str = "roc", title: str = ""):
    """ROC (``kind="roc"``) or precision-recall curves, one line per split.

    ``curves_by_split`` maps a split name to :func:`deepmotif.evaluation.curves` output plus its
    metrics under ``"metrics"``.
    """
    fig, ax = plt.subplots(figsize=(4.2, 4))
    for split, c in curves_by_split.items():
        m = c.get("metrics", {})
        if kind == "roc":
            ax.plot(
                c["roc"]["fpr"],
                c["roc"]["tpr"],
                label=f"{split} (AUROC {m.get('auroc', float('nan')):.3f})",
            )
        else:
            ax.plot(
                c["pr"]["recall"],
                c["pr"]["precision"],
                label=f"{split} (AUPRC {m.get('auprc', float('nan')):.3f})",
            )
    if kind == "roc":
        ax.plot([0, 1], [0, 1], color="0.7", lw=0.8, ls="--")
        ax.set_xlabel("false positive rate")
        ax.set_ylabel("true positive rate")
    else:
        ax.set_xlabel("recall")
        ax.set_ylabel("precision")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_title(title or kind.upper())
    ax.legend(loc="lower right" if kind == "roc" else "lower left", fontsize=8)
    fig.tight_layout()
    return fig


def history_figure(history, title: str = ""):
    """Training loss and validation AUROC per epoch from a history table (pandas DataFrame)."""
    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.plot(history["epoch"], history["train_loss"], color="tab:blue", label="train loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("train loss", color="tab:blue")
    ax2 = ax.twinx()
    ax2.plot(history["epoch"], history["valid_auroc"], color="tab:red", label="valid AUROC")
    ax2.set_ylabel("valid AUROC", color="tab:red")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def save_figure(fig, path_stem, formats=("png",)) -> list[str]:
    """Write ``fig`` as ``<path_stem>.<fmt>`` for every format (atomically) and close it."""
    from deepmotif.atomic import atomic_path

    written = []
    for fmt in formats:
        path = f"{path_stem}.{fmt}"
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=fmt, dpi=150, bbox_inches="tight")
        written.append(path)
    plt.close(fig)
    return written
