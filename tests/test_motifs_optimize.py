"""Class-optimisation motifs: restarts cut into informative stretches and merged when they agree."""

from __future__ import annotations

import contextlib
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


def test_stats_record_how_the_model_saw_the_inputs():
    """A kept motif's stats carry the result's draws and temperature (1 and 0 draws for a
    result that does not say, e.g. one made before they were recorded)."""
    plan = [("GATTACAGG", 10, "+", 9.0), ("GATTACAGG", 31, "-", 8.0)]
    res = _fake_result(plan)
    (m,) = optimization_motifs(None, arch="rnn", result=res, min_length=5)
    assert (m.stats["samples"], m.stats["temperature"]) == (0, 1.0)
    res.samples, res.temperature = 2, 0.5
    (m,) = optimization_motifs(None, arch="rnn", result=res, min_length=5)
    assert (m.stats["samples"], m.stats["temperature"]) == (2, 0.5)


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


def test_no_agreement_is_no_motif():
    """A stretch that one restart alone found is not reported, however informative."""
    plan = [("GATTACAGG", 10, "+", 3.0), ("CCGTTTAAC", 10, "+", 5.0)]
    with pytest.raises(NoMotifFound, match="shared by 2 of the 2 restarts"):
        optimization_motifs(None, arch="rnn", result=_fake_result(plan), min_length=5)
    plan.append(("CCGTTTAAC", 30, "-", 1.0))  # a second restart agrees on the weaker-scored word
    motifs = optimization_motifs(None, arch="rnn", result=_fake_result(plan), min_length=5)
    assert len(motifs) == 1
    assert motifs[0].consensus in ("CCGTTTAAC", rc("CCGTTTAAC"))
    assert motifs[0].stats["support"] == 2


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


def test_a_gain_of_less_than_two_logits_is_no_motif(monkeypatch, toy_model):
    """The floor of the logit gain: 2 logits, whatever the untrained twin gains (a label-shuffled
    CNN-RNN gained 1.03; docs/motifs.md)."""
    import deepmotif.motifs.from_optimization as fo

    model = toy_model("cnn", 0, filters=16)
    gains = iter([1.9, 0.01])  # the model's, then its untrained twin's
    monkeypatch.setattr(fo, "logit_gain", lambda *a, **k: next(gains))
    with pytest.raises(NoMotifFound, match=r"gains 1\.9 logits .* no more than 2 "):
        fo.optimization_motifs(model, length=24, n_restarts=4, steps=10, seed=0)


def test_the_gain_floor_is_eight_logits_on_one_hot_draws(monkeypatch, toy_model):
    """Scored on one-hot draws (a CNN-RNN's default) the floor is 8 logits: a gain of 5 keeps
    no motif there (label-shuffled CNN-RNNs gained up to 4.1 on draws), and an explicit
    ``min_gain`` still decides."""
    import deepmotif.motifs.from_optimization as fo

    assert fo.MIN_GAIN == {"distributions": 2.0, "draws": 8.0}
    model = toy_model("cnn-rnn", 0, filters=8, hidden=4)
    monkeypatch.setattr(fo, "logit_gain", lambda m, *a, **k: 0.01 if m is not model else 5.0)
    kw = dict(length=24, n_restarts=4, steps=10, seed=0)
    with pytest.raises(NoMotifFound, match=r"gains 5 logits .* no more than 8 "):
        fo.optimization_motifs(model, **kw)
    with pytest.raises(NoMotifFound, match=r"gains 5 logits .* no more than 8 "):
        fo.optimization_motifs(model, samples=2, **kw)
    try:  # past the floor: a motif, or a later check's reason, not the gain
        fo.optimization_motifs(model, samples=1, min_gain=4.0, **kw)
    except NoMotifFound as exc:
        assert "gains 5 logits" not in str(exc)


def test_a_model_with_signal_keeps_its_motif():
    from tests.test_explain_optimize import gata_model

    motifs = optimization_motifs(
        gata_model(), length=20, n_restarts=4, steps=100, min_length=4, seed=0,
        positives=one_hot(["TTGATATT" * 2 + "TTTT"]),
    )  # fmt: skip
    assert motifs and motifs[0].consensus == "GATA"
    st = motifs[0].stats
    assert st["gain"] > 3 * st["null_gain"] and st["gain"] > 2.0
    assert st["sequence_score"] == pytest.approx(7.5, abs=1e-4)
    assert st["best_positive_score"] == pytest.approx(7.5, abs=1e-4)
    assert st["objective"] == "softmax" and st["samples"] == 0


