"""Plain text: one sequence per line, optionally followed by a 0/1 label.

Meant for a user's own sequences to score or explain (``require_labels=False``); ids are
generated as ``seq1``, ``seq2``, ... in file order.
"""

from __future__ import annotations

from deepmotif.data.readers._finish import Records
from deepmotif.data.readers._io import clean_sequence, parse_label
from deepmotif.errors import DeepMotifError, where


def parse_plain(lines: list[str], path, *, require_labels: bool = True) -> Records:
    """Parse one-sequence-per-line text into records (label -1 where absent and allowed)."""
    records = Records()
    for i, raw in enumerate(lines, 1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        fields = text.split()
        if len(fields) > 2:
            raise DeepMotifError(
                f"{where(path, i)}: expected a sequence and an optional 0/1 label, "
                f"found {len(fields)} fields"
            )
        if len(fields) == 2:
            label = parse_label(fields[1], path, i)
        elif require_labels:
            raise DeepMotifError(
                f"{where(path, i)}: a sequence without a label; expected 'SEQUENCE 0' or "
                "'SEQUENCE 1' per line (or a labelled format such as FASTA '>1')"
            )
        else:
            label = -1
        records.add(f"seq{len(records.ids) + 1}", clean_sequence(fields[0], path, i), label)
    if not records.ids:
        raise DeepMotifError(f"{path}: no sequences found")
    return records
