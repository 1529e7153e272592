"""Class optimization: a hand-set toy model, batching, windows, PWMs, and a planted motif (slow)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from deepmotif.data.encoding import one_hot
from deepmotif.errors import DeepMotifError
from deepmotif.explain import class_optimization
from deepmotif.explain.optimize import OBJECTIVES, clamp_normalise, paper_pwm, softmax_pwm
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


def test_toy_model_default_gives_distributions_and_a_discrete_sequence():
    model = gata_model()
    X = positives(200, 20, seed=0)
    with torch.no_grad():
        best_positive = model(torch.as_tensor(X)).max().item()
    assert best_positive == pytest.approx(1.5 * 7 - 3.0)  # a perfect match: 4 + 3, times 1.5, - 3
    res = class_optimization(model, length=20, n_restarts=4, steps=100, random_state=0)
    assert res.objective == "softmax"
    assert res.scores.shape == (4,) and res.inputs.shape == (4, 4, 20)
    assert res.best == int(np.argmax(res.scores))
    # every input the model saw, and the PWM, are distributions over the four bases
    assert (res.inputs >= 0).all() and (res.pwm >= 0).all()
    np.testing.assert_allclose(res.inputs.sum(axis=1), 1, atol=1e-5)
    np.testing.assert_allclose(res.pwm.sum(axis=0), 1, atol=1e-5)
    np.testing.assert_allclose(res.pwm, res.inputs[res.best], atol=1e-6)
    # the discrete sequence is what the model says: its one-hot logit, a perfect GATA match
    assert len(res.sequence) == 20 and MOTIF in res.sequence
    with torch.no_grad():
        own = model(torch.as_tensor(one_hot(res.sequence))[None]).item()
        consensus = "".join("ACGT"[i] for i in res.pwm.argmax(0))
        cons = model(torch.as_tensor(one_hot(consensus))[None]).item()
    assert res.sequence_score == pytest.approx(own, abs=1e-5)
    assert res.sequence_score >= cons - 1e-6
    assert res.sequence_score == pytest.approx(best_positive, abs=1e-5)
    # the PWM is sharp on GATA and uniform where the model does not look (one window wins the
    # global max pool; the other positions get no gradient and the penalty pulls them back)
    sharp = np.nonzero(res.pwm.max(axis=0) > 0.9)[0]
    assert len(sharp) == 4 and consensus[sharp[0] : sharp[-1] + 1] == MOTIF
    rest = np.setdiff1d(np.arange(20), sharp)
    np.testing.assert_allclose(res.pwm[:, rest], 0.25, atol=0.01)


def test_paper_objective_matches_the_lua_formulas_by_hand():
    """RMSprop (lr 0.05, alpha 0.99, eps 1e-8) on NLL(positive | log-softmax) + 0.009 ||X||^2,
    from torch.rand, for a linear model z = <W, X> + b computed by hand in float64."""
    L, steps, seed = 6, 7, 3
    rng = np.random.default_rng(1)
    W = rng.normal(size=(4, L))
    b = -0.5
    linear = LinearModel(W, b)
    res = class_optimization(linear, length=L, objective="paper", steps=steps, random_state=seed)
    assert res.inputs.shape == (1, 4, L) and res.objective == "paper"
    x = torch.rand((1, 4, L), generator=torch.Generator().manual_seed(seed)).double().numpy()[0]
    v = np.zeros_like(x)
    for _ in range(steps):
        z = (W * x).sum() + b
        # a two-class model with log-softmax over (0, z): NLL of class "bound"
        logp = z - np.logaddexp(0.0, z)
        assert -logp == pytest.approx(np.log1p(np.exp(-z)))
        g = -(1 - np.exp(logp)) * W + 2 * 0.009 * x  # d/dx [-log p + lambda ||x||^2]
        v = 0.99 * v + 0.01 * g * g
        x = x - 0.05 * g / (np.sqrt(v) + 1e-8)
    np.testing.assert_allclose(res.inputs[0], x, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(res.pwm, paper_pwm_by_hand(x), rtol=1e-5, atol=1e-6)
    assert res.scores[0] == pytest.approx((W * x).sum() + b, rel=1e-4)


class LinearModel(torch.nn.Module):
    """z = <W, X> + b: a model whose gradients are known in closed form."""

    def __init__(self, W, b):
        super().__init__()
        self.W = torch.nn.Parameter(torch.as_tensor(W, dtype=torch.float32))
        self.b = torch.nn.Parameter(torch.tensor(float(b)))

    def forward(self, X):
        return (X * self.W).sum(dim=(1, 2)) + self.b


def paper_pwm_by_hand(x):
    """The loop of class_optimization.lua, position by position."""
    m = np.clip(np.array(x, dtype=np.float64).T, 0, 1)  # (L, 4) as in the Lua
    top = m.max()
    for i in range(m.shape[0]):
        if m[i].sum() != 0:
            m[i] = m[i] / top
    for i in range(m.shape[0]):
        m[i] = m[i] + 0.01
        m[i] = m[i] / m[i].sum()
    return m.T


def test_paper_pwm_transform_by_hand():
    x = np.array(
        [[2.0, -1.0, 0.5], [0.5, -2.0, 0.25], [-1.0, -1.0, 0.0], [0.0, -3.0, 0.25]]
    )  # clamped: column 1 all zero; global max 1
    expected = np.array(
        [
            [1.01 / 1.54, 0.25, 0.51 / 1.04],
            [0.51 / 1.54, 0.25, 0.26 / 1.04],
            [0.01 / 1.54, 0.25, 0.01 / 1.04],
            [0.01 / 1.54, 0.25, 0.26 / 1.04],
        ]
    )
    np.testing.assert_allclose(paper_pwm(x), expected, rtol=1e-6)
    np.testing.assert_allclose(paper_pwm(x), paper_pwm_by_hand(x), rtol=1e-6)
    y = x / 4  # nothing above 1: the global max (0.5) rescales every entry
    np.testing.assert_allclose(paper_pwm(y), paper_pwm_by_hand(y), rtol=1e-6)
    np.testing.assert_allclose(paper_pwm(y)[:, 0], np.array([1.01, 0.26, 0.01, 0.01]) / 1.29)


@pytest.mark.parametrize("objective", ["softmax", "paper", "logit"])
def test_deterministic_under_seed_and_batched_equals_one_at_a_time(toy_model, objective):
    model = toy_model("cnn", 0, filters=8)
    kw = dict(length=15, n_restarts=3, steps=40, objective=objective)
    a = class_optimization(model, random_state=7, **kw)
    b = class_optimization(model, random_state=7, batch_size=1, **kw)
    c = class_optimization(model, random_state=8, **kw)
    np.testing.assert_allclose(a.inputs, b.inputs, rtol=1e-4, atol=1e-5)
    assert a.sequence == b.sequence
    assert not np.allclose(a.inputs, c.inputs)
    # each restart alone, from the same start (drawn for all restarts at once)
    gen = torch.Generator().manual_seed(7)
    shape = (3, 4, 15)
    if objective == "softmax":  # standard normal, times the objective's start_std (2)
        starts = torch.randn(shape, generator=gen) * OBJECTIVES["softmax"]["start_std"]
    elif objective == "paper":
        starts = torch.rand(shape, generator=gen)
    else:
        u = torch.rand(shape, generator=gen)
        starts = u / u.sum(1, keepdim=True)
    for i in range(3):
        alone = class_optimization(
            model, starts[i].numpy(), n_restarts=1, steps=40, objective=objective
        )
        np.testing.assert_allclose(alone.inputs[0], a.inputs[i], rtol=1e-4, atol=1e-5)


def test_recurrent_model_improves_and_is_untouched(toy_model):
    model = toy_model("cnn-rnn", 1, filters=16, hidden=8)
    model.train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    # without draws (a CNN-RNN's default draws one-hot sequences: restarts then differ)
    res = class_optimization(model, length=12, n_restarts=2, steps=30, start="uniform", samples=0)
    with torch.no_grad():
        model.eval()
        start_score = model(torch.full((1, 4, 12), 0.25)).item()
        model.train()
    assert res.scores.min() > start_score
    np.testing.assert_allclose(res.inputs[0], res.inputs[1])  # uniform start: one path
    drawn = class_optimization(model, length=12, n_restarts=2, steps=30, start="uniform")
    assert not np.allclose(drawn.inputs[0], drawn.inputs[1])  # each restart its own draws
    assert model.training
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert all(p.grad is None for p in model.parameters())


@pytest.mark.parametrize("objective", ["softmax", "logit"])
def test_window_keeps_the_rest_at_zero(objective):
    model = gata_model()
    res = class_optimization(
        model, length=20, n_restarts=2, steps=150, window=(5, 11), random_state=1,
        objective=objective,
    )  # fmt: skip
    assert np.all(res.inputs[:, :, :5] == 0) and np.all(res.inputs[:, :, 11:] == 0)
    assert np.any(res.inputs[:, :, 5:11] != 0)
    np.testing.assert_allclose(res.pwm[:, :5], 0.25)
    np.testing.assert_allclose(res.pwm_softmax[:, 11:], 0.25)
    assert res.sequence[:5] == "NNNNN" and res.sequence[11:] == "N" * 9
    if objective == "logit":  # (softmax: the toy's all-N windows outscore uniform columns, so
        # the max pool sends no gradient into the window from these starts)
        assert res.scores.min() > 1.5 * 7 - 3.0  # beats a one-hot match from the window


def test_pwm_conversions_by_hand():
    x = np.array([[2.0, -1.0, 0.0], [2.0, -2.0, 0.0], [-1.0, -1.0, 0.0], [0.0, -3.0, np.log(3.0)]])
    np.testing.assert_allclose(
        clamp_normalise(x), [[0.5, 0.25, 0.0], [0.5, 0.25, 0.0], [0.0, 0.25, 0.0], [0.0, 0.25, 1.0]]
    )
    np.testing.assert_allclose(softmax_pwm(x)[:, 2], [1 / 6, 1 / 6, 1 / 6, 3 / 6], rtol=1e-6)


def test_temperature_divides_the_free_logits():
    """The model sees softmax(theta / T): T = 0.5 is T = 1 with theta doubled at the start and
    the same Adam steps (Adam is scale-free) doubled too, so the two runs agree exactly when the
    second one's start, learning rate and penalty are rescaled to match."""
    from deepmotif.explain.optimize import OBJECTIVES

    model = gata_model()
    default = class_optimization(model, length=12, n_restarts=3, steps=30, random_state=1)
    same = class_optimization(
        model, length=12, n_restarts=3, steps=30, random_state=1,
        temperature=OBJECTIVES["softmax"]["temperature"],
    )  # fmt: skip
    np.testing.assert_array_equal(default.inputs, same.inputs)
    t = 0.5
    theta0 = torch.randn(3, 4, 12, generator=torch.Generator().manual_seed(7))
    a = class_optimization(model, theta0, n_restarts=3, steps=30, temperature=t, lr=0.1, l2=0.01)
    # phi = theta / t: start theta0 / t, steps lr / t, penalty l2 * t^2 on phi
    b = class_optimization(
        model, theta0 / t, n_restarts=3, steps=30, temperature=1.0, lr=0.1 / t, l2=0.01 * t * t
    )
    np.testing.assert_allclose(a.inputs, b.inputs, atol=1e-4)
    np.testing.assert_allclose(a.pwm, b.pwm, atol=1e-4)


