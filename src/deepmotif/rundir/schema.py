"""What each run file must hold: one schema per file, checked by type and range when read.

A small hand-written checker (no schema library): each ``check_*`` function takes what was
parsed from one file and raises :class:`~deepmotif.errors.DeepMotifError` with one line naming
the file and the field (``RUN/config.json: 'model' must be an object of model settings, got
[1, 2]``). Hand-edited or corrupt files therefore stop a command with that line, never with a
``TypeError`` deep inside it.

========================  =================================================================
file                      schema
========================  =================================================================
``config.json``           object; ``arch`` one of the architectures; ``model`` an object
                          whose settings :func:`deepmotif.models.build.resolve_model_config`
                          accepts (types and ranges); ``data`` an object whose ``length``,
                          when present, is a whole number >= 1; ``training`` an object
``metrics.json``          object; ``test`` and ``valid`` objects (or null) whose ``auroc``,
                          ``auprc``, ``accuracy`` are numbers in [0, 1] or null and ``n``,
                          ``n_positive``, ``n_negative`` whole numbers >= 0; ``best_epoch``
                          and ``epochs_run`` whole numbers >= 0
``history.csv``           columns ``epoch, train_loss, valid_auroc``; epochs whole numbers
``test.tsv``              columns ``id, sequence, label, score``; every row complete; labels
                          0 or 1; scores numbers in [0, 1]
========================  =================================================================
"""

from __future__ import annotations

import math

from deepmotif.archs import ARCHS
from deepmotif.errors import DeepMotifError

__all__ = [
    "HISTORY_COLUMNS",
    "TEST_COLUMNS",
    "check_config",
    "check_metrics",
    "check_table",
]

TEST_COLUMNS = ("id", "sequence", "label", "score")
HISTORY_COLUMNS = ("epoch", "train_loss", "valid_auroc")


def _shown(value) -> str:
    if hasattr(value, "item") and getattr(value, "shape", None) == ():
        value = value.item()  # numpy scalars read from a table
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _fail(path, field: str, expected: str, value) -> None:
    raise DeepMotifError(f"{path}: {field!r} must be {expected}, got {_shown(value)}")


def check_config(config, path) -> dict:
    """``config`` (parsed ``config.json``) when it fits the schema; else one-line error."""
    from deepmotif.models.build import resolve_model_config

    if not isinstance(config, dict):
        raise DeepMotifError(f"{path}: expected a JSON object, got {type(config).__name__}")
    if "arch" not in config or "model" not in config:
        raise DeepMotifError(f"{path}: expected the keys 'arch' and 'model'")
    if "data" not in config:
        raise DeepMotifError(f"{path}: no 'data' (not a config written by deepmotif train)")
    if config["arch"] not in ARCHS:
        _fail(path, "arch", f"one of {', '.join(ARCHS)}", config["arch"])
    if not isinstance(config["model"], dict):
        _fail(path, "model", "an object of model settings", config["model"])
    try:
        resolve_model_config(config["arch"], config["model"])
    except DeepMotifError as exc:
        raise DeepMotifError(f"{path}: {exc}") from None
    data = config["data"]
    if not isinstance(data, dict):
        _fail(path, "data", "an object describing the data", data)
    length = data.get("length")
    if length is not None and not (_is_int(length) and length >= 1):
        _fail(path, "data.length", "a whole number of at least 1", length)
    for split in ("train", "test"):  # where the data came from (the dashboard shows it)
        part = data.get(split)
        if part is None:
            continue
        if not isinstance(part, dict):
            _fail(path, f"data.{split}", "an object describing a data file", part)
        if part.get("meta") is not None and not isinstance(part["meta"], dict):
            _fail(path, f"data.{split}.meta", "an object", part["meta"])
        if part.get("path") is not None and not isinstance(part["path"], str):
            _fail(path, f"data.{split}.path", "a string", part["path"])
    if "training" in config and not isinstance(config["training"], dict):
        _fail(path, "training", "an object of training settings", config["training"])
    return config


def check_metrics(metrics, path) -> dict:
    """``metrics`` (parsed ``metrics.json``) when it fits the schema; else one-line error."""
    if not isinstance(metrics, dict):
        raise DeepMotifError(f"{path}: expected a JSON object, got {type(metrics).__name__}")
    for split in ("test", "valid"):
        block = metrics.get(split)
        if block is None:
            continue
        if not isinstance(block, dict):
            _fail(path, split, "an object of metrics", block)
        for key in ("auroc", "auprc", "accuracy"):
            v = block.get(key)
            if v is not None and not (_is_number(v) and 0 <= v <= 1):
                _fail(path, f"{split}.{key}", "a number in [0, 1] or null", v)
        for key in ("n", "n_positive", "n_negative"):
            v = block.get(key)
            if v is not None and not (_is_int(v) and v >= 0):
                _fail(path, f"{split}.{key}", "a whole number of at least 0", v)
    for key in ("best_epoch", "epochs_run"):
        v = metrics.get(key)
        if v is not None and not (_is_int(v) and v >= 0):
            _fail(path, key, "a whole number of at least 0", v)
    return metrics


def check_table(df, path, columns) -> None:
    """A table read from ``path`` holds ``columns`` and no incomplete row; else one line.

    For ``test.tsv`` (:data:`TEST_COLUMNS`) the labels must be 0/1 and the scores numbers in
    [0, 1]; for ``history.csv`` (:data:`HISTORY_COLUMNS`) the epochs whole numbers.
    """
    import numpy as np
    import pandas as pd

    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DeepMotifError(
            f"{path}: no column {missing[0]!r} (expected the columns {', '.join(columns)})"
        )
    blank = df[list(columns)].isna().any(axis=1).to_numpy()
    if blank.any():
        row = int(np.argmax(blank))
        col = next(c for c in columns if pd.isna(df[c].iloc[row]))
        raise DeepMotifError(f"line {row + 2} of {path}: no value in column {col!r}")
    numeric = {"label": "0 or 1", "score": "a number in [0, 1]", "epoch": "a whole number"}
    for col in columns:
        if col not in numeric:
            continue
        values = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)
        if col == "label":
            bad = ~np.isin(values, (0, 1))
        elif col == "score":
            bad = ~((values >= 0) & (values <= 1))
        else:
            bad = ~(np.isfinite(values) & (values == np.round(values)))
        if bad.any():
            row = int(np.argmax(bad))
            raise DeepMotifError(
                f"line {row + 2} of {path}: column {col!r} must be {numeric[col]}, "
                f"got {_shown(df[col].iloc[row])}"
            )
