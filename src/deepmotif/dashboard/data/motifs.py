"""Motif results: a run's ``deepmotif motifs`` files (matches, PWMs, the no-motif record),
JASPAR matrices, and motif recovery per run (is the dataset's TF among the matches?).

File names come from :mod:`deepmotif.rundir` (:func:`~deepmotif.rundir.motif_file`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from deepmotif import rundir
from deepmotif.errors import DeepMotifError
from deepmotif.rundir.layout import MOTIFS_DIR

__all__ = ["MotifResults", "read_matches", "read_meme", "tf_names"]

_RECOVERY_COLUMNS = [
    "dataset",
    "arch",
    "tf",
    "n_motifs",
    "n_matched",
    "recovered",
    "best_q",
    "best_match",
]


def read_matches(path: Path) -> pd.DataFrame:
    try:
        table = pd.read_csv(path, sep="\t")
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DeepMotifError(f"{path}: not a readable table ({exc})") from exc
    missing = [
        c for c in ("query", "target_id", "target_name", "p_value") if c not in table.columns
    ]
    if missing:
        raise DeepMotifError(f"{path}: missing column(s) {', '.join(missing)}")
    return table


def read_meme(path: Path) -> dict:
    from deepmotif.motifs.meme import read_meme as _read

    motifs = _read(path, allow_empty=True)
    return {str(k).split()[0]: np.asarray(v, dtype=np.float32) for k, v in motifs.items()}


def read_json_or_none(path: Path):
    """A JSON file's content, or None when it is not readable JSON (e.g. hand-edited)."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError, UnicodeDecodeError):
        return None


def tf_names(dataset: str, config: dict) -> list[str]:
    """The TF(s) a run's dataset is about: the simulation's targets, else the dataset's first word."""
    meta = (((config.get("data") or {}).get("train") or {}).get("meta") or {}) if config else {}
    sim = meta.get("simulation") if isinstance(meta, dict) else None
    if isinstance(sim, dict) and sim.get("tfs"):
        return [str(t) for t in sim["tfs"]]
    for key in ("tfs", "tf"):
        if isinstance(meta, dict) and meta.get(key):
            v = meta[key]
            return [str(t) for t in v] if isinstance(v, list) else [str(v)]
    return [re.split(r"[_\s.]", dataset, maxsplit=1)[0]]


def _names_match(target: str, tfs: list[str]) -> bool:
    parts = {p.upper() for p in re.split(r"::|/|\s", target) if p}
    return any(t.upper() in parts for t in tfs)


class MotifResults:
    """Motif files, JASPAR and recovery of :class:`~deepmotif.dashboard.data.RunStore` (uses
    its ``run()``, ``runs``, file cache and model cache)."""

    def motif_matches(self, key: str) -> pd.DataFrame:
        """The run's Tomtom matches of its extracted motifs (``motifs/matches.tsv``)."""
        run = self.run(key)
        path = rundir.motif_file(run.path, rundir.MOTIFS_MATCHES)
        if not path.is_file():
            raise DeepMotifError(
                f"{run.key}: no {MOTIFS_DIR}/{rundir.MOTIFS_MATCHES} (run 'deepmotif motifs' on it)"
            )
        return self._file(path, read_matches)

    def no_motif(self, key: str) -> dict:
        """Sources of the run's ``deepmotif motifs`` results that found no motif: source -> why.

        Empty when every source found some, or when the run has no (readable) ``motifs.json``.
        """
        run = self.run(key)
        path = rundir.motif_file(run.path, rundir.MOTIFS_JSON)
        if not path.is_file():
            return {}
        info = self._file(path, read_json_or_none)
        reasons = info.get("no_motif") if isinstance(info, dict) else None
        return {str(k): str(v) for k, v in reasons.items()} if isinstance(reasons, dict) else {}

    def motif_pwms(self, key: str) -> dict:
        """The run's extracted motifs (``motifs/motifs.meme``): motif name -> PWM (4, L)."""
        run = self.run(key)
        path = rundir.motif_file(run.path, rundir.MOTIFS_MEME)
        if not path.is_file():
            raise DeepMotifError(f"{run.key}: no {MOTIFS_DIR}/{rundir.MOTIFS_MEME}")
        return self._file(path, read_meme)

    def jaspar_database(self):
        """JASPAR CORE vertebrates of the newest bundled release, as a Tomtom target database."""
        from deepmotif.motifs.match import load_database

        return self._models.get(("jaspar-database",), load_database)

    def jaspar_pwm(self, target_id: str) -> tuple[str, np.ndarray]:
        """``(name, pwm (4, L))`` of a JASPAR matrix (offline, from pyjaspar's bundled release)."""
        from deepmotif.jaspar import get_motif

        m = get_motif(str(target_id))
        return m.name, np.asarray(m.pwm, dtype=np.float32)

    def recovery(self) -> pd.DataFrame:
        """Motif recovery per run: is the dataset's TF among its extracted motifs' matches?

        Returns
        -------
        pandas.DataFrame
            ``dataset, arch, tf, n_motifs, n_matched`` (motifs with a match at q < 0.05),
            ``recovered`` (True / False; NaN when the run has no motif matches), ``best_q``
            (smallest q-value of a match to the TF) and ``best_match`` (the overall best target).
        """
        rows = []
        for run in self.runs:
            if not run.finished:
                continue
            tfs = tf_names(run.dataset, run.config)
            row = {
                "dataset": run.dataset,
                "arch": run.name,
                "tf": ", ".join(tfs),
                "n_motifs": np.nan,
                "n_matched": np.nan,
                "recovered": np.nan,
                "best_q": np.nan,
                "best_match": "",
            }
            try:
                m = self.motif_matches(run.key)
            except DeepMotifError:
                rows.append(row)
                continue
            q = m["q_value"].astype(float) if "q_value" in m.columns else m["p_value"].astype(float)
            row["n_motifs"] = int(m["query"].nunique())
            row["n_matched"] = int(m.loc[q < 0.05, "query"].nunique())
            if len(m):
                row["best_match"] = str(m.loc[q.idxmin(), "target_name"])
            hit = m["target_name"].astype(str).map(lambda s, tfs=tfs: _names_match(s, tfs))
            row["recovered"] = bool((hit & (q < 0.05)).any())
            row["best_q"] = float(q[hit].min()) if hit.any() else np.nan
            rows.append(row)
        return pd.DataFrame(rows, columns=_RECOVERY_COLUMNS)
