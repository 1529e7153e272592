"""MEME motif files: writing ours, reading any (through memelite) with clear errors.

The written file is MEME version 4 minimal format: one ``MOTIF <name>`` line per motif, then a
``letter-probability matrix`` line with the width and ``nsites``, then one row of A C G T
probabilities per position. :func:`memelite.io.read_meme` reads it back to the same names and
matrices (to the 6 decimals written).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence

import numpy as np

from deepmotif.errors import DeepMotifError, where

__all__ = ["as_written", "read_meme", "write_meme"]

_DECIMALS = 6


def as_written(pwm) -> np.ndarray:
    """``pwm`` with every value rounded exactly as :func:`write_meme` writes it (6 decimals).

    Matching the rounded matrices makes the MEME file hold exactly the queries that were matched,
    so reading it back and running Tomtom again gives the same table.
    """
    arr = np.asarray(pwm, dtype=np.float64)
    return np.array([[float(f"{v:.{_DECIMALS}f}") for v in row] for row in arr]).reshape(arr.shape)


def _items(motifs) -> list[tuple[str, np.ndarray, int]]:
    if isinstance(motifs, Mapping):
        return [(str(k), np.asarray(v, dtype=np.float64), 1) for k, v in motifs.items()]
    out = []
    for m in motifs:
        out.append(
            (m.name, np.asarray(m.pwm, dtype=np.float64), max(int(getattr(m, "n_sites", 1)), 1))
        )
    return out


def write_meme(path, motifs: Mapping[str, np.ndarray] | Sequence, *, background=None) -> None:
    """Write motifs to a MEME-format file (atomically).

    Parameters
    ----------
    path : str or Path
    motifs : dict of name -> array (4, length), or sequence of ExtractedMotif
        Names must be unique and free of white space.
    background : array-like of 4 floats, optional
        Background letter frequencies written in the header (default uniform).
    """
    from deepmotif.atomic import atomic_path

    items = _items(motifs)
    names = [n for n, _, _ in items]
    for name in names:
        if not name or re.search(r"\s", name):
            raise ValueError(f"motif names must be non-empty and without spaces, got {name!r}")
    if len(set(names)) != len(names):
        raise ValueError("motif names must be unique")
    bg = np.full(4, 0.25) if background is None else np.asarray(background, dtype=np.float64)
    lines = [
        "MEME version 4",
        "",
        "ALPHABET= ACGT",
        "",
        "strands: + -",
        "",
        "Background letter frequencies",
        " ".join(f"{c} {p:.{_DECIMALS}f}" for c, p in zip("ACGT", bg / bg.sum())),
        "",
    ]
    for name, pwm, nsites in items:
        if pwm.ndim != 2 or pwm.shape[0] != 4:
            raise ValueError(f"motif {name}: expected shape (4, length), got {pwm.shape}")
        lines.append(f"MOTIF {name}")
        lines.append(
            f"letter-probability matrix: alength= 4 w= {pwm.shape[1]} nsites= {nsites} E= 0"
        )
        for col in pwm.T:
            lines.append(" ".join(f"{v:.{_DECIMALS}f}" for v in col))
        lines.append("")
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(lines))


def _check_layout(path: str, text: str) -> None:
    """Find the first line memelite's reader would stumble on; raise a clear error there."""
    lines = text.splitlines()
    state, width, rows, motif_line, n_motifs = "seek", 0, 0, 0, 0
    for i, line in enumerate(lines, start=1):
        if state == "seek":
            if line.startswith("MOTIF"):
                if not line[5:].split():
                    raise DeepMotifError(f"{where(path, i)}: MOTIF line without a motif name")
                state, motif_line = "header", i
            continue
        if state == "header":
            if line.startswith("MOTIF"):
                raise DeepMotifError(
                    f"{where(path, motif_line)}: motif has no 'letter-probability matrix' line "
                    "before the next MOTIF"
                )
            if line.startswith("letter"):
                found = re.search(r"\bw=\s*(\d+)", line)
                if not found or int(found.group(1)) < 1:
                    raise DeepMotifError(
                        f"{where(path, i)}: expected 'letter-probability matrix: alength= 4 w= N ...' "
                        f"with a width N >= 1, found {line.strip()[:60]!r}"
                    )
                alength = re.search(r"\balength=\s*(\d+)", line)
                if alength and int(alength.group(1)) != 4:
                    raise DeepMotifError(
                        f"{where(path, i)}: only DNA motifs (alength= 4) are supported, "
                        f"found alength= {alength.group(1)}"
                    )
                state, width, rows = "rows", int(found.group(1)), 0
            continue
        fields = line.split()
        try:
            values = [float(v) for v in fields]
        except ValueError:
            values = None
        if values is None or len(values) != 4 or not all(np.isfinite(values)) or min(values) < 0:
            raise DeepMotifError(
                f"{where(path, i)}: expected row {rows + 1} of {width} of the motif started on "
                f"line {motif_line}: 4 non-negative numbers (A C G T), found {line.strip()[:60]!r}"
            )
        rows += 1
        if rows == width:
            state, n_motifs = "seek", n_motifs + 1
    if state == "rows":
        raise DeepMotifError(
            f"{where(path, motif_line)}: the motif ends after {rows} of its {width} rows"
        )
    if state == "header":
        raise DeepMotifError(
            f"{where(path, motif_line)}: motif has no 'letter-probability matrix' line"
        )
    if n_motifs == 0:
        raise DeepMotifError(f"{path}: not a MEME motif file (no 'MOTIF' line found)")


