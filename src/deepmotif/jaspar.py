"""Offline access to JASPAR: the one place deepmotif reads transcription-factor motifs.

Every release bundled with `pyjaspar <https://github.com/asntech/pyjaspar>`_ (SQLite files
shipped inside the package, JASPAR2014 to JASPAR2026 for pyjaspar 4.0) is available without a
network connection; the JASPAR website is never contacted. The connection to a release's database
comes from :class:`pyjaspar.jaspardb`; the matrices are then read with a few bulk SQL queries on that
connection (one query for all counts instead of one per motif, about 20 times faster than
``jaspardb.fetch_motifs``; the tests check both give the same motifs and counts).

Rules
-----
Releases
    ``release`` may be ``"JASPAR2024"``, ``"jaspar2024"`` or ``"2024"``; ``None`` means
    :data:`DEFAULT_RELEASE`, the newest bundled release.
Latest version
    As in pyjaspar, a matrix is "latest" when no matrix with the same base id (``MA0139``) has a
    higher version number in the same release.
Names
    :func:`get_motif` compares TF names case-insensitively and in full (``"CTCF"`` does not match
    ``"CTCFL"``). When several matrices share the name it prefers, in this order: the CORE
    collection, the vertebrates taxonomic group, the latest version of each base id, and finally
    the lowest base id (the longest-established profile). In JASPAR2026 ``"CTCF"`` gives
    ``MA0139.2`` (not the extended ``MA1929.2`` / ``MA1930.2``).
PWM
    ``pwm`` is the column-normalised count matrix mixed with :data:`PSEUDOCOUNT` of the uniform
    distribution: ``pwm = (1 - PSEUDOCOUNT) * counts / counts.sum(0) + PSEUDOCOUNT / 4``, so no
    probability is below 0.0025 and log-odds scores stay finite. A column whose counts are all zero
    becomes uniform.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass

import numpy as np

from deepmotif.errors import DeepMotifError

__all__ = [
    "DEFAULT_RELEASE",
    "PSEUDOCOUNT",
    "Motif",
    "available_releases",
    "get_motif",
    "load_motifs",
    "pyjaspar_version",
    "release_info",
]

#: Weight of the uniform distribution mixed into every PWM column (see the module docstring).
PSEUDOCOUNT = 0.01

_ROWS = "ACGT"
_SQL_CHUNK = 500  # stay below SQLite's limit on bound parameters per statement


def _release_year(name: str) -> int:
    match = re.search(r"(\d{4})$", name)
    return int(match.group(1)) if match else -1


def available_releases() -> list[str]:
    """The JASPAR releases bundled with the installed pyjaspar, newest first.

    Returns
    -------
    list of str
        E.g. ``["JASPAR2026", "JASPAR2024", ..., "JASPAR2014"]``.
    """
    import pyjaspar

    return sorted(pyjaspar.jaspar_releases, key=_release_year, reverse=True)


#: The newest release bundled with pyjaspar (computed at import, e.g. ``"JASPAR2026"``).
DEFAULT_RELEASE: str = available_releases()[0]


def pyjaspar_version() -> str:
    """The installed pyjaspar version, for provenance records."""
    import pyjaspar

    return str(getattr(pyjaspar, "__version__", "unknown"))


def _resolve_release(release: str | None) -> str:
    """Canonical release name for ``release`` (``None`` -> :data:`DEFAULT_RELEASE`)."""
    if release is None:
        return DEFAULT_RELEASE
    releases = available_releases()
    text = str(release).strip()
    wanted = f"JASPAR{text}" if text.isdigit() else text.upper()
    for name in releases:
        if name.upper() == wanted:
            return name
    raise DeepMotifError(
        f"unknown JASPAR release {release!r}; the bundled releases are {', '.join(releases)}"
    )


def release_info(
    release: str | None = None,
    collection: str | None = "CORE",
    tax_group: str | None = "vertebrates",
) -> dict:
    """Provenance of a motif set, fit to store in a run's JSON files.

    Returns
    -------
    dict
        ``{"release": "JASPAR2026", "pyjaspar": "4.0.0", "collection": "CORE",
        "tax_group": "vertebrates"}`` with the release name resolved.
    """
    return {
        "release": _resolve_release(release),
        "pyjaspar": pyjaspar_version(),
        "collection": collection,
        "tax_group": tax_group,
    }


@dataclass(eq=False)
class Motif:
    """One JASPAR matrix.

    Attributes
    ----------
    matrix_id : str
        Versioned JASPAR id, e.g. ``"MA0139.2"``.
    name : str
        TF name as JASPAR spells it (``"CTCF"``, ``"Ahr::Arnt"``).
    pwm : numpy.ndarray of float64, shape (4, length)
        Rows A, C, G, T; every column sums to 1 (see :data:`PSEUDOCOUNT`). Read-only.
    counts : numpy.ndarray of float64, shape (4, length)
        The counts stored in JASPAR (some matrices hold non-integer values). Read-only.
    release : str
        The JASPAR release it was read from.
    collection : str
        ``"CORE"``, ``"UNVALIDATED"``, ...
    tax_group : str or None
        ``"vertebrates"``, ``"insects"``, ... (``None`` for matrices JASPAR leaves unassigned).
    """

    matrix_id: str
    name: str
    pwm: np.ndarray
    counts: np.ndarray
    release: str
    collection: str
    tax_group: str | None

    @property
    def base_id(self) -> str:
        """The id without its version (``"MA0139"``)."""
        return self.matrix_id.split(".")[0]

    @property
    def version(self) -> int:
        """The version number (2 for ``"MA0139.2"``)."""
        return int(self.matrix_id.split(".")[1])

    @property
    def length(self) -> int:
        """Number of positions."""
        return int(self.pwm.shape[1])

    @property
    def consensus(self) -> str:
        """The most probable base at each position (ties go to the first of A, C, G, T)."""
        return "".join(_ROWS[i] for i in self.pwm.argmax(axis=0))

    @property
    def information_content(self) -> float:
        """Total information content in bits against a uniform background (from ``counts``)."""
        from deepmotif.motifs.pwm import information_content

        return float(information_content(self.counts).sum())

    def __repr__(self) -> str:
        return f"Motif({self.matrix_id} {self.name}, length {self.length}, {self.release})"


def _normalise(counts: np.ndarray, pseudocount: float) -> np.ndarray:
    """Column-normalise ``counts`` (4, L) and mix in ``pseudocount`` of the uniform distribution."""
    totals = counts.sum(axis=0, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        freqs = np.where(totals > 0, counts / totals, 0.25)
    return (1.0 - pseudocount) * freqs + pseudocount / 4.0


def _make_motif(entry: _Entry, counts: np.ndarray, release: str) -> Motif:
    counts = np.array(counts, dtype=np.float64)
    pwm = _normalise(counts, PSEUDOCOUNT)
    counts.flags.writeable = False
    pwm.flags.writeable = False
    return Motif(
        matrix_id=f"{entry.base_id}.{entry.version}",
        name=entry.name,
        pwm=pwm,
        counts=counts,
        release=release,
        collection=entry.collection,
        tax_group=entry.tax_group,
    )


@dataclass(frozen=True)
class _Entry:
    int_id: int
    base_id: str
    version: int
    name: str
    collection: str
    tax_group: str | None
    latest: bool


def _connect(release: str):
    """An open sqlite3 connection to the release's bundled database (close it after use)."""
    import warnings

    from pyjaspar import jaspardb

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return jaspardb(release=release).conn


