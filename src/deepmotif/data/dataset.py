"""The in-memory dataset every reader returns."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from deepmotif.data.encoding import one_hot


@dataclass
class SequenceDataset:
    """Labelled DNA sequences of one fixed length.

    Attributes
    ----------
    ids : list of str
        One id per sequence (generated negatives get ``<id>_shuf``).
    sequences : list of str
        Upper-case DNA over A, C, G, T, N, all of the same length.
    labels : numpy.ndarray of int8, shape (n,)
        1 = bound, 0 = not bound.
    coords : list of (chrom, start, end) or None
        Genomic source of each sequence where known (0-based, half-open); ``None`` entries for
        generated negatives.
    format : str
        The detected input format (``fasta``, ``deepbind``, ``zeng``, ``table``, ``peaks``, ...).
    path : str or None
        The file read.
    n_generated : int
        How many negatives were generated (dinucleotide shuffles or genomic background).
    n_resized : int
        How many sequences were centre-cropped or N-padded to ``length``.
    meta : dict
        Reader-specific provenance (shuffle seed, TF name, genome, ...), JSON-serialisable.
    """

    ids: list[str]
    sequences: list[str]
    labels: np.ndarray
    coords: list[tuple[str, int, int] | None] | None = None
    format: str = "unknown"
    path: str | None = None
    n_generated: int = 0
    n_resized: int = 0
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.labels = np.asarray(self.labels, dtype=np.int8)
        if not (len(self.ids) == len(self.sequences) == len(self.labels)):
            raise ValueError("ids, sequences and labels must have the same length")

    def __len__(self) -> int:
        return len(self.sequences)

    @property
    def length(self) -> int:
        """The common sequence length (0 for an empty dataset)."""
        return len(self.sequences[0]) if self.sequences else 0

    @property
    def n_positive(self) -> int:
        return int((self.labels == 1).sum())

    @property
    def n_negative(self) -> int:
        return int((self.labels == 0).sum())

    def one_hot(self, dtype=np.float32) -> np.ndarray:
        """The sequences as a one-hot array of shape (n, 4, length)."""
        return one_hot(self.sequences, dtype=dtype)

    def subset(self, index) -> SequenceDataset:
        """A new dataset holding the rows in ``index`` (array of ints or booleans)."""
        index = np.asarray(index)
        if index.dtype == bool:
            index = np.nonzero(index)[0]
        return SequenceDataset(
            ids=[self.ids[i] for i in index],
            sequences=[self.sequences[i] for i in index],
            labels=self.labels[index],
            coords=None if self.coords is None else [self.coords[i] for i in index],
            format=self.format,
            path=self.path,
            n_generated=0,
            n_resized=0,
            meta=dict(self.meta),
        )
