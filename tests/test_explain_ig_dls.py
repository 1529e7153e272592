"""Integrated gradients (Captum as reference) and DeepLIFT-SHAP (tangermeme as reference)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from deepmotif.errors import DeepMotifError
from deepmotif.explain._references import dinucleotide_shuffles
from deepmotif.explain.deepliftshap import DeepLiftCNN, deep_lift_shap, path_alphas
from deepmotif.explain.integrated_gradients import integrated_gradients

ARCHS = ("cnn", "rnn", "cnn-rnn")
SMALL = {"cnn": {"filters": 16}, "rnn": {"hidden": 8}, "cnn-rnn": {"filters": 16, "hidden": 8}}


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("baseline", ["zeros", "shuffle"])
def test_ig_equals_captum(arch, baseline, random_onehot, toy_model):
    from captum.attr import IntegratedGradients

    model = toy_model(arch, seed=1, **SMALL[arch])
    X = random_onehot(4, 25, seed=3, n_at=5)
    res = integrated_gradients(model, X, baseline=baseline, steps=16, n_shuffles=3, device="cpu")
    ig = IntegratedGradients(model)
    R = dinucleotide_shuffles(X, 3, 0) if baseline == "shuffle" else torch.zeros(4, 1, 4, 25)
    ref = np.mean(
        [
            ig.attribute(X, baselines=R[:, j], n_steps=16, method="gausslegendre").detach().numpy()
            for j in range(R.shape[1])
        ],
        axis=0,
    )
    np.testing.assert_allclose(res.attributions, ref, atol=1e-6)
    with torch.no_grad():
        diff = model(X) - model(R.flatten(0, 1)).view(4, -1).mean(1)
    np.testing.assert_allclose(res.logits - res.baseline_logits, diff.numpy(), atol=1e-6)
    np.testing.assert_allclose(res.delta, diff.numpy() - res.attributions.sum((1, 2)), atol=1e-6)


@pytest.mark.parametrize("arch", ARCHS)
def test_ig_completeness_improves_with_steps(arch, random_onehot, toy_model):
    model = toy_model(arch, seed=2, **SMALL[arch])
    X = random_onehot(3, 20, seed=5)
    coarse = integrated_gradients(model, X, steps=4, device="cpu")
    res = integrated_gradients(model, X, steps=128, device="cpu")
    scale = np.abs(res.logits - res.baseline_logits).max()
    # the CNN's max pools make the path piecewise smooth, so the quadrature converges slowly
    assert np.abs(res.delta).max() < 0.02 * scale
    assert np.abs(res.delta).max() < np.abs(coarse.delta).max()


@pytest.mark.parametrize("method", ["ig", "dls"])
@pytest.mark.parametrize("arch", ARCHS)
def test_batch_size_invariance_and_seeded_determinism(method, arch, random_onehot, toy_model):
    model = toy_model(arch, seed=4, **SMALL[arch])
    X = random_onehot(5, 18, seed=6)
    if method == "ig":

        def f(bs, seed):
            return integrated_gradients(
                model,
                X,
                baseline="shuffle",
                steps=8,
                n_shuffles=3,
                batch_size=bs,
                random_state=seed,
                device="cpu",
            ).attributions
    else:

        def f(bs, seed):
            return deep_lift_shap(
                model, X, n_shuffles=3, batch_size=bs, random_state=seed, device="cpu"
            ).attributions

    a, b = f(1, 0), f(5, 0)
    np.testing.assert_allclose(a, b, atol=1e-6)
    np.testing.assert_array_equal(f(2, 0), f(2, 0))
    assert not np.allclose(a, f(5, 1))  # another seed, other shuffles


def test_deepliftshap_equals_tangermeme_on_a_cnn(random_onehot, toy_model):
    from tangermeme.deep_lift_shap import deep_lift_shap as tm_dls

    model = toy_model("cnn", seed=5)  # full size: three convolutions, two poolings
    X = random_onehot(4, 41, seed=8)
    res = deep_lift_shap(model, X, n_shuffles=5, random_state=3, device="cpu", batch_size=3)
    assert res.algorithm == "deeplift"
    R = dinucleotide_shuffles(X, 5, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = tm_dls(DeepLiftCNN(model, 41), X, references=R, hypothetical=True, device="cpu")
    np.testing.assert_allclose(res.attributions, ref.numpy(), atol=1e-6)
    # DeepLIFT is exact: the observed bases' contributions sum to the logit difference
    with torch.no_grad():
        diff = (model(X) - model(R.flatten(0, 1)).view(4, 5).mean(1)).numpy()
    proj = (res.attributions * X.numpy()).sum((1, 2))
    np.testing.assert_allclose(proj, diff, atol=1e-5)
    np.testing.assert_allclose(res.delta, diff - proj, atol=1e-6)
    assert np.abs(res.delta).max() < 1e-5


@pytest.mark.parametrize("arch", ["rnn", "cnn-rnn"])
def test_expected_gradients_equals_captum_gradients(arch, random_onehot, toy_model):
    """Each reference's path point and gradient recomputed one at a time with Captum."""
    from captum.attr import Saliency

    model = toy_model(arch, seed=6, **SMALL[arch])
    X = random_onehot(3, 22, seed=9)
    res = deep_lift_shap(model, X, n_shuffles=4, random_state=2, device="cpu")
    assert res.algorithm == "expected-gradients"
    R = dinucleotide_shuffles(X, 4, 2)
    a = path_alphas(4, 2)
    sal = Saliency(model)
    ref = np.zeros((3, 4, 22))
    for j in range(4):
        pts = R[:, j] + float(a[j]) * (X - R[:, j])
        g = sal.attribute(pts, abs=False).detach().numpy()
        r = R[:, j].numpy()
        ref += g - (g * r).sum(1, keepdims=True)
    np.testing.assert_allclose(res.attributions, ref / 4, atol=1e-6)


