"""Motifs from first-layer convolution filters (the DeepBind / Basset method).

Each filter of the first convolution is run over the sequences. A filter *fires* on a
sequence when its activation (after the ReLU) somewhere exceeds ``threshold`` times the
largest activation the filter reaches on any of the sequences (Basset's rule). Its PWM is built
from the subsequences under every such activation in the positive sequences (the window the
filter looks at, reverse complement not applied), column-normalised with a small pseudocount and
cut to its informative core.

Filters are ranked by how well their maximum activation separates positives from negatives
(AUROC); the ``top_n`` best with enough sites and information are reported.

``stats`` of each motif
-----------------------
``filter`` (index in the layer), ``auroc`` (maximum activation, positives vs negatives),
``fire_pos`` / ``fire_neg`` (fraction of positives / negatives where the filter fires),
``mean_max_pos`` / ``mean_max_neg`` (mean of the per-sequence maximum activation),
``threshold`` (the activation threshold used), ``trim_start`` (first kept filter column).
"""

from __future__ import annotations

import numpy as np

from deepmotif.errors import DeepMotifError
from deepmotif.motifs.base import ExtractedMotif, motif_name
from deepmotif.motifs.pwm import information_content, normalize, trim_bounds

__all__ = ["filter_activations", "filter_motifs"]


def filter_activations(model, X, *, batch_size: int | None = None, device=None):
    """First-layer activations (after ReLU) of ``model`` on ``X``.

    Parameters
    ----------
    model : DeepMotifModel
        Must have a first convolution (``model.first_conv``).
    X : array-like, shape (n, 4, length)
        One-hot sequences.
    batch_size : int, optional
        Sequences per batch (``None``: :data:`deepmotif.archs.BATCH_SIZES`, task ``motifs``).
    device : str, optional
        Where the convolution runs (``None``: where the model is).

    Returns
    -------
    numpy.ndarray of float32, shape (n, filters, positions)
        ``positions`` is the convolution's output length (``length`` for the same-padded
        convolutions of deepmotif models).
    """
    import torch

    conv = getattr(model, "first_conv", None)
    if conv is None:
        arch = getattr(model, "arch", "this model")
        raise DeepMotifError(
            f"the filters source needs convolutions, and the {arch} model has none"
        )
    from deepmotif._device import model_on, resolve_device
    from deepmotif.archs import default_batch_size

    if batch_size is None:
        batch_size = default_batch_size("motifs", getattr(model, "arch", None))
    dev = conv.weight.device if device is None else resolve_device(device)
    X = torch.as_tensor(np.asarray(X), dtype=torch.float32)
    outs = []
    with torch.no_grad(), model_on(conv, dev):
        for start in range(0, len(X), batch_size):
            xb = X[start : start + batch_size].to(dev)
            outs.append(torch.relu(conv(xb)).float().cpu().numpy())
    if not outs:
        return np.zeros((0, conv.out_channels, 0), dtype=np.float32)
    return np.concatenate(outs)


def _auroc(pos: np.ndarray, neg: np.ndarray) -> float:
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    from sklearn.metrics import roc_auc_score

    y = np.r_[np.ones(len(pos)), np.zeros(len(neg))]
    return float(roc_auc_score(y, np.r_[pos, neg]))


def _window_counts(
    X: np.ndarray, seq_idx: np.ndarray, pos_idx: np.ndarray, width: int, pad: int
) -> np.ndarray:
    """Sum of the one-hot windows ``X[i, :, p - pad : p - pad + width]`` (zero outside)."""
    n, _, length = X.shape
    padded = np.zeros((n, 4, length + 2 * width), dtype=np.float32)
    padded[:, :, width : width + length] = X
    starts = pos_idx - pad + width
    cols = starts[:, None] + np.arange(width)[None, :]
    windows = padded[seq_idx[:, None], :, cols]  # (sites, width, 4)
    return windows.sum(axis=0).T.astype(np.float64)


