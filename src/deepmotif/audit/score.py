"""How good is an attribution map? Scores against planted sites, known-motif hits and the
other methods.

Per-position score
------------------
:func:`position_scores`: the attribution of the base observed at each position, i.e. the sum
over the four bases of ``attributions * X`` (0 at N). The audit ranks positions by its
magnitude, ``|observed-base attribution|`` (the paper's saliency map is ``|gradient| x
input``; a base that argues against binding is evidence the model read the position too);
the signed value is scored as well (``auroc_signed``: positive inside sites is the expected
sign for a positive sequence). With ``both_strands`` the method also explains the reverse
complement, whose per-position scores are flipped back onto the forward positions, and the
two strands' magnitudes (and signed values) are averaged (the observed base on the reverse
strand at position ``L-1-i`` is the complement of the one at ``i``, so the flip is exact).

Measures
--------
* **interpretation AUROC / AUPRC** (:func:`interpretation_auroc`, :func:`interpretation_auprc`):
  per-position scores against the planted-site mask (1 inside a target site, 0 elsewhere,
  decoy sites included in 0), pooled over every position of every sequence scored. Chance:
  AUROC 0.5, AUPRC the fraction of positions inside sites. Also the mean of per-sequence AUROCs
  over sequences with both classes of position.
* **agreement** (:func:`agreement_matrix`): Spearman correlation of two methods' per-position
  scores within each sequence, median over sequences.
* **hit fraction** (:func:`hit_fraction`): the share of the absolute attribution that falls
  inside known-motif hits, ``sum |s| over hit positions / sum |s|``, pooled over sequences.
  Chance: the fraction of positions inside hits.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from deepmotif.errors import DeepMotifError

__all__ = [
    "agreement_matrix",
    "hit_fraction",
    "interpretation_auprc",
    "interpretation_auroc",
    "position_scores",
    "site_masks",
]


def position_scores(attributions, X) -> np.ndarray:
    """(n, L) attribution of the observed base: ``(attributions * X).sum(axis=1)``."""
    A = np.asarray(attributions, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    if A.shape != X.shape or A.ndim != 3 or A.shape[1] != 4:
        raise DeepMotifError(
            f"attributions of shape {A.shape} do not fit sequences of shape {X.shape}"
        )
    return (A * X).sum(axis=1)


def site_masks(ids, sites: pd.DataFrame, length: int, *, tf: str | None = None):
    """(n, L) bool mask of the target sites, and each sequence's (start, end) of its first one.

    ``sites`` needs ``seq_id``, ``start`` and ``end`` (0-based, end exclusive); rows whose
    ``role`` is not ``target`` (decoys) are left out, and with ``tf`` only that TF's rows are
    kept. Sequences without a site get an all-False row and span (-1, -1).
    """
    need = {"seq_id", "start", "end"}
    if not need <= set(sites.columns):
        raise DeepMotifError(f"planted-sites table: needs the columns {', '.join(sorted(need))}")
    target = sites[sites["role"] == "target"] if "role" in sites.columns else sites
    if tf is not None:
        target = target[target["tf"] == tf]
    by_id = {str(k): g for k, g in target.groupby("seq_id")}
    mask = np.zeros((len(ids), length), dtype=bool)
    spans = np.full((len(ids), 2), -1)
    for i, sid in enumerate(ids):
        g = by_id.get(str(sid))
        if g is None:
            continue
        for start, end in zip(g["start"], g["end"]):
            mask[i, max(int(start), 0) : min(int(end), length)] = True
        spans[i] = (g["start"].iloc[0], g["end"].iloc[0])
    return mask, spans


def interpretation_auroc(scores: np.ndarray, mask: np.ndarray) -> tuple[float, float]:
    """Pooled AUROC over all positions, and the mean per-sequence AUROC (NaN when undefined)."""
    from sklearn.metrics import roc_auc_score

    mask = np.asarray(mask, dtype=bool)
    scores = np.asarray(scores, dtype=np.float64)
    if not 0 < mask.sum() < mask.size:
        return float("nan"), float("nan")
    pooled = roc_auc_score(mask.ravel(), scores.ravel())
    per = _auroc_rows(scores, mask)
    return float(pooled), float(np.mean(per)) if len(per) else float("nan")


def _auroc_rows(scores: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """AUROC of every row with both classes, all rows at once (Mann-Whitney: the rank sum of
    the positives, ties at their average rank, as ``roc_auc_score`` counts them)."""
    from scipy.stats import rankdata

    n_pos = mask.sum(axis=1)
    keep = (n_pos > 0) & (n_pos < mask.shape[1])
    if not keep.any():
        return np.empty(0)
    ranks = rankdata(scores[keep], axis=1)
    p = n_pos[keep].astype(np.float64)
    n = mask.shape[1] - p
    return ((ranks * mask[keep]).sum(axis=1) - p * (p + 1) / 2) / (p * n)


def interpretation_auprc(scores: np.ndarray, mask: np.ndarray) -> float:
    """Pooled average precision of the scores against the mask (NaN when undefined)."""
    from sklearn.metrics import average_precision_score

    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return float("nan")
    return float(average_precision_score(mask.ravel(), np.asarray(scores).ravel()))


def hit_fraction(scores: np.ndarray, mask: np.ndarray) -> float:
    """Share of the absolute attribution inside the mask (NaN when all scores are 0)."""
    a = np.abs(np.asarray(scores, dtype=np.float64))
    total = a.sum()
    return float(a[np.asarray(mask, dtype=bool)].sum() / total) if total > 0 else float("nan")


def _spearman_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Spearman correlation of each row of ``a`` with the same row of ``b`` (NaN for a
    constant row)."""
    from scipy.stats import rankdata

    ra = rankdata(a, axis=1)
    rb = rankdata(b, axis=1)
    ra -= ra.mean(axis=1, keepdims=True)
    rb -= rb.mean(axis=1, keepdims=True)
    den = np.sqrt((ra**2).sum(axis=1) * (rb**2).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, (ra * rb).sum(axis=1) / den, np.nan)


def agreement_matrix(scores: dict) -> pd.DataFrame:
    """Median per-sequence Spearman correlation between every pair of methods.

    ``scores``: method -> (n, L) per-position scores of the same sequences. The diagonal is 1.
    """
    names = list(scores)
    out = pd.DataFrame(np.eye(len(names)), index=names, columns=names)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            rho = _spearman_rows(np.asarray(scores[a]), np.asarray(scores[b]))
            med = float(np.nanmedian(rho)) if np.isfinite(rho).any() else float("nan")
            out.loc[a, b] = out.loc[b, a] = med
    return out