def test_start_std_widens_the_normal_start():
    """start_std = s is the seeded standard-normal start times s, everything else the same; the
    softmax default is 2 (a given X is used as given)."""
    assert OBJECTIVES["softmax"]["start_std"] == 2.0
    model = gata_model()
    theta0 = torch.randn(3, 4, 12, generator=torch.Generator().manual_seed(5))
    for std in (1, 2, 3):
        drawn = class_optimization(
            model, length=12, n_restarts=3, steps=20, random_state=5, start_std=std
        )
        given = class_optimization(model, std * theta0, n_restarts=3, steps=20, random_state=5)
        np.testing.assert_array_equal(drawn.inputs, given.inputs)
    wide = class_optimization(model, length=12, n_restarts=3, steps=20, random_state=5, start_std=2)
    default = class_optimization(model, length=12, n_restarts=3, steps=20, random_state=5)
    np.testing.assert_array_equal(wide.inputs, default.inputs)
    one = class_optimization(model, length=12, n_restarts=3, steps=20, random_state=5, start_std=1)
    assert not np.array_equal(one.inputs, default.inputs)
    with pytest.raises(DeepMotifError, match="start_std applies"):
        class_optimization(model, length=12, start="rand", objective="paper", start_std=2)
    with pytest.raises(DeepMotifError, match="not to given starting X"):
        class_optimization(model, theta0, n_restarts=3, start_std=2)
    with pytest.raises(DeepMotifError, match="start_std must be"):
        class_optimization(model, length=12, start_std=0)


