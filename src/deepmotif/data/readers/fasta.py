"""FASTA with the label in the header.

Three header conventions are read (checked in this order):

* ``>1`` / ``>0``: the whole header is the label (the Deep Motif Dashboard's files); ids are
  then generated as ``seq1``, ``seq2``, ... in file order;
* a ``label=1`` field anywhere in the header; the id is the first other token;
* ``>chr1:10-110 1``: the last whitespace-separated token is the label, the first is the id.

Sequences may span several lines. Coordinates are parsed from ids such as ``chr1:10-110``.
"""

from __future__ import annotations

from deepmotif.data.readers._finish import Records
from deepmotif.data.readers._io import (
    clean_sequence,
    is_label,
    parse_coords,
    parse_label,
    wrong_format,
)
from deepmotif.errors import DeepMotifError, where

_NO_LABEL = "'>1' or '>0', '>ID 1', or a 'label=1' field"


def _header(header: str, count: int, path, line: int, require_labels: bool):
    """(id, label) from a header without its '>' (label -1 when absent and allowed)."""
    tokens = header.split()
    if not tokens:
        if require_labels:
            raise DeepMotifError(f"{where(path, line)}: empty header, expected {_NO_LABEL}")
        return f"seq{count}", -1
    if len(tokens) == 1 and is_label(tokens[0]):
        return f"seq{count}", parse_label(tokens[0], path, line)
    fields = [t for t in tokens if t.lower().startswith("label=")]
    if fields:
        rest = [t for t in tokens if not t.lower().startswith("label=")]
        seq_id = rest[0] if rest else f"seq{count}"
        return seq_id, parse_label(fields[-1].split("=", 1)[1], path, line)
    if len(tokens) >= 2 and is_label(tokens[-1]):
        return tokens[0], parse_label(tokens[-1], path, line)
    if require_labels:
        last = tokens[-1]
        if len(tokens) >= 2 and last.lstrip("-").replace(".", "", 1).isdigit():
            parse_label(last, path, line)  # a number that is not 0/1: say so
        if len(tokens) == 1 and tokens[0].lstrip("-").replace(".", "", 1).isdigit():
            parse_label(tokens[0], path, line)
        raise DeepMotifError(
            f"{where(path, line)}: no label in header '>{header.strip()}', expected {_NO_LABEL}"
        )
    return tokens[0], -1


def parse_fasta(lines: list[str], path, *, require_labels: bool = True) -> Records:
    """Parse FASTA ``lines`` into records (see the module docstring for header conventions)."""
    records = Records()
    header: str | None = None
    header_line = 0
    chunks: list[tuple[int, str]] = []

    def flush():
        if header is None:
            return
        if not chunks:
            raise DeepMotifError(
                f"{where(path, header_line)}: header '>{header.strip()}' has no sequence after it"
            )
        seq_id, label = _header(header, len(records.ids) + 1, path, header_line, require_labels)
        # Letters are checked line by line so an error names the right line.
        parts = [clean_sequence(text, path, ln) for ln, text in chunks]
        records.add(seq_id, "".join(parts), label, parse_coords(seq_id))

    for i, raw in enumerate(lines, 1):
        text = raw.strip()
        if not text or text.startswith(";") or (header is None and text.startswith("#")):
            continue
        if text.startswith(">"):
            flush()
            header, header_line, chunks = text[1:], i, []
            continue
        if header is None:
            raise wrong_format(path, i, "a FASTA header starting with '>'", text)
        chunks.append((i, "".join(text.split())))
    flush()
    return records
