"""The motif record every extraction source returns."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from deepmotif.errors import DeepMotifError
from deepmotif.motifs.pwm import information_content

#: The extraction sources, in the order they are run and reported.
SOURCES = ("optimize", "saliency", "filters")


class NoMotifFound(DeepMotifError):
    """A source has nothing to extract from (e.g. no correctly classified positive, or
    attributions that are all zero). An ordinary outcome: :func:`~deepmotif.motifs.extract.
    extract_motifs` records the reason and goes on with the other sources."""


def motif_name(arch: str, source: str, k: int) -> str:
    """The name of the ``k``-th motif (1-based) of a source: ``"cnn-saliency-1"``."""
    return f"{arch}-{source}-{k}"


@dataclass(eq=False)
class ExtractedMotif:
    """A motif extracted from a trained model.

    Attributes
    ----------
    name : str
        ``<arch>-<source>-<k>`` (e.g. ``"cnn-rnn-filters-3"``), unique within a run.
    pwm : numpy.ndarray of float64, shape (4, length)
        Rows A, C, G, T; columns sum to 1.
    source : str
        ``"optimize"``, ``"saliency"`` or ``"filters"``.
    arch : str
        ``"cnn"``, ``"rnn"`` or ``"cnn-rnn"``.
    n_sites : int
        How many sequences, seqlets, restarts or filter hits the PWM was built from.
    stats : dict
        Source-specific numbers, JSON-serialisable (see each source's docstring).
    """

    name: str
    pwm: np.ndarray
    source: str
    arch: str
    n_sites: int = 0
    stats: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.pwm = np.asarray(self.pwm, dtype=np.float64)
        if self.pwm.ndim != 2 or self.pwm.shape[0] != 4 or self.pwm.shape[1] == 0:
            raise ValueError(
                f"motif {self.name}: pwm must have shape (4, length>0), got {self.pwm.shape}"
            )

    @property
    def length(self) -> int:
        return int(self.pwm.shape[1])

    @property
    def consensus(self) -> str:
        """The most probable base of each column."""
        return "".join("ACGT"[i] for i in self.pwm.argmax(axis=0))

    @property
    def information_content(self) -> float:
        """Total information content in bits."""
        return float(information_content(self.pwm).sum())

    def summary(self) -> dict:
        """A JSON-serialisable description (no matrix)."""
        return {
            "name": self.name,
            "source": self.source,
            "arch": self.arch,
            "length": self.length,
            "consensus": self.consensus,
            "information_content": round(self.information_content, 4),
            "n_sites": int(self.n_sites),
            **{k: v for k, v in self.stats.items()},
        }

    def __repr__(self) -> str:
        return f"ExtractedMotif({self.name} {self.consensus}, {self.n_sites} sites)"