def test_sampled_draws_are_one_hot_at_the_distributions_frequencies():
    """The straight-through input is one-hot in value, drawn by inverse CDF (so each base as
    often as its probability), and passes the gradient to P unchanged."""
    from deepmotif.explain.optimize import _sampled_input

    P = torch.tensor([[[0.1, 0.7], [0.2, 0.1], [0.3, 0.1], [0.4, 0.1]]], requires_grad=True)
    u = torch.rand((20000, 1, 2), generator=torch.Generator().manual_seed(0))
    y = _sampled_input(P, u)
    assert y.shape == (20000, 4, 2)
    np.testing.assert_array_equal(y.detach().sum(dim=1).numpy(), 1.0)
    assert set(np.unique(y.detach().numpy())) == {0.0, 1.0}
    np.testing.assert_allclose(y.detach().mean(dim=0).numpy(), P.detach()[0].numpy(), atol=0.01)
    # u below the first cumulative probability picks A, at or above the last below-1 one T
    pick = _sampled_input(P, torch.tensor([[[0.05, 0.95]]]))
    np.testing.assert_array_equal(pick[0].detach().numpy(), [[1, 0], [0, 0], [0, 0], [0, 1]])
    W = torch.arange(8.0).reshape(1, 4, 2)
    (g,) = torch.autograd.grad((_sampled_input(P, u[:3]) * W).sum(), P)
    np.testing.assert_allclose(g.numpy(), 3 * W.numpy())


