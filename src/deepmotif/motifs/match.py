"""Matching extracted motifs to known ones with Tomtom (memelite).

The target database is JASPAR (read offline through :mod:`deepmotif.jaspar`; default the newest
bundled release, CORE collection, vertebrates) or a user MEME file. :func:`tomtom_matches` runs
:func:`memelite.tomtom` on every query against every target (both target strands) and keeps the
``top_k`` best targets per query.

Columns of the match table
--------------------------
``query``, ``rank`` (1 = best), ``target_id``, ``target_name``, ``p_value`` (Tomtom's, as
memelite returns it), ``e_value`` (``p_value`` times the number of targets), ``q_value``
(Benjamini-Hochberg over the query's p-values against all targets), ``offset`` and
``orientation`` (query column ``j`` lies over column ``j + offset`` of the target, read on its
reverse complement when ``orientation`` is ``"-"``; ``offset`` may be negative), ``overlap``
(aligned columns), ``score`` (Tomtom's alignment score), ``query_consensus``,
``target_consensus`` (of the target as oriented), ``database``. Rows are sorted by ``query``
then ``p_value`` (then ``target_id`` for ties).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from deepmotif.errors import DeepMotifError, DeepMotifWarning
from deepmotif.motifs.pwm import reverse_complement

__all__ = ["MATCH_COLUMNS", "MotifDatabase", "load_database", "rows_where", "tomtom_matches"]

MATCH_COLUMNS = [
    "query",
    "rank",
    "target_id",
    "target_name",
    "p_value",
    "e_value",
    "q_value",
    "offset",
    "orientation",
    "overlap",
    "score",
    "query_consensus",
    "target_consensus",
    "database",
]


def rows_where(table: pd.DataFrame, flags) -> pd.DataFrame:
    """The rows of ``table`` whose flag is true (one flag per row).

    ``table[[...]]`` with a Python list selects *columns* when the list is empty, so an empty
    match table would lose its columns; a boolean array always selects rows.
    """
    return table[np.fromiter(flags, dtype=bool, count=len(table))]


@dataclass(eq=False)
class MotifDatabase:
    """Target motifs for Tomtom.

    Attributes
    ----------
    ids, names : list of str
        One per motif (for JASPAR ``"MA0139.2"`` and ``"CTCF"``; for a MEME file the first
        word of the MOTIF line and the rest, or the first word again when there is no rest).
    pwms : list of numpy.ndarray, shape (4, length)
    info : dict
        Provenance: ``{"source": "jaspar", "release": ..., "collection": ..., "tax_group": ...,
        "pyjaspar": ...}`` or ``{"source": "meme", "path": ...}``; ``label`` is a short text.
    """

    ids: list[str]
    names: list[str]
    pwms: list[np.ndarray]
    info: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def label(self) -> str:
        return str(self.info.get("label", ""))


def load_database(
    release: str | None = None,
    collection: str | None = "CORE",
    tax_group: str | None = "vertebrates",
    db=None,
) -> MotifDatabase:
    """The target motifs: JASPAR (offline) or the MEME file ``db``.

    Parameters
    ----------
    release, collection, tax_group
        JASPAR selection (see :func:`deepmotif.jaspar.load_motifs`); ignored with ``db``.
    db : str or Path, optional
        A MEME-format motif file to use instead of JASPAR.

    Raises
    ------
    DeepMotifError
        Unknown release, collection or taxonomic group; unreadable MEME file; no motifs.
    """
    if db is not None:
        from deepmotif.motifs.meme import read_meme

        motifs = read_meme(db)
        ids, names = [], []
        for key in motifs:
            first, _, rest = key.partition(" ")
            ids.append(first)
            names.append(rest.strip() or first)
        pwms = [_as_probabilities(m, f"{db}: motif {k!r}") for k, m in motifs.items()]
        info = {
            "source": "meme",
            "path": str(db),
            "n_motifs": len(pwms),
            "label": f"MEME file {db}",
        }
        return MotifDatabase(ids, names, pwms, info)

    from deepmotif import jaspar

    motifs = jaspar.load_motifs(release=release, collection=collection, tax_group=tax_group)
    info = jaspar.release_info(release, collection, tax_group)
    if not motifs:
        raise DeepMotifError(
            f"JASPAR {info['release']} holds no motifs of collection {collection} and "
            f"taxonomic group {tax_group}"
        )
    label = " ".join(str(v) for v in (info["release"], collection, tax_group) if v)
    info = {"source": "jaspar", **info, "n_motifs": len(motifs), "label": label}
    return MotifDatabase(
        [m.matrix_id for m in motifs],
        [m.name for m in motifs],
        [np.array(m.pwm) for m in motifs],
        info,
    )


def _as_probabilities(pwm: np.ndarray, what: str) -> np.ndarray:
    pwm = np.asarray(pwm, dtype=np.float64)
    totals = pwm.sum(axis=0)
    if (totals <= 0).any():
        raise DeepMotifError(f"{what}: a column of the matrix sums to 0")
    return pwm / totals


def _consensus(pwm: np.ndarray) -> str:
    return "".join("ACGT"[i] for i in np.asarray(pwm).argmax(axis=0))


def _queries(motifs) -> tuple[list[str], list[np.ndarray]]:
    if isinstance(motifs, Mapping):
        names = [str(k) for k in motifs]
        pwms = [np.asarray(v, dtype=np.float64) for v in motifs.values()]
    else:
        names = [m.name for m in motifs]
        pwms = [np.asarray(m.pwm, dtype=np.float64) for m in motifs]
    if len(set(names)) != len(names):
        raise ValueError("query motif names must be unique")
    return names, pwms


def tomtom_raw(query_pwms: Sequence[np.ndarray], database: MotifDatabase, *, n_jobs: int = -1):
    """memelite's Tomtom of every query against every target (both strands).

    Returns
    -------
    numpy.ndarray, shape (5, n_queries, n_targets)
        p-values, scores, offsets, overlaps, strands (0 = ``+``, 1 = ``-``), as memelite gives them.
    """
    from memelite import tomtom

    Qs = [np.asarray(q, dtype=np.float64) for q in query_pwms]
    Ts = [np.asarray(t, dtype=np.float64) for t in database.pwms]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = tomtom(Qs, Ts, n_jobs=n_jobs)
    for w in caught:
        warnings.warn(f"tomtom: {w.message}", DeepMotifWarning, stacklevel=2)
    return np.asarray(result)


def _bh(p: np.ndarray) -> np.ndarray:
    from scipy.stats import false_discovery_control

    return false_discovery_control(np.clip(p, 0.0, 1.0), method="bh")


def tomtom_matches(
    motifs, database: MotifDatabase, *, top_k: int = 5, n_jobs: int = -1
) -> pd.DataFrame:
    """Tomtom matches of extracted motifs against a database, ``top_k`` per query.

    Parameters
    ----------
    motifs : sequence of ExtractedMotif, or dict of name -> array (4, length)
        The queries (names unique).
    database : MotifDatabase
        From :func:`load_database`.
    top_k : int
        Best targets kept per query (by p-value).
    n_jobs : int
        numba threads for memelite (-1: all).

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`MATCH_COLUMNS` (see the module docstring); empty (with those
        columns) when there are no queries.
    """
    names, pwms = _queries(motifs)
    if top_k < 1:
        raise DeepMotifError(f"top_k must be at least 1, got {top_k}")
    if not names:
        return pd.DataFrame({c: [] for c in MATCH_COLUMNS})
    p, scores, offsets, overlaps, strands = tomtom_raw(pwms, database, n_jobs=n_jobs)
    n_targets = len(database)
    order_ids = np.asarray(database.ids)
    rows = []
    for qi, name in enumerate(names):
        q = _bh(p[qi])
        # best p-value first; ties broken by target id so the table is deterministic
        best = np.lexsort((order_ids, p[qi]))[:top_k]
        for rank, t in enumerate(best, start=1):
            minus = int(strands[qi, t]) == 1
            target = database.pwms[t]
            rows.append(
                {
                    "query": name,
                    "rank": rank,
                    "target_id": database.ids[t],
                    "target_name": database.names[t],
                    "p_value": float(p[qi, t]),
                    "e_value": float(p[qi, t]) * n_targets,
                    "q_value": float(q[t]),
                    "offset": int(offsets[qi, t]),
                    "orientation": "-" if minus else "+",
                    "overlap": int(overlaps[qi, t]),
                    "score": float(scores[qi, t]),
                    "query_consensus": _consensus(pwms[qi]),
                    "target_consensus": _consensus(reverse_complement(target) if minus else target),
                    "database": database.label,
                }
            )
    table = pd.DataFrame(rows, columns=MATCH_COLUMNS)
    table = table.sort_values(["query", "p_value", "target_id"], kind="stable").reset_index(
        drop=True
    )
    table["rank"] = table.groupby("query").cumcount() + 1
    return table
