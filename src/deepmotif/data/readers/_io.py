"""Shared reading helpers: open (gzip or not), sniff the format, check letters and labels.

Every reader gets its text from :func:`read_lines`, so missing files, directories, empty files,
binary content and truncated gzip give the same one-line errors whatever the format.
"""

from __future__ import annotations

import gzip
import os
import re
import zlib
from pathlib import Path

# clean_sequence: the package's one letter check, imported by the readers from here.
from deepmotif.data.encoding import _NOT_DNA, _TO_N, clean_sequence  # noqa: F401
from deepmotif.errors import DeepMotifError, where

GZIP_MAGIC = b"\x1f\x8b"

#: Extensions (after any ``.gz``) and the format each names.
EXTENSIONS = {
    ".fa": "fasta",
    ".fasta": "fasta",
    ".fna": "fasta",
    ".fas": "fasta",
    ".seq": "deepbind",
    ".data": "zeng",
    ".csv": "table",
    ".tsv": "table",
    ".bed": "peaks",
    ".narrowpeak": "peaks",
    ".txt": None,  # sniffed from content
}

FORMAT_NAMES = {
    "fasta": "FASTA",
    "deepbind": "DeepBind .seq",
    "zeng": "Zeng .data",
    "table": "CSV/TSV table",
    "peaks": "BED/narrowPeak",
    "plain": "plain text (one sequence per line)",
}

DEEPBIND_HEADER = ["FoldID", "EventID", "seq", "Bound"]


def read_lines(path: str | os.PathLike) -> list[str]:
    """The lines of a text file, gzip-compressed or not (detected by its magic bytes).

    CRLF and CR line ends are accepted. Raises :class:`DeepMotifError` for a missing file, a
    directory, an empty file, binary content or a truncated/corrupt gzip stream.
    """
    p = Path(path)
    name = os.fspath(path)
    if not p.exists():
        raise DeepMotifError(f"{name}: no such file")
    if p.is_dir():
        raise DeepMotifError(f"{name}: is a directory, expected a sequence file")
    try:
        raw = p.read_bytes()
    except PermissionError:
        raise DeepMotifError(f"{name}: permission denied") from None
    if not raw:
        raise DeepMotifError(f"{name}: the file is empty")
    if raw[:2] == GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (EOFError, OSError, zlib.error) as exc:
            raise DeepMotifError(
                f"{name}: the gzip data is truncated or corrupt ({exc}); re-download or "
                "re-compress the file"
            ) from None
        if not raw:
            raise DeepMotifError(f"{name}: the file is empty (after gzip decompression)")
    if b"\x00" in raw[:65536]:
        raise DeepMotifError(f"{name}: looks like a binary file, expected text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DeepMotifError(
            f"{where(name, line)}: not UTF-8 text (looks like a binary file), expected text"
        ) from None
    lines = text.splitlines()
    if not any(line.strip() for line in lines):
        raise DeepMotifError(f"{name}: the file is empty (only blank lines)")
    return lines


def extension_format(path: str | os.PathLike) -> str | None:
    """The format named by the file's extension (``.gz`` ignored), or None when unknown."""
    name = os.fspath(path).lower()
    if name.endswith(".gz"):
        name = name[:-3]
    return EXTENSIONS.get(os.path.splitext(name)[1])


def first_content_line(lines: list[str]) -> tuple[int, str]:
    """(1-based line number, text) of the first line that is neither blank nor a ``#`` comment."""
    for i, line in enumerate(lines, 1):
        s = line.strip()
        if s and not s.startswith("#"):
            return i, s
    return len(lines), ""


def _is_int(text: str) -> bool:
    return text.lstrip("-").isdigit()


def sniff_format(lines: list[str]) -> str | None:
    """Guess the format from the first content line (None when it matches none)."""
    _, first = first_content_line(lines)
    tokens = first.split()
    if not tokens:
        return None
    if first.startswith(">"):
        if len(tokens) == 3 and len(tokens[1]) > 1 and _looks_dna(tokens[1]):
            return "zeng"
        return "fasta"
    if tokens == DEEPBIND_HEADER:
        return "deepbind"
    if first.lower().startswith(("track", "browser")):
        return "peaks"
    fields = first.split("\t")
    if len(fields) >= 3 and _is_int(fields[1].strip()) and _is_int(fields[2].strip()):
        return "peaks"
    cells = [c.strip().strip('"').lower() for c in re.split(r"[,\t]", first)]
    if len(cells) >= 2 and ({"sequence", "seq"} & set(cells)):
        return "table"
    if len(tokens) <= 2 and _looks_dna(tokens[0]):
        return "plain"
    return None


def _looks_dna(text: str) -> bool:
    return bool(text) and not _NOT_DNA.search(text.upper().translate(_TO_N))


def wrong_format(path, line: int, expected: str, found: str) -> DeepMotifError:
    """An error for a file whose content is not the format its extension or ``--format`` names."""
    shown = found if len(found) <= 60 else found[:57] + "..."
    message = f"{where(path, line)}: expected {expected}, found {shown!r}"
    guess = sniff_format([found])
    if guess is not None:
        message += f"; it looks like {FORMAT_NAMES[guess]}: pass --format {guess}"
    return DeepMotifError(message)


_LABELS = {"0": 0, "1": 1, "0.0": 0, "1.0": 1}


def parse_label(text: str, path, line: int) -> int:
    """``"0"``/``"1"`` (also ``"0.0"``/``"1.0"``) as an int; anything else is an error."""
    value = _LABELS.get(text.strip())
    if value is None:
        raise DeepMotifError(
            f"{where(path, line)}: label {text.strip()!r} is not 0 or 1 (expected 1 = bound, "
            "0 = not bound)"
        )
    return value


def is_label(text: str) -> bool:
    """Whether ``text`` is a 0/1 label."""
    return text.strip() in _LABELS


_COORD = re.compile(r"^([A-Za-z0-9_.]+):([0-9,]+)-([0-9,]+)")


def parse_coords(seq_id: str) -> tuple[str, int, int] | None:
    """``(chrom, start, end)`` from an id such as ``chr1:10-110`` (or ``chr1:10-110(+)``)."""
    m = _COORD.match(seq_id)
    if m is None:
        return None
    start, end = int(m.group(2).replace(",", "")), int(m.group(3).replace(",", ""))
    if end < start:
        return None
    return m.group(1), start, end
