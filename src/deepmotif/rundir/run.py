"""Reading a run directory: finished or not, its config, metrics, weights and test set.

The layout is in :mod:`deepmotif.rundir.layout`; every file is written through
:mod:`deepmotif.atomic`, so a crash never leaves a file half-written, and never a run that
looks finished.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import NamedTuple

import numpy as np

from deepmotif.errors import DeepMotifError
from deepmotif.rundir.layout import CONFIG, FINISHED_FILES, HISTORY, METRICS, TEST_TABLE, WEIGHTS
from deepmotif.rundir.schema import (
    HISTORY_COLUMNS,
    TEST_COLUMNS,
    check_config,
    check_metrics,
    check_table,
)

__all__ = [
    "LoadedRun",
    "load_run",
    "package_versions",
    "read_config",
    "read_history",
    "read_json",
    "read_metrics",
    "read_run_data",
    "run_is_finished",
    "sha256_file",
]


class LoadedRun(NamedTuple):
    """What :func:`load_run` returns: the model (eval mode, CPU) and its resolved config."""

    model: object
    config: dict


def sha256_file(path, chunk: int = 1 << 20) -> str:
    """The sha256 hex digest of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def package_versions() -> dict:
    """Versions of Python and the packages a run's results depend on."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in (
        "deepmotif",
        "torch",
        "numpy",
        "scikit-learn",
        "tangermeme",
        "pyjaspar",
        "memelite",
    ):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def run_is_finished(path) -> bool:
    """True when ``path`` holds a finished run (config, weights and metrics)."""
    p = Path(path)
    return all((p / f).is_file() for f in FINISHED_FILES)


def read_config(path) -> dict:
    """The resolved config of the run at ``path``, with a clear error when missing or broken."""
    p = Path(path)
    if not p.exists():
        raise DeepMotifError(f"{p}: no such run directory")
    if not p.is_dir():
        raise DeepMotifError(f"{p}: not a run directory (it is a file)")
    cfg = p / CONFIG
    if not cfg.is_file():
        raise DeepMotifError(f"{p}: not a run directory (no {CONFIG})")
    return check_config(read_json(cfg), cfg)


def read_json(path):
    """The JSON held by ``path``, with a one-line error naming the file when it is not JSON."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DeepMotifError(f"line {exc.lineno} of {path}: not valid JSON ({exc.msg})") from None
    except UnicodeDecodeError:
        raise DeepMotifError(f"{path}: not valid JSON (not UTF-8 text)") from None


def read_metrics(path) -> dict:
    """The metrics of a finished run, checked against :func:`~deepmotif.rundir.schema.check_metrics`."""
    p = Path(path) / METRICS
    if not p.is_file():
        raise DeepMotifError(
            f"{Path(path)}: the run is unfinished (no {METRICS}); resume it with "
            f"'deepmotif train ... --out {path} --resume'"
        )
    return check_metrics(read_json(p), p)


def read_history(path):
    """The run's ``history.csv`` (one row per epoch) as a DataFrame, checked."""
    import pandas as pd

    p = Path(path) / HISTORY
    if not p.is_file():
        raise DeepMotifError(f"{Path(path)}: no {HISTORY}")
    df = _read_table(p, ",")
    check_table(df, p, HISTORY_COLUMNS)
    return df.astype({"epoch": int}) if len(df) else pd.DataFrame(df)


def _read_table(path: Path, sep: str):
    import pandas as pd

    try:
        return pd.read_csv(path, sep=sep, dtype={"id": str, "sequence": str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DeepMotifError(f"{path}: not a readable table ({first})") from None


def load_run(path, *, device=None):
    """Load a finished run: the model in eval mode and its resolved config.

    Parameters
    ----------
    path : str or Path
        A run directory written by :func:`deepmotif.training.train`.
    device : str or None
        Where to put the model (default CPU).

    Returns
    -------
    LoadedRun
        ``(model, config)``.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    from deepmotif.models import LEGACY_MODEL_DEFAULTS, build_model

    config = read_config(path)
    read_metrics(path)  # refuses unfinished runs
    weights = Path(path) / WEIGHTS
    if not weights.is_file():
        raise DeepMotifError(f"{Path(path)}: no {WEIGHTS} in the run directory")
    # a run written before a model setting existed was built without it
    legacy = LEGACY_MODEL_DEFAULTS.get(config["arch"], {})
    try:
        model = build_model(config["arch"], **{**legacy, **config["model"]})
    except DeepMotifError as exc:
        raise DeepMotifError(f"{Path(path) / CONFIG}: {exc}") from None
    try:
        state = load_file(str(weights))
    except (SafetensorError, OSError, ValueError) as exc:
        raise DeepMotifError(f"{weights}: not a readable safetensors file ({exc})") from exc
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).splitlines()[1].strip() if "\n" in str(exc) else str(exc)
        raise DeepMotifError(
            f"{weights}: the weights do not fit the run's config ({first})"
        ) from exc
    model.eval()
    if device is not None:
        from deepmotif._device import resolve_device

        model.to(resolve_device(device))
    return LoadedRun(model, config)


def read_run_data(path):
    """The run's own test set (with predicted probabilities in ``meta['scores']``)."""

    from deepmotif.data.dataset import SequenceDataset

    table = Path(path) / TEST_TABLE
    if not table.is_file():
        raise DeepMotifError(f"{Path(path)}: no {TEST_TABLE} (the run holds no test data)")
    df = _read_table(table, "\t")
    check_table(df, table, TEST_COLUMNS)
    lengths = df["sequence"].str.len()
    if len(df) and (lengths != lengths.iloc[0]).any():
        row = int((lengths != lengths.iloc[0]).to_numpy().argmax())
        raise DeepMotifError(
            f"line {row + 2} of {table}: a sequence of {lengths.iloc[row]} bp among sequences "
            f"of {lengths.iloc[0]} bp"
        )
    ds = SequenceDataset(
        ids=df["id"].tolist(),
        sequences=df["sequence"].tolist(),
        labels=df["label"].to_numpy(dtype=np.int64),
        format="run-test",
        path=str(table),
    )
    ds.meta["scores"] = df["score"].to_numpy(dtype=np.float32)
    return ds