def test_temperature_window_and_l2_reach_the_model_and_its_null(monkeypatch):
    import deepmotif.explain as explain
    from tests.test_explain_optimize import gata_model

    real = explain.class_optimization
    seen = []

    def recording(model, **kw):
        seen.append((model, kw.get("temperature"), kw.get("window"), kw.get("start_std")))
        return real(model, **kw)

    monkeypatch.setattr(explain, "class_optimization", recording)
    model = gata_model()
    motifs = optimization_motifs(  # the earlier standard-normal start (this toy's tested case)
        model, length=20, temperature=0.5, n_restarts=4, steps=60, min_length=4, seed=0,
        start_std=1.0,
    )  # fmt: skip
    assert motifs  # the model, then its untrained twin, both at the given temperature
    assert (
        [t for _, t, _, _ in seen] == [0.5, 0.5] and seen[0][0] is model and seen[1][0] is not model
    )
    own = real(model, length=20, temperature=0.5, n_restarts=4, steps=60, random_state=0,
               start_std=1.0)  # fmt: skip
    assert motifs[0].stats["sequence_score"] == pytest.approx(float(own.sequence_score), abs=1e-5)
    # a window too: both optimisations free only positions 4..15, and the motif comes from there
    seen.clear()
    motifs = optimization_motifs(  # 8 restarts: two of them must agree
        model, length=20, window=(4, 16), temperature=0.5, n_restarts=8, steps=60, min_length=4,
        seed=0, start_std=1.0,
    )  # fmt: skip
    assert [w for _, _, w, _ in seen] == [(4, 16), (4, 16)]
    assert [std for _, _, _, std in seen] == [1.0, 1.0]
    own = real(model, length=20, window=(4, 16), temperature=0.5, n_restarts=8, steps=60,
               random_state=0, start_std=1.0)  # fmt: skip
    assert own.sequence.startswith("NNNN") and own.sequence.endswith("NNNN")
    assert motifs[0].stats["sequence_score"] == pytest.approx(float(own.sequence_score), abs=1e-5)
    assert motifs[0].consensus == "GATA"
    # and a wider start reaches both
    seen.clear()
    optimization_motifs(
        model, length=20, start_std=2.0, n_restarts=4, steps=60, min_length=4, seed=0
    )
    assert [kw for _, _, _, kw in seen] == [2.0, 2.0]
    # and one-hot draws (whether or not two of the four restarts then agree)
    seen.clear()
    monkeypatch.setattr(
        explain, "class_optimization", lambda model, **kw: seen.append(kw) or real(model, **kw)
    )
    with contextlib.suppress(NoMotifFound):
        optimization_motifs(model, length=20, samples=1, n_restarts=4, steps=30, seed=0)
    assert [kw["samples"] for kw in seen] == [1, 1]
    # and an L2 penalty
    seen.clear()
    with contextlib.suppress(NoMotifFound):
        optimization_motifs(model, length=20, l2=0.05, n_restarts=4, steps=30, seed=0)
    assert [kw["l2"] for kw in seen] == [0.05, 0.05]


class _Linear(torch.nn.Module):
    """logit = sum over bases and positions of W * X: a model whose dependence on each column
    is known by hand."""

    def __init__(self, weight):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.as_tensor(weight, dtype=torch.float32))

    def forward(self, x):
        return (x * self.weight).sum(dim=(1, 2))


def test_column_importance_matches_the_hand_computed_linear_model_and_the_naive_loop():
    from deepmotif.motifs.from_optimization import column_importance

    rng = np.random.default_rng(0)
    W = rng.normal(size=(4, 13))
    P = rng.dirichlet(np.ones(4), size=(3, 13)).transpose(0, 2, 1)  # (3, 4, 13)
    model = _Linear(W)
    got = column_importance(model, P, batch_size=5)  # several batches per restart
    # by hand: replacing column i by 0.25 removes sum_b W[b, i] * (P[b, i] - 0.25)
    np.testing.assert_allclose(got, ((P - 0.25) * W[None]).sum(axis=1), atol=1e-5)
    # the naive loop: one variant at a time
    naive = np.zeros((3, 13))
    with torch.no_grad():
        for r in range(3):
            full = float(model(torch.tensor(P[r][None], dtype=torch.float32)))
            for i in range(13):
                v = P[r].copy()
                v[:, i] = 0.25
                naive[r, i] = full - float(model(torch.tensor(v[None], dtype=torch.float32)))
    np.testing.assert_allclose(got, naive, atol=1e-5)
    np.testing.assert_allclose(column_importance(model, P[0]), got[:1], atol=1e-6)  # one PWM


def test_a_long_sharp_stretch_is_cut_around_the_columns_the_model_uses():
    """``importance=True``: sharp optimised inputs (a low temperature) are informative beyond
    the motif. Every restart here is sharp over columns 18-50 (33 columns, longer than
    ``max_length`` 25); the model depends on the word at 40-48 only. Cut by information content
    (the default; all columns alike), the window is the run's first 25 columns and splits the
    word; cut by the model's column importance, the window holds the whole word."""
    from deepmotif.motifs.pwm import informative_segments

    word, L, n = "GATTACAGG", 60, 4
    seq = "".join(np.random.default_rng(1).choice(list("ACGT"), size=L))
    oh = one_hot(seq[:40] + word + seq[49:])
    sharp = np.full(L, 0.25)
    sharp[18:51] = 0.97
    pwm = np.where(sharp[None] > 0.25, sharp * oh + (1 - sharp) / 3 * (1 - oh), 0.25)
    assert informative_segments(pwm, 0.5)[0] == (18, 43)  # by IC: the word is cut at 43
    W = np.zeros((4, L))
    W[:, 40:49] = 3.0 * one_hot(word) - 1.0
    result = SimpleNamespace(
        inputs=np.repeat(pwm[None], n, axis=0), scores=np.arange(n, 0, -1.0), objective="softmax"
    )
    model = _Linear(W)
    plain = optimization_motifs(model, arch="cnn", result=result, null=False)
    assert not any(word in m.consensus for m in plain)
    cut = optimization_motifs(model, arch="cnn", result=result, null=False, importance=True)
    assert cut[0].length == 25 and word in cut[0].consensus and cut[0].stats["support"] == n
