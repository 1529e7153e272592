"""Class optimization: a hand-set toy model, batching, windows, PWMs, and a planted motif (slow)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from deepmotif.data.encoding import one_hot
from deepmotif.errors import DeepMotifError
from deepmotif.explain import class_optimization
from deepmotif.explain.optimize import clamp_normalise, softmax_pwm
from deepmotif.models import build_model

MOTIF = "GATA"


def gata_model():
    """A CNN whose one filter scores +1 per matching base of GATA and -1 per mismatch."""
    model = build_model("cnn", widths=[4], filters=1, dropout=0.0).eval()
    with torch.no_grad():
        w = torch.as_tensor(2 * one_hot(MOTIF) - 1)  # (4, 4): +1 where the base matches
        model.trunk.convs[0].weight.copy_(w[None])
        model.trunk.convs[0].bias.fill_(3.0)  # > 0 at the random starts: no dead ReLU
        model.head.linear.weight.fill_(1.5)
        model.head.linear.bias.fill_(-3.0)
    return model


def positives(n: int, length: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    seqs = []
    for _ in range(n):
        s = list(rng.choice(list("ACGT"), length))
        at = rng.integers(0, length - len(MOTIF) + 1)
        s[at : at + len(MOTIF)] = MOTIF
        seqs.append("".join(s))
    return one_hot(seqs)


def test_toy_model_optimised_input_beats_every_positive():
    model = gata_model()
    X = positives(200, 20, seed=0)
    with torch.no_grad():
        best_positive = model(torch.as_tensor(X)).max().item()
    assert best_positive == pytest.approx(1.5 * 7 - 3.0)  # a perfect match: 4 + 3, times 1.5, - 3
    res = class_optimization(
        model, length=20, n_restarts=4, steps=300, random_state=0, device="cpu"
    )
    assert res.scores.shape == (4,) and res.inputs.shape == (4, 4, 20)
    assert res.scores.min() > best_positive
    assert res.best == int(np.argmax(res.scores))
    # the PWM spells GATA where the optimised input scores best
    best = torch.as_tensor(res.inputs[res.best])[None]
    with torch.no_grad():
        at = int(model.trunk.convs(best)[0, 0].argmax()) - 2  # padding 2: output j covers j-2..j+1
    assert "".join("ACGT"[i] for i in res.pwm[:, at : at + 4].argmax(0)) == MOTIF
    np.testing.assert_allclose(res.pwm.sum(0), 1, atol=1e-6)
    np.testing.assert_allclose(res.pwm_softmax.sum(0), 1, atol=1e-6)


def test_deterministic_under_seed_and_batched_equals_one_at_a_time(toy_model):
    model = toy_model("cnn", 0, filters=8)
    a = class_optimization(model, length=15, n_restarts=3, steps=40, random_state=7, device="cpu")
    b = class_optimization(
        model, length=15, n_restarts=3, steps=40, random_state=7, device="cpu", batch_size=1
    )
    c = class_optimization(model, length=15, n_restarts=3, steps=40, random_state=8, device="cpu")
    np.testing.assert_allclose(a.inputs, b.inputs, rtol=1e-4, atol=1e-5)
    assert not np.allclose(a.inputs, c.inputs)
    # each restart alone, from the same start (the start is drawn for all restarts at once)
    gen = torch.Generator().manual_seed(7)
    u = torch.rand((3, 4, 15), generator=gen)
    starts = (u / u.sum(1, keepdim=True)).numpy()
    for i in range(3):
        alone = class_optimization(model, starts[i], n_restarts=1, steps=40, device="cpu")
        np.testing.assert_allclose(alone.inputs[0], a.inputs[i], rtol=1e-4, atol=1e-5)


def test_recurrent_model_improves_and_is_untouched(toy_model):
    model = toy_model("cnn-rnn", 1, filters=16, hidden=8)
    model.train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    res = class_optimization(
        model, length=12, n_restarts=2, steps=30, start="uniform", device="cpu"
    )
    with torch.no_grad():
        model.eval()
        start_score = model(torch.full((1, 4, 12), 0.25)).item()
        model.train()
    assert res.scores.min() > start_score
    np.testing.assert_allclose(res.inputs[0], res.inputs[1])  # uniform start: one path
    assert model.training
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert all(p.grad is None for p in model.parameters())


def test_window_keeps_the_rest_at_zero():
    model = gata_model()
    res = class_optimization(
        model, length=20, n_restarts=2, steps=100, window=(5, 11), random_state=1, device="cpu"
    )
    assert np.all(res.inputs[:, :, :5] == 0) and np.all(res.inputs[:, :, 11:] == 0)
    assert np.any(res.inputs[:, :, 5:11] != 0)
    np.testing.assert_allclose(res.pwm[:, :5], 0.25)
    np.testing.assert_allclose(res.pwm_softmax[:, 11:], 0.25)
    assert res.scores.min() > 1.5 * 7 - 3.0  # beats a perfect one-hot match from inside the window


def test_pwm_conversions_by_hand():
    x = np.array([[2.0, -1.0, 0.0], [2.0, -2.0, 0.0], [-1.0, -1.0, 0.0], [0.0, -3.0, np.log(3.0)]])
    np.testing.assert_allclose(
        clamp_normalise(x), [[0.5, 0.25, 0.0], [0.5, 0.25, 0.0], [0.0, 0.25, 0.0], [0.0, 0.25, 1.0]]
    )
    np.testing.assert_allclose(softmax_pwm(x)[:, 2], [1 / 6, 1 / 6, 1 / 6, 3 / 6], rtol=1e-6)


def test_bad_arguments():
    model = gata_model()
    with pytest.raises(DeepMotifError, match="X .*or length"):
        class_optimization(model)
    with pytest.raises(DeepMotifError, match="window"):
        class_optimization(model, length=10, window=(4, 12))
    with pytest.raises(DeepMotifError, match="start must be"):
        class_optimization(model, length=10, start="zeros")
    with pytest.raises(DeepMotifError, match="expected 1 or n_restarts"):
        class_optimization(model, np.zeros((3, 4, 10)), n_restarts=2)


def best_alignment_correlation(pwm: np.ndarray, motif: np.ndarray) -> float:
    """Highest Pearson correlation of ``motif`` with any window of ``pwm``, either strand."""
    m = motif.shape[1]
    best = -1.0
    for candidate in (motif, motif[::-1, ::-1]):
        for o in range(pwm.shape[1] - m + 1):
            best = max(best, float(np.corrcoef(pwm[:, o : o + m].ravel(), candidate.ravel())[0, 1]))
    return best


@pytest.mark.slow
def test_planted_motif_is_recovered(tmp_path, simulated):
    """Train a CNN on simulated data with CTCF planted; the PWM must contain CTCF (r >= 0.8)."""
    import warnings

    from deepmotif.training import train

    sim = simulated(["CTCF"], n=3000, length=101, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run = train(
            sim.dataset, None, arch="cnn", out=tmp_path / "run", config={"epochs": 6}, verbose=False
        )
    assert run.metrics["test"]["auroc"] > 0.9
    res = class_optimization(run.model, length=101, random_state=0, device="cpu")
    r = best_alignment_correlation(res.pwm, sim.motifs["CTCF"].pwm)
    assert r >= 0.8, r
