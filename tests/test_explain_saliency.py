"""Saliency maps: a hand-computed model, finite differences, Captum and tangermeme as references."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from deepmotif.errors import DeepMotifError
from deepmotif.explain import saliency
from deepmotif.explain._common import FastMaxPool1d, gradient_twin
from deepmotif.explain._lstm import FastLSTM
from deepmotif.models import build_model

ARCHS = ("cnn", "rnn", "cnn-rnn")


#: Small models: the hand-checked references (finite differences, Captum) stay fast.
SMALL = {"cnn": {"filters": 16}, "rnn": {"hidden": 8}, "cnn-rnn": {"filters": 16, "hidden": 8}}


class LinearConv(nn.Module):
    """logit = b + sum over output positions of a single valid convolution: gradient in closed form."""

    def __init__(self, weight: np.ndarray, bias: float):
        super().__init__()
        self.conv = nn.Conv1d(4, 1, weight.shape[1], bias=True)
        with torch.no_grad():
            self.conv.weight.copy_(torch.as_tensor(weight, dtype=torch.float32)[None])
            self.conv.bias.fill_(bias)

    def forward(self, X):
        return self.conv(X).sum(dim=(1, 2))


def test_hand_computed_linear_conv(random_onehot):
    rng = np.random.default_rng(1)
    w = rng.normal(size=(4, 3)).round(2)
    L = 7
    # d/dX[c, p] = sum over output positions j (0..L-3) covering p of w[c, p - j]
    expected = np.zeros((4, L))
    for j in range(L - 3 + 1):
        expected[:, j : j + 3] += w
    X = random_onehot(3, L, seed=2)
    res = saliency(LinearConv(w, 0.5), X, device="cpu")
    np.testing.assert_allclose(res.gradient, np.broadcast_to(expected, (3, 4, L)), atol=1e-6)
    x = X.numpy()
    np.testing.assert_allclose(res.saliency, np.abs(expected) * x, atol=1e-6)
    np.testing.assert_allclose(res.grad_x_input, expected * x, atol=1e-6)
    np.testing.assert_allclose(res.corrected, (expected - expected.mean(0)) * x, atol=1e-6)
    # position 3 with an N: no attribution in the input-weighted maps, the gradient stays
    X[0, :, 3] = 0
    res = saliency(LinearConv(w, 0.5), X, device="cpu")
    assert np.all(res.saliency[0, :, 3] == 0) and np.all(res.corrected[0, :, 3] == 0)
    np.testing.assert_allclose(res.gradient[0, :, 3], expected[:, 3], atol=1e-6)


@pytest.mark.parametrize("arch", ARCHS)
def test_equals_finite_differences(arch, random_onehot, toy_model):
    model = toy_model(arch, 3, **SMALL[arch])
    X = random_onehot(2, 12, seed=4)
    got = saliency(model, X, device="cpu").gradient
    ref64 = toy_model(arch, 3, **SMALL[arch]).double()
    x = X.double()
    eps = 1e-6
    n, _, L = x.shape
    bumps = torch.eye(4 * L, dtype=torch.float64).view(4 * L, 4, L)
    with torch.no_grad():
        fd = np.empty((n, 4, L))
        for i in range(n):
            plus = ref64(x[i] + eps * bumps)
            minus = ref64(x[i] - eps * bumps)
            fd[i] = ((plus - minus) / (2 * eps)).view(4, L).numpy()
    np.testing.assert_allclose(got, fd, rtol=1e-4, atol=1e-4 * np.abs(fd).max())


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("batch_size", [1, 64])
def test_equals_captum(arch, batch_size, random_onehot, one_thread):
    from captum.attr import InputXGradient, Saliency

    torch.manual_seed(5)
    model = build_model(arch).eval()  # default sizes: the CNN-RNN's LSTM reads 128 features
    X = random_onehot(64 if batch_size == 64 else 5, 41, 6, n_fraction=0.05)
    res = saliency(model, X, batch_size=batch_size, device="cpu")
    with one_thread():
        grad = Saliency(model).attribute(X.clone().requires_grad_(), abs=False).detach().numpy()
        gxi = InputXGradient(model).attribute(X.clone().requires_grad_()).detach().numpy()
    scale = np.abs(grad).max()
    np.testing.assert_allclose(res.gradient, grad, rtol=1e-4, atol=1e-5 * scale)
    np.testing.assert_allclose(res.grad_x_input, gxi, rtol=1e-4, atol=1e-5 * scale)
    np.testing.assert_allclose(res.saliency, np.abs(gxi), rtol=1e-4, atol=1e-5 * scale)


def test_fast_layers_are_used_and_model_untouched(random_onehot):
    torch.manual_seed(0)
    cnn, crnn = build_model("cnn"), build_model("cnn-rnn")
    twin = gradient_twin(cnn, 64)
    pools = [m for m in twin.modules() if isinstance(m, FastMaxPool1d)]
    assert len(pools) == 2
    assert not any(isinstance(m, FastMaxPool1d) for m in cnn.modules())
    assert isinstance(gradient_twin(crnn, 64).trunk.lstm, FastLSTM)
    assert isinstance(gradient_twin(crnn, 8).trunk.lstm, nn.LSTM)  # small batches: fused kernel
    assert twin.trunk.convs[0].weight is cnn.trunk.convs[0].weight  # shared, not copied
    crnn.train()
    saliency(crnn, random_onehot(3, 20), device="cpu")
    assert crnn.training
    assert all(p.grad is None and p.requires_grad for p in crnn.parameters())


def test_fast_max_pool_matches_max_pool_with_ties():
    for L in (1, 2, 3, 8, 11):
        for k, ceil in ((2, True), (2, False), (3, True), (3, False)):
            if L < k and not ceil:
                continue
            x = torch.randint(0, 3, (2, 3, L)).float().requires_grad_()  # many ties
            ref = nn.MaxPool1d(k, ceil_mode=ceil)(x)
            w = torch.randn_like(ref)
            (g_ref,) = torch.autograd.grad((ref * w).sum(), x)
            out = FastMaxPool1d(k, ceil)(x)
            (g,) = torch.autograd.grad((out * w).sum(), x)
            assert torch.equal(out, ref) and torch.equal(g, g_ref), (L, k, ceil)


@pytest.mark.parametrize("arch", ARCHS)
def test_batch_size_invariance(arch, random_onehot, toy_model):
    model = toy_model(arch, 7, **SMALL[arch])
    X = random_onehot(70, 23, seed=8)
    a = saliency(model, X, batch_size=1, device="cpu").gradient
    b = saliency(model, X, batch_size=64, device="cpu").gradient
    c = saliency(model, X.numpy().astype(np.int8), batch_size=13, device="cpu").gradient
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(a, c, rtol=1e-5, atol=1e-7)


def test_corrected_equals_tangermeme(random_onehot, toy_model, one_thread):
    from tangermeme.saliency import saliency as tangermeme_saliency

    class TwoD(nn.Module):  # tangermeme wants (n, targets) outputs
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, x):
            return self.m(x).unsqueeze(-1)

    model = toy_model("cnn-rnn", 9, **SMALL["cnn-rnn"])
    X = random_onehot(10, 30, seed=10)
    ours = saliency(model, X, device="cpu").corrected
    with one_thread():
        theirs = tangermeme_saliency(TwoD(model), X, device="cpu", batch_size=4).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-6 * np.abs(theirs).max())


def test_bad_inputs(toy_model):
    model = toy_model("cnn", **SMALL["cnn"])
    with pytest.raises(DeepMotifError, match=r"shape \(n, 4, length\)"):
        saliency(model, np.zeros((3, 5, 10)))
    with pytest.raises(DeepMotifError, match="add a batch axis"):
        saliency(model, np.zeros((4, 10)))
    with pytest.raises(DeepMotifError, match="no sequences"):
        saliency(model, np.zeros((0, 4, 10)))
    with pytest.raises(DeepMotifError, match="batch_size"):
        saliency(model, np.zeros((1, 4, 10)), batch_size=0)
    valid_conv = LinearConv(np.ones((4, 9)), 0.0)  # no padding: needs at least 9 positions
    with pytest.raises(DeepMotifError, match="cannot take sequences of length 5"):
        saliency(valid_conv, np.zeros((2, 4, 5), dtype=np.float32), device="cpu")


@pytest.mark.parametrize("bidirectional", [True, False])
def test_fast_lstm_equals_autograd(bidirectional):
    torch.manual_seed(11)
    lstm = nn.LSTM(6, 5, batch_first=True, bidirectional=bidirectional)
    x = torch.randn(3, 9, 6, requires_grad=True)
    ref, _ = lstm(x)
    weights = torch.randn_like(ref)
    (g_ref,) = torch.autograd.grad((ref * weights).sum(), x)
    out, _ = FastLSTM(lstm)(x)
    (g,) = torch.autograd.grad((out * weights).sum(), x)
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(g, g_ref, rtol=1e-5, atol=1e-6)
    assert all(p.grad is None for p in lstm.parameters())


def test_twin_with_fast_lstm_equals_captum(random_onehot, one_thread):
    from captum.attr import Saliency

    from deepmotif.explain.saliency import input_gradients

    torch.manual_seed(12)
    model = build_model("cnn-rnn").eval()
    X = random_onehot(64, 33, seed=13)
    twin = gradient_twin(model, 64)
    assert isinstance(twin.trunk.lstm, FastLSTM)
    grad, logits = input_gradients(twin, X)
    with one_thread():
        ref = Saliency(model).attribute(X.clone().requires_grad_(), abs=False)
    torch.testing.assert_close(grad, ref, rtol=1e-4, atol=1e-5 * ref.abs().max().item())
    with torch.no_grad():
        torch.testing.assert_close(logits, model(X), rtol=1e-5, atol=1e-6)


def test_thread_count_restored_even_with_concurrent_callers(random_onehot, toy_model):
    # The dashboard explains with one model from several request threads at once. Many small
    # calls make the threads overlap: moving the model to its own device, or copying its LSTM,
    # used to rebuild the LSTM's flat weights under another thread's forward pass.
    import threading

    model = toy_model("rnn", 14, **SMALL["rnn"])
    X = random_onehot(4, 15, seed=15)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        ref = saliency(model, X, device="cpu").gradient
        results, errors = [], []

        def work() -> None:
            for _ in range(25):
                try:
                    results.append(saliency(model, X, device="cpu").gradient)
                except Exception as exc:  # noqa: BLE001 - every failure is reported below
                    errors.append(repr(exc))

        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert torch.get_num_threads() == 2
        assert len(results) == 200
        assert all(np.allclose(r, ref, rtol=1e-5, atol=1e-8) for r in results)
    finally:
        torch.set_num_threads(before)
