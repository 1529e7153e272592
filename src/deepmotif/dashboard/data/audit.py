"""``deepmotif audit`` results and known-motif hits for the explorer.

* :meth:`AuditResults.audit_table`: every finished run's ``RUN/audit/audit.tsv`` of a dataset,
  one row per run and method (columns ``run``, ``arch`` then the file's), with the run's
  ``audit.json``.
* :meth:`AuditResults.sequence_hits`: the FIMO hits of the run's known motifs
  (:func:`deepmotif.audit.hits.known_motifs`) in one sequence: read from the run's audit
  ``hits.tsv`` when the sequence was audited, else scanned on demand (cheap: no model) and
  cached.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd

from deepmotif import rundir
from deepmotif.dashboard.data.cache import stamp
from deepmotif.errors import DeepMotifError

__all__ = ["AuditResults"]


def _read_audit(path) -> pd.DataFrame:
    try:
        table = pd.read_csv(path, sep="\t")
    except (OSError, ValueError) as exc:
        raise DeepMotifError(f"{path}: not a readable audit table ({exc})") from exc
    if "method" not in table.columns:
        raise DeepMotifError(f"{path}: not an audit table (no 'method' column)")
    return table


def _read_hits(path) -> pd.DataFrame:
    try:
        table = pd.read_csv(path, sep="\t", dtype={"seq_id": str})
    except (OSError, ValueError) as exc:
        raise DeepMotifError(f"{path}: not a readable hits table ({exc})") from exc
    need = {"seq_id", "motif", "start", "end", "strand"}
    if not need <= set(table.columns):
        raise DeepMotifError(f"{path}: not a hits table (needs {', '.join(sorted(need))})")
    return table


def _read_json(path) -> dict:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise DeepMotifError(f"{path}: not readable JSON ({exc})") from exc
    return data if isinstance(data, dict) else {}


class AuditResults:
    """Audit tables and hits of :class:`~deepmotif.dashboard.data.RunStore` (uses its
    ``_file`` reader, ``_models`` and ``_computed`` caches)."""

    def audit(self, key: str) -> tuple[pd.DataFrame, dict] | None:
        """``(audit.tsv, audit.json)`` of one run, or None when it has no audit."""
        run = self.run(key)
        folder = rundir.audit_dir(run.path)
        table, info = folder / rundir.AUDIT_TABLE, folder / rundir.AUDIT_JSON
        if not (table.is_file() and info.is_file()):
            return None
        return self._file(table, _read_audit), self._file(info, _read_json)

    def audit_table(self, dataset: str) -> pd.DataFrame:
        """The audits of every finished run of ``dataset`` (empty DataFrame when none).

        A broken audit file raises :class:`DeepMotifError` naming it."""
        frames = []
        for run in self.runs_for(dataset, finished=True):
            found = self.audit(run.key)
            if found is None:
                continue
            table = found[0].copy()
            table.insert(0, "arch", run.arch)
            table.insert(0, "run", run.key)
            frames.append(table)
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def known_motifs(self, key: str) -> dict:
        """The run's known motifs (its TF's JASPAR matrices and top extracted motifs), read
        once per version of its config and motif file."""
        from deepmotif.audit.hits import known_motifs

        run = self.run(key)
        meme = rundir.motif_file(run.path, rundir.MOTIFS_MEME)
        version = (
            *stamp(run.path / rundir.CONFIG),
            *(stamp(meme) if meme.is_file() else ()),
        )
        return self._models.get(("known-motifs", *version), lambda: known_motifs(run.path))

    def sequence_hits(
        self, dataset: str, sequence: str, seq_id: str | None = None, arch: str | None = None
    ) -> pd.DataFrame:
        """Known-motif hits in one sequence (columns of ``hits.tsv``), by the motifs of the
        dataset's reference run (``arch``'s when given)."""
        from deepmotif.audit.hits import HIT_COLUMNS, scan_hits

        ref = self.reference_run(dataset, arch)
        if seq_id is not None:
            path = rundir.audit_dir(ref.path) / rundir.AUDIT_HITS
            info = rundir.audit_dir(ref.path) / rundir.AUDIT_JSON
            if path.is_file() and info.is_file():
                audited = self._file(path, _read_hits)
                rows = audited[audited["seq_id"] == str(seq_id)]
                if len(rows):
                    return rows.reset_index(drop=True)
        motifs = self.known_motifs(ref.key)
        if not motifs:
            return pd.DataFrame(columns=HIT_COLUMNS)
        from deepmotif.data.encoding import one_hot

        digest = hashlib.sha1(sequence.encode()).hexdigest()
        names = tuple(sorted(motifs))
        return self._computed.get(
            ("hits", ref.key, names, digest),
            lambda: scan_hits(motifs, one_hot([sequence], dtype=np.float32), [seq_id or "pasted"]),
        )
