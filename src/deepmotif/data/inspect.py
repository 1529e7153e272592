"""A summary of a dataset: counts, generated negatives, lengths, GC per class, Ns, duplicates."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from deepmotif.data.dataset import SequenceDataset

__all__ = ["inspect_dataset"]


def _mean_gc(sequences: list[str]) -> float | None:
    """GC fraction over all A/C/G/T letters of ``sequences`` (None when there are none)."""
    text = "".join(sequences)
    gc = text.count("G") + text.count("C")
    acgt = gc + text.count("A") + text.count("T")
    return gc / acgt if acgt else None


def inspect_dataset(ds: SequenceDataset) -> dict:
    """Describe ``ds`` in a JSON-serialisable dict.

    Keys: ``format, path, n, n_positive, n_negative, n_unlabelled, n_generated, length,
    length_min, length_max, length_mean`` (of the sequences as they were in the file, before
    the length policy, when the reader recorded them), ``length_counts`` (up to five most
    common lengths in the file, as ``{"101": 6406}``), ``n_resized,
    n_cropped, n_padded, gc_positive, gc_negative`` (pooled GC fraction per class, None when
    the class is empty), ``n_N_bases`` (N letters in all sequences, padding included),
    ``n_with_N``, ``n_duplicates`` (sequences identical to an earlier one), ``negatives``
    (how negatives were made, if generated) and ``meta``.
    """
    labels = np.asarray(ds.labels)
    seqs = ds.sequences
    pos = [s for s, y in zip(seqs, labels) if y == 1]
    neg = [s for s, y in zip(seqs, labels) if y == 0]
    policy = ds.meta.get("length_policy", {})
    lengths = np.array([len(s) for s in seqs], dtype=np.int64)
    if policy:
        lmin = policy["original_length_min"]
        lmax = policy["original_length_max"]
        lmean = policy["original_length_mean"]
    else:
        lmin = int(lengths.min()) if len(lengths) else 0
        lmax = int(lengths.max()) if len(lengths) else 0
        lmean = float(lengths.mean()) if len(lengths) else 0.0
    length_counts = policy.get("original_length_counts") or {
        str(n): int(c) for n, c in Counter(lengths.tolist()).most_common(5)
    }
    n_n = sum(s.count("N") for s in seqs)
    counts = Counter(seqs)
    return {
        "format": ds.format,
        "path": ds.path,
        "n": len(ds),
        "n_positive": int((labels == 1).sum()),
        "n_negative": int((labels == 0).sum()),
        "n_unlabelled": int((labels < 0).sum()),
        "n_generated": int(ds.n_generated),
        "negatives": ds.meta.get("negatives"),
        "length": ds.length,
        "length_min": int(lmin),
        "length_max": int(lmax),
        "length_mean": round(float(lmean), 3) if not math.isnan(lmean) else None,
        "length_counts": length_counts,
        "n_resized": int(ds.n_resized),
        "n_cropped": int(policy.get("n_cropped", 0)),
        "n_padded": int(policy.get("n_padded", 0)),
        "gc_positive": _mean_gc(pos),
        "gc_negative": _mean_gc(neg),
        "n_N_bases": int(n_n),
        "n_with_N": int(sum(1 for s in seqs if "N" in s)),
        "n_duplicates": int(sum(c - 1 for c in counts.values())),
        "has_coords": ds.coords is not None,
        "meta": ds.meta,
    }