def test_samples_optimise_one_hot_draws_seeded_per_restart():
    """samples = k: the mean logit of k draws per restart is maximised; a linear model's
    expected logit has the same gradient as its logit of P, so each step equals the default's
    but the scores are the consensus sequences' logits. Seeded, and the same whatever the batch
    size (each restart has its own noise)."""
    rng = np.random.default_rng(0)
    W, b = rng.normal(size=(4, 9)), 0.3
    model = LinearModel(W, b)
    kw = dict(length=9, n_restarts=4, steps=25, random_state=3)
    plain = class_optimization(model, **kw)
    drawn = class_optimization(model, samples=2, **kw)
    np.testing.assert_allclose(drawn.inputs, plain.inputs, atol=1e-5)
    consensus = np.eye(4)[drawn.inputs.argmax(axis=1)].transpose(0, 2, 1)
    np.testing.assert_allclose(drawn.scores, (consensus * W).sum(axis=(1, 2)) + b, rtol=1e-5)
    gata = gata_model()
    a = class_optimization(gata, length=12, n_restarts=5, steps=30, random_state=2, samples=1)
    again = class_optimization(gata, length=12, n_restarts=5, steps=30, random_state=2, samples=1)
    split = class_optimization(
        gata, length=12, n_restarts=5, steps=30, random_state=2, samples=1, batch_size=2
    )
    other = class_optimization(gata, length=12, n_restarts=5, steps=30, random_state=9, samples=1)
    np.testing.assert_array_equal(a.inputs, again.inputs)
    np.testing.assert_allclose(a.inputs, split.inputs, rtol=1e-5, atol=1e-6)
    assert not np.allclose(a.inputs, other.inputs)
    plain = class_optimization(gata, length=12, n_restarts=5, steps=30, random_state=2)
    assert not np.allclose(a.inputs, plain.inputs)  # a non-linear model: the draws matter
    with pytest.raises(DeepMotifError, match="softmax objective only"):
        class_optimization(gata, length=12, objective="logit", samples=1)
    with pytest.raises(DeepMotifError, match="samples"):
        class_optimization(gata, length=12, samples=-1)


