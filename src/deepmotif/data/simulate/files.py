"""Writing a simulation: the FASTA (``>sim00001 1``, gzip when asked) and its ``.sites.tsv``."""

from __future__ import annotations

import gzip
import io
import os
from pathlib import Path

from deepmotif.atomic import atomic_files, clean_stale
from deepmotif.data.dataset import SequenceDataset
from deepmotif.data.simulate.core import Simulation
from deepmotif.errors import check

__all__ = ["FASTA_SUFFIXES", "check_output", "sites_path", "write_simulation"]

#: Extensions accepted for the FASTA output (optionally followed by ``.gz``).
FASTA_SUFFIXES = (".fa", ".fasta", ".fna", ".fas")


def sites_path(path: str | os.PathLike) -> Path:
    """The ground-truth path for a FASTA path: ``.gz`` and the last suffix replaced by
    ``.sites.tsv`` (``sim.fa`` and ``sim.fa.gz`` -> ``sim.sites.tsv``)."""
    p = Path(path)
    name = p.name[:-3] if p.name.lower().endswith(".gz") else p.name
    stem = name.rsplit(".", 1)[0] if "." in name.lstrip(".") else name
    return p.with_name(f"{stem}.sites.tsv")


def check_output(path: str | os.PathLike, *, force: bool = False) -> tuple[Path, Path]:
    """Check that ``path`` can take a simulation before any work is done.

    Returns
    -------
    (Path, Path)
        The FASTA path and its :func:`sites_path`.

    Raises
    ------
    DeepMotifError
        ``path`` does not end in a FASTA suffix, or either file exists (without ``force``) or is
        a directory.
    """
    fasta = Path(path)
    name = fasta.name.lower()
    base = name[:-3] if name.endswith(".gz") else name
    check(
        base.endswith(FASTA_SUFFIXES),
        f"{fasta}: the output must be a FASTA file ending in "
        f"{', '.join(FASTA_SUFFIXES)} (optionally .gz)",
    )
    truth = sites_path(fasta)
    for p in (fasta, truth):
        clean_stale(p)
        check(not p.is_dir(), f"{p} is a directory, expected a file name")
        check(
            force or not p.exists(), f"{p} already exists; use --force (force=True) to overwrite it"
        )
    return fasta, truth


def _fasta_bytes(dataset: SequenceDataset, compress: bool) -> bytes:
    text = "".join(
        f">{i} {int(y)}\n{s}\n" for i, s, y in zip(dataset.ids, dataset.sequences, dataset.labels)
    ).encode("ascii")
    if not compress:
        return text
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0) as gz:
        gz.write(text)
    return buf.getvalue()


def write_simulation(
    sim: Simulation, path: str | os.PathLike, *, force: bool = False
) -> tuple[Path, Path]:
    """Write the FASTA (``>sim00001 1``, gzip when ``path`` ends in ``.gz``) and the sites TSV.

    Parameters
    ----------
    sim : Simulation
    path : str or path-like
        FASTA path ending in ``.fa``, ``.fasta``, ``.fna`` or ``.fas``, optionally ``.gz``. The
        ground truth goes to :func:`sites_path` of it. Missing parent directories are created.
    force : bool
        Overwrite existing files; without it an existing file is an error and nothing is written.

    Returns
    -------
    (Path, Path)
        The FASTA and the sites paths. Both are written as a unit: under temporary names,
        renamed into place once both are complete (the FASTA last).
    """
    fasta, truth = check_output(path, force=force)
    fasta.parent.mkdir(parents=True, exist_ok=True)
    compress = fasta.name.lower().endswith(".gz")
    # one unit: both are written under temporary names, then renamed, the FASTA last
    with atomic_files([truth, fasta]) as (tmp_truth, tmp_fasta):
        tmp_truth.write_bytes(sim.sites.to_csv(sep="\t", index=False).encode("utf-8"))
        tmp_fasta.write_bytes(_fasta_bytes(sim.dataset, compress))
    return fasta, truth
