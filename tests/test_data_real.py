"""Counts of every file in the real data folder, as README.md states them (skips if absent)."""

from __future__ import annotations

import pytest

from deepmotif.data import read_dataset
from deepmotif.data.inspect import inspect_dataset
from deepmotif.data.shuffle import shuffle_tool

# Training positives per experiment, from /work/shared/data/README.md.
AC_POSITIVES = {
    "ARID3A": 8526,
    "CTCFL": 11033,
    "ELK1": 5084,
    "FOXA1": 42614,
    "GABPA": 6066,
    "MYC": 4051,
    "REST": 6406,
    "SP1": 17748,
    "USF1": 21390,
    "ZBTB7A": 8689,
}
SLOW = {"FOXA1", "USF1", "SP1"}


def _one(folder, pattern):
    matches = sorted(folder.glob(pattern))
    assert len(matches) == 1, pattern
    return matches[0]


@pytest.mark.parametrize(
    "tf", [pytest.param(t, marks=pytest.mark.slow) if t in SLOW else t for t in AC_POSITIVES]
)
def test_deepbind_training_files(shared_data, tf):
    path = _one(shared_data / "deepbind_encode", f"{tf}_*_AC.seq.gz")
    s = inspect_dataset(read_dataset(path))
    n = AC_POSITIVES[tf]
    assert (s["n_positive"], s["n_negative"], s["n_generated"]) == (n, n, n)
    assert (s["length_min"], s["length_max"], s["n_resized"]) == (101, 101, 0)
    assert s["meta"]["shuffle_tool"] == shuffle_tool()


@pytest.mark.parametrize("tf", list(AC_POSITIVES))
def test_deepbind_test_files(shared_data, tf):
    path = _one(shared_data / "deepbind_encode", f"{tf}_*_B.seq.gz")
    s = inspect_dataset(read_dataset(path))
    assert (s["n_positive"], s["n_negative"], s["n_generated"]) == (500, 500, 0)


@pytest.mark.parametrize(("name", "pos", "neg"), [("train", 5905, 5983), ("test", 1495, 1497)])
def test_zeng_files(shared_data, name, pos, neg):
    path = shared_data / "zeng" / "wgEncodeAwgTfbsSydhK562CfosUniPk" / f"{name}.data"
    ds = read_dataset(path)
    s = inspect_dataset(ds)
    assert (s["n_positive"], s["n_negative"], s["n_generated"]) == (pos, neg, 0)
    # Positives carry coordinates from their ids; the _shuf negatives have none.
    labels = ds.labels.tolist()
    assert all((c is not None) == (y == 1) for c, y in zip(ds.coords, labels))
    first = labels.index(1)
    assert ds.coords[first][0].startswith("chr")
