"""What every reader does after parsing: negatives, the length policy, the dataset.

Readers parse their format into :class:`Records` and hand them to :func:`finish`, so the label
checks, the generated negatives and the one-fixed-length policy are the same for every format.
"""

from __future__ import annotations

import os
import warnings
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from deepmotif.data.dataset import SequenceDataset
from deepmotif.errors import DeepMotifError, DeepMotifWarning, check_positive_int
from deepmotif.limits import check_memory

#: The shortest length a dataset may have ("shorter than any model could use").
MIN_LENGTH = 10

NEGATIVE_CHOICES = ("auto", "shuffle", "none")


@dataclass
class Records:
    """Parsed sequences before negatives and the length policy are applied."""

    ids: list[str] = field(default_factory=list)
    sequences: list[str] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)  # 1, 0, or -1 (no label)
    coords: list[tuple[str, int, int] | None] = field(default_factory=list)

    def add(self, seq_id, sequence, label, coords=None) -> None:
        self.ids.append(seq_id)
        self.sequences.append(sequence)
        self.labels.append(label)
        self.coords.append(coords)

    def extend(self, other: Records) -> None:
        self.ids += other.ids
        self.sequences += other.sequences
        self.labels += other.labels
        self.coords += other.coords


@dataclass
class LengthResult:
    """The outcome of :func:`apply_length_policy`."""

    sequences: list[str]
    coords: list[tuple[str, int, int] | None]
    length: int
    n_cropped: int
    n_padded: int
    info: dict


def target_length(sequences: list[str], length: int | None, path) -> tuple[int, str]:
    """The dataset's fixed length: ``length`` if given, else the most common (ties: longest)."""
    name = os.fspath(path) if path is not None else "the data"
    if length is not None:
        length = check_positive_int("length", length)
        source = "given"
    else:
        counts = Counter(len(s) for s in sequences)
        top = max(counts.values())
        length = max(n for n, c in counts.items() if c == top)
        source = "most common"
    if length < MIN_LENGTH:
        what = "the requested length" if source == "given" else "the sequences' usual length"
        raise DeepMotifError(
            f"{name}: {what} is {length} bp, shorter than any model could use "
            f"(at least {MIN_LENGTH} bp expected)"
        )
    return length, source


def apply_length_policy(
    sequences: list[str],
    length: int | None = None,
    *,
    coords: list[tuple[str, int, int] | None] | None = None,
    path=None,
    n_counted: int | None = None,
) -> LengthResult:
    """Bring every sequence to one length: centre-crop longer ones, N-pad shorter ones.

    Parameters
    ----------
    sequences : list of str
        Upper-case DNA of any lengths.
    length : int or None
        The target; None takes the most common length among the first ``n_counted``
        sequences (the ones read from the file; ties go to the longest).
    coords : list of (chrom, start, end) or None
        Moved along with a crop (the kept window); left as they are for padded sequences.
    path : str or None
        Named in the warning and errors.
    n_counted : int or None
        How many leading sequences came from the file; only they are counted in the warning
        and in ``n_cropped``/``n_padded`` (the rest are negatives generated from them).

    Returns
    -------
    LengthResult
        Sequences of exactly ``length`` letters. The crop keeps ``(n - length) // 2`` letters
        off the left end; the padding puts ``(length - n) // 2`` Ns on the left, the rest on
        the right. Warns (:class:`DeepMotifWarning`) when any file sequence changed.
    """
    n_file = len(sequences) if n_counted is None else n_counted
    lengths = np.fromiter((len(s) for s in sequences[:n_file]), dtype=np.int64, count=n_file)
    target, source = target_length(sequences[:n_file], length, path)
    # every sequence as a string of ``target`` letters (plus Python's per-string overhead), and
    # as much again for the copies made on the way (measured: 294 MB for 200 x 1 Mbp)
    check_memory(
        2 * len(sequences) * (target + 49),
        f"{os.fspath(path) if path else 'the data'}: {len(sequences):,} sequences of {target:,} bp",
    )
    coords = list(coords) if coords is not None else [None] * len(sequences)
    out = list(sequences)
    n_cropped = n_padded = 0
    for i, s in enumerate(sequences):
        n = len(s)
        if n == target:
            continue
        if n > target:
            left = (n - target) // 2
            out[i] = s[left : left + target]
            c = coords[i]
            if c is not None:
                coords[i] = (c[0], c[1] + left, c[1] + left + target)
            n_cropped += i < n_file
        else:
            left = (target - n) // 2
            out[i] = "N" * left + s + "N" * (target - n - left)
            n_padded += i < n_file
    info = {
        "length": target,
        "length_source": source,
        "original_length_min": int(lengths.min()) if n_file else 0,
        "original_length_max": int(lengths.max()) if n_file else 0,
        "original_length_mean": float(lengths.mean()) if n_file else 0.0,
        "original_length_counts": {
            str(n): int(c) for n, c in Counter(lengths.tolist()).most_common(5)
        },
        "n_cropped": n_cropped,
        "n_padded": n_padded,
    }
    if n_cropped or n_padded:
        name = os.fspath(path) if path is not None else "data"
        warnings.warn(
            f"{name}: {n_cropped + n_padded} of {n_file} sequences were not {target} bp "
            f"({source} length): centre-cropped {n_cropped}, N-padded {n_padded}",
            DeepMotifWarning,
            stacklevel=3,
        )
    return LengthResult(out, coords, target, n_cropped, n_padded, info)