def test_samples_auto_draws_for_the_cnn_rnn_only(toy_model):
    """The default ``samples="auto"``: one draw per restart and step for a CNN-RNN
    (SAMPLES_AUTO), none for a CNN or a model without an architecture."""
    from deepmotif.explain.optimize import SAMPLES_AUTO

    assert OBJECTIVES["softmax"]["samples"] == "auto" and SAMPLES_AUTO == {"cnn-rnn": 1}
    kw = dict(length=15, n_restarts=3, steps=20, random_state=4)
    for arch, k in (("cnn-rnn", 1), ("cnn", 0)):
        model = (
            toy_model(arch, 0, filters=8)
            if arch == "cnn"
            else toy_model(arch, 0, filters=8, hidden=4)
        )
        default = class_optimization(model, **kw)
        np.testing.assert_array_equal(
            default.inputs, class_optimization(model, samples=k, **kw).inputs
        )
        assert not np.allclose(
            default.inputs, class_optimization(model, samples=1 - k, **kw).inputs
        )
    plain = gata_model()
    np.testing.assert_array_equal(
        class_optimization(plain, **kw).inputs, class_optimization(plain, samples=0, **kw).inputs
    )


def test_temperature_auto_is_one_half_for_the_rnn_only(toy_model):
    """The default ``temperature="auto"``: 0.5 for an RNN (TEMPERATURE_AUTO), 1 for a CNN and
    for the other objectives; the result records the temperature."""
    from deepmotif.explain.optimize import TEMPERATURE_AUTO

    assert OBJECTIVES["softmax"]["temperature"] == "auto" and TEMPERATURE_AUTO == {"rnn": 0.5}
    kw = dict(length=15, n_restarts=3, steps=20, random_state=4)
    for arch, t in (("rnn", 0.5), ("cnn", 1.0)):
        model = toy_model(arch, 0, hidden=4) if arch == "rnn" else toy_model(arch, 0, filters=8)
        default = class_optimization(model, **kw)
        assert default.temperature == t
        np.testing.assert_array_equal(
            default.inputs, class_optimization(model, temperature=t, **kw).inputs
        )
        assert not np.allclose(
            default.inputs, class_optimization(model, temperature=1.5 - t, **kw).inputs
        )
    plain = gata_model()
    assert class_optimization(plain, **kw).temperature == 1.0
    assert class_optimization(plain, objective="paper", length=15, steps=5).temperature == 1.0


def test_bad_arguments():
    model = gata_model()
    with pytest.raises(DeepMotifError, match="X .*or length"):
        class_optimization(model)
    with pytest.raises(DeepMotifError, match="window"):
        class_optimization(model, length=10, window=(4, 12))
    with pytest.raises(DeepMotifError, match="start must be"):
        class_optimization(model, length=10, start="zeros")
    with pytest.raises(DeepMotifError, match="objective must be"):
        class_optimization(model, length=10, objective="dream")
    with pytest.raises(DeepMotifError, match="temperature"):
        class_optimization(model, length=10, temperature=0)
    with pytest.raises(DeepMotifError, match="softmax objective only"):
        class_optimization(model, length=10, objective="paper", temperature=0.5)
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
    """Train a CNN on simulated data with CTCF planted: the default's best PWM correlates with
    CTCF above chance (random PWMs: 95th percentile 0.53), and the optimize motif source keeps
    a motif that correlates at r >= 0.8 (benchmarks/bench_optimize.py measures the rest)."""
    import warnings

    from deepmotif.motifs.from_optimization import optimization_motifs
    from deepmotif.training import train

    sim = simulated(["CTCF"], n=3000, length=101, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run = train(
            sim.dataset, None, arch="cnn", out=tmp_path / "run", config={"epochs": 6}, verbose=False
        )
    assert run.metrics["test"]["auroc"] > 0.9
    planted = sim.motifs["CTCF"].pwm
    res = class_optimization(run.model, length=101, random_state=0, device="cpu")
    assert best_alignment_correlation(res.pwm, planted) > 0.53
    motifs = optimization_motifs(run.model, length=101, seed=0, device="cpu")
    r = max(
        best_alignment_correlation(m.pwm, planted)
        if m.length >= planted.shape[1]
        else best_alignment_correlation(planted, m.pwm)  # the shorter slides along the longer
        for m in motifs
    )
    assert r >= 0.8, r
