"""Motifs from trained models, matched to JASPAR with Tomtom.

Three extraction sources (:mod:`~deepmotif.motifs.from_optimization`,
:mod:`~deepmotif.motifs.from_saliency`, :mod:`~deepmotif.motifs.from_filters`) give
:class:`ExtractedMotif` records named ``<arch>-<source>-<k>``; :mod:`~deepmotif.motifs.match`
runs Tomtom (memelite) against JASPAR or a MEME file; :mod:`~deepmotif.motifs.recovery` says
whether the data's TF was found; :func:`run_motifs` does it all for a run directory.
Submodules are imported lazily so ``import deepmotif.motifs`` does not import torch.
"""

from __future__ import annotations

from deepmotif._lazy import lazy_exports
from deepmotif.motifs.base import SOURCES, ExtractedMotif

__all__ = [
    "SOURCES",
    "ExtractedMotif",
    "extract_motifs",
    "known_tf",
    "load_database",
    "read_meme",
    "recovery_table",
    "run_motifs",
    "tomtom_matches",
    "write_meme",
]

_LAZY = {
    "extract_motifs": "deepmotif.motifs.extract",
    "known_tf": "deepmotif.motifs.recovery",
    "recovery_table": "deepmotif.motifs.recovery",
    "load_database": "deepmotif.motifs.match",
    "tomtom_matches": "deepmotif.motifs.match",
    "read_meme": "deepmotif.motifs.meme",
    "write_meme": "deepmotif.motifs.meme",
    "run_motifs": "deepmotif.motifs.run",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
