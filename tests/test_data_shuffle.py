"""The dinucleotide shuffle: counts kept (counted here independently), ends kept, seeded."""

from __future__ import annotations

import random

import numpy as np
import pytest

from deepmotif.data.shuffle import dinucleotide_shuffle


def _dinucleotides(seq: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for i in range(len(seq) - 1):
        counts[seq[i : i + 2]] = counts.get(seq[i : i + 2], 0) + 1
    return counts


def _random_dna(n, length, rng, letters="ACGT"):
    return ["".join(rng.choice(letters) for _ in range(length)) for _ in range(n)]


def test_counts_and_ends_kept():
    rng = random.Random(1)
    seqs = _random_dna(50, 101, rng) + _random_dna(10, 37, rng)
    out = dinucleotide_shuffle(seqs, seed=5)
    assert [len(s) for s in out] == [len(s) for s in seqs]
    for before, after in zip(seqs, out):
        assert _dinucleotides(after) == _dinucleotides(before)
        assert after[0] == before[0] and after[-1] == before[-1]
    # A shuffle is a new arrangement for almost every random 101-mer.
    assert sum(a != b for a, b in zip(seqs[:50], out[:50])) >= 48


def test_n_is_a_letter_of_its_own():
    seqs = ["ACGTNNACGTTTGCANACGGTACN", "NNACGTACGATCGATCGTAGCTAGNN"]
    out = dinucleotide_shuffle(seqs, seed=0)
    for before, after in zip(seqs, out):
        assert _dinucleotides(after) == _dinucleotides(before)
        assert after.count("N") == before.count("N")


def test_seeded_and_independent_of_the_other_sequences():
    rng = random.Random(2)
    seqs = _random_dna(20, 60, rng)
    a = dinucleotide_shuffle(seqs, seed=11)
    assert dinucleotide_shuffle(seqs, seed=11) == a
    assert dinucleotide_shuffle(seqs, seed=12) != a
    # Sequence i uses seed + i: alone with seed 11 + 3 it is shuffled the same way.
    assert dinucleotide_shuffle([seqs[3]], seed=14) == [a[3]]
    # Mixed lengths are batched per length without changing any shuffle.
    mixed = dinucleotide_shuffle(seqs[:2] + ["ACGTACGTTTGA"] + seqs[2:], seed=11)
    assert mixed[0] == a[0] and mixed[1] == a[1]


def test_matches_tangermeme_called_directly():
    import torch
    from tangermeme.ersatz import dinucleotide_shuffle as tm_shuffle

    from deepmotif.data.encoding import decode, one_hot

    seqs = _random_dna(5, 40, random.Random(3))
    X = torch.from_numpy(one_hot(seqs))
    ref = decode(tm_shuffle(X, n=1, random_state=np.arange(9, 14), allow_N=True)[:, 0])
    assert dinucleotide_shuffle(seqs, seed=9) == ref


def test_short_sequences_returned_as_they_are():
    assert dinucleotide_shuffle(["A", "AC", ""], seed=0) == ["A", "AC", ""]


@pytest.mark.slow
def test_speed_on_foxa1_size(shared_data):
    import gzip
    import time

    path = next((shared_data / "deepbind_encode").glob("FOXA1_*_AC.seq.gz"))
    seqs = [line.split("\t")[2] for line in gzip.open(path, "rt").read().splitlines()[1:]]
    assert len(seqs) == 42614
    dinucleotide_shuffle(seqs[:10], seed=0)  # numba compiles on the first call
    t = time.perf_counter()
    out = dinucleotide_shuffle(seqs, seed=0)
    elapsed = time.perf_counter() - t
    assert len(out) == 42614
    assert elapsed < 10, f"shuffling 42 614 sequences took {elapsed:.1f} s"