def read_meme(path, *, allow_empty: bool = False) -> dict[str, np.ndarray]:
    """Read a MEME-format motif file with :func:`memelite.io.read_meme`.

    Parameters
    ----------
    path : str or Path
    allow_empty : bool
        Accept a file with a MEME header and no motif (what :func:`write_meme` writes for a
        run whose sources found none) and return ``{}``. A motif database must hold motifs,
        so this is off by default.

    Returns
    -------
    dict of str -> numpy.ndarray, shape (4, length)
        Keyed by the rest of each ``MOTIF`` line (``"MA0139.2 CTCF"``), in file order.

    Raises
    ------
    DeepMotifError
        Missing or unreadable file, or a layout memelite cannot read (the message names the
        line), or duplicate motif names.
    """
    from memelite.io import read_meme as _read

    path = os.fspath(path)
    if not os.path.exists(path):
        raise DeepMotifError(f"{path}: no such MEME file")
    if os.path.isdir(path):
        raise DeepMotifError(f"{path}: is a directory, expected a MEME motif file")
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except UnicodeDecodeError as exc:
        raise DeepMotifError(f"{path}: not a text MEME file ({exc.reason})") from exc
    if allow_empty and text.startswith("MEME version") and not re.search(r"^MOTIF", text, re.M):
        return {}
    _check_layout(path, text)
    keys = [" ".join(line[5:].split()) for line in text.splitlines() if line.startswith("MOTIF")]
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    if dupes:
        raise DeepMotifError(f"{path}: motif name {dupes[0]!r} appears more than once")
    try:
        motifs = _read(path)
    except (ValueError, AttributeError, IndexError) as exc:  # pragma: no cover
        raise DeepMotifError(f"{path}: not a readable MEME file ({exc})") from exc
    out = {k: np.asarray(v, dtype=np.float64) for k, v in motifs.items()}
    for key, pwm in out.items():
        bad = ~(np.isfinite(pwm) & (pwm >= 0) & (pwm <= 1 + 1e-3))
        if bad.any():
            letter, pos = (int(i[0]) for i in np.nonzero(bad))
            raise DeepMotifError(
                f"{path}: motif {key!r}, position {pos + 1}, letter {'ACGT'[letter]}: "
                f"{float(pwm[letter, pos])!r} is not a probability (expected a number in [0, 1])"
            )
    return out
