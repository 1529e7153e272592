"""Prediction and binary-classification metrics (AUROC, AUPRC, accuracy) and their curves."""

from __future__ import annotations

import numpy as np
import torch

from deepmotif._device import autocast, model_on, resolve_autocast, resolve_device
from deepmotif.archs import default_batch_size


def _batches(n: int, batch_size: int, verbose: bool, desc: str):
    starts = range(0, n, batch_size)
    if verbose:
        from tqdm.auto import tqdm

        starts = tqdm(starts, desc=desc, unit="batch", leave=False)
    return starts


@torch.no_grad()
def predict(
    model, X, *, batch_size: int | None = None, device=None, dtype=None, verbose: bool = False
):
    """Positive-class probabilities of ``model`` on one-hot sequences.

    Parameters
    ----------
    model : torch.nn.Module
        Maps (n, 4, length) to logits (n,).
    X : numpy.ndarray or torch.Tensor, shape (n, 4, length)
        One-hot sequences (any dtype; cast to float32 batch by batch).
    batch_size : int or None
        Sequences per forward pass; ``None`` = :data:`deepmotif.archs.BATCH_SIZES` (task
        ``predict``). The result does not depend on it.

    Returns
    -------
    numpy.ndarray of float32, shape (n,)
    """
    if batch_size is None:
        batch_size = default_batch_size("predict", getattr(model, "arch", None))
    dev = resolve_device(device)
    cast = resolve_autocast(dtype)
    X = torch.as_tensor(X)
    out = np.empty(len(X), dtype=np.float32)
    with model_on(model, dev):
        for start in _batches(len(X), batch_size, verbose, "predict"):
            xb = X[start : start + batch_size].to(dev, torch.float32)
            with autocast(dev, cast):
                logits = model(xb)
            out[start : start + len(xb)] = torch.sigmoid(logits.float()).cpu().numpy()
    return out


def null_auroc_margin(n_positive: int, n_negative: int, p: float) -> float:
    """How far above 1/2 the AUROC of scores unrelated to the labels reaches with probability
    ``p``: under that null the AUROC of ``n1`` positives and ``n0`` negatives is about normal with
    mean 1/2 and variance ``(n0 + n1 + 1) / (12 n0 n1)`` (the Mann-Whitney statistic), and this
    is its upper ``p`` point minus 1/2 (inf when a class is empty)."""
    from scipy.stats import norm

    n1, n0 = int(n_positive), int(n_negative)
    if n1 <= 0 or n0 <= 0:
        return float("inf")
    return float(norm.isf(p)) * float(np.sqrt((n0 + n1 + 1) / (12.0 * n0 * n1)))


def binary_metrics(labels, scores, threshold: float = 0.5) -> dict:
    """AUROC, AUPRC (average precision), accuracy at ``threshold`` and n.

    AUROC and AUPRC are ``NaN`` when only one class is present.
    """
    from sklearn.metrics import average_precision_score, roc_auc_score

    y = np.asarray(labels).astype(int)
    s = np.asarray(scores, dtype=float)
    two_classes = len(np.unique(y)) == 2
    return {
        "auroc": float(roc_auc_score(y, s)) if two_classes else float("nan"),
        "auprc": float(average_precision_score(y, s)) if two_classes else float("nan"),
        "accuracy": float(((s >= threshold).astype(int) == y).mean()) if len(y) else float("nan"),
        "n": int(len(y)),
        "n_positive": int((y == 1).sum()),
        "n_negative": int((y == 0).sum()),
    }


def curves(labels, scores) -> dict:
    """ROC and precision-recall curves as dicts of arrays."""
    from sklearn.metrics import precision_recall_curve, roc_curve

    fpr, tpr, roc_thr = roc_curve(labels, scores)
    precision, recall, pr_thr = precision_recall_curve(labels, scores)
    return {
        "roc": {"fpr": fpr, "tpr": tpr, "threshold": roc_thr},
        "pr": {"precision": precision[:-1], "recall": recall[:-1], "threshold": pr_thr},
    }
