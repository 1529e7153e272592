"""Class-optimisation motifs: restarts cut into informative stretches and merged when they agree."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from deepmotif.data.encoding import one_hot
from deepmotif.motifs.from_optimization import optimization_motifs, restart_pwms

_COMP = str.maketrans("ACGT", "TGCA")


def rc(s: str) -> str:
    return s.translate(_COMP)[::-1]


def _fake_result(plan, length=60, scale=5.0):
    """Optimised inputs with words planted: ``plan`` = [(word, position, strand, score), ...]."""
    inputs = np.zeros((len(plan), 4, length))
    for r, (word, at, strand, _) in enumerate(plan):
        site = word if strand == "+" else rc(word)
        inputs[r, :, at : at + len(site)] = scale * (2 * one_hot(site) - 1)
    scores = np.array([p[3] for p in plan], dtype=float)
    return SimpleNamespace(inputs=inputs, scores=scores)


def test_restart_pwms_softmax():
    x = np.zeros((1, 4, 3))
    x[0, :, 0] = [2.0, 0.0, 0.0, 0.0]
    pwm = restart_pwms(x, temperature=1.0)
    e = np.exp(2.0)
    np.testing.assert_allclose(pwm[0, :, 0], [e / (e + 3), 1 / (e + 3), 1 / (e + 3), 1 / (e + 3)])
    np.testing.assert_allclose(pwm[0, :, 1], 0.25)
    np.testing.assert_allclose(pwm.sum(axis=1), 1.0)


def test_agreeing_restarts_are_merged_across_positions_and_strands():
    a, b = "GATTACAGG", "CCGTTTAAC"
    plan = [
        (a, 10, "+", 9.0),
        (a, 31, "-", 8.0),
        (a, 5, "+", 7.0),
        (a, 40, "-", 6.0),
        (b, 20, "+", 5.0),
        (b, 2, "-", 4.0),
        ("ACGTGC", 20, "+", 10.0),  # the best restart, but alone: not reported
    ]
    motifs = optimization_motifs(None, arch="cnn", result=_fake_result(plan), min_length=5)
    assert [m.name for m in motifs] == ["cnn-optimize-1", "cnn-optimize-2"]
    assert motifs[0].consensus in (a, rc(a)) and motifs[0].length == len(a)
    assert motifs[0].stats["support"] == 4 and motifs[0].n_sites == 4
    assert motifs[0].stats["best_score"] == 9.0 and motifs[0].stats["mean_score"] == pytest.approx(
        7.5
    )
    assert motifs[1].consensus in (b, rc(b)) and motifs[1].stats["support"] == 2
    assert all(m.source == "optimize" and m.arch == "cnn" for m in motifs)
    np.testing.assert_allclose(motifs[0].pwm.sum(axis=0), 1.0)


def test_no_agreement_reports_the_best_restart_alone():
    plan = [("GATTACAGG", 10, "+", 3.0), ("CCGTTTAAC", 10, "+", 5.0)]
    motifs = optimization_motifs(None, arch="rnn", result=_fake_result(plan), min_length=5)
    assert len(motifs) == 1
    assert motifs[0].consensus == "CCGTTTAAC" and motifs[0].stats["support"] == 1
