"""Zeng et al. (2016) ``.data`` files: ``>chr:start-end SEQUENCE label`` per line.

Fields are separated by spaces; negatives are shuffled positives whose id ends in ``_shuf``
(they get no coordinates, since they are not genomic sequence).
"""

from __future__ import annotations

from deepmotif.data.readers._finish import Records
from deepmotif.data.readers._io import clean_sequence, parse_coords, parse_label
from deepmotif.errors import DeepMotifError, where

_EXPECTED = "'>chr:start-end SEQUENCE label' (3 space-separated fields)"


def parse_zeng(lines: list[str], path) -> Records:
    """Parse the lines of a Zeng ``.data`` file into records."""
    records = Records()
    for i, raw in enumerate(lines, 1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        fields = text.split()
        if len(fields) != 3 or not fields[0].startswith(">"):
            what = f"{len(fields)} field{'s' if len(fields) != 1 else ''}"
            if len(fields) == 3:
                what = f"a first field without '>' ({fields[0][:30]!r})"
            raise DeepMotifError(f"{where(path, i)}: expected {_EXPECTED}, found {what}")
        seq_id = fields[0][1:]
        label = parse_label(fields[2], path, i)
        coords = None if seq_id.endswith("_shuf") else parse_coords(seq_id)
        records.add(seq_id, clean_sequence(fields[1], path, i), label, coords)
    if not records.ids:
        raise DeepMotifError(f"{path}: no sequences found")
    return records