def filter_motifs(
    model,
    X,
    labels,
    *,
    arch: str | None = None,
    top_n: int = 10,
    threshold: float = 0.5,
    min_sites: int = 10,
    min_ic: float = 0.3,
    min_length: int = 4,
    pseudocount: float = 0.01,
    batch_size: int | None = None,
    device=None,
) -> list[ExtractedMotif]:
    """PWMs of the first-layer filters that best separate positives from negatives.

    Parameters
    ----------
    model : DeepMotifModel
        A CNN or CNN-RNN (``model.first_conv`` not None).
    X : array-like, shape (n, 4, length)
        One-hot sequences, positives and negatives.
    labels : array-like of int, shape (n,)
        1 = bound, 0 = not bound.
    arch : str, optional
        For the names (default ``model.arch``).
    top_n : int
        Most filters reported.
    threshold : float
        A filter fires where its activation exceeds this fraction of its maximum.
    min_sites : int
        Fewest firing windows in positives for a filter to be reported.
    min_ic : float
        Bits: the PWM is cut to the columns from the first to the last reaching it.
    min_length : int
        Shortest informative core reported.
    pseudocount : float
        Uniform weight mixed into each column (see :func:`deepmotif.motifs.pwm.normalize`).
    batch_size, device
        Passed to :func:`filter_activations`.

    Returns
    -------
    list of ExtractedMotif
        ``<arch>-filters-<k>``, best AUROC first (see the module docstring for ``stats``).
    """
    arch = arch or getattr(model, "arch", "model")
    X = np.asarray(X, dtype=np.float32)
    labels = np.asarray(labels).astype(int)
    if X.ndim != 3 or X.shape[1] != 4 or len(X) != len(labels):
        raise ValueError(
            f"X must be (n, 4, length) with one label per row, got {X.shape}, {labels.shape}"
        )
    act = filter_activations(model, X, batch_size=batch_size, device=device)
    conv = model.first_conv
    width = int(conv.kernel_size[0])
    if conv.padding == "same":
        pad = (width - 1) // 2
    elif conv.padding == "valid":
        pad = 0
    else:
        pad = int(conv.padding[0])
    pos = labels == 1
    neg = labels == 0
    if not pos.any():
        raise DeepMotifError("the filters source needs positive sequences, and the data has none")
    maxact = act.max(axis=2)  # (n, F)
    candidates = []
    for f in range(act.shape[1]):
        top = float(maxact[:, f].max()) if len(maxact) else 0.0
        if top <= 0:
            continue
        thr = threshold * top
        seq_idx, pos_idx = np.nonzero(act[pos, f, :] > thr)
        if len(seq_idx) < min_sites:
            continue
        seq_idx = np.nonzero(pos)[0][seq_idx]
        counts = _window_counts(X, seq_idx, pos_idx, width, pad)
        pwm = normalize(counts, pseudocount)
        start, end = trim_bounds(pwm, min_ic)
        if end - start < min_length:
            continue
        fired = maxact[:, f] > thr
        stats = {
            "filter": f,
            "auroc": _auroc(maxact[pos, f], maxact[neg, f]),
            "fire_pos": float(fired[pos].mean()),
            "fire_neg": float(fired[neg].mean()) if neg.any() else float("nan"),
            "mean_max_pos": float(maxact[pos, f].mean()),
            "mean_max_neg": float(maxact[neg, f].mean()) if neg.any() else float("nan"),
            "threshold": thr,
            "trim_start": int(start),
        }
        core = pwm[:, start:end]
        candidates.append((stats, core, len(seq_idx)))
    candidates.sort(
        key=lambda c: (
            -(c[0]["auroc"] if np.isfinite(c[0]["auroc"]) else c[0]["fire_pos"]),
            -float(information_content(c[1]).sum()),
            c[0]["filter"],
        )
    )
    out = []
    for k, (stats, core, n_sites) in enumerate(candidates[:top_n], start=1):
        out.append(
            ExtractedMotif(motif_name(arch, "filters", k), core, "filters", arch, n_sites, stats)
        )
    return out
