"""Train / validation / test splits that keep a positive and its shuffled negative together.

Rows are grouped by their id with the suffixes ``_shuf``, ``_flank`` and then ``_peak``
removed, so ``X`` and ``X_shuf`` (and DeepBind's ``seq_00002_peak`` / ``seq_00002_shuf``) always
land in the same split: a model never sees a shuffle in training whose positive is in test.
Groups are stratified by their labels (e.g. "pair of 1 and 0", "single 1") and drawn with a
seeded generator, so the split is reproducible and the class balance is the same in each part.
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from deepmotif.data.dataset import SequenceDataset
from deepmotif.data.readers._io import parse_coords
from deepmotif.errors import DeepMotifError, DeepMotifWarning

__all__ = ["Splits", "group_key", "make_splits"]

_SUFFIXES = ("_shuf", "_flank")


@dataclass
class Splits:
    """The three parts of a dataset and how they were made.

    Attributes
    ----------
    train, valid, test : SequenceDataset
        Disjoint parts (``valid`` may be empty when ``valid_fraction=0``).
    meta : dict
        JSON-serialisable description: method, seed, fractions, sizes, held-out chromosomes.
    """

    train: SequenceDataset
    valid: SequenceDataset
    test: SequenceDataset
    meta: dict = field(default_factory=dict)


def group_key(seq_id: str) -> str:
    """The id a row is grouped by: ``seq_00002_peak_shuf`` -> ``seq_00002``."""
    key = seq_id
    for suffix in _SUFFIXES:
        if key.endswith(suffix):
            key = key[: -len(suffix)]
            break
    if key.endswith("_peak"):
        key = key[: -len("_peak")]
    return key


def _groups(ds: SequenceDataset) -> tuple[list[str], list[list[int]]]:
    members: dict[str, list[int]] = defaultdict(list)
    for i, seq_id in enumerate(ds.ids):
        members[group_key(seq_id)].append(i)
    keys = list(members)
    return keys, [members[k] for k in keys]


def _check_fraction(name: str, value: float) -> float:
    if not isinstance(value, int | float) or not 0 <= value < 1:
        raise DeepMotifError(f"{name} must be a fraction in [0, 1), got {value!r}")
    return float(value)


def _allocate(strata: dict, n_take: int, rng: np.random.Generator) -> list[int]:
    """Draw ``n_take`` groups across strata in proportion to their sizes (largest remainder)."""
    total = sum(len(g) for g in strata.values())
    if total == 0 or n_take <= 0:
        return []
    names = sorted(strata)
    exact = np.array([len(strata[s]) * n_take / total for s in names])
    counts = np.floor(exact).astype(int)
    remainder = n_take - counts.sum()
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[:remainder]] += 1
    taken = []
    for s, k in zip(names, counts):
        groups = strata[s]
        pick = rng.permutation(len(groups))[:k]
        taken += [groups[j] for j in pick]
    return taken


def _strata(ds: SequenceDataset, groups: list[list[int]], index: list[int]) -> dict:
    strata: dict[tuple, list[int]] = defaultdict(list)
    for g in index:
        strata[tuple(sorted(int(ds.labels[i]) for i in groups[g]))].append(g)
    return strata


def _rows(groups: list[list[int]], chosen) -> np.ndarray:
    rows = [i for g in chosen for i in groups[g]]
    return np.array(sorted(rows), dtype=np.int64)


def _chrom_of_group(ds: SequenceDataset, key: str, members: list[int]) -> str | None:
    for i in members:
        c = ds.coords[i] if ds.coords is not None else None
        if c is not None:
            return c[0]
    c = parse_coords(key)
    return c[0] if c is not None else None


def make_splits(
    train: SequenceDataset,
    test: SequenceDataset | None = None,
    *,
    valid_fraction: float = 0.1,
    test_fraction: float = 0.1,
    seed: int = 0,
    holdout_chroms: list[str] | None = None,
) -> Splits:
    """Split a dataset into train / validation / test without pair leakage.

    Parameters
    ----------
    train : SequenceDataset
        The training file's dataset (with its generated negatives).
    test : SequenceDataset or None
        A separate test set, used as it is; then ``test_fraction`` is ignored.
    valid_fraction, test_fraction : float
        Fractions of ``train``'s groups (a positive with its shuffle is one group) to hold
        out for validation and test; both in [0, 1) with a sum below 1.
    seed : int
        Seed of the draw; the same seed gives the same split.
    holdout_chroms : list of str or None
        Put every row on these chromosomes in test instead of a random draw; needs
        coordinates (from the file, or ids like ``chr1:10-110``).

    Returns
    -------
    Splits
        ``train``, ``valid``, ``test`` datasets (rows in file order) and a ``meta`` dict.
    """
    valid_fraction = _check_fraction("valid_fraction", valid_fraction)
    test_fraction = _check_fraction("test_fraction", test_fraction)
    if test is None and holdout_chroms is None and valid_fraction + test_fraction >= 1:
        raise DeepMotifError(
            f"valid_fraction + test_fraction must be below 1, got "
            f"{valid_fraction} + {test_fraction}"
        )
    if test is not None and holdout_chroms:
        raise DeepMotifError("give either a test set or holdout_chroms, not both")
    rng = np.random.default_rng(seed)
    keys, groups = _groups(train)
    pool = list(range(len(groups)))
    meta: dict = {
        "seed": int(seed),
        "valid_fraction": valid_fraction,
        "grouped_by": "id without _shuf/_flank, then without _peak",
        "stratified_by": "labels of each group",
        "train_path": train.path,
    }

    if test is not None:
        shared = len(set(keys) & {group_key(i) for i in test.ids})
        meta.update(method="given test set", test_path=test.path, groups_shared_with_test=shared)
        if shared:
            warnings.warn(
                f"{shared} groups of {test.path or 'the test set'} share their source with "
                f"{train.path or 'the training set'} (a positive on one side, the negative "
                "shuffled from it on the other): the files were split that way",
                DeepMotifWarning,
                stacklevel=2,
            )
        test_ds = test
    elif holdout_chroms:
        held = {str(c) for c in holdout_chroms}
        chroms = [_chrom_of_group(train, keys[g], groups[g]) for g in pool]
        unknown = [keys[g] for g in pool if chroms[g] is None]
        if unknown:
            raise DeepMotifError(
                f"{train.path or 'the dataset'}: holdout_chroms needs coordinates, but "
                f"{len(unknown)} sequences have none (e.g. {unknown[0]!r}); use ids like "
                "'chr1:10-110' or a random test split"
            )
        test_groups = [g for g in pool if chroms[g] in held]
        if not test_groups:
            found = ", ".join(sorted({c for c in chroms if c is not None})[:10])
            raise DeepMotifError(
                f"no sequences on {', '.join(sorted(held))} to hold out (chromosomes found: "
                f"{found})"
            )
        meta.update(method="held-out chromosomes", holdout_chroms=sorted(held))
        test_ds = train.subset(_rows(groups, test_groups))
        pool = [g for g in pool if chroms[g] not in held]
    else:
        n_test = int(round(test_fraction * len(groups)))
        test_groups = _allocate(_strata(train, groups, pool), n_test, rng)
        meta.update(method="random", test_fraction=test_fraction)
        test_ds = train.subset(_rows(groups, test_groups))
        taken = set(test_groups)
        pool = [g for g in pool if g not in taken]

    n_valid = int(round(valid_fraction * len(groups)))
    n_valid = min(n_valid, max(len(pool) - 1, 0))
    valid_groups = _allocate(_strata(train, groups, pool), n_valid, rng)
    taken = set(valid_groups)
    train_groups = [g for g in pool if g not in taken]
    if not train_groups:
        raise DeepMotifError(f"{train.path or 'the dataset'}: nothing left to train on")
    train_ds = train.subset(_rows(groups, train_groups))
    valid_ds = train.subset(_rows(groups, valid_groups))
    meta.update(n_train=len(train_ds), n_valid=len(valid_ds), n_test=len(test_ds))
    return Splits(train=train_ds, valid=valid_ds, test=test_ds, meta=meta)
