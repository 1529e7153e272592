"""Seqlet aggregation on planted words: both strands aligned, one cluster per word."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from deepmotif.data.encoding import one_hot
from deepmotif.errors import DeepMotifError, DeepMotifWarning
from deepmotif.motifs.from_saliency import call_seqlets, cluster_seqlets, correct_positives

_COMP = str.maketrans("ACGT", "TGCA")


def rc(s: str) -> str:
    return s.translate(_COMP)[::-1]


def _planted(rng, words_and_counts, length=60):
    seqs, rows = [], []
    for word, count in words_and_counts:
        for _ in range(count):
            s = list(rng.choice(list("ACGT"), size=length))
            at = int(rng.integers(5, length - len(word) - 5))
            site = word if rng.random() < 0.5 else rc(word)
            s[at : at + len(word)] = site
            rows.append((len(seqs), at - 2, at + len(word) + 2))
            seqs.append("".join(s))
    seqlets = pd.DataFrame(rows, columns=["example_idx", "start", "end"])
    return one_hot(seqs), seqlets


def test_two_words_on_both_strands_give_two_motifs():
    rng = np.random.default_rng(0)
    a, b = "GATTACAGG", "CCGTTTAAC"
    X, seqlets = _planted(rng, [(a, 120), (b, 80)])
    clusters = cluster_seqlets(X, seqlets, k=6, min_ic=1.0)
    assert [c["n_sites"] for c in clusters] == [120, 80]
    consensus = ["".join("ACGT"[i] for i in c["pwm"].argmax(axis=0)) for c in clusters]
    assert consensus[0] in (a, rc(a))
    assert consensus[1] in (b, rc(b))
    # every site of a word found, on the strand it was planted relative to the motif
    assert sorted(clusters[0]["members"]) == list(range(120))
    assert sorted(clusters[1]["members"]) == list(range(120, 200))


def test_too_few_sites_give_no_motif():
    rng = np.random.default_rng(1)
    X, seqlets = _planted(rng, [("GATTACAGG", 5)])
    assert cluster_seqlets(X, seqlets, min_sites=10) == []
    assert cluster_seqlets(X, seqlets.iloc[:0]) == []


def test_correct_positives_order_and_error():
    labels = np.array([1, 1, 0, 1, 0])
    scores = np.array([0.6, 0.4, 0.9, 0.95, 0.1])
    assert correct_positives(labels, scores).tolist() == [3, 0]
    assert correct_positives(labels, scores, max_sequences=1).tolist() == [3]
    with pytest.raises(
        DeepMotifError, match="no positive sequence is correctly classified .* among 3"
    ):
        correct_positives(labels, np.zeros(5))


def test_tfmodisco_failure_falls_back_to_recursive_seqlets():
    # all-positive attributions make tangermeme's tfmodisco_seqlets fail (no null values)
    rng = np.random.default_rng(0)
    attr = rng.random((20, 60)).astype("float32") * 0.1
    attr[:, 20:28] += 5.0
    with pytest.warns(DeepMotifWarning, match="using recursive_seqlets"):
        seqlets = call_seqlets(attr, method="tfmodisco")
    assert len(seqlets) > 0
    assert set(seqlets.columns) >= {"example_idx", "start", "end"}
    assert ((seqlets["start"] <= 27) & (seqlets["end"] >= 21)).all()
