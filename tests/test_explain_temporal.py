"""Temporal output scores against the naive one-call-per-prefix loop."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from deepmotif.errors import DeepMotifError
from deepmotif.explain import temporal_scores
from deepmotif.explain._lstm import restarted_run_sums
from deepmotif.explain.temporal import is_prefix_model
from deepmotif.models import build_model


@torch.no_grad()
def naive_loop(model, X: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """One model call per prefix and per suffix, as in the paper."""
    n, _, L = X.shape
    fwd, bwd = np.empty((n, L)), np.empty((n, L))
    for t in range(L):
        if model.arch == "cnn":  # the documented analogue: the rest of the sequence is N
            pre, suf = X.clone(), X.clone()
            pre[:, :, t + 1 :] = 0
            suf[:, :, :t] = 0
            fwd[:, t] = torch.sigmoid(model(pre)).numpy()
            bwd[:, t] = torch.sigmoid(model(suf)).numpy()
        else:  # the convolution (CNN-RNN) sees the whole sequence; the LSTM reads the prefix
            F = model.trunk.features(X)
            fwd[:, t] = torch.sigmoid(
                model.head(model.trunk.pool_recurrent(F[:, :, : t + 1]))
            ).numpy()
            bwd[:, t] = torch.sigmoid(model.head(model.trunk.pool_recurrent(F[:, :, t:]))).numpy()
    return fwd, bwd


HP = {"cnn": {"filters": 16}, "rnn": {"hidden": 12}, "cnn-rnn": {"filters": 24, "hidden": 12}}


def spread(model):
    """Larger weights than the initialisation: the scores spread over 0..1."""
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(3.0)
        model.head.linear.weight.mul_(10.0)
    return model


@pytest.mark.parametrize("arch", ["rnn", "cnn-rnn", "cnn"])
@pytest.mark.parametrize("length", [1, 2, 9, 40])
def test_equals_naive_loop(arch, length, random_onehot, toy_model, one_thread):
    model = spread(toy_model(arch, length, **HP[arch]))
    X = random_onehot(5, length, length + 1, n_at=length // 2)
    res = temporal_scores(model, X, batch_size=2, device="cpu")
    with one_thread():
        fwd, bwd = naive_loop(model, X)
    np.testing.assert_allclose(res.forward, fwd, atol=1e-5, rtol=0)
    np.testing.assert_allclose(res.backward, bwd, atol=1e-5, rtol=0)
    assert res.forward.dtype == np.float32 and res.forward.shape == (5, length)
    if length == 40:
        assert np.ptp(res.forward) > 0.3  # the check is not passing on flat scores


@pytest.mark.parametrize("arch", ["rnn", "cnn-rnn", "cnn"])
def test_ends_are_the_whole_sequence(arch, random_onehot, toy_model):
    model = spread(toy_model(arch, 3, **HP[arch]))
    X = random_onehot(6, 25, 4, n_at=25 // 2)
    res = temporal_scores(model, X, device="cpu")
    with torch.no_grad():
        whole = torch.sigmoid(model(X)).numpy()
    np.testing.assert_allclose(res.forward[:, -1], whole, atol=1e-6)
    np.testing.assert_allclose(res.backward[:, 0], whole, atol=1e-6)


def test_batch_size_invariance_and_state_restored(random_onehot, toy_model):
    model = spread(toy_model("cnn-rnn", 5, **HP["cnn-rnn"]))
    model.train()
    X = random_onehot(9, 30, 6, n_at=30 // 2)
    a = temporal_scores(model, X, batch_size=1, device="cpu")
    b = temporal_scores(model, X.numpy().astype(np.int8), batch_size=64, device="cpu")
    np.testing.assert_allclose(a.forward, b.forward, atol=1e-6)
    np.testing.assert_allclose(a.backward, b.backward, atol=1e-6)
    assert model.training


@pytest.mark.parametrize("direction", [0, 1])
def test_restarted_runs_equal_fresh_lstm_runs(direction, one_thread):
    torch.manual_seed(7)
    lstm = nn.LSTM(5, 4, batch_first=True, bidirectional=True)
    x = torch.randn(3, 11, 5)
    S = restarted_run_sums(x, lstm, direction)
    with torch.no_grad(), one_thread():
        for s in range(11):
            part = x[:, s:] if direction == 0 else x[:, : s + 1]
            out, _ = lstm(part)
            ref = out[..., :4].sum(1) if direction == 0 else out[..., 4:].sum(1)
            torch.testing.assert_close(S[:, s], ref, rtol=1e-5, atol=1e-6)


def test_which_models_get_exact_prefixes():
    assert is_prefix_model(build_model("rnn")) and is_prefix_model(build_model("cnn-rnn"))
    assert not is_prefix_model(build_model("cnn"))


def test_bad_input():
    with pytest.raises(DeepMotifError, match=r"shape \(n, 4, length\)"):
        temporal_scores(build_model("rnn"), np.zeros((2, 3, 5)))
