"""CSV/TSV tables with a header naming ``sequence`` and ``label`` columns.

Column names are matched case-insensitively; ``seq`` is accepted for ``sequence``. An ``id``
column is optional (ids are generated as ``seq1``, ... otherwise), and so are ``chrom``,
``start``, ``end`` columns (coordinates; else they are parsed from ids like ``chr1:10-110``).
The delimiter is a tab for ``.tsv`` files and for headers that contain one, else a comma.
"""

from __future__ import annotations

import csv

from deepmotif.data.readers._finish import Records
from deepmotif.data.readers._io import clean_sequence, first_content_line, parse_coords, parse_label
from deepmotif.errors import DeepMotifError, where

_ALIASES = {"sequence": ("sequence", "seq"), "label": ("label",), "id": ("id", "name")}


def _column(names: list[str], key: str) -> int | None:
    for alias in _ALIASES[key]:
        if alias in names:
            return names.index(alias)
    return None


def parse_table(lines: list[str], path, *, require_labels: bool = True) -> Records:
    """Parse CSV/TSV ``lines`` into records."""
    head_line, head = first_content_line(lines)
    name = str(path).lower()
    name = name[:-3] if name.endswith(".gz") else name
    delimiter = "\t" if ("\t" in head or name.endswith(".tsv")) else ","
    rows = csv.reader(lines[head_line - 1 :], delimiter=delimiter)
    header = next(rows)
    names = [h.strip().lower() for h in header]
    i_seq, i_label, i_id = (_column(names, k) for k in ("sequence", "label", "id"))
    found = ", ".join(h.strip() for h in header) or "none"
    if i_seq is None or (i_label is None and require_labels):
        missing = " and ".join(
            f"'{k}'" for k, i in (("sequence", i_seq), ("label", i_label)) if i is None
        )
        if not require_labels:
            missing = "'sequence'"
        raise DeepMotifError(
            f"{where(path, head_line)}: no {missing} column in the header (found: {found}); "
            "expected a header naming 'sequence' and 'label' columns"
        )
    i_coord = [names.index(k) if k in names else None for k in ("chrom", "start", "end")]
    records = Records()
    width = len(header)
    for offset, row in enumerate(rows):
        line = head_line + 1 + offset
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != width:
            raise DeepMotifError(
                f"{where(path, line)}: expected {width} fields like the header, found {len(row)}"
            )
        seq = clean_sequence(row[i_seq].strip(), path, line)
        label = -1 if i_label is None else parse_label(row[i_label], path, line)
        seq_id = row[i_id].strip() if i_id is not None else f"seq{len(records.ids) + 1}"
        coords = None
        if None not in i_coord:
            chrom, start, end = (row[k].strip() for k in i_coord)
            if not (start.isdigit() and end.isdigit()):
                raise DeepMotifError(
                    f"{where(path, line)}: start and end must be whole numbers, "
                    f"found {start!r} and {end!r}"
                )
            coords = (chrom, int(start), int(end))
        else:
            coords = parse_coords(seq_id)
        records.add(seq_id, seq, label, coords)
    if not records.ids:
        raise DeepMotifError(f"{path}: no sequences after the header")
    return records
