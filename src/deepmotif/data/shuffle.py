"""Dinucleotide-shuffled negatives, DeepBind's way of making a background for bound sequences.

A dinucleotide shuffle keeps the first and last letter and the count of every dinucleotide
(an Eulerian path through the sequence's dinucleotide graph), so a model cannot tell the
negatives from the positives by base or dinucleotide composition, only by arrangement. The
shuffle itself is :func:`tangermeme.ersatz.dinucleotide_shuffle`; this module turns strings into
one-hot batches of equal length for it and back.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from deepmotif.data.encoding import one_hot

__all__ = ["dinucleotide_shuffle", "shuffle_tool"]

_LETTERS = np.frombuffer(b"ACGTN", dtype=np.uint8)


def shuffle_tool() -> str:
    """The library and version that does the shuffling, for provenance (``"tangermeme 1.6.0"``)."""
    import tangermeme

    return f"tangermeme {tangermeme.__version__}"


def dinucleotide_shuffle(sequences: Sequence[str], seed: int = 0) -> list[str]:
    """One dinucleotide shuffle of each sequence.

    Parameters
    ----------
    sequences : sequence of str
        Upper-case DNA over A, C, G, T, N, of any lengths. ``N`` is shuffled as a letter of its
        own (tangermeme's ``allow_N=True``), so dinucleotides that contain it are kept too.
    seed : int
        Sequence ``i`` of the list is shuffled with seed ``seed + i`` (tangermeme's per-sequence
        seeds), so its shuffle does not depend on the other sequences' lengths or on batching.

    Returns
    -------
    list of str
        Shuffles in the same order and of the same lengths as ``sequences``; the first and last
        letter of each and its dinucleotide counts are unchanged. Sequences shorter than three
        letters have only one arrangement and come back as they are.
    """
    import torch
    from tangermeme.ersatz import dinucleotide_shuffle as _tm_shuffle

    seqs = list(sequences)
    out: list[str | None] = [None] * len(seqs)
    by_length: dict[int, list[int]] = defaultdict(list)
    for i, s in enumerate(seqs):
        if len(s) < 3:
            out[i] = s
        else:
            by_length[len(s)].append(i)
    # One call per distinct length: tangermeme needs equal lengths in a batch, and each
    # sequence keeps its own seed, so grouping does not change any shuffle. Chunks bound memory.
    chunk = 16384
    for length, index in by_length.items():
        for lo in range(0, len(index), chunk):
            part = index[lo : lo + chunk]
            X = torch.from_numpy(one_hot([seqs[i] for i in part], dtype=np.int8))
            seeds = (np.asarray(part, dtype=np.int64) + int(seed)) % (2**31)
            Y = _tm_shuffle(X, n=1, random_state=seeds, allow_N=True)[:, 0].numpy()
            # Back to letters: an all-zero column is N (code 4).
            codes = np.where(Y.max(axis=1) > 0, Y.argmax(axis=1), 4)
            rows = _LETTERS[codes].tobytes()
            for k, i in enumerate(part):
                out[i] = rows[k * length : (k + 1) * length].decode("ascii")
    return out  # type: ignore[return-value]