@functools.cache
def _catalog(release: str) -> tuple[_Entry, ...]:
    """Every matrix of ``release`` (all collections, groups and versions), without counts."""
    conn = _connect(release)
    try:
        rows = conn.execute(
            "SELECT m.ID, m.BASE_ID, m.VERSION, m.NAME, m.COLLECTION, a.VAL "
            "FROM MATRIX m LEFT JOIN MATRIX_ANNOTATION a ON a.ID = m.ID AND a.TAG = 'tax_group' "
            "ORDER BY m.BASE_ID, m.VERSION"
        ).fetchall()
    finally:
        conn.close()
    newest: dict[str, int] = {}
    for _, base, version, *_rest in rows:
        newest[base] = max(newest.get(base, 0), int(version))
    seen: set[int] = set()
    entries = []
    for int_id, base, version, name, collection, tax_group in rows:
        if int_id in seen:  # a matrix with two tax_group tags: keep the first
            continue
        seen.add(int_id)
        entries.append(
            _Entry(
                int_id=int(int_id),
                base_id=str(base),
                version=int(version),
                name=str(name),
                collection=str(collection).upper(),
                tax_group=str(tax_group).lower() if tax_group else None,
                latest=int(version) == newest[base],
            )
        )
    return tuple(entries)


def _fetch_counts(release: str, int_ids: list[int]) -> dict[int, np.ndarray]:
    """Count matrices (4, L) for the given internal ids, read in bulk."""
    values: dict[int, dict[tuple[int, int], float]] = {i: {} for i in int_ids}
    conn = _connect(release)
    try:
        for start in range(0, len(int_ids), _SQL_CHUNK):
            chunk = int_ids[start : start + _SQL_CHUNK]
            marks = ",".join("?" * len(chunk))
            for int_id, row, col, val in conn.execute(
                f"SELECT ID, row, col, val FROM MATRIX_DATA WHERE ID IN ({marks})", chunk
            ):
                values[int_id][(_ROWS.index(row.upper()), int(col))] = float(val or 0.0)
    finally:
        conn.close()
    out = {}
    for int_id, cells in values.items():
        cols = sorted({c for _, c in cells})
        index = {c: j for j, c in enumerate(cols)}
        mat = np.zeros((4, len(cols)), dtype=np.float64)
        for (r, c), v in cells.items():
            mat[r, index[c]] = v
        out[int_id] = mat
    return out


def _valid(values, what: str, given: str, release: str) -> None:
    raise DeepMotifError(
        f"unknown JASPAR {what} {given!r} in {release}; valid: {', '.join(sorted(values))}"
    )


