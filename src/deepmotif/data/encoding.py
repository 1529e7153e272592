"""One-hot encoding of DNA in A, C, G, T order, reverse complement, and decoding.

``N`` (and any other IUPAC ambiguity code accepted by the readers) becomes an all-zero column.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

ALPHABET = "ACGT"
DNA_LETTERS = set("ACGTN")

_LOOKUP = np.full(256, -1, dtype=np.int8)
for _i, _c in enumerate(ALPHABET):
    _LOOKUP[ord(_c)] = _i
    _LOOKUP[ord(_c.lower())] = _i
_COMPLEMENT = str.maketrans("ACGTNacgtn", "TGCANtgcan")


def one_hot(sequences: Sequence[str] | str, dtype=np.float32) -> np.ndarray:
    """Encode sequences of equal length as a one-hot array.

    Parameters
    ----------
    sequences : str or sequence of str
        DNA of equal length; case is ignored, letters other than A/C/G/T give zero columns.
    dtype : numpy dtype
        Output dtype (float32 by default; int8 to save memory).

    Returns
    -------
    numpy.ndarray, shape (n, 4, length)
        (4, length) when a single string is given.
    """
    single = isinstance(sequences, str)
    seqs = [sequences] if single else list(sequences)
    if not seqs:
        return np.zeros((0, 4, 0), dtype=dtype)
    length = len(seqs[0])
    if any(len(s) != length for s in seqs):
        raise ValueError("one_hot needs sequences of equal length")
    codes = np.frombuffer("".join(seqs).encode("ascii", "replace"), dtype=np.uint8)
    idx = _LOOKUP[codes].reshape(len(seqs), length)
    out = np.zeros((len(seqs), 4, length), dtype=dtype)
    n_i, pos = np.nonzero(idx >= 0)
    out[n_i, idx[n_i, pos], pos] = 1
    return out[0] if single else out


def decode(X, *, n_char: str = "N") -> list[str] | str:
    """Turn a one-hot (or PWM-like) array back into strings by the arg-max at each position.

    All-zero columns decode to ``n_char``. Accepts numpy arrays or torch tensors of shape
    (n, 4, length) or (4, length).
    """
    arr = np.asarray(X.detach().cpu() if hasattr(X, "detach") else X, dtype=np.float32)
    single = arr.ndim == 2
    if single:
        arr = arr[None]
    letters = np.array(list(ALPHABET + n_char))
    idx = arr.argmax(axis=1)
    idx[arr.max(axis=1) <= 0] = 4
    out = ["".join(row) for row in letters[idx]]
    return out[0] if single else out


def reverse_complement(X):
    """Reverse complement a string, a list of strings, or one-hot arrays/tensors (…, 4, L)."""
    if isinstance(X, str):
        return X.translate(_COMPLEMENT)[::-1]
    if isinstance(X, list | tuple):
        return [reverse_complement(s) for s in X]
    if hasattr(X, "flip"):  # torch tensor: A<->T, C<->G is the reversed channel order
        return X.flip(dims=(-2, -1))
    return np.ascontiguousarray(np.asarray(X)[..., ::-1, ::-1])


def gc_content(sequence: str) -> float:
    """Fraction of G+C among the A/C/G/T letters of ``sequence`` (NaN when it has none)."""
    s = sequence.upper()
    acgt = sum(s.count(c) for c in ALPHABET)
    return (s.count("G") + s.count("C")) / acgt if acgt else float("nan")