def check_negatives_choice(negatives: str) -> str:
    if negatives not in NEGATIVE_CHOICES:
        raise DeepMotifError(
            f"negatives must be one of {', '.join(NEGATIVE_CHOICES)}, got {negatives!r}"
        )
    return negatives


def finish(
    records: Records,
    *,
    path,
    format: str,
    length: int | None,
    negatives: str,
    seed: int,
    require_labels: bool,
    shuffle_positives_only: bool = False,
    meta: dict | None = None,
    n_generated: int = 0,
) -> SequenceDataset:
    """Check the labels, add shuffled negatives when asked, apply the length policy.

    ``shuffle_positives_only`` says whether ``negatives="auto"`` generates negatives for a file
    of positives only (DeepBind ``_AC`` files, peaks); otherwise a single class is an error
    when labels are required. ``n_generated`` counts negatives the reader already made (genomic
    background) and placed at the end of ``records``.
    """
    name = os.fspath(path) if path is not None else "data"
    check_negatives_choice(negatives)
    meta = dict(meta or {})
    if not records.sequences:
        raise DeepMotifError(f"{name}: no sequences found")
    labels = np.asarray(records.labels, dtype=np.int64)
    classes = set(np.unique(labels).tolist())
    n_file = len(records.sequences) - n_generated

    generate = negatives == "shuffle" or (
        negatives == "auto" and shuffle_positives_only and classes == {1}
    )
    if not generate and negatives == "auto" and require_labels and len(classes) == 1:
        (only,) = classes
        if only == 1:
            raise DeepMotifError(
                f"{name}: every sequence is labelled 1 (bound); a classifier needs negatives "
                "too: add sequences labelled 0, or pass --negatives shuffle to make one "
                "dinucleotide-shuffled negative per positive"
            )
        raise DeepMotifError(
            f"{name}: every sequence is labelled 0 (not bound); a classifier needs positives "
            "(label 1) too"
        )

    ids, seqs = list(records.ids), list(records.sequences)
    coords = list(records.coords)
    labels_out = list(records.labels)
    if generate:
        from deepmotif.data.shuffle import dinucleotide_shuffle, shuffle_tool

        pos = [i for i, label in enumerate(records.labels) if label == 1]
        if not pos:
            raise DeepMotifError(
                f"{name}: no sequences labelled 1 (bound) to shuffle into negatives"
            )
        shuffled = dinucleotide_shuffle([records.sequences[i] for i in pos], seed=seed)
        ids += [f"{records.ids[i]}_shuf" for i in pos]
        seqs += shuffled
        labels_out += [0] * len(pos)
        coords += [None] * len(pos)
        n_generated += len(pos)
        meta.update(
            negatives="dinucleotide_shuffle", shuffle_seed=int(seed), shuffle_tool=shuffle_tool()
        )

    # Generated negatives sit after the file's sequences; only the latter are counted.
    fixed = apply_length_policy(seqs, length, coords=coords, path=path, n_counted=n_file)
    meta["length_policy"] = fixed.info
    has_coords = any(c is not None for c in fixed.coords)
    return SequenceDataset(
        ids=ids,
        sequences=fixed.sequences,
        labels=np.asarray(labels_out, dtype=np.int8),
        coords=fixed.coords if has_coords else None,
        format=format,
        path=name if path is not None else None,
        n_generated=n_generated,
        n_resized=fixed.n_cropped + fixed.n_padded,
        meta=meta,
    )
