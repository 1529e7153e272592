"""Reading labelled DNA: every format people bring, one in-memory dataset.

``read_dataset(path, ...)`` detects the format by extension and content and returns a
:class:`SequenceDataset`. See ``docs/data.md`` for the formats and the length policy.
"""

from __future__ import annotations

from deepmotif.data.dataset import SequenceDataset
from deepmotif.data.encoding import ALPHABET, decode, gc_content, one_hot, reverse_complement

__all__ = [
    "ALPHABET",
    "SequenceDataset",
    "decode",
    "gc_content",
    "one_hot",
    "read_dataset",
    "reverse_complement",
]


def read_dataset(path, **kwargs) -> SequenceDataset:
    """Read a labelled sequence file of any supported format (see :mod:`deepmotif.data.readers`)."""
    from deepmotif.data.readers import read_dataset as _read

    return _read(path, **kwargs)
