"""Readers for every supported sequence format, behind one function, :func:`read_dataset`.

One module per format (``fasta``, ``deepbind``, ``zeng``, ``table``, ``plain``, ``peaks``)
parses the text; :mod:`._finish` then applies the same label checks, generated negatives and
length policy to all of them. See ``docs/data.md``.
"""

from __future__ import annotations

import os

from deepmotif.data.dataset import SequenceDataset
from deepmotif.data.readers._finish import (
    MIN_LENGTH,
    NEGATIVE_CHOICES,
    apply_length_policy,
    check_negatives_choice,
    finish,
)
from deepmotif.data.readers._io import (
    extension_format,
    first_content_line,
    read_lines,
    sniff_format,
)
from deepmotif.errors import DeepMotifError, where

__all__ = [
    "BACKGROUND_CHOICES",
    "FORMATS",
    "MIN_LENGTH",
    "NEGATIVE_CHOICES",
    "apply_length_policy",
    "detect_format",
    "read_dataset",
]

#: Format names accepted by ``format=`` / ``--format``.
FORMATS = ("fasta", "deepbind", "zeng", "table", "peaks", "plain")
BACKGROUND_CHOICES = ("shuffle", "flank")


def detect_format(path, lines: list[str]) -> str:
    """The format of a file: its extension, checked against its first line.

    The extension decides when it names a format (each reader then checks its first line
    and says what the content looks like when it disagrees); otherwise the first line does.
    """
    by_ext = extension_format(path)
    if by_ext is not None:
        return by_ext
    guess = sniff_format(lines)
    if guess is None:
        line, text = first_content_line(lines)
        shown = text if len(text) <= 60 else text[:57] + "..."
        raise DeepMotifError(
            f"{where(path, line)}: cannot tell the format from {shown!r}; expected FASTA "
            "('>' headers), DeepBind .seq, Zeng .data, CSV/TSV with 'sequence' and 'label' "
            "columns, BED/narrowPeak, or one sequence per line (or pass --format)"
        )
    return guess


def read_dataset(
    path: str | os.PathLike,
    *,
    format: str | None = None,
    length: int | None = None,
    negatives: str = "auto",
    genome: str | os.PathLike | None = None,
    background: str = "shuffle",
    seed: int = 0,
    require_labels: bool = True,
) -> SequenceDataset:
    """Read labelled DNA sequences from any supported file.

    Parameters
    ----------
    path : str or path-like
        The file. gzip is detected by its magic bytes; CRLF and lower case are accepted.
    format : str or None
        One of ``fasta``, ``deepbind``, ``zeng``, ``table``, ``peaks``, ``plain``; None detects
        it from the extension (``.fa/.fasta/.fna``, ``.seq``, ``.data``, ``.csv/.tsv``,
        ``.bed/.narrowPeak``, each optionally ``.gz``) or, for other names, the first line.
    length : int or None
        The dataset's fixed length; None takes the most common length in the file (101 for
        peaks). Longer sequences are centre-cropped, shorter ones N-padded on both sides.
    negatives : {"auto", "shuffle", "none"}
        ``auto`` makes one dinucleotide-shuffled negative per positive for files of positives
        only in the DeepBind format and for peaks, and rejects a single class elsewhere;
        ``shuffle`` always adds one per positive; ``none`` never does (one class allowed).
    genome : str, path-like or None
        Reference FASTA (indexed with pyfaidx) for BED/narrowPeak files.
    background : {"shuffle", "flank"}
        Peaks only: negatives by dinucleotide shuffle or from GC-matched flanking windows.
    seed : int
        Seed of the shuffles (sequence i of the positives uses ``seed + i``).
    require_labels : bool
        False accepts unlabelled FASTA headers and plain sequence lists (label -1).

    Returns
    -------
    SequenceDataset
        ``labels`` shape (n,); all sequences of one length; ``meta`` records the negatives'
        provenance and the length policy (``meta["length_policy"]``).
    """
    check_negatives_choice(negatives)
    if background not in BACKGROUND_CHOICES:
        raise DeepMotifError(f"background must be 'shuffle' or 'flank', got {background!r}")
    if format is not None and format not in FORMATS:
        raise DeepMotifError(f"format must be one of {', '.join(FORMATS)}, got {format!r}")
    lines = read_lines(path)
    fmt = format or detect_format(path, lines)
    common = dict(
        path=path, format=fmt, length=length, negatives=negatives, seed=seed,
        require_labels=require_labels,
    )  # fmt: skip
    if fmt == "peaks":
        from deepmotif.data.readers.peaks import read_peaks

        return read_peaks(lines, genome=genome, background=background, **common)
    if fmt == "fasta":
        from deepmotif.data.readers.fasta import parse_fasta

        records = parse_fasta(lines, path, require_labels=require_labels)
        return finish(records, **common)
    if fmt == "deepbind":
        from deepmotif.data.readers.deepbind import parse_deepbind

        records = parse_deepbind(lines, path)
        return finish(records, shuffle_positives_only=True, **common)
    if fmt == "zeng":
        from deepmotif.data.readers.zeng import parse_zeng

        return finish(parse_zeng(lines, path), **common)
    if fmt == "table":
        from deepmotif.data.readers.table import parse_table

        return finish(parse_table(lines, path, require_labels=require_labels), **common)
    from deepmotif.data.readers.plain import parse_plain

    return finish(parse_plain(lines, path, require_labels=require_labels), **common)
