"""Splits: sizes, stratification, no positive/shuffle leakage, seeded, held-out chromosomes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from deepmotif.data.dataset import SequenceDataset
from deepmotif.data.splits import group_key, make_splits
from deepmotif.errors import DeepMotifError, DeepMotifWarning


def _paired(n_pairs=100, with_coords=False):
    ids = [f"chr{1 + i % 5}:{i * 100}-{i * 100 + 20}" for i in range(n_pairs)]
    ids = ids + [f"{i}_shuf" for i in ids]
    coords = None
    if with_coords:
        coords = [(f"chr{1 + i % 5}", i * 100, i * 100 + 20) for i in range(n_pairs)]
        coords += [None] * n_pairs
    labels = [1] * n_pairs + [0] * n_pairs
    return SequenceDataset(ids, ["ACGTACGTAC"] * (2 * n_pairs), labels, coords=coords)


def _keys(ds):
    return {group_key(i) for i in ds.ids}


def test_group_key():
    assert group_key("seq_00002_peak") == group_key("seq_00002_shuf") == "seq_00002"
    assert group_key("seq_00002_peak_shuf") == "seq_00002"
    assert group_key("chr1:5-25_shuf") == "chr1:5-25"
    assert group_key("p3_flank") == "p3"


def test_sizes_no_leakage_and_balance():
    ds = _paired(100)
    s = make_splits(ds, valid_fraction=0.1, test_fraction=0.2, seed=0)
    assert (len(s.train), len(s.valid), len(s.test)) == (140, 20, 40)
    for part in (s.train, s.valid, s.test):
        assert part.n_positive == part.n_negative  # pairs stay whole
    k = [_keys(p) for p in (s.train, s.valid, s.test)]
    assert not (k[0] & k[1]) and not (k[0] & k[2]) and not (k[1] & k[2])
    assert sorted(s.train.ids + s.valid.ids + s.test.ids) == sorted(ds.ids)
    json.dumps(s.meta)
    assert s.meta["method"] == "random" and s.meta["n_test"] == 40


def test_seeded():
    ds = _paired(60)
    a, b = make_splits(ds, seed=4), make_splits(ds, seed=4)
    assert a.test.ids == b.test.ids and a.valid.ids == b.valid.ids
    assert make_splits(ds, seed=5).test.ids != a.test.ids


def test_stratified_with_unpaired_rows():
    # 40 pairs, 40 lone positives, 20 lone negatives: each kind split 10 % / 10 %.
    ids = [f"p{i}" for i in range(40)] + [f"p{i}_shuf" for i in range(40)]
    ids += [f"q{i}" for i in range(40)] + [f"r{i}" for i in range(20)]
    labels = [1] * 40 + [0] * 40 + [1] * 40 + [0] * 20
    ds = SequenceDataset(ids, ["ACGTACGTAC"] * len(ids), labels)
    s = make_splits(ds, seed=1)
    ids_test = s.test.ids
    assert sum(i.startswith("p") and not i.endswith("_shuf") for i in ids_test) == 4
    assert sum(i.startswith("q") for i in ids_test) == 4
    assert sum(i.startswith("r") for i in ids_test) == 2


def test_given_test_set_used_as_is():
    ds, test = _paired(50), _paired(10)
    test.ids = [f"t{i}" for i in test.ids]  # distinct sources from training
    s = make_splits(ds, test, valid_fraction=0.2)
    assert s.test is test
    assert (len(s.train), len(s.valid)) == (80, 20)
    assert s.meta["method"] == "given test set"
    assert s.meta["groups_shared_with_test"] == 0


def test_given_test_set_sharing_sources_warns():
    train = SequenceDataset(["a", "b_shuf", "c", "c_shuf"], ["ACGTACGTAC"] * 4, [1, 0, 1, 0])
    test = SequenceDataset(["a_shuf", "b"], ["ACGTACGTAC"] * 2, [0, 1])
    with pytest.warns(DeepMotifWarning, match="2 groups of .* share their source"):
        s = make_splits(train, test, valid_fraction=0)
    assert s.meta["groups_shared_with_test"] == 2


def test_holdout_chroms():
    ds = _paired(100, with_coords=True)
    s = make_splits(ds, holdout_chroms=["chr2"], valid_fraction=0.1)
    assert len(s.test) == 40  # 20 pairs on chr2, negatives follow their positives
    assert {group_key(i).split(":")[0] for i in s.test.ids} == {"chr2"}
    assert "chr2" not in {group_key(i).split(":")[0] for i in s.train.ids + s.valid.ids}
    assert len(s.valid) == 20


def test_holdout_chroms_needs_coordinates():
    ds = SequenceDataset(["a", "a_shuf"], ["ACGTACGTAC"] * 2, [1, 0])
    with pytest.raises(DeepMotifError, match="holdout_chroms needs coordinates"):
        make_splits(ds, holdout_chroms=["chr8"])
    with pytest.raises(DeepMotifError, match="no sequences on chr9"):
        make_splits(_paired(10, with_coords=True), holdout_chroms=["chr9"])


def test_bad_fractions():
    with pytest.raises(DeepMotifError, match="valid_fraction"):
        make_splits(_paired(10), valid_fraction=1.5)
    with pytest.raises(DeepMotifError, match="below 1"):
        make_splits(_paired(10), valid_fraction=0.5, test_fraction=0.5)


def test_rows_keep_file_order():
    s = make_splits(_paired(30), seed=2)
    order = {i: k for k, i in enumerate(_paired(30).ids)}
    for part in (s.train, s.valid, s.test):
        assert np.all(np.diff([order[i] for i in part.ids]) > 0)