def test_bad_input(toy_model, random_onehot):
    model = toy_model("rnn", **SMALL["rnn"])
    X = random_onehot(2, 10)
    with pytest.raises(DeepMotifError, match="baseline must be one of"):
        integrated_gradients(model, X, baseline="ones")
    with pytest.raises(DeepMotifError, match="steps must be at least 1"):
        integrated_gradients(model, X, steps=0)
    with pytest.raises(DeepMotifError, match="n_shuffles must be"):
        deep_lift_shap(model, X, n_shuffles=0)
    with pytest.raises(DeepMotifError, match="convolutional model"):
        deep_lift_shap(model, X, algorithm="deeplift")


def test_deepliftshap_logits_read_from_several_passes(random_onehot, toy_model, monkeypatch):
    """With fewer pairs per DeepLIFT pass than pairs per batch, the logits still line up."""
    from deepmotif.explain import deepliftshap

    model = toy_model("cnn", seed=7, **SMALL["cnn"])
    X = random_onehot(5, 30, seed=12)
    one = deep_lift_shap(model, X, n_shuffles=4, device="cpu")
    monkeypatch.setattr(deepliftshap, "PAIRS", 6)  # 20 pairs in passes of 6, 6, 6, 2
    many = deep_lift_shap(model, X, n_shuffles=4, device="cpu")
    np.testing.assert_allclose(many.attributions, one.attributions, atol=1e-6)
    np.testing.assert_allclose(many.logits, one.logits, atol=1e-6)
    np.testing.assert_allclose(many.reference_logits, one.reference_logits, atol=1e-6)
    with torch.no_grad():
        np.testing.assert_allclose(many.logits, model(X).numpy(), atol=1e-6)


@pytest.mark.parametrize("pairs", [1, 40])
def test_hookless_deeplift_equals_tangermeme_with_n_and_odd_length(
    pairs, random_onehot, toy_model, monkeypatch
):
    """The layer-by-layer rules (one sequence or many per pass) against tangermeme's hooks, on
    an odd length (ceil-mode pools with a one-value window) and with N columns."""
    from tangermeme.deep_lift_shap import deep_lift_shap as tm_dls

    from deepmotif.explain import _deeplift_cnn, deepliftshap

    model = toy_model("cnn", seed=9)
    assert _deeplift_cnn.supported_layers(model) is not None
    X = random_onehot(3, 57, seed=13, n_fraction=0.05)
    monkeypatch.setattr(deepliftshap, "PAIRS", pairs)
    res = deep_lift_shap(model, X, n_shuffles=4, random_state=1, device="cpu")
    R = dinucleotide_shuffles(X, 4, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = tm_dls(
            DeepLiftCNN(model, 57), X, references=R, hypothetical=True, device="cpu", only_warn=True
        )
    np.testing.assert_allclose(res.attributions, ref.numpy(), atol=1e-6)
    with torch.no_grad():
        np.testing.assert_allclose(res.logits, model(X).numpy(), atol=1e-6)
        yr = model(R.flatten(0, 1)).view(3, 4).mean(1).numpy()
    np.testing.assert_allclose(res.reference_logits, yr, atol=1e-6)
