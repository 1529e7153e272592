"""deepmotif: train deep networks on transcription-factor binding sites and explain them.

The public API is imported lazily so that ``import deepmotif`` (and ``deepmotif --help``)
stays fast; torch is only imported when a model is built or loaded.
"""

from __future__ import annotations

from deepmotif.errors import DeepMotifError, DeepMotifWarning

__version__ = "0.1.0"

__all__ = [
    "DeepMotifError",
    "DeepMotifWarning",
    "__version__",
    "load_run",
    "read_dataset",
]


def __getattr__(name: str):
    if name == "load_run":
        from deepmotif.rundir import load_run

        return load_run
    if name == "read_dataset":
        from deepmotif.data import read_dataset

        return read_dataset
    raise AttributeError(f"module 'deepmotif' has no attribute {name!r}")
