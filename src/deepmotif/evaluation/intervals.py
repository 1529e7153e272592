"""Bootstrap intervals for test AUROC / AUPRC over test sequences and seeds.

Several runs (seeds) of one model are scored on the same test sequences. One bootstrap
replicate draws the test sequences with replacement (the same draw for every run and every
model compared on that test set) and, independently per model, the seeds with replacement; the
replicate's value is the mean over the drawn seeds of the metric on the drawn sequences. The
95 % interval is the 2.5 and 97.5 percentiles of the replicates (percentile bootstrap).

Comparisons are paired: two models scored on the same test set see the same resampled
sequences in every replicate, so the interval of their difference excludes the sequence-to-
sequence variation they share. A difference counts as a win only when its whole interval lies
on one side of zero; against a single published number (no predictions to resample), only when
our interval lies wholly above or below it.

Everything is vectorised over replicates: AUROC from average ranks (Mann-Whitney, ties count
one half, as :func:`sklearn.metrics.roc_auc_score`), AUPRC as average precision with tied
scores grouped (as :func:`sklearn.metrics.average_precision_score`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Replicates per interval unless told otherwise.
N_BOOTSTRAP = 2000
METRICS = ("auroc", "auprc")


def auroc_rows(labels: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """AUROC of every row: ``labels``, ``scores`` of shape ``(b, n)`` -> ``(b,)``.

    NaN for a row holding one class only.
    """
    from scipy.stats import rankdata

    y = np.asarray(labels, dtype=bool)
    ranks = rankdata(np.asarray(scores, dtype=float), axis=1)
    n_pos = y.sum(axis=1)
    n_neg = y.shape[1] - n_pos
    u = (ranks * y).sum(axis=1) - n_pos * (n_pos + 1) / 2.0
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((n_pos > 0) & (n_neg > 0), u / (n_pos * n_neg), np.nan)


def auprc_rows(labels: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Average precision of every row (tied scores form one threshold), shape ``(b,)``."""
    y = np.asarray(labels, dtype=bool)
    s = np.asarray(scores, dtype=float)
    b, n = s.shape
    order = np.argsort(-s, axis=1, kind="stable")
    s_sorted = np.take_along_axis(s, order, axis=1)
    y_sorted = np.take_along_axis(y, order, axis=1)
    tp = np.cumsum(y_sorted, axis=1)
    # the last position of each group of tied scores, for every position
    is_end = np.ones((b, n), dtype=bool)
    is_end[:, :-1] = s_sorted[:, :-1] != s_sorted[:, 1:]
    end = np.where(is_end, np.arange(n), n)
    end = np.minimum.accumulate(end[:, ::-1], axis=1)[:, ::-1]
    precision_at_end = np.take_along_axis(tp, end, axis=1) / (end + 1.0)
    n_pos = y.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ap = (precision_at_end * y_sorted).sum(axis=1) / n_pos
    return np.where((n_pos > 0) & (n_pos < n), ap, np.nan)


_ROWS = {"auroc": auroc_rows, "auprc": auprc_rows}


def metric(name: str, labels, scores) -> float:
    """One metric (``auroc`` or ``auprc``) of one set of predictions."""
    y = np.asarray(labels)[None, :]
    return float(_ROWS[name](y, np.asarray(scores, dtype=float)[None, :])[0])


def resample_indices(n: int, n_bootstrap: int, rng: np.random.Generator) -> np.ndarray:
    """``(n_bootstrap, n)`` indices of test sequences drawn with replacement."""
    return rng.integers(0, n, size=(n_bootstrap, n))


def replicate_matrix(name: str, labels, scores, idx: np.ndarray) -> np.ndarray:
    """The metric of each run on each resample: ``scores`` ``(k, n)`` -> ``(n_bootstrap, k)``.

    ``labels`` ``(n,)`` are shared by the runs; ``idx`` comes from :func:`resample_indices`.
    """
    y = np.asarray(labels)[idx]
    scores = np.atleast_2d(np.asarray(scores, dtype=float))
    return np.stack([_ROWS[name](y, s[idx]) for s in scores], axis=1)


def seed_means(matrix: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Per replicate, the mean over seeds drawn with replacement: ``(b, k)`` -> ``(b,)``."""
    b, k = matrix.shape
    draw = rng.integers(0, k, size=(b, k))
    return np.take_along_axis(matrix, draw, axis=1).mean(axis=1)


@dataclass(frozen=True)
class Interval:
    """A point estimate with its 95 % bootstrap interval."""

    estimate: float
    low: float
    high: float

    def excludes(self, value: float) -> int:
        """+1 when the whole interval lies above ``value``, -1 when below, 0 otherwise."""
        if self.low > value:
            return 1
        if self.high < value:
            return -1
        return 0


def percentile_interval(estimate: float, replicates: np.ndarray, level: float = 0.95) -> Interval:
    """The percentile interval of the finite ``replicates`` around ``estimate``."""
    r = np.asarray(replicates, dtype=float)
    r = r[np.isfinite(r)]
    if r.size == 0:
        return Interval(float(estimate), float("nan"), float("nan"))
    tail = (1.0 - level) / 2.0 * 100.0
    low, high = np.percentile(r, [tail, 100.0 - tail])
    return Interval(float(estimate), float(low), float(high))


@dataclass(frozen=True)
class SeedSummary:
    """One model's metric over its seeds: mean, sd between seeds and the bootstrap interval."""

    mean: float
    sd: float
    low: float
    high: float
    n_seeds: int


def summarize(name: str, labels, scores, idx: np.ndarray, rng: np.random.Generator):
    """Mean, sd and 95 % interval of one metric over ``k`` runs on one test set.

    Parameters
    ----------
    name : {"auroc", "auprc"}
    labels : array, shape (n,)
    scores : array, shape (k, n)
        One row of predicted scores per seed, on the same test sequences.
    idx : array, shape (n_bootstrap, n)
        Resampled sequence indices (:func:`resample_indices`), shared with every comparison.
    rng : numpy.random.Generator
        Draws the seeds.

    Returns
    -------
    (SeedSummary, numpy.ndarray)
        The summary and the ``(n_bootstrap,)`` replicates (for paired differences).
    """
    scores = np.atleast_2d(np.asarray(scores, dtype=float))
    observed = np.array([metric(name, labels, s) for s in scores])
    reps = seed_means(replicate_matrix(name, labels, scores, idx), rng)
    ci = percentile_interval(observed.mean(), reps)
    sd = float(observed.std(ddof=1)) if len(observed) > 1 else float("nan")
    return SeedSummary(ci.estimate, sd, ci.low, ci.high, len(observed)), reps


def paired_difference(mean_a: float, reps_a, mean_b: float, reps_b) -> Interval:
    """A - B with the interval of the replicate differences (same resampled sequences)."""
    return percentile_interval(mean_a - mean_b, np.asarray(reps_a) - np.asarray(reps_b))
