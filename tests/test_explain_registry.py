"""The table of explanation methods: lookup, kinds, and equality with the functions it wraps."""

from __future__ import annotations

import numpy as np
import pytest

from deepmotif.errors import DeepMotifError
from deepmotif.explain import class_optimization, saliency, temporal_scores
from deepmotif.explain.registry import Method, attribution_methods, get_method, method_names


@pytest.fixture(scope="module")
def model(toy_model):
    return toy_model("cnn-rnn", 0, filters=4, hidden=3)


def test_lookup_and_errors():
    assert method_names()[:3] == ("saliency", "temporal", "optimize")
    assert "saliency" in attribution_methods() and "temporal" not in attribution_methods()
    assert get_method(" Saliency ").name == "saliency"
    with pytest.raises(DeepMotifError, match="unknown method 'kmers'; choose from saliency"):
        get_method("kmers")
    with pytest.raises(DeepMotifError, match="unknown attribution method 'temporal'"):
        get_method("temporal", kind="attribution")
    with pytest.raises(ValueError, match="returns 'attributions'"):
        Method("x", "attribution", lambda m, X: {}, ("gradient",), "")


def test_entries_equal_the_functions_they_wrap(model):
    rng = np.random.default_rng(0)
    X = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (5, 17))].transpose(0, 2, 1)
    out = get_method("saliency").compute(model, X)
    ref = saliency(model, X)
    np.testing.assert_array_equal(out["attributions"], ref.grad_x_input)
    np.testing.assert_array_equal(out["saliency"], ref.saliency)
    assert set(out) == set(get_method("saliency").keys)
    out = get_method("temporal").compute(model, X)
    ref = temporal_scores(model, X)
    np.testing.assert_array_equal(out["forward"], ref.forward)
    out = get_method("optimize").compute(model, length=17, n_restarts=2, steps=5)
    ref = class_optimization(model, length=17, n_restarts=2, steps=5, random_state=0)
    np.testing.assert_array_equal(out["pwm"], ref.pwm)
    assert int(out["best"]) == ref.best
