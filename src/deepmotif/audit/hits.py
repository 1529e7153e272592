"""Known-motif hits: where the dataset's TF motif (and the run's own top motifs) occur.

The motifs scanned (:func:`known_motifs`):

* the TF the data came from: the JASPAR matrices a simulation planted (its recorded JASPAR
  ids), otherwise the JASPAR matrix of the TF named by the data
  (:func:`deepmotif.motifs.recovery.known_tf`: an ENCODE/DeepBind file name such as
  ``CTCF_K562_...`` names CTCF); looked up offline through :mod:`deepmotif.jaspar`;
* the first ``top`` motifs of the run's ``motifs/motifs.meme`` (``deepmotif motifs``), when
  present.

Scanning is memelite's FIMO (:func:`memelite.fimo`) on both strands with its defaults
(p-value threshold 1e-4). A hit's ``start`` is 0-based and ``end`` exclusive, in sequence
coordinates; ``strand`` is ``+`` or ``-``. Where a sequence id carries genomic coordinates
(``chr1:1000-1101`` spanning exactly the sequence), :func:`hits_bed` gives the hits in genome
coordinates.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager

import numpy as np
import pandas as pd

from deepmotif import rundir
from deepmotif.errors import DeepMotifError

__all__ = [
    "HIT_COLUMNS",
    "THRESHOLD",
    "hit_mask",
    "hits_bed",
    "known_motifs",
    "scan_hits",
]

#: Columns of ``hits.tsv``, in order.
HIT_COLUMNS = ["seq_id", "motif", "start", "end", "strand", "score", "p_value"]
#: FIMO's p-value threshold (memelite's default).
THRESHOLD = 1e-4


def _tf_matrices(config: dict, run) -> dict[str, np.ndarray]:
    """The dataset's TF as JASPAR matrices: ``{"CTCF MA0139.2": pwm}`` (empty when unknown)."""
    from deepmotif import jaspar

    train = ((config.get("data") or {}).get("train")) or {}
    sim = (train.get("meta") or {}).get("simulation") or {}
    truth = train.get("ground_truth") or {}
    ids = sim.get("jaspar_ids") or truth.get("jaspar_ids") or []
    release = sim.get("release")
    out = {}
    for mid in ids:
        try:
            m = jaspar.get_motif(str(mid), release=release)
        except DeepMotifError:
            m = jaspar.get_motif(str(mid))
        out[f"{m.name} {m.matrix_id}"] = np.asarray(m.pwm, dtype=np.float64)
    if out:
        return out
    from deepmotif.motifs.recovery import known_tf

    tf = known_tf(run)
    if tf:
        try:
            m = jaspar.get_motif(tf)
        except DeepMotifError:
            return {}
        out[f"{m.name} {m.matrix_id}"] = np.asarray(m.pwm, dtype=np.float64)
    return out


def known_motifs(run, *, top: int = 3) -> dict[str, np.ndarray]:
    """The motifs whose hits the audit and the explorer show, ``name -> (4, w) PWM``.

    Parameters
    ----------
    run : path
        A run directory.
    top : int
        How many of the run's extracted motifs (``motifs/motifs.meme``, in file order) to add.

    Returns
    -------
    dict
        The TF's JASPAR matrices first (keys ``"CTCF MA0139.2"``), then the extracted motifs
        (keys as named in motifs.meme, e.g. ``"cnn-saliency-1"``). Empty when neither is known.
    """
    config = rundir.read_config(run)
    out = _tf_matrices(config, run)
    meme = rundir.motif_file(run, rundir.MOTIFS_MEME)
    if top > 0 and meme.is_file():
        from deepmotif.motifs.meme import read_meme

        for k, (name, pwm) in enumerate(read_meme(meme, allow_empty=True).items()):
            if k >= top:
                break
            out[name.split()[0]] = pwm
    return out


