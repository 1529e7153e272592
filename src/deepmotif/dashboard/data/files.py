"""Reading run files: the parsers (each turns a broken file into a
:class:`~deepmotif.errors.DeepMotifError`), the download allow-list, and the store's access to a
run's history, curves, test table and precomputed explanations.

Every file is parsed once and kept until it changes (keyed by path, modification time and
size), so a run that finishes while the dashboard is open shows up. Nothing is unpickled
(``numpy.load(allow_pickle=False)``). File names come from :mod:`deepmotif.rundir`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from deepmotif import rundir
from deepmotif.dashboard.data.cache import stamp
from deepmotif.errors import DeepMotifError
from deepmotif.rundir.layout import MOTIFS_DIR, PR, ROC

__all__ = ["DOWNLOADABLE", "RunFiles", "read_csv", "read_npz", "read_test_table"]

#: Files a browser may download from a run, relative to the run directory (nothing else is served).
DOWNLOADABLE = {
    rundir.CONFIG: "application/json",
    rundir.METRICS: "application/json",
    rundir.HISTORY: "text/csv",
    rundir.TEST_TABLE: "text/tab-separated-values",
    f"{ROC}.csv": "text/csv",
    f"{PR}.csv": "text/csv",
    f"{MOTIFS_DIR}/{rundir.MOTIFS_MATCHES}": "text/tab-separated-values",
    f"{MOTIFS_DIR}/{rundir.MOTIFS_MEME}": "text/plain",
}
_TEST_COLUMNS = ("id", "sequence", "label", "score")


# ---------------------------------------------------------------- parsers (cached by the store)


def read_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path)
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DeepMotifError(f"{path}: not a readable CSV file ({exc})") from exc


def read_test_table(path: Path) -> pd.DataFrame:
    try:
        table = pd.read_csv(path, sep="\t", dtype={"id": str, "sequence": str})
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DeepMotifError(f"{path}: not a readable table ({exc})") from exc
    missing = [c for c in _TEST_COLUMNS if c not in table.columns]
    if missing:
        raise DeepMotifError(f"{path}: missing column(s) {', '.join(missing)}")
    table = table[list(_TEST_COLUMNS)]
    empty = table.isna().any(axis=1).to_numpy()
    if empty.any():
        line = int(np.argmax(empty)) + 2  # 1-based, after the header
        raise DeepMotifError(
            f"{path}: line {line} is short or has empty fields (expected {', '.join(_TEST_COLUMNS)})"
        )
    for column, ok in (
        ("label", lambda v: np.isin(v, (0, 1))),
        ("score", lambda v: np.isfinite(v) & (v >= 0) & (v <= 1)),
    ):
        values = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=float)
        bad = ~ok(values)
        if bad.any():
            line = int(np.argmax(bad)) + 2
            raise DeepMotifError(
                f"{path}: line {line}: {column} {table[column].iloc[line - 2]!r} is not "
                + ("0 or 1" if column == "label" else "a probability between 0 and 1")
            )
    return table.astype({"label": int, "score": float})


def read_npz(path: Path) -> dict:
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {k: npz[k] for k in npz.files}
    except (OSError, ValueError, EOFError) as exc:
        raise DeepMotifError(f"{path}: not a readable .npz file ({exc})") from exc


class RunFiles:
    """A run's files as the pages need them (part of
    :class:`~deepmotif.dashboard.data.RunStore`; uses its ``run()`` and ``_files`` cache)."""

    def _file(self, path: Path, parse):
        """``parse(path)`` cached until the file changes."""
        try:
            key = stamp(path)
        except FileNotFoundError:
            raise DeepMotifError(f"{path}: missing") from None
        return self._files.get(("file", *key, parse.__name__), lambda: parse(path))

    def file_path(self, key: str, name: str) -> Path:
        """The path of a downloadable run file, refusing anything not in :data:`DOWNLOADABLE`.

        The resolved path must lie inside the run directory (a symbolic link pointing elsewhere
        is refused), so no request can read a file outside the given runs.
        """
        if name not in DOWNLOADABLE:
            raise DeepMotifError(f"{name!r} is not a file the dashboard serves")
        run = self.run(key)
        root = run.path.resolve()
        path = (run.path / name).resolve()
        if root not in path.parents or not path.is_file():
            raise DeepMotifError(f"{run.key} has no {name}")
        return path

    def history(self, key: str) -> pd.DataFrame:
        """The run's history (one row per epoch)."""
        path = self.run(key).path / rundir.HISTORY
        if not path.is_file():
            raise DeepMotifError(f"{self.run(key).key}: no {rundir.HISTORY}")
        return self._file(path, read_csv)

    def curves(self, key: str, split: str = "test") -> dict:
        """ROC and PR curves of one split: ``{"roc": DataFrame(fpr, tpr), "pr": DataFrame(recall, precision)}``."""
        out = {}
        run = self.run(key)
        for kind in (ROC, PR):
            path = run.path / f"{kind}.csv"
            if not path.is_file():
                raise DeepMotifError(f"{run.key}: no {kind}.csv")
            table = self._file(path, read_csv)
            if "split" not in table.columns:
                raise DeepMotifError(f"{path}: no 'split' column")
            part = table[table["split"] == split]
            if part.empty:
                raise DeepMotifError(f"{path}: no rows for the {split} split")
            out[kind] = part.reset_index(drop=True)
        return out

    def test_table(self, key: str) -> pd.DataFrame:
        """The run's test sequences: ``id, sequence, label, score`` (row order = index)."""
        run = self.run(key)
        path = run.path / rundir.TEST_TABLE
        if not path.is_file():
            raise DeepMotifError(
                f"{run.key}: no {rundir.TEST_TABLE} (the run holds no test sequences)"
            )
        return self._file(path, read_test_table)

    def reference_run(self, dataset: str, arch: str | None = None):
        """The run whose test set the explorer lists: the run named ``arch`` (an architecture
        or a seed, see :attr:`RunInfo.name`) when it has one, else the first."""
        runs = [r for r in self.runs_for(dataset) if (r.path / rundir.TEST_TABLE).is_file()]
        if not runs:
            raise DeepMotifError(f"{dataset}: no run holds test sequences ({rundir.TEST_TABLE})")
        for match in (lambda r: r.name == arch, lambda r: r.arch == arch):
            for r in runs:
                if match(r):
                    return r
        return runs[0]

    def sequence_order(self, key: str, order: str = "index", label: str = "all") -> pd.DataFrame:
        """The test table filtered by ``label`` (``"all"``, ``"1"``, ``"0"``) and sorted by ``order``.

        Orders: ``index`` (file order), ``score-desc``, ``score-asc``, ``confident`` (largest
        ``|score - 0.5|`` first), ``wrong`` (misclassified at 0.5 first, by ``|score - label|``).
        The result keeps an ``index`` column: the row number in the test table.
        """
        table = self.test_table(key).copy()
        table.insert(0, "index", np.arange(len(table)))
        if label in ("0", "1", 0, 1):
            table = table[table["label"] == int(label)]
        score = table["score"].to_numpy(dtype=float)
        if order == "score-desc":
            idx = np.argsort(-score, kind="stable")
        elif order == "score-asc":
            idx = np.argsort(score, kind="stable")
        elif order == "confident":
            idx = np.argsort(-np.abs(score - 0.5), kind="stable")
        elif order == "wrong":
            idx = np.argsort(-np.abs(score - table["label"].to_numpy(dtype=float)), kind="stable")
        elif order == "index":
            idx = np.arange(len(table))
        else:
            raise DeepMotifError(f"unknown order {order!r}")
        return table.iloc[idx].reset_index(drop=True)

    def _npz(self, key: str, method: str) -> dict | None:
        """The run's precomputed explanation of ``method`` as a dict of arrays (None when absent)."""
        path = rundir.explain_file(self.run(key).path, method)
        if not path.is_file():
            return None
        return self._file(path, read_npz)

    def _precomputed_row(self, key: str, method: str, seq_id: str, fields: tuple) -> dict | None:
        """``fields`` of one sequence (by id) in the run's precomputed ``method`` (None if absent)."""
        data = self._npz(key, method)
        if data is None or "ids" not in data:
            return None
        path = rundir.explain_file(self.run(key).path, method)
        index = self._files.get(
            ("ids", *stamp(path)), lambda: {str(v): i for i, v in enumerate(data["ids"])}
        )
        i = index.get(str(seq_id))
        if i is None:
            return None
        out = {}
        for f in fields:
            if f not in data:
                raise DeepMotifError(f"{path}: no array {f!r}")
            if len(data[f]) != len(data["ids"]):
                raise DeepMotifError(
                    f"{path}: {f!r} has {len(data[f])} rows but there are {len(data['ids'])} ids"
                )
            out[f] = np.asarray(data[f][i], dtype=np.float32)
        return out
