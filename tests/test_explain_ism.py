"""ISM: the naive one-mutant-per-call loop and tangermeme's saturation_mutagenesis as references."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from deepmotif.errors import DeepMotifError
from deepmotif.explain.ism import ism

ARCHS = ("cnn", "rnn", "cnn-rnn")
SMALL = {"cnn": {"filters": 16}, "rnn": {"hidden": 8}, "cnn-rnn": {"filters": 16, "hidden": 8}}


def naive_delta(model, X: torch.Tensor) -> np.ndarray:
    """logit(mutant) - logit(x), one model call per mutant."""
    n, _, L = X.shape
    out = np.zeros((n, 4, L))
    with torch.no_grad():
        for s in range(n):
            y0 = model(X[s : s + 1].double())[0]
            for i in range(L):
                for b in range(4):
                    Xm = X[s : s + 1].clone().double()
                    Xm[0, :, i] = 0
                    Xm[0, b, i] = 1
                    out[s, b, i] = float(model(Xm)[0] - y0)
    return out


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("length", [1, 2, 9, 23])
def test_equals_the_naive_loop(arch, length, random_onehot, toy_model):
    model = toy_model(arch, seed=3, **SMALL[arch])
    X = random_onehot(3, length, seed=length, n_at=length // 2)  # an N in the first sequence
    ref = naive_delta(model.double(), X)
    model.float()
    res = ism(model, X, device="cpu")
    np.testing.assert_allclose(res.delta, ref, atol=1e-5)
    np.testing.assert_allclose(res.attributions, ref - ref.mean(1, keepdims=True), atol=1e-5)
    x = X.numpy()
    assert np.all(res.delta[x == 1] == 0)  # the observed base's own entry
    assert np.any(res.delta[0, :, length // 2] != 0)  # every base of the N is a substitution
    with torch.no_grad():
        np.testing.assert_allclose(res.logits, model(X).numpy(), atol=1e-6)


@pytest.mark.parametrize("arch", ARCHS)
def test_equals_tangermeme(arch, random_onehot, toy_model):
    from tangermeme.saturation_mutagenesis import saturation_mutagenesis

    class Logit(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, x):
            return self.m(x)[:, None]

    model = toy_model(arch, seed=1, **SMALL[arch])
    X = random_onehot(4, 31, seed=7)
    res = ism(model, X, device="cpu", batch_size=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y0, y_hat = saturation_mutagenesis(Logit(model), X, raw_outputs=True, device="cpu")
        hyp = saturation_mutagenesis(Logit(model), X, hypothetical=True, device="cpu")
        proj = saturation_mutagenesis(Logit(model), X, device="cpu")
    np.testing.assert_allclose(res.delta, (y_hat[..., 0] - y0[:, None, None, 0]).numpy(), atol=1e-5)
    np.testing.assert_allclose(res.attributions, hyp.numpy(), atol=1e-5)
    np.testing.assert_allclose(res.attributions * X.numpy(), proj.numpy(), atol=1e-5)


@pytest.mark.parametrize("arch", ARCHS)
def test_batch_size_invariance_and_fast_equals_generic(arch, random_onehot, toy_model):
    model = toy_model(arch, seed=2, **SMALL[arch])
    X = random_onehot(7, 20, seed=4, n_fraction=0.1)
    a = ism(model, X, device="cpu", batch_size=1)
    b = ism(model, X, device="cpu", batch_size=7)
    c = ism(model, X, device="cpu", batch_size=3, fast=False)
    np.testing.assert_allclose(a.delta, b.delta, atol=1e-6)
    np.testing.assert_allclose(a.delta, c.delta, atol=1e-5)


def test_default_sized_cnn_with_odd_length(random_onehot, toy_model):
    """The full-size CNN (three convolutions, two poolings) on an odd length, both paths."""
    model = toy_model("cnn", seed=0)
    X = random_onehot(2, 37, seed=9, n_at=0)
    np.testing.assert_allclose(
        ism(model, X, device="cpu").delta, ism(model, X, device="cpu", fast=False).delta, atol=1e-5
    )


def test_cnn_rnn_with_batch_norm_equals_the_naive_loop(random_onehot, toy_model):
    """The CNN-RNN's fast path applies the convolution's batch normalisation (eval mode, with
    running statistics far from the identity) to the substituted stretch too."""
    model = toy_model("cnn-rnn", seed=12, filters=16, hidden=8, conv_norm=True)
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        model.trunk.norm.running_mean.copy_(torch.randn(16, generator=g))
        model.trunk.norm.running_var.copy_(torch.rand(16, generator=g) + 0.2)
        model.trunk.norm.weight.copy_(torch.randn(16, generator=g))
    X = random_onehot(2, 17, seed=14, n_at=0)
    ref = naive_delta(model.double(), X)
    model.float()
    np.testing.assert_allclose(ism(model, X, device="cpu").delta, ref, atol=1e-5)


def test_bad_input(toy_model):
    model = toy_model("cnn", **SMALL["cnn"])
    with pytest.raises(DeepMotifError, match="shape"):
        ism(model, np.zeros((4, 10)))
    with pytest.raises(DeepMotifError, match="float32 only"):
        ism(model, np.zeros((1, 4, 10)), dtype="bf16")


@pytest.mark.parametrize("arch", ["rnn", "cnn-rnn"])
@pytest.mark.parametrize("fused", [True, False])
def test_both_lstm_paths_equal_the_naive_loop(arch, fused, random_onehot, toy_model, monkeypatch):
    from deepmotif.explain import _ism_lstm

    monkeypatch.setattr(_ism_lstm, "FUSED", fused)
    monkeypatch.setattr(_ism_lstm, "FUSED_ROWS", 7)  # several position buckets
    model = toy_model(arch, seed=8, **SMALL[arch])
    X = random_onehot(2, 15, seed=11, n_at=14)
    ref = naive_delta(model.double(), X)
    model.float()
    np.testing.assert_allclose(ism(model, X, device="cpu").delta, ref, atol=1e-5)


@pytest.mark.parametrize("arch", ARCHS)
def test_worker_threads_give_the_same_result(arch, random_onehot, toy_model):
    """With two torch threads the batches run on worker threads (grad mode is per thread)."""
    model = toy_model(arch, seed=3, **SMALL[arch])
    X = random_onehot(6, 15, seed=5)
    one = ism(model, X, device="cpu", batch_size=2)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        two = ism(model, X, device="cpu", batch_size=2)
    finally:
        torch.set_num_threads(before)
    np.testing.assert_allclose(one.delta, two.delta, atol=1e-6)
