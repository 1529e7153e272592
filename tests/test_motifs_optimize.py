"""Class-optimisation motifs: restarts cut into informative stretches and merged when they agree."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from deepmotif.data.encoding import one_hot
from deepmotif.motifs.base import NoMotifFound
from deepmotif.motifs.from_optimization import (
    logit_gain,
    optimization_motifs,
    restart_pwms,
    untrained_twin,
)

_COMP = str.maketrans("ACGT", "TGCA")


def rc(s: str) -> str:
    return s.translate(_COMP)[::-1]


def _fake_result(plan, length=60, sharp=0.97):
    """Softmax-objective results with words planted: ``plan`` = [(word, position, strand,
    score), ...]; each restart's PWM is uniform except its word (``sharp`` on the base)."""
    inputs = np.full((len(plan), 4, length), 0.25)
    for r, (word, at, strand, _) in enumerate(plan):
        site = word if strand == "+" else rc(word)
        oh = one_hot(site)
        inputs[r, :, at : at + len(site)] = sharp * oh + (1 - sharp) / 3 * (1 - oh)
    scores = np.array([p[3] for p in plan], dtype=float)
    return SimpleNamespace(inputs=inputs, scores=scores, objective="softmax")


def test_restart_pwms_per_objective():
    from deepmotif.explain.optimize import clamp_normalise, paper_pwm

    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 4, 7))
    soft = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    res = SimpleNamespace(inputs=soft, scores=np.zeros(2), objective="softmax")
    np.testing.assert_allclose(restart_pwms(res), soft)
    res = SimpleNamespace(inputs=x, scores=np.zeros(2), objective="paper")
    np.testing.assert_allclose(restart_pwms(res), paper_pwm(x), rtol=1e-6)
    res = SimpleNamespace(inputs=x, scores=np.zeros(2), objective="logit")
    np.testing.assert_allclose(restart_pwms(res), clamp_normalise(x), rtol=1e-6)


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


def test_no_informative_column_is_no_motif_beyond_chance():
    plan = [("GATTACAGG", 10, "+", 3.0), ("CCGTTTAAC", 10, "+", 5.0)]
    with pytest.raises(NoMotifFound, match="no motif beyond chance"):
        optimization_motifs(None, arch="rnn", result=_fake_result(plan, sharp=0.3))


def test_untrained_twin_is_the_initialisation_training_starts_from(toy_model):
    from deepmotif.models import build_model

    model = toy_model("cnn", 3, filters=8)
    torch.manual_seed(11)
    ref = build_model("cnn", **model.config)
    state = torch.random.get_rng_state()
    twin = untrained_twin(model, 11)
    assert torch.equal(torch.random.get_rng_state(), state)  # the global RNG is untouched
    for (k, a), (_, b) in zip(ref.state_dict().items(), twin.state_dict().items()):
        assert torch.equal(a, b), k
    assert not twin.training


def test_logit_gain_against_random_sequences_by_hand(toy_model):
    model = toy_model("cnn", 0, filters=4)
    rng = np.random.default_rng(5)
    X = np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=(256, 30))].transpose(0, 2, 1)
    with torch.no_grad():
        median = float(np.median(model(torch.as_tensor(X)).numpy()))
    assert logit_gain(model, 2.5, 30, seed=5) == pytest.approx(2.5 - median, abs=1e-5)


def _silent(model):
    """``model`` with a zero output layer: its logit does not depend on its input."""
    with torch.no_grad():
        model.head.linear.weight.zero_()
    return model


@pytest.mark.parametrize("arch", ["cnn", "rnn"])
def test_models_without_signal_yield_no_optimization_motif(toy_model, arch):
    # the untrained network itself (it is its own null) and a network whose output is constant
    hp = {"filters": 16} if arch == "cnn" else {"hidden": 8}
    for model in (toy_model(arch, 0, **hp), _silent(toy_model(arch, 1, **hp))):
        with pytest.raises(NoMotifFound, match="no motif beyond chance"):
            optimization_motifs(model, length=24, n_restarts=4, steps=40, seed=0)


def test_a_model_with_signal_keeps_its_motif():
    from tests.test_explain_optimize import gata_model

    motifs = optimization_motifs(
        gata_model(), length=20, n_restarts=4, steps=100, min_length=4, seed=0,
        positives=one_hot(["TTGATATT" * 2 + "TTTT"]),
    )  # fmt: skip
    assert motifs and motifs[0].consensus == "GATA"
    st = motifs[0].stats
    assert st["gain"] > 3 * st["null_gain"] and st["gain"] > 1.0
    assert st["sequence_score"] == pytest.approx(7.5, abs=1e-4)
    assert st["best_positive_score"] == pytest.approx(7.5, abs=1e-4)
    assert st["objective"] == "softmax"


def test_temperature_reaches_the_model_and_its_null(monkeypatch):
    import deepmotif.explain as explain
    from tests.test_explain_optimize import gata_model

    real = explain.class_optimization
    seen = []

    def recording(model, **kw):
        seen.append((model, kw.get("temperature")))
        return real(model, **kw)

    monkeypatch.setattr(explain, "class_optimization", recording)
    model = gata_model()
    motifs = optimization_motifs(
        model, length=20, temperature=0.5, n_restarts=4, steps=60, min_length=4, seed=0
    )
    assert motifs  # the model, then its untrained twin, both at the given temperature
    assert [t for _, t in seen] == [0.5, 0.5] and seen[0][0] is model and seen[1][0] is not model
    own = real(model, length=20, temperature=0.5, n_restarts=4, steps=60, random_state=0)
    assert motifs[0].stats["sequence_score"] == pytest.approx(float(own.sequence_score), abs=1e-5)
