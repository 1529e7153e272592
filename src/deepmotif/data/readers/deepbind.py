"""DeepBind's ``.seq`` files: a TSV with the header ``FoldID EventID seq Bound``.

``*_AC.seq.gz`` training files hold positives only; DeepBind made one dinucleotide-shuffled
negative per positive at training time, and :func:`read_dataset` does the same
(``negatives="auto"``). ``*_B.seq.gz`` test files already hold both classes.
"""

from __future__ import annotations

from deepmotif.data.readers._finish import Records
from deepmotif.data.readers._io import (
    DEEPBIND_HEADER,
    clean_sequence,
    first_content_line,
    parse_coords,
    parse_label,
    wrong_format,
)
from deepmotif.errors import DeepMotifError, where


def parse_deepbind(lines: list[str], path) -> Records:
    """Parse the lines of a DeepBind ``.seq`` file into records (id = EventID)."""
    head_line, head = first_content_line(lines)
    if head.split() != DEEPBIND_HEADER:
        raise wrong_format(path, head_line, "the DeepBind header 'FoldID EventID seq Bound'", head)
    records = Records()
    for i in range(head_line, len(lines)):
        text = lines[i].strip()
        if not text:
            continue
        fields = text.split("\t") if "\t" in text else text.split()
        if len(fields) != 4:
            raise DeepMotifError(
                f"{where(path, i + 1)}: expected 4 tab-separated fields "
                f"(FoldID EventID seq Bound), found {len(fields)}"
            )
        _, event, seq, bound = (f.strip() for f in fields)
        label = parse_label(bound, path, i + 1)
        records.add(event, clean_sequence(seq, path, i + 1), label, parse_coords(event))
    if not records.ids:
        raise DeepMotifError(f"{path}: no sequences after the header")
    return records
