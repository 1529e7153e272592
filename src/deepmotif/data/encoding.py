"""DNA letters: cleaning a sequence's letters, one-hot encoding in A, C, G, T order, reverse
complement, and decoding.

``N`` (and any other IUPAC ambiguity code accepted by the readers) becomes an all-zero column.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from deepmotif.errors import DeepMotifError, where
from deepmotif.limits import check_memory

ALPHABET = "ACGT"
DNA_LETTERS = set("ACGTN")
#: IUPAC ambiguity codes accepted in input and read as N (documented in docs/data.md).
AMBIGUITY = "RYSWKMBDHV"
_TO_N = str.maketrans(AMBIGUITY, "N" * len(AMBIGUITY))
_NOT_DNA = re.compile(r"[^ACGTN]")
_AMINO_ONLY = set("EFILPQZJO*")  # letters of proteins that are not DNA or IUPAC DNA codes
_AMINO = set("ACDEFGHIKLMNPQRSTVWYXBZJUO*")

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
    # the array, the joined letters and their codes
    need = len(seqs) * length * (4 * np.dtype(dtype).itemsize + 2)
    check_memory(need, f"one-hot encoding {len(seqs):,} sequences of {length:,} bp")
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


def clean_sequence(seq: str, path=None, line: int | None = None, *, ambiguity: bool = True) -> str:
    """Upper-case ``seq``, turn IUPAC ambiguity codes into N, and reject anything else.

    The one letter check of the package: the data readers call it for every sequence they
    read, the dashboard for a pasted sequence.

    Parameters
    ----------
    seq : str
        The letters (no whitespace; any case).
    path, line : optional
        The file (and line) the sequence comes from, named in errors (``"line 12 of
        peaks.fa"``), which then also say when the sequence looks like protein. Without
        ``path`` an error names the first offending letter's position (``"position 5"``).
    ambiguity : bool
        Read the IUPAC ambiguity codes of :data:`AMBIGUITY` as N (the readers); with ``False``
        they are errors like any other letter that is not A, C, G, T or N (the dashboard).

    Raises
    ------
    DeepMotifError
        ``"line 12 of peaks.fa: 'X' is not a DNA letter (A, C, G, T, N)"`` (or ``"position 5:
        ..."``), or, for a file, a message saying the sequence looks like protein when most of
        its odd letters are amino-acid letters.
    """
    s = seq.upper()
    if ambiguity:
        s = s.translate(_TO_N)
    bad = _NOT_DNA.search(s)
    if bad is None:
        return s
    if path is None:  # pasted or generated: name the first offending letter's position
        place = f"position {bad.start() + 1}"
    else:  # a file: say so when its odd letters are mostly amino-acid letters
        place = where(path, line)
        upper = seq.upper()
        letters = set(upper)
        n_amino_only = sum(upper.count(c) for c in letters & _AMINO_ONLY)
        if letters <= _AMINO and n_amino_only >= max(2, 0.1 * len(upper)):
            raise DeepMotifError(
                f"{place}: this looks like a protein sequence (it has "
                f"{', '.join(sorted(letters & _AMINO_ONLY))}), expected DNA (A, C, G, T, N)"
            )
    raise DeepMotifError(f"{place}: {seq[bad.start()]!r} is not a DNA letter (A, C, G, T, N)")