@contextmanager
def _torch_threads_kept():
    """Restore torch's intra-op thread count after the block: memelite's FIMO runs numba's
    parallel loops, whose OpenMP start-up resets the process's thread count (1 became 2 here),
    which would change how every later explanation runs."""
    torch = sys.modules.get("torch")
    before = torch.get_num_threads() if torch is not None else None
    try:
        yield
    finally:
        if torch is not None and torch.get_num_threads() != before:
            torch.set_num_threads(before)


def scan_hits(motifs: dict, X, ids, *, threshold: float = THRESHOLD) -> pd.DataFrame:
    """FIMO hits of ``motifs`` in one-hot sequences ``X``.

    Parameters
    ----------
    motifs : dict of str -> array (4, w)
        Probability matrices (rows A, C, G, T).
    X : array, shape (n, 4, L)
        One-hot sequences (N positions all zero).
    ids : sequence of str
        One id per sequence.
    threshold : float
        FIMO p-value threshold.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`HIT_COLUMNS`, sorted by sequence (in ``X``'s order), start, motif.
    """
    from memelite import fimo

    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 3 or X.shape[1] != 4:
        raise DeepMotifError(f"sequences must be one-hot (n, 4, L), got shape {X.shape}")
    ids = [str(i) for i in ids]
    if len(ids) != len(X):
        raise DeepMotifError(f"{len(ids)} ids for {len(X)} sequences")
    motifs = {k: np.asarray(v, dtype=np.float64) for k, v in motifs.items()}
    motifs = {k: v for k, v in motifs.items() if v.shape[1] <= X.shape[2]}
    if not motifs or not len(X):
        return pd.DataFrame(columns=HIT_COLUMNS)
    with _torch_threads_kept():
        tables = fimo(motifs, X, threshold=threshold, reverse_complement=True)
    frames = [t for t in tables if len(t)]
    if not frames:
        return pd.DataFrame(columns=HIT_COLUMNS)
    df = pd.concat(frames, ignore_index=True)
    order = df["sequence_name"].to_numpy(dtype=np.int64)
    out = pd.DataFrame(
        {
            "seq_id": [ids[i] for i in order],
            "motif": df["motif_name"].astype(str).to_numpy(),
            "start": df["start"].to_numpy(dtype=np.int64),
            "end": df["end"].to_numpy(dtype=np.int64),
            "strand": df["strand"].astype(str).to_numpy(),
            "score": df["score"].to_numpy(dtype=np.float64),
            "p_value": df["p-value"].to_numpy(dtype=np.float64),
        }
    )
    out["_i"] = order
    out = out.sort_values(["_i", "start", "motif", "strand"], kind="stable")
    return out.drop(columns="_i").reset_index(drop=True)


def hit_mask(hits: pd.DataFrame, ids, length: int) -> np.ndarray:
    """(n, length) bool: True at every position inside a hit of the sequence."""
    index = {str(s): i for i, s in enumerate(ids)}
    mask = np.zeros((len(index), length), dtype=bool)
    for sid, start, end in zip(hits["seq_id"], hits["start"], hits["end"]):
        i = index.get(str(sid))
        if i is not None:
            mask[i, max(int(start), 0) : min(int(end), length)] = True
    return mask


def hits_bed(hits: pd.DataFrame, length: int) -> pd.DataFrame | None:
    """The hits in genome coordinates (BED6: chrom, start, end, name, score, strand), or None
    unless every hit's sequence id names a window of exactly ``length`` bases (``chr1:10-111``)."""
    from deepmotif.data.readers._io import parse_coords

    if not len(hits):
        return None
    rows = []
    for r in hits.itertuples(index=False):
        coords = parse_coords(str(r.seq_id))
        if coords is None or coords[2] - coords[1] != length:
            return None
        chrom, start, _ = coords
        rows.append((chrom, start + int(r.start), start + int(r.end), r.motif, r.score, r.strand))
    return pd.DataFrame(rows, columns=["chrom", "start", "end", "name", "score", "strand"])