@functools.lru_cache(maxsize=64)
def _load(
    release: str, collection: str | None, tax_group: str | None, all_versions: bool
) -> tuple[Motif, ...]:
    catalog = _catalog(release)
    if collection is not None:
        collections = {e.collection for e in catalog}
        if collection.upper() not in collections:
            _valid(collections, "collection", collection, release)
        collection = collection.upper()
    if tax_group is not None:
        groups = {e.tax_group for e in catalog if e.tax_group}
        if tax_group.lower() not in groups:
            _valid(groups, "taxonomic group", tax_group, release)
        tax_group = tax_group.lower()
    chosen = [
        e
        for e in catalog
        if (collection is None or e.collection == collection)
        and (tax_group is None or e.tax_group == tax_group)
        and (all_versions or e.latest)
    ]
    counts = _fetch_counts(release, [e.int_id for e in chosen])
    return tuple(_make_motif(e, counts[e.int_id], release) for e in chosen)


def load_motifs(
    release: str | None = None,
    collection: str | None = "CORE",
    tax_group: str | None = "vertebrates",
    all_versions: bool = False,
) -> list[Motif]:
    """All motifs of a JASPAR collection and taxonomic group.

    Parameters
    ----------
    release : str, optional
        JASPAR release (default :data:`DEFAULT_RELEASE`).
    collection : str or None
        ``"CORE"`` (default), ``"UNVALIDATED"``, ... (case-insensitive); ``None`` for all.
    tax_group : str or None
        ``"vertebrates"`` (default), ``"insects"``, ``"plants"``, ... (case-insensitive);
        ``None`` for all groups.
    all_versions : bool
        Return every version of each matrix instead of only the latest.

    Returns
    -------
    list of Motif
        Sorted by matrix id. The motifs are cached per arguments and shared between calls
        (their arrays are read-only); the list itself is a new one each call.

    Raises
    ------
    DeepMotifError
        Unknown release, collection or taxonomic group (the message lists the valid ones).
    """
    return list(_load(_resolve_release(release), collection, tax_group, bool(all_versions)))


def _split_id(query: str) -> tuple[str, int | None] | None:
    match = re.fullmatch(r"([A-Za-z]+\d+)(?:\.(\d+))?", query.strip())
    if not match:
        return None
    return match.group(1).upper(), (int(match.group(2)) if match.group(2) else None)


def _by_id(catalog, base: str, version: int | None, query: str, release: str) -> _Entry | None:
    versions = [e for e in catalog if e.base_id.upper() == base]
    if not versions:
        return None
    if version is None:
        return max(versions, key=lambda e: e.version)
    for e in versions:
        if e.version == version:
            return e
    have = ", ".join(f"{e.base_id}.{e.version}" for e in versions)
    raise DeepMotifError(f"JASPAR matrix {query!r} is not in {release}; it has {have}")


def _by_name(catalog, query: str) -> _Entry | None:
    wanted = query.strip().upper()
    matches = [e for e in catalog if e.name.upper() == wanted]
    if not matches:
        return None
    return min(
        matches,
        key=lambda e: (
            e.collection != "CORE",
            e.tax_group != "vertebrates",
            not e.latest,
            e.base_id,
            -e.version,
        ),
    )


@functools.lru_cache(maxsize=256)
def _motif(release: str, entry: _Entry) -> Motif:
    """One matrix, cached so every lookup of it returns the same object."""
    return _make_motif(entry, _fetch_counts(release, [entry.int_id])[entry.int_id], release)


def _get(query: str, release: str) -> Motif:
    catalog = _catalog(release)
    entry = None
    split = _split_id(query)
    if split is not None:
        entry = _by_id(catalog, split[0], split[1], query, release)
    if entry is None:
        entry = _by_name(catalog, query)
    if entry is None:
        names = sorted({e.name for e in catalog})
        upper = {n.upper(): n for n in names}
        close = difflib.get_close_matches(query.strip().upper(), list(upper), n=5, cutoff=0.6)
        hint = f"; close names: {', '.join(upper[c] for c in close)}" if close else ""
        raise DeepMotifError(f"no JASPAR motif named or numbered {query!r} in {release}{hint}")
    return _motif(release, entry)


def get_motif(name_or_id: str, release: str | None = None) -> Motif:
    """One motif by JASPAR matrix id or TF name.

    Parameters
    ----------
    name_or_id : str
        A versioned id (``"MA0139.2"``), a base id (``"MA0139"``, giving its latest version) or
        a TF name compared case-insensitively (``"ctcf"``; see the module docstring for which
        matrix is chosen when several share the name).
    release : str, optional
        JASPAR release (default :data:`DEFAULT_RELEASE`).

    Returns
    -------
    Motif

    Raises
    ------
    DeepMotifError
        Unknown release (lists the bundled ones), unknown version of a known id (lists the
        versions), or unknown name (suggests close names).
    """
    if not isinstance(name_or_id, str) or not name_or_id.strip():
        raise DeepMotifError(f"a JASPAR motif name or id is needed, got {name_or_id!r}")
    return _get(name_or_id.strip(), _resolve_release(release))
